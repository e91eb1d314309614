//! Async allocation with real threads: futures wait in the same queue as
//! blocking callers (priority, then arrival), are woken by a `free` from
//! another thread, and lose nothing when dropped (cancelled) at any point.
//!
//! Threads are sequenced by real signals (`num_waiting()`, joins, wake
//! counts), never by sleeping. The executor is a hand-written `block_on`
//! that parks its thread.

use std::future::Future;
use std::pin::{Pin, pin};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::task::{Context, Poll, Wake, Waker};
use std::thread;

use slab_core::{AllocError, MemSlab, Timeout, mem_slab, set_thread_priority};
use slab_tests::{Sent, counts, drain, free_all, ready, wait_until};

#[mem_slab(blocks = 2, size = 32)]
static READY_AT_ONCE: MemSlab;

#[mem_slab(blocks = 1, size = 32)]
static WOKEN: MemSlab;

#[mem_slab(blocks = 1, size = 32)]
static WAKE_COUNT: MemSlab;

#[mem_slab(blocks = 2, size = 32)]
static SHARED_ARRIVAL: MemSlab;

#[mem_slab(blocks = 2, size = 32)]
static SHARED_PRIORITY: MemSlab;

#[mem_slab(blocks = 1, size = 16)]
static CANCEL_PENDING: MemSlab;

#[mem_slab(blocks = 1, size = 16)]
static PASS_TO_THREAD: MemSlab;

#[mem_slab(blocks = 2, size = 16)]
static PASS_TO_LIST: MemSlab;

#[mem_slab(blocks = 2, size = 64)]
static CROWD: MemSlab;

/// Wakes a parked thread, and counts its wake-ups.
struct Unpark {
    thread: thread::Thread,
    wakes: AtomicUsize,
}

impl Wake for Unpark {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        self.wakes.fetch_add(1, Ordering::SeqCst);
        self.thread.unpark();
    }
}

fn unpark_waker() -> (Arc<Unpark>, Waker) {
    let unpark = Arc::new(Unpark {
        thread: thread::current(),
        wakes: AtomicUsize::new(0),
    });
    (unpark.clone(), Waker::from(unpark))
}

/// Runs `fut` to completion on this thread, parking between polls.
fn block_on<F: Future>(fut: F) -> F::Output {
    let mut fut = pin!(fut);
    let (_, waker) = unpark_waker();
    let mut cx = Context::from_waker(&waker);
    loop {
        if let Poll::Ready(out) = fut.as_mut().poll(&mut cx) {
            return out;
        }
        thread::park();
    }
}

fn poll<F: Future>(fut: Pin<&mut F>, waker: &Waker) -> Poll<F::Output> {
    fut.poll(&mut Context::from_waker(waker))
}

#[test]
fn ready_at_once_when_a_block_is_free() {
    let slab = ready(&READY_AT_ONCE);
    let mut fut = pin!(slab.alloc_async());
    let Poll::Ready(Ok(block)) = poll(fut.as_mut(), Waker::noop()) else {
        panic!("a free block resolves the first poll");
    };
    let mut boxed = pin!(slab.alloc_block_async());
    let Poll::Ready(Ok(owned)) = poll(boxed.as_mut(), Waker::noop()) else {
        panic!("a free block resolves the first poll");
    };
    assert_eq!(owned.len(), 32);
    assert_eq!((counts(slab), slab.num_waiting()), ((2, 0, 2), 0));
    drop(owned);
    free_all(slab, [block]);
    assert_eq!(counts(slab), (0, 2, 2));
}

#[test]
fn pending_future_is_woken_by_a_free_from_another_thread() {
    let slab = ready(&WOKEN);
    let held = Sent(slab.alloc(Timeout::NoWait).unwrap());
    let waiter = thread::spawn(move || block_on(slab.alloc_async()).map(Sent));
    wait_until("the future is queued", || slab.num_waiting() == 1);
    thread::spawn(move || {
        let held = held; // the whole `Sent`, not its field
        free_all(slab, [held.0])
    })
    .join()
    .unwrap();
    assert_eq!(waiter.join().unwrap(), Ok(held), "handed to the future");
    assert_eq!(counts(slab), (1, 0, 1));
    free_all(slab, [held.0]);
}

#[test]
fn a_free_wakes_the_task_exactly_once() {
    let slab = ready(&WAKE_COUNT);
    let held = Sent(slab.alloc(Timeout::NoWait).unwrap());
    let (unpark, waker) = unpark_waker();
    let mut fut = pin!(slab.alloc_async());
    assert!(poll(fut.as_mut(), &waker).is_pending());
    thread::spawn(move || {
        let held = held; // the whole `Sent`, not its field
        free_all(slab, [held.0])
    })
    .join()
    .unwrap();
    assert_eq!(unpark.wakes.load(Ordering::SeqCst), 1);
    assert_eq!(
        slab.alloc(Timeout::NoWait),
        Err(AllocError::NoMemory),
        "the handed-off block cannot be stolen"
    );
    assert_eq!(poll(fut.as_mut(), &waker), Poll::Ready(Ok(held.0)));
    free_all(slab, [held.0]);
}

