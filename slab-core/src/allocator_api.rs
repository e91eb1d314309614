//! `allocator_api2::alloc::Allocator` for [`MemSlab`] (feature
//! `allocator-api2`): allocator-api2's `Box`, `Vec` and friends in a
//! slab's blocks.
//!
//! A layout that fits a block (size at most `block_size()`, alignment at
//! most `block_align()`) gets a whole block, which the caller may use in
//! full (a `Vec` grows within it without moving). Any other
//! layout is an `AllocError`, never a smaller block. `allocate` never
//! waits (`Timeout::NoWait`): an empty slab is an `AllocError` too.
//! `grow`, `grow_zeroed` and `shrink` stay in the same block while the
//! new layout fits it, and fail otherwise (a slab has no larger block to
//! move to).
//!
//! ```
//! use allocator_api2::boxed::Box;
//! use allocator_api2::vec::Vec;
//! use slab_core::{mem_slab, MemSlab};
//!
//! #[mem_slab(blocks = 4, size = 64)]
//! static BUFS: MemSlab;
//!
//! fn main() {
//!     slab_core::boot();
//!     let b = Box::new_in([7u32; 4], &BUFS);
//!     assert!(BUFS.buffer_range().contains(&(&*b as *const _ as usize)));
//!
//!     let mut v: Vec<u8, _> = Vec::with_capacity_in(10, &BUFS);
//!     let first = v.as_ptr();
//!     v.extend_from_slice(&[1; 64]); // grows in place, up to the block
//!     assert_eq!(v.as_ptr(), first);
//!     assert!(v.try_reserve(1).is_err()); // no block is larger
//!     assert_eq!(BUFS.num_used(), 2);
//!
//!     // Too large for a block: an error, not a smaller block.
//!     assert!(Box::try_new_in([0u8; 65], &BUFS).is_err());
//!     drop((b, v));
//!     assert_eq!(BUFS.num_used(), 0);
//! }
//! ```

use core::alloc::Layout;
use core::ptr::NonNull;

use ::allocator_api2::alloc::{AllocError, Allocator};

use crate::slab::MemSlab;
use crate::timeout::Timeout;

impl MemSlab {
    /// `grow`/`shrink` of the block at `ptr` to `new_layout`: the block
    /// already has `block_size()` bytes, so a layout that fits needs no
    /// move, and no other block of this slab is any larger.
    fn in_place(&self, ptr: NonNull<u8>, new_layout: Layout) -> Result<NonNull<[u8]>, AllocError> {
        if self.holds(new_layout) {
            Ok(self.whole_block(ptr))
        } else {
            Err(AllocError)
        }
    }

    /// Whether a block of this slab can hold `layout`.
    fn holds(&self, layout: Layout) -> bool {
        layout.size() <= self.block_size() && layout.align() <= self.block_align()
    }

    /// The whole block at `ptr`, as allocator-api2 reports an allocation.
    fn whole_block(&self, ptr: NonNull<u8>) -> NonNull<[u8]> {
        NonNull::slice_from_raw_parts(self.whole_block_ptr(ptr), self.block_size())
    }
}

// SAFETY: a block handed out is `block_size()` bytes aligned to
// `block_align()`, which `holds` checked against the layout; it stays
// valid until `deallocate` returns it, and the slab never hands it to
// another owner meanwhile. Moving a `MemSlab` is impossible while blocks
// are out (they borrow it, or it is a static), and clones are not a
// concern (`MemSlab` is not `Clone`).
unsafe impl Allocator for MemSlab {
    #[cfg_attr(feature = "track", track_caller)]
    fn allocate(&self, layout: Layout) -> Result<NonNull<[u8]>, AllocError> {
        if !self.holds(layout) {
            return Err(AllocError);
        }
        match self.alloc(Timeout::NoWait) {
            Ok(block) => Ok(self.whole_block(block)),
            Err(_) => Err(AllocError),
        }
    }

    unsafe fn deallocate(&self, ptr: NonNull<u8>, layout: Layout) {
        // SAFETY: the caller gives up a block this slab allocated
        // (`Allocator::deallocate`'s contract). A bad pointer is refused
        // by `free` and changes nothing; there is nowhere to report it.
        // `ptr` reaches the layout's bytes (see `free_covering`).
        let _ = unsafe { self.free_covering(ptr, layout.size()) };
    }

    unsafe fn grow(
        &self,
        ptr: NonNull<u8>,
        _old_layout: Layout,
        new_layout: Layout,
    ) -> Result<NonNull<[u8]>, AllocError> {
        self.in_place(ptr, new_layout)
    }

    /// In place, like `grow`, with the block's bytes past
    /// `old_layout.size()` zeroed (allocator-api2's default would take a
    /// second block, and fail on a slab that has none free).
    unsafe fn grow_zeroed(
        &self,
        ptr: NonNull<u8>,
        old_layout: Layout,
        new_layout: Layout,
    ) -> Result<NonNull<[u8]>, AllocError> {
        if !self.holds(new_layout) {
            return Err(AllocError);
        }
        let keep = old_layout.size().min(self.block_size());
        // SAFETY: `ptr` is a live block of this slab (`grow_zeroed`'s
        // contract), `block_size()` bytes long, all the caller's; the bytes
        // from `keep` to its end are inside it.
        unsafe {
            self.whole_block_ptr(ptr)
                .as_ptr()
                .add(keep)
                .write_bytes(0, self.block_size() - keep)
        };
        Ok(self.whole_block(ptr))
    }

    unsafe fn shrink(
        &self,
        ptr: NonNull<u8>,
        _old_layout: Layout,
        new_layout: Layout,
    ) -> Result<NonNull<[u8]>, AllocError> {
        self.in_place(ptr, new_layout)
    }
}

/// Under miri too (`cargo miri test -p slab-core --lib --features
/// allocator-api2`), over a runtime-initialised slab.
#[cfg(test)]
mod tests {
    use super::*;
    use crate::layout::WORD;

    #[test]
    fn grow_zeroed_in_place_keeps_the_old_bytes_and_zeroes_the_rest() {
        let slab = crate::tests::slab(4 * WORD, 1);
        let small = Layout::from_size_align(3, 1).unwrap();
        let p = slab.allocate(small).unwrap().cast::<u8>();
        // SAFETY: `p` is the slab's one block, live with `small` (its whole
        // `4 * WORD` bytes are the caller's); every byte read was written.
        unsafe {
            p.as_ptr().write_bytes(7, 4 * WORD);
            let big = Layout::from_size_align(4 * WORD, WORD).unwrap();
            let grown = slab.grow_zeroed(p, small, big).unwrap();
            assert_eq!((grown.cast::<u8>(), grown.len()), (p, 4 * WORD));
            let bytes = core::slice::from_raw_parts(p.as_ptr(), 4 * WORD);
            assert_eq!(bytes[..3], [7; 3]);
            assert!(bytes[3..].iter().all(|&b| b == 0));
            let too_big = Layout::from_size_align(4 * WORD + 1, 1).unwrap();
            assert!(slab.grow_zeroed(p, big, too_big).is_err());
            slab.deallocate(p, big);
        }
        assert_eq!(slab.num_used(), 0);
    }
}
