//! A Zephyr-style `k_mem_slab`, in Rust, as the reference slab's price is
//! measured against: the fast paths of Zephyr's `kernel/mem_slab.c`
//! (`k_mem_slab_alloc` with `K_NO_WAIT`, `k_mem_slab_free`), with
//! `CONFIG_MEM_SLAB_POINTER_VALIDATE` and
//! `CONFIG_MEM_SLAB_TRACE_MAX_UTILIZATION` on, on a single core where
//! `k_spin_lock` masks interrupts:
//!
//! - one lock per slab (here `critical_section::with`, the same as slab's);
//! - alloc: pop the free list's head, `num_used++`,
//!   `max_used = max(num_used, max_used)`;
//! - free: `slab_ptr_is_good` first (`offset >= 0`, `offset < block_size ×
//!   num_blocks`, `offset % block_size == 0`: a real division, Armv7-M has
//!   `udiv`, and no test of a zero divisor, as C's `%` has none), then
//!   under the lock: if the free list is empty, `z_sched_wake`, else push
//!   it, `num_used--`.
//! - `z_sched_wake` (kernel/sched.c) is a call into another translation
//!   unit (Zephyr builds without LTO unless `CONFIG_LTO=y`): it takes the
//!   scheduler's spin lock (a nested interrupt lock on one core) and peeks
//!   at the wait queue (`_priq_wait_best` with `CONFIG_WAITQ_DUMB`:
//!   `sys_dlist_peek_head`, a list that is empty when its head points at
//!   itself); with a waiter, the block goes to it.
//!
//! The shape is runtime data, set by [`ZephyrSlab::init`]
//! (`k_mem_slab_init`), as in Zephyr's `struct k_mem_slab`. A waiter is
//! reduced to its list link and `swap_data` (this firmware never waits),
//! but the look at the queue on the empty-list path is Zephyr's.
//!
//! Not modelled, and cheaper on Zephyr's side than here: nothing. Dearer
//! on Zephyr's side and kept equal here: on Armv7-M `k_spin_lock` raises
//! BASEPRI (`mov`, `mrs`, `msr BASEPRI_MAX`, `isb`; unlock `msr`, `isb`:
//! 6 instructions) where `critical_section` (used by slab and by this
//! reference alike) masks with PRIMASK (4); `k_mem_slab_alloc` returns
//! the block through `void **mem` and an `int`, here one `Option` in a
//! register, as slab's `Result`.

use core::cell::Cell;
use core::ptr::{self, NonNull};

/// `struct k_mem_slab`: `wait_q`, `lock` (the critical section),
/// `buffer`, `free_list`, `info { num_blocks, block_size, num_used,
/// max_used }`.
pub struct ZephyrSlab {
    /// `wait_q`: the head of a `sys_dlist_t` of pending waiters, pointing
    /// at itself when empty (`z_waitq_init`).
    wait_q: Cell<*const ()>,
    buffer: Cell<*mut u8>,
    free_list: Cell<*mut u8>,
    num_blocks: Cell<usize>,
    block_size: Cell<usize>,
    num_used: Cell<usize>,
    max_used: Cell<usize>,
}

// SAFETY: single core; every field is only touched inside a critical
// section, except the shape, written once by `init` before any use.
unsafe impl Sync for ZephyrSlab {}

impl ZephyrSlab {
    /// An empty slab (`K_MEM_SLAB_DEFINE` before `init_mem_slab_module`).
    pub const fn new() -> Self {
        Self {
            wait_q: Cell::new(ptr::null()),
            buffer: Cell::new(ptr::null_mut()),
            free_list: Cell::new(ptr::null_mut()),
            num_blocks: Cell::new(0),
            block_size: Cell::new(0),
            num_used: Cell::new(0),
            max_used: Cell::new(0),
        }
    }

