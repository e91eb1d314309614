// `section = ".data.rel.ro"` in a crate that forbids unsafe code: the
// linker puts it in the RELRO segment, which the loader makes read-only
// once relocations are done, so `boot()`'s first write to the buffer
// faults. A subsection of `.data` (or `.bss`) named `.rel.ro…` is not
// ordinary RAM and needs `unsafe(…)`.
#![forbid(unsafe_code)]

#[slab_core::mem_slab(blocks = 2, size = 8, section = ".data.rel.ro")]
static RX_BUFS: slab_core::MemSlab;

slab_core::mem_slabs! {
    static TX_BUFS(blocks = 2, size = 8, section = ".bss.rel.ro.tx");
}

fn main() {
    slab_core::boot();
    let _ = RX_BUFS.num_free() + TX_BUFS.num_free();
}
