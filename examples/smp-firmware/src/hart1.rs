//! Hart 1: allocates and frees on [`SHARED`] in its thread and in its
//! machine-timer handler, both with `NoWait`, while hart 0 waits.
//!
//! Each step, under one critical section (so hart 1's thread and handler
//! take turns, and hart 0's slab calls wait for it): take every free block
//! (`alloc(NoWait)` until `NoMemory`), then free one held block. When hart
//! 0 is queued on the slab (`num_waiting() > 0`, which cannot change inside
//! the critical section) that free is a hand-off: the block goes straight to
//! hart 0, and a second `alloc(NoWait)` must get `NoMemory` (the free list
//! stays empty: no steal). Hart 1 then raises hart 0's software interrupt
//! (the IPI) so that hart 0 wakes from `wfi`, unless hart 0 polls; with
//! nothing handed over it sleeps until hart 0's wait hook rings it back.
//! Blocks hart 0 got come back through [`MAILBOX`], emptied at each step.
//! The thread frees to the free list (nobody waiting) only one step in
//! [`FREE_TO_LIST_EVERY`], the handler every step, so that hart 0 both
//! finds blocks at once and waits for them.

use core::cell::RefCell;
use core::ptr::NonNull;
use core::sync::atomic::{AtomicBool, AtomicU8, AtomicU32, AtomicUsize, Ordering};

use critical_section::Mutex;
use riscv::interrupt::Interrupt;
use slab_core::{AllocError, Timeout};

use crate::ledger::{self, Context, Holder};
use crate::{BLOCKS, SHARED, clint};

/// What hart 0 tells hart 1 to do.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub enum Command {
    /// Allocate and free.
    Run = 0,
    /// Hold every block and free nothing (hart 0's waits must time out).
    Hold = 1,
    /// Free every held block and stop.
    Stop = 2,
}

/// Hart 0's command.
pub static COMMAND: AtomicU8 = AtomicU8::new(Command::Run as u8);
/// The last command hart 1 carried out (its thread, once the handler can
/// no longer act against it).
pub static DONE: AtomicU8 = AtomicU8::new(u8::MAX);

fn command() -> u8 {
    COMMAND.load(Ordering::Acquire)
}

/// Whether hart 0 waits in `wfi` for an IPI (`true`) or polls.
pub static SEND_IPIS: AtomicU8 = AtomicU8::new(1);

/// Frees that went straight to a waiting hart 0, per [`Context`]
/// (counted before the free: hart 0 sees the count once its `alloc`
/// returns the block).
pub static HAND_OFFS: [AtomicU32; 3] = [const { AtomicU32::new(0) }; 3];
/// `alloc(NoWait)` right after a hand-off got `NoMemory`.
pub static STEALS_REFUSED: AtomicU32 = AtomicU32::new(0);
/// IPIs sent to hart 0.
pub static IPIS: AtomicU32 = AtomicU32::new(0);
/// Wrong results on hart 1 (a free refused, a steal that succeeded).
pub static ERRORS: AtomicU32 = AtomicU32::new(0);
/// Critical sections hart 1 entered to bump [`crate::TALLY`].
pub static TALLIED: AtomicU32 = AtomicU32::new(0);

/// Hand-offs so far, every context.
pub fn hand_offs() -> u32 {
    HAND_OFFS.iter().map(|h| h.load(Ordering::Acquire)).sum()
}

/// The blocks hart 1 holds (addresses: `Send`).
struct Held {
    blocks: [usize; BLOCKS],
    len: usize,
}

impl Held {
    fn push(&mut self, block: NonNull<u8>) {
        self.blocks[self.len] = block.as_ptr() as usize;
        self.len += 1;
    }

    fn pop(&mut self) -> Option<NonNull<u8>> {
        self.len = self.len.checked_sub(1)?;
        NonNull::new(self.blocks[self.len] as *mut u8)
    }
}

static HELD: Mutex<RefCell<Held>> = Mutex::new(RefCell::new(Held {
    blocks: [0; BLOCKS],
    len: 0,
}));

