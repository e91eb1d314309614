slab_core::mem_slabs! {
    static mut TX_BUFS(blocks = 4, size = 128);
}

fn main() {
    let _ = TX_BUFS.num_blocks();
}
