//! loom models of the wait queue and hand-off. Every interleaving of the
//! real `Semaphore`/`MemSlab` code (spin lock, waiter status, park/unpark)
//! is explored. Under loom a finite timeout expires at the first look, so
//! "with a timeout" means the timeout races every step of the other thread.
//!
//! Run: `RUSTFLAGS="--cfg loom" cargo test -p slab-core --features std --test loom --release`
#![cfg(loom)]

use std::ptr::NonNull;

use loom::sync::Arc;
use loom::thread;
use slab_core::{AllocError, MemSlab, SemError, Semaphore, Timeout};

/// A slab over a leaked buffer (loom re-runs the model many times; the
/// leak is per run and small).
fn slab(num_blocks: usize) -> Arc<MemSlab> {
    let word = std::mem::size_of::<usize>();
    let words: &'static mut [usize] = Box::leak(vec![0usize; num_blocks].into_boxed_slice());
    // SAFETY: leaked, so 'static; any bytes are valid u8.
    let bytes = unsafe {
        std::slice::from_raw_parts_mut(words.as_mut_ptr().cast::<u8>(), num_blocks * word)
    };
    let slab = MemSlab::new();
    slab.init(bytes, word, num_blocks).unwrap();
    Arc::new(slab)
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Sent(NonNull<u8>);
// SAFETY: a block is plain memory owned by whoever holds the pointer.
unsafe impl Send for Sent {}

#[test]
fn give_races_take_with_timeout() {
    loom::model(|| {
        let sem = Arc::new(Semaphore::new(0, 1));
        let taker = {
            let sem = sem.clone();
            thread::spawn(move || sem.take(Timeout::millis(1)))
        };
        sem.give();
        let taken = taker.join().unwrap();
        // Either the taker got the permit (handed off, or taken from the
        // count) or it timed out and the permit is still counted: never
        // both, never neither.
        match taken {
            Ok(()) => assert_eq!(sem.count(), 0),
            Err(SemError::TimedOut) => assert_eq!(sem.count(), 1),
            Err(e) => panic!("unexpected {e:?}"),
        }
        assert_eq!(sem.num_waiting(), 0);
    });
}

#[test]
fn forever_take_is_woken_by_give() {
    loom::model(|| {
        let sem = Arc::new(Semaphore::new(0, 1));
        let taker = {
            let sem = sem.clone();
            thread::spawn(move || sem.take(Timeout::Forever))
        };
        sem.give();
        assert_eq!(taker.join().unwrap(), Ok(()));
        assert_eq!(sem.count(), 0);
    });
}

#[test]
fn free_races_no_wait_alloc_while_waiter_wakes() {
    loom::model(|| {
        let slab = slab(1);
        let held = Sent(slab.alloc(Timeout::NoWait).unwrap());
        let waiter = {
            let slab = slab.clone();
            thread::spawn(move || slab.alloc(Timeout::Forever).map(Sent))
        };
        // Free once the waiter is queued (spin with loom yields).
        while slab.num_waiting() == 0 {
            thread::yield_now();
        }
        let freer = {
            let slab = slab.clone();
            // SAFETY: `held` is ours and not used again by this thread.
            thread::spawn(move || unsafe { slab.free(held.0) })
        };
        // Racing thief: must never get the handed-off block.
        let stolen = slab.alloc(Timeout::NoWait);
        assert_eq!(freer.join().unwrap(), Ok(()));
        let got = waiter.join().unwrap();
        assert_eq!(stolen, Err(AllocError::NoMemory), "a hand-off was stolen");
        assert_eq!(got, Ok(held));
        assert_eq!((slab.num_used(), slab.num_free()), (1, 0));
    });
}

#[test]
fn timeout_racing_a_grant_loses_nothing() {
    loom::model(|| {
        let slab = slab(1);
        let held = Sent(slab.alloc(Timeout::NoWait).unwrap());
        let waiter = {
            let slab = slab.clone();
            thread::spawn(move || slab.alloc(Timeout::millis(1)).map(Sent))
        };
        // SAFETY: `held` is ours and not used again.
        unsafe { slab.free(held.0) }.unwrap();
        match waiter.join().unwrap() {
            // Granted (possibly just as it timed out): it owns the block.
            Ok(b) => {
                assert_eq!(b, held);
                assert_eq!((slab.num_used(), slab.num_free()), (1, 0));
            }
            // Timed out before the free: the block is back on the list.
            Err(e) => {
                assert_eq!(e, AllocError::TimedOut);
                assert_eq!((slab.num_used(), slab.num_free()), (0, 1));
            }
        }
        assert_eq!(slab.num_waiting(), 0);
    });
}

#[test]
fn reset_races_waiters() {
    loom::model(|| {
        let sem = Arc::new(Semaphore::new(0, 2));
        let take = || {
            let sem = sem.clone();
            thread::spawn(move || sem.take(Timeout::Forever))
        };
        // `early` is queued before the reset; `racer` arrives at any point.
        let early = take();
        while sem.num_waiting() == 0 {
            thread::yield_now();
        }
        let racer = take();
        sem.reset();
        sem.give();
        assert_eq!(
            early.join().unwrap(),
            Err(SemError::TimedOut),
            "reset cancels it"
        );
        // The racer was cancelled too (queued before the reset) and the give
        // is in the count, or it got the give: never lost, never doubled.
        let served = match racer.join().unwrap() {
            Ok(()) => 1,
            Err(SemError::TimedOut) => 0,
            Err(e) => panic!("unexpected {e:?}"),
        };
        assert_eq!(served + sem.count(), 1);
        assert_eq!(sem.num_waiting(), 0);
    });
}

/// Polls `fut` once with a waker that does nothing.
fn poll_once<F: std::future::Future>(fut: std::pin::Pin<&mut F>) -> std::task::Poll<F::Output> {
    fut.poll(&mut std::task::Context::from_waker(std::task::Waker::noop()))
}

#[test]
fn async_alloc_is_woken_by_free() {
    loom::model(|| {
        let slab = slab(1);
        let held = Sent(slab.alloc(Timeout::NoWait).unwrap());
        let freer = {
            let slab = slab.clone();
            // SAFETY: `held` is ours and not used again by this thread.
            thread::spawn(move || unsafe { slab.free(held.0) })
        };
        // The free lands before the first poll (the future pops the block),
        // or after it (the block is handed to the queued future, and its
        // waker — loom's `block_on` — is woken).
        let got = loom::future::block_on(slab.alloc_async());
        assert_eq!(freer.join().unwrap(), Ok(()));
        assert_eq!(got, Ok(held.0));
        assert_eq!((slab.num_used(), slab.num_free()), (1, 0));
        assert_eq!(slab.num_waiting(), 0);
    });
}

#[test]
fn dropping_a_queued_future_racing_a_grant_loses_nothing() {
    loom::model(|| {
        let slab = slab(1);
        let held = Sent(slab.alloc(Timeout::NoWait).unwrap());
        let mut fut = Box::pin(slab.alloc_async());
        assert!(poll_once(fut.as_mut()).is_pending(), "queued");
        let freer = {
            let slab = slab.clone();
            // SAFETY: `held` is ours and not used again by this thread.
            thread::spawn(move || unsafe { slab.free(held.0) })
        };
        // Cancelled while the free runs: unlinked before the grant (the
        // block goes to the free list), or granted first and passed on by
        // the drop (to the free list too): never lost, never doubled.
        drop(fut);
        assert_eq!(freer.join().unwrap(), Ok(()));
        assert_eq!((slab.num_used(), slab.num_free()), (0, 1));
        assert_eq!(slab.num_waiting(), 0);
    });
}

#[test]
fn a_cancelled_grant_is_passed_to_the_blocking_waiter_behind() {
    loom::model(|| {
        let slab = slab(1);
        let held = Sent(slab.alloc(Timeout::NoWait).unwrap());
        // The future is queued first, a blocking waiter second.
        let mut fut = Box::pin(slab.alloc_async());
        assert!(poll_once(fut.as_mut()).is_pending());
        let blocker = {
            let slab = slab.clone();
            thread::spawn(move || slab.alloc(Timeout::Forever).map(Sent))
        };
        while slab.num_waiting() < 2 {
            thread::yield_now();
        }
        let freer = {
            let slab = slab.clone();
            // SAFETY: `held` is ours and not used again by this thread.
            thread::spawn(move || unsafe { slab.free(held.0) })
        };
        // The free goes to the future (which passes it on when dropped) or,
        // once the future is unlinked, straight to the blocking waiter.
        drop(fut);
        assert_eq!(freer.join().unwrap(), Ok(()));
        assert_eq!(blocker.join().unwrap(), Ok(held));
        assert_eq!((slab.num_used(), slab.num_free()), (1, 0));
        assert_eq!(slab.num_waiting(), 0);
    });
}

/// `reset` is one step against a racing `give`: with two waiters queued
/// before the reset, the outcome is that of give-then-reset (the first
/// waiter served, the second cancelled, nothing counted) or of
/// reset-then-give (both cancelled, the permit counted), never a mix such
/// as the first cancelled and the second served by the give.
///
/// Four threads are more than loom can explore exhaustively in the suite's
/// time: the model is bounded to four preemptions per execution (loom's
/// advice: most concurrency bugs need two or three; the defect this guards
/// against is found with one). About 3 s.
#[test]
fn reset_is_one_step_against_a_racing_give() {
    let mut model = loom::model::Builder::new();
    model.preemption_bound = Some(4);
    model.check(|| {
        let sem = Arc::new(Semaphore::new(0, 1));
        let take = || {
            let sem = sem.clone();
            thread::spawn(move || sem.take(Timeout::Forever))
        };
        let first = take();
        while sem.num_waiting() < 1 {
            thread::yield_now();
        }
        let second = take();
        while sem.num_waiting() < 2 {
            thread::yield_now();
        }
        let resetter = {
            let sem = sem.clone();
            thread::spawn(move || sem.reset())
        };
        sem.give();
        resetter.join().unwrap();
        let outcome = (first.join().unwrap(), second.join().unwrap(), sem.count());
        let give_then_reset = (Ok(()), Err(SemError::TimedOut), 0);
        let reset_then_give = (Err(SemError::TimedOut), Err(SemError::TimedOut), 1);
        assert!(
            outcome == give_then_reset || outcome == reset_then_give,
            "not linearisable: {outcome:?}"
        );
        assert_eq!(sem.num_waiting(), 0);
    });
}

/// `reset` racing a `give` *and* a `take(NoWait)` that arrives at any
/// point: with one waiter queued before the reset, the outcome is one of
/// the three linearisations (give before the reset: the waiter served;
/// reset, then give: counted, and the late take gets it if it comes after
/// the give), and the permit is never lost or doubled.
#[test]
fn reset_is_one_step_against_a_racing_give_and_take() {
    let mut model = loom::model::Builder::new();
    model.preemption_bound = Some(4);
    model.check(|| {
        let sem = Arc::new(Semaphore::new(0, 1));
        let waiter = {
            let sem = sem.clone();
            thread::spawn(move || sem.take(Timeout::Forever))
        };
        while sem.num_waiting() < 1 {
            thread::yield_now();
        }
        let resetter = {
            let sem = sem.clone();
            thread::spawn(move || sem.reset())
        };
        let giver = {
            let sem = sem.clone();
            thread::spawn(move || sem.give())
        };
        let late = sem.take(Timeout::NoWait);
        resetter.join().unwrap();
        giver.join().unwrap();
        let outcome = (waiter.join().unwrap(), late, sem.count());
        let valid = [
            (Ok(()), Err(SemError::Busy), 0),
            (Err(SemError::TimedOut), Ok(()), 0),
            (Err(SemError::TimedOut), Err(SemError::Busy), 1),
        ];
        assert!(valid.contains(&outcome), "not linearisable: {outcome:?}");
        assert_eq!(sem.num_waiting(), 0);
    });
}
