// A class's `size` (or `type`) naming an item that the class's slab
// declares in its own expansion would mean 8-byte blocks to the slab and
// 4096-byte blocks to the heap: an overflow of every block it hands out.
// It is an error instead.
const __SLAB_BLOCKS: usize = 4096;

slab_core::slab_heap! {
    static HEAP: SlabHeap = [(blocks = 1, size = __SLAB_BLOCKS)];
}

slab_core::slab_heap! {
    static TYPED: SlabHeap = [(blocks = 1, type = [u8; __SLAB_BLOCKS])];
}

fn main() {
    let _ = (HEAP.stats(), TYPED.stats());
}
