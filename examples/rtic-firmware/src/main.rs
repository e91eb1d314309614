//! slab inside an RTIC 2 application (`rtic` with its `thumbv7-backend`)
//! on a Cortex-M3 under QEMU (`lm3s6965evb`): tasks of three priorities
//! share [`FRAMES`].
//!
//! - `ring` (priority 3), a hardware task bound to UART0's interrupt
//!   (pended by software): frees the block `idle` parked in the shared
//!   resource `parked` (a hand-off when a task waits, checked by an
//!   `alloc(NoWait)` that must then get `NoMemory`), and allocates and
//!   frees one block of its own with `NoWait` when one is free.
//! - `waiter` (priority 1), a software task: `await`s
//!   `FRAMES.alloc_block_async()` / `alloc_async()` (slab-core's async
//!   allocation; its waker, called by `ring`'s free, pends the
//!   dispatcher), and hands each block to `idle` through the shared
//!   resource `returned`.
//! - `idle` (priority 0): `alloc(Timeout::Forever)` and finite timeouts,
//!   through the wait hook (`WFE`; the hook pends `ring` once `idle` is
//!   queued), and finite waits that time out, measured by rtic-monotonics'
//!   SysTick monotonic, which is also the clock registered with
//!   `slab_core::set_clock`.
//!
//! Ends with `firmware: N passed, N failed` and a semihosting exit status
//! (examples/common's report).
//! Build and run: `cargo run --release` here, or `cargo test -p slab-tests
//! --test qemu_rtic` in the workspace.
#![no_std]
#![no_main]

#[macro_use]
extern crate slab_firmware_common;

use core::ptr::NonNull;
use core::sync::atomic::{AtomicBool, AtomicU32, Ordering};

use rtic_monotonics::systick::prelude::*;
use slab_core::{AllocError, Block, MemSlab, Timeout, mem_slab};
use slab_firmware_common::report;

/// Shared by the three priorities.
#[mem_slab(blocks = 3, size = 32)]
pub static FRAMES: MemSlab;

/// SysTick at 10 kHz: RTIC's monotonic, and slab-core's clock.
const TICK_HZ: u32 = 10_000;
systick_monotonic!(Mono, TICK_HZ);

/// QEMU's lm3s6965evb core clock (SysTick's source).
const SYSCLK_HZ: u32 = slab_firmware_common::board::CORE_HZ;

/// Hand-off rounds to `waiter`, and to `idle`.
const ROUNDS: u32 = 200;

/// A parked block (`NonNull` is not `Send`).
pub struct Parked(NonNull<u8>);

// SAFETY: a parked block has one owner at a time (the task that parked
// it, then `ring`), and nothing else refers to it.
unsafe impl Send for Parked {}

/// What `ring` did; checked by `idle`.
static HANDED_OFF: AtomicU32 = AtomicU32::new(0);
static FREED_TO_LIST: AtomicU32 = AtomicU32::new(0);
static STEALS_REFUSED: AtomicU32 = AtomicU32::new(0);
static RING_OWN: AtomicU32 = AtomicU32::new(0);
static RING_ERRORS: AtomicU32 = AtomicU32::new(0);
/// Blocks `waiter` got.
static WAITER_GOT: AtomicU32 = AtomicU32::new(0);
/// Whether the wait hook pends `ring` (while `idle` waits for a parked
/// block).
static RING_FROM_HOOK: AtomicBool = AtomicBool::new(false);

fn now() -> u64 {
    u64::from(Mono::now().ticks())
}

/// `idle`'s wait hook: pends `ring` when asked (once `idle` is queued, so
/// its free is a hand-off), then `WFE`: `ring`'s exception return sets the
/// Event Register, so no wake-up is lost.
fn wait_hook() {
    if RING_FROM_HOOK.swap(false, Ordering::Relaxed) {
        rtic::pend(lm3s6965::Interrupt::UART0);
    }
    cortex_m::asm::wfe();
}

/// Pends `ring` from `idle` and lets it run before the next instruction:
/// the barriers make the pending interrupt taken at once (Armv7-M: a
/// context synchronisation event after the NVIC write).
fn ring_now() {
    rtic::pend(lm3s6965::Interrupt::UART0);
    cortex_m::asm::dsb();
    cortex_m::asm::isb();
}

#[rtic::app(device = lm3s6965, dispatchers = [SSI0])]
mod app {
    use super::*;

    #[shared]
    struct Shared {
        /// The block the next `ring` frees.
        parked: Option<Parked>,
        /// The block `waiter` got, for `idle`.
        returned: Option<Parked>,
    }

    #[local]
    struct Local {}

    #[init]
    fn init(cx: init::Context) -> (Shared, Local) {
        check!(!FRAMES.is_ready());
        check_eq!(FRAMES.alloc(Timeout::NoWait), Err(AllocError::NotReady));
        slab_core::boot();
        Mono::start(cx.core.SYST, SYSCLK_HZ);
        slab_core::set_clock(now, u64::from(TICK_HZ));
        slab_core::set_wait_hook(wait_hook);
        hprintln!("firmware: slab in an RTIC 2 application");
        (
            Shared {
                parked: None,
                returned: None,
            },
            Local {},
        )
    }

