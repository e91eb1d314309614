//! A program whose `#[global_allocator]` is a `SlabHeap`: every allocation
//! of std, of this test and of its collections comes from the heap's
//! classes. Real collection workloads (`Vec` and `String` growth and
//! shrink, `BTreeMap` churn, threads) are checked against a model: every
//! live allocation in the class the rules pick (smallest fit, in place
//! while it fits the block), at a block start, none overlapping, and the
//! heap's `stats()` exactly the baseline plus the blocks of the live
//! allocations.
//!
//! Booting. Before `boot()` the heap returns null, and std's runtime may
//! allocate before `main`; `slab_heap!` on a `#[global_allocator]` boots
//! every slab from a constructor that runs before std's runtime set-up and
//! `main` (`.init_array` here), and `main` checks that it did. The test
//! harness would allocate on threads of its own and break the exact
//! accounting, so this binary has `harness = false` and runs its workloads
//! one after another from `main`, each a check that panics (and so fails
//! the test) on any difference from the model.

use std::alloc::{GlobalAlloc, Layout};
use std::collections::BTreeMap;
use std::sync::{Arc, Barrier, Mutex, mpsc};

use slab_core::{MemSlab, MemStats};

slab_core::slab_heap! {
    /// The program's heap. std asks for 128-byte alignment (its channels
    /// pad to cache lines), so one class promises it.
    #[global_allocator]
    static HEAP: SlabHeap = [
        (blocks = 4096, size = 16),
        (blocks = 2048, size = 32),
        (blocks = 1024, size = 64),
        (blocks = 512, size = 128),
        (blocks = 256, size = 256),
        (blocks = 256, size = 512),
        (blocks = 128, size = 1024, align = 128),
        (blocks = 32, size = 4096),
        (blocks = 16, size = 16384, align = 64),
        (blocks = 8, size = 65536),
    ];
}

fn main() {
    // A panic's default hook may print a backtrace, whose symbolisation
    // needs more memory than this heap has: print the message only.
    std::panic::set_hook(Box::new(|info| eprintln!("{info}")));
    assert!(
        HEAP.classes().all(MemSlab::is_ready),
        "the heap was booted before main"
    );
    let names: Vec<&str> = HEAP.classes().map(MemSlab::name).collect();
    assert_eq!(names[0], "HEAP/16");
    assert_eq!(names[9], "HEAP/65536");
    drop(names);

    let tests: [(&str, fn()); 8] = [
        ("vec_growth_and_shrink", vec_growth_and_shrink),
        ("string_growth_and_shrink", string_growth_and_shrink),
        ("btreemap_churn", btreemap_churn),
        ("dry_class_falls_through_to_larger", dry_class_falls_through),
        ("over_aligned_requests", over_aligned_requests),
        ("too_large_is_null", too_large_is_null),
        ("threads", threads),
        ("registry_lists_the_classes", registry_lists_the_classes),
    ];
    // The first print allocates stdout's buffer (kept for the program's
    // life): before any baseline is taken.
    println!("running {} heap workloads", tests.len());
    for (name, test) in tests {
        test();
        println!("test {name} ... ok");
    }
    println!("test result: ok. {} passed; 0 failed", tests.len());
}

/// The class holding `ptr`, checked to be a block start.
fn class_of(ptr: usize) -> &'static MemSlab {
    let class = HEAP
        .classes()
        .find(|c| c.buffer_range().contains(&ptr))
        .unwrap_or_else(|| panic!("{ptr:#x} is inside no class of the heap"));
    let offset = ptr - class.buffer_range().start;
    assert_eq!(
        offset % class.block_size(),
        0,
        "{ptr:#x} is not a block start"
    );
    class
}

/// The alignment each class's declaration guarantees (`align`, at least
/// the word), which is what the heap matches a request's against.
fn declared_align(class: &MemSlab) -> usize {
    match class.block_size() {
        1024 => 128,
        16384 => 64,
        _ => 8,
    }
}

/// The class the rules pick for a fresh allocation (none of these
/// workloads lets a class run dry unless it says so).
fn smallest_fit(size: usize, align: usize) -> &'static MemSlab {
    HEAP.classes()
        .find(|c| c.block_size() >= size && declared_align(c) >= align)
        .expect("a class fits")
}

