//! The C ABI (feature `capi`): Zephyr's `k_mem_slab_*` seed API with
//! Zephyr's names and return codes, over the same [`MemSlab`].
//!
//! The header is [`include/slab.h`](https://docs.rs/crate/slab-core/0.1.0/source/include/slab.h)
//! in this package, generated from this module by cbindgen
//! (`cbindgen.toml`, in the package too) and checked in; the project's
//! test suite fails when it is stale. The crate docs' "C ABI" section is
//! the guide; this module holds the mechanism.
//!
//! From Rust the functions are callable too (they are plain `extern "C"`
//! functions), e.g. on a Rust-declared slab found by name:
//!
//! ```
//! use slab_core::capi::{K_NO_WAIT, k_mem_slab_alloc, k_mem_slab_find, k_mem_slab_free_checked};
//! use slab_core::{MemSlab, mem_slab};
//!
//! #[mem_slab(blocks = 2, size = 32, name = "shared")]
//! static SHARED: MemSlab;
//!
//! fn main() {
//!     slab_core::boot();
//!     // SAFETY: a NUL-terminated name; `block` is written by alloc and
//!     // given back once.
//!     unsafe {
//!         let slab = k_mem_slab_find(c"shared".as_ptr());
//!         assert!(!slab.is_null());
//!         let mut block = core::ptr::null_mut();
//!         assert_eq!(k_mem_slab_alloc(slab, &mut block, K_NO_WAIT), 0);
//!         assert_eq!(SHARED.num_used(), 1);
//!         assert_eq!(k_mem_slab_free_checked(slab, block), 0);
//!         assert_eq!(k_mem_slab_free_checked(slab, block), -22); // -EINVAL: already free
//!     }
//!     assert_eq!(SHARED.num_used(), 0);
//! }
//! ```
//!
//! # A handle is a pointer to a word that says where the `MemSlab` is
//!
//! `struct k_mem_slab *` is what every function takes. Its first word tells
//! the two kinds of handle apart; it is read with a plain load through the
//! raw pointer (no reference to the handle's memory is ever made, and it is
//! never written, so the read races with nothing):
//!
//! - A Rust-declared slab: [`k_mem_slab_find`] returns the address of its
//!   entry in the registry, which is a `&'static MemSlab`: a non-null first
//!   word that points at the slab. The entry is read-only memory, one word
//!   long: nothing else of it is read, and nothing of it is written
//!   (`k_mem_slab_init` on it sees the non-null first word and returns
//!   `-EINVAL`).
//! - C storage (`struct k_mem_slab`, defined by C code with
//!   `K_MEM_SLAB_DEFINE` or as a plain variable for `k_mem_slab_init`): the
//!   first word stays null for good (the storage starts zeroed), the second
//!   word is the address of the `MemSlab` once it is published, and the
//!   `MemSlab` itself is at offset `max(align_of::<MemSlab>(), 2 words)`.
//!   A null second word means "not initialised": `-ENODEV`.
//!   `k_mem_slab_init` (or [`boot`](crate::boot) for a `K_MEM_SLAB_DEFINE`d
//!   slab) writes a fresh `MemSlab` there, initialises it, and only then
//!   publishes its address in the second word (an atomic Release store,
//!   which the Acquire load of every call pairs with).
//!
//! So every call costs one load (a Rust-declared slab) or two (C storage)
//! over the Rust API.
//!
//! # `K_MEM_SLAB_DEFINE`
//!
//! The macro (in the header) defines the block buffer, the `struct
//! k_mem_slab` storage (zeroed) and a [`k_mem_slab_definition`] that it
//! puts in the linker section `linkme_SLAB_CORE_C_SLABS`, the section of
//! the `linkme` distributed slice [`SLAB_CORE_C_SLABS`] (as Zephyr's
//! `K_MEM_SLAB_DEFINE` puts its slabs in an iterable section that its
//! kernel initialises at boot). [`boot`](crate::boot) walks that slice and
//! initialises each slab exactly as `k_mem_slab_init` would; before it the
//! slab answers `-ENODEV`, as a Rust-declared slab does. On bare metal the
//! section is kept in flash by `slab.x`.
//!
//! With `SLAB_CORE_TRACK` defined before including the header, the macro
//! also reserves the slab's ownership records after the blocks
//! ([`K_MEM_SLAB_RECORD_WORDS`] words per block) and says so in the
//! definition; a slab-core built with `track` then tracks the slab as it
//! tracks a declared one ([`mem_slab`] gives its `MemSlab`, whose
//! `holders()` show the C callers' `__FILE__` and `__LINE__`). Without
//! `track` in slab-core the records are left unused; without
//! `SLAB_CORE_TRACK` in C the slab is not tracked.
//!
//! # A Rust static library linked by C
//!
//! Where C links the program against a Rust `staticlib`, the linker takes
//! an archive member only for a symbol the program refers to. Built without
//! LTO, the library is a member per crate and codegen unit; the C ABI's
//! functions are in slab-core's members, and a slab's registry entry (in
//! the section the registry is read from, by its `__start_`/`__stop_`
//! symbols, which take no member) is in the member of the crate that
//! declares it, next to the slab's name symbol
//! `slab_core.two_slabs_are_named.<name>.give_one_of_them_a_name_key`.
//! `K_MEM_SLAB_IMPORT(<name>)` in the C
//! program refers to that symbol, so the member comes in with its entry (or
//! the link fails, naming the symbol, when no crate declares the slab).
//! Built with fat LTO, the library is one object, and any slab-core
//! function brings in every entry.
//!
//! # The layout, checked at build time
//!
//! `struct k_mem_slab` must have the same size and alignment in C and
//! Rust, and these depend on the pointer width and on whether slab-core is
//! built with `std` (which aligns a `MemSlab` to 128 bytes). The header
//! exports the four sizes and two alignments below and picks one with
//! `UINTPTR_MAX` and `SLAB_CORE_STD` (defined by the C program, or by
//! default 1 on Linux, macOS, Windows and the BSDs and 0 elsewhere):
//! - here, a const assertion fails the build if a `MemSlab` does not fit
//!   the layout chosen for this build;
//! - in C, `_Static_assert`s check the struct against those constants, and
//!   every `K_MEM_SLAB_DEFINE` and every call of `k_mem_slab_init` (a
//!   macro in the header around the function, reading one byte) refers to
//!   the symbol `slab_core_capi_std` or `slab_core_capi_bare`, of which
//!   this crate defines only the one that matches its build: a C program
//!   compiled with the wrong `SLAB_CORE_STD` fails to link.
#![allow(non_camel_case_types)]

