// The `unsafe` of a declaration is slab-core's, inside its `declare!`: a
// facade's own `declare!` can only be the user's code, and its `unsafe` is
// theirs, which their crate's lint rejects.
#![forbid(unsafe_code)]

/// A facade's hidden module: slab-core's, with one item replaced.
mod fake {
    pub mod __private {
        pub use slab_core::__private::*;
        /// The facade's own declaration.
        #[macro_export]
        macro_rules! my_declare {
            ($($args:tt)*) => {
                unsafe { ::core::mem::transmute::<[u8; 0], ()>([]) };
            };
        }
        pub use my_declare as declare;
    }
}

#[slab_core::mem_slab(blocks = 2, size = 16, crate = fake)]
static BUFS: slab_core::MemSlab;

fn main() {
    slab_core::boot();
    let _ = BUFS.num_free();
}
