//! Error types. Every error carries Zephyr's negative `errno` code so that
//! ported C code can keep comparing against `-ENOMEM`, `-EAGAIN`, ….

use core::fmt;

/// Zephyr's (and POSIX's) error numbers, negated as Zephyr's APIs return them.
pub(crate) mod errno {
    pub const EAGAIN: i32 = -11;
    pub const ENOMEM: i32 = -12;
    pub const EFAULT: i32 = -14;
    pub const EBUSY: i32 = -16;
    pub const ENODEV: i32 = -19;
    pub const EINVAL: i32 = -22;
    pub const ENOSPC: i32 = -28;
}

/// The hint that `Debug` prints after [`AllocError::NotReady`] and
/// [`FreeError::NotReady`]: `expect`, `unwrap` and `main` returning a
/// `Result` print `Debug`, so the fix must be there.
const BOOT_FIRST: &str = "call slab_core::boot() first; a MemSlab::new() slab needs init()";

/// Declares an error enum, `Copy`, comparable and hashable (and
/// `defmt::Format` with `defmt`), with `Display` (its `message()`),
/// `core::error::Error` and `Debug`: the variant's name, as a derived one
/// would write it, and for a variant whose fix is not obvious the fix in
/// parentheses (its `hint()`): `NotReady (call slab_core::boot() first; …)`.
macro_rules! error_enum {
    (
        $(#[$meta:meta])*
        pub enum $ty:ident { $($(#[$variant_meta:meta])* $variant:ident,)* }
    ) => {
        $(#[$meta])*
        #[derive(Clone, Copy, PartialEq, Eq, Hash)]
        #[cfg_attr(feature = "defmt", derive(defmt::Format))]
        pub enum $ty {
            $($(#[$variant_meta])* $variant,)*
        }

        impl fmt::Debug for $ty {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(match self {
                    $(Self::$variant => stringify!($variant),)*
                })?;
                match self.hint() {
                    Some(hint) => write!(f, " ({hint})"),
                    None => Ok(()),
                }
            }
        }

        impl fmt::Display for $ty {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.message())
            }
        }

        impl core::error::Error for $ty {}
    };
}

error_enum! {
    /// Why [`MemSlab::alloc`](crate::MemSlab::alloc) returned no block.
    #[non_exhaustive]
    pub enum AllocError {
        /// No block was free and the timeout was [`Timeout::NoWait`](crate::Timeout::NoWait)
        /// or zero (`-ENOMEM`).
        NoMemory,
        /// No block was freed to this caller before the timeout elapsed (`-EAGAIN`).
        TimedOut,
        /// The slab is not initialised: [`boot`](crate::boot) has not run yet, or
        /// a [`MemSlab::new`](crate::MemSlab::new) slab was never
        /// [`init`](crate::MemSlab::init)ialised (`-ENODEV`).
        NotReady,
        /// The free list is corrupted: the link stored in a free block's first word
        /// (by a write after free) does not point at a free block of this slab.
        /// Nothing is handed out and nothing changes (`-EFAULT`).
        Corrupted,
    }
}

impl AllocError {
    /// Zephyr's negative error code: `-ENOMEM` (−12), `-EAGAIN` (−11),
    /// `-ENODEV` (−19), `-EFAULT` (−14).
    ///
    /// ```
    /// assert_eq!(slab_core::AllocError::NoMemory.errno(), -12);
    /// ```
    pub const fn errno(self) -> i32 {
        match self {
            Self::NoMemory => errno::ENOMEM,
            Self::TimedOut => errno::EAGAIN,
            Self::NotReady => errno::ENODEV,
            Self::Corrupted => errno::EFAULT,
        }
    }

    const fn message(self) -> &'static str {
        match self {
            Self::NoMemory => "no free block in the slab",
            Self::TimedOut => "timed out waiting for a free block",
            Self::NotReady => "slab is not initialised (call slab_core::boot() first)",
            Self::Corrupted => "slab free list is corrupted (write after free?)",
        }
    }

    const fn hint(self) -> Option<&'static str> {
        match self {
            Self::NotReady => Some(BOOT_FIRST),
            Self::Corrupted => Some("a block was written after it was freed"),
            Self::NoMemory | Self::TimedOut => None,
        }
    }
}

error_enum! {
    /// Why [`MemSlab::free`](crate::MemSlab::free) rejected a pointer. A rejected
    /// free changes nothing.
    #[non_exhaustive]
    pub enum FreeError {
        /// The pointer is outside the slab's buffer (`-EINVAL`).
        Foreign,
        /// The pointer is inside the buffer but not at the start of a block (`-EINVAL`).
        Misaligned,
        /// The block is already free (`-EINVAL`).
        DoubleFree,
        /// The slab is not initialised (`-ENODEV`).
        NotReady,
    }
}

impl FreeError {
    /// Zephyr's negative error code: `-EINVAL` (−22), or `-ENODEV` (−19)
    /// for [`FreeError::NotReady`].
    ///
    /// ```
    /// assert_eq!(slab_core::FreeError::DoubleFree.errno(), -22);
    /// ```
    pub const fn errno(self) -> i32 {
        match self {
            Self::NotReady => errno::ENODEV,
            Self::Foreign | Self::Misaligned | Self::DoubleFree => errno::EINVAL,
        }
    }

    const fn message(self) -> &'static str {
        match self {
            Self::Foreign => "pointer is not inside this slab's buffer",
            Self::Misaligned => "pointer is not at the start of a block",
            Self::DoubleFree => "block is already free",
            Self::NotReady => "slab is not initialised (call slab_core::boot() first)",
        }
    }

    const fn hint(self) -> Option<&'static str> {
        match self {
            Self::NotReady => Some(BOOT_FIRST),
            Self::Foreign | Self::Misaligned | Self::DoubleFree => None,
        }
    }
}

