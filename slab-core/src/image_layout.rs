//! The `slab_core_layout` descriptor: where a tool reading a firmware
//! image (the workspace's `slab-footprint`) finds the fields of a
//! `MemSlab` and of a C slab definition. The format is described in
//! `slab/footprint.rs`, which computes the slab's part; the C ABI
//! computes its own (`capi::DEFINITION_LAYOUT`), and this module puts the
//! two together, so that neither of them depends on the other.

/// The descriptor's format, as a reader checks it.
const MAGIC: [u8; 8] = *b"SLABLAY1";

/// The magic and 16 numbers (see `slab/footprint.rs`). Only ever read
/// from the image, by other programs.
#[repr(C)]
struct Descriptor {
    magic: [u8; 8],
    fields: [u32; 16],
}

/// The descriptor of this build. Mach-O names a section by segment and
/// section (the report reads ELF images only; there it is kept in `__DATA`).
#[used]
#[cfg_attr(
    not(target_vendor = "apple"),
    unsafe(link_section = "slab_core_layout")
)]
#[cfg_attr(
    target_vendor = "apple",
    unsafe(link_section = "__DATA,slab_core_layout")
)]
static SLAB_CORE_LAYOUT: Descriptor = Descriptor {
    magic: MAGIC,
    fields: {
        let s = crate::slab::IMAGE_FIELDS;
        let c = c_definition();
        [
            s[0], s[1], s[2], s[3], s[4], s[5], s[6], s[7], c[0], c[1], c[2], c[3], c[4], c[5], 0,
            0,
        ]
    },
};

/// The C definition's size and offsets, or zeros without `capi`.
const fn c_definition() -> [u32; 6] {
    #[cfg(feature = "capi")]
    {
        crate::capi::DEFINITION_LAYOUT
    }
    #[cfg(not(feature = "capi"))]
    {
        [0; 6]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_descriptor_holds_the_slab_part_then_the_c_part() {
        assert_eq!(&SLAB_CORE_LAYOUT.magic, b"SLABLAY1");
        assert_eq!(SLAB_CORE_LAYOUT.fields[..8], crate::slab::IMAGE_FIELDS);
        assert_eq!(SLAB_CORE_LAYOUT.fields[8..14], c_definition());
        assert_eq!(SLAB_CORE_LAYOUT.fields[14..], [0, 0]);
        assert_eq!(
            SLAB_CORE_LAYOUT.fields[0] as usize,
            core::mem::size_of::<usize>()
        );
    }
}
