// Size classes from literals, a const expression and a type, with names,
// alignment and a doc comment; the default names; boot and a request.
use core::alloc::{GlobalAlloc, Layout};

#[allow(dead_code)]
#[repr(C, align(32))]
struct Frame([u8; 96]);

const MEDIUM: usize = 2 * 64;

slab_core::slab_heap! {
    /// A heap of four classes.
    pub static HEAP: SlabHeap = [
        (blocks = 4, size = 24),
        (blocks = 2, type = Frame),
        (blocks = 4, size = MEDIUM, name = "medium"),
        (blocks = 1, size = 4096, align = 4096),
    ];
}

fn main() {
    slab_core::boot();
    let names: Vec<&str> = HEAP.classes().map(|c| c.name()).collect();
    assert_eq!(names, ["HEAP/24", "HEAP/Frame", "medium", "HEAP/4096"]);
    let sizes: Vec<usize> = HEAP.classes().map(|c| c.block_size()).collect();
    assert_eq!(sizes, [24, 96, 128, 4096].map(|s: usize| s.next_multiple_of(8)));
    let page = Layout::from_size_align(100, 4096).unwrap();
    // SAFETY: a non-zero size; freed with the same layout.
    unsafe {
        let p = HEAP.alloc(page);
        assert_eq!(p as usize % 4096, 0);
        HEAP.dealloc(p, page);
    }
}
