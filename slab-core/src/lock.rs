//! The per-object lock guarding a slab's or semaphore's state.
//!
//! The locked regions are a handful of instructions and never wait, park or
//! call user code.
//!
//! - With `std`, each object has its own spin lock (one atomic swap to
//!   take, one store to release), so threads working on different slabs
//!   never contend; a contended lock backs off exponentially, then yields. `critical-section`'s std implementation is a single
//!   process-wide mutex and is deliberately not used here.
//! - Without `std`, the lock is a `critical_section::with`: on a single-core
//!   MCU that masks interrupts, which is both the cheapest lock and what
//!   makes `free` and `alloc(NoWait)` safe in interrupt handlers; on
//!   multi-core parts the application's critical-section implementation
//!   adds the cross-core exclusion.

use core::cell::UnsafeCell;

/// A value only reachable while its lock is held.
pub(crate) struct Locked<T> {
    #[cfg(feature = "std")]
    lock: spin::SpinLock,
    data: UnsafeCell<T>,
}

impl<T> Locked<T> {
    crate::sync::loom_const_fn! {
        pub const fn new(data: T) -> Self {
            Self {
                #[cfg(feature = "std")]
                lock: spin::SpinLock::new(),
                data: UnsafeCell::new(data),
            }
        }
    }

    crate::sync::loom_const_fn! {
        /// The value, through an exclusive borrow of the lock (no locking).
        pub const fn get_mut(&mut self) -> &mut T {
            self.data.get_mut()
        }
    }

    /// Runs `f` with exclusive access to the value. `f` must not block, and
    /// must not call `with` on the same object.
    #[inline(always)]
    pub fn with<R>(&self, f: impl FnOnce(&mut T) -> R) -> R {
        #[cfg(feature = "std")]
        {
            let _guard = self.lock.lock();
            // SAFETY: the spin lock is held until `_guard` drops, so this is
            // the only reference to the data; `f` does not re-enter `with`.
            f(unsafe { &mut *self.data.get() })
        }
        #[cfg(not(feature = "std"))]
        {
            critical_section::with(|_| {
                // SAFETY: inside the critical section no other context (thread,
                // interrupt handler or core) can run another `with` on this
                // object, and `f` does not re-enter it.
                f(unsafe { &mut *self.data.get() })
            })
        }
    }
}

#[cfg(all(feature = "std", not(loom)))]
mod spin {
    use core::sync::atomic::{AtomicBool, Ordering};

    pub struct SpinLock(AtomicBool);

    pub struct Guard<'a>(&'a SpinLock);

    impl SpinLock {
        pub const fn new() -> Self {
            Self(AtomicBool::new(false))
        }

        /// Takes the lock: one swap (`xchg`), measurably cheaper than a
        /// compare-and-swap on x86-64; the contended path spins on loads.
        #[inline(always)]
        pub fn lock(&self) -> Guard<'_> {
            if self.0.swap(true, Ordering::Acquire) {
                self.lock_contended();
            }
            Guard(self)
        }

        /// Exponential back-off: each failed look waits twice as long as
        /// the last (up to 16 spin hints) before looking again, with a plain
        /// load, so that the holder keeps the cache line meanwhile. After
        /// some hundreds of hints (a spin hint is ~25 ns on a Zen 4, so
        /// several microseconds against a critical section of tens of
        /// nanoseconds) the holder has probably been preempted: yield to let
        /// it run.
        #[cold]
        fn lock_contended(&self) {
            let mut backoff = 1u32;
            let mut spent = 0u32;
            loop {
                for _ in 0..backoff {
                    core::hint::spin_loop();
                }
                spent = spent.saturating_add(backoff);
                // Equivalent mutants (mutation testing): how long to wait
                // between looks and when to start yielding (`*` → `+`/`/`,
                // `>` → `>=`/`==`/`<` below) change only timing: the exit
                // test after them is what makes the lock exclusive, and
                // progress never depends on the yield (the OS preempts).
                backoff = (backoff * 2).min(16);
                if spent > 256 {
                    std::thread::yield_now();
                }
                if !self.0.load(Ordering::Relaxed) && !self.0.swap(true, Ordering::Acquire) {
                    return;
                }
            }
        }
    }

    impl Drop for Guard<'_> {
        #[inline(always)]
        fn drop(&mut self) {
            self.0.0.store(false, Ordering::Release);
        }
    }
}

/// Under loom the lock is loom's mutex: the model checker then treats a
/// contended lock as blocking instead of exploring every spin, which keeps
/// the models of the wait queue small. The spin lock itself is the
/// textbook acquire-swap / release-store pair.
#[cfg(all(feature = "std", loom))]
mod spin {
    pub struct SpinLock(loom::sync::Mutex<()>);

    pub struct Guard<'a>(#[allow(dead_code)] loom::sync::MutexGuard<'a, ()>);

    impl SpinLock {
        pub fn new() -> Self {
            Self(loom::sync::Mutex::new(()))
        }

        // Mutation testing: only compiled under `cfg(loom)`, so a host run
        // cannot catch its mutant (`Default::default()`, which would not
        // even build: `Guard` has no `Default`).
        pub fn lock(&self) -> Guard<'_> {
            Guard(self.0.lock().unwrap())
        }
    }
}
