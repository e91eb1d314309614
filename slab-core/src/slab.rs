//! [`MemSlab`]: the free list, its counters and pointer validation.
//!
//! The free list is intrusive and singly linked, as in Zephyr: a free
//! block's first word holds the address of the next free block. Blocks are
//! never zeroed; `alloc` and `free` touch nothing of a block beyond its
//! first word. The slab reaches a block only through pointers derived
//! from its own buffer, never through the one `free` was given (which may
//! reach less than the link word: a `Box<u8>`'s reaches one byte), so
//! `alloc` hands out pointers that reach all of the block. The one
//! exception is the heap's and allocator-api2's free, told the layout:
//! the link's bytes that the caller's pointer reaches are written through
//! it, since a `Box` dropped by value is still protected then (see
//! `fast::write_link`).
//!
//! Counting and blocking ride a semaphore-style core: the number of free
//! blocks is the semaphore's count, and the wait queue is shared with
//! [`Semaphore`](crate::Semaphore). A `free` that finds a waiter hands the
//! block itself to it without raising the count, so nothing can steal it.
//!
//! Costs (uncontended): `alloc` and `free` each take the slab's lock once
//! and run a constant number of instructions. `free` validates the pointer
//! with one combined test — a subtraction, a rotate, a multiplication by
//! the block size's odd inverse and a compare (no division) — which also
//! yields the block index; a declared slab keeps one byte of free flags
//! per block (and one sentinel byte), which makes double-free detection
//! exact and O(1). A runtime-initialised slab (`new` + `init`) has nowhere
//! to keep flags and detects a double free by walking its free list
//! instead, O(free blocks).
//!
//! # Where things are
//!
//! - `fast`: the hot path, `alloc` and `free` as callers meet them and the
//!   fast path each tries first, with the block test; short enough to
//!   audit in one sitting.
//! - `cold`: the full paths the fast ones fall back to: the exact error,
//!   waiting, the hand-off to a waiter and the wake.
//! - `checks`: the free flags, the double-free walk of a
//!   runtime-initialised slab, and the `checks` levels.
//! - `setup`: the constructors, `init`, `boot` and the threading of the
//!   free list.
//! - here: the slab's state, its shape, and what it reports (counters,
//!   statistics, its buffer's range).
//!
//! # `checks = "bounds"`
//!
//! A declared slab may ask for Zephyr's `CONFIG_MEM_SLAB_POINTER_VALIDATE`
//! level instead: `free` still refuses `Foreign` and `Misaligned` pointers
//! with nothing changed (and, with nothing allocated, any free as a
//! `DoubleFree`), but keeps no flags and checks no links. **Not detected**
//! at that level: a double free while other blocks are allocated (the
//! block is then on the list twice and handed out twice) and every
//! corrupted link (`alloc` follows it: a write after free can make `alloc`
//! return any address). Counters, hand-off and waiting are the same.
//!
//! # Hardening: the threat model
//!
//! The free list lives inside the free blocks, so a bug that writes to a
//! block after freeing it can overwrite a link. `alloc` checks every link
//! before following it and every block before handing it out, so that it
//! **never returns a pointer that is not a block of the slab**, and, for a
//! declared slab, never a block that is already allocated. When a check
//! fails, `alloc` returns
//! [`AllocError::Corrupted`](crate::AllocError::Corrupted) (`-EFAULT`)
//! and changes nothing.
//!
//! Detected:
//! - a bad pointer given to `free` — outside the buffer (`Foreign`), inside
//!   but not at a block start (`Misaligned`), a block already free
//!   (`DoubleFree`; exact for declared slabs, by a walk of the free list
//!   for runtime-initialised ones): refused, nothing changes;
//! - a free block's link overwritten with an address outside the buffer,
//!   or not at a block start: `Corrupted` at the `alloc` that would follow
//!   it, or (for an address inside the buffer at a word boundary) the one
//!   that would hand it out;
//! - declared slabs: a link overwritten with the address of an allocated
//!   block (a cycle, or aliasing another owner's block): `Corrupted`
//!   before that block could be handed out a second time (its flag);
//! - a link overwritten with null, cutting the list short: `Corrupted`
//!   once the list runs dry while blocks are still counted free; a link
//!   making a cycle: `Corrupted` before more blocks than exist are out.
//!
//! Not detected:
//! - writes after free beyond a block's first word: the slab never reads
//!   them; they damage only the next owner's data;
//! - a link overwritten with the address of another *free* block: blocks
//!   in between are skipped (lost) until the list runs dry, which is then
//!   reported as above;
//! - runtime-initialised slabs: a link overwritten with the address of an
//!   allocated block (there are no flags to consult) hands that block out
//!   twice; the count check still stops a cycle once every block is
//!   counted used; and a double free of a block that a corrupted link has
//!   cut off from the walk (unless nothing is allocated);
//! - reads and writes through a pointer kept after `free` once the block
//!   has a new owner (that is `free`'s safety contract), and wild writes to
//!   the slab's own state or flags;
//! - with `checks = "bounds"`, see above.
//!
//! Cost, measured on a Cortex-M3 (see `BENCHMARKS.md`): the flags, the
//! link test and the cached index cost about 17 instructions per pair over
//! `checks = "bounds"`.
//!
//! Why an error and not a panic: `alloc` already returns a `Result`, runs
//! in interrupt handlers where a panic is the worst outcome, and the slab
//! stays consistent after the report — it fails closed (blocks behind the
//! bad link are never handed out) while `free` and the other blocks keep
//! working, so the firmware can log the `-EFAULT` and decide to reset.

