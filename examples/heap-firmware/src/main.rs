//! `SlabHeap` as the `#[global_allocator]` of a Cortex-M firmware, under
//! QEMU (`lm3s6965evb`), for thumbv7m-none-eabi and thumbv6m-none-eabi
//! from the same source.
//!
//! Checks that the heap returns null before `boot()`; then `Vec`, `String`
//! and `BTreeMap` workloads (growth, in-place shrink, churn against a
//! model) with the smallest-fit rule and exact stats; and allocation in an
//! interrupt handler: SysTick, both periodic (preempting thread mode
//! between its allocations) and pended from thread mode, allocates a
//! `Vec` and a `Box` on every run, frees the previous ones, and posts the
//! `Box` to thread mode, which frees it. The first failing check ends the
//! run; it ends with `firmware: N passed, 0 failed` and a semihosting exit
//! status (examples/common's report). Build and run: `cargo
//! run --release` here, or `cargo test -p slab-tests --test qemu_heap` in
//! the workspace.
#![no_std]
#![no_main]

extern crate alloc;

#[macro_use]
extern crate slab_firmware_common;

use alloc::boxed::Box;
use alloc::collections::BTreeMap;
use alloc::string::String;
use alloc::vec::Vec;
use core::alloc::{GlobalAlloc, Layout};
use core::cell::RefCell;
use core::fmt::Write;

use cortex_m::peripheral::{SCB, SYST};
use cortex_m_rt::{entry, exception};
use critical_section::Mutex;
use slab_core::MemSlab;
use slab_firmware_common::{report, systick};

slab_core::slab_heap! {
    /// The firmware's heap: seven size classes, 32 KiB.
    #[global_allocator]
    static HEAP: SlabHeap = [
        (blocks = 64, size = 16),
        (blocks = 32, size = 32),
        (blocks = 32, size = 64),
        (blocks = 16, size = 128),
        (blocks = 8, size = 256),
        (blocks = 8, size = 1024),
        (blocks = 4, size = 4096),
    ];
}

/// What the SysTick handler keeps between runs, and posts to thread mode.
struct Irq {
    runs: u32,
    /// Allocations the handler made (each `try_reserve_exact` that
    /// succeeded).
    allocations: u32,
    /// Allocations in the handler that came back null.
    failures: u32,
    /// Contents checked wrong in the handler.
    corrupt: u32,
    /// The previous run's vector (freed by the next run).
    kept: Option<(u32, Vec<u32>)>,
    /// A box for thread mode to free.
    mailbox: Option<Box<[u32; 6]>>,
}

static IRQ: Mutex<RefCell<Irq>> = Mutex::new(RefCell::new(Irq {
    runs: 0,
    allocations: 0,
    failures: 0,
    corrupt: 0,
    kept: None,
    mailbox: None,
}));

/// Periodic SysTicks per second.
const TICK_HZ: u32 = 1_000;
/// Rounds of the thread-mode workload under interrupts.
const ROUNDS: u32 = 2000;

#[entry]
fn main() -> ! {
    let mut core = cortex_m::Peripherals::take().expect("core peripherals");
    report::stop_at_first_failure();
    before_boot();
    slab_core::boot();
    hprintln!("firmware: SlabHeap on {}", slab_firmware_common::TARGET);
    hprintln!("{}", slab_core::registry());

    smallest_fit();
    vec_and_string();
    btreemap_churn();
    from_interrupts(&mut core.SYST);

    check_eq!(HEAP.stats().allocated_bytes, 0);
    hprintln!("firmware: registry at the end");
    hprintln!("{}", slab_core::registry());
    report::finish()
}

/// Before `boot()` every request is null.
fn before_boot() {
    for size in [1, 16, 100, 4096] {
        let layout = Layout::from_size_align(size, 4).unwrap();
        // SAFETY: a non-zero size; a null result is checked.
        let p = unsafe { HEAP.alloc(layout) };
        check!(p.is_null(), "{} bytes before boot: null", size);
    }
}

/// The class holding `p`, which must be a block start.
fn class_of<T>(p: *const T) -> Option<&'static MemSlab> {
    let addr = p as usize;
    HEAP.classes().find(|c| {
        let range = c.buffer_range();
        range.contains(&addr) && (addr - range.start).is_multiple_of(c.block_size())
    })
}

/// Each request lands in the smallest class that fits it.
fn smallest_fit() {
    for (size, want) in [
        (1, 16),
        (16, 16),
        (17, 32),
        (100, 128),
        (1000, 1024),
        (3000, 4096),
    ] {
        let v: Vec<u8> = Vec::with_capacity(size);
        let class = class_of(v.as_ptr());
        check_eq!(class.map(MemSlab::block_size), Some(want));
        check_eq!(HEAP.stats().allocated_bytes, want);
    }
}

