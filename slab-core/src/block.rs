//! [`Block`]: one allocated block that frees itself on drop.

use core::fmt;
use core::mem::{ManuallyDrop, MaybeUninit};
use core::ptr::NonNull;

use crate::error::{AllocError, BlockFull};
use crate::slab::MemSlab;
use crate::timeout::Timeout;

/// One block of a [`MemSlab`], freed when dropped.
///
/// A fresh block's bytes are uninitialised (whatever the block last held).
/// The block counts how many of its leading bytes its owner has written
/// through the safe methods, the **filled** part, and reads back exactly
/// those as `&[u8]`:
///
/// - [`extend_from_slice`](Self::extend_from_slice) appends bytes to the
///   filled part (all of them, or none and `Err(BlockFull)`);
/// - [`fill`](Self::fill) sets every byte (`fill(0)` zeroes the block) and
///   returns them all as `&mut [u8]`;
/// - [`filled`](Self::filled) / [`filled_mut`](Self::filled_mut) read and
///   change the filled part; [`clear`](Self::clear) empties it;
/// - [`spare_mut`](Self::spare_mut) is the rest, as `MaybeUninit<u8>`, for
///   code that writes in place (a peripheral, a decoder); after writing,
///   `unsafe` [`set_filled`](Self::set_filled) says how much is filled.
///
/// [`as_uninit_mut`](Self::as_uninit_mut) hands out every byte as
/// `MaybeUninit<u8>`, through which any byte can be de-initialised, so it
/// empties the filled part first.
///
/// A `Block<'static>` (from a declared slab, or any `&'static MemSlab`) is
/// `Send`: pass it to another thread, through a channel for example, and
/// the thread that drops it frees it (straight to a thread waiting in
/// `alloc`, if there is one). A raw block from [`MemSlab::alloc`] is a
/// `NonNull<u8>`, which is not `Send`; move a `Block` instead.
///
/// ```
/// use std::sync::mpsc;
/// use slab_core::{mem_slab, Block, MemSlab, Timeout};
///
/// #[mem_slab(blocks = 2, size = 16)]
/// static FRAMES: MemSlab;
///
/// fn main() -> Result<(), Box<dyn std::error::Error>> {
///     slab_core::boot();
///     let (tx, rx) = mpsc::channel::<Block<'static>>();
///     let consumer = std::thread::spawn(move || {
///         let frame = rx.recv().unwrap();
///         String::from_utf8(frame.filled().to_vec()).unwrap()
///     }); // `frame` is freed here, on the consumer's thread
///
///     let mut frame = FRAMES.alloc_block(Timeout::secs(1))?;
///     frame.extend_from_slice(b"hello")?;
///     assert_eq!(frame.filled(), b"hello");
///     assert!(frame.extend_from_slice(&[0; 16]).is_err()); // does not fit: nothing written
///     tx.send(frame)?;
///
///     assert_eq!(consumer.join().unwrap(), "hello");
///     assert_eq!(FRAMES.num_used(), 0);
///     Ok(())
/// }
/// ```
///
/// Writing in place, and giving the block up as a raw pointer:
///
/// ```
/// # use slab_core::{MemSlab, Timeout};
/// # static SLAB: MemSlab = MemSlab::new();
/// # let buf: &'static mut [usize] = Box::leak(vec![0usize; 8].into_boxed_slice());
/// # let buf = unsafe { core::slice::from_raw_parts_mut(buf.as_mut_ptr().cast::<u8>(), 8 * core::mem::size_of::<usize>()) };
/// # SLAB.init(buf, 2 * core::mem::size_of::<usize>(), 4).unwrap();
/// let mut block = SLAB.alloc_block(Timeout::NoWait)?;
/// assert!(block.fill(0).iter().all(|&b| b == 0)); // zeroed, all of it filled
/// assert_eq!(block.filled().len(), block.len());
/// block.clear();
/// for byte in &mut block.spare_mut()[..3] {
///     byte.write(0xAA);
/// }
/// // SAFETY: the first 3 bytes were written just above.
/// unsafe { block.set_filled(3) };
/// assert_eq!(block.filled(), [0xAA; 3]);
/// let raw = block.into_raw(); // now the caller's to free
/// // SAFETY: `raw` came from SLAB and is not used afterwards.
/// unsafe { SLAB.free(raw) }?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct Block<'a> {
    slab: &'a MemSlab,
    ptr: NonNull<u8>,
    /// The leading bytes known to be initialised: at most `len()`.
    filled: usize,
}

