//! The hot path: [`MemSlab::alloc`] and [`MemSlab::free`] as callers
//! meet them, the fast path each tries first under the lock, and the
//! block test both rely on.
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
//! The block test ([`Fast::block_index`]) maps an offset into the buffer
//! to its block index with a rotate and a multiplication by the block
//! size's odd inverse, and anything that is not a block start to
//! `blocks` or more (see `Geometry`).

use core::ptr::{self, NonNull};
use core::sync::atomic::Ordering;

use super::cold::decode;
use super::{MemSlab, SlabState};
use crate::error::{AllocError, FreeError};
use crate::layout::WORD;
use crate::timeout::Timeout;

/// What the fast paths read, beside the head so that they load it in one
/// or two instructions. Set when the slab is threaded.
///
/// Each fast path passes only a pointer or a bool out of the lock; any
/// check that fails, an empty list, or a waiter present changes nothing
/// and falls back to the full path (`pop`, `free_cold`), which redoes the
/// operation with its exact `Result`, hand-off and wake.
#[derive(Clone, Copy)]
#[repr(C)]
pub(super) struct Fast {
    // The four words of the block test first and in this order: one `ldm`
    // from the slab's address loads them.
    pub(super) buffer: *mut u8,
    /// `rotate_right(shift)` then `wrapping_mul(odd_inverse)` maps an
    /// offset to its block index, and anything that is not a block start
    /// to `blocks` or more (see `Geometry`).
    pub(super) shift: u32,
    pub(super) odd_inverse: usize,
    /// The blocks the fast paths accept: the block count once a declared
    /// slab is threaded, 0 before, for a runtime-initialised slab and once
    /// a trace hook is set (`events`).
    pub(super) blocks: usize,
    /// The free flags of `checks = "full"` (see `MemSlab::used_map`):
    /// index `blocks`, the sentinel, is never 1, so a head of unknown or
    /// no index never passes. A runtime-initialised slab, and any slab
    /// once a trace hook is set, points at [`NO_FLAGS`] (its fast paths
    /// never pass, it always takes the full path). Null for `checks = "bounds"`, which keeps no flags. Just
    /// before the head, so that `alloc` loads both with one `ldrd`.
    pub(super) flags: *mut u8,
}

/// The flags of a slab whose fast paths never pass: one byte, never 1,
/// never written (a fast path writes a flag only after it passed).
pub(super) static NO_FLAGS: u8 = 0;

impl Fast {
    /// The block test: the block index of `offset` (from the buffer's
    /// start), below `blocks` exactly when `offset` is a block start of a
    /// slab the fast paths serve.
    #[inline(always)]
    pub(super) fn block_index(self, offset: usize) -> usize {
        offset
            .rotate_right(self.shift)
            .wrapping_mul(self.odd_inverse)
    }
}

impl SlabState {
    /// The fast paths' block index of `p`: below `fast.blocks` exactly when
    /// `p` is a block start of a slab the fast paths serve.
    #[inline(always)]
    fn fast_index(&self, p: *mut u8) -> usize {
        self.fast
            .block_index((p as usize).wrapping_sub(self.fast.buffer as usize))
    }

    /// What `head_index` is for a head `p`: its index, or the sentinel.
    #[inline(always)]
    pub(super) fn index_or_sentinel(&self, p: *mut u8) -> usize {
        self.fast_index(p).min(self.fast.blocks)
    }
}

impl MemSlab {
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
    #[cfg_attr(not(any(feature = "track", feature = "trace")), inline)]
    // With the features, the fast path is a few instructions longer: still
    // inlined, as without them.
    #[cfg_attr(any(feature = "track", feature = "trace"), inline(always))]
    #[cfg_attr(feature = "track", track_caller)]
    pub fn alloc(&self, timeout: Timeout) -> Result<NonNull<u8>, AllocError> {
        #[cfg(not(any(feature = "track", feature = "trace")))]
        match self.state.with(|s| self.pop_fast(s)) {
            Some(block) => Ok(block),
            None => decode(self.alloc_cold(timeout)),
        }
        // The same, and what the features observe: the fast path adds the
        // record (`track`; with `trace` alone, nothing: a hook, once set,
        // closes the fast path, see `events`); the full path records and
        // reports out of line.
        #[cfg(any(feature = "track", feature = "trace"))]
        {
            let site = super::SiteArg::caller();
            match self.state.with(|s| self.pop_fast(s)) {
                Some(block) => {
                    self.observe_alloc(block, site);
                    Ok(block)
                }
                None => decode(self.alloc_cold_observed(timeout, site)),
            }
        }
    }

