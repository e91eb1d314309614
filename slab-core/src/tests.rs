//! Unit tests of the free list, validation and waiting on runtime-initialised
//! slabs. They run under miri (`cargo +nightly miri test -p slab-core`),
//! which cannot see linker sections, so no declared slab appears here;
//! `declare` is exercised through `__private` directly.

extern crate std;

use std::boxed::Box;
use std::collections::HashSet;
use std::vec;
use std::vec::Vec;

use core::ptr::NonNull;

use crate::layout::WORD;
use crate::{AllocError, FreeError, InitError, MemSlab, Timeout};

pub(crate) fn leak_buffer(bytes: usize) -> &'static mut [u8] {
    let words: &'static mut [usize] =
        Box::leak(vec![0usize; bytes.div_ceil(WORD)].into_boxed_slice());
    // SAFETY: leaked words live forever; any bytes are valid u8.
    unsafe { core::slice::from_raw_parts_mut(words.as_mut_ptr().cast::<u8>(), bytes) }
}

pub(crate) fn slab(block_size: usize, num_blocks: usize) -> &'static MemSlab {
    let slab = Box::leak(Box::new(MemSlab::new()));
    slab.init(leak_buffer(block_size * num_blocks), block_size, num_blocks)
        .unwrap();
    slab
}

fn drain(slab: &MemSlab) -> Vec<NonNull<u8>> {
    core::iter::from_fn(|| slab.alloc(Timeout::NoWait).ok()).collect()
}

#[test]
fn alloc_free_cycle_uses_every_block_once() {
    let s = slab(2 * WORD, 7);
    for _ in 0..3 {
        let blocks = drain(s);
        assert_eq!(blocks.len(), 7);
        assert_eq!(blocks.iter().collect::<HashSet<_>>().len(), 7);
        for b in &blocks {
            // Write the whole block: the slab must not rely on its bytes.
            // SAFETY: `b` is a block of 2 words that we own.
            unsafe { b.as_ptr().write_bytes(0xEE, 2 * WORD) };
        }
        assert_eq!(s.alloc(Timeout::NoWait), Err(AllocError::NoMemory));
        for b in blocks.into_iter().rev() {
            // SAFETY: ours, not used again.
            unsafe { s.free(b) }.unwrap();
        }
        assert_eq!((s.num_used(), s.num_free(), s.max_used()), (0, 7, 7));
    }
}

#[test]
fn validation_rejects_without_touching() {
    let s = slab(3 * WORD, 4);
    let a = s.alloc(Timeout::NoWait).unwrap();
    let b = s.alloc(Timeout::NoWait).unwrap();
    // SAFETY: ours.
    unsafe { s.free(b) }.unwrap();
    let range = s.buffer_range();
    // Derive addresses from a real block, keeping provenance (strict for miri).
    let base = a.as_ptr().wrapping_sub(a.as_ptr() as usize - range.start);
    let inside = |off: usize| NonNull::new(base.wrapping_add(off)).unwrap();
    let mut local = 0usize;
    // SAFETY: every free below is rejected before anything is dereferenced,
    // except `s.free(a)`, which frees a block we own.
    unsafe {
        assert_eq!(
            s.free(NonNull::from(&mut local).cast()),
            Err(FreeError::Foreign)
        );
        assert_eq!(s.free(inside(range.len())), Err(FreeError::Foreign));
        assert_eq!(s.free(inside(1)), Err(FreeError::Misaligned));
        assert_eq!(s.free(inside(WORD)), Err(FreeError::Misaligned));
        assert_eq!(s.free(b), Err(FreeError::DoubleFree));
        s.free(a).unwrap();
        assert_eq!(s.free(a), Err(FreeError::DoubleFree));
    }
    assert_eq!(drain(s).len(), 4);
}

