//! The wait queue shared by [`Semaphore`](crate::Semaphore) and
//! [`MemSlab`](crate::MemSlab), and the hand-off protocol.
//!
//! A waiter is a [`Waiter`] node living in the waiting call's stack frame,
//! pinned there while it is linked into the queue. The queue is ordered by
//! priority (lower value first, Zephyr's convention), then arrival.
//!
//! Hand-off: the giver, under the object's lock, unlinks the first waiter,
//! writes the granted value (a block pointer for a slab) into it, takes its
//! wake-up handle out and only then publishes the new status with a
//! `Release` store. After that store the giver never touches the node
//! again — the waiter may return and its frame vanish at once — and it
//! wakes the waiter through the handle it took, after releasing the lock.
//!
//! Timeouts: a waiter whose deadline passed takes the lock and looks at its
//! status. Still waiting: it unlinks itself and reports the timeout. Already
//! granted: it keeps the grant (it was given to it, nothing is lost).
//!
//! Async waiters (`crate::async_alloc`) use the same nodes, embedded in a
//! pinned future, with a `Waker` as the wake-up handle: they poll the
//! status instead of parking, refresh the waker under the lock, and when
//! dropped while queued withdraw the node exactly as a timeout does —
//! passing on a grant that arrived first.

use core::cell::Cell;
use core::marker::PhantomPinned;
use core::ptr;
use core::sync::atomic::Ordering;
use core::time::Duration;

use crate::lock::Locked;
use crate::port::{self, Deadline, Wake};
use crate::sync::{AtomicU8, Slot};

/// Status of a [`Waiter`].
const WAITING: u8 = 0;
const GRANTED: u8 = 1;
const CANCELLED: u8 = 2;

/// How a wait ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Outcome {
    /// Something was handed over; for a slab, the block.
    Granted(*mut u8),
    /// The object was reset while this waiter waited.
    Cancelled,
    /// The deadline passed with nothing handed over.
    TimedOut,
}

/// One waiting caller. Lives in the caller's frame; linked into a
/// [`WaitQueue`] only while the caller waits.
pub(crate) struct Waiter {
    priority: i32,
    /// Arrival number, set when linked.
    ticket: Cell<u64>,
    prev: Cell<*const Waiter>,
    next: Cell<*const Waiter>,
    /// `WAITING` until a giver publishes `GRANTED` or `CANCELLED`.
    status: AtomicU8,
    /// The granted value: written before `status` is published.
    grant: Slot<*mut u8>,
    /// How to wake the caller: taken out by the giver, under the lock.
    wake: Slot<Wake>,
    _pinned: PhantomPinned,
}

impl Waiter {
    /// A waiter for the calling context, at its priority.
    pub fn new() -> Self {
        Self::with_wake(port::current_wake())
    }

    /// A waiter at the calling context's priority that is woken through
    /// `wake` (an async caller's `Waker`, set or refreshed later with
    /// [`Self::replace_wake`]).
    pub fn with_wake(wake: Wake) -> Self {
        Self {
            priority: port::current_priority(),
            ticket: Cell::new(0),
            prev: Cell::new(ptr::null()),
            next: Cell::new(ptr::null()),
            status: AtomicU8::new(WAITING),
            grant: Slot::new(ptr::null_mut()),
            wake: Slot::new(wake),
            _pinned: PhantomPinned,
        }
    }

    /// The outcome if a giver has already decided it (an `Acquire` look,
    /// for callers that poll instead of waiting in [`wait`]).
    #[inline]
    pub fn outcome(&self) -> Option<Outcome> {
        self.decided(Ordering::Acquire)
    }

    /// Replaces the wake-up handle, returning the old one (drop it after
    /// releasing the lock: dropping a `Waker` runs user code).
    ///
    /// # Safety
    /// Either the waiter is not linked and not reachable by any other
    /// context, or the caller holds the lock of the queue it is linked into.
    pub unsafe fn replace_wake(&self, wake: Wake) -> Wake {
        // SAFETY: exclusive access to the slot, by the caller's contract
        // (givers only touch it under that same lock).
        unsafe { self.wake.replace(wake) }
    }

    /// Whether the stored wake-up handle wakes the same task as `waker`.
    ///
    /// # Safety
    /// As for [`Self::replace_wake`].
    pub unsafe fn wakes(&self, waker: &core::task::Waker) -> bool {
        // SAFETY: no concurrent write, by the caller's contract.
        unsafe { self.wake.with(|wake| wake.will_wake(waker)) }
    }

