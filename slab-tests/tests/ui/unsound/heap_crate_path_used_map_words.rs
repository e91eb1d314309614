// `slab_heap!`: a class's free flags sized through `crate = …` are checked
// by slab-core.
#![forbid(unsafe_code)]

/// A facade: slab-core, with one hidden item replaced.
mod fake {
    pub use slab_core::*;
    pub mod __private {
        pub use slab_core::__private::*;
        /// No free flags.
        pub const fn used_map_words(_blocks: usize, _block_size: usize) -> usize {
            0
        }
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
