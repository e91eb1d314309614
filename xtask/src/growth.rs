//! `cargo xtask bench --only growth`: what `boot()` costs a Cortex-M3 as
//! the declared slabs and their blocks grow. `examples/growth-firmware` is
//! generated with `GROWTH_SLABS` slabs of `GROWTH_BLOCKS` blocks each,
//! built, and run on QEMU's `mps2-an385` (a Cortex-M3 with 4 MiB of RAM)
//! with `-icount shift=0 -singlestep`, where every SysTick read is exact to
//! a tick: the ticks of `boot()` over the ticks per instruction of a run of
//! `nop`s are its instructions, to within one tick (40 instructions).
//! Then, on the host, `free` with 1, 4 and 16 threads of mixed priorities
//! waiting (`waiters.rs`: `slab-tests/benches/waiters.rs` and
//! `waiters.svg`).

use std::process::Command;

use crate::firmware::{calibration, firmware_build};
use crate::{run, show, workspace_root};

const DIR: &str = "examples/growth-firmware";
const BIN: &str = "slab-growth-firmware";
const TARGET: &str = "thumbv7m-none-eabi";

/// (slabs, blocks each) to run.
const SIZES: [(usize, usize); 7] = [
    (1, 4),
    (10, 4),
    (100, 4),
    (1000, 4),
    (1, 64),
    (1, 1024),
    (100, 64),
];

/// Instructions per tick and the ticks of `boot()`, from the firmware's
/// `calibration: NOPS nops in T ticks, the empty loop E ticks` and
/// `boot: N slabs x B blocks in T ticks` lines.
pub fn parse(output: &str) -> Result<(f64, u64), String> {
    let number = |s: &str| {
        s.parse::<u64>()
            .map_err(|e| format!("bad number {s:?} in the growth firmware's output: {e}"))
    };
    let mut per_tick = None;
    let mut boot = None;
    for line in output.lines() {
        let words: Vec<&str> = line.split_whitespace().collect();
        if let Some(calibration) = calibration(&words) {
            per_tick = Some(calibration?);
        }
        if let ["boot:", _, "slabs", "x", _, "blocks", "in", ticks, "ticks"] = words.as_slice() {
            boot = Some(number(ticks)?);
        }
    }
    match (per_tick, boot) {
        (Some(p), Some(b)) => Ok((p, b)),
        _ => Err(format!(
            "the growth firmware printed no calibration or no boot line: {output}"
        )),
    }
}

pub fn bench() -> Result<(), String> {
    let mut rows = Vec::new();
    for (slabs, blocks) in SIZES {
        let target_dir = workspace_root().join("target").join("growth-firmware");
        let mut cmd = firmware_build(DIR, &target_dir, TARGET);
        cmd.env("GROWTH_SLABS", slabs.to_string())
            .env("GROWTH_BLOCKS", blocks.to_string());
        run(&mut cmd)?;
        let elf = target_dir.join(TARGET).join("release").join(BIN);
        let mut qemu = Command::new("qemu-system-arm");
        qemu.args(["-cpu", "cortex-m3", "-machine", "mps2-an385"])
            .args(["-icount", "shift=0", "-singlestep", "-nographic"])
            .args(["-semihosting-config", "enable=on,target=native", "-kernel"])
            .arg(&elf);
        eprintln!("\n$ {}", show(&qemu));
        let out = qemu.output().map_err(|e| format!("{}: {e}", show(&qemu)))?;
        let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
        if !out.status.success() || !stdout.contains("growth-firmware: done") {
            return Err(format!(
                "the growth firmware ({slabs} slabs x {blocks} blocks) failed ({}): {stdout}{}",
                out.status,
                String::from_utf8_lossy(&out.stderr)
            ));
        }
        let (per_tick, ticks) = parse(&stdout)?;
        rows.push((slabs, blocks, per_tick, ticks));
    }
    println!(
        "\n## boot() on a Cortex-M3 (qemu-system-arm -machine mps2-an385 -icount shift=0 -singlestep), instructions"
    );
    println!(
        "  {:>6}  {:>7}  {:>12}  {:>10}  {:>10}",
        "slabs", "blocks", "boot()", "per slab", "per block"
    );
    let mut counted = Vec::new();
    for (slabs, blocks, per_tick, ticks) in rows {
        let instructions = ticks as f64 * per_tick;
        println!(
            "  {slabs:>6}  {blocks:>7}  {instructions:>12.0}  {:>10.1}  {:>10.2}",
            instructions / slabs as f64,
            instructions / (slabs * blocks) as f64
        );
        counted.push((slabs, blocks, instructions));
    }
    println!("  (to within one SysTick tick: 40 instructions on this board)");
    let svg = workspace_root().join("growth.svg");
    std::fs::write(&svg, chart(&counted)).map_err(|e| format!("{}: {e}", svg.display()))?;
    println!("wrote {}", svg.display());
    // The host part: a hand-off as the waiters grow.
    crate::waiters::bench()
}

