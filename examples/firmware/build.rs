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

/// Compiles `c/c_abi.c` against slab-core's `slab.h` (examples/common's
/// helper); with the `track` feature, `k_mem_slab_alloc` records the C
/// caller's line (`SLAB_CORE_TRACK`).
fn c_abi() {
    let track = std::env::var_os("CARGO_FEATURE_TRACK").is_some();
    let defines: &[&str] = if track { &["SLAB_CORE_TRACK"] } else { &[] };
    slab_firmware_common::build_c::compile("c/c_abi.c", "c_abi", defines);
}
