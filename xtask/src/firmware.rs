//! The benchmark firmware, shared by `bench.rs` and `bench_heap.rs`: built
//! for the Cortex-M3 in release mode and run on the LM3S6965 under QEMU
//! with instruction counting.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::{cargo, run, show, workspace_root};

/// The target every benchmark firmware is built for.
pub const FIRMWARE_TARGET: &str = "thumbv7m-none-eabi";

/// Builds the benchmark firmware package in `dir` (relative to the
/// workspace) for the Cortex-M3 in release mode, into
/// `target/<last part of dir>`, and returns the ELF of its binary `bin`.
pub fn build_bench_firmware(dir: &str, bin: &str, features: &str) -> Result<PathBuf, String> {
    let package = Path::new(dir).file_name().ok_or("a package directory")?;
    let target_dir = workspace_root().join("target").join(package);
    let mut cmd = cargo();
    cmd.args(["build", "--release", "--target", FIRMWARE_TARGET]);
    if !features.is_empty() {
        cmd.args(["--features", features]);
    }
    cmd.current_dir(workspace_root().join(dir))
        .env("CARGO_TARGET_DIR", &target_dir);
    // The firmware's own .cargo/config.toml supplies `-Tlink.x -Tslab.x`.
    for var in [
        "RUSTFLAGS",
        "CARGO_ENCODED_RUSTFLAGS",
        "CARGO_BUILD_RUSTFLAGS",
        "CARGO_BUILD_TARGET",
    ] {
        cmd.env_remove(var);
    }
    run(&mut cmd)?;
    let elf = target_dir.join(FIRMWARE_TARGET).join("release").join(bin);
    if elf.is_file() {
        Ok(elf)
    } else {
        Err(format!("no firmware at {}", elf.display()))
    }
}

/// Runs `elf` on the LM3S6965 under QEMU with `-icount shift=0` (one
/// instruction per virtual clock tick: counts, not seconds) and returns
/// its semihosting output; `Err` if it exits with failure.
pub fn run_icount(elf: &Path) -> Result<String, String> {
    let mut cmd = Command::new("qemu-system-arm");
    cmd.args(["-cpu", "cortex-m3", "-machine", "lm3s6965evb"])
        .args(["-icount", "shift=0", "-nographic"])
        .args(["-semihosting-config", "enable=on,target=native"])
        .arg("-kernel")
        .arg(elf);
    eprintln!("\n$ {}", show(&cmd));
    let out = cmd.output().map_err(|e| format!("{}: {e}", show(&cmd)))?;
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    if out.status.success() {
        Ok(stdout)
    } else {
        Err(format!(
            "the benchmark firmware {} failed ({}): {}{}",
            elf.display(),
            out.status,
            stdout,
            String::from_utf8_lossy(&out.stderr)
        ))
    }
}
