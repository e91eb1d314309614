//! Declaration macros for `slab-core`: `#[mem_slab]`, `mem_slabs!` and
//! `slab_heap!` (whose size classes go through the same parse, validate
//! and expand steps as `mem_slabs!` items).
//! Use them through `slab_core`, which re-exports them; the expansion
//! names only `::slab_core` (or the `crate = …` override).
//!
//! Each macro parses its input into typed structs (`parse`), checks every
//! rule it can see in the syntax, reporting all mistakes at once on the
//! offending tokens (`validate`), and expands last (`expand`). `Args`
//! parsing (`parse::Args`) and the checks of one declaration
//! (`validate::validate`) are functions other declaration macros reuse; a
//! new key is a `Value` variant, an entry in `parse::KEYS` and its parser
//! in `Arg::parse`, and its check in `validate::Keys`. A
//! rejected declaration still defines its static (as `MemSlab::new()`) so
//! that one mistake gives one error.
#![deny(missing_docs)]

use proc_macro::TokenStream;

mod expand;
mod heap;
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
/// | `name` | non-empty string literal | name in the registry (default: the static's identifier as written), unique in the program |
/// | `section` | string literal, or `unsafe("…")` | link section of the block buffer (default: `.bss`); `".noinit"` is placed by slab-core's [`slab.x`](https://docs.rs/crate/slab-core/0.1.0/source/slab.x) on Cortex-M; see below |
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
/// `section` names, as a plain string, only a section of ordinary
/// zero-initialised or uninitialised RAM data: `.bss`, `.noinit`,
/// `.uninit`, `.data`, or any of them followed by `.` and more
/// (`.uninit.NAME`, `.bss.dma`), except `.data.rel.ro…` and `.bss.rel.ro…`
/// (read-only once the program is relocated). Any other section is written
/// `section = unsafe(".axisram")`: the user's promise that the linker
/// script places it in RAM that nothing else interprets (a buffer in
/// `.init_array` or a vector table would be run or read as code pointers).
/// That `unsafe` is theirs: a crate with `#![forbid(unsafe_code)]` rejects
/// it (the lint's error is on it), and accepts the plain RAM sections. The
/// plain string of another section is an error on it saying to add
/// `unsafe(…)`.
///
/// ```ignore
/// #[mem_slab(blocks = 4, size = 512, section = ".uninit.dma")]
/// static DMA_BUFS: MemSlab;
///
/// #[mem_slab(blocks = 4, size = 512, section = unsafe(".axisram"))]
/// static AXI_BUFS: MemSlab;
/// ```
///
/// Exactly one of `size` and `type` is required. A slab's buffer is at most
/// 4 GiB (`isize::MAX` bytes on 32-bit targets). The static's type is
/// `MemSlab`, or an alias of it. Its doc comments, `#[cfg]`, `#[cfg_attr]`,
/// lint and tool attributes (`#[rustfmt::skip]`), `#[used]` and
/// `#[deprecated]` carry over (a `#[cfg]`'d-out slab has no registry entry);
/// its visibility too.
///
/// Registry names are unique: each is also the symbol
/// `slab_core.two_slabs_are_named.<name>.give_one_of_them_a_name_key`
/// (ASCII letters, digits, `_`, `.` and `-` kept, any other byte as `$`
/// and two hex digits), so two slabs of one name in a program are a build
/// error that says what to do: ``symbol
/// `slab_core.two_slabs_are_named.RX.give_one_of_them_a_name_key` is
/// already defined`` within one crate, a duplicate symbol of that name at
/// link time across crates. Cross-crate ThinLTO can
/// internalise the symbols and link; `boot()` then panics naming the
/// duplicate, before threading any slab.
///
/// The expansion is a word-aligned block buffer and a byte of free flags
/// per block (two hidden statics), the const-initialised `MemSlab` over them, and its
/// entry in the registry. Nothing runs before `boot()`.
///
/// Every mistake is one compile error on the offending key, value or
/// token: a missing `blocks`; neither or both of `size` and `type`; an
/// unknown, repeated or valueless key; `blocks = 0`; `size = 0`; an `align`
/// that is not an integer literal, not a power of two or above 2^29; a
/// `size` that is not a multiple of `align`; `blocks × size` above the
/// limit; a zero-sized or unsized `type`; an empty `name`; an empty
/// `section`, or one outside the RAM sections without `unsafe(…)`; a `crate` that is
/// not a path; the attribute on anything but a static, twice on one, on a
/// `static mut`, on a static with an initializer or of a type other than
/// `MemSlab`; `slab_core` unreachable without `crate = …`. Const
/// expressions are checked by const assertions that name the slab and the
/// rule, with the error on the whole expression. A rejected declaration
/// still defines `NAME` (unusable, as `MemSlab::new()`), so its uses
/// elsewhere report nothing more.
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

/// Declares a `SlabHeap`, a global allocator whose size classes are
/// declared slabs: `[attributes] [vis] static NAME: SlabHeap = [(keys),
/// …];`, each class with the keys of `#[mem_slab]` (default name
/// `"NAME/<size>"`), in strictly ascending order of block size.
///
/// ```ignore
/// slab_core::slab_heap! {
///     #[global_allocator]
///     pub static HEAP: SlabHeap = [
///         (blocks = 64, size = 32),
///         (blocks = 8, size = 1024, align = 64),
///     ];
/// }
/// ```
#[proc_macro]
pub fn slab_heap(input: TokenStream) -> TokenStream {
    heap::list(input.into()).into()
}