mod checks;
mod cold;
mod fast;
mod footprint;
mod setup;
pub(crate) use footprint::FIELDS as IMAGE_FIELDS;
// Part of the slab: its trace events (behind `slab_core::trace`) and its
// holders (public as `slab_core::track`).
#[cfg(feature = "trace")]
pub(crate) mod events;
#[cfg(feature = "track")]
pub mod track;

use core::cell::UnsafeCell;
use core::fmt;
use core::ptr::NonNull;
use core::sync::atomic::{AtomicU8, AtomicUsize, Ordering};

use self::checks::Checks;
use self::fast::Fast;
use crate::layout::Geometry;
use crate::lock::Locked;
use crate::wait::WaitQueue;

/// The allocation site the allocation paths pass on: the caller's
/// location with `track`, nothing without.
#[cfg(feature = "track")]
pub(crate) type SiteArg = crate::track::SiteWord;
/// The allocation site the allocation paths pass on: the caller's
/// location with `track`, nothing without.
#[cfg(all(feature = "trace", not(feature = "track")))]
#[derive(Clone, Copy)]
pub(crate) struct SiteArg;

#[cfg(all(feature = "trace", not(feature = "track")))]
impl SiteArg {
    #[inline(always)]
    pub(crate) fn caller() -> Self {
        Self
    }
}

/// `MemSlab::new()`: no buffer yet; `init` makes it ready.
const UNINIT: u8 = 0;
/// Declared with the macros: buffer and shape known, free list not threaded.
const DECLARED: u8 = 1;
/// Threaded: usable.
const READY: u8 = 2;

