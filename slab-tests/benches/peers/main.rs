//! Host benchmarks: slab against its peers, in one run, one after another.
//!
//! A program, not a timed test: it prints nanoseconds per operation (the
//! median of N rounds, with min and max) and the ratios that matter, and
//! asserts nothing about time. The rounds of the contenders of one
//! comparison are interleaved (round 1 of each, then round 2 of each, …), so
//! that a noisy neighbour slows every side alike.
//!
//! ```text
//! cargo bench -p slab-tests --bench peers -- [--rounds N]
//!     [--only pairs|threads|hand-off|boot]
//! ```
//!
//! The ratios end the output once more in a machine-readable form, which
//! `cargo xtask bench` turns into `benchmarks.svg`.
//!
//! Fairness: every allocator hands out 64-byte blocks (slab and the
//! Zephyr-style reference also 48-byte ones) and every loop uses
//! the pointer only (through `black_box`), never the bytes. The pools hold
//! `MaybeUninit<[u8; 64]>`, so "moving a value in" writes nothing.

use std::alloc::{Layout, alloc, dealloc, handle_alloc_error};
use std::hint::black_box;
use std::mem::MaybeUninit;
use std::process::Command;
use std::ptr::NonNull;
use std::sync::{Barrier, Condvar, Mutex};
use std::thread;
use std::time::Instant;

use slab_core::{MemSlab, Timeout, mem_slab};

mod references;
mod report;

use references::{SpinList, ZephyrSlab};
use report::{Bar, Stats, Table};

const BLOCK: usize = 64;

/// The single-thread pair loop.
#[mem_slab(blocks = 16, size = 64)]
static PAIR: MemSlab;
/// The same with 48-byte blocks (not a power of two).
#[mem_slab(blocks = 16, size = 48)]
static PAIR48: MemSlab;
/// The same at `checks = "bounds"`.
#[mem_slab(blocks = 16, size = 64, checks = "bounds")]
static PAIR_BOUNDS: MemSlab;

/// The floor: a bare intrusive list under a one-`xchg` spin lock.
static SPIN_LIST: SpinList = SpinList::new();
/// A Zephyr-style `k_mem_slab`, 64- and 48-byte blocks.
static ZEPHYR: ZephyrSlab = ZephyrSlab::new();
static ZEPHYR48: ZephyrSlab = ZephyrSlab::new();

/// Two slabs declared next to each other, one per thread.
#[mem_slab(blocks = 16, size = 64)]
static LEFT: MemSlab;
#[mem_slab(blocks = 16, size = 64)]
static RIGHT: MemSlab;

/// The hand-off token: one block, passed back and forth.
#[mem_slab(blocks = 1, size = 64)]
static TOKEN: MemSlab;

/// `boot()` threads this one: 10^6 blocks of 8 bytes.
#[mem_slab(blocks = 1_000_000, size = 8)]
static MILLION: MemSlab;
const MILLION_BLOCKS: usize = 1_000_000;

// `pool!` expands to `(N + 31) / 32` in this crate, which clippy would have
// written with `div_ceil`.
#[allow(clippy::manual_div_ceil)]
mod atomic_pools {
    use super::{BLOCK, MaybeUninit};

    atomic_pool::pool!(pub AtomicPool: [MaybeUninit<[u8; BLOCK]>; 16]);
    atomic_pool::pool!(pub AtomicPoolShared: [MaybeUninit<[u8; BLOCK]>; 16]);
    atomic_pool::pool!(pub AtomicPoolLeft: [MaybeUninit<[u8; BLOCK]>; 16]);
    atomic_pool::pool!(pub AtomicPoolRight: [MaybeUninit<[u8; BLOCK]>; 16]);
}
use atomic_pools::{AtomicPool, AtomicPoolLeft, AtomicPoolRight, AtomicPoolShared};
heapless::box_pool!(HeaplessPool: MaybeUninit<[u8; BLOCK]>);

/// A free list under a `std::sync::Mutex`: the textbook baseline.
struct MutexFreeList(Mutex<Vec<Ptr>>);

/// A block address that may cross threads (the benchmarks own their blocks).
#[derive(Clone, Copy)]
struct Ptr(NonNull<u8>);
// SAFETY: a block is plain memory owned by whoever holds the pointer.
unsafe impl Send for Ptr {}

static MUTEX_LIST: MutexFreeList = MutexFreeList(Mutex::new(Vec::new()));

