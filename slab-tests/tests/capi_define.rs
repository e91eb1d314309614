//! A bad `K_MEM_SLAB_DEFINE` fails to compile, with a message that names
//! the slab and the rule; a good one compiles. slab-tests' build.rs runs
//! the host C compiler (`-fsyntax-only`) on one file per case and records
//! the outcome, which this test checks.

use std::path::Path;

/// `(name, compiled, first error line)` for each case.
fn outcomes() -> Vec<(String, bool, String)> {
    let path = Path::new(env!("OUT_DIR")).join("bad_defines.txt");
    let report =
        std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    report
        .lines()
        .map(|l| {
            let mut parts = l.splitn(3, '\t');
            let name = parts.next().unwrap_or("").to_string();
            let ok = parts.next() == Some("true");
            (name, ok, parts.next().unwrap_or("").to_string())
        })
        .collect()
}

#[test]
fn bad_defines_fail_to_compile_with_their_message() {
    let outcomes = outcomes();
    for (name, message) in [
        ("zero_size", "block_size is 0"),
        ("zero_blocks", "num_blocks is 0"),
        ("negative_size", "block_size is 0 or negative"),
        ("negative_blocks", "num_blocks is 0 or negative"),
        ("align_not_pow2", "align is not a power of two"),
        ("size_not_multiple", "block_size is not a multiple of align"),
        ("too_many_blocks", "num_blocks does not fit uint32_t"),
        ("size_wraps", "block_size * num_blocks overflows"),
        ("rounding_wraps", "block_size * num_blocks overflows"),
        ("beyond_ptrdiff_max", "block_size * num_blocks overflows"),
    ] {
        let (_, compiled, error) = outcomes
            .iter()
            .find(|(n, ..)| n == name)
            .unwrap_or_else(|| panic!("no outcome for {name}"));
        assert!(!compiled, "K_MEM_SLAB_DEFINE case {name} compiled");
        let expected = format!("K_MEM_SLAB_DEFINE({name}): {message}");
        assert!(
            error.contains(&expected),
            "case {name}: expected an error containing {expected:?}, got {error:?}"
        );
    }
}

#[test]
fn a_good_define_compiles() {
    let outcomes = outcomes();
    let good = outcomes
        .iter()
        .find(|(n, ..)| n == "good")
        .expect("the good case");
    assert!(
        good.1,
        "K_MEM_SLAB_DEFINE(good, 24, 4, 8) failed: {}",
        good.2
    );
}
