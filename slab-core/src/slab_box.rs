//! [`SlabBox`]: a typed value that owns one slab block, like a `Box` whose
//! memory comes from a [`MemSlab`].
//!
//! # Layout: what is checked, and when
//!
//! A `T` fits a slab when `size_of::<T>() <= block_size()` and
//! `align_of::<T>()` divides every block's address, i.e. is at most
//! [`MemSlab::block_align`] (the lowest set bit of `buffer start |
//! block_size`).
//!
//! - **At run time, always**: [`SlabBox::new_in`] / [`MemSlab::alloc_box`]
//!   compare `T`'s layout with the slab's actual shape before allocating
//!   (two comparisons; on a slab that had no shape yet, after allocating,
//!   against the shape of the slab the block came from, since another
//!   thread's `init` may land in between) and fail with [`BoxErrorKind::TooLarge`] or
//!   [`BoxErrorKind::Underaligned`] (both `errno()` −22), giving the value
//!   back. A `&MemSlab`'s shape is a run-time value (a `MemSlab::new()`
//!   slab gets it from `init`), so this is the check that makes the box
//!   sound.
//! - **At compile time, where the shape is a constant**: [`assert_fits`] is
//!   a `const fn` that fails the build when `T` cannot fit a block of a
//!   given size and alignment. Use it next to a declaration whose `size` and
//!   `align` are consts; the effective block size and alignment of a
//!   declared slab are at least the declared ones, so a passing assertion
//!   means the run-time check passes too. What it cannot see: a slab's shape
//!   that is not written as a constant next to it (`init` at run time), and
//!   the buffer's actual address (which can only raise the alignment). A
//!   slab declared with `type = T` fits `T` by construction.
//!
//! # Zero-sized types
//!
//! Allowed: a `SlabBox` of a zero-sized type still takes one block, so the
//! slab's counters, waiting and hand-off work for it as for any other
//! value (a slab of ZST boxes is a pool of counted tokens). Its alignment
//! is checked like any other type's.

use core::fmt;
use core::marker::PhantomData;
use core::mem::{self, ManuallyDrop};
use core::ops::{Deref, DerefMut};
use core::ptr::{self, NonNull};

use crate::block::Block;
use crate::error::{AllocError, errno};
use crate::slab::MemSlab;
use crate::timeout::Timeout;

/// A `T` stored in one block of a [`MemSlab`], dropped in place and its
/// block freed when the box is dropped.
///
/// ```
/// # use slab_core::{MemSlab, SlabBox, Timeout};
/// # static SLAB: MemSlab = MemSlab::new();
/// # let buf: &'static mut [usize] = Box::leak(vec![0usize; 8].into_boxed_slice());
/// # let buf = unsafe { core::slice::from_raw_parts_mut(buf.as_mut_ptr().cast::<u8>(), 8 * core::mem::size_of::<usize>()) };
/// # SLAB.init(buf, 4 * core::mem::size_of::<usize>(), 2).unwrap();
/// #[derive(Debug)]
/// struct Packet { len: usize, data: [u8; 8] }
///
/// let mut packet = SlabBox::new_in(&SLAB, Packet { len: 0, data: [0; 8] }, Timeout::NoWait)?;
/// packet.data[0] = 0xAB;
/// packet.len = 1;
/// assert_eq!(SLAB.num_used(), 1);
/// let packet: Packet = SlabBox::into_inner(packet); // moved out, block freed
/// assert_eq!((packet.len, SLAB.num_used()), (1, 0));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct SlabBox<'a, T> {
    ptr: NonNull<T>,
    slab: &'a MemSlab,
    /// Owns a `T` (for the drop checker and auto traits).
    _owns: PhantomData<T>,
}

// SAFETY: a `SlabBox` owns its `T` exclusively, so it may move to another
// thread when `T` may; its block may be freed from any thread (`MemSlab`
// is `Sync`).
unsafe impl<T: Send> Send for SlabBox<'_, T> {}
// SAFETY: `&SlabBox<T>` only hands out `&T`.
unsafe impl<T: Sync> Sync for SlabBox<'_, T> {}

