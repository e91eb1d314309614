//! Single-threaded unit tests of the async futures, polled by hand; they
//! run with and without `std` and under miri. (Threads, and blocking
//! waiters next to futures, are in `slab-tests/tests/async_alloc.rs`.)

extern crate std;

use std::boxed::Box;
use std::format;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use core::future::Future;
use core::pin::pin;
use core::task::{Context, Poll, RawWaker, RawWakerVTable, Waker};

use crate::layout::WORD;
use crate::tests::slab;
use crate::{AllocError, MemSlab, Timeout};

/// A waker that counts its wake-ups.
struct Count(AtomicUsize);

impl std::task::Wake for Count {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        self.0.fetch_add(1, Ordering::SeqCst);
    }
}

fn counting_waker() -> (Arc<Count>, Waker) {
    let count = Arc::new(Count(AtomicUsize::new(0)));
    (count.clone(), Waker::from(count))
}

fn poll<F: Future>(fut: core::pin::Pin<&mut F>, waker: &Waker) -> Poll<F::Output> {
    fut.poll(&mut Context::from_waker(waker))
}

#[test]
fn ready_at_once_with_a_free_block() {
    let s = slab(WORD, 1);
    let mut fut = pin!(s.alloc_async());
    let Poll::Ready(Ok(block)) = poll(fut.as_mut(), Waker::noop()) else {
        panic!("a free block is ready at once");
    };
    assert_eq!((s.num_used(), s.num_free(), s.num_waiting()), (1, 0, 0));
    // SAFETY: ours.
    unsafe { s.free(block) }.unwrap();
}

#[test]
fn pending_then_granted_by_free() {
    let s = slab(WORD, 1);
    let held = s.alloc(Timeout::NoWait).unwrap();
    let (count, waker) = counting_waker();
    let mut fut = pin!(s.alloc_async());
    assert!(poll(fut.as_mut(), &waker).is_pending());
    assert!(poll(fut.as_mut(), &waker).is_pending(), "a spurious poll");
    assert_eq!(s.num_waiting(), 1);
    // SAFETY: ours; handed to the future.
    unsafe { s.free(held) }.unwrap();
    assert_eq!(count.0.load(Ordering::SeqCst), 1, "woken once");
    assert_eq!(
        s.alloc(Timeout::NoWait),
        Err(AllocError::NoMemory),
        "no steal"
    );
    assert_eq!(poll(fut.as_mut(), &waker), Poll::Ready(Ok(held)));
    assert_eq!((s.num_used(), s.num_free(), s.num_waiting()), (1, 0, 0));
    // SAFETY: ours.
    unsafe { s.free(held) }.unwrap();
}

#[test]
fn a_changed_waker_is_the_one_woken() {
    let s = slab(WORD, 1);
    let held = s.alloc(Timeout::NoWait).unwrap();
    let (old, old_waker) = counting_waker();
    let (new, new_waker) = counting_waker();
    let mut fut = pin!(s.alloc_block_async());
    assert!(poll(fut.as_mut(), &old_waker).is_pending());
    assert!(poll(fut.as_mut(), &new_waker).is_pending());
    // SAFETY: ours; handed to the future.
    unsafe { s.free(held) }.unwrap();
    assert_eq!(old.0.load(Ordering::SeqCst), 0);
    assert_eq!(new.0.load(Ordering::SeqCst), 1);
    let Poll::Ready(Ok(block)) = poll(fut.as_mut(), &new_waker) else {
        panic!("granted");
    };
    assert_eq!(block.as_ptr(), held);
    drop(block);
    assert_eq!((s.num_used(), s.num_free()), (0, 1));
}

#[test]
fn dropping_a_pending_future_unlinks_it() {
    let s = slab(WORD, 1);
    let held = s.alloc(Timeout::NoWait).unwrap();
    {
        let mut fut = pin!(s.alloc_async());
        assert!(poll(fut.as_mut(), Waker::noop()).is_pending());
        assert_eq!(s.num_waiting(), 1);
    }
    assert_eq!(s.num_waiting(), 0);
    // SAFETY: ours; nobody waits, so back to the free list.
    unsafe { s.free(held) }.unwrap();
    assert_eq!((s.num_used(), s.num_free()), (0, 1));
}

#[test]
fn a_granted_future_dropped_unpolled_passes_the_block_on() {
    let s = slab(WORD, 1);
    let held = s.alloc(Timeout::NoWait).unwrap();
    let mut first = Box::pin(s.alloc_async());
    let mut second = pin!(s.alloc_async());
    assert!(poll(first.as_mut(), Waker::noop()).is_pending());
    assert!(poll(second.as_mut(), Waker::noop()).is_pending());
    // SAFETY: ours; handed to `first`, which is dropped without looking.
    unsafe { s.free(held) }.unwrap();
    drop(first);
    assert_eq!(s.num_waiting(), 0, "passed on to `second`");
    assert_eq!(poll(second.as_mut(), Waker::noop()), Poll::Ready(Ok(held)));
    assert_eq!((s.num_used(), s.num_free()), (1, 0));

    // With nobody behind it, the block goes back to the free list.
    let mut third = Box::pin(s.alloc_async());
    assert!(poll(third.as_mut(), Waker::noop()).is_pending());
    // SAFETY: ours; handed to `third`.
    unsafe { s.free(held) }.unwrap();
    drop(third);
    assert_eq!((s.num_used(), s.num_free(), s.num_waiting()), (0, 1, 0));
}