/// Blocks from hart 0 to hart 1: a single-producer, single-consumer ring
/// (hart 0 pushes, hart 1's thread pops).
pub struct Mailbox {
    slots: [AtomicUsize; BLOCKS],
    pushed: AtomicUsize,
    popped: AtomicUsize,
}

/// Hart 0's blocks, on their way back to hart 1.
pub static MAILBOX: Mailbox = Mailbox {
    slots: [const { AtomicUsize::new(0) }; BLOCKS],
    pushed: AtomicUsize::new(0),
    popped: AtomicUsize::new(0),
};

impl Mailbox {
    /// Hart 0: hands `block` to hart 1. Never full: at most every block
    /// is in it.
    pub fn push(&self, block: NonNull<u8>) {
        let pushed = self.pushed.load(Ordering::Relaxed);
        assert!(
            pushed - self.popped.load(Ordering::Acquire) < BLOCKS,
            "more blocks in the mailbox than the slab has"
        );
        ledger::hand(block, Holder::Hart0, Holder::Mailbox);
        self.slots[pushed % BLOCKS].store(block.as_ptr() as usize, Ordering::Relaxed);
        self.pushed.store(pushed + 1, Ordering::Release);
    }

    fn pop(&self) -> Option<NonNull<u8>> {
        let popped = self.popped.load(Ordering::Relaxed);
        if popped == self.pushed.load(Ordering::Acquire) {
            return None;
        }
        let block = self.slots[popped % BLOCKS].load(Ordering::Relaxed);
        self.popped.store(popped + 1, Ordering::Release);
        NonNull::new(block as *mut u8)
    }

    /// Blocks pushed and not yet popped.
    pub fn len(&self) -> usize {
        self.pushed.load(Ordering::Acquire) - self.popped.load(Ordering::Acquire)
    }
}

/// Moves the mailbox's blocks to `held` (inside the critical section of a
/// step: hart 1's thread and handler both pop, one at a time).
fn collect_mail(held: &mut Held) {
    while let Some(block) = MAILBOX.pop() {
        ledger::hand(block, Holder::Mailbox, Holder::Hart1);
        held.push(block);
    }
}

/// Takes every free block of [`SHARED`] into `held`.
fn take_free(held: &mut Held, context: Context) {
    while let Ok(block) = SHARED.alloc(Timeout::NoWait) {
        ledger::allocated(block, context, Holder::Hart1);
        held.push(block);
    }
}

/// Steps so far (for [`FREE_TO_LIST_EVERY`]).
static TURN: AtomicU32 = AtomicU32::new(0);
/// How often the thread frees while nobody waits.
const FREE_TO_LIST_EVERY: u32 = 16;

/// One step (module docs); `true` when it handed a block to hart 0.
fn step(context: Context) -> bool {
    critical_section::with(|cs| {
        let mut held = HELD.borrow_ref_mut(cs);
        collect_mail(&mut held);
        take_free(&mut held, context);
        let waiting = SHARED.num_waiting() > 0;
        // With nobody waiting, the thread frees one step in
        // `FREE_TO_LIST_EVERY` (to the free list, where hart 0 finds it at
        // once), the handler every time.
        let turn = TURN.fetch_add(1, Ordering::Relaxed);
        if !waiting && context == Context::Hart1Thread && !turn.is_multiple_of(FREE_TO_LIST_EVERY) {
            return false;
        }
        let Some(block) = held.pop() else {
            return false;
        };
        if waiting {
            HAND_OFFS[context as usize].fetch_add(1, Ordering::Release);
        }
        ledger::freeing(block, context, Holder::Hart1);
        // SAFETY: a block of SHARED that hart 1 held (the ledger agrees);
        // nothing refers to it afterwards.
        if unsafe { SHARED.free(block) }.is_err() {
            ERRORS.fetch_add(1, Ordering::Relaxed);
        }
        if waiting {
            match SHARED.alloc(Timeout::NoWait) {
                Err(AllocError::NoMemory) => {
                    STEALS_REFUSED.fetch_add(1, Ordering::Relaxed);
                }
                Ok(stolen) => {
                    ERRORS.fetch_add(1, Ordering::Relaxed);
                    ledger::allocated(stolen, context, Holder::Hart1);
                    held.push(stolen);
                }
                Err(_) => {
                    ERRORS.fetch_add(1, Ordering::Relaxed);
                }
            }
        }
        crate::tally(&TALLIED);
        waiting
    })
}

