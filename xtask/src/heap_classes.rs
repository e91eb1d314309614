//! `cargo xtask bench --only heap-classes`: `SlabHeap`'s alloc + free pair
//! as its size classes grow, on the Cortex-M3 under
//! `qemu-system-arm -machine lm3s6965evb -icount shift=0`
//! (`examples/heap-bench-firmware`'s second program, `src/bin/classes.rs`):
//! heaps of 1, 2, 4, 8 and 16 classes of the same 8 KiB, and embedded-alloc's
//! `TlsfHeap` of those bytes beside them.
//!
//! For each heap: the median and the worst instructions per pair over every
//! state of the heap workload (as `bench_heap.rs` measures them), and
//! `SlabHeap`'s own worst state (every class but the largest full, a 4-byte
//! request falls through all of them). Instructions are SysTick ticks
//! calibrated with a run of `nop`s, net of the same loop on a heap that does
//! nothing. Writes `heap-classes.svg` at the workspace root.

use std::fmt::Write as _;

use crate::bench_heap::{max, median};
use crate::firmware::{FIRMWARE_TARGET, build_bench_firmware, calibration, run_icount};
use crate::workspace_root;

const DIR: &str = "examples/heap-bench-firmware";
const BIN: &str = "slab-heap-classes-firmware";

/// One heap of the run.
#[derive(Debug, PartialEq)]
pub struct Heap {
    /// As the firmware names it: `slab1` … `slab16`, `tlsf`.
    pub name: String,
    /// Its size classes (0 for TLSF).
    pub classes: u64,
    /// Instructions per pair in each state of the workload.
    pub states: Vec<f64>,
    /// `SlabHeap`'s own worst state: classes passed, instructions per pair.
    pub fall_through: Option<(u64, f64)>,
    /// Requests of the workload that failed.
    pub failed: u64,
}

impl Heap {
    /// The median over the workload's states.
    pub fn median(&self) -> f64 {
        median(&self.states)
    }

    /// The worst pair: the worst state of the workload or the heap's own
    /// worst state, whichever is dearer.
    pub fn worst(&self) -> f64 {
        max(self
            .states
            .iter()
            .copied()
            .chain(self.fall_through.map(|(_, i)| i)))
    }
}

/// What the firmware printed, in instructions per pair.
#[derive(Debug, PartialEq)]
pub struct Run {
    /// Instructions per SysTick tick.
    pub per_tick: f64,
    /// Pairs per state.
    pub pairs: u64,
    /// Bytes of each heap.
    pub bytes: u64,
    /// The heaps, in the firmware's order (TLSF last).
    pub heaps: Vec<Heap>,
}

