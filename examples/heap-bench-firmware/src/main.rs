//! The cost of an alloc + free pair in every state of a heap, on a
//! Cortex-M3 under QEMU (`lm3s6965evb`, `-icount shift=0`): `SlabHeap`
//! against embedded-alloc's `LlffHeap` (linked-list first fit) and
//! `TlsfHeap` (two-level segregated fit), each with 14 KiB, all driven by
//! the same workload (`slab_firmware_common::workload`: fill, fragment at the limit, drain).
//!
//! Before each step of the workload, in the state the heap is in, the
//! program times `PAIRS` pairs of alloc + free of that step's request (the
//! request it is about to make, or the block it is about to free) and
//! prints the SysTick ticks: one line per state and heap. A pair leaves the
//! heap as it found it (the peers split and merge back the same hole; a
//! slab pops and pushes the same block), so the pairs measure that state.
//! A request that fails costs what the failure costs (for a list heap, a
//! walk of every hole). `cargo xtask bench` turns the ticks into
//! instructions per pair with the calibration and the empty loop, and
//! reports median and worst case per heap and phase.
//!
//! With `-icount shift=0` QEMU advances virtual time by a fixed step per
//! guest instruction, so SysTick deltas are exact and repeatable; the
//! counting and its calibration are `slab_firmware_common::count`'s (a
//! delta that comes close to SysTick's 24-bit range ends the run).
//!
//! Before the workload, `SlabHeap`'s own worst state is timed too (every
//! class but the largest full, a request of the smallest size): the
//! workload need not reach it, and it bounds what any state costs.
#![no_std]
#![no_main]

use core::alloc::{GlobalAlloc, Layout};
use core::arch::asm;
use core::hint::black_box;
use core::mem::MaybeUninit;

use cortex_m_rt::entry;
use embedded_alloc::{LlffHeap, TlsfHeap};
use slab_firmware_common::count::{self, NOP_LOOPS, ticks};
use slab_firmware_common::workload::{MAX_LIVE, Op, Workload};
use slab_firmware_common::{hprintln, report};

/// Bytes of each heap.
const HEAP_BYTES: usize = 14 * 1024;
/// Pairs per state: one SysTick tick (80 instructions) over this many
/// pairs is well under an instruction per pair, even where QEMU's reads
/// advance by a few hundred ticks at a time.
const PAIRS: u32 = 20_000;

slab_core::slab_heap! {
    /// Seven classes, 14 KiB in all, each promising the 8-byte alignment
    /// the workload asks for (as the list heaps give it).
    static SLAB_HEAP: SlabHeap = [
        (blocks = 64, size = 16, align = 8),
        (blocks = 32, size = 32, align = 8),
        (blocks = 32, size = 64, align = 8),
        (blocks = 16, size = 128, align = 8),
        (blocks = 8, size = 256, align = 8),
        (blocks = 4, size = 512, align = 8),
        (blocks = 4, size = 1024, align = 8),
    ];
}

static LLFF: LlffHeap = LlffHeap::empty();
static TLSF: TlsfHeap = TlsfHeap::empty();

/// A peer's memory.
#[repr(align(8))]
struct Arena(core::cell::UnsafeCell<MaybeUninit<[u8; HEAP_BYTES]>>);
// SAFETY: handed to one heap, once, at start-up.
unsafe impl Sync for Arena {}
static LLFF_ARENA: Arena = Arena(core::cell::UnsafeCell::new(MaybeUninit::uninit()));
static TLSF_ARENA: Arena = Arena(core::cell::UnsafeCell::new(MaybeUninit::uninit()));

/// A heap that does nothing: the loop's own cost.
struct Empty;

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
fn pairs<H: GlobalAlloc>(heap: &H, layout: Layout, n: u32) {
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
struct Runner<'h, H: GlobalAlloc> {
    name: &'static str,
    heap: &'h H,
    live: [(usize, Layout); MAX_LIVE],
    len: usize,
    failures: u32,
}

