//! Unit tests of the C ABI's handles, also for miri, with Tree Borrows:
//! `MIRIFLAGS=-Zmiri-tree-borrows cargo +nightly miri test -p slab-core
//! --lib --features capi,std -- capi`. miri cannot see linker sections, so
//! a Rust-declared slab's handle is made here exactly as `k_mem_slab_find`
//! makes it: the address of an immutable `&'static MemSlab`, which is what
//! a registry entry is.
//! (Stacked Borrows rejects making the `&AtomicPtr` that reads a handle's
//! first word from a registry entry's read-only pointer; Tree Borrows, and
//! the atomics rules, accept it now that the load is Relaxed. Under miri
//! `k_mem_slab_init` cannot run: it reads the linker section of
//! `K_MEM_SLAB_DEFINE`d slabs.)

extern crate std;

use core::ptr;

use super::*;

/// The handle `k_mem_slab_find` returns for a registry entry.
fn entry_handle(entry: &'static &'static MemSlab) -> *mut k_mem_slab {
    ptr::from_ref(entry).cast::<k_mem_slab>().cast_mut()
}

/// A declared slab and its registry entry: an immutable static holding
/// a `&'static MemSlab`. (The slab is initialised at run time here, since
/// miri has no `boot()`; the entry is what matters.)
static SLAB: MemSlab = MemSlab::new();
static ENTRY: &MemSlab = &SLAB;

#[test]
fn a_registry_entry_handle_reaches_its_slab() {
    let bytes = 2 * size_of::<usize>();
    let words = std::boxed::Box::leak(std::vec![0usize; 4].into_boxed_slice());
    // SAFETY: leaked words live forever; any bytes are valid u8.
    let buffer =
        unsafe { core::slice::from_raw_parts_mut(words.as_mut_ptr().cast::<u8>(), 2 * bytes) };
    SLAB.init(buffer, bytes, 2).unwrap();
    let handle = entry_handle(&ENTRY);
    let mut block = ptr::null_mut();
    // SAFETY: `handle` is a registry-entry handle; `block` is written by
    // alloc and given back once.
    unsafe {
        assert_eq!(k_mem_slab_num_free_get(handle), 2);
        assert_eq!(k_mem_slab_alloc(handle, &mut block, K_NO_WAIT), 0);
        assert_eq!(k_mem_slab_num_used_get(handle), 1);
        assert_eq!(k_mem_slab_free_checked(handle, block), 0);
    }
    assert_eq!(SLAB.num_used(), 0);
}
