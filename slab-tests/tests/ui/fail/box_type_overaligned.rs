use slab_core::{MemSlab, mem_slab};

#[repr(align(64))]
struct CacheLine {
    _bytes: [u8; 64],
}

#[mem_slab(blocks = 4, size = 64, align = 16)]
static LINES: MemSlab;

const _: () = slab_core::assert_fits::<CacheLine>(64, 16);

fn main() {
    let _ = LINES.num_blocks();
}
