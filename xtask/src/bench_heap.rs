//! `cargo xtask bench`, heap part: `SlabHeap` against embedded-alloc's
//! LLFF and TLSF heaps on the target (examples/heap-bench-firmware under
//! `qemu-system-arm -machine lm3s6965evb -icount shift=0`), and against the
//! system allocator on the host (`slab-tests/benches/heap`).
//!
//! The firmware prints the SysTick ticks of `PAIRS` alloc + free pairs in
//! every state of the workload, per heap; this turns them into
//! instructions per pair (calibrated with a run of `nop`s, net of the same
//! loop on a heap that does nothing) and prints the median and the worst
//! state, overall and per phase (fill, fragment, drain), and the worst
//! state as the heap fills: by how many blocks are live.

use std::path::PathBuf;

use crate::firmware::{FIRMWARE_TARGET, build_bench_firmware, calibration, run_icount};
use crate::{cargo, run};

const DIR: &str = "examples/heap-bench-firmware";
const BIN: &str = "slab-heap-bench-firmware";
/// The heaps, as the firmware names them and as the table does.
const HEAPS: [(&str, &str); 3] = [
    ("slab", "SlabHeap (7 classes)"),
    ("llff", "embedded-alloc 0.6 LlffHeap"),
    ("tlsf", "embedded-alloc 0.6 TlsfHeap"),
];
const PHASES: [&str; 3] = ["fill", "fragment", "drain"];

pub fn bench() -> Result<(), String> {
    target()?;
    host()
}

/// The target half of [`bench()`]: the firmware under QEMU, its figures.
pub fn target() -> Result<(), String> {
    let elf = build()?;
    let output = qemu(&elf)?;
    let results = Results::parse(&output)?;
    results.print();
    Ok(())
}

fn build() -> Result<PathBuf, String> {
    build_bench_firmware(DIR, BIN, "")
}

fn qemu(elf: &std::path::Path) -> Result<String, String> {
    let stdout = run_icount(elf)?;
    if stdout.contains("heap-bench: done") {
        Ok(stdout)
    } else {
        Err(format!(
            "the heap benchmark firmware did not finish:\n{stdout}"
        ))
    }
}

/// One state of one heap: its phase, live blocks, and instructions per pair.
struct State {
    phase: String,
    live: u64,
    instructions: f64,
}

struct Results {
    banner: String,
    /// Instructions per SysTick tick.
    per_tick: f64,
    pairs: u64,
    states: Vec<(String, Vec<State>)>,
    /// `heap NAME: N steps, F requests failed` lines.
    summaries: Vec<String>,
    /// `SlabHeap` with every class but the largest full: the classes a
    /// request of the smallest size passes over, and instructions per pair.
    fall_through: (u64, f64),
}

impl Results {
    /// Reads `calibration: NOPS nops in T ticks, the empty loop E ticks`,
    /// `empty: T ticks per N pairs` and `state HEAP STEP PHASE LIVE SIZE TICKS`.
    fn parse(output: &str) -> Result<Self, String> {
        let number = |s: &str| -> Result<u64, String> {
            s.trim_end_matches(',')
                .parse::<u64>()
                .map_err(|e| format!("bad number {s:?} in the firmware's output: {e}"))
        };
        let (mut per_tick, mut empty, mut pairs) = (None, None, None);
        let mut banner = String::new();
        let mut states: Vec<(String, Vec<State>)> = Vec::new();
        let mut raw = Vec::new();
        let mut summaries = Vec::new();
        let mut fall_through = None;
        for line in output.lines() {
            let words: Vec<&str> = line.split_whitespace().collect();
            if let Some(calibration) = calibration(&words) {
                per_tick = Some(calibration?);
            }
            match words.as_slice() {
                ["heap-bench:", "SlabHeap", ..] => banner = line.to_string(),
                ["empty:", ticks, "ticks", "per", n, "pairs"] => {
                    empty = Some(number(ticks)?);
                    pairs = Some(number(n)?);
                }
                ["state", heap, _step, phase, live, _size, ticks] => {
                    raw.push((
                        heap.to_string(),
                        phase.to_string(),
                        number(live)?,
                        number(ticks)?,
                    ));
                }
                ["heap", ..] => summaries.push(line.to_string()),
                ["fall-through", passed, ticks] => {
                    fall_through = Some((number(passed)?, number(ticks)?));
                }
                _ => {}
            }
        }
        let per_tick = per_tick.ok_or("no calibration line")?;
        let (empty, pairs) = (empty.ok_or("no empty line")?, pairs.ok_or("no pairs")?);
        let (passed, ticks) = fall_through.ok_or("no fall-through line")?;
        let fall_through = (
            passed,
            ticks.saturating_sub(empty) as f64 * per_tick / pairs as f64,
        );
        for (heap, phase, live, ticks) in raw {
            let instructions = ticks.saturating_sub(empty) as f64 * per_tick / pairs as f64;
            let state = State {
                phase,
                live,
                instructions,
            };
            match states.iter_mut().find(|(h, _)| *h == heap) {
                Some((_, list)) => list.push(state),
                None => states.push((heap, vec![state])),
            }
        }
        if states.len() != HEAPS.len() {
            return Err(format!(
                "states of {} heaps, not {}",
                states.len(),
                HEAPS.len()
            ));
        }
        Ok(Results {
            banner,
            per_tick,
            pairs,
            states,
            summaries,
            fall_through,
        })
    }

