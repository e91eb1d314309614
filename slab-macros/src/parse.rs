//! Syntax only: the attribute's keys, the annotated static, and the items of
//! `mem_slabs!`. Nothing here judges a value; that is `validate`'s job, so
//! that every mistake can be reported at once.

use proc_macro2::{Delimiter, Group, TokenStream, TokenTree};
use syn::ext::IdentExt;
use syn::parse::{Parse, ParseStream, Parser};
use syn::{Attribute, Expr, Ident, LitInt, LitStr, Path, Token, Type, Visibility};

/// The keys of a declaration, in the order written.
pub struct Args {
    pub list: Vec<Arg>,
    /// Every argument token (the parenthesised group for `mem_slabs!`):
    /// where an error about a missing key points. Empty for `#[mem_slab]`.
    pub whole: TokenStream,
}

/// One `key = value`.
pub struct Arg {
    pub key: Ident,
    pub value: Value,
}

/// A key's value, parsed by what the key expects.
pub enum Value {
    Blocks(Expr),
    Size(Expr),
    Type(Type),
    Align(LitInt),
    Name(LitStr),
    Section(Section),
    Crate(Path),
    Checks(LitStr),
    /// A key that does not exist; its value, if any, is skipped.
    Unknown,
    /// A known key written without `= value`.
    Missing,
}

/// The keys, for the unknown-key message and its suggestion.
pub const KEYS: &[&str] = &[
    "blocks", "size", "type", "align", "name", "section", "crate", "checks",
];

impl Parse for Args {
    fn parse(input: ParseStream) -> syn::Result<Self> {
        let whole = input.fork().parse::<TokenStream>()?;
        let mut list = Vec::new();
        while !input.is_empty() {
            list.push(input.parse()?);
            if input.is_empty() {
                break;
            }
            input.parse::<Token![,]>()?;
        }
        Ok(Args { list, whole })
    }
}

impl Parse for Arg {
    fn parse(input: ParseStream) -> syn::Result<Self> {
        // `type` and `crate` are keywords.
        let key = Ident::parse_any(input)?;
        let known = KEYS.contains(&key.unraw().to_string().as_str());
        if input.is_empty() || input.peek(Token![,]) {
            // A bare key: validation says that it needs a value, or that
            // it does not exist.
            let value = if known {
                Value::Missing
            } else {
                Value::Unknown
            };
            return Ok(Arg { key, value });
        }
        if !known {
            // The error is about the key, whatever follows it.
            skip_value(input)?;
            return Ok(Arg {
                key,
                value: Value::Unknown,
            });
        }
        input.parse::<Token![=]>()?;
        let value = match key.unraw().to_string().as_str() {
            "blocks" => Value::Blocks(input.parse()?),
            "size" => Value::Size(input.parse()?),
            "type" => Value::Type(input.parse()?),
            "align" => Value::Align(literal(
                input,
                "`align` takes an integer literal, a power of two: e.g. `align = 16`",
            )?),
            "name" => Value::Name(literal(
                input,
                "`name` takes a string literal: e.g. `name = \"rx_bufs\"`",
            )?),
            "section" => Value::Section(input.parse()?),
            "crate" => {
                if input.peek(syn::Lit) {
                    let lit = input.parse::<syn::Lit>()?;
                    return Err(syn::Error::new_spanned(
                        lit,
                        "`crate` takes a path, not a string: e.g. \
                         `crate = facade::slab_core`",
                    ));
                }
                Value::Crate(Path::parse_mod_style(input)?)
            }
            "checks" => Value::Checks(literal(input, CHECKS_MESSAGE)?),
            other => unreachable!("`{other}` is in KEYS but has no parser"),
        };
        Ok(Arg { key, value })
    }
}

/// `section = "…"`, or `section = unsafe("…")` for a section the user
/// vouches for.
pub struct Section {
    /// The `unsafe` the user wrote: the expansion's `unsafe(link_section)`
    /// carries its span, so that the crate's `unsafe_code` lint sees it.
    pub unsafe_token: Option<Token![unsafe]>,
    pub name: LitStr,
}

/// What `section` takes.
const SECTION_MESSAGE: &str = "`section` takes a string literal, e.g. `section = \".noinit\"`, \
                               or `unsafe(\"…\")` around one, e.g. `section = unsafe(\".axisram\")`";