// SAFETY: a `Block` owns its bytes exclusively and holds a `&MemSlab`,
// which is `Send` because `MemSlab` is `Sync`; so the block may be used and
// freed from any thread.
unsafe impl Send for Block<'_> {}
// SAFETY: `&Block` only reads: the pointer, the length and the filled bytes
// (`filled`), which nothing can change while the `&Block` lives.
unsafe impl Sync for Block<'_> {}

impl<'a> Block<'a> {
    pub(crate) fn new(slab: &'a MemSlab, ptr: NonNull<u8>) -> Self {
        Self {
            slab,
            ptr,
            filled: 0,
        }
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
    ///
    /// Empties the filled part (what is written through this slice is not
    /// counted: say so with [`set_filled`](Self::set_filled)).
    pub fn as_uninit_mut(&mut self) -> &mut [MaybeUninit<u8>] {
        self.filled = 0;
        // SAFETY: the block is `len()` bytes inside the slab's buffer,
        // owned exclusively by `self`, and `MaybeUninit<u8>` accepts any
        // contents.
        unsafe { core::slice::from_raw_parts_mut(self.ptr.as_ptr().cast(), self.len()) }
    }

    /// The bytes written so far: the filled part, from the block's start.
    pub fn filled(&self) -> &[u8] {
        // SAFETY: the first `filled` bytes (`filled <= len()`) are inside
        // the block, owned by `self`, and initialised: every method that
        // raises `filled` wrote them first (or, `set_filled`, has the
        // caller's promise), and the only way to de-initialise a byte,
        // `as_uninit_mut`, resets `filled` to 0.
        unsafe { core::slice::from_raw_parts(self.ptr.as_ptr(), self.filled) }
    }

    /// The filled part, to change in place.
    pub fn filled_mut(&mut self) -> &mut [u8] {
        // SAFETY: as in `filled`; `&mut self` makes the access exclusive,
        // and writing `u8`s keeps the bytes initialised.
        unsafe { core::slice::from_raw_parts_mut(self.ptr.as_ptr(), self.filled) }
    }

    /// The bytes after the filled part, uninitialised as far as the type
    /// system knows. Writing them does not fill them: follow with
    /// [`set_filled`](Self::set_filled).
    pub fn spare_mut(&mut self) -> &mut [MaybeUninit<u8>] {
        let spare = self.len() - self.filled;
        // SAFETY: `filled..len()` is inside the block, owned exclusively by
        // `self` and disjoint from the filled part; `MaybeUninit<u8>`
        // accepts any contents.
        unsafe { core::slice::from_raw_parts_mut(self.ptr.as_ptr().add(self.filled).cast(), spare) }
    }

    /// Appends `bytes` to the filled part. If they do not fit in the rest
    /// of the block, nothing is written and the error says how much room
    /// there was.
    ///
    /// ```
    /// # use slab_core::{BlockFull, MemSlab, Timeout};
    /// # static SLAB: MemSlab = MemSlab::new();
    /// # let buf: &'static mut [usize] = Box::leak(vec![0usize; 2].into_boxed_slice());
    /// # let buf = unsafe { core::slice::from_raw_parts_mut(buf.as_mut_ptr().cast::<u8>(), 2 * core::mem::size_of::<usize>()) };
    /// # SLAB.init(buf, 8, 1).unwrap();
    /// let mut block = SLAB.alloc_block(Timeout::NoWait)?; // 8 bytes
    /// block.extend_from_slice(b"abc")?;
    /// block.extend_from_slice(b"de")?;
    /// assert_eq!(block.extend_from_slice(b"fghi"), Err(BlockFull { needed: 4, spare: 3 }));
    /// assert_eq!(block.filled(), b"abcde");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn extend_from_slice(&mut self, bytes: &[u8]) -> Result<(), BlockFull> {
        let spare = self.spare_mut();
        if bytes.len() > spare.len() {
            return Err(BlockFull {
                needed: bytes.len(),
                spare: spare.len(),
            });
        }
        for (to, &from) in spare.iter_mut().zip(bytes) {
            to.write(from);
        }
        self.filled += bytes.len();
        Ok(())
    }

    /// Sets every byte of the block to `byte` (`fill(0)` zeroes it), so the
    /// whole block is filled, and returns it.
    pub fn fill(&mut self, byte: u8) -> &mut [u8] {
        for to in self.as_uninit_mut() {
            to.write(byte);
        }
        self.filled = self.len();
        self.filled_mut()
    }

    /// Empties the filled part. The bytes are not touched.
    pub fn clear(&mut self) {
        self.filled = 0;
    }

