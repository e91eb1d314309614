// A heap's size classes follow the `section` rule of `#[mem_slab]`.
slab_core::slab_heap! {
    static HEAP: SlabHeap = [
        (blocks = 8, size = 32, section = ".noinit"),
        (blocks = 8, size = 64, section = ".vector_table"),
    ];
}

fn main() {
    let _ = HEAP.stats();
}