error_enum! {
    /// Why [`MemSlab::init`](crate::MemSlab::init) refused its parameters. All
    /// are `-EINVAL` (−22), as `k_mem_slab_init` returns; a refused `init`
    /// changes nothing.
    #[non_exhaustive]
    pub enum InitError {
        /// `block_size` is 0.
        ZeroBlockSize,
        /// `block_size` is not a multiple of the pointer word.
        UnalignedBlockSize,
        /// The buffer does not start at a word-aligned address.
        UnalignedBuffer,
        /// `num_blocks` is 0.
        ZeroBlocks,
        /// `block_size × num_blocks` overflows `usize`.
        Overflow,
        /// `block_size × num_blocks` exceeds the buffer's length.
        BufferTooSmall,
        /// The slab was already initialised, or is a declared slab.
        AlreadyInitialized,
    }
}

impl InitError {
    /// Always `-EINVAL` (−22).
    ///
    /// ```
    /// assert_eq!(slab_core::InitError::ZeroBlocks.errno(), -22);
    /// ```
    pub const fn errno(self) -> i32 {
        errno::EINVAL
    }

    const fn message(self) -> &'static str {
        match self {
            Self::ZeroBlockSize => "block size is zero",
            Self::UnalignedBlockSize => "block size is not a multiple of the pointer word",
            Self::UnalignedBuffer => "buffer is not aligned to the pointer word",
            Self::ZeroBlocks => "number of blocks is zero",
            Self::Overflow => "block size × number of blocks overflows usize",
            Self::BufferTooSmall => "buffer is smaller than block size × number of blocks",
            Self::AlreadyInitialized => "slab is already initialised",
        }
    }

    const fn hint(self) -> Option<&'static str> {
        None
    }
}

error_enum! {
    /// Why [`Semaphore::take`](crate::Semaphore::take) failed.
    #[non_exhaustive]
    pub enum SemError {
        /// The count was zero and the timeout was [`Timeout::NoWait`](crate::Timeout::NoWait)
        /// (`-EBUSY`).
        Busy,
        /// No `give` reached this caller before the timeout, or the semaphore was
        /// [`reset`](crate::Semaphore::reset) while it waited (`-EAGAIN`).
        TimedOut,
    }
}

impl SemError {
    /// Zephyr's negative error code: `-EBUSY` (−16) or `-EAGAIN` (−11).
    ///
    /// ```
    /// assert_eq!(slab_core::SemError::Busy.errno(), -16);
    /// ```
    pub const fn errno(self) -> i32 {
        match self {
            Self::Busy => errno::EBUSY,
            Self::TimedOut => errno::EAGAIN,
        }
    }

    const fn message(self) -> &'static str {
        match self {
            Self::Busy => "semaphore count is zero",
            Self::TimedOut => "timed out waiting for the semaphore",
        }
    }

    const fn hint(self) -> Option<&'static str> {
        None
    }
}

/// Why [`Block::extend_from_slice`](crate::Block::extend_from_slice) wrote
/// nothing: the bytes do not fit in the rest of the block (`-ENOSPC`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct BlockFull {
    /// How many bytes were to be written.
    pub needed: usize,
    /// How many bytes the block had left after its filled part.
    pub spare: usize,
}

impl BlockFull {
    /// `-ENOSPC` (−28).
    ///
    /// ```
    /// assert_eq!(slab_core::BlockFull { needed: 9, spare: 8 }.errno(), -28);
    /// ```
    pub const fn errno(self) -> i32 {
        errno::ENOSPC
    }
}

impl fmt::Display for BlockFull {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} bytes do not fit in the {} bytes left in the block",
            self.needed, self.spare
        )
    }
}

impl core::error::Error for BlockFull {}

#[cfg(test)]
mod tests {
    extern crate std;
    use std::format;

    use super::*;

    /// `Debug` is what `expect`, `unwrap` and `main` returning `Result`
    /// print: the variant, and the fix where the name does not say it.
    #[test]
    fn debug_is_the_variant_and_the_fix() {
        let boot_first =
            "NotReady (call slab_core::boot() first; a MemSlab::new() slab needs init())";
        assert_eq!(format!("{:?}", AllocError::NotReady), boot_first);
        assert_eq!(format!("{:?}", FreeError::NotReady), boot_first);
        assert_eq!(
            format!("{:?}", AllocError::Corrupted),
            "Corrupted (a block was written after it was freed)"
        );
        assert_eq!(
            format!("{:?}", Err::<(), _>(AllocError::NotReady)),
            format!("Err({boot_first})")
        );
        // The others print as a derived `Debug` would, `{:#?}` too.
        for (error, name) in [
            (format!("{:?}", AllocError::NoMemory), "NoMemory"),
            (format!("{:#?}", AllocError::TimedOut), "TimedOut"),
            (format!("{:?}", FreeError::Foreign), "Foreign"),
            (format!("{:?}", FreeError::Misaligned), "Misaligned"),
            (format!("{:?}", FreeError::DoubleFree), "DoubleFree"),
            (
                format!("{:?}", InitError::UnalignedBuffer),
                "UnalignedBuffer",
            ),
            (
                format!("{:?}", InitError::AlreadyInitialized),
                "AlreadyInitialized",
            ),
            (format!("{:?}", SemError::Busy), "Busy"),
            (format!("{:?}", SemError::TimedOut), "TimedOut"),
        ] {
            assert_eq!(error, name);
        }
    }
}
