//! The two references the pair is measured against on the host, each
//! under the same one-`xchg` spin lock that slab's `std` build uses:
//!
//! - the floor: a bare intrusive free list (pop and push, nothing else),
//!   the least any pool shared between threads can do (one atomic swap to
//!   take the lock, one store to release it, per operation);
//! - a Zephyr-style `k_mem_slab` (`kernel/mem_slab.c` with
//!   `CONFIG_MEM_SLAB_POINTER_VALIDATE` and
//!   `CONFIG_MEM_SLAB_TRACE_MAX_UTILIZATION`): per-slab lock, pop/push,
//!   `num_used`/`max_used`, range and block-boundary validation (a real
//!   `%`), the pending-waiter check on a free into an empty list.

use std::cell::UnsafeCell;
use std::hint::spin_loop;
use std::ptr::{self, NonNull};
use std::sync::atomic::{AtomicBool, Ordering};

/// A spin lock taken with one swap, released with one store.
struct SpinLock(AtomicBool);

impl SpinLock {
    const fn new() -> Self {
        Self(AtomicBool::new(false))
    }

    #[inline(always)]
    fn with<R>(&self, f: impl FnOnce() -> R) -> R {
        while self.0.swap(true, Ordering::Acquire) {
            while self.0.load(Ordering::Relaxed) {
                spin_loop();
            }
        }
        let r = f();
        self.0.store(false, Ordering::Release);
        r
    }
}

/// The floor: a bare intrusive list under the spin lock.
pub struct SpinList {
    lock: SpinLock,
    head: UnsafeCell<*mut u8>,
}

// SAFETY: `head` and the links are only touched under the lock.
unsafe impl Sync for SpinList {}

impl SpinList {
    pub const fn new() -> Self {
        Self {
            lock: SpinLock::new(),
            head: UnsafeCell::new(ptr::null_mut()),
        }
    }

    #[inline(always)]
    pub fn alloc(&self) -> Option<NonNull<u8>> {
        self.lock.with(|| {
            // SAFETY: under the lock.
            let head = unsafe { &mut *self.head.get() };
            let block = NonNull::new(*head)?;
            // SAFETY: a free block's first word is the link.
            *head = unsafe { block.as_ptr().cast::<*mut u8>().read() };
            Some(block)
        })
    }

    /// # Safety
    /// `block` is a word-aligned block given up by its owner.
    #[inline(always)]
    pub unsafe fn free(&self, block: NonNull<u8>) {
        self.lock.with(|| {
            // SAFETY: under the lock; the block's first word becomes the link.
            unsafe {
                let head = &mut *self.head.get();
                block.as_ptr().cast::<*mut u8>().write(*head);
                *head = block.as_ptr();
            }
        })
    }
}

/// `struct k_mem_slab`, as its fast paths use it.
pub struct ZephyrSlab {
    lock: SpinLock,
    state: UnsafeCell<ZephyrState>,
}

struct ZephyrState {
    /// The first pending waiter's slot (`wait_q`); never used here, but
    /// checked as Zephyr checks it.
    wait_q: Option<&'static UnsafeCell<*mut u8>>,
    buffer: *mut u8,
    free_list: *mut u8,
    num_blocks: usize,
    block_size: usize,
    num_used: usize,
    max_used: usize,
}

// SAFETY: the state is only touched under the lock (the shape is written
// by `init` before any use).
unsafe impl Sync for ZephyrSlab {}

impl ZephyrSlab {
    pub const fn new() -> Self {
        Self {
            lock: SpinLock::new(),
            state: UnsafeCell::new(ZephyrState {
                wait_q: None,
                buffer: ptr::null_mut(),
                free_list: ptr::null_mut(),
                num_blocks: 0,
                block_size: 0,
                num_used: 0,
                max_used: 0,
            }),
        }
    }

    /// `k_mem_slab_init` over a leaked buffer.
    pub fn init(&self, block_size: usize, num_blocks: usize) {
        let words = block_size.div_ceil(8) * num_blocks;
        let buffer = Box::leak(vec![0u64; words].into_boxed_slice())
            .as_mut_ptr()
            .cast::<u8>();
        self.lock.with(|| {
            // SAFETY: under the lock.
            let s = unsafe { &mut *self.state.get() };
            s.buffer = buffer;
            s.block_size = block_size;
            s.num_blocks = num_blocks;
            s.free_list = ptr::null_mut();
            for i in (0..num_blocks).rev() {
                // SAFETY: block `i` of the buffer.
                unsafe {
                    let p = buffer.add(i * block_size);
                    p.cast::<*mut u8>().write(s.free_list);
                    s.free_list = p;
                }
            }
        });
    }

    #[inline(always)]
    pub fn alloc(&self) -> Option<NonNull<u8>> {
        self.lock.with(|| {
            // SAFETY: under the lock.
            let s = unsafe { &mut *self.state.get() };
            let block = NonNull::new(s.free_list)?;
            // SAFETY: a free block's first word is the link.
            s.free_list = unsafe { block.as_ptr().cast::<*mut u8>().read() };
            s.num_used += 1;
            s.max_used = s.max_used.max(s.num_used);
            Some(block)
        })
    }

    /// `k_mem_slab_free`; a bad pointer is refused.
    ///
    /// # Safety
    /// `block` came from this slab and is given up.
    #[inline(always)]
    pub unsafe fn free(&self, block: NonNull<u8>) -> Result<(), ()> {
        // `slab_ptr_is_good` reads the shape without the lock, as Zephyr does.
        // SAFETY: the shape is immutable after `init`.
        let (buffer, block_size, num_blocks) = unsafe {
            let s = &*self.state.get();
            (s.buffer, s.block_size, s.num_blocks)
        };
        let offset = (block.as_ptr() as isize).wrapping_sub(buffer as isize);
        if offset < 0
            || offset as usize >= block_size * num_blocks
            || !(offset as usize).is_multiple_of(block_size)
        {
            return Err(());
        }
        self.lock.with(|| {
            // SAFETY: under the lock.
            let s = unsafe { &mut *self.state.get() };
            if s.free_list.is_null()
                && let Some(waiter) = s.wait_q.take()
            {
                // SAFETY: the waiter's slot, owned by the protocol.
                unsafe { *waiter.get() = block.as_ptr() };
                return;
            }
            // SAFETY: the caller gave the block up; its first word is the link.
            unsafe { block.as_ptr().cast::<*mut u8>().write(s.free_list) };
            s.free_list = block.as_ptr();
            s.num_used -= 1;
        });
        Ok(())
    }
}
