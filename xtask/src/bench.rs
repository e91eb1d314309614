//! `cargo xtask bench`: the host benchmarks against the peers, then the
//! bare-metal benchmark firmware under QEMU with instruction counting, and
//! `benchmarks.svg` (a bar chart of the ratios) at the repository root.
//!
//! Installs what it needs first: the bare-metal targets and QEMU (as
//! `cargo xtask test` does) and rustup's `llvm-tools` (for `llvm-nm` and
//! `llvm-objdump`, which read the firmware's code sizes).
//!
//! `cargo xtask bench [--rounds N] [--only SECTION]`: the options go to the
//! host benchmark program (`slab-tests/benches/peers`); `--only heap` runs
//! only the heap benchmarks (`bench_heap.rs`), which otherwise run last;
//! `--only heap-target` their Cortex-M3 half; `--only heap-classes`
//! `SlabHeap` of 1 to 16 classes beside TLSF (`heap_classes.rs`, which
//! writes `heap-classes.svg`);
//! `--only target` only the firmware, on the Cortex-M3, the Cortex-M33 and
//! RISC-V, with the Armv6-M code sizes (no host run, no chart);
//! `--only target-m3`, `target-m33`, `target-riscv` or `target-v6m` one of
//! them. The chart has the ratios of the host and of every core that is
//! run (Cortex-M3, Cortex-M33, RISC-V); `--only chart` runs only what it
//! draws (the host program, then the firmware on those cores) and writes
//! it. `--only cycles` the cycle
//! model on a trace of the firmware (`cycles.rs`; `--detail PREFIX` prints
//! one pair priced); `--only size` the flash and RAM of a minimal firmware
//! per allocator (`size.rs`); `--only growth` `boot()` as the declared
//! slabs grow, and a hand-off as the waiters grow (`growth.rs`);
//! `--only waiters` that hand-off alone (`waiters.rs`, which writes
//! `waiters.svg`).
//! `--features LIST` builds the firmware with those features (`trace`,
//! `track`, `trace-hook`: what slab-core's tracking and trace events cost
//! the pair); `heaps`: `SlabHeap` and embedded-alloc's
//! TLSF as contenders too, which `--only cycles` always has).

use std::collections::BTreeSet;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::firmware::{
    ARMV6M, BenchTarget, CORTEX_M3, CORTEX_M33, RISCV32, build_bench_firmware_for, run_icount_on,
};
use crate::{cargo, run, workspace_root};

const FIRMWARE_DIR: &str = "examples/bench-firmware";
const FIRMWARE_BIN: &str = "slab-bench-firmware";
/// The contenders of the firmware: the prefix of their `_alloc`/`_free`
/// functions, the name the firmware prints, and how the table names them.
/// The two heaps (only with the firmware's `heaps` feature, which the
/// cycle model's build has: `HEAPS`) are asked for 4 bytes aligned 4
/// through `GlobalAlloc`; `SlabHeap`'s worst is its own worst state (every
/// class but the largest full), TLSF's the pools' (15 blocks held).
const CONTENDERS: [(&str, &str, &str); 11] = [
    ("slab", "slab", "slab, checks = full, 64 B"),
    ("slab48", "slab48", "slab, checks = full, 48 B"),
    ("slab_bounds", "slab-bounds", "slab, checks = bounds, 64 B"),
    (
        "slab_bounds48",
        "slab-bounds48",
        "slab, checks = bounds, 48 B",
    ),
    ("zephyr", "zephyr", "Zephyr-style k_mem_slab, 64 B"),
    ("zephyr48", "zephyr48", "Zephyr-style k_mem_slab, 48 B"),
    ("heapless", "heapless", "heapless 0.9 pool (box_pool), 64 B"),
    ("atomic_pool", "atomic-pool", "atomic-pool 2, 64 B"),
    (
        "bare",
        "bare-cs-list",
        "floor: bare list in a critical section",
    ),
    (
        "slabheap",
        "slabheap",
        "SlabHeap, 7 classes, 4 B (worst: 6 full)",
    ),
    ("tlsf", "tlsf", "embedded-alloc TlsfHeap, 14 KiB, 4 B"),
];

/// The contenders the firmware has only with its `heaps` feature.
const HEAPS: [&str; 2] = ["slabheap", "tlsf"];

