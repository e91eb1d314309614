//! No panic crosses the C boundary: every `extern "C"` function of the C
//! ABI, given the worst input a C caller can pass it, returns its
//! documented code and changes nothing. (A panic inside one of them aborts
//! this test binary, "panic in a function that cannot unwind".) The
//! bare-metal case (a finite timeout without a clock) is run from C in
//! `capi_staticlib.rs`.

use core::ffi::{c_char, c_void};
use core::ptr;

use slab_core::capi::{
    K_FOREVER, K_NO_WAIT, SLAB_EINVAL, SLAB_ENODEV, SLAB_ENOMEM, SLAB_ENOTSUP, k_mem_slab,
    k_mem_slab_alloc, k_mem_slab_find, k_mem_slab_free, k_mem_slab_free_checked, k_mem_slab_init,
    k_mem_slab_max_used_get, k_mem_slab_num_free_get, k_mem_slab_num_used_get,
    k_mem_slab_num_waiting_get, k_mem_slab_set_clock, k_timeout_t, slab_core_boot,
};
use slab_core::{MemSlab, mem_slab};

/// Reached by name only.
#[mem_slab(blocks = 2, size = 16, name = "no-panic")]
static NO_PANIC: MemSlab;

/// The Rust-declared slab's handle, booted.
fn declared() -> *mut k_mem_slab {
    assert_eq!(slab_core_boot(), 0);
    // SAFETY: a NUL-terminated name.
    let handle = unsafe { k_mem_slab_find(c"no-panic".as_ptr()) };
    assert!(!handle.is_null());
    handle
}

/// Zeroed C storage for a `struct k_mem_slab` (as a C static would be).
fn zeroed_storage() -> *mut k_mem_slab {
    let layout = std::alloc::Layout::new::<k_mem_slab>();
    // SAFETY: `k_mem_slab` is not zero-sized; leaked for the program.
    let storage = unsafe { std::alloc::alloc_zeroed(layout) };
    assert!(!storage.is_null());
    storage.cast()
}

#[test]
fn init_refuses_every_bad_shape() {
    let slab = zeroed_storage();
    let mut buffer = [0usize; 8];
    let buf = buffer.as_mut_ptr().cast::<c_void>();
    let word = size_of::<usize>();
    for (slab, buffer, block_size, num_blocks) in [
        (ptr::null_mut(), buf, 16, 2),
        (slab, ptr::null_mut(), 16, 2),
        (slab, buf, 0, 2),
        (slab, buf, 16, 0),
        (slab, buf, word + 1, 2),
        (slab, buf, usize::MAX, 1),
        (slab, buf, usize::MAX - (word - 1), u32::MAX),
        (slab, buf, isize::MAX as usize + 1, 1),
        (slab, buf, (usize::MAX / 2 + 1) & !(word - 1), 2),
        (slab, buf.wrapping_byte_add(1), 16, 2),
    ] {
        // SAFETY: every call is refused before the buffer is touched.
        let rc = unsafe { k_mem_slab_init(slab, buffer, block_size, num_blocks) };
        assert_eq!(rc, -SLAB_EINVAL, "init(.., {block_size}, {num_blocks})");
    }
    let mut block = ptr::null_mut();
    // SAFETY: the storage is a (not initialised) handle.
    assert_eq!(
        unsafe { k_mem_slab_alloc(slab, &mut block, K_NO_WAIT) },
        -SLAB_ENODEV
    );
    // A Rust-declared slab is refused, and keeps its blocks.
    let declared = declared();
    // SAFETY: refused before the buffer is touched.
    assert_eq!(
        unsafe { k_mem_slab_init(declared, buf, 16, 2) },
        -SLAB_EINVAL
    );
    assert_eq!(NO_PANIC.num_blocks(), 2);
}

#[test]
fn alloc_with_bad_arguments_returns_codes() {
    let slab = zeroed_storage();
    let declared = declared();
    let mut block = ptr::null_mut::<c_void>();
    // SAFETY: null and zeroed handles are allowed; `block` is valid.
    unsafe {
        assert_eq!(
            k_mem_slab_alloc(ptr::null_mut(), &mut block, K_FOREVER),
            -SLAB_EINVAL
        );
        assert_eq!(
            k_mem_slab_alloc(declared, ptr::null_mut(), K_NO_WAIT),
            -SLAB_EINVAL
        );
        // Not initialised: at once, whatever the timeout.
        for ticks in [0, -1, 1, i64::MAX] {
            assert_eq!(
                k_mem_slab_alloc(slab, &mut block, k_timeout_t { ticks }),
                -SLAB_ENODEV
            );
        }
        for ticks in [-2, i64::MIN] {
            block = ptr::dangling_mut();
            assert_eq!(
                k_mem_slab_alloc(declared, &mut block, k_timeout_t { ticks }),
                -SLAB_EINVAL
            );
            assert!(block.is_null());
        }
    }
}

