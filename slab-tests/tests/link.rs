//! Mistakes that only a whole build shows, on the fixture workspace
//! `slab-tests/fixtures/link` (built here with cargo, into
//! `target/link-fixture`):
//! - two crates registering a slab under one name (`uart::RX`, `spi::RX`)
//!   in one program: a link error naming the name's symbol and both
//!   definitions, or with ThinLTO (which may internalise the symbols) a
//!   panic in `boot()` naming the name;
//! - one crate registering two slabs under one name (the same default name
//!   from two modules, or one `name` given twice): a compile error for each
//!   pair (not a trybuild case: which of the two definitions the error
//!   points at follows the compiler's symbol order, which changes with the
//!   crate's path);
//! - the same program with distinct names links and lists both;
//! - a crate that reaches slab-core only through a facade and forgets
//!   `crate = …`: exactly one error per declaration (with `mem_slabs!`, on
//!   each item's name), saying to add it, and one that depends
//!   on slab-core under another name: one error naming it (`tests/ui`
//!   cannot show these: its crates depend on slab-core as `slab_core`);
//! - a crate that depends on slab-core under another name but names it
//!   `slab_core` again (`extern crate sc as slab_core;`): valid Rust, which
//!   must build without `crate = …`;
//! - a shared library (`cdylib`, whose exported symbols go through a
//!   version script) declaring slabs with names of any characters: links;
//! - a host program without slab-core's `std` feature and without a
//!   `critical-section` implementation: the link error, which the README
//!   and the crate docs quote with its fix;
//! - a program that forgets `boot()`: what `main` returning `Result` and
//!   `expect` print names the fix.

use std::path::PathBuf;
use std::process::{Command, Output};
use std::sync::Mutex;

use slab_tests::qemu::workspace_root;

/// `cargo <args>` in the fixture workspace. One at a time: they share a
/// target directory.
fn cargo(args: &[&str]) -> Output {
    cargo_env(args, &[])
}

/// [`cargo`] with the environment variables `env` set.
fn cargo_env(args: &[&str], env: &[(&str, &str)]) -> Output {
    static ONE_AT_A_TIME: Mutex<()> = Mutex::new(());
    let _guard = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let root = workspace_root();
    let target_dir: PathBuf = root
        .join(std::env::var_os("CARGO_TARGET_DIR").unwrap_or_else(|| "target".into()))
        .join("link-fixture");
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let mut cmd = Command::new(cargo);
    cmd.args(args)
        .current_dir(root.join("slab-tests/fixtures/link"))
        .env("CARGO_TARGET_DIR", target_dir)
        .env("CARGO_TERM_COLOR", "never");
    for var in ["RUSTFLAGS", "CARGO_ENCODED_RUSTFLAGS", "CARGO_BUILD_TARGET"] {
        cmd.env_remove(var);
    }
    cmd.envs(env.iter().copied());
    cmd.output()
        .unwrap_or_else(|e| panic!("cannot run cargo: {e}"))
}

/// The compiler's and linker's errors in `stderr` (not cargo's summary).
fn errors(stderr: &str) -> Vec<&str> {
    stderr
        .lines()
        .filter(|l| l.starts_with("error") && !l.starts_with("error: could not compile"))
        .collect()
}

