//! Everything the declaration macros expand to. Not a public API: it may
//! change in any release.

use core::cell::UnsafeCell;
use core::mem::MaybeUninit;

pub use crate::layout::{MAX_ALIGN, WORD, buffer_len, map_words, round_block_size};
pub use crate::registry::SLAB_CORE_REGISTRY;
pub use crate::slab::MemSlab;
pub use linkme;

pub use crate::heap::HeapClass;

/// The `SlabHeap` of a `slab_heap!` declaration over its classes, in the
/// order declared (which the declaration checks is ascending), with their
/// block sizes.
pub const fn heap(classes: &'static [HeapClass], block_sizes: &[usize]) -> crate::SlabHeap {
    crate::heap::SlabHeap::new(classes, block_sizes)
}

/// A class of a `slab_heap!`: `slab`, whose `num_blocks` blocks are
/// `block_size` bytes (as `round_block_size` made them) at multiples of
/// `max(align, WORD)`.
///
/// # Safety
/// `SlabHeap` hands out `slab`'s blocks for any layout of at most
/// `block_size` bytes and `max(align, WORD)` alignment, so the caller (the
/// expansion of `slab_heap!`, which passes the constants the class's slab
/// was declared from, and asserts that they agree) promises that `slab`'s
/// blocks really are at least that large and that aligned.
pub const unsafe fn heap_class(
    slab: &'static MemSlab,
    block_size: usize,
    align: usize,
    num_blocks: usize,
) -> HeapClass {
    let align = if align > WORD { align } else { WORD };
    HeapClass::new(slab, block_size, align, num_blocks)
}

/// A declared slab's block buffer: `BYTES` uninitialised bytes aligned to
/// `max(align_of::<A>(), WORD)`. Zero-initialised memory (`.bss`) unless the
/// declaration names a section. With `std`, also aligned to (and so padded
/// to a multiple of) 128 bytes, like the free flags and the `MemSlab`, so that
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

/// A declared slab's free flags: one byte per block and a sentinel byte
/// (see [`map_words`]), zero until `boot()`. With `std`,
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
            used.0.get().cast::<u8>(),
            block_size,
            num_blocks,
        )
    }
}

crate::sync::loom_const_fn! {
    /// A declared slab with `checks = "bounds"`: `slab` (from [`declare`])
    /// keeps no free flags (its `UsedMap` stays unused).
    pub const fn bounds_checks(slab: MemSlab) -> MemSlab {
        slab.with_bounds_checks()
    }
}

/// Words of a declared slab's free flags: [`map_words`], or 0 when the
/// shape is invalid (no block size, or `num_blocks × block_size` above
/// [`MAX_DECLARED_BYTES`]). The declaration's own assertion reports that;
/// flags sized for an absurd block count would only add an out-of-memory
/// error in the compiler.
pub const fn used_map_words(num_blocks: usize, block_size: usize) -> usize {
    if block_size != 0 && rules::fits(num_blocks, block_size) {
        map_words(num_blocks)
    } else {
        0
    }
}

/// The largest block buffer of a declared slab: 4 GiB, and `isize::MAX` on
/// targets with a smaller address space. The compiler builds a static's
/// bytes in its own memory, so a larger one would fail the build with an
/// out-of-memory error instead of the declaration's own message.
pub const MAX_DECLARED_BYTES: usize = {
    let four_gib = (u32::MAX as usize).saturating_add(1);
    if four_gib < isize::MAX as usize {
        four_gib
    } else {
        isize::MAX as usize
    }
};

/// Bytes of a declared slab's block buffer: [`buffer_len`], or 0 when the
/// shape breaks [`rules::fits`] (the declaration's assertion says so).
pub const fn storage_len(num_blocks: usize, block_size: usize) -> usize {
    if rules::fits(num_blocks, block_size) {
        buffer_len(num_blocks, block_size)
    } else {
        0
    }
}

/// `(size_of::<T>(), align_of::<T>())`: the one place a declaration's
/// `type = T` is used, so that a mistake in `T` is reported once.
pub const fn type_shape<T>() -> (usize, usize) {
    (core::mem::size_of::<T>(), core::mem::align_of::<T>())
}

/// The registry entry of a declared slab, and a zero-sized static named
/// `$symbol` (derived from the slab's registry name) so that two slabs of
/// one name in a program are a duplicate symbol: a compile error within a
/// crate, a link error across crates. The entry keeps its own (mangled)
/// name: it is what makes the linker load the object of every declared
/// slab, and so meet both definitions of a duplicate. A macro so that a
/// wrong `crate = …` is one error (the path to it), not one more for each
/// attribute below.
#[doc(hidden)]
#[macro_export]
macro_rules! __slab_core_register {
    ($symbol:literal, $slab:ident) => {
        #[$crate::__private::linkme::distributed_slice($crate::__private::SLAB_CORE_REGISTRY)]
        #[linkme(crate = $crate::__private::linkme)]
        static __SLAB_ENTRY: &'static $crate::MemSlab = &$slab;

        #[used]
        #[unsafe(export_name = $symbol)]
        static __SLAB_NAME: () = ();
    };
}
pub use crate::__slab_core_register as register;

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
        align != 0 && size.is_multiple_of(align)
    }

    /// `blocks × block_size` fits in `usize` (and in an allocation).
    pub const fn no_overflow(blocks: usize, block_size: usize) -> bool {
        match blocks.checked_mul(block_size) {
            Some(n) => n <= isize::MAX as usize,
            None => false,
        }
    }

    /// `blocks × block_size` is at most [`MAX_DECLARED_BYTES`](super::MAX_DECLARED_BYTES).
    pub const fn fits(blocks: usize, block_size: usize) -> bool {
        match blocks.checked_mul(block_size) {
            Some(n) => n <= super::MAX_DECLARED_BYTES,
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

                impl Marker for Align<$n> {
                    type Type = $name;
                }
            )*
        };
    }

    /// An alignment as a value, for [`Marker`].
    pub struct Align<const N: usize>;

    /// The zero-sized type of an alignment computed by a constant (e.g.
    /// `max(align_of::<T>(), align)`): `<Align<N> as Marker>::Type`.
    pub trait Marker {
        /// Aligned to `N` bytes.
        type Type;
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
