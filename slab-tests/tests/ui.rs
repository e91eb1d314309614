//! Compile-fail tests of the declaration macros (one mistake per file,
//! `.stderr` reviewed for wording and span) and compile-pass programs.

#[test]
fn ui() {
    let t = trybuild::TestCases::new();
    t.compile_fail("tests/ui/fail/*.rs");
    t.pass("tests/ui/pass/*.rs");
}

/// Declarations that must not compile because they are unsound from safe
/// code: a buffer in a section that is not ordinary RAM data needs the
/// user's `unsafe`, which their crate's `unsafe_code` lint sees.
#[test]
fn unsound_declarations_do_not_compile() {
    let t = trybuild::TestCases::new();
    t.compile_fail("tests/ui/unsound/*.rs");
}
