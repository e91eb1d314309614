//! A block that thread mode gives up for an interrupt handler to free,
//! straight to thread mode once it waits for it: the hand-off the Cortex-M
//! and RISC-V firmware test, and the [`Tally`] of what the handlers did.

use core::cell::Cell;
use core::ptr::NonNull;

use critical_section::Mutex;
use slab_core::{AllocError, MemSlab, Timeout};

use crate::check_eq;

/// A block thread mode gave up for a handler to free.
#[derive(Clone, Copy)]
struct GivenUp(NonNull<u8>);

// SAFETY: the block has one owner at a time, and this one is moved from
// thread mode to a handler through `PARKED`; nobody else refers to it.
unsafe impl Send for GivenUp {}

/// The block thread mode parked for a handler to free.
static PARKED: Mutex<Cell<Option<GivenUp>>> = Mutex::new(Cell::new(None));

/// Parks `block` for [`free_to_waiter`]; thread mode gives it up.
pub fn park_block(block: NonNull<u8>) {
    critical_section::with(|cs| PARKED.borrow(cs).set(Some(GivenUp(block))));
}

/// Whether a parked block is still waiting for a handler.
pub fn block_parked() -> bool {
    critical_section::with(|cs| PARKED.borrow(cs).get().is_some())
}

/// What [`free_to_waiter`] did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct HandOff {
    /// The parked block was there and `free` took it.
    pub freed: bool,
    /// `alloc(NoWait)` right after got `NoMemory`: the block went to the
    /// waiter, nothing could steal it.
    pub steal_refused: bool,
}

/// What the handlers' hand-offs did; thread mode checks it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Tally {
    /// Blocks a handler freed to a waiting thread.
    pub handed_off: u32,
    /// `alloc(NoWait)` right after such a hand-off got `NoMemory`: the
    /// block went to the waiter, nothing could steal it.
    pub steals_refused: u32,
    /// A hand-off that went wrong: no parked block, or a free refused, or
    /// a steal that succeeded.
    pub errors: u32,
}

static TALLY: Mutex<Cell<Tally>> = Mutex::new(Cell::new(Tally {
    handed_off: 0,
    steals_refused: 0,
    errors: 0,
}));

/// A snapshot of the hand-offs' [`Tally`].
pub fn tally() -> Tally {
    critical_section::with(|cs| TALLY.borrow(cs).get())
}

/// Checks that the handlers made `hand_offs` hand-offs, each refusing the
/// steal that followed, and nothing went wrong.
pub fn check_tally(hand_offs: u32) {
    check_eq!(
        tally(),
        Tally {
            handed_off: hand_offs,
            steals_refused: hand_offs,
            errors: 0,
        }
    );
}

/// In a handler: [`free_to_waiter`], entered in the [`Tally`]; `true` once
/// done (a thread was waiting), `false` to try again at the next interrupt.
pub fn hand_off(slab: &MemSlab) -> bool {
    let Some(hand_off) = free_to_waiter(slab) else {
        return false;
    };
    critical_section::with(|cs| {
        let cell = TALLY.borrow(cs);
        let mut t = cell.get();
        t.handed_off += u32::from(hand_off.freed);
        t.steals_refused += u32::from(hand_off.steal_refused);
        t.errors += u32::from(!hand_off.freed) + u32::from(!hand_off.steal_refused);
        cell.set(t);
    });
    true
}

/// In a handler: once a thread waits on `slab` (`None` before), frees the
/// parked block, which `slab` hands to that thread, then tries to steal it
/// back with `alloc(NoWait)`.
pub fn free_to_waiter(slab: &MemSlab) -> Option<HandOff> {
    if slab.num_waiting() == 0 {
        return None;
    }
    let Some(GivenUp(block)) = critical_section::with(|cs| PARKED.borrow(cs).take()) else {
        return Some(HandOff {
            freed: false,
            steal_refused: false,
        });
    };
    // SAFETY: thread mode parked this block of `slab` and gave it up.
    let freed = unsafe { slab.free(block) }.is_ok();
    let steal = slab.alloc(Timeout::NoWait);
    Some(HandOff {
        freed,
        steal_refused: steal == Err(AllocError::NoMemory),
    })
}
