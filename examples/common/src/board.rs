//! The QEMU board the firmware runs on (`cfg(board = "…")`, picked by the
//! target: see [`build`](crate::build)): where its flash and RAM are (as
//! its `memory.x` gives them) and its clocks.

use core::ops::Range;

/// The board's name, as in `cfg(board = "…")`.
#[cfg(board = "lm3s6965")]
pub const NAME: &str = "lm3s6965";
/// The board's name, as in `cfg(board = "…")`.
#[cfg(board = "an505")]
pub const NAME: &str = "an505";
/// The board's name, as in `cfg(board = "…")`.
#[cfg(board = "virt")]
pub const NAME: &str = "virt";

/// The `FLASH` region of the board's `memory.x`.
#[cfg(board = "lm3s6965")]
pub const FLASH: Range<usize> = 0x0000_0000..0x0004_0000;
/// The `RAM` region of the board's `memory.x`.
#[cfg(board = "lm3s6965")]
pub const RAM: Range<usize> = 0x2000_0000..0x2001_0000;

/// The `FLASH` region of the board's `memory.x` (the code SRAM's secure
/// alias).
#[cfg(board = "an505")]
pub const FLASH: Range<usize> = 0x1000_0000..0x1040_0000;
/// The `RAM` region of the board's `memory.x` (SSRAM2's secure alias).
#[cfg(board = "an505")]
pub const RAM: Range<usize> = 0x3800_0000..0x3820_0000;

/// The `FLASH` region of the board's `memory.x` (the first MiB of DRAM).
#[cfg(board = "virt")]
pub const FLASH: Range<usize> = 0x8000_0000..0x8010_0000;
/// The `RAM` region of the board's `memory.x` (the next MiB).
#[cfg(board = "virt")]
pub const RAM: Range<usize> = 0x8010_0000..0x8020_0000;

/// The core clock, SysTick's source: QEMU's lm3s6965evb runs it at 12 MHz.
#[cfg(board = "lm3s6965")]
pub const CORE_HZ: u32 = 12_000_000;
/// The core clock, SysTick's source: QEMU's mps2-an505 runs it at 20 MHz.
#[cfg(board = "an505")]
pub const CORE_HZ: u32 = 20_000_000;

/// `mtime`'s rate on QEMU's `virt` (its ACLINT timebase).
#[cfg(board = "virt")]
pub const MTIME_HZ: u64 = 10_000_000;
