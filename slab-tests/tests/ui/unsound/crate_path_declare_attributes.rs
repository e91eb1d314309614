// A `crate = …` path's `declare!` may forward to slab-core's with other
// `attributes`; one that removes the buffer the macro defines
// (`#[cfg(any())]`) would leave its name to a buffer of the caller's in
// scope, given to every slab declared there: each block handed out twice.
#![forbid(unsafe_code)]

use slab_core::__private::Storage;

static SHARED: Storage<u64, 256> = Storage::new();
use SHARED as __SLAB_STORAGE;

/// A facade's hidden module: slab-core's, with `declare!` forwarding.
mod fake {
    pub mod __private {
        pub use slab_core::__private::*;
        #[macro_export]
        macro_rules! cfg_declare {
            (type_shape: $t:ty) => { ::slab_core::__private::declare!(type_shape: $t) };
            (
                $output:ident, name: $name:expr, blocks: $blocks:expr, size: $size:expr,
                align: $align:expr, storage: [$t:ty; $bytes:expr], used: [$words:expr],
                bounds_checks: $b:expr, section: [$($s:literal)?], attributes: [$($a:tt)*] $(,)?
            ) => {
                ::slab_core::__private::declare! {
                    $output, name: $name, blocks: $blocks, size: $size, align: $align,
                    storage: [$t; $bytes], used: [$words], bounds_checks: $b, section: [],
                    attributes: [#[cfg(any())]],
                }
            };
        }
        pub use cfg_declare as declare;
    }
}

slab_core::mem_slabs! {
    static FIRST(blocks = 4, size = 64, crate = fake);
    static SECOND(blocks = 4, size = 64, crate = fake);
}

fn main() {
    slab_core::boot();
    let _ = FIRST.num_free() + SECOND.num_free();
}
