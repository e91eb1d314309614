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
mod parked;

use core::ptr::NonNull;
use core::time::Duration;

use cortex_m_rt::entry;
use slab_core::{AllocError, FreeError, MemSlab, SemError, Semaphore, Timeout, mem_slab};

use board::{DOORBELL_JOB, Job};
use slab_firmware_common::report;

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

    before_boot();
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
    exhaust_and_refill();
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

/// Declared slabs are unusable until `boot()`, whatever the timeout.
fn before_boot() {
    check!(!POOL.is_ready());
    check_eq!(POOL.alloc(Timeout::NoWait), Err(AllocError::NotReady));
    check_eq!(POOL.alloc(Timeout::Forever), Err(AllocError::NotReady));
    check_eq!(
        // SAFETY: rejected before anything is touched (not ready).
        unsafe { POOL.free(NonNull::dangling()) },
        Err(FreeError::NotReady)
    );
}

/// The registry lists the three declared slabs, each once, booted.
fn registry() {
    let registry = slab_core::registry();
    #[cfg(feature = "track")]
    let declared = 3 + noinit::DECLARED + fast_path::DECLARED + leak::DECLARED;
    #[cfg(not(feature = "track"))]
    let declared = 3 + noinit::DECLARED + fast_path::DECLARED;
    check_eq!(registry.len(), declared);
    for (name, slab, block_size, blocks) in [
        ("POOL", &POOL, 24, 4),
        ("HANDOFF", &HANDOFF, 32, 2),
        ("IRQ_BUFS", &IRQ_BUFS, 16, 1),
    ] {
        let found = registry.find(name);
        check!(
            found.is_some_and(|s| core::ptr::eq(s, slab)),
            "registry.find({name:?})"
        );
        check_eq!(registry.iter().filter(|s| s.name() == name).count(), 1);
        check!(slab.is_ready(), "{name} is ready");
        check_eq!((slab.block_size(), slab.num_blocks()), (block_size, blocks));
        check_eq!((slab.num_used(), slab.num_free()), (0, blocks));
    }
    check!(registry.find("NOPE").is_none());
}