    /// The outcome if a giver has already decided it.
    #[inline]
    fn decided(&self, order: Ordering) -> Option<Outcome> {
        match self.status.load(order) {
            WAITING => None,
            // SAFETY: the giver wrote `grant` before publishing GRANTED
            // (Release, paired with the caller's Acquire) and never again.
            GRANTED => Some(Outcome::Granted(unsafe { self.grant.get() })),
            _ => Some(Outcome::Cancelled),
        }
    }
}

/// Waiters in service order: priority, then arrival. Only touched under
/// the owning object's lock.
pub(crate) struct WaitQueue {
    head: *const Waiter,
    tail: *const Waiter,
    len: usize,
    /// Tickets handed out so far.
    arrivals: u64,
    /// Waiters with a lower ticket were queued when a `reset` began: they
    /// are cancelled already as far as givers are concerned (skipped), and
    /// the reset tells them so one at a time.
    cancelled_below: u64,
}

impl WaitQueue {
    pub const fn new() -> Self {
        Self {
            head: ptr::null(),
            tail: ptr::null(),
            len: 0,
            arrivals: 0,
            cancelled_below: 0,
        }
    }

    pub fn len(&self) -> usize {
        self.len
    }

    /// Cancels every waiter queued now, in one step: from here on givers
    /// skip them (a give goes to a later arrival, or to the count), and
    /// [`Self::cancel_first_before`] with the returned ticket tells them
    /// one at a time.
    pub fn cancel_queued(&mut self) -> u64 {
        self.cancelled_below = self.arrivals;
        self.arrivals
    }

    /// Links `w` behind every waiter of equal or more urgent priority.
    ///
    /// # Safety
    /// `w` is not linked, and stays pinned and alive until it is unlinked
    /// (by [`Self::remove`] or a grant).
    pub unsafe fn insert(&mut self, w: &Waiter) {
        // Walk back from the tail past the less urgent waiters: arrivals at
        // the same priority land last among their peers.
        let mut after = self.tail;
        while !after.is_null() {
            // SAFETY: every linked node is alive (insert's contract).
            let node = unsafe { &*after };
            if node.priority <= w.priority {
                break;
            }
            after = node.prev.get();
        }
        let before = if after.is_null() {
            self.head
        } else {
            // SAFETY: as above.
            unsafe { (*after).next.get() }
        };
        w.ticket.set(self.arrivals);
        self.arrivals += 1;
        w.prev.set(after);
        w.next.set(before);
        if after.is_null() {
            self.head = w;
        } else {
            // SAFETY: as above.
            unsafe { (*after).next.set(w) };
        }
        if before.is_null() {
            self.tail = w;
        } else {
            // SAFETY: as above.
            unsafe { (*before).prev.set(w) };
        }
        self.len += 1;
    }

    /// Unlinks `w`.
    ///
    /// # Safety
    /// `w` is linked into this queue.
    pub unsafe fn remove(&mut self, w: &Waiter) {
        let (prev, next) = (w.prev.get(), w.next.get());
        if prev.is_null() {
            self.head = next;
        } else {
            // SAFETY: linked nodes are alive.
            unsafe { (*prev).next.set(next) };
        }
        if next.is_null() {
            self.tail = prev;
        } else {
            // SAFETY: linked nodes are alive.
            unsafe { (*next).prev.set(prev) };
        }
        w.prev.set(ptr::null());
        w.next.set(ptr::null());
        self.len -= 1;
    }

    /// Takes `w` out of the race with the givers, under the lock: its
    /// outcome if a giver decided it first, else unlinks it and returns
    /// `None` (a timeout, or an async waiter dropped while queued).
    ///
    /// # Safety
    /// `w` was linked into this queue: it still is unless it was decided.
    pub unsafe fn withdraw(&mut self, w: &Waiter) -> Option<Outcome> {
        let outcome = w.decided(Ordering::Acquire);
        if outcome.is_none() {
            // SAFETY: undecided means still linked (givers unlink before
            // deciding).
            unsafe { self.remove(w) };
        }
        outcome
    }

    /// Unlinks the most urgent waiter, hands it `value` and returns how to
    /// wake it, which the caller must do after releasing the lock. `None`
    /// when nobody waits.
    #[inline]
    pub fn grant_first(&mut self, value: *mut u8) -> Option<Wake> {
        // The common case, nobody waiting, stays inline in the caller.
        if self.head.is_null() {
            return None;
        }
        // Past the waiters of a reset in progress (none, unless a semaphore
        // is being reset right now: then the walk is short-lived).
        let cancelled_below = self.cancelled_below;
        let first = self.first_where(|ticket| ticket >= cancelled_below);
        self.decide(first, GRANTED, value)
    }

