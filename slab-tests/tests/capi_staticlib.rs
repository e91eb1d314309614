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

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Mutex;

use slab_tests::qemu::workspace_root;

/// Where the fixture's builds and the C programs go.
fn target_dir() -> PathBuf {
    workspace_root()
        .join(std::env::var_os("CARGO_TARGET_DIR").unwrap_or_else(|| "target".into()))
        .join("capi-staticlib")
}

/// Builds the fixture (`std` or not, and with the given `lto` for its dev
/// profile) and copies `libcapi_fixture.a` to a file of its own, whose
/// path it returns. One build at a time: they share a target directory.
fn build_fixture(std: bool, lto: &str) -> PathBuf {
    static ONE_AT_A_TIME: Mutex<()> = Mutex::new(());
    let _guard = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let target = target_dir();
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
    let lib = target.join(format!("libcapi_fixture-std{}-lto-{lto}.a", u8::from(std)));
    std::fs::copy(target.join("debug/libcapi_fixture.a"), &lib)
        .unwrap_or_else(|e| panic!("copy the static library: {e}"));
    lib
}

/// Compiles `c/staticlib_main.c` (strict C11, warnings as errors) and
/// links it with `link` (the static library and the system libraries, in
/// order) into `exe`.
fn compile_and_link(std: bool, exe: &Path, link: &[&std::ffi::OsStr]) {
    let cc = std::env::var_os("CC").unwrap_or_else(|| "cc".into());
    let root = workspace_root();
    let out = Command::new(&cc)
        .args(["-std=c11", "-Wall", "-Wextra", "-pedantic", "-Werror"])
        .arg(format!("-DSLAB_CORE_STD={}", u8::from(std)))
        .arg("-I")
        .arg(root.join("slab-core/include"))
        .arg(root.join("slab-tests/c/staticlib_main.c"))
        .args(link)
        .args(["-lpthread", "-ldl", "-lm", "-o"])
        .arg(exe)
        .output()
        .unwrap_or_else(|e| panic!("cannot run the C compiler {cc:?}: {e}"));
    assert!(
        out.status.success(),
        "compiling and linking c/staticlib_main.c failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Runs `exe` and asserts that every C check passed.
fn run(exe: &Path) {
    let out = Command::new(exe)
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

/// The route the crate docs give: the static library built with fat LTO
/// (the fixture's profile), linked with a plain `cc main.c lib.a`.
fn ordinary_link(std: bool) {
    let lib = build_fixture(std, "fat");
    let exe = target_dir().join(format!("staticlib_main-std{}", u8::from(std)));
    compile_and_link(std, &exe, &[lib.as_os_str()]);
    run(&exe);
}

#[test]
fn a_c_program_finds_the_slabs_of_a_static_library_with_std() {
    ordinary_link(true);
}

/// Without `std`, a finite timeout on an empty slab with no clock is
/// `-ENOTSUP` (it used to panic inside `k_mem_slab_alloc`, which aborts
/// the program), and `k_mem_slab_set_clock` gives C a clock.
#[test]
fn a_c_program_finds_the_slabs_of_a_bare_static_library_and_registers_a_clock() {
    ordinary_link(false);
}

/// The other route the crate docs give, for a static library built without
/// LTO (where each crate and codegen unit is an archive member of its own):
/// the whole archive.
#[test]
fn without_lto_the_whole_archive_links_the_registry() {
    let lib = build_fixture(true, "false");
    let exe = target_dir().join("staticlib_main-whole-archive");
    compile_and_link(
        true,
        &exe,
        &[
            "-Wl,--whole-archive".as_ref(),
            lib.as_os_str(),
            "-Wl,--no-whole-archive".as_ref(),
        ],
    );
    run(&exe);
}