/// The cores `--only target` measures, in order; Armv6-M is only built,
/// for its code sizes.
const TARGETS_RUN: &[&BenchTarget] = &[&CORTEX_M3, &CORTEX_M33, &RISCV32, &ARMV6M];

/// The target ratios: (slab contender, Zephyr-style reference, at most).
const TARGETS: [(&str, &str, f64); 4] = [
    ("slab", "zephyr", 1.2),
    ("slab48", "zephyr48", 1.2),
    ("slab-bounds", "zephyr", 1.0),
    ("slab-bounds48", "zephyr48", 1.0),
];

pub fn bench(args: &[String]) -> Result<(), String> {
    crate::install::ensure_bare_metal()?;
    if args.windows(2).any(|w| w[0] == "--only" && w[1] == "heap") {
        return crate::bench_heap::bench();
    }
    if args
        .windows(2)
        .any(|w| w[0] == "--only" && w[1] == "heap-target")
    {
        // The Cortex-M3 heap figures alone (no host run).
        return crate::bench_heap::target();
    }
    if args
        .windows(2)
        .any(|w| w[0] == "--only" && w[1] == "heap-classes")
    {
        // SlabHeap of 1 to 16 classes beside TLSF (`heap_classes.rs`).
        return crate::heap_classes::bench();
    }
    let tools = ensure_llvm_tools()?;
    let only = args
        .windows(2)
        .find(|w| w[0] == "--only")
        .map(|w| w[1].as_str());
    match only {
        Some("cycles") => {
            // The cycle model on the traced firmware alone (`cycles.rs`).
            let detail = args
                .windows(2)
                .find(|w| w[0] == "--detail")
                .map(|w| w[1].as_str());
            return modelled_cycles(&tools, detail);
        }
        // Flash and RAM of a minimal firmware per allocator (`size.rs`).
        Some("size") => return crate::size::bench(&tools.objdump.with_file_name("llvm-size")),
        // boot() as the declared slabs grow (`growth.rs`), then the
        // waiters' part alone.
        Some("growth") => return crate::growth::bench(),
        // free as the waiters of mixed priorities grow (`waiters.rs`).
        Some("waiters") => return crate::waiters::bench(),
        _ => {}
    }
    if only == Some("target") {
        // The firmware figures alone (no host run, no chart).
        for target in TARGETS_RUN {
            target_benchmark(&tools, target, features(args))?.print();
        }
        return Ok(());
    }
    if let Some(target) = only
        .and_then(|o| o.strip_prefix("target-"))
        .and_then(|short| TARGETS_RUN.iter().find(|t| t.short == short))
    {
        target_benchmark(&tools, target, features(args))?.print();
        return Ok(());
    }

    // `--only chart`: the host program and the firmware on every core it
    // runs on, then the chart; nothing else. The host program is not told
    // `--only chart` (its `--only` picks its own sections).
    let chart_only = only == Some("chart");
    let host_args: Vec<String> = if chart_only {
        let at = args
            .iter()
            .position(|a| a == "--only")
            .expect("found above");
        [&args[..at], &args[at + 2..]].concat()
    } else {
        args.to_vec()
    };
    let host = host_benchmarks(&host_args)?;
    let mut bars = host;
    // The ratios of every core that is run (Armv6-M, only built, has none).
    for target in TARGETS_RUN {
        let results = target_benchmark(&tools, target, "")?;
        results.print();
        bars.extend(results.bars());
    }
    if !chart_only {
        modelled_cycles(&tools, None)?;
        crate::size::bench(&tools.objdump.with_file_name("llvm-size"))?;
        crate::growth::bench()?;
    }
    let svg = workspace_root().join("benchmarks.svg");
    std::fs::write(&svg, chart(&bars, &crate::machine()))
        .map_err(|e| format!("{}: {e}", svg.display()))?;
    println!("\nwrote {}", svg.display());
    if chart_only {
        return Ok(());
    }
    // SlabHeap against embedded-alloc and the system allocator, then as
    // its classes grow.
    crate::bench_heap::bench()?;
    crate::heap_classes::bench()
}

/// The firmware features `--features LIST` names, or none.
fn features(args: &[String]) -> &str {
    args.windows(2)
        .find(|w| w[0] == "--features")
        .map_or("", |w| w[1].as_str())
}

// ---------------------------------------------------------------------------
// Host

