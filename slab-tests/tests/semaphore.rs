//! `Semaphore` (k_sem): Busy, saturation, TimedOut, hand-off on give,
//! priority order, reset.

use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

use slab_core::{SemError, Semaphore, Timeout, set_thread_priority};
use slab_tests::wait_until;

#[test]
fn busy_when_empty_with_no_wait() {
    let sem = Semaphore::new(1, 3);
    assert_eq!(sem.take(Timeout::NoWait), Ok(()));
    assert_eq!(sem.take(Timeout::NoWait), Err(SemError::Busy));
    assert_eq!(
        sem.take(Timeout::After(Duration::ZERO)),
        Err(SemError::Busy)
    );
    assert_eq!(sem.count(), 0);
}

#[test]
fn give_saturates_at_the_limit() {
    let sem = Semaphore::new(0, 2);
    for _ in 0..5 {
        sem.give();
    }
    assert_eq!(sem.count(), 2);
    assert_eq!(sem.take(Timeout::Forever), Ok(()));
    assert_eq!(sem.take(Timeout::millis(1)), Ok(()));
    assert_eq!(sem.count(), 0);
}

#[test]
fn take_times_out_no_earlier_than_the_timeout() {
    let sem = Semaphore::new(0, 1);
    let start = Instant::now();
    assert_eq!(sem.take(Timeout::millis(20)), Err(SemError::TimedOut));
    assert!(start.elapsed() >= Duration::from_millis(20));
    assert_eq!(sem.num_waiting(), 0);
}

#[test]
#[should_panic(expected = "limit must not be 0")]
fn zero_limit_panics() {
    let _ = Semaphore::new(0, 0);
}

#[test]
#[should_panic(expected = "initial count exceeds the limit")]
fn initial_above_limit_panics() {
    let _ = Semaphore::new(3, 2);
}

#[test]
fn give_hands_off_to_a_waiter_without_raising_the_count() {
    static SEM: Semaphore = Semaphore::new(0, 5);
    let (go_tx, go_rx) = mpsc::channel::<()>();
    let waiter = thread::spawn(move || {
        let r = SEM.take(Timeout::Forever);
        go_rx.recv().unwrap();
        r
    });
    wait_until("the waiter is queued", || SEM.num_waiting() == 1);
    SEM.give();
    // The permit went to the waiter: nothing left to steal.
    assert_eq!(SEM.count(), 0);
    assert_eq!(SEM.take(Timeout::NoWait), Err(SemError::Busy));
    go_tx.send(()).unwrap();
    assert_eq!(waiter.join().unwrap(), Ok(()));
    assert_eq!(SEM.count(), 0);
}

#[test]
fn give_wakes_the_most_urgent_then_first_come() {
    static SEM: Semaphore = Semaphore::new(0, 10);
    let (tx, rx) = mpsc::channel();
    let spawn = |name: &'static str, prio: i32| {
        let tx = tx.clone();
        thread::spawn(move || {
            set_thread_priority(prio);
            SEM.take(Timeout::Forever).unwrap();
            tx.send(name).unwrap();
        })
    };
    let mut threads = vec![spawn("late-low", 3)];
    wait_until("1 queued", || SEM.num_waiting() == 1);
    threads.push(spawn("urgent", -2));
    wait_until("2 queued", || SEM.num_waiting() == 2);
    threads.push(spawn("normal-a", 0));
    wait_until("3 queued", || SEM.num_waiting() == 3);
    threads.push(spawn("normal-b", 0));
    wait_until("4 queued", || SEM.num_waiting() == 4);
    let mut order = Vec::new();
    for _ in 0..4 {
        SEM.give();
        // Wait for the one just served before giving again.
        order.push(rx.recv().unwrap());
    }
    assert_eq!(order, ["urgent", "normal-a", "normal-b", "late-low"]);
    for t in threads {
        t.join().unwrap();
    }
}

#[test]
fn reset_times_out_every_waiter() {
    static SEM: Semaphore = Semaphore::new(2, 4);
    let waiters: Vec<_> = (0..3)
        .map(|_| {
            thread::spawn(|| {
                // Two of these may take the initial permits before reset.
                SEM.take(Timeout::Forever)
            })
        })
        .collect();
    wait_until("one waits", || SEM.num_waiting() == 1 && SEM.count() == 0);
    SEM.reset();
    assert_eq!(SEM.count(), 0);
    let results: Vec<_> = waiters.into_iter().map(|w| w.join().unwrap()).collect();
    assert_eq!(results.iter().filter(|r| r.is_ok()).count(), 2);
    assert_eq!(
        results
            .iter()
            .filter(|r| **r == Err(SemError::TimedOut))
            .count(),
        1
    );
    // After reset it works as usual.
    SEM.give();
    assert_eq!(SEM.take(Timeout::NoWait), Ok(()));
}

#[test]
fn reset_with_a_count_and_no_waiters_zeroes_it() {
    let sem = Semaphore::new(3, 3);
    sem.reset();
    assert_eq!(sem.count(), 0);
    assert_eq!(sem.take(Timeout::NoWait), Err(SemError::Busy));
}
