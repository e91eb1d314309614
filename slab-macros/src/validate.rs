//! The rules of a declaration: every mistake that can be seen in the
//! syntax becomes an error on the offending token, all of them reported
//! together. What only the compiler can evaluate (const expressions, the
//! size of a type) is left to the expansion's const assertions.

use proc_macro2::{Span, TokenStream};
use quote::ToTokens;
use syn::ext::IdentExt;
use syn::{Attribute, Expr, Ident, Lit, LitInt, LitStr, Path, Type, Visibility};

use crate::parse::{Args, KEYS, Section, StaticHeader, Value};

/// The largest `align` (`#[repr(align)]`'s limit); `__private::MAX_ALIGN`.
const MAX_ALIGN: u64 = 1 << 29;

/// What a declaration says, as written by the user.
pub struct Declaration {
    pub header: StaticHeader,
    pub args: Args,
    /// `#[mem_slab]` only: the static's type and any `= expr`.
    pub ty: Option<Type>,
    pub init: Option<TokenStream>,
}

/// The static a declaration defines, well-formed or not.
pub struct Static {
    pub attrs: Vec<Attribute>,
    pub vis: Visibility,
    pub ident: Ident,
    /// Where `slab_core` is.
    pub krate: Path,
    /// The static's type as written (so that the user's `use …::MemSlab`
    /// counts as used), or `<crate>::MemSlab`.
    pub ty: Type,
    /// Whether `ty` is the user's (not `<crate>::MemSlab`).
    pub ty_written: bool,
    /// With no `crate = …`, when `::slab_core` is not a dependency of this
    /// crate: the error message saying so, which replaces the whole
    /// expansion (any path through `::slab_core` would only add errors).
    pub no_crate: Option<String>,
}

/// The slab of a declaration that follows every rule the macro can check.
pub struct Layout {
    pub blocks: Expr,
    pub shape: Shape,
    /// The `align` literal's value.
    pub align: Option<u64>,
    /// The name in the registry.
    pub name: String,
    pub section: Option<Section>,
    /// `checks = "bounds"`.
    pub bounds_checks: bool,
}

/// Where a slab's block size comes from.
pub enum Shape {
    Size(Expr),
    Type(Type),
}

/// A checked declaration: its static (declared even when the rest is
/// rejected, so that uses of the name elsewhere do not fail too) and its
/// slab, or every error found.
pub struct Validated {
    pub item: Static,
    pub layout: Result<Layout, syn::Error>,
}

/// Checks `decl` against every rule of API.md §1.
pub fn validate(decl: Declaration) -> Validated {
    let mut errors = Errors::default();
    let Declaration {
        header,
        args,
        ty,
        init,
    } = decl;

    let attrs = check_attrs(header.attrs, &mut errors);
    if let Some(mutability) = header.mutability {
        errors.push(syn::Error::new_spanned(
            mutability,
            "a declared slab cannot be `static mut`: remove `mut` \
             (`MemSlab` is `Sync` and is used through a shared reference)",
        ));
    }
    if let Some(init) = init {
        errors.push(syn::Error::new_spanned(
            init,
            "a `#[mem_slab]` static has no initializer: remove it, \
             the attribute provides one (`static NAME: MemSlab;`)",
        ));
    }

    let keys = Keys::collect(args, &mut errors);
    let no_crate = match (&keys.krate, slab_core_reach()) {
        (None, Some(Reach::Absent)) => Some(
            "`slab_core` is not a dependency of this crate: to declare a slab \
             through a crate that re-exports it, add `crate = path::to::slab_core` \
             (e.g. `crate = facade::slab_core`), or depend on `slab-core`"
                .to_owned(),
        ),
        (None, Some(Reach::Renamed(name))) => Some(format!(
            "this crate depends on `slab-core` as `{name}`: add `crate = ::{name}`"
        )),
        _ => None,
    };
    let krate = keys.krate.clone().unwrap_or_else(default_crate);
    let ty_written = ty.as_ref().is_some_and(may_be_mem_slab);
    let ty = match ty {
        Some(ty) if may_be_mem_slab(&ty) => ty,
        Some(ty) => {
            errors.push(syn::Error::new_spanned(
                ty,
                "a `#[mem_slab]` static must have type `MemSlab`: \
                 write `static NAME: MemSlab;`",
            ));
            mem_slab_type(&krate)
        }
        None => mem_slab_type(&krate),
    };
    let item = Static {
        attrs,
        vis: header.vis,
        ident: header.ident,
        krate,
        ty,
        ty_written,
        no_crate,
    };
    let layout = keys.into_layout(&item.ident, &mut errors);
    let layout = match (errors.combined(), layout) {
        (None, Some(layout)) => Ok(layout),
        (Some(error), _) => Err(error),
        (None, None) => unreachable!("an incomplete declaration has an error"),
    };
    Validated { item, layout }
}