/// Runs the host benchmark program (release), showing its output as it
/// comes, and returns its ratios.
fn host_benchmarks(args: &[String]) -> Result<Vec<Bar>, String> {
    let mut cmd = cargo();
    cmd.args(["bench", "-p", "slab-tests", "--bench", "peers", "--"])
        .args(args);
    let stdout = crate::run_stdout(&mut cmd)?;
    Ok(stdout.lines().filter_map(Bar::parse).collect())
}

// ---------------------------------------------------------------------------
// Target

/// Where `llvm-nm` and `llvm-objdump` are: rustup's `llvm-tools`, installed
/// if missing.
struct LlvmTools {
    nm: PathBuf,
    objdump: PathBuf,
}

fn ensure_llvm_tools() -> Result<LlvmTools, String> {
    let sysroot = Command::new(std::env::var("RUSTC").unwrap_or_else(|_| "rustc".into()))
        .args(["--print", "sysroot"])
        .current_dir(workspace_root())
        .output()
        .map_err(|e| format!("rustc --print sysroot: {e}"))?;
    let sysroot = PathBuf::from(String::from_utf8_lossy(&sysroot.stdout).trim());
    let host = Command::new("rustc")
        .args(["-vV"])
        .output()
        .ok()
        .and_then(|o| {
            String::from_utf8_lossy(&o.stdout)
                .lines()
                .find_map(|l| l.strip_prefix("host: ").map(str::to_string))
        })
        .ok_or("cannot tell the host triple from `rustc -vV`")?;
    let bin = sysroot.join("lib/rustlib").join(host).join("bin");
    let tools = LlvmTools {
        nm: bin.join("llvm-nm"),
        objdump: bin.join("llvm-objdump"),
    };
    if !tools.nm.is_file() || !tools.objdump.is_file() {
        run(Command::new("rustup")
            .args(["component", "add", "llvm-tools"])
            .current_dir(workspace_root()))
        .map_err(|e| format!("{e}: rustup's llvm-tools are needed for the code sizes"))?;
    }
    if tools.nm.is_file() && tools.objdump.is_file() {
        Ok(tools)
    } else {
        Err(format!("no llvm-nm/llvm-objdump in {}", bin.display()))
    }
}

/// The cycle model (`cycles.rs`) on the traced firmware: every contender's
/// pair priced with each core's timings.
fn modelled_cycles(tools: &LlvmTools, detail: Option<&str>) -> Result<(), String> {
    let contenders: Vec<(&str, &str)> = CONTENDERS.iter().map(|&(p, _, l)| (p, l)).collect();
    for machine in crate::cycles::MACHINES {
        let (traced, by_core) = crate::cycles::model(machine, &tools.objdump, &contenders, detail)?;
        for (core, modelled) in by_core {
            crate::cycles::print(machine, core, traced, &modelled);
        }
    }
    Ok(())
}

/// What the firmware measured, and the code sizes read from its ELF.
struct TargetResults {
    target: &'static BenchTarget,
    pairs: u64,
    /// Net nops, their ticks net of the empty loop, per round.
    calibration: Vec<(u64, u64)>,
    /// Ticks per `pairs` pairs, per round, by contender (firmware names).
    ticks: Vec<(String, Vec<u64>)>,
    /// Blocks threaded by `init` in all, and the ticks that took.
    init: Option<(u64, u64)>,
    /// (alloc bytes, free bytes, bytes with every function they can call)
    /// by contender prefix.
    sizes: Vec<(String, u64, u64, u64)>,
}

fn target_benchmark(
    tools: &LlvmTools,
    target: &'static BenchTarget,
    features: &str,
) -> Result<TargetResults, String> {
    let elf = build_bench_firmware_for(FIRMWARE_DIR, FIRMWARE_BIN, target.triple, features)?;
    let mut results = if target.qemu.is_some() {
        let output = run_firmware(&elf, target)?;
        parse_firmware(&output, target)?
    } else {
        TargetResults {
            target,
            pairs: 0,
            calibration: Vec::new(),
            ticks: Vec::new(),
            init: None,
            sizes: Vec::new(),
        }
    };
    results.sizes = code_sizes(tools, &elf)?;
    Ok(results)
}

fn run_firmware(elf: &Path, target: &BenchTarget) -> Result<String, String> {
    let stdout = run_icount_on(elf, target)?;
    print!("{stdout}");
    Ok(stdout)
}

