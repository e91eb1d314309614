slab_core::mem_slabs! {
    static TX_BUFS(size = 128);
}

fn main() {
    let _ = TX_BUFS.num_blocks();
}