/// A memory slab: `num_blocks()` blocks of `block_size()` bytes each, carved
/// out of one static buffer (Zephyr's `k_mem_slab`).
///
/// Declare one with [`#[mem_slab]`](crate::mem_slab) or
/// [`mem_slabs!`](crate::mem_slabs) and call [`boot`](crate::boot) once at
/// start-up; or make one at run time with [`MemSlab::new`] and
/// [`MemSlab::init`].
///
/// ```
/// use slab_core::{MemSlab, Timeout};
///
/// static SLAB: MemSlab = MemSlab::new();
///
/// let buffer: &'static mut [u8] = Box::leak(vec![0u8; 4 * 32].into_boxed_slice());
/// // A Vec<u8> is not necessarily word-aligned: take a word-aligned window.
/// let skip = buffer.as_ptr().align_offset(core::mem::size_of::<usize>());
/// let buffer = &mut buffer[skip..];
/// SLAB.init(buffer, 32, 3).unwrap();
///
/// let block = SLAB.alloc(Timeout::NoWait).unwrap();
/// assert_eq!((SLAB.num_used(), SLAB.num_free()), (1, 2));
/// // SAFETY: `block` came from SLAB and is not used afterwards.
/// unsafe { SLAB.free(block) }.unwrap();
/// assert_eq!(SLAB.max_used(), 1);
/// ```
///
/// With `std`, a `MemSlab` is aligned to 128 bytes (a pair of cache lines,
/// which x86's spatial prefetcher fetches together), so that two slabs
/// declared next to each other never share a line: threads working on
/// different slabs do not slow each other down. The fields are in
/// declaration order (`repr(C)`): what `alloc` and `free` touch (the
/// state under the lock, then the counters) comes first, in the first 112
/// bytes on 64-bit hosts; what they only read follows. (Putting the lock,
/// the head and the counters in one 64-byte line was measured: it made the
/// single-thread `checks = "bounds"` pair slower.)
#[repr(C)]
#[cfg_attr(feature = "std", repr(align(128)))]
pub struct MemSlab {
    state: Locked<SlabState>,
    // Written under the lock, read without it. The free count is not
    // stored: it is `num_blocks - num_used` once ready (a block handed to a
    // waiter stays used), which saves the hot paths a store each.
    num_used: AtomicUsize,
    max_used: AtomicUsize,
    /// Immutable once `phase` is not `UNINIT`: constant for a declared slab,
    /// written by `init` under the lock while `UNINIT`.
    config: UnsafeCell<Config>,
    /// One byte per block, 1 while the block is free and 0 while it is
    /// allocated, and a last byte that is always 0 (see `Fast::flags`);
    /// null for a runtime-initialised slab and for `checks = "bounds"`.
    /// Only touched under the lock.
    used_map: *mut u8,
    name: &'static str,
    /// `UNINIT`/`DECLARED` → `READY`, once, under the lock.
    phase: AtomicU8,
}

#[repr(C)]
struct SlabState {
    /// First, at the slab's own address, so that the fast paths load it
    /// and the head with one or two `ldm`/`ldrd`.
    fast: Fast,
    /// Carries the buffer's provenance, whatever pointer `free` was given:
    /// threading and `free` store only pointers derived from the buffer
    /// (see [`Config::block_at`]), and so write only such links, so the
    /// links are read through it and `alloc` hands out all of the block.
    free_head: *mut u8,
    /// The head's block index when it is exactly a block of a slab the
    /// fast path serves, else the sentinel `fast.blocks`; so `alloc`'s
    /// fast path never computes the head's index.
    head_index: usize,
    waiters: WaitQueue,
}

#[derive(Clone, Copy)]
struct Config {
    buffer: *mut u8,
    geometry: Geometry,
    checks: Checks,
    /// The blocks are followed by one ownership record each
    /// (`crate::track`): a declared slab with the `track` feature. In the
    /// padding after `checks`: the slab is no larger.
    #[cfg(feature = "track")]
    tracked: bool,
}

impl Config {
    /// The block at `addr` as the slab reaches it: the buffer's pointer
    /// moved to `addr`. The slab reads and writes blocks, and hands them
    /// out, only through such pointers, never through the caller's: the
    /// pointer a `Box<u8>`'s drop frees may reach one byte only, fewer
    /// than the link word the slab writes.
    #[inline(always)]
    fn block_at(&self, addr: usize) -> *mut u8 {
        self.buffer.with_addr(addr)
    }
}

// SAFETY: the free list, the flags and the wait queue are only touched
// under the slab's lock; `config` is immutable once published (see its
// field docs); the counters are atomics. The buffer is owned by the slab
// (a static of the declaration, or the `&'static mut` given to `init`).
unsafe impl Sync for MemSlab {}
// SAFETY: as above; nothing is tied to the creating thread.
unsafe impl Send for MemSlab {}

impl Default for MemSlab {
    fn default() -> Self {
        Self::new()
    }
}

