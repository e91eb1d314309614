//! A 64-bit host executable (this test, a position-independent one) read
//! by `slab-footprint`: the report lists exactly the slabs that
//! `slab_core::registry()` lists at run time; damaged or foreign images are
//! refused with a message that says why.

mod common;

use std::path::{Path, PathBuf};

use common::{check_budget, report, run};
use slab_core::{MemSlab, mem_slab};

#[mem_slab(blocks = 5, size = 40, name = "host-rx")]
static HOST_RX: MemSlab;

#[mem_slab(blocks = 3, type = u64, checks = "bounds")]
static HOST_BOUNDS: MemSlab;

#[mem_slab(blocks = 2, size = 128, align = 64, section = ".noinit")]
static HOST_NOINIT: MemSlab;

fn this_elf() -> PathBuf {
    std::env::current_exe().expect("the test's path")
}

/// `bytes` written to a file of the test's own temporary directory.
fn fixture(name: &str, bytes: &[u8]) -> PathBuf {
    let path = Path::new(env!("CARGO_TARGET_TMPDIR")).join(name);
    std::fs::write(&path, bytes).expect("write a fixture");
    path
}

#[test]
fn the_report_matches_the_registry_at_run_time() {
    slab_core::boot();
    let registry = slab_core::registry();
    // With `std`, the block buffer and the flags are statics aligned (so
    // sized) to 128 bytes, like the MemSlab: that padding is RAM too.
    let mut expected: Vec<(String, u64, u64, u64)> = registry
        .iter()
        .map(|s| {
            let bytes = (s.buffer_range().len() as u64).next_multiple_of(128);
            (
                s.name().to_owned(),
                s.block_size() as u64,
                s.num_blocks() as u64,
                bytes,
            )
        })
        .collect();
    expected.sort();
    for slab in [&HOST_RX, &HOST_BOUNDS, &HOST_NOINIT] {
        assert!(registry.iter().any(|s| core::ptr::eq(s, slab)));
    }

    let (shown, rows, total) = report(&this_elf());
    let read: Vec<(String, u64, u64, u64)> = rows
        .iter()
        .map(|r| (r.name.clone(), r.block_size, r.blocks, r.buffer))
        .collect();
    // Sorted by name, as registry()'s table is.
    assert_eq!(read, expected, "{shown}");

    let row = |name: &str| rows.iter().find(|r| r.name == name).unwrap();
    // With `std` a MemSlab is 128-byte aligned and sized.
    assert_eq!(
        row("host-rx").memslab,
        core::mem::size_of::<MemSlab>() as u64,
        "{shown}"
    );
    assert_eq!(row("host-rx").flags, 128, "{shown}"); // 5 + 1 flag bytes, one word, padded
    assert_eq!(row("HOST_BOUNDS").flags, 0, "{shown}");
    assert_eq!(row("host-rx").section, ".bss", "{shown}");
    assert_eq!(row("HOST_NOINIT").section, ".noinit", "{shown}");
    assert_eq!(
        total,
        rows.iter().map(|r| r.ram).sum::<u64>() + c_slabs_ram(&shown),
        "{shown}"
    );
    check_budget(&this_elf(), total);
}

/// The RAM column of the C slabs' table (none in this program).
fn c_slabs_ram(shown: &str) -> u64 {
    shown
        .split_once("C slabs")
        .map(|(_, rest)| {
            rest.lines()
                .skip(2)
                .take_while(|l| !l.is_empty())
                .map(|l| l.split_whitespace().nth(6).unwrap().parse::<u64>().unwrap())
                .sum()
        })
        .unwrap_or(0)
}

#[test]
fn a_file_that_is_not_elf_is_refused() {
    let path = fixture("not-elf", b"#!/bin/sh\necho hello\n");
    let (code, stdout, stderr) = run(&[path.as_os_str()]);
    assert_eq!(code, 2, "{stdout}{stderr}");
    assert!(stderr.contains(": not an ELF image: "), "{stderr}");
    assert!(stdout.is_empty(), "{stdout}");
}

#[test]
fn an_elf_without_slabs_is_refused() {
    // slab-footprint itself links no slab-core.
    let tool = Path::new(env!("CARGO_BIN_EXE_slab-footprint"));
    let (code, _, stderr) = run(&[tool.as_os_str()]);
    assert_eq!(code, 2, "{stderr}");
    assert!(
        stderr.contains(
            "no slab registry (no section linkme_SLAB_CORE_REGISTRY): was the firmware \
             linked with -Tslab.x, and does it declare a slab?"
        ),
        "{stderr}"
    );
}

