//! Ownership tracking and trace events as a user turns them on: the
//! fixture `slab-tests/fixtures/tracking`, a program of its own that
//! depends on slab-core with `std`, `track` and `trace` (a workspace of
//! its own, so that the features reach no other test). It allocates
//! through `alloc`, `alloc_block`, `alloc_box`, `alloc_async` and a
//! `SlabHeap`, and prints what `holders()`, the registry's table, the
//! leak helper and a trace hook report; this test checks each line,
//! against the lines of the fixture's source that allocate (marked
//! `// SITE name`). Built with cargo here, into `target/tracking-fixture`.

use std::process::Command;

use slab_tests::qemu::workspace_root;

/// The line of the fixture's `src/main.rs` marked `// SITE name`, and the
/// column of the allocation call on it (as `Location::caller` reports
/// it).
fn site(source: &str, name: &str) -> (usize, usize) {
    let marker = format!("// SITE {name}");
    let (index, line) = source
        .lines()
        .enumerate()
        .find(|(_, l)| l.ends_with(&marker))
        .unwrap_or_else(|| panic!("no `{marker}` in the fixture"));
    // A method call's location is its name; a path call's, the path.
    let call = line
        .find(".alloc")
        .map(|at| at + 1)
        .or_else(|| line.find("std::alloc::GlobalAlloc::alloc"))
        .unwrap();
    (index + 1, call + 1)
}

/// Runs the fixture with `args`; its stdout and stderr.
fn run_fixture(args: &[&str]) -> (String, String) {
    let root = workspace_root();
    let fixture = root.join("slab-tests/fixtures/tracking");
    let target_dir = root
        .join(std::env::var_os("CARGO_TARGET_DIR").unwrap_or_else(|| "target".into()))
        .join("tracking-fixture");
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let mut cmd = Command::new(cargo);
    cmd.args(["run", "--quiet", "--"])
        .args(args)
        .current_dir(&fixture)
        .env("CARGO_TARGET_DIR", &target_dir)
        .env("CARGO_TERM_COLOR", "never");
    for var in ["RUSTFLAGS", "CARGO_ENCODED_RUSTFLAGS", "CARGO_BUILD_TARGET"] {
        cmd.env_remove(var);
    }
    let out = cmd.output().expect("cannot run cargo");
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(
        out.status.success(),
        "the fixture failed:\n{stdout}\n{stderr}"
    );
    (stdout, stderr)
}

