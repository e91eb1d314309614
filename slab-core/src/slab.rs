//! [`MemSlab`]: the free list, its counters and pointer validation.
//!
//! The free list is intrusive and singly linked, as in Zephyr: a free
//! block's first word holds the address of the next free block. Blocks are
//! never zeroed; `alloc` and `free` touch nothing of a block beyond its
//! first word. The slab reaches a block only through pointers derived
//! from its own buffer, never through the one `free` was given (which may
//! reach less than the link word: a `Box<u8>`'s reaches one byte), so
//! `alloc` hands out pointers that reach all of the block.
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
//! # Fast paths
//!
//! `alloc` and `free` first try a fast path that only passes a pointer or
//! a bool out of the lock (a two-word `Result` is returned through memory
//! on Arm, which costs a stack frame): the head's block index is cached
//! beside it, so `alloc` reads the head's flag without computing it, and
//! checks only that the link it makes the new head is exactly a block or
//! null (the end of the list); `free` runs the combined test and the flag,
//! and looks at the wait queue only when the list is empty (the only time
//! callers can be waiting). Anything else — a failed check, an empty list
//! on `alloc`, a waiter, a runtime-initialised slab, a slab not yet booted
//! — changes nothing and takes the full path, which redoes the operation
//! with the exact error, the hand-off and the wake. Measured instruction counts on
//! a Cortex-M3, against a Zephyr-style `k_mem_slab`, are in
//! `BENCHMARKS.md`.
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
//! fails, `alloc` returns [`AllocError::Corrupted`] (`-EFAULT`) and changes
//! nothing.
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

use core::cell::UnsafeCell;
use core::fmt;
use core::pin::pin;
use core::ptr::{self, NonNull};
use core::sync::atomic::{AtomicU8, AtomicUsize, Ordering};

use crate::block::Block;
use crate::error::{AllocError, FreeError, InitError};
use crate::layout::{Geometry, WORD};
use crate::lock::Locked;
use crate::timeout::Timeout;
use crate::wait::{self, Outcome, WaitQueue, Waiter};

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
    /// allocated, and a last byte that is always 0 (see [`Fast::flags`]);
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

/// What the fast paths read, beside the head so that they load it in one
/// or two instructions. Set when the slab is threaded.
///
/// Each fast path passes only a pointer or a bool out of the lock; any
/// check that fails, an empty list, or a waiter present changes nothing
/// and falls back to the full path (`pop`, `free_cold`), which redoes the
/// operation with its exact `Result`, hand-off and wake.
#[derive(Clone, Copy)]
#[repr(C)]
struct Fast {
    // The four words of the block test first and in this order: one `ldm`
    // from the slab's address loads them.
    buffer: *mut u8,
    /// `rotate_right(shift)` then `wrapping_mul(odd_inverse)` maps an
    /// offset to its block index, and anything that is not a block start
    /// to `blocks` or more (see `Geometry`).
    shift: u32,
    odd_inverse: usize,
    /// The blocks the fast paths accept: the block count once a declared
    /// slab is threaded, 0 before and for a runtime-initialised slab.
    blocks: usize,
    /// The free flags of `checks = "full"` (see `MemSlab::used_map`):
    /// index `blocks`, the sentinel, is never 1, so a head of unknown or
    /// no index never passes. A runtime-initialised slab points at
    /// [`NO_FLAGS`] (its fast paths never pass, it always takes the full
    /// path). Null for `checks = "bounds"`, which keeps no flags. Just
    /// before the head, so that `alloc` loads both with one `ldrd`.
    flags: *mut u8,
}

/// The flags of a slab whose fast paths never pass: one byte, never 1,
/// never written (a fast path writes a flag only after it passed).
static NO_FLAGS: u8 = 0;

/// How much a slab verifies (`checks = "full"` / `"bounds"`).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum Checks {
    /// Everything: validation, exact double free, corrupted links.
    Full,
    /// Zephyr's `CONFIG_MEM_SLAB_POINTER_VALIDATE`: `Foreign` and
    /// `Misaligned` only.
    Bounds,
}

