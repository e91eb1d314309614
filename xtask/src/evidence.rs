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

use crate::tally::{Tally, cargo_test_with};
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
pub const MUTANT_FILES: [&str; 9] = [
    "slab-core/src/slab.rs",
    "slab-core/src/slab/fast.rs",
    "slab-core/src/slab/cold.rs",
    "slab-core/src/slab/checks.rs",
    "slab-core/src/slab/setup.rs",
    "slab-core/src/wait.rs",
    "slab-core/src/sem.rs",
    "slab-core/src/layout.rs",
    "slab-core/src/lock.rs",
];

/// `cargo xtask mutants [FILE…]`: installs cargo-mutants if needed, then
/// mutates the named files (default: [`MUTANT_FILES`]) in two passes:
///
/// 1. with `std`: slab-core's unit tests and slab-tests' integration tests
///    against every mutant;
/// 2. without `std` (the bare-metal port): slab-core's unit tests against
///    the survivors of pass 1 only (selected by name): code that only runs on
///    bare metal, such as withdrawing a waiter whose wait hook unwinds, is
///    only exercised there.
///
/// Both passes enable `allocator-api2` and `capi`, which `allocator_api.rs`
/// and `capi.rs` need to be compiled at all (a mutant of code left out
/// survives every test).
///
/// Each mutant's tests get 60 s, or `SLAB_MUTANTS_TIMEOUT` seconds: a
/// timeout is only a kill when its log (`target/mutants/mutants.out/log/`)
/// shows a test still running at the limit, not every test passing slowly.
///
/// A mutant survives when neither pass catches it. The compile-fail
/// (trybuild) and QEMU tests are left out: a mutant of the runtime cannot
/// change what they check that the host tests miss, and they would
/// multiply the run time. cargo-mutants writes its report to
/// `target/mutants/mutants.out/`: after the run, `missed.txt` lists the
/// survivors of both passes (`missed-with-std.txt` those of pass 1).
pub fn mutants(args: &[String]) -> Result<(), String> {
    ensure_cargo_mutants()?;
    let files: Vec<&str> = if args.is_empty() {
        MUTANT_FILES.to_vec()
    } else {
        args.iter().map(String::as_str).collect()
    };
    let timeout = mutant_timeout(std::env::var("SLAB_MUTANTS_TIMEOUT").ok().as_deref())?;
    let started = Instant::now();
    let out = workspace_root().join("target").join("mutants");
    let mutants_cmd = || {
        let mut cmd = cargo();
        cmd.args(["mutants", "--package", "slab-core", "--no-shuffle"])
            // The baseline cargo-mutants times runs only slab-core's tests,
            // and would set the limit from that: a whole suite's run takes
            // 15-25 s here, a mutant that hangs is caught at a minute
            // (`SLAB_MUTANTS_TIMEOUT`, in seconds, sets another limit: on a
            // loaded machine a suite that merely runs slowly reaches a
            // minute too, and counts as a timeout).
            .args(["--timeout", &timeout])
            .arg("--output")
            .arg(&out)
            // One target directory for every run: the dependencies are built
            // once, and each mutated copy only rebuilds the workspace crates.
            .env("CARGO_TARGET_DIR", &out)
            // The firmware runs under QEMU test the same code for a target.
            .env("SLAB_SKIP_QEMU", "1");
        for file in &files {
            cmd.args(["--file", file]);
        }
        cmd
    };

    let mut host = mutants_cmd();
    host.args([
        "--test-package",
        "slab-core",
        "--test-package",
        "slab-tests",
    ])
    // `allocator-api2` compiles `allocator_api.rs` (and its unit tests) in,
    // `capi` compiles `capi.rs`; slab-tests enables both too, but a file's
    // mutants must not depend on that.
    .args([
        "--features",
        "slab-core/std,slab-core/allocator-api2,slab-core/capi",
    ]);
    // To `cargo test`: unit and integration tests, not the doctests; to
    // the test binaries: not the two compile-fail suites (by exact name).
    host.args(["--", "--tests", "--", "--exact"]);
    for test in COMPILE_FAIL_TESTS {
        host.args(["--skip", test]);
    }
    let (_, output) = run_captured(&mut host)?;
    let host = Outcomes::parse(&output)?;
    let report = out.join("mutants.out");
    let survivors = std::fs::read_to_string(report.join("missed.txt")).unwrap_or_default();

    // Pass 2 mutates the same tree, so the names (with their lines) match.
    let bare = if survivors.trim().is_empty() {
        Outcomes::default()
    } else {
        let mut bare = mutants_cmd();
        bare.args(["--test-package", "slab-core"])
            .args(["--features", "slab-core/allocator-api2,slab-core/capi"]);
        for name in survivors.lines().filter(|l| !l.trim().is_empty()) {
            bare.arg("--re")
                .arg(format!("^{}$", regex_escape(name.trim())));
        }
        bare.args(["--", "--lib"]);
        let (_, output) = run_captured(&mut bare)?;
        // A pass that printed no summary failed: never a full score.
        Outcomes::survivors_pass(&host, &output)?
    };
    // Written last: pass 2 starts by moving pass 1's report to
    // `mutants.out.old`.
    let _ = std::fs::write(report.join("missed-with-std.txt"), &survivors);

    let viable = host.caught + host.timeouts + host.missed;
    let killed = viable - bare.missed;
    let minutes = started.elapsed().as_secs_f64() / 60.0;
    let line = format!(
        "mutants: {killed} of {viable} viable mutants of {} caught ({} survived, {} unviable; \
         {} by the host tests, {} more without std), {minutes:.0} min; survivors in \
         target/mutants/mutants.out/missed.txt",
        files.join(", "),
        bare.missed,
        host.unviable,
        host.caught + host.timeouts,
        bare.caught + bare.timeouts,
    );
    record("mutants", &line);
    Ok(())
}

