//! Everything the declaration macros expand to. Not a public API: it may
//! change in any release.

use core::cell::UnsafeCell;
use core::mem::MaybeUninit;

pub use crate::layout::{MAX_ALIGN, WORD, buffer_len, map_words, round_block_size};
pub use crate::registry::SLAB_CORE_REGISTRY;
pub use crate::slab::MemSlab;
pub use linkme;

pub use crate::heap::HeapClass;

crate::sync::loom_const_fn! {
    /// The `SlabHeap` of a `slab_heap!` declaration over its classes, in the
    /// order declared (which the declaration checks is ascending). The heap
    /// reads every shape from the classes (which [`declare()`] computed),
    /// nothing from the declaration: classes out of order would cost speed
    /// (every request starts at the first class), never memory safety.
    pub const fn heap(classes: &'static [&'static HeapClass]) -> crate::SlabHeap {
        crate::heap::SlabHeap::new(classes)
    }
}

crate::sync::loom_const_fn! {
    /// The slab of a [`declare()`] result, for `#[mem_slab]` and `mem_slabs!`.
    pub const fn slab(declared: HeapClass) -> MemSlab {
        declared.into_slab()
    }
}

crate::sync::loom_const_fn! {
    /// A [`declare()`] result as a `slab_heap!` size class.
    pub const fn class(declared: HeapClass) -> HeapClass {
        declared
    }
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

/// Bytes a declared slab's block buffer has beyond its blocks: with the
/// `track` feature, the ownership records (two words per block, see
/// `crate::track`), else none; 0 too for a shape the declaration's own
/// assertions refuse.
pub const fn tracked_bytes(num_blocks: usize, size: usize) -> usize {
    if !cfg!(feature = "track") || size == 0 || !rules::fits(num_blocks, size) {
        return 0;
    }
    match num_blocks.checked_mul(2 * WORD) {
        Some(n) => n,
        None => 0,
    }
}

/// `a + b`, or 0 if it overflows (the declaration's assertion reports it).
pub const fn add_or_zero(a: usize, b: usize) -> usize {
    match a.checked_add(b) {
        Some(n) => n,
        None => 0,
    }
}

crate::sync::loom_const_fn! {
    /// The slab of a declaration over `storage` and `used`: `num_blocks`
    /// blocks of `size` bytes rounded up to a multiple of `max(align, WORD)`
    /// (by [`round_block_size`], here), with `checks = "bounds"` when
    /// `bounds_checks`; and that shape, for a heap class. Not threaded
    /// until `boot()`.
    ///
    /// Everything the slab (and a heap over it) will rely on about the
    /// storage is checked here, in const evaluation, against the storage's
    /// real types: the declaration computes `BYTES`, `WORDS` and `A`
    /// through its `crate = …` path, which a caller can point at other
    /// functions, so a wrong answer fails the build here instead of
    /// letting `boot()` write past a buffer:
    /// - `BYTES ≥ num_blocks × block_size` (which does not overflow);
    /// - `WORDS ≥ map_words(num_blocks)`;
    /// - `align` is a power of two of at most [`MAX_ALIGN`], and the storage
    ///   type is aligned to at least `max(align, WORD)`: every block (at a
    ///   multiple of the block size, itself a multiple of that) then is,
    ///   and that is the alignment a heap class promises.
    ///
    /// A shape that breaks the declaration's own rules (`blocks = 0`, a
    /// zero size, more than [`MAX_DECLARED_BYTES`]) is that rule's compile
    /// error, from the declaration's assertions; here it yields an empty
    /// slab (no blocks, never threaded over anything), so that the error is
    /// reported once.
    ///
    /// With the `track` feature, also room after the blocks for two words
    /// per block (the ownership records).
    ///
    /// # Safety
    /// `storage` and `used` are given to this one call only, and nothing
    /// else reads or writes them: two slabs over the same storage would hand
    /// the same memory to two owners. The `__private::declare!` macro meets
    /// this by construction (it defines both statics inside the block that
    /// makes its one call), which is how the declaration macros call it.
    #[allow(clippy::too_many_arguments)]
    pub const unsafe fn declare<A, const BYTES: usize, const WORDS: usize>(
        name: &'static str,
        storage: &'static Storage<A, BYTES>,
        used: &'static UsedMap<WORDS>,
        size: usize,
        align: usize,
        num_blocks: usize,
        bounds_checks: bool,
    ) -> HeapClass {
        assert!(
            rules::align_valid(align),
            "slab_core: a declaration's alignment is not a power of two of at most 2^29 \
             (the `crate = …` path computed it)"
        );
        let block_size = round_block_size(size, align);
        let align = if align > WORD { align } else { WORD };
        let buffer = storage.bytes.get().cast::<u8>();
        let used = used.0.get().cast::<u8>();
        if size == 0 || num_blocks == 0 || !rules::fits(num_blocks, block_size) {
            // The declaration's own assertion reports it (unless a `crate =
            // …` path left it out): no blocks here, and no free flags, since
            // `used` may be too short even for the sentinel.
            let empty = MemSlab::declared(name, buffer, core::ptr::null_mut(), 0, 0);
            return HeapClass::new(empty.with_bounds_checks(), buffer, 0, align, 0);
        }
        assert!(
            BYTES >= num_blocks * block_size,
            "slab_core: a declared slab's block buffer is smaller than its blocks × block size \
             (the `crate = …` path computed the buffer's length)"
        );
        assert!(
            WORDS >= map_words(num_blocks),
            "slab_core: a declared slab's free flags are shorter than one byte per block and \
             a sentinel (the `crate = …` path computed their length)"
        );
        assert!(
            core::mem::align_of::<Storage<A, BYTES>>() >= align,
            "slab_core: a declared slab's block buffer is less aligned than the declaration's \
             `align` (the `crate = …` path chose the buffer's alignment type)"
        );
        let slab = MemSlab::declared(name, buffer, used, block_size, num_blocks);
        let slab = if bounds_checks {
            slab.with_bounds_checks()
        } else {
            slab
        };
        #[cfg(feature = "track")]
        let slab = {
            assert!(
                match num_blocks.checked_mul(2 * WORD) {
                    Some(records) => BYTES - num_blocks * block_size >= records,
                    None => false,
                },
                "slab_core: a declared slab's block buffer has no room for its ownership \
                 records (two words per block after the blocks)"
            );
            slab.with_records()
        };
        HeapClass::new(slab, buffer, block_size, align, num_blocks)
    }
}

/// The storage of one declared slab and the slab over it: defines a block
/// buffer of `bytes` bytes aligned like `align_type` and free flags of
/// `words` words, inside the block this expands to, and gives them to one
/// call of [`declare()`]; `output` is [`slab`] (`#[mem_slab]`, `mem_slabs!`)
/// or [`class`] (`slab_heap!`). A macro so that the `unsafe` of that call
/// is slab-core's, reached through `$crate` (which no path of the caller
/// can shadow), and so that the storage is given to no other slab.
///
/// `declare!(type_shape: T)` is [`type_shape`]`::<T>()`, which the
/// declarations read through this macro for the same reason.
///
/// Every argument is evaluated outside the `unsafe` block, as a constant.
/// A `section` is one of the RAM sections (checked here, at compile
/// time); any other section comes as `attributes`, the user's own
/// `#[unsafe(link_section = …)]`, which their crate's `unsafe_code` lint
/// sees. That attribute, or none, is all `attributes` takes: anything else
/// could remove the buffer defined here (`#[cfg(any())]`) or define an
/// item of its name, and so give this slab a buffer that another slab has
/// too.
#[doc(hidden)]
#[macro_export]
macro_rules! __slab_core_declare {
    // The one attribute `attributes` may hold, as the caller wrote it
    // (its `unsafe` keeps the caller's span, for their `unsafe_code` lint).
    (@section_attribute) => {};
    (@section_attribute # [unsafe(link_section = $section:literal)]) => {};
    (@section_attribute $($other:tt)*) => {
        ::core::compile_error!(
            "slab_core: a declaration's `attributes` are one `#[unsafe(link_section = \"…\")]` \
             or none"
        );
    };
    // `(size_of::<T>(), align_of::<T>())` of a declaration's `type = T`,
    // through `$crate`, so that no path of the caller's reports it.
    (type_shape: $t:ty) => {
        $crate::__private::type_shape::<$t>()
    };
    (
        $output:ident,
        name: $name:expr,
        blocks: $blocks:expr,
        size: $size:expr,
        align: $align:expr,
        storage: [$align_type:ty; $bytes:expr],
        used: [$words:expr],
        bounds_checks: $bounds:expr,
        section: [$($section:literal)?],
        attributes: [$($attr:tt)*] $(,)?
    ) => {{
        $crate::__private::declare!(@section_attribute $($attr)*);
        const NAME: &::core::primitive::str = $name;
        const BLOCKS: ::core::primitive::usize = $blocks;
        const SIZE: ::core::primitive::usize = $size;
        const ALIGN: ::core::primitive::usize = $align;
        const BOUNDS: ::core::primitive::bool = $bounds;
        $(
            const _: () = ::core::assert!(
                $crate::__private::rules::ram_section($section),
                "slab_core: `section` names a section that is not ordinary RAM data; \
                 any other section needs the user's `unsafe(…)`"
            );
            #[unsafe(link_section = $section)]
        )?
        $($attr)*
        // With slab-core's `track` feature, the blocks are followed by
        // their ownership records (`tracked_bytes` is 0 without it).
        static __SLAB_STORAGE: $crate::__private::Storage<
            $align_type,
            { $crate::__private::add_or_zero($bytes, $crate::__private::tracked_bytes(BLOCKS, SIZE)) },
        > = $crate::__private::Storage::new();
        static __SLAB_USED: $crate::__private::UsedMap<{ $words }> =
            $crate::__private::UsedMap::new();
        $crate::__private::$output(
            // SAFETY: `__SLAB_STORAGE` and `__SLAB_USED` are defined in this
            // block, which names them only here: no other slab is given
            // them, unless the block itself is evaluated twice (a `const
            // fn` wrapping it, called for two declarations through a
            // `crate = …` path). Then both slabs also get this block's one
            // `NAME` (a `const`, which cannot depend on the function's
            // arguments or generics), and `boot()` refuses two slabs of one
            // name before threading either (`registry::check_unique_names`;
            // `slab_core_boot` returns `-EINVAL`): neither hands out a
            // block. `slab-tests/tests/heap_facade_shared_storage.rs` keeps
            // that so. `declare` checks the sizes and alignment itself.
            unsafe {
                $crate::__private::declare(
                    NAME,
                    &__SLAB_STORAGE,
                    &__SLAB_USED,
                    SIZE,
                    ALIGN,
                    BLOCKS,
                    BOUNDS,
                )
            },
        )
    }};
}
pub use crate::__slab_core_declare as declare;

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
    (class $symbol:literal, $class:ident) => {
        $crate::__private::register!(@entry $symbol, $crate::__private::HeapClass::slab_of(&$class));
    };
    ($symbol:literal, $slab:ident) => {
        $crate::__private::register!(@entry $symbol, &$slab);
    };
    (@entry $symbol:literal, $slab:expr) => {
        // Any other `export_name` could take the name of a function or
        // static of the program (`memcpy`, `main`).
        const _: () = ::core::assert!(
            $crate::__private::rules::registry_symbol($symbol),
            "slab_core: a registry symbol starts with `slab_core.two_slabs_are_named.`"
        );

        #[$crate::__private::linkme::distributed_slice($crate::__private::SLAB_CORE_REGISTRY)]
        #[linkme(crate = $crate::__private::linkme)]
        static __SLAB_ENTRY: &'static $crate::MemSlab = $slab;

        #[used]
        #[unsafe(export_name = $symbol)]
        static __SLAB_NAME: () = ();
    };
}
pub use crate::__slab_core_register as register;

/// `boot()` for a pre-main constructor (see [`boot_before_main`]).
pub extern "C" fn boot_from_constructor() {
    crate::boot();
}

/// A constructor that the platform's loader or C runtime runs before
/// `main` (and before std's runtime start-up), calling [`boot()`](crate::boot):
/// `.init_array` on ELF systems (Linux, Android, the BSDs, illumos,
/// Solaris, Fuchsia, Haiku), `__DATA,__mod_init_func` on Apple's,
/// `.CRT$XCU` on Windows. Nothing on other targets (bare metal calls
/// `boot()` first thing in `main`). `slab_heap!` expands to it for a
/// `#[global_allocator]` heap: std allocates before `main`, and a heap that
/// is not booted returns null. A macro so that the `link_section` is
/// slab-core's; `boot()` is idempotent and never allocates, so a
/// constructor more or less changes nothing else.
#[doc(hidden)]
#[macro_export]
macro_rules! __slab_core_boot_before_main {
    () => {
        #[cfg(any(
            target_os = "linux",
            target_os = "android",
            target_os = "freebsd",
            target_os = "netbsd",
            target_os = "openbsd",
            target_os = "dragonfly",
            target_os = "illumos",
            target_os = "solaris",
            target_os = "fuchsia",
            target_os = "haiku",
        ))]
        #[used]
        #[unsafe(link_section = ".init_array")]
        static __SLAB_BOOT_BEFORE_MAIN: extern "C" fn() = $crate::__private::boot_from_constructor;

        #[cfg(target_vendor = "apple")]
        #[used]
        #[unsafe(link_section = "__DATA,__mod_init_func")]
        static __SLAB_BOOT_BEFORE_MAIN: extern "C" fn() = $crate::__private::boot_from_constructor;

        #[cfg(target_os = "windows")]
        #[used]
        #[unsafe(link_section = ".CRT$XCU")]
        static __SLAB_BOOT_BEFORE_MAIN: extern "C" fn() = $crate::__private::boot_from_constructor;
    };
}
pub use crate::__slab_core_boot_before_main as boot_before_main;

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

    /// The RAM sections a declaration may name without `unsafe(…)`:
    /// ordinary zero-initialised or uninitialised data.
    pub const RAM_SECTIONS: [&str; 4] = [".bss", ".noinit", ".uninit", ".data"];

    /// Whether `name` is one of [`RAM_SECTIONS`] or a subsection of one
    /// (`.uninit.NAME`, `.bss.dma`), but not `.data.rel.ro…` or
    /// `.bss.rel.ro…`: the linkers put those in the RELRO segment, which
    /// the loader makes read-only after relocating.
    pub const fn ram_section(name: &str) -> bool {
        let name = name.as_bytes();
        let mut i = 0;
        while i < RAM_SECTIONS.len() {
            let base = RAM_SECTIONS[i].as_bytes();
            if starts_with(name, base)
                && (name.len() == base.len()
                    || name.len() > base.len() + 1
                        && name[base.len()] == b'.'
                        && !starts_with(name.split_at(base.len()).1, b".rel.ro"))
            {
                return true;
            }
            i += 1;
        }
        false
    }

    /// Whether `symbol` is a registry symbol
    /// (`slab_core.two_slabs_are_named.…`).
    pub const fn registry_symbol(symbol: &str) -> bool {
        starts_with(symbol.as_bytes(), b"slab_core.two_slabs_are_named.")
    }

    const fn starts_with(s: &[u8], prefix: &[u8]) -> bool {
        if s.len() < prefix.len() {
            return false;
        }
        let mut i = 0;
        while i < prefix.len() {
            if s[i] != prefix[i] {
                return false;
            }
            i += 1;
        }
        true
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