/// The static of a declaration that did not parse, as far as it is known.
pub fn unparsed_static(header: StaticHeader, ty: Option<Type>) -> Static {
    let krate = default_crate();
    let ty_written = ty.as_ref().is_some_and(may_be_mem_slab);
    Static {
        ty_written,
        attrs: carried_attrs(header.attrs),
        vis: header.vis,
        ident: header.ident,
        ty: ty
            .filter(may_be_mem_slab)
            .unwrap_or_else(|| mem_slab_type(&krate)),
        krate,
        no_crate: None,
    }
}

/// How the crate being compiled reaches `slab_core`, as far as rustc's
/// command line says (a proc macro runs inside rustc).
#[derive(Debug, PartialEq, Eq)]
enum Reach {
    /// `::slab_core` resolves (or this is slab_core itself).
    Direct,
    /// A dependency on slab-core under another name: `::<name>`.
    Renamed(String),
    /// No `--extern` for slab-core at all.
    Absent,
}

/// [`Reach`] from this process's command line; `None` when it is not
/// rustc's (rust-analyzer's macro server) or is in an `@file`, so that
/// nothing is reported. A crate root that names a crate `slab_core` itself
/// (`extern crate slab_core;` found through `-L`, or `extern crate sc as
/// slab_core;`), which the command line cannot show, is `Direct`.
fn slab_core_reach() -> Option<Reach> {
    let args: Vec<String> = std::env::args().collect();
    let reach = reach_from(&args)?;
    let root_names_it = || {
        crate_roots(&args)
            .any(|root| std::fs::read_to_string(root).is_ok_and(|source| names_slab_core(&source)))
    };
    if reach != Reach::Direct && root_names_it() {
        return Some(Reach::Direct);
    }
    Some(reach)
}

/// The source files on rustc's command line `args` (the crate root).
fn crate_roots(args: &[String]) -> impl Iterator<Item = &str> {
    args.windows(2)
        .filter(|w| w[0] != "-o" && w[1].ends_with(".rs"))
        .map(|w| w[1].as_str())
}

/// Whether the crate root `source` has an `extern crate` item that binds
/// the name `slab_core` (`extern crate slab_core;`, `extern crate NAME as
/// slab_core;`), making `::slab_core` resolve whatever `--extern` says.
fn names_slab_core(source: &str) -> bool {
    use proc_macro2::TokenTree;
    let Ok(tokens) = source.parse::<TokenStream>() else {
        return false;
    };
    let tokens: Vec<TokenTree> = tokens.into_iter().collect();
    let word = |i: usize| match tokens.get(i) {
        Some(TokenTree::Ident(ident)) => Some(ident.to_string()),
        _ => None,
    };
    (0..tokens.len()).any(|i| {
        if word(i).as_deref() != Some("extern") || word(i + 1).as_deref() != Some("crate") {
            return false;
        }
        let bound = if word(i + 3).as_deref() == Some("as") {
            word(i + 4)
        } else {
            word(i + 2)
        };
        bound.as_deref() == Some("slab_core")
    })
}

/// [`slab_core_reach`] for the command line `args`.
fn reach_from(args: &[String]) -> Option<Reach> {
    const NAME: &str = "slab_core";
    if args.iter().any(|a| a.starts_with('@')) {
        return None;
    }
    let value_of = |flag: &str| {
        let with_eq = format!("{flag}=");
        let separate = args
            .windows(2)
            .filter(move |w| w[0] == flag)
            .map(|w| w[1].as_str());
        let joined = args
            .iter()
            .filter_map(move |a| a.strip_prefix(with_eq.as_str()));
        separate.chain(joined).collect::<Vec<&str>>()
    };
    let crate_name = *value_of("--crate-name").first()?;
    if crate_name == NAME {
        return Some(Reach::Direct);
    }
    let externs = value_of("--extern");
    if externs.is_empty() {
        // The macro was found through `-L` and `extern crate`: nothing
        // here says how the crate reaches `slab_core`.
        return None;
    }
    let mut renamed = None;
    // `--extern [modifiers:]NAME[=PATH]`.
    for spec in externs {
        let (name, path) = spec.split_once('=').unwrap_or((spec, ""));
        let name = name.rsplit(':').next().unwrap_or(name);
        if name == NAME {
            return Some(Reach::Direct);
        }
        let file = path.rsplit(['/', '\\']).next().unwrap_or_default();
        if file.starts_with("libslab_core-") || file.starts_with("slab_core-") {
            renamed = Some(name.to_owned());
        }
    }
    Some(renamed.map_or(Reach::Absent, Reach::Renamed))
}

