//! A host program whose `#[global_allocator]` is a `SlabHeap`, built the
//! way a user builds one: the fixture `slab-tests/fixtures/host-heap`, a
//! binary crate of its own that depends on slab-core (with `std`), declares
//! the heap with `slab_heap!` and never calls `boot()`, in a crate that
//! forbids `unsafe`. std's runtime allocates before `main`: the program
//! must start (the declaration boots every slab before `main`), allocate
//! `Vec`, `String` and `Box` from the heap's classes, and see them in
//! `stats()`. Built with cargo here, into `target/host-heap-fixture`.

use std::process::Command;

use slab_tests::qemu::workspace_root;

#[test]
fn global_slab_heap_serves_std_before_and_after_main() {
    let root = workspace_root();
    let target_dir = root
        .join(std::env::var_os("CARGO_TARGET_DIR").unwrap_or_else(|| "target".into()))
        .join("host-heap-fixture");
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let mut cmd = Command::new(cargo);
    cmd.args(["run", "--quiet"])
        .current_dir(root.join("slab-tests/fixtures/host-heap"))
        .env("CARGO_TARGET_DIR", target_dir)
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
