//! [`SlabHeap`]: a global allocator made of declared slabs, one per size
//! class (API.md §7).
//!
//! A request goes to the smallest class whose block size and alignment fit
//! it; when that class is empty, to the next larger ones; null when none
//! has a block. `dealloc` finds the class from the address (one range
//! check per class, starting at the smallest class the layout fits), and
//! `realloc` stays in place while the new size fits the same block. Every
//! operation costs O(number of classes) plus one slab `alloc`/`free`: no
//! splitting, no coalescing, nothing that depends on the heap's state.

use core::alloc::{GlobalAlloc, Layout};
use core::fmt;
use core::ptr::{self, NonNull};

use crate::slab::{MemSlab, MemStats};
use crate::timeout::Timeout;

/// A global allocator made of size classes, each a declared [`MemSlab`].
///
/// Declare one with [`slab_heap!`](crate::slab_heap); its classes are in
/// the [`registry`](crate::registry) (named `"HEAP/32"` etc. by default)
/// and [`boot`](crate::boot) threads them. Before `boot()` every
/// allocation returns null.
///
/// ```
/// use core::alloc::{GlobalAlloc, Layout};
///
/// slab_core::slab_heap! {
///     /// Two size classes.
///     static HEAP: SlabHeap = [
///         (blocks = 4, size = 32),
///         (blocks = 2, size = 256, align = 64),
///     ];
/// }
///
/// fn main() {
///     let layout = Layout::from_size_align(24, 8).unwrap();
///     // SAFETY: `layout` has a non-zero size.
///     assert!(unsafe { HEAP.alloc(layout) }.is_null()); // before boot()
///     slab_core::boot();
///     // SAFETY: as above; the block is freed with the same layout.
///     unsafe {
///         let p = HEAP.alloc(layout);
///         assert!(!p.is_null());
///         assert_eq!(HEAP.stats().allocated_bytes, 32); // the 32-byte class
///         HEAP.dealloc(p, layout);
///     }
///     let sizes: Vec<usize> = HEAP.classes().map(|c| c.block_size()).collect();
///     assert_eq!(sizes, [32, 256]);
///     assert!(slab_core::registry().find("HEAP/256").is_some());
/// }
/// ```
pub struct SlabHeap {
    /// In ascending order of block size (checked by the declaration).
    classes: &'static [&'static MemSlab],
}

impl SlabHeap {
    /// A heap over `classes`, which the declaration checked to be ascending.
    pub(crate) const fn new(classes: &'static [&'static MemSlab]) -> Self {
        Self { classes }
    }

    /// The size classes, smallest first.
    pub fn classes(&self) -> impl Iterator<Item = &'static MemSlab> + 'static {
        self.classes.iter().copied()
    }

    /// The classes' [`MemStats`] summed. `max_allocated_bytes` is the sum of
    /// each class's own high-water mark (which need not have been reached
    /// at the same moment): an upper bound of the heap's peak.
    pub fn stats(&self) -> MemStats {
        self.classes().fold(MemStats::default(), |sum, class| {
            let s = class.stats();
            MemStats {
                allocated_bytes: sum.allocated_bytes + s.allocated_bytes,
                free_bytes: sum.free_bytes + s.free_bytes,
                max_allocated_bytes: sum.max_allocated_bytes + s.max_allocated_bytes,
            }
        })
    }

    /// The class holding the block at `ptr`, looking no lower than the
    /// smallest class that `layout` fits (a block never lives below it).
    fn class_of(&self, ptr: *mut u8, layout: Layout) -> Option<&'static MemSlab> {
        let addr = ptr as usize;
        self.classes()
            .skip_while(|c| !fits(c, layout))
            .find(|c| c.buffer_range().contains(&addr))
    }

    /// A block from the smallest class that fits `layout` and has one free.
    fn take(&self, layout: Layout) -> Option<NonNull<u8>> {
        self.classes()
            .filter(|c| fits(c, layout))
            .find_map(|c| c.alloc(Timeout::NoWait).ok())
    }
}

/// Whether a block of `class` can hold `layout`.
#[inline]
fn fits(class: &MemSlab, layout: Layout) -> bool {
    layout.size() <= class.block_size() && layout.align() <= class.block_align()
}

// SAFETY: every pointer returned is a block of one class, at least
// `layout.size()` bytes and aligned to `layout.align()` (`fits`), owned by
// the caller until `dealloc` gives it back to the class it came from; the
// slabs never hand a block to two owners. Nothing here panics or waits:
// each class is asked with `Timeout::NoWait`, and any failure is null.
unsafe impl GlobalAlloc for SlabHeap {
    #[inline]
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        self.take(layout).map_or(ptr::null_mut(), NonNull::as_ptr)
    }

    #[inline]
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        if let (Some(class), Some(block)) = (self.class_of(ptr, layout), NonNull::new(ptr)) {
            // SAFETY: the caller gives the block up (`GlobalAlloc::dealloc`'s
            // contract). A pointer that is not a live block is refused by
            // the slab and changes nothing: `dealloc` has no way to report
            // it, and a panic here would be worse than the leak.
            let _ = unsafe { class.free(block) };
        }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let Some(class) = self.class_of(ptr, layout) else {
            return ptr::null_mut();
        };
        if new_size <= class.block_size() {
            return ptr; // the same block still holds it
        }
        let Ok(new_layout) = Layout::from_size_align(new_size, layout.align()) else {
            return ptr::null_mut();
        };
        let Some(new) = self.take(new_layout) else {
            return ptr::null_mut(); // the old block stays the caller's
        };
        // SAFETY: `ptr` holds `layout.size()` initialised-or-not bytes owned
        // by the caller, `new` is a distinct block of at least `new_size >
        // layout.size()` bytes; the old block is then given up, as
        // `realloc`'s contract says.
        unsafe {
            ptr::copy_nonoverlapping(ptr, new.as_ptr(), layout.size());
            self.dealloc(ptr, layout);
        }
        new.as_ptr()
    }
}

impl fmt::Debug for SlabHeap {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.classes()).finish()
    }
}
