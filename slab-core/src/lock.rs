//! The per-object lock guarding a slab's or semaphore's state.
//!
//! The locked regions are a handful of instructions and never wait, park or
//! call user code.
//!
//! - With `std`, each object has its own spin lock (one compare-and-swap to
//!   take, one store to release), so threads working on different slabs
//!   never contend. `critical-section`'s std implementation is a single
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

        #[inline(always)]
        pub fn lock(&self) -> Guard<'_> {
            if self
                .0
                .compare_exchange_weak(false, true, Ordering::Acquire, Ordering::Relaxed)
                .is_err()
            {
                self.lock_contended();
            }
            Guard(self)
        }

        #[cold]
        fn lock_contended(&self) {
            let mut spins = 0u32;
            loop {
                // Spin on a plain load (no cache-line ping-pong), then retry.
                while self.0.load(Ordering::Relaxed) {
                    spins += 1;
                    if spins < 64 {
                        core::hint::spin_loop();
                    } else {
                        // The holder may have been preempted: let it run.
                        std::thread::yield_now();
                    }
                }
                if self
                    .0
                    .compare_exchange_weak(false, true, Ordering::Acquire, Ordering::Relaxed)
                    .is_ok()
                {
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
/// textbook acquire-CAS / release-store pair.
#[cfg(all(feature = "std", loom))]
mod spin {
    pub struct SpinLock(loom::sync::Mutex<()>);

    pub struct Guard<'a>(#[allow(dead_code)] loom::sync::MutexGuard<'a, ()>);

    impl SpinLock {
        pub fn new() -> Self {
            Self(loom::sync::Mutex::new(()))
        }

        pub fn lock(&self) -> Guard<'_> {
            Guard(self.0.lock().unwrap())
        }
    }
}
