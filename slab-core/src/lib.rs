//! # slab: static fixed-size block allocation for firmware
//!
//! Zephyr's `k_mem_slab` for Rust. Declare a slab on a static; the
//! declaration expands at compile time to a word-aligned static block
//! buffer, a const-initialised [`MemSlab`] and an entry in the registry.
//! At start-up one call to [`boot`] threads every free list. Then
//! [`MemSlab::alloc`] hands out blocks with a [`Timeout`] (no wait, a
//! duration, forever) and [`MemSlab::free`] gives them back — directly to
//! the most urgent waiter if someone waits, so nothing can steal it.
//!
//! ```ignore
//! use slab_core::{mem_slab, MemSlab, Timeout};
//!
//! #[mem_slab(blocks = 8, size = 64)]
//! pub static RX_BUFS: MemSlab;
//!
//! slab_core::boot();
//! let block = RX_BUFS.alloc(Timeout::millis(10))?;
//! // ... fill it, pass it on ...
//! unsafe { RX_BUFS.free(block) }?;
//! println!("{}", slab_core::registry());
//! ```
//!
//! ## Features
//!
//! - `std`: host threads. Blocking waits park the thread, and
//!   [`set_thread_priority`] orders waiters. Without it the crate is
//!   `#![no_std]` and waiting spins in thread mode until an interrupt
//!   handler frees a block (see `set_clock` and `set_wait_hook`).
//!
//! ## Bare metal
//!
//! Without `std` the crate is `#![no_std]` and builds for
//! `thumbv6m-none-eabi` (it uses no atomic compare-and-swap),
//! `thumbv7m-none-eabi`, `thumbv7em-none-eabihf` and
//! `riscv32imac-unknown-none-elf`. `examples/firmware` is a complete
//! Cortex-M firmware, run under QEMU by the test suite.
//!
//! 1. **Link with `-Tlink.x -Tslab.x`.** The registry is a `linkme`
//!    distributed slice in the sections `linkme_SLAB_CORE_REGISTRY` and
//!    `linkm2_SLAB_CORE_REGISTRY`. Left to the linker they land in RAM after
//!    `.data`, where the reset handler's `.data` copy overwrites them.
//!    `slab.x` keeps them in flash (`KEEP`, `> FLASH`, `INSERT AFTER
//!    .rodata`) and defines the `__start_`/`__stop_` symbols; this crate's
//!    build script puts it on the linker's search path for `target_os =
//!    "none"`, so nothing needs copying. In `.cargo/config.toml`:
//!
//!    ```toml
//!    [target.thumbv7m-none-eabi]
//!    rustflags = ["-C", "link-arg=-Tlink.x", "-C", "link-arg=-Tslab.x"]
//!    ```
//!
//!    `slab.x` expects a `.rodata` output section and a `FLASH` memory
//!    region, as cortex-m-rt's `link.x` and `memory.x` have; for another
//!    runtime (e.g. riscv-rt, whose read-only region is `REGION_RODATA`),
//!    copy `slab.x` and change the region.
//! 2. **Choose a `critical-section` implementation**, as usual in embedded
//!    Rust: on a single-core Cortex-M, `cortex-m = { version = "0.7",
//!    features = ["critical-section-single-core"] }`. The slabs' locks are
//!    critical sections, which is what makes `free` and `alloc(NoWait)`
//!    safe in interrupt handlers.
//! 3. **Call [`boot`] at the start of `main`**, before enabling interrupts
//!    whose handlers allocate or free.
//! 4. **Register how to wait.** `set_wait_hook(cortex_m::asm::wfe)` lets a
//!    thread-mode `alloc(Timeout::Forever)` / `take(Timeout::Forever)` sleep
//!    until an interrupt handler frees or gives (`WFE` loses no wake-up: an
//!    exception return sets the Event Register; plain `WFI` can, and needs
//!    a periodic interrupt to bound the delay). Without a hook, waiting is a
//!    busy loop. For finite timeouts register a monotonic clock,
//!    `set_clock(now, ticks_per_second)`, e.g. a `u64` millisecond count
//!    advanced by the SysTick handler; a finite wait without a clock panics.
//!
//! ```ignore
//! #[cortex_m_rt::entry]
//! fn main() -> ! {
//!     slab_core::boot();
//!     slab_core::set_wait_hook(cortex_m::asm::wfe);
//!     slab_core::set_clock(millis, 1_000); // `millis` reads the SysTick count
//!     // ... enable interrupts; `alloc(Timeout::millis(5))` now works
//! }
//! ```
//!
//! Only thread mode may wait: interrupt handlers use `Timeout::NoWait`, and
//! nothing may wait inside a critical section. All bare-metal waiters have
//! the same priority (first come, first served).
#![cfg_attr(not(feature = "std"), no_std)]
#![deny(missing_docs)]
#![deny(unsafe_op_in_unsafe_fn)]
#![warn(clippy::undocumented_unsafe_blocks)]

mod block;
mod error;
mod layout;
mod lock;
mod port;
mod registry;
mod sem;
mod slab;
mod sync;
mod timeout;
mod wait;

#[cfg(test)]
mod tests;

#[doc(hidden)]
#[path = "private.rs"]
pub mod __private;

pub use block::Block;
pub use error::{AllocError, FreeError, InitError, SemError};
#[cfg(not(feature = "std"))]
pub use port::bare::{set_clock, set_wait_hook};
#[cfg(feature = "std")]
pub use port::std_threads::set_thread_priority;
pub use registry::{Registry, boot, registry};
pub use sem::Semaphore;
pub use slab::{MemSlab, MemStats};
pub use slab_macros::{mem_slab, mem_slabs};
pub use timeout::Timeout;
