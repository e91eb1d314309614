// A type of the user's own named `MemSlab`: one error, on the type.
use slab_core::mem_slab;

struct MemSlab;

#[mem_slab(blocks = 2, size = 8)]
static RX_BUFS: MemSlab;

fn main() {
    let _ = &RX_BUFS;
}