#[test]
fn init_errors() {
    let s = MemSlab::new();
    assert_eq!(s.init(leak_buffer(64), 0, 1), Err(InitError::ZeroBlockSize));
    assert_eq!(
        s.init(leak_buffer(64), 3, 1),
        Err(InitError::UnalignedBlockSize)
    );
    assert_eq!(
        s.init(&mut leak_buffer(72)[1..], WORD, 1),
        Err(InitError::UnalignedBuffer)
    );
    assert_eq!(s.init(leak_buffer(64), WORD, 0), Err(InitError::ZeroBlocks));
    assert_eq!(
        s.init(leak_buffer(64), WORD, usize::MAX),
        Err(InitError::Overflow)
    );
    assert_eq!(
        s.init(leak_buffer(WORD), WORD, 2),
        Err(InitError::BufferTooSmall)
    );
    assert!(!s.is_ready());
    s.init(leak_buffer(2 * WORD), WORD, 2).unwrap();
    assert_eq!(
        s.init(leak_buffer(2 * WORD), WORD, 2),
        Err(InitError::AlreadyInitialized)
    );
}

#[test]
fn block_owns_and_frees() {
    let s = slab(4 * WORD, 2);
    {
        let mut b = s.alloc_block(Timeout::NoWait).unwrap();
        for (i, byte) in b.as_uninit_mut().iter_mut().enumerate() {
            byte.write(i as u8);
        }
        assert_eq!(b.len(), 4 * WORD);
        assert_eq!(s.num_used(), 1);
    }
    assert_eq!(s.num_used(), 0);
    let raw = s.alloc_block(Timeout::NoWait).unwrap().into_raw();
    assert_eq!(s.num_used(), 1);
    // SAFETY: ours.
    unsafe { s.free(raw) }.unwrap();
}

#[cfg(not(loom))] // `declare` is not const under loom
#[test]
fn declared_storage_through_private() {
    use crate::__private::{
        Storage, UsedMap, align::A16, buffer_len, declare, map_words, round_block_size, slab,
    };
    const BS: usize = round_block_size(20, 16);
    static STORAGE: Storage<A16, { buffer_len(3, BS) + crate::__private::tracked_bytes(3, BS) }> =
        Storage::new();
    static USED: UsedMap<{ map_words(3) }> = UsedMap::new();
    // SAFETY: only this slab uses STORAGE and USED (`declare` checks their
    // sizes).
    static SLAB: MemSlab = slab(unsafe { declare("MIRI", &STORAGE, &USED, 20, 16, 3, false) });
    assert_eq!(SLAB.block_size(), BS);
    assert_eq!(SLAB.alloc(Timeout::Forever), Err(AllocError::NotReady));
    SLAB.boot();
    SLAB.boot(); // once only
    let blocks = drain(&SLAB);
    assert_eq!(blocks.len(), 3);
    assert!(
        blocks
            .iter()
            .all(|b| (b.as_ptr() as usize).is_multiple_of(16))
    );
    // SAFETY: ours, then rejected without being touched.
    unsafe {
        SLAB.free(blocks[1]).unwrap();
        assert_eq!(SLAB.free(blocks[1]), Err(FreeError::DoubleFree));
    }
    assert_eq!(
        (SLAB.num_used(), SLAB.num_free(), SLAB.max_used()),
        (2, 1, 3)
    );
}

#[test]
fn write_after_free_is_detected_on_alloc() {
    let s = slab(2 * WORD, 3);
    let a = s.alloc(Timeout::NoWait).unwrap();
    // SAFETY: ours; freed here and then (deliberately) written after free.
    unsafe {
        s.free(a).unwrap();
        a.as_ptr().cast::<usize>().write(0xDEAD_BEEF);
    }
    assert_eq!(s.alloc(Timeout::NoWait), Err(AllocError::Corrupted));
    assert_eq!((s.num_used(), s.num_free()), (0, 3), "nothing changed");
    assert_eq!(
        s.alloc(Timeout::Forever),
        Err(AllocError::Corrupted),
        "never waits on it"
    );
}

