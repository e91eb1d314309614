//! A cycle model: an executed-instruction trace and the disassembly of the
//! program that produced it, priced instruction by instruction with a
//! core's published (or stated) timings. It is a model, not a measurement:
//! it assumes zero wait states, no interrupts, no bus contention, and
//! prices data-dependent instructions (divide, long multiply) as a range.
//!
//! The trace is QEMU's `-accel tcg -singlestep -d exec,nochain` log: with
//! one instruction per translation block and no chaining, each
//! `Trace N: HOST [CS_BASE/PC/FLAGS/CFLAGS] SYMBOL` line is one executed
//! instruction. The disassembly is `llvm-objdump -d` output (with raw
//! bytes, which give each instruction's size).
//!
//! The timings, per [`Core`]:
//!
//! - **Cortex-M3** (and M4 without the FPU: Arm's Cortex-M3 Technical
//!   Reference Manual, DDI 0337, "Instruction set summary" and "Load/store
//!   timings", zero wait states). Data processing 1; `MUL` 1, `MLA`/`MLS`
//!   2, `UMULL`/`SMULL` 3–5, `UMLAL`/`SMLAL` 4–7, `UDIV`/`SDIV` 2–12. A
//!   taken branch, a call, a return, or any write to the PC costs
//!   1 + P with **P = 2** (the manual gives 1–3 for the pipeline refill);
//!   a conditional branch or `CBZ`/`CBNZ` not taken costs 1. `LDR` (any
//!   width) 2, but 1 when it follows an `LDR` whose destination it does not
//!   use for its address (pipelined loads); `STR` with an immediate offset
//!   1, with a register offset 2 (1 after such an `LDR`); nothing is
//!   pipelined after a store, nor around `LDRD`/`STRD` (3) or `LDM`/`STM`/
//!   `PUSH`/`POP` (1 + N, + P when the list holds the PC); a load or store
//!   whose address register the previous data-processing instruction wrote
//!   stalls 1. `LDREX`/`STREX` as `LDR`. `MRS`, `MSR`, `CPSID`/`CPSIE` 2
//!   (the manual: 1 or 2). `ISB` 1 + P, `DMB`/`DSB` 1, `IT` 1, `TBB`/`TBH`
//!   3 + P, `LDR PC` 2 + P. Instructions of an `IT` block are priced as
//!   if their condition held (the trace does not say).
//! - **Cortex-M33** (Arm publishes no instruction timing table for it):
//!   as the Cortex-M3 except that a taken branch costs 2 (P = 1), 3 when
//!   its target is a 32-bit instruction at an address that is not a
//!   multiple of 4; single loads and stores issue in 1 cycle (the address
//!   is formed a stage earlier than on the M3), with a 1-cycle stall when
//!   the next instruction reads the loaded register; `UDIV`/`SDIV` 2–11;
//!   `ISB` 1 + P. No dual issue is modelled (the M33 can pair some 16-bit
//!   instructions, so this errs high).
//! - **RV32** (a simple in-order core such as the ESP32-C3's; assumed, not
//!   published): 1 cycle per instruction; a taken branch or a jump 1 + 2;
//!   a load followed by an instruction that reads its destination 1 more;
//!   `MUL*` 1; `DIV*`/`REM*` 2–33.

use std::collections::HashMap;

use crate::firmware::{self, BenchTarget};

/// The core whose timings price a trace.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Core {
    /// Armv7-M, Arm's Cortex-M3 timings (the module docs).
    CortexM3,
    /// Armv8-M Mainline, the Cortex-M3 timings with the M33's differences.
    CortexM33,
    /// RV32IMAC on a simple in-order core.
    Rv32,
}

impl Core {
    /// The name the benchmark output uses.
    pub fn name(self) -> &'static str {
        match self {
            Core::CortexM3 => "Cortex-M3",
            Core::CortexM33 => "Cortex-M33",
            Core::Rv32 => "RV32 (in-order, ESP32-C3-like)",
        }
    }
}

/// One instruction of the disassembly.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Insn {
    /// Its size in bytes.
    pub size: u32,
    /// The mnemonic as printed (`ldr.w`, `bne`, `push`, `lw`, …).
    pub mnemonic: String,
    /// The operands as printed.
    pub operands: String,
}

/// The disassembly of a program: its instructions by address and its
/// functions' start addresses.
#[derive(Debug, Default)]
pub struct Program {
    insns: HashMap<u32, Insn>,
    /// (start address, name), sorted by address.
    functions: Vec<(u32, String)>,
}

impl Program {
    /// Reads `llvm-objdump -d` output (raw bytes shown: they give the
    /// sizes).
    pub fn parse_objdump(text: &str) -> Program {
        let mut program = Program::default();
        for line in text.lines() {
            // `00001622 <slab_alloc>:`
            if let Some((addr, rest)) = line.split_once(" <")
                && let Some(name) = rest.strip_suffix(">:")
                && let Ok(addr) = u32::from_str_radix(addr.trim(), 16)
            {
                program.functions.push((addr, name.to_string()));
                continue;
            }
            // `    1622: b5b0         \tpush\t{r4, r5, r7, lr}`
            let Some((addr, rest)) = line.split_once(':') else {
                continue;
            };
            let Ok(addr) = u32::from_str_radix(addr.trim(), 16) else {
                continue;
            };
            let mut fields = rest.split('\t');
            let raw = fields.next().unwrap_or("");
            let digits = raw.chars().filter(char::is_ascii_hexdigit).count() as u32;
            let Some(mnemonic) = fields.next().map(str::trim).filter(|m| !m.is_empty()) else {
                continue;
            };
            if digits == 0 || mnemonic.starts_with('.') || mnemonic.starts_with('<') {
                continue;
            }
            // `cpsid i`: some mnemonics come with their operand after a
            // space, not a tab.
            let (mnemonic, first) = mnemonic.split_once(' ').unwrap_or((mnemonic, ""));
            let rest = fields.next().unwrap_or("");
            let joined = format!("{first}{rest}");
            let operands = joined.as_str();
            // Drop the `@ imm = …` / `# 0x…` comments.
            let operands = operands
                .split_once(" @ ")
                .or_else(|| operands.split_once(" # "))
                .map_or(operands, |(o, _)| o)
                .trim()
                .to_string();
            program.insns.insert(
                addr,
                Insn {
                    size: digits / 2,
                    mnemonic: mnemonic.to_string(),
                    operands,
                },
            );
        }
        program.functions.sort();
        program
    }

