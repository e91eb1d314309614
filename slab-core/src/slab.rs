//! [`MemSlab`]: the free list, its counters and pointer validation.
//!
//! The free list is intrusive and singly linked, as in Zephyr: a free
//! block's first word holds the address of the next free block. Blocks are
//! never zeroed; `alloc` and `free` touch nothing of a block beyond its
//! first word.
//!
//! Counting and blocking ride a semaphore-style core: the number of free
//! blocks is the semaphore's count, and the wait queue is shared with
//! [`Semaphore`](crate::Semaphore). A `free` that finds a waiter hands the
//! block itself to it without raising the count, so nothing can steal it.
//!
//! Costs (uncontended): `alloc` and `free` each take the slab's lock once
//! and run a constant number of instructions. `free` validates the pointer
//! with a subtraction, a mask and a multiplication (no division); a
//! declared slab also keeps one bit per block, which makes double-free
//! detection exact and O(1). A runtime-initialised slab (`new` + `init`) has
//! nowhere to keep that bitmap and detects a double free by walking its
//! free list instead, O(free blocks).
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
//!   before that block could be handed out a second time (the bitmap);
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
//!   allocated block (there is no bitmap to consult) hands that block out
//!   twice; the count check still stops a cycle once every block is
//!   counted used; and a double free of a block that a corrupted link has
//!   cut off from the walk (unless nothing is allocated);
//! - reads and writes through a pointer kept after `free` once the block
//!   has a new owner (that is `free`'s safety contract), and wild writes to
//!   the slab's own state or bitmap.
//!
//! Cost, measured on a Cortex-M3 (see `BENCHMARKS.md`): about 19
//! instructions per `alloc` for the link and block checks, 13 per `free`
//! for pointer validation and 24 per pair for the bitmap; on the host the
//! alloc+free pair stays below the system allocator's cost.
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
/// declaration order (`repr(C)`): what `alloc` and `free` write (the lock,
/// the free list, the counters) comes first, in the first 64 bytes on
/// 64-bit hosts, so that a contended slab moves one line between cores
/// rather than two; what they only read follows.
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
    /// One bit per block, set while the block is allocated; null for a
    /// runtime-initialised slab. Only touched under the lock.
    used_map: *mut usize,
    name: &'static str,
    /// `UNINIT`/`DECLARED` → `READY`, once, under the lock.
    phase: AtomicU8,
}

struct SlabState {
    free_head: *mut u8,
    waiters: WaitQueue,
}

#[derive(Clone, Copy)]
struct Config {
    buffer: *mut u8,
    geometry: Geometry,
}

