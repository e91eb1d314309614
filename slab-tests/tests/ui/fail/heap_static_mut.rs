slab_core::slab_heap! {
    static mut HEAP: SlabHeap = [(blocks = 8, size = 32)];
}

fn main() {}
