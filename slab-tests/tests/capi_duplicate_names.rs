//! Two registry entries of one name, as a build that internalises the
//! names' symbols (cross-crate ThinLTO) lets through, made here with the
//! declaration macros' own building blocks and two distinct symbols: the
//! C ABI's `slab_core_boot` returns `-EINVAL` every time and threads
//! nothing, and `boot()` then panics. (Its own test binary: booting is
//! global.)

use core::ffi::c_void;

use slab_core::MemSlab;
use slab_core::capi::{K_NO_WAIT, k_mem_slab_alloc, k_mem_slab_find, slab_core_boot};

macro_rules! slab_named_dup {
    ($ident:ident, $symbol:literal) => {
        static $ident: MemSlab = slab_core::__private::declare! {
            slab,
            name: "DUP",
            blocks: 2,
            size: 16,
            align: 8,
            storage: [u64; 32],
            used: [slab_core::__private::map_words(2)],
            bounds_checks: false,
            section: [],
            attributes: [],
        };
        const _: () = {
            slab_core::__private::register!($symbol, $ident);
        };
    };
}

slab_named_dup!(FIRST, "slab_core.two_slabs_are_named.DUP.first");
slab_named_dup!(SECOND, "slab_core.two_slabs_are_named.DUP.second");

#[slab_core::mem_slab(blocks = 2, size = 16)]
static UNIQUE: MemSlab;

#[test]
fn slab_core_boot_refuses_two_slabs_of_one_name() {
    let names: Vec<&str> = slab_core::registry().iter().map(|s| s.name()).collect();
    assert_eq!(
        names.iter().filter(|&&n| n == "DUP").count(),
        2,
        "{names:?}"
    );
    for _ in 0..2 {
        assert_eq!(slab_core_boot(), -22, "-EINVAL");
        assert!(!FIRST.is_ready() && !SECOND.is_ready() && !UNIQUE.is_ready());
    }
    let name = c"DUP";
    // SAFETY: a NUL-terminated name; `k_mem_slab_alloc` writes `block`
    // only on success.
    unsafe {
        let slab = k_mem_slab_find(name.as_ptr());
        assert!(!slab.is_null());
        let mut block: *mut c_void = core::ptr::null_mut();
        assert_eq!(
            k_mem_slab_alloc(slab, &mut block, K_NO_WAIT),
            -19,
            "-ENODEV"
        );
        assert!(block.is_null());
    }
    let panic = std::panic::catch_unwind(slab_core::boot).expect_err("a duplicate name");
    let message = panic.downcast_ref::<String>().expect("a message");
    assert!(message.contains("name `DUP`"), "{message}");
    assert!(!UNIQUE.is_ready(), "nothing threaded");
}
