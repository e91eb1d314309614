//! slab-core's defmt output as a user's firmware sees it: `trace::defmt_hook`
//! logs every slab event, and the holders, the leak suspects and the
//! registry's table (`defmt::Format`) name the sites that hold blocks, an
//! interrupt handler that keeps one among them. defmt-semihosting carries
//! the frames; `slab-tests/tests/qemu_defmt.rs` decodes and checks them.
//!
//! The tracking clock is a counter the program advances itself, so the
//! ticks in the output are the same on every run.
#![no_std]
#![no_main]

use core::ptr::NonNull;
use core::sync::atomic::{AtomicU32, AtomicUsize, Ordering};

use cortex_m::peripheral::SCB;
use cortex_m_rt::{entry, exception};
use cortex_m_semihosting::debug;
use defmt_semihosting as _;
use slab_core::capi::{k_mem_slab_find, k_mem_slab_free_checked};
use slab_core::trace;
use slab_core::{AllocError, FreeError, MemSlab, Timeout, mem_slab};

#[mem_slab(blocks = 2, size = 16)]
static LEAKY: MemSlab;

#[mem_slab(blocks = 4, size = 24)]
static POOL: MemSlab;

unsafe extern "C" {
    /// `c/pool.c`: a block of its `K_MEM_SLAB_DEFINE`d slab `c_pool`, taken
    /// with `k_mem_slab_alloc` (which records the C line), or null.
    fn c_pool_take() -> *mut core::ffi::c_void;
}

/// The tracking clock's ticks.
static NOW: AtomicU32 = AtomicU32::new(0);
/// The block the PendSV handler took, or 0.
static KEPT: AtomicUsize = AtomicUsize::new(0);

fn now() -> u64 {
    u64::from(NOW.load(Ordering::Relaxed))
}

fn advance(ticks: u32) {
    NOW.fetch_add(ticks, Ordering::Relaxed);
}

/// The bug: an interrupt handler takes a block and never gives it back.
#[exception]
fn PendSV() {
    let taken = LEAKY.alloc(Timeout::NoWait); // SITE handler
    if let Ok(block) = taken {
        KEPT.store(block.as_ptr() as usize, Ordering::Relaxed);
    }
}

#[panic_handler]
fn panic(info: &core::panic::PanicInfo) -> ! {
    defmt::error!("panic: {}", defmt::Display2Format(info));
    exit(false)
}

fn exit(success: bool) -> ! {
    debug::exit(if success {
        debug::EXIT_SUCCESS
    } else {
        debug::EXIT_FAILURE
    });
    loop {
        cortex_m::asm::wfi();
    }
}

/// Logs a failed check and remembers it.
fn check(ok: bool, what: &str, failed: &mut u32) {
    if !ok {
        defmt::error!("check failed: {=str}", what);
        *failed += 1;
    }
}

#[entry]
fn main() -> ! {
    let mut failed = 0;
    // The hook first: `boot()` then threads the slabs with their fast
    // paths closed, and every event is logged.
    check(
        trace::set_trace_hook(trace::defmt_hook).is_ok(),
        "hook set",
        &mut failed,
    );
    slab_core::boot();
    slab_core::set_clock(now, 1_000);

    advance(5);
    // The handler runs as soon as it is pended.
    SCB::set_pendsv();
    cortex_m::asm::dsb();
    cortex_m::asm::isb();
    check(
        KEPT.load(Ordering::Relaxed) != 0,
        "the handler's block",
        &mut failed,
    );
    advance(100);
    let mine = LEAKY.alloc(Timeout::NoWait); // SITE mine
    check(mine.is_ok(), "thread mode's block", &mut failed);
    advance(10);
    check(
        LEAKY.alloc(Timeout::NoWait) == Err(AllocError::NoMemory),
        "LEAKY exhausted",
        &mut failed,
    );
    let mut not_a_block = 0u32;
    // SAFETY: refused without being touched (outside the slab's buffer).
    let foreign = unsafe { LEAKY.free(NonNull::from(&mut not_a_block).cast()) };
    check(
        foreign == Err(FreeError::Foreign),
        "foreign free refused",
        &mut failed,
    );
    let session = POOL.alloc_block(Timeout::NoWait); // SITE session
    check(session.is_ok(), "POOL's block", &mut failed);
    if let Ok(session) = &session {
        check(
            POOL.set_tag(session.as_ptr(), 7).is_ok(),
            "tagged",
            &mut failed,
        );
    }

    // C code holds a block of its own slab, defined with SLAB_CORE_TRACK.
    // SAFETY: a NUL-terminated name; the handle it returns (or null).
    let c_pool = unsafe {
        let handle = k_mem_slab_find(c"c_pool".as_ptr());
        slab_core::capi::mem_slab(handle).map(|slab| (handle, slab))
    };
    check(
        c_pool.is_some_and(|(_, s)| s.is_tracked()),
        "c_pool is tracked",
        &mut failed,
    );
    // SAFETY: C code allocating from its own slab.
    let c_block = unsafe { c_pool_take() };
    check(!c_block.is_null(), "C's block", &mut failed);

    defmt::info!("{}", slab_core::registry());
    let c_holders = c_pool.into_iter().flat_map(|(_, slab)| slab.holders());
    for holder in LEAKY.holders().chain(POOL.holders()).chain(c_holders) {
        defmt::info!("holder: {}", holder);
    }
    let mut suspects = 0;
    for suspect in LEAKY.held_longer_than(50).chain(POOL.held_longer_than(50)) {
        defmt::warn!("leak suspect: {}", suspect);
        suspects += 1;
    }
    check(suspects == 1, "one leak suspect", &mut failed);

    drop(session);
    if let Some((handle, _)) = c_pool {
        // SAFETY: C's block, given back once through the C ABI.
        let freed = unsafe { k_mem_slab_free_checked(handle, c_block) };
        check(freed == 0, "C's block freed", &mut failed);
    }
    if let Ok(mine) = mine {
        // SAFETY: allocated above, not used afterwards.
        check(unsafe { LEAKY.free(mine) }.is_ok(), "freed", &mut failed);
    }
    defmt::println!("defmt-firmware: {=u32} failed", failed);
    exit(failed == 0)
}
