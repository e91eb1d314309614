// Items separated by `,` (as in `slab_heap!`'s classes) instead of `;`: one
// error, on the `,`, and both slabs are declared.
slab_core::mem_slabs! {
    static TX_BUFS(blocks = 4, size = 128),
    static RX_BUFS(blocks = 4, size = 128);
}

fn main() {
    let _ = TX_BUFS.num_blocks() + RX_BUFS.num_blocks();
}
