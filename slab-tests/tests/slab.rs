//! Single-threaded behaviour of declared slabs: accounting, exhaustion,
//! timeouts, validation of bad frees, stats, contents, `Block`.

use std::collections::HashSet;
use std::ptr::NonNull;
use std::time::{Duration, Instant};

use slab_core::{AllocError, FreeError, MemSlab, MemStats, Timeout, mem_slab, mem_slabs};
use slab_tests::{WORD, counts, drain, free_all, ready};

#[mem_slab(blocks = 4, size = 32)]
static ACCOUNTING: MemSlab;

#[mem_slab(blocks = 3, size = 16)]
static EXHAUST: MemSlab;

#[mem_slab(blocks = 1, size = 8)]
static TIMEOUTS: MemSlab;

#[mem_slab(blocks = 8, size = 64)]
static STATS: MemSlab;

#[mem_slab(blocks = 2, size = 64)]
static CONTENTS: MemSlab;

#[mem_slab(blocks = 5, size = 24)]
static BAD_FREES: MemSlab;

mem_slabs! {
    static BLOCKS(blocks = 2, size = 40);
    static ZERO_WAIT(blocks = 1, size = 8);
}

#[test]
fn accounting_at_every_step() {
    let slab = ready(&ACCOUNTING);
    assert_eq!(slab.block_size(), 32);
    assert_eq!(slab.num_blocks(), 4);
    assert_eq!(counts(slab), (0, 4, 0));
    let a = slab.alloc(Timeout::NoWait).unwrap();
    assert_eq!(counts(slab), (1, 3, 1));
    let b = slab.alloc(Timeout::Forever).unwrap();
    assert_eq!(counts(slab), (2, 2, 2));
    let c = slab.alloc(Timeout::millis(10)).unwrap();
    assert_eq!(counts(slab), (3, 1, 3));
    free_all(slab, [b]);
    assert_eq!(counts(slab), (2, 2, 3));
    free_all(slab, [a]);
    assert_eq!(counts(slab), (1, 3, 3));
    let d = slab.alloc(Timeout::NoWait).unwrap();
    assert_eq!(counts(slab), (2, 2, 3));
    free_all(slab, [c, d]);
    assert_eq!(counts(slab), (0, 4, 3));
    slab.reset_max();
    assert_eq!(counts(slab), (0, 4, 0));
}

#[test]
fn blocks_are_distinct_aligned_and_inside_the_buffer() {
    let slab = ready(&EXHAUST);
    let blocks = drain(slab);
    assert_eq!(blocks.len(), 3);
    let range = slab.buffer_range();
    let mut starts = HashSet::new();
    for b in &blocks {
        let p = b.as_ptr() as usize;
        assert_eq!(p % WORD, 0, "word-aligned");
        assert!(range.contains(&p) && p + slab.block_size() <= range.end);
        assert!(starts.insert(p));
    }
    // Exhausted: NoWait and a zero duration fail at once.
    assert_eq!(slab.alloc(Timeout::NoWait), Err(AllocError::NoMemory));
    assert_eq!(
        slab.alloc(Timeout::After(Duration::ZERO)),
        Err(AllocError::NoMemory)
    );
    assert_eq!(counts(slab), (3, 0, 3));
    free_all(slab, blocks);
    assert_eq!(counts(slab), (0, 3, 3));
}

#[test]
fn zero_duration_is_no_wait() {
    let slab = ready(&ZERO_WAIT);
    let held = slab.alloc(Timeout::After(Duration::ZERO)).unwrap();
    // `NoMemory`, not `TimedOut`: a zero duration takes the no-wait path
    // (a wait that timed out would say `TimedOut`), and queues nobody.
    assert_eq!(slab.alloc(Timeout::micros(0)), Err(AllocError::NoMemory));
    assert_eq!(slab.alloc(Timeout::millis(0)), Err(AllocError::NoMemory));
    assert_eq!(slab.num_waiting(), 0);
    free_all(slab, [held]);
}

#[test]
fn timeout_returns_timed_out_no_earlier_than_the_timeout() {
    let slab = ready(&TIMEOUTS);
    let held = slab.alloc(Timeout::NoWait).unwrap();
    for timeout in [Duration::from_millis(1), Duration::from_millis(30)] {
        let start = Instant::now();
        assert_eq!(slab.alloc(timeout.into()), Err(AllocError::TimedOut));
        assert!(
            start.elapsed() >= timeout,
            "returned after {:?} < {timeout:?}",
            start.elapsed()
        );
        assert_eq!(slab.num_waiting(), 0, "a timed-out waiter leaves the queue");
        assert_eq!(counts(slab), (1, 0, 1));
    }
    free_all(slab, [held]);
    assert_eq!(counts(slab), (0, 1, 1));
}

#[test]
fn zephyr_stats_sequence() {
    let slab = ready(&STATS);
    let stats = |free, allocated, max| MemStats {
        allocated_bytes: allocated,
        free_bytes: free,
        max_allocated_bytes: max,
    };
    assert_eq!(slab.stats(), stats(512, 0, 0));
    let mut held: Vec<_> = (0..3)
        .map(|_| slab.alloc(Timeout::NoWait).unwrap())
        .collect();
    assert_eq!(slab.stats(), stats(320, 192, 192));
    free_all(slab, held.drain(..2));
    assert_eq!(slab.stats(), stats(448, 64, 192));
    held.push(slab.alloc(Timeout::NoWait).unwrap());
    assert_eq!(slab.stats(), stats(384, 128, 192));
    slab.reset_max();
    assert_eq!(slab.stats(), stats(384, 128, 128));
    free_all(slab, held.drain(..));
    assert_eq!(slab.stats(), stats(512, 0, 128));
}

