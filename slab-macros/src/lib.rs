//! Declaration macros for `slab-core`. Use them through `slab_core`.
#![deny(missing_docs)]

use proc_macro::TokenStream;

/// Declares a statically allocated memory slab. See `slab_core::mem_slab`.
#[proc_macro_attribute]
pub fn mem_slab(_args: TokenStream, input: TokenStream) -> TokenStream {
    input
}

/// Declares one or more memory slabs. See `slab_core::mem_slabs`.
#[proc_macro]
pub fn mem_slabs(_input: TokenStream) -> TokenStream {
    TokenStream::new()
}
