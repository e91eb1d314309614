//! Property tests of `SlabHeap` over random sequences of `alloc`,
//! `dealloc` and `realloc` with random sizes and alignments, against a
//! model of the rules: the smallest class whose block size and alignment
//! fit and that has a free block, else null; `realloc` in place while the
//! new size fits the block, else a move that keeps the bytes (or null,
//! leaving the old block intact); `stats()` and each class's counters
//! exactly the model's. Small classes, so that they run dry often. The
//! heap is not the global allocator here, so only these calls reach it.

use std::alloc::{GlobalAlloc, Layout};

use proptest::prelude::*;
use slab_core::MemSlab;

slab_core::slab_heap! {
    static HEAP: SlabHeap = [
        (blocks = 4, size = 16),
        (blocks = 3, size = 48),
        (blocks = 2, size = 128, align = 64),
        (blocks = 2, size = 512),
    ];
}

/// Each class's alignment as declared (`align`, at least the word): what
/// a request's alignment is matched against.
const DECLARED_ALIGN: [usize; 4] = {
    let word = size_of::<usize>();
    [word, word, 64, word]
};

#[derive(Clone, Debug)]
enum Op {
    Alloc { size: usize, align_log2: u32 },
    Dealloc { pick: usize },
    Realloc { pick: usize, new_size: usize },
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        3 => (1usize..600, 0u32..8).prop_map(|(size, align_log2)| Op::Alloc { size, align_log2 }),
        2 => any::<usize>().prop_map(|pick| Op::Dealloc { pick }),
        2 => (any::<usize>(), 1usize..600).prop_map(|(pick, new_size)| Op::Realloc { pick, new_size }),
    ]
}

/// One live allocation in the model.
struct Live {
    ptr: *mut u8,
    layout: Layout,
    class: usize,
    fill: u8,
}

struct Model {
    classes: Vec<&'static MemSlab>,
    used: Vec<usize>,
    live: Vec<Live>,
    next_fill: u8,
}

impl Model {
    fn new() -> Self {
        let classes: Vec<_> = HEAP.classes().collect();
        Model {
            used: vec![0; classes.len()],
            classes,
            live: Vec::new(),
            next_fill: 1,
        }
    }

    /// The class the rules pick for `layout` now, if any.
    fn pick(&self, layout: Layout) -> Option<usize> {
        (0..self.classes.len()).find(|&i| {
            let c = self.classes[i];
            layout.size() <= c.block_size()
                && layout.align() <= DECLARED_ALIGN[i]
                && self.used[i] < c.num_blocks()
        })
    }

    /// `ptr` is a block start of class `i`, aligned for `layout`.
    fn check_block(&self, ptr: *mut u8, layout: Layout, i: usize) {
        let c = self.classes[i];
        let range = c.buffer_range();
        let addr = ptr as usize;
        assert!(range.contains(&addr), "{addr:#x} not in {}", c.name());
        assert_eq!((addr - range.start) % c.block_size(), 0);
        assert_eq!(addr % layout.align(), 0);
    }

    fn fill(&mut self, ptr: *mut u8, size: usize) -> u8 {
        let fill = self.next_fill;
        self.next_fill = self.next_fill.wrapping_add(1).max(1);
        // SAFETY: `ptr` is a live allocation of at least `size` bytes.
        unsafe { ptr.write_bytes(fill, size) };
        fill
    }

    fn check_all(&self) {
        let mut expected = 0;
        for (i, c) in self.classes.iter().enumerate() {
            assert_eq!(c.num_used(), self.used[i], "{}", c.name());
            expected += self.used[i] * c.block_size();
        }
        assert_eq!(HEAP.stats().allocated_bytes, expected);
        for l in &self.live {
            // SAFETY: a live allocation of `layout.size()` bytes, all written.
            let bytes = unsafe { std::slice::from_raw_parts(l.ptr, l.layout.size()) };
            assert!(bytes.iter().all(|&b| b == l.fill), "another owner wrote it");
        }
    }

    fn apply(&mut self, op: &Op) {
        match *op {
            Op::Alloc { size, align_log2 } => {
                let layout = Layout::from_size_align(size, 1 << align_log2).unwrap();
                // SAFETY: a non-zero size.
                let ptr = unsafe { HEAP.alloc(layout) };
                match self.pick(layout) {
                    None => assert!(
                        ptr.is_null(),
                        "{layout:?}: no class has a fitting free block"
                    ),
                    Some(i) => {
                        self.check_block(ptr, layout, i);
                        self.used[i] += 1;
                        let fill = self.fill(ptr, size);
                        self.live.push(Live {
                            ptr,
                            layout,
                            class: i,
                            fill,
                        });
                    }
                }
            }
            Op::Dealloc { pick } => {
                if self.live.is_empty() {
                    return;
                }
                let l = self.live.swap_remove(pick % self.live.len());
                // SAFETY: allocated by HEAP with `l.layout`, not used again.
                unsafe { HEAP.dealloc(l.ptr, l.layout) };
                self.used[l.class] -= 1;
            }
            Op::Realloc { pick, new_size } => {
                if self.live.is_empty() {
                    return;
                }
                let n = pick % self.live.len();
                let (ptr, layout, class, fill) = {
                    let l = &self.live[n];
                    (l.ptr, l.layout, l.class, l.fill)
                };
                // SAFETY: a live allocation of HEAP with `layout`; non-zero size.
                let new = unsafe { HEAP.realloc(ptr, layout, new_size) };
                let new_layout = Layout::from_size_align(new_size, layout.align()).unwrap();
                let target = if new_size <= self.classes[class].block_size() {
                    assert_eq!(new, ptr, "fits the same block: in place");
                    Some(class)
                } else {
                    self.pick(new_layout)
                };
                let Some(j) = target else {
                    assert!(new.is_null(), "no class fits {new_size} bytes");
                    return; // the old block is still the caller's, intact
                };
                self.check_block(new, new_layout, j);
                let kept = layout.size().min(new_size);
                // SAFETY: `new` is live with at least `new_size` bytes.
                let bytes = unsafe { std::slice::from_raw_parts(new, kept) };
                assert!(bytes.iter().all(|&b| b == fill), "realloc keeps the bytes");
                self.used[class] -= 1;
                self.used[j] += 1;
                let fill = self.fill(new, new_size);
                self.live[n] = Live {
                    ptr: new,
                    layout: new_layout,
                    class: j,
                    fill,
                };
            }
        }
    }

    fn free_all(&mut self) {
        for l in self.live.drain(..) {
            // SAFETY: allocated by HEAP with `l.layout`.
            unsafe { HEAP.dealloc(l.ptr, l.layout) };
            self.used[l.class] -= 1;
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn random_layout_sequences_follow_the_rules(ops in prop::collection::vec(op(), 1..80)) {
        slab_core::boot();
        let mut model = Model::new();
        model.check_all();
        for op in &ops {
            model.apply(op);
            model.check_all();
        }
        model.free_all();
        model.check_all();
        prop_assert_eq!(HEAP.stats().allocated_bytes, 0);
    }
}
