//! The cost of one alloc + free pair on a Cortex-M3 (`lm3s6965evb`), a
//! Cortex-M33 (`mps2-an505`) and a RISC-V hart (riscv32imac, `virt`), under
//! QEMU with `-icount shift=0`: slab (declared, `checks = "full"` and
//! `checks = "bounds"`, 64- and 48-byte blocks) against a Zephyr-style
//! `k_mem_slab` written here in Rust (the same two block sizes),
//! `heapless::pool` (a box pool, LDREX/STREX: Arm only) and `atomic-pool`
//! (an atomic bitset), all built for the same target, plus the floor: a
//! bare intrusive free list under `critical_section::with`, with no checks
//! and no counters. Built for thumbv6m-none-eabi too (for the code sizes;
//! neither peer builds there: both need atomic read-modify-write).
//! With the `heaps` feature (which `cycles` has), two heaps beside them,
//! through `GlobalAlloc`, each asked for 4 bytes
//! aligned 4: `SlabHeap` with the seven classes of
//! `examples/heap-bench-firmware` and embedded-alloc's `TlsfHeap` over the
//! same 14 KiB.
//!
//! Each contender is measured twice: with most of its 16 blocks free (the
//! typical pair, "median") and with all but one held, so that every pair
//! takes the last block and frees it into an empty pool ("worst": for
//! slab, the full path on both sides; for the Zephyr-style slab, the
//! pending-waiter check). `SlabHeap`'s worst is its own worst state
//! instead: every class but the largest full, so that the request falls
//! through six full classes on `alloc` and `dealloc` checks their ranges
//! (`fall_through_all` in `examples/heap-bench-firmware`); TLSF's is the
//! same 15 blocks held as the pools' (TLSF is flat by design).
//!
//! The counter is `slab_firmware_common::count`'s: SysTick on Arm (with
//! `-icount shift=0` QEMU advances virtual time by a fixed step per guest
//! instruction, so SysTick deltas are exact and repeatable), `minstret` on
//! RISC-V (which QEMU counts exactly under `-icount`). The program first
//! calibrates counter ticks per instruction with a run of `nop`s (net of
//! the same loop without them), then times `PAIRS` pairs of each
//! allocator, net of the same loop calling two empty functions, and prints
//! the ticks. Each allocator's alloc and free are `#[inline(never)]`
//! functions with unmangled names (`slab_alloc`, `slab_free`, …), so that
//! their code size can be read from the ELF (`cargo xtask bench` does).
#![no_std]
#![no_main]

#[cfg(feature = "heaps")]
use core::alloc::{GlobalAlloc, Layout};
use core::arch::asm;
use core::cell::Cell;
use core::hint::black_box;
#[cfg(any(feature = "heaps", target_has_atomic = "ptr"))]
use core::mem::MaybeUninit;
use core::ptr::NonNull;

#[cfg(feature = "heaps")]
use embedded_alloc::TlsfHeap;
#[cfg(target_arch = "arm")]
use panic_semihosting as _;
use slab_core::{MemSlab, Timeout, mem_slab};
use slab_firmware_common::count::{self, NOP_LOOPS, ticks};
use slab_firmware_common::{hprintln, report};

const BLOCK: usize = 64;
const BLOCKS: usize = 16;
/// Pairs per measurement. QEMU's SysTick ticks are 80 instructions on the
/// Cortex-M3, so 10^6 pairs resolve 0.0001 instructions per pair (and
/// still last less than half of SysTick's 24 bits). With the `cycles`
/// feature (an executed-instruction trace, `cargo xtask bench --only
/// cycles`), 64: the trace holds every pair.
const PAIRS: u32 = if cfg!(feature = "cycles") {
    64
} else {
    1_000_000
};
/// Every measurement is taken this many times: the results must agree.
const ROUNDS: usize = 2;
/// Threading cost: `init` of a fresh `MemSlab::new()` over this many 8-byte
/// blocks, this many times (`boot()` runs once, too briefly to resolve).
const INIT_BLOCKS: usize = 2048;
const INIT_ROUNDS: u32 = 100;

