//! Puts `memory.x` (the LM3S6965's flash and RAM) where cortex-m-rt's
//! `link.x` finds it, tells the firmware its target triple, and compiles
//! the C part (`c/c_abi.c`).

use std::path::PathBuf;
use std::{env, fs};

fn main() {
    let out = PathBuf::from(env::var_os("OUT_DIR").expect("cargo sets OUT_DIR"));
    fs::copy("memory.x", out.join("memory.x")).expect("copy memory.x");
    println!("cargo:rustc-link-search={}", out.display());
    let target = env::var("TARGET").expect("cargo sets TARGET");
    println!("cargo:rustc-env=FIRMWARE_TARGET={target}");
    println!("cargo:rerun-if-changed=memory.x");
    c_abi();
    println!("cargo:rerun-if-changed=build.rs");
}

/// Compiles `c/c_abi.c` against slab-core's `slab.h` with the target's C
/// compiler (arm-none-eabi-gcc, which `cargo xtask test` installs):
/// freestanding C11, warnings as errors.
fn c_abi() {
    println!("cargo:rerun-if-changed=c/c_abi.c");
    println!("cargo:rerun-if-changed=../../slab-core/include/slab.h");
    cc::Build::new()
        .file("c/c_abi.c")
        .include("../../slab-core/include")
        .std("c11")
        .flag("-ffreestanding")
        .warnings(true)
        .extra_warnings(true)
        .warnings_into_errors(true)
        .try_compile("c_abi")
        .unwrap_or_else(|e| {
            panic!(
                "compiling c/c_abi.c failed: {e}\n(it needs the target's C compiler, \
                 arm-none-eabi-gcc: `apt-get install -y --no-install-recommends \
                 gcc-arm-none-eabi`, or run `cargo xtask test`, which installs it)"
            )
        });
}
