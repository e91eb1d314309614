//! QEMU `virt`'s `memory.x` where the linker finds it for `-Tmemory.x`,
//! and the target triple for the firmware (`examples/common`'s build
//! helper).

fn main() {
    slab_firmware_common::build::memory_x("");
    println!("cargo:rerun-if-changed=build.rs");
}
