// slab-core rounds the block size itself: a facade whose
// `round_block_size` leaves 12 bytes unrounded sizes a buffer too small for
// the word-rounded blocks, which does not build.
#![forbid(unsafe_code)]

/// A facade's hidden module: slab-core's, with one item replaced.
mod fake {
    pub mod __private {
        pub use slab_core::__private::*;
        /// The size as given, not rounded up to the word.
        pub const fn round_block_size(size: usize, _align: usize) -> usize {
            size
        }
    }
}

#[slab_core::mem_slab(blocks = 4, size = 12, crate = fake)]
static BUFS: slab_core::MemSlab;

fn main() {
    slab_core::boot();
    let _ = BUFS.num_free();
}
