//! The machine side, QEMU `virt`'s CLINT: the 64-bit `mtime` counter
//! (10 MHz) read as the clock, a periodic machine-timer interrupt
//! (`mtimecmp`, 10 kHz), a "doorbell" (the machine software interrupt,
//! raised through `msip`), the jobs the two handlers run for thread mode,
//! and the wait hook.
//!
//! Thread mode sets a handler's [`Job`] and then waits; the handler does the
//! job once the thread is really waiting (`num_waiting() > 0`), so every
//! hand-off goes through the wait queue rather than the free list.
//!
//! # The wait hook on RISC-V
//!
//! `wfi` alone loses a wake-up (a handler that frees between slab-core's
//! look at the waiter and the `wfi` leaves nothing pending), so
//! [`wait_hook`] keeps an event register in software ([`EVENT`], set by
//! every handler of this firmware as it returns) and sleeps with
//! interrupts masked, as `slab_firmware_common::clint`'s docs explain
//! (with the privileged architecture's words on `wfi`). A handler that
//! frees or gives but does not set `EVENT` (or an interrupt source that is
//! not individually enabled in `mie`) brings the lost wake-up back: every
//! handler here ends with [`event`].

use core::cell::Cell;
use core::sync::atomic::{AtomicBool, AtomicU8, AtomicU32, Ordering};

use critical_section::Mutex;
use riscv::interrupt::Interrupt;
use slab_firmware_common::clint;

use crate::HANDOFF;

/// `mtime`'s rate on QEMU's `virt` (its ACLINT timebase).
pub const MTIME_HZ: u64 = clint::MTIME_HZ;
/// The machine-timer interrupt's rate.
pub const TIMER_HZ: u64 = 10_000;
const PERIOD: u64 = MTIME_HZ / TIMER_HZ;

/// `mtime`: the clock registered with `slab_core::set_clock` at
/// [`MTIME_HZ`].
pub use clint::now;

/// Sets hart 0's `mtimecmp` (this firmware runs on hart 0 only).
fn set_mtimecmp(at: u64) {
    clint::set_timer(at);
}

/// The next machine-timer deadline (thread mode sets it once, the handler
/// after that).
static NEXT_TICK: Mutex<Cell<u64>> = Mutex::new(Cell::new(0));
/// Machine-timer interrupts so far.
static TICKS: AtomicU32 = AtomicU32::new(0);

/// Machine-timer interrupts taken so far.
pub fn ticks() -> u32 {
    TICKS.load(Ordering::Relaxed)
}

/// Starts the periodic machine timer and enables the timer and software
/// interrupts, then `mstatus.MIE`.
pub fn start() {
    let first = now() + PERIOD;
    critical_section::with(|cs| NEXT_TICK.borrow(cs).set(first));
    set_mtimecmp(first);
    // SAFETY: slab_core::boot() ran; both handlers touch only state
    // behind critical sections or atomics and interrupt-safe slab calls.
    unsafe {
        riscv::interrupt::enable_interrupt(Interrupt::MachineTimer);
        riscv::interrupt::enable_interrupt(Interrupt::MachineSoft);
        riscv::interrupt::enable();
    }
}

/// Raises the doorbell (hart 0's own `msip`): pending until its handler
/// clears it.
fn raise_doorbell() {
    clint::send_ipi(0);
}

fn doorbell_raised() -> bool {
    clint::ipi_pending(0)
}

/// Rings the doorbell from thread mode (interrupts enabled) and returns
/// once its handler has run: the handler clears `msip` before anything
/// else.
pub fn ring_doorbell() {
    raise_doorbell();
    while doorbell_raised() {
        core::hint::spin_loop();
    }
}

/// What a handler does next for thread mode.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub enum Job {
    /// Nothing.
    Idle = 0,
    /// Once a thread waits on `HANDOFF`: free the parked block to it.
    FreeToWaiter = 1,
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
        match self.0.load(Ordering::Acquire) {
            1 => Job::FreeToWaiter,
            _ => Job::Idle,
        }
    }

    /// Runs the pending job; clears it once done.
    fn run(&self) {
        if run(self.get()) {
            self.set(Job::Idle);
        }
    }
}

/// The machine-timer handler's job.
pub static TIMER_JOB: JobSlot = JobSlot::idle();
/// The doorbell handler's job.
pub static DOORBELL_JOB: JobSlot = JobSlot::idle();

pub use slab_firmware_common::handoff::{block_parked, park_block};

/// Does `job` if its moment has come; `true` when done (what it did is in
/// `slab_firmware_common::handoff`'s tally).
fn run(job: Job) -> bool {
    match job {
        Job::Idle => false,
        Job::FreeToWaiter => slab_firmware_common::handoff::hand_off(&HANDOFF),
    }
}

/// The software event register: set by every handler as it returns, taken
/// by [`wait_hook`] (see the module docs).
static EVENT: AtomicBool = AtomicBool::new(false);

/// The last thing every interrupt handler does.
fn event() {
    EVENT.store(true, Ordering::Release);
}