const LAYOUT: Layout = match Layout::from_size_align(BLOCK, 8) {
    Ok(l) => l,
    Err(_) => panic!("64/8 is a valid layout"),
};

struct Options {
    rounds: usize,
    /// Run only the sections whose names contain this.
    only: Option<String>,
}

impl Options {
    fn runs(&self, section: &str) -> bool {
        self.only.as_deref().is_none_or(|o| section.contains(o))
    }
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.iter().any(|a| a == "--boot-child") {
        return boot_child();
    }
    slab_core::boot();
    let options = Options {
        rounds: flag(&args, "--rounds").map_or(31, |v| v.parse().expect("--rounds N")),
        only: flag(&args, "--only"),
    };
    set_up_peers();

    let cpu = report::cpu_model();
    println!(
        "slab host benchmarks: {BLOCK}-byte blocks; ns per op, median of {} rounds [min .. max]",
        options.rounds
    );
    println!(
        "machine: {} cpus, {cpu}\n",
        thread::available_parallelism().map_or(0, |n| n.get())
    );

    let mut bars = Vec::new();
    type Section<'a> = (&'static str, &'a dyn Fn(&mut Vec<Bar>));
    let sections: [Section; 4] = [
        ("pairs", &|bars| pairs(&options, bars)),
        ("threads", &|bars| threads(&options, bars)),
        ("hand-off", &|bars| hand_off(&options, bars)),
        ("boot", &|bars| boot(&options, bars)),
    ];
    for (name, section) in sections {
        if options.runs(name) {
            section(&mut bars);
        }
    }

    report::print_machine_readable(&bars);
}

fn flag(args: &[String], name: &str) -> Option<String> {
    let at = args.iter().position(|a| a == name)?;
    Some(
        args.get(at + 1)
            .unwrap_or_else(|| panic!("{name} needs a value"))
            .clone(),
    )
}

fn set_up_peers() {
    ZEPHYR.init(BLOCK, 16);
    ZEPHYR48.init(48, 16);
    for _ in 0..16 {
        let block = Box::leak(Box::new([0u64; BLOCK / 8]));
        // SAFETY: a leaked, word-aligned block, given to the list once.
        unsafe { SPIN_LIST.free(NonNull::from(block).cast()) };
    }
    for _ in 0..16 {
        let block = Box::leak(Box::new(heapless::pool::boxed::BoxBlock::new()));
        HeaplessPool.manage(block);
    }
    let mut list = MUTEX_LIST.0.lock().unwrap();
    for _ in 0..16 {
        // SAFETY: LAYOUT has a non-zero size.
        let p =
            NonNull::new(unsafe { alloc(LAYOUT) }).unwrap_or_else(|| handle_alloc_error(LAYOUT));
        list.push(Ptr(p));
    }
}

/// Runs `op` `iters` times; nanoseconds per call.
#[inline(always)]
fn per_op(iters: u64, mut op: impl FnMut()) -> f64 {
    let start = Instant::now();
    for _ in 0..iters {
        op();
    }
    start.elapsed().as_nanos() as f64 / iters as f64
}

/// One sample of each contender per round, contenders interleaved (each
/// round in a rotated order); one warm-up round first.
fn interleaved(rounds: usize, contenders: &[fn() -> f64]) -> Vec<Stats> {
    for c in contenders {
        c();
    }
    let mut samples = vec![Vec::with_capacity(rounds); contenders.len()];
    for round in 0..rounds {
        // Each round starts with the next contender, so that none always
        // runs right after the same neighbour.
        for k in 0..contenders.len() {
            let i = (round + k) % contenders.len();
            samples[i].push(contenders[i]());
        }
    }
    samples.into_iter().map(Stats::new).collect()
}

// ---------------------------------------------------------------------------
// Single thread: one alloc + free pair.

const PAIRS_PER_SAMPLE: u64 = 400_000;

/// The pair loop of a slab, pasted into each contender's function so that
/// it is inlined like every other contender's code.
macro_rules! pairs_of {
    ($slab:expr) => {
        per_op(PAIRS_PER_SAMPLE, || {
            let p = $slab.alloc(Timeout::NoWait).expect("a free block");
            let p = black_box(p);
            // SAFETY: `p` came from this slab and is not used afterwards.
            unsafe { $slab.free(p) }.expect("a valid free");
        })
    };
}

fn slab_pairs() -> f64 {
    pairs_of!(PAIR)
}

fn slab48_pairs() -> f64 {
    pairs_of!(PAIR48)
}