    fn of(&self, heap: &str) -> &[State] {
        self.states
            .iter()
            .find(|(h, _)| h == heap)
            .map_or(&[], |(_, s)| s.as_slice())
    }

    fn print(&self) {
        println!(
            "\n## Heaps on {FIRMWARE_TARGET} under qemu-system-arm -machine lm3s6965evb -icount shift=0"
        );
        println!("  {}", self.banner);
        println!(
            "  calibration: {:.1} instructions per SysTick tick; {} pairs per state",
            self.per_tick, self.pairs
        );
        for line in &self.summaries {
            println!("  {line}");
        }
        println!(
            "\n  instructions per alloc + free pair, over every state of the workload\n  {:<30} {:>7} {:>7} {:>9} {:>9} {:>9}",
            "heap", "median", "worst", "worst fill", "worst frag", "worst drain"
        );
        for (heap, label) in HEAPS {
            let states = self.of(heap);
            let all: Vec<f64> = states.iter().map(|s| s.instructions).collect();
            let worst_in = |phase: &str| {
                max(states
                    .iter()
                    .filter(|s| s.phase == phase)
                    .map(|s| s.instructions))
            };
            println!(
                "  {label:<30} {:>7.0} {:>7.0} {:>9.0} {:>9.0} {:>9.0}",
                median(&all),
                max(all.iter().copied()),
                worst_in(PHASES[0]),
                worst_in(PHASES[1]),
                worst_in(PHASES[2]),
            );
        }
        // The worst case as the heap fills: states by live blocks.
        let buckets = [
            (0, 15),
            (16, 31),
            (32, 47),
            (48, 63),
            (64, 79),
            (80, u64::MAX),
        ];
        print!(
            "\n  worst instructions per pair by live blocks\n  {:<30}",
            "heap"
        );
        for (lo, hi) in buckets {
            let label = if hi == u64::MAX {
                format!("{lo}+")
            } else {
                format!("{lo}-{hi}")
            };
            print!(" {label:>7}");
        }
        println!();
        for (heap, label) in HEAPS {
            print!("  {label:<30}");
            for (lo, hi) in buckets {
                let worst = max(self
                    .of(heap)
                    .iter()
                    .filter(|s| (lo..=hi).contains(&s.live))
                    .map(|s| s.instructions));
                print!(" {worst:>7.0}");
            }
            println!();
        }
        println!(
            "\n  SlabHeap's worst state (not reached by the workload): every class but the \
             largest full, a 4-byte request passes {} classes: {:.0} instructions per pair",
            self.fall_through.0, self.fall_through.1
        );
        let worst = |heap| max(self.of(heap).iter().map(|s| s.instructions));
        println!(
            "\n  worst-case ratio: SlabHeap / LLFF {:.2}, SlabHeap / TLSF {:.2}",
            worst("slab") / worst("llff"),
            worst("slab") / worst("tlsf")
        );
    }
}

/// The middle of `v` (the upper one of an even count); 0 if empty.
pub fn median(v: &[f64]) -> f64 {
    let mut v = v.to_vec();
    v.sort_by(f64::total_cmp);
    v.get(v.len() / 2).copied().unwrap_or(0.0)
}

/// The largest of `v`, at least 0.
pub fn max(v: impl Iterator<Item = f64>) -> f64 {
    v.fold(0.0, f64::max)
}

/// The host side: `slab-tests/benches/heap`, which prints its own table.
fn host() -> Result<(), String> {
    let mut cmd = cargo();
    cmd.args(["bench", "-p", "slab-tests", "--bench", "heap"]);
    println!("\n## Heaps on the host");
    run(&mut cmd)
}
