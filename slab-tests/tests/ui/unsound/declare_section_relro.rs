// slab-core's `declare!` checks its `section` itself: `.data.rel.ro` is
// read-only once relocations are done (the RELRO segment), not RAM.
#![forbid(unsafe_code)]

static RELRO_SLAB: slab_core::MemSlab = slab_core::__private::declare! {
    slab,
    name: "RELRO",
    blocks: 1,
    size: 8,
    align: 8,
    storage: [slab_core::__private::align::A8; 8],
    used: [1],
    bounds_checks: false,
    section: [".data.rel.ro.local"],
    attributes: [],
};

fn main() {
    let _ = RELRO_SLAB.num_free();
}