#[derive(Clone, Copy)]
struct Config {
    buffer: *mut u8,
    geometry: Geometry,
    checks: Checks,
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
    crate::sync::loom_const_fn! {
        /// A slab with no buffer, unusable until [`init`](Self::init).
        pub const fn new() -> Self {
            Self::with_config(
                UNINIT,
                "",
                ptr::null_mut(),
                Geometry::EMPTY,
                ptr::null_mut(),
            )
        }
    }

    crate::sync::loom_const_fn! {
        /// A declared slab over a static buffer and its free flags (see
        /// `__private::declare`; `map_words(num_blocks)` words, zero until
        /// `boot()` threads it).
        pub(crate) const fn declared(
            name: &'static str,
            buffer: *mut u8,
            used_map: *mut u8,
            block_size: usize,
            num_blocks: usize,
        ) -> Self {
            // An invalid shape has already failed the declaration's own const
            // assertions; an empty slab here keeps that to one error.
            let geometry = match Geometry::new(block_size, num_blocks) {
                Ok(g) => g,
                Err(_) => Geometry::EMPTY,
            };
            Self::with_config(DECLARED, name, buffer, geometry, used_map)
        }
    }

    crate::sync::loom_const_fn! {
        /// This declared slab with `checks = "bounds"`: no free flags.
        pub(crate) const fn with_bounds_checks(mut self) -> Self {
            let config = *self.config.get_mut();
            self.config = UnsafeCell::new(Config {
                checks: Checks::Bounds,
                ..config
            });
            self.used_map = ptr::null_mut();
            self.state.get_mut().fast.flags = ptr::null_mut();
            self
        }
    }

    crate::sync::loom_const_fn! {
        const fn with_config(
            phase: u8,
            name: &'static str,
            buffer: *mut u8,
            geometry: Geometry,
            used_map: *mut u8,
        ) -> Self {
            let flags = if used_map.is_null() {
                // Never written through: see `NO_FLAGS`.
                (&NO_FLAGS as *const u8).cast_mut()
            } else {
                used_map
            };
            Self {
                state: Locked::new(SlabState {
                    fast: Fast {
                        buffer,
                        flags,
                        shift: geometry.shift(),
                        odd_inverse: geometry.odd_inverse(),
                        blocks: 0,
                    },
                    free_head: ptr::null_mut(),
                    head_index: 0,
                    waiters: WaitQueue::new(),
                }),
                phase: AtomicU8::new(phase),
                config: UnsafeCell::new(Config {
                    buffer,
                    geometry,
                    checks: Checks::Full,
                }),
                used_map,
                name,
                num_used: AtomicUsize::new(0),
                max_used: AtomicUsize::new(0),
            }
        }
    }

    /// Initialises a [`new`](Self::new) slab over `buffer`
    /// (`k_mem_slab_init`): `num_blocks` blocks of `block_size` bytes. On
    /// success the slab is ready at once.
    ///
    /// Fails, changing nothing, when `block_size` is 0 or not a multiple of
    /// the pointer word, the buffer is not word-aligned, `num_blocks` is 0,
    /// `block_size × num_blocks` overflows or exceeds the buffer, or the
    /// slab was already initialised or is declared.
    pub fn init(
        &self,
        buffer: &'static mut [u8],
        block_size: usize,
        num_blocks: usize,
    ) -> Result<(), InitError> {
        let geometry = Geometry::new(block_size, num_blocks)?;
        if buffer.as_ptr().align_offset(WORD) != 0 {
            return Err(InitError::UnalignedBuffer);
        }
        if geometry.span > buffer.len() {
            return Err(InitError::BufferTooSmall);
        }
        let buffer = buffer.as_mut_ptr();
        self.state.with(|s| {
            if self.phase.load(Ordering::Relaxed) != UNINIT {
                return Err(InitError::AlreadyInitialized);
            }
            // SAFETY: `config` is only written here, under the lock, while
            // the phase is UNINIT, when no reader looks at it.
            unsafe {
                *self.config.get() = Config {
                    buffer,
                    geometry,
                    checks: Checks::Full,
                }
            };
            self.thread(s, false);
            self.phase.store(READY, Ordering::Release);
            Ok(())
        })
    }

