//! Puts the linker fragment `slab.x` on the link search path of bare-metal
//! firmware (as cortex-m-rt does with `link.x`), so that linking with
//! `-Tslab.x` needs no copying.

use std::path::PathBuf;
use std::{env, fs};

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rerun-if-changed=slab.x");
    if env::var("CARGO_CFG_TARGET_OS").as_deref() != Ok("none") {
        return;
    }
    let out = PathBuf::from(env::var_os("OUT_DIR").expect("cargo sets OUT_DIR"));
    fs::copy("slab.x", out.join("slab.x")).expect("copy slab.x to OUT_DIR");
    println!("cargo:rustc-link-search={}", out.display());
}
