//! An ELF image as memory: bytes and words at virtual addresses, the
//! section holding an address, symbols by address.

use std::collections::HashMap;

use object::{
    Object, ObjectSection, ObjectSymbol, RelocationFlags, RelocationTarget, SectionFlags,
    SectionKind, SymbolKind,
};

use crate::Error;

/// One allocated section: where it is and what the file holds of it.
struct Section {
    name: String,
    address: u64,
    size: u64,
    /// Empty for `NOBITS` (`.bss`, `.noinit`).
    data: Vec<u8>,
    /// Code or read-only data: counted for the code-size estimate.
    flash_code: bool,
}

/// What the report needs of the image.
pub(crate) struct Image {
    pub little_endian: bool,
    pub pointer_width: usize,
    sections: Vec<Section>,
    /// Address → value of the dynamic relocations that set a word (a
    /// position-independent executable's pointers, with the load address 0).
    relocated: HashMap<u64, u64>,
    /// Sized data symbols by address (the largest, when several start there).
    data_sizes: HashMap<u64, u64>,
    /// (demangled name, address, size) of every sized function and object.
    symbols: Vec<(String, u64, u64)>,
}

impl Image {
    pub fn parse(bytes: &[u8]) -> Result<Self, Error> {
        let file = object::File::parse(bytes).map_err(|e| Error::NotElf(e.to_string()))?;
        if file.format() != object::BinaryFormat::Elf {
            return Err(Error::NotElf(format!("a {:?} file", file.format())));
        }
        let mut sections = Vec::new();
        for section in file.sections() {
            let name = section.name().unwrap_or_default().to_owned();
            let (address, size) = (section.address(), section.size());
            let allocated = matches!(
                section.flags(),
                SectionFlags::Elf { sh_flags } if sh_flags & u64::from(object::elf::SHF_ALLOC) != 0
            );
            if !allocated {
                continue;
            }
            let kind = section.kind();
            let nobits = matches!(
                kind,
                SectionKind::UninitializedData | SectionKind::UninitializedTls
            );
            let data = if nobits {
                Vec::new()
            } else {
                section
                    .data()
                    .map_err(|e| Error::NotElf(format!("section {name}: {e}")))?
                    .to_vec()
            };
            let flash_code = name.starts_with(".text") || name.starts_with(".rodata");
            sections.push(Section {
                name,
                address,
                size,
                data,
                flash_code,
            });
        }

        let mut relocated = HashMap::new();
        if let Some(relocations) = file.dynamic_relocations() {
            for (address, relocation) in relocations {
                if relocation.has_implicit_addend() {
                    // REL: the word already holds the value at load address 0.
                    continue;
                }
                let RelocationFlags::Elf { r_type } = relocation.flags() else {
                    continue;
                };
                let value = match relocation.target() {
                    RelocationTarget::Absolute if is_relative(file.architecture(), r_type) => {
                        relocation.addend() as u64
                    }
                    RelocationTarget::Symbol(index) => {
                        let Ok(symbol) = file.symbol_by_index(index) else {
                            continue;
                        };
                        if symbol.is_undefined() {
                            continue;
                        }
                        symbol.address().wrapping_add(relocation.addend() as u64)
                    }
                    _ => continue,
                };
                relocated.insert(address, value);
            }
        }

        let mut data_sizes: HashMap<u64, u64> = HashMap::new();
        let mut symbols = Vec::new();
        for symbol in file.symbols() {
            let (address, size) = (symbol.address(), symbol.size());
            if size == 0 || symbol.is_undefined() {
                continue;
            }
            match symbol.kind() {
                SymbolKind::Data => {
                    let entry = data_sizes.entry(address).or_default();
                    *entry = (*entry).max(size);
                }
                SymbolKind::Text => {}
                _ => continue,
            }
            let name = symbol.name().unwrap_or_default();
            symbols.push((
                format!("{:#}", rustc_demangle::demangle(name)),
                address,
                size,
            ));
        }

        Ok(Image {
            little_endian: file.is_little_endian(),
            pointer_width: if file.is_64() { 8 } else { 4 },
            sections,
            relocated,
            data_sizes,
            symbols,
        })
    }

