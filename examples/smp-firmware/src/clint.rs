//! The CLINT of QEMU's `virt` for two harts: each hart's software
//! interrupt (`msip`, the inter-processor interrupt) and timer compare
//! (`mtimecmp`), and the shared `mtime`.

/// `mtime`'s rate on QEMU's `virt` (its ACLINT timebase).
pub const MTIME_HZ: u64 = 10_000_000;

const MSIP: *mut u32 = 0x0200_0000 as *mut u32;
const MTIMECMP: *mut u32 = 0x0200_4000 as *mut u32;
const MTIME: *const u32 = 0x0200_bff8 as *const u32;

/// This hart's id.
pub fn hart() -> usize {
    riscv::register::mhartid::read()
}

/// `mtime`, the clock registered with `slab_core::set_clock`: two 32-bit
/// halves, read high, low, high until the high half holds still.
pub fn now() -> u64 {
    loop {
        // SAFETY: `mtime` and the word after it are the CLINT's 64-bit
        // counter; plain MMIO reads.
        let (hi, lo, again) = unsafe {
            (
                MTIME.add(1).read_volatile(),
                MTIME.read_volatile(),
                MTIME.add(1).read_volatile(),
            )
        };
        if hi == again {
            return (u64::from(hi) << 32) | u64::from(lo);
        }
    }
}

/// Sets this hart's `mtimecmp` without a spurious interrupt in between: the
/// low half to all ones first (the privileged spec's RV32 sequence).
pub fn set_timer(at: u64) {
    // SAFETY: hart `hart()`'s two `mtimecmp` words (hart ids are 0 and 1
    // here, `_max_hart_id` in memory.x), written only by that hart.
    unsafe {
        let cmp = MTIMECMP.add(2 * hart());
        cmp.write_volatile(u32::MAX);
        cmp.add(1).write_volatile((at >> 32) as u32);
        cmp.write_volatile(at as u32);
    }
}

/// Raises hart `to`'s software interrupt, after every store before it
/// (a free's hand-off) is visible.
pub fn send_ipi(to: usize) {
    // SAFETY: a fence: memory writes before device output.
    unsafe { core::arch::asm!("fence w, o", options(nostack)) };
    // SAFETY: hart `to`'s `msip` (0 or 1); writing 1 raises its software
    // interrupt.
    unsafe { MSIP.add(to).write_volatile(1) };
}

/// Clears this hart's software interrupt.
pub fn clear_ipi() {
    // SAFETY: this hart's `msip`; writing 0 clears it.
    unsafe { MSIP.add(hart()).write_volatile(0) };
}