/// A finite timeout far in the future (beyond what the host clock can
/// add) is a wait without end, not an overflow: here it is served at once.
#[test]
fn the_longest_timeout_is_no_overflow() {
    let slab = zeroed_storage();
    let buffer: &'static mut [usize; 2] = Box::leak(Box::new([0; 2]));
    let word = size_of::<usize>();
    // SAFETY: zeroed storage; a leaked buffer of 2 words.
    unsafe {
        assert_eq!(
            k_mem_slab_init(slab, buffer.as_mut_ptr().cast(), word, 2),
            0
        );
        let mut block = ptr::null_mut();
        let forever_and_a_day = k_timeout_t { ticks: i64::MAX };
        assert_eq!(k_mem_slab_alloc(slab, &mut block, forever_and_a_day), 0);
        assert_eq!(k_mem_slab_free_checked(slab, block), 0);
    }
}

#[test]
fn free_of_any_pointer_is_refused_untouched() {
    let slab = zeroed_storage();
    let declared = declared();
    let mut local = 0usize;
    // SAFETY: none of these pointers is an allocated block: each is refused
    // without being dereferenced.
    unsafe {
        assert_eq!(
            k_mem_slab_free_checked(slab, (&raw mut local).cast()),
            -SLAB_ENODEV
        );
        assert_eq!(
            k_mem_slab_free_checked(ptr::null_mut(), (&raw mut local).cast()),
            -SLAB_EINVAL
        );
        for wild in [1usize, 8, usize::MAX, usize::MAX - 7, isize::MAX as usize] {
            let wild = ptr::without_provenance_mut::<c_void>(wild);
            assert_eq!(k_mem_slab_free_checked(declared, wild), -SLAB_EINVAL);
            k_mem_slab_free(declared, wild);
            k_mem_slab_free(slab, wild);
            k_mem_slab_free(ptr::null_mut(), wild);
        }
        assert_eq!(
            k_mem_slab_free_checked(declared, ptr::null_mut()),
            -SLAB_EINVAL
        );
        k_mem_slab_free(declared, ptr::null_mut());
    }
    assert_eq!(NO_PANIC.num_used(), 0);
}

#[test]
fn counts_of_bad_handles_are_zero() {
    let slab = zeroed_storage();
    // SAFETY: null and zeroed handles are allowed.
    unsafe {
        for handle in [ptr::null_mut(), slab] {
            assert_eq!(k_mem_slab_num_used_get(handle), 0);
            assert_eq!(k_mem_slab_num_free_get(handle), 0);
            assert_eq!(k_mem_slab_max_used_get(handle), 0);
            assert_eq!(k_mem_slab_num_waiting_get(handle), 0);
        }
    }
}

#[test]
fn find_of_any_name_returns_a_handle_or_null() {
    let declared = declared();
    let long: Vec<u8> = std::iter::repeat_n(b'x', 1 << 20).chain([0]).collect();
    let names: [&[u8]; 6] = [
        b"\0",
        b"\xff\xfe\xfd\0",
        b"no-panic\xff\0",
        b"no-pani\0",
        b"no-panic \0",
        &long,
    ];
    for name in names {
        // SAFETY: each is NUL-terminated.
        let found = unsafe { k_mem_slab_find(name.as_ptr().cast::<c_char>()) };
        assert!(found.is_null(), "{:?}", String::from_utf8_lossy(name));
    }
    // SAFETY: null is allowed; the name is NUL-terminated.
    unsafe {
        assert!(k_mem_slab_find(ptr::null()).is_null());
        assert_eq!(k_mem_slab_find(c"no-panic".as_ptr()), declared);
    }
}

unsafe extern "C" fn zero_clock() -> u64 {
    0
}

/// With `std` finite timeouts use the host's clock: registering one is
/// `-ENOTSUP`, and bad arguments are `-EINVAL`; finite timeouts keep
/// working either way.
#[test]
fn set_clock_answers_with_codes() {
    // SAFETY: `zero_clock` can be called at any time.
    unsafe {
        assert_eq!(k_mem_slab_set_clock(None, 1_000), -SLAB_EINVAL);
        assert_eq!(k_mem_slab_set_clock(Some(zero_clock), 0), -SLAB_EINVAL);
        assert_eq!(k_mem_slab_set_clock(Some(zero_clock), 1_000), -SLAB_ENOTSUP);
    }
    let slab = zeroed_storage();
    let buffer: &'static mut [usize; 1] = Box::leak(Box::new([0; 1]));
    let mut held = ptr::null_mut();
    let mut none = ptr::null_mut();
    // SAFETY: zeroed storage; a leaked buffer of 1 word.
    unsafe {
        assert_eq!(
            k_mem_slab_init(slab, buffer.as_mut_ptr().cast(), size_of::<usize>(), 1),
            0
        );
        assert_eq!(k_mem_slab_alloc(slab, &mut held, K_NO_WAIT), 0);
        assert_eq!(k_mem_slab_alloc(slab, &mut none, K_NO_WAIT), -SLAB_ENOMEM);
        assert_eq!(
            k_mem_slab_alloc(slab, &mut none, k_timeout_t { ticks: 1_000 }),
            -11 // -EAGAIN: measured by the host clock
        );
        assert_eq!(k_mem_slab_free_checked(slab, held), 0);
    }
}

#[test]
fn boot_returns_zero_each_time() {
    assert_eq!(slab_core_boot(), 0);
    assert_eq!(slab_core_boot(), 0);
    assert!(NO_PANIC.is_ready());
}
