//! The allocation workload of the heap benchmarks, shared by the QEMU
//! firmware (`examples/heap-bench-firmware`) and the host benchmark
//! (`slab-tests/benches/heap.rs`, which includes this file): a reproducible
//! sequence of requests that fills a heap, churns it at its limit
//! (fragmenting the peers), then drains it. `no_std`, no allocation, no
//! other module of this crate.

use core::alloc::Layout;

/// Where the workload is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Phase {
    /// Mostly allocations: the heap fills up.
    Fill,
    /// As many frees as allocations, at the heap's limit: it fragments.
    Fragment,
    /// Only frees, until nothing is live.
    Drain,
}

impl Phase {
    /// Its name in the firmware's output.
    pub fn name(self) -> &'static str {
        match self {
            Phase::Fill => "fill",
            Phase::Fragment => "fragment",
            Phase::Drain => "drain",
        }
    }
}

/// One step.
#[derive(Clone, Copy, Debug)]
pub enum Op {
    /// Allocate and keep.
    Alloc(Layout),
    /// Free the live allocation at `pick % live`.
    Free(u32),
}

/// Steps of the fill phase, then of the fragment phase; the drain phase
/// lasts until nothing is live.
pub const FILL_STEPS: u32 = 200;
/// Steps of the fragment phase.
pub const FRAGMENT_STEPS: u32 = 300;
/// Live allocations at most (the runners' fixed tables).
pub const MAX_LIVE: usize = 256;

/// The request sizes: many small, a few large, up to 1 KiB, as firmware
/// buffers and collections tend to be.
fn size(r: u32) -> usize {
    let pick = r % 100;
    let r = (r >> 8) as usize;
    match pick {
        0..50 => 4 + r % 29,     // 4..=32
        50..80 => 33 + r % 96,   // 33..=128
        80..95 => 129 + r % 384, // 129..=512
        _ => 513 + r % 512,      // 513..=1024
    }
}

/// The workload: `next(live)` gives the step for a heap holding `live`
/// allocations, the same sequence for every heap that follows it.
pub struct Workload {
    rng: u32,
    step: u32,
}

impl Default for Workload {
    fn default() -> Self {
        Self::new()
    }
}

impl Workload {
    /// The workload from its first step (always the same sequence).
    pub const fn new() -> Self {
        Workload {
            rng: 0x2545_f491,
            step: 0,
        }
    }

    fn random(&mut self) -> u32 {
        // xorshift32
        self.rng ^= self.rng << 13;
        self.rng ^= self.rng >> 17;
        self.rng ^= self.rng << 5;
        self.rng
    }

    /// The next step, or `None` once drained. The random draws do not
    /// depend on `live`, so heaps that hold different numbers of blocks
    /// still see the same requests.
    pub fn next(&mut self, live: usize) -> Option<(Phase, Op)> {
        let (a, b, c) = (self.random(), self.random(), self.random());
        let step = self.step;
        self.step += 1;
        let phase = if step < FILL_STEPS {
            Phase::Fill
        } else if step < FILL_STEPS + FRAGMENT_STEPS {
            Phase::Fragment
        } else {
            Phase::Drain
        };
        let alloc_percent = match phase {
            Phase::Fill => 80,
            Phase::Fragment => 50,
            Phase::Drain => 0,
        };
        if phase == Phase::Drain && live == 0 {
            return None;
        }
        let align = if c % 8 == 0 { 8 } else { 4 };
        let op = if a % 100 < alloc_percent && live < MAX_LIVE || live == 0 {
            Op::Alloc(Layout::from_size_align(size(b), align).expect("a valid layout"))
        } else {
            Op::Free(b)
        };
        Some((phase, op))
    }
}