impl Parse for Section {
    fn parse(input: ParseStream) -> syn::Result<Self> {
        if !input.peek(Token![unsafe]) {
            return Ok(Section {
                unsafe_token: None,
                name: literal(input, SECTION_MESSAGE)?,
            });
        }
        let unsafe_token = input.parse::<Token![unsafe]>()?;
        if !input.peek(syn::token::Paren) {
            return Err(input.error(SECTION_MESSAGE));
        }
        let content;
        syn::parenthesized!(content in input);
        let name = literal(&content, SECTION_MESSAGE)?;
        if !content.is_empty() {
            let rest = content.parse::<TokenStream>()?;
            return Err(syn::Error::new_spanned(rest, SECTION_MESSAGE));
        }
        Ok(Section {
            unsafe_token: Some(unsafe_token),
            name,
        })
    }
}

/// What `checks` takes.
pub const CHECKS_MESSAGE: &str = "`checks` takes \"full\" (the default: every check) or \"bounds\" (`Foreign` and `Misaligned` only)";

/// A literal of type `L` that is the whole value, or `message` on whatever
/// was written instead (all of it: `1 << 4`, not just `1`).
fn literal<L: Parse>(input: ParseStream, message: &str) -> syn::Result<L> {
    let ahead = input.fork();
    if ahead.parse::<L>().is_ok() && (ahead.is_empty() || ahead.peek(Token![,])) {
        return input.parse();
    }
    let tokens = value_tokens(input)?;
    if tokens.is_empty() {
        return Err(input.error(message));
    }
    Err(syn::Error::new_spanned(tokens, message))
}

/// Skips the tokens of one value: up to the next top-level `,`.
fn skip_value(input: ParseStream) -> syn::Result<()> {
    value_tokens(input).map(drop)
}

/// The tokens of one value: up to the next top-level `,`.
fn value_tokens(input: ParseStream) -> syn::Result<TokenStream> {
    let mut tokens = TokenStream::new();
    while !input.is_empty() && !input.peek(Token![,]) {
        tokens.extend([input.parse::<TokenTree>()?]);
    }
    Ok(tokens)
}

/// `#[attrs] vis static [mut] NAME`: the part both forms share.
pub struct StaticHeader {
    pub attrs: Vec<Attribute>,
    pub vis: Visibility,
    pub mutability: Option<Token![mut]>,
    pub ident: Ident,
}

impl Parse for StaticHeader {
    fn parse(input: ParseStream) -> syn::Result<Self> {
        let attrs = input.call(Attribute::parse_outer)?;
        let vis = input.parse()?;
        input.parse::<Token![static]>()?;
        Ok(StaticHeader {
            attrs,
            vis,
            mutability: input.parse()?,
            ident: input.parse()?,
        })
    }
}

impl StaticHeader {
    /// The header of a declaration that did not parse, so that a
    /// placeholder static can stand in for it.
    pub fn recover(tokens: TokenStream) -> Option<Self> {
        let header = |input: ParseStream| {
            let header = input.parse::<StaticHeader>()?;
            input.parse::<TokenStream>()?;
            Ok(header)
        };
        header.parse2(tokens).ok()
    }
}

/// The item under `#[mem_slab]`: `static NAME: MemSlab;`.
pub struct AnnotatedStatic {
    pub header: StaticHeader,
    pub ty: Type,
    /// `= expr`, which a declared slab must not have.
    pub init: Option<TokenStream>,
}

