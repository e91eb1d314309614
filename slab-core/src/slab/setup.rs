//! Making a slab: the constructors (a declared slab's, const, and
//! [`MemSlab::new`]), [`MemSlab::init`], `boot`, and the threading of the
//! free list that both end with.

use core::cell::UnsafeCell;
use core::ptr;
use core::sync::atomic::{AtomicU8, AtomicUsize, Ordering};

use super::checks::Checks;
use super::fast::{Fast, NO_FLAGS};
use super::{Config, DECLARED, MemSlab, READY, SlabState, UNINIT};
use crate::error::InitError;
use crate::layout::{Geometry, WORD};
use crate::lock::Locked;
use crate::wait::WaitQueue;

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
        /// This slab named `name` (the C ABI's `K_MEM_SLAB_DEFINE`d slabs,
        /// named as C defines them).
        #[cfg(feature = "capi")]
        pub(crate) const fn with_name(mut self, name: &'static str) -> Self {
            self.name = name;
            self
        }
    }

    crate::sync::loom_const_fn! {
        /// This declared slab with its ownership records (`crate::track`),
        /// two words per block right after the blocks in its buffer.
        #[cfg(feature = "track")]
        pub(crate) const fn with_records(mut self) -> Self {
            let config = *self.config.get_mut();
            self.config = UnsafeCell::new(Config {
                tracked: true,
                ..config
            });
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
                    #[cfg(feature = "track")]
                    tracked: false,
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
        #[cfg(feature = "track")]
        let len = buffer.len();
        let buffer = buffer.as_mut_ptr();
        self.state.with(|s| {
            if self.phase.load(Ordering::Relaxed) != UNINIT {
                return Err(InitError::AlreadyInitialized);
            }
            // A slab made to keep records (the C ABI's tracked
            // definitions) keeps them after the blocks: room for them too.
            #[cfg(feature = "track")]
            let tracked = self.config().tracked;
            #[cfg(feature = "track")]
            if tracked && super::track::records_end(geometry) > len {
                return Err(InitError::BufferTooSmall);
            }
            // SAFETY: `config` is only written here, under the lock, while
            // the phase is UNINIT, when no reader looks at it.
            unsafe {
                *self.config.get() = Config {
                    buffer,
                    geometry,
                    checks: Checks::Full,
                    #[cfg(feature = "track")]
                    tracked,
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
        // The records may be in memory that is not zeroed at reset
        // (`section = ".noinit"`): every block starts free.
        #[cfg(feature = "track")]
        self.clear_records();
        s.head_index = s.index_or_sentinel(next);
        // With the trace hook set, the fast paths stay closed (see
        // `events`): every operation takes the full path, which reports.
        #[cfg(feature = "trace")]
        if super::events::hooked() {
            Self::close_fast_paths_locked(s);
        }
        self.num_used.store(0, Ordering::Relaxed);
        self.max_used.store(0, Ordering::Relaxed);
    }
}
