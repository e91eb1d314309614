//! Every key at once, paths to `MemSlab` spelled each accepted way, and a
//! slab declared inside a function.
#![deny(warnings)]

#[repr(align(32))]
struct Frame([u8; 40]);

const RING: usize = 3;

#[slab_core::mem_slab(
    blocks = RING + 1,
    type = Frame,
    align = 64,
    name = "frames",
    section = ".data.slab_ui",
    crate = ::slab_core,
)]
static FRAMES: ::slab_core::MemSlab;

#[slab_core::mem_slab(blocks = 1, size = 1)]
static ONE: slab_core::MemSlab;

fn main() {
    #[slab_core::mem_slab(blocks = 2, size = 8)]
    static LOCAL: slab_core::MemSlab;

    slab_core::boot();
    assert_eq!(FRAMES.num_blocks(), 4);
    assert_eq!(FRAMES.block_size(), 64);
    assert_eq!(FRAMES.name(), "frames");
    assert_eq!(ONE.block_size(), core::mem::size_of::<usize>());
    let registry = slab_core::registry();
    assert!(registry.find("LOCAL").is_some_and(|s| core::ptr::eq(s, &LOCAL)));
    assert_eq!(registry.len(), 3);
}
