//! What both benchmark programs of this package run: the empty heap (the
//! loop's own cost), the timed loop of alloc + free pairs, and the
//! workload's runner, which times a number of pairs in every state of a heap
//! and prints `state NAME STEP PHASE LIVE SIZE TICKS` lines.

use core::alloc::{GlobalAlloc, Layout};
use core::arch::asm;
use core::hint::black_box;

use slab_core::SlabHeap;
use slab_firmware_common::count::ticks;
use slab_firmware_common::hprintln;
use slab_firmware_common::workload::{MAX_LIVE, Op, Workload};

/// A heap that does nothing: the loop's own cost.
pub struct Empty;

// SAFETY: it never returns a block (every pointer is dangling-but-unused:
// the loop only passes it back).
unsafe impl GlobalAlloc for Empty {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let mut p = layout.align();
        // SAFETY: an empty instruction sequence that only "changes" `p`.
        unsafe { asm!("/* {0} */", inout(reg) p, options(nomem, nostack, preserves_flags)) };
        p as *mut u8
    }

    unsafe fn dealloc(&self, ptr: *mut u8, _layout: Layout) {
        // SAFETY: an empty instruction sequence.
        unsafe {
            asm!("/* {0} */", in(reg) ptr as usize, options(nomem, nostack, preserves_flags))
        };
    }
}

/// `n` pairs of `layout` on `heap`, out of line per heap so that every
/// heap runs the same loop.
#[inline(never)]
pub fn pairs<H: GlobalAlloc>(heap: &H, layout: Layout, n: u32) {
    for _ in 0..n {
        // SAFETY: a non-zero size; a block is freed with its own layout.
        unsafe {
            let p = heap.alloc(black_box(layout));
            if !p.is_null() {
                heap.dealloc(black_box(p), layout);
            }
        }
    }
}

/// One heap under the workload: its live allocations.
pub struct Runner<'h, H: GlobalAlloc> {
    name: &'static str,
    heap: &'h H,
    live: [(usize, Layout); MAX_LIVE],
    len: usize,
    failures: u32,
}

impl<'h, H: GlobalAlloc> Runner<'h, H> {
    /// `heap` before the workload's first step, named `name` in the output.
    pub fn new(name: &'static str, heap: &'h H) -> Self {
        Runner {
            name,
            heap,
            live: [(0, Layout::new::<u8>()); MAX_LIVE],
            len: 0,
            failures: 0,
        }
    }

    /// Runs the workload, printing `state NAME STEP PHASE LIVE SIZE TICKS`
    /// (the ticks of `pairs_per_state` pairs of that step's request) before
    /// each step, and `heap NAME: STEPS steps, F requests failed` at the end.
    pub fn run(&mut self, pairs_per_state: u32) {
        let mut work = Workload::new();
        let mut step = 0u32;
        while let Some((phase, op)) = work.next(self.len) {
            let layout = match op {
                Op::Alloc(layout) => layout,
                Op::Free(pick) => self.live[pick as usize % self.len].1,
            };
            let ticks = ticks(|| pairs(self.heap, layout, pairs_per_state));
            hprintln!(
                "state {} {} {} {} {} {}",
                self.name,
                step,
                phase.name(),
                self.len,
                layout.size(),
                ticks
            );
            match op {
                Op::Alloc(layout) => {
                    // SAFETY: a non-zero size.
                    let p = unsafe { self.heap.alloc(layout) };
                    if p.is_null() {
                        self.failures += 1;
                    } else {
                        self.live[self.len] = (p as usize, layout);
                        self.len += 1;
                    }
                }
                Op::Free(pick) => {
                    let i = pick as usize % self.len;
                    let (p, layout) = self.live[i];
                    self.len -= 1;
                    self.live[i] = self.live[self.len];
                    // SAFETY: a live block of this heap with its layout.
                    unsafe { self.heap.dealloc(p as *mut u8, layout) };
                }
            }
            step += 1;
        }
        hprintln!(
            "heap {}: {} steps, {} requests failed",
            self.name,
            step,
            self.failures
        );
    }
}

/// `heap`'s own worst state, which a workload need not reach: every class
/// but the largest full, so that a 4-byte request falls through all of
/// them (and its `dealloc` checks each one's range). Times `pairs_per_state`
/// pairs of that request there, undoes the state, and returns how many
/// classes the request passed and the ticks; `Err` says what went wrong
/// (at most `HELD` blocks are held to fill the classes).
pub fn fall_through_all<const HELD: usize>(
    heap: &SlabHeap,
    pairs_per_state: u32,
) -> Result<(usize, u32), &'static str> {
    let mut held = [(core::ptr::null_mut::<u8>(), Layout::new::<u8>()); HELD];
    let mut n = 0;
    let classes = heap.classes().count();
    for class in heap.classes().take(classes - 1) {
        let layout = Layout::from_size_align(class.block_size(), 4).unwrap();
        while class.num_free() > 0 {
            if n == HELD {
                return Err("filling the classes below the largest: more blocks than HELD");
            }
            // SAFETY: a non-zero size; freed below with the same layout.
            let p = unsafe { heap.alloc(layout) };
            if p.is_null() {
                return Err("filling the classes below the largest");
            }
            held[n] = (p, layout);
            n += 1;
        }
    }
    let smallest = Layout::from_size_align(4, 4).unwrap();
    let ticks = ticks(|| pairs(heap, smallest, pairs_per_state));
    for &(p, layout) in &held[..n] {
        // SAFETY: allocated above with `layout`, not used afterwards.
        unsafe { heap.dealloc(p, layout) };
    }
    if heap.stats().allocated_bytes != 0 {
        return Err("the fall-through state was not undone");
    }
    Ok((classes - 1, ticks))
}