/// `::slab_core`.
pub fn default_crate() -> Path {
    syn::parse_quote!(::slab_core)
}

/// `<krate>::MemSlab`.
pub fn mem_slab_type(krate: &Path) -> Type {
    syn::parse_quote!(#krate::MemSlab)
}

/// Every error found so far.
#[derive(Default)]
struct Errors(Vec<syn::Error>);

impl Errors {
    fn push(&mut self, error: syn::Error) {
        self.0.push(error);
    }

    fn combined(self) -> Option<syn::Error> {
        self.0.into_iter().reduce(|mut all, e| {
            all.combine(e);
            all
        })
    }
}

/// The attributes that carry over to the slab's static.
const CARRIED_ATTRS: &[&str] = &[
    "doc",
    "cfg",
    "cfg_attr",
    "allow",
    "warn",
    "deny",
    "forbid",
    "expect",
    "deprecated",
    "used",
];

/// Tools whose attributes (`#[rustfmt::skip]`, `#[clippy::…]`) carry over.
const CARRIED_TOOLS: &[&str] = &["rustfmt", "clippy"];

/// The attributes that carry over, with an error for each other one.
fn check_attrs(attrs: Vec<Attribute>, errors: &mut Errors) -> Vec<Attribute> {
    for attr in attrs.iter().filter(|a| !is_carried(a)) {
        let message = if is_mem_slab_attr(attr) {
            "duplicate `#[mem_slab]`: a static takes one; \
             give all the keys to the first and remove this one"
                .to_owned()
        } else {
            format!(
                "`{}` is not supported on a declared slab: only doc comments, \
                 `#[cfg]`, `#[cfg_attr]`, lint and tool attributes, `#[used]` \
                 and `#[deprecated]` carry over (use `section = \"…\"` to place \
                 its buffer)",
                attr_name(attr),
            )
        };
        errors.push(syn::Error::new_spanned(attr, message));
    }
    carried_attrs(attrs)
}

/// `#[mem_slab(…)]` by any path (`slab_core::mem_slab`, a re-export's).
fn is_mem_slab_attr(attr: &Attribute) -> bool {
    attr.path()
        .segments
        .last()
        .is_some_and(|s| s.ident == "mem_slab")
}

/// `#[path]`, or `#[unsafe(path)]`, for messages.
fn attr_name(attr: &Attribute) -> String {
    let text = |tokens: TokenStream| tokens.to_string().replace(' ', "");
    let path = attr.path();
    match &attr.meta {
        syn::Meta::List(list) if path.is_ident("unsafe") => {
            let inner = list.parse_args_with(|input: syn::parse::ParseStream| {
                let path = input.call(Path::parse_mod_style)?;
                input.parse::<TokenStream>()?;
                Ok(path)
            });
            match inner {
                Ok(inner) => format!("#[unsafe({})]", text(inner.to_token_stream())),
                Err(_) => "#[unsafe(…)]".to_owned(),
            }
        }
        _ => format!("#[{}]", text(path.to_token_stream())),
    }
}

/// The attributes that carry over to the slab's static; the others are
/// dropped (after an error) so that they cause no more errors.
fn carried_attrs(attrs: Vec<Attribute>) -> Vec<Attribute> {
    attrs.into_iter().filter(is_carried).collect()
}

fn is_carried(attr: &Attribute) -> bool {
    let path = attr.path();
    CARRIED_ATTRS.iter().any(|name| path.is_ident(name))
        || (path.segments.len() > 1
            && path.leading_colon.is_none()
            && CARRIED_TOOLS
                .iter()
                .any(|tool| path.segments[0].ident == tool))
}

/// The keys of a declaration, each at most once.
#[derive(Default)]
struct Keys {
    /// The argument tokens, for errors about a missing key.
    whole: TokenStream,
    blocks: Option<Expr>,
    size: Option<(Ident, Expr)>,
    ty: Option<(Ident, Type)>,
    align: Option<LitInt>,
    name: Option<LitStr>,
    section: Option<Section>,
    krate: Option<Path>,
    checks: Option<LitStr>,
    /// Whether `type` came before `size` (the error goes on the later one).
    type_given_first: bool,
    /// Keys the user meant to give: written without a value, or the
    /// suggestion for an unknown key. A missing-key error for one of them
    /// would repeat an error already reported.
    attempted: Vec<&'static str>,
}

impl Keys {
    fn collect(args: Args, errors: &mut Errors) -> Self {
        let mut keys = Keys {
            whole: args.whole,
            ..Keys::default()
        };
        let mut seen: Vec<String> = Vec::new();
        for arg in args.list {
            let key = arg.key.unraw().to_string();
            if matches!(arg.value, Value::Unknown) {
                let (error, close) = unknown_key(&arg.key, &key);
                errors.push(error);
                keys.attempted.extend(close);
                continue;
            }
            if matches!(arg.value, Value::Missing) {
                errors.push(no_value(&arg.key, &key));
                keys.attempted.extend(KEYS.iter().find(|k| **k == key));
                continue;
            }
            if seen.contains(&key) {
                errors.push(syn::Error::new_spanned(
                    &arg.key,
                    format!("duplicate key `{key}`: give it once, remove this one"),
                ));
                continue;
            }
            seen.push(key);
            match arg.value {
                Value::Blocks(e) => keys.blocks = Some(e),
                Value::Size(e) => {
                    keys.type_given_first = keys.ty.is_some();
                    keys.size = Some((arg.key, e));
                }
                Value::Type(t) => keys.ty = Some((arg.key, t)),
                Value::Align(l) => keys.align = Some(l),
                Value::Name(l) => keys.name = Some(l),
                Value::Section(l) => keys.section = Some(l),
                Value::Crate(p) => keys.krate = Some(p),
                Value::Checks(l) => keys.checks = Some(l),
                Value::Unknown | Value::Missing => unreachable!("reported above"),
            }
        }
        keys
    }

    /// The slab, unless a key it needs is missing.
    fn into_layout(self, ident: &Ident, errors: &mut Errors) -> Option<Layout> {
        let blocks = self.blocks.as_ref().map(|e| {
            let message = "`blocks = 0`: a slab needs at least one block; use `blocks = 1` or more";
            (e, check_nonzero(e, message, errors))
        });
        let align = self.align.as_ref().and_then(|l| check_align(l, errors));
        if blocks.is_none() && !self.attempted.contains(&"blocks") {
            errors.push(missing(
                &self.whole,
                "missing `blocks`: add `blocks = N`, the number of blocks",
            ));
        }
        let shape = match (self.size, self.ty) {
            (Some((size_key, _)), Some((type_key, _))) => {
                let second = if self.type_given_first {
                    size_key
                } else {
                    type_key
                };
                errors.push(syn::Error::new_spanned(
                    second,
                    "`size` and `type` cannot both be given: keep one \
                     (`type = T` takes the block size from `size_of::<T>()`)",
                ));
                None
            }
            (Some((_, size)), None) => {
                let message = "`size = 0`: a block needs at least one byte; use `size = 1` \
                               or more (it is rounded up to a multiple of the word)";
                let size_value = check_nonzero(&size, message, errors);
                if let (Some(value), Some(align)) = (size_value, align) {
                    check_multiple(&size, value, align, errors);
                }
                if let (Some((blocks, Some(count))), Some(value)) = (&blocks, size_value) {
                    check_overflow(blocks, *count, value, align, errors);
                }
                Some(Shape::Size(size))
            }
            (None, Some((_, ty))) => {
                check_sized(&ty, errors);
                Some(Shape::Type(ty))
            }
            (None, None) => {
                if !self.attempted.iter().any(|k| ["size", "type"].contains(k)) {
                    errors.push(missing(
                        &self.whole,
                        "missing the block size: add `size = BYTES` or `type = T`",
                    ));
                }
                None
            }
        };
        let name = match &self.name {
            Some(lit) if lit.value().is_empty() => {
                errors.push(syn::Error::new_spanned(
                    lit,
                    format!(
                        "`name` must not be empty: give the slab a name, \
                         or remove `name` to use `{}`",
                        ident.unraw()
                    ),
                ));
                String::new()
            }
            Some(lit) => lit.value(),
            None => ident.unraw().to_string(),
        };
        if let Some(section) = &self.section {
            check_section(section, errors);
        }
        let checks = self.checks.as_ref().map(LitStr::value);
        if let Some(lit) = self
            .checks
            .as_ref()
            .filter(|_| !matches!(checks.as_deref(), Some("full" | "bounds")))
        {
            errors.push(syn::Error::new_spanned(lit, crate::parse::CHECKS_MESSAGE));
        }
        Some(Layout {
            bounds_checks: checks.as_deref() == Some("bounds"),
            blocks: self.blocks?,
            shape: shape?,
            align,
            name,
            section: self.section,
        })
    }
}

/// The sections `section = "…"` may name without `unsafe(…)`: ordinary
/// zero-initialised or uninitialised RAM data, each also followed by `.`
/// and more (`.uninit.NAME`, `.bss.dma`).
pub const RAM_SECTIONS: &[&str] = &[".bss", ".noinit", ".uninit", ".data"];

/// Whether `name` is one of [`RAM_SECTIONS`] or a subsection of one, but
/// not `.data.rel.ro…` or `.bss.rel.ro…`: the linkers put those in the
/// RELRO segment, which the loader makes read-only after relocating.
fn is_ram_section(name: &str) -> bool {
    RAM_SECTIONS.iter().any(|base| {
        name.strip_prefix(base).is_some_and(|rest| {
            rest.is_empty()
                || rest.len() > 1 && rest.starts_with('.') && !rest.starts_with(".rel.ro")
        })
    })
}

/// Whether `name` is a RAM section's `.rel.ro` subsection (`.data.rel.ro`,
/// `.bss.rel.ro.NAME`), which [`is_ram_section`] refuses.
fn is_relro_section(name: &str) -> bool {
    RAM_SECTIONS.iter().any(|base| {
        name.strip_prefix(base)
            .is_some_and(|rest| rest.starts_with(".rel.ro"))
    })
}

/// `section`: not empty, and any section but ordinary RAM data only under
/// the user's `unsafe(…)` (a buffer in `.init_array`, `.text` or a vector
/// table is code or start-up data, not a slab: placing it there is the
/// linker script's promise, which safe code cannot make).
fn check_section(section: &Section, errors: &mut Errors) {
    let lit = &section.name;
    let name = lit.value();
    if name.is_empty() {
        errors.push(syn::Error::new_spanned(
            lit,
            "`section` must not be empty: name a link section such as \
             `\".noinit\"`, or remove `section`",
        ));
    } else if section.unsafe_token.is_none() && is_relro_section(&name) {
        errors.push(syn::Error::new_spanned(
            lit,
            format!(
                "`section = {name:?}` needs `unsafe`: a `.rel.ro` section is read-only once \
                 the program is relocated (the linkers put it in the RELRO segment), so the \
                 slab could not write its blocks; for a linker script that places it in RAM, \
                 write `section = unsafe({name:?})`"
            ),
        ));
    } else if section.unsafe_token.is_none() && !is_ram_section(&name) {
        errors.push(syn::Error::new_spanned(
            lit,
            format!(
                "`section = {name:?}` needs `unsafe`: only `.bss`, `.noinit`, `.uninit` and \
                 `.data` (and their subsections, e.g. `.uninit.NAME`) are known to be \
                 ordinary RAM; for any other section write `section = unsafe({name:?})`, \
                 your promise that the linker script places it in RAM that nothing else \
                 interprets"
            ),
        ));
    }
}

/// An error about a key that is not there, on all the keys given.
fn missing(whole: &TokenStream, message: &str) -> syn::Error {
    if whole.is_empty() {
        syn::Error::new(Span::call_site(), message)
    } else {
        syn::Error::new_spanned(whole, message)
    }
}

/// The integer literal `expr` is, if it is one (parentheses and the
/// invisible groups of `macro_rules!` fragments see through).
pub fn int_literal(expr: &Expr) -> Option<&LitInt> {
    match expr {
        Expr::Lit(lit) => match &lit.lit {
            Lit::Int(int) => Some(int),
            _ => None,
        },
        Expr::Paren(p) => int_literal(&p.expr),
        Expr::Group(g) => int_literal(&g.expr),
        _ => None,
    }
}

/// A literal's value, or its error.
fn value_of(lit: &LitInt, errors: &mut Errors) -> Option<u64> {
    match lit.base10_parse::<u64>() {
        Ok(value) => Some(value),
        Err(e) => {
            errors.push(e);
            None
        }
    }
}

/// The value of `blocks` or `size` when it is a literal, which must be at
/// least 1 (`message` otherwise). Const expressions are checked by the
/// expansion instead.
fn check_nonzero(expr: &Expr, message: &str, errors: &mut Errors) -> Option<u64> {
    let lit = int_literal(expr)?;
    let value = value_of(lit, errors)?;
    if value == 0 {
        errors.push(syn::Error::new_spanned(lit, message));
        return None;
    }
    Some(value)
}

/// `align`'s value: a power of two, at most 2^29.
fn check_align(lit: &LitInt, errors: &mut Errors) -> Option<u64> {
    let value = value_of(lit, errors)?;
    if !value.is_power_of_two() {
        let below = if value == 0 { 1 } else { 1u64 << value.ilog2() };
        let hint = if value == 0 || below >= MAX_ALIGN {
            format!("e.g. `align = {below}`")
        } else {
            format!("`align = {below}` or `align = {}`", below * 2)
        };
        errors.push(syn::Error::new_spanned(
            lit,
            format!("`align = {value}` is not a power of two: use {hint}"),
        ));
        return None;
    }
    if value > MAX_ALIGN {
        errors.push(syn::Error::new_spanned(
            lit,
            format!(
                "`align = {value}` is larger than the largest alignment, 2^29 \
                 ({MAX_ALIGN}): use a smaller power of two"
            ),
        ));
        return None;
    }
    Some(value)
}

/// With `align`, a literal `size` is a multiple of it.
fn check_multiple(size: &Expr, value: u64, align: u64, errors: &mut Errors) {
    if !value.is_multiple_of(align) {
        errors.push(syn::Error::new_spanned(
            size,
            format!(
                "`size = {value}` is not a multiple of `align = {align}`: \
                 use `size = {}`, the next multiple",
                value.next_multiple_of(align)
            ),
        ));
    }
}

/// `__private::MAX_DECLARED_BYTES` on 64-bit targets: 4 GiB.
const MAX_DECLARED_BYTES: u128 = 1 << 32;

/// `blocks × size` of two literals is at most 4 GiB. The expansion's
/// `rules::fits` assertion checks the target's own limit.
fn check_overflow(blocks: &Expr, count: u64, size: u64, align: Option<u64>, errors: &mut Errors) {
    let block_size = u128::from(size).next_multiple_of(u128::from(align.unwrap_or(1)));
    let bytes = u128::from(count) * block_size;
    if bytes > MAX_DECLARED_BYTES {
        errors.push(syn::Error::new_spanned(
            blocks,
            format!(
                "`blocks` × `size` = {bytes} bytes is too large: a declared slab's \
                 buffer is at most 4 GiB (2^32 bytes); use fewer or smaller blocks"
            ),
        ));
    }
}

/// `type = T` names a type with a size: not a slice, `str` or `dyn Trait`
/// (what the compiler cannot see, e.g. an alias of `[u8]`, it reports).
fn check_sized(ty: &Type, errors: &mut Errors) {
    let unsized_kind = match ty {
        Type::Slice(_) => Some("a slice"),
        Type::TraitObject(_) => Some("a trait object"),
        Type::Path(p) if p.qself.is_none() && p.path.is_ident("str") => Some("`str`"),
        Type::Paren(p) => return check_sized(&p.elem, errors),
        Type::Group(g) => return check_sized(&g.elem, errors),
        _ => None,
    };
    if let Some(kind) = unsized_kind {
        errors.push(syn::Error::new_spanned(
            ty,
            format!(
                "`type` must be `Sized`: `{}` is {kind}, with no size known at \
                 compile time; use an array (`[u8; 64]`), a sized type, or `size = BYTES`",
                pretty(ty)
            ),
        ));
    }
}

/// `tokens` as the user would write them: `core::fmt::Debug`, not
/// `core :: fmt :: Debug`.
pub fn pretty(tokens: &dyn ToTokens) -> String {
    let mut text = tokens.to_token_stream().to_string();
    for (spaced, tight) in [
        (" :: ", "::"),
        (":: ", "::"),
        (" ::", "::"),
        (" < ", "<"),
        ("< ", "<"),
        (" <", "<"),
        (" >", ">"),
        (" ,", ","),
        (" ;", ";"),
        ("& ", "&"),
    ] {
        text = text.replace(spaced, tight);
    }
    text
}

/// The error for a known key written without a value.
fn no_value(key: &Ident, name: &str) -> syn::Error {
    let example = match name {
        "blocks" => "blocks = 8",
        "size" => "size = 64",
        "type" => "type = Frame",
        "align" => "align = 16",
        "name" => "name = \"rx_bufs\"",
        "section" => "section = \".noinit\"",
        "crate" => "crate = facade::slab_core",
        _ => "key = value",
    };
    syn::Error::new_spanned(key, format!("`{name}` needs a value: e.g. `{example}`"))
}

/// The error for a key that does not exist, with a suggestion when one
/// is close (also returned: the key the user probably meant).
fn unknown_key(key: &Ident, name: &str) -> (syn::Error, Option<&'static str>) {
    let all = KEYS
        .iter()
        .map(|k| format!("`{k}`"))
        .collect::<Vec<_>>()
        .join(", ");
    let close = KEYS
        .iter()
        .filter(|k| edit_distance(name, k) <= 2)
        .min_by_key(|k| edit_distance(name, k));
    let message = match close {
        Some(k) => format!("unknown key `{name}`: did you mean `{k}`? The keys are {all}"),
        None => format!("unknown key `{name}`: remove it; the keys are {all}"),
    };
    (syn::Error::new_spanned(key, message), close.copied())
}

/// Levenshtein distance, for the unknown-key suggestion.
fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut diagonal = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let substitute = diagonal + usize::from(ca != *cb);
            diagonal = row[j + 1];
            row[j + 1] = substitute.min(row[j] + 1).min(diagonal + 1);
        }
    }
    row[b.len()]
}

