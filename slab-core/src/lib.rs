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
//! ## Guide: declare → boot → allocate and free → inspect
//!
//! ```
//! use slab_core::{mem_slab, mem_slabs, AllocError, MemSlab, SlabBox, Timeout};
//!
//! // 1. Declare: the storage is a static, sized at compile time.
//! /// Receive buffers: 8 blocks of 64 bytes.
//! #[mem_slab(blocks = 8, size = 64)]
//! pub static RX_BUFS: MemSlab;
//!
//! #[derive(Debug)]
//! struct Command {
//!     opcode: u8,
//!     arg: u32,
//! }
//!
//! mem_slabs! {
//!     /// Block size and alignment from the type.
//!     static COMMANDS(blocks = 2, type = Command);
//! }
//!
//! fn main() -> Result<(), Box<dyn std::error::Error>> {
//!     // 2. Boot: once, at the start of `main`. Before it, nothing is usable.
//!     assert_eq!(RX_BUFS.alloc(Timeout::NoWait), Err(AllocError::NotReady));
//!     // The shape is known, the blocks are not counted yet (see below).
//!     assert_eq!((RX_BUFS.num_blocks(), RX_BUFS.num_used() + RX_BUFS.num_free()), (8, 0));
//!     slab_core::boot();
//!     assert!(RX_BUFS.is_ready());
//!
//!     // 3. Allocate and free. A raw block: `free` it yourself (or hand it on).
//!     let raw = RX_BUFS.alloc(Timeout::millis(10))?;
//!     // SAFETY: `raw` came from RX_BUFS and is not used afterwards.
//!     unsafe { RX_BUFS.free(raw) }?;
//!
//!     // An owned block, freed when dropped; its bytes start uninitialised.
//!     let mut frame = RX_BUFS.alloc_block(Timeout::NoWait)?;
//!     frame.as_uninit_mut()[0].write(0x7E);
//!
//!     // A typed value in a block (`SlabBox`), dropped in place and freed.
//!     let mut cmd: SlabBox<Command> =
//!         COMMANDS.alloc_box(Command { opcode: 1, arg: 42 }, Timeout::NoWait)?;
//!     cmd.arg += 1;
//!     assert_eq!((cmd.opcode, cmd.arg), (1, 43));
//!
//!     // Async: the same queue as blocking callers (any executor).
//!     let reply = futures::executor::block_on(RX_BUFS.alloc_block_async())?;
//!
//!     // Errors carry Zephyr's errno.
//!     let _second = COMMANDS.alloc_box(Command { opcode: 2, arg: 0 }, Timeout::NoWait)?;
//!     let full = COMMANDS.alloc_box(Command { opcode: 3, arg: 0 }, Timeout::NoWait);
//!     let err = full.unwrap_err();
//!     assert_eq!(err.errno(), AllocError::NoMemory.errno()); // -ENOMEM
//!     let _given_back: Command = err.into_value();
//!
//!     // 4. Inspect: counters, a high-water mark, and the registry's table.
//!     assert_eq!((RX_BUFS.num_used(), RX_BUFS.num_free()), (2, 6));
//!     assert_eq!(RX_BUFS.stats().allocated_bytes, 2 * 64);
//!     drop((frame, reply));
//!     assert_eq!((RX_BUFS.num_used(), RX_BUFS.max_used()), (0, 2));
//!     let found = slab_core::registry().find("RX_BUFS").expect("declared slabs are registered");
//!     assert!(core::ptr::eq(found, &RX_BUFS));
//!     println!("{}", slab_core::registry());
//!     Ok(())
//! }
//! ```
//!
//! 1. **Declare** with [`#[mem_slab]`](mem_slab) on a `static NAME:
//!    MemSlab;`, or several at once with [`mem_slabs!`]. Keys: `blocks`,
//!    `size` or `type`, and optionally `align`, `name`, `section`, `crate`.
//!    A bad declaration is a compile error on the offending token. For a
//!    buffer known only at run time, [`MemSlab::new`] + [`MemSlab::init`]
//!    (`k_mem_slab_init`) instead: such a slab is ready at once and is not in
//!    the registry.
//! 2. **Boot**: [`boot`] threads every declared slab's free list, once
//!    (later calls do nothing). Until then `alloc` returns
//!    `Err(AllocError::NotReady)` and `free` `Err(FreeError::NotReady)`.
//!
//!    **The one exception to the counter invariant.** API.md promises
//!    `num_used() + num_free() == num_blocks()` whenever no call is in
//!    flight. Before `boot()` a declared slab already reports its declared
//!    shape (`num_blocks() == N`, `block_size()`), while `num_used()` and
//!    `num_free()` are both 0: its blocks are not threaded, so none is free
//!    to hand out, and none is in use. The invariant holds from `boot()`
//!    on. (A [`MemSlab::new`] slab reports 0 for all of them until
//!    [`MemSlab::init`], which makes it ready at once.)
//! 3. **Allocate and free**:
//!    - [`MemSlab::alloc`] / [`MemSlab::free`]: raw `NonNull<u8>` blocks,
//!      Zephyr's `k_mem_slab_alloc`/`k_mem_slab_free`. A `free` with waiters
//!      hands the block straight to the most urgent (priority, then
//!      arrival). `alloc(Timeout::NoWait)` and `free` never block and are
//!      interrupt-safe. Bad frees (`Foreign`, `Misaligned`, `DoubleFree`)
//!      are refused and change nothing.
//!    - [`MemSlab::alloc_block`] → [`Block`]: an owned block freed on drop.
//!    - [`MemSlab::alloc_box`] / [`SlabBox::new_in`] → [`SlabBox`]: a typed
//!      value in a block, with a layout check (at compile time with
//!      [`assert_fits`] where the shape is a constant).
//!    - [`MemSlab::alloc_async`] / [`MemSlab::alloc_block_async`] →
//!      [`AllocFuture`] / [`BlockFuture`]: futures that wait in the same
//!      queue as blocking callers and are cancel-safe. No timeout parameter:
//!      wrap them in your executor's timeout.
//!    - [`Semaphore`] (`k_sem`) shares the wait queue and its rules.
//! 4. **Inspect**: [`MemSlab::num_used`], [`MemSlab::num_free`],
//!    [`MemSlab::max_used`], [`MemSlab::reset_max`], [`MemSlab::stats`]
//!    ([`MemStats`] in bytes), [`MemSlab::num_waiting`], and [`registry()`]
//!    ([`Registry`]: every declared slab, `Display` prints a table).
//!
//! Errors ([`AllocError`], [`FreeError`], [`InitError`], [`SemError`],
//! [`BoxErrorKind`]) are `Copy`, implement `core::error::Error` and have
//! `errno()` with Zephyr's negative codes.
//!
//! ## Features
//!
//! - `std`: host threads. Blocking waits park the thread, and
//!   `set_thread_priority` orders waiters (blocking and async alike).
//!   Without it the crate is `#![no_std]` and waiting spins in thread mode
//!   until an interrupt handler frees a block (see `set_clock` and
//!   `set_wait_hook`).
//! - `defmt`: `defmt::Format` for the error types, [`Timeout`],
//!   [`MemStats`], a [`MemSlab`] (one registry row) and the [`Registry`]
//!   (the table), and `Registry::log()` (one `defmt::info!` line per
//!   slab).
//!
//! Both are off by default.
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

