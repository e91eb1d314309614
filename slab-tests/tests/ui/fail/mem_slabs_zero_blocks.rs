slab_core::mem_slabs! {
    static CMDS(blocks = 2, size = 32);
    static TX_BUFS(blocks = 0, size = 128);
}

fn main() {
    let _ = TX_BUFS.num_blocks();
    let _ = CMDS.num_blocks();
}
