//! `slab_heap!`: a `SlabHeap` whose size classes are declared slabs.
//!
//! Each class is parsed, validated and expanded by the same code as a
//! `mem_slabs!` item (`parse::Args`, `validate::validate`,
//! `expand::slab_tokens`), under a hidden static `NAME_CLASS_<n>` with
//! the default registry name `"NAME/<size>"`. What this module adds is
//! the heap's own syntax, its attributes, and the order of the classes.

use proc_macro2::{Delimiter, Group, Span, TokenStream, TokenTree};
use quote::{ToTokens, format_ident, quote, quote_spanned};
use syn::ext::IdentExt;
use syn::parse::{Parse, ParseStream};
use syn::spanned::Spanned;
use syn::{Attribute, Ident, LitStr, Path, Token, Type};

use crate::expand;
use crate::parse::{self, Arg, Args, StaticHeader, Value};
use crate::validate::{self, Declaration, Layout, Shape, Static};

/// `slab_heap! { items }`.
pub fn list(input: TokenStream) -> TokenStream {
    let items = parse::split_items(input);
    if items.is_empty() {
        return syn::Error::new(
            Span::call_site(),
            "slab_heap! declares a heap: \
             `static HEAP: SlabHeap = [(blocks = N, size = S), …];`",
        )
        .to_compile_error();
    }
    let mut out = TokenStream::new();
    for (tokens, semicolon) in items {
        match syn::parse2::<HeapItem>(tokens.clone()) {
            Ok(item) => out.extend(heap(item)),
            Err(error) => {
                if let Some(header) = StaticHeader::recover(tokens.clone()) {
                    out.extend(placeholder(
                        &header.attrs,
                        &header.vis,
                        &header.ident,
                        &krate_of(&[]),
                    ));
                }
                out.extend(error.to_compile_error());
            }
        }
        if semicolon.is_none() {
            out.extend(parse::missing_semicolon(&tokens).to_compile_error());
        }
    }
    out
}

/// `#[attrs] vis static NAME: SlabHeap = [(keys), …]`.
struct HeapItem {
    header: StaticHeader,
    ty: Type,
    /// The `[…]`, where an error about the classes as a whole points.
    brackets: Group,
    classes: Vec<Args>,
}

impl Parse for HeapItem {
    fn parse(input: ParseStream) -> syn::Result<Self> {
        let ahead = input.fork();
        ahead.call(Attribute::parse_outer)?;
        ahead.parse::<syn::Visibility>()?;
        if !ahead.peek(Token![static]) {
            return Err(syn::Error::new(
                ahead.span(),
                "slab_heap! declares a static: \
                 `static HEAP: SlabHeap = [(blocks = N, size = S), …];`",
            ));
        }
        let header = input.parse()?;
        input.parse::<Token![:]>()?;
        let ty = input.parse()?;
        input.parse::<Token![=]>()?;
        let brackets = match input.parse::<TokenTree>() {
            Ok(TokenTree::Group(g)) if g.delimiter() == Delimiter::Bracket => g,
            other => {
                let span = other.map_or_else(|_| input.span(), |t| t.span());
                return Err(syn::Error::new(
                    span,
                    "expected `[` and the size classes: \
                     `= [(blocks = N, size = S), …]`",
                ));
            }
        };
        let classes = syn::parse::Parser::parse2(parse_classes, brackets.stream())?;
        Ok(HeapItem {
            header,
            ty,
            brackets,
            classes,
        })
    }
}

/// `(keys), (keys), …`: each class's keys, as `mem_slabs!` parses them.
fn parse_classes(input: ParseStream) -> syn::Result<Vec<Args>> {
    let mut classes = Vec::new();
    while !input.is_empty() {
        let group = match input.parse::<TokenTree>()? {
            TokenTree::Group(g) if g.delimiter() == Delimiter::Parenthesis => g,
            other => {
                return Err(syn::Error::new(
                    other.span(),
                    "expected a size class in parentheses: `(blocks = N, size = S)`",
                ));
            }
        };
        let mut args = syn::parse2::<Args>(group.stream())?;
        args.whole = TokenTree::Group(group).into();
        classes.push(args);
        if input.is_empty() {
            break;
        }
        input.parse::<Token![,]>()?;
    }
    Ok(classes)
}

/// The attributes that carry over to the heap's static.
const HEAP_ATTRS: &[&str] = &[
    "doc",
    "cfg",
    "cfg_attr",
    "allow",
    "warn",
    "deny",
    "forbid",
    "expect",
    "deprecated",
    "global_allocator",
];

