//! Puts `memory.x` (the LM3S6965's flash and RAM, examples/common's) where
//! cortex-m-rt's `link.x` finds it.

fn main() {
    slab_firmware_common::build::memory_x("");
    println!("cargo:rerun-if-changed=build.rs");
}
