//! `slab-footprint ELF [--max-ram N]`: prints the RAM of every slab in a
//! firmware image, per section, and the flash of slab-core's code; with
//! `--max-ram N`, exits 1 when the slabs take more than `N` bytes of RAM
//! (the report's total: declared and C slabs; `N` in decimal or `0x` hex).
//! Exits 2 on a usage error or an image it cannot read. See the library's
//! docs for what is counted.
#![deny(missing_docs)]

use std::process::ExitCode;

use slab_footprint::Footprint;

const USAGE: &str = "usage: slab-footprint <ELF> [--max-ram <bytes>]";

fn main() -> ExitCode {
    match run(std::env::args().skip(1).collect()) {
        Ok(code) => code,
        Err(message) => {
            eprintln!("slab-footprint: {message}");
            ExitCode::from(2)
        }
    }
}

fn run(args: Vec<String>) -> Result<ExitCode, String> {
    let mut path = None;
    let mut max_ram = None;
    let mut args = args.into_iter();
    while let Some(arg) = args.next() {
        let value = match arg.as_str() {
            "--max-ram" => Some(
                args.next()
                    .ok_or(format!("--max-ram needs a value\n{USAGE}"))?,
            ),
            _ => arg.strip_prefix("--max-ram=").map(str::to_owned),
        };
        if let Some(value) = value {
            max_ram = Some(parse_bytes(&value).ok_or(format!(
                "--max-ram {value:?}: not a number of bytes (decimal, or hex with 0x)\n{USAGE}"
            ))?);
        } else if arg == "-h" || arg == "--help" {
            println!("{USAGE}");
            return Ok(ExitCode::SUCCESS);
        } else if arg.starts_with('-') || path.is_some() {
            return Err(format!("unexpected argument {arg:?}\n{USAGE}"));
        } else {
            path = Some(arg);
        }
    }
    let path = path.ok_or(USAGE)?;
    let bytes = std::fs::read(&path).map_err(|e| format!("{path}: {e}"))?;
    let footprint = Footprint::read(&bytes).map_err(|e| format!("{path}: {e}"))?;
    print!("{footprint}");
    let total = footprint.ram_bytes();
    match max_ram {
        Some(budget) if total > budget => {
            eprintln!(
                "slab-footprint: over budget: the slabs take {total} bytes of RAM, \
                 more than --max-ram {budget} (by {} bytes)",
                total - budget
            );
            Ok(ExitCode::from(1))
        }
        Some(budget) => {
            println!("RAM budget: {total} of {budget} bytes used");
            Ok(ExitCode::SUCCESS)
        }
        None => Ok(ExitCode::SUCCESS),
    }
}

fn parse_bytes(value: &str) -> Option<u64> {
    match value.strip_prefix("0x") {
        Some(hex) => u64::from_str_radix(hex, 16).ok(),
        None => value.parse().ok(),
    }
}