/// Reads `calibration: …`, `empty: T ticks per N pairs`,
/// `classes NAME N BYTES`, `fall-through NAME PASSED TICKS`,
/// `state NAME STEP PHASE LIVE SIZE TICKS` and
/// `heap NAME: S steps, F requests failed`.
pub fn parse(output: &str) -> Result<Run, String> {
    let number = |s: &str| -> Result<u64, String> {
        s.trim_end_matches([',', ':'])
            .parse::<u64>()
            .map_err(|e| format!("bad number {s:?} in the heap-classes firmware's output: {e}"))
    };
    let (mut per_tick, mut empty, mut pairs, mut bytes) = (None, None, None, None);
    let mut heaps: Vec<Heap> = Vec::new();
    let mut raw = Vec::new();
    for line in output.lines() {
        let words: Vec<&str> = line.split_whitespace().collect();
        if let Some(calibration) = calibration(&words) {
            per_tick = Some(calibration?);
        }
        let mut heap = |name: &str, classes: u64| -> usize {
            let name = name.trim_end_matches(':');
            match heaps.iter().position(|h| h.name == name) {
                Some(i) => i,
                None => {
                    heaps.push(Heap {
                        name: name.to_string(),
                        classes,
                        states: Vec::new(),
                        fall_through: None,
                        failed: 0,
                    });
                    heaps.len() - 1
                }
            }
        };
        match words.as_slice() {
            ["empty:", ticks, "ticks", "per", n, "pairs"] => {
                empty = Some(number(ticks)?);
                pairs = Some(number(n)?);
            }
            ["classes", name, n, b] => {
                let n = number(n)?;
                let i = heap(name, n);
                heaps[i].classes = n;
                let b = number(b)?;
                if bytes.is_some_and(|x| x != b) {
                    return Err(format!("heaps of different bytes: {line}"));
                }
                bytes = Some(b);
            }
            ["fall-through", name, passed, ticks] => {
                let i = heap(name, 0);
                raw.push((i, Some(number(passed)?), number(ticks)?));
            }
            ["state", name, _step, _phase, _live, _size, ticks] => {
                let i = heap(name, 0);
                raw.push((i, None, number(ticks)?));
            }
            ["heap", name, _steps, "steps,", failed, "requests", "failed"] => {
                let i = heap(name, 0);
                heaps[i].failed = number(failed)?;
            }
            _ => {}
        }
    }
    if !output.contains("heap-classes: done") {
        return Err(format!(
            "the heap-classes firmware did not finish:\n{output}"
        ));
    }
    let per_tick = per_tick.ok_or("no calibration line")?;
    let (empty, pairs) = (empty.ok_or("no empty line")?, pairs.ok_or("no pairs")?);
    let bytes = bytes.ok_or("no classes line")?;
    let instructions = |ticks: u64| ticks.saturating_sub(empty) as f64 * per_tick / pairs as f64;
    for (i, passed, ticks) in raw {
        match passed {
            Some(p) => heaps[i].fall_through = Some((p, instructions(ticks))),
            None => heaps[i].states.push(instructions(ticks)),
        }
    }
    if let Some(h) = heaps.iter().find(|h| h.states.is_empty()) {
        return Err(format!("no states of heap {}", h.name));
    }
    if !heaps.iter().any(|h| h.name == "tlsf") || heaps.len() < 2 {
        return Err("no TLSF or no SlabHeap in the output".into());
    }
    Ok(Run {
        per_tick,
        pairs,
        bytes,
        heaps,
    })
}

impl Run {
    fn tlsf(&self) -> &Heap {
        self.heaps
            .iter()
            .find(|h| h.name == "tlsf")
            .expect("parse checked it")
    }

    fn slabs(&self) -> impl Iterator<Item = &Heap> {
        self.heaps.iter().filter(|h| h.name != "tlsf")
    }

    fn print(&self) {
        println!(
            "\n## SlabHeap by its classes, on {FIRMWARE_TARGET} under qemu-system-arm -machine lm3s6965evb -icount shift=0"
        );
        println!(
            "  calibration: {:.1} instructions per SysTick tick; {} pairs per state; {}-byte heaps",
            self.per_tick, self.pairs, self.bytes
        );
        let tlsf = self.tlsf();
        println!(
            "  instructions per alloc + free pair; fall-through: every class but the largest full, \
             a 4-byte request passes them all\n  {:<24} {:>7} {:>15} {:>16} {:>7} {:>13} {:>7}",
            "heap", "median", "worst of states", "fall-through", "worst", "worst / TLSF", "failed"
        );
        for h in self.slabs() {
            let fall = h
                .fall_through
                .map_or_else(String::new, |(p, i)| format!("{i:.0} ({p} passed)"));
            println!(
                "  {:<24} {:>7.0} {:>15.0} {fall:>16} {:>7.0} {:>13.2} {:>7}",
                format!("SlabHeap, {}", classes(h.classes)),
                h.median(),
                max(h.states.iter().copied()),
                h.worst(),
                h.worst() / tlsf.worst(),
                h.failed
            );
        }
        println!(
            "  {:<24} {:>7.0} {:>15.0} {:>16} {:>7.0} {:>13.2} {:>7}",
            "embedded-alloc TlsfHeap",
            tlsf.median(),
            tlsf.worst(),
            "",
            tlsf.worst(),
            1.0,
            tlsf.failed
        );
        println!(
            "  (failed: the workload's requests each heap refused; a failed request's pair is its cost)"
        );
    }
}