/// `POOL`: take every block, fail, give them back, fail to give twice,
/// take them all again.
fn exhaust_and_refill() {
    let range = POOL.buffer_range();
    let mut blocks = [NonNull::<u8>::dangling(); 4];
    for (i, block) in blocks.iter_mut().enumerate() {
        *block = POOL.alloc(Timeout::NoWait).expect("a free block");
        let addr = block.as_ptr() as usize;
        check!(range.contains(&addr), "block {i} in the buffer");
        check_eq!((addr - range.start) % 24, 0);
        check_eq!(addr % 4, 0);
        check_eq!(POOL.num_used(), i + 1);
    }
    for i in 0..blocks.len() {
        for j in 0..i {
            check!(blocks[i] != blocks[j], "blocks {j} and {i} differ");
        }
    }
    check_eq!(POOL.alloc(Timeout::NoWait), Err(AllocError::NoMemory));
    check_eq!(
        POOL.alloc(Timeout::After(Duration::ZERO)),
        Err(AllocError::NoMemory)
    );
    check_eq!(
        (POOL.num_used(), POOL.num_free(), POOL.max_used()),
        (4, 0, 4)
    );
    check_eq!(POOL.stats().allocated_bytes, 96);

    // Bad frees change nothing.
    let inside = NonNull::new(blocks[1].as_ptr().wrapping_add(4)).expect("non-null");
    // SAFETY: rejected (not a block start); nothing is given up.
    check_eq!(unsafe { POOL.free(inside) }, Err(FreeError::Misaligned));
    let mut local = 0u32;
    // SAFETY: rejected (not in the buffer); nothing is given up.
    let foreign = unsafe { POOL.free(NonNull::from(&mut local).cast()) };
    check_eq!(foreign, Err(FreeError::Foreign));
    check_eq!((POOL.num_used(), POOL.num_free()), (4, 0));

    for (i, block) in blocks.iter().enumerate().rev() {
        // SAFETY: allocated above, not used afterwards.
        check_eq!(unsafe { POOL.free(*block) }, Ok(()));
        check_eq!(POOL.num_free(), 4 - i);
    }
    // SAFETY: already free: rejected, nothing changes.
    check_eq!(unsafe { POOL.free(blocks[2]) }, Err(FreeError::DoubleFree));
    check_eq!(
        (POOL.num_used(), POOL.num_free(), POOL.max_used()),
        (0, 4, 4)
    );
    POOL.reset_max();
    check_eq!(POOL.max_used(), 0);

    // Refill through `Block`, which frees on drop.
    {
        let a = POOL.alloc_block(Timeout::NoWait).expect("block a");
        let b = POOL.alloc_block(Timeout::Forever).expect("block b");
        let c = POOL.alloc_block(Timeout::millis(5)).expect("block c");
        let d = POOL.alloc_block(Timeout::NoWait).expect("block d");
        check_eq!(a.len() + b.len() + c.len() + d.len(), 96);
        check_eq!(POOL.alloc(Timeout::NoWait), Err(AllocError::NoMemory));
        check_eq!((POOL.num_used(), POOL.num_free()), (4, 0));
    }
    check_eq!(
        (POOL.num_used(), POOL.num_free(), POOL.max_used()),
        (0, 4, 4)
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
    let log = board::log();
    check_eq!(log.handed_off, 2 * ROUNDS);
    check_eq!(log.steals_refused, 2 * ROUNDS);
    check_eq!(log.errors, 0);
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
    (limit.as_micros() as u64 * board::TICKS_PER_SECOND).div_ceil(1_000_000)
}

/// Nobody frees: finite waits time out, after at least the timeout by the
/// registered clock, and leave nothing behind.
fn timeouts_expire() {
    let held = [
        HANDOFF.alloc(Timeout::NoWait).expect("HANDOFF block"),
        HANDOFF.alloc(Timeout::NoWait).expect("HANDOFF block"),
    ];
    for limit in [
        Duration::from_micros(50),
        Duration::from_micros(250),
        Duration::from_millis(1),
        Duration::from_micros(1500),
        Duration::from_millis(5),
    ] {
        let from = board::now();
        let got = HANDOFF.alloc(Timeout::After(limit));
        let waited = board::now() - from;
        check_eq!(got, Err(AllocError::TimedOut));
        check!(
            waited >= ticks(limit),
            "timed out after {waited} ticks, asked {limit:?}"
        );
        check!(
            waited <= ticks(limit) + 20,
            "timed out late: {waited} ticks for {limit:?}"
        );
        check_eq!(
            (
                HANDOFF.num_used(),
                HANDOFF.num_free(),
                HANDOFF.num_waiting()
            ),
            (2, 0, 0)
        );
    }
    let from = board::now();
    check_eq!(SIGNAL.take(Timeout::millis(2)), Err(SemError::TimedOut));
    check!(board::now() - from >= ticks(Duration::from_millis(2)));
    check_eq!((SIGNAL.count(), SIGNAL.num_waiting()), (0, 0));
    for block in held {
        // SAFETY: allocated above, not used afterwards.
        check_eq!(unsafe { HANDOFF.free(block) }, Ok(()));
    }
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
    let registry = slab_core::registry();
    for slab in registry {
        check_eq!(slab.num_used() + slab.num_free(), slab.num_blocks());
        check_eq!(slab.num_waiting(), 0);
    }
    for (name, used, free, max) in [
        ("POOL", 0, 4, 4),
        ("HANDOFF", 0, 2, 2),
        ("IRQ_BUFS", 0, 1, 1),
    ] {
        let slab = registry.find(name).expect("declared");
        check_eq!(
            (slab.num_used(), slab.num_free(), slab.max_used()),
            (used, free, max)
        );
    }
    let log = board::log();
    check_eq!(
        log,
        board::Log {
            handed_off: 2 * ROUNDS,
            steals_refused: 2 * ROUNDS,
            given: SIGNAL_ROUNDS,
            handler_allocs: 1,
            handler_no_memory: 2,
            errors: 0,
        }
    );
}