fn slab_bounds_pairs() -> f64 {
    pairs_of!(PAIR_BOUNDS)
}

fn spin_list_pairs() -> f64 {
    per_op(PAIRS_PER_SAMPLE, || {
        let p = SPIN_LIST.alloc().expect("a free block");
        let p = black_box(p);
        // SAFETY: `p` came from the list and is not used afterwards.
        unsafe { SPIN_LIST.free(p) };
    })
}

/// The same for a Zephyr-style slab.
macro_rules! zephyr_pairs_of {
    ($slab:expr) => {
        per_op(PAIRS_PER_SAMPLE, || {
            let p = $slab.alloc().expect("a free block");
            let p = black_box(p);
            // SAFETY: `p` came from this slab and is not used afterwards.
            unsafe { $slab.free(p) }.expect("a valid free");
        })
    };
}

fn zephyr_pairs() -> f64 {
    zephyr_pairs_of!(ZEPHYR)
}

fn zephyr48_pairs() -> f64 {
    zephyr_pairs_of!(ZEPHYR48)
}

fn atomic_pool_pairs() -> f64 {
    per_op(PAIRS_PER_SAMPLE, || {
        let b = atomic_pool::Box::<AtomicPool>::new(MaybeUninit::uninit()).expect("a free block");
        black_box(&*b as *const MaybeUninit<[u8; BLOCK]>);
        drop(b);
    })
}

fn heapless_pairs() -> f64 {
    per_op(PAIRS_PER_SAMPLE, || {
        let Ok(b) = HeaplessPool.alloc(MaybeUninit::uninit()) else {
            panic!("a free block")
        };
        black_box(&*b as *const MaybeUninit<[u8; BLOCK]>);
        drop(b);
    })
}

fn malloc_pairs() -> f64 {
    per_op(PAIRS_PER_SAMPLE, || {
        // SAFETY: LAYOUT has a non-zero size.
        let p = unsafe { alloc(LAYOUT) };
        if p.is_null() {
            handle_alloc_error(LAYOUT);
        }
        let p = black_box(p);
        // SAFETY: `p` was allocated above with LAYOUT.
        unsafe { dealloc(p, LAYOUT) };
    })
}

fn mutex_list_pairs() -> f64 {
    per_op(PAIRS_PER_SAMPLE, || {
        let p = MUTEX_LIST.0.lock().unwrap().pop().expect("a free block");
        let p = Ptr(black_box(p.0));
        MUTEX_LIST.0.lock().unwrap().push(p);
    })
}

fn pairs(options: &Options, bars: &mut Vec<Bar>) {
    type Contender = (&'static str, fn() -> f64);
    let contenders: [Contender; 10] = [
        (
            "slab (declared, checks = full; alloc(NoWait) + free)",
            slab_pairs,
        ),
        ("slab, 48-byte blocks", slab48_pairs),
        ("slab, checks = bounds", slab_bounds_pairs),
        (
            "floor: bare list under a one-xchg spin lock",
            spin_list_pairs,
        ),
        ("Zephyr-style k_mem_slab (same spin lock)", zephyr_pairs),
        ("Zephyr-style k_mem_slab, 48-byte blocks", zephyr48_pairs),
        ("atomic-pool 2 (Box new + drop)", atomic_pool_pairs),
        ("heapless 0.9 pool (box_pool alloc + drop)", heapless_pairs),
        ("system allocator (std::alloc 64/8)", malloc_pairs),
        ("Mutex<Vec<*mut u8>> free list", mutex_list_pairs),
    ];
    let stats = interleaved(options.rounds, &contenders.map(|c| c.1));
    let mut table = Table::new("alloc + free pair, one thread", "ns/pair");
    for ((name, _), s) in contenders.iter().zip(&stats) {
        table.row(name, s);
    }
    let [
        slab,
        slab48,
        bounds,
        floor,
        zephyr,
        zephyr48,
        atomic,
        heapless,
        malloc,
        mutex,
    ] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9].map(|i| stats[i].median);
    table.ratio("slab / spin-locked floor", slab / floor, Some(1.10));
    table.ratio("slab 48 B / spin-locked floor", slab48 / floor, Some(1.10));
    table.ratio(
        "slab bounds / spin-locked floor",
        bounds / floor,
        Some(1.10),
    );
    table.ratio("slab / atomic-pool", slab / atomic, Some(1.0));
    table.ratio("slab / heapless pool", slab / heapless, Some(1.0));
    table.ratio("slab / Zephyr-style", slab / zephyr, None);
    table.ratio("slab 48 B / Zephyr-style 48 B", slab48 / zephyr48, None);
    // glibc's per-thread cache takes no atomic: context, not a target.
    table.ratio("slab / system allocator (context)", slab / malloc, None);
    table.ratio("slab / Mutex free list", slab / mutex, None);
    table.print();
    bars.extend(table.bars());
}