#[test]
fn realloc_does_not_zero_beyond_the_first_word() {
    let slab = ready(&CONTENTS);
    let size = slab.block_size();
    let a = slab.alloc(Timeout::NoWait).unwrap();
    // SAFETY: `a` is a block of `size` bytes that we own.
    unsafe { a.as_ptr().write_bytes(0xA5, size) };
    free_all(slab, [a]);
    let b = slab.alloc(Timeout::NoWait).unwrap();
    assert_eq!(a, b, "the free list is LIFO: the same block comes back");
    // SAFETY: `b` is a block of `size` bytes that we own; its bytes were
    // written above and only the first word was touched since.
    let bytes = unsafe { std::slice::from_raw_parts(b.as_ptr(), size) };
    assert!(bytes[WORD..].iter().all(|&x| x == 0xA5), "{bytes:x?}");
    free_all(slab, [b]);
}

#[test]
fn bad_frees_are_rejected_and_change_nothing() {
    let slab = ready(&BAD_FREES);
    let n = slab.num_blocks();
    let held = [
        slab.alloc(Timeout::NoWait).unwrap(),
        slab.alloc(Timeout::NoWait).unwrap(),
    ];
    let free_block = {
        let b = slab.alloc(Timeout::NoWait).unwrap();
        free_all(slab, [b]);
        b
    };
    let before = counts(slab);
    let range = slab.buffer_range();
    let mut local = 0u64;
    let at = |addr: usize| NonNull::new(addr as *mut u8).unwrap();
    let cases = [
        (NonNull::from(&mut local).cast::<u8>(), FreeError::Foreign),
        (at(range.end), FreeError::Foreign),
        (at(range.start - WORD), FreeError::Foreign),
        (at(usize::MAX - 7), FreeError::Foreign),
        (at(range.start + 1), FreeError::Misaligned),
        (at(range.start + WORD), FreeError::Misaligned),
        (
            at(held[0].as_ptr() as usize + slab.block_size() - 1),
            FreeError::Misaligned,
        ),
        (free_block, FreeError::DoubleFree),
    ];
    for (ptr, expected) in cases {
        // SAFETY: every one of these is rejected without being touched.
        assert_eq!(unsafe { slab.free(ptr) }, Err(expected), "{ptr:?}");
        assert_eq!(counts(slab), before, "a rejected free changes nothing");
        assert_eq!(expected.errno(), -22);
    }
    // A real double free: free a held block twice.
    free_all(slab, [held[0]]);
    // SAFETY: rejected without being touched.
    assert_eq!(unsafe { slab.free(held[0]) }, Err(FreeError::DoubleFree));
    free_all(slab, [held[1]]);
    // The free list is intact: draining gives exactly N distinct blocks.
    let blocks = drain(slab);
    assert_eq!(blocks.len(), n);
    assert_eq!(blocks.iter().collect::<HashSet<_>>().len(), n);
    assert_eq!(counts(slab).0, n);
    free_all(slab, blocks);
    assert_eq!(counts(slab).1, n);
}

#[test]
fn block_frees_on_drop_and_into_raw_hands_over() {
    let slab = ready(&BLOCKS);
    {
        let mut block = slab.alloc_block(Timeout::NoWait).unwrap();
        assert_eq!(block.len(), 40usize.div_ceil(WORD) * WORD);
        assert_eq!(block.as_uninit_mut().len(), block.len());
        for (i, byte) in block.as_uninit_mut().iter_mut().enumerate() {
            byte.write(i as u8);
        }
        assert_eq!(slab.num_used(), 1);
        assert!(
            slab.buffer_range()
                .contains(&(block.as_ptr().as_ptr() as usize))
        );
    }
    assert_eq!(slab.num_used(), 0, "dropping a Block frees it");
    let block = slab.alloc_block(Timeout::NoWait).unwrap();
    let raw = block.into_raw();
    assert_eq!(slab.num_used(), 1, "into_raw does not free");
    free_all(slab, [raw]);
    assert_eq!(slab.num_used(), 0);
    // Both blocks as Blocks, then exhausted.
    let a = slab.alloc_block(Timeout::NoWait).unwrap();
    let b = slab.alloc_block(Timeout::NoWait).unwrap();
    assert_ne!(a.as_ptr(), b.as_ptr());
    assert_eq!(
        slab.alloc_block(Timeout::NoWait).unwrap_err(),
        AllocError::NoMemory
    );
    drop((a, b));
    assert_eq!(counts(slab), (0, 2, 2));
}

#[test]
fn errors_have_zephyr_errno_and_messages() {
    use slab_core::{InitError, SemError};
    assert_eq!(AllocError::NoMemory.errno(), -12);
    assert_eq!(AllocError::TimedOut.errno(), -11);
    assert_eq!(AllocError::NotReady.errno(), -19);
    assert_eq!(FreeError::Foreign.errno(), -22);
    assert_eq!(FreeError::Misaligned.errno(), -22);
    assert_eq!(FreeError::DoubleFree.errno(), -22);
    assert_eq!(FreeError::NotReady.errno(), -19);
    assert_eq!(SemError::Busy.errno(), -16);
    assert_eq!(SemError::TimedOut.errno(), -11);
    assert_eq!(InitError::BufferTooSmall.errno(), -22);
    fn is_error<E: std::error::Error + Copy + Eq + std::fmt::Debug + Send + Sync + 'static>(
        e: E,
    ) -> String {
        e.to_string()
    }
    assert!(is_error(AllocError::NoMemory).contains("no free block"));
    assert!(is_error(FreeError::DoubleFree).contains("already free"));
    assert!(is_error(SemError::Busy).contains("zero"));
    assert!(is_error(InitError::ZeroBlocks).contains("zero"));
}
