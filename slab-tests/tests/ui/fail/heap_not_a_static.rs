slab_core::slab_heap! {
    pub const HEAP: SlabHeap = [(blocks = 8, size = 32)];
}

fn main() {}
