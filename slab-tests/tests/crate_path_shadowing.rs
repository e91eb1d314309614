//! A `crate = …` path may lead through a module of the user's that
//! replaces hidden items of `slab_core::__private`. What slab-core relies
//! on is computed or checked by slab-core itself (a wrong buffer length or
//! alignment fails the build: `tests/ui/unsound/*crate_path*`); these are
//! the replacements that do build, and what they can change.

/// A facade over slab-core whose hidden module answers wrongly. Safe code
/// only: nothing here can promise anything.
#[forbid(unsafe_code)]
mod fake {
    pub use slab_core::*;
    pub mod __private {
        pub use slab_core::__private::*;

        /// Every type is one byte, aligned to one. Never called: the
        /// declarations read a type's layout through slab-core's own macro.
        #[allow(dead_code, clippy::extra_unused_type_parameters)]
        pub const fn type_shape<T>() -> (usize, usize) {
            (1, 1)
        }

        /// A heap over the classes less the first: all a path can change
        /// here is which classes slab-core gets (each one a `HeapClass`
        /// that slab-core built, carrying its own shape).
        pub const fn heap(classes: &'static [&'static HeapClass]) -> slab_core::SlabHeap {
            slab_core::__private::heap(classes.split_at(1).1)
        }
    }
}

use std::alloc::{GlobalAlloc, Layout};

slab_core::mem_slabs! {
    static TYPED(blocks = 2, type = [u64; 8], crate = fake);
}

slab_core::slab_heap! {
    static HEAP: SlabHeap = [
        (blocks = 4, size = 32, crate = fake),
        (blocks = 4, size = 64),
    ];
}

/// `type = T` is read by slab-core's own macro: a path's `type_shape`
/// does not make the blocks smaller than `T`.
#[test]
fn type_layout_is_not_read_through_the_path() {
    assert_eq!(TYPED.block_size(), 64);
    slab_core::boot();
    let b = TYPED
        .alloc_box([7u64; 8], slab_core::Timeout::NoWait)
        .unwrap();
    assert_eq!(*b, [7; 8]);
}

/// Whatever classes a path hands the heap, it reads their shapes from
/// them: no request gets a block smaller or less aligned than it asked
/// for, and every block goes back to its class.
#[test]
fn a_path_s_class_list_never_hands_out_a_short_block() {
    slab_core::boot();
    let classes: Vec<_> = HEAP.classes().collect();
    let mut served = 0;
    for size in 1..=80 {
        for align in [1, 8, 16, 64] {
            let layout = Layout::from_size_align(size, align).unwrap();
            // SAFETY: a non-zero size; a block is freed with its layout.
            let p = unsafe { HEAP.alloc(layout) };
            if p.is_null() {
                continue;
            }
            served += 1;
            let class = classes
                .iter()
                .find(|c| c.buffer_range().contains(&(p as usize)))
                .expect("a block of one of the classes");
            assert!(
                class.block_size() >= size,
                "{size} bytes in a {}-byte block",
                class.block_size()
            );
            assert_eq!(p as usize % align, 0);
            // SAFETY: allocated above with `layout`.
            unsafe { HEAP.dealloc(p, layout) };
            assert_eq!(class.num_used(), 0, "freed to its class");
        }
    }
    assert!(served > 0);
    assert_eq!(classes.len(), 1, "the path left out the first class");
    assert_eq!(classes[0].block_size(), 64);
    assert_eq!(HEAP.stats().allocated_bytes, 0);
}