/// The per-mutant limit in seconds: `SLAB_MUTANTS_TIMEOUT` if set (a
/// positive whole number), else 60.
fn mutant_timeout(var: Option<&str>) -> Result<String, String> {
    match var.map(str::trim) {
        None | Some("") => Ok("60".into()),
        Some(v) => match v.parse::<u32>() {
            Ok(n) if n > 0 => Ok(n.to_string()),
            _ => Err(format!(
                "SLAB_MUTANTS_TIMEOUT must be a positive number of seconds, not `{v}`"
            )),
        },
    }
}

/// `text` as a regex that matches exactly it.
fn regex_escape(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len());
    for c in text.chars() {
        if "\\.+*?()|[]{}^$".contains(c) {
            escaped.push('\\');
        }
        escaped.push(c);
    }
    escaped
}

/// The counts of cargo-mutants' summary line (`N mutants tested in 5m: 3
/// missed, 40 caught, 2 unviable, 1 timeouts`).
#[derive(Default)]
struct Outcomes {
    missed: u64,
    caught: u64,
    unviable: u64,
    timeouts: u64,
}

impl Outcomes {
    /// The second pass, which only retests the first pass's survivors: with
    /// none, it may test nothing and print no summary; with some, a missing
    /// summary means the pass failed (a baseline that does not build or
    /// pass without `std`), which must not count those survivors as caught.
    fn survivors_pass(host: &Outcomes, output: &str) -> Result<Self, String> {
        match Self::parse(output) {
            Err(_) if host.missed == 0 => Ok(Self::default()),
            Err(e) => Err(format!(
                "the pass without std over {} survivors failed: {e}",
                host.missed
            )),
            ok => ok,
        }
    }

    fn parse(output: &str) -> Result<Self, String> {
        let line = output
            .lines()
            .rev()
            .find(|l| l.contains("mutants tested"))
            .ok_or("no summary line from cargo-mutants")?;
        let (_, counts) = line.split_once(':').ok_or("no counts in the summary")?;
        let mut outcomes = Outcomes::default();
        for part in counts.split(',') {
            let mut words = part.split_whitespace();
            let (Some(n), Some(what)) = (words.next(), words.next()) else {
                continue;
            };
            let n: u64 = n.parse().map_err(|_| format!("bad count in `{line}`"))?;
            match what {
                "missed" => outcomes.missed = n,
                "caught" => outcomes.caught = n,
                "unviable" => outcomes.unviable = n,
                w if w.starts_with("timeout") => outcomes.timeouts = n,
                _ => {}
            }
        }
        Ok(outcomes)
    }
}

/// The trybuild tests (`tests/ui.rs`, `tests/unsafe_declare.rs`): they
/// compile programs against the macros, which a mutant of the runtime
/// cannot change, and take longer than all the others together.
const COMPILE_FAIL_TESTS: [&str; 3] = [
    "ui",
    "unsound_declarations_do_not_compile",
    "declare_needs_unsafe",
];

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

#[cfg(test)]
mod tests {
    use super::{COMPILE_FAIL_TESTS, Outcomes, mutant_timeout};
    use crate::workspace_root;

    /// `cargo xtask mutants` leaves the compile-fail tests out (each one
    /// builds the crates again, for every mutant): every `trybuild` test
    /// of slab-tests must be named in `COMPILE_FAIL_TESTS`.
    /// A survivors pass that printed no summary (it failed) fails the
    /// run rather than counting every survivor as caught.
    #[test]
    fn a_failed_survivors_pass_is_not_a_full_score() {
        let host = Outcomes::parse("42 mutants tested in 3m: 2 missed, 40 caught").unwrap();
        let failed = "FAIL: baseline test failed";
        assert!(Outcomes::survivors_pass(&host, failed).is_err());
        let none = Outcomes::parse("1 mutants tested in 3m: 1 caught").unwrap();
        assert_eq!(Outcomes::survivors_pass(&none, failed).unwrap().missed, 0);
        let bare = Outcomes::survivors_pass(&host, "2 mutants tested in 1m: 1 missed, 1 caught");
        assert_eq!(bare.unwrap().missed, 1);
    }

    /// `SLAB_MUTANTS_TIMEOUT` sets the limit; unset or empty, it is 60 s;
    /// anything but a positive number of seconds is an error.
    #[test]
    fn the_mutant_timeout_comes_from_the_environment() {
        assert_eq!(mutant_timeout(None).unwrap(), "60");
        assert_eq!(mutant_timeout(Some("")).unwrap(), "60");
        assert_eq!(mutant_timeout(Some(" 240 ")).unwrap(), "240");
        for bad in ["0", "-5", "1m", "x"] {
            assert!(mutant_timeout(Some(bad)).is_err(), "{bad}");
        }
    }

    #[test]
    fn every_trybuild_test_is_left_out_of_the_mutation_run() {
        let dir = workspace_root().join("slab-tests/tests");
        let mut missing = Vec::new();
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.extension().is_none_or(|e| e != "rs") {
                continue;
            }
            let text = std::fs::read_to_string(&path).unwrap();
            for test in text.split("#[test]").skip(1) {
                let Some(name) = test
                    .split_once("fn ")
                    .and_then(|(_, rest)| rest.split_once('('))
                    .map(|(name, _)| name.trim())
                else {
                    continue;
                };
                let body = test.split("\n}\n").next().unwrap_or(test);
                if body.contains("trybuild::") && !COMPILE_FAIL_TESTS.contains(&name) {
                    missing.push(format!("{}: {name}", path.display()));
                }
            }
        }
        assert!(missing.is_empty(), "not left out: {missing:?}");
    }
}
