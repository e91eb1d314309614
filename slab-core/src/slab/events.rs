//! The trace events and the hook that receives them (public as
//! [`crate::trace`], whose `set_trace_hook` stores the hook here and closes
//! the fast paths of the registry's slabs).

use core::fmt;
use core::ptr::{self, NonNull};
use core::sync::atomic::{AtomicPtr, Ordering};

use super::fast::NO_FLAGS;
use super::{MemSlab, SlabState};
use crate::error::{AllocError, FreeError};

/// What happened to a slab.
#[derive(Clone, Copy, Debug)]
#[non_exhaustive]
pub enum Event<'a> {
    /// An allocation returned: the block, or why not (`NoMemory`,
    /// `TimedOut` after a [`Timeout`](Event::Timeout), `NotReady`,
    /// `Corrupted`).
    Alloc {
        /// The slab.
        slab: &'a MemSlab,
        /// What the caller got.
        outcome: Result<NonNull<u8>, AllocError>,
    },
    /// A block went back: to the free list, or (after a
    /// [`HandOff`](Event::HandOff)) to a waiter.
    Free {
        /// The slab.
        slab: &'a MemSlab,
        /// The block.
        block: NonNull<u8>,
    },
    /// A free was refused (`Foreign`, `Misaligned`, `DoubleFree`,
    /// `NotReady`); nothing changed.
    RefusedFree {
        /// The slab.
        slab: &'a MemSlab,
        /// The pointer given to `free`.
        block: NonNull<u8>,
        /// Why.
        error: FreeError,
    },
    /// A caller (thread or async task) found no block and started waiting.
    WaitStart {
        /// The slab.
        slab: &'a MemSlab,
    },
    /// A free handed its block straight to a waiter (reported before that
    /// free's [`Free`](Event::Free)).
    HandOff {
        /// The slab.
        slab: &'a MemSlab,
        /// The block.
        block: NonNull<u8>,
    },
    /// A waiting caller's timeout ran out (its `Alloc` follows, with
    /// `TimedOut`).
    Timeout {
        /// The slab.
        slab: &'a MemSlab,
    },
}

impl Event<'_> {
    /// The slab the event is about.
    pub fn slab(&self) -> &MemSlab {
        match *self {
            Event::Alloc { slab, .. }
            | Event::Free { slab, .. }
            | Event::RefusedFree { slab, .. }
            | Event::WaitStart { slab }
            | Event::HandOff { slab, .. }
            | Event::Timeout { slab } => slab,
        }
    }
}

/// A block as events show it: its index (when it is one) and address.
struct Shown<'a>(&'a MemSlab, NonNull<u8>);

impl fmt::Display for Shown<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0.index_of_block(self.1) {
            Some(index) => write!(f, "block {} ({:p})", index, self.1),
            None => write!(f, "{:p}", self.1),
        }
    }
}

/// `slab NAME: alloc block 2 (0x…)`, `slab NAME: free refused for 0x…:
/// DoubleFree`, ….
impl fmt::Display for Event<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "slab {}: ", self.slab().name())?;
        match *self {
            Event::Alloc {
                slab,
                outcome: Ok(block),
            } => write!(f, "alloc {}", Shown(slab, block)),
            Event::Alloc {
                outcome: Err(e), ..
            } => write!(f, "alloc failed: {e:?} ({})", e.errno()),
            Event::Free { slab, block } => write!(f, "free {}", Shown(slab, block)),
            Event::RefusedFree { slab, block, error } => {
                write!(f, "free refused for {}: {error:?}", Shown(slab, block))
            }
            Event::WaitStart { .. } => f.write_str("wait start"),
            Event::HandOff { slab, block } => write!(f, "hand-off {}", Shown(slab, block)),
            Event::Timeout { .. } => f.write_str("wait timed out"),
        }
    }
}

/// A block as `defmt` events show it: `block 2 (0x…)`, or the address
/// alone when it is not one of the slab's blocks.
#[cfg(feature = "defmt")]
impl defmt::Format for Shown<'_> {
    fn format(&self, f: defmt::Formatter<'_>) {
        let address = self.1.as_ptr() as usize;
        match self.0.index_of_block(self.1) {
            Some(index) => defmt::write!(f, "block {=usize} ({=usize:#x})", index, address),
            None => defmt::write!(f, "{=usize:#x}", address),
        }
    }
}

/// As `Display`: `slab NAME: alloc block 2 (0x…)`, ….
#[cfg(feature = "defmt")]
impl defmt::Format for Event<'_> {
    fn format(&self, f: defmt::Formatter<'_>) {
        let name = self.slab().name();
        match *self {
            Event::Alloc {
                slab,
                outcome: Ok(block),
            } => defmt::write!(f, "slab {=str}: alloc {}", name, Shown(slab, block)),
            Event::Alloc {
                outcome: Err(e), ..
            } => defmt::write!(
                f,
                "slab {=str}: alloc failed: {} ({=i32})",
                name,
                e,
                e.errno()
            ),
            Event::Free { slab, block } => {
                defmt::write!(f, "slab {=str}: free {}", name, Shown(slab, block))
            }
            Event::RefusedFree { slab, block, error } => defmt::write!(
                f,
                "slab {=str}: free refused for {}: {}",
                name,
                Shown(slab, block),
                error
            ),
            Event::WaitStart { .. } => defmt::write!(f, "slab {=str}: wait start", name),
            Event::HandOff { slab, block } => {
                defmt::write!(f, "slab {=str}: hand-off {}", name, Shown(slab, block))
            }
            Event::Timeout { .. } => defmt::write!(f, "slab {=str}: wait timed out", name),
        }
    }
}