#[test]
fn one_name_in_two_crates_does_not_link() {
    let out = cargo(&["build", "-p", "duplicate"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        !out.status.success(),
        "linked with two slabs named RX:\n{stderr}"
    );
    assert!(
        duplicate_symbol(&stderr, &registry_symbol("RX")),
        "not the duplicate-name link error:\n{stderr}"
    );
    // Both definitions are named.
    for definition in ["uart/src/lib.rs", "spi/src/lib.rs"] {
        assert!(
            stderr.contains(definition) || stderr.contains(&definition.replace("/src/", "-")),
            "the error does not name {definition}:\n{stderr}"
        );
    }
}

/// Builds binary `bin` of the fixture `same-crate`, which must fail with
/// exactly one error: the symbol of `name` defined twice. (Which of the two
/// definitions it points at follows the compiler's symbol order, so the
/// line is not checked.)
fn duplicate_in_one_crate(bin: &str, symbol: &str) {
    let out = cargo(&["build", "-p", "same-crate", "--bin", bin]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "{bin} built:\n{stderr}");
    let errors = errors(&stderr);
    assert_eq!(
        errors,
        [format!("error: symbol `{symbol}` is already defined")],
        "{stderr}"
    );
    assert!(
        stderr.contains(&format!("same-crate/src/bin/{bin}.rs:")),
        "not in {bin}.rs:\n{stderr}"
    );
}

#[test]
fn one_default_name_from_two_modules_is_one_error() {
    duplicate_in_one_crate("modules", &registry_symbol("RX"));
}

#[test]
fn one_name_given_twice_is_one_error() {
    duplicate_in_one_crate("named", &registry_symbol("uart-rx"));
}

/// The symbol of a slab name's registry entry, as the compiler and the
/// linker show it when two slabs share the name: it says what is wrong
/// and what to do. (It holds only characters that a version script
/// accepts, hence no spaces.)
fn registry_symbol(name: &str) -> String {
    format!("slab_core.two_slabs_are_named.{name}.give_one_of_them_a_name_key")
}

/// Whether `stderr` has the link error of two definitions of `symbol`.
fn duplicate_symbol(stderr: &str, symbol: &str) -> bool {
    // lld: "duplicate symbol: X"; GNU ld: "multiple definition of `X'".
    stderr.contains(&format!("duplicate symbol: {symbol}"))
        || stderr.contains(&format!("multiple definition of `{symbol}'"))
}

/// The same program built with cross-crate ThinLTO, which can internalise
/// both registry symbols of `RX` and link: then `boot()` panics
/// naming the name and both buffers, before the program lists anything.
#[test]
fn one_name_in_two_crates_does_not_link_with_thin_lto() {
    let out = cargo_env(
        &["run", "--release", "-p", "duplicate"],
        &[("CARGO_PROFILE_RELEASE_LTO", "thin")],
    );
    let (stdout, stderr) = (
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr),
    );
    assert!(
        !out.status.success(),
        "built and ran with two slabs named RX:\n{stdout}"
    );
    if duplicate_symbol(&stderr, &registry_symbol("RX")) {
        return;
    }
    // It linked: the program ran, and `boot()` stopped it.
    assert!(
        stderr.contains("Running `"),
        "neither the duplicate-symbol error nor a run:\n{stderr}"
    );
    let panic = stderr
        .lines()
        .skip_while(|l| !l.contains("panicked at"))
        .nth(1)
        .unwrap_or_else(|| panic!("no panic:\n{stderr}"));
    assert!(
        panic.starts_with(
            "slab_core::boot(): two slabs are registered under the name `RX` (buffers at 0x"
        ),
        "not the duplicate-name panic:\n{stderr}"
    );
    // The two buffers, distinct.
    let ranges: Vec<&str> = panic
        .split("0x")
        .skip(1)
        .map(|r| r.trim_end_matches(|c: char| !c.is_ascii_hexdigit()))
        .collect();
    assert_eq!(ranges.len(), 4, "{panic}");
    assert_ne!(ranges[0], ranges[2], "one buffer named twice: {panic}");
    assert!(stdout.is_empty(), "listed before panicking:\n{stdout}");
}

#[test]
fn distinct_names_in_two_crates_link_and_register() {
    let out = cargo(&["run", "-p", "distinct"]);
    let (stdout, stderr) = (
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr),
    );
    assert!(out.status.success(), "{stderr}");
    let names: Vec<&str> = stdout
        .lines()
        .skip(1)
        .filter_map(|l| l.split_whitespace().next())
        .collect();
    assert_eq!(names, ["RX", "TX"], "{stdout}");
}

/// Builds `package`, which must fail with exactly one error, at `at`,
/// whose message contains each of `says`.
fn one_error(package: &str, at: &str, says: &[&str]) {
    let out = cargo(&["build", "-p", package]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "{package} built:\n{stderr}");
    let errors = errors(&stderr);
    assert_eq!(errors.len(), 1, "one error, not {errors:#?}:\n{stderr}");
    for text in says {
        assert!(errors[0].contains(text), "no {text:?} in:\n{stderr}");
    }
    assert!(stderr.contains(at), "not at {at}:\n{stderr}");
}

#[test]
fn a_facade_without_crate_path_is_one_error() {
    one_error(
        "facade-user",
        "facade-user/src/main.rs:5:1",
        &[
            "`slab_core` is not a dependency of this crate",
            "add `crate = path::to::slab_core`",
        ],
    );
}

