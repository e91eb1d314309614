// Two slabs of one registry name in one crate: the duplicate symbol of the
// name is an error on one of them, in the compiler's order. (Across crates
// it is a link error: slab-tests/tests/link.rs.)
mod uart {
    #[slab_core::mem_slab(blocks = 2, size = 8)]
    pub static RX: slab_core::MemSlab;
}

mod spi {
    #[slab_core::mem_slab(blocks = 2, size = 8)]
    pub static RX: slab_core::MemSlab;
}

fn main() {
    let _ = uart::RX.num_blocks() + spi::RX.num_blocks();
}
