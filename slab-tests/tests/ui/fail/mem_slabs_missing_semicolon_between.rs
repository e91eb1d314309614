// A missing `;` between two items: the error is on the first item, and the
// second (correct) one is declared.
slab_core::mem_slabs! {
    static TX_BUFS(blocks = 4, size = 128)
    static RX_BUFS(blocks = 4, size = 128);
}

fn main() {
    let _ = TX_BUFS.num_blocks() + RX_BUFS.num_blocks();
}
