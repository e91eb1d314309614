//! The steps of `cargo xtask test`.

use crate::{cargo, run, run_captured};

/// Tallies the `test result:` lines of cargo test runs.
#[derive(Default)]
pub struct Tally {
    pub passed: u64,
    pub failed: u64,
}

impl Tally {
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

pub fn test(args: &[String]) -> Result<(), String> {
    let _quick = args.iter().any(|a| a == "--quick");
    let mut tally = Tally::default();
    let result = test_steps(&mut tally);
    println!("\n{} passed, {} failed", tally.passed, tally.failed);
    result?;
    if tally.failed > 0 {
        return Err(format!("{} tests failed", tally.failed));
    }
    if tally.passed == 0 {
        return Err("no test ran".into());
    }
    Ok(())
}

fn test_steps(tally: &mut Tally) -> Result<(), String> {
    run(cargo().args(["fmt", "--all", "--", "--check"]))?;
    run(cargo().args([
        "clippy",
        "--workspace",
        "--all-targets",
        "--",
        "-D",
        "warnings",
    ]))?;
    crate::install::ensure_bare_metal()?;
    crate::install::build_bare_metal()?;
    cargo_test(tally, &["test", "--workspace"])?;
    Ok(())
}

/// Runs a `cargo test`-like command, adding its results to `tally`.
pub fn cargo_test(tally: &mut Tally, args: &[&str]) -> Result<(), String> {
    let (ok, output) = run_captured(cargo().args(args))?;
    tally.add_output(&output);
    if ok {
        Ok(())
    } else {
        Err(format!("`cargo {}` failed", args.join(" ")))
    }
}

pub fn demo() -> Result<(), String> {
    run(cargo().args(["run", "-p", "examples", "--bin", "tour"]))
}
