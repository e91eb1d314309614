//! The bare-metal firmware (`examples/firmware`) built for thumbv7m-none-eabi
//! and thumbv6m-none-eabi and run under `qemu-system-arm -machine
//! lm3s6965evb`: it must exit successfully and print its registry table and
//! result line. Its ELF must keep the registry in flash (what `slab.x` is for).
//!
//! Needs `qemu-system-arm` and the two Rust targets (`cargo xtask test`
//! installs them). When either is missing these tests fail, saying how to
//! install it, unless `SLAB_SKIP_QEMU=1`, which skips them.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Mutex;
use std::time::{Duration, Instant};

const QEMU: &str = "qemu-system-arm";
/// LM3S6965: 256 KiB of flash at 0, 64 KiB of RAM at 0x2000_0000.
const FLASH_END: u32 = 0x0004_0000;
const RAM_START: u32 = 0x2000_0000;
/// The firmware declares three slabs.
const DECLARED: u32 = 3;
const RUN_LIMIT: Duration = Duration::from_secs(60);

#[test]
fn firmware_runs_on_thumbv7m() {
    run_firmware("thumbv7m-none-eabi");
}

#[test]
fn firmware_runs_on_thumbv6m() {
    run_firmware("thumbv6m-none-eabi");
}

#[test]
fn registry_is_in_flash_thumbv7m() {
    registry_in_flash("thumbv7m-none-eabi");
}

#[test]
fn registry_is_in_flash_thumbv6m() {
    registry_in_flash("thumbv6m-none-eabi");
}

fn run_firmware(target: &str) {
    if skipped() {
        return;
    }
    let elf = build(target);
    let (success, stdout, stderr) = run_qemu(&elf);
    let shown = format!("--- stdout\n{stdout}--- stderr\n{stderr}");
    assert!(success, "the firmware for {target} failed\n{shown}");
    assert!(
        stdout.contains(&format!("firmware: slab on {target}\n")),
        "no banner\n{shown}"
    );
    let checks = stdout
        .lines()
        .find_map(|l| l.strip_prefix("firmware: all checks passed ("))
        .and_then(|rest| rest.strip_suffix(" checks)"))
        .and_then(|n| n.parse::<u32>().ok())
        .unwrap_or_else(|| panic!("no result line\n{shown}"));
    assert!(checks > 5_000, "only {checks} checks ran\n{shown}");
    assert!(
        stdout.contains("firmware: 2000 interrupt-to-thread hand-offs"),
        "no hand-off summary\n{shown}"
    );

    // The registry table, printed after boot and at the end: one row per
    // slab, `name block blocks used free max ready`.
    let (after_boot, at_end) = stdout
        .split_once("firmware: registry at the end\n")
        .unwrap_or_else(|| panic!("no final registry table\n{shown}"));
    for (table, rows) in [
        (
            after_boot,
            [
                ["POOL", "24", "4", "0", "4", "0", "yes"],
                ["HANDOFF", "32", "2", "0", "2", "0", "yes"],
                ["IRQ_BUFS", "16", "1", "0", "1", "0", "yes"],
            ],
        ),
        (
            at_end,
            [
                ["POOL", "24", "4", "0", "4", "4", "yes"],
                ["HANDOFF", "32", "2", "0", "2", "2", "yes"],
                ["IRQ_BUFS", "16", "1", "0", "1", "1", "yes"],
            ],
        ),
    ] {
        assert!(
            table
                .lines()
                .any(|l| l.split_whitespace().next() == Some("name")),
            "no table header\n{shown}"
        );
        for row in rows {
            let found: Vec<Vec<&str>> = table
                .lines()
                .map(|l| l.split_whitespace().collect::<Vec<_>>())
                .filter(|t| t.first() == Some(&row[0]))
                .collect();
            assert_eq!(found, [row.to_vec()], "registry row {}\n{shown}", row[0]);
        }
    }
}

fn registry_in_flash(target: &str) {
    if skipped() {
        return;
    }
    let path = build(target);
    let bytes = std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let elf = Elf32::parse(&bytes).unwrap_or_else(|e| panic!("{}: {e}", path.display()));

    let word = 4;
    for (name, size) in [
        // One pointer per declared slab.
        ("linkme_SLAB_CORE_REGISTRY", DECLARED * word),
        // linkme's duplicate check: one word per distributed slice.
        ("linkm2_SLAB_CORE_REGISTRY", word),
    ] {
        let section = elf
            .section(name)
            .unwrap_or_else(|| panic!("{target}: no section {name}"));
        assert_eq!(section.size, size, "{target}: size of {name}");
        assert!(
            section.addr + section.size <= FLASH_END,
            "{target}: {name} at {:#x} is not in flash",
            section.addr
        );
        // Loaded where it runs: in flash, not copied from elsewhere.
        let load = elf
            .load_address(section.addr)
            .unwrap_or_else(|| panic!("{target}: {name} is in no loadable segment"));
        assert_eq!(load, section.addr, "{target}: load address of {name}");
        for (symbol, at) in [("__start_", section.addr), ("__stop_", section.addr + size)] {
            let symbol = format!("{symbol}{name}");
            assert_eq!(
                elf.symbol(&symbol),
                Some(at),
                "{target}: {symbol} must bound the section"
            );
        }
    }
    let data = elf.section(".data").expect(".data");
    assert!(data.addr >= RAM_START, "{target}: .data is in RAM");
    let data_load = elf.load_address(data.addr).expect(".data is loaded");
    let registry = elf.section("linkme_SLAB_CORE_REGISTRY").expect("registry");
    assert!(
        data_load >= registry.addr + registry.size,
        "{target}: the .data image ({data_load:#x}) overlaps the registry"
    );
    assert!(
        !elf.sections
            .iter()
            .any(|s| s.name.contains("SLAB_CORE_REGISTRY") && s.addr >= RAM_START),
        "{target}: a registry section landed in RAM"
    );
}

