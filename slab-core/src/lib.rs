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
mod timeout;
mod wait;

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