/// Bytes the live allocations of a workload should hold: the baseline plus
/// the block of each.
#[derive(Clone, Copy)]
struct Expect {
    base: MemStats,
    total: usize,
}

impl Expect {
    fn now() -> Self {
        let base = HEAP.stats();
        Expect {
            base,
            total: base.allocated_bytes + base.free_bytes,
        }
    }

    /// `stats()` is exactly the baseline plus `blocks` bytes of blocks.
    fn check(&self, blocks: usize) {
        let stats = HEAP.stats();
        assert_eq!(stats.allocated_bytes, self.base.allocated_bytes + blocks);
        assert_eq!(stats.free_bytes, self.total - stats.allocated_bytes);
        for class in HEAP.classes() {
            assert_eq!(class.num_used() + class.num_free(), class.num_blocks());
        }
    }
}

/// One collection's buffer as the model sees it.
#[derive(Clone, Copy, Debug, PartialEq)]
struct Buffer {
    ptr: usize,
    /// The block size of its class.
    block: usize,
}

/// The model's step for a buffer that now has `bytes` bytes at `ptr`:
/// unchanged while it fits its block (in-place `realloc`), else a block of
/// the smallest class that fits; none once empty.
fn step(prev: Option<Buffer>, ptr: usize, bytes: usize, align: usize) -> Option<Buffer> {
    if bytes == 0 {
        return None;
    }
    match prev {
        Some(p) if bytes <= p.block => {
            assert_eq!(
                ptr, p.ptr,
                "{bytes} bytes fit the block: realloc stays in place"
            );
            Some(p)
        }
        _ => {
            let class = class_of(ptr);
            let want = smallest_fit(bytes, align);
            assert!(
                core::ptr::eq(class, want),
                "{bytes} bytes went to {} instead of {}",
                class.name(),
                want.name()
            );
            assert_eq!(ptr % align, 0);
            Some(Buffer {
                ptr,
                block: class.block_size(),
            })
        }
    }
}

fn block_bytes(b: Option<Buffer>) -> usize {
    b.map_or(0, |b| b.block)
}

fn vec_growth_and_shrink() {
    let expect = Expect::now();
    let mut v: Vec<u64> = Vec::new();
    let mut model = None;
    expect.check(0);
    let mut moves = 0;
    for i in 0..3000u64 {
        v.push(i);
        let before = model;
        model = step(model, v.as_ptr() as usize, v.capacity() * 8, 8);
        moves += usize::from(before != model);
        expect.check(block_bytes(model));
    }
    assert!(
        moves >= 8,
        "growth moved through the classes ({moves} moves)"
    );
    assert!(v.iter().copied().eq(0..3000), "contents survive every move");
    // Shrinking stays in the block.
    let block = model;
    v.truncate(100);
    v.shrink_to_fit();
    model = step(model, v.as_ptr() as usize, v.capacity() * 8, 8);
    assert_eq!(model, block);
    expect.check(block_bytes(model));
    assert!(v.iter().copied().eq(0..100));
    v.clear();
    v.shrink_to_fit();
    assert_eq!(step(model, 0, v.capacity(), 8), None);
    expect.check(0);
    drop(v);
    expect.check(0);
}

/// A xorshift generator: the workloads are random but reproducible.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

/// The `i`th byte of the strings' pattern.
fn pattern(i: usize) -> u8 {
    b'a' + (i % 26) as u8
}

fn string_growth_and_shrink() {
    let expect = Expect::now();
    let mut rng = Rng(0x5eed_0001);
    let mut s = String::new();
    let mut model = None;
    let mut in_place = 0;
    for _ in 0..1500 {
        let before = model;
        match rng.below(6) {
            0 | 1 => {
                if s.len() < 20_000 {
                    let n = 1 + rng.below(200) as usize;
                    let start = s.len();
                    s.extend((start..start + n).map(|i| char::from(pattern(i))));
                }
            }
            2 => s.reserve_exact(rng.below(64) as usize),
            3 => s.shrink_to(s.len() + rng.below(16) as usize),
            4 => s.truncate(s.len().saturating_sub(rng.below(300) as usize)),
            _ => {
                if rng.below(8) == 0 {
                    s.clear();
                    s.shrink_to_fit();
                }
            }
        }
        model = step(model, s.as_ptr() as usize, s.capacity(), 1);
        if before.is_some() && before == model {
            in_place += 1;
        }
        expect.check(block_bytes(model));
        assert!(s.bytes().enumerate().all(|(i, b)| b == pattern(i)));
    }
    assert!(in_place > 100, "reallocations stayed in place ({in_place})");
    drop(s);
    expect.check(0);
}

