//! A model-based concurrency test: random schedules of threads doing
//! alloc (no wait, with a timeout, async and cancelled), free, give, take
//! (no wait, with a timeout) and reset against one slab and one semaphore,
//! checked against a model of who owns what.
//!
//! The model is an ownership ledger: one entry per block (the slab, or the
//! thread holding it) and one count of permits per thread. After every step
//! the thread that took it checks its own effect against the ledger (a
//! block it was handed was owned by the slab, a block it frees was its
//! own) and the counters' bounds; at the end of every round all threads
//! stop and the checker compares the slab's and the semaphore's counters
//! with the ledger exactly (`num_used` = blocks held, and the free list,
//! drained, holds exactly the rest, each once; nobody waiting; permits held + count = permits issued, or at most that
//! in a round with resets).
//!
//! Every script is drawn from a fixed seed, so a failure names the round and
//! the thread; the interleaving is the operating system's, perturbed by
//! random yields.

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};
use std::sync::{Condvar, Mutex, PoisonError};
use std::task::{Context, Poll, Waker};
use std::thread;
use std::time::Instant;

use slab_core::{AllocError, AllocFuture, MemSlab, SemError, Semaphore, Timeout, mem_slabs};

mem_slabs! {
    static MODEL_SLAB(blocks = 6, size = 32);
}

const THREADS: usize = 4;
const ROUNDS: usize = 250;
const STEPS_PER_ROUND: usize = 1_000;
/// Permits in circulation: the semaphore's limit and initial count.
const PERMITS: u32 = 3;
/// Short, so that a wait that times out costs little.
const WAIT: Timeout = Timeout::micros(20);

// The issue asks for at least a million operations.
const _: () = assert!(THREADS * ROUNDS * STEPS_PER_ROUND >= 1_000_000);

/// The ledger entry of a block the slab owns.
const SLAB_OWNS: u32 = 0;
/// The ledger id of the checker when it drains the free list between rounds
/// (workers are 1 to `THREADS`).
const CHECKER: u32 = THREADS as u32 + 1;

/// A barrier that a panicking party breaks: the others then panic too
/// instead of waiting forever, so that a failed check fails the test with
/// its message rather than hanging it (`std::sync::Barrier` would leave the
/// other threads waiting, and `thread::scope` waiting for them).
struct Gate {
    parties: usize,
    /// Arrived in this generation, the generation, broken.
    state: Mutex<(usize, u64, bool)>,
    turned: Condvar,
}

impl Gate {
    fn new(parties: usize) -> Self {
        Self {
            parties,
            state: Mutex::new((0, 0, false)),
            turned: Condvar::new(),
        }
    }

    fn wait(&self) {
        let mut s = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        assert!(!s.2, "another thread of the model failed");
        let generation = s.1;
        s.0 += 1;
        if s.0 == self.parties {
            s.0 = 0;
            s.1 += 1;
            self.turned.notify_all();
            return;
        }
        while s.1 == generation && !s.2 {
            s = self.turned.wait(s).unwrap_or_else(PoisonError::into_inner);
        }
        assert_eq!(s.1, generation + 1, "another thread of the model failed");
    }

    fn break_all(&self) {
        self.state.lock().unwrap_or_else(PoisonError::into_inner).2 = true;
        self.turned.notify_all();
    }
}

/// Breaks the gates when the thread holding it unwinds.
struct BreakOnPanic<'a>([&'a Gate; 2]);

impl Drop for BreakOnPanic<'_> {
    fn drop(&mut self) {
        if thread::panicking() {
            self.0.iter().for_each(|gate| gate.break_all());
        }
    }
}

/// A tiny deterministic generator (xorshift).
struct Rng(u64);
impl Rng {
    fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % n
    }
}

/// What happened, for the evidence line.
#[derive(Default)]
struct Tally {
    ops: AtomicU64,
    granted: AtomicU64,
    refused: AtomicU64,
    timed_out: AtomicU64,
    cancelled: AtomicU64,
    resets: AtomicU64,
}

impl Tally {
    fn count(&self, counter: &AtomicU64) {
        counter.fetch_add(1, Ordering::Relaxed);
    }
}

struct Model {
    slab: &'static MemSlab,
    sem: Semaphore,
    /// Per block: `SLAB_OWNS`, or the holding thread's id + 1.
    owner: Vec<AtomicU32>,
    tally: Tally,
}

impl Model {
    fn index(&self, block: std::ptr::NonNull<u8>) -> usize {
        let offset = block.as_ptr() as usize - self.slab.buffer_range().start;
        assert_eq!(offset % self.slab.block_size(), 0, "not a block start");
        let index = offset / self.slab.block_size();
        assert!(index < self.slab.num_blocks(), "outside the slab");
        index
    }

    /// A block was handed to `me`: the slab must have owned it.
    fn took(&self, me: u32, block: std::ptr::NonNull<u8>, round: usize) {
        let was = self.owner[self.index(block)].swap(me, Ordering::AcqRel);
        assert_eq!(
            was, SLAB_OWNS,
            "round {round}: block {block:p} handed to thread {me} while thread {was} owns it"
        );
        self.tally.count(&self.tally.granted);
    }

