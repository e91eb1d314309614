//! The checks every slab firmware makes on its board, whatever the core:
//! before `boot()`, the registry, exhaustion and refill, finite timeouts
//! that expire, and the counts at the end. Each function takes the slabs it
//! checks; the firmware keeps what is its own (its interrupt hand-offs, its
//! clock, its other slabs).

use core::ptr::NonNull;
use core::time::Duration;

use slab_core::{AllocError, FreeError, MemSlab, Timeout};

use crate::{check, check_eq};

/// `limit` in ticks of a clock at `hz`, rounded up.
pub fn ticks(limit: Duration, hz: u64) -> u64 {
    (limit.as_nanos() as u64 * hz).div_ceil(1_000_000_000)
}

/// A declared slab is unusable until `boot()`, whatever the timeout.
pub fn before_boot(slab: &MemSlab) {
    check!(!slab.is_ready());
    check_eq!(slab.alloc(Timeout::NoWait), Err(AllocError::NotReady));
    check_eq!(slab.alloc(Timeout::Forever), Err(AllocError::NotReady));
    check_eq!(
        // SAFETY: rejected before anything is touched (not ready).
        unsafe { slab.free(NonNull::dangling()) },
        Err(FreeError::NotReady)
    );
}

/// The registry holds `declared` slabs, among them each of `rows` (name,
/// slab, block size, blocks) once, booted and empty; an unknown name is
/// not found.
pub fn registry(declared: usize, rows: &[(&str, &MemSlab, usize, usize)]) {
    let registry = slab_core::registry();
    check_eq!(registry.len(), declared);
    for &(name, slab, block_size, blocks) in rows {
        let found = registry.find(name);
        check!(
            found.is_some_and(|s| core::ptr::eq(s, slab)),
            "registry.find({name:?})"
        );
        check_eq!(registry.iter().filter(|s| s.name() == name).count(), 1);
        check!(slab.is_ready(), "{name} is ready");
        check_eq!((slab.block_size(), slab.num_blocks()), (block_size, blocks));
        check_eq!((slab.num_used(), slab.num_free()), (0, blocks));
    }
    check!(registry.find("NOPE").is_none());
}

/// The blocks [`exhaust_and_refill`] takes.
pub const POOL_BLOCKS: usize = 4;

/// `pool` (of [`POOL_BLOCKS`] blocks, all free): take every block (each
/// in the buffer, at a block start, distinct), fail, refuse bad frees
/// without a change, give them back, refuse a double free, take them all
/// again through `Block` (which frees on drop).
///
/// # Panics
/// If `pool` does not have [`POOL_BLOCKS`] blocks.
pub fn exhaust_and_refill(pool: &MemSlab) {
    assert_eq!(pool.num_blocks(), POOL_BLOCKS, "a pool of POOL_BLOCKS");
    let (range, size) = (pool.buffer_range(), pool.block_size());
    let mut blocks = [NonNull::<u8>::dangling(); POOL_BLOCKS];
    for (i, block) in blocks.iter_mut().enumerate() {
        *block = pool.alloc(Timeout::NoWait).expect("a free block");
        let addr = block.as_ptr() as usize;
        check!(range.contains(&addr), "block {i} in the buffer");
        check_eq!((addr - range.start) % size, 0);
        check_eq!(addr % 4, 0);
        check_eq!(pool.num_used(), i + 1);
    }
    for i in 0..blocks.len() {
        for j in 0..i {
            check!(blocks[i] != blocks[j], "blocks {j} and {i} differ");
        }
    }
    check_eq!(pool.alloc(Timeout::NoWait), Err(AllocError::NoMemory));
    check_eq!(
        pool.alloc(Timeout::After(Duration::ZERO)),
        Err(AllocError::NoMemory)
    );
    check_eq!(
        (pool.num_used(), pool.num_free(), pool.max_used()),
        (POOL_BLOCKS, 0, POOL_BLOCKS)
    );
    check_eq!(pool.stats().allocated_bytes, POOL_BLOCKS * size);

    // Bad frees change nothing.
    let inside = NonNull::new(blocks[1].as_ptr().wrapping_add(4)).expect("non-null");
    // SAFETY: rejected (not a block start); nothing is given up.
    check_eq!(unsafe { pool.free(inside) }, Err(FreeError::Misaligned));
    let mut local = 0u32;
    // SAFETY: rejected (not in the buffer); nothing is given up.
    let foreign = unsafe { pool.free(NonNull::from(&mut local).cast()) };
    check_eq!(foreign, Err(FreeError::Foreign));
    check_eq!((pool.num_used(), pool.num_free()), (POOL_BLOCKS, 0));

    for (i, block) in blocks.iter().enumerate().rev() {
        // SAFETY: allocated above, not used afterwards.
        check_eq!(unsafe { pool.free(*block) }, Ok(()));
        check_eq!(pool.num_free(), POOL_BLOCKS - i);
    }
    // SAFETY: already free: rejected, nothing changes.
    check_eq!(unsafe { pool.free(blocks[2]) }, Err(FreeError::DoubleFree));
    check_eq!(
        (pool.num_used(), pool.num_free(), pool.max_used()),
        (0, POOL_BLOCKS, POOL_BLOCKS)
    );
    pool.reset_max();
    check_eq!(pool.max_used(), 0);

    // Refill through `Block`, which frees on drop.
    {
        let a = pool.alloc_block(Timeout::NoWait).expect("block a");
        let b = pool.alloc_block(Timeout::Forever).expect("block b");
        let c = pool.alloc_block(Timeout::millis(5)).expect("block c");
        let d = pool.alloc_block(Timeout::NoWait).expect("block d");
        check_eq!(a.len() + b.len() + c.len() + d.len(), POOL_BLOCKS * size);
        check_eq!(pool.alloc(Timeout::NoWait), Err(AllocError::NoMemory));
        check_eq!((pool.num_used(), pool.num_free()), (POOL_BLOCKS, 0));
    }
    check_eq!(
        (pool.num_used(), pool.num_free(), pool.max_used()),
        (0, POOL_BLOCKS, POOL_BLOCKS)
    );
}

