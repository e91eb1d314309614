use slab_core::{MemSlab, mem_slab};

struct Marker;

#[mem_slab(blocks = 4, type = Marker)]
static RX_BUFS: MemSlab;

fn main() {
    let _ = RX_BUFS.num_blocks();
}