    /// The instruction at `addr`.
    pub fn insn(&self, addr: u32) -> Option<&Insn> {
        self.insns.get(&addr)
    }

    /// The start address of the function `name`.
    pub fn function(&self, name: &str) -> Option<u32> {
        self.functions
            .iter()
            .find(|(_, n)| n == name)
            .map(|&(a, _)| a)
    }

    /// The start of the function that holds `addr`.
    fn function_of(&self, addr: u32) -> Option<u32> {
        let i = self.functions.partition_point(|&(a, _)| a <= addr);
        i.checked_sub(1).map(|i| self.functions[i].0)
    }
}

/// The executed PCs of a QEMU `-d exec,nochain -singlestep` log, in order
/// (lines that are not `Trace` lines are skipped).
pub fn parse_trace(text: &str) -> Vec<u32> {
    text.lines()
        .filter(|l| l.starts_with("Trace "))
        .filter_map(|l| {
            let inside = l.split_once('[')?.1.split_once(']')?.0;
            let pc = inside.split('/').nth(1)?;
            u32::from_str_radix(pc, 16).ok()
        })
        .collect()
}

/// The price of one executed instruction: at least `min` cycles, at most
/// `max` (they differ only for data-dependent instructions).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Cost {
    /// The least it can take.
    pub min: u32,
    /// The most it can take.
    pub max: u32,
}

impl Cost {
    fn fixed(c: u32) -> Cost {
        Cost { min: c, max: c }
    }
}

impl std::ops::AddAssign for Cost {
    fn add_assign(&mut self, o: Cost) {
        self.min += o.min;
        self.max += o.max;
    }
}

/// What an instruction is, as far as timing goes.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Kind {
    /// 1 cycle, writes `dest` (if any).
    Alu,
    /// A data-dependent or multi-cycle arithmetic instruction.
    Arith(u32, u32),
    /// A single load: destination registers, address registers, writeback.
    Load { exclusive: bool, writeback: bool },
    /// A single store; `reg_offset` for `[Rn, Rm]`.
    Store { reg_offset: bool, writeback: bool },
    /// `LDRD`/`STRD`.
    Double,
    /// `LDM`/`STM`/`PUSH`/`POP` of `n` registers, `pc` among them.
    Multiple { n: u32, pc: bool },
    /// A branch that may or may not be taken (conditional).
    CondBranch,
    /// A branch, call or return that is always taken.
    Branch,
    /// `TBB`/`TBH`.
    Table,
    /// `MRS`/`MSR`/`CPS`.
    System,
    /// `ISB`.
    Isb,
    /// A load into the PC (`LDR PC, …`): the load, then the refill.
    LoadPc,
}

/// Registers named in `text` (Arm `r0`–`r12`, `sp`, `lr`, `pc`, `ip`;
/// RISC-V ABI and `x` names).
fn registers(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    for word in text.split(|c: char| !c.is_ascii_alphanumeric()) {
        if word.is_empty() {
            continue;
        }
        let is_reg = matches!(
            word,
            "sp" | "lr" | "pc" | "ip" | "fp" | "ra" | "gp" | "tp" | "zero"
        ) || ["r", "x", "a", "s", "t"].iter().any(|p| {
            word.strip_prefix(p).is_some_and(|n| {
                !n.is_empty() && n.len() <= 2 && n.bytes().all(|b| b.is_ascii_digit())
            })
        });
        if is_reg {
            out.push(word.to_string());
        }
    }
    out
}

/// The register-list length of `{r4, r5, lr}` (ranges `r4-r7` counted).
fn list_len(operands: &str) -> (u32, bool) {
    let Some(list) = operands
        .split_once('{')
        .and_then(|(_, l)| l.split_once('}'))
        .map(|(l, _)| l)
    else {
        return (1, false);
    };
    let mut n = 0;
    let mut pc = false;
    for item in list.split(',').map(str::trim) {
        if item == "pc" {
            pc = true;
        }
        n += match item.split_once('-') {
            Some((a, b)) => {
                let num = |s: &str| s.trim().trim_start_matches('r').parse::<u32>().ok();
                match (num(a), num(b)) {
                    (Some(a), Some(b)) if b >= a => b - a + 1,
                    _ => 1,
                }
            }
            None => 1,
        };
    }
    (n, pc)
}

/// The Arm mnemonic without its width qualifier (`.w`/`.n`).
fn base_mnemonic(m: &str) -> &str {
    m.split('.').next().unwrap_or(m)
}

const CONDITIONS: [&str; 16] = [
    "eq", "ne", "cs", "hs", "cc", "lo", "mi", "pl", "vs", "vc", "hi", "ls", "ge", "lt", "gt", "le",
];

