//! [`Block`]: one allocated block that frees itself on drop.

use core::fmt;
use core::mem::{ManuallyDrop, MaybeUninit};
use core::ptr::NonNull;

use crate::error::AllocError;
use crate::slab::MemSlab;
use crate::timeout::Timeout;

/// One block of a [`MemSlab`], freed when dropped.
///
/// Its bytes are uninitialised (whatever the block last held), so they are
/// reached as `MaybeUninit<u8>`.
///
/// ```
/// # use slab_core::{MemSlab, Timeout};
/// # static SLAB: MemSlab = MemSlab::new();
/// # let buf: &'static mut [usize] = Box::leak(vec![0usize; 8].into_boxed_slice());
/// # let buf = unsafe { core::slice::from_raw_parts_mut(buf.as_mut_ptr().cast::<u8>(), 8 * core::mem::size_of::<usize>()) };
/// # SLAB.init(buf, 2 * core::mem::size_of::<usize>(), 4).unwrap();
/// let mut block = SLAB.alloc_block(Timeout::NoWait)?;
/// for byte in block.as_uninit_mut() {
///     byte.write(0xAA);
/// }
/// let raw = block.into_raw(); // now the caller's to free
/// // SAFETY: `raw` came from SLAB and is not used afterwards.
/// unsafe { SLAB.free(raw) }?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct Block<'a> {
    slab: &'a MemSlab,
    ptr: NonNull<u8>,
}

// SAFETY: a `Block` owns its bytes exclusively; `MemSlab` is `Sync`, so the
// block may be freed from any thread.
unsafe impl Send for Block<'_> {}
// SAFETY: `&Block` only reads the pointer and length.
unsafe impl Sync for Block<'_> {}

impl<'a> Block<'a> {
    pub(crate) fn new(slab: &'a MemSlab, ptr: NonNull<u8>) -> Self {
        Self { slab, ptr }
    }

    /// The block's first byte.
    pub fn as_ptr(&self) -> NonNull<u8> {
        self.ptr
    }

    /// The block's size in bytes: the slab's `block_size()`.
    #[allow(clippy::len_without_is_empty)] // a block is never empty
    pub fn len(&self) -> usize {
        self.slab.block_size()
    }

    /// The block's bytes, uninitialised as far as the type system knows.
    pub fn as_uninit_mut(&mut self) -> &mut [MaybeUninit<u8>] {
        // SAFETY: the block is `len()` bytes inside the slab's buffer,
        // owned exclusively by `self`, and `MaybeUninit<u8>` accepts any
        // contents.
        unsafe { core::slice::from_raw_parts_mut(self.ptr.as_ptr().cast(), self.len()) }
    }

    /// The slab the block belongs to.
    pub fn slab(&self) -> &'a MemSlab {
        self.slab
    }

    /// Gives up ownership without freeing: the caller must pass the pointer
    /// to [`MemSlab::free`] on the same slab.
    pub fn into_raw(self) -> NonNull<u8> {
        ManuallyDrop::new(self).ptr
    }
}

impl MemSlab {
    /// Allocates a block owned by a [`Block`], which frees it when dropped.
    ///
    /// ```
    /// # use slab_core::{MemSlab, Timeout};
    /// # static SLAB: MemSlab = MemSlab::new();
    /// # let buf: &'static mut [usize] = Box::leak(vec![0usize; 16].into_boxed_slice());
    /// # let buf = unsafe { core::slice::from_raw_parts_mut(buf.as_mut_ptr().cast::<u8>(), 16 * core::mem::size_of::<usize>()) };
    /// # SLAB.init(buf, 4 * core::mem::size_of::<usize>(), 4).unwrap();
    /// {
    ///     let mut block = SLAB.alloc_block(Timeout::NoWait).unwrap();
    ///     block.as_uninit_mut()[0].write(42);
    ///     assert_eq!(SLAB.num_used(), 1);
    /// } // freed here
    /// assert_eq!(SLAB.num_used(), 0);
    /// ```
    pub fn alloc_block(&self, timeout: Timeout) -> Result<Block<'_>, AllocError> {
        self.alloc(timeout).map(|ptr| Block::new(self, ptr))
    }
}

impl Drop for Block<'_> {
    fn drop(&mut self) {
        // SAFETY: the block came from this slab and is owned by `self`,
        // which is going away.
        let freed = unsafe { self.slab.free(self.ptr) };
        debug_assert!(freed.is_ok(), "freeing an owned block failed: {freed:?}");
    }
}

impl fmt::Debug for Block<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Block")
            .field("slab", &self.slab.name())
            .field("ptr", &self.ptr)
            .field("len", &self.len())
            .finish()
    }
}
