//! Everything the declaration macros expand to. Not a public API: it may
//! change in any release.

use core::cell::UnsafeCell;
use core::mem::MaybeUninit;

pub use crate::layout::{MAX_ALIGN, WORD, buffer_len, map_words, round_block_size};
pub use crate::registry::SLAB_CORE_REGISTRY;
pub use crate::slab::MemSlab;
pub use linkme;

/// A declared slab's block buffer: `BYTES` uninitialised bytes aligned to
/// `max(align_of::<A>(), WORD)`. Zero-initialised memory (`.bss`) unless the
/// declaration names a section. With `std`, also aligned to (and so padded
/// to a multiple of) 128 bytes, like the bitmap and the `MemSlab`, so that
/// neighbouring slabs share no cache line.
#[repr(C)]
#[cfg_attr(feature = "std", repr(align(128)))]
pub struct Storage<A, const BYTES: usize> {
    _align: [A; 0],
    _word: [usize; 0],
    bytes: UnsafeCell<MaybeUninit<[u8; BYTES]>>,
}

// SAFETY: the bytes are only reached through the one `MemSlab` that owns
// them, which hands each block to one owner at a time.
unsafe impl<A, const BYTES: usize> Sync for Storage<A, BYTES> {}

impl<A, const BYTES: usize> Storage<A, BYTES> {
    /// Uninitialised storage.
    #[allow(clippy::new_without_default)]
    pub const fn new() -> Self {
        Self {
            _align: [],
            _word: [],
            bytes: UnsafeCell::new(MaybeUninit::uninit()),
        }
    }
}

/// A declared slab's used-block bitmap, one bit per block. With `std`,
/// aligned to 128 bytes (see [`Storage`]): `alloc` and `free` write it.
#[cfg_attr(feature = "std", repr(align(128)))]
pub struct UsedMap<const WORDS: usize>(UnsafeCell<[usize; WORDS]>);

// SAFETY: only touched by the owning `MemSlab`, under its lock.
unsafe impl<const WORDS: usize> Sync for UsedMap<WORDS> {}

impl<const WORDS: usize> UsedMap<WORDS> {
    /// All blocks free.
    #[allow(clippy::new_without_default)]
    pub const fn new() -> Self {
        Self(UnsafeCell::new([0; WORDS]))
    }
}

crate::sync::loom_const_fn! {
    /// The `MemSlab` of a declaration: `num_blocks` blocks of `block_size`
    /// bytes (already rounded with [`round_block_size`]) over `storage`. Not
    /// threaded until `boot()`.
    ///
    /// # Safety
    /// The slab trusts its storage from here on, so the caller (the expansion of
    /// `#[mem_slab]` / `mem_slabs!`, which meets this by construction) promises:
    /// - `storage` holds at least [`buffer_len`]`(num_blocks, block_size)`
    ///   bytes and `used` at least [`map_words`]`(num_blocks)` words, i.e. they
    ///   were sized from these same two values;
    /// - `block_size` is what [`round_block_size`] made of the declared size
    ///   (a non-zero multiple of the word and of the storage's alignment), and
    ///   `num_blocks × block_size` does not overflow — or else the
    ///   declaration's own const assertions fail the build;
    /// - `storage` and `used` are given to this one call only, and nothing else
    ///   reads or writes them: two slabs over the same storage would hand the
    ///   same memory to two owners.
    pub const unsafe fn declare<A, const BYTES: usize, const WORDS: usize>(
        name: &'static str,
        storage: &'static Storage<A, BYTES>,
        used: &'static UsedMap<WORDS>,
        block_size: usize,
        num_blocks: usize,
    ) -> MemSlab {
        MemSlab::declared(
            name,
            storage.bytes.get().cast::<u8>(),
            used.0.get().cast::<usize>(),
            block_size,
            num_blocks,
        )
    }
}

/// Words of a declared slab's used-block bitmap: [`map_words`], or 0 when the
/// shape is invalid (no block size, or `num_blocks × block_size` overflows).
/// The declaration's own assertion reports that; a bitmap sized for an
/// absurd block count would only add an out-of-memory error in the compiler.
pub const fn used_map_words(num_blocks: usize, block_size: usize) -> usize {
    if block_size != 0 && rules::no_overflow(num_blocks, block_size) {
        map_words(num_blocks)
    } else {
        0
    }
}

/// The rules a declaration's const-expression values must satisfy; each
/// is checked by a `const _: () = assert!(…)` naming the slab and the rule.
pub mod rules {
    use crate::layout::MAX_ALIGN;

    /// `blocks ≥ 1`.
    pub const fn blocks_nonzero(blocks: usize) -> bool {
        blocks != 0
    }

    /// `size ≥ 1`.
    pub const fn size_nonzero(size: usize) -> bool {
        size != 0
    }

    /// A power of two, at most 2^29.
    pub const fn align_valid(align: usize) -> bool {
        align.is_power_of_two() && align <= MAX_ALIGN
    }

    /// `size` is a multiple of `align`.
    pub const fn size_fits_align(size: usize, align: usize) -> bool {
        align != 0 && size % align == 0
    }

    /// `blocks × block_size` fits in `usize` (and in an allocation).
    pub const fn no_overflow(blocks: usize, block_size: usize) -> bool {
        match blocks.checked_mul(block_size) {
            Some(n) => n <= isize::MAX as usize,
            None => false,
        }
    }
}

/// Zero-sized types of each power-of-two alignment, for `align = N`
/// (`#[repr(align)]` needs a literal, so there is one type per value).
pub mod align {
    macro_rules! aligns {
        ($($name:ident = $n:literal),* $(,)?) => {
            $(
                #[doc = concat!("Aligned to ", stringify!($n), " bytes.")]
                #[repr(align($n))]
                pub struct $name;
            )*
        };
    }
    aligns! {
        A1 = 1, A2 = 2, A4 = 4, A8 = 8, A16 = 16, A32 = 32, A64 = 64, A128 = 128,
        A256 = 256, A512 = 512, A1024 = 1024, A2048 = 2048, A4096 = 4096,
        A8192 = 8192, A16384 = 16384, A32768 = 32768, A65536 = 65536,
        A131072 = 131072, A262144 = 262144, A524288 = 524288, A1048576 = 1048576,
        A2097152 = 2097152, A4194304 = 4194304, A8388608 = 8388608,
        A16777216 = 16777216, A33554432 = 33554432, A67108864 = 67108864,
        A134217728 = 134217728, A268435456 = 268435456, A536870912 = 536870912,
    }
}