#[mem_slab(blocks = 16, size = 64)]
static SLAB: MemSlab;
#[mem_slab(blocks = 16, size = 48)]
static SLAB48: MemSlab;
#[mem_slab(blocks = 16, size = 64, checks = "bounds")]
static SLAB_BOUNDS: MemSlab;
#[mem_slab(blocks = 16, size = 48, checks = "bounds")]
static SLAB_BOUNDS48: MemSlab;

#[cfg(feature = "heaps")]
slab_core::slab_heap! {
    /// Seven classes, 14 KiB in all, as `examples/heap-bench-firmware`'s.
    static SLAB_HEAP: SlabHeap = [
        (blocks = 64, size = 16, align = 8),
        (blocks = 32, size = 32, align = 8),
        (blocks = 32, size = 64, align = 8),
        (blocks = 16, size = 128, align = 8),
        (blocks = 8, size = 256, align = 8),
        (blocks = 4, size = 512, align = 8),
        (blocks = 4, size = 1024, align = 8),
    ];
}
#[cfg(feature = "heaps")]
/// The blocks of every class but the largest: what `SlabHeap`'s worst
/// state holds.
const HEAP_HELD: usize = 64 + 32 + 32 + 16 + 8 + 4;
#[cfg(feature = "heaps")]
/// Bytes of the TLSF heap: `SLAB_HEAP`'s.
const HEAP_BYTES: usize = 14 * 1024;
#[cfg(feature = "heaps")]
/// The request both heaps are asked for.
const REQUEST: Layout = Layout::new::<u32>();

#[cfg(feature = "heaps")]
static TLSF: TlsfHeap = TlsfHeap::empty();
#[cfg(feature = "heaps")]
/// The TLSF heap's memory.
#[repr(align(8))]
struct Arena(core::cell::UnsafeCell<MaybeUninit<[u8; HEAP_BYTES]>>);
#[cfg(feature = "heaps")]
// SAFETY: handed to the heap once, at start-up.
unsafe impl Sync for Arena {}
#[cfg(feature = "heaps")]
static TLSF_ARENA: Arena = Arena(core::cell::UnsafeCell::new(MaybeUninit::uninit()));

mod zephyr;
use zephyr::ZephyrSlab;

static ZEPHYR: ZephyrSlab = ZephyrSlab::new();
static ZEPHYR48: ZephyrSlab = ZephyrSlab::new();
/// The Zephyr-style slabs' buffers (`K_MEM_SLAB_DEFINE`'s storage).
static ZEPHYR_BLOCKS: Blocks<[usize; BLOCK / 4]> =
    Blocks(core::cell::UnsafeCell::new([[0; BLOCK / 4]; BLOCKS]));
static ZEPHYR48_BLOCKS: Blocks<[usize; 48 / 4]> =
    Blocks(core::cell::UnsafeCell::new([[0; 48 / 4]; BLOCKS]));

#[cfg(heapless_pool)]
heapless::box_pool!(HeaplessPool: MaybeUninit<[u8; BLOCK]>);

// `pool!` expands to `(N + 31) / 32` here, which clippy would write with
// `div_ceil`.
#[allow(clippy::manual_div_ceil)]
#[cfg(target_has_atomic = "ptr")]
mod atomic_pools {
    use super::{BLOCK, BLOCKS, MaybeUninit};

    atomic_pool::pool!(pub AtomicPool: [MaybeUninit<[u8; BLOCK]>; BLOCKS]);
}
#[cfg(target_has_atomic = "ptr")]
use atomic_pools::AtomicPool;

/// The reference free list: the address of the first free block, 0 when
/// empty; a free block's first word holds the next one's.
static BARE_HEAD: critical_section::Mutex<Cell<usize>> = critical_section::Mutex::new(Cell::new(0));

