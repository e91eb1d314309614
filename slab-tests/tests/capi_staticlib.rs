//! A C program that links slab-core in a Rust static library, the
//! ordinary way: `cc main.c libcapi_fixture.a -lpthread -ldl -lm`.
//!
//! The fixture `fixtures/capi-staticlib` (a workspace of its own, built
//! here with cargo into `target/capi-staticlib`) declares slabs in Rust;
//! `c/staticlib_main.c` finds them by name, boots, allocates and frees,
//! and checks finite timeouts: with slab-core's `std` (the host clock), and
//! without it (its bare-metal port on the host), where a finite timeout
//! without a registered clock is `-ENOTSUP` and `k_mem_slab_set_clock`
//! registers one from C.
//!
//! A static library built without LTO (cargo's default) is an archive
//! member per crate and codegen unit; the linker takes a member only for a
//! symbol the program refers to, so the program names the Rust slabs it
//! uses with `K_MEM_SLAB_IMPORT` (a reference to each one's registry
//! symbol, which lives in the member of its registry entry). Built with
//! fat LTO, the library is one object, and `k_mem_slab_find` alone
//! reaches every slab.
//!
//! Linux only: ELF sections, GNU-style `-Wl,--whole-archive`, `-ldl`.
#![cfg(target_os = "linux")]

use std::collections::HashMap;
use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::Mutex;

use slab_tests::qemu::workspace_root;

/// Where the fixture's builds and the C programs go.
fn target_dir() -> PathBuf {
    workspace_root()
        .join(std::env::var_os("CARGO_TARGET_DIR").unwrap_or_else(|| "target".into()))
        .join("capi-staticlib")
}

