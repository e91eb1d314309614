//! `SlabHeap` against the system allocator on the host, over the workload
//! of the QEMU heap benchmark (`examples/common/src/workload.rs`, which
//! `examples/heap-bench-firmware` uses, included here): before each step, in the state the heap is in, the time
//! of `PAIRS` alloc + free pairs of that step's request. Each heap runs the
//! workload `ROUNDS` times and each state keeps its fastest round (the
//! machine is shared; the minimum is the least disturbed). Prints, per
//! heap, the median and the worst state in ns per pair and the ratios.
//! A program, not a test: `cargo bench -p slab-tests --bench heap` (or
//! `cargo xtask bench`).
//!
//! The system allocator has no capacity limit, so its requests never fail;
//! the slab heap has the firmware's 14 KiB of classes and fails some, as
//! on the target.

use std::alloc::{GlobalAlloc, Layout, System};
use std::hint::black_box;
use std::time::Instant;

#[path = "../../examples/common/src/workload.rs"]
#[allow(dead_code)]
mod workload;

use workload::{MAX_LIVE, Op, Phase, Workload};

slab_core::slab_heap! {
    /// The firmware benchmark's classes, 14 KiB in all.
    static SLAB_HEAP: SlabHeap = [
        (blocks = 64, size = 16),
        (blocks = 32, size = 32),
        (blocks = 32, size = 64),
        (blocks = 16, size = 128),
        (blocks = 8, size = 256),
        (blocks = 4, size = 512),
        (blocks = 4, size = 1024),
    ];
}

const PAIRS: u32 = 200;
const ROUNDS: usize = 7;

/// `PAIRS` pairs of `layout` on `heap`, in ns per pair.
#[inline(never)]
fn pairs<H: GlobalAlloc>(heap: &H, layout: Layout) -> f64 {
    let start = Instant::now();
    for _ in 0..PAIRS {
        // SAFETY: a non-zero size; a block is freed with its own layout.
        unsafe {
            let p = heap.alloc(black_box(layout));
            if !p.is_null() {
                heap.dealloc(black_box(p), layout);
            }
        }
    }
    start.elapsed().as_nanos() as f64 / f64::from(PAIRS)
}

/// One run of the workload: ns per pair in each state, with its phase.
fn run<H: GlobalAlloc>(heap: &H) -> Vec<(Phase, f64)> {
    let mut live: Vec<(usize, Layout)> = Vec::with_capacity(MAX_LIVE);
    let mut out = Vec::new();
    let mut work = Workload::new();
    while let Some((phase, op)) = work.next(live.len()) {
        let layout = match op {
            Op::Alloc(layout) => layout,
            Op::Free(pick) => live[pick as usize % live.len()].1,
        };
        out.push((phase, pairs(heap, layout)));
        match op {
            Op::Alloc(layout) => {
                // SAFETY: a non-zero size.
                let p = unsafe { heap.alloc(layout) };
                if !p.is_null() {
                    live.push((p as usize, layout));
                }
            }
            Op::Free(pick) => {
                let (p, layout) = live.swap_remove(pick as usize % live.len());
                // SAFETY: a live block of this heap, with its layout.
                unsafe { heap.dealloc(p as *mut u8, layout) };
            }
        }
    }
    out
}

/// Per state, the fastest of `ROUNDS` runs.
fn measure<H: GlobalAlloc>(heap: &H) -> Vec<(Phase, f64)> {
    let mut best = run(heap);
    for _ in 1..ROUNDS {
        for (b, (_, ns)) in best.iter_mut().zip(run(heap)) {
            b.1 = b.1.min(ns);
        }
    }
    best
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn main() {
    slab_core::boot();
    let heaps = [("slab", measure(&SLAB_HEAP)), ("system", measure(&System))];
    println!(
        "heap-host: {PAIRS} pairs per state, fastest of {ROUNDS} runs per state, \
         the QEMU benchmark's workload"
    );
    println!(
        "{:<8} {:>8} {:>14} {:>14} {:>14} {:>14}",
        "heap", "states", "median ns", "worst ns", "worst fill", "worst fragment"
    );
    let mut summary = Vec::new();
    for (name, states) in &heaps {
        let ns: Vec<f64> = states.iter().map(|s| s.1).collect();
        let worst_in = |phase| {
            states
                .iter()
                .filter(|s| s.0 == phase)
                .map(|s| s.1)
                .fold(0.0, f64::max)
        };
        let (med, worst) = (median(ns.clone()), ns.iter().copied().fold(0.0, f64::max));
        println!(
            "{name:<8} {:>8} {med:>14.1} {worst:>14.1} {:>14.1} {:>14.1}",
            ns.len(),
            worst_in(Phase::Fill),
            worst_in(Phase::Fragment),
        );
        summary.push((med, worst));
    }
    let (slab, system) = (summary[0], summary[1]);
    println!(
        "ratio slab/system: median {:.2}, worst {:.2}",
        slab.0 / system.0,
        slab.1 / system.1
    );
}