/// Blocks for the heapless pool and the reference list.
struct Blocks<T>(core::cell::UnsafeCell<[T; BLOCKS]>);
// SAFETY: handed out once, at start-up, before any measurement.
unsafe impl<T> Sync for Blocks<T> {}

#[cfg(heapless_pool)]
static HEAPLESS_BLOCKS: Blocks<heapless::pool::boxed::BoxBlock<MaybeUninit<[u8; BLOCK]>>> = Blocks(
    core::cell::UnsafeCell::new([const { heapless::pool::boxed::BoxBlock::new() }; BLOCKS]),
);
static BARE_BLOCKS: Blocks<[usize; BLOCK / 4]> =
    Blocks(core::cell::UnsafeCell::new([[0; BLOCK / 4]; BLOCKS]));

/// The buffer the `init` measurement threads, again and again.
struct InitBuffer(core::cell::UnsafeCell<[u32; INIT_BLOCKS * 2]>);
// SAFETY: only the `init` measurement touches it, from thread mode.
unsafe impl Sync for InitBuffer {}
static INIT_BUFFER: InitBuffer = InitBuffer(core::cell::UnsafeCell::new([0; INIT_BLOCKS * 2]));

/// `INIT_ROUNDS` times: a fresh slab over `INIT_BUFFER`, initialised
/// (which threads its free list exactly as `boot()` threads a declared one).
fn init_rounds() {
    for _ in 0..INIT_ROUNDS {
        let slab = MemSlab::new();
        // SAFETY: the slab of the previous round is gone; nothing else
        // refers to the buffer.
        let buffer: &'static mut [u8] = unsafe {
            core::slice::from_raw_parts_mut(INIT_BUFFER.0.get().cast::<u8>(), INIT_BLOCKS * 8)
        };
        if slab.init(buffer, 8, INIT_BLOCKS).is_err() {
            fail("init");
        }
        black_box(&slab);
    }
}

// ---------------------------------------------------------------------------
// The contenders: alloc and free of each, out of line, by name.

/// `$alloc`/`$free`: `alloc(Timeout::NoWait)` and `free` of the slab
/// `$slab` (the result of `free` is dropped; its checks still run).
macro_rules! slab_contender {
    ($slab:ident, $alloc:ident, $free:ident) => {
        #[doc = concat!("`", stringify!($slab), ".alloc(Timeout::NoWait)`.")]
        #[unsafe(no_mangle)]
        #[inline(never)]
        pub fn $alloc() -> Option<NonNull<u8>> {
            $slab.alloc(Timeout::NoWait).ok()
        }

        #[doc = concat!("`", stringify!($slab), ".free(block)`.")]
        ///
        /// # Safety
        /// `block` came from the matching alloc and is not used afterwards.
        #[unsafe(no_mangle)]
        #[inline(never)]
        pub unsafe fn $free(block: NonNull<u8>) {
            // SAFETY: the caller's contract.
            let _ = unsafe { $slab.free(block) };
        }
    };
}

slab_contender!(SLAB, slab_alloc, slab_free);
slab_contender!(SLAB48, slab48_alloc, slab48_free);
slab_contender!(SLAB_BOUNDS, slab_bounds_alloc, slab_bounds_free);
slab_contender!(SLAB_BOUNDS48, slab_bounds48_alloc, slab_bounds48_free);

/// The Zephyr-style slab: `k_mem_slab_alloc(…, K_NO_WAIT)`.
#[unsafe(no_mangle)]
#[inline(never)]
pub fn zephyr_alloc() -> Option<NonNull<u8>> {
    ZEPHYR.alloc()
}

/// The Zephyr-style slab: `k_mem_slab_free` (a bad pointer is refused).
///
/// # Safety
/// `block` came from [`zephyr_alloc`] and is not used afterwards.
#[unsafe(no_mangle)]
#[inline(never)]
pub unsafe fn zephyr_free(block: NonNull<u8>) {
    // SAFETY: the caller's contract.
    let _ = unsafe { ZEPHYR.free(block) };
}