#[test]
fn holders_registry_leaks_and_trace_events_report_each_allocation_site() {
    let (stdout, stderr) = run_fixture(&[]);
    let fixture = workspace_root().join("slab-tests/fixtures/tracking");
    let source = std::fs::read_to_string(fixture.join("src/main.rs")).unwrap();
    let c_source = std::fs::read_to_string(fixture.join("c/tracked.c")).unwrap();
    let c_line = c_source
        .lines()
        .position(|l| l.ends_with("/* SITE c */"))
        .expect("the C allocation")
        + 1;
    let line = |name| site(&source, name).0;
    let at = |name| format!("src/main.rs:{}", line(name));
    let full = |name| {
        let (l, c) = site(&source, name);
        format!("src/main.rs:{l}:{c}")
    };
    let expected = [
        "runtime slab: tracked false, 0 holders".to_string(),
        "second hook: Err(HookAlreadySet)".into(),
        "tracked: RX true HEAP true".into(),
        format!("alloc at {}", at("alloc")),
        format!("alloc_block at {}", at("alloc_block")),
        format!("alloc_box at {}", at("alloc_box")),
        format!("alloc_async at {}", at("alloc_async")),
        format!("heap alloc at {}", at("heap")),
        "holders of RX:".into(),
        format!("  block 0 at {}", at("alloc")),
        format!("  block 1 at {}", at("alloc_block")),
        format!("  block 2 at {}", at("alloc_box")),
        format!("  block 3 at {}", at("alloc_async")),
        "after two frees: 2 holders".into(),
        format!("table|   1 block held by {}", full("heap")),
        "table| RX               32       4       4       0         4  yes".into(),
        // By each site's first block: the loop took blocks 0 and 1.
        format!("table|   2 blocks held by {}", full("loop")),
        format!("table|   1 block held by {}", full("alloc_box")),
        format!("table|   1 block held by {}", full("alloc_async")),
        format!(
            "held over 50 ms: lines {} {}",
            line("alloc_box"),
            line("alloc_async")
        ),
        "all freed: 0 holders".into(),
        "before the tag: tick true".into(),
        "tagged: tag Some(42), tick None, age None".into(),
        format!(
            "holder| RX block 3 (0x…) held by {} tagged 42",
            full("tagged")
        ),
        "tagged suspects: 0".into(),
        "tag inside a block: Some(NotABlock)".into(),
        "tag foreign: Some(NotABlock)".into(),
        "tag runtime: Some(NotTracked)".into(),
        "tag after free: Some(NotHeld)".into(),
        "retaken: tag None, tick true".into(),
        "C slabs tracked: true false".into(),
        format!("C alloc at c/tracked.c:{c_line}"),
        "C slab names: c_tracked c_untracked".into(),
        "C after free: 0 holders".into(),
        "full: Some(NoMemory)".into(),
        "foreign free: Some(Foreign)".into(),
        "timed wait: Some(TimedOut)".into(),
        "handed the same block: true".into(),
        format!("waiter holds it at {}", at("waiter")),
        "event| slab one: alloc block 0 (0x…)".into(),
        "event| slab one: alloc failed: NoMemory (-12)".into(),
        "event| slab one: free refused for 0x…: Foreign".into(),
        "event| slab one: wait start".into(),
        "event| slab one: wait timed out".into(),
        "event| slab one: alloc failed: TimedOut (-11)".into(),
        // The waiter's `wait start` and `alloc`, and the freeing thread's
        // `hand-off` and `free`, run on two threads (the waiter reports
        // its wait once queued, which is when the other may free): sorted
        // below, each thread's order checked. Then the last free.
        "event| slab one: alloc block 0 (0x…)".into(),
        "event| slab one: free block 0 (0x…)".into(),
        "event| slab one: hand-off block 0 (0x…)".into(),
        "event| slab one: wait start".into(),
        "event| slab one: free block 0 (0x…)".into(),
    ];
    // `trace::stderr_hook`: the same events, one line each on stderr.
    let logged: Vec<&str> = stderr
        .lines()
        .filter(|l| l.starts_with("slab one: "))
        .collect();
    assert_eq!(logged.len(), 11, "stderr:\n{stderr}");
    assert!(
        logged[0].starts_with("slab one: alloc block 0 (0x")
            && logged[2].starts_with("slab one: free refused for 0x")
            && logged[2].ends_with(": Foreign"),
        "stderr:\n{stderr}"
    );
    let mut lines: Vec<&str> = stdout.lines().collect();
    let n = lines.len();
    if n >= 5 {
        let window = &lines[n - 5..n - 1];
        let at = |event: &str| window.iter().position(|l| l.contains(event));
        let (wait, alloc) = (at(": wait start"), at(": alloc block"));
        let (hand_off, free) = (at(": hand-off block"), at(": free block"));
        assert!(
            wait < alloc && hand_off < free && wait.is_some() && hand_off.is_some(),
            "each thread's events in its order:\n{stdout}"
        );
        lines[n - 5..n - 1].sort_unstable();
    }
    assert_eq!(lines, expected, "the fixture printed:\n{stdout}");
}

/// A hook set before `boot()`: the slabs are threaded with their fast
/// paths closed, and each operation, the ones a fast path would take
/// included, reports its event.
#[test]
fn a_hook_set_before_boot_sees_every_operation() {
    let (stdout, _) = run_fixture(&["hook-before-boot"]);
    let expected = [
        "full: Some(NoMemory)",
        "double free: Some(DoubleFree)",
        "same block: true",
        "event| slab one: alloc block 0 (0x…)",
        "event| slab one: alloc failed: NoMemory (-12)",
        "event| slab one: free block 0 (0x…)",
        "event| slab one: free refused for block 0 (0x…): DoubleFree",
        "event| slab one: alloc block 0 (0x…)",
        "event| slab one: free block 0 (0x…)",
    ];
    assert_eq!(
        stdout.lines().collect::<Vec<_>>(),
        expected,
        "the fixture printed:\n{stdout}"
    );
}
