//! The bare-metal firmware (`examples/firmware`) built for thumbv7m-none-eabi
//! and thumbv6m-none-eabi and run under `qemu-system-arm -machine
//! lm3s6965evb`: it must exit successfully and print its registry table and
//! result line. Its ELF must keep the registry in flash (what `slab.x` is for).
//!
//! Needs `qemu-system-arm` and the two Rust targets (`cargo xtask test`
//! installs them). When either is missing these tests fail, saying how to
//! install it, unless `SLAB_SKIP_QEMU=1`, which skips them.

use std::path::PathBuf;

use slab_tests::qemu::{Elf32, FLASH_END, RAM_START, run_qemu, skipped};

/// The firmware declares three slabs, and its `fast_path` module three.
const DECLARED: u32 = 3 + 3;

/// Builds `examples/firmware` for `target` and returns its ELF.
fn build(target: &str) -> PathBuf {
    slab_tests::qemu::build("examples/firmware", "slab-firmware", target)
}

#[test]
fn firmware_runs_on_thumbv7m() {
    run_firmware("thumbv7m-none-eabi");
}

#[test]
fn firmware_runs_on_thumbv6m() {
    run_firmware("thumbv6m-none-eabi");
}

#[test]
fn registry_is_in_flash_thumbv7m() {
    registry_in_flash("thumbv7m-none-eabi");
}

#[test]
fn registry_is_in_flash_thumbv6m() {
    registry_in_flash("thumbv6m-none-eabi");
}

fn run_firmware(target: &str) {
    if skipped() {
        return;
    }
    let elf = build(target);
    let (success, stdout, stderr) = run_qemu(&elf);
    let shown = format!("--- stdout\n{stdout}--- stderr\n{stderr}");
    assert!(success, "the firmware for {target} failed\n{shown}");
    assert!(
        stdout.contains(&format!("firmware: slab on {target}\n")),
        "no banner\n{shown}"
    );
    let checks = stdout
        .lines()
        .find_map(|l| l.strip_prefix("firmware: all checks passed ("))
        .and_then(|rest| rest.strip_suffix(" checks)"))
        .and_then(|n| n.parse::<u32>().ok())
        .unwrap_or_else(|| panic!("no result line\n{shown}"));
    assert!(checks > 5_000, "only {checks} checks ran\n{shown}");
    assert!(
        stdout.contains("firmware: 2000 interrupt-to-thread hand-offs"),
        "no hand-off summary\n{shown}"
    );
    for level in ["full", "bounds"] {
        assert!(
            stdout.lines().any(|l| l
                .starts_with(&format!("firmware: fast path, checks = \"{level}\": "))
                && l.ends_with(": passed")),
            "the fast-path checks at checks = {level:?} did not run\n{shown}"
        );
    }

    // The registry table, printed after boot and at the end: one row per
    // slab, `name block blocks used free max ready`.
    let (after_boot, at_end) = stdout
        .split_once("firmware: registry at the end\n")
        .unwrap_or_else(|| panic!("no final registry table\n{shown}"));
    for (table, rows) in [
        (
            after_boot,
            [
                ["POOL", "24", "4", "0", "4", "0", "yes"],
                ["HANDOFF", "32", "2", "0", "2", "0", "yes"],
                ["IRQ_BUFS", "16", "1", "0", "1", "0", "yes"],
            ],
        ),
        (
            at_end,
            [
                ["POOL", "24", "4", "0", "4", "4", "yes"],
                ["HANDOFF", "32", "2", "0", "2", "2", "yes"],
                ["IRQ_BUFS", "16", "1", "0", "1", "1", "yes"],
            ],
        ),
    ] {
        assert!(
            table
                .lines()
                .any(|l| l.split_whitespace().next() == Some("name")),
            "no table header\n{shown}"
        );
        for row in rows {
            let found: Vec<Vec<&str>> = table
                .lines()
                .map(|l| l.split_whitespace().collect::<Vec<_>>())
                .filter(|t| t.first() == Some(&row[0]))
                .collect();
            assert_eq!(found, [row.to_vec()], "registry row {}\n{shown}", row[0]);
        }
    }
}

fn registry_in_flash(target: &str) {
    if skipped() {
        return;
    }
    let path = build(target);
    let bytes = std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let elf = Elf32::parse(&bytes).unwrap_or_else(|e| panic!("{}: {e}", path.display()));

    let word = 4;
    for (name, size) in [
        // One pointer per declared slab.
        ("linkme_SLAB_CORE_REGISTRY", DECLARED * word),
        // linkme's duplicate check: one word per distributed slice.
        ("linkm2_SLAB_CORE_REGISTRY", word),
    ] {
        let section = elf
            .section(name)
            .unwrap_or_else(|| panic!("{target}: no section {name}"));
        assert_eq!(section.size, size, "{target}: size of {name}");
        assert!(
            section.addr + section.size <= FLASH_END,
            "{target}: {name} at {:#x} is not in flash",
            section.addr
        );
        // Loaded where it runs: in flash, not copied from elsewhere.
        let load = elf
            .load_address(section.addr)
            .unwrap_or_else(|| panic!("{target}: {name} is in no loadable segment"));
        assert_eq!(load, section.addr, "{target}: load address of {name}");
        for (symbol, at) in [("__start_", section.addr), ("__stop_", section.addr + size)] {
            let symbol = format!("{symbol}{name}");
            assert_eq!(
                elf.symbol(&symbol),
                Some(at),
                "{target}: {symbol} must bound the section"
            );
        }
    }
    let data = elf.section(".data").expect(".data");
    assert!(data.addr >= RAM_START, "{target}: .data is in RAM");
    let data_load = elf.load_address(data.addr).expect(".data is loaded");
    let registry = elf.section("linkme_SLAB_CORE_REGISTRY").expect("registry");
    assert!(
        data_load >= registry.addr + registry.size,
        "{target}: the .data image ({data_load:#x}) overlaps the registry"
    );
    assert!(
        !elf.sections
            .iter()
            .any(|s| s.name.contains("SLAB_CORE_REGISTRY") && s.addr >= RAM_START),
        "{target}: a registry section landed in RAM"
    );
}
