//! slab on two RISC-V harts at once (riscv32imac), under QEMU (`virt -smp
//! 2`, `-bios none`), with riscv-rt, a multi-hart `critical-section`
//! implementation ([`critical_section_impl`]) and semihosting.
//!
//! Hart 1 allocates and frees [`SHARED`]'s blocks with `NoWait`, in its
//! thread and in its machine-timer handler ([`hart1`]); hart 0 waits for
//! them with `Forever` and finite timeouts, and sends every block it gets
//! back to hart 1 through a mailbox. Every change of hands is entered in a
//! [`ledger`]. Checked:
//! - 100 000 hand-offs (a free on hart 1 straight to hart 0's waiting
//!   `alloc`, none stolen) with hart 0 asleep in `wfi` and woken by an IPI
//!   (hart 1 raises hart 0's CLINT `msip`), then 10 000 with hart 0
//!   polling; each part prints what a hand-off cost in `mtime` ticks;
//! - finite waits that ran out while hart 1 freed lasted at least their
//!   timeout; while hart 1 holds every block, finite waits time out;
//! - the critical section excludes the other hart: a read, pause and
//!   write of a shared count under it, from both harts, loses no update;
//! - afterwards every block is accounted for: the slab's counters equal
//!   the ledger's totals, every block is back in the slab once, and the
//!   slab hands out exactly its blocks.
//!
//! Ends with `firmware: N passed, N failed` and a semihosting exit status
//! (examples/common's report).
//! Build and run: `cargo run --release` here (multi-threaded TCG: both
//! harts really run in parallel), or `cargo test -p slab-tests --test
//! qemu_smp` in the workspace, which also runs it under `-icount` (one
//! host thread, a deterministic interleaving).
//!
//! # Why `virt` and not the dual Cortex-M33 `mps2-an521`
//!
//! riscv-rt starts several harts itself (a stack each, `_max_hart_id` and
//! `_hart_stack_size` in `memory.x`, which build.rs appends, the
//! `_mp_hook` below that holds hart 1 until RAM is set up, and
//! `main(hart_id)`), and the CLINT gives each hart
//! a software interrupt that any hart can raise: a second core and an IPI
//! in a few lines, on the RISC-V target the project already runs. On the
//! AN521 the second core stays in reset until the first releases it
//! through the board's system control registers, with its own vector table
//! and security set-up, and cortex-m-rt starts only one core.
//!
//! # How hart 0 sleeps and is woken
//!
//! slab-core's waiter polls its wait-queue node and calls the wait hook
//! between looks ([`wait_hook`]). A free on hart 1 publishes the hand-off
//! in that node but raises no interrupt on hart 0, so after a hand-off
//! hart 1 sends hart 0 an IPI: `fence w,o`, then a write of 1 to hart 0's
//! `msip`. Hart 0's hook masks `mstatus.MIE`, takes the event flag that
//! its software-interrupt and timer handlers set, and only when it was not
//! set runs `wfi`, then restores `MIE`. An IPI that lands before the mask
//! runs the handler, which sets the flag, so the hook does not sleep; one
//! that lands after the mask is pending with `mie.MSIE` set, which ends a
//! `wfi` even with `MIE` clear (the privileged spec), and its handler runs
//! once `MIE` is back. No wake-up is lost. The machine timer (10 kHz on
//! hart 0) ends finite waits. Hart 1, too, sleeps in `wfi` (the same
//! masked pattern) when it has nothing to hand over, and hart 0's hook
//! rings hart 1's `msip` before its own `wfi`, so that hart 1 looks for
//! the waiter at once rather than at its next timer tick.
//!
//! The alternative is polling: no hook work at all (slab-core's look loop
//! with a spin-loop hint), no IPI, hart 0 never sleeps.
//!
//! # Cost
//!
//! Each part prints its cost as `mtime` ticks (10 MHz) per hand-off. With
//! multi-threaded TCG `mtime` follows the host clock, so that is host time:
//! on the 2-core x86-64 host the README's table names, shared with other
//! builds, runs measured 90–150 µs per hand-off woken by IPI (the halted
//! vCPU's host thread has to be woken) and 50–470 µs polling (both vCPUs
//! spin and compete for the host's cores). Under `-icount shift=3` `mtime`
//! is virtual time (8 ns per instruction): 23.6 µs per hand-off woken by
//! IPI, 100 µs polling. With one host thread taking the harts in turn, a
//! polling hart 0 keeps hart 1's thread from running at all between hart
//! 1's timer interrupts, so hart 1's timer handler (which does the same
//! step as the thread) makes those hand-offs, one every other tick of its
//! 20 kHz timer.
#![no_std]
#![no_main]

