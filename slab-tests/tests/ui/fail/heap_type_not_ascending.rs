#[allow(dead_code)]
struct Frame([u8; 100]);

// `Frame` takes 104 bytes, less than the class before it.
slab_core::slab_heap! {
    static HEAP: SlabHeap = [
        (blocks = 8, size = 128),
        (blocks = 4, type = Frame),
    ];
}

fn main() {
    let _ = HEAP.stats();
}
