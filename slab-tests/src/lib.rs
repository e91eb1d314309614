//! Shared helpers for slab's integration tests.
#![deny(missing_docs)]

pub mod qemu;

use std::time::{Duration, Instant};

/// Polls `cond` until it holds; panics after 10 s. Tests use it to wait
/// for a real signal (e.g. `num_waiting()` reaching a count), never as a
/// timed assertion.
pub fn wait_until(what: &str, mut cond: impl FnMut() -> bool) {
    let start = Instant::now();
    while !cond() {
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "timed out waiting until {what}"
        );
        std::thread::yield_now();
    }
}

/// A leaked, word-aligned buffer of `bytes` bytes for `MemSlab::init`.
pub fn leak_buffer(bytes: usize) -> &'static mut [u8] {
    let words: &'static mut [usize] =
        Box::leak(vec![0usize; bytes.div_ceil(WORD)].into_boxed_slice());
    // SAFETY: the words are leaked (live forever) and any bytes are valid u8.
    unsafe { std::slice::from_raw_parts_mut(words.as_mut_ptr().cast::<u8>(), bytes) }
}

/// The pointer word.
pub const WORD: usize = std::mem::size_of::<usize>();

/// Boots every declared slab (idempotent) and returns `slab`, ready.
pub fn ready(slab: &'static slab_core::MemSlab) -> &'static slab_core::MemSlab {
    slab_core::boot();
    assert!(slab.is_ready());
    slab
}

/// A block pointer that may cross threads (tests own what they pass).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Sent(pub std::ptr::NonNull<u8>);
// SAFETY: a block is plain memory owned by whoever holds the pointer.
unsafe impl Send for Sent {}

/// Allocates blocks with `NoWait` until the slab is empty; returns them.
pub fn drain(slab: &slab_core::MemSlab) -> Vec<std::ptr::NonNull<u8>> {
    let mut blocks = Vec::new();
    while let Ok(b) = slab.alloc(slab_core::Timeout::NoWait) {
        blocks.push(b);
    }
    blocks
}

/// Frees every block of `blocks` into `slab`, asserting success.
pub fn free_all(
    slab: &slab_core::MemSlab,
    blocks: impl IntoIterator<Item = std::ptr::NonNull<u8>>,
) {
    for b in blocks {
        // SAFETY: the tests pass blocks they own and never touch again.
        unsafe { slab.free(b) }.expect("free of an owned block");
    }
}

/// `(num_used, num_free, max_used)`.
pub fn counts(slab: &slab_core::MemSlab) -> (usize, usize, usize) {
    (slab.num_used(), slab.num_free(), slab.max_used())
}

/// Records a line of evidence (what a heavy test checked, with its counts)
/// in `target/evidence/NAME.txt`; `cargo xtask test` prints them all.
pub fn record_evidence(name: &str, line: &str) {
    println!("{line}");
    // target/<profile>/deps/<test binary> -> target/evidence
    let Some(target) = std::env::current_exe()
        .ok()
        .and_then(|exe| Some(exe.parent()?.parent()?.parent()?.to_path_buf()))
    else {
        return;
    };
    let dir = target.join("evidence");
    if std::fs::create_dir_all(&dir).is_ok() {
        let _ = std::fs::write(dir.join(format!("{name}.txt")), format!("{line}\n"));
    }
}

/// The C test program `c/capi_test.c` (compiled by build.rs): one function
/// per case of the C ABI's test plan, each returning its number of failed
/// checks (printed to stderr). `tests/capi.rs` runs them.
pub mod capi {
    use std::ffi::c_char;

    unsafe extern "C" {
        /// Init and accounting.
        pub fn capi_test_init_and_accounting() -> i32;
        /// `-EINVAL` on bad parameters; nothing changes.
        pub fn capi_test_einval() -> i32;
        /// Blocks distinct, in bounds, non-overlapping.
        pub fn capi_test_alloc_distinct() -> i32;
        /// `-ENOMEM` and the `max_used` high-water mark.
        pub fn capi_test_exhaustion() -> i32;
        /// A blocking alloc timing out with `-EAGAIN`.
        pub fn capi_test_timeout() -> i32;
        /// Contents not zeroed on re-alloc.
        pub fn capi_test_not_zeroed() -> i32;
        /// A blocking alloc woken by a free from another thread.
        pub fn capi_test_woken_by_free() -> i32;
        /// More waiters than blocks, all served.
        pub fn capi_test_more_waiters() -> i32;
        /// `K_MEM_SLAB_DEFINE`d and Rust-declared slabs before and after
        /// `boot()`; `rust_name` names a Rust-declared slab of
        /// `rust_blocks` blocks that nothing else uses.
        pub fn capi_test_boot(rust_name: *const c_char, rust_blocks: u32) -> i32;
    }
}
