// A `crate = …` path that does not lead to `slab_core`: one error, on it.
use slab_core::{MemSlab, mem_slab};

mod facade {}

#[mem_slab(blocks = 2, size = 8, crate = facade::slab_core)]
static RX_BUFS: MemSlab;

fn main() {
    let _ = RX_BUFS.num_blocks();
}
