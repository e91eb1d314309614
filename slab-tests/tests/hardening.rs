//! A corrupted free list (a write after free into a free block's first
//! word) is detected on `alloc`: `alloc` never returns a pointer that is
//! not a block of the slab, and for a declared slab never an allocated
//! block. Each case reports `AllocError::Corrupted` and changes nothing.

use std::collections::HashSet;
use std::ptr::NonNull;

use slab_core::{AllocError, MemSlab, Timeout, mem_slabs};
use slab_tests::{WORD, counts, free_all, leak_buffer};

mem_slabs! {
    static OUTSIDE(blocks = 4, size = 24);
    static MISALIGNED(blocks = 4, size = 24);
    static INSIDE_A_BLOCK(blocks = 4, size = 24);
    static ALIASED(blocks = 4, size = 24);
    static CUT_SHORT(blocks = 4, size = 24);
    static REPAIRED(blocks = 4, size = 24);
}

/// Allocates two blocks, frees them (so `first` is the head and links to
/// `second`), then overwrites `first`'s link with `link(first, second)`.
/// Returns `(first, second)`.
fn corrupt_head(
    slab: &MemSlab,
    link: impl Fn(*mut u8, *mut u8) -> *mut u8,
) -> (NonNull<u8>, NonNull<u8>) {
    slab_core::boot();
    let second = slab.alloc(Timeout::NoWait).unwrap();
    let first = slab.alloc(Timeout::NoWait).unwrap();
    free_all(slab, [second, first]);
    // SAFETY: a deliberate write after free into the freed block's first
    // word, the bug this test is about; the block is still ours in memory.
    unsafe {
        first
            .as_ptr()
            .cast::<*mut u8>()
            .write(link(first.as_ptr(), second.as_ptr()))
    };
    (first, second)
}

/// `alloc` reports `Corrupted` now and on every retry, changing nothing.
fn assert_corrupted(slab: &MemSlab) {
    let before = counts(slab);
    for timeout in [Timeout::NoWait, Timeout::millis(1), Timeout::Forever] {
        assert_eq!(slab.alloc(timeout), Err(AllocError::Corrupted));
        assert_eq!(counts(slab), before, "a refused alloc changes nothing");
    }
    assert_eq!(AllocError::Corrupted.errno(), -14);
}

#[test]
fn link_outside_the_buffer() {
    let (_, _) = corrupt_head(&OUTSIDE, |_, _| 0x1000 as *mut u8);
    assert_corrupted(&OUTSIDE);
}

#[test]
fn a_refused_alloc_leaves_the_head_free() {
    // The fast path clears the head's free flag before it tests the link
    // and must restore it when the link fails: once the link is repaired,
    // the head is handed out again.
    let (first, second) = corrupt_head(&REPAIRED, |_, _| 0x1000 as *mut u8);
    assert_corrupted(&REPAIRED);
    // SAFETY: `first` is free and ours in memory; its link is put back.
    unsafe { first.as_ptr().cast::<*mut u8>().write(second.as_ptr()) };
    assert_eq!(REPAIRED.alloc(Timeout::NoWait), Ok(first));
    assert_eq!(REPAIRED.alloc(Timeout::NoWait), Ok(second));
    free_all(&REPAIRED, [first, second]);
}

#[test]
fn link_misaligned_inside_the_buffer() {
    let (_, _) = corrupt_head(&MISALIGNED, |_, second| second.wrapping_add(1));
    assert_corrupted(&MISALIGNED);
}

#[test]
fn link_inside_a_block_at_a_word_boundary() {
    // 24-byte blocks: a word boundary that is not a block start looks safe
    // to follow; it is caught before it is handed out.
    let (first, second) = corrupt_head(&INSIDE_A_BLOCK, |_, second| second.wrapping_add(WORD));
    assert_eq!(
        INSIDE_A_BLOCK.alloc(Timeout::NoWait),
        Ok(first),
        "the head itself is fine"
    );
    assert_corrupted(&INSIDE_A_BLOCK);
    free_all(&INSIDE_A_BLOCK, [first]);
    let _ = second;
}

#[test]
fn link_to_an_allocated_block_is_never_handed_out_twice() {
    slab_core::boot();
    let held = ALIASED.alloc(Timeout::NoWait).unwrap();
    let (first, _) = corrupt_head(&ALIASED, |_, _| held.as_ptr());
    assert_eq!(ALIASED.alloc(Timeout::NoWait), Ok(first));
    // The next head is `held`, which is allocated: refused.
    assert_corrupted(&ALIASED);
    free_all(&ALIASED, [first, held]);
}

#[test]
fn null_link_cutting_the_list_short() {
    let (first, _) = corrupt_head(&CUT_SHORT, |_, _| std::ptr::null_mut());
    assert_eq!(CUT_SHORT.alloc(Timeout::NoWait), Ok(first));
    // Three blocks are still counted free, but the list ended.
    assert_eq!(CUT_SHORT.num_free(), 3);
    assert_corrupted(&CUT_SHORT);
}

/// Random corruptions of a free block's link on runtime-initialised slabs:
/// whatever the link, `alloc` returns only blocks of the slab, each at most
/// once while held, or `Corrupted`.
#[test]
fn random_links_never_yield_a_foreign_pointer() {
    const BLOCKS: usize = 6;
    const SIZE: usize = 3 * WORD;
    let mut rng = 0x2545_F491_4F6C_DD1Du64;
    let mut next = move || {
        rng ^= rng << 13;
        rng ^= rng >> 7;
        rng ^= rng << 17;
        rng
    };
    let trials = 20_000;
    let mut detected = 0;
    for _ in 0..trials {
        let slab: &'static MemSlab = Box::leak(Box::new(MemSlab::new()));
        slab.init(leak_buffer(BLOCKS * SIZE), SIZE, BLOCKS).unwrap();
        let range = slab.buffer_range();
        let victim = slab.alloc(Timeout::NoWait).unwrap();
        free_all(slab, [victim]);
        let r = next();
        // Mostly addresses in and around the buffer, sometimes anything.
        let link = match r % 4 {
            0 => r as usize,
            _ => range
                .start
                .wrapping_add((r >> 8) as usize % (3 * range.len()))
                .wrapping_sub(range.len()),
        };
        // SAFETY: a deliberate write after free into the victim's link.
        unsafe { victim.as_ptr().cast::<usize>().write(link) };
        let mut handed_out = HashSet::new();
        loop {
            match slab.alloc(Timeout::NoWait) {
                Ok(b) => {
                    let addr = b.as_ptr() as usize;
                    assert!(range.contains(&addr), "{addr:#x} is outside the slab");
                    assert_eq!(
                        (addr - range.start) % SIZE,
                        0,
                        "{addr:#x} is not a block start"
                    );
                    // Without a bitmap a link to an allocated block hands it
                    // out again (documented); the count check bounds it.
                    handed_out.insert(addr);
                    assert!(slab.num_used() <= BLOCKS, "more blocks out than exist");
                }
                Err(AllocError::Corrupted) => {
                    detected += 1;
                    break;
                }
                Err(AllocError::NoMemory) => {
                    assert_eq!(handed_out.len(), BLOCKS, "NoMemory only once all are out");
                    break;
                }
                Err(e) => panic!("unexpected {e:?}"),
            }
        }
    }
    assert!(
        detected > trials / 2,
        "most random links are caught ({detected})"
    );
    slab_tests::record_evidence(
        "hardening",
        &format!(
            "hardening: {trials} random free-list corruptions, {detected} reported as Corrupted, no foreign pointer ever returned"
        ),
    );
}
