//! The bare-metal part of `cargo xtask test`: install the Rust targets,
//! QEMU (`qemu-system-arm`, and `qemu-system-riscv32` from
//! `qemu-system-misc`) and the Arm C compiler (for the firmware's C part)
//! that a fresh machine lacks, then build `slab-core` for every bare-metal
//! target and lint it for one, and lint the firmware (the QEMU runs
//! themselves are `slab-tests/tests/qemu*.rs`, part of the workspace tests).

use std::process::{Command, Stdio};

use crate::{cargo, run, workspace_root};

/// The bare-metal targets slab-core supports (API.md §6), and Armv8-M
/// Mainline, which `examples/firmware` is also run for.
pub const BARE_METAL_TARGETS: [&str; 5] = [
    "thumbv6m-none-eabi",
    "thumbv7m-none-eabi",
    "thumbv7em-none-eabihf",
    "thumbv8m.main-none-eabi",
    "riscv32imac-unknown-none-elf",
];

/// Hosts whose constructor `slab_heap!` emits but that no test here can run:
/// `slab-tests/tests/host_heap.rs` compiles a program for each and checks
/// its object file (std for them comes with the target).
pub const CROSS_CHECK_TARGETS: [&str; 2] = ["x86_64-pc-windows-gnu", "x86_64-apple-darwin"];

/// The target that clippy checks slab-core for without `std`.
const LINT_TARGET: &str = "thumbv7em-none-eabihf";

/// Each QEMU the tests run, and the Debian package that has it.
const QEMUS: [(&str, &str); 2] = [
    ("qemu-system-arm", "qemu-system-arm"),
    ("qemu-system-riscv32", "qemu-system-misc"),
];

/// Installs the bare-metal Rust targets (and [`CROSS_CHECK_TARGETS`]) if
/// any is missing, and `qemu-system-arm` and `qemu-system-riscv32` if not
/// on PATH (with apt-get, as root or through `sudo -n`).
/// `SLAB_SKIP_QEMU=1` (which skips the QEMU tests) skips QEMU.
pub fn ensure_bare_metal() -> Result<(), String> {
    ensure_targets()?;
    // The firmware's C part (feature `capi`) is compiled, and linted, even
    // when the QEMU runs are skipped.
    ensure_arm_gcc()?;
    if std::env::var("SLAB_SKIP_QEMU").is_ok_and(|v| v == "1") {
        eprintln!("\nSLAB_SKIP_QEMU=1: not checking for QEMU");
        return Ok(());
    }
    QEMUS
        .into_iter()
        .try_for_each(|(qemu, package)| ensure_qemu(qemu, package))
}

/// `cargo build -p slab-core` (no `std`) for every bare-metal target, with
/// and without the `capi` feature, with `defmt` and `allocator-api2` for one, and
/// clippy (with `capi`) with `-D warnings` for one.
pub fn build_bare_metal() -> Result<(), String> {
    for target in BARE_METAL_TARGETS {
        run(cargo().args(["build", "-p", "slab-core", "--target", target]))?;
        // The C ABI's layout assertions hold for every target.
        run(cargo().args([
            "build",
            "-p",
            "slab-core",
            "--features",
            "capi",
            "--target",
            target,
        ]))?;
    }
    run(cargo().args([
        "build",
        "-p",
        "slab-core",
        "--features",
        "defmt,allocator-api2",
        "--target",
        LINT_TARGET,
    ]))?;
    run(cargo().args([
        "clippy",
        "-p",
        "slab-core",
        "--features",
        "capi",
        "--target",
        LINT_TARGET,
        "--",
        "-D",
        "warnings",
    ]))?;
    lint_firmware()
}

