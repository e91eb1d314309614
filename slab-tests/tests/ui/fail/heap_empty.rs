slab_core::slab_heap! {}

fn main() {}
