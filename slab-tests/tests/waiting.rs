//! Blocking behaviour with real threads: wake-up by free, priority and
//! arrival order, hand-off without steal, more waiters than blocks, and
//! threads on separate slabs.
//!
//! Threads are sequenced by real signals: `num_waiting()` tells when a
//! waiter is queued, channels tell when a thread got its block.

use std::sync::mpsc;
use std::thread;

use slab_core::{AllocError, MemSlab, Timeout, mem_slab, set_thread_priority};
use slab_tests::{Sent, counts, drain, free_all, ready, wait_until};

#[mem_slab(blocks = 1, size = 32)]
static WAKE: MemSlab;

#[mem_slab(blocks = 1, size = 32)]
static PRIORITY: MemSlab;

#[mem_slab(blocks = 1, size = 32)]
static NO_STEAL: MemSlab;

#[mem_slab(blocks = 2, size = 16)]
static CROWD: MemSlab;

#[mem_slab(blocks = 3, size = 64)]
static LEFT: MemSlab;

#[mem_slab(blocks = 3, size = 64)]
static RIGHT: MemSlab;

#[mem_slab(blocks = 1, size = 8)]
static RACE: MemSlab;

#[test]
fn pending_alloc_is_woken_by_free() {
    let slab = ready(&WAKE);
    let held = slab.alloc(Timeout::NoWait).unwrap();
    let waiter = thread::spawn(move || slab.alloc(Timeout::Forever).map(Sent));
    wait_until("the waiter is queued", || slab.num_waiting() == 1);
    free_all(slab, [held]);
    let got = waiter.join().unwrap().unwrap();
    assert_eq!(got.0, held, "the freed block went to the waiter");
    assert_eq!(counts(slab), (1, 0, 1));
    free_all(slab, [got.0]);
    assert_eq!(counts(slab), (0, 1, 1));
}

#[test]
fn free_goes_to_the_most_urgent_longest_waiting() {
    let slab = ready(&PRIORITY);
    let held = slab.alloc(Timeout::NoWait).unwrap();
    let timeout = Timeout::millis(1500);
    // Arrival order: LOW (priority 5), then FIRST (-1), then SECOND (-1).
    let spawn = |name: &'static str, prio: i32| {
        thread::spawn(move || {
            set_thread_priority(prio);
            (name, slab.alloc(timeout).map(Sent))
        })
    };
    let low = spawn("low", 5);
    wait_until("low is queued", || slab.num_waiting() == 1);
    let first = spawn("first", -1);
    wait_until("first is queued", || slab.num_waiting() == 2);
    let second = spawn("second", -1);
    wait_until("second is queued", || slab.num_waiting() == 3);

    free_all(slab, [held]);
    let (_, first_got) = first.join().unwrap();
    assert_eq!(
        first_got,
        Ok(Sent(held)),
        "most urgent, longest waiting wins"
    );
    // The others get nothing and time out.
    assert_eq!(second.join().unwrap().1, Err(AllocError::TimedOut));
    assert_eq!(low.join().unwrap().1, Err(AllocError::TimedOut));
    assert_eq!(slab.num_waiting(), 0);
    assert_eq!(counts(slab), (1, 0, 1));
    free_all(slab, [held]);
}

#[test]
fn handed_off_block_cannot_be_stolen() {
    let slab = ready(&NO_STEAL);
    let held = slab.alloc(Timeout::NoWait).unwrap();
    let (go_tx, go_rx) = mpsc::channel::<()>();
    let waiter = thread::spawn(move || {
        let got = slab.alloc(Timeout::Forever).map(Sent);
        // Hold it until the main thread has tried to steal.
        go_rx.recv().unwrap();
        got
    });
    wait_until("the waiter is queued", || slab.num_waiting() == 1);
    free_all(slab, [held]);
    // The block now belongs to the waiter, whether or not it has run yet.
    assert_eq!(slab.num_waiting(), 0);
    assert_eq!(slab.alloc(Timeout::NoWait), Err(AllocError::NoMemory));
    assert_eq!(
        counts(slab),
        (1, 0, 1),
        "num_used unchanged, free count not raised"
    );
    go_tx.send(()).unwrap();
    let got = waiter.join().unwrap().unwrap();
    assert_eq!(got.0, held);
    free_all(slab, [got.0]);
    assert_eq!(counts(slab), (0, 1, 1));
}

#[test]
fn more_waiters_than_blocks_are_all_served() {
    let slab = ready(&CROWD);
    let held = drain(slab);
    assert_eq!(held.len(), 2);
    let (done_tx, done_rx) = mpsc::channel();
    let waiters: Vec<_> = (0..6)
        .map(|i| {
            let done_tx = done_tx.clone();
            thread::spawn(move || {
                let block = slab.alloc(Timeout::Forever).unwrap();
                done_tx.send(i).unwrap();
                // Pass it on: with waiters left, this hands it straight over.
                free_all(slab, [block]);
            })
        })
        .collect();
    wait_until("all six are queued", || slab.num_waiting() == 6);
    free_all(slab, held);
    for w in waiters {
        w.join().unwrap();
    }
    drop(done_tx);
    let mut served: Vec<i32> = done_rx.iter().collect();
    served.sort();
    assert_eq!(served, [0, 1, 2, 3, 4, 5]);
    assert_eq!(counts(slab), (0, 2, 2));
}

#[test]
fn four_threads_on_two_slabs() {
    let (left, right) = (ready(&LEFT), ready(&RIGHT));
    let workers: Vec<_> = (0..4u8)
        .map(|id| {
            thread::spawn(move || {
                let slab = if id % 2 == 0 { left } else { right };
                for round in 0..500u32 {
                    let timeout = match round % 3 {
                        0 => Timeout::NoWait,
                        1 => Timeout::millis(50),
                        _ => Timeout::Forever,
                    };
                    let Ok(mut block) = slab.alloc_block(timeout) else {
                        continue; // NoWait or a timeout while the other held it
                    };
                    for byte in block.as_uninit_mut() {
                        byte.write(id);
                    }
                    thread::yield_now();
                    // SAFETY: every byte was written just above.
                    let bytes =
                        unsafe { std::slice::from_raw_parts(block.as_ptr().as_ptr(), block.len()) };
                    assert!(
                        bytes.iter().all(|&b| b == id),
                        "block shared between owners"
                    );
                }
            })
        })
        .collect();
    for w in workers {
        w.join().unwrap();
    }
    for slab in [left, right] {
        assert_eq!((slab.num_used(), slab.num_free()), (0, 3));
        assert!(slab.max_used() >= 1 && slab.max_used() <= 2);
        assert_eq!(slab.num_waiting(), 0);
    }
}

#[test]
fn timeouts_racing_frees_lose_nothing() {
    let slab = ready(&RACE);
    // Waiters with tiny timeouts race the frees: a block granted just as a
    // waiter times out must still be counted exactly once.
    for round in 0..300u64 {
        let held = slab.alloc(Timeout::Forever).unwrap();
        let waiter = thread::spawn(move || slab.alloc(Timeout::micros(round % 50)).map(Sent));
        if round % 2 == 0 {
            thread::yield_now();
        }
        free_all(slab, [held]);
        match waiter.join().unwrap() {
            Ok(Sent(b)) => free_all(slab, [b]),
            Err(e) => assert!(matches!(e, AllocError::TimedOut | AllocError::NoMemory)),
        }
        assert_eq!((slab.num_used(), slab.num_free()), (0, 1), "round {round}");
    }
}
