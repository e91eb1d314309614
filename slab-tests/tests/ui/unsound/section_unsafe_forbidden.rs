// `section = unsafe(…)` is the user's `unsafe`: a crate that forbids unsafe
// code rejects it, with the lint's error on that `unsafe`.
#![forbid(unsafe_code)]

#[slab_core::mem_slab(blocks = 2, size = 8, section = unsafe(".axisram"))]
static RX_BUFS: slab_core::MemSlab;

slab_core::mem_slabs! {
    static TX_BUFS(blocks = 2, size = 8, section = unsafe(".axisram.tx"));
}

fn main() {
    slab_core::boot();
    let _ = RX_BUFS.num_free() + TX_BUFS.num_free();
}
