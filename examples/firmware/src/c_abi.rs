//! Mixed C firmware: `c/c_abi.c` (compiled by build.rs with
//! arm-none-eabi-gcc against slab-core's `slab.h`) allocates every block of
//! the Rust-declared `POOL` through the C ABI, finding it by name, and
//! frees them from an interrupt handler written in C (IRQ 1, dispatched
//! to it by `board`'s `DefaultHandler`); it also uses a slab it defines
//! itself with `K_MEM_SLAB_DEFINE`, threaded by `slab_core::boot()`. Rust
//! then checks what the C side left behind.

use core::ffi::{CStr, c_char};

use crate::POOL;

/// The device interrupt whose handler is written in C.
pub const C_IRQ: i16 = 1;

unsafe extern "C" {
    fn c_abi_run(name: *const c_char, blocks: u32) -> i32;
    fn c_abi_irq_handler();
    fn c_abi_log(out: *mut [u32; 6]);
}

/// The C interrupt handler (called from `DefaultHandler` for [`C_IRQ`]).
pub fn on_interrupt() {
    // SAFETY: the C handler touches only its own statics and the slabs
    // through the C ABI, whose `free` and `alloc(K_NO_WAIT)` are
    // interrupt-safe.
    unsafe { c_abi_irq_handler() }
}

/// Runs the C side on `POOL` and checks the result.
pub fn run() {
    const NAME: &CStr = c"POOL";
    let blocks = POOL.num_blocks();
    let max_before = POOL.max_used();
    // SAFETY: a NUL-terminated name; the C code uses only its own statics
    // and POOL, which thread mode does not touch meanwhile.
    let failed_line = unsafe { c_abi_run(NAME.as_ptr(), blocks as u32) };
    check_eq!(failed_line, 0);
    let mut log = [0u32; 6];
    // SAFETY: `log` is six writable words.
    unsafe { c_abi_log(&mut log) };
    let [runs, freed, double_refused, handler_allocs, errors, ipsr] = log;
    check_eq!(runs, 1);
    check_eq!(freed, blocks as u32);
    check_eq!(double_refused, 1);
    check_eq!(handler_allocs, 1);
    check_eq!(errors, 0);
    // Exception number 16 + IRQ: the handler ran as that interrupt.
    check_eq!(ipsr, 16 + C_IRQ as u32);
    check_eq!(
        (POOL.num_used(), POOL.num_free(), POOL.max_used()),
        (0, blocks, max_before.max(blocks))
    );
    hprintln!(
        "firmware: C ABI: {} blocks of POOL allocated in C, freed by a C interrupt handler",
        freed
    );
}
