//! What a `free` costs the freeing thread as the threads waiting for the
//! slab grow: 1, 4 and 16 threads of mixed priorities
//! (`slab_core::set_thread_priority`) wait in `alloc(Timeout::Forever)` on
//! a slab of one block, and every `free` of that block is a hand-off to
//! the most urgent waiter (the lowest priority value, the longest-waiting
//! among equals). Only the `free` call is timed, in the freeing thread.
//! Beside it: the same `free` with nobody waiting (the block goes back to
//! the list).
//!
//! Every hand-off is checked: the waiter that gets the block sends it back
//! with its own index, and the program asserts that it is the one API.md
//! §3 names. The freeing thread knows each waiter's priority and when it
//! queued: it gives the waiter that got the block a new priority (drawn
//! from a few levels, so equal priorities occur too) and waits until that
//! waiter queues again before the next `free`, so the queue's order is
//! known and the urgent waiter is often not the longest-waiting one (the
//! program counts those rounds, which a first-come-first-served queue
//! would get wrong).
//!
//! The waiter that queued last may still be spinning (a waiter spins for
//! a microsecond or two before it parks), and a hand-off to it costs no
//! wake; the rounds whose waiter had queued before that, parked by then,
//! are also reported on their own (`of which to one queued earlier`).
//!
//! A program, not a timed test: `cargo bench -p slab-tests --bench
//! waiters` (or `cargo xtask bench --only waiters`, which draws
//! `waiters.svg` from its `free-ns;WAITERS;MEDIAN;MIN;MAX` and
//! `free-ns-earlier;WAITERS;MEDIAN;MIN;MAX;ROUNDS` lines) prints ns per
//! `free`, median, min and max over the rounds.

use std::ptr::NonNull;
use std::sync::mpsc;
use std::thread;
use std::time::Instant;

use slab_core::{MemSlab, Timeout, mem_slab};

#[mem_slab(blocks = 1, size = 16)]
static TOKEN: MemSlab;

/// Timed hand-offs per waiter count.
const ROUNDS: usize = 2_000;

/// The block, sent between threads.
struct Block(NonNull<u8>);
// SAFETY: a block is owned by whoever holds this; slab blocks may move
// between threads (MemSlab is Sync and hands blocks to other threads).
unsafe impl Send for Block {}

/// Waits (spinning, then yielding) until `n` threads wait on `TOKEN`.
fn until_waiting(n: usize) {
    let mut spins = 0u32;
    while TOKEN.num_waiting() < n {
        spins += 1;
        if spins < 1_000 {
            std::hint::spin_loop();
        } else {
            thread::yield_now();
        }
    }
}

/// Median, min and max of `ns`.
fn summary(mut ns: Vec<f64>) -> (f64, f64, f64) {
    ns.sort_by(f64::total_cmp);
    (ns[ns.len() / 2], ns[0], ns[ns.len() - 1])
}

/// A reproducible stream of priorities.
struct Priorities {
    rng: u32,
    /// Priorities are drawn from `-levels..=levels`.
    levels: i32,
}

impl Priorities {
    /// For `waiters` threads: about two waiters per level, so that some
    /// share a priority and most do not.
    fn new(waiters: usize) -> Self {
        Priorities {
            rng: 0x9e37_79b9,
            levels: (waiters / 4) as i32 + 1,
        }
    }

    fn next(&mut self) -> i32 {
        // xorshift32
        self.rng ^= self.rng << 13;
        self.rng ^= self.rng >> 17;
        self.rng ^= self.rng << 5;
        (self.rng % (2 * self.levels as u32 + 1)) as i32 - self.levels
    }
}

/// A waiter as the freeing thread sees it: its priority and when it
/// queued (a sequence number).
#[derive(Clone, Copy, Debug)]
struct Waiting {
    priority: i32,
    queued: u64,
}

/// Which of `waiting` API.md §3 hands the block to: the lowest priority
/// value, the earliest queued among equals.
fn most_urgent(waiting: &[Option<Waiting>]) -> usize {
    (0..waiting.len())
        .filter(|&i| waiting[i].is_some())
        .min_by_key(|&i| {
            let w = waiting[i].expect("filtered");
            (w.priority, w.queued)
        })
        .expect("somebody waits")
}

/// What `hand_offs` measured and checked.
struct HandOffs {
    ns: Vec<f64>,
    /// The rounds' ns whose waiter had queued before the previous round
    /// (parked by then, most likely: a waiter spins for a microsecond or
    /// two before it parks), the others' being the waiter that queued
    /// last, which may still be spinning.
    to_earlier: Vec<f64>,
    /// Rounds whose most urgent waiter was not the longest-waiting one.
    not_first_come: usize,
    /// Distinct priorities the waiters had over the rounds.
    priorities: std::collections::BTreeSet<i32>,
}

