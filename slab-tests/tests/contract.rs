//! Behaviour that API.md and the slab's documented threat model promise,
//! written down where a mutation run found no test holding it: pointer
//! validation for block sizes with an odd factor, the exact block size of a
//! declaration, where a corrupted link is reported, and that `free`'s
//! double-free walk never follows a link out of the slab.

use std::ptr::NonNull;

use slab_core::{AllocError, FreeError, MemSlab, Timeout, mem_slabs};
use slab_tests::{WORD, counts, drain, free_all, leak_buffer};

fn runtime_slab(block_size: usize, num_blocks: usize) -> &'static MemSlab {
    let slab = Box::leak(Box::new(MemSlab::new()));
    slab.init(leak_buffer(block_size * num_blocks), block_size, num_blocks)
        .unwrap();
    slab
}

fn at(p: NonNull<u8>, bytes: usize) -> NonNull<u8> {
    NonNull::new(p.as_ptr().wrapping_add(bytes)).unwrap()
}

/// Every block start is accepted by `free`; every other word inside the
/// buffer is `Misaligned`, the first byte past it and the word before it
/// `Foreign`, and a refused free changes nothing. Block sizes of 1 to 9 and
/// 12 words: odd factors exercise the division-free index.
fn check_validation(slab: &MemSlab) {
    let block_size = slab.block_size();
    let blocks = drain(slab);
    assert_eq!(blocks.len(), slab.num_blocks());
    let start = slab.buffer_range().start as *mut u8;
    let end = slab.buffer_range().end as *mut u8;
    let before = counts(slab);
    for &b in &blocks {
        for word in 1..block_size / WORD {
            // SAFETY: refused without being touched.
            let r = unsafe { slab.free(at(b, word * WORD)) };
            assert_eq!(
                r,
                Err(FreeError::Misaligned),
                "word {word} of a {block_size}-byte block"
            );
        }
    }
    for foreign in [end, start.wrapping_sub(WORD), end.wrapping_add(block_size)] {
        // SAFETY: refused without being touched.
        let r = unsafe { slab.free(NonNull::new(foreign).unwrap()) };
        assert_eq!(
            r,
            Err(FreeError::Foreign),
            "{foreign:p} with blocks of {block_size}"
        );
    }
    assert_eq!(counts(slab), before, "refused frees change nothing");
    free_all(slab, blocks);
    assert_eq!(slab.num_free(), slab.num_blocks());
}

#[test]
fn every_block_start_and_only_those_are_accepted_by_free() {
    for words in (1..=9).chain([12]) {
        check_validation(runtime_slab(words * WORD, 5));
    }
}

mem_slabs! {
    static VALIDATE_3W(blocks = 7, size = 3 * WORD);
    static VALIDATE_5W(blocks = 3, size = 5 * WORD);
    static VALIDATE_24(blocks = 40, size = 24);
}

#[test]
fn declared_slabs_validate_like_runtime_ones() {
    slab_core::boot();
    for slab in [&VALIDATE_3W, &VALIDATE_5W, &VALIDATE_24] {
        check_validation(slab);
    }
}