// ---------------------------------------------------------------------------
// Threads: throughput of one thread, two threads on two slabs, two threads on
// one slab.

const THREAD_PAIRS: u64 = 1_000_000;
/// Steps of the arithmetic reference loop per thread (about as long as
/// `THREAD_PAIRS` pairs).
const ALU_STEPS: u64 = 4_000_000;

/// `threads` threads released together, thread `i` running `work(i)`, which
/// does `units` units of work; wall-clock ns per unit over all threads,
/// from the first thread's start to the last one's end.
fn wall_ns_per_unit(threads: usize, units: u64, work: impl Fn(usize) + Sync) -> f64 {
    let start = Barrier::new(threads);
    let spans: Vec<(Instant, Instant)> = thread::scope(|s| {
        let workers: Vec<_> = (0..threads)
            .map(|i| {
                let (start, work) = (&start, &work);
                s.spawn(move || {
                    start.wait();
                    let t0 = Instant::now();
                    work(i);
                    (t0, Instant::now())
                })
            })
            .collect();
        workers.into_iter().map(|w| w.join().unwrap()).collect()
    });
    let begin = spans.iter().map(|s| s.0).min().unwrap();
    let end = spans.iter().map(|s| s.1).max().unwrap();
    (end - begin).as_nanos() as f64 / (units * threads as u64) as f64
}

fn slab_pairs_on(slab: &MemSlab) {
    for _ in 0..THREAD_PAIRS {
        let p = slab.alloc(Timeout::NoWait).expect("a free block");
        let p = black_box(p);
        // SAFETY: `p` came from `slab`, not used afterwards.
        unsafe { slab.free(p) }.expect("a valid free");
    }
}

fn atomic_pool_pairs_on<P: atomic_pool::Pool<Item = MaybeUninit<[u8; BLOCK]>>>() {
    for _ in 0..THREAD_PAIRS {
        let b = atomic_pool::Box::<P>::new(MaybeUninit::uninit()).expect("a free block");
        black_box(&*b as *const MaybeUninit<[u8; BLOCK]>);
        drop(b);
    }
}

/// Plain arithmetic touching no shared memory: how well this machine runs
/// two threads at once right now, whatever they do.
fn arithmetic(seed: usize) {
    let mut x = seed as u64;
    for k in 0..ALU_STEPS {
        x = black_box(x.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(k));
    }
}

fn threads(options: &Options, bars: &mut Vec<Bar>) {
    let rounds = options.rounds.div_ceil(2);
    let stats = interleaved(
        rounds,
        &[
            || wall_ns_per_unit(1, THREAD_PAIRS, |_| slab_pairs_on(&LEFT)),
            || wall_ns_per_unit(2, THREAD_PAIRS, |i| slab_pairs_on([&LEFT, &RIGHT][i])),
            || wall_ns_per_unit(2, THREAD_PAIRS, |_| slab_pairs_on(&PAIR)),
            || {
                wall_ns_per_unit(2, THREAD_PAIRS, |_| {
                    atomic_pool_pairs_on::<AtomicPoolShared>()
                })
            },
            || {
                wall_ns_per_unit(1, THREAD_PAIRS, |_| {
                    atomic_pool_pairs_on::<AtomicPoolLeft>()
                })
            },
            || {
                wall_ns_per_unit(2, THREAD_PAIRS, |i| match i {
                    0 => atomic_pool_pairs_on::<AtomicPoolLeft>(),
                    _ => atomic_pool_pairs_on::<AtomicPoolRight>(),
                })
            },
            || wall_ns_per_unit(1, ALU_STEPS, arithmetic),
            || wall_ns_per_unit(2, ALU_STEPS, arithmetic),
        ],
    );
    let mut table = Table::new(
        "threads: wall-clock ns per pair (per step), all threads together",
        "ns/pair",
    )
    .rounds(rounds);
    table.row("slab, 1 thread on 1 slab", &stats[0]);
    table.row("slab, 2 threads on 2 slabs (adjacent statics)", &stats[1]);
    table.row("slab, 2 threads contending 1 slab", &stats[2]);
    table.row("atomic-pool, 2 threads contending 1 pool", &stats[3]);
    table.row("atomic-pool, 1 thread on 1 pool", &stats[4]);
    table.row("atomic-pool, 2 threads on 2 pools", &stats[5]);
    table.row("reference: arithmetic loop, 1 thread (ns/step)", &stats[6]);
    table.row("reference: arithmetic loop, 2 threads (ns/step)", &stats[7]);
    // Throughput is the inverse of ns per pair.
    let one = stats[0].median;
    table.ratio_higher(
        "throughput: 2 threads on 2 slabs / 1 thread",
        one / stats[1].median,
        Some(1.6),
    );
    table.ratio_higher(
        "throughput: 2 threads on 1 slab / 1 thread",
        one / stats[2].median,
        None,
    );
    table.ratio(
        "contended: slab / atomic-pool",
        stats[2].median / stats[3].median,
        None,
    );
    table.ratio_higher(
        "atomic-pool throughput: 2 threads on 2 pools / 1",
        stats[4].median / stats[5].median,
        None,
    );
    let machine = stats[6].median / stats[7].median;
    table.ratio_higher("machine: arithmetic 2 threads / 1 thread", machine, None);
    table.ratio_higher(
        "slab 2-slab scaling / the machine's scaling",
        one / stats[1].median / machine,
        None,
    );
    table.print();
    bars.extend(table.bars());
}