fn btreemap_churn() {
    let expect = Expect::now();
    let mut rng = Rng(0x5eed_0002);
    let mut map = BTreeMap::new();
    // The model is on the stack, so that only the map allocates.
    let mut model = [None::<u32>; 1024];
    for op in 0..20_000u32 {
        let key = rng.below(1024) as u32;
        if rng.below(3) == 0 {
            assert_eq!(map.remove(&key), model[key as usize].take());
        } else {
            assert_eq!(map.insert(key, op), model[key as usize].replace(op));
        }
        assert_eq!(map.get(&key), model[key as usize].as_ref());
        if op % 1000 == 0 {
            let stats = HEAP.stats();
            assert_eq!(
                map.is_empty(),
                stats.allocated_bytes == expect.base.allocated_bytes,
                "the map's nodes are the only allocations"
            );
        }
    }
    let expected = model
        .iter()
        .enumerate()
        .filter_map(|(k, v)| v.map(|v| (k as u32, v)));
    assert!(map.iter().map(|(k, v)| (*k, *v)).eq(expected));
    assert!(HEAP.stats().allocated_bytes > expect.base.allocated_bytes);
    drop(map);
    expect.check(0);
}

fn dry_class_falls_through() {
    let layout = Layout::from_size_align(16, 8).unwrap();
    let smallest = HEAP.classes().next().unwrap();
    let second = HEAP.classes().nth(1).unwrap();
    let mut ptrs: Vec<usize> = Vec::with_capacity(smallest.num_blocks() + 8);
    let expect = Expect::now();
    let mut blocks = 0;
    while smallest.num_free() > 0 {
        // SAFETY: a non-zero size; freed below with the same layout.
        let p = unsafe { std::alloc::alloc(layout) } as usize;
        assert!(core::ptr::eq(class_of(p), smallest));
        ptrs.push(p);
        blocks += 16;
        expect.check(blocks);
    }
    for _ in 0..4 {
        // SAFETY: as above.
        let p = unsafe { std::alloc::alloc(layout) } as usize;
        assert!(
            core::ptr::eq(class_of(p), second),
            "the smallest class is dry: the next larger one serves"
        );
        ptrs.push(p);
        blocks += 32;
        expect.check(blocks);
    }
    let mut sorted = ptrs.clone();
    sorted.sort_unstable();
    sorted.dedup();
    assert_eq!(sorted.len(), ptrs.len(), "no block handed out twice");
    drop(sorted);
    for p in ptrs.drain(..) {
        // SAFETY: allocated above with `layout`, not used afterwards.
        unsafe { std::alloc::dealloc(p as *mut u8, layout) };
    }
    expect.check(0);
}

fn over_aligned_requests() {
    let expect = Expect::now();
    for (size, align) in [(8, 16), (100, 64), (24, 128), (3000, 64), (24, 8)] {
        let layout = Layout::from_size_align(size, align).unwrap();
        // SAFETY: a non-zero size; freed below with the same layout.
        let p = unsafe { std::alloc::alloc(layout) };
        assert!(!p.is_null());
        assert_eq!(p as usize % align, 0);
        let class = class_of(p as usize);
        assert!(core::ptr::eq(class, smallest_fit(size, align)));
        expect.check(class.block_size());
        // SAFETY: allocated above with `layout`.
        unsafe { std::alloc::dealloc(p, layout) };
        expect.check(0);
    }
}

fn too_large_is_null() {
    let expect = Expect::now();
    // No class promises 256-byte alignment (whatever its buffer happens to
    // have), and none is larger than 64 KiB.
    // Each refusal is counted once, under its reason (twice per request:
    // through `std::alloc` and directly).
    for (size, align, over_aligned) in [
        (65537, 8, false),
        (1 << 20, 8, false),
        (24, 256, true),
        (8, 1 << 17, true),
    ] {
        let before = HEAP.refusals();
        let layout = Layout::from_size_align(size, align).unwrap();
        // SAFETY: a non-zero size; a null result is checked.
        let p = unsafe { std::alloc::alloc(layout) };
        assert!(
            p.is_null(),
            "{size} bytes aligned to {align}: no class fits"
        );
        // SAFETY: `HEAP` is the global allocator; same request, directly.
        assert!(unsafe { HEAP.alloc(layout) }.is_null());
        expect.check(0);
        let after = HEAP.refusals();
        let (too_large, aligned) = if over_aligned { (0, 2) } else { (2, 0) };
        assert_eq!(
            (
                after.too_large - before.too_large,
                after.over_aligned - before.over_aligned,
                after.exhausted - before.exhausted,
                after.before_boot - before.before_boot,
            ),
            (too_large, aligned, 0, 0),
            "{size} bytes aligned to {align}"
        );
    }
}

