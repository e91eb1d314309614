//! The benchmark firmware, shared by `bench.rs` and `bench_heap.rs`: built
//! in release mode for one of the [`BenchTarget`]s and run under QEMU with
//! instruction counting.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::{cargo, run, show, workspace_root};

/// A core the benchmark firmware is built for and run on under QEMU with
/// `-icount shift=0`, or (without a machine) only built, for code sizes.
pub struct BenchTarget {
    /// The Rust target triple.
    pub triple: &'static str,
    /// The core, as the tables name it.
    pub core: &'static str,
    /// Its short name: `--only target-NAME`.
    pub short: &'static str,
    /// What the ratios' labels start with.
    pub tag: &'static str,
    /// The emulator and the arguments that pick the machine; `None`: only
    /// built.
    pub qemu: Option<(&'static str, &'static [&'static str])>,
    /// What the firmware counts with there.
    pub counter: &'static str,
}

/// The Cortex-M3 (LM3S6965), where the heap benchmark runs too.
pub const CORTEX_M3: BenchTarget = BenchTarget {
    triple: "thumbv7m-none-eabi",
    core: "Cortex-M3",
    short: "m3",
    tag: "M3",
    qemu: Some((
        "qemu-system-arm",
        &["-cpu", "cortex-m3", "-machine", "lm3s6965evb"],
    )),
    counter: "SysTick",
};

/// The Cortex-M33 (Armv8-M Mainline, MPS2-AN505, secure state).
pub const CORTEX_M33: BenchTarget = BenchTarget {
    triple: "thumbv8m.main-none-eabi",
    core: "Cortex-M33",
    short: "m33",
    tag: "M33",
    qemu: Some((
        "qemu-system-arm",
        &["-cpu", "cortex-m33", "-machine", "mps2-an505"],
    )),
    counter: "SysTick",
};

/// One RISC-V hart (riscv32imac, QEMU's `virt`).
pub const RISCV32: BenchTarget = BenchTarget {
    triple: "riscv32imac-unknown-none-elf",
    core: "RISC-V (rv32imac)",
    short: "riscv",
    tag: "RV32",
    qemu: Some((
        "qemu-system-riscv32",
        &["-machine", "virt", "-bios", "none"],
    )),
    counter: "minstret",
};

/// Armv6-M (thumbv6m): built for its code sizes only.
pub const ARMV6M: BenchTarget = BenchTarget {
    triple: "thumbv6m-none-eabi",
    core: "Armv6-M (Cortex-M0/M0+ code)",
    short: "v6m",
    tag: "v6-M",
    qemu: None,
    counter: "",
};

/// The target every heap benchmark firmware is built for.
pub const FIRMWARE_TARGET: &str = CORTEX_M3.triple;

/// `cargo build --release --target triple` of the firmware package in
/// `dir` (relative to the workspace) into `target_dir`, without the
/// caller's `RUSTFLAGS` and build target: the firmware's own
/// `.cargo/config.toml` supplies the linker scripts. The caller adds its
/// features, configuration and environment, and runs it.
pub fn firmware_build(dir: &str, target_dir: &Path, triple: &str) -> Command {
    let mut cmd = cargo();
    cmd.args(["build", "--release", "--target", triple])
        .current_dir(workspace_root().join(dir))
        .env("CARGO_TARGET_DIR", target_dir);
    for var in [
        "RUSTFLAGS",
        "CARGO_ENCODED_RUSTFLAGS",
        "CARGO_BUILD_RUSTFLAGS",
        "CARGO_BUILD_TARGET",
    ] {
        cmd.env_remove(var);
    }
    cmd
}

/// Instructions per counter tick from a firmware's calibration line
/// (`calibration: NOPS nops in T ticks, the empty loop E ticks`), if
/// `words` are one; `Err` for a bad number or a calibration of no ticks.
pub fn calibration(words: &[&str]) -> Option<Result<f64, String>> {
    let [
        "calibration:",
        nops,
        "nops",
        "in",
        with,
        "ticks,",
        "the",
        "empty",
        "loop",
        empty,
        "ticks",
    ] = words
    else {
        return None;
    };
    let number = |s: &str| {
        s.parse::<u64>()
            .map_err(|e| format!("bad number {s:?} in a calibration line: {e}"))
    };
    Some((|| {
        let net = number(with)?.saturating_sub(number(empty)?);
        if net == 0 {
            return Err(format!("a calibration of no ticks: {}", words.join(" ")));
        }
        Ok(number(nops)? as f64 / net as f64)
    })())
}

/// Builds the benchmark firmware package in `dir` (relative to the
/// workspace) for the Cortex-M3 in release mode, into
/// `target/<last part of dir>`, and returns the ELF of its binary `bin`.
pub fn build_bench_firmware(dir: &str, bin: &str, features: &str) -> Result<PathBuf, String> {
    build_bench_firmware_for(dir, bin, FIRMWARE_TARGET, features)
}

/// [`build_bench_firmware`] for the target `triple`, with the package's
/// `features` (a comma-separated list, or empty).
pub fn build_bench_firmware_for(
    dir: &str,
    bin: &str,
    triple: &str,
    features: &str,
) -> Result<PathBuf, String> {
    let package = Path::new(dir).file_name().ok_or("a package directory")?;
    let target_dir = workspace_root().join("target").join(package);
    let mut cmd = firmware_build(dir, &target_dir, triple);
    if !features.is_empty() {
        cmd.args(["--features", features]);
    }
    run(&mut cmd)?;
    let elf = target_dir.join(triple).join("release").join(bin);
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
    run_icount_on(elf, &CORTEX_M3)
}

/// [`run_icount`] on `target`'s machine.
pub fn run_icount_on(elf: &Path, target: &BenchTarget) -> Result<String, String> {
    let (qemu, machine) = target
        .qemu
        .ok_or_else(|| format!("{} is only built, not run", target.triple))?;
    let mut cmd = Command::new(qemu);
    cmd.args(machine)
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