    /// Declares the first `len` bytes filled, after writing them through
    /// [`spare_mut`](Self::spare_mut) or [`as_uninit_mut`](Self::as_uninit_mut).
    ///
    /// # Panics
    ///
    /// If `len` is larger than the block.
    ///
    /// # Safety
    ///
    /// The first `len` bytes of the block are initialised.
    pub unsafe fn set_filled(&mut self, len: usize) {
        assert!(
            len <= self.len(),
            "set_filled({len}) on a block of {} bytes",
            self.len()
        );
        self.filled = len;
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
    #[cfg_attr(feature = "track", track_caller)]
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
            .field("filled", &self.filled)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    extern crate std;
    use std::vec::Vec;

    use super::*;
    use crate::Timeout;
    use crate::layout::WORD;

    const SIZE: usize = 4 * WORD;

    #[test]
    fn bytes_written_are_the_bytes_read() {
        let slab = crate::tests::slab(SIZE, 2);
        let mut block = slab.alloc_block(Timeout::NoWait).unwrap();
        assert_eq!(block.filled(), b"");
        assert_eq!(block.spare_mut().len(), SIZE);
        block.extend_from_slice(b"abc").unwrap();
        block.extend_from_slice(b"").unwrap();
        block.filled_mut()[0] = b'A';
        assert_eq!(block.filled(), b"Abc");
        assert_eq!(block.spare_mut().len(), SIZE - 3);
        // The spare part starts right after the filled part.
        block.spare_mut()[0].write(b'd');
        // SAFETY: the first 4 bytes are written.
        unsafe { block.set_filled(4) };
        assert_eq!(block.filled(), b"Abcd");
        // Up to the last byte.
        let rest: Vec<u8> = (0..SIZE as u8 - 4).collect();
        block.extend_from_slice(&rest).unwrap();
        assert_eq!(block.filled().len(), SIZE);
        assert_eq!(&block.filled()[4..], &rest[..]);
        assert!(block.spare_mut().is_empty());
    }

    #[test]
    fn what_does_not_fit_changes_nothing() {
        let slab = crate::tests::slab(SIZE, 1);
        let mut block = slab.alloc_block(Timeout::NoWait).unwrap();
        block.extend_from_slice(b"xy").unwrap();
        let before: Vec<u8> = block.raw_bytes();
        let too_long = [7u8; SIZE - 1];
        assert_eq!(
            block.extend_from_slice(&too_long),
            Err(BlockFull {
                needed: SIZE - 1,
                spare: SIZE - 2
            })
        );
        assert_eq!(block.filled(), b"xy");
        assert_eq!(block.raw_bytes(), before, "no byte was written");
        assert_eq!(
            BlockFull {
                needed: 1,
                spare: 0
            }
            .errno(),
            -28
        );
    }

    impl Block<'_> {
        /// Every byte of the block, for tests whose blocks are all written.
        fn raw_bytes(&self) -> Vec<u8> {
            // SAFETY: test blocks come from `crate::tests::slab`, whose
            // buffer is zero-initialised, and are only written with `u8`s.
            unsafe { core::slice::from_raw_parts(self.ptr.as_ptr(), self.len()) }.to_vec()
        }
    }

    #[test]
    fn fill_clear_and_uninit_access() {
        let slab = crate::tests::slab(SIZE, 1);
        let mut block = slab.alloc_block(Timeout::NoWait).unwrap();
        assert_eq!(block.fill(0xAB), &[0xAB; SIZE][..]);
        assert_eq!(block.filled(), &[0xAB; SIZE][..]);
        block.clear();
        assert_eq!(block.filled(), b"");
        assert_eq!(block.raw_bytes(), [0xAB; SIZE], "clear keeps the bytes");
        block.fill(0);
        // `as_uninit_mut` can de-initialise any byte, so it empties the
        // filled part.
        block.as_uninit_mut()[0] = MaybeUninit::uninit();
        assert_eq!(block.filled(), b"");
    }

    #[test]
    #[should_panic(expected = "set_filled")]
    fn set_filled_past_the_block_panics() {
        let slab = crate::tests::slab(SIZE, 1);
        let mut block = slab.alloc_block(Timeout::NoWait).unwrap();
        block.fill(1);
        // SAFETY: every byte is written (the call panics on the length).
        unsafe { block.set_filled(SIZE + 1) };
    }

    #[test]
    fn a_static_block_moves_between_threads() {
        fn send_and_sync<T: Send + Sync>() {}
        send_and_sync::<Block<'static>>();

        let slab = crate::tests::slab(SIZE, 1);
        let mut block = slab.alloc_block(Timeout::NoWait).unwrap();
        block.extend_from_slice(b"over there").unwrap();
        let read = std::thread::spawn(move || block.filled().to_vec())
            .join()
            .unwrap();
        assert_eq!(read, b"over there");
        assert_eq!(slab.num_used(), 0, "dropped, so freed, on the other thread");
    }
}