    /// What the features observe of a block `alloc`'s fast path took.
    #[cfg(any(feature = "track", feature = "trace"))]
    #[inline(always)]
    fn observe_alloc(&self, block: NonNull<u8>, site: super::SiteArg) {
        #[cfg(feature = "track")]
        self.track_taken(block, site);
        #[cfg(not(feature = "track"))]
        let _ = (block, site);
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
    pub(super) fn count_alloc(&self) {
        let used = self.num_used.load(Ordering::Relaxed) + 1;
        self.num_used.store(used, Ordering::Relaxed);
        if used > self.max_used.load(Ordering::Relaxed) {
            self.max_used.store(used, Ordering::Relaxed);
        }
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
        #[cfg(not(feature = "trace"))]
        if self.state.with(|s| self.push_fast(s, block.as_ptr(), 0)) {
            Ok(())
        } else {
            // SAFETY: the caller's contract.
            unsafe { self.free_cold(block) }
        }
        // The same, with the full path that reports to the trace hook (a
        // hook, once set, closes the fast path: see `events`).
        #[cfg(feature = "trace")]
        if self.state.with(|s| self.push_fast(s, block.as_ptr(), 0)) {
            Ok(())
        } else {
            // SAFETY: the caller's contract.
            unsafe { self.free_cold_observed(block) }
        }
    }

    /// [`free`](Self::free) of a block whose first `covered` bytes the
    /// caller's pointer reaches (a `GlobalAlloc` or `Allocator` is told the
    /// layout): the link's first `covered` bytes are written through it,
    /// the rest through the buffer (see [`write_link`]). `covered = 0` is
    /// `free`.
    ///
    /// # Safety
    /// As `free`, and `block` is valid for writes of `covered` bytes.
    #[inline(always)]
    pub(crate) unsafe fn free_covering(
        &self,
        block: NonNull<u8>,
        covered: usize,
    ) -> Result<(), FreeError> {
        if self
            .state
            .with(|s| self.push_fast(s, block.as_ptr(), covered))
        {
            Ok(())
        } else {
            // SAFETY: the caller's contract.
            let result = unsafe { self.free_cold_covering(block, covered) };
            #[cfg(feature = "trace")]
            super::events::free(self, block, &result);
            result
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
    fn push_fast(&self, s: &mut SlabState, given: *mut u8, covered: usize) -> bool {
        // Everything this path reads of the shape and the head, at once:
        // adjacent words, which one `ldm` loads.
        let fast = s.fast;
        let head = s.free_head;
        let offset = given.addr().wrapping_sub(fast.buffer.addr());
        // The block as the slab reaches it (see `Config::block_at`): the
        // caller's pointer gives only the address. (Derived here, next to
        // the subtraction, so that the code generator sees `buffer +
        // (block - buffer)` whole and keeps using the caller's register.)
        let block = fast.buffer.wrapping_add(offset);
        let index = fast.block_index(offset);
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
        #[cfg(feature = "track")]
        self.track_freed(index);
        // SAFETY: `block` is exactly a block of this slab (validated
        // above), reached through the buffer, given up by the caller; its
        // first word becomes the link. `given` is at the same address and
        // reaches `covered` bytes (`free_covering`'s contract).
        unsafe { write_link(block, given, covered, head) };
        s.free_head = block;
        s.head_index = index;
        // An allocated block (flag 0) means `used ≥ 1`.
        self.num_used.store(used - 1, Ordering::Relaxed);
        true
    }
}

/// Writes `link` into the first word of `block`, a block being freed, as
/// the slab reaches it through its buffer: the first `covered` bytes
/// through `given`, the pointer the block was freed with, and the rest
/// through `block`.
///
/// Both halves matter to the aliasing models. The caller's pointer may
/// reach less than the word (a `Box<u8>`'s reaches one byte), so what it
/// does not reach goes through the buffer. And what it reaches may still
/// be protected while the block is freed (`drop(boxed)`: the box is an
/// argument of `mem::drop` until its drop returns), so that part goes
/// through the caller's pointer: a write through the buffer there would
/// invalidate the box. The copies are untyped, so the link keeps its
/// provenance (the buffer's). With `covered` 0 or at least a word this
/// is one word store; otherwise one byte store per byte of the word.
///
/// # Safety
/// `block` is a block of the slab, given up by the caller; `given` is at
/// the same address and valid for writes of `covered` bytes.
#[inline(always)]
pub(super) unsafe fn write_link(block: *mut u8, given: *mut u8, covered: usize, link: *mut u8) {
    if covered == 0 {
        // SAFETY: the caller's contract: a word-aligned block of the slab.
        unsafe { block.cast::<*mut u8>().write(link) };
        return;
    }
    if covered >= WORD {
        // SAFETY: the caller's contract: `given` is the block's address,
        // word-aligned, and reaches the whole word.
        unsafe { given.cast::<*mut u8>().write(link) };
        return;
    }
    let bytes = (&raw const link).cast::<u8>();
    // One byte at a time, each a one-byte copy, unrolled by hand (a byte
    // load and store each, no loop and no call of `memcpy` with a length
    // only known at run time); the offsets at or past `WORD` fold away.
    const { assert!(WORD <= 8) };
    macro_rules! each_byte {
        ($($i:literal)*) => {$(
            if $i < WORD {
                let to = if $i < covered { given } else { block };
                // SAFETY: `bytes` is the word `link`, so `$i < WORD` is in
                // it; `given` reaches its first `covered` bytes, and
                // `block` (the same address) all of the block, which is at
                // least a word.
                unsafe { ptr::copy_nonoverlapping(bytes.add($i), to.add($i), 1) };
            }
        )*};
    }
    each_byte!(0 1 2 3 4 5 6 7);
}