/// The Zephyr-style slab of 48-byte blocks: alloc.
#[unsafe(no_mangle)]
#[inline(never)]
pub fn zephyr48_alloc() -> Option<NonNull<u8>> {
    ZEPHYR48.alloc()
}

/// The Zephyr-style slab of 48-byte blocks: free.
///
/// # Safety
/// `block` came from [`zephyr48_alloc`] and is not used afterwards.
#[unsafe(no_mangle)]
#[inline(never)]
pub unsafe fn zephyr48_free(block: NonNull<u8>) {
    // SAFETY: the caller's contract.
    let _ = unsafe { ZEPHYR48.free(block) };
}

/// heapless: a box of uninitialised bytes (nothing is written).
#[cfg(heapless_pool)]
#[unsafe(no_mangle)]
#[inline(never)]
pub fn heapless_alloc() -> Option<NonNull<u8>> {
    let boxed = HeaplessPool.alloc(MaybeUninit::uninit()).ok()?;
    let raw = heapless::pool::boxed::Box::into_raw(boxed);
    // SAFETY: a box's pointer is never null.
    Some(unsafe { NonNull::new_unchecked(raw.cast()) })
}

/// heapless: drop the box, which returns the block.
///
/// # Safety
/// `block` came from [`heapless_alloc`] and is not used afterwards.
#[cfg(heapless_pool)]
#[unsafe(no_mangle)]
#[inline(never)]
pub unsafe fn heapless_free(block: NonNull<u8>) {
    // SAFETY: the caller's contract: it is the pointer `into_raw` gave.
    drop(unsafe { heapless::pool::boxed::Box::<HeaplessPool>::from_raw(block.as_ptr().cast()) });
}

/// atomic-pool: a box of uninitialised bytes (nothing is written).
#[cfg(target_has_atomic = "ptr")]
#[unsafe(no_mangle)]
#[inline(never)]
pub fn atomic_pool_alloc() -> Option<NonNull<u8>> {
    let boxed = atomic_pool::Box::<AtomicPool>::new(MaybeUninit::uninit())?;
    Some(atomic_pool::Box::into_raw(boxed).cast())
}

/// atomic-pool: drop the box, which returns the block.
///
/// # Safety
/// `block` came from [`atomic_pool_alloc`] and is not used afterwards.
#[cfg(target_has_atomic = "ptr")]
#[unsafe(no_mangle)]
#[inline(never)]
pub unsafe fn atomic_pool_free(block: NonNull<u8>) {
    // SAFETY: the caller's contract: it is the pointer `into_raw` gave.
    drop(unsafe { atomic_pool::Box::<AtomicPool>::from_raw(block.cast()) });
}

/// `$alloc`/`$free`: `GlobalAlloc::alloc` and `dealloc` of the heap `$heap`,
/// with the layout in the arguments, as `__rust_alloc(size, align)` has it.
#[cfg(feature = "heaps")]
macro_rules! heap_contender {
    ($heap:ident, $alloc:ident, $free:ident) => {
        #[doc = concat!("`", stringify!($heap), ".alloc(layout)`.")]
        ///
        /// # Safety
        /// `layout` has a non-zero size.
        #[unsafe(no_mangle)]
        #[inline(never)]
        pub unsafe fn $alloc(layout: Layout) -> Option<NonNull<u8>> {
            // SAFETY: the caller's contract.
            NonNull::new(unsafe { $heap.alloc(layout) })
        }

        #[doc = concat!("`", stringify!($heap), ".dealloc(block, layout)`.")]
        ///
        /// # Safety
        /// `block` came from the matching alloc with `layout` and is not
        /// used afterwards.
        #[unsafe(no_mangle)]
        #[inline(never)]
        pub unsafe fn $free(block: NonNull<u8>, layout: Layout) {
            // SAFETY: the caller's contract.
            unsafe { $heap.dealloc(block.as_ptr(), layout) }
        }
    };
}

