// Too large, as const expressions: the expansion's assertion says so, and
// the compiler does not run out of memory building the buffer.
use slab_core::{MemSlab, mem_slab};

const BLOCKS: usize = 1_000_000;
const SIZE: usize = 1_000_000_000;

#[mem_slab(blocks = BLOCKS, size = SIZE)]
static RX_BUFS: MemSlab;

fn main() {
    let _ = RX_BUFS.num_blocks();
}