fn vec_and_string() {
    let mut v: Vec<u32> = Vec::new();
    for i in 0..900 {
        v.push(i);
        let block = class_of(v.as_ptr()).map_or(0, MemSlab::block_size);
        check!(block >= v.capacity() * 4, "the block holds the vector");
        check_eq!(HEAP.stats().allocated_bytes, block);
    }
    check!(v.iter().copied().eq(0..900));
    let before = v.as_ptr();
    v.truncate(10);
    v.shrink_to_fit();
    check_eq!(v.as_ptr(), before); // in place: it still fits the block
    drop(v);

    let mut s = String::new();
    for i in 0..200 {
        write!(s, "{i},").unwrap();
    }
    check!(s.starts_with("0,1,2,") && s.ends_with(",198,199,"));
    check!(class_of(s.as_ptr()).is_some());
    drop(s);
    check_eq!(HEAP.stats().allocated_bytes, 0);
}

fn btreemap_churn() {
    let mut map = BTreeMap::new();
    let mut model = [None::<u16>; 64];
    let mut x: u32 = 0x1234_5678;
    for op in 0..3000u16 {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        let key = (x % 64) as u8;
        if x.is_multiple_of(3) {
            check_eq!(map.remove(&key), model[key as usize].take());
        } else {
            check_eq!(map.insert(key, op), model[key as usize].replace(op));
        }
    }
    let expected = model
        .iter()
        .enumerate()
        .filter_map(|(k, v)| v.map(|v| (k as u8, v)));
    check!(map.iter().map(|(k, v)| (*k, *v)).eq(expected));
    drop(map);
    check_eq!(HEAP.stats().allocated_bytes, 0);
}

/// Thread mode churns vectors and frees the boxes the handler posts,
/// while SysTick allocates, checks and frees in the handler.
fn from_interrupts(syst: &mut SYST) {
    systick::start_periodic(syst, TICK_HZ);

    let mut received = 0u32;
    let mut pended = 0u32;
    let mut mine: Vec<Vec<u16>> = Vec::with_capacity(8);
    for round in 0..ROUNDS {
        let len = (round % 50) as usize + 1;
        mine.push((0..len as u16).collect());
        if mine.len() == 8 {
            let v = mine.remove((round % 8) as usize);
            check!(
                v.iter().copied().eq(0..v.len() as u16),
                "thread-mode vector intact"
            );
        }
        if round.is_multiple_of(4) {
            SCB::set_pendst(); // one more run, now
            pended += 1;
        }
        let post = critical_section::with(|cs| IRQ.borrow_ref_mut(cs).mailbox.take());
        if let Some(b) = post {
            check!(b.iter().all(|&w| w == b[0]), "posted box intact");
            received += 1;
            drop(b); // freed in thread mode, allocated in the handler
        }
    }
    syst.disable_interrupt();
    syst.disable_counter();
    drop(mine);

    let (runs, allocations, failures, corrupt) = critical_section::with(|cs| {
        let mut irq = IRQ.borrow_ref_mut(cs);
        irq.kept = None;
        irq.mailbox = None;
        (irq.runs, irq.allocations, irq.failures, irq.corrupt)
    });
    check!(runs >= ROUNDS / 4, "the handler ran ({} runs)", runs);
    check_eq!(failures, 0);
    check_eq!(corrupt, 0);
    check!(
        received >= ROUNDS / 8,
        "thread mode freed posted boxes ({})",
        received
    );
    // The periodic runs are those not pended (QEMU's SysTick follows the
    // host's clock here, so how many there are varies; none is assumed).
    hprintln!(
        "firmware: {} interrupt-handler allocations, {} boxes freed in thread mode, \
         {} handler runs ({} pended, {} periodic)",
        allocations,
        received,
        runs,
        pended,
        runs.saturating_sub(pended)
    );
}

#[exception]
fn SysTick() {
    critical_section::with(|cs| {
        let mut irq = IRQ.borrow_ref_mut(cs);
        irq.runs += 1;
        let n = irq.runs;
        if let Some((seed, old)) = irq.kept.take()
            && !old.iter().enumerate().all(|(i, &w)| w == seed ^ i as u32)
        {
            irq.corrupt += 1;
        }
        let mut v = Vec::new();
        let len = (n % 40) as usize + 1;
        if v.try_reserve_exact(len).is_err() {
            irq.failures += 1;
            return;
        }
        irq.allocations += 1;
        v.extend((0..len as u32).map(|i| n ^ i));
        irq.kept = Some((n, v));
        if irq.mailbox.is_none() {
            // Fallible, as an interrupt handler must be: through `Vec`.
            let mut b = Vec::new();
            if b.try_reserve_exact(6).is_err() {
                irq.failures += 1;
                return;
            }
            irq.allocations += 1;
            b.extend([n; 6]);
            match <Box<[u32; 6]>>::try_from(b.into_boxed_slice()) {
                Ok(b) => irq.mailbox = Some(b),
                Err(_) => irq.corrupt += 1,
            }
        }
    });
}

#[exception]
unsafe fn DefaultHandler(irqn: i16) {
    report::fatal(
        file!(),
        line!(),
        format_args!("unexpected exception {irqn}"),
    );
}
