//! The RTIC 2 firmware (`examples/rtic-firmware`) built for
//! thumbv7m-none-eabi and run on `qemu-system-arm -machine lm3s6965evb`:
//! a priority-3 hardware task, a priority-1 async software task and `idle`
//! share one slab; every check must pass (the exact count, so that none is
//! skipped), with both hand-off summaries.
//!
//! Needs `qemu-system-arm` and the Rust target (`cargo xtask test`
//! installs both). When either is missing this test fails, saying how to
//! install it, unless `SLAB_SKIP_QEMU=1`, which skips it.

use slab_tests::qemu::{LM3S6965, assert_every_check_passed, run_on, skipped};

const TARGET: &str = "thumbv7m-none-eabi";

/// Checks the firmware makes: every one counted, none conditional.
const CHECKS: u32 = 1022;

#[test]
fn rtic_tasks_of_three_priorities_share_a_slab() {
    if skipped() {
        return;
    }
    let elf = slab_tests::qemu::build("examples/rtic-firmware", "slab-rtic-firmware", TARGET);
    let (success, stdout, stderr) = run_on(&LM3S6965, &elf);
    let shown = assert_every_check_passed(success, &stdout, &stderr, CHECKS);
    for line in [
        "firmware: slab in an RTIC 2 application",
        "firmware: 200 hand-offs from the priority-3 hardware task to the priority-1 async task",
        "firmware: 200 hand-offs from the priority-3 hardware task to idle (Forever and 100 ms)",
    ] {
        assert!(
            stdout.lines().any(|l| l == line),
            "no line {line:?}\n{shown}"
        );
    }
}