use core::cell::UnsafeCell;
use core::ffi::{CStr, c_char, c_int, c_void};
use core::mem::{MaybeUninit, align_of, size_of};
use core::ptr::{self, NonNull};
use core::sync::atomic::{AtomicBool, AtomicPtr, Ordering};
use core::time::Duration;

use crate::error::errno;
use crate::registry::{self, SLAB_CORE_REGISTRY};
use crate::{MemSlab, Timeout};

/// Size in bytes of `struct k_mem_slab` on 32-bit targets, slab-core
/// without `std`.
pub const K_MEM_SLAB_SIZE_BARE_32: usize = 128;
/// Size in bytes of `struct k_mem_slab` on 64-bit targets, slab-core
/// without `std`.
pub const K_MEM_SLAB_SIZE_BARE_64: usize = 256;
/// Size in bytes of `struct k_mem_slab` on 32-bit targets, slab-core with
/// `std`.
pub const K_MEM_SLAB_SIZE_STD_32: usize = 384;
/// Size in bytes of `struct k_mem_slab` on 64-bit targets, slab-core with
/// `std`.
pub const K_MEM_SLAB_SIZE_STD_64: usize = 512;
/// Alignment in bytes of `struct k_mem_slab`, slab-core without `std`.
pub const K_MEM_SLAB_ALIGN_BARE: usize = 8;
/// Alignment in bytes of `struct k_mem_slab`, slab-core with `std`.
pub const K_MEM_SLAB_ALIGN_STD: usize = 128;

/// This build's size of `struct k_mem_slab` (0: no layout for this
/// pointer width, which the assertion below reports).
const SIZE: usize = match (cfg!(feature = "std"), usize::BITS) {
    (false, 32) => K_MEM_SLAB_SIZE_BARE_32,
    (false, 64) => K_MEM_SLAB_SIZE_BARE_64,
    (true, 32) => K_MEM_SLAB_SIZE_STD_32,
    (true, 64) => K_MEM_SLAB_SIZE_STD_64,
    _ => 0,
};
/// This build's alignment of `struct k_mem_slab`.
const ALIGN: usize = if cfg!(feature = "std") {
    K_MEM_SLAB_ALIGN_STD
} else {
    K_MEM_SLAB_ALIGN_BARE
};
/// The pointer word.
const WORD: usize = size_of::<usize>();
/// Where C storage publishes its `MemSlab` (the second word; the first
/// stays null).
const PUBLISHED_OFFSET: usize = WORD;
/// Where the `MemSlab` lives inside C storage: after the two words, at its
/// own alignment.
const SLAB_OFFSET: usize = (PUBLISHED_OFFSET + WORD).next_multiple_of(align_of::<MemSlab>());

const _: () = {
    assert!(
        SIZE != 0,
        "capi: struct k_mem_slab has no layout for this pointer width"
    );
    assert!(
        size_of::<k_mem_slab>() == SIZE && align_of::<k_mem_slab>() == ALIGN,
        "capi: the Rust struct k_mem_slab differs from the layout slab.h gives C"
    );
    assert!(
        size_of::<*mut MemSlab>() == WORD
            && size_of::<AtomicPtr<MemSlab>>() == WORD
            && align_of::<AtomicPtr<MemSlab>>() <= WORD
            && PUBLISHED_OFFSET + WORD <= SLAB_OFFSET
            && ALIGN >= WORD,
        "capi: the handle's two words overlap the MemSlab or are misaligned"
    );
    assert!(
        SLAB_OFFSET + size_of::<MemSlab>() <= SIZE && align_of::<MemSlab>() <= ALIGN,
        "capi: a MemSlab no longer fits struct k_mem_slab: raise K_MEM_SLAB_SIZE_* \
         (or K_MEM_SLAB_ALIGN_*) and regenerate slab.h"
    );
};

