// The slab is slab-core's `MemSlab`, whatever type the `crate = …` path
// calls `MemSlab`.
#![forbid(unsafe_code)]

/// A facade's hidden module: slab-core's, with one item replaced.
mod fake {
    pub mod __private {
        pub use slab_core::__private::*;
        /// A type of the facade's own.
        pub struct MemSlab;
    }
}

#[slab_core::mem_slab(blocks = 2, size = 16, crate = fake)]
static BUFS: fake::__private::MemSlab;

fn main() {
    slab_core::boot();
}
