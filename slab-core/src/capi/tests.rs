//! Unit tests of the C ABI's handles, also for miri, under both of its
//! aliasing models: `MIRIFLAGS=-Zmiri-ignore-leaks cargo +nightly miri test
//! -p slab-core --lib --features capi,std -- capi::` (Stacked Borrows), and
//! the same with `-Zmiri-tree-borrows` added. miri cannot see linker
//! sections, so a Rust-declared slab's handle is made here exactly as
//! `k_mem_slab_find` makes it: the address of an immutable
//! `&'static MemSlab`, which is what a registry entry is (read-only memory,
//! one word long). C storage is set up with `init_storage`, what
//! `k_mem_slab_init` runs after its checks (which read the linker section of
//! `K_MEM_SLAB_DEFINE`d slabs).

extern crate std;

use core::ptr;
use std::boxed::Box;

use super::*;

/// The handle `k_mem_slab_find` returns for a registry entry.
fn entry_handle(entry: &'static &'static MemSlab) -> *mut k_mem_slab {
    ptr::from_ref(entry).cast::<k_mem_slab>().cast_mut()
}

/// `bytes` leaked, word-aligned bytes.
fn leak_buffer(bytes: usize) -> &'static mut [u8] {
    let words = Box::leak(std::vec![0usize; bytes.div_ceil(WORD)].into_boxed_slice());
    // SAFETY: leaked words live forever; any bytes are valid u8.
    unsafe { core::slice::from_raw_parts_mut(words.as_mut_ptr().cast::<u8>(), bytes) }
}

/// Zeroed C storage, leaked (as a C static is zeroed and stays put).
fn c_storage() -> *mut k_mem_slab {
    let storage: &'static k_mem_slab = Box::leak(Box::new(k_mem_slab {
        opaque: UnsafeCell::new([MaybeUninit::new(0); SIZE]),
    }));
    ptr::from_ref(storage).cast_mut()
}

/// A declared slab and its registry entry: an immutable static holding
/// a `&'static MemSlab`. (The slab is initialised at run time here, since
/// miri has no `boot()`; the entry is what matters.)
static SLAB: MemSlab = MemSlab::new();
static ENTRY: &MemSlab = &SLAB;

/// Reading a registry entry's handle makes no write-capable reference over
/// its read-only word (which Stacked Borrows reports), and reads nothing
/// past that word.
#[test]
fn a_registry_entry_handle_reaches_its_slab() {
    let bytes = 2 * WORD;
    SLAB.init(leak_buffer(2 * bytes), bytes, 2).unwrap();
    let handle = entry_handle(&ENTRY);
    let mut block = ptr::null_mut();
    // SAFETY: `handle` is a registry-entry handle; `block` is written by
    // alloc and given back once.
    unsafe {
        assert_eq!(k_mem_slab_num_free_get(handle), 2);
        assert_eq!(k_mem_slab_alloc(handle, &mut block, K_NO_WAIT), 0);
        assert_eq!(k_mem_slab_num_used_get(handle), 1);
        assert_eq!(k_mem_slab_max_used_get(handle), 1);
        assert_eq!(k_mem_slab_num_waiting_get(handle), 0);
        assert_eq!(k_mem_slab_free_checked(handle, block), 0);
        assert_eq!(k_mem_slab_free_checked(handle, block), errno::EINVAL);
    }
    assert_eq!(SLAB.num_used(), 0);
}

/// Initialising a registry entry's handle is refused before anything is
/// written (a write to the read-only entry, or past its one word, is what
/// miri would report).
#[test]
fn init_on_a_registry_entry_handle_writes_nothing() {
    static OTHER: MemSlab = MemSlab::new();
    static OTHER_ENTRY: &MemSlab = &OTHER;
    let buffer = leak_buffer(2 * WORD);
    // SAFETY: a registry-entry handle, refused untouched; the buffer is
    // leaked.
    let rc = unsafe {
        init_storage(
            entry_handle(&OTHER_ENTRY),
            buffer.as_mut_ptr(),
            2 * WORD,
            WORD,
            2,
            false,
            "",
        )
    };
    assert_eq!(rc, errno::EINVAL);
    assert!(!OTHER.is_ready());
}