/// A slab as C sees it (`struct k_mem_slab`): storage of the size and
/// alignment the header gives C, opaque to it. Its first word points at
/// the [`MemSlab`] once initialised (see the module docs); C code only
/// ever passes its address.
#[repr(C)]
#[cfg_attr(feature = "std", repr(align(128)))]
#[cfg_attr(not(feature = "std"), repr(align(8)))]
pub struct k_mem_slab {
    opaque: UnsafeCell<[MaybeUninit<u8>; SIZE]>,
}

/// What `K_MEM_SLAB_DEFINE` records for `boot()`: the slab's
/// storage, its buffer and shape, its name, and the build check (see the
/// module docs). C code writes these in the header's macro; nothing else
/// can: its fields are private to Rust, so safe Rust code cannot make one
/// (with wild pointers in it, `boot()` would write through them).
#[repr(C)]
pub struct k_mem_slab_definition {
    /// The zeroed storage the slab is initialised in.
    slab: *mut k_mem_slab,
    /// `block_size × num_blocks` bytes, aligned as declared.
    buffer: *mut c_void,
    /// Bytes per block, already rounded up to a multiple of the word.
    block_size: usize,
    /// Number of blocks.
    num_blocks: u32,
    /// 1 when the buffer is followed by the slab's ownership records,
    /// [`K_MEM_SLAB_RECORD_WORDS`] words per block (`SLAB_CORE_TRACK`),
    /// else 0. (In the padding after `num_blocks` on 64-bit targets.)
    tracked: u32,
    /// The C identifier, for `k_mem_slab_find`.
    name: *const c_char,
    /// `&slab_core_capi_std` or `&slab_core_capi_bare`: resolved by the
    /// linker only when C and Rust agree on `std`.
    config: *const u8,
}

/// The words of ownership records per block that `K_MEM_SLAB_DEFINE`
/// reserves after the blocks with `SLAB_CORE_TRACK` (see the module docs):
/// the size of a `MemSlab` record with the `track` feature.
pub const K_MEM_SLAB_RECORD_WORDS: usize = 2;

#[cfg(feature = "track")]
const _: () = assert!(
    size_of::<crate::slab::track::Record>() == K_MEM_SLAB_RECORD_WORDS * size_of::<usize>(),
    "capi: a track record is no longer K_MEM_SLAB_RECORD_WORDS words: change it and regenerate slab.h"
);

/// The size of a [`k_mem_slab_definition`] and the offsets of its storage,
/// buffer, block size, block count and name, for the layout descriptor
/// that tools reading a firmware image use (`slab_core_layout`).
pub(crate) const DEFINITION_LAYOUT: [u32; 6] = [
    size_of::<k_mem_slab_definition>() as u32,
    core::mem::offset_of!(k_mem_slab_definition, slab) as u32,
    core::mem::offset_of!(k_mem_slab_definition, buffer) as u32,
    core::mem::offset_of!(k_mem_slab_definition, block_size) as u32,
    core::mem::offset_of!(k_mem_slab_definition, num_blocks) as u32,
    core::mem::offset_of!(k_mem_slab_definition, name) as u32,
];

// SAFETY: a definition is written once by the C compiler and only read;
// the storage and buffer it points at are reached through `MemSlab`, which
// is `Sync`.
unsafe impl Sync for k_mem_slab_definition {}

/// Every `K_MEM_SLAB_DEFINE` linked into the program (C code puts its
/// entries in the section directly).
#[linkme::distributed_slice]
pub static SLAB_CORE_C_SLABS: [k_mem_slab_definition];

/// Defined when slab-core is built with `std`: `K_MEM_SLAB_DEFINE` refers to
/// it when the C side was compiled with `SLAB_CORE_STD` 1.
#[cfg(feature = "std")]
#[unsafe(no_mangle)]
pub static slab_core_capi_std: u8 = 1;

/// Defined when slab-core is built without `std`: `K_MEM_SLAB_DEFINE`
/// refers to it when the C side was compiled with `SLAB_CORE_STD` 0.
#[cfg(not(feature = "std"))]
#[unsafe(no_mangle)]
pub static slab_core_capi_bare: u8 = 0;

/// Zephyr's `EAGAIN` (the functions return it negated): no block within the
/// timeout. The same value as Linux's and newlib's `<errno.h>`.
pub const SLAB_EAGAIN: c_int = 11;
/// Zephyr's `ENOMEM`: no free block and no wait.
pub const SLAB_ENOMEM: c_int = 12;
/// Zephyr's `EFAULT`: the free list is corrupted.
pub const SLAB_EFAULT: c_int = 14;
/// Zephyr's `ENODEV`: the slab is not initialised (or not booted).
pub const SLAB_ENODEV: c_int = 19;
/// Zephyr's `EINVAL`: a bad parameter or pointer.
pub const SLAB_EINVAL: c_int = 22;
/// Zephyr's `ENOTSUP`: not possible in this build (a finite timeout with no
/// clock registered on bare metal, a clock registered where the host's is
/// used). Zephyr's and newlib's value; Linux's `<errno.h>` says 95.
pub const SLAB_ENOTSUP: c_int = 134;

