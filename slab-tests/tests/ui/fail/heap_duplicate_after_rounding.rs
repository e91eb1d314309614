// 60 and 64 bytes round up to the same block size.
slab_core::slab_heap! {
    static HEAP: SlabHeap = [
        (blocks = 8, size = 60),
        (blocks = 8, size = 64),
    ];
}

fn main() {
    let _ = HEAP.stats();
}
