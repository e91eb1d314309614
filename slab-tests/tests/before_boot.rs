//! Before `boot()` a declared slab is unusable; `boot()` from four threads
//! at once threads every slab exactly once. (Its own test binary: nothing
//! else here may call `boot()` first.)

use std::future::Future;
use std::sync::Barrier;
use std::task::{Context, Poll, Waker};
use std::thread;
use std::time::{Duration, Instant};

use slab_core::{AllocError, BoxErrorKind, FreeError, MemSlab, Timeout, mem_slab, mem_slabs};

#[mem_slab(blocks = 4, size = 16)]
static EARLY: MemSlab;

mem_slabs! {
    static ALSO_EARLY(blocks = 100, size = 8);
}

const LONG: Duration = Duration::from_secs(60);

#[test]
fn unusable_before_boot_then_booted_once_from_four_threads() {
    for slab in [&EARLY, &ALSO_EARLY] {
        assert!(!slab.is_ready());
        // Shape is known at compile time; nothing is threaded.
        assert!(slab.num_blocks() > 0);
        assert_eq!((slab.num_used(), slab.num_free()), (0, 0));
        // At once, whatever the timeout: the 60 s call returns before its
        // timeout could have expired (and Forever returns at all).
        let start = Instant::now();
        for timeout in [Timeout::NoWait, Timeout::After(LONG), Timeout::Forever] {
            assert_eq!(slab.alloc(timeout), Err(AllocError::NotReady));
        }
        assert!(start.elapsed() < LONG, "NotReady without waiting");
        assert_eq!(slab.num_waiting(), 0);
        let p = std::ptr::NonNull::new(slab.buffer_range().start as *mut u8).unwrap();
        // SAFETY: rejected without being touched.
        assert_eq!(unsafe { slab.free(p) }, Err(FreeError::NotReady));
        // The async futures resolve at their first poll, queueing nothing;
        // a SlabBox gives its value back.
        let mut fut = std::pin::pin!(slab.alloc_async());
        let mut cx = Context::from_waker(Waker::noop());
        assert_eq!(
            fut.as_mut().poll(&mut cx),
            Poll::Ready(Err(AllocError::NotReady))
        );
        assert_eq!(slab.num_waiting(), 0);
        let err = slab.alloc_box(7u8, Timeout::Forever).unwrap_err();
        assert_eq!(err.kind(), BoxErrorKind::Alloc(AllocError::NotReady));
        assert_eq!(err.into_value(), 7);
    }

    let barrier = Barrier::new(4);
    thread::scope(|s| {
        for _ in 0..4 {
            s.spawn(|| {
                barrier.wait();
                slab_core::boot();
                // Every call returns with every slab ready.
                assert!(EARLY.is_ready() && ALSO_EARLY.is_ready());
            });
        }
    });
    let held = EARLY.alloc(Timeout::NoWait).unwrap();
    // Later calls do nothing: the held block stays allocated.
    slab_core::boot();
    assert_eq!((EARLY.num_used(), EARLY.num_free()), (1, 3));
    // SAFETY: `held` is ours.
    unsafe { EARLY.free(held) }.unwrap();
    // Each slab was threaded exactly once: exactly N distinct blocks.
    let blocks = slab_tests::drain(&ALSO_EARLY);
    assert_eq!(blocks.len(), 100);
    assert_eq!(
        blocks
            .iter()
            .collect::<std::collections::HashSet<_>>()
            .len(),
        100
    );
    slab_tests::free_all(&ALSO_EARLY, blocks);
}