/// Whether `ty` can be `MemSlab`: a path (`MemSlab`, `slab_core::MemSlab`,
/// a re-export's path, an alias). Which type it is, the compiler checks
/// against the initializer's type, with the error on `ty`.
fn may_be_mem_slab(ty: &Type) -> bool {
    match ty {
        Type::Path(_) => true,
        Type::Paren(p) => may_be_mem_slab(&p.elem),
        Type::Group(g) => may_be_mem_slab(&g.elem),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::{Reach, reach_from};

    fn reach(line: &str) -> Option<Reach> {
        reach_from(&line.split(' ').map(str::to_owned).collect::<Vec<_>>())
    }

    #[test]
    fn slab_core_reach_from_rustc_arguments() {
        let direct = Some(Reach::Direct);
        assert_eq!(
            reach("rustc --crate-name app src/main.rs --extern slab_core=/t/libslab_core-1.rlib"),
            direct
        );
        assert_eq!(
            reach("rustc --crate-name app --extern noprelude,priv:slab_core=/t/x.rlib"),
            direct
        );
        assert_eq!(reach("rustc --crate-name=app --extern=slab_core"), direct);
        assert_eq!(reach("rustc --crate-name slab_core src/lib.rs"), direct);
        assert_eq!(
            reach(
                "rustc --crate-name app --extern facade=/t/libfacade-2.rlib --extern slab_core_x=/t/y"
            ),
            Some(Reach::Absent)
        );
        assert_eq!(
            reach("rustc --crate-name app --extern sc=/t/deps/libslab_core-3.rlib"),
            Some(Reach::Renamed("sc".into()))
        );
        // Not rustc's command line, or not all of it: no verdict.
        assert_eq!(reach("proc-macro-srv"), None);
        assert_eq!(reach("rustc @/tmp/args"), None);
        // Crates found through `-L` (`extern crate slab_core;`): no verdict.
        assert_eq!(
            reach("rustc --crate-name app -L crate=/t/lib -L dependency=/t/deps app.rs"),
            None
        );
    }

    #[test]
    fn an_extern_crate_item_can_name_slab_core() {
        use super::names_slab_core;
        assert!(names_slab_core("extern crate slab_core;\nfn main() {}"));
        assert!(names_slab_core(
            "#[macro_use]\npub extern crate sc as slab_core;"
        ));
        assert!(!names_slab_core("extern crate sc;\nuse sc as slab_core;"));
        assert!(!names_slab_core(
            "// extern crate sc as slab_core;\nfn main() {}"
        ));
        assert!(!names_slab_core("extern crate slab_core as sc;"));
        assert!(!names_slab_core("fn main() { let x = ; }}"));
    }
}
