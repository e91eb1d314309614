//! The rules of a declaration: every mistake that can be seen in the
//! syntax becomes an error on the offending token, all of them reported
//! together. What only the compiler can evaluate (const expressions, the
//! size of a type) is left to the expansion's const assertions.

use proc_macro2::{Span, TokenStream};
use quote::ToTokens;
use syn::ext::IdentExt;
use syn::{Attribute, Expr, Ident, Lit, LitInt, LitStr, Path, Type, Visibility};

use crate::parse::{Args, KEYS, StaticHeader, Value};

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
}

/// The slab of a declaration that follows every rule the macro can check.
pub struct Layout {
    pub blocks: Expr,
    pub shape: Shape,
    /// The `align` literal's value.
    pub align: Option<u64>,
    /// The name in the registry.
    pub name: String,
    pub section: Option<LitStr>,
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
    let krate = keys.krate.clone().unwrap_or_else(default_crate);
    let ty = match ty {
        Some(ty) if is_mem_slab(&ty) => ty,
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
    Static {
        attrs: carried_attrs(header.attrs),
        vis: header.vis,
        ident: header.ident,
        ty: ty
            .filter(is_mem_slab)
            .unwrap_or_else(|| mem_slab_type(&krate)),
        krate,
    }
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
];

/// The attributes that carry over, with an error for each other one.
fn check_attrs(attrs: Vec<Attribute>, errors: &mut Errors) -> Vec<Attribute> {
    for attr in attrs.iter().filter(|a| !is_carried(a)) {
        errors.push(syn::Error::new_spanned(
            attr,
            format!(
                "`{}` is not supported on a declared slab: only doc comments, \
                 `#[cfg]`, `#[cfg_attr]`, lint attributes and `#[deprecated]` \
                 carry over (use `section = \"…\"` to place its buffer)",
                attr_name(attr),
            ),
        ));
    }
    carried_attrs(attrs)
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
    CARRIED_ATTRS.iter().any(|name| attr.path().is_ident(name))
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
    section: Option<LitStr>,
    krate: Option<Path>,
    checks: Option<LitStr>,
    /// Whether `type` came before `size` (the error goes on the later one).
    type_given_first: bool,
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
                errors.push(unknown_key(&arg.key, &key));
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
                Value::Unknown => unreachable!("reported above"),
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
        if blocks.is_none() {
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
            (None, Some((_, ty))) => Some(Shape::Type(ty)),
            (None, None) => {
                errors.push(missing(
                    &self.whole,
                    "missing the block size: add `size = BYTES` or `type = T`",
                ));
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
        if let Some(lit) = &self.section {
            if lit.value().is_empty() {
                errors.push(syn::Error::new_spanned(
                    lit,
                    "`section` must not be empty: name a link section such as \
                     `\".noinit\"`, or remove `section`",
                ));
            }
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
    if value % align != 0 {
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

/// `blocks × size` of two literals fits a 64-bit allocation. The
/// expansion's `rules::no_overflow` assertion checks the target's own width.
fn check_overflow(blocks: &Expr, count: u64, size: u64, align: Option<u64>, errors: &mut Errors) {
    let block_size = u128::from(size).next_multiple_of(u128::from(align.unwrap_or(1)));
    let bytes = u128::from(count) * block_size;
    if bytes > i64::MAX as u128 {
        errors.push(syn::Error::new_spanned(
            blocks,
            format!(
                "`blocks` × `size` = {bytes} bytes overflows `usize`: \
                 use fewer or smaller blocks"
            ),
        ));
    }
}

/// The error for a key that does not exist, with a suggestion when one
/// is close.
fn unknown_key(key: &Ident, name: &str) -> syn::Error {
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
    syn::Error::new_spanned(key, message)
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

/// Whether `ty` names `MemSlab`: a path ending in `MemSlab` (`MemSlab`,
/// `slab_core::MemSlab`, `<crate>::MemSlab`, a re-export's path). Which
/// `MemSlab` it is, the compiler checks against the initializer's type.
fn is_mem_slab(ty: &Type) -> bool {
    let Type::Path(path) = ty else {
        return false;
    };
    path.qself.is_none()
        && path
            .path
            .segments
            .last()
            .is_some_and(|s| s.ident == "MemSlab")
        && path.path.segments.iter().all(|s| s.arguments.is_none())
}
