//! The fast paths of `alloc` and `free` on the target, at both `checks`
//! levels: draining to `NoMemory` and refilling, bad pointers (`Foreign`,
//! `Misaligned`), double frees and corrupted free list links (refused with
//! `checks = "full"`, followed as documented with `checks = "bounds"`).
//! Every refusal is checked to change nothing. 48-byte blocks, which are
//! not a power of two, so the fast path's multiply by the block size's odd
//! inverse is exercised too. Each level ends with one summary line that
//! `slab-tests/tests/qemu.rs` (and `qemu_riscv.rs`) looks for.
//!
//! Shared by the Cortex-M firmware and `examples/riscv-firmware` (which
//! includes this file): it needs only the `check!`, `check_eq!` and
//! `hprintln!` macros of `slab_firmware_common` (`#[macro_use]`).

use core::ptr::NonNull;

use slab_core::{AllocError, FreeError, MemSlab, Timeout, mem_slabs};

/// The slabs this module declares (they are in the registry).
pub const DECLARED: usize = 4;

const BLOCKS: usize = 4;
const SIZE: usize = 48;

mem_slabs! {
    /// `checks = "full"` (the default): every check.
    static FAST_FULL(blocks = 4, size = 48);
    /// `checks = "full"`, for the corruptions that leave it failing closed.
    static FAST_CORRUPTED(blocks = 4, size = 48);
    /// `checks = "bounds"`: `Foreign` and `Misaligned` only.
    static FAST_BOUNDS(blocks = 4, size = 48, checks = "bounds");
    /// `checks = "bounds"`, for a corrupted link (followed: not detected).
    static FAST_BOUNDS_CORRUPTED(blocks = 4, size = 48, checks = "bounds");
}

/// Before `boot()`: both levels refuse everything.
pub fn before_boot() {
    for slab in [&FAST_FULL, &FAST_BOUNDS] {
        check_eq!(slab.alloc(Timeout::NoWait), Err(AllocError::NotReady));
        let start = NonNull::new(slab.buffer_range().start as *mut u8).expect("a buffer");
        // SAFETY: rejected (not ready) without being touched.
        check_eq!(unsafe { slab.free(start) }, Err(FreeError::NotReady));
    }
}

/// Every check of this module, after `boot()`.
pub fn run() {
    drain_and_refill(&FAST_FULL);
    bad_pointers(&FAST_FULL);
    double_free_full();
    corrupted_links_full();
    hprintln!(
        "firmware: fast path, checks = \"full\": drain to NoMemory, bad pointers, \
         double free, corrupted links: passed"
    );
    drain_and_refill(&FAST_BOUNDS);
    bad_pointers(&FAST_BOUNDS);
    double_free_bounds();
    corrupted_link_bounds();
    hprintln!(
        "firmware: fast path, checks = \"bounds\": drain to NoMemory, bad pointers, \
         free with nothing allocated, corrupted link followed: passed"
    );
}

/// `(num_used, num_free, max_used)`.
fn counts(slab: &MemSlab) -> (usize, usize, usize) {
    (slab.num_used(), slab.num_free(), slab.max_used())
}

/// Takes every block: distinct block starts of the buffer, then
/// `NoMemory`; frees them (the first into an empty list) and takes them
/// all again, the same blocks.
fn drain_and_refill(slab: &MemSlab) {
    let range = slab.buffer_range();
    let mut blocks = [NonNull::<u8>::dangling(); BLOCKS];
    for _ in 0..2 {
        for (i, block) in blocks.iter_mut().enumerate() {
            *block = slab.alloc(Timeout::NoWait).expect("a free block");
            let addr = block.as_ptr() as usize;
            check!(
                range.contains(&addr),
                "{} block {i} in the buffer",
                slab.name()
            );
            check_eq!((addr - range.start) % SIZE, 0);
            check_eq!(slab.num_used(), i + 1);
        }
        for i in 0..BLOCKS {
            for j in 0..i {
                check!(blocks[i] != blocks[j], "blocks {j} and {i} differ");
            }
        }
        check_eq!(slab.alloc(Timeout::NoWait), Err(AllocError::NoMemory));
        check_eq!(counts(slab), (BLOCKS, 0, BLOCKS));
        for (i, block) in blocks.iter().enumerate() {
            // SAFETY: allocated above, not used afterwards.
            check_eq!(unsafe { slab.free(*block) }, Ok(()));
            check_eq!(slab.num_free(), i + 1);
        }
    }
    check_eq!(counts(slab), (0, BLOCKS, BLOCKS));
    slab.reset_max();
}

