//! A host program whose `#[global_allocator]` is a `SlabHeap`, built the
//! way a user builds one: the fixture `slab-tests/fixtures/host-heap`, a
//! binary crate of its own that depends on slab-core (with `std`), declares
//! the heap with `slab_heap!` and never calls `boot()`, in a crate that
//! forbids `unsafe`. std's runtime allocates before `main`: the program
//! must start (the declaration boots every slab before `main`), allocate
//! `Vec`, `String` and `Box` from the heap's classes, and see them in
//! `stats()`. Built with cargo here, into `target/host-heap-fixture`.
//!
//! The constructor of the other platforms is checked in the fixture's
//! object files for Windows and macOS (compiled, not linked: there is no
//! linker for them here), whose targets `cargo xtask test` installs.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use slab_tests::qemu::workspace_root;

/// `cargo <args>` in the fixture, into `target/<dir>`.
fn cargo(args: &[&str], dir: &str) -> (Output, PathBuf) {
    let root = workspace_root();
    let target_dir = root
        .join(std::env::var_os("CARGO_TARGET_DIR").unwrap_or_else(|| "target".into()))
        .join(dir);
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let mut cmd = Command::new(cargo);
    cmd.args(args)
        .current_dir(root.join("slab-tests/fixtures/host-heap"))
        .env("CARGO_TARGET_DIR", &target_dir)
        .env("CARGO_TERM_COLOR", "never")
        // A panic's backtrace needs more memory than this heap has: keep a
        // failure's message readable.
        .env("RUST_BACKTRACE", "0");
    for var in ["RUSTFLAGS", "CARGO_ENCODED_RUSTFLAGS", "CARGO_BUILD_TARGET"] {
        cmd.env_remove(var);
    }
    let out = cmd
        .output()
        .unwrap_or_else(|e| panic!("cannot run cargo: {e}"));
    (out, target_dir)
}

#[test]
fn global_slab_heap_serves_std_before_and_after_main() {
    let (out, _) = cargo(&["run", "--quiet"], "host-heap-fixture");
    let (stdout, stderr) = (
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr),
    );
    assert!(
        out.status.success(),
        "the program did not run to the end:\n{stdout}\n{stderr}"
    );
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(
        lines,
        [
            "booted before main: 4 classes",
            "vec in HEAP/4096",
            "string in HEAP/32",
            "box in HEAP/256",
            "allocated bytes: 4384 more",
            "after drop: 0 more",
            "refused: 0",
        ],
        "{stderr}"
    );
}

/// The fixture's object file for `target`, compiled (the link is skipped:
/// `-C linker=true`).
fn object_for(target: &str) -> Vec<u8> {
    let (out, target_dir) = cargo(
        &[
            "rustc",
            "--quiet",
            "--bin",
            "host-heap",
            "--target",
            target,
            "--",
            "--emit=obj,link",
            "-C",
            "linker=true",
            "-C",
            "codegen-units=1",
        ],
        "host-heap-cross",
    );
    assert!(
        out.status.success(),
        "the fixture does not compile for {target} (`rustup target add {target}`):\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let deps = target_dir.join(target).join("debug").join("deps");
    let object = std::fs::read_dir(&deps)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| {
            p.extension().is_some_and(|e| e == "o")
                && p.file_name()
                    .unwrap()
                    .to_string_lossy()
                    .starts_with("host_heap-")
        })
        .max_by_key(|p| std::fs::metadata(p).unwrap().modified().unwrap())
        .unwrap_or_else(|| panic!("no object file in {}", deps.display()));
    read(&object)
}

fn read(path: &Path) -> Vec<u8> {
    std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The offsets at which `needle` starts in `haystack`.
fn find_all<'a>(haystack: &'a [u8], needle: &'a [u8]) -> impl Iterator<Item = usize> + 'a {
    haystack
        .windows(needle.len())
        .enumerate()
        .filter(move |(_, w)| *w == needle)
        .map(|(i, _)| i)
}

fn u32_at(bytes: &[u8], at: usize) -> u32 {
    u32::from_le_bytes(bytes[at..at + 4].try_into().unwrap())
}

/// Windows: one pointer in `.CRT$XCU`, the C runtime's table of
/// initialisers run before `main` (a COFF section header: the name in 8
/// bytes, the raw size at 16).
#[test]
fn windows_runs_the_boot_constructor_from_crt_xcu() {
    let object = object_for("x86_64-pc-windows-gnu");
    let sizes: Vec<u32> = find_all(&object, b".CRT$XCU")
        .map(|at| u32_at(&object, at + 16))
        .collect();
    assert!(
        sizes.contains(&8),
        "no 8-byte .CRT$XCU section header: {sizes:?}"
    );
}

/// macOS: one pointer in `__DATA,__mod_init_func`, of the section type
/// the loader runs before `main` (a Mach-O `section_64`: name and segment
/// in 16 bytes each, the size at 40, the type in the low byte of the flags
/// at 64; `S_MOD_INIT_FUNC_POINTERS` is 9).
#[test]
fn macos_runs_the_boot_constructor_from_mod_init_func() {
    let object = object_for("x86_64-apple-darwin");
    let headers: Vec<(u64, u32)> = find_all(&object, b"__mod_init_func\0__DATA\0")
        .map(|at| {
            let size = u64::from_le_bytes(object[at + 40..at + 48].try_into().unwrap());
            (size, u32_at(&object, at + 64) & 0xff)
        })
        .collect();
    assert!(
        headers.contains(&(8, 9)),
        "no 8-byte S_MOD_INIT_FUNC_POINTERS section: {headers:?}"
    );
}

/// `#[cfg_attr(not(test), global_allocator)]` makes the heap the global
/// allocator as `#[global_allocator]` does, so it boots before `main` too:
/// otherwise std's first allocation is null and the program aborts.
#[test]
fn a_heap_made_global_by_cfg_attr_boots_before_main() {
    let (out, _) = cargo(
        &["run", "--quiet", "--bin", "cfg-attr-heap"],
        "host-heap-fixture",
    );
    let (stdout, stderr) = (
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr),
    );
    assert!(
        out.status.success(),
        "the program did not run to the end:\n{stdout}\n{stderr}"
    );
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(
        lines,
        ["booted before main: true", "allocated: true"],
        "{stderr}"
    );
}
