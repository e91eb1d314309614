//! Decoding the slabs with the image's own layout descriptor, and the
//! report's table.

use std::collections::BTreeMap;
use std::fmt;

use crate::Error;
use crate::image::Image;

const REGISTRY: &str = "linkme_SLAB_CORE_REGISTRY";
const C_SLABS: &str = "linkme_SLAB_CORE_C_SLABS";
const LAYOUT: &str = "slab_core_layout";
const MAGIC: &[u8; 8] = b"SLABLAY1";
/// The descriptor's bytes: the magic and 16 `u32`s.
const SIZE: usize = 8 + 16 * 4;
/// The longest name believed: a longer one means the wrong bytes are read.
const MAX_NAME: u64 = 4096;

/// Where the fields are, as the image's `slab_core_layout` says (see
/// slab-core's `slab/footprint.rs` for the format).
struct Layout {
    memslab_size: u64,
    name_ptr: u64,
    name_len: u64,
    buffer: u64,
    block_size: u64,
    num_blocks: u64,
    flags: u64,
    /// `None` when slab-core was built without `capi`.
    c: Option<CLayout>,
}

struct CLayout {
    size: u64,
    storage: u64,
    buffer: u64,
    block_size: u64,
    num_blocks: u64,
    name: u64,
}

impl Layout {
    fn read(image: &Image) -> Result<Self, Error> {
        let (address, bytes) = image.section_bytes(LAYOUT).ok_or(Error::NoLayout)?;
        // Two copies (two slab-core builds in one program) must agree.
        if bytes.len() > SIZE && bytes.chunks(SIZE).any(|copy| copy != &bytes[..SIZE]) {
            return Err(Error::UnknownLayout(format!(
                "{} bytes: descriptors of different slab-core builds",
                bytes.len()
            )));
        }
        if bytes.len() < SIZE || &bytes[..8] != MAGIC {
            return Err(Error::UnknownLayout(format!(
                "expected the magic {:?} and 16 words, found {} bytes starting {:?}",
                String::from_utf8_lossy(MAGIC),
                bytes.len(),
                String::from_utf8_lossy(&bytes[..bytes.len().min(8)])
            )));
        }
        let field = |i: u64| image.u32_at(address + 8 + 4 * i).map(u64::from);
        let pointer_width = field(0)?;
        if pointer_width != image.pointer_width as u64 {
            return Err(Error::UnknownLayout(format!(
                "it says {pointer_width}-byte pointers in an ELF of {}-byte pointers",
                image.pointer_width
            )));
        }
        let c_size = field(8)?;
        let layout = Layout {
            memslab_size: field(1)?,
            name_ptr: field(2)?,
            name_len: field(3)?,
            buffer: field(4)?,
            block_size: field(5)?,
            num_blocks: field(6)?,
            flags: field(7)?,
            c: if c_size == 0 {
                None
            } else {
                Some(CLayout {
                    size: c_size,
                    storage: field(9)?,
                    buffer: field(10)?,
                    block_size: field(11)?,
                    num_blocks: field(12)?,
                    name: field(13)?,
                })
            },
        };
        let word = pointer_width;
        let fits = |offset: u64, width: u64| offset + width <= layout.memslab_size;
        if ![
            layout.name_ptr,
            layout.name_len,
            layout.buffer,
            layout.block_size,
            layout.num_blocks,
            layout.flags,
        ]
        .iter()
        .all(|&offset| fits(offset, word))
        {
            return Err(Error::UnknownLayout(format!(
                "a field offset beyond the {}-byte MemSlab",
                layout.memslab_size
            )));
        }
        Ok(layout)
    }
}

/// Whether a slab was declared in Rust (listed by `slab_core::registry()`)
/// or defined by C code (`K_MEM_SLAB_DEFINE`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum SlabKind {
    /// `#[mem_slab]` or `mem_slabs!`: in the registry.
    Declared,
    /// `K_MEM_SLAB_DEFINE`: found by `k_mem_slab_find`, not in the registry.
    C,
}

/// Some bytes of a slab and the section that holds them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Part {
    /// Bytes.
    pub bytes: u64,
    /// The section holding them (`.bss`, `.noinit`, `.data`, …), or `"-"`
    /// for no bytes or an address in no section.
    pub section: String,
}

/// One slab of the image.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Slab {
    /// Its registry name (for a C slab, its C identifier).
    pub name: String,
    /// Declared in Rust, or defined in C.
    pub kind: SlabKind,
    /// The address of its `MemSlab` (for a C slab, of its definition).
    pub address: u64,
    /// Bytes per block.
    pub block_size: u64,
    /// Number of blocks.
    pub blocks: u64,
    /// The block buffer.
    pub buffer: Part,
    /// The free flags (no bytes with `checks = "bounds"`).
    pub flags: Part,
    /// The `MemSlab` (for a C slab, its `struct k_mem_slab` storage).
    pub slab: Part,
}