fn arm_kind(core: Core, insn: &Insn) -> Kind {
    let m = base_mnemonic(&insn.mnemonic);
    let ops = insn.operands.as_str();
    let writes_pc = registers(ops.split(',').next().unwrap_or(""))
        .iter()
        .any(|r| r == "pc");
    match m {
        "b" | "bl" | "blx" | "bx" => return Kind::Branch,
        "cbz" | "cbnz" => return Kind::CondBranch,
        "tbb" | "tbh" => return Kind::Table,
        "push" | "pop" | "ldm" | "ldmia" | "ldmdb" | "stm" | "stmia" | "stmdb" => {
            let (n, pc) = list_len(ops);
            return Kind::Multiple { n, pc };
        }
        "ldrd" | "strd" | "ldrexd" | "strexd" => return Kind::Double,
        "mrs" | "msr" | "cpsid" | "cpsie" => return Kind::System,
        "isb" => return Kind::Isb,
        "mul" | "muls" => return Kind::Arith(1, 1),
        "mla" | "mls" => return Kind::Arith(2, 2),
        "umull" | "smull" => return Kind::Arith(3, 5),
        "umlal" | "smlal" => return Kind::Arith(4, 7),
        "udiv" | "sdiv" => {
            let max = if core == Core::CortexM33 { 11 } else { 12 };
            return Kind::Arith(2, max);
        }
        _ => {}
    }
    if m.len() > 1 && m.starts_with('b') && CONDITIONS.contains(&&m[1..]) {
        return Kind::CondBranch;
    }
    // Loads and stores, possibly predicated (`strhi`).
    let strip_cond = |m: &str| -> String {
        for c in CONDITIONS {
            if let Some(s) = m.strip_suffix(c)
                && [
                    "ldr", "str", "ldrb", "strb", "ldrh", "strh", "ldrsb", "ldrsh", "mov", "add",
                    "sub",
                ]
                .contains(&s)
            {
                return s.to_string();
            }
        }
        m.to_string()
    };
    let m = strip_cond(m);
    let writeback = ops.contains('!') || ops.contains("],");
    if m.starts_with("ldrex") || m.starts_with("strex") {
        return Kind::Load {
            exclusive: true,
            writeback: false,
        };
    }
    if m.starts_with("ldr") {
        if writes_pc {
            return Kind::LoadPc;
        }
        return Kind::Load {
            exclusive: false,
            writeback,
        };
    }
    if m.starts_with("str") {
        let inside = ops.split_once('[').map_or("", |(_, r)| r);
        let reg_offset = registers(inside.split_once(']').map_or(inside, |(i, _)| i)).len() > 1;
        return Kind::Store {
            reg_offset,
            writeback,
        };
    }
    if writes_pc {
        return Kind::Branch;
    }
    Kind::Alu
}

/// Registers that form the address of a load or store (those inside `[]`,
/// or the base of `LDM`/`STM`, `sp` for `PUSH`/`POP`).
fn address_registers(insn: &Insn) -> Vec<String> {
    let m = base_mnemonic(&insn.mnemonic);
    if m == "push" || m == "pop" {
        return vec!["sp".into()];
    }
    if let Some((_, rest)) = insn.operands.split_once('[') {
        return registers(rest.split_once(']').map_or(rest, |(i, _)| i));
    }
    if m.starts_with("ldm") || m.starts_with("stm") {
        return registers(insn.operands.split(',').next().unwrap_or(""));
    }
    // RISC-V: `lw a0, 0x4(a1)`.
    if let Some((_, rest)) = insn.operands.split_once('(') {
        return registers(rest.split_once(')').map_or(rest, |(i, _)| i));
    }
    Vec::new()
}

/// Registers an instruction writes (the first operand of data processing
/// and loads; none for compares, stores and branches).
fn written_registers(insn: &Insn) -> Vec<String> {
    let m = base_mnemonic(&insn.mnemonic);
    let no_dest = [
        "cmp", "cmn", "tst", "teq", "str", "strb", "strh", "strd", "push", "stm", "b", "bl", "bx",
        "blx", "cbz", "cbnz", "it", "sw", "sh", "sb", "beq", "bne", "blt", "bge", "bltu", "bgeu",
        "beqz", "bnez", "blez", "bgez", "bltz", "bgtz", "bgt", "ble", "bgtu", "bleu", "j", "jr",
        "ret",
    ];
    if no_dest.contains(&m) || m.starts_with("it") || m.starts_with("stm") {
        return Vec::new();
    }
    if m == "ldrd" || m == "umull" || m == "smull" || m == "umlal" || m == "smlal" {
        return registers(&insn.operands).into_iter().take(2).collect();
    }
    if m == "pop" || m.starts_with("ldm") {
        let list = insn.operands.split_once('{').map_or("", |(_, l)| l);
        return registers(list);
    }
    registers(insn.operands.split(',').next().unwrap_or(""))
        .into_iter()
        .take(1)
        .collect()
}

/// Registers an instruction reads (a rough cut: every register named
/// except the destination of one that writes one).
fn read_registers(insn: &Insn) -> Vec<String> {
    let written = written_registers(insn);
    let all = registers(&insn.operands);
    if written.is_empty() {
        return all;
    }
    // The destination is the first operand; the rest are sources.
    all.into_iter().skip(written.len().min(1)).collect()
}

fn rv_kind(insn: &Insn) -> (Kind, bool) {
    let m = insn.mnemonic.as_str();
    let load = matches!(m, "lw" | "lh" | "lhu" | "lb" | "lbu" | "lr.w") || m.starts_with("lr.w");
    if load {
        return (
            Kind::Load {
                exclusive: false,
                writeback: false,
            },
            true,
        );
    }
    if matches!(
        m,
        "beq"
            | "bne"
            | "blt"
            | "bge"
            | "bltu"
            | "bgeu"
            | "beqz"
            | "bnez"
            | "blez"
            | "bgez"
            | "bltz"
            | "bgtz"
            | "bgt"
            | "ble"
            | "bgtu"
            | "bleu"
    ) {
        return (Kind::CondBranch, false);
    }
    if matches!(m, "j" | "jal" | "jalr" | "jr" | "ret" | "call" | "tail") {
        return (Kind::Branch, false);
    }
    if m.starts_with("div") || m.starts_with("rem") {
        return (Kind::Arith(2, 33), false);
    }
    (Kind::Alu, false)
}

