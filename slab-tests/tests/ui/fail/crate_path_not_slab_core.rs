// A `crate = …` that names the facade instead of its `slab_core`
// re-export: one error, on the path.
mod facade {
    pub use slab_core::{self, mem_slab};
}

#[facade::mem_slab(blocks = 2, size = 8, crate = facade)]
static RX_BUFS: facade::slab_core::MemSlab;

fn main() {
    let _ = RX_BUFS.num_blocks();
}