/// Wakes hart 0 after a hand-off, unless it polls.
fn wake_hart0() {
    if SEND_IPIS.load(Ordering::Relaxed) != 0 {
        IPIS.fetch_add(1, Ordering::Relaxed);
        clint::send_ipi(0);
    }
}

/// Set by hart 1's handlers as they return; taken by [`sleep`].
static EVENT: AtomicBool = AtomicBool::new(false);

/// Hart 1's handlers: the last thing they do.
pub fn event() {
    EVENT.store(true, Ordering::Release);
}

/// Hart 1 with nothing to do while hart 0 sleeps too: `wfi` until hart
/// 0's wait hook rings (or the timer), with the masked `wfi` of hart 0's
/// hook, so a ring in between is not lost.
fn sleep() {
    clint::sleep_unless(&EVENT, || {});
}

/// The machine timer's rate on hart 1: its handler's steps.
const TIMER_HZ: u64 = 20_000;

/// Spin-loop hints between two steps of hart 1's thread.
const BETWEEN_STEPS: u32 = 64;

/// Hart 1's `main`.
pub fn run() -> ! {
    clint::set_timer(clint::now() + clint::MTIME_HZ / TIMER_HZ);
    // SAFETY: slab_core::boot() ran on hart 0 before hart 1 was released;
    // the handler only makes interrupt-safe slab calls under critical
    // sections.
    unsafe {
        riscv::interrupt::enable_interrupt(Interrupt::MachineTimer);
        riscv::interrupt::enable_interrupt(Interrupt::MachineSoft);
        riscv::interrupt::enable();
    }
    loop {
        let command = command();
        if command == Command::Run as u8 {
            let handed_off = step(Context::Hart1Thread);
            if handed_off {
                wake_hart0();
            }
            DONE.store(command, Ordering::Release);
            if !handed_off && SEND_IPIS.load(Ordering::Relaxed) != 0 {
                sleep();
            }
            // Other work between steps: the critical section is a spin
            // lock with no fairness, and a hart that takes it again at once
            // would keep hart 0 out.
            for _ in 0..BETWEEN_STEPS {
                core::hint::spin_loop();
            }
        } else if command == Command::Hold as u8 {
            // The handler sees Hold too from its next run on; once this
            // critical section has taken the free blocks nothing is freed.
            critical_section::with(|cs| {
                let mut held = HELD.borrow_ref_mut(cs);
                collect_mail(&mut held);
                take_free(&mut held, Context::Hart1Thread);
            });
            DONE.store(command, Ordering::Release);
        } else {
            riscv::interrupt::disable_interrupt(Interrupt::MachineTimer);
            critical_section::with(|cs| {
                let mut held = HELD.borrow_ref_mut(cs);
                collect_mail(&mut held);
                while let Some(block) = held.pop() {
                    ledger::freeing(block, Context::Hart1Thread, Holder::Hart1);
                    // SAFETY: as in `step`.
                    if unsafe { SHARED.free(block) }.is_err() {
                        ERRORS.fetch_add(1, Ordering::Relaxed);
                    }
                }
            });
            DONE.store(command, Ordering::Release);
            loop {
                riscv::asm::wfi();
            }
        }
    }
}

/// Hart 1's machine timer: the next deadline, then a step while running.
pub fn tick() {
    clint::set_timer(clint::now() + clint::MTIME_HZ / TIMER_HZ);
    if command() == Command::Run as u8 && step(Context::Hart1Timer) {
        wake_hart0();
    }
    event();
}