/// Prices every executed instruction of `pcs` on `core`. An address the
/// disassembly does not know costs 1 (and is counted in the second value).
pub fn price(core: Core, program: &Program, pcs: &[u32]) -> (Vec<Cost>, usize) {
    let mut costs = Vec::with_capacity(pcs.len());
    let mut unknown = 0;
    // The previous instruction: a pipelinable single load's destinations,
    // the registers a data-processing instruction wrote, a load's
    // destinations (for the load-use stall).
    let mut prev_load_dest: Option<Vec<String>> = None;
    let mut prev_alu_dest: Vec<String> = Vec::new();
    let mut prev_loaded: Vec<String> = Vec::new();
    for (i, &pc) in pcs.iter().enumerate() {
        let Some(insn) = program.insn(pc) else {
            unknown += 1;
            costs.push(Cost::fixed(1));
            prev_load_dest = None;
            prev_alu_dest.clear();
            prev_loaded.clear();
            continue;
        };
        let next = pcs.get(i + 1).copied();
        let taken = next.is_some_and(|n| n != pc.wrapping_add(insn.size));
        // The refill after a taken branch to `next`.
        let refill = |to: Option<u32>| -> u32 {
            match core {
                Core::CortexM3 => 2,
                Core::CortexM33 => {
                    let wide_unaligned = to
                        .and_then(|t| program.insn(t).map(|n| (t, n.size)))
                        .is_some_and(|(t, s)| s == 4 && t % 4 != 0);
                    1 + u32::from(wide_unaligned)
                }
                Core::Rv32 => 2,
            }
        };
        let reads = read_registers(insn);
        let load_use = !prev_loaded.is_empty() && reads.iter().any(|r| prev_loaded.contains(r));
        let (kind, rv_load) = if core == Core::Rv32 {
            rv_kind(insn)
        } else {
            (arm_kind(core, insn), false)
        };
        let addr_regs = address_registers(insn);
        let addr_stall = u32::from(
            core != Core::Rv32
                && matches!(
                    kind,
                    Kind::Load { .. } | Kind::Store { .. } | Kind::Double | Kind::Multiple { .. }
                )
                && addr_regs.iter().any(|r| prev_alu_dest.contains(r)),
        );
        let m33 = core == Core::CortexM33;
        let mut cost = match kind {
            Kind::Alu => Cost::fixed(1),
            Kind::Arith(min, max) => Cost { min, max },
            Kind::Load { .. } if core == Core::Rv32 => Cost::fixed(1),
            Kind::Load { .. } if m33 => Cost::fixed(1),
            Kind::Load { .. } => {
                let pipelined = prev_load_dest
                    .as_ref()
                    .is_some_and(|d| !addr_regs.iter().any(|r| d.contains(r)));
                Cost::fixed(if pipelined { 1 } else { 2 })
            }
            Kind::Store { reg_offset, .. } => {
                let pipelined = prev_load_dest
                    .as_ref()
                    .is_some_and(|d| !addr_regs.iter().any(|r| d.contains(r)));
                Cost::fixed(if m33 || !reg_offset || pipelined {
                    1
                } else {
                    2
                })
            }
            Kind::Double => Cost::fixed(3),
            Kind::Multiple { n, pc } => Cost::fixed(1 + n + if pc { refill(next) } else { 0 }),
            Kind::CondBranch => Cost::fixed(1 + if taken { refill(next) } else { 0 }),
            Kind::Branch => Cost::fixed(1 + refill(next)),
            Kind::Table => Cost::fixed(3 + refill(next)),
            Kind::System => Cost::fixed(2),
            Kind::Isb => Cost::fixed(1 + refill(next)),
            Kind::LoadPc => Cost::fixed(2 + refill(next)),
        };
        let stall = addr_stall + u32::from((m33 || core == Core::Rv32) && load_use);
        cost.min += stall;
        cost.max += stall;
        costs.push(cost);
        // State for the next instruction.
        prev_load_dest = match kind {
            Kind::Load {
                writeback: false, ..
            } if core == Core::CortexM3 => Some(written_registers(insn)),
            _ => None,
        };
        prev_alu_dest = match kind {
            Kind::Alu | Kind::Arith(..) => written_registers(insn),
            _ => Vec::new(),
        };
        let loads = matches!(kind, Kind::Load { .. } | Kind::Double)
            || (matches!(kind, Kind::Multiple { .. })
                && (base_mnemonic(&insn.mnemonic) == "pop" || insn.mnemonic.starts_with("ldm")));
        prev_loaded = if rv_load || (m33 && loads) {
            written_registers(insn)
        } else {
            Vec::new()
        };
    }
    (costs, unknown)
}

/// The cost of one alloc + free pair, as the trace shows it.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Pair {
    /// Instructions from one call of alloc to the next (the loop's own
    /// instructions included).
    pub instructions: u64,
    /// Their cycles.
    pub cycles: Cost,
    /// The call of alloc: the call instruction, the function and what it
    /// calls, up to the return.
    pub alloc: Cost,
    /// The same for free.
    pub free: Cost,
    /// How many periods the figure is the median of.
    pub periods: usize,
}

/// One period: instructions, cycles, the call of alloc, the call of free.
type Period = (u64, Cost, Cost, Cost);

