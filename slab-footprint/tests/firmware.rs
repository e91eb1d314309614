//! The QEMU firmware of `examples/firmware`, built for thumbv7m-none-eabi:
//! the report read from its ELF lists exactly the slabs, block sizes and
//! block counts that the firmware's `slab_core::registry()` prints when it
//! runs, with the buffer sizes and sections its declarations ask for.
//!
//! Needs QEMU and the target, like slab-tests' QEMU tests
//! (`SLAB_SKIP_QEMU=1` skips).

mod common;

use common::{Row, check_budget, report};
use slab_tests::qemu;

const TARGET: &str = "thumbv7m-none-eabi";

/// The first registry table the firmware prints (just after `boot()`):
/// (name, block size, blocks) per row, in its order.
fn printed_registry(stdout: &str) -> Vec<(String, u64, u64)> {
    let after_banner = stdout
        .split_once(&format!("firmware: slab on {TARGET}\n"))
        .unwrap_or_else(|| panic!("no banner\n{stdout}"))
        .1;
    let mut lines = after_banner.lines();
    let header = lines.next().unwrap_or_default();
    assert!(
        header.starts_with("name") && header.contains("block size"),
        "{stdout}"
    );
    lines
        .map(|l| l.split_whitespace().collect::<Vec<_>>())
        .take_while(|t| t.len() == 7 && matches!(t[6], "yes" | "no"))
        .map(|t| {
            (
                t[0].to_owned(),
                t[1].parse().unwrap(),
                t[2].parse().unwrap(),
            )
        })
        .collect()
}

#[test]
fn the_report_matches_what_the_firmware_prints() {
    if qemu::skipped() {
        return;
    }
    let elf = qemu::build("examples/firmware", "slab-firmware", TARGET);
    let (success, stdout, stderr) = qemu::run_qemu(&elf);
    assert!(success, "the firmware failed\n{stdout}{stderr}");
    let printed = printed_registry(&stdout);
    assert!(printed.len() >= 3, "{stdout}");

    let (report, rows, total) = report(&elf);
    let read: Vec<(String, u64, u64)> = rows
        .iter()
        .map(|r| (r.name.clone(), r.block_size, r.blocks))
        .collect();
    assert_eq!(read, printed, "report:\n{report}\nfirmware:\n{stdout}");

    let row = |name: &str| -> &Row { rows.iter().find(|r| r.name == name).unwrap() };
    for r in &rows {
        // The buffer is exactly the blocks (ELF32: 4-byte words); every
        // slab's MemSlab is in .data, const-initialised.
        assert_eq!(r.buffer, r.block_size * r.blocks, "{report}");
        assert_eq!(r.ram, r.buffer + r.flags + r.memslab, "{report}");
    }
    // `section = ".noinit"` in the firmware's noinit.rs.
    assert_eq!(row("NOINIT_FRAMES").section, ".noinit", "{report}");
    assert_eq!(row("POOL").section, ".bss", "{report}");
    // Flags: one byte per block and a sentinel, in words; none for bounds.
    assert_eq!(row("POOL").flags, 8, "{report}");
    assert_eq!(row("FAST_BOUNDS").flags, 0, "{report}");
    // The C slab of c/c_abi.c: K_MEM_SLAB_DEFINE_STATIC(c_scratch, 16, 2, 8).
    assert!(
        report.lines().any(|l| l
            .split_whitespace()
            .take(4)
            .eq(["c_scratch", "16", "2", "32"])),
        "{report}"
    );
    let code = report
        .lines()
        .find_map(|l| l.strip_prefix("slab-core code and read-only data in flash: about "))
        .and_then(|l| l.split(' ').next()?.parse::<u64>().ok())
        .unwrap_or_else(|| panic!("{report}"));
    assert!(
        (1_000..u64::from(qemu::FLASH_END)).contains(&code),
        "{report}"
    );

    check_budget(&elf, total);
    readme_shows(&report);
}

/// The README's copy of this report shows the firmware's slabs as they
/// are: each row's name, block size, blocks, buffer bytes and section (the
/// other byte counts follow slab-core's internals and toolchain).
fn readme_shows(report: &str) {
    let readme = std::fs::read_to_string(qemu::workspace_root().join("README.md")).unwrap();
    let block: Vec<&str> = readme
        .split("```text\n$ cargo run -p slab-footprint -- ")
        .nth(1)
        .and_then(|rest| rest.split("\n```").next())
        .expect("the README's slab-footprint block")
        .lines()
        .skip(1)
        .collect();
    let columns = |lines: &mut dyn Iterator<Item = &str>| -> Vec<Vec<String>> {
        lines
            .filter(|l| l.split_whitespace().count() == 8 && !l.starts_with("name"))
            .map(|l| {
                let t: Vec<&str> = l.split_whitespace().collect();
                [0, 1, 2, 3, 7].iter().map(|&i| t[i].to_owned()).collect()
            })
            .collect()
    };
    assert_eq!(
        columns(&mut block.iter().copied()),
        columns(&mut report.lines()),
        "the README's slab-footprint output is stale; the real one:\n{report}"
    );
}
