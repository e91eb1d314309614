//! `MemSlab::new` + `init` (k_mem_slab_init): every error, and a
//! runtime-initialised slab's behaviour, double-free detection included.

use std::collections::HashSet;

use slab_core::{AllocError, FreeError, InitError, MemSlab, Timeout, mem_slab};
use slab_tests::{WORD, counts, drain, free_all, leak_buffer};

#[mem_slab(blocks = 2, size = 16)]
static DECLARED: MemSlab;

#[test]
fn uninitialised_slab_is_not_ready() {
    let slab = MemSlab::new();
    assert!(!slab.is_ready());
    assert_eq!(
        (slab.block_size(), slab.num_blocks(), slab.name()),
        (0, 0, "")
    );
    assert_eq!(slab.alloc(Timeout::Forever), Err(AllocError::NotReady));
    assert_eq!(slab.alloc(Timeout::millis(50)), Err(AllocError::NotReady));
    let mut x = 0usize;
    // SAFETY: rejected without being touched.
    let freed = unsafe { slab.free(std::ptr::NonNull::from(&mut x).cast()) };
    assert_eq!(freed, Err(FreeError::NotReady));
}

#[test]
fn every_init_error_changes_nothing() {
    let slab = MemSlab::new();
    let cases: [(&'static mut [u8], usize, usize, InitError); 7] = [
        (leak_buffer(64), 0, 4, InitError::ZeroBlockSize),
        (leak_buffer(64), WORD + 1, 2, InitError::UnalignedBlockSize),
        (leak_buffer(64), WORD / 2, 2, InitError::UnalignedBlockSize),
        (
            &mut leak_buffer(64 + WORD)[1..],
            WORD,
            2,
            InitError::UnalignedBuffer,
        ),
        (leak_buffer(64), WORD, 0, InitError::ZeroBlocks),
        (
            leak_buffer(64),
            WORD * 2,
            usize::MAX / 2,
            InitError::Overflow,
        ),
        (
            leak_buffer(4 * WORD),
            2 * WORD,
            3,
            InitError::BufferTooSmall,
        ),
    ];
    for (buffer, block_size, num_blocks, expected) in cases {
        assert_eq!(slab.init(buffer, block_size, num_blocks), Err(expected));
        assert_eq!(expected.errno(), -22);
        assert!(
            !slab.is_ready(),
            "a refused init leaves the slab uninitialised"
        );
        assert_eq!(slab.num_blocks(), 0);
    }
    // Then a good init works, and a second one is refused.
    slab.init(leak_buffer(4 * WORD), 2 * WORD, 2).unwrap();
    assert!(slab.is_ready());
    assert_eq!(
        slab.init(leak_buffer(64), WORD, 2),
        Err(InitError::AlreadyInitialized)
    );
    assert_eq!((slab.block_size(), slab.num_blocks()), (2 * WORD, 2));
}

#[test]
fn declared_slab_refuses_init() {
    slab_core::boot();
    assert_eq!(
        DECLARED.init(leak_buffer(64), WORD, 2),
        Err(InitError::AlreadyInitialized)
    );
    assert_eq!(DECLARED.num_blocks(), 2);
}

#[test]
fn buffer_larger_than_needed_is_fine() {
    let slab = MemSlab::new();
    slab.init(leak_buffer(100 * WORD), 3 * WORD, 5).unwrap();
    assert_eq!(counts(&slab), (0, 5, 0));
    let blocks = drain(&slab);
    assert_eq!(blocks.len(), 5);
    assert_eq!(slab.buffer_range().len(), 15 * WORD);
    free_all(&slab, blocks);
}

#[test]
fn initialised_slab_validates_frees_and_detects_double_free() {
    static SLAB: MemSlab = MemSlab::new();
    let buffer = leak_buffer(6 * 4 * WORD);
    let base = buffer.as_ptr() as usize;
    SLAB.init(buffer, 4 * WORD, 6).unwrap();
    assert_eq!(SLAB.name(), "");
    let a = SLAB.alloc(Timeout::NoWait).unwrap();
    let b = SLAB.alloc(Timeout::NoWait).unwrap();
    free_all(&SLAB, [b]);
    let before = counts(&SLAB);
    let at = |addr: usize| std::ptr::NonNull::new(addr as *mut u8).unwrap();
    for (ptr, expected) in [
        (at(base + 6 * 4 * WORD), FreeError::Foreign),
        (at(base - WORD), FreeError::Foreign),
        (at(base + WORD), FreeError::Misaligned),
        (at(a.as_ptr() as usize + 3), FreeError::Misaligned),
        (b, FreeError::DoubleFree),
    ] {
        // SAFETY: every one of these is rejected without being touched.
        assert_eq!(unsafe { SLAB.free(ptr) }, Err(expected));
        assert_eq!(counts(&SLAB), before);
    }
    free_all(&SLAB, [a]);
    // SAFETY: rejected without being touched.
    assert_eq!(unsafe { SLAB.free(a) }, Err(FreeError::DoubleFree));
    let blocks = drain(&SLAB);
    assert_eq!(blocks.iter().collect::<HashSet<_>>().len(), 6);
    free_all(&SLAB, blocks);
    assert_eq!(counts(&SLAB), (0, 6, 6));
}