/// For each loop that calls `alloc` and then `free` (told apart by the
/// function the calls come from, in order of their first call), the
/// median pair: each period runs from one call of `alloc` to the next call
/// of `alloc` from the same function, and counts only if it holds exactly
/// one call of `free`. Each value (instructions, cycles, the calls) is the
/// median over the periods, taken separately.
pub fn pairs(program: &Program, pcs: &[u32], costs: &[Cost], alloc: u32, free: u32) -> Vec<Pair> {
    // (index of the call instruction, caller) for every entry to `alloc`
    // from elsewhere.
    let mut calls: Vec<(usize, u32)> = Vec::new();
    for i in 1..pcs.len() {
        if pcs[i] == alloc
            && let Some(caller) = program.function_of(pcs[i - 1])
            && caller != alloc
        {
            calls.push((i - 1, caller));
        }
    }
    let mut callers: Vec<u32> = Vec::new();
    for &(_, c) in &calls {
        if !callers.contains(&c) {
            callers.push(c);
        }
    }
    // The cost from the call at `at` to the return to the instruction after
    // it (exclusive).
    let call_cost = |at: usize| -> Cost {
        let ret = pcs[at].wrapping_add(program.insn(pcs[at]).map_or(4, |i| i.size));
        let mut c = Cost::default();
        for k in at..pcs.len() {
            if k > at && pcs[k] == ret {
                break;
            }
            c += costs[k];
        }
        c
    };
    let median = |mut v: Vec<u64>| -> u64 {
        v.sort_unstable();
        v.get(v.len() / 2).copied().unwrap_or(0)
    };
    let mut out = Vec::new();
    for caller in callers {
        let starts: Vec<usize> = calls
            .iter()
            .filter(|&&(_, c)| c == caller)
            .map(|&(i, _)| i)
            .collect();
        let mut periods: Vec<Period> = Vec::new();
        for w in starts.windows(2) {
            let (a, b) = (w[0], w[1]);
            let frees: Vec<usize> = (a + 1..b).filter(|&k| pcs[k] == free).collect();
            // An instruction the disassembly does not know (an interrupt
            // into code outside the ELF) spoils the period.
            if frees.len() != 1 || pcs[a..b].iter().any(|&pc| program.insn(pc).is_none()) {
                continue;
            }
            let mut c = Cost::default();
            for cost in &costs[a..b] {
                c += *cost;
            }
            periods.push(((b - a) as u64, c, call_cost(a), call_cost(frees[0] - 1)));
        }
        if periods.is_empty() {
            continue;
        }
        let pick = |f: &dyn Fn(&Period) -> Cost| Cost {
            min: median(periods.iter().map(|p| u64::from(f(p).min)).collect()) as u32,
            max: median(periods.iter().map(|p| u64::from(f(p).max)).collect()) as u32,
        };
        out.push(Pair {
            instructions: median(periods.iter().map(|p| p.0).collect()),
            cycles: pick(&|p| p.1),
            alloc: pick(&|p| p.2),
            free: pick(&|p| p.3),
            periods: periods.len(),
        });
    }
    out
}

// ---------------------------------------------------------------------------
// `cargo xtask bench --only cycles`

/// A firmware to trace: where it is, how it is built and run.
pub struct Machine {
    /// Whose timings price it (one trace can be priced for several).
    pub cores: &'static [Core],
    /// The target it is built for and the QEMU machine it runs on, as the
    /// instruction-count benchmark has them.
    pub bench: &'static BenchTarget,
}

/// The firmware package every machine traces (relative to the workspace),
/// its binary, and the Cargo features that make it run few pairs.
const DIR: &str = "examples/bench-firmware";
const BIN: &str = "slab-bench-firmware";
const FEATURES: &str = "cycles";

/// The Cortex-M3 benchmark firmware (`examples/bench-firmware`).
pub const CORTEX_M3: Machine = Machine {
    cores: &[Core::CortexM3],
    bench: &firmware::CORTEX_M3,
};

/// The benchmark firmware built for the Cortex-M33 (Armv8-M Mainline,
/// QEMU's `mps2-an505`).
pub const CORTEX_M33: Machine = Machine {
    cores: &[Core::CortexM33],
    bench: &firmware::CORTEX_M33,
};

/// The benchmark firmware built for one RISC-V hart (riscv32imac, QEMU's
/// `virt`).
pub const RISCV32: Machine = Machine {
    cores: &[Core::Rv32],
    bench: &firmware::RISCV32,
};

/// The firmware `cargo xtask bench --only cycles` traces.
pub const MACHINES: &[&Machine] = &[&CORTEX_M3, &CORTEX_M33, &RISCV32];

/// The modelled pairs of one contender: the median case and the worst
/// (in the order the firmware runs them), each net of the empty loop's.
pub struct Modelled {
    pub label: String,
    /// (instructions, cycles) per pair net of the empty loop, by case.
    pub net: Vec<(i64, Cost)>,
    /// The calls of alloc and free (median case), not netted.
    pub alloc: Cost,
    pub free: Cost,
    /// The same in the worst case, if the firmware has one.
    pub worst_calls: Option<(Cost, Cost)>,
}

/// Each core's modelled contenders.
pub type ByCore = Vec<(Core, Vec<Modelled>)>;

