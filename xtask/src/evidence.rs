//! The heavier evidence tools that `cargo xtask test` does not run on
//! every push, each one command:
//!
//! - `cargo xtask tsan`: the `std` tests under ThreadSanitizer (nightly,
//!   `-Zsanitizer=thread`, the standard library rebuilt with it by
//!   `-Zbuild-std`, so that its atomics and thread code are instrumented
//!   too and TSan reports no false races on them).
//! - `cargo xtask mutants [FILE…]`: `cargo-mutants` over slab-core's core
//!   files (or the files named), with the host suite as its test.
//!
//! Each writes its summary line to `target/evidence/`, which `cargo xtask
//! test` prints with the rest of the evidence.

use std::process::{Command, Stdio};
use std::time::Instant;

use crate::steps::{Tally, cargo_test_with};
use crate::{cargo, install, run, run_captured, workspace_root};

/// The host test targets TSan runs: slab-core's unit tests with `std`, and
/// slab-tests' concurrency tests (the others are single-threaded, compile
/// tests or QEMU runs, which TSan has nothing to say about).
const TSAN_TESTS: [&str; 6] = [
    "waiting",
    "semaphore",
    "stress",
    "async_alloc",
    "slab",
    "concurrency_model",
];

/// `cargo xtask tsan`.
pub fn tsan(_args: &[String]) -> Result<(), String> {
    run_tsan(&mut Tally::default())
}

/// The TSan runs, adding their results to `tally` (also a step of `cargo
/// xtask test`: about 40 s here, plus a minute the first time to build the
/// instrumented std).
pub fn run_tsan(tally: &mut Tally) -> Result<(), String> {
    install::ensure_miri()?; // nightly with rust-src, which -Zbuild-std needs
    let started = Instant::now();
    let mut own = Tally::default();
    let result = tsan_steps(&mut own);
    tally.merge(&own);
    result?;
    if own.failed > 0 || own.passed == 0 {
        return Err(format!(
            "tsan: {} passed, {} failed",
            own.passed, own.failed
        ));
    }
    let line = format!(
        "tsan: {} std test runs (slab-core unit tests, slab-tests {}) under ThreadSanitizer with an instrumented std: no data race reported ({:.0} s)",
        own.passed,
        TSAN_TESTS.join(", "),
        started.elapsed().as_secs_f64()
    );
    record("tsan", &line);
    Ok(())
}

fn tsan_steps(tally: &mut Tally) -> Result<(), String> {
    let target = host_triple()?;
    let with_tsan = |cmd: &mut Command| {
        cmd.env("RUSTFLAGS", "-Zsanitizer=thread")
            .env("RUSTDOCFLAGS", "-Zsanitizer=thread")
            // Its own target directory: every crate is built differently.
            .env(
                "CARGO_TARGET_DIR",
                workspace_root().join("target").join("tsan"),
            )
            // A report fails the test binary instead of only printing.
            .env("TSAN_OPTIONS", "halt_on_error=1 abort_on_error=1");
    };
    let mut core = install::cargo_nightly();
    core.args(["test", "-Zbuild-std", "--target", &target])
        .args(["-p", "slab-core", "--features", "std", "--lib"]);
    with_tsan(&mut core);
    cargo_test_with(tally, &mut core)?;
    let mut tests = install::cargo_nightly();
    tests
        .args(["test", "-Zbuild-std", "--target", &target])
        .args(["-p", "slab-tests"]);
    for test in TSAN_TESTS {
        tests.args(["--test", test]);
    }
    with_tsan(&mut tests);
    cargo_test_with(tally, &mut tests)
}

fn host_triple() -> Result<String, String> {
    let out = Command::new("rustup")
        .args(["run", "nightly", "rustc", "-vV"])
        .output()
        .map_err(|e| format!("rustc +nightly -vV: {e}"))?;
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .find_map(|l| l.strip_prefix("host: ").map(String::from))
        .ok_or_else(|| "rustc +nightly -vV printed no host".into())
}

/// The files whose every viable mutant the suite must catch (issue 10).
pub const MUTANT_FILES: [&str; 5] = [
    "slab-core/src/slab.rs",
    "slab-core/src/wait.rs",
    "slab-core/src/sem.rs",
    "slab-core/src/layout.rs",
    "slab-core/src/lock.rs",
];

/// `cargo xtask mutants [FILE…]`: installs cargo-mutants if needed, then
/// mutates the named files (default: [`MUTANT_FILES`]) and runs slab-core's
/// unit tests and slab-tests' host tests (with `std`) against each mutant.
/// The compile-fail (trybuild) and QEMU tests are skipped: they cannot
/// see a mutant of these files that the host tests miss, and they would
/// multiply the run time. cargo-mutants writes its full report to
/// `target/mutants/mutants.out/` (`missed.txt` lists the survivors).
pub fn mutants(args: &[String]) -> Result<(), String> {
    ensure_cargo_mutants()?;
    let files: Vec<&str> = if args.is_empty() {
        MUTANT_FILES.to_vec()
    } else {
        args.iter().map(String::as_str).collect()
    };
    let started = Instant::now();
    let mut cmd = cargo();
    let out = workspace_root().join("target").join("mutants");
    cmd.args(["mutants", "--package", "slab-core", "--no-shuffle"])
        .arg("--output")
        .arg(&out)
        .args([
            "--test-package",
            "slab-core",
            "--test-package",
            "slab-tests",
        ])
        .args(["--features", "slab-core/std"])
        // One target directory for every run: the dependencies are built
        // once, and each mutated copy only rebuilds the workspace crates.
        .env("CARGO_TARGET_DIR", &out);
    for file in &files {
        cmd.args(["--file", file]);
    }
    // To `cargo test`: unit and integration tests, not the doctests; to
    // the test binaries: not the two compile-fail suites (by exact name).
    cmd.args(["--", "--tests", "--", "--exact"]);
    for test in COMPILE_FAIL_TESTS {
        cmd.args(["--skip", test]);
    }
    let (_, output) = run_captured(&mut cmd)?;
    let minutes = started.elapsed().as_secs_f64() / 60.0;
    let summary = output
        .lines()
        .rev()
        .find(|l| l.contains("mutants tested"))
        .unwrap_or("no summary line from cargo-mutants")
        .trim()
        .to_string();
    let line = format!(
        "mutants: {} — {summary} ({minutes:.0} min; survivors in target/mutants/mutants.out/missed.txt)",
        files.join(", ")
    );
    record("mutants", &line);
    Ok(())
}

/// The trybuild tests (`tests/ui.rs`, `tests/unsafe_declare.rs`): they
/// compile programs against the macros, which a mutant of the runtime
/// cannot change, and take longer than all the others together.
const COMPILE_FAIL_TESTS: [&str; 2] = ["ui", "declare_needs_unsafe"];

fn ensure_cargo_mutants() -> Result<(), String> {
    let present = cargo()
        .args(["mutants", "--version"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if present {
        return Ok(());
    }
    run(cargo().args(["install", "--locked", "cargo-mutants"]))
}

/// The evidence files of these runs, which `cargo xtask test` keeps.
pub const KEPT: [&str; 2] = ["tsan.txt", "mutants.txt"];

/// Writes `line` to `target/evidence/NAME.txt` (and prints it).
fn record(name: &str, line: &str) {
    println!("\n{line}");
    let dir = workspace_root().join("target").join("evidence");
    if std::fs::create_dir_all(&dir).is_ok() {
        let _ = std::fs::write(dir.join(format!("{name}.txt")), format!("{line}\n"));
    }
}
