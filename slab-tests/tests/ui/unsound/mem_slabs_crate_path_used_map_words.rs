// `mem_slabs!`: free flags sized through `crate = …` are checked by
// slab-core.
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

slab_core::mem_slabs! {
    static BUFS(blocks = 8, size = 32, crate = fake);
}

fn main() {
    slab_core::boot();
    let _ = BUFS.num_free();
}
