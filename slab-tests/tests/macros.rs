//! The declaration macros end to end: what `#[mem_slab]` and `mem_slabs!`
//! declare has the promised shape, alignment, name and registry entry once
//! booted. Every slab in this binary has a `MACROS_`-style unique name, as
//! `boot()` threads them all.

use core::mem::{align_of, size_of};
use core::ptr;

use slab_core::{MemSlab, Timeout, mem_slab, registry};

const WORD: usize = size_of::<usize>();

/// Allocates every block of `slab`, checks each address against
/// `align`, and frees them all.
fn drain(slab: &MemSlab, align: usize) {
    slab_core::boot();
    assert!(slab.is_ready(), "{} is ready after boot", slab.name());
    let blocks: Vec<_> = (0..slab.num_blocks())
        .map(|_| slab.alloc(Timeout::NoWait).expect("a free block"))
        .collect();
    assert!(
        slab.alloc(Timeout::NoWait).is_err(),
        "{} is empty",
        slab.name()
    );
    for block in &blocks {
        assert_eq!(
            block.as_ptr() as usize % align,
            0,
            "{} block alignment",
            slab.name()
        );
    }
    for &block in &blocks {
        // SAFETY: allocated above from `slab`, freed once, not used after.
        unsafe { slab.free(block) }.unwrap();
    }
}

fn registered(slab: &'static MemSlab) -> bool {
    registry().iter().any(|s| ptr::eq(s, slab))
}

// --- const expressions -----------------------------------------------------

const RING: usize = 3;
const FRAME: usize = 20;

#[mem_slab(blocks = RING * 2 + 1, size = FRAME + 4)]
static MACROS_CONST_EXPR: MemSlab;

#[test]
fn const_expressions_for_blocks_and_size() {
    drain(&MACROS_CONST_EXPR, WORD);
    assert_eq!(MACROS_CONST_EXPR.num_blocks(), 7);
    assert_eq!(MACROS_CONST_EXPR.block_size(), 24);
}

// --- block size rounding ---------------------------------------------------

#[mem_slab(blocks = 2, size = 1)]
static MACROS_ONE_BYTE: MemSlab;

#[mem_slab(blocks = 3, size = 13)]
static MACROS_THIRTEEN: MemSlab;

#[test]
fn block_size_rounds_up_to_the_word() {
    drain(&MACROS_ONE_BYTE, WORD);
    drain(&MACROS_THIRTEEN, WORD);
    assert_eq!(MACROS_ONE_BYTE.block_size(), WORD);
    assert_eq!(MACROS_THIRTEEN.block_size(), 13usize.next_multiple_of(WORD));
}

// --- type = T ----------------------------------------------------------------

#[allow(dead_code)]
struct Command {
    opcode: u8,
    payload: [u16; 5],
}

#[allow(dead_code)]
#[repr(align(64))]
struct CacheLine([u8; 100]);

#[mem_slab(blocks = 4, type = Command)]
static MACROS_COMMANDS: MemSlab;

#[mem_slab(blocks = 3, type = CacheLine)]
static MACROS_CACHE_LINES: MemSlab;

#[mem_slab(blocks = 2, type = u8, align = 32)]
static MACROS_TYPE_AND_ALIGN: MemSlab;

#[test]
fn type_sets_block_size_and_alignment() {
    drain(&MACROS_COMMANDS, align_of::<Command>().max(WORD));
    assert_eq!(
        MACROS_COMMANDS.block_size(),
        size_of::<Command>().next_multiple_of(WORD)
    );
    // A block holds a `Command`.
    let block = MACROS_COMMANDS
        .alloc(Timeout::NoWait)
        .unwrap()
        .cast::<Command>();
    // SAFETY: the block is ours, large enough and aligned for a `Command`.
    unsafe {
        block.as_ptr().write(Command {
            opcode: 1,
            payload: [2; 5],
        })
    };
    // SAFETY: just written.
    assert_eq!(unsafe { block.as_ref() }.payload, [2; 5]);
    // SAFETY: allocated above, not used after.
    unsafe { MACROS_COMMANDS.free(block.cast()) }.unwrap();

    drain(&MACROS_CACHE_LINES, 64);
    assert_eq!(MACROS_CACHE_LINES.block_size(), 128);

    drain(&MACROS_TYPE_AND_ALIGN, 32);
    assert_eq!(MACROS_TYPE_AND_ALIGN.block_size(), 32);
}

// --- align -------------------------------------------------------------------

#[mem_slab(blocks = 5, size = 64, align = 64)]
static MACROS_ALIGN_64: MemSlab;

#[mem_slab(blocks = 3, size = 4096, align = 4096)]
static MACROS_ALIGN_PAGE: MemSlab;

#[mem_slab(blocks = 3, size = 16, align = 2)]
static MACROS_ALIGN_BELOW_WORD: MemSlab;

#[test]
fn align_aligns_every_block() {
    drain(&MACROS_ALIGN_64, 64);
    drain(&MACROS_ALIGN_PAGE, 4096);
    // The effective alignment is max(align, word).
    drain(&MACROS_ALIGN_BELOW_WORD, WORD);
    assert_eq!(MACROS_ALIGN_BELOW_WORD.block_size(), 16);
}

// --- section -----------------------------------------------------------------

#[mem_slab(blocks = 4, size = 32, section = ".data.slab_test")]
static MACROS_IN_SECTION: MemSlab;

#[test]
fn section_still_works() {
    drain(&MACROS_IN_SECTION, WORD);
    assert!(registered(&MACROS_IN_SECTION));
}

// --- names, modules, docs, cfg -------------------------------------------------

