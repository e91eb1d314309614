// `mem_slabs!`: the buffer length computed through `crate = …` is checked
// by slab-core.
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

slab_core::mem_slabs! {
    static BUFS(blocks = 64, size = 64, crate = fake);
}

fn main() {
    slab_core::boot();
    let _ = BUFS.num_free();
}
