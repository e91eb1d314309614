//! `__private::declare` is an `unsafe fn`: the storage sizes it is given are
//! trusted, so safe code (even code reaching into the hidden module) cannot
//! call it. Only the declaration macros do, inside `unsafe { }`.

#[test]
fn declare_needs_unsafe() {
    let t = trybuild::TestCases::new();
    t.compile_fail("tests/unsafe_declare/*.rs");
}
