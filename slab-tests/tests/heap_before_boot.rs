//! Before `boot()`, a `SlabHeap` returns null for every request and a slab
//! is no `allocator-api2` allocator yet; after it, both work. One test, so
//! that nothing in this binary boots earlier.

use std::alloc::{GlobalAlloc, Layout};

use allocator_api2::boxed::Box;
use slab_core::{MemSlab, mem_slab};

slab_core::slab_heap! {
    static HEAP: SlabHeap = [(blocks = 2, size = 32), (blocks = 2, size = 256)];
}

#[mem_slab(blocks = 2, size = 64)]
static BUFS: MemSlab;

#[test]
fn null_and_alloc_error_until_boot() {
    for size in [1, 32, 33, 256] {
        let layout = Layout::from_size_align(size, 8).unwrap();
        // SAFETY: a non-zero size; a null result is checked.
        assert!(
            unsafe { HEAP.alloc(layout) }.is_null(),
            "{size} bytes before boot"
        );
    }
    assert!(Box::try_new_in(7u64, &BUFS).is_err());
    assert_eq!(HEAP.stats().allocated_bytes, 0);

    slab_core::boot();
    let layout = Layout::from_size_align(33, 8).unwrap();
    // SAFETY: a non-zero size; freed with the same layout.
    unsafe {
        let p = HEAP.alloc(layout);
        assert!(!p.is_null());
        assert_eq!(HEAP.stats().allocated_bytes, 256);
        HEAP.dealloc(p, layout);
    }
    assert_eq!(*Box::try_new_in(7u64, &BUFS).unwrap(), 7);
}