/// Reads the firmware's lines:
/// `bench-firmware: … N pairs per run …`,
/// `calibration round R: NOPS nops in T ticks, the empty loop E ticks`,
/// `pairs NAME: [T1, T2] ticks per N pairs`.
fn parse_firmware(output: &str, target: &'static BenchTarget) -> Result<TargetResults, String> {
    let number = |s: &str| -> Result<u64, String> {
        s.trim()
            .parse::<u64>()
            .map_err(|e| format!("bad number {s:?} in the firmware's output: {e}"))
    };
    let mut pairs = None;
    let mut calibration = Vec::new();
    let mut ticks = Vec::new();
    let mut init = None;
    for line in output.lines() {
        if let Some(rest) = line.strip_prefix("bench-firmware: ") {
            if let Some((before, _)) = rest.split_once(" pairs per run") {
                pairs = Some(number(before.rsplit(' ').next().unwrap_or(""))?);
            }
        } else if let Some(rest) = line.strip_prefix("calibration round ") {
            let words: Vec<&str> = rest.split_whitespace().collect();
            // ["1:", NOPS, "nops", "in", T, "ticks,", "the", "empty", "loop", E, "ticks"]
            if words.len() < 11 {
                return Err(format!("bad calibration line: {line}"));
            }
            let (nops, with, empty) = (number(words[1])?, number(words[4])?, number(words[9])?);
            calibration.push((nops, with.saturating_sub(empty)));
        } else if let Some(rest) = line.strip_prefix("init: ") {
            // R "x" B "blocks" "of" "8" "bytes" "in" T "ticks"
            let words: Vec<&str> = rest.split_whitespace().collect();
            if words.len() < 9 {
                return Err(format!("bad init line: {line}"));
            }
            init = Some((number(words[0])? * number(words[2])?, number(words[8])?));
        } else if let Some(rest) = line.strip_prefix("pairs ") {
            let (name, rest) = rest
                .split_once(": [")
                .ok_or_else(|| format!("bad pairs line: {line}"))?;
            let (list, _) = rest
                .split_once(']')
                .ok_or_else(|| format!("bad pairs line: {line}"))?;
            let rounds = list.split(',').map(number).collect::<Result<Vec<_>, _>>()?;
            ticks.push((name.to_string(), rounds));
        }
    }
    let pairs = pairs.ok_or("the firmware did not say how many pairs it ran")?;
    if calibration.is_empty() || !ticks.iter().any(|(n, _)| n == "empty") {
        return Err("the firmware's output lacks calibration or the empty baseline".into());
    }
    Ok(TargetResults {
        target,
        pairs,
        calibration,
        ticks,
        init,
        sizes: Vec::new(),
    })
}

/// Symbol sizes from `llvm-nm`, and for each contender the bytes of its
/// `_alloc` and `_free` plus every function they can reach through a call
/// or a tail call (Thumb `bl`/`b`/`b.w`, RISC-V `jal`/`jalr`/`j`/`jr`,
/// from `llvm-objdump`): the whole code an application links for the
/// pair. A contender that does not build for the target has no row.
fn code_sizes(tools: &LlvmTools, elf: &Path) -> Result<Vec<(String, u64, u64, u64)>, String> {
    let nm = Command::new(&tools.nm)
        .args(["--print-size", "--defined-only"])
        .arg(elf)
        .output()
        .map_err(|e| format!("{}: {e}", tools.nm.display()))?;
    let mut sizes = std::collections::HashMap::new();
    for line in String::from_utf8_lossy(&nm.stdout).lines() {
        let words: Vec<&str> = line.split_whitespace().collect();
        if let [_addr, size, "T" | "t", name] = words.as_slice()
            && let Ok(size) = u64::from_str_radix(size, 16)
        {
            sizes.insert(name.to_string(), size);
        }
    }
    let dump = Command::new(&tools.objdump)
        .args(["-d", "--no-show-raw-insn"])
        .arg(elf)
        .output()
        .map_err(|e| format!("{}: {e}", tools.objdump.display()))?;
    let calls = call_graph(&String::from_utf8_lossy(&dump.stdout));

    let mut out = Vec::new();
    for (prefix, _, _) in CONTENDERS {
        let (alloc, free) = (format!("{prefix}_alloc"), format!("{prefix}_free"));
        let (Some(&alloc_size), Some(&free_size)) = (sizes.get(&alloc), sizes.get(&free)) else {
            continue;
        };
        let mut seen = BTreeSet::new();
        let mut todo = vec![alloc, free];
        while let Some(f) = todo.pop() {
            if seen.insert(f.clone()) {
                todo.extend(calls.get(&f).into_iter().flatten().cloned());
            }
        }
        let reachable = seen.iter().filter_map(|f| sizes.get(f)).sum();
        out.push((prefix.to_string(), alloc_size, free_size, reachable));
    }
    Ok(out)
}

