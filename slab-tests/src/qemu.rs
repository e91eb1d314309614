//! Building the QEMU firmware of `examples/` and running it under
//! `qemu-system-arm -machine lm3s6965evb` with semihosting, and a small
//! ELF32 reader for checking where its sections landed. Shared by every
//! QEMU test of slab-tests.
//!
//! Needs `qemu-system-arm` and the Rust targets (`cargo xtask test`
//! installs them). When either is missing the tests fail, saying how to
//! install it, unless `SLAB_SKIP_QEMU=1`, which skips them.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Mutex;
use std::time::{Duration, Instant};

const QEMU: &str = "qemu-system-arm";
/// LM3S6965: 256 KiB of flash at 0.
pub const FLASH_END: u32 = 0x0004_0000;
/// LM3S6965: 64 KiB of RAM at 0x2000_0000.
pub const RAM_START: u32 = 0x2000_0000;
/// How long one firmware run may take before it is killed.
pub const RUN_LIMIT: Duration = Duration::from_secs(60);

/// `SLAB_SKIP_QEMU=1` skips the QEMU tests: true (and says so) when set.
pub fn skipped() -> bool {
    let skip = std::env::var("SLAB_SKIP_QEMU").is_ok_and(|v| v == "1");
    if skip {
        println!("skipped (SLAB_SKIP_QEMU=1)");
    }
    skip
}

/// The workspace's root directory.
pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("slab-tests lives in the workspace")
        .to_path_buf()
}

/// Builds the firmware package in `dir` (relative to the workspace root,
/// e.g. `"examples/firmware"`) for `target` in release mode and returns
/// the ELF of its binary `bin`. Once per test binary, package and target:
/// the builds are serialised, and a rebuild is a no-op. Each package gets
/// its own target directory, `target/<last part of dir>`.
pub fn build(dir: &str, bin: &str, target: &str) -> PathBuf {
    build_with(dir, bin, target, &[])
}

/// [`build`] with extra `cargo build` arguments (e.g. `--features x`);
/// builds with different arguments share the target directory, so pass
/// the same ones for the same package in one test binary.
pub fn build_with(dir: &str, bin: &str, target: &str, extra: &[&str]) -> PathBuf {
    static BUILDS: Mutex<Vec<String>> = Mutex::new(Vec::new());
    let mut built = BUILDS.lock().unwrap_or_else(|e| e.into_inner());
    let package = Path::new(dir)
        .file_name()
        .expect("a package directory")
        .to_owned();
    // Under the workspace's target directory (a relative CARGO_TARGET_DIR
    // is relative to the workspace root, where cargo was run).
    let target_dir = workspace_root()
        .join(std::env::var_os("CARGO_TARGET_DIR").unwrap_or_else(|| "target".into()))
        .join(package);
    let elf = target_dir.join(target).join("release").join(bin);
    let key = format!("{dir} {target} {}", extra.join(" "));
    if built.contains(&key) {
        return elf;
    }
    require_target(target);

    let out = firmware_cargo(dir, &target_dir)
        .args(["build", "--release", "--target", target])
        .args(extra)
        .output()
        .unwrap_or_else(|e| panic!("cannot run cargo: {e}"));
    assert!(
        out.status.success(),
        "building {dir} for {target} failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(elf.is_file(), "no firmware at {}", elf.display());
    built.push(key);
    elf
}

/// `cargo` for the firmware package in `dir` (relative to the workspace
/// root), run there with the target directory `target_dir`, without the
/// host build's flags: the firmware's own `.cargo/config.toml` (or build
/// script) supplies its linker scripts, which they must not replace.
pub fn firmware_cargo(dir: &str, target_dir: &Path) -> Command {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let mut cmd = Command::new(cargo);
    cmd.current_dir(workspace_root().join(dir))
        .env("CARGO_TARGET_DIR", target_dir);
    for var in [
        "RUSTFLAGS",
        "CARGO_ENCODED_RUSTFLAGS",
        "CARGO_BUILD_RUSTFLAGS",
        "CARGO_BUILD_TARGET",
    ] {
        cmd.env_remove(var);
    }
    cmd
}

/// Fails, saying how to install it, when the Rust target is missing.
pub fn require_target(target: &str) {
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
pub fn require_qemu() {
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
pub fn run_qemu(elf: &Path) -> (bool, String, String) {
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
pub struct Elf32 {
    /// Every section header, in file order.
    pub sections: Vec<Section>,
    /// (virtual address, physical/load address, memory size) of PT_LOAD.
    pub loads: Vec<(u32, u32, u32)>,
    /// Every symbol of the symbol table: (name, value).
    pub symbols: Vec<(String, u32)>,
}

/// One section header.
pub struct Section {
    /// The section's name.
    pub name: String,
    /// `sh_type` (1 PROGBITS, 8 NOBITS, …).
    pub kind: u32,
    /// `sh_flags` (2 ALLOC, …).
    pub flags: u32,
    /// Its virtual address.
    pub addr: u32,
    /// Its offset in the file.
    pub offset: u32,
    /// Its size in bytes.
    pub size: u32,
    /// `sh_link`.
    pub link: u32,
}

impl Elf32 {
    /// Parses the bytes of an ELF32 file.
    pub fn parse(b: &[u8]) -> Result<Self, String> {
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
                flags: u32_at(at + 8)?,
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

    /// The section named `name`.
    pub fn section(&self, name: &str) -> Option<&Section> {
        self.sections.iter().find(|s| s.name == name)
    }

    /// The value of the symbol named `name`.
    pub fn symbol(&self, name: &str) -> Option<u32> {
        self.symbols
            .iter()
            .find(|(n, _)| n == name)
            .map(|&(_, v)| v)
    }

    /// Where the bytes at virtual address `addr` are loaded from.
    pub fn load_address(&self, addr: u32) -> Option<u32> {
        self.loads
            .iter()
            .find(|&&(vaddr, _, size)| vaddr <= addr && addr < vaddr + size.max(1))
            .map(|&(vaddr, paddr, _)| paddr + (addr - vaddr))
    }
}

/// Asserts that `table` (a registry table the firmware printed: a header
/// line starting `name`, then one line per slab, `name block blocks used
/// free max ready`) has a header and exactly one line for each of `rows`,
/// equal to it word for word. `shown` is the firmware's output, for the
/// failure message.
pub fn assert_registry_table<const N: usize>(table: &str, rows: &[[&str; N]], shown: &str) {
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