    /// Threads a declared slab's free list; nothing if already done.
    pub(crate) fn boot(&self) {
        self.state.with(|s| {
            if self.phase.load(Ordering::Relaxed) == DECLARED {
                self.thread(s, true);
                self.phase.store(READY, Ordering::Release);
            }
        });
    }

    /// Links every block into the free list, in address order; marks
    /// every block free in the flags and clears the counters. One word
    /// written per block (and one byte with `checks = "full"`). Only a
    /// declared slab opens its fast paths (`fast.blocks`).
    fn thread(&self, s: &mut SlabState, declared: bool) {
        let Config {
            buffer, geometry, ..
        } = *self.config();
        let mut next = ptr::null_mut::<u8>();
        for i in (0..geometry.num_blocks).rev() {
            // SAFETY: block `i` lies inside the buffer (i × block_size <
            // span) and is word-aligned (buffer and block size are).
            unsafe {
                let block = buffer.add(i * geometry.block_size);
                block.cast::<*mut u8>().write(next);
                next = block;
            }
        }
        s.free_head = next;
        if !self.used_map.is_null() {
            for i in 0..geometry.num_blocks {
                // SAFETY: the flags have `num_blocks + 1` bytes.
                unsafe { self.used_map.add(i).write(1) };
            }
            // SAFETY: as above; the sentinel, never 1.
            unsafe { self.used_map.add(geometry.num_blocks).write(0) };
        }
        if declared {
            s.fast.blocks = geometry.num_blocks;
        }
        s.head_index = s.index_or_sentinel(next);
        self.num_used.store(0, Ordering::Relaxed);
        self.max_used.store(0, Ordering::Relaxed);
    }

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

    /// Allocates a block, waiting up to `timeout` for one
    /// (`k_mem_slab_alloc`).
    ///
    /// The block is `block_size()` bytes, aligned to the slab's alignment,
    /// inside its buffer; its contents are whatever was there. With a block
    /// free, `Ok` at once for any timeout. With none: `Err(NoMemory)` for
    /// [`Timeout::NoWait`] or a zero duration; otherwise the caller waits in
    /// priority order until a `free` hands it a block, or returns
    /// `Err(TimedOut)` once at least the timeout has elapsed. Before the
    /// slab is ready, `Err(NotReady)` at once.
    ///
    /// `alloc(Timeout::NoWait)` never blocks and is interrupt-safe.
    ///
    /// ```
    /// # use slab_core::{MemSlab, Timeout};
    /// # static SLAB: MemSlab = MemSlab::new();
    /// # let buf: &'static mut [usize] = Box::leak(vec![0usize; 2].into_boxed_slice());
    /// # let buf = unsafe { core::slice::from_raw_parts_mut(buf.as_mut_ptr().cast::<u8>(), 2 * core::mem::size_of::<usize>()) };
    /// # SLAB.init(buf, core::mem::size_of::<usize>(), 2).unwrap();
    /// use slab_core::AllocError;
    ///
    /// let a = SLAB.alloc(Timeout::NoWait)?;
    /// let b = SLAB.alloc(Timeout::millis(10))?; // a block is free: at once
    /// assert_eq!(SLAB.alloc(Timeout::NoWait), Err(AllocError::NoMemory));
    /// assert_eq!(AllocError::NoMemory.errno(), -12);
    /// // SAFETY: `a` and `b` came from SLAB and are not used afterwards.
    /// unsafe { SLAB.free(a)?; SLAB.free(b)? };
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[inline]
    pub fn alloc(&self, timeout: Timeout) -> Result<NonNull<u8>, AllocError> {
        match self.state.with(|s| self.pop_fast(s)) {
            Some(block) => Ok(block),
            None => decode(self.alloc_cold(timeout)),
        }
    }

    /// `alloc` when the fast path did not pass: the full path, which
    /// reports why, and waits. Its result comes back in one register
    /// ([`encode`]): a `Result` two words wide is returned through memory
    /// on Arm, which would give the fast path a stack frame.
    #[cold]
    #[inline(never)]
    fn alloc_cold(&self, timeout: Timeout) -> *mut u8 {
        // A caller that may wait goes straight to `alloc_slow`, whose first
        // look at the list under the lock is the full path's: one lock
        // round fewer on the way to waiting.
        encode(if timeout.wait_limit().is_some() {
            self.alloc_slow(timeout)
        } else {
            self.state.with(|s| self.pop(s))
        })
    }

