//! slab-core's defmt output on a Cortex-M3 under QEMU, decoded as a user
//! decodes it: `examples/defmt-firmware` sets `trace::defmt_hook` before
//! `boot()`, lets an interrupt handler keep a block, tags one, has C code
//! take a block of its `K_MEM_SLAB_DEFINE`d slab (tracked), and logs
//! the registry's table, the holders and the leak suspect (defmt-semihosting
//! carries the frames); `slab-tests/fixtures/defmt-decode` decodes them
//! with the `defmt-decoder` crate and the firmware's own table. This test
//! checks every decoded line, with the lines of the firmware's source that
//! allocate (marked `// SITE name`).

use std::io::Write;
use std::process::Stdio;

use slab_tests::qemu::{self, LM3S6965, workspace_root};

const FIRMWARE: &str = "examples/defmt-firmware";

/// `file:line:column` of the allocation on the firmware's line marked
/// `// SITE name` (a method call's location is the method's name).
fn site(source: &str, name: &str) -> String {
    let marker = format!("// SITE {name}");
    let (index, line) = source
        .lines()
        .enumerate()
        .find(|(_, l)| l.ends_with(&marker))
        .unwrap_or_else(|| panic!("no `{marker}` in the firmware"));
    let column = line.find(".alloc").expect("an allocation") + 2;
    format!("src/main.rs:{}:{column}", index + 1)
}

/// `text` with each hexadecimal address shown as `0x…`.
fn without_addresses(text: &str) -> String {
    let mut out = String::new();
    let mut rest = text;
    while let Some(at) = rest.find("0x") {
        out.push_str(&rest[..at]);
        out.push_str("0x…");
        rest = rest[at + 2..].trim_start_matches(|c: char| c.is_ascii_hexdigit());
    }
    out + rest
}

/// Decodes `frames` with the firmware's table: one `level message` line
/// per frame.
fn decode(elf: &std::path::Path, frames: &[u8]) -> String {
    let root = workspace_root();
    let target_dir = root
        .join(std::env::var_os("CARGO_TARGET_DIR").unwrap_or_else(|| "target".into()))
        .join("defmt-decode");
    let mut cmd = qemu::firmware_cargo("slab-tests/fixtures/defmt-decode", &target_dir);
    cmd.args(["run", "--quiet", "--"])
        .arg(elf)
        .env("CARGO_TERM_COLOR", "never")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = cmd.spawn().expect("cannot run cargo");
    // The decoder reads its input only once built: write from a thread.
    let mut stdin = child.stdin.take().expect("piped");
    let frames = frames.to_vec();
    let writer = std::thread::spawn(move || stdin.write_all(&frames));
    let out = child.wait_with_output().expect("the decoder");
    writer.join().expect("writer").expect("write the frames");
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "the decoder failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    stdout
}

#[test]
fn defmt_hook_holders_and_registry_table_decode_on_thumbv7m() {
    if qemu::skipped() {
        return;
    }
    let elf = qemu::build(FIRMWARE, "slab-defmt-firmware", "thumbv7m-none-eabi");
    let (success, frames, stderr) = qemu::run_raw(&LM3S6965, &elf);
    let decoded = without_addresses(&decode(&elf, &frames));
    assert!(
        success,
        "the firmware failed\n{decoded}\n--- stderr\n{stderr}"
    );

    let source = std::fs::read_to_string(workspace_root().join(FIRMWARE).join("src/main.rs"))
        .expect("the firmware's source");
    let (handler, mine, session) = (
        site(&source, "handler"),
        site(&source, "mine"),
        site(&source, "session"),
    );
    let c_source = std::fs::read_to_string(workspace_root().join(FIRMWARE).join("c/pool.c"))
        .expect("the firmware's C part");
    let c_line = c_source
        .lines()
        .position(|l| l.ends_with("/* SITE c */"))
        .expect("the C allocation")
        + 1;
    let lines: Vec<&str> = decoded.lines().collect();
    // The registry's table: its rows in the registry's (link) order, each
    // followed by the sites holding its blocks.
    let table = lines
        .iter()
        .position(|l| *l == "info 2 slabs")
        .unwrap_or_else(|| panic!("no registry table:\n{decoded}"));
    let leaky = [
        "  LEAKY: block 16 B, blocks 2, used 2, free 0, max 2, ready true".to_string(),
        format!("    1 held by {handler}"),
        format!("    1 held by {mine}"),
    ];
    let pool = [
        "  POOL: block 24 B, blocks 4, used 1, free 3, max 1, ready true".to_string(),
        format!("    1 held by {session}"),
    ];
    let rows = &lines[table + 1..(table + 6).min(lines.len())];
    let (first, second): (&[String], &[String]) = if rows.first() == Some(&leaky[0].as_str()) {
        (&leaky, &pool)
    } else {
        (&pool, &leaky)
    };
    let expected_rows: Vec<&str> = first.iter().chain(second).map(String::as_str).collect();
    assert_eq!(rows, expected_rows, "the table:\n{decoded}");

    let expected = [
        // The hook, from `boot()` on: the handler's allocation, thread
        // mode's, the refusals and POOL's block.
        "trace slab LEAKY: alloc block 0 (0x…)".to_string(),
        "trace slab LEAKY: alloc block 1 (0x…)".into(),
        "trace slab LEAKY: alloc failed: NoMemory (-12)".into(),
        "trace slab LEAKY: free refused for 0x…: Foreign".into(),
        "trace slab POOL: alloc block 0 (0x…)".into(),
        // C's allocation from its own, K_MEM_SLAB_DEFINEd slab.
        "trace slab c_pool: alloc block 0 (0x…)".into(),
        format!("holder: LEAKY block 0 (0x…) held by {handler} since tick 5"),
        format!("holder: LEAKY block 1 (0x…) held by {mine} since tick 105"),
        format!("holder: POOL block 0 (0x…) held by {session} tagged 7"),
        format!("holder: c_pool block 0 (0x…) held by c/pool.c:{c_line} since tick 115"),
        // Held 110 ticks of 115: the handler's block, the leak.
        format!("leak suspect: LEAKY block 0 (0x…) held by {handler} since tick 5"),
        "trace slab POOL: free block 0 (0x…)".into(),
        "trace slab c_pool: free block 0 (0x…)".into(),
        "trace slab LEAKY: free block 1 (0x…)".into(),
        "println defmt-firmware: 0 failed".into(),
    ];
    let rest: Vec<String> = lines[..table]
        .iter()
        .chain(&lines[table + 6..])
        .map(|l| {
            l.strip_prefix("info ")
                .or_else(|| l.strip_prefix("warn "))
                .map_or(l.to_string(), String::from)
        })
        .collect();
    assert_eq!(rest, expected, "the firmware logged:\n{decoded}");

    // The README's copy is this output (up to the addresses).
    let readme = std::fs::read_to_string(workspace_root().join("README.md")).unwrap();
    let first = "trace slab LEAKY: alloc block 0 (";
    let at = readme
        .find(first)
        .unwrap_or_else(|| panic!("no copy of the defmt output in README.md"));
    let copy = without_addresses(&readme[at..readme[at..].find("```").unwrap() + at]);
    let shown: Vec<&str> = copy.lines().collect();
    assert_eq!(
        shown,
        lines[..shown.len().min(lines.len())],
        "README.md's copy of the defmt output differs from the firmware's"
    );
}