/// `SLAB_SKIP_QEMU=1` skips these tests.
fn skipped() -> bool {
    let skip = std::env::var("SLAB_SKIP_QEMU").is_ok_and(|v| v == "1");
    if skip {
        println!("skipped (SLAB_SKIP_QEMU=1)");
    }
    skip
}

fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("slab-tests lives in the workspace")
        .to_path_buf()
}

/// Builds the firmware for `target` (once per test binary and target: the
/// builds are serialised, and a rebuild is a no-op) and returns its ELF.
fn build(target: &str) -> PathBuf {
    static BUILDS: Mutex<Vec<String>> = Mutex::new(Vec::new());
    let mut built = BUILDS.lock().unwrap_or_else(|e| e.into_inner());
    // Under the workspace's target directory (a relative CARGO_TARGET_DIR
    // is relative to the workspace root, where cargo was run).
    let target_dir = workspace_root()
        .join(std::env::var_os("CARGO_TARGET_DIR").unwrap_or_else(|| "target".into()))
        .join("firmware");
    let elf = target_dir
        .join(target)
        .join("release")
        .join("slab-firmware");
    if built.iter().any(|t| t == target) {
        return elf;
    }
    require_target(target);

    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let mut cmd = Command::new(cargo);
    cmd.args(["build", "--release", "--target", target])
        .current_dir(workspace_root().join("examples/firmware"))
        .env("CARGO_TARGET_DIR", &target_dir);
    // The firmware's own .cargo/config.toml supplies `-Tlink.x -Tslab.x`:
    // flags meant for the host build must not replace them.
    for var in [
        "RUSTFLAGS",
        "CARGO_ENCODED_RUSTFLAGS",
        "CARGO_BUILD_RUSTFLAGS",
        "CARGO_BUILD_TARGET",
    ] {
        cmd.env_remove(var);
    }
    let out = cmd
        .output()
        .unwrap_or_else(|e| panic!("cannot run cargo: {e}"));
    assert!(
        out.status.success(),
        "building the firmware for {target} failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(elf.is_file(), "no firmware at {}", elf.display());
    built.push(target.to_string());
    elf
}

/// Fails, saying how to install it, when the Rust target is missing.
fn require_target(target: &str) {
    let rustc = std::env::var("RUSTC").unwrap_or_else(|_| "rustc".into());
    let sysroot = Command::new(&rustc)
        .args(["--print", "sysroot"])
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|o| PathBuf::from(String::from_utf8_lossy(&o.stdout).trim()));
    let installed = sysroot.is_some_and(|s| s.join("lib/rustlib").join(target).is_dir());
    assert!(
        installed,
        "the Rust target {target} is not installed. Install it with \
         `rustup target add {target}` (or run `cargo xtask test`, which installs \
         it), or set SLAB_SKIP_QEMU=1 to skip the QEMU tests."
    );
}

/// Fails, saying how to install it, when QEMU is missing.
fn require_qemu() {
    let found = Command::new(QEMU)
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    assert!(
        found,
        "{QEMU} is not on PATH. Install it with `apt-get install -y qemu-system-arm` \
         (Debian/Ubuntu; `sudo` if not root) or run `cargo xtask test`, which \
         installs it; or set SLAB_SKIP_QEMU=1 to skip the QEMU tests."
    );
}

/// Runs `elf` on the LM3S6965 board with semihosting; kills it after
/// [`RUN_LIMIT`]. Returns (exit success, stdout, stderr).
fn run_qemu(elf: &Path) -> (bool, String, String) {
    require_qemu();
    let mut child = Command::new(QEMU)
        .args(["-cpu", "cortex-m3", "-machine", "lm3s6965evb", "-nographic"])
        .args(["-semihosting-config", "enable=on,target=native"])
        .arg("-kernel")
        .arg(elf)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start {QEMU}: {e}"));
    let drain = |mut pipe: Box<dyn Read + Send>| {
        std::thread::spawn(move || {
            let mut text = Vec::new();
            let _ = pipe.read_to_end(&mut text);
            String::from_utf8_lossy(&text).into_owned()
        })
    };
    let stdout = drain(Box::new(child.stdout.take().expect("piped")));
    let stderr = drain(Box::new(child.stderr.take().expect("piped")));
    let started = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait for qemu") {
            break Some(status);
        }
        if started.elapsed() > RUN_LIMIT {
            let _ = child.kill();
            let _ = child.wait();
            break None;
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let (stdout, stderr) = (
        stdout.join().expect("stdout"),
        stderr.join().expect("stderr"),
    );
    match status {
        Some(status) => (status.success(), stdout, stderr),
        None => panic!(
            "{} did not finish within {RUN_LIMIT:?}: killed\n--- stdout\n{stdout}--- stderr\n{stderr}",
            elf.display()
        ),
    }
}

