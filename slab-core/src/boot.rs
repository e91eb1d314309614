//! [`boot`]: the registry's boot sequence, with the C ABI's
//! `K_MEM_SLAB_DEFINE`d slabs as its last step when the `capi` feature is
//! on. This module depends on both; neither depends on it (the C ABI's
//! `slab_core_boot` runs the same sequence through the registry).

use crate::registry;

/// Threads the free list of every declared slab: call once at the start of
/// `main`, before any interrupt that allocates is enabled.
///
/// A program on Linux, the BSDs, macOS or Windows (see the crate docs,
/// "Booting", for the list) whose `#[global_allocator]` is a
/// [`slab_heap!`](crate::slab_heap) need not: that declaration boots from
/// a constructor that runs before `main` (std allocates before `main`), so
/// all the program's slabs are booted when `main` starts, and a call there
/// does nothing.
///
/// Idempotent and thread-safe: each slab is threaded exactly once, under
/// its own lock, and every call returns only once all slabs are ready.
/// Costs one word written per block.
///
/// # Panics
///
/// If two slabs in the registry have one name (which only a build that
/// internalises the name's symbol lets through, e.g. cross-crate ThinLTO),
/// naming it and both slabs' buffers, before any slab is threaded. The
/// check runs in every build, once, with no allocation: one hash per name
/// into a filter on the stack (without `std`: 32 bytes up to 64 slabs, 256
/// up to 512, 1 KiB beyond; 8 KiB with it), and a comparison with the
/// earlier names only for a name whose bit was already set (for 100 slabs,
/// at most a few hundred comparisons, where every pair would make 4,950).
///
/// # Link errors
///
/// A host program that fails to link with `undefined symbol:
/// _critical_section_1_0_acquire` built this crate without its `std`
/// feature: enable it (`features = ["std"]`; see the crate docs' guide to
/// host programs).
///
/// ```
/// slab_core::boot();
/// slab_core::boot(); // does nothing
/// ```
#[doc(alias = "_critical_section_1_0_acquire")]
pub fn boot() {
    #[cfg(feature = "capi")]
    registry::boot_with(crate::capi::boot_defined);
    #[cfg(not(feature = "capi"))]
    registry::boot_with(|| {});
}
