//! For a firmware's `build.rs` (feature `c`): its C part, compiled against
//! slab-core's `slab.h` with the target's C compiler (arm-none-eabi-gcc,
//! which `cargo xtask test` installs) as C11, freestanding, with every
//! warning an error.

use std::{format, panic, println};

/// Compiles `file` (relative to the firmware's directory) into the static
/// library `lib`, linked into the firmware, with each of `defines` defined
/// (`-DNAME`). A missing compiler fails the build with the command that
/// installs it.
pub fn compile(file: &str, lib: &str, defines: &[&str]) {
    println!("cargo:rerun-if-changed={file}");
    println!("cargo:rerun-if-changed=../../slab-core/include/slab.h");
    let mut build = cc::Build::new();
    for name in defines {
        build.define(name, None);
    }
    build
        .file(file)
        .include("../../slab-core/include")
        .std("c11")
        .flag("-ffreestanding")
        .warnings(true)
        .extra_warnings(true)
        .warnings_into_errors(true)
        .try_compile(lib)
        .unwrap_or_else(|e| {
            panic!(
                "{}",
                format!(
                    "compiling {file} failed: {e}\n(it needs the target's C compiler, \
                     arm-none-eabi-gcc: `apt-get install -y --no-install-recommends \
                     gcc-arm-none-eabi`, or run `cargo xtask test`, which installs it)"
                )
            )
        });
}