impl Parse for AnnotatedStatic {
    fn parse(input: ParseStream) -> syn::Result<Self> {
        let header = input.parse()?;
        input.parse::<Token![:]>()?;
        let ty = input.parse()?;
        let init = if input.peek(Token![=]) {
            let eq = input.parse::<Token![=]>()?;
            let expr = input.parse::<Expr>()?;
            Some(quote::quote!(#eq #expr))
        } else {
            None
        };
        input.parse::<Token![;]>()?;
        Ok(AnnotatedStatic { header, ty, init })
    }
}

/// Whether `input` starts (after attributes and visibility) with `static`;
/// if not, the error for an attribute put on something else, on the token
/// that is there instead.
pub fn expect_static(input: TokenStream) -> syn::Result<()> {
    let check = |input: ParseStream| {
        input.call(Attribute::parse_outer)?;
        input.parse::<Visibility>()?;
        if !input.peek(Token![static]) {
            let found = input.parse::<TokenTree>().map(|t| t.span());
            let span = found.unwrap_or_else(|_| input.span());
            return Err(syn::Error::new(
                span,
                "`#[mem_slab]` applies only to a static: write \
                 `#[mem_slab(blocks = N, size = S)] static NAME: MemSlab;`",
            ));
        }
        input.parse::<TokenStream>()?;
        Ok(())
    };
    check.parse2(input)
}

/// One item of `mem_slabs!`: `static NAME(keys);`.
pub struct ListItem {
    pub header: StaticHeader,
    pub args: Args,
}

impl Parse for ListItem {
    fn parse(input: ParseStream) -> syn::Result<Self> {
        let header = input.parse()?;
        let group = input.fork().parse::<Group>().ok();
        if !group
            .as_ref()
            .is_some_and(|g| g.delimiter() == Delimiter::Parenthesis)
        {
            let span = group.as_ref().map_or_else(|| input.span(), Group::span);
            return Err(syn::Error::new(
                span,
                "expected `(` and the slab's keys after its name: \
                 `static NAME(blocks = N, size = S);`",
            ));
        }
        let content;
        syn::parenthesized!(content in input);
        let mut args = content.parse::<Args>()?;
        args.whole = group
            .map(|g| TokenTree::Group(g).into())
            .unwrap_or_default();
        Ok(ListItem { header, args })
    }
}

/// The input of `mem_slabs!`, split into items so that one bad item spoils
/// only itself: at each top-level `;`, at a `,` right after `static
/// NAME(…)` (a wrong separator: the item ends with it), and after `static
/// NAME(…)` when something else follows (the item then has no `;`).
pub fn split_items(input: TokenStream) -> Vec<(TokenStream, Option<TokenTree>)> {
    let mut items = Vec::new();
    let mut current: Vec<TokenTree> = Vec::new();
    // Whether `current` ends with `static [mut] NAME(…)`.
    let mut complete = false;
    for token in input {
        let separator = match &token {
            TokenTree::Punct(p) => p.as_char() == ';' || (complete && p.as_char() == ','),
            _ => false,
        };
        if separator {
            items.push((current.drain(..).collect(), Some(token)));
            complete = false;
            continue;
        }
        if complete {
            items.push((current.drain(..).collect(), None));
        }
        let keys = matches!(&token, TokenTree::Group(g) if g.delimiter() == Delimiter::Parenthesis)
            && ends_with_static_name(&current);
        current.push(token);
        complete = keys;
    }
    if !current.is_empty() {
        items.push((current.into_iter().collect(), None));
    }
    items
}

/// Whether `tokens` end with `static NAME` or `static mut NAME`.
fn ends_with_static_name(tokens: &[TokenTree]) -> bool {
    let is = |t: &TokenTree, word: &str| matches!(t, TokenTree::Ident(i) if i == word);
    match tokens {
        [.., s, m, TokenTree::Ident(_)] if is(s, "static") && is(m, "mut") => true,
        [.., s, TokenTree::Ident(_)] => is(s, "static"),
        _ => false,
    }
}

/// The error for an item of `mem_slabs!` that ends in `separator` where a
/// `;` belongs, on it.
pub fn wrong_separator(separator: &TokenTree) -> syn::Error {
    syn::Error::new(
        separator.span(),
        format!("expected `;` after this slab declaration, found `{separator}`"),
    )
}

/// The error for a `;` (or `,`) of `mem_slabs!` that ends no item, on it.
pub fn stray_separator(separator: &TokenTree) -> syn::Error {
    syn::Error::new(
        separator.span(),
        format!(
            "unexpected `{separator}`: a slab declaration is `static NAME(keys);`, \
             remove this one"
        ),
    )
}

/// The error for an item of `mem_slabs!` that does not end in `;`.
pub fn missing_semicolon(item: &TokenStream) -> syn::Error {
    let last = item.clone().into_iter().last();
    let span = last.map_or_else(proc_macro2::Span::call_site, |t| t.span());
    syn::Error::new(span, "expected `;` after this slab declaration")
}
