//! Puts the board's memory layout where cortex-m-rt's `link.x` finds it
//! (examples/common's build helper), and compiles the C part (`c/pool.c`,
//! a `K_MEM_SLAB_DEFINE`d slab, tracked: `SLAB_CORE_TRACK`) against
//! slab-core's `slab.h` with the target's C compiler.

fn main() {
    slab_firmware_common::build::memory_x("");
    slab_firmware_common::build_c::compile("c/pool.c", "pool", &[]);
    println!("cargo:rerun-if-changed=build.rs");
}
