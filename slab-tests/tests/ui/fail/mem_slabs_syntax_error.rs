slab_core::mem_slabs! {
    static TX_BUFS[blocks = 4, size = 128];
    static CMDS(blocks = 2, size = 32);
}

fn main() {
    let _ = TX_BUFS.num_blocks();
    let _ = CMDS.num_blocks();
}