#[mem_slab(blocks = 2, size = 8, name = "macros.renamed")]
static MACROS_RENAMED: MemSlab;

mod outer {
    pub mod inner {
        use slab_core::mem_slab;

        /// A slab in a nested module, reached by path.
        #[mem_slab(blocks = 2, size = 8)]
        pub static MACROS_NESTED: slab_core::MemSlab;
    }
}

/// Documented, with a lint attribute: both carry over.
#[mem_slab(blocks = 1, size = 8)]
#[allow(dead_code)]
static MACROS_DOCUMENTED: MemSlab;

#[mem_slab(blocks = 1, size = 8)]
#[cfg(any())]
static MACROS_CFG_OUT_AFTER: MemSlab;

#[cfg(any())]
#[mem_slab(blocks = 1, size = 8)]
static MACROS_CFG_OUT_BEFORE: MemSlab;

#[mem_slab(blocks = 1, size = 8)]
#[cfg(test)]
static MACROS_CFG_IN: MemSlab;

#[test]
fn names_default_to_the_identifier() {
    slab_core::boot();
    let r = registry();
    assert_eq!(MACROS_RENAMED.name(), "macros.renamed");
    assert!(
        r.find("macros.renamed")
            .is_some_and(|s| ptr::eq(s, &MACROS_RENAMED))
    );
    assert!(r.find("MACROS_RENAMED").is_none());
    assert_eq!(outer::inner::MACROS_NESTED.name(), "MACROS_NESTED");
    assert!(
        r.find("MACROS_NESTED")
            .is_some_and(|s| ptr::eq(s, &outer::inner::MACROS_NESTED))
    );
    drain(&outer::inner::MACROS_NESTED, WORD);
}

#[test]
fn cfg_carries_over_to_the_registry() {
    slab_core::boot();
    let r = registry();
    assert!(r.find("MACROS_CFG_OUT_AFTER").is_none());
    assert!(r.find("MACROS_CFG_OUT_BEFORE").is_none());
    assert!(
        r.find("MACROS_CFG_IN")
            .is_some_and(|s| ptr::eq(s, &MACROS_CFG_IN))
    );
    assert!(registered(&MACROS_DOCUMENTED));
}

// --- mem_slabs! --------------------------------------------------------------

slab_core::mem_slabs! {
    /// Transmit buffers.
    pub static MACROS_LIST_TX(blocks = 4, size = 128);
    static MACROS_LIST_CMDS(blocks = 2, type = Command, align = 16);
    static MACROS_LIST_NAMED(blocks = RING, size = FRAME, name = "macros.list");
    #[cfg(any())]
    static MACROS_LIST_CFG_OUT(blocks = 1, size = 8);
}

#[test]
fn mem_slabs_declares_each_item() {
    drain(&MACROS_LIST_TX, WORD);
    drain(&MACROS_LIST_CMDS, 16);
    drain(&MACROS_LIST_NAMED, WORD);
    assert_eq!(MACROS_LIST_TX.block_size(), 128);
    assert_eq!(MACROS_LIST_TX.num_blocks(), 4);
    assert_eq!(
        MACROS_LIST_CMDS.block_size(),
        size_of::<Command>().next_multiple_of(16)
    );
    assert_eq!(MACROS_LIST_NAMED.name(), "macros.list");
    assert_eq!(MACROS_LIST_NAMED.block_size(), 24);
    let r = registry();
    for slab in [&MACROS_LIST_TX, &MACROS_LIST_CMDS, &MACROS_LIST_NAMED] {
        assert!(registered(slab), "{} is registered", slab.name());
    }
    assert!(r.find("MACROS_LIST_CFG_OUT").is_none());
}

// --- a slab declared inside a function ----------------------------------------

#[test]
fn slab_in_a_function_body() {
    #[mem_slab(blocks = 2, size = 16)]
    static MACROS_LOCAL: MemSlab;

    drain(&MACROS_LOCAL, WORD);
    assert!(registered(&MACROS_LOCAL));
}

// --- other crates --------------------------------------------------------------

#[facade::slab::mem_slab(blocks = 2, size = 24, crate = facade::slab)]
static MACROS_THROUGH_FACADE: facade::slab::MemSlab;

#[test]
fn crate_override_through_a_facade() {
    drain(&MACROS_THROUGH_FACADE, WORD);
    assert!(registered(&MACROS_THROUGH_FACADE));
    // Declared inside the facade crate, where only `crate::slab` resolves.
    drain(&facade::FACADE_SLAB, WORD);
    drain(&facade::FACADE_LIST_SLAB, WORD);
    assert!(registered(&facade::FACADE_SLAB));
    assert!(registered(&facade::FACADE_LIST_SLAB));
    assert_eq!(facade::FACADE_SLAB.num_blocks(), 3);
}

#[test]
fn a_library_crate_slab_is_in_the_binary_registry() {
    slab_core::boot();
    let pool = registry()
        .find("slab_lib.pool")
        .expect("slab-lib's slab is registered");
    assert!(ptr::eq(pool, &slab_lib::LIB_POOL));
    assert_eq!(pool.num_blocks(), 5);
    drain(pool, WORD);
}

#[test]
fn every_declared_slab_is_registered_once() {
    slab_core::boot();
    let r = registry();
    let mut names: Vec<_> = r.iter().map(MemSlab::name).collect();
    names.sort_unstable();
    let before = names.len();
    names.dedup();
    assert_eq!(
        names.len(),
        before,
        "no slab is registered twice: {names:?}"
    );
    // 19 here, 2 in the facade, 1 in slab-lib.
    assert_eq!(r.len(), 22, "{r}");
}
