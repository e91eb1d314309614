//! slab on a Cortex-M, under QEMU (`lm3s6965evb`), for thumbv7m-none-eabi
//! and thumbv6m-none-eabi from the same source.
//!
//! Declares three slabs, boots them, prints the registry over semihosting,
//! then checks exhaustion and refill, 1000 rounds of interrupt handlers
//! (SysTick and a pended NVIC interrupt) handing blocks to a waiting thread
//! (with `Timeout::Forever` and a finite timeout), finite timeouts that
//! expire, `alloc(NoWait)` inside a handler, and a semaphore given from a
//! handler. The first failing check ends the run; it ends with `firmware:
//! N passed, 0 failed` and a semihosting exit status (examples/common's
//! report). Build and run: `cargo run --release` here, or
//! `cargo test -p slab-tests --test qemu` in the workspace.
#![no_std]
#![no_main]

#[macro_use]
extern crate slab_firmware_common;

mod board;
mod c_abi;
mod fast_path;
#[cfg(feature = "track")]
mod leak;
mod noinit;

use core::time::Duration;

use cortex_m_rt::entry;
use slab_core::{AllocError, MemSlab, SemError, Semaphore, Timeout, mem_slab};

use board::{DOORBELL_JOB, Job};
use slab_firmware_common::handoff;
use slab_firmware_common::{report, suite};

/// Exhausted and refilled from thread mode.
#[mem_slab(blocks = 4, size = 24)]
static POOL: MemSlab;

slab_core::mem_slabs! {
    /// Freed by interrupt handlers to a waiting thread.
    static HANDOFF(blocks = 2, size = 32);
    /// Allocated inside an interrupt handler.
    static IRQ_BUFS(blocks = 1, size = 16, align = 8);
}

/// Given by interrupt handlers, taken in thread mode.
static SIGNAL: Semaphore = Semaphore::new(0, 1);

/// Rounds of interrupt-to-thread hand-off, each with one `Forever` and one
/// finite wait.
const ROUNDS: u32 = 1000;
/// Rounds of semaphore hand-off.
const SIGNAL_ROUNDS: u32 = 200;

#[entry]
fn main() -> ! {
    let mut core = cortex_m::Peripherals::take().expect("core peripherals");
    report::stop_at_first_failure();

    suite::before_boot(&POOL);
    fast_path::before_boot();
    slab_core::boot();
    slab_core::boot(); // idempotent
    slab_core::set_wait_hook(board::wait_hook);
    slab_core::set_clock(board::now, board::TICKS_PER_SECOND);
    board::start_clock(&mut core.SYST);
    board::enable_doorbell();

    hprintln!("firmware: slab on {}", target());
    hprint!("{}", slab_core::registry());
    registry();
    noinit::check();
    suite::exhaust_and_refill(&POOL);
    fast_path::run();
    handoff_rounds();
    timeouts_expire();
    alloc_in_handler();
    semaphore_from_handler();
    c_abi::run();
    #[cfg(feature = "track")]
    leak::run();
    final_counts();

    hprintln!("firmware: registry at the end");
    hprint!("{}", slab_core::registry());
    report::finish()
}

/// The target triple this firmware was built for (set by build.rs).
fn target() -> &'static str {
    slab_firmware_common::TARGET
}

/// The registry lists the three declared slabs (and the modules' ones),
/// each once, booted.
fn registry() {
    #[cfg(feature = "track")]
    let declared = 3 + noinit::DECLARED + fast_path::DECLARED + leak::DECLARED;
    #[cfg(not(feature = "track"))]
    let declared = 3 + noinit::DECLARED + fast_path::DECLARED;
    suite::registry(
        declared,
        &[
            ("POOL", &POOL, 24, 4),
            ("HANDOFF", &HANDOFF, 32, 2),
            ("IRQ_BUFS", &IRQ_BUFS, 16, 1),
        ],
    );
}

