//! The fast paths of `alloc` and `free` against a model, for both check
//! levels and for runtime-initialised slabs (which always take the full
//! path): long deterministic mixes of allocs, frees in any order, refused
//! frees (double, misaligned, foreign) and allocs of an empty slab, with
//! every result and every counter checked after each step. What slab.rs
//! promises here: a block is handed out at most once while held and always
//! a block start of the slab; a refused free or alloc changes nothing; the
//! list's end is `NoMemory`, never `Corrupted`, on a healthy slab; and
//! neither path writes any word of a block but its first.

use std::ptr::NonNull;

use slab_core::{AllocError, FreeError, MemSlab, Timeout, mem_slabs};
use slab_tests::{Sent, WORD, counts, drain, free_all, leak_buffer, ready, wait_until};

mem_slabs! {
    static FULL_24X5(blocks = 5, size = 24);
    static FULL_32X4(blocks = 4, size = 32);
    static FULL_WORDX9(blocks = 9, size = WORD);
    static FULL_40X3(blocks = 3, size = 40);
    static FULL_1(blocks = 1, size = 16);
    static BOUNDS_24X5(blocks = 5, size = 24, checks = "bounds");
    static BOUNDS_32X4(blocks = 4, size = 32, checks = "bounds");
    static BOUNDS_WORDX9(blocks = 9, size = WORD, checks = "bounds");
    static BOUNDS_1(blocks = 1, size = 16, checks = "bounds");
    static FULL_HANDOFF(blocks = 1, size = 32);
    static FULL_SENTINEL(blocks = 3, size = 24);
}

fn runtime_slab(block_size: usize, num_blocks: usize) -> &'static MemSlab {
    let slab = Box::leak(Box::new(MemSlab::new()));
    slab.init(leak_buffer(block_size * num_blocks), block_size, num_blocks)
        .unwrap();
    slab
}

/// A xorshift generator: the same mix on every run.
struct Rng(u64);

impl Rng {
    fn below(&mut self, n: usize) -> usize {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 % n as u64) as usize
    }
}

/// The words after the first of a held block: a pattern the slab must
/// never touch (it only writes a block's first word, the link).
fn fill(block: NonNull<u8>, size: usize, tag: usize) {
    for w in 1..size / WORD {
        // SAFETY: the block is held by the test, `size` bytes, word-aligned.
        unsafe { block.as_ptr().cast::<usize>().add(w).write(tag ^ w) };
    }
}

fn check_fill(block: NonNull<u8>, size: usize, tag: usize) {
    for w in 1..size / WORD {
        // SAFETY: as in `fill`.
        let word = unsafe { block.as_ptr().cast::<usize>().add(w).read() };
        assert_eq!(word, tag ^ w, "word {w} of a held block was written");
    }
}

/// `steps` random operations on `slab`, checked against a model of which
/// blocks are held. `exact_double_free`: every double free is refused
/// (`checks = "full"`); otherwise only one with nothing allocated.
fn run_model(slab: &MemSlab, exact_double_free: bool, seed: u64, steps: usize) {
    let size = slab.block_size();
    let n = slab.num_blocks();
    let range = slab.buffer_range();
    assert_eq!(range.end - range.start, size * n);
    let start = |i: usize| NonNull::new((range.start + i * size) as *mut u8).unwrap();
    let index = |p: NonNull<u8>| {
        let addr = p.as_ptr() as usize;
        assert!(range.contains(&addr), "{addr:#x} outside the slab");
        assert_eq!(
            (addr - range.start) % size,
            0,
            "{addr:#x} not a block start"
        );
        (addr - range.start) / size
    };
    slab.reset_max();
    assert_eq!(
        counts(slab),
        (0, n, 0),
        "{}: the model starts empty",
        slab.name()
    );
    let mut held: Vec<usize> = Vec::new();
    let mut max = 0;
    let mut rng = Rng(seed);
    for step in 0..steps {
        let before = counts(slab);
        let what = format!("{} step {step}", slab.name());
        match rng.below(8) {
            // Alloc, through every entry point that takes the fast path.
            0..=2 => {
                // A waiting alloc only while a block is free: it returns at
                // once (an empty slab would make it wait out the timeout).
                let kind = rng.below(if held.len() == n { 2 } else { 3 });
                let timeout = match kind {
                    0 => Timeout::NoWait,
                    1 => Timeout::millis(0),
                    _ => Timeout::Forever,
                };
                let r = slab.alloc(timeout);
                if held.len() == n {
                    assert_eq!(r, Err(AllocError::NoMemory), "{what}: empty");
                    assert_eq!(counts(slab), before, "{what}: refused alloc");
                } else {
                    let block = r.unwrap_or_else(|e| panic!("{what}: {e:?}"));
                    let i = index(block);
                    assert!(!held.contains(&i), "{what}: block {i} handed out twice");
                    fill(block, size, i << HALF | step);
                    held.push(i);
                    max = max.max(held.len());
                }
            }
            // Free a held block: the newest, the oldest or any.
            3..=5 if !held.is_empty() => {
                let at = match rng.below(3) {
                    0 => held.len() - 1,
                    1 => 0,
                    _ => rng.below(held.len()),
                };
                let i = held.remove(at);
                // The tag written at its alloc: recover it from word 1.
                if size > WORD {
                    // SAFETY: block `i` is held.
                    let tag = unsafe { start(i).as_ptr().cast::<usize>().add(1).read() } ^ 1;
                    assert_eq!(tag >> HALF, i, "{what}: block {i}'s data moved");
                    check_fill(start(i), size, tag);
                }
                // SAFETY: block `i` is held and not used afterwards.
                assert_eq!(unsafe { slab.free(start(i)) }, Ok(()), "{what}: free {i}");
            }
            // A double free of a block that is free.
            6 if held.len() < n && (exact_double_free || held.is_empty()) => {
                let free: Vec<usize> = (0..n).filter(|i| !held.contains(i)).collect();
                let i = free[rng.below(free.len())];
                // SAFETY: refused without being touched: the block is free.
                let r = unsafe { slab.free(start(i)) };
                assert_eq!(r, Err(FreeError::DoubleFree), "{what}: double free {i}");
                assert_eq!(counts(slab), before, "{what}: refused double free");
            }
            // Not a block: inside one, just past the buffer, before it.
            _ => {
                let i = rng.below(n);
                let (p, expected) = match rng.below(3) {
                    0 if size > WORD => (
                        range.start + i * size + WORD * (1 + rng.below(size / WORD - 1)),
                        FreeError::Misaligned,
                    ),
                    0 | 1 => (range.end + i * size, FreeError::Foreign),
                    _ => (range.start - (i + 1) * size, FreeError::Foreign),
                };
                let p = NonNull::new(p as *mut u8).unwrap();
                // SAFETY: refused without being touched: not a block start.
                assert_eq!(unsafe { slab.free(p) }, Err(expected), "{what}: {p:p}");
                assert_eq!(counts(slab), before, "{what}: refused free");
            }
        }
        assert_eq!(
            counts(slab),
            (held.len(), n - held.len(), max),
            "{what}: counters"
        );
    }
    free_all(slab, held.iter().map(|&i| start(i)));
    assert_eq!(counts(slab).0, 0);
    // Every block is still reachable and handed out once.
    let all = drain(slab);
    let mut seen: Vec<usize> = all.iter().map(|&b| index(b)).collect();
    seen.sort_unstable();
    assert_eq!(
        seen,
        (0..n).collect::<Vec<_>>(),
        "{}: the list",
        slab.name()
    );
    assert_eq!(slab.alloc(Timeout::NoWait), Err(AllocError::NoMemory));
    free_all(slab, all);
}

