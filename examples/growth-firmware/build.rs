//! Puts `memory.x` (the MPS2-AN385's SSRAMs, examples/common's) where
//! cortex-m-rt's `link.x` finds it, and writes `slabs.rs`: `GROWTH_SLABS` declared slabs (default
//! 10) of `GROWTH_BLOCKS` 8-byte blocks each (default 4), named `S00000`,
//! `S00001`, … (names of one length: `boot()`'s name check compares every
//! pair's bytes, its dearest case).

use std::fmt::Write as _;
use std::path::PathBuf;
use std::{env, fs};

fn number(var: &str, default: usize) -> usize {
    println!("cargo:rerun-if-env-changed={var}");
    match env::var(var) {
        Ok(v) => v
            .parse()
            .unwrap_or_else(|e| panic!("{var}={v:?} is not a number: {e}")),
        Err(_) => default,
    }
}

fn main() {
    slab_firmware_common::build::memory_x_on(slab_firmware_common::build::Board::An385, "");
    let out = PathBuf::from(env::var_os("OUT_DIR").expect("cargo sets OUT_DIR"));
    println!("cargo:rerun-if-changed=build.rs");
    let slabs = number("GROWTH_SLABS", 10);
    let blocks = number("GROWTH_BLOCKS", 4);
    assert!(
        slabs >= 1 && blocks >= 1,
        "GROWTH_SLABS and GROWTH_BLOCKS must be at least 1"
    );
    let mut src = String::from("slab_core::mem_slabs! {\n");
    for i in 0..slabs {
        let _ = writeln!(src, "    pub static S{i:05}(blocks = {blocks}, size = 8);");
    }
    src.push_str("}\n");
    let _ = writeln!(
        src,
        "/// How many slabs are declared.\npub const SLABS: usize = {slabs};"
    );
    let _ = writeln!(
        src,
        "/// Blocks in each.\npub const BLOCKS: usize = {blocks};"
    );
    let _ = writeln!(
        src,
        "/// The last one declared.\npub static LAST: &slab_core::MemSlab = &S{:05};",
        slabs - 1
    );
    fs::write(out.join("slabs.rs"), src).expect("write slabs.rs");
}
