// `slab_heap!`: a class is slab-core's `HeapClass`, made by slab-core with
// its slab; a `HeapClass` of the facade's is not one.
#![forbid(unsafe_code)]

/// A facade: slab-core, with one hidden item replaced.
mod fake {
    pub use slab_core::*;
    pub mod __private {
        pub use slab_core::__private::*;
        /// A type of the facade's own.
        pub struct HeapClass;
    }
}

slab_core::slab_heap! {
    static HEAP: SlabHeap = [
        (blocks = 8, size = 32, crate = fake),
    ];
}

fn main() {
    slab_core::boot();
    let _ = HEAP.stats();
}
