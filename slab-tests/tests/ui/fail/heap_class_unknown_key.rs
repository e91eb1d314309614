slab_core::slab_heap! {
    static HEAP: SlabHeap = [(blocks = 8, size = 32, colour = "red")];
}

fn main() {
    let _ = HEAP.stats();
}
