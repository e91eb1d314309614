//! `__private::declare` is an `unsafe fn`: it trusts that the storage it is
//! given belongs to no other slab (its sizes and alignment it checks
//! itself), so safe code (even code reaching into the hidden module) cannot
//! call it. Only slab-core's `__private::declare!` does, inside `unsafe { }`,
//! over statics it defines for that one call.

#[test]
fn declare_needs_unsafe() {
    let t = trybuild::TestCases::new();
    t.compile_fail("tests/unsafe_declare/*.rs");
}
