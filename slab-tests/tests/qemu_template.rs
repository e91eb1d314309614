//! The firmware template (`examples/template`), built for
//! thumbv7m-none-eabi as it stands and run under `qemu-system-arm -machine
//! lm3s6965evb`: its checks (a finite timeout on the SysTick clock, a block
//! freed by the SysTick handler to a waiting `alloc`) must all pass, and it
//! must print its registry table.
//!
//! Needs `qemu-system-arm` and the Rust target (`cargo xtask test` installs
//! them); `SLAB_SKIP_QEMU=1` skips this test.

use slab_tests::qemu::{assert_registry_table, run_qemu, skipped};

#[test]
fn template_runs_on_thumbv7m() {
    if skipped() {
        return;
    }
    let elf = slab_tests::qemu::build("examples/template", "slab-template", "thumbv7m-none-eabi");
    let (success, stdout, stderr) = run_qemu(&elf);
    let shown = format!("--- stdout\n{stdout}--- stderr\n{stderr}");
    assert!(success, "the template failed\n{shown}");
    assert!(
        stdout.lines().any(|l| l == "10 passed, 0 failed"),
        "not every check passed\n{shown}"
    );
    assert_registry_table(
        &stdout,
        &[["BUFS", "64", "4", "0", "4", "4", "yes"]],
        &shown,
    );
}