#[cfg(feature = "std")]
#[test]
fn hand_off_between_threads() {
    let s = slab(WORD, 1);
    let held = s.alloc(Timeout::NoWait).unwrap();
    let held_addr = held.as_ptr() as usize;
    let waiter = std::thread::spawn(move || s.alloc(Timeout::Forever).map(|p| p.as_ptr() as usize));
    while s.num_waiting() == 0 {
        std::thread::yield_now();
    }
    // SAFETY: ours.
    unsafe { s.free(held) }.unwrap();
    assert_eq!(s.alloc(Timeout::NoWait), Err(AllocError::NoMemory));
    assert_eq!(waiter.join().unwrap(), Ok(held_addr));
    assert_eq!((s.num_used(), s.num_free()), (1, 0));
}

#[cfg(feature = "std")]
#[test]
fn semaphore_hand_off_and_reset() {
    use crate::{SemError, Semaphore};
    let sem: &'static Semaphore = Box::leak(Box::new(Semaphore::new(0, 2)));
    let waiter = std::thread::spawn(move || sem.take(Timeout::Forever));
    while sem.num_waiting() == 0 {
        std::thread::yield_now();
    }
    sem.give();
    assert_eq!(waiter.join().unwrap(), Ok(()));
    assert_eq!(sem.count(), 0);
    let waiter = std::thread::spawn(move || sem.take(Timeout::Forever));
    while sem.num_waiting() == 0 {
        std::thread::yield_now();
    }
    sem.reset();
    assert_eq!(waiter.join().unwrap(), Err(SemError::TimedOut));
}

#[test]
fn a_cycle_in_the_list_is_stopped_by_the_count() {
    let s = slab(WORD, 3);
    let a = s.alloc(Timeout::NoWait).unwrap();
    // SAFETY: ours; freed, then (deliberately) its link is pointed at itself.
    unsafe {
        s.free(a).unwrap();
        a.as_ptr().cast::<*mut u8>().write(a.as_ptr());
    }
    // Without a bitmap the cycle hands `a` out again, but never more blocks
    // than exist.
    let mut out = 0;
    while let Ok(b) = s.alloc(Timeout::NoWait) {
        assert_eq!(b, a);
        out += 1;
        assert!(out <= 3);
    }
    assert_eq!(s.alloc(Timeout::NoWait), Err(AllocError::Corrupted));
    assert_eq!(s.num_used(), 3);
}

#[test]
fn double_free_hidden_by_a_cut_list_is_still_refused() {
    let s = slab(WORD, 3);
    let blocks = drain(s);
    for &b in blocks.iter().rev() {
        // SAFETY: ours, freed once.
        unsafe { s.free(b) }.unwrap();
    }
    // SAFETY: a deliberate write after free: cut the list after the head.
    unsafe {
        blocks[0]
            .as_ptr()
            .cast::<*mut u8>()
            .write(core::ptr::null_mut())
    };
    // blocks[1] is free but no longer reachable by the walk: with nothing
    // allocated, freeing it is still a double free, and nothing changes.
    // SAFETY: refused without being touched.
    assert_eq!(unsafe { s.free(blocks[1]) }, Err(FreeError::DoubleFree));
    assert_eq!((s.num_used(), s.num_free()), (0, 3));
}

