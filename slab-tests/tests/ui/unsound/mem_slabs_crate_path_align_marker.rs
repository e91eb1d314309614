// `mem_slabs!`: the buffer's alignment type chosen through `crate = …` is
// checked by slab-core against `align`.
#![forbid(unsafe_code)]

/// A facade's hidden module: slab-core's, with one item replaced.
mod fake {
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

slab_core::mem_slabs! {
    static BUFS(blocks = 2, size = 512, align = 512, crate = fake);
}

fn main() {
    slab_core::boot();
    let _ = BUFS.num_free();
}