#[cfg(feature = "heaps")]
heap_contender!(SLAB_HEAP, slabheap_alloc, slabheap_free);
#[cfg(feature = "heaps")]
heap_contender!(TLSF, tlsf_alloc, tlsf_free);

/// The reference: pop under a critical section, no checks.
#[unsafe(no_mangle)]
#[inline(never)]
pub fn bare_alloc() -> Option<NonNull<u8>> {
    critical_section::with(|cs| {
        let head = BARE_HEAD.borrow(cs);
        let block = NonNull::new(head.get() as *mut u8)?;
        // SAFETY: a free block of BARE_BLOCKS; its first word is the link.
        head.set(unsafe { block.as_ptr().cast::<usize>().read() });
        Some(block)
    })
}

/// The reference: push under a critical section, no checks.
///
/// # Safety
/// `block` came from [`bare_alloc`] and is not used afterwards.
#[unsafe(no_mangle)]
#[inline(never)]
pub unsafe fn bare_free(block: NonNull<u8>) {
    critical_section::with(|cs| {
        let head = BARE_HEAD.borrow(cs);
        // SAFETY: the caller gave the block up; its first word becomes the link.
        unsafe { block.as_ptr().cast::<usize>().write(head.get()) };
        head.set(block.as_ptr() as usize);
    });
}

/// The baseline: the same calls, doing nothing (the `asm!` keeps them from
/// being optimised away).
#[unsafe(no_mangle)]
#[inline(never)]
pub fn empty_alloc() -> Option<NonNull<u8>> {
    let mut p = 4usize;
    // SAFETY: an empty instruction sequence that only "changes" `p`.
    unsafe { asm!("/* {0} */", inout(reg) p, options(nomem, nostack, preserves_flags)) };
    NonNull::new(p as *mut u8)
}

/// The baseline's free: nothing.
///
/// # Safety
/// None really; `unsafe` like the others.
#[unsafe(no_mangle)]
#[inline(never)]
pub unsafe fn empty_free(block: NonNull<u8>) {
    // SAFETY: an empty instruction sequence.
    unsafe {
        asm!("/* {0} */", in(reg) block.as_ptr() as usize, options(nomem, nostack, preserves_flags))
    };
}

// ---------------------------------------------------------------------------

/// `n` pairs: alloc, then free what it gave. Generic, so that every
/// contender's loop is the same code calling its two functions directly.
#[inline(always)]
fn pairs(n: u32, alloc: impl Fn() -> Option<NonNull<u8>>, free: impl Fn(NonNull<u8>)) {
    for _ in 0..n {
        let Some(block) = alloc() else {
            fail("an allocator ran out of blocks")
        };
        free(black_box(block));
    }
}

/// The same with all but one of the pool's `BLOCKS` blocks held, so that
/// every pair takes the last block and frees it into an empty pool.
#[inline(always)]
fn worst_pairs(n: u32, alloc: impl Fn() -> Option<NonNull<u8>>, free: impl Fn(NonNull<u8>)) {
    let mut held = [NonNull::<u8>::dangling(); BLOCKS - 1];
    for h in &mut held {
        *h = alloc().unwrap_or_else(|| fail("a pool has fewer blocks than declared"));
    }
    pairs(n, &alloc, &free);
    for h in held {
        free(h);
    }
}