/// C storage: `-ENODEV` while zeroed, then published by `init_storage`;
/// a second initialisation is refused; the first word stays null.
#[test]
fn c_storage_is_published_once() {
    let storage = c_storage();
    let mut block = ptr::null_mut();
    // SAFETY: zeroed C storage that stays put; leaked buffers.
    unsafe {
        assert_eq!(
            k_mem_slab_alloc(storage, &mut block, K_NO_WAIT),
            errno::ENODEV
        );
        assert_eq!(k_mem_slab_num_free_get(storage), 0);
        let buffer = leak_buffer(3 * WORD).as_mut_ptr();
        assert_eq!(
            init_storage(storage, buffer, 3 * WORD, WORD, 3, false, ""),
            0
        );
        let again = leak_buffer(3 * WORD);
        assert_eq!(
            init_storage(storage, again.as_mut_ptr(), 3 * WORD, WORD, 3, false, ""),
            errno::EINVAL
        );
        assert!(first_word(storage).is_null());
        assert_eq!(k_mem_slab_num_free_get(storage), 3);
        assert_eq!(k_mem_slab_alloc(storage, &mut block, K_NO_WAIT), 0);
        assert_eq!(block.cast::<u8>(), buffer);
        assert_eq!(k_mem_slab_free_checked(storage, block), 0);
    }
}

/// A refused shape leaves C storage unpublished, and a good one after it
/// works.
#[test]
fn c_storage_refused_then_initialised() {
    let storage = c_storage();
    let buffer = leak_buffer(3 * WORD).as_mut_ptr();
    // SAFETY: zeroed C storage that stays put; a leaked buffer.
    unsafe {
        assert_eq!(
            init_storage(storage, buffer.add(1), 2 * WORD, WORD, 2, false, ""),
            errno::EINVAL
        );
        assert_eq!(k_mem_slab_num_free_get(storage), 0);
        assert_eq!(
            init_storage(storage, buffer, 2 * WORD, WORD, 2, false, ""),
            0
        );
        assert_eq!(k_mem_slab_num_free_get(storage), 2);
    }
}

/// A C storage handle that crosses threads (tests own what they pass).
#[derive(Clone, Copy)]
struct Shared(*mut k_mem_slab);
// SAFETY: the storage is leaked and used only through the C ABI, which
// synchronises it.
unsafe impl Send for Shared {}

/// One thread publishes C storage while another polls it: the poller sees
/// `-ENODEV` or the whole slab, never a torn one (miri checks the
/// publication for data races).
#[test]
fn publication_races_with_nothing() {
    let storage = Shared(c_storage());
    let poller = std::thread::spawn(move || {
        let storage = storage;
        let mut block = ptr::null_mut();
        loop {
            // SAFETY: C storage that stays put.
            match unsafe { k_mem_slab_alloc(storage.0, &mut block, K_NO_WAIT) } {
                0 => break,
                rc => assert_eq!(rc, errno::ENODEV),
            }
            std::thread::yield_now();
        }
        // SAFETY: the block just allocated, given back once.
        assert_eq!(unsafe { k_mem_slab_free_checked(storage.0, block) }, 0);
    });
    let buffer = leak_buffer(2 * WORD);
    // SAFETY: zeroed C storage that stays put; a leaked buffer.
    let rc = unsafe { init_storage(storage.0, buffer.as_mut_ptr(), 2 * WORD, WORD, 2, false, "") };
    assert_eq!(rc, 0);
    poller.join().unwrap();
    // SAFETY: as above.
    assert_eq!(unsafe { k_mem_slab_max_used_get(storage.0) }, 1);
}