/// Builds `machine`'s firmware with its trace features (into a target
/// directory of its own), runs it under QEMU with an executed-instruction
/// trace, prices the trace and returns each contender's pairs.
pub fn model(
    machine: &Machine,
    objdump: &std::path::Path,
    contenders: &[(&str, &str)],
    detail: Option<&str>,
) -> Result<(usize, ByCore), String> {
    use std::process::Command;
    let root = crate::workspace_root();
    let target = machine.bench.triple;
    let (qemu_program, qemu_machine) = machine
        .bench
        .qemu
        .ok_or_else(|| format!("{target} is only built, not run"))?;
    let package = std::path::Path::new(DIR)
        .file_name()
        .ok_or("a package directory")?;
    let mut dir_name = package.to_os_string();
    dir_name.push("-cycles");
    let target_dir = root.join("target").join(dir_name);
    let mut cmd = firmware::firmware_build(DIR, &target_dir, target);
    cmd.args(["--features", FEATURES]);
    crate::run(&mut cmd)?;
    let elf = target_dir.join(target).join("release").join(BIN);
    let log = target_dir.join(format!("trace-{target}.log"));
    let mut qemu = Command::new(qemu_program);
    qemu.args(qemu_machine)
        .args([
            "-nographic",
            "-semihosting-config",
            "enable=on,target=native",
        ])
        // `-icount`: the firmware's own SysTick timings stay in range while
        // the log slows the host down.
        .args(["-accel", "tcg", "-icount", "shift=0", "-singlestep"])
        .args(["-d", "exec,nochain", "-D"])
        .arg(&log)
        .arg("-kernel")
        .arg(&elf);
    eprintln!("\n$ {}", crate::show(&qemu));
    let out = qemu
        .output()
        .map_err(|e| format!("{}: {e}", crate::show(&qemu)))?;
    let stdout = String::from_utf8_lossy(&out.stdout);
    if !out.status.success() || !stdout.contains("done") {
        return Err(format!(
            "the traced firmware failed ({}): {stdout}{}",
            out.status,
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    let trace = std::fs::read_to_string(&log).map_err(|e| format!("{}: {e}", log.display()))?;
    let pcs = parse_trace(&trace);
    drop(trace);
    // Hundreds of megabytes: the addresses are all that is kept.
    let _ = std::fs::remove_file(&log);
    let dump = Command::new(objdump)
        .arg("-d")
        .arg(&elf)
        .output()
        .map_err(|e| format!("{}: {e}", objdump.display()))?;
    let program = Program::parse_objdump(&String::from_utf8_lossy(&dump.stdout));
    let mut all = Vec::new();
    for &core in machine.cores {
        all.push((
            core,
            model_core(core, &program, &pcs, &elf, contenders, detail)?,
        ));
    }
    Ok((pcs.len(), all))
}

/// [`model`] for one core.
fn model_core(
    core: Core,
    program: &Program,
    pcs: &[u32],
    elf: &std::path::Path,
    contenders: &[(&str, &str)],
    detail: Option<&str>,
) -> Result<Vec<Modelled>, String> {
    let (costs, unknown) = price(core, program, pcs);
    if unknown > 0 {
        // QEMU's RISC-V `virt` runs a reset vector of its own before the
        // ELF's entry; no pair may hold such an instruction (`pairs`).
        println!(
            "  ({unknown} traced instructions are not in the disassembly of {}: priced 1, in no pair)",
            elf.display()
        );
    }
    let pairs_of = |prefix: &str| -> Result<Vec<Pair>, String> {
        let f = |s: &str| {
            program
                .function(&format!("{prefix}_{s}"))
                .ok_or_else(|| format!("no function {prefix}_{s} in {}", elf.display()))
        };
        Ok(pairs(program, pcs, &costs, f("alloc")?, f("free")?))
    };
    if let Some(prefix) = detail {
        let alloc = program
            .function(&format!("{prefix}_alloc"))
            .ok_or_else(|| format!("no function {prefix}_alloc"))?;
        println!(
            "{prefix}: one pair, priced for the {}\n{}",
            core.name(),
            annotate(program, pcs, &costs, alloc)
        );
    }
    let empty = pairs_of("empty")?;
    let mut out = Vec::new();
    for &(prefix, label) in contenders {
        // A contender the firmware does not build for this target (heapless
        // needs LDREX/STREX) is left out.
        if program.function(&format!("{prefix}_alloc")).is_none() {
            continue;
        }
        let found = pairs_of(prefix)?;
        if found.len() != empty.len() || found.is_empty() {
            return Err(format!(
                "{prefix}: {} loops in the trace, the empty baseline has {}",
                found.len(),
                empty.len()
            ));
        }
        let net = found
            .iter()
            .zip(&empty)
            .map(|(p, e)| {
                (
                    p.instructions as i64 - e.instructions as i64,
                    Cost {
                        min: p.cycles.min - e.cycles.min,
                        max: p.cycles.max - e.cycles.max,
                    },
                )
            })
            .collect();
        out.push(Modelled {
            label: label.to_string(),
            net,
            alloc: found[0].alloc,
            free: found[0].free,
            worst_calls: found.get(1).map(|w| (w.alloc, w.free)),
        });
    }
    Ok(out)
}

impl std::fmt::Display for Cost {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let s = if self.min == self.max {
            self.min.to_string()
        } else {
            format!("{}-{}", self.min, self.max)
        };
        f.pad(&s)
    }
}

/// The first whole period of `alloc`'s first loop, one line per executed
/// instruction with its price (`cargo xtask bench --only cycles --detail
/// PREFIX` prints it).
pub fn annotate(program: &Program, pcs: &[u32], costs: &[Cost], alloc: u32) -> String {
    let starts: Vec<usize> = (1..pcs.len()).filter(|&i| pcs[i] == alloc).collect();
    let mut out = String::new();
    if let [a, b, ..] = starts[..] {
        for k in a - 1..b - 1 {
            let insn = program.insn(pcs[k]);
            out += &format!(
                "  {:>6x}  {:>5}  {} {}\n",
                pcs[k],
                costs[k].to_string(),
                insn.map_or("?", |i| i.mnemonic.as_str()),
                insn.map_or("", |i| i.operands.as_str())
            );
        }
    }
    out
}

/// Prints the modelled figures of `machine`.
pub fn print(machine: &Machine, core: Core, traced: usize, modelled: &[Modelled]) {
    println!(
        "\n## modelled cycles, {} timings (a model: zero wait states; {} traced instructions of {} under {})",
        core.name(),
        traced,
        machine.bench.triple,
        machine.bench.qemu.map_or("", |(program, _)| program)
    );
    println!(
        "  {:<44}  {:>9}  {:>9}  {:>9}  {:>9}  {:>11}  {:>11}  {:>12}  {:>11}",
        "alloc + free pair, net of the empty loop",
        "instr",
        "cycles",
        "instr/w",
        "cycles/w",
        "alloc call",
        "free call",
        "alloc call/w",
        "free call/w"
    );
    for m in modelled {
        let (i, c) = m.net[0];
        let (wi, wc) = m.net.get(1).map_or((0, Cost::default()), |w| *w);
        let (wa, wf) = m
            .worst_calls
            .map_or((String::new(), String::new()), |(a, f)| {
                (a.to_string(), f.to_string())
            });
        println!(
            "  {:<44}  {i:>9}  {c:>9}  {wi:>9}  {wc:>9}  {:>11}  {:>11}  {wa:>12}  {wf:>11}",
            m.label, m.alloc, m.free
        );
    }
    println!(
        "  (instr/w, cycles/w: the worst case; alloc/free call: from the call instruction to the return, not netted; /w: the worst case)"
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A hand-written program: a loop calling `alloc` then `free`, and a
    /// trace of two of its periods, priced by hand.
    const DUMP: &str = "\
00001000 <loop>:
    1000: f000 f810    \tbl\t0x1024 <alloc> @ imm = #0x20
    1004: f000 f816    \tbl\t0x1034 <free> @ imm = #0x2c
    1008: 3c01         \tsubs\tr4, #0x1
    100a: d1f9         \tbne\t0x1000 <loop> @ imm = #-0xe
    100c: bd10         \tpop\t{r4, pc}

00001024 <alloc>:
    1024: f240 0100    \tmovw\tr1, #0x0
    1028: 6808         \tldr\tr0, [r1]
    102a: 6802         \tldr\tr2, [r0]
    102c: 684b         \tldr\tr3, [r1, #0x4]
    102e: 600a         \tstr\tr2, [r1]
    1030: fbb0 f2f3    \tudiv\tr2, r0, r3
    1034: 4770         \tbx\tlr

00001036 <free>:
    1036: e891 000c    \tldm.w\tr1, {r2, r3}
    103a: b10a         \tcbz\tr2, 0x1040 <free+0xa> @ imm = #0x2
    103c: 5c8b         \tldrb\tr3, [r1, r2]
    103e: 4770         \tbx\tlr
";

    fn trace_line(pc: u32, name: &str) -> String {
        format!("Trace 0: 0x7f0000001000 [00800400/{pc:08x}/00000110/ff000201] {name}\n")
    }

    /// Two periods of the loop, then the loop's exit.
    fn trace() -> String {
        let mut t = String::from("Timer with period zero, disabling\n");
        for _ in 0..3 {
            t += &trace_line(0x1000, "loop");
            for pc in [0x1024, 0x1028, 0x102a, 0x102c, 0x102e, 0x1030, 0x1034] {
                t += &trace_line(pc, "alloc");
            }
            t += &trace_line(0x1004, "loop");
            for pc in [0x1036, 0x103a, 0x103c, 0x103e] {
                t += &trace_line(pc, "free");
            }
            t += &trace_line(0x1008, "loop");
            t += &trace_line(0x100a, "loop");
        }
        t += &trace_line(0x100c, "loop");
        t
    }

    #[test]
    fn parses_the_disassembly_and_the_trace() {
        let p = Program::parse_objdump(DUMP);
        assert_eq!(p.function("alloc"), Some(0x1024));
        assert_eq!(p.function("free"), Some(0x1036));
        let ldm = p.insn(0x1036).expect("the ldm");
        assert_eq!((ldm.size, ldm.mnemonic.as_str()), (4, "ldm.w"));
        assert_eq!(ldm.operands, "r1, {r2, r3}");
        assert_eq!(p.insn(0x1000).expect("bl").operands, "0x1024 <alloc>");
        assert_eq!(p.function_of(0x1030), Some(0x1024));
        let pcs = parse_trace(&trace());
        assert_eq!(pcs.len(), 3 * 15 + 1);
        assert_eq!(&pcs[..3], &[0x1000, 0x1024, 0x1028]);
    }

    /// Each instruction of the hand-written trace, priced by hand.
    #[test]
    fn prices_the_cortex_m3_by_the_manual() {
        let p = Program::parse_objdump(DUMP);
        let pcs = parse_trace(&trace());
        let (costs, unknown) = price(Core::CortexM3, &p, &pcs);
        assert_eq!(unknown, 0);
        let by_hand = [
            3, // bl: 1 + P
            1, // movw
            3, // ldr r0, [r1]: 2, + 1 (r1 written by the movw just before)
            2, // ldr r2, [r0]: its address is the previous load's result
            1, // ldr r3, [r1, #4]: pipelined after a load it does not depend on
            1, // str imm
            2, // udiv: at least 2 (12 at most)
            3, // bx lr
            3, // bl
            3, // ldm of 2: 1 + N
            1, // cbz not taken
            2, // ldrb reg offset: not pipelined after an ldm
            3, // bx lr
            1, // subs
            3, // bne taken
        ];
        let got: Vec<u32> = costs[..15].iter().map(|c| c.min).collect();
        assert_eq!(got, by_hand);
        assert_eq!(costs[6].max, 12, "udiv at most 12");
        // The last period's bne is not taken (the loop exits): 1.
        assert_eq!(costs[44].min, 1);
        // pop {r4, pc}: 1 + 2 + P.
        assert_eq!(costs[45].min, 5);
    }

    #[test]
    fn prices_the_cortex_m33_differences() {
        let p = Program::parse_objdump(DUMP);
        let pcs = parse_trace(&trace());
        let (costs, _) = price(Core::CortexM33, &p, &pcs);
        let got: Vec<u32> = costs[..15].iter().map(|c| c.min).collect();
        let by_hand = [
            2, // bl: 1 + P, P = 1 (the target, a 32-bit movw, is at a multiple of 4)
            1, // movw
            2, // ldr r0, [r1]: 1, + 1 (r1 written by the movw just before)
            2, // ldr r2, [r0]: 1, + 1 load-use (r0 loaded just before)
            1, // ldr r3, [r1, #4]
            1, // str r2, [r1]
            2, // udiv: at least 2 (11 at most)
            2, // bx lr: the target is a 32-bit bl at a multiple of 4
            3, // bl: free starts with a 32-bit ldm at 0x1036, not a multiple of 4
            3, // ldm of 2: 1 + N
            2, // cbz not taken: 1, + 1 load-use (r2 from the ldm)
            1, // ldrb
            2, // bx lr
            1, // subs
            2, // bne taken
        ];
        assert_eq!(got, by_hand);
    }

    #[test]
    fn finds_the_pairs_and_their_calls() {
        let p = Program::parse_objdump(DUMP);
        let pcs = parse_trace(&trace());
        let (costs, _) = price(Core::CortexM3, &p, &pcs);
        let alloc = p.function("alloc").expect("alloc");
        let free = p.function("free").expect("free");
        let found = pairs(&p, &pcs, &costs, alloc, free);
        assert_eq!(found.len(), 1, "one loop");
        let pair = found[0];
        // Three calls of alloc: two whole periods.
        assert_eq!(pair.periods, 2);
        assert_eq!(pair.instructions, 15);
        assert_eq!(
            pair.cycles.min,
            3 + 1 + 3 + 2 + 1 + 1 + 2 + 3 + 3 + 3 + 1 + 2 + 3 + 1 + 3
        );
        assert_eq!(pair.cycles.max, pair.cycles.min + 10);
        assert_eq!(pair.alloc.min, 3 + 1 + 3 + 2 + 1 + 1 + 2 + 3);
        assert_eq!(pair.free.min, 3 + 3 + 1 + 2 + 3);
    }

    /// RV32: one cycle each, a load-use stall, taken branches and jumps 3.
    #[test]
    fn prices_rv32_as_a_simple_in_order_core() {
        let p = Program::parse_objdump(
            "00002000 <f>:\n\
             \x20   2000: 03 a5 05 00  \tlw\ta0, 0x0(a1)\n\
             \x20   2004: 13 05 15 00  \taddi\ta0, a0, 0x1\n\
             \x20   2008: 63 04 05 00  \tbeqz\ta0, 0x2010 <f+0x10>\n\
             \x20   200c: 82 80        \tret\n\
             \x20   2010: 33 55 b5 02  \tdivu\ta0, a0, a1\n",
        );
        assert_eq!(p.insn(0x200c).map(|i| i.size), Some(2));
        let (costs, unknown) = price(Core::Rv32, &p, &[0x2000, 0x2004, 0x2008, 0x200c]);
        assert_eq!(unknown, 0);
        let got: Vec<u32> = costs.iter().map(|c| c.min).collect();
        // lw 1; addi 1 + 1 (reads the loaded a0); beqz not taken 1; ret 3.
        assert_eq!(got, [1, 2, 1, 3]);
        let (costs, _) = price(Core::Rv32, &p, &[0x2008, 0x2010]);
        assert_eq!((costs[0].min, costs[1].min, costs[1].max), (3, 2, 33));
    }

    /// `cpsid i` comes with its operand after a space, not a tab.
    #[test]
    fn a_mnemonic_with_its_operand_after_a_space() {
        let p = Program::parse_objdump(
            "00002000 <cs>:\n    2000: b672         \tcpsid i\n    2002: 4770         \tbx\tlr\n",
        );
        let cpsid = p.insn(0x2000).expect("cpsid");
        assert_eq!(
            (cpsid.mnemonic.as_str(), cpsid.operands.as_str()),
            ("cpsid", "i")
        );
        let (costs, _) = price(Core::CortexM3, &p, &[0x2000, 0x2002]);
        assert_eq!(costs[0].min, 2, "CPSID: 1 or 2, priced 2");
        let p = Program::parse_objdump(
            "00003000 <tail>:\n    3000: f8d0 f000    \tldr.w\tpc, [r0]\n    3004: bf00         \tnop\n",
        );
        let (costs, _) = price(Core::CortexM3, &p, &[0x3000, 0x3004]);
        assert_eq!(costs[0].min, 4, "LDR PC: 2 + P");
    }

    #[test]
    fn a_period_without_exactly_one_free_does_not_count() {
        let p = Program::parse_objdump(DUMP);
        // alloc twice in a row (no free between), then a pair.
        let mut t = String::new();
        for _ in 0..2 {
            t += &trace_line(0x1000, "loop");
            for pc in [0x1024, 0x1028, 0x102a, 0x102c, 0x102e, 0x1030, 0x1034] {
                t += &trace_line(pc, "alloc");
            }
        }
        t += &trace_line(0x1000, "loop");
        t += &trace_line(0x1024, "alloc");
        let pcs = parse_trace(&t);
        let (costs, _) = price(Core::CortexM3, &p, &pcs);
        assert!(pairs(&p, &pcs, &costs, 0x1024, 0x1036).is_empty());
        // Nor one that holds an instruction the disassembly does not know.
        let mut pcs = parse_trace(&trace());
        pcs[3] = 0x9000;
        let (costs, unknown) = price(Core::CortexM3, &p, &pcs);
        assert_eq!(unknown, 1);
        let found = pairs(&p, &pcs, &costs, 0x1024, 0x1036);
        assert_eq!(found[0].periods, 1, "only the second period counts");
    }
}
