// `type` must be `Sized`: one error.
use slab_core::{MemSlab, mem_slab};

#[mem_slab(blocks = 2, type = [u8])]
static RX_BUFS: MemSlab;

fn main() {
    let _ = RX_BUFS.num_blocks();
}
