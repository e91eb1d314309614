//! The two macros end to end (parse, validate, expand) and the code a
//! valid declaration becomes: a block buffer, its free flags, the const
//! `MemSlab` over them, and the registry entry. Everything is reached
//! through `<crate>::__private`.

use proc_macro2::{Delimiter, Group, Ident, Literal, Span, TokenStream, TokenTree};
use quote::{ToTokens, quote, quote_spanned};
use syn::ext::IdentExt;
use syn::spanned::Spanned;
use syn::{Expr, LitStr, Path, Type};

use crate::parse::{self, AnnotatedStatic, Args, ListItem, StaticHeader};
use crate::validate::{self, Declaration, Layout, Shape, Static, Validated};

/// `#[mem_slab(args)] input`.
pub fn attribute(args: TokenStream, input: TokenStream) -> TokenStream {
    if let Err(error) = parse::expect_static(input.clone()) {
        // Not a static: leave the item as it is, so that only this error shows.
        let error = error.to_compile_error();
        return quote!(#error #input);
    }
    let item = match syn::parse2::<AnnotatedStatic>(input.clone()) {
        Ok(item) => item,
        Err(error) => return broken(StaticHeader::recover(input), None, error),
    };
    let args = match syn::parse2::<Args>(args) {
        Ok(args) => args,
        Err(error) => return broken(Some(item.header), Some(item.ty), error),
    };
    declaration(Declaration {
        header: item.header,
        args,
        ty: Some(item.ty),
        init: item.init,
    })
}

/// `mem_slabs! { items }`.
pub fn list(input: TokenStream) -> TokenStream {
    let items = parse::split_items(input);
    if items.is_empty() {
        return syn::Error::new(
            Span::call_site(),
            "mem_slabs! declares one or more slabs: \
             `static NAME(blocks = N, size = S);`",
        )
        .to_compile_error();
    }
    let mut out = TokenStream::new();
    for (tokens, semicolon) in items {
        if tokens.is_empty()
            && let Some(semicolon) = &semicolon
        {
            // A stray `;` (`…);;`): nothing else is wrong with the items.
            out.extend(parse::stray_separator(semicolon).to_compile_error());
            continue;
        }
        match syn::parse2::<ListItem>(tokens.clone()) {
            Ok(item) => out.extend(declaration(Declaration {
                header: item.header,
                args: item.args,
                ty: None,
                init: None,
            })),
            Err(error) => out.extend(broken(StaticHeader::recover(tokens.clone()), None, error)),
        }
        match &semicolon {
            None => out.extend(parse::missing_semicolon(&tokens).to_compile_error()),
            Some(TokenTree::Punct(p)) if p.as_char() == ';' => {}
            Some(separator) => out.extend(parse::wrong_separator(separator).to_compile_error()),
        }
    }
    out
}

/// A parsed declaration: its slab, or a placeholder and the errors.
fn declaration(decl: Declaration) -> TokenStream {
    let Validated { item, layout } = validate::validate(decl);
    if item.no_crate.is_some() {
        return placeholder(&item);
    }
    match layout {
        Ok(layout) => slab_tokens(&item, &layout),
        Err(error) => {
            let mut out = placeholder(&item);
            out.extend(error.to_compile_error());
            out
        }
    }
}

/// A declaration that did not parse: the error, and a placeholder when
/// at least the static's name is known.
fn broken(header: Option<StaticHeader>, ty: Option<Type>, error: syn::Error) -> TokenStream {
    let mut out = TokenStream::new();
    if let Some(header) = header {
        out.extend(placeholder(&validate::unparsed_static(header, ty)));
    }
    out.extend(error.to_compile_error());
    out
}

/// A well-typed stand-in for a rejected declaration, so that uses of the
/// static elsewhere do not fail as well. Without a reachable `slab_core`,
/// see [`no_crate_placeholder`].
pub(crate) fn placeholder(item: &Static) -> TokenStream {
    let Static {
        attrs,
        vis,
        ident,
        krate,
        ty,
        ty_written,
        no_crate,
    } = item;
    if let Some(message) = no_crate {
        return no_crate_placeholder(item, message);
    }
    let check = type_check(krate, ty, *ty_written);
    let private = private(krate);
    quote! {
        #(#attrs)*
        #vis static #ident: #private::MemSlab = {
            #check
            #private::MemSlab::new()
        };
    }
}