    #[cold]
    pub(crate) fn alloc_slow(&self, timeout: Timeout) -> Result<NonNull<u8>, AllocError> {
        let Some(limit) = timeout.wait_limit() else {
            return Err(AllocError::NoMemory);
        };
        let node = pin!(Waiter::new());
        let node = node.as_ref().get_ref();
        // The second look. A block freed since the first (by an interrupt
        // handler, say) is taken here without reading a clock: the deadline
        // is only computed in `wait`, once the node is queued.
        let first_try = self.state.with(|s| match self.pop(s) {
            Err(AllocError::NoMemory) => {
                // SAFETY: `node` is pinned in this frame, and `wait` below
                // returns only once it is unlinked.
                unsafe { s.waiters.insert(node) };
                None
            }
            done => Some(done),
        });
        if let Some(done) = first_try {
            return done;
        }
        let pass_on = |block: *mut u8| {
            // SAFETY: `free` grants only blocks of this slab (non-null); this
            // one was handed to us and never given to anyone, so freeing it
            // passes it to the next waiter or back to the free list.
            let passed = unsafe { self.free(NonNull::new_unchecked(block)) };
            debug_assert!(
                passed.is_ok(),
                "passing on a granted block failed: {passed:?}"
            );
        };
        // SAFETY: `node` is linked and pinned in this frame.
        match unsafe { wait::wait(&self.state, |s| &mut s.waiters, node, limit, pass_on) } {
            // SAFETY: only blocks (non-null) are granted by `free`.
            Outcome::Granted(block) => Ok(unsafe { NonNull::new_unchecked(block) }),
            Outcome::TimedOut | Outcome::Cancelled => Err(AllocError::TimedOut),
        }
    }

    /// The fast path of `alloc`, under the lock: the head, if every check
    /// passes at once; `None` changes nothing and sends the caller to the
    /// full path ([`pop`](Self::pop)), which redoes it with the exact
    /// error.
    ///
    /// `checks = "full"`: the head's cached index says which flag to read
    /// (the sentinel's is never 1, so an empty list, a head of unknown
    /// index and a runtime-initialised slab all fall through); a flag of 1
    /// proves the head a free block, so its link is safe to read; the link
    /// must be exactly a block (one combined test, which a null link, the
    /// end of the list, fails too) before it becomes the head. The flags
    /// make the full path's cycle check redundant: a block whose flag is 0
    /// is never handed out, so at most `num_blocks` are out. A null link
    /// (the last block) is told apart only once that test has failed, off
    /// the common path.
    #[inline(always)]
    fn pop_fast(&self, s: &mut SlabState) -> Option<NonNull<u8>> {
        let head = s.free_head;
        let flags = s.fast.flags;
        if flags.is_null() {
            // `checks = "bounds"`: Zephyr's pop.
            let block = NonNull::new(head)?;
            // SAFETY: the head of the list: a block `free` validated, or a
            // link, which this level trusts (documented: corrupted links
            // are not detected).
            s.free_head = unsafe { block.as_ptr().cast::<*mut u8>().read() };
            self.count_alloc();
            return Some(block);
        }
        // SAFETY: `head_index ≤ fast.blocks` and the flags have
        // `fast.blocks + 1` bytes (`NO_FLAGS`: one, with both 0).
        if unsafe { flags.add(s.head_index).read() } == 0 {
            return None;
        }
        // The head's flag is cleared now, so that neither the flags nor
        // the index stay live across the link test (which would spill a
        // register); a link that fails restores it below, under the same
        // lock, so a failure still changes nothing.
        // SAFETY: as above; under the lock.
        unsafe { flags.add(s.head_index).write(0) };
        // SAFETY: a flag of 1 is only read at the head's own index: the
        // head is exactly that block, and free, so its first word is the
        // link.
        let next = unsafe { head.cast::<*mut u8>().read() };
        let mut next_index = s.fast_index(next);
        if next_index >= s.fast.blocks {
            // Off the common path: a null link ends the list (the last
            // block); anything else is for the full path to report.
            if !next.is_null() {
                // Reloaded (volatile), so that the common path keeps
                // neither value in a register.
                // SAFETY: plain fields of the state, under the lock; then
                // as above (`head_index` is unchanged).
                unsafe {
                    let flags = ptr::read_volatile(&s.fast.flags);
                    let index = ptr::read_volatile(&s.head_index);
                    flags.add(index).write(1);
                }
                return None;
            }
            next_index = s.fast.blocks;
        }
        s.free_head = next;
        s.head_index = next_index;
        self.count_alloc();
        // SAFETY: the head is a block (its flag was 1), never null.
        Some(unsafe { NonNull::new_unchecked(head) })
    }

