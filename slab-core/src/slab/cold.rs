//! The full paths of `alloc` and `free`, which the fast paths fall back
//! to: they redo the operation with the exact error, wait for a block,
//! hand a freed block to a waiter and wake it. Also the hooks of async
//! allocation, which poll a waiter node instead of parking on it.

use core::pin::pin;
use core::ptr::{self, NonNull};
use core::sync::atomic::Ordering;

use super::checks::Checks;
use super::fast::write_link;
use super::{MemSlab, READY, SlabState};
use crate::error::{AllocError, FreeError};
use crate::timeout::Timeout;
use crate::wait::{self, Outcome, WaitQueue, Waiter};

impl MemSlab {
    /// `alloc` when the fast path did not pass: the full path, which
    /// reports why, and waits. Its result comes back in one register
    /// ([`encode`]): a `Result` two words wide is returned through memory
    /// on Arm, which would give the fast path a stack frame.
    #[cold]
    #[inline(never)]
    pub(super) fn alloc_cold(&self, timeout: Timeout) -> *mut u8 {
        // A caller that may wait goes straight to `alloc_slow`, whose first
        // look at the list under the lock is the full path's: one lock
        // round fewer on the way to waiting.
        encode(if timeout.wait_limit().is_some() {
            self.alloc_slow(timeout)
        } else {
            self.state.with(|s| self.pop(s))
        })
    }

    /// [`alloc_cold`](Self::alloc_cold) and what the features observe of
    /// its outcome: the record (`track`), the trace event (`trace`).
    #[cfg(any(feature = "track", feature = "trace"))]
    #[cold]
    #[inline(never)]
    pub(super) fn alloc_cold_observed(&self, timeout: Timeout, site: super::SiteArg) -> *mut u8 {
        let raw = self.alloc_cold(timeout);
        #[cfg(feature = "track")]
        if let Ok(block) = decode(raw) {
            self.track_taken(block, site);
        }
        #[cfg(not(feature = "track"))]
        let _ = site;
        #[cfg(feature = "trace")]
        super::events::alloc(self, &decode(raw));
        raw
    }

    /// [`free_cold`](Self::free_cold), reported to the trace hook.
    ///
    /// # Safety
    /// As [`free`](Self::free).
    #[cfg(feature = "trace")]
    #[cold]
    #[inline(never)]
    pub(super) unsafe fn free_cold_observed(&self, block: NonNull<u8>) -> Result<(), FreeError> {
        // SAFETY: the caller's contract.
        let result = unsafe { self.free_cold(block) };
        super::events::free(self, block, &result);
        result
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
        #[cfg(feature = "trace")]
        super::events::wait_start(self);
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
            Outcome::TimedOut | Outcome::Cancelled => {
                #[cfg(feature = "trace")]
                super::events::timeout(self);
                Err(AllocError::TimedOut)
            }
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

    /// The full path of `free`: the exact error, the hand-off and the wake.
    ///
    /// # Safety
    /// As [`free`](Self::free).
    #[cold]
    #[inline(never)]
    pub(super) unsafe fn free_cold(&self, block: NonNull<u8>) -> Result<(), FreeError> {
        // SAFETY: the caller's contract; nothing is written through `block`.
        unsafe { self.free_full(block, 0) }
    }

    /// The full path of `free_covering` (a function of its own, so that
    /// `free`'s fast path passes no `covered`).
    ///
    /// # Safety
    /// As [`free_covering`](Self::free_covering).
    #[cold]
    #[inline(never)]
    pub(super) unsafe fn free_cold_covering(
        &self,
        block: NonNull<u8>,
        covered: usize,
    ) -> Result<(), FreeError> {
        // SAFETY: the caller's contract.
        unsafe { self.free_full(block, covered) }
    }

    /// The full path of `free` and `free_covering`.
    ///
    /// # Safety
    /// As [`free_covering`](Self::free_covering).
    #[inline(always)]
    unsafe fn free_full(&self, given: NonNull<u8>, covered: usize) -> Result<(), FreeError> {
        let wake = self.state.with(|s| {
            if self.phase.load(Ordering::Relaxed) != READY {
                return Err(FreeError::NotReady);
            }
            let config = self.config();
            let offset = (given.as_ptr() as usize).wrapping_sub(config.buffer as usize);
            let index = config.geometry.index_of(offset)?;
            // From here on, the block as the slab reaches it.
            let block = config.block_at(given.as_ptr().addr());
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
            #[cfg(feature = "track")]
            self.track_freed(index);
            if let Some(wake) = s.waiters.grant_first(block) {
                // Handed off: still allocated, counters and flag unchanged.
                return Ok(Some(wake));
            }
            // SAFETY: `block` is a block of this slab (validated above),
            // reached through the buffer, given up by the caller; its first
            // word becomes the link. `given` is at the same address and
            // reaches `covered` bytes (`free_covering`'s contract).
            unsafe { write_link(block, given.as_ptr(), covered, s.free_head) };
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
            #[cfg(feature = "trace")]
            super::events::hand_off(self, given.as_ptr());
        }
        Ok(())
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
        let result = self.state.with(|s| match self.pop(s) {
            Err(AllocError::NoMemory) => {
                enqueue(&mut s.waiters);
                None
            }
            done => Some(done),
        });
        #[cfg(feature = "trace")]
        if result.is_none() {
            super::events::wait_start(self);
        }
        result
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
pub(super) fn decode(raw: *mut u8) -> Result<NonNull<u8>, AllocError> {
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
