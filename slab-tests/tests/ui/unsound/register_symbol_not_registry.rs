// slab-core's `register!` can be named from safe code; the symbol it
// exports must be a registry name's, which it checks (`memcpy` would take
// the name of the program's function).
#![forbid(unsafe_code)]

#[slab_core::mem_slab(blocks = 1, size = 8)]
static BUFS: slab_core::MemSlab;

slab_core::__private::register!("memcpy", BUFS);

fn main() {
    let _ = BUFS.num_free();
}