    /// One more block out: `num_used` and the high-water mark. Under the
    /// lock.
    #[inline(always)]
    fn count_alloc(&self) {
        let used = self.num_used.load(Ordering::Relaxed) + 1;
        self.num_used.store(used, Ordering::Relaxed);
        if used > self.max_used.load(Ordering::Relaxed) {
            self.max_used.store(used, Ordering::Relaxed);
        }
    }

    /// Takes the head of the free list, under the lock: the full path,
    /// with the exact error.
    ///
    /// A link is checked in two steps: a link read out of a block must
    /// point inside the buffer at a word boundary (safe to follow) before
    /// it becomes the head, and the head must be a whole block that is
    /// free before it is handed out. A link overwritten after its block
    /// was freed is reported as `Corrupted` by the `alloc` that reads it
    /// or, if it still looks like a block, by the one that would hand that
    /// block out. (See the module docs' threat model for what is and is
    /// not caught.)
    fn pop(&self, s: &mut SlabState) -> Result<NonNull<u8>, AllocError> {
        let Some(block) = NonNull::new(s.free_head) else {
            return Err(self.empty_reason());
        };
        let config = self.config();
        // The head is inside the buffer and word-aligned: `free` checked
        // the block it pushed, and `pop` the link it made the head (with
        // `checks = "bounds"`, trusted: see `pop_fast`).
        let read_link = || {
            // SAFETY: as above, the head is a word-aligned address inside
            // the buffer; the callers below make sure nobody else owns it.
            unsafe { block.as_ptr().cast::<*mut u8>().read() }
        };
        if config.checks == Checks::Bounds {
            s.free_head = read_link();
            self.count_alloc();
            return Ok(block);
        }
        let offset = (block.as_ptr() as usize).wrapping_sub(config.buffer as usize);
        // The head's low bits are known to be clear (see above): only the
        // quotient is left to check.
        let Some(index) = config.geometry.index_of_aligned(offset) else {
            return Err(AllocError::Corrupted);
        };
        if self.has_flags() && !self.flag_free(index) {
            // Allocated: a link was overwritten with its address. Its first
            // word is its owner's, so it is not read (that read would race
            // the owner's writes).
            return Err(AllocError::Corrupted);
        }
        // Free by its flag (or, without flags, trusted as documented for
        // runtime-initialised slabs): the link is the slab's to read.
        let next = read_link();
        let next_offset = (next as usize).wrapping_sub(config.buffer as usize);
        if !next.is_null() && !config.geometry.may_be_block(next_offset) {
            return Err(AllocError::Corrupted);
        }
        let used = self.num_used.load(Ordering::Relaxed) + 1;
        if used > config.geometry.num_blocks {
            // A cycle in the list: more blocks handed out than exist.
            return Err(AllocError::Corrupted);
        }
        s.free_head = next;
        s.head_index = s.index_or_sentinel(next);
        if self.has_flags() {
            self.set_flag(index, 0);
        }
        self.count_alloc();
        Ok(block)
    }

    /// Why the free list is empty: not threaded yet, no block free, or a
    /// corrupted link that ended the list early.
    #[cold]
    fn empty_reason(&self) -> AllocError {
        if self.phase.load(Ordering::Relaxed) != READY {
            AllocError::NotReady
        } else if self.num_used.load(Ordering::Relaxed) != self.config().geometry.num_blocks {
            AllocError::Corrupted
        } else {
            AllocError::NoMemory
        }
    }