/// A declared slab (free flags): a free block's link overwritten with the
/// address of a block another thread owns and is writing. The `alloc` that
/// reaches that block reports `Corrupted`, and must not read the allocated
/// block's first word on the way (a non-atomic read racing its owner's
/// write: a data race that miri reports). The full path (`MemSlab::pop`)
/// checks the block's flag before it reads the link, as `pop_fast` does.
/// Miri found the race (before the fix) only with some schedules; the
/// suite's miri run uses one, so for a thorough check:
/// `MIRIFLAGS="-Zmiri-ignore-leaks -Zmiri-many-seeds=0..16" cargo +nightly
/// miri test -p slab-core --lib -- a_corrupted_link`.
#[test]
fn a_corrupted_link_to_an_owned_block_is_not_read() {
    use std::sync::mpsc;

    let blocks = 3;
    let buffer = leak_buffer(blocks * WORD);
    let map = leak_buffer(crate::layout::map_words(blocks) * WORD);
    let s: &'static MemSlab = Box::leak(Box::new(MemSlab::declared(
        "race",
        buffer.as_mut_ptr(),
        map.as_mut_ptr(),
        WORD,
        blocks,
    )));
    s.boot();
    let a = s.alloc(Timeout::NoWait).unwrap();
    let (allocated, told) = mpsc::channel();
    let owner = std::thread::spawn(move || {
        let b = s.alloc(Timeout::NoWait).unwrap();
        allocated.send(b.as_ptr() as usize).unwrap();
        // (Blocks are handed out in address order: this is block 1.)
        // The owner uses its block: no synchronisation with the slab.
        // SAFETY: `b` is this thread's block.
        unsafe { b.as_ptr().cast::<usize>().write(0x5EED) };
        b.as_ptr() as usize
    });
    let at = told.recv().unwrap();
    // Block 1, with the buffer's provenance.
    let b = a.as_ptr().wrapping_add(WORD);
    assert_eq!(b as usize, at);
    // SAFETY: `a` is ours.
    unsafe { s.free(a) }.unwrap();
    // A write after free: `a`'s link now points at the owner's block.
    // SAFETY: the buffer is leaked and `a` is one of its blocks.
    unsafe { a.as_ptr().cast::<*mut u8>().write(b) };
    assert_eq!(s.alloc(Timeout::NoWait), Ok(a));
    assert_eq!(s.alloc(Timeout::NoWait), Err(AllocError::Corrupted));
    assert_eq!(owner.join().unwrap(), b as usize);
}

/// Frees `block` as `Box<u8>`'s drop frees it: through a pointer that went
/// through a `&mut u8`, which under miri's Stacked Borrows reaches one
/// byte only, fewer than the link word the slab writes into it.
///
/// # Safety
/// As [`MemSlab::free`]; `block` is initialised at least in its first byte.
unsafe fn free_as_box_u8(slab: &MemSlab, block: NonNull<u8>) -> Result<(), FreeError> {
    // SAFETY: the caller's contract.
    unsafe {
        let byte: &mut u8 = &mut *block.as_ptr();
        slab.free(NonNull::from(byte))
    }
}

#[cfg(not(loom))] // `declare` is not const under loom
#[test]
fn declared_fast_paths_free_through_a_one_byte_pointer() {
    use crate::__private::{Storage, UsedMap, align::A8, buffer_len, declare, map_words, slab};
    const BS: usize = 2 * WORD;
    static STORAGE: Storage<A8, { buffer_len(3, BS) + crate::__private::tracked_bytes(3, BS) }> =
        Storage::new();
    static USED: UsedMap<{ map_words(3) }> = UsedMap::new();
    static BOUNDS_STORAGE: Storage<
        A8,
        { buffer_len(3, BS) + crate::__private::tracked_bytes(3, BS) },
    > = Storage::new();
    static BOUNDS_USED: UsedMap<{ map_words(3) }> = UsedMap::new();
    // SAFETY: each storage and map is sized from BS and 3, and used by one
    // slab only.
    static FULL: MemSlab = slab(unsafe { declare("FULL", &STORAGE, &USED, BS, 8, 3, false) });
    // SAFETY: as above.
    static BOUNDS: MemSlab =
        slab(unsafe { declare("BOUNDS", &BOUNDS_STORAGE, &BOUNDS_USED, BS, 8, 3, true) });
    for slab in [&FULL, &BOUNDS] {
        slab.boot();
        let blocks = drain(slab);
        for &b in &blocks {
            // SAFETY: ours, written, then given up.
            unsafe {
                b.as_ptr().write_bytes(0xEE, BS);
                free_as_box_u8(slab, b).unwrap();
            }
        }
        // Every block is handed out again, each whole to its new owner.
        let again = drain(slab);
        assert_eq!(again, blocks.iter().rev().copied().collect::<Vec<_>>());
        for &b in &again {
            // SAFETY: ours.
            unsafe { b.as_ptr().write_bytes(0, BS) };
        }
        assert_eq!(slab.num_used(), 3);
    }
}

