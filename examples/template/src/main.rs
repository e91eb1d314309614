//! One slab, a 1 kHz SysTick clock for finite timeouts, and an interrupt
//! handler that frees a block to a waiting `alloc`. `cargo run` runs it in
//! QEMU and it prints `N passed, N failed`.
#![no_std]
#![no_main]

use core::cell::Cell;
use core::ptr::NonNull;

use cortex_m::peripheral::syst::SystClkSource;
use cortex_m_rt::{entry, exception};
use cortex_m_semihosting::{debug, hprint, hprintln};
use critical_section::Mutex;
use panic_semihosting as _;
use slab_core::{AllocError, MemSlab, Timeout, mem_slab};

#[mem_slab(blocks = 4, size = 64)]
static BUFS: MemSlab;

/// Milliseconds since start-up, advanced by SysTick.
static MILLIS: Mutex<Cell<u64>> = Mutex::new(Cell::new(0));
/// The address of a block for the SysTick handler to free, or 0.
static TO_FREE: Mutex<Cell<usize>> = Mutex::new(Cell::new(0));

fn millis() -> u64 {
    critical_section::with(|cs| MILLIS.borrow(cs).get())
}

#[exception]
fn SysTick() {
    let block = critical_section::with(|cs| {
        let millis = MILLIS.borrow(cs);
        millis.set(millis.get() + 1);
        TO_FREE.borrow(cs).replace(0)
    });
    if let Some(block) = NonNull::new(block as *mut u8) {
        // SAFETY: thread mode gave the block up when it stored it.
        let _ = unsafe { BUFS.free(block) };
    }
}

#[entry]
fn main() -> ! {
    // First, before any interrupt that allocates or frees is enabled.
    slab_core::boot();
    // Finite timeouts need this clock running: SysTick and its interrupt.
    slab_core::set_clock(millis, 1_000);
    slab_core::set_wait_hook(cortex_m::asm::wfe);
    let mut core = cortex_m::Peripherals::take().expect("core peripherals");
    core.SYST.set_clock_source(SystClkSource::Core);
    core.SYST.set_reload(12_000 - 1); // 1 kHz from QEMU's 12 MHz core clock
    core.SYST.clear_current();
    core.SYST.enable_counter();
    core.SYST.enable_interrupt();

    let (mut passed, mut failed) = (0, 0);
    macro_rules! check {
        ($ok:expr) => {
            if $ok {
                passed += 1;
            } else {
                failed += 1;
                hprintln!("failed: {}", stringify!($ok));
            }
        };
    }
    let blocks: [_; 4] = core::array::from_fn(|_| BUFS.alloc(Timeout::NoWait));
    check!(blocks.iter().all(Result::is_ok));
    check!(BUFS.alloc(Timeout::NoWait) == Err(AllocError::NoMemory));
    let start = millis();
    check!(BUFS.alloc(Timeout::millis(5)) == Err(AllocError::TimedOut));
    check!(millis() - start >= 5);
    // The SysTick handler frees a block to this waiting thread.
    let first = blocks[0].expect("a block");
    critical_section::with(|cs| TO_FREE.borrow(cs).set(first.as_ptr() as usize));
    check!(BUFS.alloc(Timeout::millis(100)) == Ok(first));
    for block in blocks.into_iter().flatten() {
        // SAFETY: allocated above and not used afterwards.
        check!(unsafe { BUFS.free(block) }.is_ok());
    }
    check!(BUFS.num_free() == 4 && BUFS.max_used() == 4);
    hprint!("{}", slab_core::registry());
    hprintln!("{} passed, {} failed", passed, failed);
    debug::exit(if failed == 0 {
        debug::EXIT_SUCCESS
    } else {
        debug::EXIT_FAILURE
    });
    loop {
        cortex_m::asm::wfi();
    }
}
