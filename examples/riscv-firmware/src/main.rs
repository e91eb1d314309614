//! slab on one RISC-V hart (riscv32imac), under QEMU (`virt`, `-bios
//! none`), with riscv-rt, the `riscv` crate's `critical-section-single-hart`
//! and semihosting.
//!
//! Checks that declared slabs refuse everything before `boot()`; the
//! registry (kept in flash by `slab.x`, linked with riscv-rt's `link.x`);
//! the fast paths of both `checks` levels (drain, bad pointers, double
//! free, corrupted links: the Cortex-M firmware's `fast_path` module);
//! rounds of a machine-timer or machine-software interrupt freeing a block
//! to a thread-mode `alloc(Forever)` and a finite `alloc`, through the
//! masked-`wfi` wait hook of `board`; finite timeouts measured by `mtime`
//! that expire; a `.noinit` slab; and a `SlabHeap` as the global
//! allocator. Every check counts; the run ends with `firmware: N passed, N
//! failed` and a semihosting exit status (0 only when none failed;
//! examples/common's report). Build
//! and run: `cargo run --release` here, or `cargo test -p slab-tests --test
//! qemu_riscv` in the workspace.
#![no_std]
#![no_main]

extern crate alloc;

#[macro_use]
extern crate slab_firmware_common;

mod board;
#[path = "../../firmware/src/fast_path.rs"]
mod fast_path;

use alloc::boxed::Box;
use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;
use core::alloc::{GlobalAlloc, Layout};
use core::time::Duration;

use slab_core::{AllocError, MemSlab, Timeout, mem_slab};

use board::{Job, Ring};
use slab_firmware_common::handoff;
use slab_firmware_common::{report, suite};

/// Exhausted and refilled from thread mode.
#[mem_slab(blocks = 4, size = 24)]
static POOL: MemSlab;

slab_core::mem_slabs! {
    /// Freed by interrupt handlers to a waiting thread.
    static HANDOFF(blocks = 2, size = 32);
    /// Blocks in RAM that reset leaves alone (`slab.x` places `.noinit`).
    static NOINIT_FRAMES(blocks = 2, size = 64, section = ".noinit");
}

slab_core::slab_heap! {
    /// The firmware's heap: three size classes.
    #[global_allocator]
    static HEAP: SlabHeap = [
        (blocks = 16, size = 16),
        (blocks = 8, size = 64),
        (blocks = 4, size = 256),
    ];
}

/// The slabs this file declares, the heap's classes and `fast_path`'s.
const DECLARED: usize = 3 + 3 + fast_path::DECLARED;

/// Rounds of interrupt-to-thread hand-off, each with one `Forever` and one
/// finite wait; the rounds take turns at the three ways of `board::Ring`.
const ROUNDS: u32 = 1200;

/// QEMU `virt`'s RAM as `memory.x` gives it.
const RAM: core::ops::Range<usize> = slab_firmware_common::board::RAM;

#[riscv_rt::entry]
fn main() -> ! {
    before_boot();
    fast_path::before_boot();
    slab_core::boot();
    slab_core::boot(); // idempotent
    slab_core::set_wait_hook(board::wait_hook);
    slab_core::set_clock(board::now, board::MTIME_HZ);
    board::start();

    hprintln!("firmware: slab on {}", slab_firmware_common::TARGET);
    hprint!("{}", slab_core::registry());
    registry();
    suite::exhaust_and_refill(&POOL);
    fast_path::run();
    noinit();
    handoff_rounds();
    timeouts_expire();
    heap();
    final_counts();

    hprintln!("firmware: registry at the end");
    hprint!("{}", slab_core::registry());
    report::finish()
}

/// Declared slabs, and the heap, are unusable until `boot()`.
fn before_boot() {
    suite::before_boot(&POOL);
    let layout = Layout::from_size_align(16, 4).expect("a layout");
    // SAFETY: a non-zero-sized layout; the result is only compared.
    check!(unsafe { HEAP.alloc(layout) }.is_null(), "the heap is null");
}

