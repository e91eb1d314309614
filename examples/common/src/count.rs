//! Counting instructions, for the benchmark firmware: a counter read
//! before and after a measured run, calibrated by a run of `nop`s.
//!
//! - Arm (Cortex-M3 on `lm3s6965evb`, Cortex-M33 on `mps2-an505`):
//!   SysTick, free-running over its 24 bits at the core clock. Under QEMU's
//!   `-icount shift=0` virtual time advances by a fixed step per guest
//!   instruction, so its deltas are exact and repeatable, in units of a
//!   fixed number of instructions (the calibration says how many). A delta
//!   is `(start - end) mod 2^24`, right while a run lasts less than 2^24
//!   ticks; [`ticks`] ends the run when one comes within half of that.
//! - RISC-V (`virt`): the `minstret` CSR, instructions retired. QEMU
//!   counts it (and `mcycle`) from its instruction counter when run with
//!   `-icount` (otherwise from the host's clock), exactly: a CSR read ends
//!   its translation block. A delta is `end - start` of its low 32 bits.
//!
//! Either way [`calibrate`] times `NOP_LOOPS` loops of 100 `nop`s and the
//! same loop without them: the difference is `100 × NOP_LOOPS`
//! instructions, in counter ticks.

#[cfg(target_arch = "arm")]
use cortex_m::peripheral::SYST;

/// What the counter counts, for the firmware's output.
#[cfg(target_arch = "arm")]
pub const COUNTER: &str = "SysTick";
/// What the counter counts, for the firmware's output.
#[cfg(target_arch = "riscv32")]
pub const COUNTER: &str = "minstret";

/// The counter's range: deltas are taken modulo `MASK + 1`.
#[cfg(target_arch = "arm")]
pub const MASK: u32 = crate::systick::MASK;
/// The counter's range: deltas are taken modulo `MASK + 1`.
#[cfg(target_arch = "riscv32")]
pub const MASK: u32 = u32::MAX;

/// Calibration: this many loops of 100 `nop`s.
pub const NOP_LOOPS: u32 = 10_000;

/// Starts the counter (on Arm: SysTick, free-running, no interrupt; the
/// benchmarks use SysTick for nothing else).
pub fn start() {
    #[cfg(target_arch = "arm")]
    {
        // SAFETY: the benchmark firmware own the core peripherals and use
        // SysTick only through this module; nothing else touches it.
        let mut core = unsafe { cortex_m::Peripherals::steal() };
        crate::systick::start_free_running(&mut core.SYST);
    }
    // RISC-V: `minstret` counts from reset (`mcountinhibit` is 0).
}

/// The counter now.
#[inline(always)]
pub fn read() -> u32 {
    #[cfg(target_arch = "arm")]
    {
        SYST::get_current()
    }
    #[cfg(target_arch = "riscv32")]
    {
        riscv::register::minstret::read() as u32
    }
}

/// Counter ticks from `start` to `end`, two [`read`]s.
#[inline(always)]
pub fn delta(start: u32, end: u32) -> u32 {
    #[cfg(target_arch = "arm")]
    {
        // Counts down.
        start.wrapping_sub(end) & MASK
    }
    #[cfg(target_arch = "riscv32")]
    {
        end.wrapping_sub(start) & MASK
    }
}

/// Counter ticks taken by `f`; a delta that comes within half of the
/// counter's range ends the run (it may have wrapped).
pub fn ticks(f: impl FnOnce()) -> u32 {
    let start = read();
    f();
    let end = read();
    let delta = delta(start, end);
    if delta > MASK / 2 {
        crate::report::fatal(
            file!(),
            line!(),
            format_args!("a measurement came close to the counter's range ({COUNTER})"),
        );
    }
    delta
}

/// 100 lines of `nop`, written out rather than `.rept 100`: LLVM sizes an
/// `asm!` block by its lines, and a block it thinks short can leave a
/// literal pool out of a load's reach (Armv6-M's is 1 KiB).
macro_rules! nops {
    () => {
        concat!(
            nops!(10),
            "\n",
            nops!(10),
            "\n",
            nops!(10),
            "\n",
            nops!(10),
            "\n",
            nops!(10),
            "\n",
            nops!(10),
            "\n",
            nops!(10),
            "\n",
            nops!(10),
            "\n",
            nops!(10),
            "\n",
            nops!(10)
        )
    };
    (10) => {
        "nop\nnop\nnop\nnop\nnop\nnop\nnop\nnop\nnop\nnop"
    };
}

/// The end of a counted loop that starts at label `2`: `{n} -= 1`, back
/// while it is not 0.
#[cfg(target_arch = "arm")]
macro_rules! count_down {
    () => {
        "subs {n}, #1\nbne 2b"
    };
}
/// The end of a counted loop that starts at label `2`: `{n} -= 1`, back
/// while it is not 0.
#[cfg(target_arch = "riscv32")]
macro_rules! count_down {
    () => {
        "addi {n}, {n}, -1\nbnez {n}, 2b"
    };
}

/// [`NOP_LOOPS`] loops of 100 `nop`s, and the same loop without them: the
/// counter ticks of each.
pub fn calibrate() -> (u32, u32) {
    use core::arch::asm;
    use core::hint::black_box;
    let with_nops = ticks(|| {
        let mut n = NOP_LOOPS;
        // SAFETY: a counted loop of `nop`s; touches only `n` (and the
        // flags).
        unsafe { asm!("2:", nops!(), count_down!(), n = inout(reg) n, options(nomem, nostack)) };
        black_box(n);
    });
    let empty = ticks(|| {
        let mut n = NOP_LOOPS;
        // SAFETY: the same loop without the `nop`s.
        unsafe { asm!("2:", count_down!(), n = inout(reg) n, options(nomem, nostack)) };
        black_box(n);
    });
    (with_nops, empty)
}