    /// Unlinks the most urgent waiter that arrived before `ticket` and tells
    /// it it was cancelled.
    ///
    /// An equivalent mutant (mutation testing): `<` → `<=` would also cancel
    /// the one waiter with ticket `ticket`, the first to arrive after the
    /// reset's locked step, if it arrives while the reset still runs. Its
    /// `take` then overlaps the reset, so "queued before it, cancelled" is
    /// a linearisable outcome too (givers never skip it, so nothing is
    /// lost); `<` is the exact set, and keeps later arrivals waiting as
    /// `reset` documents.
    pub fn cancel_first_before(&mut self, ticket: u64) -> Option<Wake> {
        let first = self.first_where(|arrived| arrived < ticket);
        self.decide(first, CANCELLED, ptr::null_mut())
    }

    /// The most urgent waiter whose ticket passes `pick`, or null.
    fn first_where(&self, pick: impl Fn(u64) -> bool) -> *const Waiter {
        let mut w = self.head;
        while !w.is_null() {
            // SAFETY: linked nodes are alive.
            let node = unsafe { &*w };
            if pick(node.ticket.get()) {
                break;
            }
            w = node.next.get();
        }
        w
    }

    fn decide(&mut self, w: *const Waiter, status: u8, value: *mut u8) -> Option<Wake> {
        if w.is_null() {
            return None;
        }
        // SAFETY: `w` is linked, hence alive and pinned until it sees a
        // decided status, which is published last below.
        let w = unsafe { &*w };
        // SAFETY: `w` is linked into this queue.
        unsafe { self.remove(w) };
        // SAFETY: until the status is published, `grant` and `wake` are only
        // touched by givers, under the lock that our caller holds.
        let wake = unsafe {
            w.grant.replace(value);
            w.wake.replace(Wake::default())
        };
        // After this store the waiter may return: `w` is not touched again.
        w.status.store(status, Ordering::Release);
        Some(wake)
    }
}

/// Waits for `node`, already linked into the queue that `queue` picks out of
/// `locked`, to be decided, or for `limit` (from now; `None` is forever) to
/// pass.
///
/// The deadline is only computed here, once the node is queued: the
/// caller's second look at the object needs no clock. Waiting runs user
/// code (a bare-metal wait hook, the registered clock); if that unwinds,
/// the node is withdrawn before its frame dies, as a timeout would, and a
/// grant that arrived first is handed to `pass_on` (free the block, give
/// the permit), so nothing is left pointing into the dead frame and
/// nothing is lost.
///
/// # Safety
/// `node` is linked into that queue and stays where it is until this returns
/// or unwinds.
pub(crate) unsafe fn wait<T, Q, P>(
    locked: &Locked<T>,
    queue: Q,
    node: &Waiter,
    limit: Option<Duration>,
    pass_on: P,
) -> Outcome
where
    Q: Fn(&mut T) -> &mut WaitQueue,
    P: FnOnce(*mut u8),
{
    let mut linked = Linked {
        locked,
        queue: &queue,
        node,
        pass_on: Some(pass_on),
    };
    let deadline = Deadline::after(limit);
    let outcome = loop {
        if let Some(outcome) = node.decided(Ordering::Acquire) {
            break outcome;
        }
        if !port::park(&node.status, WAITING, &deadline) {
            // The deadline passed. Decide under the lock, racing any giver.
            break locked.with(|state| {
                // SAFETY: `node` was linked into this queue (our contract).
                unsafe { queue(state).withdraw(node) }.unwrap_or(Outcome::TimedOut)
            });
        }
    };
    // Decided or withdrawn: the node is unlinked, and the outcome ours.
    linked.pass_on = None;
    outcome
}

/// A waiter node that `wait` has not seen decided or withdrawn yet: when
/// dropped armed (`pass_on` still set, i.e. while unwinding out of `wait`),
/// it withdraws the node and passes on a grant that arrived first.
struct Linked<'a, T, Q, P>
where
    Q: Fn(&mut T) -> &mut WaitQueue,
    P: FnOnce(*mut u8),
{
    locked: &'a Locked<T>,
    queue: &'a Q,
    node: &'a Waiter,
    pass_on: Option<P>,
}

impl<T, Q, P> Drop for Linked<'_, T, Q, P>
where
    Q: Fn(&mut T) -> &mut WaitQueue,
    P: FnOnce(*mut u8),
{
    fn drop(&mut self) {
        let Some(pass_on) = self.pass_on.take() else {
            return;
        };
        let (queue, node) = (self.queue, self.node);
        // SAFETY: armed means `wait` had neither seen the node decided nor
        // withdrawn it: it is still linked into this queue unless a giver
        // decided it, which `withdraw` tells apart under the lock.
        let outcome = self
            .locked
            .with(|state| unsafe { queue(state).withdraw(node) });
        if let Some(Outcome::Granted(value)) = outcome {
            pass_on(value);
        }
    }
}