const _: () = assert!(
    -SLAB_EAGAIN == errno::EAGAIN
        && -SLAB_ENOMEM == errno::ENOMEM
        && -SLAB_EFAULT == errno::EFAULT
        && -SLAB_ENODEV == errno::ENODEV
        && -SLAB_EINVAL == errno::EINVAL,
    "capi: the exported error numbers are the crate's"
);

/// Ticks of a `k_timeout_t`: microseconds.
pub type k_ticks_t = i64;

/// Ticks per second of `k_timeout_t` (a tick is a microsecond).
pub const K_TICKS_PER_SEC: k_ticks_t = 1_000_000;

/// How long `k_mem_slab_alloc` may wait (Zephyr's `k_timeout_t`): build it
/// with `K_NO_WAIT`, `K_FOREVER`, `K_MSEC(ms)` or `K_USEC(us)`.
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct k_timeout_t {
    /// Microseconds to wait; 0 is no wait, -1 forever, any other negative
    /// value is invalid (`-EINVAL`).
    pub ticks: k_ticks_t,
}

/// Do not wait.
pub const K_NO_WAIT: k_timeout_t = k_timeout_t { ticks: 0 };
/// Wait as long as it takes.
pub const K_FOREVER: k_timeout_t = k_timeout_t { ticks: -1 };

impl k_timeout_t {
    /// The Rust timeout, or `None` for an invalid (negative, not forever)
    /// value.
    fn to_timeout(self) -> Option<Timeout> {
        match self.ticks {
            -1 => Some(Timeout::Forever),
            0 => Some(Timeout::NoWait),
            t if t > 0 => Some(Timeout::After(Duration::from_micros(t as u64))),
            _ => None,
        }
    }
}

/// The first word of a handle: the slab of a Rust-declared one, null for C
/// storage.
///
/// # Safety
/// `handle` is non-null and points at a `struct k_mem_slab` or at an entry
/// of the registry (see the module docs).
unsafe fn first_word(handle: *const k_mem_slab) -> *mut MemSlab {
    // SAFETY: both kinds of handle start with a pointer-sized, aligned word
    // (C storage is aligned to at least 8; a registry entry is a
    // `&'static MemSlab`) that nobody writes: a plain read through the raw
    // pointer, which makes no reference, so read-only memory (a registry
    // entry) is only ever read, and nothing races with it.
    unsafe { handle.cast::<*mut MemSlab>().read() }
}

/// The second word of C storage, where its `MemSlab` is published.
///
/// # Safety
/// `storage` points at a `struct k_mem_slab` (C storage, not a registry
/// entry: its first word is null), which stays put for the program.
unsafe fn published<'a>(storage: *const k_mem_slab) -> &'a AtomicPtr<MemSlab> {
    // SAFETY: C storage is writable, at least `SLAB_OFFSET` bytes and
    // aligned to at least a word (the const assertions), and its second
    // word is only ever accessed atomically, through this reference.
    unsafe {
        &*storage
            .cast::<u8>()
            .add(PUBLISHED_OFFSET)
            .cast::<AtomicPtr<MemSlab>>()
    }
}

/// The slab behind `handle`: `-EINVAL` for null, `-ENODEV` while it has
/// none yet.
///
/// # Safety
/// `handle` is null or a handle (see [`first_word`]).
unsafe fn slab_of(handle: *const k_mem_slab) -> Result<&'static MemSlab, c_int> {
    if handle.is_null() {
        return Err(errno::EINVAL);
    }
    // SAFETY: non-null, a handle by the caller's contract.
    let declared = unsafe { first_word(handle) };
    let slab = if declared.is_null() {
        // SAFETY: a null first word: C storage. Acquire pairs with the
        // Release store that published the slab.
        unsafe { published(handle) }.load(Ordering::Acquire)
    } else {
        declared
    };
    // SAFETY: a declared slab is a `&'static MemSlab` (the registry); a
    // published one was initialised in static storage before its address
    // was stored (Release), and is never moved or written as a whole again.
    NonNull::new(slab).map_or(Err(errno::ENODEV), |p| Ok(unsafe { p.as_ref() }))
}

/// The `MemSlab` behind a C handle (`k_mem_slab_find`'s, a
/// `K_MEM_SLAB_DEFINE`d slab's address, or storage given to
/// `k_mem_slab_init`), for Rust code that reports on C's slabs (e.g. the
/// holders of a tracked `K_MEM_SLAB_DEFINE`d slab); `None` for null and
/// while the slab is not initialised.
///
/// ```
/// use slab_core::{MemSlab, mem_slab};
///
/// #[mem_slab(blocks = 2, size = 16)]
/// static POOL: MemSlab;
///
/// fn main() {
///     slab_core::boot();
///     // SAFETY: a NUL-terminated name; the handle it returns.
///     let slab = unsafe {
///         let handle = slab_core::capi::k_mem_slab_find(c"POOL".as_ptr());
///         slab_core::capi::mem_slab(handle)
///     };
///     assert!(slab.is_some_and(|s| core::ptr::eq(s, &POOL)));
///     // SAFETY: null is refused.
///     assert!(unsafe { slab_core::capi::mem_slab(core::ptr::null()) }.is_none());
/// }
/// ```
///
/// # Safety
/// `handle` is null or points at a `struct k_mem_slab` (a C definition or
/// storage, or a registry entry as `k_mem_slab_find` returns it).
pub unsafe fn mem_slab(handle: *const k_mem_slab) -> Option<&'static MemSlab> {
    // SAFETY: the caller's contract is `slab_of`'s.
    unsafe { slab_of(handle) }.ok()
}