/// The stand-in of a declaration that cannot reach `slab_core`: one error,
/// `message`, and no other for the static's uses. With the user's type
/// (`static NAME: MemSlab;`, which names `MemSlab` through their own path),
/// the initializer is `compile_error!`. Without one (`mem_slabs!`), the
/// type is `<() as Trait>::MemSlab` for a local trait that `()` does not
/// implement, whose `on_unimplemented` message is `message`: that is the
/// one error, and the type is an error type, on which every use of the
/// static type-checks silently (`compile_error!` would give it type `()`,
/// and each method call on it one more error).
fn no_crate_placeholder(item: &Static, message: &str) -> TokenStream {
    let Static {
        attrs,
        vis,
        ident,
        ty,
        ty_written,
        ..
    } = item;
    if *ty_written {
        let error = syn::Error::new(Span::call_site(), message).to_compile_error();
        return quote! {
            #(#attrs)*
            #vis static #ident: #ty = #error;
        };
    }
    // One trait per static (a module may hold several): a name of the
    // expansion's own, which no lint of the user's crate judges.
    let name = Ident::new(
        &format!("__SlabCoreMissing_{}", ident.unraw()),
        Span::call_site(),
    );
    // The type, and so the error, is spanned at the static's name.
    let ty = quote_spanned!(ident.span()=> <() as #name>::MemSlab);
    quote! {
        #[doc(hidden)]
        #[diagnostic::on_unimplemented(
            message = #message,
            label = "this slab cannot reach `slab_core`"
        )]
        pub trait #name {
            /// Never: `()` does not implement this trait.
            type MemSlab;
        }
        #(#attrs)*
        #vis static #ident: #ty = loop {};
    }
}