#[cfg(feature = "heaps")]
/// `SlabHeap`'s own worst state for `REQUEST`: every class but the
/// largest full (their blocks in `held`, with their sizes). Returns how
/// many are held.
#[inline(never)]
fn fill_below_largest(held: &mut [(usize, usize); HEAP_HELD]) -> usize {
    let mut n = 0;
    let classes = SLAB_HEAP.classes().count();
    for class in SLAB_HEAP.classes().take(classes - 1) {
        let size = class.block_size();
        while class.num_free() > 0 {
            let layout = Layout::from_size_align(size, 4).unwrap_or(REQUEST);
            // SAFETY: a non-zero size; freed by `release` with this layout.
            let p = unsafe { SLAB_HEAP.alloc(layout) };
            if p.is_null() || n == HEAP_HELD {
                fail("filling the heap's classes below the largest");
            }
            held[n] = (p as usize, size);
            n += 1;
        }
    }
    n
}

#[cfg(feature = "heaps")]
/// Frees what [`fill_below_largest`] took.
#[inline(never)]
fn release(held: &[(usize, usize)]) {
    for &(p, size) in held {
        let layout = Layout::from_size_align(size, 4).unwrap_or(REQUEST);
        // SAFETY: allocated by `fill_below_largest` with `layout`.
        unsafe { SLAB_HEAP.dealloc(p as *mut u8, layout) };
    }
    if SLAB_HEAP.stats().allocated_bytes != 0 {
        fail("the heap's worst state was not undone");
    }
}

fn fail(what: &str) -> ! {
    report::fatal(file!(), line!(), format_args!("{what}"))
}

struct Contender {
    name: &'static str,
    run: fn(),
    worst: fn(),
}

/// A contender from its two functions: typical and worst-case loops.
macro_rules! contender {
    ($name:literal, $alloc:ident, $free:ident) => {
        Contender {
            name: $name,
            // SAFETY: each loop frees the block its own alloc just gave
            // (or held), and does not use it afterwards.
            run: || pairs(PAIRS, $alloc, |b| unsafe { $free(b) }),
            worst: || worst_pairs(PAIRS, $alloc, |b| unsafe { $free(b) }),
        }
    };
}

#[cfg(feature = "heaps")]
/// `SlabHeap`: pairs of `REQUEST` on an empty heap (the first class serves
/// it) and in its own worst state.
const SLAB_HEAP_CONTENDER: Contender = Contender {
    name: "slabheap",
    // SAFETY: a non-zero size; each block is freed with its layout, once.
    run: || {
        pairs(
            PAIRS,
            || unsafe { slabheap_alloc(REQUEST) },
            |b| unsafe { slabheap_free(b, REQUEST) },
        )
    },
    worst: || {
        let mut held = [(0, 0); HEAP_HELD];
        let n = fill_below_largest(&mut held);
        // SAFETY: as above.
        pairs(
            PAIRS,
            || unsafe { slabheap_alloc(REQUEST) },
            |b| unsafe { slabheap_free(b, REQUEST) },
        );
        release(&held[..n]);
    },
};

#[cfg(feature = "heaps")]
/// TLSF: pairs of `REQUEST` on an empty heap and with 15 blocks held.
const TLSF_CONTENDER: Contender = Contender {
    name: "tlsf",
    // SAFETY: a non-zero size; each block is freed with its layout, once.
    run: || {
        pairs(
            PAIRS,
            || unsafe { tlsf_alloc(REQUEST) },
            |b| unsafe { tlsf_free(b, REQUEST) },
        )
    },
    worst: || {
        // SAFETY: as above.
        worst_pairs(
            PAIRS,
            || unsafe { tlsf_alloc(REQUEST) },
            |b| unsafe { tlsf_free(b, REQUEST) },
        )
    },
};

/// Every contender that builds for the target.
const CONTENDERS: &[Contender] = &[
    contender!("empty", empty_alloc, empty_free),
    contender!("slab", slab_alloc, slab_free),
    contender!("slab48", slab48_alloc, slab48_free),
    contender!("slab-bounds", slab_bounds_alloc, slab_bounds_free),
    contender!("slab-bounds48", slab_bounds48_alloc, slab_bounds48_free),
    contender!("zephyr", zephyr_alloc, zephyr_free),
    contender!("zephyr48", zephyr48_alloc, zephyr48_free),
    #[cfg(heapless_pool)]
    contender!("heapless", heapless_alloc, heapless_free),
    #[cfg(target_has_atomic = "ptr")]
    contender!("atomic-pool", atomic_pool_alloc, atomic_pool_free),
    contender!("bare-cs-list", bare_alloc, bare_free),
    #[cfg(feature = "heaps")]
    SLAB_HEAP_CONTENDER,
    #[cfg(feature = "heaps")]
    TLSF_CONTENDER,
];

