//! The machine side: a 10 kHz SysTick clock, a "doorbell" device interrupt
//! pended through the NVIC, the jobs the two handlers run for thread mode,
//! and the wait hook.
//!
//! Thread mode sets a handler's [`Job`] and then waits; the handler does the
//! job once the thread is really waiting (`num_waiting() > 0`), so every
//! hand-off goes through the wait queue rather than the free list.

use core::cell::Cell;
use core::sync::atomic::{AtomicBool, AtomicU8, AtomicU32, Ordering};

use cortex_m::interrupt::InterruptNumber;
use cortex_m::peripheral::{NVIC, SYST};
use cortex_m_rt::exception;
use critical_section::Mutex;
use slab_core::{AllocError, Timeout};

use crate::{HANDOFF, IRQ_BUFS, SIGNAL};

/// SysTick rate.
pub const TICKS_PER_SECOND: u64 = 10_000;

/// The board's RAM, as its `memory.x` gives it.
pub use slab_firmware_common::board::RAM;

/// Ticks since `start_clock`, advanced by the SysTick handler. A `u64`
/// never wraps; it is read under a critical section (no 64-bit atomics).
static TICKS: Mutex<Cell<u64>> = Mutex::new(Cell::new(0));

/// The clock registered with `slab_core::set_clock`.
pub fn now() -> u64 {
    critical_section::with(|cs| TICKS.borrow(cs).get())
}

/// Starts SysTick at [`TICKS_PER_SECOND`] (from the board's core clock).
pub fn start_clock(syst: &mut SYST) {
    slab_firmware_common::systick::start_periodic(syst, TICKS_PER_SECOND as u32);
}

/// The device interrupt that thread mode pends to run a job: IRQ 0 (GPIO
/// port A on the LM3S6965, the non-secure watchdog's reset request on the
/// AN505; neither is raised by its device here). Without a device
/// crate, cortex-m-rt routes every device interrupt to `DefaultHandler`.
#[derive(Clone, Copy)]
pub struct Doorbell;

// SAFETY: 0 is a valid device interrupt number on the LM3S6965 (and on
// any Armv6-M/Armv7-M part: every NVIC has at least one interrupt).
unsafe impl InterruptNumber for Doorbell {
    fn number(self) -> u16 {
        0
    }
}

/// Enables the doorbell interrupt.
pub fn enable_doorbell() {
    // SAFETY: its handler only touches state behind critical sections and
    // lock-free slab/semaphore calls; no mask-based critical section of
    // this program relies on it staying masked.
    unsafe { NVIC::unmask(Doorbell) };
}

/// Pends the doorbell; it is taken before this returns (interrupts enabled
/// in thread mode).
pub fn ring_doorbell() {
    NVIC::pend(Doorbell);
    cortex_m::asm::dsb();
    cortex_m::asm::isb();
}

/// What a handler does next for thread mode.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub enum Job {
    /// Nothing.
    Idle = 0,
    /// Once a thread waits on `HANDOFF`: free the parked block to it.
    FreeToWaiter = 1,
    /// Once a thread waits on `SIGNAL`: give it a permit.
    GiveToWaiter = 2,
    /// `alloc(NoWait)` on `IRQ_BUFS` twice, then free what it got.
    AllocInHandler = 3,
    /// Allocate a block of `leak::LEAKY` and keep it (the leak that
    /// `leak::run` finds).
    #[cfg(feature = "track")]
    KeepBlock = 4,
}

impl Job {
    fn from_u8(v: u8) -> Job {
        match v {
            1 => Job::FreeToWaiter,
            2 => Job::GiveToWaiter,
            3 => Job::AllocInHandler,
            #[cfg(feature = "track")]
            4 => Job::KeepBlock,
            _ => Job::Idle,
        }
    }
}

/// A handler's pending job.
pub struct JobSlot(AtomicU8);

impl JobSlot {
    const fn idle() -> Self {
        Self(AtomicU8::new(Job::Idle as u8))
    }

    /// Sets the job (thread mode, while the slot is idle).
    pub fn set(&self, job: Job) {
        self.0.store(job as u8, Ordering::Release);
    }

    /// The pending job.
    pub fn get(&self) -> Job {
        Job::from_u8(self.0.load(Ordering::Acquire))
    }

    /// Runs the pending job; clears it once done.
    fn run(&self) {
        if run(self.get()) {
            self.set(Job::Idle);
        }
    }
}

/// The SysTick handler's job.
pub static SYSTICK_JOB: JobSlot = JobSlot::idle();
/// The doorbell handler's job.
pub static DOORBELL_JOB: JobSlot = JobSlot::idle();

pub use slab_firmware_common::handoff::{block_parked, park_block};