/// Serialises initialisation of C storage (rare: `k_mem_slab_init` and
/// `boot`). With `std` a mutex (the slabs' own locks are not critical
/// sections there); without, a critical section.
#[cfg(feature = "std")]
fn with_init_lock<R>(f: impl FnOnce() -> R) -> R {
    static INIT_LOCK: std::sync::Mutex<()> = std::sync::Mutex::new(());
    let _guard = INIT_LOCK.lock().unwrap_or_else(|e| e.into_inner());
    f()
}

#[cfg(not(feature = "std"))]
fn with_init_lock<R>(f: impl FnOnce() -> R) -> R {
    critical_section::with(|_| f())
}

/// Initialises C storage over `buffer`: a fresh `MemSlab`, `init`, then
/// publication. `-EINVAL`, changing nothing, when the storage already has
/// a slab or `init` refuses the shape.
///
/// # Safety
/// `storage` points at a `struct k_mem_slab` (not a registry entry) that
/// stays put for the rest of the program; `buffer` is `bytes` bytes that
/// only this slab uses from now on, for the rest of the program.
unsafe fn init_storage(
    storage: *mut k_mem_slab,
    buffer: *mut u8,
    bytes: usize,
    block_size: usize,
    num_blocks: usize,
    tracked: bool,
    name: &'static str,
) -> c_int {
    with_init_lock(|| {
        // SAFETY: a handle by the caller's contract. A registry entry (a
        // non-null first word) is refused here, before anything past its
        // one word is touched.
        if !unsafe { first_word(storage) }.is_null() {
            return errno::EINVAL;
        }
        // SAFETY: C storage (its first word is null).
        let word = unsafe { published(storage) };
        // Relaxed: the lock orders initialisations.
        if !word.load(Ordering::Relaxed).is_null() {
            return errno::EINVAL;
        }
        let fresh = MemSlab::new().with_name(name);
        #[cfg(feature = "track")]
        let fresh = if tracked {
            // `init` then checks that `bytes` has room for the records.
            fresh.with_records()
        } else {
            fresh
        };
        #[cfg(not(feature = "track"))]
        let _ = tracked;
        // SAFETY: the storage is at least `SLAB_OFFSET + size_of::<MemSlab>()`
        // bytes and aligned for a `MemSlab` there (the const assertions);
        // no slab is published in it, so nothing else refers to those bytes
        // (a refused earlier attempt left an unpublished `MemSlab`, which
        // owns nothing and needs no drop).
        let slab = unsafe {
            let slab = storage.cast::<u8>().add(SLAB_OFFSET).cast::<MemSlab>();
            slab.write(fresh);
            &*slab
        };
        // SAFETY: the caller gives this slab the buffer for good.
        let buffer = unsafe { core::slice::from_raw_parts_mut(buffer, bytes) };
        match slab.init(buffer, block_size, num_blocks) {
            Ok(()) => {
                word.store(ptr::from_ref(slab).cast_mut(), Ordering::Release);
                0
            }
            Err(e) => e.errno(),
        }
    })
}

/// The bytes of `num_blocks` blocks of `block_size`: `None` when that
/// overflows or exceeds `isize::MAX` (`PTRDIFF_MAX`), beyond which no
/// object (and no slice over it) can exist.
fn shape_bytes(block_size: usize, num_blocks: u32) -> Option<usize> {
    block_size
        .checked_mul(num_blocks as usize)
        .filter(|&b| b <= isize::MAX as usize)
}

/// Initialises every `K_MEM_SLAB_DEFINE`d slab that is not initialised yet
/// (the last step of [`boot`](crate::boot) and of [`slab_core_boot`]).
pub(crate) fn boot_defined() {
    for def in SLAB_CORE_C_SLABS {
        // The macro's static assertions refuse such a shape at compile
        // time; a definition that got past them anyway stays `-ENODEV`.
        let Some(blocks) = shape_bytes(def.block_size, def.num_blocks) else {
            continue;
        };
        // With records, the macro's buffer has them after the blocks.
        let tracked = def.tracked != 0;
        let records = if tracked {
            shape_bytes(K_MEM_SLAB_RECORD_WORDS * size_of::<usize>(), def.num_blocks)
        } else {
            Some(0)
        };
        let Some(bytes) = records.and_then(|r| blocks.checked_add(r)) else {
            continue;
        };
        // SAFETY: the macro stores a string literal (`#slab_name`), which
        // lives as long as the program; a C identifier is ASCII.
        let name = unsafe { CStr::from_ptr(def.name) }.to_str().unwrap_or("");
        // SAFETY: the macro defined `slab` and `buffer` as statics for this
        // slab alone; a slab already initialised is left as it is.
        let _ = unsafe {
            init_storage(
                def.slab,
                def.buffer.cast(),
                bytes,
                def.block_size,
                def.num_blocks as usize,
                tracked,
                name,
            )
        };
    }
}

