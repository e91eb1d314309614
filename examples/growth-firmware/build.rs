//! Puts `memory.x` where cortex-m-rt's `link.x` finds it, and writes the
//! declarations of the shape asked for: `GROWTH_SLABS` slabs (default 1)
//! of `GROWTH_BLOCKS` 8-byte blocks each (default 16), named `G0000`, ….

use std::fmt::Write as _;
use std::path::PathBuf;
use std::{env, fs};

fn number(var: &str, default: usize) -> usize {
    println!("cargo:rerun-if-env-changed={var}");
    match env::var(var) {
        Ok(v) => v
            .parse()
            .unwrap_or_else(|_| panic!("{var} is a number, not `{v}`")),
        Err(_) => default,
    }
}

fn main() {
    let out = PathBuf::from(env::var_os("OUT_DIR").expect("cargo sets OUT_DIR"));
    fs::copy("memory.x", out.join("memory.x")).expect("copy memory.x");
    println!("cargo:rustc-link-search={}", out.display());
    println!("cargo:rerun-if-changed=memory.x");
    println!("cargo:rerun-if-changed=build.rs");
    let (slabs, blocks) = (number("GROWTH_SLABS", 1), number("GROWTH_BLOCKS", 16));
    let mut code = format!(
        "/// The shape built: slabs, blocks per slab.\npub const SHAPE: (usize, usize) = ({slabs}, {blocks});\n"
    );
    for i in 0..slabs {
        writeln!(
            code,
            "#[slab_core::mem_slab(blocks = {blocks}, size = 8)]\nstatic G{i:04}: slab_core::MemSlab;"
        )
        .unwrap();
    }
    fs::write(out.join("slabs.rs"), code).expect("write slabs.rs");
}
