slab_core::slab_heap! {
    static HEAP: MemSlab = [(blocks = 8, size = 32)];
}

fn main() {
    let _ = HEAP.stats();
}