    /// `me` gives `block` back: it must have been its own.
    fn give_back(&self, me: u32, block: std::ptr::NonNull<u8>, round: usize) {
        let was = self.owner[self.index(block)].swap(SLAB_OWNS, Ordering::AcqRel);
        assert_eq!(
            was, me,
            "round {round}: thread {me} frees block {block:p} owned by {was}"
        );
        // SAFETY: the ledger says `me` owns it; it is not touched again.
        unsafe { self.slab.free(block) }.expect("free of an owned block");
    }

    /// The bounds that hold at every moment, calls in flight or not.
    fn check_bounds(&self, round: usize) {
        let n = self.slab.num_blocks();
        assert!(
            self.slab.num_used() <= n,
            "round {round}: num_used > blocks"
        );
        assert!(
            self.slab.num_free() <= n,
            "round {round}: num_free > blocks"
        );
        assert!(
            self.slab.max_used() <= n,
            "round {round}: max_used > blocks"
        );
        assert!(self.sem.count() <= PERMITS, "round {round}: count > limit");
    }
}

/// One thread's state across a round: what it holds.
struct Worker<'m> {
    model: &'m Model,
    me: u32,
    rng: Rng,
    blocks: Vec<std::ptr::NonNull<u8>>,
    permits: u32,
    /// An async allocation polled once and still pending.
    pending: Option<Pin<Box<AllocFuture<'static>>>>,
}

fn poll_once<F: Future>(fut: Pin<&mut F>) -> Poll<F::Output> {
    fut.poll(&mut Context::from_waker(Waker::noop()))
}

impl Worker<'_> {
    fn alloc_result(&mut self, result: Result<std::ptr::NonNull<u8>, AllocError>, round: usize) {
        let tally = &self.model.tally;
        match result {
            Ok(block) => {
                self.model.took(self.me, block, round);
                self.blocks.push(block);
            }
            Err(AllocError::NoMemory) => tally.count(&tally.refused),
            Err(AllocError::TimedOut) => tally.count(&tally.timed_out),
            Err(e) => panic!("round {round}: thread {}: alloc failed: {e:?}", self.me),
        }
    }

    fn take_result(&mut self, result: Result<(), SemError>, round: usize) {
        let tally = &self.model.tally;
        match result {
            Ok(()) => {
                self.permits += 1;
                tally.count(&tally.granted);
            }
            Err(SemError::Busy) => tally.count(&tally.refused),
            Err(SemError::TimedOut) => tally.count(&tally.timed_out),
            Err(e) => panic!("round {round}: thread {}: take failed: {e:?}", self.me),
        }
    }

    /// One random step. `resets` says whether this round may reset.
    fn step(&mut self, round: usize, resets: bool) {
        let model = self.model;
        match self.rng.below(16) {
            0..=2 => {
                let r = model.slab.alloc(Timeout::NoWait);
                self.alloc_result(r, round);
            }
            3 => {
                let r = model.slab.alloc(WAIT);
                self.alloc_result(r, round);
            }
            4..=6 => {
                if !self.blocks.is_empty() {
                    let i = self.rng.below(self.blocks.len() as u64) as usize;
                    let block = self.blocks.swap_remove(i);
                    model.give_back(self.me, block, round);
                }
            }
            7 | 8 => match self.pending.as_mut() {
                // Polled again later, or cancelled: dropped while queued,
                // perhaps racing a free that hands it the block.
                Some(fut) => {
                    if self.rng.below(2) == 0 {
                        if let Poll::Ready(r) = poll_once(fut.as_mut()) {
                            self.pending = None;
                            self.alloc_result(r, round);
                        }
                    } else {
                        self.pending = None;
                        model.tally.count(&model.tally.cancelled);
                    }
                }
                None => {
                    let mut fut = Box::pin(model.slab.alloc_async());
                    match poll_once(fut.as_mut()) {
                        Poll::Ready(r) => self.alloc_result(r, round),
                        Poll::Pending => self.pending = Some(fut),
                    }
                }
            },
            9 | 10 => {
                let r = model.sem.take(Timeout::NoWait);
                self.take_result(r, round);
            }
            11 => {
                let r = model.sem.take(WAIT);
                self.take_result(r, round);
            }
            12..=14 => {
                if self.permits > 0 {
                    self.permits -= 1;
                    model.sem.give();
                }
            }
            _ => {
                if resets && self.rng.below(8) == 0 {
                    model.sem.reset();
                    model.tally.count(&model.tally.resets);
                } else {
                    thread::yield_now();
                }
            }
        }
        model.check_bounds(round);
        model.tally.count(&model.tally.ops);
    }

    /// Ends the round: cancels a pending future, so that nothing waits.
    fn settle(&mut self) {
        if self.pending.take().is_some() {
            self.model.tally.count(&self.model.tally.cancelled);
        }
    }
}