#[macro_use]
extern crate slab_firmware_common;

#[cfg(feature = "multi-hart-critical-section")]
mod critical_section_impl;
mod hart1;
mod ledger;

use core::cell::Cell;
use core::ptr::NonNull;
use core::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use core::time::Duration;

use critical_section::Mutex;
use riscv::interrupt::Interrupt;
use slab_core::{AllocError, FreeError, MemSlab, Timeout, mem_slab};

use hart1::{Command, MAILBOX};
use ledger::{Context, Holder};
use slab_firmware_common::{clint, report};

/// Blocks in [`SHARED`].
pub const BLOCKS: usize = 4;

/// Freed by hart 1 to hart 0.
#[mem_slab(blocks = 4, size = 32)]
pub static SHARED: MemSlab;

/// Hand-offs with hart 0 asleep in `wfi`, woken by an IPI.
const IPI_HAND_OFFS: u32 = 100_000;
/// Hand-offs with hart 0 polling.
const POLL_HAND_OFFS: u32 = 10_000;

/// Bumped inside critical sections by both harts: read, pause, write.
static TALLY: Mutex<Cell<u32>> = Mutex::new(Cell::new(0));
/// Critical sections hart 0 entered to bump [`TALLY`].
static TALLIED: AtomicU32 = AtomicU32::new(0);

/// One read-pause-write of [`TALLY`] in a critical section, counted in
/// `by`: two harts inside at once would lose updates.
pub fn tally(by: &AtomicU32) {
    critical_section::with(|cs| {
        let tally = TALLY.borrow(cs);
        let seen = tally.get();
        for _ in 0..8 {
            core::hint::spin_loop();
        }
        tally.set(seen + 1);
    });
    by.fetch_add(1, Ordering::Relaxed);
}

// Hart 1 waits in `_mp_hook` (before riscv-rt initialises RAM, so in
// registers only) until hart 0 raises its `msip`, after `.data` and `.bss`
// are set up and `slab_core::boot()` ran; hart 0 goes on to initialise RAM.
// riscv-rt's rules: `.init` section, hart id in a0, the result in a0, s0-s2
// untouched.
core::arch::global_asm!(
    r#".section .init.mp_hook, "ax"
    .global _mp_hook
_mp_hook:
    beqz a0, 2f
    li t0, 8              /* mie.MSIE */
    csrs mie, t0
    li t1, 0x02000000     /* msip of hart 0; hart a0's is 4 * a0 further */
    slli t2, a0, 2
    add t1, t1, t2
1:  wfi
    lw t2, 0(t1)
    beqz t2, 1b
    sw zero, 0(t1)
    csrc mie, t0
    li a0, 0
    ret
2:  li a0, 1
    ret
"#
);

