// `slab_heap!`: slab-core rounds each class's block size itself, so a
// facade's unrounded `round_block_size` sizes a buffer too small.
#![forbid(unsafe_code)]

/// A facade: slab-core, with one hidden item replaced.
mod fake {
    pub use slab_core::*;
    pub mod __private {
        pub use slab_core::__private::*;
        /// The size as given, not rounded up to the word.
        pub const fn round_block_size(size: usize, _align: usize) -> usize {
            size
        }
    }
}

slab_core::slab_heap! {
    static HEAP: SlabHeap = [
        (blocks = 4, size = 12, crate = fake),
    ];
}

fn main() {
    slab_core::boot();
    let _ = HEAP.stats();
}
