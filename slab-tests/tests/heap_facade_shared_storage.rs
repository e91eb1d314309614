//! A `crate = …` facade whose `declare!` is slab-core's, reached from one
//! `const fn`: every declaration through it gets the statics of that one
//! function body, so two heap classes (and their slabs) share one block
//! buffer and one set of free flags, without an `unsafe` of the user's.
//! Both slabs then carry the name of the function's declaration, and the
//! name check is what keeps the two free lists from handing the same
//! block to two owners: `boot()` panics and threads nothing. (Its own test
//! binary: `boot()` is global.)
#![deny(unsafe_code)]

use core::alloc::{GlobalAlloc, Layout};

/// A facade: slab-core, with `declare!` replaced by one that ignores the
/// declaration and returns the class of one `const fn`.
mod fake {
    pub use slab_core::*;
    pub mod __private {
        pub use slab_core::__private::*;
        /// Every declaration's class: one body, one buffer.
        pub const fn shared() -> slab_core::__private::HeapClass {
            slab_core::__private::declare! {
                class,
                name: "SHARED",
                blocks: 2,
                size: 32,
                align: 8,
                storage: [u64; 64],
                used: [slab_core::__private::map_words(2)],
                bounds_checks: false,
                section: [],
                attributes: [],
            }
        }
        macro_rules! shared_declare {
            (class, $($rest:tt)*) => {
                $crate::fake::__private::shared()
            };
        }
        pub(crate) use shared_declare as declare;
    }
}

slab_core::slab_heap! {
    static HEAP: SlabHeap = [
        (blocks = 2, size = 16, crate = fake),
        (blocks = 2, size = 32),
    ];
}

#[test]
#[allow(unsafe_code)] // the `GlobalAlloc` calls only
fn classes_over_one_buffer_are_refused_at_boot() {
    let ranges: Vec<_> = HEAP.classes().map(|c| c.buffer_range()).collect();
    assert_eq!(ranges[0], ranges[1], "one buffer under both classes");
    let boot = std::panic::catch_unwind(slab_core::boot).expect_err("a duplicate name");
    let message = boot.downcast_ref::<String>().expect("a message");
    assert!(message.contains("name `SHARED`"), "{message}");
    assert!(HEAP.classes().all(|c| !c.is_ready()), "nothing threaded");
    let layout = Layout::from_size_align(32, 8).unwrap();
    // SAFETY: a non-zero size; nothing is handed out before boot.
    assert!(unsafe { HEAP.alloc(layout) }.is_null());
    // Not threaded by a second call either.
    assert!(std::panic::catch_unwind(slab_core::boot).is_err());
    assert!(HEAP.classes().all(|c| !c.is_ready()));
}
