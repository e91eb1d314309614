//! The C ABI (slab-core's `capi` feature) driven from C: `c/capi_test.c`,
//! compiled with the cc crate by build.rs, runs the test plan of the
//! Boreas pull request on the host with pthreads. Each case is one C
//! function returning its number of failed checks (each printed to stderr).
//!
//! Only `boot_threads_defined_and_declared_slabs` boots: the other cases
//! use slabs made with `k_mem_slab_init`, which need no boot, so the
//! "before boot" checks hold whatever order the cases run in.

use slab_core::{MemSlab, mem_slab};
use slab_tests::capi;

/// Reached from C by name only.
#[mem_slab(blocks = 3, size = 40, name = "rust-declared")]
static RUST_DECLARED: MemSlab;

fn passes(case: &str, failures: i32) {
    assert_eq!(
        failures, 0,
        "{case}: {failures} C checks failed (see stderr)"
    );
}

#[test]
fn init_and_accounting() {
    // SAFETY: the C cases take no arguments and use only their own statics.
    passes("init_and_accounting", unsafe {
        capi::capi_test_init_and_accounting()
    });
}

#[test]
fn einval_on_bad_parameters() {
    // SAFETY: as above.
    passes("einval", unsafe { capi::capi_test_einval() });
}

#[test]
fn alloc_distinct_in_bounds_non_overlapping() {
    // SAFETY: as above.
    passes("alloc_distinct", unsafe {
        capi::capi_test_alloc_distinct()
    });
}

#[test]
fn exhaustion_and_high_water() {
    // SAFETY: as above.
    passes("exhaustion", unsafe { capi::capi_test_exhaustion() });
}

#[test]
fn blocking_alloc_times_out() {
    // SAFETY: as above.
    passes("timeout", unsafe { capi::capi_test_timeout() });
}

#[test]
fn contents_not_zeroed_on_realloc() {
    // SAFETY: as above.
    passes("not_zeroed", unsafe { capi::capi_test_not_zeroed() });
}

#[test]
fn blocking_alloc_woken_by_free_from_another_thread() {
    // SAFETY: as above.
    passes("woken_by_free", unsafe { capi::capi_test_woken_by_free() });
}

#[test]
fn more_waiters_than_blocks_all_served() {
    // SAFETY: as above.
    passes("more_waiters", unsafe { capi::capi_test_more_waiters() });
}

#[test]
fn boot_threads_defined_and_declared_slabs() {
    assert!(!RUST_DECLARED.is_ready());
    // SAFETY: a NUL-terminated name; the case touches only its own statics
    // and RUST_DECLARED, which nothing else here uses.
    passes("boot", unsafe {
        capi::capi_test_boot(c"rust-declared".as_ptr(), 3)
    });
    // What C did through its handle is what Rust sees.
    assert!(RUST_DECLARED.is_ready());
    assert_eq!(
        (
            RUST_DECLARED.num_used(),
            RUST_DECLARED.num_free(),
            RUST_DECLARED.max_used()
        ),
        (0, 3, 2)
    );
    let c_defined = slab_core::registry().find("c_defined");
    assert!(
        c_defined.is_none(),
        "C-defined slabs are not in the Rust registry"
    );
}
