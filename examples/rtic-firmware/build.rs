//! The board's `memory.x` where cortex-m-rt's `link.x` finds it, and the
//! target triple for the firmware (`examples/common`'s build helper).

fn main() {
    slab_firmware_common::build::memory_x("");
    println!("cargo:rerun-if-changed=build.rs");
}
