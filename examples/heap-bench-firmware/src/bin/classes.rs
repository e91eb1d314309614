//! `SlabHeap`'s cost as its size classes grow, on a Cortex-M3 under QEMU
//! (`lm3s6965evb`, `-icount shift=0`): five heaps of 1, 2, 4, 8 and 16
//! classes, 8 KiB each, every one with a largest class of 1024 bytes (the
//! workload's largest request), beside embedded-alloc's `TlsfHeap` of the
//! same 8 KiB.
//!
//! For each heap, two things are timed, as `src/main.rs` times them:
//! - its own worst state (every class but the largest full, a request of
//!   4 bytes, which passes every full class on `alloc` and checks their
//!   ranges on `dealloc`): `fall-through NAME CLASSES_PASSED TICKS`;
//! - every state of the shared workload (fill, fragment, drain), `PAIRS`
//!   pairs of that step's request before each step: `state …` lines
//!   (`runner.rs`).
//!
//! `cargo xtask bench --only heap-classes` turns the ticks into
//! instructions per pair with the calibration and the empty loop.
#![no_std]
#![no_main]

#[path = "../runner.rs"]
mod runner;

use core::alloc::Layout;
use core::mem::MaybeUninit;

use cortex_m_rt::entry;
use embedded_alloc::TlsfHeap;
use runner::{Empty, Runner, pairs};
use slab_core::SlabHeap;
use slab_firmware_common::count::{self, NOP_LOOPS, ticks};
use slab_firmware_common::{hprintln, report};

/// Bytes of every heap.
const HEAP_BYTES: usize = 8 * 1024;
/// Pairs per state, as `src/main.rs` times them: one SysTick tick (80
/// instructions) over this many pairs is 0.004 instructions per pair.
const PAIRS: u32 = 20_000;
/// Blocks held at most to fill every class but the largest (the
/// 8-class heap's 110 is the most).
const HELD: usize = 128;

slab_core::slab_heap! {
    /// One class: 8 × 1024 bytes.
    static CLASSES_1: SlabHeap = [
        (blocks = 8, size = 1024, align = 8),
    ];
}

slab_core::slab_heap! {
    /// Two classes, 4 KiB each.
    static CLASSES_2: SlabHeap = [
        (blocks = 64, size = 64, align = 8),
        (blocks = 4, size = 1024, align = 8),
    ];
}

slab_core::slab_heap! {
    /// Four classes, a power of four apart.
    static CLASSES_4: SlabHeap = [
        (blocks = 64, size = 16, align = 8),
        (blocks = 32, size = 64, align = 8),
        (blocks = 8, size = 256, align = 8),
        (blocks = 3, size = 1024, align = 8),
    ];
}

slab_core::slab_heap! {
    /// Eight classes, about a power of two apart.
    static CLASSES_8: SlabHeap = [
        (blocks = 48, size = 16, align = 8),
        (blocks = 16, size = 32, align = 8),
        (blocks = 16, size = 48, align = 8),
        (blocks = 16, size = 64, align = 8),
        (blocks = 8, size = 128, align = 8),
        (blocks = 4, size = 256, align = 8),
        (blocks = 2, size = 512, align = 8),
        (blocks = 2, size = 1024, align = 8),
    ];
}

slab_core::slab_heap! {
    /// Sixteen classes, about a half power of two apart.
    static CLASSES_16: SlabHeap = [
        (blocks = 40, size = 16, align = 8),
        (blocks = 16, size = 24, align = 8),
        (blocks = 16, size = 32, align = 8),
        (blocks = 8, size = 40, align = 8),
        (blocks = 8, size = 48, align = 8),
        (blocks = 8, size = 64, align = 8),
        (blocks = 4, size = 96, align = 8),
        (blocks = 4, size = 128, align = 8),
        (blocks = 2, size = 192, align = 8),
        (blocks = 2, size = 256, align = 8),
        (blocks = 1, size = 320, align = 8),
        (blocks = 1, size = 384, align = 8),
        (blocks = 1, size = 512, align = 8),
        (blocks = 1, size = 640, align = 8),
        (blocks = 1, size = 768, align = 8),
        (blocks = 1, size = 1024, align = 8),
    ];
}

/// The heaps, as the output names them.
static HEAPS: [(&str, &SlabHeap); 5] = [
    ("slab1", &CLASSES_1),
    ("slab2", &CLASSES_2),
    ("slab4", &CLASSES_4),
    ("slab8", &CLASSES_8),
    ("slab16", &CLASSES_16),
];

static TLSF: TlsfHeap = TlsfHeap::empty();

/// TLSF's memory.
#[repr(align(8))]
struct Arena(core::cell::UnsafeCell<MaybeUninit<[u8; HEAP_BYTES]>>);
// SAFETY: handed to the heap, once, at start-up.
unsafe impl Sync for Arena {}
static TLSF_ARENA: Arena = Arena(core::cell::UnsafeCell::new(MaybeUninit::uninit()));

/// `heap`'s own worst state (see [`runner::fall_through_all`]). Prints
/// `fall-through NAME CLASSES_PASSED TICKS`; leaves the heap empty.
fn fall_through_all(name: &str, heap: &SlabHeap) {
    match runner::fall_through_all::<HELD>(heap, PAIRS) {
        Ok((passed, ticks)) => hprintln!("fall-through {} {} {}", name, passed, ticks),
        Err(what) => fail(what),
    }
}

fn fail(what: &str) -> ! {
    report::fatal(file!(), line!(), format_args!("{what}"))
}

#[entry]
fn main() -> ! {
    report::set_name(&"heap-classes");
    count::start();
    slab_core::boot();
    // SAFETY: start-up: the arena is given to one heap, once, and nothing
    // else refers to it.
    unsafe { TLSF.init(TLSF_ARENA.0.get() as usize, HEAP_BYTES) };

    hprintln!(
        "heap-classes: SlabHeap of 1 to 16 classes vs embedded-alloc TLSF on {}, {}-byte heaps, {} pairs per state",
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

    for (name, heap) in HEAPS {
        let bytes: usize = heap
            .classes()
            .map(|c| c.block_size() * c.num_blocks())
            .sum();
        if bytes != HEAP_BYTES {
            fail("a heap's classes do not add up to HEAP_BYTES");
        }
        hprintln!("classes {} {} {}", name, heap.classes().count(), bytes);
        fall_through_all(name, heap);
        Runner::new(name, heap).run(PAIRS);
    }
    Runner::new("tlsf", &TLSF).run(PAIRS);

    hprintln!("heap-classes: done");
    slab_firmware_common::exit(0)
}