/// `growth.svg`: one bar per shape, `boot()`'s instructions per slab on a
/// log scale (labelled with the count, and per block), in the style of
/// `benchmarks.svg`.
fn chart(rows: &[(usize, usize, f64)]) -> String {
    const WIDTH: f64 = 900.0;
    const LABEL: f64 = 230.0;
    const ROW: f64 = 26.0;
    const TOP: f64 = 70.0;
    let plot = WIDTH - LABEL - 250.0;
    let per_slab = |&(slabs, _, n): &(usize, usize, f64)| n / slabs as f64;
    let max = rows
        .iter()
        .map(per_slab)
        .fold(10.0, f64::max)
        .log10()
        .ceil();
    let x = |v: f64| LABEL + v.max(1.0).log10() / max * plot;
    let height = TOP + ROW * rows.len() as f64 + 50.0;
    let mut svg = format!(
        r##"<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{height}" viewBox="0 0 {WIDTH} {height}" font-family="DejaVu Sans, Arial, sans-serif" font-size="12">
<rect width="100%" height="100%" fill="#ffffff"/>
<text x="20" y="28" font-size="16" font-weight="bold">boot() on a Cortex-M3: instructions per declared slab (log scale)</text>
<text x="20" y="48" fill="#555555">cargo xtask bench --only growth: examples/growth-firmware on QEMU mps2-an385, -icount shift=0 -singlestep; exact to 40 instructions</text>
"##
    );
    for decade in 0..=max as i32 {
        let v = 10f64.powi(decade);
        let gx = x(v);
        svg.push_str(&format!(
            "<line x1=\"{gx:.1}\" y1=\"{:.1}\" x2=\"{gx:.1}\" y2=\"{:.1}\" stroke=\"#dddddd\"/>\n<text x=\"{gx:.1}\" y=\"{:.1}\" text-anchor=\"middle\" fill=\"#555555\">{v}</text>\n",
            TOP - 8.0,
            TOP + ROW * rows.len() as f64,
            TOP + ROW * rows.len() as f64 + 16.0
        ));
    }
    for (i, row) in rows.iter().enumerate() {
        let (slabs, blocks, instructions) = *row;
        let y = TOP + ROW * i as f64;
        let v = per_slab(row);
        svg.push_str(&format!(
            "<text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"end\">{slabs} slabs × {blocks} blocks</text>\n\
             <rect x=\"{LABEL}\" y=\"{:.1}\" width=\"{:.1}\" height=\"16\" fill=\"#2b6cb0\"/>\n\
             <text x=\"{:.1}\" y=\"{:.1}\">{v:.0} per slab, {:.1} per block ({instructions:.0} in all)</text>\n",
            LABEL - 8.0,
            y + 12.5,
            y,
            x(v) - LABEL,
            x(v) + 6.0,
            y + 12.5,
            instructions / (slabs * blocks) as f64,
        ));
    }
    svg.push_str("</svg>\n");
    svg
}

#[cfg(test)]
mod tests {
    use super::{chart, parse};

    #[test]
    fn the_chart_has_a_bar_and_a_label_per_shape() {
        let svg = chart(&[(1, 4, 280.0), (1000, 4, 1_920_000.0)]);
        assert!(svg.starts_with("<svg") && svg.trim_end().ends_with("</svg>"));
        assert_eq!(svg.matches("<rect x=").count(), 2, "{svg}");
        assert!(svg.contains("1000 slabs × 4 blocks"));
        assert!(svg.contains("1920 per slab, 480.0 per block (1920000 in all)"));
        assert!(svg.contains(">280 per slab, 70.0 per block"));
    }

    #[test]
    fn reads_the_calibration_and_the_boot_ticks() {
        let out = "calibration: 100000 nops in 2550 ticks, the empty loop 50 ticks\n\
                   boot: 100 slabs x 4 blocks in 1010 ticks\ngrowth-firmware: done\n";
        assert_eq!(parse(out), Ok((40.0, 1010)));
        assert!(parse("boot: 1 slabs x 4 blocks in 9 ticks\n").is_err());
        assert!(
            parse("calibration: 100 nops in 5 ticks, the empty loop 5 ticks\nboot: 1 slabs x 1 blocks in 1 ticks")
                .is_err()
        );
    }
}
