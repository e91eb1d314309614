//! Declaration macros for `slab-core`: `#[mem_slab]` and `mem_slabs!`.
//! Use them through `slab_core`, which re-exports them; the expansion
//! names only `::slab_core` (or the `crate = …` override).
//!
//! Each macro parses its input into typed structs (`parse`), checks every
//! rule it can see in the syntax, reporting all mistakes at once on the
//! offending tokens (`validate`), and expands last (`expand`). A
//! rejected declaration still defines its static (as `MemSlab::new()`) so
//! that one mistake gives one error.
#![deny(missing_docs)]

use proc_macro::TokenStream;

mod expand;
mod parse;
mod validate;

/// Declares a statically allocated memory slab on `static NAME: MemSlab;`.
///
/// ```ignore
/// use slab_core::{mem_slab, MemSlab};
///
/// /// Receive buffers.
/// #[mem_slab(blocks = 8, size = 64)]
/// pub static RX_BUFS: MemSlab;
///
/// #[mem_slab(blocks = 2, type = Command, align = 16, section = ".noinit")]
/// static CMDS: MemSlab;
/// ```
///
/// | key | value | meaning |
/// |---|---|---|
/// | `blocks` | const expression, `usize`, ≥ 1 | number of blocks (required) |
/// | `size` | const expression, `usize`, ≥ 1 | block size in bytes, rounded up to a multiple of the word |
/// | `type` | a type `T` | block size and alignment from `T` (each raised to a word); exclusive with `size` |
/// | `align` | integer literal, a power of two ≤ 2^29 | block alignment, at least the word; `size` must be a multiple of it |
/// | `name` | non-empty string literal | name in the registry (default: the static's identifier) |
/// | `section` | string literal | link section of the block buffer (default: `.bss`) |
/// | `crate` | path | where `slab_core` is, for crates that re-export it (default `::slab_core`) |
/// | `checks` | `"full"` or `"bounds"` | how much `free`/`alloc` verify (default `"full"`, below) |
///
/// `checks = "full"`: `Foreign`, `Misaligned` and every `DoubleFree`
/// refused, corrupted free-list links never followed out of the slab nor to
/// an allocated block (`AllocError::Corrupted`). `checks = "bounds"`
/// (Zephyr's `CONFIG_MEM_SLAB_POINTER_VALIDATE`, for hot interrupt paths):
/// `Foreign` and `Misaligned` are still refused with nothing changed, and a
/// free with nothing allocated is a `DoubleFree`; any other double free and
/// any corrupted link are **not detected** (a block freed twice is handed
/// out twice; a link overwritten after free is followed). Counters,
/// hand-off and everything else are the same.
///
/// Exactly one of `size` and `type` is required. The static's doc comments,
/// `#[cfg]`, `#[cfg_attr]`, lint attributes and `#[deprecated]` carry over
/// (a `#[cfg]`'d-out slab has no registry entry); its visibility too.
///
/// The expansion is a word-aligned block buffer and a byte of free flags
/// per block (two hidden statics), the const-initialised `MemSlab` over them, and its
/// entry in the registry. Nothing runs before `boot()`.
///
/// Every mistake is a compile error on the offending key, value or token:
/// a missing `blocks`; neither or both of `size` and `type`; an unknown or
/// repeated key; `blocks = 0`; `size = 0`; an `align` that is not a power
/// of two or above 2^29; a `size` that is not a multiple of `align`;
/// `blocks × size` overflowing `usize`; a zero-sized `type`; an empty
/// `name`; the attribute on anything but a static, on a `static mut`, on a
/// static with an initializer or of a type other than `MemSlab`. Const
/// expressions are checked by const assertions that name the slab and the
/// rule. A rejected declaration still defines `NAME` (unusable, as
/// `MemSlab::new()`), so its uses elsewhere report nothing more.
#[proc_macro_attribute]
pub fn mem_slab(args: TokenStream, input: TokenStream) -> TokenStream {
    expand::attribute(args.into(), input.into()).into()
}

/// Declares one or more statically allocated memory slabs, each
/// `[attributes] [vis] static NAME(keys);` with the keys, rules and errors
/// of `#[mem_slab]`. Each item expands exactly as the attribute on
/// `static NAME: MemSlab;` would; a mistake in one item affects only it.
///
/// ```ignore
/// slab_core::mem_slabs! {
///     /// Transmit buffers.
///     pub static TX_BUFS(blocks = 4, size = 128);
///     static CMDS(blocks = 2, type = Command, align = 16);
/// }
/// ```
#[proc_macro]
pub fn mem_slabs(input: TokenStream) -> TokenStream {
    expand::list(input.into()).into()
}
