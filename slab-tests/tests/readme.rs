//! The README's copies of real output are the real output: the compile
//! error it shows for an unknown key is the one the compile-fail case
//! `tests/ui/fail/unknown_key.rs` snapshots (which trybuild checks against
//! the compiler), up to the file's path.

use slab_tests::qemu::workspace_root;

/// The ```text block of `markdown` that starts with `first`.
fn text_block<'a>(markdown: &'a str, first: &str) -> Vec<&'a str> {
    let mut lines = markdown.lines();
    while let Some(line) = lines.next() {
        if line == "```text" {
            let block: Vec<&str> = lines.by_ref().take_while(|l| *l != "```").collect();
            if block.first().is_some_and(|l| l.starts_with(first)) {
                return block;
            }
        }
    }
    panic!("no ```text block starting with {first:?} in the README");
}

#[test]
fn the_unknown_key_error_in_the_readme_is_the_real_one() {
    let root = workspace_root();
    let readme = std::fs::read_to_string(root.join("README.md")).unwrap();
    let snapshot =
        std::fs::read_to_string(root.join("slab-tests/tests/ui/fail/unknown_key.stderr")).unwrap();
    let shown = text_block(&readme, "error: unknown key `aling`");
    let real: Vec<String> = snapshot
        .lines()
        .map(|l| l.replace("tests/ui/fail/unknown_key.rs", "src/main.rs"))
        .collect();
    assert_eq!(shown, real, "README.md's copy differs from the compiler's");
}
