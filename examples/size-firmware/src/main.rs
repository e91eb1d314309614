//! The smallest firmware that uses one allocator: it allocates a block and
//! frees it, for ever. Which allocator is a cargo feature (none: the
//! baseline, the same loop on two empty functions), so that the flash and
//! RAM of each, net of the baseline, is what an application pays for it
//! (`cargo xtask bench --only size` builds every variant at opt-level
//! "s" and "z" and sums the sections of each):
//!
//! - `slab`: one declared slab, `#[mem_slab(blocks = 16, size = 64)]`,
//!   `boot()`, `alloc(Timeout::NoWait)` and `free`;
//! - `slab-bounds`: the same with `checks = "bounds"`;
//! - `zephyr`: the Zephyr-style `k_mem_slab` of the benchmark firmware
//!   (`examples/bench-firmware/src/zephyr.rs`), `init`, `alloc`, `free`;
//! - `heapless-pool`: heapless 0.9's `box_pool!` over 16 blocks;
//! - `bare`: a bare intrusive free list under `critical_section::with`.
#![no_std]
#![no_main]

use core::hint::black_box;

use cortex_m_rt::entry;

#[panic_handler]
fn panic(_: &core::panic::PanicInfo) -> ! {
    cortex_m::asm::udf()
}

/// 16 blocks of 64 bytes.
#[allow(dead_code)]
const BLOCK: usize = 64;
#[allow(dead_code)]
const BLOCKS: usize = 16;

/// Blocks the non-slab contenders are given at start-up.
#[allow(dead_code)]
struct Blocks<T>(core::cell::UnsafeCell<[T; BLOCKS]>);
// SAFETY: handed out once, at start-up, before the loop.
unsafe impl<T> Sync for Blocks<T> {}

#[cfg(any(feature = "slab", feature = "slab-bounds"))]
mod contender {
    use core::ptr::NonNull;
    use slab_core::{MemSlab, Timeout, mem_slab};

    #[cfg(feature = "slab")]
    #[mem_slab(blocks = 16, size = 64)]
    static SLAB: MemSlab;
    #[cfg(not(feature = "slab"))]
    #[mem_slab(blocks = 16, size = 64, checks = "bounds")]
    static SLAB: MemSlab;

    pub fn set_up() {
        slab_core::boot();
    }

    pub fn alloc() -> Option<NonNull<u8>> {
        SLAB.alloc(Timeout::NoWait).ok()
    }

    /// # Safety
    /// `block` came from [`alloc`] and is not used afterwards.
    pub unsafe fn free(block: NonNull<u8>) {
        // SAFETY: the caller's contract.
        let _ = unsafe { SLAB.free(block) };
    }
}

#[cfg(all(
    feature = "zephyr",
    not(any(feature = "slab", feature = "slab-bounds"))
))]
#[path = "../../bench-firmware/src/zephyr.rs"]
#[allow(dead_code)]
mod zephyr;

#[cfg(all(
    feature = "zephyr",
    not(any(feature = "slab", feature = "slab-bounds"))
))]
mod contender {
    use super::{BLOCK, BLOCKS, Blocks};
    use core::ptr::NonNull;

    use super::zephyr;

    static ZEPHYR: zephyr::ZephyrSlab = zephyr::ZephyrSlab::new();
    static STORAGE: Blocks<[usize; BLOCK / 4]> =
        Blocks(core::cell::UnsafeCell::new([[0; BLOCK / 4]; BLOCKS]));

    pub fn set_up() {
        // SAFETY: start-up: nothing else refers to the storage.
        let storage = unsafe { &mut *STORAGE.0.get() };
        if ZEPHYR
            .init(storage.as_mut_ptr().cast(), BLOCK, BLOCKS)
            .is_err()
        {
            panic!("k_mem_slab_init");
        }
    }

    pub fn alloc() -> Option<NonNull<u8>> {
        ZEPHYR.alloc()
    }

    /// # Safety
    /// `block` came from [`alloc`] and is not used afterwards.
    pub unsafe fn free(block: NonNull<u8>) {
        // SAFETY: the caller's contract.
        let _ = unsafe { ZEPHYR.free(block) };
    }
}

