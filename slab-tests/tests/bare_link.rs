//! Bare-metal linking, the way a firmware crate meets it, on the fixture
//! `slab-tests/fixtures/bare` (a firmware with two slabs, built for
//! thumbv7m-none-eabi in the dev profile, as `cargo run` builds, into
//! `target/bare-fixture`, and run under `qemu-system-arm -machine
//! lm3s6965evb`):
//! - linked without `-Tslab.x` it must not link, and the error names
//!   `slab.x` and the linker argument to add (without the check it linked,
//!   and its registry, overwritten at reset, showed garbage at run time);
//! - with `-Tlink.x -Tslab.x`, or the two the other way round, it links,
//!   runs and finds both slabs;
//! - with a copy of `slab.x` that places the registry in RAM it must not
//!   link, and the error says where the registry belongs;
//! - a finite wait on a clock whose timer never started (with a `WFE` wait
//!   hook) is reported by a panic in this debug build instead of hanging.
//!
//! Needs the thumbv7m-none-eabi target and, for the runs, `qemu-system-arm`
//! (`cargo xtask test` installs them); `SLAB_SKIP_QEMU=1` skips these tests.

use std::path::PathBuf;
use std::process::Output;
use std::sync::Mutex;

use slab_tests::qemu::{
    assert_registry_table, firmware_cargo, require_target, run_qemu, skipped, workspace_root,
};

const TARGET: &str = "thumbv7m-none-eabi";

/// The fixture's target directory.
fn target_dir() -> PathBuf {
    workspace_root()
        .join(std::env::var_os("CARGO_TARGET_DIR").unwrap_or_else(|| "target".into()))
        .join("bare-fixture")
}

/// `cargo build --bin <bin>` in the fixture (dev profile). One at a time:
/// the builds share a target directory.
fn build(bin: &str) -> (Output, PathBuf) {
    static ONE_AT_A_TIME: Mutex<()> = Mutex::new(());
    let _guard = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    require_target(TARGET);
    let out = firmware_cargo("slab-tests/fixtures/bare", &target_dir())
        .args(["build", "--target", TARGET, "--bin", bin])
        .env("CARGO_TERM_COLOR", "never")
        .output()
        .unwrap_or_else(|e| panic!("cannot run cargo: {e}"));
    (out, target_dir().join(TARGET).join("debug").join(bin))
}

/// Builds `bin`, which must link, and returns its ELF.
fn linked(bin: &str) -> PathBuf {
    let (out, elf) = build(bin);
    assert!(
        out.status.success(),
        "{bin} did not build:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    elf
}

/// Builds `bin`, which must fail to link, and returns cargo's stderr.
fn not_linked(bin: &str) -> String {
    let (out, _) = build(bin);
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(!out.status.success(), "{bin} linked:\n{stderr}");
    assert!(
        stderr.contains("error: linking with `"),
        "{bin} failed, but not at the link:\n{stderr}"
    );
    stderr
}

#[test]
fn without_slab_x_the_firmware_does_not_link_and_the_error_says_what_to_add() {
    if skipped() {
        return;
    }
    let stderr = not_linked("two-slabs-without-slab-x");
    // lld: "undefined symbol: X"; GNU ld: "undefined reference to `X'".
    let symbol = "ERROR(slab-core): link with the linker script slab.x: add -C \
                  link-arg=-Tslab.x after -Tlink.x to the target's rustflags in \
                  .cargo/config.toml";
    assert!(
        stderr.contains(&format!("undefined symbol: {symbol}"))
            || stderr.contains(&format!("undefined reference to `{symbol}'")),
        "not the missing-slab.x error:\n{stderr}"
    );
}

#[test]
fn with_slab_x_the_firmware_links_and_runs() {
    if skipped() {
        return;
    }
    for bin in ["two-slabs", "two-slabs-slab-x-first"] {
        let (success, stdout, stderr) = run_qemu(&linked(bin));
        let shown = format!("--- {bin} stdout\n{stdout}--- stderr\n{stderr}");
        assert!(success, "{bin} failed\n{shown}");
        assert!(
            stdout.lines().any(|l| l == "9 passed, 0 failed"),
            "no result line\n{shown}"
        );
        let rows = [
            ["RX", "32", "2", "0", "2", "1", "yes"],
            ["TX", "16", "3", "0", "3", "1", "yes"],
        ];
        assert_registry_table(&stdout, &rows, &shown);
    }
}

#[test]
fn a_registry_outside_flash_does_not_link() {
    if skipped() {
        return;
    }
    let stderr = not_linked("two-slabs-registry-in-ram");
    assert!(
        stderr.contains(
            "ERROR(slab-core): the slab registry (sections linkme_SLAB_CORE_*) is not in flash"
        ) && stderr.contains("`> FLASH`"),
        "not slab.x's placement error:\n{stderr}"
    );
}

#[test]
fn a_finite_wait_on_a_stopped_clock_is_reported_in_a_debug_build() {
    if skipped() {
        return;
    }
    // Without the check this run hangs in `WFE` until `run_qemu` kills it.
    let (success, stdout, stderr) = run_qemu(&linked("stopped-clock"));
    let shown = format!("--- stdout\n{stdout}--- stderr\n{stderr}");
    assert!(!success, "the firmware succeeded\n{shown}");
    assert!(
        stdout.contains("stopped-clock: waiting 10 ms with Ok(())"),
        "the wait did not start\n{shown}"
    );
    assert!(
        !stdout.contains("the wait returned"),
        "the wait returned\n{shown}"
    );
    let output = format!("{stdout}{stderr}");
    assert!(
        output.contains("slab_core: a finite timeout is waiting on a clock that does not advance")
            && output.contains("slab_core::set_clock read tick 0 at 1048576 looks in a row")
            && output.contains("Start the timer that advances it, and enable its interrupt"),
        "not the stopped-clock panic\n{shown}"
    );
}
