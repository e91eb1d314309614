// The `attributes` of slab-core's `declare!` are the buffer's
// `#[unsafe(link_section = …)]` and nothing else: items there could put a
// buffer of the caller's in the place of the one the macro defines, and
// give one buffer to two slabs (which would hand out each block twice).
#![forbid(unsafe_code)]

use slab_core::__private::Storage;

static SHARED: Storage<u64, 256> = Storage::new();

static FIRST: slab_core::MemSlab = slab_core::__private::declare! {
    slab,
    name: "FIRST",
    blocks: 4,
    size: 64,
    align: 8,
    storage: [u64; 256],
    used: [2],
    bounds_checks: false,
    section: [],
    attributes: [use crate::SHARED as __SLAB_STORAGE; #[cfg(any())]],
};

static SECOND: slab_core::MemSlab = slab_core::__private::declare! {
    slab,
    name: "SECOND",
    blocks: 4,
    size: 64,
    align: 8,
    storage: [u64; 256],
    used: [2],
    bounds_checks: false,
    section: [],
    attributes: [use crate::SHARED as __SLAB_STORAGE; #[cfg(any())]],
};

fn main() {
    slab_core::boot();
    let _ = FIRST.num_free() + SECOND.num_free();
}