#[test]
fn futures_share_the_queue_in_arrival_order() {
    let s = slab(WORD, 2);
    let (a, b) = (
        s.alloc(Timeout::NoWait).unwrap(),
        s.alloc(Timeout::NoWait).unwrap(),
    );
    let mut first = pin!(s.alloc_async());
    let mut second = pin!(s.alloc_async());
    assert!(poll(first.as_mut(), Waker::noop()).is_pending());
    assert!(poll(second.as_mut(), Waker::noop()).is_pending());
    // SAFETY: ours.
    unsafe { s.free(b) }.unwrap();
    assert!(poll(second.as_mut(), Waker::noop()).is_pending());
    assert_eq!(poll(first.as_mut(), Waker::noop()), Poll::Ready(Ok(b)));
    // SAFETY: ours.
    unsafe { s.free(a) }.unwrap();
    assert_eq!(poll(second.as_mut(), Waker::noop()), Poll::Ready(Ok(a)));
    // SAFETY: ours.
    unsafe { s.free(a).and(s.free(b)) }.unwrap();
}

#[test]
fn not_ready_at_once() {
    let s = MemSlab::new();
    let mut fut = pin!(s.alloc_async());
    assert_eq!(
        poll(fut.as_mut(), Waker::noop()),
        Poll::Ready(Err(AllocError::NotReady))
    );
    assert_eq!(s.num_waiting(), 0);
}

#[test]
#[should_panic(expected = "polled after it resolved")]
fn polling_after_ready_panics() {
    let s = slab(WORD, 1);
    let mut fut = pin!(s.alloc_block_async());
    let Poll::Ready(Ok(_block)) = poll(fut.as_mut(), Waker::noop()) else {
        panic!("ready");
    };
    let _ = poll(fut.as_mut(), Waker::noop());
}

#[test]
fn futures_are_send() {
    fn send<T: Send>(_: &T) {}
    let s = slab(WORD, 1);
    send(&s.alloc_async());
    send(&s.alloc_block_async());
}

/// A waker that counts how often it is cloned, and does nothing else.
fn cloning_waker(clones: &'static AtomicUsize) -> Waker {
    // A static, not a const: `will_wake` compares the vtable's address,
    // which a const need not keep from one use to the next (miri varies it).
    static VTABLE: RawWakerVTable = RawWakerVTable::new(clone, ignore, ignore, ignore);
    unsafe fn clone(data: *const ()) -> RawWaker {
        // SAFETY: every `RawWaker` of this vtable points at the `'static`
        // counter it was made from.
        unsafe { &*data.cast::<AtomicUsize>() }.fetch_add(1, Ordering::SeqCst);
        RawWaker::new(data, &VTABLE)
    }
    unsafe fn ignore(_: *const ()) {}
    let raw = RawWaker::new(core::ptr::from_ref(clones).cast(), &VTABLE);
    // SAFETY: the vtable's functions keep the `RawWaker` contract: `clone`
    // returns a waker with the same (`'static`) data and vtable, and wake,
    // wake-by-ref and drop have nothing to do.
    unsafe { Waker::from_raw(raw) }
}

/// A later poll with the waker the future already stored keeps that one:
/// no clone (the stored waker is replaced only when the task's changed).
#[test]
fn a_poll_with_the_stored_waker_clones_nothing() {
    static CLONES: AtomicUsize = AtomicUsize::new(0);
    let s = slab(WORD, 1);
    let held = s.alloc(Timeout::NoWait).unwrap();
    let waker = cloning_waker(&CLONES);
    let mut fut = pin!(s.alloc_async());
    assert!(poll(fut.as_mut(), &waker).is_pending());
    assert_eq!(CLONES.load(Ordering::SeqCst), 1, "stored at the first poll");
    for _ in 0..3 {
        assert!(poll(fut.as_mut(), &waker).is_pending());
    }
    assert_eq!(CLONES.load(Ordering::SeqCst), 1, "the same waker, kept");
    // SAFETY: ours; handed to the future.
    unsafe { s.free(held) }.unwrap();
    assert_eq!(poll(fut.as_mut(), &waker), Poll::Ready(Ok(held)));
    // SAFETY: ours.
    unsafe { s.free(held) }.unwrap();
}

/// `Debug` shows the slab's name and where the future is: not polled,
/// waiting, resolved.
#[test]
fn debug_shows_the_slab_and_the_state() {
    let s = slab(WORD, 1);
    let name = s.name();
    let held = s.alloc(Timeout::NoWait).unwrap();
    let mut fut = pin!(s.alloc_async());
    let shown = |state: &str| format!("AllocFuture {{ slab: {name:?}, state: {state} }}");
    assert_eq!(format!("{fut:?}"), shown("Idle"));
    assert!(poll(fut.as_mut(), Waker::noop()).is_pending());
    assert_eq!(format!("{fut:?}"), shown("Queued"));
    // SAFETY: ours; handed to the future.
    unsafe { s.free(held) }.unwrap();
    assert_eq!(poll(fut.as_mut(), Waker::noop()), Poll::Ready(Ok(held)));
    assert_eq!(format!("{fut:?}"), shown("Done"));
    // SAFETY: ours.
    unsafe { s.free(held) }.unwrap();

    let mut fut = pin!(s.alloc_block_async());
    let shown = |state: &str| format!("BlockFuture {{ slab: {name:?}, state: {state} }}");
    assert_eq!(format!("{fut:?}"), shown("Idle"));
    let Poll::Ready(Ok(block)) = poll(fut.as_mut(), Waker::noop()) else {
        panic!("a free block is ready at once");
    };
    assert_eq!(format!("{fut:?}"), shown("Done"));
    drop(block);
}
