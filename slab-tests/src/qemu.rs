//! Building the QEMU firmware of `examples/` and running it with
//! semihosting on one of the [`Machine`]s (`qemu-system-arm -machine
//! lm3s6965evb` or `mps2-an505`, `qemu-system-riscv32 -machine virt`), a
//! small ELF32 reader, and the checks of where a firmware's sections
//! landed. Shared by every QEMU test of slab-tests.
//!
//! Needs QEMU (`qemu-system-arm`, and `qemu-system-riscv32` from Debian's
//! `qemu-system-misc`) and the Rust targets (`cargo xtask test` installs
//! them). When either is missing the tests fail, saying how to install it,
//! unless `SLAB_SKIP_QEMU=1`, which skips them.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// A QEMU board: the emulator, the Debian package that has it, the
/// arguments that pick the machine, and the memory its firmware's
/// `memory.x` gives as flash and RAM.
pub struct Machine {
    /// The emulator's program name.
    pub qemu: &'static str,
    /// The Debian package that installs it.
    pub package: &'static str,
    /// `-machine …` and the rest.
    pub args: &'static [&'static str],
    /// Where the firmware's `FLASH` region is.
    pub flash: std::ops::Range<u32>,
    /// Where the firmware's `RAM` region is.
    pub ram: std::ops::Range<u32>,
}

/// TI Stellaris LM3S6965 (Cortex-M3): 256 KiB of flash at 0, 64 KiB of
/// RAM at 0x2000_0000.
pub const LM3S6965: Machine = Machine {
    qemu: "qemu-system-arm",
    package: "qemu-system-arm",
    args: &["-cpu", "cortex-m3", "-machine", "lm3s6965evb"],
    flash: 0x0000_0000..0x0004_0000,
    ram: 0x2000_0000..0x2001_0000,
};

/// Arm MPS2 with the AN505 image (Cortex-M33, Armv8-M Mainline), run in
/// the secure state: the code SRAM's secure alias (4 MiB at 0x1000_0000)
/// plays flash, the secure alias of the second SRAM (2 MiB at
/// 0x3800_0000) is RAM (`examples/common/memory/an505.x`).
pub const MPS2_AN505: Machine = Machine {
    qemu: "qemu-system-arm",
    package: "qemu-system-arm",
    args: &["-cpu", "cortex-m33", "-machine", "mps2-an505"],
    flash: 0x1000_0000..0x1040_0000,
    ram: 0x3800_0000..0x3820_0000,
};

/// QEMU's RISC-V `virt` board, one hart, no firmware (`-bios none`): its
/// DRAM at 0x8000_0000, of which `examples/common/memory/virt.x` gives
/// the first MiB as flash and the next as RAM.
pub const RISCV_VIRT: Machine = Machine {
    qemu: "qemu-system-riscv32",
    package: "qemu-system-misc",
    args: &["-machine", "virt", "-bios", "none"],
    flash: 0x8000_0000..0x8010_0000,
    ram: 0x8010_0000..0x8020_0000,
};

/// `virt` with two harts under `-icount` (8 ns of virtual time per
/// instruction; idle time skipped, not slept): single-threaded TCG, a
/// deterministic interleaving.
pub const RISCV_VIRT_SMP_ICOUNT: Machine = Machine {
    args: &[
        "-machine",
        "virt",
        "-smp",
        "2",
        "-accel",
        "tcg,thread=single",
        "-icount",
        "shift=3,sleep=off",
        "-bios",
        "none",
    ],
    ..RISCV_VIRT
};

/// LM3S6965: the end of its flash.
pub const FLASH_END: u32 = LM3S6965.flash.end;
/// LM3S6965: the start of its RAM.
pub const RAM_START: u32 = LM3S6965.ram.start;
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
    build_into(dir, bin, target, extra, "")
}

