//! Stress: 8 threads, 3 slabs, 100,000 allocation attempts with mixed
//! timeouts. Every owner writes its own stamp across the whole block and
//! checks it before freeing, so a block with two owners at once is caught;
//! at the end every block is accounted for.

use std::collections::HashSet;
use std::sync::atomic::{AtomicU64, Ordering};
use std::thread;

use slab_core::{AllocError, Block, MemSlab, Timeout, mem_slabs};

mem_slabs! {
    static STRESS_A(blocks = 4, size = 64);
    static STRESS_B(blocks = 8, size = 128);
    static STRESS_C(blocks = 2, size = 24);
}

const THREADS: u64 = 8;
const ATTEMPTS_PER_THREAD: u64 = 12_500;

/// A tiny deterministic generator (xorshift), one per thread.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
}

fn stamp(block: &mut Block<'_>, value: u8) {
    for byte in block.as_uninit_mut() {
        byte.write(value);
    }
}

fn check(block: &Block<'_>, value: u8) {
    // SAFETY: the whole block was written by `stamp` and is owned by us.
    let bytes = unsafe { std::slice::from_raw_parts(block.as_ptr().as_ptr(), block.len()) };
    assert!(
        bytes.iter().all(|&b| b == value),
        "block {:p} of {} changed under its owner: two owners at once",
        block.as_ptr(),
        block.slab().name()
    );
}

#[test]
fn eight_threads_three_slabs() {
    slab_core::boot();
    let slabs: [&'static MemSlab; 3] = [&STRESS_A, &STRESS_B, &STRESS_C];
    let granted = AtomicU64::new(0);
    let no_memory = AtomicU64::new(0);
    let timed_out = AtomicU64::new(0);
    thread::scope(|s| {
        for id in 0..THREADS {
            let (granted, no_memory, timed_out) = (&granted, &no_memory, &timed_out);
            s.spawn(move || {
                let mut rng = Rng(0x9E37_79B9_7F4A_7C15 ^ (id + 1));
                let mut held: Vec<(Block<'static>, u8)> = Vec::new();
                for attempt in 0..ATTEMPTS_PER_THREAD {
                    let r = rng.next();
                    let slab = slabs[(r % 3) as usize];
                    // Forever only with nothing held, so no cycle of waiters
                    // can form; finite timeouts otherwise.
                    let timeout = match (r >> 8) % 4 {
                        0 => Timeout::NoWait,
                        1 => Timeout::micros(100),
                        2 => Timeout::millis(1),
                        _ if held.is_empty() => Timeout::Forever,
                        _ => Timeout::micros(500),
                    };
                    match slab.alloc_block(timeout) {
                        Ok(mut block) => {
                            granted.fetch_add(1, Ordering::Relaxed);
                            let value = (id as u8) << 4 | (attempt as u8 & 0x0F);
                            stamp(&mut block, value);
                            held.push((block, value));
                        }
                        Err(AllocError::NoMemory) => {
                            assert_eq!(timeout, Timeout::NoWait);
                            no_memory.fetch_add(1, Ordering::Relaxed);
                        }
                        Err(AllocError::TimedOut) => {
                            assert!(matches!(timeout, Timeout::After(_)));
                            timed_out.fetch_add(1, Ordering::Relaxed);
                        }
                        Err(e) => panic!("unexpected {e:?}"),
                    }
                    // Hold at most two blocks; free one at random otherwise.
                    while held.len() > 2 || (!held.is_empty() && rng.next().is_multiple_of(2)) {
                        let i = (rng.next() % held.len() as u64) as usize;
                        let (block, value) = held.swap_remove(i);
                        check(&block, value);
                        thread::yield_now();
                        check(&block, value);
                        drop(block); // frees it
                    }
                }
                for (block, value) in held {
                    check(&block, value);
                }
            });
        }
    });
    let (g, n, t) = (
        granted.into_inner(),
        no_memory.into_inner(),
        timed_out.into_inner(),
    );
    assert_eq!(g + n + t, THREADS * ATTEMPTS_PER_THREAD);
    for slab in slabs {
        assert_eq!(slab.num_used(), 0, "{}", slab.name());
        assert_eq!(slab.num_free(), slab.num_blocks(), "{}", slab.name());
        assert_eq!(slab.num_waiting(), 0);
        let blocks: HashSet<_> = std::iter::from_fn(|| slab.alloc(Timeout::NoWait).ok()).collect();
        assert_eq!(blocks.len(), slab.num_blocks(), "every block accounted for");
        for b in blocks {
            // SAFETY: drained above, freed once.
            unsafe { slab.free(b) }.unwrap();
        }
    }
    slab_tests::record_evidence(
        "stress",
        &format!(
            "stress: {THREADS} threads, 3 slabs, {} allocation attempts ({g} granted, {n} NoMemory, {t} TimedOut), every block stamped and checked, all accounted for",
            THREADS * ATTEMPTS_PER_THREAD
        ),
    );
}
