//! Host threads: a waiter parks its thread; a giver unparks it (or wakes
//! the task of an async waiter).

extern crate std;

use core::cell::Cell;
use core::time::Duration;
#[cfg(loom)]
use loom::thread::{self, Thread};
#[cfg(not(loom))]
use std::thread::{self, Thread};
use std::time::Instant;

use crate::sync::AtomicU8;

#[cfg(not(loom))]
std::thread_local! {
    static PRIORITY: Cell<i32> = const { Cell::new(0) };
}

#[cfg(loom)]
loom::thread_local! {
    static PRIORITY: Cell<i32> = Cell::new(0);
}

/// The tracking clock: microseconds since its first reading.
#[cfg(feature = "track")]
pub(crate) fn ticks() -> u64 {
    static EPOCH: std::sync::OnceLock<Instant> = std::sync::OnceLock::new();
    EPOCH.get_or_init(Instant::now).elapsed().as_micros() as u64
}

/// Sets the calling thread's priority for waiting on slabs and semaphores.
///
/// Zephyr's convention: a lower value is more urgent; the default is 0.
/// When a block is freed (or a semaphore given) while several threads wait,
/// the most urgent waiter gets it, the longest-waiting among equals. The
/// priority is read when a wait starts.
///
/// ```
/// slab_core::set_thread_priority(-1); // served before threads at 0
/// ```
pub fn set_thread_priority(prio: i32) {
    PRIORITY.with(|p| p.set(prio));
}

pub(crate) fn current_priority() -> i32 {
    PRIORITY.with(Cell::get)
}

/// How to wake a waiter: a parked thread, or an async task's waker.
#[derive(Default)]
pub(crate) enum Wake {
    #[default]
    Nobody,
    Thread(Thread),
    Waker(core::task::Waker),
}

impl Wake {
    pub fn wake(self) {
        match self {
            Wake::Nobody => {}
            Wake::Thread(t) => t.unpark(),
            Wake::Waker(w) => w.wake(),
        }
    }

    /// Whether this wakes the same task as `waker` (no user code runs).
    pub fn will_wake(&self, waker: &core::task::Waker) -> bool {
        matches!(self, Wake::Waker(w) if w.will_wake(waker))
    }
}

pub(crate) fn current_wake() -> Wake {
    Wake::Thread(thread::current())
}

/// When a wait gives up; `None` is never.
pub(crate) struct Deadline(Option<Instant>);

impl Deadline {
    pub fn after(limit: Option<Duration>) -> Self {
        Deadline(limit.and_then(|d| Instant::now().checked_add(d)))
    }
}

/// Spin-loop hints a waiter spends watching its status before it parks
/// (about a microsecond or two): a giver running on another core often
/// hands over within that time, and a parked thread takes several
/// microseconds to wake. The giver's `unpark` of a thread that has not
/// parked is one atomic swap; the token it leaves makes a later `park`
/// return at once, which `wait` takes as the spurious wake-up it allows.
#[cfg(not(loom))]
const SPINS_BEFORE_PARK: u32 = 200;

/// Parks until woken (perhaps spuriously) or the deadline; `false` once the
/// deadline has passed. Spins briefly first, returning as soon as `status`
/// leaves `waiting`.
#[cfg(not(loom))]
pub(crate) fn park(status: &AtomicU8, waiting: u8, deadline: &Deadline) -> bool {
    for _ in 0..SPINS_BEFORE_PARK {
        if status.load(core::sync::atomic::Ordering::Relaxed) != waiting {
            return true;
        }
        core::hint::spin_loop();
    }
    match deadline.0 {
        None => {
            thread::park();
            true
        }
        Some(at) => {
            let now = Instant::now();
            if now >= at {
                return false;
            }
            thread::park_timeout(at - now);
            true
        }
    }
}

/// Under loom there is no clock: a finite deadline expires at the first
/// look, so the model explores a timeout racing every step of a grant.
#[cfg(loom)]
pub(crate) fn park(_status: &AtomicU8, _waiting: u8, deadline: &Deadline) -> bool {
    match deadline.0 {
        None => {
            thread::park();
            true
        }
        Some(_) => false,
    }
}