/// One heap: its classes' slabs, the order checks, and the `SlabHeap`.
fn heap(item: HeapItem) -> TokenStream {
    let HeapItem {
        header,
        ty,
        brackets,
        classes,
    } = item;
    let mut errors = Vec::new();
    let (attrs, rejected): (Vec<Attribute>, Vec<Attribute>) = header
        .attrs
        .into_iter()
        .partition(|a| HEAP_ATTRS.iter().any(|name| a.path().is_ident(name)));
    for attr in rejected {
        errors.push(syn::Error::new_spanned(
            &attr,
            "this attribute is not supported on a slab heap: only doc comments, \
             `#[global_allocator]`, `#[cfg]`, `#[cfg_attr]`, lint attributes and \
             `#[deprecated]` carry over",
        ));
    }
    if let Some(mutability) = header.mutability {
        errors.push(syn::Error::new_spanned(
            mutability,
            "a slab heap cannot be `static mut`: remove `mut` \
             (`SlabHeap` is `Sync` and is used through a shared reference)",
        ));
    }
    if !is_slab_heap(&ty) {
        errors.push(syn::Error::new_spanned(
            &ty,
            "a slab heap's static must have type `SlabHeap`: \
             write `static HEAP: SlabHeap = [(blocks = N, size = S), …];`",
        ));
    }
    if classes.is_empty() {
        errors.push(syn::Error::new(
            brackets.span(),
            "a slab heap needs at least one size class: \
             `[(blocks = N, size = S), …]`",
        ));
    }

    let heap_ident = header.ident;
    let mut slabs = TokenStream::new();
    let mut idents = Vec::new();
    let mut shapes: Vec<Option<ClassShape>> = Vec::new();
    let mut shape_consts = TokenStream::new();
    let mut krates = Vec::new();
    // `crate = …` on any class is the whole heap's: classes without one
    // get it too.
    let shared_crate = classes
        .iter()
        .flat_map(|a| &a.list)
        .find_map(|a| match &a.value {
            Value::Crate(path) => Some((a.key.clone(), path.clone())),
            _ => None,
        });
    for (index, mut args) in classes.into_iter().enumerate() {
        if let Some((key, path)) = &shared_crate
            && !args.list.iter().any(|a| a.key.unraw() == "crate")
        {
            args.list.push(Arg {
                key: key.clone(),
                value: Value::Crate(path.clone()),
            });
        }
        let number = index + 1;
        let ident = format_ident!(
            "{}_CLASS_{}",
            heap_ident.unraw(),
            number,
            span = heap_ident.span()
        );
        let default_name = format!("{}/{}", heap_ident.unraw(), size_text(&args));
        if !args.list.iter().any(|a| a.key.unraw() == "name") {
            args.list.push(Arg {
                key: Ident::new("name", Span::call_site()),
                value: Value::Name(LitStr::new(&default_name, Span::call_site())),
            });
        }
        let validated = validate::validate(Declaration {
            header: StaticHeader {
                attrs: vec![syn::parse_quote!(#[allow(non_upper_case_globals)])],
                vis: syn::Visibility::Inherited,
                mutability: None,
                ident: ident.clone(),
            },
            args,
            ty: None,
            init: None,
        });
        krates.push(validated.item.krate.clone());
        match validated.layout {
            Ok(layout) => {
                let shape = ClassShape::of(&validated.item, &layout, number);
                // The heap's view of the class is evaluated once, here, and
                // the class's slab checks that its own (the same keys, in
                // its initializer's scope) agrees: a `size`, `type` or
                // `blocks` naming an item the slab's expansion declares
                // (`__SLAB_BLOCKS`, …) would otherwise mean one block size to
                // the heap and another to the slab.
                let (block_size, align, blocks) = (&shape.block_size, &shape.align, &shape.blocks);
                let usize = quote!(::core::primitive::usize);
                let konst = &shape.konst;
                shape_consts.extend(quote! {
                    #[allow(unused_braces, non_upper_case_globals)]
                    const #konst: (#usize, #usize, #usize) = (#block_size, #align, #blocks);
                });
                let message = LitStr::new(
                    &format!(
                        "slab heap `{}`: class {number}'s `size`, `type` or `blocks` has another \
                         value in the class's slab than in the heap: it names an item of the \
                         macro's expansion (`__SLAB_…`); rename that item",
                        heap_ident.unraw()
                    ),
                    shape.span,
                );
                let agree = quote_spanned! {shape.span=>
                    const _: () = ::core::assert!(
                        __SLAB_BLOCK_SIZE == #konst.0
                            && __SLAB_ALIGN == #konst.1
                            && __SLAB_BLOCKS == #konst.2,
                        #message
                    );
                };
                slabs.extend(expand::slab_tokens_with(
                    &validated.item,
                    &layout,
                    expand::Kind::Class,
                    agree,
                ));
                shapes.push(Some(shape));
            }
            Err(error) => {
                slabs.extend(expand::placeholder(&validated.item));
                errors.push(error);
                shapes.push(None);
            }
        }
        idents.push(ident);
    }
    let krate = krate_of(&krates);
    let order = order_checks(&heap_ident, &shapes, &mut errors);

    let vis = &header.vis;
    if let Some(error) = errors.into_iter().reduce(|mut all, e| {
        all.combine(e);
        all
    }) {
        let mut out = placeholder(&attrs, vis, &heap_ident, &krate);
        // The classes' own statics too, so that each error shows once.
        out.extend(quote!(const _: () = { #shape_consts #slabs };));
        out.extend(error.to_compile_error());
        return out;
    }
    let private = quote!(#krate::__private);
    let count = idents.len();
    // A global allocator on an OS serves std before `main`: boot then,
    // under the `cfg` that makes the heap one (`#[cfg_attr(not(test),
    // global_allocator)]` is one outside tests).
    let mut global = Vec::new();
    for attr in &attrs {
        global_allocator_cfgs(&attr.meta, &mut Vec::new(), &mut global);
    }
    let boot = (!global.is_empty()).then(|| {
        quote! {
            #[cfg(any(#(#global),*))]
            #private::boot_before_main!();
        }
    });
    // Each class is a `HeapClass` that slab-core's `declare!` built with
    // its slab and checked shape: the heap reads the shape, and checks the
    // classes' order, from there, so nothing here is trusted (see
    // `__private::heap`).
    quote! {
        #(#attrs)*
        #vis static #heap_ident: #krate::SlabHeap = {
            #shape_consts
            #slabs
            #order
            #boot
            static __SLAB_HEAP_CLASSES: [&'static #private::HeapClass; #count] = [#(&#idents),*];
            #private::heap(&__SLAB_HEAP_CLASSES)
        };
    }
}

/// Pushes onto `found` the `cfg` predicate under which `meta` is
/// `global_allocator`: `all(…)` of the predicates of the `cfg_attr`s
/// around it (`within`, outermost first; none for the attribute itself).
fn global_allocator_cfgs(
    meta: &syn::Meta,
    within: &mut Vec<TokenStream>,
    found: &mut Vec<TokenStream>,
) {
    if meta.path().is_ident("global_allocator") {
        found.push(quote!(all(#(#within),*)));
        return;
    }
    let syn::Meta::List(list) = meta else {
        return;
    };
    if !list.path.is_ident("cfg_attr") {
        return;
    }
    // `cfg_attr(predicate, attr, …)`: split at the commas between them.
    let mut parts = vec![TokenStream::new()];
    for token in list.tokens.clone() {
        match &token {
            TokenTree::Punct(p) if p.as_char() == ',' => parts.push(TokenStream::new()),
            _ => parts.last_mut().expect("one part").extend([token]),
        }
    }
    let mut parts = parts.into_iter();
    let Some(predicate) = parts.next().filter(|p| !p.is_empty()) else {
        return;
    };
    within.push(predicate);
    for part in parts {
        // An attribute that is not a plain meta (`unsafe(…)`) is not
        // `global_allocator`, nor a `cfg_attr` around it.
        if let Ok(inner) = syn::parse2::<syn::Meta>(part) {
            global_allocator_cfgs(&inner, within, found);
        }
    }
    within.pop();
}

/// A rejected heap's stand-in, so that uses of its name report nothing more.
fn placeholder(
    attrs: &[Attribute],
    vis: &syn::Visibility,
    ident: &Ident,
    krate: &Path,
) -> TokenStream {
    let attrs = attrs
        .iter()
        .filter(|a| HEAP_ATTRS.iter().any(|name| a.path().is_ident(name)));
    quote! {
        #(#attrs)*
        #vis static #ident: #krate::SlabHeap = #krate::__private::heap(&[]);
    }
}

/// The heap's `crate = …`: the first class's (each has the shared one), or
/// `::slab_core`.
fn krate_of(krates: &[Path]) -> Path {
    krates
        .first()
        .cloned()
        .unwrap_or_else(validate::default_crate)
}

/// Whether `ty` names `SlabHeap` (a path ending in it).
fn is_slab_heap(ty: &Type) -> bool {
    let Type::Path(path) = ty else {
        return false;
    };
    path.qself.is_none()
        && path
            .path
            .segments
            .last()
            .is_some_and(|s| s.ident == "SlabHeap" && s.arguments.is_none())
}

/// The `size` or `type` of a class as written, for its default name.
fn size_text(args: &Args) -> String {
    let text = |tokens: TokenStream| tokens.to_string().replace(' ', "");
    for arg in &args.list {
        match &arg.value {
            Value::Size(expr) => {
                return match validate::int_literal(expr).map(|l| l.base10_parse::<u64>()) {
                    Some(Ok(value)) => value.to_string(),
                    _ => text(expr.to_token_stream()),
                };
            }
            Value::Type(ty) => return text(ty.to_token_stream()),
            _ => {}
        }
    }
    "?".to_owned()
}

/// What the order check needs of a valid class.
struct ClassShape {
    number: usize,
    /// The heap's constant `(block size, align, blocks)` of the class.
    konst: Ident,
    /// Its block size, rounded, as a const expression.
    block_size: TokenStream,
    /// Its alignment before raising to the word, as a const expression.
    align: TokenStream,
    /// Its `blocks`.
    blocks: syn::Expr,
    /// The `size` literal rounded up to `align`, when it is one.
    literal: Option<(u64, Span)>,
    /// Where an order error points: its `size` or `type`.
    span: Span,
}

impl ClassShape {
    fn of(item: &Static, layout: &Layout, number: usize) -> Self {
        let private = {
            let krate = &item.krate;
            quote!(#krate::__private)
        };
        let align = layout.align.unwrap_or(1);
        match &layout.shape {
            Shape::Size(size) => {
                let align_lit = proc_macro2::Literal::u64_unsuffixed(align);
                let literal = validate::int_literal(size)
                    .and_then(|l| l.base10_parse::<u64>().ok())
                    .map(|v| (v.next_multiple_of(align), size.span()));
                ClassShape {
                    number,
                    konst: shape_const(number),
                    block_size: quote!(#private::round_block_size(#size, #align_lit)),
                    align: align_lit.to_token_stream(),
                    blocks: layout.blocks.clone(),
                    literal,
                    span: size.span(),
                }
            }
            Shape::Type(ty) => {
                let (size, block_align) = expand::type_size_align(&private, ty, layout.align);
                ClassShape {
                    number,
                    konst: shape_const(number),
                    block_size: quote!(#private::round_block_size(#size, #block_align)),
                    align: block_align,
                    blocks: layout.blocks.clone(),
                    literal: None,
                    span: ty.span(),
                }
            }
        }
    }
}

/// The name of class `number`'s shape constant in the heap's initializer.
fn shape_const(number: usize) -> Ident {
    format_ident!("__SLAB_HEAP_SHAPE_{}", number)
}

/// Neighbouring valid classes ascend strictly: literals are checked here
/// (an error on the later `size`); the rest, and the rounding to the
/// target's word, by a const assertion for each pair.
fn order_checks(
    heap: &Ident,
    shapes: &[Option<ClassShape>],
    errors: &mut Vec<syn::Error>,
) -> TokenStream {
    let mut checks = TokenStream::new();
    for pair in shapes.windows(2) {
        let (Some(lower), Some(upper)) = (&pair[0], &pair[1]) else {
            continue;
        };
        if let (Some((low, _)), Some((high, span))) = (lower.literal, upper.literal) {
            if high == low {
                errors.push(syn::Error::new(
                    span,
                    format!(
                        "duplicate size class: class {} has the block size of class {} \
                         ({low} bytes); each class must be larger than the one before it",
                        upper.number, lower.number
                    ),
                ));
                continue;
            }
            if high < low {
                errors.push(syn::Error::new(
                    span,
                    format!(
                        "size classes must be in ascending order: class {} ({high} bytes) \
                         is smaller than class {} ({low} bytes) before it",
                        upper.number, lower.number
                    ),
                ));
                continue;
            }
        }
        let (low, high) = (&lower.block_size, &upper.block_size);
        let message = LitStr::new(
            &format!(
                "slab heap `{}`: class {}'s block size must be larger than class {}'s \
                 (classes ascend strictly; block sizes are rounded up to the word and to `align`)",
                heap.unraw(),
                upper.number,
                lower.number
            ),
            upper.span,
        );
        // A zero block size is the class's own error (`size` must be at
        // least 1): not reported twice.
        checks.extend(quote_spanned! {upper.span=>
            const _: () = ::core::assert!(#low == 0 || #high == 0 || #low < #high, #message);
        });
    }
    checks
}
