const SMALL: usize = 32;
const LARGE: usize = 16;

slab_core::slab_heap! {
    static HEAP: SlabHeap = [
        (blocks = 8, size = SMALL),
        (blocks = 8, size = LARGE),
    ];
}

fn main() {
    let _ = HEAP.stats();
}
