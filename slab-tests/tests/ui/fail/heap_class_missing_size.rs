slab_core::slab_heap! {
    static HEAP: SlabHeap = [(blocks = 8)];
}

fn main() {
    let _ = HEAP.stats();
}