// ---------------------------------------------------------------------------
// Hand-off round trip: A frees -> waiting B gets it -> B frees -> waiting A
// gets it, against a Mutex + Condvar ping-pong.

const ROUND_TRIPS: u64 = 4_000;

/// Spins until someone waits on `slab`, so that every free is a hand-off to
/// a waiting thread (normally it already waits: zero spins).
fn until_waiting(slab: &MemSlab) {
    let mut spins = 0u32;
    while slab.num_waiting() == 0 {
        spins += 1;
        if spins < 1_000 {
            std::hint::spin_loop();
        } else {
            thread::yield_now();
        }
    }
}

fn slab_round_trips() -> f64 {
    let mut held = TOKEN.alloc(Timeout::NoWait).expect("the token");
    let ns = thread::scope(|s| {
        s.spawn(|| {
            for _ in 0..ROUND_TRIPS {
                let got = TOKEN.alloc(Timeout::Forever).expect("a hand-off");
                until_waiting(&TOKEN);
                // SAFETY: `got` came from TOKEN, not used afterwards.
                unsafe { TOKEN.free(got) }.expect("a valid free");
            }
        });
        let start = Instant::now();
        for _ in 0..ROUND_TRIPS {
            until_waiting(&TOKEN);
            // SAFETY: `held` came from TOKEN, not used afterwards.
            unsafe { TOKEN.free(held) }.expect("a valid free");
            held = TOKEN.alloc(Timeout::Forever).expect("a hand-off");
        }
        start.elapsed().as_nanos() as f64 / ROUND_TRIPS as f64
    });
    // SAFETY: `held` came from TOKEN, not used afterwards.
    unsafe { TOKEN.free(held) }.expect("a valid free");
    ns
}

fn condvar_round_trips() -> f64 {
    // Whose turn it is: 0 = A, 1 = B.
    let turn = Mutex::new(0u8);
    let changed = Condvar::new();
    let pass = |me: u8| {
        let mut t = turn.lock().unwrap();
        *t = 1 - me;
        changed.notify_one();
        while *t != me {
            t = changed.wait(t).unwrap();
        }
    };
    thread::scope(|s| {
        s.spawn(|| {
            let mut t = turn.lock().unwrap();
            for _ in 0..ROUND_TRIPS {
                while *t != 1 {
                    t = changed.wait(t).unwrap();
                }
                *t = 0;
                changed.notify_one();
            }
        });
        let start = Instant::now();
        for _ in 0..ROUND_TRIPS {
            pass(0);
        }
        start.elapsed().as_nanos() as f64 / ROUND_TRIPS as f64
    })
}

fn hand_off(options: &Options, bars: &mut Vec<Bar>) {
    let rounds = options.rounds.div_ceil(2);
    let stats = interleaved(rounds, &[slab_round_trips, condvar_round_trips]);
    let mut table =
        Table::new("hand-off round trip between two threads", "ns/round trip").rounds(rounds);
    table.row("slab: free -> waiting thread, and back", &stats[0]);
    table.row("Mutex + Condvar ping-pong", &stats[1]);
    table.ratio(
        "slab / Mutex + Condvar",
        stats[0].median / stats[1].median,
        Some(1.0),
    );
    table.print();
    bars.extend(table.bars());
}