/// [`build_with`] into a target directory of its own (the package's name
/// and `suffix`), so that a build with other features never replaces the
/// ELF another test is running.
pub fn build_into(dir: &str, bin: &str, target: &str, extra: &[&str], suffix: &str) -> PathBuf {
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
        .join(format!("{}{suffix}", package.to_string_lossy()));
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

/// Fails, saying how to install it, when `machine`'s QEMU is missing.
pub fn require_qemu(machine: &Machine) {
    let Machine { qemu, package, .. } = machine;
    let found = Command::new(qemu)
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    assert!(
        found,
        "{qemu} is not on PATH. Install it with `apt-get install -y {package}` \
         (Debian/Ubuntu; `sudo` if not root) or run `cargo xtask test`, which \
         installs it; or set SLAB_SKIP_QEMU=1 to skip the QEMU tests."
    );
}

/// Runs `elf` on the LM3S6965 board with semihosting; kills it after
/// [`RUN_LIMIT`]. Returns (exit success, stdout, stderr).
pub fn run_qemu(elf: &Path) -> (bool, String, String) {
    run_on(&LM3S6965, elf)
}

/// Runs `elf` on `machine` with semihosting; kills it after
/// [`RUN_LIMIT`]. Returns (exit success, stdout, stderr).
pub fn run_on(machine: &Machine, elf: &Path) -> (bool, String, String) {
    let (success, stdout, stderr) = run_raw(machine, elf);
    (
        success,
        String::from_utf8_lossy(&stdout).into_owned(),
        stderr,
    )
}

/// [`run_on`] with the semihosting output as the bytes the firmware wrote
/// (e.g. defmt frames).
pub fn run_raw(machine: &Machine, elf: &Path) -> (bool, Vec<u8>, String) {
    require_qemu(machine);
    let qemu = machine.qemu;
    let started = Instant::now();
    let mut child = Command::new(qemu)
        .args(machine.args)
        .arg("-nographic")
        .args(["-semihosting-config", "enable=on,target=native"])
        .arg("-kernel")
        .arg(elf)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start {qemu}: {e}"));
    let drain = |mut pipe: Box<dyn Read + Send>| {
        std::thread::spawn(move || {
            let mut bytes = Vec::new();
            let _ = pipe.read_to_end(&mut bytes);
            bytes
        })
    };
    let stdout = drain(Box::new(child.stdout.take().expect("piped")));
    let stderr = drain(Box::new(child.stderr.take().expect("piped")));
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
        String::from_utf8_lossy(&stderr.join().expect("stderr")).into_owned(),
    );
    // Shown with `--nocapture`: what each run costs.
    println!(
        "{} on {qemu} {}: {:.2} s",
        elf.display(),
        machine.args.join(" "),
        started.elapsed().as_secs_f64()
    );
    match status {
        Some(status) => (status.success(), stdout, stderr),
        None => panic!(
            "{} did not finish within {RUN_LIMIT:?}: killed\n--- stdout\n{}--- stderr\n{stderr}",
            elf.display(),
            String::from_utf8_lossy(&stdout)
        ),
    }
}

/// The counts of a firmware's last line, `firmware: N passed, N failed`
/// (the report of `examples/common/src/report.rs`, which every firmware
/// but the template shares): `(passed, failed)`, or `None` without such a
/// line.
pub fn passed_failed(stdout: &str) -> Option<(u32, u32)> {
    let (passed, failed) = stdout
        .lines()
        .last()?
        .strip_prefix("firmware: ")?
        .strip_suffix(" failed")?
        .split_once(" passed, ")?;
    Some((passed.parse().ok()?, failed.parse().ok()?))
}

