//! [`Semaphore`]: Zephyr's `k_sem`, on the same wait queue as the slabs.

use core::fmt;
use core::pin::pin;

use crate::error::SemError;
use crate::lock::Locked;
use crate::timeout::Timeout;
use crate::wait::{self, Outcome, WaitQueue, Waiter};

/// A counting semaphore (Zephyr's `k_sem`).
///
/// `give` with threads waiting hands the permit straight to the most urgent
/// waiter (priority, then first come first served) without raising the
/// count, so a racing `take(NoWait)` cannot steal it. `give` and
/// `take(Timeout::NoWait)` never block and are safe in interrupt handlers.
///
/// ```
/// use slab_core::{Semaphore, SemError, Timeout};
///
/// static READY: Semaphore = Semaphore::new(0, 1);
///
/// assert_eq!(READY.take(Timeout::NoWait), Err(SemError::Busy));
/// READY.give();
/// READY.give(); // saturates at the limit
/// assert_eq!(READY.count(), 1);
/// assert_eq!(READY.take(Timeout::NoWait), Ok(()));
/// ```
pub struct Semaphore {
    state: Locked<SemState>,
    limit: u32,
}

struct SemState {
    count: u32,
    waiters: WaitQueue,
}

// SAFETY: all shared state is behind the per-object lock; the waiter nodes
// it links to are only touched under that lock (see `wait`).
unsafe impl Sync for Semaphore {}
// SAFETY: as above; the raw pointers in the queue are not tied to a thread.
unsafe impl Send for Semaphore {}

impl Semaphore {
    crate::sync::loom_const_fn! {
        /// A semaphore with count `initial` that never counts above `limit`.
        ///
        /// # Panics
        /// If `limit` is 0 or `initial > limit` — in a `static`, that is a
        /// compile error.
        pub const fn new(initial: u32, limit: u32) -> Self {
            assert!(limit != 0, "Semaphore::new: limit must not be 0");
            assert!(
                initial <= limit,
                "Semaphore::new: initial count exceeds the limit"
            );
            Self {
                state: Locked::new(SemState {
                    count: initial,
                    waiters: WaitQueue::new(),
                }),
                limit,
            }
        }
    }

    /// Takes a permit, waiting up to `timeout` for one.
    ///
    /// `Err(SemError::Busy)` if the count is 0 and `timeout` is
    /// [`Timeout::NoWait`] (or zero); `Err(SemError::TimedOut)` if nothing
    /// was given to this caller within the timeout, or the semaphore was
    /// [`reset`](Self::reset) meanwhile.
    pub fn take(&self, timeout: Timeout) -> Result<(), SemError> {
        let taken = self.state.with(|s| {
            if s.count > 0 {
                s.count -= 1;
                true
            } else {
                false
            }
        });
        if taken {
            return Ok(());
        }
        let Some(limit) = timeout.wait_limit() else {
            return Err(SemError::Busy);
        };
        let node = pin!(Waiter::new());
        let node = node.as_ref().get_ref();
        // The second look: a give since the first is taken here, without
        // reading a clock (`wait` computes the deadline once queued).
        //
        // Mutation testing: this look differs from the first only when a
        // give lands between the two, which no host test can arrange; the
        // loom models do, and fail for `>` → `<` (`forever_take_is_woken_by_give`
        // deadlocks) and `-=` → `+=`/`/=` (three models see a permit made
        // from nothing).
        let taken = self.state.with(|s| {
            if s.count > 0 {
                s.count -= 1;
                true
            } else {
                // SAFETY: `node` is pinned in this frame and is unlinked
                // before the frame ends: `wait` returns only once it is.
                unsafe { s.waiters.insert(node) };
                false
            }
        });
        if taken {
            return Ok(());
        }
        // A permit granted to a wait that unwinds is given on.
        let pass_on = |_| self.give();
        // SAFETY: `node` is linked and pinned in this frame.
        match unsafe { wait::wait(&self.state, |s| &mut s.waiters, node, limit, pass_on) } {
            Outcome::Granted(_) => Ok(()),
            Outcome::Cancelled | Outcome::TimedOut => Err(SemError::TimedOut),
        }
    }

    /// Gives a permit: to the most urgent waiter if any (the count stays),
    /// else count + 1, saturating at the limit.
    pub fn give(&self) {
        let wake = self.state.with(|s| {
            let wake = s.waiters.grant_first(core::ptr::null_mut());
            if wake.is_none() && s.count < self.limit {
                s.count += 1;
            }
            wake
        });
        if let Some(wake) = wake {
            wake.wake();
        }
    }

    /// The current count.
    pub fn count(&self) -> u32 {
        self.state.with(|s| s.count)
    }

    /// Sets the count to 0; every thread waiting at the time returns
    /// `Err(SemError::TimedOut)`.
    ///
    /// One step as far as other callers can tell: a `give` racing the reset
    /// either comes before it (and may serve a waiter, which then returns
    /// `Ok`) or after it (it serves a later arrival, or is counted), never
    /// in between.
    pub fn reset(&self) {
        // The count and every waiter present, in one locked step: from here
        // on givers skip those waiters.
        let arrived_before = self.state.with(|s| {
            s.count = 0;
            s.waiters.cancel_queued()
        });
        // Told one at a time, each woken outside the lock; later arrivals
        // wait on.
        while let Some(wake) = self
            .state
            .with(|s| s.waiters.cancel_first_before(arrived_before))
        {
            wake.wake();
        }
    }

    /// How many callers are waiting right now.
    pub fn num_waiting(&self) -> usize {
        self.state.with(|s| s.waiters.len())
    }
}

impl fmt::Debug for Semaphore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (count, waiting) = self.state.with(|s| (s.count, s.waiters.len()));
        f.debug_struct("Semaphore")
            .field("count", &count)
            .field("limit", &self.limit)
            .field("waiting", &waiting)
            .finish()
    }
}
