//! Who holds each block of [`crate::SHARED`], and how many allocations and
//! frees each context made: every change of hands is checked against the
//! slab, so a block handed out twice, or one that goes missing, is caught
//! where it happens, and the end totals must equal the slab's counters.

use core::ptr::NonNull;
use core::sync::atomic::{AtomicU8, AtomicU32, Ordering};

use crate::{BLOCKS, SHARED};

/// Who holds a block.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub enum Holder {
    /// The slab (its free list, or on its way to a waiter inside `free`).
    Slab = 0,
    /// Hart 0, which waits for blocks.
    Hart0 = 1,
    /// In the mailbox from hart 0 to hart 1.
    Mailbox = 2,
    /// Hart 1 (its thread or its timer handler).
    Hart1 = 3,
}

/// Who allocates or frees.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(usize)]
pub enum Context {
    /// Hart 0's thread: `alloc` with `Forever` and finite timeouts.
    Hart0 = 0,
    /// Hart 1's thread: `alloc(NoWait)` and `free`.
    Hart1Thread = 1,
    /// Hart 1's machine-timer handler: `alloc(NoWait)` and `free`.
    Hart1Timer = 2,
}

static HOLDERS: [AtomicU8; BLOCKS] = [const { AtomicU8::new(Holder::Slab as u8) }; BLOCKS];
/// Successful allocations, per [`Context`].
pub static ALLOCS: [AtomicU32; 3] = [const { AtomicU32::new(0) }; 3];
/// Successful frees, per [`Context`].
pub static FREES: [AtomicU32; 3] = [const { AtomicU32::new(0) }; 3];
/// Changes of hands that did not start from the holder the ledger had.
pub static ERRORS: AtomicU32 = AtomicU32::new(0);

fn index(block: NonNull<u8>) -> usize {
    let range = SHARED.buffer_range();
    let addr = block.as_ptr() as usize;
    assert!(range.contains(&addr), "a block outside SHARED");
    (addr - range.start) / SHARED.block_size()
}

/// Moves `block` from `from` to `to`; counts an error if it was elsewhere.
pub fn hand(block: NonNull<u8>, from: Holder, to: Holder) {
    let was = HOLDERS[index(block)].swap(to as u8, Ordering::AcqRel);
    if was != from as u8 {
        ERRORS.fetch_add(1, Ordering::Relaxed);
    }
}

/// `context` got `block` from the slab.
pub fn allocated(block: NonNull<u8>, context: Context, holder: Holder) {
    hand(block, Holder::Slab, holder);
    ALLOCS[context as usize].fetch_add(1, Ordering::Relaxed);
}

/// `context` is about to give `block` back to the slab (before `free`:
/// the block may be someone else's the moment `free` returns).
pub fn freeing(block: NonNull<u8>, context: Context, holder: Holder) {
    hand(block, holder, Holder::Slab);
    FREES[context as usize].fetch_add(1, Ordering::Relaxed);
}

/// How many blocks the ledger has with `holder`.
pub fn held_by(holder: Holder) -> usize {
    HOLDERS
        .iter()
        .filter(|h| h.load(Ordering::Acquire) == holder as u8)
        .count()
}

/// Allocations minus frees over every context.
pub fn outstanding() -> i64 {
    let sum = |counts: &[AtomicU32; 3]| -> i64 {
        counts
            .iter()
            .map(|c| i64::from(c.load(Ordering::Acquire)))
            .sum()
    };
    sum(&ALLOCS) - sum(&FREES)
}
