//! Async allocation: [`MemSlab::alloc_async`] and
//! [`MemSlab::alloc_block_async`], futures that wait in the **same** queue
//! as blocking callers.
//!
//! The future embeds a wait-queue node (the same `Waiter` a blocking
//! `alloc` keeps in its stack frame), pinned with the future, whose wake-up
//! handle is the task's [`Waker`](core::task::Waker). A `free` that finds
//! it first in the queue hands it the block directly and wakes the task,
//! exactly as it would unpark a thread: blocking and async waiters are
//! served in one order (priority, then arrival), and a racing
//! `alloc(NoWait)` cannot steal the block.
//!
//! - **First poll**: under the slab's lock, a free block is taken (`Ready`),
//!   or the node is linked into the queue (`Pending`). A slab that is not
//!   ready gives `Err(NotReady)` at once.
//! - **Later polls**: `Ready` once a block was handed over; otherwise the
//!   stored waker is replaced under the lock if the task's waker changed.
//! - **Drop (cancellation)**: a queued future takes its node out of the
//!   queue under the lock. If a block had already been handed to it, the
//!   block is freed again, which passes it to the next waiter or returns it
//!   to the free list. Nothing is lost, whatever the interleaving.
//!
//! There is no timeout parameter: combine the future with your executor's
//! timer (e.g. `embassy_time::with_timeout`, `tokio::time::timeout`); the
//! timer drops the future when it fires, which is the cancellation above.
//!
//! Priority: with `std`, the future waits at the priority of the thread
//! that called `alloc_async` (see `set_thread_priority`), read when the
//! future is created; on bare metal all waiters share one priority.
//!
//! Wakers are called by whoever frees the block, after the slab's lock is
//! released: on bare metal that is often an interrupt handler, so the
//! executor's wakers must be interrupt-safe (embassy's are). No waker is
//! cloned, woken or dropped while a lock is held.
//!
//! Cost: a poll that finds a free block is one lock, as `alloc(NoWait)`;
//! waiting costs a second lock to link the node and one waker clone;
//! each later poll one lock (two if the waker changed).

use core::cell::Cell;
use core::fmt;
use core::future::Future;
use core::pin::Pin;
use core::ptr::NonNull;
use core::task::{Context, Poll};

use crate::block::Block;
use crate::error::AllocError;
use crate::port::Wake;
use crate::slab::MemSlab;
use crate::timeout::Timeout;
use crate::wait::{Outcome, WaitQueue, Waiter};

impl MemSlab {
    /// Allocates a block asynchronously: the future resolves to a block once
    /// one is free, waiting in the same queue as blocking
    /// [`alloc`](Self::alloc) callers (priority, then arrival).
    ///
    /// Resolves at once to `Err(NotReady)` before the slab is ready (or
    /// `Err(Corrupted)` if its free list is). Dropping the future while it
    /// waits is safe: a block handed to it in the meantime is passed on to
    /// the next waiter or the free list. There is no timeout parameter: wrap
    /// the future in your executor's timeout, which drops it when it fires.
    ///
    /// ```
    /// # use slab_core::{MemSlab, Timeout};
    /// # static SLAB: MemSlab = MemSlab::new();
    /// # let buf: &'static mut [usize] = Box::leak(vec![0usize; 4].into_boxed_slice());
    /// # let buf = unsafe { core::slice::from_raw_parts_mut(buf.as_mut_ptr().cast::<u8>(), 4 * core::mem::size_of::<usize>()) };
    /// # SLAB.init(buf, 2 * core::mem::size_of::<usize>(), 2).unwrap();
    /// use futures::executor::block_on;
    ///
    /// let block = block_on(SLAB.alloc_async())?;
    /// assert_eq!(SLAB.num_used(), 1);
    /// // SAFETY: `block` came from SLAB and is not used afterwards.
    /// unsafe { SLAB.free(block) }?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[cfg_attr(feature = "track", track_caller)]
    pub fn alloc_async(&self) -> AllocFuture<'_> {
        AllocFuture {
            #[cfg(feature = "track")]
            site: crate::track::SiteWord::caller(),
            slab: self,
            node: Waiter::with_wake(Wake::Nobody),
            state: Cell::new(State::Idle),
        }
    }

    /// As [`alloc_async`](Self::alloc_async), resolving to a [`Block`] that
    /// frees itself when dropped.
    ///
    /// ```
    /// # use slab_core::{MemSlab, Timeout};
    /// # static SLAB: MemSlab = MemSlab::new();
    /// # let buf: &'static mut [usize] = Box::leak(vec![0usize; 4].into_boxed_slice());
    /// # let buf = unsafe { core::slice::from_raw_parts_mut(buf.as_mut_ptr().cast::<u8>(), 4 * core::mem::size_of::<usize>()) };
    /// # SLAB.init(buf, 2 * core::mem::size_of::<usize>(), 2).unwrap();
    /// futures::executor::block_on(async {
    ///     let mut block = SLAB.alloc_block_async().await.unwrap();
    ///     block.as_uninit_mut()[0].write(7);
    ///     assert_eq!(SLAB.num_used(), 1);
    /// }); // the block was freed at the end of the async block
    /// assert_eq!(SLAB.num_used(), 0);
    /// ```
    #[cfg_attr(feature = "track", track_caller)]
    pub fn alloc_block_async(&self) -> BlockFuture<'_> {
        BlockFuture {
            alloc: self.alloc_async(),
        }
    }
}

