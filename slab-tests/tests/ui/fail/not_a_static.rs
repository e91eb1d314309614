use slab_core::mem_slab;

#[mem_slab(blocks = 4, size = 64)]
fn rx_bufs() {}

fn main() {
    rx_bufs();
}