/// Pointers that are not blocks of the slab: refused, nothing changes.
fn bad_pointers(slab: &MemSlab) {
    let range = slab.buffer_range();
    let block = slab.alloc(Timeout::NoWait).expect("a free block");
    let before = counts(slab);
    let mut local = 0u32;
    for (pointer, expected) in [
        (block.as_ptr().wrapping_add(4), FreeError::Misaligned),
        (block.as_ptr().wrapping_add(8), FreeError::Misaligned),
        (block.as_ptr().wrapping_add(SIZE - 4), FreeError::Misaligned),
        (range.end as *mut u8, FreeError::Foreign),
        ((range.start - SIZE) as *mut u8, FreeError::Foreign),
        ((range.start + 1) as *mut u8, FreeError::Misaligned),
        ((&mut local as *mut u32).cast(), FreeError::Foreign),
    ] {
        let pointer = NonNull::new(pointer).expect("non-null");
        // SAFETY: refused without being touched: not a block of the slab.
        check_eq!(unsafe { slab.free(pointer) }, Err(expected));
        check_eq!(counts(slab), before);
    }
    // SAFETY: allocated above, not used afterwards.
    check_eq!(unsafe { slab.free(block) }, Ok(()));
    check_eq!(slab.num_used(), 0);
    slab.reset_max();
}

/// `checks = "full"`: a block that is already free is refused, whether
/// the list is long, has just been refilled from empty, or the block was
/// never allocated; afterwards every block is still handed out once.
fn double_free_full() {
    let slab = &FAST_FULL;
    let a = slab.alloc(Timeout::NoWait).expect("block a");
    let b = slab.alloc(Timeout::NoWait).expect("block b");
    // SAFETY: ours; after the first free only given to `free` again, which
    // refuses it without touching it.
    unsafe {
        check_eq!(slab.free(a), Ok(()));
        let before = counts(slab);
        check_eq!(slab.free(a), Err(FreeError::DoubleFree));
        check_eq!(counts(slab), before);
        check_eq!(slab.free(b), Ok(()));
        check_eq!(slab.free(b), Err(FreeError::DoubleFree));
        check_eq!(slab.free(a), Err(FreeError::DoubleFree));
    }
    // A block never allocated (still on the list) is refused too.
    let range = slab.buffer_range();
    let last = NonNull::new((range.end - SIZE) as *mut u8).expect("non-null");
    // SAFETY: refused without being touched: it is free.
    check_eq!(unsafe { slab.free(last) }, Err(FreeError::DoubleFree));
    // Drained, one freed into the empty list, then freed again.
    let mut blocks = [NonNull::<u8>::dangling(); BLOCKS];
    for block in &mut blocks {
        *block = slab.alloc(Timeout::NoWait).expect("a free block");
    }
    // SAFETY: as above.
    unsafe {
        check_eq!(slab.free(blocks[2]), Ok(()));
        check_eq!(slab.free(blocks[2]), Err(FreeError::DoubleFree));
    }
    check_eq!(counts(slab), (BLOCKS - 1, 1, BLOCKS));
    blocks[2] = slab.alloc(Timeout::NoWait).expect("the freed block");
    check_eq!(slab.alloc(Timeout::NoWait), Err(AllocError::NoMemory));
    for i in 0..BLOCKS {
        for j in 0..i {
            check!(blocks[i] != blocks[j], "blocks {j} and {i} differ");
        }
    }
    for block in blocks {
        // SAFETY: allocated above, not used afterwards.
        check_eq!(unsafe { slab.free(block) }, Ok(()));
    }
    check_eq!(slab.num_used(), 0);
    slab.reset_max();
}

/// Takes two blocks and frees them, so that `first` is the head and links
/// to `second`; returns them and the link.
fn two_on_the_list(slab: &MemSlab) -> (NonNull<u8>, NonNull<u8>) {
    let second = slab.alloc(Timeout::NoWait).expect("block");
    let first = slab.alloc(Timeout::NoWait).expect("block");
    // SAFETY: ours, freed in this order, so `first` links to `second`.
    unsafe {
        check_eq!(slab.free(second), Ok(()));
        check_eq!(slab.free(first), Ok(()));
    }
    (first, second)
}

