// `section = ".init_array"` in a crate that forbids unsafe code: the
// buffer's zeroed words become start-up function pointers and the program
// crashes before `main`. `link_section` is an unsafe attribute; the
// expansion must not write `unsafe(…)` on the user's behalf, so a section
// other than ordinary RAM data is an error on the value, asking for
// `section = unsafe(…)`.
#![forbid(unsafe_code)]

#[slab_core::mem_slab(blocks = 2, size = 8, section = ".init_array")]
static RX_BUFS: slab_core::MemSlab;

fn main() {
    slab_core::boot();
    let _ = RX_BUFS.num_free();
}