/// The registry lists every declared slab once, booted, the heap's
/// classes too.
fn registry() {
    suite::registry(
        DECLARED,
        &[
            ("POOL", &POOL, 24, 4),
            ("HANDOFF", &HANDOFF, 32, 2),
            ("NOINIT_FRAMES", &NOINIT_FRAMES, 64, 2),
        ],
    );
    let registry = slab_core::registry();
    for name in ["HEAP/16", "HEAP/64", "HEAP/256"] {
        check!(registry.find(name).is_some(), "{name} is registered");
    }
}

/// `NOINIT_FRAMES`: its buffer is in RAM; its blocks keep what is written.
fn noinit() {
    let range = NOINIT_FRAMES.buffer_range();
    check!(
        RAM.contains(&range.start) && range.end <= RAM.end,
        "the .noinit buffer {range:x?} is in RAM"
    );
    let first = NOINIT_FRAMES.alloc(Timeout::NoWait).expect("a block");
    let second = NOINIT_FRAMES.alloc(Timeout::NoWait).expect("a block");
    for (block, fill) in [(first, 0xa5u8), (second, 0x5a)] {
        // SAFETY: an allocated block of 64 bytes, owned here.
        unsafe { block.as_ptr().write_bytes(fill, 64) };
    }
    for (block, fill) in [(first, 0xa5u8), (second, 0x5a)] {
        // SAFETY: the 64 bytes written above, still owned here.
        let bytes = unsafe { core::slice::from_raw_parts(block.as_ptr(), 64) };
        check!(bytes.iter().all(|&b| b == fill), "a block keeps its bytes");
        // SAFETY: allocated above from this slab, freed once.
        check_eq!(unsafe { NOINIT_FRAMES.free(block) }, Ok(()));
    }
    check_eq!(NOINIT_FRAMES.num_free(), 2);
}

/// `limit` in `mtime` ticks, rounded up.
fn ticks(limit: Duration) -> u64 {
    suite::ticks(limit, board::MTIME_HZ)
}

/// `HANDOFF`: thread mode holds both blocks, parks one for a handler and
/// waits; the handler frees it once the thread waits, straight to the
/// thread. The rounds take turns: the machine timer frees; the doorbell
/// frees, rung by the wait hook before it masks interrupts; the doorbell
/// frees, raised while masked just before `wfi`. Each round waits
/// `Forever`, then with a finite timeout.
fn handoff_rounds() {
    let first = HANDOFF.alloc(Timeout::NoWait).expect("HANDOFF block");
    let parked = HANDOFF.alloc(Timeout::NoWait).expect("HANDOFF block");
    check_eq!(HANDOFF.alloc(Timeout::NoWait), Err(AllocError::NoMemory));
    let start = board::now();
    let before = board::hook();
    let mut waits = [0u32; 3];
    for round in 0..ROUNDS {
        for timeout in [Timeout::Forever, Timeout::millis(100)] {
            let (jobs, ring) = board::handler_for(round);
            waits[ring as usize] += 1;
            let waited_from = board::now();
            board::park_block(parked);
            jobs.set(Job::FreeToWaiter);
            let got = HANDOFF.alloc(timeout);
            board::stop_ringing();
            check_eq!(got, Ok(parked));
            check_eq!(jobs.get(), Job::Idle);
            check!(!board::block_parked());
            check_eq!(
                (
                    HANDOFF.num_used(),
                    HANDOFF.num_free(),
                    HANDOFF.num_waiting()
                ),
                (2, 0, 0)
            );
            if let Timeout::After(limit) = timeout {
                let waited = board::now() - waited_from;
                check!(
                    waited < ticks(limit),
                    "round {round}: a finite wait ended by the hand-off ({waited} ticks)"
                );
            }
        }
    }
    handoff::check_tally(2 * ROUNDS);
    let hook = board::hook();
    let (in_window, masked) = (
        waits[Ring::InWindow as usize],
        waits[Ring::WhileMasked as usize],
    );
    // Every wait served in the window found the event set instead of
    // sleeping past the hand-off; every masked one slept and woke with
    // the doorbell still pending.
    check!(
        hook.event_seen - before.event_seen >= in_window,
        "the event was seen in {} of {in_window} waits served in the window",
        hook.event_seen - before.event_seen
    );
    check!(
        hook.woke_masked - before.woke_masked >= masked,
        "wfi woke on the masked doorbell {} times in {masked} waits",
        hook.woke_masked - before.woke_masked
    );
    check!(
        hook.slept - before.slept >= masked + waits[Ring::No as usize] / 2,
        "the hart slept in {} waits",
        hook.slept - before.slept
    );
    hprintln!(
        "firmware: {} interrupt-to-thread hand-offs ({} by the machine timer, {} by the doorbell in the window, {} by the doorbell while masked) in {} ms",
        2 * ROUNDS,
        waits[Ring::No as usize],
        in_window,
        masked,
        (board::now() - start) * 1000 / board::MTIME_HZ
    );
    for block in [first, parked] {
        // SAFETY: allocated (or handed over) above, not used afterwards.
        check_eq!(unsafe { HANDOFF.free(block) }, Ok(()));
    }
    check_eq!((HANDOFF.num_used(), HANDOFF.num_free()), (0, 2));
}

