//! The embassy application (`examples/embassy-firmware`) built for
//! thumbv7m-none-eabi and thumbv6m-none-eabi and run under
//! `qemu-system-arm -machine lm3s6965evb`: tasks on embassy-executor's
//! thread-mode executor await slab's async allocation while an interrupt
//! handler frees. It must exit successfully, print its registry table
//! before and after, and end with `embassy: N passed, 0 failed`.
//!
//! Needs `qemu-system-arm` and the two Rust targets (`cargo xtask test`
//! installs them). When either is missing these tests fail, saying how to
//! install it, unless `SLAB_SKIP_QEMU=1`, which skips them.

use slab_tests::qemu::{build, run_qemu, skipped};

#[test]
fn embassy_firmware_runs_on_thumbv7m() {
    run_firmware("thumbv7m-none-eabi");
}

#[test]
fn embassy_firmware_runs_on_thumbv6m() {
    run_firmware("thumbv6m-none-eabi");
}

/// The firmware's own checks, at least this many (it runs about 1,250).
const MIN_CHECKS: u32 = 1_000;

fn run_firmware(target: &str) {
    if skipped() {
        return;
    }
    let elf = build("examples/embassy-firmware", "slab-embassy-firmware", target);
    let (success, stdout, stderr) = run_qemu(&elf);
    let shown = format!("--- stdout\n{stdout}--- stderr\n{stderr}");
    assert!(
        stdout.contains(&format!("embassy: slab on {target}\n")),
        "no banner\n{shown}"
    );
    assert!(
        !stdout.contains("embassy: FAILED"),
        "a check failed\n{shown}"
    );

    // `embassy: N passed, N failed`, the last line.
    let last = stdout.lines().last().unwrap_or_default();
    let (passed, failed) = last
        .strip_prefix("embassy: ")
        .and_then(|rest| rest.split_once(" passed, "))
        .and_then(|(passed, rest)| {
            let failed = rest.strip_suffix(" failed")?;
            Some((passed.parse::<u32>().ok()?, failed.parse::<u32>().ok()?))
        })
        .unwrap_or_else(|| panic!("no result line at the end\n{shown}"));
    assert_eq!(failed, 0, "failed checks\n{shown}");
    assert!(passed >= MIN_CHECKS, "only {passed} checks passed\n{shown}");
    assert!(
        success,
        "the firmware for {target} exited with failure\n{shown}"
    );
    // Every scenario ran, in order, and the flow moved all its blocks.
    let mut rest = stdout.as_str();
    for line in [
        "embassy: arrival order\n",
        "embassy: cancelled while queued\n",
        "embassy: cancelled after a grant\n",
        "embassy: steady flow\n",
        "embassy: 400 blocks through the channel, ",
    ] {
        let at = rest
            .find(line)
            .unwrap_or_else(|| panic!("no {line:?} (in this order)\n{shown}"));
        rest = &rest[at + line.len()..];
    }

    // The registry table after boot and at the end: one row per slab,
    // `name block blocks used free max ready`.
    let (after_boot, at_end) = stdout
        .split_once("embassy: registry at the end\n")
        .unwrap_or_else(|| panic!("no final registry table\n{shown}"));
    for (table, rows) in [
        (
            after_boot,
            [
                ["POOL", "32", "2", "0", "2", "0", "yes"],
                ["FRAMES", "64", "3", "0", "3", "0", "yes"],
            ],
        ),
        (
            at_end,
            [
                ["POOL", "32", "2", "0", "2", "2", "yes"],
                ["FRAMES", "64", "3", "0", "3", "3", "yes"],
            ],
        ),
    ] {
        slab_tests::qemu::assert_registry_table(table, &rows, &shown);
    }
    let arch = target.split('-').next().unwrap_or(target);
    slab_tests::record_evidence(
        &format!("qemu_embassy_{arch}"),
        &format!(
            "embassy ({target}, QEMU): {passed} firmware checks passed, 0 failed: async waiters \
             served in arrival order, two cancellations by embassy-time timers without a lost \
             block, 400 blocks through an embassy-sync channel and an interrupt handler"
        ),
    );
}
