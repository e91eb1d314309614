slab_core::mem_slabs! {}

fn main() {}
