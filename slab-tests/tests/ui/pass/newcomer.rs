//! Declarations a newcomer writes that must be accepted: an alias of
//! `MemSlab`, tool attributes and `#[used]`, a crate that shadows
//! `usize`, braced const values (with no warning), `.noinit`.
#![deny(warnings)]

use slab_core::{MemSlab, mem_slab};

/// The user's name for a slab.
type Pool = MemSlab;

#[allow(non_camel_case_types, dead_code)]
type usize = u32;

const N: core::primitive::usize = 3;

#[mem_slab(blocks = 2, size = 16)]
#[rustfmt::skip]
#[used]
static ALIASED: Pool;

#[mem_slab(blocks = { N + 1 }, size = { N * 8 }, section = ".noinit")]
static BRACED: slab_core::MemSlab;

#[derive(Clone, Copy)]
#[allow(dead_code)]
struct Frame([u8; 24]);

slab_core::mem_slabs! {
    #[rustfmt::skip]
    static LISTED(blocks = 2, type = Frame, align = 16);
}

fn main() {
    slab_core::boot();
    let registry = slab_core::registry();
    assert!(core::ptr::eq(registry.find("ALIASED").unwrap(), &ALIASED));
    assert_eq!(BRACED.num_blocks(), 4);
    assert_eq!(BRACED.block_size(), 24);
    assert_eq!(LISTED.block_size(), 32);
    let block = LISTED.alloc(slab_core::Timeout::NoWait).unwrap();
    assert_eq!(block.as_ptr() as core::primitive::usize % 16, 0);
    // SAFETY: a block of LISTED, freed once.
    unsafe { LISTED.free(block) }.unwrap();
}