/// Whether `handle` is a `K_MEM_SLAB_DEFINE`d slab (which only `boot`
/// initialises).
fn is_defined(handle: *const k_mem_slab) -> bool {
    SLAB_CORE_C_SLABS
        .iter()
        .any(|d| ptr::eq(d.slab.cast_const(), handle))
}

fn count(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

/// `k_mem_slab_init`: initialises `slab` over `buffer`, `num_blocks` blocks of
/// `block_size` bytes. Returns 0, or `-EINVAL` (changing nothing) for a null
/// `slab` or `buffer`, a `block_size` of 0 or not a multiple of the pointer
/// word, a buffer not word-aligned, a `num_blocks` of 0, a size that
/// overflows (or exceeds `PTRDIFF_MAX`), a slab already initialised, a
/// `K_MEM_SLAB_DEFINE`d slab or a Rust-declared one.
///
/// # Safety
/// `slab` is null or points at a `struct k_mem_slab` that is zeroed or was
/// passed to `k_mem_slab_init` before, and stays put for the rest of the
/// program, or is a handle from `k_mem_slab_find`; `buffer` is null or
/// `block_size × num_blocks` bytes that only this slab uses from now on,
/// for the rest of the program.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn k_mem_slab_init(
    slab: *mut k_mem_slab,
    buffer: *mut c_void,
    block_size: usize,
    num_blocks: u32,
) -> c_int {
    if slab.is_null() || buffer.is_null() || is_defined(slab) {
        return errno::EINVAL;
    }
    let Some(bytes) = shape_bytes(block_size, num_blocks) else {
        return errno::EINVAL;
    };
    // SAFETY: the caller's contract; a handle from `k_mem_slab_find` has a
    // non-null first word and is refused before anything is written.
    unsafe {
        init_storage(
            slab,
            buffer.cast(),
            bytes,
            block_size,
            num_blocks as usize,
            false,
            "",
        )
    }
}

/// `k_mem_slab_alloc`: a block in `*mem`, waiting up to `timeout`. Returns 0;
/// `-ENOMEM` (none free, `K_NO_WAIT`), `-EAGAIN` (none freed within the
/// timeout), `-ENODEV` (not initialised, or before `boot()`), `-EINVAL`
/// (null `slab` or `mem`, or a negative timeout other than `K_FOREVER`),
/// `-EFAULT` (the free list is corrupted), or, on bare metal (slab-core
/// without `std`), `-ENOTSUP` (`-SLAB_ENOTSUP`) for a finite timeout that
/// would have to wait while no clock is registered (see
/// `k_mem_slab_set_clock`; `K_NO_WAIT` and `K_FOREVER` need none). On
/// failure `*mem` is set to NULL (unless `mem` is null). `K_NO_WAIT` never
/// blocks and is interrupt-safe. Never aborts the program.
///
/// # Safety
/// `slab` is null or a handle (a `struct k_mem_slab` or a result of
/// `k_mem_slab_find`); `mem` is null or valid for a pointer write.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn k_mem_slab_alloc(
    slab: *mut k_mem_slab,
    mem: *mut *mut c_void,
    timeout: k_timeout_t,
) -> c_int {
    if mem.is_null() {
        return errno::EINVAL;
    }
    // SAFETY: `mem` is valid for a write (the caller's contract).
    unsafe { mem.write(ptr::null_mut()) };
    // SAFETY: the caller's contract.
    let slab = match unsafe { slab_of(slab) } {
        Ok(slab) => slab,
        Err(e) => return e,
    };
    let Some(timeout) = timeout.to_timeout() else {
        return errno::EINVAL;
    };
    match alloc_measurable(slab, timeout) {
        Ok(block) => {
            // SAFETY: as above.
            unsafe { mem.write(block.as_ptr().cast()) };
            0
        }
        Err(e) => e,
    }
}

/// Where a C caller allocates (`__FILE__`, `__LINE__`), for
/// `k_mem_slab_alloc_at`: kept in a static of the call site, which `slab.h`'s
/// `k_mem_slab_alloc` macro defines when `SLAB_CORE_TRACK` is defined.
#[repr(C)]
pub struct k_mem_slab_site {
    /// `__FILE__`: a NUL-terminated string that lives as long as the
    /// program.
    pub file: *const c_char,
    /// `__LINE__`.
    pub line: u32,
}