/// Just enough of a little-endian ELF32 reader: sections, loadable
/// segments, symbols.
struct Elf32 {
    sections: Vec<Section>,
    /// (virtual address, physical/load address, memory size) of PT_LOAD.
    loads: Vec<(u32, u32, u32)>,
    symbols: Vec<(String, u32)>,
}

struct Section {
    name: String,
    kind: u32,
    addr: u32,
    offset: u32,
    size: u32,
    link: u32,
}

impl Elf32 {
    fn parse(b: &[u8]) -> Result<Self, String> {
        let u16_at = |at: usize| -> Result<u32, String> {
            b.get(at..at + 2)
                .map(|s| u32::from(u16::from_le_bytes([s[0], s[1]])))
                .ok_or_else(|| format!("truncated at {at:#x}"))
        };
        let u32_at = |at: usize| -> Result<u32, String> {
            b.get(at..at + 4)
                .map(|s| u32::from_le_bytes([s[0], s[1], s[2], s[3]]))
                .ok_or_else(|| format!("truncated at {at:#x}"))
        };
        if b.get(..6) != Some(&[0x7f, b'E', b'L', b'F', 1, 1][..]) {
            return Err("not a little-endian ELF32 file".into());
        }
        let (phoff, phentsize, phnum) = (u32_at(0x1c)?, u16_at(0x2a)?, u16_at(0x2c)?);
        let (shoff, shentsize, shnum, shstrndx) =
            (u32_at(0x20)?, u16_at(0x2e)?, u16_at(0x30)?, u16_at(0x32)?);

        let mut loads = Vec::new();
        for i in 0..phnum {
            let at = (phoff + i * phentsize) as usize;
            const PT_LOAD: u32 = 1;
            if u32_at(at)? == PT_LOAD {
                loads.push((u32_at(at + 8)?, u32_at(at + 12)?, u32_at(at + 20)?));
            }
        }

        let mut sections = Vec::new();
        let mut name_offsets = Vec::new();
        for i in 0..shnum {
            let at = (shoff + i * shentsize) as usize;
            name_offsets.push(u32_at(at)?);
            sections.push(Section {
                name: String::new(),
                kind: u32_at(at + 4)?,
                addr: u32_at(at + 12)?,
                offset: u32_at(at + 16)?,
                size: u32_at(at + 20)?,
                link: u32_at(at + 24)?,
            });
        }
        let string = |table: &Section, offset: u32| -> Result<String, String> {
            let start = (table.offset + offset) as usize;
            let rest = b.get(start..).ok_or("string table out of range")?;
            let end = rest
                .iter()
                .position(|&c| c == 0)
                .ok_or("unterminated string")?;
            Ok(String::from_utf8_lossy(&rest[..end]).into_owned())
        };
        let shstrtab = sections.get(shstrndx as usize).ok_or("no section names")?;
        let names = name_offsets
            .iter()
            .map(|&o| string(shstrtab, o))
            .collect::<Result<Vec<_>, _>>()?;
        for (section, name) in sections.iter_mut().zip(names) {
            section.name = name;
        }

        let mut symbols = Vec::new();
        const SHT_SYMTAB: u32 = 2;
        if let Some(symtab) = sections.iter().find(|s| s.kind == SHT_SYMTAB) {
            let strtab = sections
                .get(symtab.link as usize)
                .ok_or("no symbol names")?;
            for i in 0..symtab.size / 16 {
                let at = (symtab.offset + i * 16) as usize;
                symbols.push((string(strtab, u32_at(at)?)?, u32_at(at + 4)?));
            }
        }
        Ok(Self {
            sections,
            loads,
            symbols,
        })
    }

    fn section(&self, name: &str) -> Option<&Section> {
        self.sections.iter().find(|s| s.name == name)
    }

    fn symbol(&self, name: &str) -> Option<u32> {
        self.symbols
            .iter()
            .find(|(n, _)| n == name)
            .map(|&(_, v)| v)
    }

    /// Where the bytes at virtual address `addr` are loaded from.
    fn load_address(&self, addr: u32) -> Option<u32> {
        self.loads
            .iter()
            .find(|&&(vaddr, _, size)| vaddr <= addr && addr < vaddr + size.max(1))
            .map(|&(vaddr, paddr, _)| paddr + (addr - vaddr))
    }
}