/// How the wait hook raises the doorbell during hand-off rounds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub enum Ring {
    /// It does not: the machine timer serves the round.
    No = 0,
    /// Before masking interrupts, and waits for the handler: the hand-off
    /// lands between slab-core's look and the sleep, the window in which a
    /// bare `wfi` would sleep past it.
    InWindow = 1,
    /// With interrupts masked, just before `wfi`: only the pending (masked)
    /// doorbell can end the `wfi`.
    WhileMasked = 2,
}

static RING: AtomicU8 = AtomicU8::new(Ring::No as u8);

/// The handler that serves hand-off round `round`, and how the hook rings
/// for it (until [`stop_ringing`]): the timer, the doorbell in the window,
/// the doorbell while masked, in turn. In the doorbell's rounds the
/// timer's interrupt is disabled (in `mie`) until [`stop_ringing`], so
/// nothing else wakes the hart: a wake-up the hook lost would hang the
/// run.
pub fn handler_for(round: u32) -> (&'static JobSlot, Ring) {
    let ring = match round % 3 {
        0 => Ring::No,
        1 => Ring::InWindow,
        _ => Ring::WhileMasked,
    };
    RING.store(ring as u8, Ordering::Relaxed);
    if ring == Ring::No {
        (&TIMER_JOB, ring)
    } else {
        riscv::interrupt::disable_interrupt(Interrupt::MachineTimer);
        (&DOORBELL_JOB, ring)
    }
}

/// Stops the wait hook ringing the doorbell; the timer's interrupt is
/// enabled again.
pub fn stop_ringing() {
    RING.store(Ring::No as u8, Ordering::Relaxed);
    // SAFETY: re-enables what `start` enabled (the timer's handler is
    // interrupt-safe, see there).
    unsafe { riscv::interrupt::enable_interrupt(Interrupt::MachineTimer) };
}

/// What the wait hook did (thread mode only).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Hook {
    /// Calls.
    pub calls: u32,
    /// Calls that found `EVENT` set and returned without `wfi`.
    pub event_seen: u32,
    /// `wfi`s executed.
    pub slept: u32,
    /// `wfi`s that returned with the doorbell pending while masked (so
    /// with its handler not yet run).
    pub woke_masked: u32,
}

static HOOK: Mutex<Cell<Hook>> = Mutex::new(Cell::new(Hook {
    calls: 0,
    event_seen: 0,
    slept: 0,
    woke_masked: 0,
}));

/// A snapshot of what the wait hook did.
pub fn hook() -> Hook {
    critical_section::with(|cs| HOOK.borrow(cs).get())
}

/// The wait hook registered with `slab_core::set_wait_hook`: `wfi` with
/// interrupts masked, skipped when a handler ran since the last call (see
/// the module docs for why this loses no wake-up).
pub fn wait_hook() {
    let ring = RING.load(Ordering::Relaxed);
    if ring == Ring::InWindow as u8 {
        ring_doorbell();
    }
    let mut hook = hook();
    hook.calls += 1;
    let was_enabled = riscv::register::mstatus::read().mie();
    riscv::interrupt::disable();
    let event = EVENT.swap(false, Ordering::Acquire);
    if ring == Ring::WhileMasked as u8 {
        // Sleeps whatever `EVENT` says (one more look is harmless): only
        // the doorbell, pending but masked, can end this `wfi`.
        raise_doorbell();
        riscv::asm::wfi();
        hook.slept += 1;
        hook.woke_masked += u32::from(doorbell_raised());
    } else if event {
        hook.event_seen += 1;
    } else {
        riscv::asm::wfi();
        hook.slept += 1;
    }
    critical_section::with(|cs| HOOK.borrow(cs).set(hook));
    if was_enabled {
        // SAFETY: restores `mstatus.MIE` as it was when the hook was
        // called (thread mode, outside any critical section).
        unsafe { riscv::interrupt::enable() };
    }
}

/// The periodic machine timer: the next deadline one period after the
/// last (no drift), then the timer's job.
#[riscv_rt::core_interrupt(Interrupt::MachineTimer)]
fn machine_timer() {
    let next = critical_section::with(|cs| {
        let cell = NEXT_TICK.borrow(cs);
        let next = cell.get() + PERIOD;
        cell.set(next);
        next
    });
    set_mtimecmp(next);
    TICKS.fetch_add(1, Ordering::Relaxed);
    TIMER_JOB.run();
    event();
}

/// The doorbell: cleared first, then its job.
#[riscv_rt::core_interrupt(Interrupt::MachineSoft)]
fn machine_soft() {
    clint::clear_ipi();
    DOORBELL_JOB.run();
    event();
}

/// Any other interrupt: a failure. (riscv-rt calls its handlers with the
/// C ABI.)
#[unsafe(no_mangle)]
#[allow(non_snake_case)]
extern "C" fn DefaultHandler() {
    crate::report::fatal(file!(), line!(), format_args!("unexpected interrupt"));
}

/// An exception (a fault): a failure, with its cause and address.
#[unsafe(no_mangle)]
#[allow(non_snake_case)]
extern "C" fn ExceptionHandler(_frame: &riscv_rt::TrapFrame) {
    crate::report::fatal(
        file!(),
        line!(),
        format_args!(
            "exception: mcause {:#x} at mepc {:#x}, mtval {:#x}",
            riscv::register::mcause::read().bits(),
            riscv::register::mepc::read(),
            riscv::register::mtval::read()
        ),
    );
}