/// `k_mem_slab_alloc`, recording `site` as the block's holder when
/// slab-core has its `track` feature (`MemSlab::holders()`, the registry's
/// table); without it, or with a null `site`, exactly `k_mem_slab_alloc`.
/// `slab.h` makes `k_mem_slab_alloc(slab, mem, timeout)` call this with the
/// caller's `__FILE__` and `__LINE__` when `SLAB_CORE_TRACK` is defined
/// (GCC and Clang: a statement expression holds the static site).
///
/// # Safety
/// As `k_mem_slab_alloc`; `site` is null or points at a
/// `k_mem_slab_site` that, with the string it points at, lives as long as
/// the program (a static).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn k_mem_slab_alloc_at(
    slab: *mut k_mem_slab,
    mem: *mut *mut c_void,
    timeout: k_timeout_t,
    site: *const k_mem_slab_site,
) -> c_int {
    // SAFETY: the caller's contract (that of `k_mem_slab_alloc`).
    let result = unsafe { k_mem_slab_alloc(slab, mem, timeout) };
    #[cfg(feature = "track")]
    if result == 0
        && !site.is_null()
        // SAFETY: the caller's contract: a handle, which
        // `k_mem_slab_alloc` just used.
        && let Ok(slab) = unsafe { slab_of(slab) }
        // SAFETY: `mem` held the block (a success wrote it).
        && let Some(block) = NonNull::new(unsafe { mem.read() }.cast::<u8>())
    {
        // SAFETY: a static of the caller's (its contract).
        let site = unsafe { &*site.cast::<crate::track::CSite>() };
        slab.track_taken(block, crate::track::SiteWord::C(site));
    }
    #[cfg(not(feature = "track"))]
    let _ = site;
    result
}

/// `slab.alloc(timeout)`, except that a finite timeout that would have to
/// wait with no clock to measure it is `-ENOTSUP` (bare metal), where Rust
/// panics: a panic cannot cross into C.
fn alloc_measurable(slab: &MemSlab, timeout: Timeout) -> Result<NonNull<u8>, c_int> {
    #[cfg(not(feature = "std"))]
    if matches!(timeout, Timeout::After(_)) && !crate::port::bare::has_clock() {
        // A free block needs no clock (as in Rust, which reads the clock
        // only once it has to wait).
        return match slab.alloc(Timeout::NoWait) {
            Ok(block) => Ok(block),
            Err(crate::AllocError::NoMemory) => Err(-SLAB_ENOTSUP),
            Err(e) => Err(e.errno()),
        };
    }
    slab.alloc(timeout).map_err(|e| e.errno())
}

/// Not in Zephyr: registers the monotonic clock that finite timeouts are
/// measured with on bare metal (slab-core without `std`), as
/// `slab_core::set_clock` does from Rust (the last registration, from
/// either side, wins, for the waits that start after it). `now` returns a
/// tick count that never goes backwards and does not wrap in the device's
/// lifetime (e.g. a 1 kHz SysTick count kept in a `uint64_t`);
/// `ticks_per_second` is its rate.
/// `now` is called in thread mode, outside any critical section, and must
/// not block. Without a clock, `K_NO_WAIT` and `K_FOREVER` work, and a
/// finite timeout that has to wait is `-ENOTSUP`.
///
/// Returns 0; `-EINVAL` for a null `now` or a `ticks_per_second` of 0
/// (nothing changes); `-ENOTSUP` (`-SLAB_ENOTSUP`) when slab-core is built
/// with `std`, where finite timeouts use the host's monotonic clock and
/// none can be registered (nothing changes).
///
/// # Safety
/// `now` is null or a function that may be called, as above, for the rest
/// of the program.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn k_mem_slab_set_clock(
    now: Option<unsafe extern "C" fn() -> u64>,
    ticks_per_second: u64,
) -> c_int {
    let Some(now) = now else {
        return errno::EINVAL;
    };
    if ticks_per_second == 0 {
        return errno::EINVAL;
    }
    #[cfg(feature = "std")]
    {
        let _ = now;
        -SLAB_ENOTSUP
    }
    #[cfg(not(feature = "std"))]
    {
        // SAFETY: the caller's contract; the rate is above 0.
        unsafe { crate::port::bare::set_c_clock(now, ticks_per_second) };
        0
    }
}

/// `k_mem_slab_free`: returns `mem` to `slab` (to the most urgent waiter, if
/// one waits). A pointer that is not an allocated block of the slab is
/// refused and nothing changes; use `k_mem_slab_free_checked` to learn why.
/// (A Rust-declared slab with `checks = "bounds"` detects a double free
/// only while nothing is allocated, as in Rust.) Never blocks;
/// interrupt-safe.
///
/// # Safety
/// As `k_mem_slab_free_checked`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn k_mem_slab_free(slab: *mut k_mem_slab, mem: *mut c_void) {
    // SAFETY: the same contract.
    let _ = unsafe { k_mem_slab_free_checked(slab, mem) };
}

/// `k_mem_slab_free` with its result: 0; `-EINVAL` for a null `slab` or
/// `mem`, a pointer outside the slab's buffer or not at a block start, or a
/// block that is already free; `-ENODEV` before the slab is initialised. A
/// refused free changes nothing. Except: a Rust-declared slab with
/// `checks = "bounds"` (Zephyr's `CONFIG_MEM_SLAB_POINTER_VALIDATE`) keeps
/// no free flags, so it takes a double free (0) while another block is
/// allocated, and then hands that block out twice, as in Rust.
///
/// # Safety
/// `slab` is null or a handle; when `mem` is an allocated block of the slab,
/// the caller gives it up (nothing may use it afterwards).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn k_mem_slab_free_checked(slab: *mut k_mem_slab, mem: *mut c_void) -> c_int {
    // SAFETY: the caller's contract.
    let slab = match unsafe { slab_of(slab) } {
        Ok(slab) => slab,
        Err(e) => return e,
    };
    let Some(block) = NonNull::new(mem.cast::<u8>()) else {
        return errno::EINVAL;
    };
    // SAFETY: the caller gives the block up; anything that is not an
    // allocated block of this slab is refused without being touched.
    match unsafe { slab.free(block) } {
        Ok(()) => 0,
        Err(e) => e.errno(),
    }
}

