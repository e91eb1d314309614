//! The interrupt handler that frees: tasks give up blocks with
//! [`free_from_interrupt`], which queues them in an embassy-sync channel
//! and pends a device interrupt (IRQ 0, GPIO port A on the LM3S6965,
//! otherwise unused here); its handler frees each one with
//! `MemSlab::free`. A free that finds an async waiter hands it the block
//! and wakes its task through the task's waker, from the handler.
//!
//! The handler logs every free: which block, whether a task was waiting,
//! and whether an `alloc(NoWait)` right after a hand-off was refused (it
//! must be: the block went to the waiter, nothing may steal it).

use core::cell::RefCell;
use core::ptr::NonNull;

use cortex_m::interrupt::InterruptNumber;
use cortex_m::peripheral::NVIC;
use cortex_m_rt::exception;
use critical_section::Mutex;
use embassy_sync::blocking_mutex::raw::CriticalSectionRawMutex;
use embassy_sync::channel::Channel;
use slab_core::{AllocError, MemSlab, Timeout};

/// A raw block and its slab: given up by its task, on its way to the
/// handler (or to another task).
pub struct RawBlock {
    /// The slab the block belongs to.
    pub slab: &'static MemSlab,
    /// The block.
    pub block: NonNull<u8>,
}

// SAFETY: a given-up block has exactly one owner at a time (the channel,
// then the handler), and nothing else refers to it.
unsafe impl Send for RawBlock {}

/// Blocks waiting for the handler; one per block of the program's slabs
/// is enough.
static TO_FREE: Channel<CriticalSectionRawMutex, RawBlock, 8> = Channel::new();

/// The device interrupt that frees.
#[derive(Clone, Copy)]
struct Doorbell;

// SAFETY: 0 is a valid device interrupt number on the LM3S6965 (and on
// any Armv6-M/Armv7-M part: every NVIC has at least one interrupt).
unsafe impl InterruptNumber for Doorbell {
    fn number(self) -> u16 {
        0
    }
}

/// Enables the doorbell interrupt (after `slab_core::boot()`).
pub fn enable() {
    // SAFETY: its handler only touches state behind critical sections and
    // interrupt-safe slab calls; no mask-based critical section of this
    // program relies on it staying masked.
    unsafe { NVIC::unmask(Doorbell) };
}

/// Gives `block` up to the handler, which frees it before this returns
/// (interrupts are enabled in thread mode, and the doorbell preempts).
///
/// # Safety
/// `block.block` is a block of `block.slab` owned by the caller, who gives
/// it up: no reference into it is used afterwards.
pub unsafe fn free_from_interrupt(block: RawBlock) {
    if TO_FREE.try_send(block).is_err() {
        crate::report::fatal(file!(), line!(), format_args!("the free queue is full"));
    }
    NVIC::pend(Doorbell);
    cortex_m::asm::dsb();
    cortex_m::asm::isb();
}

/// The most frees [`Log::freed`] remembers.
pub const REMEMBERED: usize = 16;

/// What the handler did since the last [`take_log`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Log {
    /// Blocks freed.
    pub frees: u32,
    /// Of those, blocks handed to a waiting task (`num_used` unchanged by
    /// the free).
    pub to_waiters: u32,
    /// `alloc(NoWait)` right after a hand-off that got `NoMemory`.
    pub steals_refused: u32,
    /// Anything else: a free that failed, a steal that succeeded.
    pub errors: u32,
    /// The first [`REMEMBERED`] blocks freed, in order.
    pub freed: [usize; REMEMBERED],
}

const EMPTY: Log = Log {
    frees: 0,
    to_waiters: 0,
    steals_refused: 0,
    errors: 0,
    freed: [0; REMEMBERED],
};

static LOG: Mutex<RefCell<Log>> = Mutex::new(RefCell::new(EMPTY));

/// The log so far, which starts again empty.
pub fn take_log() -> Log {
    critical_section::with(|cs| LOG.borrow(cs).replace(EMPTY))
}

fn free_queued() {
    while let Ok(RawBlock { slab, block }) = TO_FREE.try_receive() {
        let waiting = slab.num_waiting();
        let used = slab.num_used();
        // SAFETY: the task that queued the block gave it up
        // (`free_from_interrupt`'s contract).
        let freed = unsafe { slab.free(block) };
        // A hand-off leaves the block allocated (to the waiter): seen in
        // the count, apart from the steal below, so that the two can be
        // checked against each other.
        let handed_off = freed.is_ok() && slab.num_used() == used;
        let steal = (waiting > 0).then(|| slab.alloc(Timeout::NoWait));
        critical_section::with(|cs| {
            let mut log = LOG.borrow_ref_mut(cs);
            let at = log.frees as usize;
            if let Some(slot) = log.freed.get_mut(at) {
                *slot = block.as_ptr() as usize;
            }
            log.frees += 1;
            if freed.is_err() {
                log.errors += 1;
            }
            if handed_off {
                log.to_waiters += 1;
            }
            match steal {
                None => {}
                Some(Err(AllocError::NoMemory)) => log.steals_refused += 1,
                Some(_) => log.errors += 1,
            }
        });
        if let Some(Ok(stolen)) = steal {
            // SAFETY: allocated just above (a steal, counted as an error),
            // not used afterwards.
            let _ = unsafe { slab.free(stolen) };
        }
    }
}

/// Every device interrupt; only the doorbell is enabled.
#[exception]
unsafe fn DefaultHandler(irqn: i16) {
    if irqn == Doorbell.number() as i16 {
        free_queued();
    } else {
        crate::report::fatal(
            file!(),
            line!(),
            format_args!("unexpected exception {irqn}"),
        );
    }
}