impl<'a, T> SlabBox<'a, T> {
    /// Moves `value` into a block of `slab`, waiting up to `timeout` for a
    /// free block (as [`MemSlab::alloc`]).
    ///
    /// On failure the value is given back inside the [`BoxError`]: the
    /// allocation failed ([`BoxErrorKind::Alloc`]), or `T` does not fit the
    /// slab's blocks ([`BoxErrorKind::TooLarge`],
    /// [`BoxErrorKind::Underaligned`]; checked before allocating, or, on a
    /// slab that another thread initialises meanwhile, against the shape of
    /// the slab the block came from, which is then freed).
    ///
    /// ```
    /// # use slab_core::{AllocError, BoxErrorKind, MemSlab, SlabBox, Timeout};
    /// # static SLAB: MemSlab = MemSlab::new();
    /// # let buf: &'static mut [usize] = Box::leak(vec![0usize; 2].into_boxed_slice());
    /// # let buf = unsafe { core::slice::from_raw_parts_mut(buf.as_mut_ptr().cast::<u8>(), 2 * core::mem::size_of::<usize>()) };
    /// # SLAB.init(buf, 2 * core::mem::size_of::<usize>(), 1).unwrap();
    /// let first = SlabBox::new_in(&SLAB, 1u32, Timeout::NoWait).unwrap();
    /// let err = SlabBox::new_in(&SLAB, 2u32, Timeout::NoWait).unwrap_err();
    /// assert_eq!(err.kind(), BoxErrorKind::Alloc(AllocError::NoMemory));
    /// assert_eq!(err.into_value(), 2); // given back
    ///
    /// let err = SlabBox::new_in(&SLAB, [0u64; 16], Timeout::NoWait).unwrap_err();
    /// assert!(matches!(err.kind(), BoxErrorKind::TooLarge { size: 128, .. }));
    /// assert_eq!(err.errno(), -22);
    /// # drop(first);
    /// ```
    #[cfg_attr(feature = "track", track_caller)]
    pub fn new_in(slab: &'a MemSlab, value: T, timeout: Timeout) -> Result<Self, BoxError<T>> {
        // Checked before allocating when the slab has its shape, so that a
        // misfit takes no block from anyone. A `new()` slab without one yet
        // may get it from an `init` on another thread at any moment, up to
        // the `alloc` below: then the check waits for the block, and is made
        // against the shape of the slab it came from.
        let shaped = slab.num_blocks() != 0;
        if shaped && let Err(kind) = fits::<T>(slab.block_size(), slab.block_align()) {
            return Err(BoxError { value, kind });
        }
        let block = match slab.alloc(timeout) {
            Ok(block) => block,
            Err(e) => {
                return Err(BoxError {
                    value,
                    kind: BoxErrorKind::Alloc(e),
                });
            }
        };
        if !shaped {
            // The block came from a ready slab, whose shape is final now.
            if let Err(kind) = fits::<T>(slab.block_size(), slab.block_align()) {
                // SAFETY: the block was just allocated from `slab` and
                // nothing points into it.
                let freed = unsafe { slab.free(block) };
                debug_assert!(freed.is_ok(), "freeing a fresh block failed: {freed:?}");
                return Err(BoxError { value, kind });
            }
        }
        let ptr = block.cast::<T>();
        // SAFETY: the block is ours, at least `size_of::<T>()` bytes and
        // aligned for `T` (checked above against the shape of the slab it
        // came from, which every block shares).
        unsafe { ptr.as_ptr().write(value) };
        Ok(Self {
            ptr,
            slab,
            _owns: PhantomData,
        })
    }

    /// Moves the value out and frees the block.
    ///
    /// An associated function (`SlabBox::into_inner(b)`), so that it never
    /// shadows a method of `T`.
    pub fn into_inner(this: Self) -> T {
        let this = ManuallyDrop::new(this);
        let block = Block::new(this.slab, this.ptr.cast());
        // SAFETY: the box holds an initialised `T`, read out exactly once:
        // `this` is never dropped (`ManuallyDrop`), and the block is freed
        // without dropping its contents.
        let value = unsafe { this.ptr.as_ptr().read() };
        drop(block);
        value
    }

    /// The slab the value lives in.
    pub fn slab(this: &Self) -> &'a MemSlab {
        this.slab
    }
}