/// The blocks [`timeouts_expire`] holds.
pub const HELD_BLOCKS: usize = 2;

/// `slab` (of [`HELD_BLOCKS`] blocks, all free) held and nobody freeing:
/// finite waits time out, after at least the timeout by `now` (a clock at
/// `hz`) and at most `late` after it, and leave nothing behind.
///
/// # Panics
/// If `slab` does not have [`HELD_BLOCKS`] free blocks.
pub fn timeouts_expire(slab: &MemSlab, now: fn() -> u64, hz: u64, late: Duration) {
    let held: [NonNull<u8>; HELD_BLOCKS] =
        core::array::from_fn(|_| slab.alloc(Timeout::NoWait).expect("a free block"));
    assert_eq!(slab.num_free(), 0, "a slab of HELD_BLOCKS");
    let late = ticks(late, hz);
    for limit in [
        Duration::from_micros(50),
        Duration::from_micros(250),
        Duration::from_millis(1),
        Duration::from_micros(1500),
        Duration::from_millis(5),
    ] {
        let from = now();
        let got = slab.alloc(Timeout::After(limit));
        let waited = now() - from;
        check_eq!(got, Err(AllocError::TimedOut));
        check!(
            waited >= ticks(limit, hz),
            "timed out after {waited} ticks, asked {limit:?}"
        );
        check!(
            waited <= ticks(limit, hz) + late,
            "timed out late: {waited} ticks for {limit:?}"
        );
        check_eq!(
            (slab.num_used(), slab.num_free(), slab.num_waiting()),
            (HELD_BLOCKS, 0, 0)
        );
    }
    for block in held {
        // SAFETY: allocated above, not used afterwards.
        check_eq!(unsafe { slab.free(block) }, Ok(()));
    }
}

/// Every slab of the registry adds up and has no waiter left; each of
/// `rows` (name, used, free, high-water mark) is as given.
pub fn final_counts(rows: &[(&str, usize, usize, usize)]) {
    let registry = slab_core::registry();
    for slab in registry {
        check_eq!(slab.num_used() + slab.num_free(), slab.num_blocks());
        check_eq!(slab.num_waiting(), 0);
    }
    for &(name, used, free, max) in rows {
        let slab = registry.find(name).expect("declared");
        check_eq!(
            (slab.num_used(), slab.num_free(), slab.max_used()),
            (used, free, max)
        );
    }
}