/// Threads allocate, fill, check and free boxes of random sizes, and free
/// each other's (sent over a channel). With every thread's live set
/// published at a barrier, the sets are checked for overlap and class;
/// after the join the heap is back at its baseline.
fn threads() {
    // Warm-up: std's first use of threads, channels and barriers sets up
    // state that it keeps for the program's life (64 bytes here); the
    // baseline is taken after one round, and the second must give back
    // every byte it took.
    thread_round(200);
    let expect = Expect::now();
    thread_round(2000);
    expect.check(0);
}

fn thread_round(rounds: usize) {
    const THREADS: usize = 4;
    let live: Arc<Mutex<Vec<(usize, usize)>>> =
        Arc::new(Mutex::new(Vec::with_capacity(THREADS * 64)));
    let barrier = Arc::new(Barrier::new(THREADS + 1));
    let (senders, receivers): (Vec<_>, Vec<_>) = (0..THREADS)
        .map(|_| mpsc::sync_channel::<Box<[u8]>>(8))
        .unzip();
    let mut receivers = receivers.into_iter().map(Some).collect::<Vec<_>>();
    let handles: Vec<_> = (0..THREADS)
        .map(|t| {
            let to_next = senders[(t + 1) % THREADS].clone();
            let from_prev = receivers[t].take().unwrap();
            let (live, barrier) = (Arc::clone(&live), Arc::clone(&barrier));
            std::thread::spawn(move || {
                let mut rng = Rng(0x5eed_1000 + t as u64);
                let mut mine: Vec<Box<[u8]>> = Vec::with_capacity(64);
                for round in 0..rounds {
                    let len = 1 + rng.below(600) as usize;
                    let fill = (t * 31 + round) as u8;
                    mine.push(vec![fill; len].into_boxed_slice());
                    if mine.len() == 64 {
                        let i = rng.below(64) as usize;
                        let b = mine.swap_remove(i);
                        assert!(b.iter().all(|&x| x == b[0]), "nobody else wrote it");
                        if rng.below(2) == 0 {
                            // Freed by the next thread, unless its queue
                            // is full (then here).
                            let _ = to_next.try_send(b);
                        }
                    }
                    while let Ok(b) = from_prev.try_recv() {
                        assert!(b.iter().all(|&x| x == b[0]));
                    }
                }
                {
                    let mut live = live.lock().unwrap();
                    live.extend(mine.iter().map(|b| (b.as_ptr() as usize, b.len())));
                }
                barrier.wait(); // every live set published
                barrier.wait(); // checked
                drop(to_next);
                for b in from_prev {
                    assert!(b.iter().all(|&x| x == b[0]));
                }
                for b in mine {
                    assert!(b.iter().all(|&x| x == b[0]));
                }
            })
        })
        .collect();
    drop(senders);
    barrier.wait();
    {
        let mut live = live.lock().unwrap();
        live.sort_unstable();
        for w in live.windows(2) {
            let ((a, _), (b, _)) = (w[0], w[1]);
            let block = class_of(a).block_size();
            assert!(a + block <= b, "live blocks {a:#x} and {b:#x} overlap");
        }
        for &(ptr, len) in live.iter() {
            assert!(class_of(ptr).block_size() >= len);
        }
        assert_eq!(live.len(), THREADS * 63);
    }
    barrier.wait();
    for h in handles {
        h.join().unwrap();
    }
}

fn registry_lists_the_classes() {
    let registry = slab_core::registry();
    for class in HEAP.classes() {
        let found = registry
            .find(class.name())
            .expect("each class is registered");
        assert!(core::ptr::eq(found, class));
    }
    let table = registry.to_string();
    assert!(table.contains("HEAP/4096"));
}
