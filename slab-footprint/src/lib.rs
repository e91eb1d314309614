//! The RAM that a program's slabs take, read from its ELF image without
//! running it, and the flash that slab-core's code takes.
//!
//! The binary `slab-footprint` prints the report; this library reads it
//! ([`Footprint::read`]) for programs and tests.
//!
//! ```text
//! $ slab-footprint target/firmware/thumbv7m-none-eabi/release/slab-firmware --max-ram 4096
//! name            block size  blocks   buffer  flags  MemSlab  RAM bytes  section
//! HANDOFF                 32       2       64      4      120        188  .bss
//! IRQ_BUFS                16       1       16      4      120        140  .bss
//! NOINIT_FRAMES           64       2      128      4      120        252  .noinit
//! POOL                    24       4       96      8      120        224  .bss
//! …
//!
//! C slabs (K_MEM_SLAB_DEFINE; not in registry()):
//! name            block size  blocks   buffer  flags  MemSlab  RAM bytes  section
//! c_scratch               16       2       32      0      128        160  .bss
//!
//! RAM by section (buffers, flags and MemSlabs):
//!   .bss          948
//!   .data         840
//!   .noinit       128
//!   total        1916
//!
//! slab-core code and read-only data in flash: about 5493 bytes (symbols slab_core::* in .text/.rodata; inlined code not counted)
//! RAM budget: 1916 of 4096 bytes used
//! ```
//!
//! Exit status: 0; 1 when the slabs take more RAM than `--max-ram`
//! (`over budget: the slabs take 1916 bytes of RAM, more than --max-ram
//! 1500 (by 416 bytes)`); 2 for a usage error or an image it cannot read
//! (not an ELF, no registry, no or an unknown layout descriptor).
//!
//! In a program:
//!
//! ```no_run
//! let image = std::fs::read("firmware.elf")?;
//! let footprint = slab_footprint::Footprint::read(&image)?;
//! for slab in &footprint.slabs {
//!     println!("{}: {} bytes in {}", slab.name, slab.ram_bytes(), slab.buffer.section);
//! }
//! assert!(footprint.ram_bytes() <= 16 * 1024);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # What is read, and from where
//!
//! - The registry: the pointers in the section `linkme_SLAB_CORE_REGISTRY`
//!   (every `#[mem_slab]` / `mem_slabs!` declaration linked in, the slabs
//!   `slab_core::registry()` lists), and the definitions in
//!   `linkme_SLAB_CORE_C_SLABS` (C's `K_MEM_SLAB_DEFINE`, listed apart:
//!   `registry()` does not show them).
//! - Where each field of a `MemSlab` is: from the descriptor slab-core
//!   writes into the image itself (section `slab_core_layout`, 72 bytes of
//!   flash, built from `offset_of!` of the fields), never from offsets
//!   known to this tool, so a change of slab-core's layout cannot make the
//!   report silently wrong; an image without the descriptor, or with one
//!   of another format, is refused.
//! - Sizes of the block buffer and the free flags: from the symbol table
//!   (the `__SLAB_STORAGE` / `__SLAB_USED` statics of the declaration, or
//!   C's buffer), so with the padding of their alignment (a `std` build
//!   aligns them to 128 bytes); in a stripped image, computed from the
//!   shape (the blocks, and one flag byte per block plus one, in whole
//!   words), without that padding.
//! - Pointers in a position-independent host executable are resolved
//!   through its dynamic relocations, as the loader would.
//!
//! # What counts as a slab's RAM
//!
//! Its block buffer, its free flags (none for `checks = "bounds"`) and
//! the `MemSlab` itself (for a C slab, its `struct k_mem_slab` storage);
//! each in the section that holds it (`.bss`, `.noinit`, `.data`, …), and
//! the report totals them per section. Not counted: the registry entry and
//! the C definition (flash), and the flash image of a `MemSlab` in `.data`.
//!
//! # slab-core's code
//!
//! An estimate: the sizes of the symbols in `.text*` and `.rodata*` whose
//! demangled names start with `slab_core::` or `<slab_core::`. Code that
//! is inlined into the caller's functions is not counted; generic code
//! instantiated for the caller is, under slab-core's name.
#![deny(missing_docs)]

mod image;
mod report;

pub use report::{Footprint, Part, Slab, SlabKind};

use std::fmt;

/// Why an image cannot be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Error {
    /// Not an ELF file (or a damaged one): what the parser said.
    NotElf(String),
    /// No section `linkme_SLAB_CORE_REGISTRY`.
    NoRegistry,
    /// No section `slab_core_layout`.
    NoLayout,
    /// A `slab_core_layout` this tool does not know how to read.
    UnknownLayout(String),
    /// The registry or a slab points where the image has no bytes, or a
    /// field is not what a slab holds.
    Malformed(String),
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::NotElf(why) => write!(f, "not an ELF image: {why}"),
            Error::NoRegistry => write!(
                f,
                "no slab registry (no section linkme_SLAB_CORE_REGISTRY): was the firmware \
                 linked with -Tslab.x, and does it declare a slab?"
            ),
            Error::NoLayout => write!(
                f,
                "no slab_core_layout section: the image's slab-core does not describe its \
                 layout (a slab-core older than the descriptor, or a linker that removed \
                 the section: it needs lld or GNU ld 2.36 or later, and -Tslab.x on bare metal)"
            ),
            Error::UnknownLayout(why) => write!(f, "unknown slab_core_layout: {why}"),
            Error::Malformed(why) => write!(f, "malformed slab data: {why}"),
        }
    }
}

impl std::error::Error for Error {}