mod async_alloc;
mod block;
#[cfg(feature = "defmt")]
mod defmt_format;
mod error;
mod layout;
mod lock;
mod port;
mod registry;
mod sem;
mod slab;
mod slab_box;
mod sync;
mod timeout;
mod wait;

#[cfg(test)]
mod tests;

#[doc(hidden)]
#[path = "private.rs"]
pub mod __private;

pub use async_alloc::{AllocFuture, BlockFuture};
pub use block::Block;
pub use error::{AllocError, FreeError, InitError, SemError};
#[cfg(not(feature = "std"))]
pub use port::bare::{set_clock, set_wait_hook};
#[cfg(feature = "std")]
pub use port::std_threads::set_thread_priority;
pub use registry::{Registry, boot, registry};
pub use sem::Semaphore;
pub use slab::{MemSlab, MemStats};
pub use slab_box::{BoxError, BoxErrorKind, SlabBox, assert_fits};
/// Declares a statically allocated slab on `static NAME: MemSlab;`
/// (`K_MEM_SLAB_DEFINE`). The keys, rules and compile errors are below.
///
/// ```
/// use slab_core::{mem_slab, MemSlab, Timeout};
///
/// /// Receive buffers (doc comments, `#[cfg]` and visibility carry over).
/// #[mem_slab(blocks = 8, size = 60)]
/// pub static RX_RING: MemSlab;
///
/// #[repr(C)]
/// struct Descriptor {
///     addr: u32,
///     len: u16,
/// }
///
/// #[mem_slab(blocks = 4, type = Descriptor, align = 16, name = "dma-descriptors")]
/// static DESCRIPTORS: MemSlab;
///
/// fn main() {
///     slab_core::boot();
///     // `size` is rounded up to a multiple of the pointer word.
///     assert_eq!(RX_RING.block_size(), 60usize.next_multiple_of(size_of::<usize>()));
///     assert_eq!((DESCRIPTORS.num_blocks(), DESCRIPTORS.block_size()), (4, 16));
///     assert_eq!(DESCRIPTORS.name(), "dma-descriptors");
///     let d = DESCRIPTORS.alloc_box(Descriptor { addr: 0x2000_0000, len: 64 }, Timeout::NoWait).unwrap();
///     assert_eq!(&*d as *const Descriptor as usize % 16, 0);
///     assert_eq!((d.addr, d.len), (0x2000_0000, 64));
/// }
/// ```
pub use slab_macros::mem_slab;

/// Declares one or more statically allocated slabs, `[attributes] [vis]
/// static NAME(keys);` each, with the keys and rules of
/// [`#[mem_slab]`](mem_slab).
///
/// ```
/// slab_core::mem_slabs! {
///     /// Transmit buffers.
///     pub static TX_QUEUE(blocks = 4, size = 128);
///     static SCRATCH(blocks = 2, size = 32, align = 32, name = "scratch");
/// }
///
/// fn main() {
///     slab_core::boot();
///     assert_eq!((TX_QUEUE.num_blocks(), TX_QUEUE.block_size()), (4, 128));
///     assert!(SCRATCH.block_align() >= 32);
///     assert!(slab_core::registry().find("scratch").is_some());
/// }
/// ```
pub use slab_macros::mem_slabs;
pub use timeout::Timeout;