/// Builds the fixture (`std` or not, and with the given `lto` for its dev
/// profile) once per configuration and copies `libcapi_fixture.a` to a
/// file of its own, whose path it returns. One build at a time: they share
/// a target directory.
fn build_fixture(std: bool, lto: &'static str) -> PathBuf {
    static BUILT: Mutex<Option<HashMap<(bool, &str), PathBuf>>> = Mutex::new(None);
    let mut built = BUILT.lock().unwrap_or_else(|e| e.into_inner());
    if let Some(lib) = built.get_or_insert_default().get(&(std, lto)) {
        return lib.clone();
    }
    // A target directory per LTO setting, which every crate's build
    // depends on, so that each stays fresh from run to run.
    let target = target_dir().join(format!("lto-{lto}"));
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let mut cmd = Command::new(cargo);
    cmd.arg("build")
        .current_dir(workspace_root().join("slab-tests/fixtures/capi-staticlib"))
        .env("CARGO_TARGET_DIR", &target)
        .env("CARGO_PROFILE_DEV_LTO", lto)
        .env("CARGO_TERM_COLOR", "never");
    if std {
        cmd.args(["--features", "std"]);
    }
    for var in ["RUSTFLAGS", "CARGO_ENCODED_RUSTFLAGS", "CARGO_BUILD_TARGET"] {
        cmd.env_remove(var);
    }
    let out = cmd
        .output()
        .unwrap_or_else(|e| panic!("cannot run cargo: {e}"));
    assert!(
        out.status.success(),
        "building fixtures/capi-staticlib failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let lib = target_dir().join(format!("libcapi_fixture-std{}-lto-{lto}.a", u8::from(std)));
    std::fs::copy(target.join("debug/libcapi_fixture.a"), &lib)
        .unwrap_or_else(|e| panic!("copy the static library: {e}"));
    built
        .get_or_insert_default()
        .insert((std, lto), lib.clone());
    lib
}

/// Compiles `c/staticlib_main.c` (strict C11, warnings as errors, with
/// the `-D` definitions `defines`) and links it with `link` (the static
/// library, and how) and the system libraries into `exe`.
fn compile_and_link(std: bool, defines: &[&str], exe: &Path, link: &[&OsStr]) -> Output {
    let cc = std::env::var_os("CC").unwrap_or_else(|| "cc".into());
    let root = workspace_root();
    Command::new(&cc)
        .args(["-std=c11", "-Wall", "-Wextra", "-pedantic", "-Werror"])
        .arg(format!("-DSLAB_CORE_STD={}", u8::from(std)))
        .args(defines.iter().map(|d| format!("-D{d}")))
        .arg("-I")
        .arg(root.join("slab-core/include"))
        .arg(root.join("slab-tests/c/staticlib_main.c"))
        .args(link)
        .args(["-lpthread", "-ldl", "-lm", "-o"])
        .arg(exe)
        .output()
        .unwrap_or_else(|e| panic!("cannot run the C compiler {cc:?}: {e}"))
}

/// [`compile_and_link`], which must succeed, then runs `exe` and asserts
/// that every C check passed.
fn link_and_run(std: bool, defines: &[&str], exe: &str, link: &[&OsStr]) {
    let exe = target_dir().join(exe);
    let out = compile_and_link(std, defines, &exe, link);
    assert!(
        out.status.success(),
        "compiling and linking c/staticlib_main.c failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = Command::new(&exe)
        .output()
        .unwrap_or_else(|e| panic!("cannot run {}: {e}", exe.display()));
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success() && stdout.starts_with("ok "),
        "{} failed ({}):\n{stdout}{stderr}",
        exe.display(),
        out.status
    );
}

/// A static library built the default way (no LTO), its slabs named with
/// `K_MEM_SLAB_IMPORT`, then `cc main.c lib.a`.
#[test]
fn a_c_program_imports_the_slabs_of_a_static_library() {
    let lib = build_fixture(true, "false");
    link_and_run(true, &[], "import-std1", &[lib.as_os_str()]);
}

/// The same without `std`: a finite timeout on an empty slab with no clock
/// is `-ENOTSUP` (it used to panic inside `k_mem_slab_alloc`, which aborts
/// the program), and `k_mem_slab_set_clock` gives C a clock; one
/// registered while a wait is in progress leaves that wait on the clock it
/// started with.
#[test]
fn a_c_program_imports_the_slabs_of_a_bare_static_library_and_registers_a_clock() {
    let lib = build_fixture(false, "false");
    link_and_run(false, &[], "import-std0", &[lib.as_os_str()]);
}

/// A static library built with fat LTO is one object: `k_mem_slab_find`
/// alone reaches its slabs, with `cc main.c lib.a`.
#[test]
fn a_c_program_finds_the_slabs_of_an_lto_static_library_by_name_alone() {
    let lib = build_fixture(true, "fat");
    link_and_run(
        true,
        &["SLAB_TEST_IMPORT=0"],
        "lto-std1",
        &[lib.as_os_str()],
    );
}

/// Without LTO and without imports, the whole archive (the third route the
/// crate docs give).
#[test]
fn a_whole_archive_needs_no_imports() {
    let lib = build_fixture(true, "false");
    link_and_run(
        true,
        &["SLAB_TEST_IMPORT=0"],
        "whole-archive-std1",
        &[
            "-Wl,--whole-archive".as_ref(),
            lib.as_os_str(),
            "-Wl,--no-whole-archive".as_ref(),
        ],
    );
}

/// Importing a slab that no crate declares fails to link, naming it.
#[test]
fn importing_a_slab_that_is_not_there_fails_to_link() {
    let lib = build_fixture(true, "false");
    let exe = target_dir().join("import-missing");
    let out = compile_and_link(
        true,
        &["SLAB_TEST_IMPORT_MISSING=1"],
        &exe,
        &[lib.as_os_str()],
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "linked:\n{stderr}");
    assert!(
        stderr.contains(
            "undefined reference to `slab_core.two_slabs_are_named.NOT_THERE.give_one_of_them_a_name_key'"
        ) || stderr.contains(
            "undefined symbol: slab_core.two_slabs_are_named.NOT_THERE.give_one_of_them_a_name_key"
        ),
        "not the undefined-symbol error:\n{stderr}"
    );
}
