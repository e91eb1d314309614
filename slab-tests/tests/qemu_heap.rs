//! The `SlabHeap` firmware (`examples/heap-firmware`), built for
//! thumbv7m-none-eabi and thumbv6m-none-eabi and run under
//! `qemu-system-arm -machine lm3s6965evb`: `alloc` collections on a
//! `SlabHeap` global allocator, with allocation in an interrupt handler. It
//! must exit successfully, and its registry table must list every class,
//! all free at the end with a high-water mark above zero.
//!
//! Needs `qemu-system-arm` and the two Rust targets (`cargo xtask test`
//! installs them); `SLAB_SKIP_QEMU=1` skips these tests.

use slab_tests::qemu::{passed_failed, run_qemu, skipped};

/// The firmware's classes: (name, block size, blocks).
const CLASSES: [(&str, u32, u32); 7] = [
    ("HEAP/16", 16, 64),
    ("HEAP/32", 32, 32),
    ("HEAP/64", 64, 32),
    ("HEAP/128", 128, 16),
    ("HEAP/256", 256, 8),
    ("HEAP/1024", 1024, 8),
    ("HEAP/4096", 4096, 4),
];

#[test]
fn heap_firmware_runs_on_thumbv7m() {
    run("thumbv7m-none-eabi");
}

#[test]
fn heap_firmware_runs_on_thumbv6m() {
    run("thumbv6m-none-eabi");
}

fn run(target: &str) {
    if skipped() {
        return;
    }
    let elf = slab_tests::qemu::build("examples/heap-firmware", "slab-heap-firmware", target);
    let (success, stdout, stderr) = run_qemu(&elf);
    let shown = format!("--- stdout\n{stdout}--- stderr\n{stderr}");
    assert!(success, "the heap firmware for {target} failed\n{shown}");
    assert!(
        stdout.contains(&format!("firmware: SlabHeap on {target}\n")),
        "no banner\n{shown}"
    );
    let (checks, failed) =
        passed_failed(&stdout).unwrap_or_else(|| panic!("no result line\n{shown}"));
    assert_eq!(failed, 0, "failed checks\n{shown}");
    assert!(checks > 5_000, "only {checks} checks ran\n{shown}");
    let irq = stdout
        .lines()
        .find_map(|l| {
            l.strip_prefix("firmware: ")?
                .split_once(" interrupt-handler allocations, ")
        })
        .unwrap_or_else(|| panic!("no interrupt summary\n{shown}"));
    let allocations: u32 = irq.0.parse().expect("a count");
    assert!(
        allocations >= 1000,
        "{allocations} allocations in the handler\n{shown}"
    );

    let (after_boot, at_end) = stdout
        .split_once("firmware: registry at the end\n")
        .unwrap_or_else(|| panic!("no final registry table\n{shown}"));
    for (name, block, blocks) in CLASSES {
        let row = |table: &str| -> Vec<String> {
            table
                .lines()
                .map(|l| l.split_whitespace().map(String::from).collect::<Vec<_>>())
                .find(|cols| cols.first().is_some_and(|c| c == name))
                .unwrap_or_else(|| panic!("no row for {name}\n{shown}"))
        };
        let (block, blocks) = (block.to_string(), blocks.to_string());
        let boot = row(after_boot);
        assert_eq!(
            boot,
            [name, &block, &blocks, "0", &blocks, "0", "yes"],
            "{shown}"
        );
        let end = row(at_end);
        assert_eq!(end[..5], [name, &block, &blocks, "0", &blocks], "{shown}");
        let max: u32 = end[5].parse().expect("max used");
        assert!(max > 0, "{name} was used\n{shown}");
    }
}
