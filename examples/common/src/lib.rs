//! What the QEMU firmware of `examples/` share, so that a firmware (or a
//! new target for one) adds only what is its own:
//!
//! - [`report`]: `check!`/`check_eq!`, counted and reported over
//!   semihosting, ending with `NAME: N passed, N failed` and an exit
//!   status; [`hprint!`]/[`hprintln!`] (semihosting output); and the panic
//!   handler (`semihosting`'s: the message, then exit status 101);
//! - [`board`]: the memory and clocks of the QEMU boards (`lm3s6965evb`,
//!   `mps2-an505`, `virt`), picked by the target (`cfg(board = "…")`,
//!   set by this crate's build script);
//! - [`systick`] (Arm) and [`clint`] (RISC-V): the core timer, the
//!   RISC-V CLINT's `mtime`, `mtimecmp` and software interrupts, and the
//!   masked-`wfi` sleep;
//! - [`count`]: instruction counting for the benchmarks (SysTick under
//!   `-icount shift=0` on Arm, `minstret` on RISC-V) and its calibration
//!   by a run of `nop`s;
//! - [`suite`] and [`handoff`]: the checks every slab firmware makes
//!   (before `boot()`, the registry, exhaustion and refill, timeouts, the
//!   final counts) and the interrupt-to-thread hand-off they test;
//! - [`workload`]: the heap benchmarks' request generator (also included
//!   by `slab-tests/benches/heap.rs` on the host);
//! - [`build`] (feature `build`, for a build script): the board's
//!   `memory.x` where the linker finds it.
//!
//! `no_std`; the Arm and RISC-V parts are behind `cfg(target_arch)`. The
//! firmware choose their `critical-section` implementation themselves.
#![no_std]
#![deny(missing_docs)]

#[cfg(feature = "build")]
extern crate std;

#[cfg(feature = "build")]
pub mod build;
#[cfg(feature = "c")]
pub mod build_c;

pub mod workload;

#[cfg(target_os = "none")]
pub mod board;
#[cfg(all(target_arch = "riscv32", target_os = "none"))]
pub mod clint;
#[cfg(target_os = "none")]
pub mod count;
#[cfg(target_os = "none")]
pub mod handoff;
#[cfg(target_os = "none")]
pub mod report;
#[cfg(target_os = "none")]
pub mod suite;
#[cfg(all(target_arch = "arm", target_os = "none"))]
pub mod systick;

#[cfg(target_os = "none")]
#[doc(hidden)]
pub use semihosting as __semihosting;

/// The target triple the firmware was built for.
#[cfg(target_os = "none")]
pub const TARGET: &str = env!("FIRMWARE_TARGET");

/// Prints over semihosting (the host's stdout).
#[cfg(target_os = "none")]
#[macro_export]
macro_rules! hprint {
    ($($arg:tt)*) => { $crate::__semihosting::print!($($arg)*) };
}

/// Prints a line over semihosting (the host's stdout).
#[cfg(target_os = "none")]
#[macro_export]
macro_rules! hprintln {
    ($($arg:tt)*) => { $crate::__semihosting::println!($($arg)*) };
}

/// Ends the QEMU run with exit status `code` (semihosting `SYS_EXIT`).
#[cfg(target_os = "none")]
pub fn exit(code: i32) -> ! {
    semihosting::process::exit(code)
}
