//! The CLINT of QEMU's `virt`: the shared 64-bit `mtime` counter
//! ([`MTIME_HZ`]), each hart's timer compare (`mtimecmp`) and software
//! interrupt (`msip`: a self-raised "doorbell", or an inter-processor
//! interrupt from another hart), and [`sleep_unless`], the `wfi` that
//! loses no wake-up.
//!
//! # Sleeping without losing a wake-up
//!
//! `wfi` alone loses one: a handler that runs between a waiter's last look
//! and the `wfi` leaves nothing pending, and the hart sleeps until some
//! later interrupt. RISC-V has no event register, so the firmware keeps
//! one in software (an `AtomicBool` that every handler sets as it
//! returns), and [`sleep_unless`] sleeps with interrupts masked:
//! `mstatus.MIE` cleared, the event taken, `wfi` only if it was clear,
//! then `MIE` restored, which takes whatever became pending. The
//! privileged architecture ("Wait for Interrupt", Volume II, version
//! 20211203) makes that safe:
//!
//! > The WFI instruction can also be executed when interrupts are disabled.
//! > The operation of WFI must be unaffected by the global interrupt bits in
//! > `mstatus` (MIE and SIE) [...] (i.e., the hart must resume if a locally
//! > enabled interrupt becomes pending [...]), but should honor the
//! > individual interrupt enables (e.g, MTIE).
//!
//! So an interrupt raised after the mask ends the `wfi` and is taken once
//! `MIE` is restored; one that ran before the mask set the event, and the
//! hart does not sleep. A legal `wfi` may also return at once, for no
//! reason: it costs the caller one more look.

use core::sync::atomic::{AtomicBool, Ordering};

pub use crate::board::MTIME_HZ;

const MSIP: *mut u32 = 0x0200_0000 as *mut u32;
const MTIMECMP: *mut u32 = 0x0200_4000 as *mut u32;
const MTIME: *const u32 = 0x0200_bff8 as *const u32;
/// Harts the CLINT registers below are used for (QEMU's `virt` has up to
/// 8 per socket; the firmware here use 1 or 2).
pub const HARTS: usize = 8;

/// This hart's id (`mhartid`).
pub fn hart() -> usize {
    riscv::register::mhartid::read()
}

/// `mtime`: two 32-bit halves, read high, low, high until the high half
/// holds still (a carry between the reads).
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

/// Sets this hart's `mtimecmp` without a spurious interrupt in between:
/// the low half to all ones first, so the value never drops below both
/// old and new (the privileged spec's RV32 sequence).
pub fn set_timer(at: u64) {
    let hart = hart();
    assert!(hart < HARTS, "hart {hart} has no mtimecmp here");
    // SAFETY: this hart's two `mtimecmp` words, written only by this hart.
    unsafe {
        let cmp = MTIMECMP.add(2 * hart);
        cmp.write_volatile(u32::MAX);
        cmp.add(1).write_volatile((at >> 32) as u32);
        cmp.write_volatile(at as u32);
    }
}

/// Raises hart `to`'s software interrupt, after every store before it
/// (a free's hand-off) is visible to that hart.
pub fn send_ipi(to: usize) {
    assert!(to < HARTS, "hart {to} has no msip here");
    // SAFETY: a fence: memory writes before device output.
    unsafe { core::arch::asm!("fence w, o", options(nostack)) };
    // SAFETY: hart `to`'s `msip`; writing 1 raises its software interrupt.
    unsafe { MSIP.add(to).write_volatile(1) };
}

/// Clears this hart's software interrupt.
pub fn clear_ipi() {
    // SAFETY: this hart's `msip` (`mhartid` < 8 on `virt`); writing 0
    // clears it.
    unsafe { MSIP.add(hart()).write_volatile(0) };
}

/// Whether hart `of`'s software interrupt is pending.
pub fn ipi_pending(of: usize) -> bool {
    assert!(of < HARTS, "hart {of} has no msip here");
    // SAFETY: hart `of`'s `msip`, a plain MMIO read.
    unsafe { MSIP.add(of).read_volatile() & 1 != 0 }
}

/// `wfi` with `mstatus.MIE` cleared, unless `event` was set since it was
/// last taken (see the module docs): takes `event`; if it was clear, calls
/// `before_wfi` (still masked) and sleeps. Restores `MIE` as it was.
/// Returns whether it slept.
pub fn sleep_unless(event: &AtomicBool, before_wfi: impl FnOnce()) -> bool {
    let was_enabled = riscv::register::mstatus::read().mie();
    riscv::interrupt::disable();
    let sleep = !event.swap(false, Ordering::Acquire);
    if sleep {
        before_wfi();
        riscv::asm::wfi();
    }
    if was_enabled {
        // SAFETY: restores `mstatus.MIE` as it was when this was called.
        unsafe { riscv::interrupt::enable() };
    }
    sleep
}