/// A descriptor the tool does not know (another format, or one for another
/// pointer width) is refused, never read with guessed offsets.
#[test]
fn an_unknown_layout_descriptor_is_refused() {
    use object::{Object, ObjectSection};

    let elf = std::fs::read(this_elf()).unwrap();
    let at = {
        let file = object::File::parse(&*elf).unwrap();
        let section = file
            .section_by_name("slab_core_layout")
            .expect("the descriptor");
        section.file_range().expect("in the file").0 as usize
    };
    assert_eq!(&elf[at..at + 8], b"SLABLAY1");

    // No descriptor at all: its section renamed in the section names.
    let mut renamed = elf.clone();
    let names = {
        let file = object::File::parse(&*elf).unwrap();
        let (start, len) = file
            .section_by_name(".shstrtab")
            .unwrap()
            .file_range()
            .unwrap();
        start as usize..(start + len) as usize
    };
    let name_at = names.start
        + elf[names]
            .windows(17)
            .position(|w| w == b"slab_core_layout\0")
            .expect("the section's name");
    renamed[name_at] = b'x';
    let path = fixture("no-layout", &renamed);
    let (code, _, stderr) = run(&[path.as_os_str()]);
    assert_eq!(code, 2, "{stderr}");
    assert!(
        stderr.contains(": no slab_core_layout section: "),
        "{stderr}"
    );

    let mut other_format = elf.clone();
    other_format[at + 7] = b'9';
    let path = fixture("other-format", &other_format);
    let (code, _, stderr) = run(&[path.as_os_str()]);
    assert_eq!(code, 2, "{stderr}");
    assert!(
        stderr.contains("unknown slab_core_layout: expected the magic"),
        "{stderr}"
    );

    let mut other_width = elf.clone();
    other_width[at + 8] = 4; // the pointer width, little-endian u32
    let path = fixture("other-width", &other_width);
    let (code, _, stderr) = run(&[path.as_os_str()]);
    assert_eq!(code, 2, "{stderr}");
    assert!(
        stderr.contains(
            "unknown slab_core_layout: it says 4-byte pointers in an ELF of 8-byte pointers"
        ),
        "{stderr}"
    );
}

#[test]
fn bad_arguments_are_refused() {
    for args in [
        &[][..],
        &["--max-ram"][..],
        &["x", "--max-ram", "lots"][..],
        &["x", "y"][..],
        &["--frobnicate"][..],
    ] {
        let args: Vec<&std::ffi::OsStr> = args.iter().map(|a| a.as_ref()).collect();
        let (code, stdout, stderr) = run(&args);
        assert_eq!(code, 2, "{args:?}: {stdout}{stderr}");
        assert!(
            stderr.contains("usage: slab-footprint <ELF> [--max-ram <bytes>]"),
            "{stderr}"
        );
    }
    let (code, _, stderr) = run(&["/nonexistent/firmware.elf".as_ref()]);
    assert_eq!(code, 2);
    assert!(stderr.contains("/nonexistent/firmware.elf: "), "{stderr}");
}

/// Without a symbol table, the buffer and flags sizes are computed from
/// the shape (so without the alignment padding that the symbols show);
/// names and shapes are the same.
#[test]
fn a_stripped_image_is_read_from_its_shapes() {
    let stripped = Path::new(env!("CARGO_TARGET_TMPDIR")).join("stripped");
    let status = std::process::Command::new("strip")
        .arg("-o")
        .arg(&stripped)
        .arg(this_elf())
        .status()
        .expect("binutils' strip");
    assert!(status.success());

    let (_, full, _) = report(&this_elf());
    let (shown, rows, _) = report(&stripped);
    assert_eq!(rows.len(), full.len(), "{shown}");
    for (row, full) in rows.iter().zip(&full) {
        assert_eq!(
            (&row.name, row.block_size, row.blocks, &row.section),
            (&full.name, full.block_size, full.blocks, &full.section),
            "{shown}"
        );
        assert_eq!(row.buffer, row.block_size * row.blocks, "{shown}");
        let flags = if row.name == "HOST_BOUNDS" {
            0
        } else {
            (row.blocks + 1).div_ceil(8) * 8
        };
        assert_eq!(row.flags, flags, "{shown}");
    }
}