/// Where an [`AllocFuture`] is in its life.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum State {
    /// Not polled yet: the node is not linked.
    Idle,
    /// The node is linked into the slab's queue, or was decided by a giver
    /// and not yet looked at.
    Queued,
    /// Resolved: the node is not linked and holds nothing.
    Done,
}

/// The future of [`MemSlab::alloc_async`]: resolves to a block pointer,
/// which the caller then frees with [`MemSlab::free`].
///
/// It is `Send` and `!Unpin` (it holds a wait-queue node that is linked
/// into the slab while it waits); dropping it at any point loses no block.
#[must_use = "futures do nothing unless polled"]
pub struct AllocFuture<'a> {
    slab: &'a MemSlab,
    /// The wait-queue node: linked only in state `Queued`, and only ever
    /// reached through a pinned future (hence `!Unpin`, via the node's
    /// `PhantomPinned`), so its address is stable while linked.
    node: Waiter,
    state: Cell<State>,
    /// Where the future was made: the holder of the block it resolves to.
    #[cfg(feature = "track")]
    site: crate::track::SiteWord,
}

// SAFETY: nothing in the future is tied to the thread that made it. The
// node's links and wake slot are only touched under the slab's lock (or by
// the owner before the node is linked); its status is an atomic and its
// grant slot is read only after an Acquire of the status published by the
// giver (the hand-off protocol in `wait`); the waker it stores is `Send`.
// `state` is a `Cell`, touched only by the owner (`poll`, `drop`), and the
// slab is `Sync`. Moving the future to another thread (pinned, so behind a
// pointer) changes none of that.
unsafe impl Send for AllocFuture<'_> {}

impl<'a> AllocFuture<'a> {
    /// The poll of both futures, on a pinned `AllocFuture`.
    fn poll_alloc(self: Pin<&Self>, cx: &mut Context<'_>) -> Poll<Result<NonNull<u8>, AllocError>> {
        let this = self.get_ref();
        match this.state.get() {
            State::Idle => this.first_poll(cx),
            State::Queued => this.poll_queued(cx),
            State::Done => panic!("slab_core::AllocFuture polled after it resolved"),
        }
    }

    fn first_poll(&self, cx: &mut Context<'_>) -> Poll<Result<NonNull<u8>, AllocError>> {
        // A free block (or a slab that is not ready): no waker needed.
        match self.slab.alloc(Timeout::NoWait) {
            Err(AllocError::NoMemory) => {}
            // `alloc` reported it to the trace hook already.
            done => return self.resolve(done),
        }
        // Cloned before taking the lock: a clone may run user code.
        // SAFETY: the node is not linked yet and only this future reaches it.
        let none = unsafe { self.node.replace_wake(Wake::Waker(cx.waker().clone())) };
        drop(none);
        let node = &self.node;
        let enqueue = |queue: &mut WaitQueue| {
            // SAFETY: `self` is pinned (`poll_alloc` takes `Pin<&Self>`, and
            // the future is `!Unpin`), so `node` stays at this address until
            // the future is dropped, and `drop` unlinks it first (state
            // `Queued`, set below whenever this runs).
            unsafe { queue.insert(node) }
        };
        match self.slab.pop_or_enqueue(enqueue) {
            // A block was freed in between: the stored waker just goes unused.
            Some(done) => self.resolve_reported(done),
            None => {
                self.state.set(State::Queued);
                Poll::Pending
            }
        }
    }

