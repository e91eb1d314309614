// `type = T` of an enclosing generic function: one error.
fn pool<T>() -> usize {
    #[slab_core::mem_slab(blocks = 2, type = T)]
    static POOL: slab_core::MemSlab;
    POOL.num_blocks()
}

fn main() {
    let _ = pool::<u64>();
}
