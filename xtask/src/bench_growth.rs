//! `cargo xtask bench --only growth`: how `boot()` grows with the number
//! of declared slabs and of blocks, on a Cortex-M3 (`examples/growth-firmware`
//! under `qemu-system-arm -machine mps2-an385`, 4 MiB of RAM).
//!
//! The firmware is built once per shape (`GROWTH_SLABS` slabs of
//! `GROWTH_BLOCKS` blocks, which its `build.rs` declares) and run with one
//! instruction per translation block and the executed-instruction trace
//! (`-singlestep -d exec,nochain`): every line of the trace is one
//! executed instruction, named by QEMU with the function it is in. The
//! firmware calls the markers `growth_mark_start` and `growth_mark_end`
//! around nothing, around `boot()`'s duplicate-name check alone, and
//! around `boot()`; the instructions from entering one marker to entering
//! the next, less those around nothing, are each span's. Exact counts,
//! not timings: the host CPU does not change them.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::Command;

use crate::{cargo, run, show, workspace_root};

/// The shapes measured: (slabs, blocks per slab).
const SHAPES: [(usize, usize); 7] = [
    (1, 16),
    (10, 16),
    (100, 16),
    (1000, 16),
    (1, 256),
    (1, 4096),
    (1, 65_536),
];

/// One shape's counts.
#[derive(Debug, PartialEq)]
struct Growth {
    slabs: usize,
    blocks: usize,
    /// Instructions of `boot()`.
    boot: u64,
    /// Instructions of the duplicate-name check alone (which `boot()`
    /// runs too).
    name_check: u64,
}

pub fn bench() -> Result<(), String> {
    let dir = workspace_root().join("examples/growth-firmware");
    let target_dir = workspace_root().join("target/growth-firmware");
    let mut rows = Vec::new();
    for (slabs, blocks) in SHAPES {
        let mut cmd = cargo();
        cmd.args(["build", "--release", "--target", "thumbv7m-none-eabi"])
            .current_dir(&dir)
            .env("CARGO_TARGET_DIR", &target_dir)
            .env("GROWTH_SLABS", slabs.to_string())
            .env("GROWTH_BLOCKS", blocks.to_string());
        for var in [
            "RUSTFLAGS",
            "CARGO_ENCODED_RUSTFLAGS",
            "CARGO_BUILD_RUSTFLAGS",
            "CARGO_BUILD_TARGET",
        ] {
            cmd.env_remove(var);
        }
        run(&mut cmd)?;
        let elf = target_dir.join("thumbv7m-none-eabi/release/slab-growth-firmware");
        let log = target_dir.join("trace.log");
        let mut qemu = Command::new("qemu-system-arm");
        qemu.args(["-cpu", "cortex-m3", "-machine", "mps2-an385", "-nographic"])
            .args(["-semihosting-config", "enable=on,target=native"])
            .args(["-singlestep", "-d", "exec,nochain", "-D"])
            .arg(&log)
            .arg("-kernel")
            .arg(&elf);
        eprintln!("\n$ {}", show(&qemu));
        let out = qemu.output().map_err(|e| format!("{}: {e}", show(&qemu)))?;
        let stdout = String::from_utf8_lossy(&out.stdout);
        print!("{stdout}");
        if !out.status.success() {
            return Err(format!(
                "the growth firmware failed ({}): {stdout}{}",
                out.status,
                String::from_utf8_lossy(&out.stderr)
            ));
        }
        let spans = marker_spans(&log)?;
        let _ = std::fs::remove_file(&log);
        rows.push(growth(slabs, blocks, &spans)?);
    }
    print_table(&rows);
    Ok(())
}

/// The three spans' counts as one shape's figures.
fn growth(slabs: usize, blocks: usize, spans: &[u64]) -> Result<Growth, String> {
    let [empty, check, boot] = spans else {
        return Err(format!("the trace has {} marked spans, not 3", spans.len()));
    };
    Ok(Growth {
        slabs,
        blocks,
        boot: boot - empty,
        name_check: check - empty,
    })
}