/// `1 class`, `N classes`.
fn classes(n: u64) -> String {
    format!("{n} class{}", if n == 1 { "" } else { "es" })
}

/// Builds and runs the firmware, prints the table, writes
/// `heap-classes.svg`.
pub fn bench() -> Result<(), String> {
    let elf = build_bench_firmware(DIR, BIN, "")?;
    let run = parse(&run_icount(&elf)?)?;
    run.print();
    let svg = workspace_root().join("heap-classes.svg");
    std::fs::write(&svg, chart(&run)).map_err(|e| format!("{}: {e}", svg.display()))?;
    println!("wrote {}", svg.display());
    Ok(())
}

/// `heap-classes.svg`: per heap, a bar of the median pair and one of the
/// worst, TLSF's last, on a linear scale, in the style of `growth.svg`.
pub fn chart(run: &Run) -> String {
    const WIDTH: f64 = 900.0;
    const LABEL: f64 = 230.0;
    const BAR: f64 = 16.0;
    const ROW: f64 = 2.0 * BAR + 14.0;
    const TOP: f64 = 90.0;
    const MEDIAN: &str = "#90b4de";
    const WORST: &str = "#2b6cb0";
    let plot = WIDTH - LABEL - 250.0;
    let top = run.heaps.iter().map(Heap::worst).fold(100.0, f64::max);
    let scale = (top / 100.0).ceil() * 100.0;
    let x = |v: f64| LABEL + v.max(0.0) / scale * plot;
    let bottom = TOP + ROW * run.heaps.len() as f64;
    let height = bottom + 50.0;
    let mut svg = format!(
        r##"<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{height}" viewBox="0 0 {WIDTH} {height}" font-family="DejaVu Sans, Arial, sans-serif" font-size="12">
<rect width="100%" height="100%" fill="#ffffff"/>
<text x="20" y="28" font-size="16" font-weight="bold">SlabHeap on a Cortex-M3 as its classes grow: instructions per alloc + free pair</text>
<text x="20" y="48" fill="#555555">cargo xtask bench --only heap-classes: {bytes}-byte heaps, QEMU lm3s6965evb, -icount shift=0; {pairs} pairs per state</text>
<rect x="20" y="60" width="12" height="12" fill="{MEDIAN}"/><text x="38" y="70">median over the workload's states</text>
<rect x="260" y="60" width="12" height="12" fill="{WORST}"/><text x="278" y="70">worst (SlabHeap: a request falling through every full class)</text>
"##,
        bytes = run.bytes,
        pairs = run.pairs
    );
    let mut g = 0.0;
    while g <= scale {
        let gx = x(g);
        let _ = writeln!(
            svg,
            "<line x1=\"{gx:.1}\" y1=\"{:.1}\" x2=\"{gx:.1}\" y2=\"{bottom:.1}\" stroke=\"#dddddd\"/>\n<text x=\"{gx:.1}\" y=\"{:.1}\" text-anchor=\"middle\" fill=\"#555555\">{g}</text>",
            TOP - 6.0,
            bottom + 16.0
        );
        g += if scale > 500.0 { 100.0 } else { 50.0 };
    }
    for (i, h) in run.heaps.iter().enumerate() {
        let y = TOP + ROW * i as f64;
        let label = if h.name == "tlsf" {
            "embedded-alloc TlsfHeap".to_string()
        } else {
            format!("SlabHeap, {}", classes(h.classes))
        };
        let worst_note = match h.fall_through {
            Some((passed, _)) => format!(" (falls through {})", classes(passed)),
            None => String::new(),
        };
        let _ = writeln!(
            svg,
            "<text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"end\">{label}</text>\n\
             <rect x=\"{LABEL}\" y=\"{y:.1}\" width=\"{:.1}\" height=\"{BAR}\" fill=\"{MEDIAN}\"/>\n\
             <text x=\"{:.1}\" y=\"{:.1}\">{:.0} median</text>\n\
             <rect x=\"{LABEL}\" y=\"{:.1}\" width=\"{:.1}\" height=\"{BAR}\" fill=\"{WORST}\"/>\n\
             <text x=\"{:.1}\" y=\"{:.1}\">{:.0} worst{worst_note}</text>",
            LABEL - 8.0,
            y + BAR + 4.0,
            x(h.median()) - LABEL,
            x(h.median()) + 6.0,
            y + 12.5,
            h.median(),
            y + BAR,
            x(h.worst()) - LABEL,
            x(h.worst()) + 6.0,
            y + BAR + 12.5,
            h.worst(),
        );
    }
    svg.push_str("</svg>\n");
    svg
}