impl Slab {
    /// Buffer, flags and `MemSlab` together.
    pub fn ram_bytes(&self) -> u64 {
        self.buffer.bytes + self.flags.bytes + self.slab.bytes
    }

    fn parts(&self) -> [&Part; 3] {
        [&self.buffer, &self.flags, &self.slab]
    }
}

/// What an image's slabs take, and the estimate of slab-core's code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Footprint {
    /// 4 or 8.
    pub pointer_width: usize,
    /// Declared slabs (as `registry()` lists them: by name, then address),
    /// then C slabs (by name, then address).
    pub slabs: Vec<Slab>,
    /// Bytes of slab-core's functions and read-only data (an estimate, see
    /// the crate docs).
    pub code_bytes: u64,
}

impl Footprint {
    /// Reads the footprint of the ELF image `bytes`.
    ///
    /// ```
    /// let err = slab_footprint::Footprint::read(b"not an ELF").unwrap_err();
    /// assert!(err.to_string().starts_with("not an ELF image"));
    /// ```
    pub fn read(bytes: &[u8]) -> Result<Self, Error> {
        let image = Image::parse(bytes)?;
        let (registry_at, registry) = image.section_bytes(REGISTRY).ok_or(Error::NoRegistry)?;
        let layout = Layout::read(&image)?;
        let word = image.pointer_width as u64;
        if !(registry.len() as u64).is_multiple_of(word) {
            return Err(Error::Malformed(format!(
                "{REGISTRY} is {} bytes, not whole pointers",
                registry.len()
            )));
        }
        let mut slabs = Vec::new();
        for i in 0..registry.len() as u64 / word {
            let at = image.word_at(registry_at + i * word)?;
            slabs.push(declared(&image, &layout, at)?);
        }
        if let (Some(c), Some((defs_at, defs))) = (&layout.c, image.section_bytes(C_SLABS)) {
            if !(defs.len() as u64).is_multiple_of(c.size) {
                return Err(Error::Malformed(format!(
                    "{C_SLABS} is {} bytes, not whole {}-byte definitions",
                    defs.len(),
                    c.size
                )));
            }
            for i in 0..defs.len() as u64 / c.size {
                slabs.push(c_defined(
                    &image,
                    c,
                    defs_at + i * c.size,
                    layout.memslab_size,
                )?);
            }
        }
        slabs.sort_by(|a, b| (a.kind, &a.name, a.address).cmp(&(b.kind, &b.name, b.address)));
        let code_bytes = image
            .code_bytes(|name| name.starts_with("slab_core::") || name.starts_with("<slab_core::"));
        Ok(Footprint {
            pointer_width: image.pointer_width,
            slabs,
            code_bytes,
        })
    }

    /// The RAM of every slab, declared and C.
    pub fn ram_bytes(&self) -> u64 {
        self.slabs.iter().map(Slab::ram_bytes).sum()
    }

    /// RAM bytes per section, by section name.
    pub fn by_section(&self) -> BTreeMap<&str, u64> {
        let mut totals = BTreeMap::new();
        for part in self.slabs.iter().flat_map(Slab::parts) {
            if part.bytes > 0 {
                *totals.entry(part.section.as_str()).or_default() += part.bytes;
            }
        }
        totals
    }
}

/// The `MemSlab` at `at`.
fn declared(image: &Image, layout: &Layout, at: u64) -> Result<Slab, Error> {
    let field = |offset: u64| image.word_at(at + offset);
    let name = read_name(image, field(layout.name_ptr)?, field(layout.name_len)?)
        .map_err(|e| Error::Malformed(format!("the MemSlab at {at:#x}: {e}")))?;
    let (block_size, blocks) = (field(layout.block_size)?, field(layout.num_blocks)?);
    let span = block_size
        .checked_mul(blocks)
        .ok_or_else(|| Error::Malformed(format!("slab {name}: {blocks} × {block_size} bytes")))?;
    let flags_at = field(layout.flags)?;
    let word = image.pointer_width as u64;
    let flags = if flags_at == 0 {
        Part {
            bytes: 0,
            section: "-".into(),
        }
    } else {
        // One byte per block and a sentinel, in whole words, as slab-core
        // sizes them, when the symbol table does not say.
        let computed = (blocks + 1).div_ceil(word) * word;
        part(image, flags_at, computed)
    };
    Ok(Slab {
        name,
        kind: SlabKind::Declared,
        address: at,
        block_size,
        blocks,
        buffer: part(image, field(layout.buffer)?, span),
        flags,
        slab: part(image, at, layout.memslab_size),
    })
}

