//! The count of passed and failed tests over a run of `cargo test`-like
//! commands, shared by `cargo xtask test` (`steps.rs`) and its evidence
//! tools (`evidence.rs`).

use crate::{cargo, run_captured};

/// Tallies the `test result:` lines of cargo test runs.
#[derive(Default)]
pub struct Tally {
    pub passed: u64,
    pub failed: u64,
}

impl Tally {
    pub fn merge(&mut self, other: &Tally) {
        self.passed += other.passed;
        self.failed += other.failed;
    }

    /// Adds up every `test result: ok. N passed; M failed; …` line.
    pub fn add_output(&mut self, output: &str) {
        for line in output.lines() {
            let Some(rest) = line.trim().strip_prefix("test result: ") else {
                continue;
            };
            for part in rest.split(';') {
                let words: Vec<&str> = part.split_whitespace().collect();
                match words.as_slice() {
                    [.., n, "passed"] => self.passed += n.parse::<u64>().unwrap_or(0),
                    [n, "failed"] => self.failed += n.parse::<u64>().unwrap_or(0),
                    _ => {}
                }
            }
        }
    }
}

/// Runs a `cargo test`-like command, adding its results to `tally`.
pub fn cargo_test(tally: &mut Tally, args: &[&str]) -> Result<(), String> {
    cargo_test_with(tally, cargo().args(args))
}

/// Runs `cmd` (a `cargo test`-like command), adding its results to `tally`.
pub fn cargo_test_with(tally: &mut Tally, cmd: &mut std::process::Command) -> Result<(), String> {
    let (ok, output) = run_captured(cmd)?;
    tally.add_output(&output);
    if ok {
        Ok(())
    } else {
        Err(format!("`{}` failed", crate::show(cmd)))
    }
}
