//! A slab whose buffer is in `.noinit` (`section = ".noinit"`): `slab.x`
//! places it in RAM, NOLOAD, so it costs no bytes in the image and is not
//! zeroed at reset. `slab-tests/tests/qemu.rs` checks its ELF placement.

use slab_core::{MemSlab, Timeout, mem_slab};

/// The slabs declared here.
pub const DECLARED: usize = 1;

/// Blocks in memory that the reset handler leaves alone.
#[mem_slab(blocks = 2, size = 64, section = ".noinit")]
pub static NOINIT_FRAMES: MemSlab;

/// The blocks are in RAM, distinct, writable and readable, and go back.
pub fn check() {
    const RAM: core::ops::Range<usize> = crate::board::RAM;
    let range = NOINIT_FRAMES.buffer_range();
    check!(
        RAM.contains(&range.start) && range.end <= RAM.end,
        "the .noinit buffer {range:x?} is in RAM"
    );
    check_eq!(range.len(), 2 * 64);
    let first = NOINIT_FRAMES.alloc(Timeout::NoWait).expect("a block");
    let second = NOINIT_FRAMES
        .alloc(Timeout::NoWait)
        .expect("a second block");
    check!(first != second, "two blocks");
    for (block, fill) in [(first, 0xa5u8), (second, 0x5a)] {
        check!(
            range.contains(&(block.as_ptr() as usize)),
            "block in the buffer"
        );
        // SAFETY: an allocated block of 64 bytes, owned here.
        unsafe { block.as_ptr().write_bytes(fill, 64) };
    }
    for (block, fill) in [(first, 0xa5u8), (second, 0x5a)] {
        // SAFETY: the 64 bytes written above, still owned here.
        let bytes = unsafe { core::slice::from_raw_parts(block.as_ptr(), 64) };
        check!(bytes.iter().all(|&b| b == fill), "a block keeps its bytes");
    }
    for block in [first, second] {
        // SAFETY: allocated above from this slab, freed once.
        check_eq!(unsafe { NOINIT_FRAMES.free(block) }, Ok(()));
    }
    check_eq!(NOINIT_FRAMES.num_free(), 2);
}
