//! `SlabHeap` at the edges of `GlobalAlloc`'s contract: `type` classes
//! (their alignment is the type's), classes whose alignment does not grow
//! with their size, blocks that fell through to a larger class and are
//! then reallocated and freed with a smaller layout, and sizes near
//! `isize::MAX` (null, and the old block kept, never an overflow).

use std::alloc::{GlobalAlloc, Layout};

use slab_core::MemSlab;

#[repr(align(32))]
#[allow(dead_code)]
struct Aligned([u8; 32]);

slab_core::slab_heap! {
    static HEAP: SlabHeap = [
        (blocks = 2, size = 16),
        (blocks = 1, size = 64, align = 64),
        (blocks = 2, size = 128),
        (blocks = 1, type = [Aligned; 8]),
    ];
}

fn class(p: *mut u8) -> usize {
    HEAP.classes()
        .position(|c: &MemSlab| c.buffer_range().contains(&(p as usize)))
        .expect("a block of the heap")
}

fn layout(size: usize, align: usize) -> Layout {
    Layout::from_size_align(size, align).unwrap()
}

#[test]
fn edges_of_the_contract() {
    slab_core::boot();
    let used = |i: usize| HEAP.classes().nth(i).unwrap().num_used();
    // SAFETY: non-zero sizes; each block is freed with the layout it was
    // last allocated or reallocated with; null results are checked; the
    // bytes read were written.
    unsafe {
        // A `type` class promises its type's alignment (32), and no more.
        let p = HEAP.alloc(layout(200, 32));
        assert_eq!((class(p), p as usize % 32), (3, 0));
        assert!(
            HEAP.alloc(layout(200, 32)).is_null(),
            "its one block is taken"
        );
        assert!(
            HEAP.alloc(layout(8, 128)).is_null(),
            "no class promises 128"
        );
        HEAP.dealloc(p, layout(200, 32));

        // Alignment 64 fits only the 64-byte class: with its block taken,
        // neither larger class (aligned to 8 and 32) serves it.
        let a = HEAP.alloc(layout(8, 64));
        assert_eq!((class(a), a as usize % 64), (1, 0));
        assert!(HEAP.alloc(layout(8, 64)).is_null());
        HEAP.dealloc(a, layout(8, 64));

        // A block that fell through to a larger class stays there through
        // in-place reallocations, and is found again by its address when
        // freed with a layout the smallest class would fit.
        let small = [HEAP.alloc(layout(16, 8)), HEAP.alloc(layout(16, 8))];
        assert_eq!(small.map(class), [0, 0]);
        let x = HEAP.alloc(layout(16, 8));
        assert_eq!(class(x), 1, "the 16-byte class is full");
        assert_eq!(HEAP.realloc(x, layout(16, 8), 60), x);
        assert_eq!(HEAP.realloc(x, layout(60, 8), 10), x);
        HEAP.dealloc(x, layout(10, 8));
        assert_eq!(used(1), 0);
        HEAP.dealloc(small[1], layout(16, 8));

        // Sizes near `isize::MAX`: null, the old block kept and intact.
        let q = HEAP.alloc(layout(8, 8));
        q.write_bytes(0x5a, 8);
        for new_size in [257, 1 << 40, isize::MAX as usize - 7, isize::MAX as usize] {
            assert!(
                HEAP.realloc(q, layout(8, 8), new_size).is_null(),
                "{new_size}"
            );
        }
        assert_eq!(std::slice::from_raw_parts(q, 8), [0x5a; 8]);
        assert!(HEAP.alloc(layout(isize::MAX as usize - 7, 8)).is_null());
        assert!(HEAP.alloc(layout(1, 1 << 40)).is_null());
        HEAP.dealloc(q, layout(8, 8));
        HEAP.dealloc(small[0], layout(16, 8));
    }
    assert_eq!(HEAP.stats().allocated_bytes, 0);
}

slab_core::slab_heap! {
    // Its own heap: the tests run in parallel.
    static ZERO_HEAP: SlabHeap = [(blocks = 2, size = 16)];
}

/// A zero-size request (outside `GlobalAlloc`'s contract) is null, not a
/// block, and freeing a null or foreign pointer changes nothing.
#[test]
fn zero_size_is_null_and_foreign_frees_change_nothing() {
    slab_core::boot();
    let before = ZERO_HEAP.stats();
    // SAFETY: `SlabHeap::alloc` reads nothing through a zero-size layout;
    // `dealloc` of a pointer that is no block of the heap is refused.
    unsafe {
        assert!(ZERO_HEAP.alloc(layout(0, 8)).is_null());
        ZERO_HEAP.dealloc(core::ptr::null_mut(), layout(8, 8));
        let mut local = 0u64;
        ZERO_HEAP.dealloc((&raw mut local).cast(), layout(8, 8));
    }
    assert_eq!(ZERO_HEAP.stats(), before);
}

slab_core::slab_heap! {
    // Its own heap: the tests run in parallel.
    static LINK_HEAP: SlabHeap = [(blocks = 4, size = 16), (blocks = 1, size = 64)];
}

/// Blocks of a declared class freed with layouts of 1 to `WORD - 1` bytes
/// (`Box<u8>`, `Box<[u8; 3]>`, `Box<[u8; 5]>` …): the slab writes each link
/// a byte at a time, and every block comes back once, the last freed
/// first, before the class counts as full.
#[test]
fn sub_word_frees_of_a_declared_class_keep_its_free_list() {
    slab_core::boot();
    const WORD: usize = core::mem::size_of::<usize>();
    let small = LINK_HEAP.classes().next().unwrap();
    // SAFETY: non-zero sizes; each block is freed once with the layout it
    // was allocated with; the bytes read were written.
    unsafe {
        for covered in 1..WORD {
            let sub_word = layout(covered, 1);
            let blocks: Vec<*mut u8> = (0..4).map(|_| LINK_HEAP.alloc(sub_word)).collect();
            assert!(
                blocks
                    .iter()
                    .all(|&p| small.buffer_range().contains(&(p as usize)))
            );
            for &p in &blocks {
                p.write_bytes(0xa5, covered);
                LINK_HEAP.dealloc(p, sub_word);
            }
            assert_eq!(small.num_used(), 0);
            let whole = layout(16, 8);
            let again: Vec<*mut u8> = (0..4).map(|_| LINK_HEAP.alloc(whole)).collect();
            let last_first: Vec<*mut u8> = blocks.iter().rev().copied().collect();
            assert_eq!(again, last_first, "covered {covered}");
            for &p in &again {
                p.write_bytes(covered as u8, 16);
            }
            let spill = LINK_HEAP.alloc(sub_word);
            assert!(!small.buffer_range().contains(&(spill as usize)), "full");
            LINK_HEAP.dealloc(spill, sub_word);
            for &p in &again {
                assert_eq!(*p.add(15), covered as u8);
                LINK_HEAP.dealloc(p, whole);
            }
        }
    }
    assert_eq!(LINK_HEAP.stats().allocated_bytes, 0);
}