#[test]
fn random_schedules_keep_every_block_and_permit_accounted_for() {
    slab_core::boot();
    let slab: &'static MemSlab = &MODEL_SLAB;
    let model = Model {
        slab,
        sem: Semaphore::new(PERMITS, PERMITS),
        owner: (0..slab.num_blocks())
            .map(|_| AtomicU32::new(SLAB_OWNS))
            .collect(),
        tally: Tally::default(),
    };
    let started = Instant::now();
    // Workers wait at `start`, run a round, settle, meet at `stop`; the
    // checker looks while they wait at the next `start`.
    let start = Gate::new(THREADS + 1);
    let stop = Gate::new(THREADS + 1);
    // Permits held per thread, published at `stop`.
    let held: Vec<AtomicU32> = (0..THREADS).map(|_| AtomicU32::new(0)).collect();
    thread::scope(|scope| {
        for id in 0..THREADS {
            let (model, start, stop, held) = (&model, &start, &stop, &held);
            scope.spawn(move || {
                let _break = BreakOnPanic([start, stop]);
                let mut worker = Worker {
                    model,
                    me: id as u32 + 1,
                    rng: Rng(0x9E37_79B9_7F4A_7C15 ^ (id as u64 + 1)),
                    blocks: Vec::new(),
                    permits: 0,
                    pending: None,
                };
                for round in 0..ROUNDS {
                    start.wait();
                    let resets = round % 2 == 1;
                    for _ in 0..STEPS_PER_ROUND {
                        worker.step(round, resets);
                    }
                    worker.settle();
                    held[id].store(worker.permits, Ordering::Relaxed);
                    stop.wait();
                }
                // Give everything back.
                start.wait();
                for block in std::mem::take(&mut worker.blocks) {
                    model.give_back(worker.me, block, ROUNDS);
                }
                for _ in 0..worker.permits {
                    model.sem.give();
                }
            });
        }
        let _break = BreakOnPanic([&start, &stop]);
        for round in 0..ROUNDS {
            start.wait();
            stop.wait();
            // Quiescent: every call has returned.
            let owned = model
                .owner
                .iter()
                .filter(|o| o.load(Ordering::Relaxed) != SLAB_OWNS)
                .count();
            assert_eq!(
                slab.num_used(),
                owned,
                "round {round}: num_used vs the ledger"
            );
            assert_eq!(
                slab.num_free(),
                slab.num_blocks() - owned,
                "round {round}: num_free vs the ledger"
            );
            assert_eq!(slab.num_waiting(), 0, "round {round}: a waiter left behind");
            // `num_free` is derived from `num_used`: the free list itself
            // must hold exactly the blocks nobody owns. Drain it, each block
            // one the ledger says the slab owns and none twice, then give
            // them back.
            let mut drained = Vec::new();
            loop {
                match slab.alloc(Timeout::NoWait) {
                    Ok(block) => {
                        model.took(CHECKER, block, round);
                        drained.push(block);
                    }
                    Err(AllocError::NoMemory) => break,
                    Err(e) => panic!("round {round}: draining the free list: {e:?}"),
                }
            }
            assert_eq!(
                drained.len(),
                slab.num_blocks() - owned,
                "round {round}: the free list vs the ledger"
            );
            for block in drained {
                model.give_back(CHECKER, block, round);
            }
            assert_eq!(
                model.sem.num_waiting(),
                0,
                "round {round}: a sem waiter left"
            );
            let held: u32 = held.iter().map(|h| h.load(Ordering::Relaxed)).sum();
            let count = model.sem.count();
            if round % 2 == 1 {
                // A reset destroys the counted permits: never more than issued;
                // reissue what was destroyed for the next round.
                assert!(count + held <= PERMITS, "round {round}: permits created");
                for _ in count + held..PERMITS {
                    model.sem.give();
                }
            } else {
                assert_eq!(
                    count + held,
                    PERMITS,
                    "round {round}: a permit lost or made"
                );
            }
        }
        start.wait();
    });
    assert_eq!((slab.num_used(), slab.num_free()), (0, slab.num_blocks()));
    assert_eq!(model.sem.count(), PERMITS);
    let t = &model.tally;
    let ops = t.ops.load(Ordering::Relaxed);
    assert_eq!(ops, (THREADS * ROUNDS * STEPS_PER_ROUND) as u64);
    let elapsed = started.elapsed();
    slab_tests::record_evidence(
        "concurrency_model",
        &format!(
            "concurrency model: {THREADS} threads, {ROUNDS} rounds, {ops} random steps on a slab and a semaphore \
             ({} granted, {} refused, {} timed out, {} async cancelled, {} resets); ownership checked after every step, \
             counters against the ledger at {ROUNDS} quiescent points ({:.1} s)",
            t.granted.load(Ordering::Relaxed),
            t.refused.load(Ordering::Relaxed),
            t.timed_out.load(Ordering::Relaxed),
            t.cancelled.load(Ordering::Relaxed),
            t.resets.load(Ordering::Relaxed),
            elapsed.as_secs_f64(),
        ),
    );
}
