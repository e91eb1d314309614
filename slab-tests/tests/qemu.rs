//! The bare-metal firmware (`examples/firmware`) built for
//! thumbv7m-none-eabi and thumbv6m-none-eabi and run under `qemu-system-arm
//! -machine lm3s6965evb`, and built for thumbv8m.main-none-eabi (Cortex-M33)
//! and run under `-machine mps2-an505`: it must exit successfully and print
//! its registry table and result line. Its ELF must keep the registry in
//! flash and place `.noinit` in RAM as NOLOAD (what `slab.x` is for), with
//! an image that fits flash.
//!
//! Needs `qemu-system-arm` and the three Rust targets (`cargo xtask test`
//! installs them). When either is missing these tests fail, saying how to
//! install it, unless `SLAB_SKIP_QEMU=1`, which skips them.

use std::path::PathBuf;

use slab_tests::qemu::{
    LM3S6965, MPS2_AN505, Machine, assert_noinit_noload, assert_registry_in_flash, passed_failed,
    read_elf, run_on, skipped, workspace_root,
};

/// The firmware declares three slabs, its `noinit` module one and its
/// `fast_path` module four.
const DECLARED: u32 = 3 + 1 + 4;

/// Builds `examples/firmware` for `target` and returns its ELF.
fn build(target: &str) -> PathBuf {
    slab_tests::qemu::build("examples/firmware", "slab-firmware", target)
}