/// What the handlers did besides hand-offs (those are in
/// `slab_firmware_common::handoff`'s tally); thread mode checks it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Log {
    /// Permits a handler gave to a waiting thread (the count stayed 0).
    pub given: u32,
    /// `alloc(NoWait)` inside a handler that got a block.
    pub handler_allocs: u32,
    /// `alloc(NoWait)` inside a handler that got `NoMemory`.
    pub handler_no_memory: u32,
    /// Anything else: a wrong result inside a handler.
    pub errors: u32,
}

static LOG: Mutex<Cell<Log>> = Mutex::new(Cell::new(Log {
    given: 0,
    handler_allocs: 0,
    handler_no_memory: 0,
    errors: 0,
}));

/// A snapshot of the handlers' log.
pub fn log() -> Log {
    critical_section::with(|cs| LOG.borrow(cs).get())
}

fn record(f: impl FnOnce(&mut Log)) {
    critical_section::with(|cs| {
        let cell = LOG.borrow(cs);
        let mut log = cell.get();
        f(&mut log);
        cell.set(log);
    });
}

/// Does `job` if its moment has come; `true` when done.
fn run(job: Job) -> bool {
    match job {
        Job::Idle => false,
        Job::FreeToWaiter => slab_firmware_common::handoff::hand_off(&HANDOFF),
        Job::GiveToWaiter => {
            if SIGNAL.num_waiting() == 0 {
                return false;
            }
            SIGNAL.give();
            let count = SIGNAL.count();
            record(|l| {
                if count == 0 {
                    l.given += 1;
                } else {
                    l.errors += 1;
                }
            });
            true
        }
        #[cfg(feature = "track")]
        Job::KeepBlock => {
            crate::leak::keep_block();
            true
        }
        Job::AllocInHandler => {
            match IRQ_BUFS.alloc(Timeout::NoWait) {
                Ok(block) => {
                    let second = IRQ_BUFS.alloc(Timeout::NoWait);
                    // SAFETY: allocated just above, not used afterwards.
                    let freed = unsafe { IRQ_BUFS.free(block) };
                    record(|l| {
                        l.handler_allocs += 1;
                        match (second, freed) {
                            (Err(AllocError::NoMemory), Ok(())) => l.handler_no_memory += 1,
                            _ => l.errors += 1,
                        }
                    });
                }
                Err(AllocError::NoMemory) => record(|l| l.handler_no_memory += 1),
                Err(_) => record(|l| l.errors += 1),
            }
            true
        }
    }
}

/// When set, the wait hook rings the doorbell: a device interrupt that
/// arrives just as thread mode goes to sleep.
static RING_WHILE_WAITING: AtomicBool = AtomicBool::new(false);

/// The handler that serves hand-off round `round`: SysTick in even rounds;
/// in odd rounds the doorbell, rung from the wait hook (until
/// [`stop_ringing`]).
pub fn handler_for(round: u32) -> &'static JobSlot {
    if round % 2 == 1 {
        RING_WHILE_WAITING.store(true, Ordering::Relaxed);
        &DOORBELL_JOB
    } else {
        &SYSTICK_JOB
    }
}

/// Stops the wait hook ringing the doorbell.
pub fn stop_ringing() {
    RING_WHILE_WAITING.store(false, Ordering::Relaxed);
}

/// Times the wait hook ran (thread mode only).
static HOOK_CALLS: AtomicU32 = AtomicU32::new(0);

/// How often a waiting thread went to sleep so far.
pub fn hook_calls() -> u32 {
    HOOK_CALLS.load(Ordering::Relaxed)
}

/// The wait hook registered with `slab_core::set_wait_hook`: `WFE`, which
/// loses no wake-up (an exception return sets the Event Register). With
/// [`RING_WHILE_WAITING`] the doorbell handler frees the block *between*
/// slab-core's look at the waiter's status and the `WFE`: exactly the
/// window in which a `WFI` would sleep past the hand-off.
pub fn wait_hook() {
    HOOK_CALLS.store(HOOK_CALLS.load(Ordering::Relaxed) + 1, Ordering::Relaxed);
    if RING_WHILE_WAITING.load(Ordering::Relaxed) {
        ring_doorbell();
    }
    cortex_m::asm::wfe();
}

#[exception]
fn SysTick() {
    critical_section::with(|cs| {
        let ticks = TICKS.borrow(cs);
        ticks.set(ticks.get() + 1);
    });
    SYSTICK_JOB.run();
}

/// Every device interrupt; only the doorbell is enabled.
#[exception]
unsafe fn DefaultHandler(irqn: i16) {
    if irqn == Doorbell.number() as i16 {
        DOORBELL_JOB.run();
    } else if irqn == crate::c_abi::C_IRQ {
        crate::c_abi::on_interrupt();
    } else {
        crate::report::fatal(
            file!(),
            line!(),
            format_args!("unexpected exception {irqn}"),
        );
    }
}