#[cfg(test)]
mod tests {
    use super::{chart, parse};

    const OUT: &str = "calibration: 1000000 nops in 12750 ticks, the empty loop 250 ticks\n\
        empty: 500 ticks per 20000 pairs\n\
        classes slab1 1 8192\n\
        fall-through slab1 0 35500\n\
        state slab1 0 fill 0 24 35500\n\
        state slab1 1 fill 1 24 38000\n\
        state slab1 2 fill 2 24 35500\n\
        heap slab1: 3 steps, 1 requests failed\n\
        classes slab16 16 8192\n\
        fall-through slab16 15 93000\n\
        state slab16 0 fill 0 24 35500\n\
        heap slab16: 1 steps, 0 requests failed\n\
        state tlsf 0 fill 0 24 61500\n\
        heap tlsf: 1 steps, 0 requests failed\n\
        heap-classes: done\n";

    #[test]
    fn reads_every_heap_in_instructions_per_pair() {
        let run = parse(OUT).unwrap();
        assert_eq!(run.per_tick, 80.0);
        assert_eq!((run.pairs, run.bytes), (20_000, 8192));
        let names: Vec<&str> = run.heaps.iter().map(|h| h.name.as_str()).collect();
        assert_eq!(names, ["slab1", "slab16", "tlsf"]);
        let one = &run.heaps[0];
        assert_eq!(one.classes, 1);
        assert_eq!(one.states, [140.0, 150.0, 140.0]);
        assert_eq!(one.median(), 140.0);
        assert_eq!(one.worst(), 150.0);
        assert_eq!(one.failed, 1);
        assert_eq!(run.heaps[1].fall_through, Some((15, 370.0)));
        assert_eq!(run.heaps[1].worst(), 370.0);
        assert_eq!(run.heaps[2].worst(), 244.0);
        assert!(parse(&OUT.replace("heap-classes: done", "")).is_err());
        assert!(parse(&OUT.replace("classes slab16 16 8192", "classes slab16 16 4096")).is_err());
    }

    #[test]
    fn the_chart_has_two_bars_and_a_label_per_heap() {
        let svg = chart(&parse(OUT).unwrap());
        assert!(svg.starts_with("<svg") && svg.trim_end().ends_with("</svg>"));
        // Two legend swatches, then two bars per heap.
        assert_eq!(svg.matches("<rect x=\"230\"").count(), 6, "{svg}");
        assert!(svg.contains(">SlabHeap, 1 class<"));
        assert!(svg.contains(">SlabHeap, 16 classes<"));
        assert!(svg.contains(">370 worst (falls through 15 classes)<"));
        assert!(svg.contains(">embedded-alloc TlsfHeap<"));
        assert!(svg.contains(">244 worst<"));
    }
}