#[test]
fn runtime_slab_frees_through_a_one_byte_pointer() {
    let s = slab(2 * WORD, 3);
    let blocks = drain(s);
    // SAFETY: ours, written, then given up; the second free of `blocks[0]`
    // is refused without touching it (the walk of the free list).
    unsafe {
        for &b in &blocks {
            b.as_ptr().write(1);
            free_as_box_u8(s, b).unwrap();
        }
        assert_eq!(free_as_box_u8(s, blocks[0]), Err(FreeError::DoubleFree));
    }
    for b in drain(s) {
        // SAFETY: ours, all of it.
        unsafe { b.as_ptr().write_bytes(0, 2 * WORD) };
    }
}

#[cfg(feature = "std")]
#[test]
fn hand_off_through_a_one_byte_pointer_gives_the_whole_block() {
    let s = slab(2 * WORD, 1);
    let held = s.alloc(Timeout::NoWait).unwrap();
    let waiter = std::thread::spawn(move || {
        let block = s.alloc(Timeout::Forever).unwrap();
        // SAFETY: handed to this thread, all of it.
        unsafe { block.as_ptr().write_bytes(0, 2 * WORD) };
        block.as_ptr() as usize
    });
    while s.num_waiting() == 0 {
        std::thread::yield_now();
    }
    // SAFETY: ours, written, then given up.
    unsafe {
        held.as_ptr().write(1);
        free_as_box_u8(s, held).unwrap();
    }
    assert_eq!(waiter.join().unwrap(), held.as_ptr() as usize);
}

#[test]
fn ram_sections_and_registry_symbols() {
    use crate::__private::rules::{ram_section, registry_symbol};
    for name in [
        ".bss",
        ".noinit",
        ".uninit",
        ".data",
        ".bss.dma",
        ".uninit.NAME",
        ".data.rel.local",
    ] {
        assert!(ram_section(name), "{name}");
    }
    for name in [
        ".bssx",
        ".bss.",
        ".init_array",
        ".text",
        "",
        ".dat",
        "bss",
        ".data.rel.ro",
        ".data.rel.ro.local",
        ".bss.rel.ro",
    ] {
        assert!(!ram_section(name), "{name}");
    }
    assert!(registry_symbol(
        "slab_core.two_slabs_are_named.RX.give_one_of_them_a_name_key"
    ));
    assert!(!registry_symbol("memcpy"));
    assert!(!registry_symbol("slab_core.two_slabs_are_named"));
}

/// A shape that breaks a declaration's rules (the declaration's own
/// assertion reports it) is an empty slab, never one over too little
/// storage.
#[cfg(not(loom))] // `declare` is not const under loom
#[test]
fn a_rule_breaking_shape_is_an_empty_slab() {
    use crate::__private::{Storage, UsedMap, align::A8, declare, slab};
    static STORAGE: Storage<A8, 0> = Storage::new();
    static USED: UsedMap<0> = UsedMap::new();
    // SAFETY: only this slab uses STORAGE and USED.
    static EMPTY: MemSlab = slab(unsafe { declare("EMPTY", &STORAGE, &USED, 8, 8, 0, false) });
    EMPTY.boot();
    assert_eq!((EMPTY.num_blocks(), EMPTY.block_size()), (0, 0));
    assert_eq!(EMPTY.alloc(Timeout::NoWait), Err(AllocError::NoMemory));
}
