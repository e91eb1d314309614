//! A crate that forbids lints the expansion could trigger: the expansion
//! must not need an `#[allow]` of them (an `allow` under `forbid` is an
//! error, or a warning for lint groups), braced values and deprecated
//! slabs included.
#![forbid(unused, unused_braces, deprecated)]
#![deny(warnings)]

const N: usize = 3;

#[slab_core::mem_slab(blocks = { N + 1 }, size = { N * 8 })]
#[deprecated = "use LISTED"]
static BRACED: slab_core::MemSlab;

slab_core::mem_slabs! {
    #[deprecated]
    static LISTED(blocks = { { N } }, size = 8);
    static PLAIN(blocks = N, size = 8);
}

fn main() {
    slab_core::boot();
    assert_eq!(slab_core::registry().len(), 3);
    assert_eq!(PLAIN.num_blocks(), 3);
}