#[riscv_rt::entry]
fn main(hart_id: usize) -> ! {
    if hart_id == 1 {
        hart1::run();
    }
    before_boot();
    slab_core::boot();
    slab_core::set_wait_hook(wait_hook);
    slab_core::set_clock(clint::now, clint::MTIME_HZ);
    start_timer();
    hprintln!(
        "firmware: slab on two harts of {}",
        slab_firmware_common::TARGET
    );
    clint::send_ipi(1);

    let ipi = hand_offs(true, IPI_HAND_OFFS);
    let poll = hand_offs(false, POLL_HAND_OFFS);
    hprintln!(
        "firmware: IPIs sent {}, wfi {}, IPI handled {}",
        hart1::IPIS.load(Ordering::Relaxed),
        SLEPT.load(Ordering::Relaxed),
        IPIS_TAKEN.load(Ordering::Relaxed)
    );
    held_waits_time_out();
    stop_hart1();
    accounted_for(ipi + poll);
    report::finish()
}

/// A declared slab is unusable until `boot()`.
fn before_boot() {
    check!(!SHARED.is_ready());
    check_eq!(SHARED.alloc(Timeout::Forever), Err(AllocError::NotReady));
    check_eq!(
        // SAFETY: rejected before anything is touched (not ready).
        unsafe { SHARED.free(NonNull::dangling()) },
        Err(FreeError::NotReady)
    );
}

/// What one part of [`hand_offs`] measured.
#[derive(Clone, Copy)]
struct Part {
    hand_offs: u32,
    ticks: u64,
    timed_out: u32,
}

/// `limit` in `mtime` ticks, rounded up.
fn ticks(limit: Duration) -> u64 {
    (limit.as_nanos() as u64 * clint::MTIME_HZ).div_ceil(1_000_000_000)
}

/// Hart 0 waits, in turn, `Forever`, 1 s, `Forever` and 30 µs, until hart 1
/// has handed it `target` blocks; `woken_by_ipi` chooses how it waits.
fn hand_offs(woken_by_ipi: bool, target: u32) -> u32 {
    POLL.store(!woken_by_ipi, Ordering::Relaxed);
    hart1::SEND_IPIS.store(u8::from(woken_by_ipi), Ordering::Relaxed);
    let short = Duration::from_micros(30);
    let first = hart1::hand_offs();
    let start = clint::now();
    let (mut timed_out, mut errors, mut early) = (0u32, 0u32, 0u32);
    let mut round = 0u32;
    while hart1::hand_offs() - first < target {
        let timeout = match round % 4 {
            0 | 2 => Timeout::Forever,
            1 => Timeout::millis(1000),
            _ => Timeout::After(short),
        };
        round += 1;
        let from = clint::now();
        match SHARED.alloc(timeout) {
            Ok(block) => {
                ledger::allocated(block, Context::Hart0, Holder::Hart0);
                tally(&TALLIED);
                MAILBOX.push(block);
            }
            Err(AllocError::TimedOut) if timeout == Timeout::After(short) => {
                timed_out += 1;
                early += u32::from(clint::now() - from < ticks(short));
            }
            Err(_) => errors += 1,
        }
    }
    let part = Part {
        hand_offs: hart1::hand_offs() - first,
        ticks: clint::now() - start,
        timed_out,
    };
    let mode = if woken_by_ipi {
        "asleep in wfi, woken by an IPI"
    } else {
        "polling"
    };
    hprintln!(
        "firmware: {} cross-core hand-offs, hart 0 {mode}: {} mtime ticks per hand-off ({} hand-offs per mtime second), {} finite waits timed out",
        part.hand_offs,
        part.ticks / u64::from(part.hand_offs.max(1)),
        u64::from(part.hand_offs) * clint::MTIME_HZ / part.ticks.max(1),
        part.timed_out
    );
    check_eq!(part.hand_offs, target);
    check_eq!(errors, 0);
    check_eq!(early, 0);
    part.hand_offs
}