/// The firmware packages live outside the workspace (their own targets and
/// linker scripts): rustfmt and clippy (`-D warnings`) each, for its
/// target, from its own directory so that its `.cargo/config.toml` applies.
/// The template is one too, and so is `examples/common`, which the others
/// share.
fn lint_firmware() -> Result<(), String> {
    for (dir, target_dir, target) in [
        ("examples/firmware", "target/firmware", "thumbv7m-none-eabi"),
        (
            "examples/firmware",
            "target/firmware",
            "thumbv8m.main-none-eabi",
        ),
        (
            "examples/bench-firmware",
            "target/bench-firmware",
            "thumbv7m-none-eabi",
        ),
        // Without the peers (Armv6-M), and on RISC-V (`cargo xtask bench`
        // also runs it on the Cortex-M33, the same code as the M3's here).
        (
            "examples/bench-firmware",
            "target/bench-firmware",
            "thumbv6m-none-eabi",
        ),
        (
            "examples/bench-firmware",
            "target/bench-firmware",
            "riscv32imac-unknown-none-elf",
        ),
        (
            "examples/embassy-firmware",
            "target/embassy-firmware",
            "thumbv7m-none-eabi",
        ),
        (
            "examples/heap-firmware",
            "target/heap-firmware",
            "thumbv7m-none-eabi",
        ),
        (
            "examples/heap-bench-firmware",
            "target/heap-bench-firmware",
            "thumbv7m-none-eabi",
        ),
        (
            "examples/size-firmware",
            "target/size-firmware",
            "thumbv7m-none-eabi",
        ),
        (
            "examples/growth-firmware",
            "target/growth-firmware",
            "thumbv7m-none-eabi",
        ),
        ("examples/template", "target/template", "thumbv7m-none-eabi"),
        (
            "examples/defmt-firmware",
            "target/defmt-firmware",
            "thumbv7m-none-eabi",
        ),
        (
            "examples/riscv-firmware",
            "target/riscv-firmware",
            "riscv32imac-unknown-none-elf",
        ),
        (
            "examples/rtic-firmware",
            "target/rtic-firmware",
            "thumbv7m-none-eabi",
        ),
        (
            "examples/smp-firmware",
            "target/smp-firmware",
            "riscv32imac-unknown-none-elf",
        ),
        // What they share, for each architecture.
        ("examples/common", "target/common", "thumbv6m-none-eabi"),
        (
            "examples/common",
            "target/common",
            "riscv32imac-unknown-none-elf",
        ),
    ] {
        let in_dir = || {
            let mut c = cargo();
            c.current_dir(workspace_root().join(dir))
                .env("CARGO_TARGET_DIR", workspace_root().join(target_dir))
                .env_remove("RUSTFLAGS");
            c
        };
        run(in_dir().args(["fmt", "--", "--check"]))?;
        run(in_dir().args([
            "clippy",
            "--release",
            "--target",
            target,
            "--",
            "-D",
            "warnings",
        ]))?;
    }
    Ok(())
}

/// rustfmt and clippy for the stable toolchain.
pub fn ensure_components() -> Result<(), String> {
    run(Command::new("rustup")
        .args(["component", "add", "rustfmt", "clippy"])
        .current_dir(workspace_root()))
    .map_err(|e| format!("{e}: rustfmt and clippy are needed"))
}

/// The nightly toolchain with miri and rust-src, for the miri run.
pub fn ensure_miri() -> Result<(), String> {
    ensure_toolchain("nightly", "miri")?;
    run(Command::new("rustup").args([
        "component",
        "add",
        "--toolchain",
        "nightly",
        "miri",
        "rust-src",
    ]))
    .map_err(|e| format!("{e}: miri needs nightly's miri and rust-src components"))?;
    run(cargo_nightly().args(["miri", "setup"]))
}

