// The buffer length a declaration computes through `crate = …` is checked
// by slab-core: a facade whose `storage_len` says 8 bytes for 64 blocks of
// 64 bytes (which `boot()` would thread 4 KiB over) does not build.
#![forbid(unsafe_code)]

/// A facade's hidden module: slab-core's, with one item replaced.
mod fake {
    pub mod __private {
        pub use slab_core::__private::*;
        /// Eight bytes, whatever the shape.
        pub const fn storage_len(_blocks: usize, _block_size: usize) -> usize {
            8
        }
    }
}

#[slab_core::mem_slab(blocks = 64, size = 64, crate = fake)]
static BUFS: slab_core::MemSlab;

fn main() {
    slab_core::boot();
    let _ = BUFS.num_free();
}