/// Overwrites a free block's link: the write after free this is about.
fn write_link(block: NonNull<u8>, link: *mut u8) {
    // SAFETY: a deliberate write after free into a freed block's first
    // word; the memory is the slab's buffer, valid for the write.
    unsafe { block.as_ptr().cast::<*mut u8>().write_volatile(link) };
}

/// `alloc` refuses with `Corrupted` now and on a retry, changing nothing.
fn refuses_corrupted(slab: &MemSlab) {
    let before = counts(slab);
    for timeout in [Timeout::NoWait, Timeout::Forever] {
        check_eq!(slab.alloc(timeout), Err(AllocError::Corrupted));
        check_eq!(counts(slab), before);
    }
}

/// `checks = "full"`: a link overwritten to point outside the buffer, at
/// a word inside a block, or at an allocated block never yields that
/// pointer; outside the buffer it is caught before the head it follows
/// is handed out, and a repaired link works again.
fn corrupted_links_full() {
    let slab = &FAST_FULL;
    let (first, second) = two_on_the_list(slab);
    write_link(first, 0x2000_0000 as *mut u8);
    refuses_corrupted(slab);
    write_link(first, second.as_ptr());
    check_eq!(slab.alloc(Timeout::NoWait), Ok(first));
    check_eq!(slab.alloc(Timeout::NoWait), Ok(second));
    // SAFETY: allocated just above, not used afterwards.
    unsafe {
        check_eq!(slab.free(first), Ok(()));
        check_eq!(slab.free(second), Ok(()));
    }
    check_eq!(slab.num_used(), 0);

    let slab = &FAST_CORRUPTED;
    let held = slab.alloc(Timeout::NoWait).expect("block");
    let (first, second) = two_on_the_list(slab);
    write_link(first, held.as_ptr());
    check_eq!(slab.alloc(Timeout::NoWait), Ok(first)); // the head is fine
    // The next head is `held`, which is allocated: never handed out twice.
    refuses_corrupted(slab);
    // SAFETY: ours, freed back (the list stays cut: it fails closed).
    check_eq!(unsafe { slab.free(first) }, Ok(()));
    write_link(first, second.as_ptr().wrapping_add(16));
    check_eq!(slab.alloc(Timeout::NoWait), Ok(first)); // the head is fine
    // A word inside `second`: safe to read, never handed out.
    refuses_corrupted(slab);
    check_eq!(counts(slab), (2, 2, 3));
}

/// `checks = "bounds"` detects a double free only when nothing is
/// allocated (the counters would go wrong otherwise); the rest is
/// documented as not detected.
fn double_free_bounds() {
    let slab = &FAST_BOUNDS;
    let block = slab.alloc(Timeout::NoWait).expect("block");
    // SAFETY: ours; after the free only given to `free` again, which
    // refuses it without touching it (nothing is allocated).
    unsafe {
        check_eq!(slab.free(block), Ok(()));
        check_eq!(slab.free(block), Err(FreeError::DoubleFree));
    }
    check_eq!(counts(slab), (0, BLOCKS, 1));
}

/// `checks = "bounds"` checks no links (documented): a link overwritten
/// with a word inside another free block is followed, and that word is
/// handed out as a block. The counters stay consistent.
fn corrupted_link_bounds() {
    let slab = &FAST_BOUNDS_CORRUPTED;
    let (first, second) = two_on_the_list(slab);
    let inside = second.as_ptr().wrapping_add(16);
    // The word the corrupted link leads to ends the list.
    write_link(
        NonNull::new(inside).expect("non-null"),
        core::ptr::null_mut(),
    );
    write_link(first, inside);
    check_eq!(slab.alloc(Timeout::NoWait), Ok(first));
    // Not detected at this level: the word is handed out as a block.
    check_eq!(slab.alloc(Timeout::NoWait).map(NonNull::as_ptr), Ok(inside));
    check_eq!(counts(slab), (2, 2, 2));
    check_eq!(slab.num_used() + slab.num_free(), BLOCKS);
}
