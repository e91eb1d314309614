//! Where a tool reading a firmware image finds the fields of a [`MemSlab`]:
//! the slab's part of a descriptor in the linker section `slab_core_layout`,
//! written by the compiler from `offset_of!` of the fields themselves, so
//! that a change to the slab's layout changes the descriptor with it and a
//! reader of the image (the workspace's `slab-footprint`) never decodes a
//! slab with stale offsets. The descriptor static is `crate::image_layout`'s,
//! which adds the C definition's offsets (so the slab module does not
//! depend on the C ABI).
//!
//! Cost: 72 bytes of flash (the magic and 16 `u32`s) in every program that
//! links slab-core; no RAM, no code. `#[used]` marks the section retained
//! (`SHF_GNU_RETAIN`, which lld and GNU ld 2.36 and later honour), so
//! `--gc-sections` keeps it although no code refers to it; on bare metal
//! `slab.x` also keeps it, in flash after `.rodata`.
//!
//! Format (version 1), every number a `u32` in the target's byte order:
//! the magic `b"SLABLAY1"` (8 bytes), the pointer width in bytes, the size
//! of a `MemSlab`, then byte offsets in a `MemSlab` of its name's data
//! pointer and length, its buffer pointer, block size, block count and
//! free-flags pointer (null when the slab keeps no flags); then the size
//! of a C slab definition (`k_mem_slab_definition`, 0 without the `capi`
//! feature) and the offsets in it of its storage pointer (the `struct
//! k_mem_slab`), buffer pointer, block size, block count (a `u32`) and name
//! (a pointer to a NUL-terminated string); the last two words are 0,
//! reserved.

use core::mem::{offset_of, size_of};

use super::{Config, MemSlab};

/// The slab's part of the `slab_core_layout` descriptor (its first eight
/// numbers: the pointer width, the size of a `MemSlab` and the offsets of
/// its name's data pointer and length, buffer pointer, block size, block
/// count and free-flags pointer). The descriptor itself, with the C
/// definition's part, is `crate::image_layout`'s.
pub(crate) const FIELDS: [u32; 8] = {
    let config = offset_of!(MemSlab, config);
    [
        u32_of(size_of::<usize>()),
        u32_of(size_of::<MemSlab>()),
        u32_of(offset_of!(MemSlab, name) + NAME_DATA_WORD * size_of::<usize>()),
        u32_of(offset_of!(MemSlab, name) + (1 - NAME_DATA_WORD) * size_of::<usize>()),
        u32_of(config + offset_of!(Config, buffer)),
        u32_of(config + offset_of!(Config, geometry.block_size)),
        u32_of(config + offset_of!(Config, geometry.num_blocks)),
        u32_of(offset_of!(MemSlab, used_map)),
    ]
};

/// Which word of a `&str` holds the data pointer (the other holds the
/// length): found from a slice pointer whose data pointer is null and
/// whose length is 1, as the compiler lays it out, not assumed.
const NAME_DATA_WORD: usize = {
    let probe = core::ptr::slice_from_raw_parts(core::ptr::null::<u8>(), 1) as *const str;
    // SAFETY: a `*const str` is two words (data pointer, length) in some
    // order; the data pointer is null, so no provenance is turned into an
    // integer.
    let words: [usize; 2] = unsafe { core::mem::transmute(probe) };
    assert!(
        (words[0] == 0 && words[1] == 1) || (words[0] == 1 && words[1] == 0),
        "slab_core_layout: a &str is not a data pointer and a length"
    );
    if words[0] == 0 { 0 } else { 1 }
};

/// `n` as a descriptor number (every offset and size here is small).
const fn u32_of(n: usize) -> u32 {
    assert!(
        n <= u32::MAX as usize,
        "slab_core_layout: an offset beyond u32"
    );
    n as u32
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_name_words_are_where_the_descriptor_says() {
        let name: &'static str = "uart-rx";
        // SAFETY: a `&str` is two words, each a valid `*const u8` (the
        // length one without provenance, compared only as an address).
        let words: [*const u8; 2] = unsafe { core::mem::transmute(name) };
        assert_eq!(words[NAME_DATA_WORD], name.as_ptr());
        assert_eq!(words[1 - NAME_DATA_WORD].addr(), name.len());
    }
}