/// Nobody frees: finite waits time out, after at least the timeout by
/// `mtime`, noticed within a few timer periods, and leave nothing behind
/// (`suite`; generous for a loaded host: QEMU's `mtime` follows the host
/// clock); the hart slept through them, woken by the timer.
fn timeouts_expire() {
    let ticks_before = board::ticks();
    suite::timeouts_expire(
        &HANDOFF,
        board::now,
        board::MTIME_HZ,
        Duration::from_millis(20),
    );
    check!(board::ticks() > ticks_before, "the machine timer ticked");
}

/// `SlabHeap` as the global allocator: `Vec`, `String` and `Box` come from
/// the smallest class that fits, and go back.
fn heap() {
    let class = |size: usize| {
        HEAP.classes()
            .find(|c| c.block_size() == size)
            .expect("a class")
    };
    check_eq!(HEAP.stats().allocated_bytes, 0);
    let boxed = Box::new([7u8; 40]);
    check_eq!(class(64).num_used(), 1);
    check_eq!(boxed.iter().map(|&b| u32::from(b)).sum::<u32>(), 280);
    let mut numbers: Vec<u32> = Vec::new();
    for i in 0..50 {
        numbers.push(i);
    }
    check_eq!(numbers.iter().sum::<u32>(), 1225);
    // 50 words: the 256-byte class.
    check_eq!(class(256).num_used(), 1);
    let text: String = format!("{} on {}", numbers.len(), slab_firmware_common::TARGET);
    check_eq!(text.as_str(), "50 on riscv32imac-unknown-none-elf");
    check!(HEAP.stats().allocated_bytes >= 64 + 256 + 16);
    drop((boxed, numbers, text));
    check_eq!(HEAP.stats().allocated_bytes, 0);
    // Too big for every class: the allocation fails instead of panicking.
    let mut big: Vec<u8> = Vec::new();
    check!(
        big.try_reserve_exact(1024).is_err(),
        "1024 bytes do not fit"
    );
    // The largest class exhausted: null, nothing changes.
    let layout = Layout::from_size_align(256, 4).expect("a layout");
    // SAFETY: non-zero-sized layouts; each non-null block is freed below
    // with the same layout.
    unsafe {
        let blocks: [*mut u8; 4] = core::array::from_fn(|_| HEAP.alloc(layout));
        check!(blocks.iter().all(|b| !b.is_null()), "four 256-byte blocks");
        check!(HEAP.alloc(layout).is_null(), "the fifth is null");
        for block in blocks {
            HEAP.dealloc(block, layout);
        }
    }
    check_eq!(HEAP.stats().allocated_bytes, 0);
    hprintln!("firmware: SlabHeap: Vec, String and Box from the smallest class that fits");
}

/// Every count checks out.
fn final_counts() {
    suite::final_counts(&[("POOL", 0, 4, 4), ("HANDOFF", 0, 2, 2)]);
}
