//! What a slab verifies beyond the block test: the free flags of a
//! declared slab (`checks = "full"`), which make double-free detection
//! exact and O(1), and the bounded walk of the free list that detects a
//! double free on a runtime-initialised slab, which has no flags.

use core::sync::atomic::Ordering;

use super::{Config, MemSlab, SlabState};

/// How much a slab verifies (`checks = "full"` / `"bounds"`).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(super) enum Checks {
    /// Everything: validation, exact double free, corrupted links.
    Full,
    /// Zephyr's `CONFIG_MEM_SLAB_POINTER_VALIDATE`: `Foreign` and
    /// `Misaligned` only.
    Bounds,
}

impl MemSlab {
    /// Whether the slab keeps free flags (`checks = "full"`, declared).
    #[inline(always)]
    pub(super) fn has_flags(&self) -> bool {
        !self.used_map.is_null()
    }

    /// Whether block `index` (below `num_blocks`) is free by its flag.
    /// Under the lock, with flags.
    #[inline(always)]
    pub(super) fn flag_free(&self, index: usize) -> bool {
        // SAFETY: index < num_blocks, inside the flags; under the lock.
        unsafe { self.used_map.add(index).read() != 0 }
    }

    /// Sets block `index`'s flag (1: free). Under the lock, with flags.
    #[inline(always)]
    pub(super) fn set_flag(&self, index: usize, value: u8) {
        // SAFETY: as in `flag_free`.
        unsafe { self.used_map.add(index).write(value) }
    }

    /// Double-free check of a runtime-initialised slab, which has no
    /// flags: a bounded walk of the free list. (A declared slab reads its
    /// flag instead.)
    #[inline(never)]
    pub(super) fn on_free_list(&self, s: &SlabState, config: &Config, p: *mut u8) -> bool {
        let mut node = s.free_head;
        let free = config.geometry.num_blocks - self.num_used.load(Ordering::Relaxed);
        for _ in 0..free {
            if node == p {
                return true;
            }
            let offset = (node as usize).wrapping_sub(config.buffer as usize);
            if node.is_null() || config.geometry.index_of(offset).is_err() {
                break; // a corrupted link: `alloc` reports it
            }
            // SAFETY: `node` is a block of this slab on the free list,
            // reached through the buffer.
            node = unsafe { config.block_at(node.addr()).cast::<*mut u8>().read() };
        }
        false
    }
}
