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

mod runner;

use core::alloc::Layout;
use core::mem::MaybeUninit;

use cortex_m_rt::entry;
use embedded_alloc::{LlffHeap, TlsfHeap};
use runner::{Empty, Runner, pairs};
use slab_firmware_common::count::{self, NOP_LOOPS, ticks};
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

/// `SlabHeap`'s own worst state, which the workload need not reach (see
/// [`runner::fall_through_all`]). Prints `fall-through CLASSES_PASSED
/// TICKS`; leaves the heap empty.
fn fall_through_all() {
    const HELD: usize = 64 + 32 + 32 + 16 + 8 + 4;
    match runner::fall_through_all::<HELD>(&SLAB_HEAP, PAIRS) {
        Ok((passed, ticks)) => hprintln!("fall-through {} {}", passed, ticks),
        Err(what) => fail(what),
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
    Runner::new("slab", &SLAB_HEAP).run(PAIRS);
    let r = SLAB_HEAP.refusals();
    hprintln!(
        "slab refusals: {} too large, {} over-aligned, {} before boot, {} exhausted",
        r.too_large,
        r.over_aligned,
        r.before_boot,
        r.exhausted
    );
    Runner::new("llff", &LLFF).run(PAIRS);
    Runner::new("tlsf", &TLSF).run(PAIRS);

    hprintln!("heap-bench: done");
    slab_firmware_common::exit(0)
}