    fn poll_queued(&self, cx: &mut Context<'_>) -> Poll<Result<NonNull<u8>, AllocError>> {
        if let Some(outcome) = self.node.outcome() {
            return self.resolve_reported(granted(outcome));
        }
        // Still waiting at that look: keep the stored waker current, so a
        // `free` wakes the task that polled last (the Future contract).
        let node = &self.node;
        let current = self.slab.with_waiters(|_| {
            // SAFETY: under the slab's lock the node's wake slot is ours to
            // read (givers only touch it under the same lock).
            node.outcome().is_some() || unsafe { node.wakes(cx.waker()) }
        });
        if !current {
            let fresh = Wake::Waker(cx.waker().clone());
            let stale = self.slab.with_waiters(|_| match node.outcome() {
                Some(_) => fresh,
                // SAFETY: under the slab's lock, as above.
                None => unsafe { node.replace_wake(fresh) },
            });
            // Dropped after the lock is released: a waker's drop is user code.
            drop(stale);
        }
        // A grant that landed meanwhile woke the old waker: take it now.
        match self.node.outcome() {
            Some(outcome) => self.resolve_reported(granted(outcome)),
            None => Poll::Pending,
        }
    }

    fn resolve(
        &self,
        done: Result<NonNull<u8>, AllocError>,
    ) -> Poll<Result<NonNull<u8>, AllocError>> {
        #[cfg(feature = "track")]
        if let Ok(block) = done {
            // The holder is whoever made the future, not this module.
            self.slab.track_taken(block, self.site);
        }
        self.state.set(State::Done);
        Poll::Ready(done)
    }

    /// [`resolve`](Self::resolve) for an outcome that did not come through
    /// `alloc`: reported to the trace hook here.
    fn resolve_reported(
        &self,
        done: Result<NonNull<u8>, AllocError>,
    ) -> Poll<Result<NonNull<u8>, AllocError>> {
        #[cfg(feature = "trace")]
        crate::slab::events::alloc(self.slab, &done);
        self.resolve(done)
    }
}

/// What a decided node means for a slab allocation.
fn granted(outcome: Outcome) -> Result<NonNull<u8>, AllocError> {
    match outcome {
        Outcome::Granted(block) => {
            Ok(NonNull::new(block).expect("a slab hands over blocks, never null"))
        }
        // Slabs never cancel waiters (only `Semaphore::reset` does).
        Outcome::Cancelled | Outcome::TimedOut => Err(AllocError::TimedOut),
    }
}

impl Future for AllocFuture<'_> {
    type Output = Result<NonNull<u8>, AllocError>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        self.into_ref().poll_alloc(cx)
    }
}

impl Drop for AllocFuture<'_> {
    /// Cancellation: takes the node out of the queue, and passes on a block
    /// that was handed to it and never taken.
    fn drop(&mut self) {
        if self.state.get() != State::Queued {
            return;
        }
        let node = &self.node;
        let outcome = match node.outcome() {
            Some(outcome) => Some(outcome),
            // SAFETY: in state `Queued` the node was linked into this slab's
            // queue, and is still unless a giver decided it.
            None => self
                .slab
                .with_waiters(|queue| unsafe { queue.withdraw(node) }),
        };
        self.state.set(State::Done);
        if let Some(Outcome::Granted(block)) = outcome {
            let block = NonNull::new(block).expect("a slab hands over blocks, never null");
            // SAFETY: the block was handed to this future, which never gave
            // it to anyone: freeing it passes it to the next waiter (or back
            // to the free list).
            let passed = unsafe { self.slab.free(block) };
            debug_assert!(
                passed.is_ok(),
                "passing on a granted block failed: {passed:?}"
            );
        }
    }
}

impl fmt::Debug for AllocFuture<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AllocFuture")
            .field("slab", &self.slab.name())
            .field("state", &self.state.get())
            .finish()
    }
}

/// The future of [`MemSlab::alloc_block_async`]: resolves to a [`Block`].
///
/// `Send`, `!Unpin`, and cancel-safe, as [`AllocFuture`].
#[must_use = "futures do nothing unless polled"]
pub struct BlockFuture<'a> {
    alloc: AllocFuture<'a>,
}

impl<'a> Future for BlockFuture<'a> {
    type Output = Result<Block<'a>, AllocError>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        // SAFETY: structural pinning of `alloc`: it is never moved out of a
        // `BlockFuture` (no method hands it out by value), `BlockFuture` is
        // `!Unpin` because `alloc` is, and it has no `Drop` of its own.
        let alloc = unsafe { self.into_ref().map_unchecked(|f| &f.alloc) };
        let slab = alloc.slab;
        alloc
            .poll_alloc(cx)
            .map(|done| done.map(|ptr| Block::new(slab, ptr)))
    }
}

impl fmt::Debug for BlockFuture<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BlockFuture")
            .field("slab", &self.alloc.slab.name())
            .field("state", &self.alloc.state.get())
            .finish()
    }
}

#[cfg(test)]
mod tests;