    /// Priority 3: frees the parked block, then allocates and frees one of
    /// its own with `NoWait`.
    #[task(binds = UART0, priority = 3, shared = [parked])]
    fn ring(mut cx: ring::Context) {
        if let Some(Parked(block)) = cx.shared.parked.lock(Option::take) {
            let waiting = FRAMES.num_waiting() > 0;
            // SAFETY: parked by its owner, who gave it up; freed once.
            if unsafe { FRAMES.free(block) }.is_err() {
                RING_ERRORS.fetch_add(1, Ordering::Relaxed);
            }
            if waiting {
                HANDED_OFF.fetch_add(1, Ordering::Relaxed);
                // The block went to the waiter, not to the free list.
                match FRAMES.alloc(Timeout::NoWait) {
                    Err(AllocError::NoMemory) => {
                        STEALS_REFUSED.fetch_add(1, Ordering::Relaxed);
                    }
                    _ => {
                        RING_ERRORS.fetch_add(1, Ordering::Relaxed);
                    }
                }
            } else {
                FREED_TO_LIST.fetch_add(1, Ordering::Relaxed);
            }
        }
        // Its own block, when one is free.
        if let Ok(own) = FRAMES.alloc(Timeout::NoWait) {
            RING_OWN.fetch_add(1, Ordering::Relaxed);
            // SAFETY: allocated just above, not used afterwards.
            if unsafe { FRAMES.free(own) }.is_err() {
                RING_ERRORS.fetch_add(1, Ordering::Relaxed);
            }
        }
    }

    /// Priority 1: waits for `rounds` blocks with slab-core's async
    /// allocation, alternating the two futures; hands each to `idle`
    /// through `returned`.
    #[task(priority = 1, shared = [returned])]
    async fn waiter(mut cx: waiter::Context, rounds: u32) {
        for round in 0..rounds {
            let got = if round % 2 == 0 {
                FRAMES.alloc_block_async().await.map(Block::into_raw)
            } else {
                FRAMES.alloc_async().await
            };
            if let Ok(block) = got {
                WAITER_GOT.fetch_add(1, Ordering::Relaxed);
                cx.shared.returned.lock(|r| *r = Some(Parked(block)));
            }
        }
    }

    #[idle(shared = [parked, returned])]
    fn idle(mut cx: idle::Context) -> ! {
        let held = [(); 3].map(|()| {
            FRAMES.alloc(Timeout::NoWait).unwrap_or_else(|e| {
                report::fatal(file!(), line!(), format_args!("no free block: {e}"))
            })
        });
        check_eq!(FRAMES.alloc(Timeout::NoWait), Err(AllocError::NoMemory));

        // `waiter` (priority 1) queues on the empty slab; `ring` (priority
        // 3) hands it the block `idle` parks; `waiter` hands it back.
        check!(waiter::spawn(ROUNDS).is_ok(), "waiter spawned");
        for round in 0..ROUNDS {
            check_eq!(FRAMES.num_waiting(), 1);
            cx.shared.parked.lock(|p| *p = Some(Parked(held[0])));
            ring_now();
            // `ring` ran (priority 3), then `waiter` (priority 1), before
            // `idle` went on.
            let back = cx.shared.returned.lock(Option::take).map(|Parked(b)| b);
            check!(back == Some(held[0]), "round {round}: {back:?}");
            check_eq!(FRAMES.num_waiting(), usize::from(round + 1 < ROUNDS));
            check_eq!((FRAMES.num_used(), FRAMES.num_free()), (3, 0));
        }
        check_eq!(WAITER_GOT.load(Ordering::Relaxed), ROUNDS);
        check_eq!(HANDED_OFF.load(Ordering::Relaxed), ROUNDS);
        hprintln!(
            "firmware: {} hand-offs from the priority-3 hardware task to the priority-1 async task",
            ROUNDS
        );

        // `idle` waits; the hook pends `ring` once it is queued.
        for round in 0..ROUNDS {
            let timeout = if round % 2 == 0 {
                Timeout::Forever
            } else {
                Timeout::millis(100)
            };
            cx.shared.parked.lock(|p| *p = Some(Parked(held[0])));
            RING_FROM_HOOK.store(true, Ordering::Relaxed);
            let got = FRAMES.alloc(timeout);
            check_eq!(got, Ok(held[0]));
        }
        check_eq!(HANDED_OFF.load(Ordering::Relaxed), 2 * ROUNDS);
        check_eq!(STEALS_REFUSED.load(Ordering::Relaxed), 2 * ROUNDS);
        hprintln!(
            "firmware: {} hand-offs from the priority-3 hardware task to idle (Forever and 100 ms)",
            ROUNDS
        );

        // Nobody frees: finite waits time out, after at least the timeout.
        for ms in [1u64, 5] {
            let from = now();
            check_eq!(FRAMES.alloc(Timeout::millis(ms)), Err(AllocError::TimedOut));
            let waited = now() - from;
            check!(
                waited >= ms * u64::from(TICK_HZ) / 1000,
                "timed out after {waited} ticks for {ms} ms"
            );
            check_eq!(FRAMES.num_waiting(), 0);
        }

        // `ring` with a free block: it allocates and frees its own.
        let own_before = RING_OWN.load(Ordering::Relaxed);
        // SAFETY: allocated above, not used afterwards.
        check_eq!(unsafe { FRAMES.free(held[2]) }, Ok(()));
        ring_now();
        check_eq!(RING_OWN.load(Ordering::Relaxed), own_before + 1);
        for block in [held[0], held[1]] {
            // SAFETY: allocated above, not used afterwards.
            check_eq!(unsafe { FRAMES.free(block) }, Ok(()));
        }
        check_eq!(RING_ERRORS.load(Ordering::Relaxed), 0);
        check_eq!(FREED_TO_LIST.load(Ordering::Relaxed), 0);
        check_eq!(
            (FRAMES.num_used(), FRAMES.num_free(), FRAMES.num_waiting()),
            (0, 3, 0)
        );
        check_eq!(FRAMES.max_used(), 3);
        report::finish()
    }
}