/// The board each target runs on (examples/common's build helper picks
/// the matching `memory.x`).
fn machine(target: &str) -> &'static Machine {
    if target.starts_with("thumbv8m") {
        &MPS2_AN505
    } else {
        &LM3S6965
    }
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
fn firmware_runs_on_thumbv8m_main() {
    run_firmware("thumbv8m.main-none-eabi");
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
fn registry_is_in_flash_thumbv8m_main() {
    registry_in_flash("thumbv8m.main-none-eabi");
}

#[test]
fn noinit_is_noload_in_ram_thumbv7m() {
    noinit_noload("thumbv7m-none-eabi");
}

#[test]
fn noinit_is_noload_in_ram_thumbv6m() {
    noinit_noload("thumbv6m-none-eabi");
}

#[test]
fn noinit_is_noload_in_ram_thumbv8m_main() {
    noinit_noload("thumbv8m.main-none-eabi");
}

fn run_firmware(target: &str) {
    if skipped() {
        return;
    }
    let elf = build(target);
    let (success, stdout, stderr) = run_on(machine(target), &elf);
    let shown = format!("--- stdout\n{stdout}--- stderr\n{stderr}");
    assert!(success, "the firmware for {target} failed\n{shown}");
    assert!(
        stdout.contains(&format!("firmware: slab on {target}\n")),
        "no banner\n{shown}"
    );
    let (checks, failed) =
        passed_failed(&stdout).unwrap_or_else(|| panic!("no result line\n{shown}"));
    assert_eq!(failed, 0, "failed checks\n{shown}");
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

#[test]
fn tracking_finds_the_block_a_handler_kept_thumbv7m() {
    tracking_finds_a_leak("thumbv7m-none-eabi");
}

#[test]
fn tracking_finds_the_block_a_handler_kept_thumbv6m() {
    tracking_finds_a_leak("thumbv6m-none-eabi");
}

/// The firmware with its `track` feature (slab-core's `track` and
/// `trace`), into a target directory of its own: its `leak` module has the
/// doorbell handler keep a block of `LEAKY`, then asks `holders()` who
/// holds the blocks. The handler's line must be named, by `holders()`, by
/// the leak helper and in the registry's table at the end; a block that C
/// code allocated with `k_mem_slab_alloc` names the C file and line; the
/// trace hook's counts are checked on the target (`N passed, 0 failed`).
fn tracking_finds_a_leak(target: &str) {
    if skipped() {
        return;
    }
    let elf = slab_tests::qemu::build_into(
        "examples/firmware",
        "slab-firmware",
        target,
        &["--features", "track"],
        "-track",
    );
    let (success, stdout, stderr) = run_on(machine(target), &elf);
    let shown = format!("--- stdout\n{stdout}--- stderr\n{stderr}");
    assert!(success, "the firmware for {target} failed\n{shown}");
    assert!(
        passed_failed(&stdout).is_some_and(|(passed, failed)| passed > 0 && failed == 0),
        "no result line\n{shown}"
    );
    // The sites, from the source: the handler's allocation and thread
    // mode's, each at the column of the call.
    let source =
        std::fs::read_to_string(workspace_root().join("examples/firmware/src/leak.rs")).unwrap();
    let site = |marker: &str| {
        let (index, line) = source
            .lines()
            .enumerate()
            .find(|(_, l)| l.contains(marker))
            .unwrap_or_else(|| panic!("no `{marker}` in leak.rs"));
        // A method call's location is the method's name.
        let column = line.find("LEAKY.alloc").unwrap() + "LEAKY.".len() + 1;
        format!("src/leak.rs:{}:{column}", index + 1)
    };
    let handler = site("(LEAKY.alloc(Timeout::NoWait), line!())");
    let thread = site("let mine = LEAKY.alloc(");
    // C's `k_mem_slab_alloc` (slab.h's macro under `SLAB_CORE_TRACK`):
    // its file and line, no column.
    let c_source =
        std::fs::read_to_string(workspace_root().join("examples/firmware/c/c_abi.c")).unwrap();
    let c_line = c_source
        .lines()
        .position(|l| l.contains("k_mem_slab_alloc(slab, &block, K_NO_WAIT); *line = __LINE__;"))
        .expect("c_abi_track_alloc's call in c_abi.c")
        + 1;
    let c_site = format!("c/c_abi.c:{c_line}");
    let holders: Vec<&str> = stdout
        .lines()
        .filter_map(|l| l.strip_prefix("firmware: holder: "))
        .collect();
    assert_eq!(holders.len(), 3, "three holders\n{shown}");
    for (holder, site) in holders.iter().zip([&c_site, &handler, &thread]) {
        assert!(
            holder.starts_with("LEAKY block ")
                && holder.contains(&format!(") held by {site} since tick ")),
            "holder {holder:?}, expected {site}\n{shown}"
        );
    }
    assert!(
        stdout.lines().any(|l| l.starts_with(&format!(
            "firmware: leak suspect: LEAKY block 0 held by {handler} for "
        )) && l.ends_with(" ms")),
        "no leak suspect line\n{shown}"
    );
    // The README shows these lines: the same, up to addresses and times.
    let readme = std::fs::read_to_string(workspace_root().join("README.md")).unwrap();
    let shown_in_readme: Vec<String> = readme
        .split("```text\n")
        .find(|b| b.starts_with("firmware: holder: "))
        .expect("the README's block of holder lines")
        .lines()
        .take_while(|l| *l != "```")
        .map(without_numbers)
        .collect();
    let printed: Vec<String> = stdout
        .lines()
        .filter(|l| {
            l.starts_with("firmware: holder: ") || l.starts_with("firmware: leak suspect: ")
        })
        .map(without_numbers)
        .collect();
    assert_eq!(
        shown_in_readme, printed,
        "the README's copy differs\n{shown}"
    );
    let (_, at_end) = stdout
        .split_once("firmware: registry at the end\n")
        .unwrap_or_else(|| panic!("no final registry table\n{shown}"));
    slab_tests::qemu::assert_registry_table(
        at_end,
        &[["LEAKY", "16", "2", "1", "1", "2", "yes"]],
        &shown,
    );
    let summary: Vec<&str> = at_end
        .lines()
        .skip_while(|l| !l.starts_with("LEAKY "))
        .skip(1)
        .take_while(|l| l.starts_with("  "))
        .collect();
    assert_eq!(
        summary,
        [format!("  1 block held by {handler}")],
        "the table's summary under LEAKY\n{shown}"
    );
}

/// `line` with what changes from run to run and target to target shown
/// as `…`: the block's address, its tick and its age.
fn without_numbers(line: &str) -> String {
    let mut out = String::new();
    let mut rest = line;
    for (start, end) in [("(0x", ")"), ("since tick ", ""), (" for ", " ms")] {
        if let Some(at) = rest.find(start) {
            let from = at + start.len();
            let to = if end.is_empty() {
                rest.len()
            } else {
                rest[from..].find(end).map_or(rest.len(), |e| from + e)
            };
            out.push_str(&rest[..from]);
            out.push('…');
            rest = &rest[to..];
        }
    }
    out + rest
}

fn registry_in_flash(target: &str) {
    if skipped() {
        return;
    }
    let word = 4;
    let sections = [
        // One pointer per declared slab.
        ("linkme_SLAB_CORE_REGISTRY", DECLARED * word),
        // linkme's duplicate check: one word per distributed slice.
        ("linkm2_SLAB_CORE_REGISTRY", word),
        // The C part's one K_MEM_SLAB_DEFINE: a seven-word definition.
        ("linkme_SLAB_CORE_C_SLABS", 7 * word),
        ("linkm2_SLAB_CORE_C_SLABS", word),
    ];
    let elf = read_elf(&build(target));
    assert_registry_in_flash(&elf, machine(target), target, &sections);
}

/// `section = ".noinit"` (the firmware's `NOINIT_FRAMES`, two blocks of
/// 64 bytes): in RAM, NOLOAD, not zeroed at reset, not in the image.
fn noinit_noload(target: &str) {
    if skipped() {
        return;
    }
    let elf = read_elf(&build(target));
    assert_noinit_noload(&elf, machine(target), target, "NOINIT_FRAMES", 128);
}
