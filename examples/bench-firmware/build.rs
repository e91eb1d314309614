//! The board's `memory.x` where the linker finds it (cortex-m-rt's
//! `link.x` includes it; riscv-rt's wants `-Tmemory.x` first) and the
//! target triple for the firmware (`examples/common`'s build helper), and
//! `cfg(heapless_pool)` where heapless's pool builds: Arm with LDREX/STREX
//! (Armv7-M, Armv8-M Mainline; not Armv6-M, which has no atomic
//! read-modify-write). Elsewhere it needs a CAS twice the pointer's width
//! for its ABA tag, which riscv32imac does not have.

use std::env;

fn main() {
    slab_firmware_common::build::memory_x("");
    println!("cargo:rustc-check-cfg=cfg(heapless_pool)");
    let arch = env::var("CARGO_CFG_TARGET_ARCH").unwrap_or_default();
    let atomics = env::var("CARGO_CFG_TARGET_HAS_ATOMIC").unwrap_or_default();
    if arch == "arm" && atomics.split(',').any(|w| w == "ptr") {
        println!("cargo:rustc-cfg=heapless_pool");
    }
    println!("cargo:rerun-if-changed=build.rs");
}
