//! QEMU `virt`'s `memory.x` (examples/common's build helper) where the
//! linker finds it for `-Tmemory.x`, with what two harts need, and the
//! target triple for the firmware.
//!
//! With `-smp 2` and `-bios none` both harts start at the start of DRAM,
//! where `-kernel` loads the image, with their hart id in a0. riscv-rt gives
//! each hart its own stack, `_hart_stack_size` below the previous one from
//! the top of REGION_STACK (hart 0's first); a hart whose id is above
//! `_max_hart_id` is sent to `abort`.

fn main() {
    slab_firmware_common::build::memory_x("_max_hart_id = 1;\n_hart_stack_size = 32K;");
    println!("cargo:rerun-if-changed=build.rs");
}
