//! The two-hart firmware (`examples/smp-firmware`) built with the `riscv`
//! crate's single-hart `critical-section` implementation instead of its
//! own multi-hart one (feature `single-hart-critical-section`) must fail
//! its checks: that implementation masks only the calling hart's
//! interrupts, so both harts are inside critical sections at once. Run
//! under `-icount`, where the interleaving, and so the failure, is the
//! same every run. Its own target directory, so that it and `qemu_smp`'s
//! build do not rebuild each other.
//!
//! Needs `qemu-system-riscv32` and the Rust target, as `qemu_smp.rs`.

use slab_tests::qemu::{
    RISCV_VIRT_SMP_ICOUNT, firmware_cargo, passed_failed, require_target, run_on, skipped,
    workspace_root,
};

const TARGET: &str = "riscv32imac-unknown-none-elf";

#[test]
fn a_single_hart_critical_section_fails_the_two_hart_checks() {
    if skipped() {
        return;
    }
    require_target(TARGET);
    let target_dir = workspace_root().join("target/smp-firmware-single-hart-cs");
    let out = firmware_cargo("examples/smp-firmware", &target_dir)
        .args(["build", "--release", "--target", TARGET])
        .args(["--no-default-features", "--features"])
        .arg("single-hart-critical-section")
        .output()
        .expect("run cargo");
    assert!(
        out.status.success(),
        "building examples/smp-firmware with single-hart-critical-section failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let elf = target_dir.join(TARGET).join("release/slab-smp-firmware");
    let (success, stdout, stderr) = run_on(&RISCV_VIRT_SMP_ICOUNT, &elf);
    let shown = format!("--- stdout\n{stdout}--- stderr\n{stderr}");
    assert!(!success, "the firmware passed\n{shown}");
    let (_, failed) =
        passed_failed(&stdout).unwrap_or_else(|| panic!("no `N passed, N failed` line\n{shown}"));
    assert!(failed > 0, "no check failed\n{shown}");
    // The shared count, bumped only inside critical sections, lost updates.
    assert!(
        stdout
            .lines()
            .any(|l| l.starts_with("firmware: FAILED at ") && l.contains("tally == tallied")),
        "no lost update of the shared count\n{shown}"
    );
}