const STEPS: usize = 4000;

/// Where a block's index sits in the tag written into it.
const HALF: u32 = usize::BITS / 2;

#[test]
fn declared_full_slabs_match_the_model() {
    for (k, slab) in [&FULL_24X5, &FULL_32X4, &FULL_WORDX9, &FULL_40X3, &FULL_1]
        .into_iter()
        .enumerate()
    {
        run_model(ready(slab), true, 0x9E37_79B9_7F4A_7C15 + k as u64, STEPS);
    }
}

#[test]
fn declared_bounds_slabs_match_the_model() {
    for (k, slab) in [&BOUNDS_24X5, &BOUNDS_32X4, &BOUNDS_WORDX9, &BOUNDS_1]
        .into_iter()
        .enumerate()
    {
        run_model(ready(slab), false, 0xD1B5_4A32_D192_ED03 + k as u64, STEPS);
    }
}

#[test]
fn runtime_slabs_match_the_model() {
    for (k, (size, blocks)) in [(24, 5), (32, 4), (WORD, 9), (40, 3), (16, 1)]
        .into_iter()
        .enumerate()
    {
        run_model(
            runtime_slab(size, blocks),
            true,
            0x2545_F491 + k as u64,
            STEPS,
        );
    }
}

/// The last block's link is null (the end of the list): it is handed out
/// like any other, and the alloc after it is `NoMemory`, not `Corrupted`;
/// freeing blocks back in any order refills the list, and a block freed
/// onto an empty list is handed out again at once.
#[test]
fn the_end_of_the_list_is_no_memory_in_any_free_order() {
    let slab = ready(&FULL_SENTINEL);
    for order in [[0, 1, 2], [2, 1, 0], [1, 2, 0], [0, 2, 1]] {
        let blocks = drain(slab);
        assert_eq!(blocks.len(), 3);
        for _ in 0..2 {
            assert_eq!(slab.alloc(Timeout::NoWait), Err(AllocError::NoMemory));
        }
        // One block on an empty list: out again, then empty again.
        free_all(slab, [blocks[order[0]]]);
        assert_eq!(slab.alloc(Timeout::NoWait), Ok(blocks[order[0]]));
        assert_eq!(slab.alloc(Timeout::NoWait), Err(AllocError::NoMemory));
        free_all(slab, order.map(|i| blocks[i]));
        assert_eq!(counts(slab).0, 0);
    }
}

/// A block handed to a waiter stays allocated (`checks = "full"`): the
/// waiter frees it once, through the fast path, and a second free is a
/// double free; a racing `alloc` meanwhile finds nothing.
#[test]
fn a_handed_off_block_stays_allocated_until_its_new_owner_frees_it() {
    let slab = ready(&FULL_HANDOFF);
    let block = slab.alloc(Timeout::NoWait).unwrap();
    let waiter = std::thread::spawn(move || Sent(slab.alloc(Timeout::Forever).unwrap()));
    wait_until("the waiter is queued", || slab.num_waiting() == 1);
    free_all(slab, [block]);
    let got = waiter.join().unwrap().0;
    assert_eq!(got, block);
    assert_eq!(counts(slab), (1, 0, 1));
    assert_eq!(slab.alloc(Timeout::NoWait), Err(AllocError::NoMemory));
    free_all(slab, [got]);
    // SAFETY: refused without being touched: already free.
    assert_eq!(unsafe { slab.free(got) }, Err(FreeError::DoubleFree));
    assert_eq!(counts(slab), (0, 1, 1));
    assert_eq!(slab.alloc(Timeout::NoWait), Ok(got));
    free_all(slab, [got]);
}
