//! What a `free` costs the freeing thread as the threads waiting for the
//! slab grow: 1, 4 and 16 threads wait in `alloc(Timeout::Forever)` on a
//! slab of one block, and every `free` of that block is a hand-off to the
//! longest waiter. Only the `free` call is timed, in the freeing thread;
//! the waiter that gets the block sends it back and waits again, at the
//! queue's tail. Beside it: the same `free` with nobody waiting (the block
//! goes back to the list).
//!
//! A program, not a timed test: `cargo bench -p slab-tests --bench
//! waiters` (or `cargo xtask bench --only growth`, whose host part it is)
//! prints ns per `free`, median, min and max over the rounds.

use std::ptr::NonNull;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;
use std::thread;
use std::time::Instant;

use slab_core::{MemSlab, Timeout, mem_slab};

#[mem_slab(blocks = 1, size = 16)]
static TOKEN: MemSlab;

/// Set when the waiters are to stop: one that gets the block then frees it
/// (to the next waiter) and returns.
static STOP: AtomicBool = AtomicBool::new(false);

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

/// `ROUNDS` frees, each handing the block to one of `waiters` threads.
fn hand_offs(waiters: usize) -> Vec<f64> {
    let (tx, rx) = mpsc::channel::<Block>();
    let mut block = TOKEN.alloc(Timeout::NoWait).expect("the token");
    STOP.store(false, Ordering::SeqCst);
    let handles: Vec<_> = (0..waiters)
        .map(|_| {
            let tx = tx.clone();
            thread::spawn(move || {
                loop {
                    let got = TOKEN.alloc(Timeout::Forever).expect("a hand-off");
                    if STOP.load(Ordering::SeqCst) {
                        // SAFETY: `got` came from TOKEN, not used afterwards.
                        unsafe { TOKEN.free(got) }.expect("a valid free");
                        return;
                    }
                    tx.send(Block(got)).expect("the freeing thread listens");
                }
            })
        })
        .collect();
    let mut ns = Vec::with_capacity(ROUNDS);
    for _ in 0..ROUNDS {
        until_waiting(waiters);
        let start = Instant::now();
        // SAFETY: `block` came from TOKEN, not used afterwards.
        unsafe { TOKEN.free(block) }.expect("a valid free");
        ns.push(start.elapsed().as_nanos() as f64);
        block = rx.recv().expect("a waiter sends the block back").0;
    }
    // Every waiter, given the block in turn, frees it to the next and stops.
    until_waiting(waiters);
    STOP.store(true, Ordering::SeqCst);
    // SAFETY: `block` came from TOKEN, not used afterwards.
    unsafe { TOKEN.free(block) }.expect("a valid free");
    for h in handles {
        h.join().expect("a waiter");
    }
    assert_eq!(TOKEN.num_free(), 1, "the block is back in the list");
    ns
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
        "\n## free with threads waiting (a hand-off to the longest waiter), ns per free, {ROUNDS} rounds"
    );
    println!("  {:<28}  {:>9}  {:>9}  {:>9}", "", "median", "min", "max");
    let (m, lo, hi) = summary(plain_frees());
    println!("  {:<28}  {m:>9.0}  {lo:>9.0}  {hi:>9.0}", "nobody waiting");
    for waiters in [1, 4, 16] {
        let (m, lo, hi) = summary(hand_offs(waiters));
        println!(
            "  {:<28}  {m:>9.0}  {lo:>9.0}  {hi:>9.0}",
            format!("{waiters} waiting")
        );
    }
}