    /// `k_mem_slab_init` and `create_free_list`: `-EINVAL` (here `Err`) for
    /// a zero or unaligned block size or buffer, or an overflow.
    pub fn init(&self, buffer: *mut u8, block_size: usize, num_blocks: usize) -> Result<(), ()> {
        if block_size == 0 || (block_size | buffer as usize) & (size_of::<usize>() - 1) != 0 {
            return Err(());
        }
        let total = block_size.checked_mul(num_blocks).ok_or(())?;
        let end = (buffer as usize).checked_add(total).ok_or(())?;
        critical_section::with(|_| {
            // `z_waitq_init`: an empty list's head points at the list.
            self.wait_q.set(ptr::from_ref(&self.wait_q).cast());
            self.buffer.set(buffer);
            self.block_size.set(block_size);
            self.num_blocks.set(num_blocks);
            self.num_used.set(0);
            self.max_used.set(0);
            self.free_list.set(ptr::null_mut());
            let mut p = end - block_size;
            for _ in 0..num_blocks {
                // SAFETY: `p` is a block of the buffer the caller gave.
                unsafe { (p as *mut *mut u8).write(self.free_list.get()) };
                self.free_list.set(p as *mut u8);
                p = p.wrapping_sub(block_size);
            }
        });
        Ok(())
    }

    /// `slab_ptr_is_good`.
    #[inline(always)]
    fn ptr_is_good(&self, p: *mut u8) -> bool {
        let offset = (p as isize).wrapping_sub(self.buffer.get() as isize);
        let block_size = self.block_size.get();
        if offset < 0 || (offset as usize) >= block_size * self.num_blocks.get() {
            return false;
        }
        // SAFETY: a zero block size makes the bound 0, which no offset
        // passes: here the divisor is never 0 (C's `%` tests nothing).
        unsafe { core::hint::assert_unchecked(block_size != 0) };
        (offset as usize).is_multiple_of(block_size)
    }

    /// `k_mem_slab_alloc(slab, &mem, K_NO_WAIT)`: the block, or `None`
    /// (`-ENOMEM`).
    #[inline(always)]
    pub fn alloc(&self) -> Option<NonNull<u8>> {
        critical_section::with(|_| {
            let block = NonNull::new(self.free_list.get())?;
            // SAFETY: a free block: its first word is the link.
            self.free_list
                .set(unsafe { block.as_ptr().cast::<*mut u8>().read() });
            let used = self.num_used.get() + 1;
            self.num_used.set(used);
            self.max_used.set(used.max(self.max_used.get()));
            Some(block)
        })
    }

    /// `k_mem_slab_free`: a bad pointer is refused (Zephyr asserts and
    /// panics), changing nothing.
    ///
    /// # Safety
    /// `block` came from this slab's `alloc` and is not used afterwards.
    #[inline(always)]
    pub unsafe fn free(&self, block: NonNull<u8>) -> Result<(), ()> {
        if !self.ptr_is_good(block.as_ptr()) {
            return Err(());
        }
        critical_section::with(|_| {
            if self.free_list.get().is_null() && z_sched_wake(&self.wait_q, block.as_ptr()) {
                // `z_reschedule`: nothing to do, this firmware never waits.
                return;
            }
            // SAFETY: the caller gave the block up; its first word becomes
            // the link.
            unsafe { block.as_ptr().cast::<*mut u8>().write(self.free_list.get()) };
            self.free_list.set(block.as_ptr());
            self.num_used.set(self.num_used.get() - 1);
        });
        Ok(())
    }
}

/// A pending waiter: its link in the wait queue and `swap_data`.
#[repr(C)]
pub struct Waiter {
    next: Cell<*const ()>,
    swap_data: Cell<*mut u8>,
}

/// `z_sched_wake(wait_q, 0, block)`: under the scheduler's lock, the first
/// waiter gets the block and leaves the queue; `false` if none waits. Out
/// of line: kernel/sched.c is its own translation unit.
#[inline(never)]
fn z_sched_wake(wait_q: &Cell<*const ()>, block: *mut u8) -> bool {
    // `K_SPINLOCK(&_sched_spinlock)`.
    critical_section::with(|_| {
        let head = wait_q.get();
        if head == ptr::from_ref(wait_q).cast() {
            return false; // `sys_dlist_peek_head` of an empty list
        }
        // SAFETY: a non-empty queue's head is a pending `Waiter`, which
        // stays alive while it waits.
        let waiter = unsafe { &*head.cast::<Waiter>() };
        waiter.swap_data.set(block);
        wait_q.set(waiter.next.get()); // `unpend_thread_no_timeout`
        true
    })
}
