//! Trace events (feature `trace`): a hook, set once with
//! [`set_trace_hook`], that sees every allocation, free, start of a wait,
//! hand-off, timeout and refused free of every slab.
//!
//! Without the feature none of this is compiled. With it and no hook set,
//! `alloc` and `free` are the same machine code as without it: their fast
//! paths test nothing for tracing. Setting the hook closes the fast paths
//! of every declared slab (a runtime-initialised slab has none), for good:
//! from then on each `alloc` and `free` takes the full path, which reports
//! its event. (On a Cortex-M3 an alloc + free pair of a `checks = "full"`
//! slab is 54 instructions with no hook set, as without the feature, and
//! 224 with a hook that does nothing: the project's benchmarks, "Tracking
//! and trace events".) An operation that runs while `set_trace_hook` is closing
//! the fast paths may go unreported; every one that starts after it
//! returns is reported.
//!
//! The hook is called after the operation, outside the slab's lock, in
//! the caller's context — interrupt handlers included — so it must be
//! short and interrupt-safe, and must not allocate from or free to a slab
//! (that would report again, from inside the hook).
//!
//! Two hooks come with the crate: `stderr_hook` (with `std`: one line
//! per event on standard error) and `defmt_hook` (with `defmt`: one
//! `defmt::trace!` per event).
//!
//! ```
//! use slab_core::{mem_slab, MemSlab, Timeout};
//! use slab_core::trace::{self, Event};
//! use std::sync::atomic::{AtomicUsize, Ordering};
//!
//! #[mem_slab(blocks = 1, size = 16)]
//! static POOL: MemSlab;
//!
//! static ALLOCS: AtomicUsize = AtomicUsize::new(0);
//!
//! fn count(event: &Event) {
//!     if let Event::Alloc { slab, outcome: Ok(_) } = event {
//!         if slab.name() == "POOL" {
//!             ALLOCS.fetch_add(1, Ordering::Relaxed);
//!         }
//!     }
//!     trace::stderr_hook(event); // "slab POOL: alloc block 0 (0x…)"
//! }
//!
//! fn main() {
//!     slab_core::boot();
//!     trace::set_trace_hook(count).unwrap();
//!     assert!(trace::set_trace_hook(count).is_err()); // set once
//!     let block = POOL.alloc_block(Timeout::NoWait).unwrap();
//!     drop(block);
//!     assert_eq!(ALLOCS.load(Ordering::Relaxed), 1);
//! }
//! ```

#[cfg(feature = "defmt")]
pub use crate::slab::events::defmt_hook;
#[cfg(feature = "std")]
pub use crate::slab::events::stderr_hook;
pub use crate::slab::events::{Event, HookAlreadySet};

/// Sets the hook that receives every [`Event`] of every slab, once: a
/// second call returns `Err(HookAlreadySet)` and keeps the first hook.
///
/// Closes the fast paths of every slab in the [registry](crate::registry)
/// (each under its lock; `boot()` keeps them closed for a slab it threads
/// afterwards), so that every operation reports: call it early, at
/// start-up, before or after [`boot`](crate::boot). The hook runs in the
/// context of the operation (interrupt handlers too), outside the slab's
/// lock; see the [module docs](self).
pub fn set_trace_hook(hook: fn(&Event<'_>)) -> Result<(), HookAlreadySet> {
    crate::slab::events::install(hook)?;
    for slab in crate::registry::registry() {
        slab.close_fast_paths();
    }
    Ok(())
}