/// Function → the functions it branches to (`bl`, `b`/`b.w`, `jal`,
/// `jalr`, `j`, `jr` to another function's start), from `llvm-objdump -d`
/// output.
fn call_graph(dump: &str) -> std::collections::HashMap<String, Vec<String>> {
    let mut calls: std::collections::HashMap<String, Vec<String>> = Default::default();
    let mut current: Option<String> = None;
    for line in dump.lines() {
        if let Some(name) = line
            .trim_end()
            .strip_suffix(">:")
            .and_then(|l| l.split_once(" <"))
            .map(|(_, n)| n.to_string())
        {
            current = Some(name);
            continue;
        }
        let Some(f) = &current else { continue };
        let mut words = line.split_whitespace();
        let _addr = words.next();
        let Some(op) = words.next() else { continue };
        if !matches!(op, "bl" | "b" | "b.w" | "jal" | "jalr" | "j" | "jr") {
            continue;
        }
        // `bl 0x1a10 <symbol> @ imm = …` (RISC-V: `jalr -0x720(ra)
        // <symbol>` after its `auipc`), or `<symbol+0x12>` for a branch
        // inside a function: only the former is a call.
        if let Some(target) = line
            .split_once(" <")
            .and_then(|(_, t)| t.split_once('>'))
            .map(|(t, _)| t)
            .filter(|t| !t.contains('+') && t != f)
        {
            calls.entry(f.clone()).or_default().push(target.to_string());
        }
    }
    calls
}

impl TargetResults {
    /// SysTick ticks per instruction, from the first calibration round.
    fn ticks_per_instruction(&self) -> f64 {
        let (nops, ticks) = self.calibration[0];
        ticks as f64 / nops as f64
    }

    /// The rounds agree: the calibration exactly, each measurement to a
    /// counter tick or 0.0001 instructions per pair, whichever is more (a
    /// RISC-V round counts single instructions: the first round of a worst
    /// case also sets the pool's high-water mark).
    fn deterministic(&self) -> bool {
        let slack = (self.pairs as f64 / 10_000.0 * self.ticks_per_instruction()).max(1.0);
        self.calibration.windows(2).all(|w| w[0] == w[1])
            && self
                .ticks
                .iter()
                .all(|(_, r)| r.windows(2).all(|w| w[0].abs_diff(w[1]) as f64 <= slack))
    }

    fn median_ticks(&self, name: &str) -> Option<f64> {
        let (_, rounds) = self.ticks.iter().find(|(n, _)| n == name)?;
        let mut r = rounds.clone();
        r.sort_unstable();
        Some(r[r.len() / 2] as f64)
    }

    /// Instructions per pair, net of the loop and the calls; `name` or
    /// `name/worst` (all but one block held, so every pair takes the last
    /// block and frees it into an empty pool).
    fn instructions(&self, name: &str) -> Option<f64> {
        let empty = if name.ends_with("/worst") {
            "empty/worst"
        } else {
            "empty"
        };
        let net = self.median_ticks(name)? - self.median_ticks(empty)?;
        Some(net / self.pairs as f64 / self.ticks_per_instruction())
    }

