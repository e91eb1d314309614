// `slab_heap!`: a class's buffer length computed through `crate = …` is
// checked by slab-core.
#![forbid(unsafe_code)]

/// A facade: slab-core, with one hidden item replaced.
mod fake {
    pub use slab_core::*;
    pub mod __private {
        pub use slab_core::__private::*;
        /// Eight bytes, whatever the shape.
        pub const fn storage_len(_blocks: usize, _block_size: usize) -> usize {
            8
        }
    }
}

slab_core::slab_heap! {
    static HEAP: SlabHeap = [
        (blocks = 64, size = 64, crate = fake),
    ];
}

fn main() {
    slab_core::boot();
    let _ = HEAP.stats();
}