fn set_up() {
    slab_core::boot();
    // SAFETY: start-up, before any measurement: nothing else refers to the
    // blocks, and each is handed to one pool, once.
    let bare_blocks = unsafe { &mut *BARE_BLOCKS.0.get() };
    // SAFETY: as above, for the heapless pool's blocks.
    #[cfg(heapless_pool)]
    for block in unsafe { &mut *HEAPLESS_BLOCKS.0.get() } {
        HeaplessPool.manage(block);
    }
    // SAFETY: as above, for the Zephyr-style slabs' buffers.
    let (zephyr, zephyr48) =
        unsafe { (&mut *ZEPHYR_BLOCKS.0.get(), &mut *ZEPHYR48_BLOCKS.0.get()) };
    if ZEPHYR
        .init(zephyr.as_mut_ptr().cast(), BLOCK, BLOCKS)
        .is_err()
        || ZEPHYR48
            .init(zephyr48.as_mut_ptr().cast(), 48, BLOCKS)
            .is_err()
    {
        fail("k_mem_slab_init");
    }
    #[cfg(feature = "heaps")]
    // SAFETY: as above, for the TLSF heap's memory.
    unsafe {
        TLSF.init(TLSF_ARENA.0.get() as usize, HEAP_BYTES)
    };
    for block in bare_blocks {
        // SAFETY: a block of BARE_BLOCKS, given to the list once.
        unsafe { bare_free(NonNull::from(block).cast()) };
    }
}

#[cfg_attr(target_arch = "arm", cortex_m_rt::entry)]
#[cfg_attr(target_arch = "riscv32", riscv_rt::entry)]
fn main() -> ! {
    report::set_name(&"bench-firmware");
    count::start();
    set_up();
    // With slab-core's `trace`: a hook the program could set (at run time;
    // only with `trace-hook`), so that a linker that sees the hook never
    // set cannot fold the tracing away.
    #[cfg(feature = "trace")]
    if black_box(cfg!(feature = "trace-hook")) {
        let _ = slab_core::trace::set_trace_hook(|_| {});
    }

    hprintln!(
        "bench-firmware: {} on {}, {}-byte blocks, {} pairs per run, {} rounds",
        "slab vs a Zephyr-style k_mem_slab vs heapless::pool vs atomic-pool",
        slab_firmware_common::TARGET,
        BLOCK,
        PAIRS,
        ROUNDS
    );
    for round in 1..=ROUNDS {
        let (with_nops, empty) = count::calibrate();
        hprintln!(
            "calibration round {}: {} nops in {} ticks, the empty loop {} ticks",
            round,
            u64::from(NOP_LOOPS) * 100,
            with_nops,
            empty
        );
    }
    hprintln!(
        "init: {} x {} blocks of 8 bytes in {} ticks",
        INIT_ROUNDS,
        INIT_BLOCKS,
        ticks(init_rounds)
    );
    for c in CONTENDERS {
        let mut line = [0u32; ROUNDS];
        for t in &mut line {
            *t = ticks(c.run);
        }
        hprintln!("pairs {}: {:?} ticks per {} pairs", c.name, line, PAIRS);
        for t in &mut line {
            *t = ticks(c.worst);
        }
        hprintln!(
            "pairs {}/worst: {:?} ticks per {} pairs",
            c.name,
            line,
            PAIRS
        );
    }
    hprintln!("bench-firmware: done");
    slab_firmware_common::exit(0)
}
