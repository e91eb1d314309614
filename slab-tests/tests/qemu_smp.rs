//! The two-hart firmware (`examples/smp-firmware`) built for
//! riscv32imac-unknown-none-elf and run on `qemu-system-riscv32 -machine
//! virt -smp 2 -bios none`, twice: with multi-threaded TCG (`-accel
//! tcg,thread=multi`: each hart on its own host thread, really in
//! parallel) and under `-icount` (one host thread running the harts in
//! turn: a deterministic interleaving, the same every run). Each run must
//! pass every check (the exact count), make exactly 100 000 hand-offs with
//! hart 0 woken by an IPI and 10 000 with it polling, and account for every
//! block.
//!
//! Needs `qemu-system-riscv32` (Debian's `qemu-system-misc`) and the Rust
//! target (`cargo xtask test` installs both). When either is missing these
//! tests fail, saying how to install it, unless `SLAB_SKIP_QEMU=1`, which
//! skips them.

use std::path::PathBuf;

use slab_tests::qemu::{
    Machine, RISCV_VIRT, RISCV_VIRT_SMP_ICOUNT, assert_every_check_passed, run_on, skipped,
};

const TARGET: &str = "riscv32imac-unknown-none-elf";

/// Checks the firmware makes: every one counted, none conditional.
const CHECKS: u32 = 43;

/// `virt` with two harts, multi-threaded TCG.
const VIRT_SMP_PARALLEL: Machine = Machine {
    args: &[
        "-machine",
        "virt",
        "-smp",
        "2",
        "-accel",
        "tcg,thread=multi",
        "-bios",
        "none",
    ],
    ..RISCV_VIRT
};

fn build() -> PathBuf {
    slab_tests::qemu::build("examples/smp-firmware", "slab-smp-firmware", TARGET)
}

/// Runs the firmware on `machine` and checks its report; returns its
/// output.
fn passes_every_check(machine: &Machine) -> String {
    let (success, stdout, stderr) = run_on(machine, &build());
    let shown = assert_every_check_passed(success, &stdout, &stderr, CHECKS);
    for prefix in [
        "firmware: 100000 cross-core hand-offs, hart 0 asleep in wfi, woken by an IPI: ",
        "firmware: 10000 cross-core hand-offs, hart 0 polling: ",
        "firmware: IPIs sent 100000, ",
    ] {
        assert!(
            stdout.lines().any(|l| l.starts_with(prefix)),
            "no line starting {prefix:?}\n{shown}"
        );
    }
    let counted = stdout
        .lines()
        .find_map(|l| {
            l.strip_prefix("firmware: critical sections bumping one count from both harts: ")
        })
        .and_then(|l| l.split_once(" of "))
        .unwrap_or_else(|| panic!("no count of critical sections\n{shown}"));
    assert_eq!(counted.0, counted.1, "updates lost\n{shown}");
    stdout
}

#[test]
fn two_harts_in_parallel_hand_off_and_lose_no_block() {
    if skipped() {
        return;
    }
    passes_every_check(&VIRT_SMP_PARALLEL);
}

#[test]
fn two_harts_under_icount_hand_off_and_lose_no_block() {
    if skipped() {
        return;
    }
    let first = passes_every_check(&RISCV_VIRT_SMP_ICOUNT);
    // Deterministic: a second run interleaves the harts the same way.
    let second = passes_every_check(&RISCV_VIRT_SMP_ICOUNT);
    assert_eq!(first, second, "two -icount runs differ");
}