/// Null handles and null out-pointers are error codes, not panics.
#[test]
fn null_arguments_are_error_codes() {
    let mut block = ptr::null_mut();
    // SAFETY: null is allowed for every argument checked here.
    unsafe {
        assert_eq!(
            k_mem_slab_alloc(ptr::null_mut(), &mut block, K_FOREVER),
            errno::EINVAL
        );
        assert_eq!(
            k_mem_slab_alloc(entry_handle(&ENTRY), ptr::null_mut(), K_NO_WAIT),
            errno::EINVAL
        );
        assert_eq!(
            k_mem_slab_free_checked(ptr::null_mut(), ptr::null_mut()),
            errno::EINVAL
        );
        k_mem_slab_free(ptr::null_mut(), ptr::null_mut());
        assert_eq!(k_mem_slab_num_used_get(ptr::null_mut()), 0);
        assert_eq!(k_mem_slab_num_free_get(ptr::null_mut()), 0);
        assert_eq!(k_mem_slab_max_used_get(ptr::null_mut()), 0);
        assert_eq!(k_mem_slab_num_waiting_get(ptr::null_mut()), 0);
        assert_eq!(k_mem_slab_set_clock(None, 1_000), errno::EINVAL);
    }
}

/// Two slabs of one name: `slab_core_boot` refuses, where `boot()` panics.
#[test]
fn a_duplicate_name_is_found_without_a_panic() {
    static A: MemSlab = MemSlab::new();
    static B: MemSlab = MemSlab::new();
    // Run-time slabs are all named "".
    assert!(crate::registry::has_duplicate_name(&[&A, &B]));
    assert!(!crate::registry::has_duplicate_name(&[&A]));
    assert!(!crate::registry::has_duplicate_name(&[]));
}

/// `slab_core_boot`'s check: two slabs of one name fail it every time,
/// recording nothing; unique names pass it, once for good.
#[test]
fn the_name_check_passes_only_unique_names_and_is_then_skipped() {
    static A: MemSlab = MemSlab::new();
    static B: MemSlab = MemSlab::new();
    let checked = AtomicBool::new(false);
    // Run-time slabs are all named "".
    for _ in 0..2 {
        assert!(!names_unique(&checked, &[&A, &B]));
        assert!(!checked.load(Ordering::Relaxed));
    }
    assert!(names_unique(&checked, &[&A]));
    assert!(checked.load(Ordering::Relaxed));
    assert!(names_unique(&checked, &[&A, &B]), "checked once");
}

/// C storage with records (a `K_MEM_SLAB_DEFINE` with `SLAB_CORE_TRACK`):
/// refused, unpublished, when the buffer has no room for them after the
/// blocks; tracked when it has, and its holder is the C caller's site.
#[cfg(feature = "track")]
#[test]
fn c_storage_with_records_is_tracked() {
    let records = 2 * K_MEM_SLAB_RECORD_WORDS * WORD;
    let storage = c_storage();
    let buffer = leak_buffer(2 * WORD + records).as_mut_ptr();
    // Leaked: a site lives as long as the program.
    let site: &'static k_mem_slab_site = Box::leak(Box::new(k_mem_slab_site {
        file: c"c/pool.c".as_ptr(),
        line: 12,
    }));
    // SAFETY: zeroed C storage that stays put; a leaked buffer of the
    // size given; a leaked site.
    unsafe {
        assert_eq!(
            init_storage(
                storage,
                buffer,
                2 * WORD + records - 1,
                WORD,
                2,
                true,
                "pool"
            ),
            errno::EINVAL
        );
        assert!(mem_slab(storage).is_none());
        assert_eq!(
            init_storage(storage, buffer, 2 * WORD + records, WORD, 2, true, "pool"),
            0
        );
        let slab = mem_slab(storage).unwrap();
        assert!(slab.is_tracked());
        assert_eq!(slab.name(), "pool");
        let mut block = ptr::null_mut();
        assert_eq!(k_mem_slab_alloc_at(storage, &mut block, K_NO_WAIT, site), 0);
        let site = slab.holders().next().unwrap().site().unwrap();
        assert_eq!((site.file(), site.line()), ("c/pool.c", 12));
        assert_eq!(k_mem_slab_free_checked(storage, block), 0);
        assert_eq!(slab.holders().count(), 0);
    }
}
