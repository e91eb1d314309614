//! `checks = "bounds"` against `checks = "full"`: what the bounds level
//! still rejects (`Foreign`, `Misaligned`, a free with nothing allocated),
//! each changing nothing, and that counters and hand-off are the same. The
//! full level's own guarantees are pinned by the hardening, model and
//! stress tests; this file checks both levels side by side with the same
//! shapes, including blocks whose size is not a power of two.

use std::ptr::NonNull;

use slab_core::{AllocError, FreeError, MemSlab, Timeout, mem_slabs};
use slab_tests::{Sent, counts, drain, free_all, ready, wait_until};

mem_slabs! {
    static FULL48(blocks = 5, size = 48);
    static BOUNDS48(blocks = 5, size = 48, checks = "bounds");
    static FULL64(blocks = 3, size = 64);
    static BOUNDS64(blocks = 3, size = 64, checks = "bounds");
    static BOUNDS_HANDOFF(blocks = 1, size = 32, checks = "bounds");
    static FULL_TWICE(blocks = 3, size = 64);
    static BOUNDS_TWICE(blocks = 3, size = 64, checks = "bounds");
    static BOUNDS_SHAPE(blocks = 7, size = 20, align = 4, checks = "bounds");
}

/// Every pointer around the buffer that is not a block start: refused
/// with the right error, nothing changed; every block start is accepted.
fn rejects_what_is_not_a_block(slab: &'static MemSlab) {
    let slab = ready(slab);
    let range = slab.buffer_range();
    let size = slab.block_size();
    let blocks = drain(slab);
    assert_eq!(blocks.len(), slab.num_blocks());
    assert_eq!(slab.alloc(Timeout::NoWait), Err(AllocError::NoMemory));
    let before = counts(slab);
    let from = range.start - 2 * size;
    for addr in from..range.end + 2 * size {
        let inside = range.contains(&addr);
        if inside && (addr - range.start).is_multiple_of(size) {
            continue;
        }
        let expected = if inside {
            FreeError::Misaligned
        } else {
            FreeError::Foreign
        };
        let p = NonNull::new(addr as *mut u8).unwrap();
        // SAFETY: refused without being touched: not a block start.
        assert_eq!(
            unsafe { slab.free(p) },
            Err(expected),
            "{}: {addr:#x}",
            slab.name()
        );
        assert_eq!(counts(slab), before, "{}: nothing changed", slab.name());
    }
    free_all(slab, blocks);
    assert_eq!(counts(slab), (0, slab.num_blocks(), slab.num_blocks()));
    slab.reset_max();
}

#[test]
fn both_levels_reject_foreign_and_misaligned_pointers() {
    for slab in [&FULL48, &BOUNDS48, &FULL64, &BOUNDS64, &BOUNDS_SHAPE] {
        rejects_what_is_not_a_block(slab);
    }
}

#[test]
fn bounds_refuses_a_free_with_nothing_allocated() {
    let slab = ready(&BOUNDS_TWICE);
    let block = slab.alloc(Timeout::NoWait).unwrap();
    free_all(slab, [block]);
    let before = counts(slab);
    // SAFETY: refused without being touched: nothing is allocated.
    assert_eq!(unsafe { slab.free(block) }, Err(FreeError::DoubleFree));
    assert_eq!(counts(slab), before);
}

#[test]
fn full_refuses_every_double_free() {
    let slab = ready(&FULL_TWICE);
    let held = slab.alloc(Timeout::NoWait).unwrap();
    let block = slab.alloc(Timeout::NoWait).unwrap();
    free_all(slab, [block]);
    let before = counts(slab);
    // SAFETY: refused without being touched: already free.
    assert_eq!(unsafe { slab.free(block) }, Err(FreeError::DoubleFree));
    assert_eq!(counts(slab), before);
    free_all(slab, [held]);
}

#[test]
fn bounds_counts_like_full() {
    mem_slabs! {
        static FULL(blocks = 5, size = 48);
        static BOUNDS(blocks = 5, size = 48, checks = "bounds");
    }
    {
        let (full, bounds) = (ready(&FULL), ready(&BOUNDS));
        let a = [full.alloc(Timeout::NoWait), full.alloc(Timeout::NoWait)];
        let b = [bounds.alloc(Timeout::NoWait), bounds.alloc(Timeout::NoWait)];
        assert_eq!(counts(full), counts(bounds));
        assert_eq!(full.stats(), bounds.stats());
        free_all(full, a.map(Result::unwrap));
        free_all(bounds, b.map(Result::unwrap));
        assert_eq!(counts(full), counts(bounds));
        full.reset_max();
        bounds.reset_max();
        assert_eq!(counts(full), counts(bounds));
    }
}

#[test]
fn bounds_hands_off_without_steal() {
    let slab = ready(&BOUNDS_HANDOFF);
    let block = slab.alloc(Timeout::NoWait).unwrap();
    let waiter = std::thread::spawn(move || Sent(slab.alloc(Timeout::Forever).unwrap()));
    wait_until("the waiter is queued", || slab.num_waiting() == 1);
    free_all(slab, [block]);
    // Handed to the waiter: still used, nothing for a racing alloc.
    assert_eq!(slab.num_used(), 1);
    assert_eq!(slab.alloc(Timeout::NoWait), Err(AllocError::NoMemory));
    let got = waiter.join().unwrap().0;
    assert_eq!(got, block);
    free_all(slab, [got]);
    assert_eq!(counts(slab), (0, 1, 1));
}