/// `mem_slabs!` through a facade without `crate = …`: one error per item,
/// on its name, saying to add it, and none on the uses of the statics (a
/// method call on each) nor, under `#![deny(warnings)]`, on the stand-ins.
#[test]
fn a_facade_without_crate_path_is_one_error_with_mem_slabs() {
    let out = cargo(&["build", "-p", "facade-list-user"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "facade-list-user built:\n{stderr}");
    let errors = errors(&stderr);
    assert_eq!(errors.len(), 2, "one per item, not {errors:#?}:\n{stderr}");
    for error in &errors {
        for text in [
            "`slab_core` is not a dependency of this crate",
            "add `crate = path::to::slab_core`",
        ] {
            assert!(error.contains(text), "no {text:?} in:\n{stderr}");
        }
    }
    for at in [
        "facade-list-user/src/main.rs:6:12",
        "facade-list-user/src/main.rs:7:16",
    ] {
        assert!(stderr.contains(at), "not at {at}:\n{stderr}");
    }
}

#[test]
fn a_renamed_dependency_without_crate_path_is_one_error() {
    one_error(
        "renamed-user",
        "renamed-user/src/main.rs:5:1",
        &["depends on `slab-core` as `sc`: add `crate = ::sc`"],
    );
}

#[test]
fn a_renamed_dependency_aliased_back_to_slab_core_builds() {
    let out = cargo(&["run", "-p", "renamed-alias"]);
    let (stdout, stderr) = (
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr),
    );
    assert!(
        out.status.success(),
        "`extern crate sc as slab_core;` makes `::slab_core` resolve, yet:\n{stderr}"
    );
    let names: Vec<&str> = stdout
        .lines()
        .skip(1)
        .filter_map(|l| l.split_whitespace().next())
        .collect();
    assert_eq!(names, ["RX"], "{stdout}");
}

/// Names with spaces, quotes, `$`, non-ASCII and glob characters: the
/// registry symbols must suit the linker's version script of a shared
/// library, and names that differ only in such characters stay distinct.
#[test]
fn names_of_any_characters_link_in_a_shared_library() {
    let out = cargo(&["build", "-p", "cdylib"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    let root = workspace_root();
    let target_dir: PathBuf = root
        .join(std::env::var_os("CARGO_TARGET_DIR").unwrap_or_else(|| "target".into()))
        .join("link-fixture/debug");
    let library = ["libcdylib.so", "libcdylib.dylib", "cdylib.dll"]
        .iter()
        .map(|name| target_dir.join(name))
        .find(|path| path.exists())
        .unwrap_or_else(|| panic!("no library in {}", target_dir.display()));
    let bytes = std::fs::read(&library).unwrap();
    let exported = |symbol: &str| bytes.windows(symbol.len()).any(|w| w == symbol.as_bytes());
    for name in [
        "uart$20rx$3a$20$220$22", // uart rx: "0"
        "uart$20rx$3a$200",       // uart rx: 0
        "a$24",                   // a$
        "a$2424",                 // a$24
        "frames$2f$c3$bc$60$2a$7b$7d$3b",
    ] {
        let symbol = registry_symbol(name);
        assert!(exported(&symbol), "no {symbol} in {}", library.display());
    }
}

/// The link error of a host program built without `std` and without a
/// `critical-section` implementation, quoted where a user searching for it
/// finds it, next to the fix.
#[test]
fn a_host_program_without_std_fails_to_link_and_the_docs_give_the_fix() {
    let out = cargo(&["build", "-p", "no-std-host"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "linked without std:\n{stderr}");
    // lld's words, or GNU ld's.
    let said = [
        "undefined symbol: _critical_section_1_0_acquire",
        "undefined reference to `_critical_section_1_0_acquire'",
    ]
    .into_iter()
    .find(|words| stderr.contains(words))
    .unwrap_or_else(|| panic!("not the critical-section link error:\n{stderr}"));
    let root = workspace_root();
    for doc in ["README.md", "slab-core/src/lib.rs"] {
        let text = prose(&std::fs::read_to_string(root.join(doc)).unwrap());
        let at = text
            .find(said)
            .unwrap_or_else(|| panic!("{doc} does not quote `{said}`"));
        // The fix, in the same passage.
        let passage: String = text[at..].chars().take(700).collect();
        assert!(
            passage.contains("enable the `std` feature")
                && passage.contains(r#"features = ["std"]"#),
            "{doc} quotes `{said}` without the fix:\n{passage}"
        );
    }
}

/// A document's text as one line: `//!` markers dropped, line breaks and
/// runs of spaces made one space, so that a quote may wrap.
fn prose(text: &str) -> String {
    let words: Vec<&str> = text
        .lines()
        .map(|line| line.trim_start().trim_start_matches("//!"))
        .flat_map(str::split_whitespace)
        .collect();
    words.join(" ")
}

/// A user who forgets `boot()` sees the error's `Debug` (printed by `main`
/// returning `Result`, and by `expect`), which must say to call it.
#[test]
fn a_program_that_forgets_boot_is_told_to_call_it() {
    const FIX: &str = "NotReady (call slab_core::boot() first; a MemSlab::new() slab needs init())";
    for (args, printed) in [
        (&["run", "-p", "not-booted"][..], format!("Error: {FIX}")),
        (
            &["run", "-p", "not-booted", "--", "expect"][..],
            format!("a block: {FIX}"),
        ),
    ] {
        let out = cargo(args);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success(), "{args:?} succeeded:\n{stderr}");
        assert!(
            stderr.lines().any(|line| line == printed),
            "{args:?} did not print {printed:?}:\n{stderr}"
        );
    }
}