#[cfg(all(
    feature = "heapless-pool",
    not(any(feature = "slab", feature = "slab-bounds", feature = "zephyr"))
))]
mod contender {
    use super::{BLOCK, Blocks};
    use core::mem::MaybeUninit;
    use core::ptr::NonNull;
    use heapless::pool::boxed::{Box, BoxBlock};

    heapless::box_pool!(Pool: MaybeUninit<[u8; BLOCK]>);

    static STORAGE: Blocks<BoxBlock<MaybeUninit<[u8; BLOCK]>>> = Blocks(
        core::cell::UnsafeCell::new([const { BoxBlock::new() }; super::BLOCKS]),
    );

    pub fn set_up() {
        // SAFETY: start-up: nothing else refers to the storage.
        for block in unsafe { &mut *STORAGE.0.get() } {
            Pool.manage(block);
        }
    }

    pub fn alloc() -> Option<NonNull<u8>> {
        let boxed = Pool.alloc(MaybeUninit::uninit()).ok()?;
        NonNull::new(Box::into_raw(boxed).cast())
    }

    /// # Safety
    /// `block` came from [`alloc`] and is not used afterwards.
    pub unsafe fn free(block: NonNull<u8>) {
        // SAFETY: the caller's contract: the pointer `into_raw` gave.
        drop(unsafe { Box::<Pool>::from_raw(block.as_ptr().cast()) });
    }
}

#[cfg(all(
    feature = "bare",
    not(any(
        feature = "slab",
        feature = "slab-bounds",
        feature = "zephyr",
        feature = "heapless-pool"
    ))
))]
mod contender {
    use super::{BLOCK, Blocks};
    use core::cell::Cell;
    use core::ptr::NonNull;

    static HEAD: critical_section::Mutex<Cell<usize>> = critical_section::Mutex::new(Cell::new(0));
    static STORAGE: Blocks<[usize; BLOCK / 4]> =
        Blocks(core::cell::UnsafeCell::new([[0; BLOCK / 4]; super::BLOCKS]));

    pub fn set_up() {
        // SAFETY: start-up: nothing else refers to the storage.
        for block in unsafe { &mut *STORAGE.0.get() } {
            // SAFETY: each block is given to the list once.
            unsafe { free(NonNull::from(block).cast()) };
        }
    }

    pub fn alloc() -> Option<NonNull<u8>> {
        critical_section::with(|cs| {
            let head = HEAD.borrow(cs);
            let block = NonNull::new(head.get() as *mut u8)?;
            // SAFETY: a free block; its first word is the link.
            head.set(unsafe { block.as_ptr().cast::<usize>().read() });
            Some(block)
        })
    }

    /// # Safety
    /// `block` came from [`alloc`] (or the storage) and is not used
    /// afterwards.
    pub unsafe fn free(block: NonNull<u8>) {
        critical_section::with(|cs| {
            let head = HEAD.borrow(cs);
            // SAFETY: the caller gave the block up; its first word becomes the link.
            unsafe { block.as_ptr().cast::<usize>().write(head.get()) };
            head.set(block.as_ptr() as usize);
        });
    }
}

#[cfg(not(any(
    feature = "slab",
    feature = "slab-bounds",
    feature = "zephyr",
    feature = "heapless-pool",
    feature = "bare"
)))]
mod contender {
    use core::hint::black_box;
    use core::ptr::NonNull;

    pub fn set_up() {}

    pub fn alloc() -> Option<NonNull<u8>> {
        NonNull::new(black_box(4usize) as *mut u8)
    }

    /// # Safety
    /// None; `unsafe` like the others.
    pub unsafe fn free(block: NonNull<u8>) {
        black_box(block);
    }
}

#[entry]
fn main() -> ! {
    contender::set_up();
    loop {
        if let Some(block) = contender::alloc() {
            // SAFETY: the block alloc just gave, not used afterwards.
            unsafe { contender::free(black_box(block)) };
        }
    }
}