#[test]
fn blocking_and_async_waiters_are_served_in_arrival_order() {
    let slab = ready(&SHARED_ARRIVAL);
    let held = drain(slab);
    let blocking = thread::spawn(move || slab.alloc(Timeout::Forever).map(Sent));
    wait_until("the blocking waiter is queued", || slab.num_waiting() == 1);
    let pending = thread::spawn(move || block_on(slab.alloc_async()).map(Sent));
    wait_until("the future is queued", || slab.num_waiting() == 2);

    free_all(slab, [held[0]]);
    assert_eq!(blocking.join().unwrap(), Ok(Sent(held[0])), "first come");
    assert_eq!(slab.num_waiting(), 1, "the future still waits");
    free_all(slab, [held[1]]);
    assert_eq!(pending.join().unwrap(), Ok(Sent(held[1])), "second");
    assert_eq!(counts(slab), (2, 0, 2));
    free_all(slab, held);
}

#[test]
fn a_future_waits_at_its_thread_priority_among_blocking_waiters() {
    let slab = ready(&SHARED_PRIORITY);
    let held = drain(slab);
    let blocking = thread::spawn(move || slab.alloc(Timeout::Forever).map(Sent));
    wait_until("the blocking waiter is queued", || slab.num_waiting() == 1);
    // Arrives second, but from a more urgent thread.
    let urgent = thread::spawn(move || {
        set_thread_priority(-1);
        block_on(slab.alloc_async()).map(Sent)
    });
    wait_until("the future is queued", || slab.num_waiting() == 2);

    free_all(slab, [held[0]]);
    assert_eq!(urgent.join().unwrap(), Ok(Sent(held[0])), "more urgent");
    free_all(slab, [held[1]]);
    assert_eq!(blocking.join().unwrap(), Ok(Sent(held[1])));
    free_all(slab, held);
    assert_eq!(counts(slab), (0, 2, 2));
}

#[test]
fn dropping_a_pending_future_unlinks_it() {
    let slab = ready(&CANCEL_PENDING);
    let held = slab.alloc(Timeout::NoWait).unwrap();
    let mut fut = Box::pin(slab.alloc_block_async());
    assert!(poll(fut.as_mut(), Waker::noop()).is_pending());
    assert_eq!(slab.num_waiting(), 1);
    drop(fut);
    assert_eq!(slab.num_waiting(), 0);
    free_all(slab, [held]);
    assert_eq!(counts(slab), (0, 1, 1), "the free found nobody waiting");
}

#[test]
fn a_granted_future_dropped_unpolled_passes_the_block_to_a_waiting_thread() {
    let slab = ready(&PASS_TO_THREAD);
    let held = Sent(slab.alloc(Timeout::NoWait).unwrap());
    let mut fut = Box::pin(slab.alloc_async());
    assert!(
        poll(fut.as_mut(), Waker::noop()).is_pending(),
        "queued first"
    );
    let blocking = thread::spawn(move || slab.alloc(Timeout::Forever).map(Sent));
    wait_until("the thread is queued second", || slab.num_waiting() == 2);

    free_all(slab, [held.0]);
    assert_eq!(slab.num_waiting(), 1, "granted to the future");
    drop(fut); // never polled again
    assert_eq!(blocking.join().unwrap(), Ok(held), "passed on");
    assert_eq!((counts(slab), slab.num_waiting()), ((1, 0, 1), 0));
    free_all(slab, [held.0]);
}

#[test]
fn a_granted_future_dropped_unpolled_returns_the_block_to_the_list() {
    let slab = ready(&PASS_TO_LIST);
    let held = drain(slab);
    let mut fut = Box::pin(slab.alloc_async());
    assert!(poll(fut.as_mut(), Waker::noop()).is_pending());
    free_all(slab, [held[0]]);
    assert_eq!(
        (counts(slab), slab.num_waiting()),
        ((2, 0, 2), 0),
        "granted"
    );
    drop(fut);
    assert_eq!(counts(slab), (1, 1, 2), "back on the free list");
    free_all(slab, [held[1]]);
    assert_eq!(counts(slab), (0, 2, 2));
}

#[test]
fn not_ready_before_init() {
    let slab = MemSlab::new();
    let mut fut = pin!(slab.alloc_async());
    assert_eq!(
        poll(fut.as_mut(), Waker::noop()),
        Poll::Ready(Err(AllocError::NotReady))
    );
    let mut fut = pin!(slab.alloc_block_async());
    assert!(matches!(
        poll(fut.as_mut(), Waker::noop()),
        Poll::Ready(Err(AllocError::NotReady))
    ));
    assert_eq!(slab.num_waiting(), 0);
}

#[test]
fn futures_and_threads_racing_with_cancellation_lose_nothing() {
    let slab = ready(&CROWD);
    let workers: Vec<_> = (0..6u8)
        .map(|id| {
            thread::spawn(move || {
                for round in 0..300u32 {
                    let block = if id % 2 == 0 {
                        slab.alloc_block(Timeout::Forever).unwrap()
                    } else if round % 3 == 0 {
                        // Cancelled: polled once (maybe queued, maybe even
                        // granted by now), then dropped.
                        let mut fut = Box::pin(slab.alloc_block_async());
                        if let Poll::Ready(block) = poll(fut.as_mut(), Waker::noop()) {
                            drop(block.unwrap());
                        }
                        thread::yield_now();
                        continue;
                    } else {
                        block_on(slab.alloc_block_async()).unwrap()
                    };
                    thread::yield_now();
                    drop(block);
                }
            })
        })
        .collect();
    for w in workers {
        w.join().unwrap();
    }
    assert_eq!((slab.num_used(), slab.num_free()), (0, 2));
    assert_eq!(slab.num_waiting(), 0);
}