    fn print(&self) {
        let target = self.target;
        let Some((qemu, args)) = target.qemu else {
            self.print_sizes();
            return;
        };
        let per_instruction = self.ticks_per_instruction();
        let machine = args
            .windows(2)
            .find(|w| w[0] == "-machine")
            .map_or("", |w| w[1]);
        println!(
            "\n## {} under {qemu} -machine {machine} -icount shift=0",
            target.triple
        );
        println!(
            "  calibration: {} nops = {} {} ticks net of the empty loop: {:.2} instructions per tick",
            self.calibration[0].0,
            self.calibration[0].1,
            target.counter,
            1.0 / per_instruction
        );
        println!(
            "  rounds identical (deterministic): {}",
            if self.deterministic() { "yes" } else { "NO" }
        );
        println!(
            "  {:<44}  {:>16}  {:>12}  {:>12}  {:>22}",
            format!("alloc + free pair ({})", target.core),
            "ticks/10k pairs",
            "instr/pair",
            "worst",
            "code bytes a+f (+calls)"
        );
        let empty = self.median_ticks("empty").unwrap_or(0.0);
        for (prefix, name, label) in CONTENDERS {
            let (Some(ticks), Some(instr)) = (self.median_ticks(name), self.instructions(name))
            else {
                continue;
            };
            let worst = self
                .instructions(&format!("{name}/worst"))
                .map_or_else(String::new, |w| format!("{w:.2}"));
            let size = self
                .sizes
                .iter()
                .find(|s| s.0 == prefix)
                .map(|s| format!("{}+{} ({})", s.1, s.2, s.3))
                .unwrap_or_default();
            println!(
                "  {label:<44}  {:>16.0}  {instr:>12.2}  {worst:>12}  {size:>22}",
                (ticks - empty) * 10_000.0 / self.pairs as f64
            );
        }
        if let Some((blocks, ticks)) = self.init {
            println!(
                "  threading (init of a fresh slab, as boot): {:.2} instructions per block",
                ticks as f64 / per_instruction / blocks as f64
            );
        }
        for bar in self.bars() {
            println!("  {:<44}  {:>16.3}", bar.label, bar.value);
        }
    }

    /// A target that is only built: its code sizes.
    fn print_sizes(&self) {
        println!(
            "\n## {} ({}): code sizes only (built, not run)",
            self.target.triple, self.target.core
        );
        println!(
            "  {:<44}  {:>22}",
            "alloc + free pair", "code bytes a+f (+calls)"
        );
        for (prefix, _, label) in CONTENDERS {
            if let Some(s) = self.sizes.iter().find(|s| s.0 == prefix) {
                let size = format!("{}+{} ({})", s.1, s.2, s.3);
                println!("  {label:<44}  {size:>22}");
            } else if !HEAPS.contains(&prefix) {
                println!("  {label:<44}  {:>22}", "does not build");
            }
        }
    }

    fn bars(&self) -> Vec<Bar> {
        let mut bars = Vec::new();
        for (slab, reference, target) in TARGETS {
            for worst in ["", "/worst"] {
                let (Some(s), Some(r)) = (
                    self.instructions(&format!("{slab}{worst}")),
                    self.instructions(&format!("{reference}{worst}")),
                ) else {
                    continue;
                };
                let case = if worst.is_empty() { "" } else { " (worst)" };
                bars.push(Bar {
                    label: format!("{} instr: {slab} / {reference}{case}", self.target.tag),
                    value: s / r,
                    target: (worst.is_empty()).then_some(target),
                    higher: false,
                });
            }
        }
        let slab = self.instructions("slab");
        for (peer, label) in [
            ("bare-cs-list", "slab / floor (bare list)"),
            ("heapless", "slab / heapless pool"),
            ("atomic-pool", "slab / atomic-pool"),
        ] {
            if let (Some(s), Some(p)) = (slab, self.instructions(peer)) {
                bars.push(Bar {
                    label: format!("{} instr: {label}", self.target.tag),
                    value: s / p,
                    target: None,
                    higher: false,
                });
            }
        }
        bars
    }
}

// ---------------------------------------------------------------------------
// The chart

/// One ratio: from the host program's `ratio;LABEL;VALUE;TARGET;BETTER`
/// lines, or from the target figures.
struct Bar {
    label: String,
    value: f64,
    target: Option<f64>,
    /// Whether higher is better (else lower is).
    higher: bool,
}

impl Bar {
    fn parse(line: &str) -> Option<Bar> {
        let mut parts = line.strip_prefix("ratio;")?.split(';');
        let label = parts.next()?.to_string();
        let value = parts.next()?.parse().ok()?;
        let target = parts.next()?.parse().ok();
        let higher = parts.next()? == "higher";
        Some(Bar {
            label,
            value,
            target,
            higher,
        })
    }

    fn met(&self) -> Option<bool> {
        self.target.map(|t| {
            if self.higher {
                self.value >= t
            } else {
                self.value <= t
            }
        })
    }
}