/// `k_mem_slab_num_used_get`: blocks allocated (0 for a null or
/// uninitialised slab).
///
/// # Safety
/// `slab` is null or a handle.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn k_mem_slab_num_used_get(slab: *mut k_mem_slab) -> u32 {
    // SAFETY: the caller's contract.
    unsafe { slab_of(slab) }.map_or(0, |s| count(s.num_used()))
}

/// `k_mem_slab_num_free_get`: blocks free (0 for a null or uninitialised
/// slab).
///
/// # Safety
/// `slab` is null or a handle.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn k_mem_slab_num_free_get(slab: *mut k_mem_slab) -> u32 {
    // SAFETY: the caller's contract.
    unsafe { slab_of(slab) }.map_or(0, |s| count(s.num_free()))
}

/// `k_mem_slab_max_used_get`: the high-water mark of blocks allocated (0
/// for a null or uninitialised slab).
///
/// # Safety
/// `slab` is null or a handle.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn k_mem_slab_max_used_get(slab: *mut k_mem_slab) -> u32 {
    // SAFETY: the caller's contract.
    unsafe { slab_of(slab) }.map_or(0, |s| count(s.max_used()))
}

/// Not in Zephyr: how many callers wait for a block of `slab` right now (0
/// for a null or uninitialised slab). Tests use it as the signal that a
/// waiter is queued.
///
/// # Safety
/// `slab` is null or a handle.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn k_mem_slab_num_waiting_get(slab: *mut k_mem_slab) -> u32 {
    // SAFETY: the caller's contract.
    unsafe { slab_of(slab) }.map_or(0, |s| count(s.num_waiting()))
}

/// Not in Zephyr: the slab named `name`: a Rust-declared slab by its
/// registry name, else a `K_MEM_SLAB_DEFINE`d one by its C identifier;
/// NULL when there is none (or `name` is null). Any bytes are a name
/// (compared as bytes, of any length): one that names no slab is NULL. A
/// Rust-declared slab answers `-ENODEV` until `boot()`, as it does in
/// Rust. A C program that links a Rust static library built without LTO
/// finds only the Rust slabs it names with `K_MEM_SLAB_IMPORT` (see the
/// module docs).
///
/// # Safety
/// `name` is null or a NUL-terminated string.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn k_mem_slab_find(name: *const c_char) -> *mut k_mem_slab {
    if name.is_null() {
        return ptr::null_mut();
    }
    // SAFETY: NUL-terminated by the caller's contract.
    let name = unsafe { CStr::from_ptr(name) }.to_bytes();
    if let Some(entry) = SLAB_CORE_REGISTRY
        .iter()
        .find(|s| s.name().as_bytes() == name)
    {
        // The entry is a `&'static MemSlab`: a word pointing at the slab.
        return ptr::from_ref(entry).cast::<k_mem_slab>().cast_mut();
    }
    SLAB_CORE_C_SLABS
        .iter()
        // SAFETY: the macro stores a string literal.
        .find(|d| unsafe { CStr::from_ptr(d.name) }.to_bytes() == name)
        .map_or(ptr::null_mut(), |d| d.slab)
}

/// Not in Zephyr: slab-core's `boot()` for C programs: threads every
/// Rust-declared and `K_MEM_SLAB_DEFINE`d slab; later calls do nothing.
/// Returns 0, or `-EINVAL` when two Rust-declared slabs have one registry
/// name (which only a build that internalises the names' symbols lets
/// through, e.g. cross-crate ThinLTO; Rust's `boot()` panics there): then
/// no slab is threaded and every one keeps answering `-ENODEV`.
#[unsafe(no_mangle)]
pub extern "C" fn slab_core_boot() -> c_int {
    // The names are checked once (n(n-1)/2 comparisons), as `boot()` does.
    static NAMES_UNIQUE: AtomicBool = AtomicBool::new(false);
    if !names_unique(&NAMES_UNIQUE, &SLAB_CORE_REGISTRY) {
        return errno::EINVAL;
    }
    // `boot()`'s sequence, which cannot panic now: its only panic is a
    // duplicate name.
    registry::boot_with(boot_defined);
    0
}

/// Whether `slabs` have unique names, checked until a check passes:
/// `checked` records that, so that every later call costs one load.
fn names_unique(checked: &AtomicBool, slabs: &[&'static MemSlab]) -> bool {
    if !checked.load(Ordering::Acquire) {
        if crate::registry::has_duplicate_name(slabs) {
            return false;
        }
        checked.store(true, Ordering::Release);
    }
    true
}

#[cfg(test)]
mod tests;