impl MemSlab {
    /// Moves `value` into a block of this slab: [`SlabBox::new_in`].
    ///
    /// ```
    /// # use slab_core::{MemSlab, Timeout};
    /// # static SLAB: MemSlab = MemSlab::new();
    /// # let buf: &'static mut [usize] = Box::leak(vec![0usize; 2].into_boxed_slice());
    /// # let buf = unsafe { core::slice::from_raw_parts_mut(buf.as_mut_ptr().cast::<u8>(), 2 * core::mem::size_of::<usize>()) };
    /// # SLAB.init(buf, core::mem::size_of::<usize>(), 2).unwrap();
    /// let mut n = SLAB.alloc_box(41usize, Timeout::NoWait).unwrap();
    /// *n += 1;
    /// assert_eq!(format!("{n} {n:?}"), "42 42");
    /// ```
    #[cfg_attr(feature = "track", track_caller)]
    pub fn alloc_box<T>(&self, value: T, timeout: Timeout) -> Result<SlabBox<'_, T>, BoxError<T>> {
        SlabBox::new_in(self, value, timeout)
    }

    /// The alignment every block of this slab has: the lowest set bit of
    /// `buffer start | block_size` (at least the declared `align`, and the
    /// pointer word); 0 while the slab has no buffer (`new()` before
    /// `init`).
    ///
    /// ```
    /// use slab_core::{mem_slab, MemSlab};
    ///
    /// #[mem_slab(blocks = 2, size = 64, align = 32)]
    /// static ALIGNED: MemSlab;
    ///
    /// # fn main() {
    /// assert!(ALIGNED.block_align() >= 32);
    /// # }
    /// ```
    pub fn block_align(&self) -> usize {
        let bits = self.buffer_range().start | self.block_size();
        bits & bits.wrapping_neg()
    }
}

/// Whether a `T` fits a block of `block_size` bytes whose address is a
/// multiple of `block_align`: the one rule behind [`SlabBox::new_in`] and
/// [`assert_fits`].
const fn fits<T>(block_size: usize, block_align: usize) -> Result<(), BoxErrorKind> {
    let (size, align) = (mem::size_of::<T>(), mem::align_of::<T>());
    if size > block_size {
        Err(BoxErrorKind::TooLarge { size, block_size })
    } else if align > block_align {
        Err(BoxErrorKind::Underaligned { align, block_align })
    } else {
        Ok(())
    }
}

/// Fails the build (when evaluated in a const context) unless a `T` fits a
/// block of `block_size` bytes aligned to `block_align`: the compile-time
/// form of [`SlabBox::new_in`]'s layout check, for slabs whose shape is
/// written as constants. Pass the declared `size` and `align` (or the
/// pointer word without `align`): a declared slab's blocks are at least
/// that large and that aligned.
///
/// ```
/// use slab_core::{mem_slab, MemSlab, SlabBox, Timeout};
///
/// struct Msg { id: u32, body: [u8; 60] }
///
/// const MSG_SIZE: usize = 64;
/// #[mem_slab(blocks = 4, size = MSG_SIZE)]
/// static MSGS: MemSlab;
/// const _: () = slab_core::assert_fits::<Msg>(MSG_SIZE, core::mem::size_of::<usize>());
///
/// fn main() {
///     slab_core::boot();
///     let msg = SlabBox::new_in(&MSGS, Msg { id: 1, body: [0; 60] }, Timeout::NoWait).unwrap();
///     assert_eq!(msg.id, 1);
/// }
/// ```
///
/// A type that does not fit is a compile error:
///
/// ```compile_fail
/// const _: () = slab_core::assert_fits::<[u8; 65]>(64, 8);
/// ```
///
/// # Panics
/// When `T` is larger than `block_size` or more aligned than
/// `block_align` — in a const context, at compile time.
pub const fn assert_fits<T>(block_size: usize, block_align: usize) {
    match fits::<T>(block_size, block_align) {
        Ok(()) => {}
        Err(BoxErrorKind::TooLarge { .. }) => {
            panic!("slab_core::assert_fits: the type is larger than the slab's block size")
        }
        Err(_) => {
            panic!("slab_core::assert_fits: the type needs more alignment than the blocks have")
        }
    }
}

impl<T> Drop for SlabBox<'_, T> {
    fn drop(&mut self) {
        // Declared first, dropped last: the block is freed even if `T`'s
        // destructor panics.
        let _block = Block::new(self.slab, self.ptr.cast());
        // SAFETY: the box holds an initialised `T`, dropped exactly once,
        // here, before its block is freed.
        unsafe { ptr::drop_in_place(self.ptr.as_ptr()) };
    }
}