/// `HANDOFF`: thread mode holds both blocks, parks one for a handler and
/// waits; the handler frees it once the thread waits, straight to the
/// thread. Even rounds: SysTick frees; odd rounds: the doorbell, rung from
/// the wait hook just before `WFE`. Each round waits `Forever`, then with a
/// finite timeout.
fn handoff_rounds() {
    let first = HANDOFF.alloc(Timeout::NoWait).expect("HANDOFF block");
    let parked = HANDOFF.alloc(Timeout::NoWait).expect("HANDOFF block");
    check_eq!(HANDOFF.alloc(Timeout::NoWait), Err(AllocError::NoMemory));
    let start = board::now();
    let mut slept = 0;
    for round in 0..ROUNDS {
        for timeout in [Timeout::Forever, Timeout::millis(100)] {
            let jobs = board::handler_for(round);
            let sleeps = board::hook_calls();
            let waited_from = board::now();
            board::park_block(parked);
            jobs.set(Job::FreeToWaiter);
            let got = HANDOFF.alloc(timeout);
            board::stop_ringing();
            check_eq!(got, Ok(parked));
            // The handler frees only to a linked waiter; the thread usually
            // went to sleep first, unless SysTick came before its first look.
            slept += u32::from(board::hook_calls() > sleeps);
            check_eq!(jobs.get(), Job::Idle);
            check!(!board::block_parked());
            check_eq!(
                (
                    HANDOFF.num_used(),
                    HANDOFF.num_free(),
                    HANDOFF.num_waiting()
                ),
                (2, 0, 0)
            );
            if let Timeout::After(limit) = timeout {
                let waited = board::now() - waited_from;
                check!(
                    waited < ticks(limit),
                    "round {round}: a finite wait ended by the hand-off ({waited} ticks)"
                );
            }
        }
    }
    handoff::check_tally(2 * ROUNDS);
    check!(
        slept > ROUNDS,
        "the thread slept in {slept} of {} waits",
        2 * ROUNDS
    );
    check_eq!(HANDOFF.max_used(), 2);
    hprintln!(
        "firmware: {} interrupt-to-thread hand-offs ({} after sleeping) in {} ms",
        2 * ROUNDS,
        slept,
        (board::now() - start) * 1000 / board::TICKS_PER_SECOND
    );
    for block in [first, parked] {
        // SAFETY: allocated (or handed over) above, not used afterwards.
        check_eq!(unsafe { HANDOFF.free(block) }, Ok(()));
    }
    check_eq!((HANDOFF.num_used(), HANDOFF.num_free()), (0, 2));
}

/// `limit` in clock ticks, rounded up.
fn ticks(limit: Duration) -> u64 {
    suite::ticks(limit, board::TICKS_PER_SECOND)
}

/// Nobody frees: finite waits time out, after at least the timeout by the
/// registered clock, and leave nothing behind (`suite`); a semaphore's
/// too.
fn timeouts_expire() {
    suite::timeouts_expire(
        &HANDOFF,
        board::now,
        board::TICKS_PER_SECOND,
        Duration::from_millis(2),
    );
    let from = board::now();
    check_eq!(SIGNAL.take(Timeout::millis(2)), Err(SemError::TimedOut));
    check!(board::now() - from >= ticks(Duration::from_millis(2)));
    check_eq!((SIGNAL.count(), SIGNAL.num_waiting()), (0, 0));
}

/// `alloc(NoWait)` inside the doorbell handler: a block when one is free,
/// `NoMemory` when thread mode holds it.
fn alloc_in_handler() {
    let before = board::log();
    DOORBELL_JOB.set(Job::AllocInHandler);
    board::ring_doorbell();
    let after = board::log();
    check_eq!(DOORBELL_JOB.get(), Job::Idle);
    check_eq!(after.handler_allocs, before.handler_allocs + 1);
    // The handler's second alloc found the slab empty.
    check_eq!(after.handler_no_memory, before.handler_no_memory + 1);
    check_eq!((IRQ_BUFS.num_used(), IRQ_BUFS.num_free()), (0, 1));

    let held = IRQ_BUFS.alloc(Timeout::NoWait).expect("IRQ_BUFS block");
    check_eq!(held.as_ptr() as usize % 8, 0);
    DOORBELL_JOB.set(Job::AllocInHandler);
    board::ring_doorbell();
    let last = board::log();
    check_eq!(last.handler_allocs, after.handler_allocs);
    check_eq!(last.handler_no_memory, after.handler_no_memory + 1);
    check_eq!(last.errors, 0);
    // SAFETY: allocated above, not used afterwards.
    check_eq!(unsafe { IRQ_BUFS.free(held) }, Ok(()));
    check_eq!(
        (
            IRQ_BUFS.num_used(),
            IRQ_BUFS.num_free(),
            IRQ_BUFS.max_used()
        ),
        (0, 1, 1)
    );
}

/// `SIGNAL`: handlers give, thread mode takes `Forever`; the permit goes
/// to the waiter, the count stays 0.
fn semaphore_from_handler() {
    for round in 0..SIGNAL_ROUNDS {
        let jobs = board::handler_for(round);
        jobs.set(Job::GiveToWaiter);
        let taken = SIGNAL.take(Timeout::Forever);
        board::stop_ringing();
        check_eq!(taken, Ok(()));
        check_eq!(jobs.get(), Job::Idle);
        check_eq!((SIGNAL.count(), SIGNAL.num_waiting()), (0, 0));
    }
    check_eq!(board::log().given, SIGNAL_ROUNDS);
    SIGNAL.give();
    SIGNAL.give(); // saturates at the limit, 1
    check_eq!(SIGNAL.count(), 1);
    check_eq!(SIGNAL.take(Timeout::NoWait), Ok(()));
    check_eq!(SIGNAL.take(Timeout::NoWait), Err(SemError::Busy));
}

/// Every count checks out.
fn final_counts() {
    suite::final_counts(&[
        ("POOL", 0, 4, 4),
        ("HANDOFF", 0, 2, 2),
        ("IRQ_BUFS", 0, 1, 1),
    ]);
    handoff::check_tally(2 * ROUNDS);
    check_eq!(
        board::log(),
        board::Log {
            given: SIGNAL_ROUNDS,
            handler_allocs: 1,
            handler_no_memory: 2,
            errors: 0,
        }
    );
}
