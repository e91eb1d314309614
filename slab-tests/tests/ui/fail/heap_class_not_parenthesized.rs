slab_core::slab_heap! {
    static HEAP: SlabHeap = [(blocks = 8, size = 32), { blocks = 4, size = 64 }];
}

fn main() {
    let _ = HEAP.stats();
}
