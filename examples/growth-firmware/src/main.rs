//! How `boot()` grows: the slabs `build.rs` declares (`GROWTH_SLABS` of
//! `GROWTH_BLOCKS` blocks each), booted once between two marker calls.
//!
//! `cargo xtask bench --only growth` runs it under QEMU with one
//! instruction per translation block and the executed-instruction trace
//! (`-singlestep -d exec,nochain`), and counts the instructions between
//! the markers' first instructions: first around nothing (the markers' own
//! cost), then around `boot()`'s duplicate-name check alone, then around
//! `boot()`. The firmware checks that every slab came out ready and whole,
//! and prints what it booted.
#![no_std]
#![no_main]

use cortex_m_rt::entry;
use cortex_m_semihosting::{debug, hprintln};
use panic_semihosting as _;

include!(concat!(env!("OUT_DIR"), "/slabs.rs"));

/// Where a measured span starts: the trace's reader looks for this
/// function's first instruction.
#[unsafe(no_mangle)]
#[inline(never)]
pub extern "C" fn growth_mark_start() {
    // SAFETY: a `nop`: the call is kept, and the two markers' code differs
    // (so that the linker does not fold them into one function).
    unsafe { core::arch::asm!("nop", options(nomem, nostack, preserves_flags)) };
}

/// Where a measured span ends (as [`growth_mark_start`]).
#[unsafe(no_mangle)]
#[inline(never)]
pub extern "C" fn growth_mark_end() {
    // SAFETY: two `nop`s (as in `growth_mark_start`).
    unsafe { core::arch::asm!("nop", "nop", options(nomem, nostack, preserves_flags)) };
}

#[entry]
fn main() -> ! {
    growth_mark_start();
    growth_mark_end();

    growth_mark_start();
    let compared = slab_core::__private::registry_name_comparisons();
    growth_mark_end();

    growth_mark_start();
    slab_core::boot();
    growth_mark_end();

    let (slabs, blocks) = SHAPE;
    let registry = slab_core::registry();
    let whole = registry
        .iter()
        .filter(|s| s.is_ready() && s.num_free() == blocks && s.num_blocks() == blocks)
        .count();
    hprintln!(
        "growth: {} slabs of {} blocks declared, {} booted whole, {} names compared",
        slabs,
        blocks,
        whole,
        compared
    );
    if whole == slabs && registry.len() == slabs {
        debug::exit(debug::EXIT_SUCCESS);
    } else {
        hprintln!("growth: FAILED");
        debug::exit(debug::EXIT_FAILURE);
    }
    loop {
        cortex_m::asm::nop();
    }
}