/// The C definition at `at`.
fn c_defined(image: &Image, c: &CLayout, at: u64, memslab_size: u64) -> Result<Slab, Error> {
    let name_at = image.word_at(at + c.name)?;
    let name = read_c_name(image, name_at)
        .map_err(|e| Error::Malformed(format!("the C slab definition at {at:#x}: {e}")))?;
    let block_size = image.word_at(at + c.block_size)?;
    let blocks = u64::from(image.u32_at(at + c.num_blocks)?);
    let storage = image.word_at(at + c.storage)?;
    Ok(Slab {
        name,
        kind: SlabKind::C,
        address: at,
        block_size,
        blocks,
        buffer: part(image, image.word_at(at + c.buffer)?, block_size * blocks),
        flags: Part {
            bytes: 0,
            section: "-".into(),
        },
        slab: part(image, storage, memslab_size),
    })
}

/// The bytes at `address`: the symbol's size there, else `computed`.
fn part(image: &Image, address: u64, computed: u64) -> Part {
    Part {
        bytes: image.data_size(address).unwrap_or(computed),
        section: image.section_of(address).unwrap_or("-").to_owned(),
    }
}

fn read_name(image: &Image, ptr: u64, len: u64) -> Result<String, String> {
    if len > MAX_NAME {
        return Err(format!("a name of {len} bytes"));
    }
    if len == 0 {
        return Ok(String::new());
    }
    let bytes = image.bytes(ptr, len).map_err(|e| e.to_string())?;
    String::from_utf8(bytes.to_vec()).map_err(|_| format!("the name at {ptr:#x} is not UTF-8"))
}

fn read_c_name(image: &Image, ptr: u64) -> Result<String, String> {
    for len in 0..MAX_NAME {
        if image.bytes(ptr + len, 1).map_err(|e| e.to_string())?[0] == 0 {
            return read_name(image, ptr, len);
        }
    }
    Err(format!(
        "no NUL within {MAX_NAME} bytes of the name at {ptr:#x}"
    ))
}

/// The report: the slabs' table, the totals per section and the code
/// estimate.
///
/// ```text
/// name          block size  blocks  buffer  flags  MemSlab  RAM bytes  section
/// HANDOFF               32       2      64      4      120        188  .bss
/// ```
impl fmt::Display for Footprint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let width = self.slabs.iter().map(|s| s.name.len()).fold(4, usize::max);
        let header = |f: &mut fmt::Formatter<'_>, title: &str| {
            writeln!(
                f,
                "{title:<width$}  {:>10}  {:>6}  {:>7}  {:>5}  {:>7}  {:>9}  section",
                "block size", "blocks", "buffer", "flags", "MemSlab", "RAM bytes"
            )
        };
        let mut kind = None;
        for slab in &self.slabs {
            if kind != Some(slab.kind) {
                if kind.is_some() {
                    writeln!(f)?;
                }
                match slab.kind {
                    SlabKind::Declared => header(f, "name")?,
                    SlabKind::C => {
                        writeln!(f, "C slabs (K_MEM_SLAB_DEFINE; not in registry()):")?;
                        header(f, "name")?
                    }
                }
                kind = Some(slab.kind);
            }
            writeln!(
                f,
                "{:<width$}  {:>10}  {:>6}  {:>7}  {:>5}  {:>7}  {:>9}  {}",
                slab.name,
                slab.block_size,
                slab.blocks,
                slab.buffer.bytes,
                slab.flags.bytes,
                slab.slab.bytes,
                slab.ram_bytes(),
                slab.buffer.section,
            )?;
        }
        if self.slabs.is_empty() {
            writeln!(f, "no slabs")?;
        }
        writeln!(f)?;
        writeln!(f, "RAM by section (buffers, flags and MemSlabs):")?;
        let sections = self.by_section();
        let name_width = sections.keys().map(|s| s.len()).fold(5, usize::max);
        for (section, bytes) in &sections {
            writeln!(f, "  {section:<name_width$}  {bytes:>8}")?;
        }
        writeln!(f, "  {:<name_width$}  {:>8}", "total", self.ram_bytes())?;
        writeln!(f)?;
        writeln!(
            f,
            "slab-core code and read-only data in flash: about {} bytes \
             (symbols slab_core::* in .text/.rodata; inlined code not counted)",
            self.code_bytes
        )
    }
}
