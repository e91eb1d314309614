use slab_core::{MemSlab, mem_slab};

struct Frame {
    _bytes: [u8; 80],
}

const FRAME_BLOCK: usize = 64;

#[mem_slab(blocks = 4, size = FRAME_BLOCK)]
static FRAMES: MemSlab;

const _: () = slab_core::assert_fits::<Frame>(FRAME_BLOCK, 8);

fn main() {
    let _ = FRAMES.num_blocks();
}