/// Checks a firmware run's report: its last line is `firmware: N passed,
/// 0 failed` with `N == checks`, and the firmware exited with success.
/// Returns the run's output as the assertions show it.
pub fn assert_every_check_passed(success: bool, stdout: &str, stderr: &str, checks: u32) -> String {
    let shown = format!("--- stdout\n{stdout}--- stderr\n{stderr}");
    let (passed, failed) =
        passed_failed(stdout).unwrap_or_else(|| panic!("no `N passed, N failed` line\n{shown}"));
    assert_eq!(failed, 0, "failed checks\n{shown}");
    assert!(success, "the firmware exited with failure\n{shown}");
    assert_eq!(passed, checks, "checks that ran\n{shown}");
    shown
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

/// `sh_type` of a section that has no bytes in the file.
const SHT_NOBITS: u32 = 8;
/// `sh_flags`: writable, and in memory at run time.
const SHF_WRITE: u32 = 1;
const SHF_ALLOC: u32 = 2;

/// Reads and parses the firmware ELF at `path`.
pub fn read_elf(path: &Path) -> Elf32 {
    let bytes = std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    Elf32::parse(&bytes).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// What `slab.x` is for: each of `sections` (name, size in bytes) lies in
/// `machine`'s flash, is loaded where it runs (not copied from elsewhere),
/// and is bounded by its `__start_`/`__stop_` symbols; the `.data` image
/// does not overlap the registry; no registry section is in RAM.
pub fn assert_registry_in_flash(
    elf: &Elf32,
    machine: &Machine,
    target: &str,
    sections: &[(&str, u32)],
) {
    for &(name, size) in sections {
        let section = elf
            .section(name)
            .unwrap_or_else(|| panic!("{target}: no section {name}"));
        assert_eq!(section.size, size, "{target}: size of {name}");
        assert!(
            machine.flash.contains(&section.addr)
                && section.addr + section.size <= machine.flash.end,
            "{target}: {name} at {:#x} is not in flash {:#x?}",
            section.addr,
            machine.flash
        );
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
    assert!(
        machine.ram.contains(&data.addr),
        "{target}: .data is in RAM"
    );
    let data_load = elf.load_address(data.addr).expect(".data is loaded");
    let registry = elf.section("linkme_SLAB_CORE_REGISTRY").expect("registry");
    assert!(
        data_load >= registry.addr + registry.size,
        "{target}: the .data image ({data_load:#x}) overlaps the registry"
    );
    assert!(
        !elf.sections
            .iter()
            .any(|s| s.name.contains("SLAB_CORE_REGISTRY") && machine.ram.contains(&s.addr)),
        "{target}: a registry section landed in RAM"
    );
}

/// `section = ".noinit"` on a slab whose name contains `slab` and whose
/// buffer is `bytes` long: `slab.x` puts `.noinit` in `machine`'s RAM as
/// NOLOAD, after `.bss` and past `__ebss` (so not zeroed at reset), and
/// the image `objcopy -O binary` writes (every allocated section with
/// bytes, at its load address) stays within flash. Without the fragment's
/// `.noinit` the section is a loadable orphan in RAM and that image spans
/// from flash to RAM.
pub fn assert_noinit_noload(elf: &Elf32, machine: &Machine, target: &str, slab: &str, bytes: u32) {
    let noinit = elf
        .section(".noinit")
        .unwrap_or_else(|| panic!("{target}: no .noinit section"));
    assert_eq!(noinit.kind, SHT_NOBITS, "{target}: .noinit is NOLOAD");
    assert_eq!(
        noinit.flags & (SHF_ALLOC | SHF_WRITE),
        SHF_ALLOC | SHF_WRITE,
        "{target}: .noinit is allocated, writable memory"
    );
    assert!(
        machine.ram.contains(&noinit.addr) && noinit.addr + noinit.size <= machine.ram.end,
        "{target}: .noinit at {:#x}..{:#x} is in RAM",
        noinit.addr,
        noinit.addr + noinit.size
    );
    let bss = elf.section(".bss").expect(".bss");
    assert!(
        noinit.addr >= bss.addr + bss.size,
        "{target}: .noinit is after .bss, outside what reset zeroes"
    );
    // The reset handler (cortex-m-rt's, riscv-rt's) zeroes `__sbss..__ebss`,
    // and sections inserted after `.bss` push `__ebss`: `.noinit` must start
    // at or past it.
    let symbol = |wanted: &str| {
        elf.symbol(wanted)
            .unwrap_or_else(|| panic!("{target}: no symbol {wanted}"))
    };
    let (sbss, ebss) = (symbol("__sbss"), symbol("__ebss"));
    assert!(
        noinit.addr >= ebss || noinit.addr + noinit.size <= sbss,
        "{target}: .noinit at {:#x}..{:#x} is inside {sbss:#x}..{ebss:#x}, which reset zeroes",
        noinit.addr,
        noinit.addr + noinit.size
    );
    let (storage, at) = elf
        .symbols
        .iter()
        .find(|(name, _)| name.contains(slab) && name.contains("__SLAB_STORAGE"))
        .unwrap_or_else(|| panic!("{target}: no symbol for {slab}'s buffer"));
    assert!(
        noinit.addr <= *at && at + bytes <= noinit.addr + noinit.size,
        "{target}: {storage} at {at:#x} is in .noinit"
    );

    // The binary image: from the lowest to the highest load address of a
    // section with bytes in the file.
    let flash = &machine.flash;
    let mut image: Option<(u32, u32)> = None;
    for section in elf
        .sections
        .iter()
        .filter(|s| s.flags & SHF_ALLOC != 0 && s.kind != SHT_NOBITS && s.size > 0)
    {
        let load = elf
            .load_address(section.addr)
            .unwrap_or_else(|| panic!("{target}: {} has bytes but no load address", section.name));
        assert!(
            flash.contains(&load) && load + section.size <= flash.end,
            "{target}: {} ({} bytes at {:#x}, loaded from {load:#x}) is not loaded from flash",
            section.name,
            section.size,
            section.addr
        );
        image = Some(image.map_or((load, load + section.size), |(lo, hi)| {
            (lo.min(load), hi.max(load + section.size))
        }));
    }
    let (lo, hi) = image.unwrap_or_else(|| panic!("{target}: an empty image"));
    assert!(
        hi - lo <= flash.end - flash.start,
        "{target}: the binary image spans {} bytes, more than the flash",
        hi - lo
    );
}
