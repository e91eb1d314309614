//! Adversarial checks of the C ABI (slab-core's `capi` feature) called
//! from Rust: bad input that C can pass gets its error code and changes
//! nothing, and is never undefined behaviour.

use core::ffi::c_void;

use slab_core::capi::{
    K_NO_WAIT, k_mem_slab, k_mem_slab_alloc, k_mem_slab_find, k_mem_slab_free_checked,
    k_mem_slab_init, k_mem_slab_num_used_get, slab_core_boot,
};
use slab_core::{MemSlab, mem_slab};

/// Zephyr's `CONFIG_MEM_SLAB_POINTER_VALIDATE` level, reached from C by
/// name.
#[mem_slab(blocks = 2, size = 16, name = "bounds-only", checks = "bounds")]
static BOUNDS_ONLY: MemSlab;

/// Zeroed C storage for a `struct k_mem_slab` (as a C static would be).
fn zeroed_storage() -> *mut k_mem_slab {
    let layout = std::alloc::Layout::new::<k_mem_slab>();
    // SAFETY: `k_mem_slab` is not zero-sized; leaked for the program.
    let storage = unsafe { std::alloc::alloc_zeroed(layout) };
    assert!(!storage.is_null());
    storage.cast()
}

/// A `block_size × num_blocks` that does not overflow `usize` but is more
/// than any object can be (`isize::MAX`) is a bad parameter: `-EINVAL`,
/// the slab stays uninitialised. (It used to make a slice longer than
/// `isize::MAX`: undefined behaviour, an abort in a debug build.)
#[test]
fn init_with_a_size_beyond_isize_max_is_einval() {
    let slab = zeroed_storage();
    let mut buffer = [0usize; 4];
    let block_size = (isize::MAX as usize / 2 + 1).next_multiple_of(size_of::<usize>());
    // SAFETY: the storage is zeroed; the call must refuse the shape
    // before it touches the buffer.
    let rc = unsafe { k_mem_slab_init(slab, buffer.as_mut_ptr().cast::<c_void>(), block_size, 2) };
    assert_eq!(rc, -22);
    let mut block = core::ptr::null_mut();
    // SAFETY: the storage is a (not initialised) handle.
    assert_eq!(
        unsafe { k_mem_slab_alloc(slab, &mut block, K_NO_WAIT) },
        -19
    );
}

/// A C program that sets up its own `struct k_mem_slab` with
/// `k_mem_slab_init` (no `K_MEM_SLAB_DEFINE`) refers to the configuration
/// symbol of the layout it was compiled for, so that one compiled with the
/// wrong `SLAB_CORE_STD` fails to link, as slab.h promises, instead of
/// having slab-core write a `MemSlab` past the end of (or misaligned in)
/// its smaller storage. slab-tests' build.rs compiles `c/init_only.c` to
/// assembly, optimised, with each `SLAB_CORE_STD`.
#[test]
fn init_without_a_define_refers_to_the_layout_symbol() {
    for (std, symbol, other) in [
        (0, "slab_core_capi_bare", "slab_core_capi_std"),
        (1, "slab_core_capi_std", "slab_core_capi_bare"),
    ] {
        let path = std::path::Path::new(env!("OUT_DIR")).join(format!("init_only_std{std}.s"));
        let asm =
            std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        assert!(
            asm.contains(symbol),
            "SLAB_CORE_STD={std}: c/init_only.c does not refer to {symbol}, so a mismatch \
             with slab-core's build links:\n{asm}"
        );
        assert!(
            !asm.contains(other),
            "SLAB_CORE_STD={std}: refers to {other}"
        );
    }
}

/// The comment slab.h gives the prototype that starts with `prototype`.
fn header_doc(prototype: &str) -> &'static str {
    let header = include_str!("../../slab-core/include/slab.h");
    let at = header
        .find(prototype)
        .unwrap_or_else(|| panic!("slab.h has no {prototype:?}"));
    let start = header[..at].rfind("/*").expect("a comment before it");
    &header[start..at]
}

/// A Rust-declared slab with `checks = "bounds"` keeps no free flags: a
/// double free while another block is allocated is taken (0), and the
/// block is then handed out twice, as in Rust. slab.h says so where it
/// promises that `k_mem_slab_free` refuses a block that is already free.
#[test]
fn a_double_free_on_a_bounds_checked_slab_is_what_the_header_says() {
    assert_eq!(slab_core_boot(), 0);
    // SAFETY: a NUL-terminated name.
    let slab = unsafe { k_mem_slab_find(c"bounds-only".as_ptr()) };
    assert!(!slab.is_null());
    let (mut a, mut b) = (core::ptr::null_mut(), core::ptr::null_mut());
    // SAFETY: a handle; `a` is freed twice on purpose (the slab's first
    // word of it is all that is written, and nothing else uses it).
    unsafe {
        assert_eq!(k_mem_slab_alloc(slab, &mut a, K_NO_WAIT), 0);
        assert_eq!(k_mem_slab_alloc(slab, &mut b, K_NO_WAIT), 0);
        assert_eq!(k_mem_slab_free_checked(slab, a), 0);
        assert_eq!(k_mem_slab_free_checked(slab, a), 0, "not detected");
        assert_eq!(k_mem_slab_num_used_get(slab), 0);
    }
    assert_eq!(BOUNDS_ONLY.num_used(), 0);
    for prototype in [
        "int k_mem_slab_free_checked(",
        "void k_mem_slab_free(struct",
    ] {
        let doc = header_doc(prototype);
        assert!(
            doc.contains("checks = \"bounds\"") && doc.contains("double free"),
            "slab.h does not say that a `checks = \"bounds\"` slab takes a double free, \
             before {prototype:?}:\n{doc}"
        );
    }
}
