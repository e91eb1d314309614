// `slab_heap!`: a class promises an alignment only if its buffer's type
// has it; an `Align<N>` of the facade's that is a byte's does not build.
#![forbid(unsafe_code)]

/// A facade: slab-core, with one hidden item replaced.
mod fake {
    pub use slab_core::*;
    pub mod __private {
        pub use slab_core::__private::*;
        /// Every alignment is a byte's.
        pub mod align {
            pub struct Align<const N: usize>;
            pub trait Marker {
                type Type;
            }
            impl<const N: usize> Marker for Align<N> {
                type Type = u8;
            }
        }
    }
}

slab_core::slab_heap! {
    static HEAP: SlabHeap = [
        (blocks = 4, size = 32, crate = fake),
        (blocks = 2, size = 512, align = 512),
    ];
}

fn main() {
    slab_core::boot();
    let _ = HEAP.stats();
}