/// The hook: null until set, then a `fn(&Event)`, never changed again.
static HOOK: AtomicPtr<()> = AtomicPtr::new(ptr::null_mut());

/// [`set_trace_hook`](crate::trace::set_trace_hook) was called before:
/// the first hook stays.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct HookAlreadySet;

impl fmt::Display for HookAlreadySet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("slab_core: the trace hook is already set")
    }
}

impl core::error::Error for HookAlreadySet {}

/// Stores the hook, once (the first half of `set_trace_hook`; the second
/// closes the fast paths).
pub(crate) fn install(hook: fn(&Event<'_>)) -> Result<(), HookAlreadySet> {
    #[cfg(feature = "std")]
    {
        HOOK.compare_exchange(
            ptr::null_mut(),
            hook as *mut (),
            Ordering::Release,
            Ordering::Relaxed,
        )
        .map(drop)
        .map_err(|_| HookAlreadySet)
    }
    // A critical section, not a compare-and-swap: thumbv6m has none.
    #[cfg(not(feature = "std"))]
    critical_section::with(|_| {
        if !HOOK.load(Ordering::Relaxed).is_null() {
            return Err(HookAlreadySet);
        }
        HOOK.store(hook as *mut (), Ordering::Release);
        Ok(())
    })
}

/// Whether a hook is set.
pub(crate) fn hooked() -> bool {
    !hook().is_null()
}

impl MemSlab {
    /// Sends every later `alloc` and `free` of this slab down the full
    /// path, which reports its event: the hook is set, and the fast paths
    /// report nothing (so that, with no hook, they cost nothing).
    pub(crate) fn close_fast_paths(&self) {
        self.state.with(Self::close_fast_paths_locked);
    }

    /// [`close_fast_paths`](Self::close_fast_paths) under the lock (also
    /// `boot()`'s, for a slab threaded once the hook is set): the shape a
    /// runtime-initialised slab has, which no fast path passes. `alloc`'s
    /// reads the head's flag at index 0 of [`NO_FLAGS`] (never 1, whatever
    /// the checks level), `free`'s finds every index at or past
    /// `blocks = 0`. The full paths use neither (`used_map` keeps the
    /// flags), and the head's index is the sentinel, 0, from here on.
    pub(super) fn close_fast_paths_locked(s: &mut SlabState) {
        s.fast.blocks = 0;
        s.fast.flags = (&raw const NO_FLAGS).cast_mut();
        s.head_index = 0;
    }
}

/// The hook, or null. Relaxed: the hook is a function, whose code does
/// not change, so there is nothing else to see once its address is seen.
#[inline(always)]
fn hook() -> *mut () {
    HOOK.load(Ordering::Relaxed)
}

/// Calls the hook, if set, with `event()` (the full paths).
#[inline(always)]
fn emit<'a>(event: impl FnOnce() -> Event<'a>) {
    let hook = hook();
    if !hook.is_null() {
        call(hook, event());
    }
}

#[cold]
#[inline(never)]
fn call(hook: *mut (), event: Event<'_>) {
    // SAFETY: a non-null `HOOK` was stored by `set_trace_hook` from a
    // `fn(&Event)`.
    let hook: fn(&Event<'_>) = unsafe { core::mem::transmute::<*mut (), fn(&Event<'_>)>(hook) };
    hook(&event);
}

/// An allocation's event (the full paths and async allocation).
pub(crate) fn alloc(slab: &MemSlab, result: &Result<NonNull<u8>, AllocError>) {
    emit(|| Event::Alloc {
        slab,
        outcome: *result,
    });
}

/// A free's event (the full path).
pub(crate) fn free(slab: &MemSlab, block: NonNull<u8>, result: &Result<(), FreeError>) {
    emit(|| match *result {
        Ok(()) => Event::Free { slab, block },
        Err(error) => Event::RefusedFree { slab, block, error },
    });
}

pub(crate) fn wait_start(slab: &MemSlab) {
    emit(|| Event::WaitStart { slab });
}

pub(crate) fn hand_off(slab: &MemSlab, block: *mut u8) {
    if let Some(block) = NonNull::new(block) {
        emit(|| Event::HandOff { slab, block });
    }
}

pub(crate) fn timeout(slab: &MemSlab) {
    emit(|| Event::Timeout { slab });
}

/// A hook that prints each event on standard error, one line each
/// (`slab RX: alloc block 2 (0x…)`). With `std`.
#[cfg(feature = "std")]
pub fn stderr_hook(event: &Event<'_>) {
    extern crate std;
    std::eprintln!("{event}");
}

/// A hook that logs each event with `defmt::trace!`. With `defmt`.
#[cfg(feature = "defmt")]
pub fn defmt_hook(event: &Event<'_>) {
    defmt::trace!("{}", event);
}
