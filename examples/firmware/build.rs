//! Puts the board's memory layout where cortex-m-rt's `link.x` finds it as
//! `memory.x` (examples/common's build helper: the LM3S6965's flash and
//! RAM for Armv6-M and Armv7-M, the MPS2-AN505's for Armv8-M Mainline),
//! sets `cfg(board = "lm3s6965")` or `cfg(board = "an505")` to match,
//! tells the firmware its target triple, and compiles the C part
//! (`c/c_abi.c`).

fn main() {
    slab_firmware_common::build::memory_x("");
    c_abi();
    println!("cargo:rerun-if-changed=build.rs");
}

/// Compiles `c/c_abi.c` against slab-core's `slab.h` with the target's C
/// compiler (arm-none-eabi-gcc, which `cargo xtask test` installs):
/// freestanding C11, warnings as errors.
fn c_abi() {
    println!("cargo:rerun-if-changed=c/c_abi.c");
    println!("cargo:rerun-if-changed=../../slab-core/include/slab.h");
    let mut build = cc::Build::new();
    // The `track` feature: `k_mem_slab_alloc` records the C caller's line.
    if std::env::var_os("CARGO_FEATURE_TRACK").is_some() {
        build.define("SLAB_CORE_TRACK", None);
    }
    build
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
