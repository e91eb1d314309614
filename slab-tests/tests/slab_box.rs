//! `SlabBox`: a typed value in a declared slab's block. The value is
//! dropped exactly once and its block freed; layout mismatches are refused
//! with the value given back; compile-time layout assertions.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::thread;

use slab_core::{AllocError, BoxErrorKind, MemSlab, SlabBox, Timeout, mem_slab, mem_slabs};
use slab_tests::{WORD, counts, ready, wait_until};

/// Counts the drops of every `Tracked` that points at it.
#[derive(Debug)]
struct Tracked<'c> {
    drops: &'c AtomicUsize,
    id: u32,
}

impl Drop for Tracked<'_> {
    fn drop(&mut self) {
        self.drops.fetch_add(1, Ordering::SeqCst);
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(align(16))]
struct Aligned16([u8; 16]);

#[derive(Debug)]
struct Message {
    id: u32,
    body: [u8; 40],
}

const MESSAGE_BLOCK: usize = 48;

// Checked when the crate is compiled: a `Message` fits these blocks.
const _: () = slab_core::assert_fits::<Message>(MESSAGE_BLOCK, WORD);

mem_slabs! {
    static DROPS(blocks = 2, size = 32);
    static INNER(blocks = 1, size = 32);
    static GIVE_BACK(blocks = 1, size = 16);
    static MESSAGES(blocks = 3, size = MESSAGE_BLOCK);
    static BY_TYPE(blocks = 2, type = Aligned16);
    static ALIGNED(blocks = 2, size = 64, align = 64);
    static WAITING(blocks = 1, size = 16);
}

// 72-byte blocks: every other block is only 8-aligned, whatever the buffer.
#[mem_slab(blocks = 2, size = 72)]
static ODD: MemSlab;

#[test]
fn drop_runs_exactly_once_and_frees_the_block() {
    let slab = ready(&DROPS);
    let drops = AtomicUsize::new(0);
    {
        let mut a = SlabBox::new_in(
            slab,
            Tracked {
                drops: &drops,
                id: 1,
            },
            Timeout::NoWait,
        )
        .unwrap();
        let b = slab
            .alloc_box(
                Tracked {
                    drops: &drops,
                    id: 2,
                },
                Timeout::NoWait,
            )
            .unwrap();
        a.id += 10;
        assert_eq!((a.id, b.id), (11, 2));
        assert_eq!(counts(slab), (2, 0, 2));
        assert_eq!(drops.load(Ordering::SeqCst), 0);
    }
    assert_eq!(drops.load(Ordering::SeqCst), 2, "each dropped once");
    assert_eq!(counts(slab), (0, 2, 2), "both blocks freed");
}

#[test]
fn into_inner_moves_the_value_out_and_frees_the_block() {
    let slab = ready(&INNER);
    let drops = AtomicUsize::new(0);
    let boxed = slab
        .alloc_box(
            Tracked {
                drops: &drops,
                id: 7,
            },
            Timeout::NoWait,
        )
        .unwrap();
    let value = SlabBox::into_inner(boxed);
    assert_eq!(drops.load(Ordering::SeqCst), 0, "moved, not dropped");
    assert_eq!(slab.num_used(), 0, "block freed");
    assert_eq!(value.id, 7);
    drop(value);
    assert_eq!(drops.load(Ordering::SeqCst), 1);
}

#[test]
fn no_block_gives_the_value_back() {
    let slab = ready(&GIVE_BACK);
    let drops = AtomicUsize::new(0);
    let held = slab.alloc_box(0u64, Timeout::NoWait).unwrap();
    let err = slab
        .alloc_box(
            Tracked {
                drops: &drops,
                id: 3,
            },
            Timeout::NoWait,
        )
        .unwrap_err();
    assert_eq!(err.kind(), BoxErrorKind::Alloc(AllocError::NoMemory));
    assert_eq!(err.errno(), -12);
    assert_eq!(err.to_string(), "no free block in the slab");
    assert_eq!(err.into_value().id, 3);
    assert_eq!(
        drops.load(Ordering::SeqCst),
        1,
        "given back, then dropped here"
    );
    drop(held);
    assert_eq!(counts(slab), (0, 1, 1));
}

#[test]
fn layout_mismatches_are_refused_before_allocating() {
    let slab = ready(&ODD);
    assert_eq!((slab.block_size(), slab.block_align()), (72, 8));
    let err = slab.alloc_box([0u8; 73], Timeout::Forever).unwrap_err();
    assert_eq!(
        err.kind(),
        BoxErrorKind::TooLarge {
            size: 73,
            block_size: 72
        }
    );
    assert_eq!(err.errno(), -22);
    let err = slab
        .alloc_box(Aligned16([1; 16]), Timeout::Forever)
        .unwrap_err();
    assert_eq!(
        err.kind(),
        BoxErrorKind::Underaligned {
            align: 16,
            block_align: 8
        }
    );
    assert_eq!(err.errno(), -22);
    assert_eq!(
        err.to_string(),
        "a value aligned to 16 bytes does not fit the slab's blocks, aligned to 8"
    );
    assert_eq!(err.into_value(), Aligned16([1; 16]));
    assert_eq!(counts(slab), (0, 2, 0), "nothing was allocated");
}

#[test]
fn declared_shapes_fit_their_types() {
    let by_type = ready(&BY_TYPE);
    let a = by_type
        .alloc_box(Aligned16([2; 16]), Timeout::NoWait)
        .unwrap();
    assert_eq!(&*a as *const Aligned16 as usize % 16, 0);

    let aligned = ready(&ALIGNED);
    assert!(aligned.block_align() >= 64);
    #[derive(Debug)]
    #[repr(align(64))]
    struct Line([u8; 64]);
    let line = aligned.alloc_box(Line([3; 64]), Timeout::NoWait).unwrap();
    assert_eq!(line.0[63], 3);
    assert_eq!(&*line as *const Line as usize % 64, 0);

    let messages = ready(&MESSAGES);
    let m = messages
        .alloc_box(
            Message {
                id: 9,
                body: [0; 40],
            },
            Timeout::NoWait,
        )
        .unwrap();
    assert_eq!((m.id, m.body.len()), (9, 40));
    assert_eq!(format!("{:?}", m.id), "9");
}

#[test]
fn a_box_waits_for_a_block_and_may_be_dropped_on_another_thread() {
    let slab = ready(&WAITING);
    let drops = AtomicUsize::new(0);
    thread::scope(|s| {
        let first = slab
            .alloc_box(
                Tracked {
                    drops: &drops,
                    id: 1,
                },
                Timeout::NoWait,
            )
            .unwrap();
        let waiter = s.spawn(|| {
            slab.alloc_box(
                Tracked {
                    drops: &drops,
                    id: 2,
                },
                Timeout::Forever,
            )
            .map(|b| b.id)
            .map_err(|e| e.kind())
        });
        wait_until("the box waits", || slab.num_waiting() == 1);
        // Dropped on another thread: the block goes straight to the waiter.
        s.spawn(move || drop(first)).join().unwrap();
        assert_eq!(waiter.join().unwrap(), Ok(2));
    });
    assert_eq!(drops.load(Ordering::SeqCst), 2);
    assert_eq!(counts(slab), (0, 1, 1));
}

/// `SlabBox` is `Send`/`Sync` exactly when `T` is.
#[test]
fn auto_traits_follow_the_value() {
    fn send_sync<T: Send + Sync>() {}
    send_sync::<SlabBox<'static, u32>>();
    send_sync::<slab_core::BoxError<u32>>();
}
