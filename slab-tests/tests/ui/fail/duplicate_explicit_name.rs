// Two slabs given one `name`.
use slab_core::{MemSlab, mem_slab};

#[mem_slab(blocks = 2, size = 8, name = "uart-rx")]
static UART0_RX: MemSlab;

#[mem_slab(blocks = 2, size = 8, name = "uart-rx")]
static UART1_RX: MemSlab;

fn main() {
    let _ = UART0_RX.num_blocks() + UART1_RX.num_blocks();
}