impl<T> Deref for SlabBox<'_, T> {
    type Target = T;

    fn deref(&self) -> &T {
        // SAFETY: an initialised `T`, owned by `self`, aligned and in bounds.
        unsafe { self.ptr.as_ref() }
    }
}

impl<T> DerefMut for SlabBox<'_, T> {
    fn deref_mut(&mut self) -> &mut T {
        // SAFETY: as in `deref`, and `&mut self` makes the borrow unique.
        unsafe { self.ptr.as_mut() }
    }
}

impl<T> AsRef<T> for SlabBox<'_, T> {
    fn as_ref(&self) -> &T {
        self
    }
}

impl<T> AsMut<T> for SlabBox<'_, T> {
    fn as_mut(&mut self) -> &mut T {
        self
    }
}

impl<T: fmt::Debug> fmt::Debug for SlabBox<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&**self, f)
    }
}

impl<T: fmt::Display> fmt::Display for SlabBox<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&**self, f)
    }
}

/// Why a [`SlabBox`] could not be made.
///
/// `errno()`: the allocation's code for [`Alloc`](Self::Alloc), `-EINVAL`
/// (−22) for a layout mismatch.
#[non_exhaustive]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum BoxErrorKind {
    /// No block: [`MemSlab::alloc`]'s error.
    Alloc(AllocError),
    /// `size_of::<T>()` is larger than the slab's block size (`-EINVAL`).
    TooLarge {
        /// `size_of::<T>()`.
        size: usize,
        /// The slab's [`block_size`](MemSlab::block_size).
        block_size: usize,
    },
    /// `align_of::<T>()` is larger than the blocks' alignment (`-EINVAL`).
    Underaligned {
        /// `align_of::<T>()`.
        align: usize,
        /// The slab's [`block_align`](MemSlab::block_align).
        block_align: usize,
    },
}

impl BoxErrorKind {
    /// Zephyr's negative error code: the allocation's, or −22 (`-EINVAL`).
    ///
    /// ```
    /// use slab_core::{AllocError, BoxErrorKind};
    /// assert_eq!(BoxErrorKind::Alloc(AllocError::NoMemory).errno(), -12);
    /// assert_eq!(BoxErrorKind::TooLarge { size: 72, block_size: 64 }.errno(), -22);
    /// ```
    pub const fn errno(self) -> i32 {
        match self {
            Self::Alloc(e) => e.errno(),
            Self::TooLarge { .. } | Self::Underaligned { .. } => errno::EINVAL,
        }
    }
}

impl fmt::Display for BoxErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Alloc(e) => fmt::Display::fmt(e, f),
            Self::TooLarge { size, block_size } => write!(
                f,
                "a value of {size} bytes does not fit the slab's {block_size}-byte blocks"
            ),
            Self::Underaligned { align, block_align } => write!(
                f,
                "a value aligned to {align} bytes does not fit the slab's blocks, aligned to {block_align}"
            ),
        }
    }
}

impl core::error::Error for BoxErrorKind {}

/// A failed [`SlabBox::new_in`]: why ([`kind`](Self::kind)), and the value,
/// given back ([`into_value`](Self::into_value)).
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct BoxError<T> {
    value: T,
    kind: BoxErrorKind,
}

impl<T> BoxError<T> {
    /// Why the box could not be made.
    pub fn kind(&self) -> BoxErrorKind {
        self.kind
    }

    /// Zephyr's negative error code (see [`BoxErrorKind::errno`]).
    pub fn errno(&self) -> i32 {
        self.kind.errno()
    }

    /// The value that was to be boxed.
    pub fn value(&self) -> &T {
        &self.value
    }

    /// Gives the value back.
    pub fn into_value(self) -> T {
        self.value
    }
}

/// Shows the kind only, so that any `T` can be unwrapped.
impl<T> fmt::Debug for BoxError<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BoxError")
            .field("kind", &self.kind)
            .finish_non_exhaustive()
    }
}

impl<T> fmt::Display for BoxError<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.kind, f)
    }
}

impl<T> core::error::Error for BoxError<T> {}

#[cfg(test)]
mod tests;
