// Free flags sized through `crate = …` are checked by slab-core: no flags
// for 8 blocks does not build.
#![forbid(unsafe_code)]

/// A facade's hidden module: slab-core's, with one item replaced.
mod fake {
    pub mod __private {
        pub use slab_core::__private::*;
        /// No free flags.
        pub const fn used_map_words(_blocks: usize, _block_size: usize) -> usize {
            0
        }
    }
}

#[slab_core::mem_slab(blocks = 8, size = 32, crate = fake)]
static BUFS: slab_core::MemSlab;

fn main() {
    slab_core::boot();
    let _ = BUFS.num_free();
}
