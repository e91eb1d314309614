const NOTHING: usize = 0;

slab_core::slab_heap! {
    static HEAP: SlabHeap = [(blocks = 8, size = 16), (blocks = 2, size = NOTHING)];
}

fn main() {
    let _ = HEAP.stats();
}
