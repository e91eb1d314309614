//! Bare metal: no scheduler. A thread-mode caller that must wait spins on
//! its waiter's status, calling the application's wait hook (typically
//! `WFI`/`WFE`) between looks, until an interrupt handler frees a block or
//! gives the semaphore. Finite timeouts read the application's clock.

use core::cell::Cell;
use core::sync::atomic::{AtomicU8, Ordering};
use core::time::Duration;

use critical_section::Mutex;

/// A monotonic clock: a function returning ticks, and its tick rate.
#[derive(Clone, Copy, Debug)]
struct Clock {
    now: fn() -> u64,
    ticks_per_second: u64,
}

static CLOCK: Mutex<Cell<Option<Clock>>> = Mutex::new(Cell::new(None));
static WAIT_HOOK: Mutex<Cell<Option<fn()>>> = Mutex::new(Cell::new(None));

/// Registers the monotonic clock that finite timeouts are measured with:
/// `now()` returns a tick count that never goes backwards (and does not
/// wrap in the device's lifetime: extend a 24-bit SysTick in its handler),
/// and `ticks_per_second` is its rate.
///
/// Without a clock, `Timeout::NoWait` and `Timeout::Forever` work; a finite
/// timeout that has to wait panics with a message naming this function.
///
/// ```no_run
/// static TICKS: core::sync::atomic::AtomicU32 = core::sync::atomic::AtomicU32::new(0);
/// fn now() -> u64 { TICKS.load(core::sync::atomic::Ordering::Relaxed) as u64 }
/// slab_core::set_clock(now, 1_000); // a 1 kHz tick, advanced by a timer interrupt
/// ```
pub fn set_clock(now: fn() -> u64, ticks_per_second: u64) {
    assert!(
        ticks_per_second > 0,
        "slab_core::set_clock: ticks_per_second must be > 0"
    );
    critical_section::with(|cs| {
        CLOCK.borrow(cs).set(Some(Clock {
            now,
            ticks_per_second,
        }))
    });
}

/// Registers what a waiting thread-mode caller does between looks at its
/// status, e.g. `cortex_m::asm::wfi` (an interrupt that frees a block also
/// ends the WFI). The default is a spin-loop hint.
pub fn set_wait_hook(hook: fn()) {
    critical_section::with(|cs| WAIT_HOOK.borrow(cs).set(Some(hook)));
}

/// Bare-metal callers all wait at the same priority.
pub(crate) fn current_priority() -> i32 {
    0
}

/// How to wake a waiter. A spinning waiter needs no signal.
#[derive(Default)]
pub(crate) enum Wake {
    #[default]
    Nobody,
}

impl Wake {
    pub fn wake(self) {}
}

pub(crate) fn current_wake() -> Wake {
    Wake::Nobody
}

/// When a wait gives up, in clock ticks; `None` is never.
pub(crate) struct Deadline(Option<(Clock, u64)>);

impl Deadline {
    pub fn after(limit: Option<Duration>) -> Self {
        let Some(d) = limit else {
            return Deadline(None);
        };
        let clock = critical_section::with(|cs| CLOCK.borrow(cs).get()).expect(
            "slab_core: a finite timeout needs a clock: call slab_core::set_clock at start-up",
        );
        // Round up so that the wait is never shorter than asked.
        let ticks = (d.as_nanos() * clock.ticks_per_second as u128).div_ceil(1_000_000_000);
        let at = (clock.now)().saturating_add(u64::try_from(ticks).unwrap_or(u64::MAX));
        // One more tick: the current tick may be almost over.
        Deadline(Some((clock, at.saturating_add(1))))
    }
}

/// Waits until the status changes or the deadline; `false` once the
/// deadline has passed.
pub(crate) fn park(status: &AtomicU8, waiting: u8, deadline: &Deadline) -> bool {
    let hook = critical_section::with(|cs| WAIT_HOOK.borrow(cs).get());
    while status.load(Ordering::Acquire) == waiting {
        if let Some((clock, at)) = deadline.0 {
            if (clock.now)() >= at {
                return false;
            }
        }
        match hook {
            Some(hook) => hook(),
            None => core::hint::spin_loop(),
        }
    }
    true
}
