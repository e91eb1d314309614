//! Running `slab-footprint` and reading its table, for the tests.

use std::path::Path;
use std::process::Command;

/// One row of the report's first table (the declared slabs).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Row {
    pub name: String,
    pub block_size: u64,
    pub blocks: u64,
    pub buffer: u64,
    pub flags: u64,
    pub memslab: u64,
    pub ram: u64,
    pub section: String,
}

/// Runs the binary with `args`: (exit code, stdout, stderr).
pub fn run(args: &[&std::ffi::OsStr]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_slab-footprint"))
        .args(args)
        .output()
        .expect("run slab-footprint");
    (
        out.status.code().expect("an exit code"),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// The report of `elf`, which must succeed: (stdout, rows of the declared
/// slabs, the total).
pub fn report(elf: &Path) -> (String, Vec<Row>, u64) {
    let (code, stdout, stderr) = run(&[elf.as_os_str()]);
    assert_eq!(
        code,
        0,
        "slab-footprint {}:\n{stdout}{stderr}",
        elf.display()
    );
    let mut lines = stdout.lines();
    let header = lines.next().expect("a header");
    assert!(
        header.starts_with("name") && header.ends_with("section"),
        "{stdout}"
    );
    let rows = lines
        .take_while(|l| !l.is_empty())
        .map(|l| {
            let t: Vec<&str> = l.split_whitespace().collect();
            assert_eq!(t.len(), 8, "row {l:?}\n{stdout}");
            let n = |i: usize| t[i].parse::<u64>().unwrap_or_else(|_| panic!("{l:?}"));
            Row {
                name: t[0].into(),
                block_size: n(1),
                blocks: n(2),
                buffer: n(3),
                flags: n(4),
                memslab: n(5),
                ram: n(6),
                section: t[7].into(),
            }
        })
        .collect();
    let total = stdout
        .lines()
        .find_map(|l| l.trim().strip_prefix("total"))
        .and_then(|n| n.trim().parse().ok())
        .unwrap_or_else(|| panic!("no total\n{stdout}"));
    (stdout, rows, total)
}

/// `--max-ram` just below and at `total`: over budget exits 1 and says
/// so; at the budget exits 0.
pub fn check_budget(elf: &Path, total: u64) {
    let below = (total - 1).to_string();
    let (code, stdout, stderr) = run(&[elf.as_os_str(), "--max-ram".as_ref(), below.as_ref()]);
    assert_eq!(code, 1, "{stdout}{stderr}");
    assert!(
        stderr.contains(&format!(
            "over budget: the slabs take {total} bytes of RAM, more than --max-ram {below} (by 1 bytes)"
        )),
        "{stderr}"
    );
    assert!(
        stdout.contains("total"),
        "the report is still printed\n{stdout}"
    );

    let at = format!("--max-ram={total}");
    let (code, stdout, stderr) = run(&[elf.as_os_str(), at.as_ref()]);
    assert_eq!(code, 0, "{stdout}{stderr}");
    assert!(
        stdout.contains(&format!("RAM budget: {total} of {total} bytes used")),
        "{stdout}"
    );
}