impl MemSlab {
    /// The buffer and shape. Callers hold the lock, or saw a phase other
    /// than `UNINIT` (with Acquire). A reference, not a copy: the hot paths
    /// read two or three fields.
    #[inline(always)]
    fn config(&self) -> &Config {
        // SAFETY: `config` is only written by `init`, under the lock, while
        // the phase is UNINIT, and never after: a caller holding the lock
        // cannot race that write, and one that saw another phase with
        // Acquire reads what was published before it.
        unsafe { &*self.config.get() }
    }

    /// Blocks currently allocated (including blocks handed to a waiter).
    pub fn num_used(&self) -> usize {
        self.num_used.load(Ordering::Relaxed)
    }

    /// Blocks currently on the free list (0 until the slab is ready).
    pub fn num_free(&self) -> usize {
        if self.is_ready() {
            // Saturating: with `checks = "bounds"`, a double free can make
            // a cycle that hands out more blocks than exist.
            (self.config().geometry.num_blocks)
                .saturating_sub(self.num_used.load(Ordering::Relaxed))
        } else {
            0
        }
    }

    /// The high-water mark of [`num_used`](Self::num_used).
    pub fn max_used(&self) -> usize {
        self.max_used.load(Ordering::Relaxed)
    }

    /// Sets the high-water mark to the current `num_used`.
    pub fn reset_max(&self) {
        self.state.with(|_| {
            self.max_used
                .store(self.num_used.load(Ordering::Relaxed), Ordering::Relaxed)
        });
    }