#[repr(align(16))]
struct Sixteen(#[allow(dead_code)] [u8; 48]);

mem_slabs! {
    static SIZE_1(blocks = 1, size = 1);
    static SIZE_WORD_PLUS_1(blocks = 1, size = WORD + 1);
    static SIZE_20(blocks = 1, size = 20);
    static SIZE_96_ALIGN_32(blocks = 2, size = 96, align = 32);
    static TYPE_20_BYTES(blocks = 1, type = [u8; 20]);
    static TYPE_ALIGN_16(blocks = 2, type = Sixteen);
}

/// API.md §1: `size` is rounded up to a multiple of the pointer word; with
/// `align`, the block alignment is `max(align, word)`; `type` takes size and
/// alignment from the type, each raised to a word. Known before `boot()`.
#[test]
fn declared_block_sizes_are_rounded_to_the_word() {
    let up = |n: usize| n.div_ceil(WORD) * WORD;
    assert_eq!(SIZE_1.block_size(), WORD);
    assert_eq!(SIZE_WORD_PLUS_1.block_size(), 2 * WORD);
    assert_eq!(SIZE_20.block_size(), up(20));
    assert_eq!(SIZE_96_ALIGN_32.block_size(), 96);
    assert_eq!(TYPE_20_BYTES.block_size(), up(20));
    assert_eq!(TYPE_ALIGN_16.block_size(), 48);
    slab_core::boot();
    assert!(SIZE_96_ALIGN_32.block_align() >= 32);
    assert!(TYPE_ALIGN_16.block_align() >= 16);
    for slab in [&SIZE_96_ALIGN_32, &TYPE_ALIGN_16] {
        let blocks = drain(slab);
        assert_eq!(blocks.len(), 2);
        let align = if slab.block_size() == 96 { 32 } else { 16 };
        assert!(
            blocks
                .iter()
                .all(|b| (b.as_ptr() as usize).is_multiple_of(align))
        );
        free_all(slab, blocks);
    }
}

mem_slabs! {
    static LINK_TO_END(blocks = 4, size = 32);
}

/// A free block's link overwritten with the address just past the buffer
/// (inside no block, though aligned like one): the `alloc` that would make
/// it the head reports `Corrupted` and changes nothing (slab.rs's threat
/// model), so it is never followed.
#[test]
fn a_link_to_the_end_of_the_buffer_is_reported_by_the_alloc_that_reads_it() {
    for slab in [&LINK_TO_END, runtime_slab(32, 4)] {
        slab_core::boot();
        let head = slab.alloc(Timeout::NoWait).unwrap();
        free_all(slab, [head]);
        let end = slab.buffer_range().end as *mut u8;
        // SAFETY: a deliberate write after free into the head's link.
        unsafe { head.as_ptr().cast::<*mut u8>().write(end) };
        let before = counts(slab);
        assert_eq!(slab.alloc(Timeout::NoWait), Err(AllocError::Corrupted));
        assert_eq!(counts(slab), before);
    }
}

/// A runtime-initialised slab checks a free against its free list with a
/// walk. A link overwritten to point outside the slab ends the walk: the
/// word it points at is never read (it may be anything, or unmapped), so a
/// valid free is accepted even when that word holds the freed block's
/// address.
#[test]
fn the_double_free_walk_never_follows_a_link_out_of_the_slab() {
    let slab = runtime_slab(2 * WORD, 5);
    let blocks = drain(slab);
    let kept = blocks[0];
    // The free list: blocks[1] (head) → blocks[2] → … → blocks[4].
    free_all(slab, blocks[1..].iter().rev().copied());
    // A word outside the slab holding `kept`'s address, as if the walk
    // reaching it should find `kept` free.
    let decoy: &'static mut *mut u8 = Box::leak(Box::new(kept.as_ptr()));
    let decoy: *mut *mut u8 = decoy;
    // SAFETY: a deliberate write after free into the head's link.
    unsafe { blocks[1].as_ptr().cast::<*mut *mut u8>().write(decoy) };
    // SAFETY: `kept` is allocated and ours.
    assert_eq!(
        unsafe { slab.free(kept) },
        Ok(()),
        "a valid free is accepted"
    );
}

/// The walk finds a double free of a block deeper in the list than the
/// head.
#[test]
fn a_double_free_behind_the_head_is_refused() {
    let slab = runtime_slab(WORD, 4);
    let blocks = drain(slab);
    free_all(slab, blocks[..3].iter().copied());
    // The list: blocks[2] → blocks[1] → blocks[0]; blocks[3] allocated.
    let before = counts(slab);
    for &b in &blocks[..3] {
        // SAFETY: refused without being touched.
        assert_eq!(unsafe { slab.free(b) }, Err(FreeError::DoubleFree));
    }
    assert_eq!(counts(slab), before);
}

/// API.md: `MemSlab` and `Semaphore` are `Debug`; the output shows their
/// state.
#[test]
fn debug_shows_the_state() {
    let sem = slab_core::Semaphore::new(2, 5);
    assert_eq!(
        format!("{sem:?}"),
        "Semaphore { count: 2, limit: 5, waiting: 0 }"
    );
    let slab = runtime_slab(WORD, 3);
    let block = slab.alloc(Timeout::NoWait).unwrap();
    assert_eq!(
        format!("{slab:?}"),
        format!(
            "MemSlab {{ name: \"\", block_size: {WORD}, num_blocks: 3, num_used: 1, \
             num_free: 2, max_used: 1, ready: true }}"
        )
    );
    free_all(slab, [block]);
}

/// The walk is bounded by the number of blocks counted free (slab.rs: "a
/// bounded walk of the free list, O(free blocks)"): a link overwritten to
/// point at an allocated block, whose owner's data happens to hold the
/// address of another allocated block, does not make `free` refuse that
/// block as a double free.
#[test]
fn the_double_free_walk_looks_at_no_more_nodes_than_blocks_are_free() {
    let slab = runtime_slab(2 * WORD, 4);
    let blocks = drain(slab);
    let (head, allocated, freed_later) = (blocks[0], blocks[1], blocks[2]);
    free_all(slab, [head]);
    // One block free. Its link now points at an allocated block (a write
    // after free), whose owner stored `freed_later`'s address in it.
    // SAFETY: `allocated` is ours; `head`'s link is the deliberate bug.
    unsafe {
        allocated
            .as_ptr()
            .cast::<*mut u8>()
            .write(freed_later.as_ptr());
        head.as_ptr().cast::<*mut u8>().write(allocated.as_ptr());
    }
    // SAFETY: `freed_later` is allocated and ours.
    assert_eq!(unsafe { slab.free(freed_later) }, Ok(()));
}
