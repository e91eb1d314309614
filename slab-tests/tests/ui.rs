//! Compile-fail tests of the declaration macros (one mistake per file,
//! `.stderr` reviewed for wording and span) and compile-pass programs.

#[test]
fn ui() {
    let t = trybuild::TestCases::new();
    t.compile_fail("tests/ui/fail/*.rs");
    t.pass("tests/ui/pass/*.rs");
}