/// A horizontal bar chart of the ratios, each target a black tick.
fn chart(bars: &[Bar], machine: &str) -> String {
    const WIDTH: f64 = 900.0;
    const LABEL: f64 = 360.0;
    const ROW: f64 = 26.0;
    const TOP: f64 = 70.0;
    let plot = WIDTH - LABEL - 70.0;
    let max = bars
        .iter()
        .map(|b| b.value.max(b.target.unwrap_or(0.0)))
        .fold(1.0f64, f64::max)
        .min(8.0)
        * 1.05;
    let x = |v: f64| LABEL + v.min(max) / max * plot;
    let bottom = TOP + ROW * bars.len() as f64;
    let height = bottom + 60.0;
    let mut s = String::new();
    let _ = writeln!(
        s,
        r##"<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{height}" viewBox="0 0 {WIDTH} {height}" font-family="DejaVu Sans, Arial, sans-serif" font-size="12">
<rect width="100%" height="100%" fill="white"/>
<text x="16" y="26" font-size="16" font-weight="bold">slab benchmarks: median ratios, 64-byte blocks unless named (host CPU below; M3, M33, RV32: under QEMU)</text>
<text x="16" y="46" fill="#444">{} · green: target met · red: missed · grey: no target · black tick: the target</text>"##,
        escape(machine)
    );
    let step = if max > 4.0 { 1.0 } else { 0.5 };
    let mut g = 0.0;
    while g <= max {
        let gx = x(g);
        let _ = writeln!(
            s,
            r##"<line x1="{gx:.1}" y1="{TOP}" x2="{gx:.1}" y2="{bottom:.1}" stroke="#ddd"/><text x="{gx:.1}" y="{:.1}" text-anchor="middle" fill="#444">{g}</text>"##,
            bottom + 16.0
        );
        g += step;
    }
    for (i, bar) in bars.iter().enumerate() {
        let y = TOP + ROW * i as f64;
        let color = match bar.met() {
            Some(true) => "#3a9d5d",
            Some(false) => "#d0473f",
            None => "#9aa0a6",
        };
        let _ = writeln!(
            s,
            r#"<text x="{:.1}" y="{:.1}" text-anchor="end">{}</text>
<rect x="{LABEL}" y="{:.1}" width="{:.1}" height="{:.1}" fill="{color}"/>
<text x="{:.1}" y="{:.1}">{:.2}</text>"#,
            LABEL - 8.0,
            y + 17.0,
            escape(&bar.label),
            y + 5.0,
            (x(bar.value) - LABEL).max(1.0),
            ROW - 8.0,
            // After the bar, and after the target's tick if that is further.
            x(bar.value.max(bar.target.unwrap_or(0.0))) + 5.0,
            y + 17.0,
            bar.value
        );
        if let Some(t) = bar.target {
            let tx = x(t);
            let _ = writeln!(
                s,
                r##"<line x1="{tx:.1}" y1="{:.1}" x2="{tx:.1}" y2="{:.1}" stroke="#000" stroke-width="3"/>"##,
                y + 1.0,
                y + ROW - 1.0
            );
        }
    }
    let _ = writeln!(
        s,
        r##"<text x="16" y="{:.1}" fill="#444">slab / peer: lower is better; throughput and scaling: higher is better; boot: ns per block.</text>
<text x="16" y="{:.1}" fill="#444">Reproduce: cargo xtask bench (BENCHMARKS.md).</text>
</svg>"##,
        height - 26.0,
        height - 9.0
    );
    s
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

#[cfg(test)]
mod tests {
    use super::{Bar, chart};

    #[test]
    fn the_chart_has_a_bar_for_every_core_given() {
        let bar = |label: &str, value| Bar {
            label: label.into(),
            value,
            target: Some(1.2),
            higher: false,
        };
        let svg = chart(
            &[
                bar("M3 instr: slab / zephyr", 1.1),
                bar("M33 instr: slab / zephyr", 1.3),
                bar("RV32 instr: slab / zephyr", 1.0),
            ],
            "2 cpus, AMD EPYC",
        );
        assert!(svg.starts_with("<svg") && svg.trim_end().ends_with("</svg>"));
        for core in ["M3", "M33", "RV32"] {
            assert!(
                svg.contains(&format!(">{core} instr: slab / zephyr<")),
                "{svg}"
            );
        }
        // Met, missed, met.
        assert_eq!(svg.matches("fill=\"#3a9d5d\"").count(), 2);
        assert_eq!(svg.matches("fill=\"#d0473f\"").count(), 1);
    }
}