/// While hart 1 holds every block, finite waits time out after at least
/// their timeout and leave nothing queued.
fn held_waits_time_out() {
    command_hart1(Command::Hold);
    check_eq!(SHARED.num_free(), 0);
    check_eq!(ledger::held_by(Holder::Hart1), BLOCKS);
    for limit in [Duration::from_micros(100), Duration::from_millis(2)] {
        let from = clint::now();
        let got = SHARED.alloc(Timeout::After(limit));
        let waited = clint::now() - from;
        check_eq!(got, Err(AllocError::TimedOut));
        check!(
            waited >= ticks(limit),
            "timed out after {waited} ticks, asked {limit:?}"
        );
        check_eq!(SHARED.num_waiting(), 0);
    }
    check_eq!(SHARED.alloc(Timeout::NoWait), Err(AllocError::NoMemory));
    hart1::COMMAND.store(Command::Run as u8, Ordering::Release);
}

/// Hart 1 frees what it holds and stops.
fn stop_hart1() {
    command_hart1(Command::Stop);
}

/// Gives hart 1 `command` and waits, asleep, until its thread carried it
/// out. Asleep rather than spinning: under `-icount` one host thread runs
/// both harts in turn, and a spinning hart 0 would leave hart 1's thread
/// little time (the machine timer wakes hart 0 every period).
fn command_hart1(command: Command) {
    hart1::COMMAND.store(command as u8, Ordering::Release);
    while hart1::DONE.load(Ordering::Acquire) != command as u8 {
        sleep();
    }
}

/// Every block is accounted for, and the counters agree with the ledger.
fn accounted_for(hand_offs: u32) {
    let count = |counts: &[AtomicU32; 3], context: Context| {
        counts[context as usize].load(Ordering::Acquire)
    };
    let (allocs, frees) = (&ledger::ALLOCS, &ledger::FREES);
    hprintln!(
        "firmware: allocations: hart 0 {}, hart 1 thread {}, hart 1 timer {}; frees: hart 1 thread {}, hart 1 timer {}; hand-offs by hart 1's timer handler {}",
        count(allocs, Context::Hart0),
        count(allocs, Context::Hart1Thread),
        count(allocs, Context::Hart1Timer),
        count(frees, Context::Hart1Thread),
        count(frees, Context::Hart1Timer),
        hart1::HAND_OFFS[Context::Hart1Timer as usize].load(Ordering::Relaxed)
    );
    check_eq!(ledger::ERRORS.load(Ordering::Acquire), 0);
    check_eq!(hart1::ERRORS.load(Ordering::Acquire), 0);
    check_eq!(hart1::STEALS_REFUSED.load(Ordering::Acquire), hand_offs);
    check_eq!(MAILBOX.len(), 0);
    check_eq!(ledger::held_by(Holder::Slab), BLOCKS);
    check_eq!(ledger::outstanding(), SHARED.num_used() as i64);
    check_eq!(ledger::outstanding(), 0);
    check_eq!(count(frees, Context::Hart0), 0);
    check!(count(allocs, Context::Hart0) >= hand_offs);
    check!(
        count(allocs, Context::Hart1Timer) > 0,
        "hart 1's handler allocated"
    );
    check!(
        count(frees, Context::Hart1Timer) > 0,
        "hart 1's handler freed"
    );
    check_eq!(
        (SHARED.num_used(), SHARED.num_free(), SHARED.num_waiting()),
        (0, BLOCKS, 0)
    );
    check_eq!(SHARED.max_used(), BLOCKS);
    let tallied = TALLIED.load(Ordering::Acquire) + hart1::TALLIED.load(Ordering::Acquire);
    let tally = critical_section::with(|cs| TALLY.borrow(cs).get());
    check_eq!(tally, tallied);
    hprintln!(
        "firmware: critical sections bumping one count from both harts: {tally} of {tallied}"
    );

    // The slab hands out exactly its blocks, each once.
    let range = SHARED.buffer_range();
    let mut got = [0usize; BLOCKS];
    for slot in got.iter_mut() {
        let block = SHARED.alloc(Timeout::NoWait).expect("a free block");
        *slot = block.as_ptr() as usize;
        check!(range.contains(slot), "block {slot:#x} in the buffer");
    }
    check_eq!(SHARED.alloc(Timeout::NoWait), Err(AllocError::NoMemory));
    got.sort_unstable();
    check!(
        got.windows(2).all(|w| w[0] != w[1]),
        "distinct blocks {got:x?}"
    );
    for addr in got {
        let block = NonNull::new(addr as *mut u8).expect("non-null");
        // SAFETY: allocated above, not used afterwards.
        check_eq!(unsafe { SHARED.free(block) }, Ok(()));
    }
    check_eq!(SHARED.num_free(), BLOCKS);
}

