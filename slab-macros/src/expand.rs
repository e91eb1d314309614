//! The two macros end to end (parse, validate, expand) and the code a
//! valid declaration becomes: a block buffer, a bitmap, the const
//! `MemSlab` over them, and the registry entry. Everything is reached
//! through `<crate>::__private`.

use proc_macro2::{Literal, Span, TokenStream};
use quote::{ToTokens, format_ident, quote, quote_spanned};
use syn::ext::IdentExt;
use syn::spanned::Spanned;
use syn::{Expr, LitStr, Type};

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
        match syn::parse2::<ListItem>(tokens.clone()) {
            Ok(item) => out.extend(declaration(Declaration {
                header: item.header,
                args: item.args,
                ty: None,
                init: None,
            })),
            Err(error) => out.extend(broken(StaticHeader::recover(tokens.clone()), None, error)),
        }
        if semicolon.is_none() {
            out.extend(parse::missing_semicolon(&tokens).to_compile_error());
        }
    }
    out
}

/// A parsed declaration: its slab, or a placeholder and the errors.
fn declaration(decl: Declaration) -> TokenStream {
    let Validated { item, layout } = validate::validate(decl);
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
/// static elsewhere do not fail as well.
fn placeholder(item: &Static) -> TokenStream {
    let Static {
        attrs,
        vis,
        ident,
        krate,
        ty,
    } = item;
    quote! {
        #(#attrs)*
        #vis static #ident: #ty = #krate::MemSlab::new();
    }
}

/// The expansion of a valid declaration.
fn slab_tokens(item: &Static, slab: &Layout) -> TokenStream {
    let Static {
        attrs,
        vis,
        ident,
        krate,
        ty: static_ty,
    } = item;
    let private = quote!(#krate::__private);
    let name = LitStr::new(&slab.name, Span::call_site());
    let assertion = Assertion {
        private: &private,
        slab: ident.unraw().to_string(),
    };
    let blocks = &slab.blocks;

    let mut checks = TokenStream::new();
    if validate::int_literal(blocks).is_none() {
        checks.extend(assertion.emit(
            blocks.span(),
            quote!(blocks_nonzero(__SLAB_BLOCKS)),
            "`blocks` must be at least 1",
        ));
    }
    let align_literal = slab.align.map(Literal::u64_unsuffixed);
    let (size, block_align, storage_align) = match &slab.shape {
        Shape::Size(size) => {
            if validate::int_literal(size).is_none() {
                checks.extend(size_checks(&assertion, size, &align_literal));
            }
            let block_align = align_literal
                .as_ref()
                .map_or_else(|| quote!(1), ToTokens::to_token_stream);
            let storage_align = match slab.align {
                Some(align) => align_type(&private, align),
                None => quote!(()),
            };
            (size.to_token_stream(), block_align, storage_align)
        }
        Shape::Type(ty) => {
            checks.extend(assertion.emit(
                ty.span(),
                quote!(size_nonzero(__SLAB_SIZE)),
                &format!(
                    "`type = {}` is zero-sized, and a block needs at least one byte",
                    ty.to_token_stream()
                ),
            ));
            type_shape(&private, ty, slab.align)
        }
    };
    checks.extend(assertion.emit(
        blocks.span(),
        quote!(no_overflow(__SLAB_BLOCKS, __SLAB_BLOCK_SIZE)),
        "`blocks` × block size overflows `usize`; use fewer or smaller blocks",
    ));

    let section = slab
        .section
        .as_ref()
        .map(|section| quote!(#[unsafe(link_section = #section)]));
    let cfgs = attrs.iter().filter(|a| a.path().is_ident("cfg"));

    quote! {
        #(#attrs)*
        #vis static #ident: #static_ty = {
            const __SLAB_BLOCKS: usize = #blocks;
            const __SLAB_SIZE: usize = #size;
            const __SLAB_BLOCK_SIZE: usize = #private::round_block_size(__SLAB_SIZE, #block_align);
            #checks
            #section
            static __SLAB_STORAGE: #private::Storage<
                #storage_align,
                { #private::buffer_len(__SLAB_BLOCKS, __SLAB_BLOCK_SIZE) },
            > = #private::Storage::new();
            static __SLAB_USED: #private::UsedMap<
                { #private::used_map_words(__SLAB_BLOCKS, __SLAB_BLOCK_SIZE) },
            > = #private::UsedMap::new();
            // SAFETY: `__SLAB_STORAGE` and `__SLAB_USED` are sized from
            // `__SLAB_BLOCKS` and `__SLAB_BLOCK_SIZE` just above (the block
            // size rounded by `round_block_size`, its rules asserted), are
            // private to this block, and are given to this one slab only.
            unsafe {
                #private::declare(#name, &__SLAB_STORAGE, &__SLAB_USED, __SLAB_BLOCK_SIZE, __SLAB_BLOCKS)
            }
        };
        #(#cfgs)*
        #[allow(deprecated)]
        const _: () = {
            #[#private::linkme::distributed_slice(#private::SLAB_CORE_REGISTRY)]
            #[linkme(crate = #private::linkme)]
            static __SLAB_ENTRY: &'static #krate::MemSlab = &#ident;
        };
    }
}

/// The checks of a `size` given as a const expression.
fn size_checks(assertion: &Assertion, size: &Expr, align: &Option<Literal>) -> TokenStream {
    let mut checks = assertion.emit(
        size.span(),
        quote!(size_nonzero(__SLAB_SIZE)),
        "`size` must be at least 1",
    );
    if let Some(align) = align {
        checks.extend(assertion.emit(
            size.span(),
            quote!(size_fits_align(__SLAB_SIZE, #align)),
            &format!("`size` must be a multiple of `align = {align}`"),
        ));
    }
    checks
}

/// Size, block alignment and storage alignment type for `type = T`.
fn type_shape(
    private: &TokenStream,
    ty: &Type,
    align: Option<u64>,
) -> (TokenStream, TokenStream, TokenStream) {
    let size = quote!(::core::mem::size_of::<#ty>());
    match align {
        None => (size, quote!(::core::mem::align_of::<#ty>()), quote!(#ty)),
        Some(align) => {
            let literal = Literal::u64_unsuffixed(align);
            let block_align = quote! {{
                let align = ::core::mem::align_of::<#ty>();
                if align > #literal { align } else { #literal }
            }};
            let marker = align_type(private, align);
            (size, block_align, quote!((#ty, #marker)))
        }
    }
}

/// `__private::align::A<align>`, the zero-sized type aligned to `align`.
fn align_type(private: &TokenStream, align: u64) -> TokenStream {
    let marker = format_ident!("A{}", align);
    quote!(#private::align::#marker)
}

/// Emits a declaration's const assertions.
struct Assertion<'a> {
    private: &'a TokenStream,
    /// The static's name, for the messages.
    slab: String,
}

impl Assertion<'_> {
    /// `const _: () = assert!(rules::<rule>, "slab `NAME`: <message>");`
    /// pointing at `span`.
    fn emit(&self, span: Span, rule: TokenStream, message: &str) -> TokenStream {
        let private = self.private;
        // The message is a format string: escape braces from the user's type.
        let text = format!("slab `{}`: {}", self.slab, message)
            .replace('{', "{{")
            .replace('}', "}}");
        let text = LitStr::new(&text, span);
        quote_spanned! {span=>
            const _: () = ::core::assert!(#private::rules::#rule, #text);
        }
    }
}
