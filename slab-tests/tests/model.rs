//! Model-based property test: random sequences of alloc, free, double
//! free, foreign and misaligned frees, `reset_max` and `stats`, checked at
//! every step against a simple model (a set of held blocks and three
//! counters). Runs on a declared slab (bitmap double-free detection) and on
//! a runtime-initialised one (free-list walk). 10,000 cases by default
//! (`PROPTEST_CASES` overrides).

use std::collections::HashSet;
use std::ptr::NonNull;

use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};
use slab_core::{AllocError, FreeError, MemSlab, MemStats, Timeout, mem_slab};
use slab_tests::{WORD, leak_buffer};

const BLOCKS: usize = 6;
const BLOCK_SIZE: usize = 3 * WORD;

#[mem_slab(blocks = BLOCKS, size = BLOCK_SIZE)]
static MODEL: MemSlab;

#[derive(Clone, Debug)]
enum Op {
    Alloc,
    /// Free the i-th held block (mod the number held).
    Free(usize),
    /// Free again the i-th block freed earlier (mod their number), if it is
    /// not held again.
    DoubleFree(usize),
    /// Free `buffer start + offset`, offset anywhere around the buffer.
    FreeAt(isize),
    ResetMax,
    Stats,
}

fn op() -> impl Strategy<Value = Op> {
    let span = (BLOCKS * BLOCK_SIZE) as isize;
    prop_oneof![
        4 => Just(Op::Alloc),
        4 => any::<usize>().prop_map(Op::Free),
        1 => any::<usize>().prop_map(Op::DoubleFree),
        1 => (-span..2 * span).prop_map(Op::FreeAt),
        1 => Just(Op::ResetMax),
        1 => Just(Op::Stats),
    ]
}

/// What the slab should look like.
#[derive(Default)]
struct Model {
    held: Vec<NonNull<u8>>,
    freed: Vec<NonNull<u8>>,
    max_used: usize,
}

fn run(slab: &MemSlab, ops: &[Op]) -> Result<(), TestCaseError> {
    let mut m = Model::default();
    let range = slab.buffer_range();
    // A pointer with the buffer's provenance, for addresses derived below.
    let base = {
        let b = slab.alloc(Timeout::NoWait).unwrap();
        // SAFETY: ours, freed at once.
        unsafe { slab.free(b) }.unwrap();
        b.as_ptr().wrapping_sub(b.as_ptr() as usize - range.start)
    };
    // Each case starts from a fresh high-water mark.
    slab.reset_max();
    for op in ops {
        match *op {
            Op::Alloc => match slab.alloc(Timeout::NoWait) {
                Ok(b) => {
                    prop_assert!(m.held.len() < BLOCKS, "alloc beyond the blocks");
                    let addr = b.as_ptr() as usize;
                    prop_assert!(range.contains(&addr));
                    prop_assert_eq!((addr - range.start) % BLOCK_SIZE, 0);
                    prop_assert!(!m.held.contains(&b), "block handed out twice");
                    m.held.push(b);
                    m.freed.retain(|&f| f != b);
                    m.max_used = m.max_used.max(m.held.len());
                }
                Err(e) => {
                    prop_assert_eq!(e, AllocError::NoMemory);
                    prop_assert_eq!(m.held.len(), BLOCKS);
                }
            },
            Op::Free(i) if !m.held.is_empty() => {
                let b = m.held.swap_remove(i % m.held.len());
                // SAFETY: held by us, freed once.
                prop_assert_eq!(unsafe { slab.free(b) }, Ok(()));
                m.freed.push(b);
            }
            Op::Free(_) => {}
            Op::DoubleFree(i) if !m.freed.is_empty() => {
                let b = m.freed[i % m.freed.len()];
                // SAFETY: already free: refused without being touched.
                prop_assert_eq!(unsafe { slab.free(b) }, Err(FreeError::DoubleFree));
            }
            Op::DoubleFree(_) => {}
            Op::FreeAt(offset) => {
                let p = NonNull::new(base.wrapping_offset(offset)).unwrap();
                let expected = if offset < 0 || offset as usize >= range.len() {
                    Err(FreeError::Foreign)
                } else if !(offset as usize).is_multiple_of(BLOCK_SIZE) {
                    Err(FreeError::Misaligned)
                } else if m.held.contains(&p) {
                    m.held.retain(|&h| h != p);
                    m.freed.push(p);
                    Ok(())
                } else {
                    Err(FreeError::DoubleFree)
                };
                // SAFETY: either refused untouched, or a block we hold.
                prop_assert_eq!(unsafe { slab.free(p) }, expected);
            }
            Op::ResetMax => {
                slab.reset_max();
                m.max_used = m.held.len();
            }
            Op::Stats => {
                let used = m.held.len();
                prop_assert_eq!(
                    slab.stats(),
                    MemStats {
                        allocated_bytes: used * BLOCK_SIZE,
                        free_bytes: (BLOCKS - used) * BLOCK_SIZE,
                        max_allocated_bytes: m.max_used * BLOCK_SIZE,
                    }
                );
            }
        }
        prop_assert_eq!(slab.num_used(), m.held.len());
        prop_assert_eq!(slab.num_free(), BLOCKS - m.held.len());
        prop_assert_eq!(slab.max_used(), m.max_used);
    }
    // Give everything back; the free list must hold exactly BLOCKS blocks.
    for b in m.held.drain(..) {
        // SAFETY: held by us, freed once.
        prop_assert_eq!(unsafe { slab.free(b) }, Ok(()));
    }
    let drained: HashSet<_> = std::iter::from_fn(|| slab.alloc(Timeout::NoWait).ok()).collect();
    prop_assert_eq!(drained.len(), BLOCKS);
    for b in drained {
        // SAFETY: drained above, freed once.
        unsafe { slab.free(b) }.unwrap();
    }
    Ok(())
}

fn cases() -> u32 {
    std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(10_000)
}

fn check(kind: &str, slab_for_case: impl Fn() -> &'static MemSlab) {
    let config = Config {
        cases: cases(),
        failure_persistence: None,
        ..Config::default()
    };
    let mut runner = TestRunner::new(config);
    let result = runner.run(&proptest::collection::vec(op(), 0..64), |ops| {
        run(slab_for_case(), &ops)
    });
    if let Err(e) = result {
        panic!("{e}");
    }
    slab_tests::record_evidence(
        &format!("model-{kind}"),
        &format!(
            "proptest model ({kind} slab): {} random sequences of up to 63 operations matched the model",
            cases()
        ),
    );
}

#[test]
fn declared_slab_matches_the_model() {
    slab_core::boot();
    check("declared", || &MODEL);
}

#[test]
fn initialised_slab_matches_the_model() {
    check("initialised", || {
        let slab: &'static MemSlab = Box::leak(Box::new(MemSlab::new()));
        slab.init(leak_buffer(BLOCKS * BLOCK_SIZE), BLOCK_SIZE, BLOCKS)
            .unwrap();
        slab
    });
}
