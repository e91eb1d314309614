//! A crate that forbids `unsafe` code can still declare slabs: the
//! declaration's expansion keeps its `unsafe` out of the lint's reach.
#![forbid(unsafe_code)]

use slab_core::{MemSlab, Timeout, mem_slab};

#[mem_slab(blocks = 2, size = 16)]
static FORBIDDING: MemSlab;

#[test]
fn declares_and_allocates() {
    slab_core::boot();
    let block = FORBIDDING.alloc_block(Timeout::NoWait).unwrap();
    assert_eq!(FORBIDDING.num_used(), 1);
    drop(block);
}
