// slab-core's `declare!` can be named from safe code; a `section` it puts
// a buffer in without the user's `unsafe` must be ordinary RAM, which it
// checks (a buffer in `.init_array` would be run as constructors).
#![forbid(unsafe_code)]

static INIT_ARRAY_SLAB: slab_core::MemSlab = slab_core::__private::declare! {
    slab,
    name: "INIT",
    blocks: 1,
    size: 8,
    align: 8,
    storage: [slab_core::__private::align::A8; 8],
    used: [1],
    bounds_checks: false,
    section: [".init_array"],
    attributes: [],
};

fn main() {
    let _ = INIT_ARRAY_SLAB.num_free();
}