    /// The allocated section that holds `address`.
    pub fn section_of(&self, address: u64) -> Option<&str> {
        self.sections
            .iter()
            .filter(|s| s.size > 0)
            .find(|s| address >= s.address && address - s.address < s.size)
            .map(|s| s.name.as_str())
    }

    /// The file's bytes of the section named `name`, and its address.
    pub fn section_bytes(&self, name: &str) -> Option<(u64, &[u8])> {
        self.sections
            .iter()
            .find(|s| s.name == name)
            .map(|s| (s.address, s.data.as_slice()))
    }

    /// `len` bytes at `address`, from a section with contents.
    pub fn bytes(&self, address: u64, len: u64) -> Result<&[u8], Error> {
        let section = self
            .sections
            .iter()
            .filter(|s| !s.data.is_empty())
            .find(|s| address >= s.address && address - s.address < s.data.len() as u64)
            .ok_or_else(|| {
                Error::Malformed(format!(
                    "{address:#x} is in no section with contents in the image"
                ))
            })?;
        let start = (address - section.address) as usize;
        usize::try_from(len)
            .ok()
            .and_then(|len| section.data.get(start..start.checked_add(len)?))
            .ok_or_else(|| {
                Error::Malformed(format!(
                    "{len} bytes at {address:#x} run past the end of {}",
                    section.name
                ))
            })
    }

    /// The `u32` at `address`.
    pub fn u32_at(&self, address: u64) -> Result<u32, Error> {
        let b: [u8; 4] = self.bytes(address, 4)?.try_into().expect("4 bytes");
        Ok(if self.little_endian {
            u32::from_le_bytes(b)
        } else {
            u32::from_be_bytes(b)
        })
    }

    /// The pointer-sized word at `address`, as the loaded program sees it.
    pub fn word_at(&self, address: u64) -> Result<u64, Error> {
        if let Some(&value) = self.relocated.get(&address) {
            return Ok(value);
        }
        let b = self.bytes(address, self.pointer_width as u64)?;
        Ok(match (self.pointer_width, self.little_endian) {
            (8, true) => u64::from_le_bytes(b.try_into().expect("8 bytes")),
            (8, false) => u64::from_be_bytes(b.try_into().expect("8 bytes")),
            (_, true) => u64::from(u32::from_le_bytes(b.try_into().expect("4 bytes"))),
            (_, false) => u64::from(u32::from_be_bytes(b.try_into().expect("4 bytes"))),
        })
    }

    /// The size of the data symbol at `address`, if the image has one.
    pub fn data_size(&self, address: u64) -> Option<u64> {
        self.data_sizes.get(&address).copied()
    }

    /// The bytes of sized symbols in `.text*`/`.rodata*` whose demangled
    /// name passes `keep`, each address counted once.
    pub fn code_bytes(&self, keep: impl Fn(&str) -> bool) -> u64 {
        let mut seen = std::collections::HashSet::new();
        self.symbols
            .iter()
            .filter(|(name, address, _)| {
                keep(name)
                    && self
                        .sections
                        .iter()
                        .find(|s| *address >= s.address && *address - s.address < s.size)
                        .is_some_and(|s| s.flash_code)
            })
            // Aliases (one function under two names) share an address.
            .filter(|(_, address, _)| seen.insert(*address))
            .map(|(_, _, size)| size)
            .sum()
    }
}

/// Whether `r_type` is the machine's "load address + addend" relocation.
fn is_relative(architecture: object::Architecture, r_type: u32) -> bool {
    use object::Architecture as A;
    use object::elf;
    match architecture {
        A::X86_64 | A::X86_64_X32 => r_type == elf::R_X86_64_RELATIVE,
        A::I386 => r_type == elf::R_386_RELATIVE,
        A::Aarch64 => r_type == elf::R_AARCH64_RELATIVE,
        A::Arm => r_type == elf::R_ARM_RELATIVE,
        A::Riscv32 | A::Riscv64 => r_type == elf::R_RISCV_RELATIVE,
        _ => false,
    }
}
