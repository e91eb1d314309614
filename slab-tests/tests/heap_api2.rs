//! `MemSlab` as an `allocator_api2::alloc::Allocator`: allocator-api2's
//! `Box` and `Vec` live in a declared slab's blocks; a layout that does not
//! fit a block, or an empty slab, is an `AllocError`, never a smaller
//! block; `grow` and `shrink` stay in the block.

use core::alloc::Layout;

use allocator_api2::alloc::Allocator;
use allocator_api2::boxed::Box;
use allocator_api2::vec::Vec;
use slab_core::{MemSlab, mem_slab};

#[mem_slab(blocks = 3, size = 64, align = 16)]
static BUFS: MemSlab;

#[mem_slab(blocks = 2, size = 24)]
static SMALL: MemSlab;

// Each test has its own slab: the tests run in parallel.
#[mem_slab(blocks = 1, size = 24)]
static ONE: MemSlab;

fn inside(slab: &MemSlab, p: *const u8) -> bool {
    let range = slab.buffer_range();
    range.contains(&(p as usize)) && (p as usize - range.start).is_multiple_of(slab.block_size())
}

#[test]
fn box_new_in_and_vec_with_capacity_in_use_the_slab() {
    slab_core::boot();
    let b = Box::new_in([1u64, 2, 3], &BUFS);
    assert!(inside(&BUFS, b.as_ptr().cast()));
    assert_eq!(*b, [1, 2, 3]);
    let mut v: Vec<u32, _> = Vec::with_capacity_in(4, &BUFS);
    assert!(inside(&BUFS, v.as_ptr().cast()));
    let first = v.as_ptr();
    v.extend(0..16); // 64 bytes: grows within the block
    assert_eq!(v.as_ptr(), first);
    assert!(v.iter().copied().eq(0..16));
    assert_eq!(BUFS.num_used(), 2);
    assert!(v.try_reserve(1).is_err(), "no block of BUFS is larger");
    v.truncate(2);
    v.shrink_to_fit();
    assert_eq!(v.as_ptr(), first, "shrinks in place");
    drop((b, v));
    assert_eq!(BUFS.num_used(), 0);
}

#[test]
fn misfits_and_an_empty_slab_are_errors() {
    slab_core::boot();
    // Too large, too aligned: errors, and nothing is taken.
    assert!(
        SMALL
            .allocate(Layout::from_size_align(25, 8).unwrap())
            .is_err()
    );
    assert!(
        SMALL
            .allocate(Layout::from_size_align(8, 64).unwrap())
            .is_err()
    );
    assert!(Box::try_new_in([0u8; 25], &SMALL).is_err());
    assert_eq!(SMALL.num_used(), 0);
    // Fitting layouts get the whole block.
    let a = SMALL.allocate(Layout::new::<u64>()).unwrap();
    assert_eq!(a.len(), 24);
    let b = Box::try_new_in([9u8; 24], &SMALL).unwrap();
    // Empty: an error, not a wait.
    assert!(SMALL.allocate(Layout::new::<u8>()).is_err());
    // SAFETY: `a` came from SMALL with this layout, not used afterwards.
    unsafe { SMALL.deallocate(a.cast(), Layout::new::<u64>()) };
    assert_eq!(*b, [9; 24]);
    drop(b);
    assert_eq!(SMALL.num_used(), 0);
}

#[test]
fn grow_past_the_block_fails_and_keeps_it() {
    slab_core::boot();
    let small = Layout::from_size_align(8, 8).unwrap();
    let p = ONE.allocate(small).unwrap().cast::<u8>();
    // SAFETY: `p` is live with layout `small`; the layouts grow/shrink it.
    unsafe {
        p.as_ptr().write(42);
        let big = Layout::from_size_align(24, 8).unwrap();
        let same = ONE.grow(p, small, big).unwrap();
        assert_eq!(same.cast::<u8>(), p);
        assert!(
            ONE.grow(p, big, Layout::from_size_align(32, 8).unwrap())
                .is_err()
        );
        assert_eq!(p.as_ptr().read(), 42, "a failed grow leaves the block");
        let back = ONE.shrink(p, big, small).unwrap();
        assert_eq!(back.cast::<u8>(), p);
        ONE.deallocate(p, small);
    }
    assert_eq!(ONE.num_used(), 0);
}

#[mem_slab(blocks = 1, size = 32)]
static ZEROED: MemSlab;

/// `grow_zeroed` is a `grow`: it stays in the block while the new layout
/// fits it (so it works on a slab with no other block free), zeroing the
/// bytes past the old layout's size, and fails past the block.
#[test]
fn grow_zeroed_stays_in_the_block_and_zeroes_the_rest() {
    slab_core::boot();
    let small = Layout::from_size_align(8, 8).unwrap();
    let p = ZEROED.allocate(small).unwrap().cast::<u8>();
    // SAFETY: `p` is live with layout `small` (the whole 32-byte block is
    // the caller's: `allocate` reported its length); the layouts grow it.
    unsafe {
        p.as_ptr().write_bytes(0xa5, 32);
        let big = Layout::from_size_align(24, 8).unwrap();
        let grown = ZEROED
            .grow_zeroed(p, small, big)
            .expect("24 bytes fit the block: in place, no other block needed");
        assert_eq!(grown.cast::<u8>(), p);
        assert_eq!(grown.len(), 32);
        let bytes = core::slice::from_raw_parts(p.as_ptr(), 32);
        assert_eq!(bytes[..8], [0xa5; 8], "the old layout's bytes are kept");
        assert_eq!(bytes[8..], [0; 24], "the rest of the block is zeroed");
        assert!(
            ZEROED
                .grow_zeroed(p, big, Layout::from_size_align(33, 8).unwrap())
                .is_err()
        );
        ZEROED.deallocate(p, big);
    }
    assert_eq!(ZEROED.num_used(), 0);
}

#[mem_slab(blocks = 2, size = 32)]
static PAIR: MemSlab;

/// `grow_zeroed` zeroes the rest of its own block and nothing past it: the
/// next block's bytes, another owner's, are left as they were.
#[test]
fn grow_zeroed_leaves_the_next_block_alone() {
    slab_core::boot();
    let small = Layout::from_size_align(8, 8).unwrap();
    let a = PAIR.allocate(small).unwrap().cast::<u8>();
    let b = PAIR.allocate(small).unwrap().cast::<u8>();
    let (low, high) = if a < b { (a, b) } else { (b, a) };
    assert_eq!(high.as_ptr() as usize - low.as_ptr() as usize, 32);
    // SAFETY: `a` and `b` are PAIR's two blocks, live with layout `small`
    // (each whole 32-byte block is the caller's); `low` is grown in place.
    unsafe {
        high.as_ptr().write_bytes(0xa5, 32);
        let grown = PAIR
            .grow_zeroed(low, small, Layout::from_size_align(16, 8).unwrap())
            .unwrap();
        assert_eq!((grown.cast::<u8>(), grown.len()), (low, 32));
        let next = core::slice::from_raw_parts(high.as_ptr(), 32);
        assert_eq!(next, [0xa5; 32], "the next block is untouched");
        PAIR.deallocate(a, small);
        PAIR.deallocate(b, small);
    }
    assert_eq!(PAIR.num_used(), 0);
}