impl<'h, H: GlobalAlloc> Runner<'h, H> {
    fn new(name: &'static str, heap: &'h H) -> Self {
        Runner {
            name,
            heap,
            live: [(0, Layout::new::<u8>()); MAX_LIVE],
            len: 0,
            failures: 0,
        }
    }

    /// Runs the workload, printing `state NAME STEP PHASE LIVE SIZE TICKS` before
    /// each step.
    fn run(&mut self) {
        let mut work = Workload::new();
        let mut step = 0u32;
        while let Some((phase, op)) = work.next(self.len) {
            let layout = match op {
                Op::Alloc(layout) => layout,
                Op::Free(pick) => self.live[pick as usize % self.len].1,
            };
            let ticks = ticks(|| pairs(self.heap, layout, PAIRS));
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

/// `SlabHeap`'s own worst state, which the workload need not reach: every
/// class but the largest full, so that the smallest request falls through
/// all of them (and its `dealloc` checks each one's range). Prints
/// `fall-through CLASSES_PASSED TICKS`; leaves the heap empty.
fn fall_through_all() {
    const HELD: usize = 64 + 32 + 32 + 16 + 8 + 4;
    let mut held = [(core::ptr::null_mut::<u8>(), Layout::new::<u8>()); HELD];
    let mut n = 0;
    let classes = SLAB_HEAP.classes().count();
    for class in SLAB_HEAP.classes().take(classes - 1) {
        let layout = Layout::from_size_align(class.block_size(), 4).unwrap();
        while class.num_free() > 0 {
            // SAFETY: a non-zero size; freed below with the same layout.
            let p = unsafe { SLAB_HEAP.alloc(layout) };
            if p.is_null() || n == HELD {
                fail("filling the classes below the largest");
            }
            held[n] = (p, layout);
            n += 1;
        }
    }
    let smallest = Layout::from_size_align(4, 4).unwrap();
    let ticks = ticks(|| pairs(&SLAB_HEAP, smallest, PAIRS));
    hprintln!("fall-through {} {}", classes - 1, ticks);
    for &(p, layout) in &held[..n] {
        // SAFETY: allocated above with `layout`, not used afterwards.
        unsafe { SLAB_HEAP.dealloc(p, layout) };
    }
    if SLAB_HEAP.stats().allocated_bytes != 0 {
        fail("the fall-through state was not undone");
    }
}

fn fail(what: &str) -> ! {
    report::fatal(file!(), line!(), format_args!("{what}"))
}

#[entry]
fn main() -> ! {
    report::set_name(&"heap-bench");
    count::start();
    slab_core::boot();
    // SAFETY: start-up: each arena is given to one heap, once, and nothing
    // else refers to it.
    unsafe {
        LLFF.init(LLFF_ARENA.0.get() as usize, HEAP_BYTES);
        TLSF.init(TLSF_ARENA.0.get() as usize, HEAP_BYTES);
    }

    hprintln!(
        "heap-bench: SlabHeap vs embedded-alloc LLFF and TLSF on {}, {}-byte heaps, {} pairs per state",
        env!("FIRMWARE_TARGET"),
        HEAP_BYTES,
        PAIRS
    );
    let (with_nops, empty) = count::calibrate();
    hprintln!(
        "calibration: {} nops in {} ticks, the empty loop {} ticks",
        u64::from(NOP_LOOPS) * 100,
        with_nops,
        empty
    );
    let layout = Layout::from_size_align(16, 4).unwrap();
    hprintln!(
        "empty: {} ticks per {} pairs",
        ticks(|| pairs(&Empty, layout, PAIRS)),
        PAIRS
    );

    fall_through_all();
    Runner::new("slab", &SLAB_HEAP).run();
    let r = SLAB_HEAP.refusals();
    hprintln!(
        "slab refusals: {} too large, {} over-aligned, {} before boot, {} exhausted",
        r.too_large,
        r.over_aligned,
        r.before_boot,
        r.exhausted
    );
    Runner::new("llff", &LLFF).run();
    Runner::new("tlsf", &TLSF).run();

    hprintln!("heap-bench: done");
    slab_firmware_common::exit(0)
}
