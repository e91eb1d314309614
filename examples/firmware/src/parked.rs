//! A block that thread mode gives up for an interrupt handler to free,
//! straight to thread mode once it waits for it: the hand-off both boards
//! test. Shared by the Cortex-M firmware and `examples/riscv-firmware`
//! (which includes this file).

use core::cell::Cell;
use core::ptr::NonNull;

use critical_section::Mutex;
use slab_core::{AllocError, MemSlab, Timeout};

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