// ---------------------------------------------------------------------------
// boot(): threading cost per block at 10^6 blocks.

/// Times this process's first `boot()`; nanoseconds.
fn time_boot() -> f64 {
    let start = Instant::now();
    slab_core::boot();
    let ns = start.elapsed().as_nanos() as f64;
    assert_eq!(MILLION.num_free(), MILLION_BLOCKS);
    ns
}

/// `--boot-child`: a fresh process that boots once and prints the time,
/// then times the same first touch of fresh memory without slab: one word
/// written per 8 bytes of an untouched 8 MB allocation (a fresh mapping, as
/// the `.bss` of the slab was), in the same descending order.
fn boot_child() {
    let boot = time_boot();
    let mut fresh = std::mem::ManuallyDrop::new(vec![0u64; MILLION_BLOCKS]);
    let start = Instant::now();
    for word in fresh.iter_mut().rev() {
        // SAFETY: a valid, aligned `u64` of the vector.
        unsafe { std::ptr::write_volatile(word, 1) };
    }
    let touch = start.elapsed().as_nanos() as f64;
    println!("boot-ns {boot}\ntouch-ns {touch}");
}

const BOOT_CHILDREN: usize = 9;

fn boot(options: &Options, bars: &mut Vec<Bar>) {
    // Cold: boot() once per process, in fresh child processes. The buffer
    // is untouched .bss, so this includes the page faults of its first
    // write (8 MB); each child also times that first touch alone.
    let exe = std::env::current_exe().expect("the bench's own path");
    let (mut cold, mut touch) = (Vec::new(), Vec::new());
    for _ in 0..BOOT_CHILDREN {
        let out = Command::new(&exe)
            .arg("--boot-child")
            .output()
            .expect("run a boot child");
        assert!(out.status.success(), "the boot child failed");
        let text = String::from_utf8_lossy(&out.stdout);
        let value = |key: &str| {
            text.lines()
                .find_map(|l| l.strip_prefix(key))
                .and_then(|v| v.trim().parse::<f64>().ok())
                .unwrap_or_else(|| panic!("the boot child prints {key}"))
        };
        cold.push(value("boot-ns "));
        touch.push(value("touch-ns "));
    }
    let per_block =
        |v: Vec<f64>| Stats::new(v.into_iter().map(|ns| ns / MILLION_BLOCKS as f64).collect());
    let (cold, touch) = (per_block(cold), per_block(touch));

    // Warm: `init` of a fresh `MemSlab::new()` over one leaked, already
    // touched 8 MB buffer, which threads the same way (one word written per
    // block) minus the declared slab's bitmap clearing (1 bit per block).
    let bytes = MILLION_BLOCKS * 8;
    let buffer = slab_tests::leak_buffer(bytes);
    buffer.fill(0xA5);
    let base = buffer.as_mut_ptr();
    let mut warm = Vec::new();
    for _ in 0..options.rounds.div_ceil(2) + 1 {
        let slab: &'static MemSlab = Box::leak(Box::new(MemSlab::new()));
        // SAFETY: the earlier slabs over this buffer are never used again,
        // so this is the only live reference to it.
        let buffer = unsafe { std::slice::from_raw_parts_mut(base, bytes) };
        let start = Instant::now();
        slab.init(buffer, 8, MILLION_BLOCKS).expect("init");
        warm.push(start.elapsed().as_nanos() as f64);
    }
    warm.remove(0); // warm-up
    let warm = per_block(warm);

    let mut table =
        Table::new("boot(): threading 10^6 blocks of 8 bytes", "ns/block").rounds(cold.samples);
    table.row(
        &format!(
            "boot(), cold, once per process ({} processes)",
            cold.samples
        ),
        &cold,
    );
    table.row(
        "reference: first write of 8 MB fresh memory, same processes",
        &touch,
    );
    table.row(
        &format!(
            "init() of MemSlab::new(), warm buffer ({} rounds)",
            warm.samples
        ),
        &warm,
    );
    table.ratio(
        "boot() ns per block, cold (target <= 2 ns)",
        cold.median,
        Some(2.0),
    );
    table.ratio("init() ns per block, warm", warm.median, None);
    table.ratio(
        "boot() cold / first write of fresh memory",
        cold.median / touch.median,
        None,
    );
    table.print();
    bars.extend(table.bars());
}
