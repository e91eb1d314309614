//! The bare-metal firmware (`examples/firmware`) built for thumbv7m-none-eabi
//! and thumbv6m-none-eabi and run under `qemu-system-arm -machine
//! lm3s6965evb`: it must exit successfully and print its registry table and
//! result line. Its ELF must keep the registry in flash and place `.noinit`
//! in RAM as NOLOAD (what `slab.x` is for), with an image that fits flash.
//!
//! Needs `qemu-system-arm` and the two Rust targets (`cargo xtask test`
//! installs them). When either is missing these tests fail, saying how to
//! install it, unless `SLAB_SKIP_QEMU=1`, which skips them.

use std::path::PathBuf;

use slab_tests::qemu::{Elf32, FLASH_END, RAM_START, run_qemu, skipped};

/// LM3S6965: 64 KiB of RAM.
const RAM_END: u32 = RAM_START + 0x1_0000;
/// `sh_type` of a section that has no bytes in the file.
const SHT_NOBITS: u32 = 8;
/// `sh_flags`: writable, and in memory at run time.
const SHF_WRITE: u32 = 1;
const SHF_ALLOC: u32 = 2;

/// The firmware declares three slabs, its `noinit` module one and its
/// `fast_path` module three.
const DECLARED: u32 = 3 + 1 + 3;

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

#[test]
fn noinit_is_noload_in_ram_thumbv7m() {
    noinit_noload("thumbv7m-none-eabi");
}

#[test]
fn noinit_is_noload_in_ram_thumbv6m() {
    noinit_noload("thumbv6m-none-eabi");
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
    // The mixed C part (`c/c_abi.c`): every block of POOL allocated in C
    // and freed by an interrupt handler written in C.
    assert!(
        stdout.contains(
            "firmware: C ABI: 4 blocks of POOL allocated in C, freed by a C interrupt handler\n"
        ),
        "no C ABI summary\n{shown}"
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
        slab_tests::qemu::assert_registry_table(table, &rows, &shown);
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
        // The C part's one K_MEM_SLAB_DEFINE: a six-word definition.
        ("linkme_SLAB_CORE_C_SLABS", 6 * word),
        ("linkm2_SLAB_CORE_C_SLABS", word),
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

/// `section = ".noinit"` (the firmware's `NOINIT_FRAMES`): `slab.x` puts
/// `.noinit` in RAM as NOLOAD, after `.bss` (so not zeroed at reset), and
/// the image `objcopy -O binary` writes (every allocated section with
/// bytes, at its load address) stays within flash. Without the fragment's
/// `.noinit` the section is a loadable orphan in RAM and that image spans
/// 512 MiB.
fn noinit_noload(target: &str) {
    if skipped() {
        return;
    }
    let path = build(target);
    let bytes = std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let elf = Elf32::parse(&bytes).unwrap_or_else(|e| panic!("{}: {e}", path.display()));

    let noinit = elf
        .section(".noinit")
        .unwrap_or_else(|| panic!("{target}: no .noinit section"));
    assert_eq!(noinit.kind, SHT_NOBITS, "{target}: .noinit is NOLOAD");
    assert_eq!(
        noinit.flags & (SHF_ALLOC | SHF_WRITE),
        SHF_ALLOC | SHF_WRITE,
        "{target}: .noinit is allocated, writable memory"
    );
    assert!(
        noinit.addr >= RAM_START && noinit.addr + noinit.size <= RAM_END,
        "{target}: .noinit at {:#x}..{:#x} is in RAM",
        noinit.addr,
        noinit.addr + noinit.size
    );
    let bss = elf.section(".bss").expect(".bss");
    assert!(
        noinit.addr >= bss.addr + bss.size,
        "{target}: .noinit is after .bss, outside what reset zeroes"
    );
    // cortex-m-rt's reset handler zeroes `__sbss..__ebss`, and sections
    // inserted after `.bss` push `__ebss`: `.noinit` must start at or past it.
    let symbol = |wanted: &str| {
        elf.symbols
            .iter()
            .find(|(name, _)| name == wanted)
            .map(|(_, at)| *at)
            .unwrap_or_else(|| panic!("{target}: no symbol {wanted}"))
    };
    let (sbss, ebss) = (symbol("__sbss"), symbol("__ebss"));
    assert!(
        noinit.addr >= ebss || noinit.addr + noinit.size <= sbss,
        "{target}: .noinit at {:#x}..{:#x} is inside {sbss:#x}..{ebss:#x}, which reset zeroes",
        noinit.addr,
        noinit.addr + noinit.size
    );
    // The slab's buffer (two blocks of 64 bytes) is what is in it.
    let (storage, at) = elf
        .symbols
        .iter()
        .find(|(name, _)| name.contains("NOINIT_FRAMES") && name.contains("__SLAB_STORAGE"))
        .unwrap_or_else(|| panic!("{target}: no symbol for NOINIT_FRAMES's buffer"));
    assert!(
        noinit.addr <= *at && at + 128 <= noinit.addr + noinit.size,
        "{target}: {storage} at {at:#x} is in .noinit"
    );

    // The binary image: from the lowest to the highest load address of a
    // section with bytes in the file.
    let mut image: Option<(u32, u32)> = None;
    for section in elf
        .sections
        .iter()
        .filter(|s| s.flags & SHF_ALLOC != 0 && s.kind != SHT_NOBITS && s.size > 0)
    {
        let load = elf
            .load_address(section.addr)
            .unwrap_or_else(|| panic!("{target}: {} has bytes but no load address", section.name));
        assert!(
            load + section.size <= FLASH_END,
            "{target}: {} ({} bytes at {:#x}, loaded from {load:#x}) is not loaded from flash",
            section.name,
            section.size,
            section.addr
        );
        image = Some(image.map_or((load, load + section.size), |(lo, hi)| {
            (lo.min(load), hi.max(load + section.size))
        }));
    }
    let (lo, hi) = image.unwrap_or_else(|| panic!("{target}: an empty image"));
    assert!(
        hi - lo <= FLASH_END,
        "{target}: the binary image spans {} bytes, more than the flash",
        hi - lo
    );
}
