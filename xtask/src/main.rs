//! `cargo xtask test`: slab's whole test suite, installing what it needs;
//! `cargo xtask bench`: the benchmarks (`bench.rs`); `cargo xtask tsan` and
//! `cargo xtask mutants`: ThreadSanitizer and mutation testing
//! (`evidence.rs`); `cargo xtask publish`: the published crates' steps of
//! `test` alone (`publish.rs`).
//!
//! Every step prints what it runs; the run ends with one line
//! `N passed, N failed` counting the test binaries' results.

use std::process::{Command, ExitCode};

mod bench;
mod bench_heap;
mod cycles;
mod doc_links;
mod evidence;
mod firmware;
mod growth;
mod heap_classes;
mod install;
#[cfg(test)]
mod module_cycles;
mod publish;
mod size;
mod steps;
mod tally;
mod waiters;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        Some("test") => steps::test(&args[1..]),
        Some("demo") => steps::demo(),
        Some("bench") => bench::bench(&args[1..]),
        Some("tsan") => evidence::tsan(&args[1..]),
        Some("mutants") => evidence::mutants(&args[1..]),
        Some("publish") => doc_links::check().and_then(|()| publish::all()),
        _ => {
            eprintln!(
                "usage: cargo xtask test [--quick]\n       cargo xtask demo\n       \
                 cargo xtask bench [--rounds N] [--only chart|target|target-m3|target-m33|target-riscv|target-v6m|cycles|size|growth|waiters|heap|heap-target|heap-classes] [--features LIST]\n       \
                 cargo xtask tsan\n       cargo xtask mutants [FILE...]\n       \
                 cargo xtask publish"
            );
            return ExitCode::from(2);
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("xtask: {e}");
            ExitCode::FAILURE
        }
    }
}

/// Runs `cmd`, echoing it; `Err` with its name if it fails.
pub fn run(cmd: &mut Command) -> Result<(), String> {
    eprintln!("\n$ {}", show(cmd));
    let status = cmd.status().map_err(|e| format!("{}: {e}", show(cmd)))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("`{}` failed ({status})", show(cmd)))
    }
}

/// Runs `cmd`, echoing it, and returns its stdout and stderr together
/// (also shown), with whether it succeeded.
pub fn run_captured(cmd: &mut Command) -> Result<(bool, String), String> {
    eprintln!("\n$ {}", show(cmd));
    let out = cmd.output().map_err(|e| format!("{}: {e}", show(cmd)))?;
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    print!("{stdout}");
    eprint!("{stderr}");
    Ok((out.status.success(), format!("{stdout}\n{stderr}")))
}

/// Runs `cmd` (a benchmark program), echoing it, with its stderr going
/// straight through; returns its stdout, which is also shown, or `Err` if
/// it fails.
pub fn run_stdout(cmd: &mut Command) -> Result<String, String> {
    eprintln!("\n$ {}", show(cmd));
    let out = cmd
        .stderr(std::process::Stdio::inherit())
        .output()
        .map_err(|e| format!("{}: {e}", show(cmd)))?;
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    print!("{stdout}");
    if !out.status.success() {
        return Err(format!("`{}` failed ({})", show(cmd), out.status));
    }
    Ok(stdout)
}

pub fn show(cmd: &Command) -> String {
    let mut s = cmd.get_program().to_string_lossy().into_owned();
    for a in cmd.get_args() {
        s.push(' ');
        s.push_str(&a.to_string_lossy());
    }
    s
}

pub fn cargo() -> Command {
    let mut c = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()));
    c.current_dir(workspace_root());
    c
}

pub fn workspace_root() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("xtask lives in the workspace")
        .to_path_buf()
}

/// The host CPU, as BENCHMARKS.md quotes it.
pub fn machine() -> String {
    let cpus = std::thread::available_parallelism().map_or(0, |n| n.get());
    let model = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|text| {
            text.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split_once(':'))
                .map(|(_, v)| v.trim().to_string())
        })
        .unwrap_or_else(|| "unknown CPU".into());
    format!("{cpus} cpus, {model}")
}