/// The instructions of each marked span in the trace at `log`, in order.
fn marker_spans(log: &Path) -> Result<Vec<u64>, String> {
    let file = std::fs::File::open(log).map_err(|e| format!("{}: {e}", log.display()))?;
    spans(BufReader::new(file).lines().map_while(Result::ok))
}

/// From QEMU's `-d exec` lines (`Trace 0: 0x… [cs/pc/flags/cflags]
/// symbol`), the number of instructions from each entry into
/// `growth_mark_start` to the next entry into `growth_mark_end`.
fn spans(lines: impl Iterator<Item = String>) -> Result<Vec<u64>, String> {
    let mut spans = Vec::new();
    let mut executed = 0u64;
    let mut started: Option<u64> = None;
    let mut previous = String::new();
    for line in lines {
        if !line.starts_with("Trace ") {
            continue;
        }
        let symbol = line.rsplit(']').next().unwrap_or("").trim();
        if symbol != previous {
            match symbol {
                "growth_mark_start" => started = Some(executed),
                "growth_mark_end" => {
                    let start = started.take().ok_or("growth_mark_end before any start")?;
                    spans.push(executed - start);
                }
                _ => {}
            }
            previous = symbol.to_owned();
        }
        executed += 1;
    }
    Ok(spans)
}

fn print_table(rows: &[Growth]) {
    println!(
        "\n## boot() growth on a Cortex-M3 (qemu-system-arm -machine mps2-an385, instructions from the executed-instruction trace)"
    );
    println!(
        "  {:>6} {:>7} {:>11} {:>12} {:>13} {:>11} {:>8}",
        "slabs", "blocks", "boot()", "per slab", "per block", "name check", "share"
    );
    for r in rows {
        let total_blocks = (r.slabs * r.blocks) as f64;
        println!(
            "  {:>6} {:>7} {:>11} {:>12.1} {:>13.2} {:>11} {:>7.1}%",
            r.slabs,
            r.blocks,
            r.boot,
            r.boot as f64 / r.slabs as f64,
            r.boot as f64 / total_blocks,
            r.name_check,
            100.0 * r.name_check as f64 / r.boot as f64,
        );
    }
}

#[test]
fn spans_count_from_each_start_to_the_next_end() {
    let trace = [
        "Trace 0: 0x1 [00800400/00000100/00000110/ff000201] main",
        "Trace 0: 0x2 [00800400/00000788/00000110/ff000201] growth_mark_start",
        "Trace 0: 0x3 [00800400/0000078a/00000110/ff000201] growth_mark_start",
        "Trace 0: 0x4 [00800400/00000102/00000110/ff000201] main",
        "Trace 0: 0x5 [00800400/0000077e/00000110/ff000201] growth_mark_end",
        "Trace 0: 0x6 [00800400/00000780/00000110/ff000201] growth_mark_end",
        "Linking TBs 0x5 [0000077e] index 0 -> 0x6 [00000780]",
        "Trace 0: 0x7 [00800400/00000104/00000110/ff000201] main",
        "Trace 0: 0x2 [00800400/00000788/00000110/ff000201] growth_mark_start",
        "Trace 0: 0x8 [00800400/00000200/00000110/ff000201] boot",
        "Trace 0: 0x9 [00800400/00000202/00000110/ff000201] boot",
        "Trace 0: 0xa [00800400/00000204/00000110/ff000201] boot",
        "Trace 0: 0x5 [00800400/0000077e/00000110/ff000201] growth_mark_end",
    ];
    let counted = spans(trace.iter().map(|l| l.to_string())).unwrap();
    assert_eq!(counted, [3, 4]);
    let g = growth(2, 16, &[3, 10, 103]).unwrap();
    assert_eq!((g.boot, g.name_check), (100, 7));
    assert!(growth(1, 16, &[3, 4]).is_err());
    assert!(spans(["Trace 0: 0x5 [0/0/0/0] growth_mark_end".to_string()].into_iter()).is_err());
}