    /// Whether the slab keeps free flags (`checks = "full"`, declared).
    #[inline(always)]
    fn has_flags(&self) -> bool {
        !self.used_map.is_null()
    }

    /// Whether block `index` (below `num_blocks`) is free by its flag.
    /// Under the lock, with flags.
    #[inline(always)]
    fn flag_free(&self, index: usize) -> bool {
        // SAFETY: index < num_blocks, inside the flags; under the lock.
        unsafe { self.used_map.add(index).read() != 0 }
    }

    /// Sets block `index`'s flag (1: free). Under the lock, with flags.
    #[inline(always)]
    fn set_flag(&self, index: usize, value: u8) {
        // SAFETY: as in `flag_free`.
        unsafe { self.used_map.add(index).write(value) }
    }

    /// Returns a block to the slab (`k_mem_slab_free`).
    ///
    /// With callers waiting, the block goes straight to the most urgent one
    /// (priority, then longest waiting): `num_used` stays and the free count
    /// is not raised, so a racing `alloc(NoWait)` gets `NoMemory`.
    /// Otherwise it returns to the free list.
    ///
    /// A pointer outside the buffer (`Foreign`), inside but not at a block
    /// start (`Misaligned`), or a block already free (`DoubleFree`) is
    /// rejected and nothing changes. Never blocks; interrupt-safe. (A
    /// declared slab with `checks = "bounds"` detects a double free only
    /// when nothing is allocated; see [`mem_slab`](crate::mem_slab).)
    ///
    /// ```
    /// # use slab_core::{MemSlab, Timeout};
    /// # static SLAB: MemSlab = MemSlab::new();
    /// # let buf: &'static mut [usize] = Box::leak(vec![0usize; 2].into_boxed_slice());
    /// # let buf = unsafe { core::slice::from_raw_parts_mut(buf.as_mut_ptr().cast::<u8>(), 2 * core::mem::size_of::<usize>()) };
    /// # SLAB.init(buf, core::mem::size_of::<usize>(), 2).unwrap();
    /// use slab_core::FreeError;
    ///
    /// let block = SLAB.alloc(Timeout::NoWait)?;
    /// // SAFETY: `block` came from SLAB; after the first free it is only
    /// // passed to `free` again, which rejects it without touching it.
    /// unsafe {
    ///     SLAB.free(block)?;
    ///     assert_eq!(SLAB.free(block), Err(FreeError::DoubleFree));
    /// }
    /// let mut not_a_block = 0usize;
    /// // SAFETY: rejected (outside the slab's buffer) without being touched.
    /// let foreign = unsafe { SLAB.free(core::ptr::NonNull::from(&mut not_a_block).cast()) };
    /// assert_eq!(foreign, Err(FreeError::Foreign));
    /// assert_eq!(SLAB.num_free(), 2); // nothing changed
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    ///
    /// # Safety
    /// The caller gives the block up: no reference into it may be used
    /// afterwards (the slab writes its first word, and hands it to another
    /// owner).
    #[inline]
    pub unsafe fn free(&self, block: NonNull<u8>) -> Result<(), FreeError> {
        if self.state.with(|s| self.push_fast(s, block.as_ptr())) {
            Ok(())
        } else {
            // SAFETY: the caller's contract.
            unsafe { self.free_cold(block) }
        }
    }

