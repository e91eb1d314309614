// A const-expression value that breaks a rule: the error spans all of it.
use slab_core::{MemSlab, mem_slab};

#[mem_slab(blocks = usize::MAX, size = 8)]
static RX_BUFS: MemSlab;

fn main() {
    let _ = RX_BUFS.num_blocks();
}