    /// Used, free and peak bytes, as one consistent snapshot
    /// (`k_mem_slab_runtime_stats_get`).
    ///
    /// ```
    /// # use slab_core::{MemSlab, Timeout};
    /// # static SLAB: MemSlab = MemSlab::new();
    /// # let buf: &'static mut [usize] = Box::leak(vec![0usize; 2].into_boxed_slice());
    /// # let buf = unsafe { core::slice::from_raw_parts_mut(buf.as_mut_ptr().cast::<u8>(), 2 * core::mem::size_of::<usize>()) };
    /// # SLAB.init(buf, core::mem::size_of::<usize>(), 2).unwrap();
    /// use slab_core::MemStats;
    ///
    /// let word = core::mem::size_of::<usize>();
    /// let block = SLAB.alloc_block(Timeout::NoWait)?;
    /// let stats = SLAB.stats();
    /// assert_eq!(stats, MemStats { allocated_bytes: word, free_bytes: word, max_allocated_bytes: word });
    /// drop(block);
    /// assert_eq!(SLAB.max_used(), 1);
    /// SLAB.reset_max(); // to the current num_used
    /// assert_eq!(SLAB.max_used(), 0);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn stats(&self) -> MemStats {
        let block_size = self.block_size();
        self.state.with(|_| MemStats {
            allocated_bytes: self.num_used.load(Ordering::Relaxed) * block_size,
            free_bytes: self.num_free() * block_size,
            max_allocated_bytes: self.max_used.load(Ordering::Relaxed) * block_size,
        })
    }

    /// The size of each block in bytes (0 before `init` for a `new()` slab).
    pub fn block_size(&self) -> usize {
        self.shape().block_size
    }

    /// The number of blocks (0 before `init` for a `new()` slab).
    pub fn num_blocks(&self) -> usize {
        self.shape().num_blocks
    }

    fn shape(&self) -> Geometry {
        if self.phase.load(Ordering::Acquire) == UNINIT {
            Geometry::EMPTY
        } else {
            self.config().geometry
        }
    }

    /// The name in the registry: the declared name, or `""` for a slab made
    /// with [`new`](Self::new) (a C program's `K_MEM_SLAB_DEFINE`d slab has
    /// its C identifier).
    pub fn name(&self) -> &'static str {
        self.name
    }

    /// Whether the slab can be used: booted, or initialised.
    pub fn is_ready(&self) -> bool {
        self.phase.load(Ordering::Acquire) == READY
    }

    /// How many callers are waiting for a block right now.
    pub fn num_waiting(&self) -> usize {
        self.state.with(|s| s.waiters.len())
    }

    /// `block`, a block of this slab, as a pointer that reaches all of it
    /// (the buffer's provenance, see [`Config::block_at`]), whatever
    /// pointer it came in as: for the in-place resizes, which hand the
    /// caller's block back to it. Unchanged before the slab has a buffer.
    pub(crate) fn whole_block_ptr(&self, block: NonNull<u8>) -> NonNull<u8> {
        if self.phase.load(Ordering::Acquire) == UNINIT {
            return block;
        }
        let p = self.config().block_at(block.addr().get());
        // SAFETY: the address of `block`, which is not null.
        unsafe { NonNull::new_unchecked(p) }
    }

    /// The index of `block` if it is exactly a block of this slab.
    #[cfg(feature = "trace")]
    pub(crate) fn index_of_block(&self, block: NonNull<u8>) -> Option<usize> {
        if self.phase.load(Ordering::Acquire) == UNINIT {
            return None;
        }
        let config = self.config();
        let offset = block.addr().get().wrapping_sub(config.buffer.addr());
        config.geometry.index_of(offset).ok()
    }

    /// The first ownership record, if the slab keeps them: right after
    /// the blocks, in the declaration's block buffer.
    #[cfg(feature = "track")]
    pub(crate) fn records(&self) -> Option<*const crate::track::Record> {
        if self.phase.load(Ordering::Acquire) == UNINIT {
            return None;
        }
        self.records_in_use()
    }

    /// [`records`](Self::records) for a slab that just handed out or took
    /// back a block: its buffer and shape are published (a declared
    /// slab's are constant; `init` wrote a runtime slab's under the lock
    /// that operation took), so the phase need not be loaded.
    #[cfg(feature = "track")]
    #[inline(always)]
    pub(crate) fn records_in_use(&self) -> Option<*const crate::track::Record> {
        let config = self.config();
        config.tracked.then(|| {
            config
                .buffer
                .wrapping_add(config.geometry.span)
                .cast_const()
                .cast()
        })
    }

    /// The index of `block`, a block this slab just handed out (see
    /// [`records_in_use`](Self::records_in_use)).
    #[cfg(feature = "track")]
    #[inline(always)]
    pub(crate) fn index_in_use(&self, block: NonNull<u8>) -> Option<usize> {
        let config = self.config();
        let offset = block.addr().get().wrapping_sub(config.buffer.addr());
        config.geometry.index_of(offset).ok()
    }

    /// Block `index` (below `num_blocks`) as the slab reaches it.
    #[cfg(feature = "track")]
    pub(crate) fn block_ptr(&self, index: usize) -> NonNull<u8> {
        let config = self.config();
        let p = config.block_at(config.buffer.addr() + index * config.geometry.block_size);
        // SAFETY: an address inside the buffer, which is not null.
        unsafe { NonNull::new_unchecked(p) }
    }

    /// The address range of the blocks (empty before the slab has a buffer).
    pub fn buffer_range(&self) -> core::ops::Range<usize> {
        if self.phase.load(Ordering::Acquire) == UNINIT {
            return 0..0;
        }
        let Config {
            buffer, geometry, ..
        } = *self.config();
        buffer as usize..buffer as usize + geometry.span
    }
}

impl fmt::Debug for MemSlab {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MemSlab")
            .field("name", &self.name)
            .field("block_size", &self.block_size())
            .field("num_blocks", &self.num_blocks())
            .field("num_used", &self.num_used())
            .field("num_free", &self.num_free())
            .field("max_used", &self.max_used())
            .field("ready", &self.is_ready())
            .finish()
    }
}

/// A slab's usage in bytes (Zephyr's `sys_memory_stats`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub struct MemStats {
    /// `num_used × block_size`.
    pub allocated_bytes: usize,
    /// `num_free × block_size`.
    pub free_bytes: usize,
    /// `max_used × block_size`.
    pub max_allocated_bytes: usize,
}