    /// The fast path of `free`, under the lock: pushes the block if every
    /// check passes at once; `false` changes nothing and sends the caller
    /// to the full path ([`free_cold`](Self::free_cold)).
    ///
    /// One combined test proves the block exactly a block of a slab the
    /// fast path serves (none before `boot()`, none of a runtime slab) and
    /// yields its index. Callers can be waiting only when the list is
    /// empty (a caller waits only on an empty list, and while one waits
    /// every `free` hands off instead of pushing), so the wait queue is
    /// looked at only then, off the common path; with a waiter, the full
    /// path hands the block off.
    #[inline(always)]
    fn push_fast(&self, s: &mut SlabState, block: *mut u8) -> bool {
        // Everything this path reads of the shape and the head, at once:
        // adjacent words, which one `ldm` loads.
        let fast = s.fast;
        let head = s.free_head;
        let offset = block.addr().wrapping_sub(fast.buffer.addr());
        // The block as the slab reaches it (see `Config::block_at`): the
        // caller's pointer gives only the address. (Derived here, next to
        // the subtraction, so that the code generator sees `buffer +
        // (block - buffer)` whole and keeps using the caller's register.)
        let block = fast.buffer.wrapping_add(offset);
        let index = offset
            .rotate_right(fast.shift)
            .wrapping_mul(fast.odd_inverse);
        if index >= fast.blocks || (head.is_null() && s.waiters.len() != 0) {
            return false;
        }
        let used = self.num_used.load(Ordering::Relaxed);
        let flags = fast.flags;
        if flags.is_null() {
            // `checks = "bounds"`: with nothing allocated, a double free.
            if used == 0 {
                return false;
            }
        } else {
            // SAFETY: index < fast.blocks: inside the flags; under the lock.
            if unsafe { flags.add(index).read() } != 0 {
                return false; // already free
            }
            // SAFETY: as above.
            unsafe { flags.add(index).write(1) };
        }
        // SAFETY: `block` is exactly a block of this slab (validated
        // above), reached through the buffer, given up by the caller; its
        // first word becomes the link.
        unsafe { block.cast::<*mut u8>().write(head) };
        s.free_head = block;
        s.head_index = index;
        // An allocated block (flag 0) means `used ≥ 1`.
        self.num_used.store(used - 1, Ordering::Relaxed);
        true
    }

    /// The full path of `free`: the exact error, the hand-off and the wake.
    ///
    /// # Safety
    /// As [`free`](Self::free).
    #[cold]
    #[inline(never)]
    unsafe fn free_cold(&self, block: NonNull<u8>) -> Result<(), FreeError> {
        let wake = self.state.with(|s| {
            if self.phase.load(Ordering::Relaxed) != READY {
                return Err(FreeError::NotReady);
            }
            let config = self.config();
            let offset = (block.as_ptr() as usize).wrapping_sub(config.buffer as usize);
            let index = config.geometry.index_of(offset)?;
            // From here on, the block as the slab reaches it.
            let block = config.block_at(block.as_ptr().addr());
            if self.has_flags() {
                if self.flag_free(index) {
                    return Err(FreeError::DoubleFree);
                }
            } else if self.num_used.load(Ordering::Relaxed) == 0 {
                // With nothing allocated every free is a double free, even
                // if a corrupted link hides the block from the walk.
                return Err(FreeError::DoubleFree);
            } else if config.checks == Checks::Full && self.on_free_list(s, config, block) {
                return Err(FreeError::DoubleFree);
            }
            if let Some(wake) = s.waiters.grant_first(block) {
                // Handed off: still allocated, counters and flag unchanged.
                return Ok(Some(wake));
            }
            // SAFETY: `block` is a block of this slab (validated above),
            // reached through the buffer, given up by the caller; its first
            // word becomes the link.
            unsafe { block.cast::<*mut u8>().write(s.free_head) };
            s.free_head = block;
            s.head_index = s.index_or_sentinel(block);
            if self.has_flags() {
                self.set_flag(index, 1);
            }
            self.num_used
                .store(self.num_used.load(Ordering::Relaxed) - 1, Ordering::Relaxed);
            Ok(None)
        })?;
        if let Some(wake) = wake {
            wake.wake();
        }
        Ok(())
    }

    /// Double-free check of a runtime-initialised slab, which has no
    /// flags: a bounded walk of the free list. (A declared slab reads its
    /// flag instead.)
    #[inline(never)]
    fn on_free_list(&self, s: &SlabState, config: &Config, p: *mut u8) -> bool {
        let mut node = s.free_head;
        let free = config.geometry.num_blocks - self.num_used.load(Ordering::Relaxed);
        for _ in 0..free {
            if node == p {
                return true;
            }
            let offset = (node as usize).wrapping_sub(config.buffer as usize);
            if node.is_null() || config.geometry.index_of(offset).is_err() {
                break; // a corrupted link: `alloc` reports it
            }
            // SAFETY: `node` is a block of this slab on the free list,
            // reached through the buffer.
            node = unsafe { config.block_at(node.addr()).cast::<*mut u8>().read() };
        }
        false
    }

