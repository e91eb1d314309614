//! Unit tests of `SlabBox` on runtime-initialised slabs; they run under
//! miri, which checks the placement, the drop in place and the frees.

extern crate std;

use std::boxed::Box;
use std::format;
use std::string::String;
use std::sync::atomic::{AtomicUsize, Ordering};

use crate::layout::WORD;
use crate::tests::{leak_buffer, slab};
use crate::{AllocError, BoxErrorKind, MemSlab, SlabBox, Timeout};

/// Counts its drops in the counter it points at.
#[derive(Debug)]
struct Tracked<'c>(&'c AtomicUsize, String);

impl Drop for Tracked<'_> {
    fn drop(&mut self) {
        self.0.fetch_add(1, Ordering::SeqCst);
    }
}

#[test]
fn holds_the_value_and_drops_it_once() {
    let s = slab(4 * WORD, 2);
    let drops = AtomicUsize::new(0);
    {
        let mut b = s
            .alloc_box(Tracked(&drops, String::from("hi")), Timeout::NoWait)
            .unwrap();
        b.1.push('!');
        assert_eq!(b.1, "hi!");
        assert_eq!(SlabBox::slab(&b).num_used(), 1);
    }
    assert_eq!(drops.load(Ordering::SeqCst), 1);
    assert_eq!((s.num_used(), s.num_free()), (0, 2));
}

#[test]
fn into_inner_moves_out_without_dropping() {
    let s = slab(4 * WORD, 1);
    let drops = AtomicUsize::new(0);
    let b = SlabBox::new_in(s, Tracked(&drops, String::from("v")), Timeout::NoWait).unwrap();
    let v = SlabBox::into_inner(b);
    assert_eq!((drops.load(Ordering::SeqCst), s.num_used()), (0, 0));
    assert_eq!(v.1, "v");
    drop(v);
    assert_eq!(drops.load(Ordering::SeqCst), 1);
}

#[test]
fn failures_give_the_value_back() {
    let s = slab(4 * WORD, 1);
    let drops = AtomicUsize::new(0);
    let held = s.alloc_box(0u8, Timeout::NoWait).unwrap();
    let err = s
        .alloc_box(Tracked(&drops, String::from("back")), Timeout::NoWait)
        .unwrap_err();
    assert_eq!(err.kind(), BoxErrorKind::Alloc(AllocError::NoMemory));
    assert_eq!((err.errno(), err.value().1.as_str()), (-12, "back"));
    assert_eq!(drops.load(Ordering::SeqCst), 0);
    assert_eq!(err.into_value().1, "back");

    let err = s.alloc_box([0usize; 5], Timeout::NoWait).unwrap_err();
    assert_eq!(
        err.kind(),
        BoxErrorKind::TooLarge {
            size: 5 * WORD,
            block_size: 4 * WORD
        }
    );
    assert_eq!(err.errno(), -22);
    assert_eq!(
        format!("{err}"),
        format!(
            "a value of {} bytes does not fit the slab's {}-byte blocks",
            5 * WORD,
            4 * WORD
        )
    );
    drop(held);
    assert_eq!(s.num_used(), 0);
}