/// `ROUNDS` frees, each handing the block to the most urgent of `waiters`
/// threads of mixed priorities; asserts that it does.
fn hand_offs(waiters: usize) -> HandOffs {
    let (to_main, from_waiters) = mpsc::channel::<(usize, Block)>();
    let mut block = TOKEN.alloc(Timeout::NoWait).expect("the token");
    let mut priorities = Priorities::new(waiters);
    let mut seen = std::collections::BTreeSet::new();
    let mut queued = 0u64;
    let mut waiting: Vec<Option<Waiting>> = vec![None; waiters];
    let mut commands = Vec::with_capacity(waiters);
    let mut handles = Vec::with_capacity(waiters);
    for (index, slot) in waiting.iter_mut().enumerate() {
        // `Some(priority)`: wait again with that priority; `None`: stop.
        let (command, commands_rx) = mpsc::channel::<Option<i32>>();
        let priority = priorities.next();
        let to_main = to_main.clone();
        handles.push(thread::spawn(move || {
            let mut priority = Some(priority);
            while let Some(p) = priority {
                slab_core::set_thread_priority(p);
                let got = TOKEN.alloc(Timeout::Forever).expect("a hand-off");
                to_main
                    .send((index, Block(got)))
                    .expect("the freeing thread listens");
                priority = commands_rx.recv().expect("the freeing thread commands");
            }
        }));
        commands.push(command);
        // One at a time, so that the queue's order is known.
        until_waiting(index + 1);
        *slot = Some(Waiting { priority, queued });
        seen.insert(priority);
        queued += 1;
    }
    let mut ns = Vec::with_capacity(ROUNDS);
    let mut to_earlier = Vec::new();
    let mut not_first_come = 0;
    for _ in 0..ROUNDS {
        let last = queued - 1;
        let expected = most_urgent(&waiting);
        let first_come = (0..waiters)
            .min_by_key(|&i| waiting[i].map(|w| w.queued))
            .expect("somebody waits");
        if expected != first_come {
            not_first_come += 1;
        }
        let start = Instant::now();
        // SAFETY: `block` came from TOKEN, not used afterwards.
        unsafe { TOKEN.free(block) }.expect("a valid free");
        let elapsed = start.elapsed().as_nanos() as f64;
        ns.push(elapsed);
        if waiting[expected].is_some_and(|w| w.queued != last) {
            to_earlier.push(elapsed);
        }
        let (got, back) = from_waiters.recv().expect("a waiter sends the block back");
        assert_eq!(
            got, expected,
            "free handed the block to waiter {got} ({:?}), not to the most urgent, \
             waiter {expected} ({:?})",
            waiting[got], waiting[expected]
        );
        block = back.0;
        let priority = priorities.next();
        seen.insert(priority);
        commands[got]
            .send(Some(priority))
            .expect("the waiter listens");
        // It queues again, last: wait for it before the next free.
        until_waiting(waiters);
        waiting[got] = Some(Waiting { priority, queued });
        queued += 1;
    }
    // Every waiter, the most urgent first, gets the block once more and
    // stops; each hand-off is checked as above.
    for _ in 0..waiters {
        let expected = most_urgent(&waiting);
        // SAFETY: `block` came from TOKEN, not used afterwards.
        unsafe { TOKEN.free(block) }.expect("a valid free");
        let (got, back) = from_waiters.recv().expect("a waiter sends the block back");
        assert_eq!(got, expected, "the hand-off went to the most urgent waiter");
        block = back.0;
        commands[got].send(None).expect("the waiter listens");
        waiting[got] = None;
    }
    for h in handles {
        h.join().expect("a waiter");
    }
    // SAFETY: `block` came from TOKEN, not used afterwards.
    unsafe { TOKEN.free(block) }.expect("a valid free");
    assert_eq!(TOKEN.num_free(), 1, "the block is back in the list");
    assert_eq!(TOKEN.num_waiting(), 0, "nobody waits");
    HandOffs {
        ns,
        to_earlier,
        not_first_come,
        priorities: seen,
    }
}

/// `ROUNDS` frees with nobody waiting.
fn plain_frees() -> Vec<f64> {
    (0..ROUNDS)
        .map(|_| {
            let block = TOKEN.alloc(Timeout::NoWait).expect("the token");
            let start = Instant::now();
            // SAFETY: `block` came from TOKEN, not used afterwards.
            unsafe { TOKEN.free(block) }.expect("a valid free");
            start.elapsed().as_nanos() as f64
        })
        .collect()
}

fn main() {
    slab_core::boot();
    println!(
        "\n## free with threads of mixed priorities waiting (a hand-off to the most urgent), ns per free, {ROUNDS} rounds"
    );
    println!(
        "  {:<28}  {:>9}  {:>9}  {:>9}  checked",
        "", "median", "min", "max"
    );
    let (m, lo, hi) = summary(plain_frees());
    println!("  {:<28}  {m:>9.0}  {lo:>9.0}  {hi:>9.0}", "nobody waiting");
    let mut lines = vec![format!("free-ns;0;{m:.0};{lo:.0};{hi:.0}")];
    for waiters in [1, 4, 16] {
        let run = hand_offs(waiters);
        let (m, lo, hi) = summary(run.ns);
        let levels: Vec<String> = run.priorities.iter().map(i32::to_string).collect();
        println!(
            "  {:<28}  {m:>9.0}  {lo:>9.0}  {hi:>9.0}  every hand-off to the most urgent; \
             {} of {ROUNDS} not to the longest-waiting; priorities {}",
            format!("{waiters} waiting"),
            run.not_first_come,
            levels.join(" ")
        );
        lines.push(format!("free-ns;{waiters};{m:.0};{lo:.0};{hi:.0}"));
        if !run.to_earlier.is_empty() {
            let rounds = run.to_earlier.len();
            let (m, lo, hi) = summary(run.to_earlier);
            println!(
                "  {:<28}  {m:>9.0}  {lo:>9.0}  {hi:>9.0}  {rounds} rounds",
                "  of which to one queued earlier"
            );
            lines.push(format!(
                "free-ns-earlier;{waiters};{m:.0};{lo:.0};{hi:.0};{rounds}"
            ));
        }
    }
    for line in lines {
        println!("{line}");
    }
}
