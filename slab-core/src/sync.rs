//! The atomics that carry the hand-off protocol, swapped for loom's under
//! `cfg(loom)` so that the loom models explore every interleaving of the
//! real code. (Counters written only under a lock stay `core` atomics.)

#[cfg(loom)]
pub(crate) use loom::sync::atomic::AtomicU8;

#[cfg(not(loom))]
pub(crate) use core::sync::atomic::AtomicU8;

/// A cell for plain data handed between threads under the hand-off
/// protocol (its accesses are ordered by the waiter's status atomic). Under
/// loom its accesses are tracked, so a missing happens-before is caught.
#[cfg(not(loom))]
pub(crate) struct Slot<T>(core::cell::UnsafeCell<T>);

#[cfg(loom)]
pub(crate) struct Slot<T>(loom::cell::UnsafeCell<T>);

impl<T> Slot<T> {
    pub fn new(value: T) -> Self {
        #[cfg(not(loom))]
        return Self(core::cell::UnsafeCell::new(value));
        #[cfg(loom)]
        return Self(loom::cell::UnsafeCell::new(value));
    }

    /// Reads the value.
    ///
    /// # Safety
    /// No write may happen concurrently (see [`Slot::replace`]).
    pub unsafe fn get(&self) -> T
    where
        T: Copy,
    {
        #[cfg(not(loom))]
        // SAFETY: no concurrent write, by the caller's contract.
        return unsafe { *self.0.get() };
        #[cfg(loom)]
        // SAFETY: no concurrent write, by the caller's contract.
        return self.0.with(|p| unsafe { *p });
    }

    /// Runs `f` on a shared borrow of the value.
    ///
    /// # Safety
    /// No write may happen concurrently (see [`Slot::replace`]).
    pub unsafe fn with<R>(&self, f: impl FnOnce(&T) -> R) -> R {
        #[cfg(not(loom))]
        // SAFETY: no concurrent write, by the caller's contract.
        return f(unsafe { &*self.0.get() });
        #[cfg(loom)]
        // SAFETY: no concurrent write, by the caller's contract.
        return self.0.with(|p| f(unsafe { &*p }));
    }

    /// Replaces the value, returning the old one.
    ///
    /// # Safety
    /// No other access to the slot may happen concurrently: the caller
    /// holds the owning object's lock, or owns the slot by the protocol.
    pub unsafe fn replace(&self, value: T) -> T {
        #[cfg(not(loom))]
        // SAFETY: exclusive access, by the caller's contract.
        return unsafe { core::mem::replace(&mut *self.0.get(), value) };
        #[cfg(loom)]
        // SAFETY: exclusive access, by the caller's contract.
        return self
            .0
            .with_mut(|p| unsafe { core::mem::replace(&mut *p, value) });
    }
}

/// A `const fn` normally; a plain `fn` under loom, whose atomics cannot be
/// built in const context.
macro_rules! loom_const_fn {
    ($(#[$attr:meta])* $vis:vis const fn $name:ident $($rest:tt)*) => {
        #[cfg(not(loom))]
        $(#[$attr])* $vis const fn $name $($rest)*
        #[cfg(loom)]
        $(#[$attr])* $vis fn $name $($rest)*
    };
    ($(#[$attr:meta])* $vis:vis const unsafe fn $name:ident $($rest:tt)*) => {
        #[cfg(not(loom))]
        $(#[$attr])* $vis const unsafe fn $name $($rest)*
        #[cfg(loom)]
        $(#[$attr])* $vis unsafe fn $name $($rest)*
    };
}
pub(crate) use loom_const_fn;
