//! `slab_heap!` through a crate that re-exports slab-core (`facade::slab`):
//! `crate = …` on one class is the whole heap's.

use core::alloc::{GlobalAlloc, Layout};

facade::slab::slab_heap! {
    static FACADE_HEAP: SlabHeap = [
        (blocks = 2, size = 16, crate = facade::slab),
        (blocks = 2, size = 64),
    ];
}

#[test]
fn a_heap_declared_through_a_facade_works() {
    facade::slab::boot();
    let layout = Layout::from_size_align(40, 8).unwrap();
    // SAFETY: a non-zero size; freed with the same layout.
    unsafe {
        let p = FACADE_HEAP.alloc(layout);
        assert!(!p.is_null());
        assert_eq!(FACADE_HEAP.stats().allocated_bytes, 64);
        FACADE_HEAP.dealloc(p, layout);
    }
    let names: Vec<&str> = FACADE_HEAP.classes().map(|c| c.name()).collect();
    assert_eq!(names, ["FACADE_HEAP/16", "FACADE_HEAP/64"]);
}