#[test]
fn alignment_is_checked_against_the_actual_blocks() {
    #[derive(Debug)]
    #[repr(align(64))]
    struct Wide(#[allow(dead_code)] u8);
    // Blocks of 64 bytes and a word: every other block is only word-aligned.
    let s = slab(64 + WORD, 2);
    assert_eq!(s.block_align(), WORD);
    let err = s.alloc_box(Wide(1), Timeout::NoWait).unwrap_err();
    assert_eq!(
        err.kind(),
        BoxErrorKind::Underaligned {
            align: 64,
            block_align: WORD
        }
    );
    assert_eq!((err.errno(), s.num_used()), (-22, 0));
    // A word-aligned type fits.
    let b = s.alloc_box(7usize, Timeout::NoWait).unwrap();
    assert_eq!(*b, 7);
}

#[test]
fn zero_sized_values_take_a_block_each() {
    let s = slab(WORD, 2);
    let a = s.alloc_box((), Timeout::NoWait).unwrap();
    let b = s.alloc_box((), Timeout::NoWait).unwrap();
    assert_eq!(
        s.alloc_box((), Timeout::NoWait).unwrap_err().kind(),
        BoxErrorKind::Alloc(AllocError::NoMemory)
    );
    drop((a, b));
    assert_eq!(s.num_used(), 0);
}

#[test]
fn not_ready_before_init() {
    let s = MemSlab::new();
    assert_eq!(s.block_align(), 0);
    let err = s.alloc_box(1u64, Timeout::Forever).unwrap_err();
    assert_eq!(err.kind(), BoxErrorKind::Alloc(AllocError::NotReady));
}

#[test]
fn a_panicking_drop_still_frees_the_block() {
    struct Bomb;
    impl Drop for Bomb {
        fn drop(&mut self) {
            panic!("boom");
        }
    }
    let s = slab(WORD, 1);
    let b = s.alloc_box(Bomb, Timeout::NoWait).unwrap();
    let caught = std::panic::catch_unwind(core::panic::AssertUnwindSafe(|| drop(b)));
    assert!(caught.is_err());
    assert_eq!((s.num_used(), s.num_free()), (0, 1));
}

#[test]
fn formatting_forwards() {
    let s = slab(3 * WORD, 1);
    let b = s.alloc_box(String::from("x\"y"), Timeout::NoWait).unwrap();
    assert_eq!(format!("{b} {b:?}"), "x\"y \"x\\\"y\"");
}

/// `new_in` racing `init` on another thread: whenever the block comes from
/// the slab, the value is checked against the shape that slab then has,
/// so an oversized value is refused (and the block freed) however the two
/// calls interleave. The race is tried many times, each on a fresh slab.
#[test]
fn a_slab_initialised_meanwhile_is_still_checked() {
    let trials = if cfg!(miri) { 3 } else { 300 };
    for _ in 0..trials {
        let s: &'static MemSlab = Box::leak(Box::new(MemSlab::new()));
        // Room for the oversized value, so that a missed check shows up as
        // an `Ok` rather than as a write outside the allocation.
        let buffer = leak_buffer(8 * WORD);
        let refused = std::thread::scope(|scope| {
            scope.spawn(|| s.init(buffer, WORD, 1).unwrap());
            loop {
                match SlabBox::new_in(s, [0usize; 8], Timeout::NoWait) {
                    Err(e) if e.kind() == BoxErrorKind::Alloc(AllocError::NotReady) => {}
                    Err(e) => break e.kind(),
                    Ok(b) => panic!(
                        "a {}-byte value was boxed in a {}-byte block",
                        core::mem::size_of_val(&*b),
                        s.block_size()
                    ),
                }
            }
        });
        assert_eq!(
            refused,
            BoxErrorKind::TooLarge {
                size: 8 * WORD,
                block_size: WORD
            }
        );
        assert_eq!((s.num_used(), s.num_free()), (0, 1), "the block is back");
    }
}

/// `block_align` is the lowest set bit of `buffer start | block_size`: a
/// buffer that starts on an odd word gives word-aligned blocks, whatever
/// the block size (one word, like the start's lowest bit, or two).
#[test]
fn block_align_is_the_lowest_bit_of_the_start_and_the_size() {
    for block_size in [WORD, 2 * WORD] {
        let buffer = leak_buffer(5 * WORD);
        let skip = if (buffer.as_ptr() as usize / WORD).is_multiple_of(2) {
            WORD
        } else {
            0
        };
        let buffer = &mut buffer[skip..skip + 4 * WORD];
        let s: &'static MemSlab = Box::leak(Box::new(MemSlab::new()));
        s.init(buffer, block_size, 4 * WORD / block_size).unwrap();
        assert_eq!(s.buffer_range().start % (2 * WORD), WORD);
        assert_eq!(s.block_align(), WORD, "blocks of {block_size} bytes");
    }
}

/// `assert_fits` outside a const context: it returns for a type that fits
/// (exactly, in size and alignment) and panics, with its message, for one
/// too large or too aligned.
#[test]
fn assert_fits_passes_a_fit_and_panics_for_a_misfit() {
    crate::assert_fits::<[usize; 4]>(4 * WORD, WORD);
    let message = |f: fn()| {
        let panic = std::panic::catch_unwind(f).unwrap_err();
        String::from(*panic.downcast_ref::<&str>().unwrap())
    };
    assert_eq!(
        message(|| crate::assert_fits::<[usize; 5]>(4 * WORD, WORD)),
        "slab_core::assert_fits: the type is larger than the slab's block size"
    );
    assert_eq!(
        message(|| crate::assert_fits::<u64>(8, 4)),
        "slab_core::assert_fits: the type needs more alignment than the blocks have"
    );
}

/// `BoxError`'s `Debug` shows the kind, and not the value (so that a
/// `BoxError<T>` of any `T` can be unwrapped).
#[test]
fn box_error_debug_shows_the_kind_only() {
    struct Opaque;
    let s = slab(WORD, 1);
    let held = s.alloc_box(0usize, Timeout::NoWait).unwrap();
    let Err(err) = s.alloc_box(Opaque, Timeout::NoWait) else {
        panic!("the slab's one block is taken");
    };
    assert_eq!(format!("{err:?}"), "BoxError { kind: Alloc(NoMemory), .. }");
    drop(held);
}