/// Installs the rustup `toolchain` (minimal profile) if it is missing;
/// `what` needs it.
pub fn ensure_toolchain(toolchain: &str, what: &str) -> Result<(), String> {
    let installed = Command::new("rustup")
        .args(["run", toolchain, "rustc", "--version"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if installed {
        return Ok(());
    }
    run(Command::new("rustup").args(["toolchain", "install", toolchain, "--profile", "minimal"]))
        .map_err(|e| format!("{e}: {what} needs the {toolchain} toolchain"))
}

/// `cargo +nightly`, run by rustup so that it works whichever cargo runs xtask.
pub fn cargo_nightly() -> Command {
    cargo_of("nightly")
}

/// `cargo +TOOLCHAIN`, run by rustup so that it works whichever cargo runs
/// xtask.
pub fn cargo_of(toolchain: &str) -> Command {
    let mut c = Command::new("rustup");
    c.args(["run", toolchain, "cargo"])
        .current_dir(workspace_root());
    // The running toolchain's variables would point cargo at its tools.
    for var in ["CARGO", "RUSTC", "RUSTDOC", "RUSTUP_TOOLCHAIN"] {
        c.env_remove(var);
    }
    c
}

fn ensure_targets() -> Result<(), String> {
    let listed = Command::new("rustup")
        .args(["target", "list", "--installed"])
        .current_dir(workspace_root())
        .output()
        .map_err(|e| {
            format!(
                "cannot run rustup ({e}): install the targets {} by hand",
                BARE_METAL_TARGETS.join(" ")
            )
        })?;
    if !listed.status.success() {
        return Err(format!(
            "`rustup target list --installed` failed: {}",
            String::from_utf8_lossy(&listed.stderr).trim()
        ));
    }
    let installed = String::from_utf8_lossy(&listed.stdout);
    let missing: Vec<&str> = BARE_METAL_TARGETS
        .into_iter()
        .chain(CROSS_CHECK_TARGETS)
        .filter(|t| !installed.lines().any(|l| l.trim() == *t))
        .collect();
    if missing.is_empty() {
        return Ok(());
    }
    run(Command::new("rustup")
        .args(["target", "add"])
        .args(&missing)
        .current_dir(workspace_root()))
    .map_err(|e| format!("{e}: the targets {missing:?} are needed"))
}

/// The C compiler for the firmware's C part (`examples/firmware/c`).
const ARM_GCC: &str = "arm-none-eabi-gcc";

/// Installs Debian's `gcc-arm-none-eabi` (without newlib: the firmware's C
/// is freestanding) if `arm-none-eabi-gcc` is not on PATH.
fn ensure_arm_gcc() -> Result<(), String> {
    if tool_present(ARM_GCC) {
        return Ok(());
    }
    let how = "install it (Debian/Ubuntu: `sudo apt-get install -y --no-install-recommends \
               gcc-arm-none-eabi`)";
    apt_install(
        ARM_GCC,
        &["--no-install-recommends", "gcc-arm-none-eabi"],
        how,
    )
}

fn tool_present(tool: &str) -> bool {
    Command::new(tool)
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

fn ensure_qemu(qemu: &str, package: &str) -> Result<(), String> {
    if tool_present(qemu) {
        return Ok(());
    }
    let how = format!(
        "install it (Debian/Ubuntu: `sudo apt-get install -y {package}`) \
         or set SLAB_SKIP_QEMU=1 to skip the QEMU tests"
    );
    apt_install(qemu, &[package], &how)
}

/// `apt-get install -y PACKAGES` for the missing `tool` (as root, or
/// through `sudo -n`); fails with `how` to install it by hand.
fn apt_install(tool: &str, packages: &[&str], how: &str) -> Result<(), String> {
    // apt-get as root, else through non-interactive sudo (`env`, because
    // sudo resets the environment).
    let root = is_root();
    let as_root = |args: &[&str]| -> Command {
        let mut cmd = if root {
            Command::new("env")
        } else {
            let mut sudo = Command::new("sudo");
            sudo.args(["-n", "env"]);
            sudo
        };
        cmd.arg("DEBIAN_FRONTEND=noninteractive").args(args);
        cmd
    };
    if !root && !as_root(&["true"]).status().is_ok_and(|s| s.success()) {
        return Err(format!(
            "{tool} is not on PATH, and installing it needs root (not root, and \
             `sudo -n` is not allowed): {how}"
        ));
    }
    let install: Vec<&str> = ["apt-get", "install", "-y"]
        .into_iter()
        .chain(packages.iter().copied())
        .collect();
    run(&mut as_root(&["apt-get", "update"]))
        .and_then(|()| run(&mut as_root(&install)))
        .map_err(|e| {
            format!("{tool} is not on PATH and apt-get could not install it ({e}): {how}")
        })?;
    if tool_present(tool) {
        Ok(())
    } else {
        Err(format!(
            "{tool} is still not on PATH after apt-get install: {how}"
        ))
    }
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
}
