//! Puts `memory.x` where cortex-m-rt's `link.x` finds it, and compiles the
//! C part (`c/pool.c`, a `K_MEM_SLAB_DEFINE`d slab) against slab-core's
//! `slab.h` with the target's C compiler (arm-none-eabi-gcc).

use std::{env, fs, path::PathBuf};

fn main() {
    let out = PathBuf::from(env::var_os("OUT_DIR").expect("cargo sets OUT_DIR"));
    fs::copy("memory.x", out.join("memory.x")).expect("copy memory.x");
    println!("cargo:rustc-link-search={}", out.display());
    for file in ["memory.x", "c/pool.c", "../../slab-core/include/slab.h"] {
        println!("cargo:rerun-if-changed={file}");
    }
    cc::Build::new()
        .file("c/pool.c")
        .include("../../slab-core/include")
        .std("c11")
        .flag("-ffreestanding")
        .warnings(true)
        .extra_warnings(true)
        .warnings_into_errors(true)
        .try_compile("pool")
        .unwrap_or_else(|e| {
            panic!(
                "compiling c/pool.c failed: {e}\n(it needs the target's C compiler, \
                 arm-none-eabi-gcc: `apt-get install -y --no-install-recommends \
                 gcc-arm-none-eabi`, or run `cargo xtask test`, which installs it)"
            )
        });
}
