slab_core::slab_heap! {
    static HEAP: SlabHeap = [];
}

fn main() {
    let _ = HEAP.stats();
}