/// `<krate>::__private`, through which the expansion reaches everything
/// (`MemSlab` too), with `__private` spanned at the end of `krate`: a
/// `crate = …` that does not lead to `slab_core` is then one error (the
/// same one for every use), on that path.
fn private(krate: &Path) -> TokenStream {
    let span = krate
        .segments
        .last()
        .map_or_else(Span::call_site, |s| s.ident.span());
    let private = Ident::new("__private", span);
    quote!(#krate::#private)
}

/// The static is a `<crate>::MemSlab`; the type the user wrote must be the
/// same (an alias of it is): checked here, so that another type is one
/// error on it (and the user's `use …::MemSlab` counts as used).
fn type_check(krate: &Path, ty: &Type, ty_written: bool) -> TokenStream {
    if !ty_written {
        return TokenStream::new();
    }
    let value = type_checked_value(ty);
    let private = private(krate);
    quote! {
        const _: fn(#private::MemSlab) -> #ty = |#value| #value;
    }
}

/// The name of the static's value in its initializer, spanned at the
/// static's type, so that a type other than `MemSlab` is one error there.
fn type_checked_value(ty: &Type) -> Ident {
    let span = match ty {
        Type::Path(path) => path.path.segments.last().map(|s| s.ident.span()),
        _ => None,
    };
    Ident::new("__slab", span.unwrap_or_else(|| ty.span()))
}

/// The expansion of a valid declaration.
pub(crate) fn slab_tokens(item: &Static, slab: &Layout) -> TokenStream {
    slab_tokens_with(item, slab, Kind::Slab, TokenStream::new())
}

/// [`slab_tokens`] of a `kind`, with `inside` among the items of the
/// static's initializer, where the shape's constants (`__SLAB_BLOCKS`,
/// `__SLAB_BLOCK_SIZE`, `__SLAB_ALIGN`) are in scope.
pub(crate) fn slab_tokens_with(
    item: &Static,
    slab: &Layout,
    kind: Kind,
    inside: TokenStream,
) -> TokenStream {
    let Static {
        attrs,
        vis,
        ident,
        krate,
        ty: static_ty,
        ty_written,
        ..
    } = item;
    let private = private(krate);
    let usize = quote!(::core::primitive::usize);
    let name = LitStr::new(&slab.name, Span::call_site());
    let symbol = LitStr::new(&registry_symbol(&slab.name), Span::call_site());
    let assertion = Assertion {
        private: &private,
        slab: ident.unraw().to_string(),
    };
    let blocks = &slab.blocks;
    let unbraced_blocks = unbraced(blocks);

    let mut checks = TokenStream::new();
    if validate::int_literal(blocks).is_none() {
        checks.extend(assertion.emit(
            blocks,
            quote!(blocks_nonzero(__SLAB_BLOCKS)),
            "`blocks` must be at least 1",
        ));
    }
    let align_literal = slab.align.map(Literal::u64_unsuffixed);
    let shape = match &slab.shape {
        Shape::Size(size) => {
            let unbraced_size = unbraced(size);
            if validate::int_literal(size).is_none() {
                checks.extend(size_checks(&assertion, size, &align_literal));
            }
            let align = align_literal
                .as_ref()
                .map_or_else(|| quote!(1), ToTokens::to_token_stream);
            quote! {
                const __SLAB_SIZE: #usize = #unbraced_size;
                const __SLAB_ALIGN: #usize = #align;
            }
        }
        Shape::Type(ty) => {
            checks.extend(assertion.emit(
                ty,
                quote!(size_nonzero(__SLAB_SIZE)),
                &format!(
                    "`type = {}` is zero-sized, and a block needs at least one byte",
                    validate::pretty(ty)
                ),
            ));
            let align = match &align_literal {
                None => quote!(__SLAB_TYPE.1),
                Some(literal) => quote! {
                    if __SLAB_TYPE.1 > #literal { __SLAB_TYPE.1 } else { #literal }
                },
            };
            quote! {
                // The one use of `ty`, so that a mistake in it is one error.
                const __SLAB_TYPE: (#usize, #usize) = #private::declare!(type_shape: #ty);
                const __SLAB_SIZE: #usize = __SLAB_TYPE.0;
                const __SLAB_ALIGN: #usize = #align;
            }
        }
    };
    checks.extend(assertion.emit(
        blocks,
        quote!(fits(__SLAB_BLOCKS, __SLAB_BLOCK_SIZE)),
        "`blocks` × block size is too large: a declared slab's buffer is at most \
         4 GiB (and `isize::MAX` bytes on the target); use fewer or smaller blocks",
    ));

    // A RAM section (`validate::RAM_SECTIONS`) needs no promise from the
    // user: slab-core's `declare!` writes its `link_section` and checks
    // that it is one. Any other section is under the user's `unsafe(…)`:
    // the attribute is spanned at their `unsafe`, so that their crate's
    // `unsafe_code` lint applies to it.
    let (ram_section, section_attr) = match &slab.section {
        None => (None, None),
        Some(section) => {
            let name = &section.name;
            match &section.unsafe_token {
                Some(token) => (
                    None,
                    Some(quote_spanned!(token.span=> #[unsafe(link_section = #name)])),
                ),
                None => (Some(name), None),
            }
        }
    };
    let type_check = type_check(krate, static_ty, *ty_written);
    let bounds = slab.bounds_checks;
    let (static_ty, output, register) = match kind {
        Kind::Slab => (
            quote!(#private::MemSlab),
            quote!(slab),
            quote!(#private::register!(#symbol, #ident);),
        ),
        Kind::Class => (
            quote!(#private::HeapClass),
            quote!(class),
            quote!(#private::register!(class #symbol, #ident);),
        ),
    };

    // Every size and the alignment type of the storage are computed here
    // through `crate = …`'s path; `declare!` (slab-core's, through
    // `$crate`) checks them against its own rules before the slab uses
    // them, and holds the expansion's only `unsafe`.
    quote! {
        #(#attrs)*
        #vis static #ident: #static_ty = {
            #type_check
            const __SLAB_BLOCKS: #usize = #unbraced_blocks;
            #shape
            const __SLAB_BLOCK_SIZE: #usize =
                #private::round_block_size(__SLAB_SIZE, __SLAB_ALIGN);
            #checks
            #inside
            #register
            #private::declare! {
                #output,
                name: #name,
                blocks: __SLAB_BLOCKS,
                size: __SLAB_SIZE,
                align: __SLAB_ALIGN,
                storage: [
                    <#private::align::Align<{ __SLAB_ALIGN }> as #private::align::Marker>::Type;
                    #private::storage_len(__SLAB_BLOCKS, __SLAB_BLOCK_SIZE)
                ],
                used: [#private::used_map_words(__SLAB_BLOCKS, __SLAB_BLOCK_SIZE)],
                bounds_checks: #bounds,
                section: [#ram_section],
                attributes: [#section_attr],
            }
        };
    }
}

/// What a declaration's static is: a slab (`#[mem_slab]`, `mem_slabs!`)
/// or a heap's size class (`slab_heap!`).
#[derive(Clone, Copy)]
pub(crate) enum Kind {
    Slab,
    Class,
}

/// The symbol of a slab's registry entry, which is also the message when
/// two slabs of one name meet (rustc: "symbol `…` is already defined", the
/// linkers: "duplicate symbol: …" / "multiple definition of `…'"):
/// `slab_core.two_slabs_are_named.<name>.give_one_of_them_a_name_key`.
///
/// The name keeps ASCII letters, digits, `_`, `.` and `-`, and writes any
/// other byte as `$` and two hex digits (`uart rx` →
/// `uart$20rx`). Around a name the text is fixed, and the encoding is
/// injective (`$` is always an escape), so one name is one symbol and two
/// names are two. rustc lists the symbol in a shared library's version
/// script, so it holds only characters that GNU ld's and lld's version
/// scripts take in a name (no spaces, quotes, colons or `=`).
pub fn registry_symbol(name: &str) -> String {
    let mut symbol = String::from("slab_core.two_slabs_are_named.");
    for byte in name.bytes() {
        match byte {
            b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'_' | b'.' | b'-' => {
                symbol.push(char::from(byte));
            }
            _ => symbol.push_str(&format!("${byte:02x}")),
        }
    }
    symbol.push_str(".give_one_of_them_a_name_key");
    symbol
}

/// `expr` without the braces of `{ expr }` (any depth): `blocks = { N + 1 }`
/// is the user's way to write a const expression, and the braces around a
/// const item's value would be an `unused_braces` warning from the
/// expansion (which an `#[allow]` cannot silence in a crate that forbids it).
fn unbraced(expr: &Expr) -> &Expr {
    if let Expr::Block(block) = expr
        && block.attrs.is_empty()
        && block.label.is_none()
        && let [syn::Stmt::Expr(inner, None)] = block.block.stmts.as_slice()
    {
        return unbraced(inner);
    }
    expr
}

/// The checks of a `size` given as a const expression.
fn size_checks(assertion: &Assertion, size: &Expr, align: &Option<Literal>) -> TokenStream {
    let mut checks = assertion.emit(
        size,
        quote!(size_nonzero(__SLAB_SIZE)),
        "`size` must be at least 1",
    );
    if let Some(align) = align {
        checks.extend(assertion.emit(
            size,
            quote!(size_fits_align(__SLAB_SIZE, #align)),
            &format!("`size` must be a multiple of `align = {align}`"),
        ));
    }
    checks
}

/// The size and the block alignment (raised to `align`) of `type = T`, as
/// const expressions over `__private::type_shape`, the one place that reads
/// them.
pub(crate) fn type_size_align(
    private: &TokenStream,
    ty: &Type,
    align: Option<u64>,
) -> (TokenStream, TokenStream) {
    let shape = quote!(#private::declare!(type_shape: #ty));
    let block_align = match align {
        None => quote!(#shape.1),
        Some(align) => {
            let literal = Literal::u64_unsuffixed(align);
            quote! {{
                let align = #shape.1;
                if align > #literal { align } else { #literal }
            }}
        }
    };
    (quote!(#shape.0), block_align)
}

/// Emits a declaration's const assertions.
struct Assertion<'a> {
    private: &'a TokenStream,
    /// The static's name, for the messages.
    slab: String,
}

impl Assertion<'_> {
    /// `const _: () = assert!(rules::<rule>, "slab `NAME`: <message>");`
    /// pointing at all of `value`: the macro's path is spanned at its first
    /// token and its arguments at its last, and the compiler joins them.
    fn emit(&self, value: &dyn ToTokens, rule: TokenStream, message: &str) -> TokenStream {
        let private = self.private;
        let mut tokens = value.to_token_stream().into_iter();
        let first = tokens.next().map_or_else(Span::call_site, |t| t.span());
        let last = tokens.last().map_or(first, |t| t.span());
        // The message is a format string: escape braces from the user's type.
        let text = format!("slab `{}`: {}", self.slab, message)
            .replace('{', "{{")
            .replace('}', "}}");
        let text = LitStr::new(&text, last);
        let mut args = Group::new(
            Delimiter::Parenthesis,
            quote!(#private::rules::#rule, #text),
        );
        args.set_span(last);
        let assert = quote_spanned!(first=> ::core::assert!);
        quote! {
            const _: () = #assert #args;
        }
    }
}

#[cfg(test)]
mod registry_symbol_tests;
