// `.bss` and the like count only as a whole name or followed by `.`:
// `.bssx` and `.data.` are other sections.
slab_core::mem_slabs! {
    static A(blocks = 4, size = 64, section = ".bssx");
    static B(blocks = 4, size = 64, section = ".data.");
}

fn main() {
    let _ = A.num_free() + B.num_free();
}
