//! The RISC-V firmware (`examples/riscv-firmware`) built for
//! riscv32imac-unknown-none-elf and run on one hart under
//! `qemu-system-riscv32 -machine virt -bios none`: every check must pass
//! (the exact count, so that none is skipped), with the summaries of each
//! part and the registry table; its ELF, linked with riscv-rt's `link.x`
//! and slab-core's `slab.x`, must keep the registry in flash and place
//! `.noinit` in RAM as NOLOAD.
//!
//! Needs `qemu-system-riscv32` (Debian's `qemu-system-misc`) and the Rust
//! target (`cargo xtask test` installs both). When either is missing these
//! tests fail, saying how to install it, unless `SLAB_SKIP_QEMU=1`, which
//! skips them.

use std::path::PathBuf;

use slab_tests::qemu::{
    RISCV_VIRT, assert_every_check_passed, assert_noinit_noload, assert_registry_in_flash,
    assert_registry_table, read_elf, run_on, skipped,
};

const TARGET: &str = "riscv32imac-unknown-none-elf";

/// Checks the firmware makes: every one counted, none conditional.
const CHECKS: u32 = 11_146;

/// Slabs in the registry: three declared in `main.rs`, the heap's three
/// classes and `fast_path`'s four.
const DECLARED: u32 = 3 + 3 + 4;

fn build() -> PathBuf {
    slab_tests::qemu::build("examples/riscv-firmware", "slab-riscv-firmware", TARGET)
}

#[test]
fn riscv_firmware_passes_every_check() {
    if skipped() {
        return;
    }
    let (success, stdout, stderr) = run_on(&RISCV_VIRT, &build());
    let shown = assert_every_check_passed(success, &stdout, &stderr, CHECKS);
    for line in [
        format!("firmware: slab on {TARGET}"),
        "firmware: fast path, checks = \"full\": drain to NoMemory, bad pointers, double free, \
         corrupted links: passed"
            .into(),
        "firmware: fast path, checks = \"bounds\": drain to NoMemory, bad pointers, free with \
         nothing allocated, corrupted link followed: passed"
            .into(),
        "firmware: SlabHeap: Vec, String and Box from the smallest class that fits".into(),
    ] {
        assert!(
            stdout.lines().any(|l| l == line),
            "no line {line:?}\n{shown}"
        );
    }
    assert!(
        stdout.lines().any(|l| l.starts_with(
            "firmware: 2400 interrupt-to-thread hand-offs (800 by the machine timer, \
             800 by the doorbell in the window, 800 by the doorbell while masked)"
        )),
        "no hand-off summary\n{shown}"
    );

    let (after_boot, at_end) = stdout
        .split_once("firmware: registry at the end\n")
        .unwrap_or_else(|| panic!("no final registry table\n{shown}"));
    for (table, rows) in [
        (
            after_boot,
            [
                ["POOL", "24", "4", "0", "4", "0", "yes"],
                ["HANDOFF", "32", "2", "0", "2", "0", "yes"],
                ["NOINIT_FRAMES", "64", "2", "0", "2", "0", "yes"],
                ["HEAP/256", "256", "4", "0", "4", "0", "yes"],
            ],
        ),
        (
            at_end,
            [
                ["POOL", "24", "4", "0", "4", "4", "yes"],
                ["HANDOFF", "32", "2", "0", "2", "2", "yes"],
                ["NOINIT_FRAMES", "64", "2", "0", "2", "2", "yes"],
                ["HEAP/256", "256", "4", "0", "4", "4", "yes"],
            ],
        ),
    ] {
        assert_registry_table(table, &rows, &shown);
    }
}

#[test]
fn riscv_registry_is_in_flash() {
    if skipped() {
        return;
    }
    let word = 4;
    let sections = [
        ("linkme_SLAB_CORE_REGISTRY", DECLARED * word),
        ("linkm2_SLAB_CORE_REGISTRY", word),
    ];
    let elf = read_elf(&build());
    assert_registry_in_flash(&elf, &RISCV_VIRT, TARGET, &sections);
}

#[test]
fn riscv_noinit_is_noload_in_ram() {
    if skipped() {
        return;
    }
    let elf = read_elf(&build());
    assert_noinit_noload(&elf, &RISCV_VIRT, TARGET, "NOINIT_FRAMES", 128);
}