// SAFETY: the free list, the bitmap and the wait queue are only touched
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
        /// A declared slab over a static buffer and used-block bitmap (see
        /// `__private::declare`). `boot()` threads it.
        pub(crate) const fn declared(
            name: &'static str,
            buffer: *mut u8,
            used_map: *mut usize,
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
        const fn with_config(
            phase: u8,
            name: &'static str,
            buffer: *mut u8,
            geometry: Geometry,
            used_map: *mut usize,
        ) -> Self {
            Self {
                state: Locked::new(SlabState {
                    free_head: ptr::null_mut(),
                    waiters: WaitQueue::new(),
                }),
                phase: AtomicU8::new(phase),
                config: UnsafeCell::new(Config { buffer, geometry }),
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
            unsafe { *self.config.get() = Config { buffer, geometry } };
            self.thread(s);
            self.phase.store(READY, Ordering::Release);
            Ok(())
        })
    }

    /// Threads a declared slab's free list; nothing if already done.
    pub(crate) fn boot(&self) {
        self.state.with(|s| {
            if self.phase.load(Ordering::Relaxed) == DECLARED {
                self.thread(s);
                self.phase.store(READY, Ordering::Release);
            }
        });
    }

    /// Links every block into the free list, in address order; clears the
    /// bitmap and the counters. One word written per block.
    fn thread(&self, s: &mut SlabState) {
        let Config { buffer, geometry } = *self.config();
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
            for w in 0..crate::layout::map_words(geometry.num_blocks) {
                // SAFETY: the bitmap has `map_words(num_blocks)` words.
                unsafe { self.used_map.add(w).write(0) };
            }
        }
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
        match self.state.with(|s| self.pop(s)) {
            Err(AllocError::NoMemory) => self.alloc_slow(timeout),
            done => done,
        }
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

    /// Takes the head of the free list, under the lock.
    ///
    /// A link is checked in two steps, so that the check does not lengthen
    /// the chain of dependent loads between the lock's two atomic
    /// operations: a link read out of a block must point inside the buffer
    /// at a word boundary (safe to follow) before it becomes the head, and
    /// the head must be a whole block that is free before it is handed out.
    /// A link overwritten after its block was freed is reported as
    /// `Corrupted` by the `alloc` that reads it or, if it still looks like a
    /// block, by the one that would hand that block out. (See the module
    /// docs' threat model for what is and is not caught.)
    #[inline(always)]
    fn pop(&self, s: &mut SlabState) -> Result<NonNull<u8>, AllocError> {
        let Some(block) = NonNull::new(s.free_head) else {
            return Err(self.empty_reason());
        };
        let config = self.config();
        // SAFETY: the head is inside the buffer and word-aligned: `free`
        // checked the block it pushed, and `pop` the link it made the head.
        let next = unsafe { block.as_ptr().cast::<*mut u8>().read() };
        let offset = (block.as_ptr() as usize).wrapping_sub(config.buffer as usize);
        // The head's low bits are known to be clear (see above): only the
        // quotient is left to check.
        let Some(index) = config.geometry.index_of_aligned(offset) else {
            return Err(AllocError::Corrupted);
        };
        // The bitmap word is read once: checked now, written back below.
        let marked = match self.map_slot(index) {
            Some((word, bit)) => {
                // SAFETY: `map_slot` points into the bitmap; under the lock.
                let bits = unsafe { *word };
                if bits & bit != 0 {
                    return Err(AllocError::Corrupted);
                }
                Some((word, bits | bit))
            }
            None => None,
        };
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
        if let Some((word, bits)) = marked {
            // SAFETY: as above.
            unsafe { *word = bits };
        }
        self.num_used.store(used, Ordering::Relaxed);
        if used > self.max_used.load(Ordering::Relaxed) {
            self.max_used.store(used, Ordering::Relaxed);
        }
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

    /// Whether `p` is the start of a block of this slab that is free as
    /// far as the bitmap knows (a runtime-initialised slab has none).
    #[inline(always)]
    fn is_free_block(&self, config: &Config, p: *mut u8) -> bool {
        match config
            .geometry
            .index_of((p as usize).wrapping_sub(config.buffer as usize))
        {
            Ok(index) => self.used_map.is_null() || !self.map_get(index),
            Err(_) => false,
        }
    }

    #[inline(always)]
    fn map_get(&self, index: usize) -> bool {
        let (word, bit) = (index / usize::BITS as usize, index % usize::BITS as usize);
        // SAFETY: index < num_blocks, so `word` is inside the bitmap; only
        // touched under the lock.
        unsafe { *self.used_map.add(word) & (1 << bit) != 0 }
    }

    /// The bitmap word holding block `index`'s bit, and that bit; `None`
    /// for a runtime-initialised slab, which has no bitmap. `index` must be
    /// below `num_blocks`; the word may only be touched under the lock.
    #[inline(always)]
    fn map_slot(&self, index: usize) -> Option<(*mut usize, usize)> {
        if self.used_map.is_null() {
            return None;
        }
        let (word, bit) = (index / usize::BITS as usize, index % usize::BITS as usize);
        // SAFETY: index < num_blocks, so `word` is inside the bitmap.
        Some((unsafe { self.used_map.add(word) }, 1 << bit))
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
    /// rejected and nothing changes. Never blocks; interrupt-safe.
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
        let wake = self.state.with(|s| {
            // The phase is only looked at when the block is rejected: before
            // the slab is ready no pointer passes (a `new()` slab spans no
            // bytes, and a declared one's bitmap says every block is free).
            let config = self.config();
            let offset = (block.as_ptr() as usize).wrapping_sub(config.buffer as usize);
            let index = match config.geometry.index_of(offset) {
                Ok(index) => index,
                Err(e) => return Err(self.rejected(e)),
            };
            // The bitmap word is read once: checked now, written back below.
            let cleared = match self.map_slot(index) {
                Some((word, bit)) => {
                    // SAFETY: `map_slot` points into the bitmap; under the lock.
                    let bits = unsafe { *word };
                    if bits & bit == 0 {
                        return Err(self.rejected(FreeError::DoubleFree));
                    }
                    Some((word, bits & !bit))
                }
                // With nothing allocated every free is a double free, even
                // if a corrupted link hides the block from the walk.
                None if self.num_used.load(Ordering::Relaxed) == 0
                    || self.on_free_list(s, config, block.as_ptr()) =>
                {
                    return Err(self.rejected(FreeError::DoubleFree));
                }
                None => None,
            };
            if let Some(wake) = s.waiters.grant_first(block.as_ptr()) {
                // Handed off: still allocated, counters unchanged.
                return Ok(Some(wake));
            }
            // SAFETY: `block` is a block of this slab (validated above),
            // given up by the caller; its first word becomes the link.
            unsafe { block.as_ptr().cast::<*mut u8>().write(s.free_head) };
            s.free_head = block.as_ptr();
            if let Some((word, bits)) = cleared {
                // SAFETY: as above.
                unsafe { *word = bits };
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

    /// Why `free` rejects a block: `NotReady` before the slab is ready,
    /// whatever the pointer; otherwise what the checks found.
    #[cold]
    fn rejected(&self, found: FreeError) -> FreeError {
        if self.phase.load(Ordering::Relaxed) != READY {
            FreeError::NotReady
        } else {
            found
        }
    }

    /// Double-free check of a runtime-initialised slab, which has no
    /// bitmap: a bounded walk of the free list. (A declared slab reads its
    /// bitmap instead, inline in `free`.)
    #[inline(never)]
    fn on_free_list(&self, s: &SlabState, config: &Config, p: *mut u8) -> bool {
        let mut node = s.free_head;
        let free = config.geometry.num_blocks - self.num_used.load(Ordering::Relaxed);
        for _ in 0..free {
            if node == p {
                return true;
            }
            if node.is_null() || !self.is_free_block(config, node) {
                break; // a corrupted link: `alloc` reports it
            }
            // SAFETY: `node` is a block of this slab on the free list.
            node = unsafe { node.cast::<*mut u8>().read() };
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
            self.config().geometry.num_blocks - self.num_used.load(Ordering::Relaxed)
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

    /// The address range of the blocks (empty before the slab has a buffer).
    pub fn buffer_range(&self) -> core::ops::Range<usize> {
        if self.phase.load(Ordering::Acquire) == UNINIT {
            return 0..0;
        }
        let Config { buffer, geometry } = *self.config();
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