/// Whether hart 0 polls instead of sleeping.
static POLL: AtomicBool = AtomicBool::new(false);
/// Set by hart 0's handlers as they return; taken by [`wait_hook`].
static EVENT: AtomicBool = AtomicBool::new(false);
/// `wfi`s in the hook; IPIs hart 0 took.
static SLEPT: AtomicU32 = AtomicU32::new(0);
static IPIS_TAKEN: AtomicU32 = AtomicU32::new(0);

/// Hart 0's wait hook (see the crate docs): polling, or `wfi` with
/// interrupts masked unless a handler ran since the last call.
fn wait_hook() {
    if POLL.load(Ordering::Relaxed) {
        core::hint::spin_loop();
        return;
    }
    sleep();
}

/// `wfi` with interrupts masked, unless one of hart 0's handlers ran since
/// the last call; rings hart 1 first, which may be asleep too, so that it
/// looks for a waiter.
fn sleep() {
    if clint::sleep_unless(&EVENT, || clint::send_ipi(1)) {
        SLEPT.fetch_add(1, Ordering::Relaxed);
    }
}

/// Hart 0's machine timer's rate.
const HART0_TIMER_HZ: u64 = 10_000;

/// Starts hart 0's periodic timer and enables its timer and software
/// interrupts.
fn start_timer() {
    clint::set_timer(clint::now() + clint::MTIME_HZ / HART0_TIMER_HZ);
    // SAFETY: slab_core::boot() ran; the handlers only touch atomics and
    // this hart's CLINT registers, or make interrupt-safe slab calls.
    unsafe {
        riscv::interrupt::enable_interrupt(Interrupt::MachineTimer);
        riscv::interrupt::enable_interrupt(Interrupt::MachineSoft);
        riscv::interrupt::enable();
    }
}

/// Both harts' machine timers.
#[riscv_rt::core_interrupt(Interrupt::MachineTimer)]
fn machine_timer() {
    if clint::hart() == 0 {
        clint::set_timer(clint::now() + clint::MTIME_HZ / HART0_TIMER_HZ);
        EVENT.store(true, Ordering::Release);
    } else {
        hart1::tick();
    }
}

/// The IPI (only hart 0 takes it after start-up): cleared first.
#[riscv_rt::core_interrupt(Interrupt::MachineSoft)]
fn machine_soft() {
    clint::clear_ipi();
    if clint::hart() == 0 {
        IPIS_TAKEN.fetch_add(1, Ordering::Relaxed);
        EVENT.store(true, Ordering::Release);
    } else {
        hart1::event();
    }
}

/// Any other interrupt: a failure. (riscv-rt calls its handlers with the
/// C ABI.)
#[unsafe(no_mangle)]
#[allow(non_snake_case)]
extern "C" fn DefaultHandler() {
    report::fatal(file!(), line!(), format_args!("unexpected interrupt"));
}

/// An exception (a fault): a failure, with its cause and address.
#[unsafe(no_mangle)]
#[allow(non_snake_case)]
extern "C" fn ExceptionHandler(_frame: &riscv_rt::TrapFrame) {
    report::fatal(
        file!(),
        line!(),
        format_args!(
            "exception: hart {}, mcause {:#x} at mepc {:#x}, mtval {:#x}",
            clint::hart(),
            riscv::register::mcause::read().bits(),
            riscv::register::mepc::read(),
            riscv::register::mtval::read()
        ),
    );
}