    /// Allocates a block owned by a [`Block`], which frees it when dropped.
    ///
    /// ```
    /// # use slab_core::{MemSlab, Timeout};
    /// # static SLAB: MemSlab = MemSlab::new();
    /// # let buf: &'static mut [usize] = Box::leak(vec![0usize; 16].into_boxed_slice());
    /// # let buf = unsafe { core::slice::from_raw_parts_mut(buf.as_mut_ptr().cast::<u8>(), 16 * core::mem::size_of::<usize>()) };
    /// # SLAB.init(buf, 4 * core::mem::size_of::<usize>(), 4).unwrap();
    /// {
    ///     let mut block = SLAB.alloc_block(Timeout::NoWait).unwrap();
    ///     block.as_uninit_mut()[0].write(42);
    ///     assert_eq!(SLAB.num_used(), 1);
    /// } // freed here
    /// assert_eq!(SLAB.num_used(), 0);
    /// ```
    pub fn alloc_block(&self, timeout: Timeout) -> Result<Block<'_>, AllocError> {
        self.alloc(timeout).map(|ptr| Block::new(self, ptr))
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
    /// with [`new`](Self::new).
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

/// Hooks for async allocation (`crate::async_alloc`), which polls a waiter
/// node instead of parking on it: the wait queue, under the slab's lock.
impl MemSlab {
    /// Under the lock: takes a free block, or, with none free, runs
    /// `enqueue` on the wait queue and returns `None` (the first poll of an
    /// async allocation, as `alloc_slow`'s first try).
    pub(crate) fn pop_or_enqueue(
        &self,
        enqueue: impl FnOnce(&mut WaitQueue),
    ) -> Option<Result<NonNull<u8>, AllocError>> {
        self.state.with(|s| match self.pop(s) {
            Err(AllocError::NoMemory) => {
                enqueue(&mut s.waiters);
                None
            }
            done => Some(done),
        })
    }

    /// Runs `f` on the wait queue, under the slab's lock.
    pub(crate) fn with_waiters<R>(&self, f: impl FnOnce(&mut WaitQueue) -> R) -> R {
        self.state.with(|s| f(&mut s.waiters))
    }
}

/// An `alloc` result as one pointer: the block, or an error as an odd
/// address without provenance (a block is word-aligned).
#[inline(always)]
fn encode(result: Result<NonNull<u8>, AllocError>) -> *mut u8 {
    match result {
        Ok(block) => block.as_ptr(),
        Err(e) => ptr::without_provenance_mut((e as usize) << 1 | 1),
    }
}

/// The inverse of [`encode`].
#[inline(always)]
fn decode(raw: *mut u8) -> Result<NonNull<u8>, AllocError> {
    let code = raw.addr();
    if code & 1 == 0 {
        // SAFETY: even values are blocks, never null.
        return Ok(unsafe { NonNull::new_unchecked(raw) });
    }
    Err(match code >> 1 {
        c if c == AllocError::NoMemory as usize => AllocError::NoMemory,
        c if c == AllocError::TimedOut as usize => AllocError::TimedOut,
        c if c == AllocError::NotReady as usize => AllocError::NotReady,
        _ => AllocError::Corrupted,
    })
}

impl SlabState {
    /// The fast paths' block index of `p`: below `fast.blocks` exactly when
    /// `p` is a block start of a slab the fast paths serve.
    #[inline(always)]
    fn fast_index(&self, p: *mut u8) -> usize {
        (p as usize)
            .wrapping_sub(self.fast.buffer as usize)
            .rotate_right(self.fast.shift)
            .wrapping_mul(self.fast.odd_inverse)
    }

    /// What `head_index` is for a head `p`: its index, or the sentinel.
    #[inline(always)]
    fn index_or_sentinel(&self, p: *mut u8) -> usize {
        self.fast_index(p).min(self.fast.blocks)
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
