//! slab inside an embassy application: embassy-executor's thread-mode
//! executor on a Cortex-M under QEMU (`lm3s6965evb`), for
//! thumbv7m-none-eabi and thumbv6m-none-eabi from the same source.
//!
//! Tasks `await` [`MemSlab::alloc_block_async`] / [`MemSlab::alloc_async`]
//! on slabs whose blocks an interrupt handler frees ([`freer`]); blocks
//! travel from the tasks to `main` through an embassy-sync channel, and
//! back to the handler. Checked:
//! - arrival order: six tasks queue one after another on an empty slab,
//!   and one block circulating through the handler serves them in that
//!   order (bare metal: every waiter has priority 0, so API.md's
//!   "priority, then arrival" is arrival);
//! - cancellation while queued: a task in the middle of the queue gives up
//!   when its embassy-time timeout fires (`with_timeout`), and the next two
//!   frees go to the tasks before and after it;
//! - cancellation after a grant: the handler hands a block to a task whose
//!   timer has already expired; `select` (embassy-futures) drops the
//!   allocation holding the block, which passes it on to the next task;
//! - a steady flow: four tasks on a three-block slab, 100 rounds each;
//! - the counters, the registry table before and after, and no block lost.
//!
//! Ends with `embassy: N passed, N failed` and a semihosting exit status
//! (examples/common's report).
//! Build and run: `cargo run --release` here, or `cargo test -p slab-tests
//! --test qemu_embassy` in the workspace.
#![no_std]
#![no_main]

#[macro_use]
extern crate slab_firmware_common;

mod freer;
mod time_driver;

use core::ptr::NonNull;

use embassy_executor::{SpawnError, SpawnToken, Spawner};
use embassy_futures::select::{Either, select};
use embassy_futures::yield_now;
use embassy_sync::blocking_mutex::raw::CriticalSectionRawMutex;
use embassy_sync::channel::Channel;
use embassy_sync::signal::Signal;
use embassy_time::{Duration, Instant, Timer, with_timeout};
use slab_core::{AllocError, Block, MemSlab, mem_slab};
use slab_firmware_common::report;

use freer::{RawBlock, free_from_interrupt};

/// Waited on by the arrival-order and cancellation tasks.
#[mem_slab(blocks = 2, size = 32)]
static POOL: MemSlab;

/// Shared by the tasks of the steady flow.
#[mem_slab(blocks = 3, size = 64)]
static FRAMES: MemSlab;

/// An allocated block on its way to `main`.
enum Got {
    /// From `alloc_block_async`: frees itself if dropped.
    Block(Block<'static>),
    /// From `alloc_async`: freed by whoever ends up with it.
    Raw(RawBlock),
}

impl Got {
    fn ptr(&self) -> NonNull<u8> {
        match self {
            Got::Block(block) => block.as_ptr(),
            Got::Raw(raw) => raw.block,
        }
    }

    fn slab(&self) -> &'static MemSlab {
        match self {
            Got::Block(block) => block.slab(),
            Got::Raw(raw) => raw.slab,
        }
    }

    /// Writes `mark` into the block's first byte.
    fn stamp(&mut self, mark: u8) {
        match self {
            Got::Block(block) => {
                block.as_uninit_mut()[0].write(mark);
            }
            // SAFETY: the block is ours and at least one word long.
            Got::Raw(raw) => unsafe { raw.block.as_ptr().write(mark) },
        }
    }

    /// The block's first byte, written by [`Self::stamp`].
    fn mark(&self) -> u8 {
        // SAFETY: the block is ours, and its first byte was written by
        // `stamp` before the block was sent.
        unsafe { self.ptr().as_ptr().read() }
    }

    /// Gives the block up to the interrupt handler, which frees it.
    fn free_from_interrupt(self) {
        let raw = match self {
            Got::Block(block) => RawBlock {
                slab: block.slab(),
                block: block.into_raw(),
            },
            Got::Raw(raw) => raw,
        };
        // SAFETY: the block is ours (taken out of its `Block`, or never in
        // one) and is not used afterwards.
        unsafe { free_from_interrupt(raw) }
    }
}

/// What a task sends to `main`.
struct Delivery {
    /// Which task.
    task: u8,
    /// What it got.
    got: Result<Got, AllocError>,
}

/// Blocks from the tasks to `main`.
static DELIVERIES: Channel<CriticalSectionRawMutex, Delivery, 4> = Channel::new();

/// How a task with a timer ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Timed {
    /// The timer fired first: the allocation was dropped.
    GaveUp,
    /// The allocation resolved first (with this task, never expected).
    Allocated,
}

/// The result of the task with a timer.
static TIMED: Signal<CriticalSectionRawMutex, Timed> = Signal::new();

/// Which allocation a task awaits.
#[derive(Clone, Copy, Debug)]
enum Kind {
    /// `alloc_block_async`, resolving to a `Block`.
    Block,
    /// `alloc_async`, resolving to a pointer.
    Raw,
}

/// Allocates from `slab` the `kind` way, waiting as long as it takes.
async fn allocate(slab: &'static MemSlab, kind: Kind) -> Result<Got, AllocError> {
    match kind {
        Kind::Block => slab.alloc_block_async().await.map(Got::Block),
        Kind::Raw => {
            let block = slab.alloc_async().await?;
            Ok(Got::Raw(RawBlock { slab, block }))
        }
    }
}

/// Waits for one block of `slab`, stamps it with `task` and sends it to
/// `main`.
#[embassy_executor::task(pool_size = 8)]
async fn waiter(slab: &'static MemSlab, task: u8, kind: Kind) {
    let mut got = allocate(slab, kind).await;
    if let Ok(got) = &mut got {
        got.stamp(task);
    }
    DELIVERIES.send(Delivery { task, got }).await;
}

/// Waits for a block of `POOL` until `deadline`: whichever of the timer and
/// the allocation is ready first wins, the timer looked at first.
#[embassy_executor::task]
async fn timed_waiter(deadline: Instant) {
    match select(Timer::at(deadline), POOL.alloc_block_async()).await {
        Either::First(()) => TIMED.signal(Timed::GaveUp),
        // Never expected; the block (if any) is freed on drop.
        Either::Second(_block) => TIMED.signal(Timed::Allocated),
    }
}

/// Waits for a block of `POOL` for at most `limit`, with
/// `embassy_time::with_timeout`.
#[embassy_executor::task]
async fn timeout_waiter(limit: Duration) {
    match with_timeout(limit, POOL.alloc_block_async()).await {
        Err(_elapsed) => TIMED.signal(Timed::GaveUp),
        // Never expected; the block (if any) is freed on drop.
        Ok(_block) => TIMED.signal(Timed::Allocated),
    }
}

/// Rounds of the steady flow, per task.
const FLOW_ROUNDS: u32 = 100;
/// Tasks of the steady flow: one more than `FRAMES` has blocks.
const FLOW_TASKS: u8 = 4;

/// Allocates from `FRAMES` [`FLOW_ROUNDS`] times, sending each block to
/// `main`.
#[embassy_executor::task(pool_size = 4)]
async fn producer(task: u8, kind: Kind) {
    for _ in 0..FLOW_ROUNDS {
        let mut got = allocate(&FRAMES, kind).await;
        if let Ok(got) = &mut got {
            got.stamp(task);
        }
        DELIVERIES.send(Delivery { task, got }).await;
    }
}

/// Spawns `token`; a full task pool is a failure.
fn spawn<S>(spawner: Spawner, token: Result<SpawnToken<S>, SpawnError>) {
    match token {
        Ok(token) => spawner.spawn(token),
        Err(e) => report::fatal(file!(), line!(), format_args!("spawn: {e:?}")),
    }
}

/// Yields until `n` tasks wait on `slab`: each yield lets the tasks just
/// spawned run their first poll, which queues them.
async fn waiting_for(slab: &MemSlab, n: usize) {
    while slab.num_waiting() < n {
        yield_now().await;
    }
}

/// Takes a free block of `slab` (the future resolves on its first poll).
async fn take(slab: &'static MemSlab) -> Block<'static> {
    match slab.alloc_block_async().await {
        Ok(block) => block,
        Err(e) => report::fatal(file!(), line!(), format_args!("{}: {e:?}", slab.name())),
    }
}

/// Receives a delivery, checks it (a block of `slab`, at a block start,
/// stamped by its task) and returns its task and block.
async fn receive(slab: &MemSlab) -> (u8, Got) {
    let Delivery { task, got } = DELIVERIES.receive().await;
    let got = match got {
        Ok(got) => got,
        Err(e) => report::fatal(file!(), line!(), format_args!("task {task}: {e:?}")),
    };
    let addr = got.ptr().as_ptr() as usize;
    let range = slab.buffer_range();
    check!(
        core::ptr::eq(got.slab(), slab) && range.contains(&addr),
        "task {task}: a block of {}",
        slab.name()
    );
    check_eq!((addr - range.start) % slab.block_size(), 0);
    check_eq!(got.mark(), task);
    (task, got)
}

/// `(num_used, num_free, num_waiting)`.
fn counts(slab: &MemSlab) -> (usize, usize, usize) {
    (slab.num_used(), slab.num_free(), slab.num_waiting())
}

#[embassy_executor::main]
async fn main(spawner: Spawner) {
    let mut core = cortex_m::Peripherals::take().expect("core peripherals");
    report::set_name(&"embassy");

    before_boot().await;
    // First, before any task or interrupt handler can touch a slab.
    slab_core::boot();
    time_driver::start(&mut core.SYST);
    freer::enable();

    hprintln!("embassy: slab on {}", slab_firmware_common::TARGET);
    hprint!("{}", slab_core::registry());
    // A watchdog: a lost wake-up would hang a scenario; fail instead.
    let limit = Duration::from_secs(30);
    if with_timeout(limit, scenarios(spawner)).await.is_err() {
        let secs = limit.as_secs();
        report::fatal(file!(), line!(), format_args!("not done within {secs} s"));
    }
    final_counts();
    hprintln!("embassy: registry at the end");
    hprint!("{}", slab_core::registry());
    report::finish()
}

async fn scenarios(spawner: Spawner) {
    hprintln!("embassy: arrival order");
    arrival_order(spawner).await;
    hprintln!("embassy: cancelled while queued");
    cancelled_while_queued(spawner).await;
    hprintln!("embassy: cancelled after a grant");
    cancelled_after_grant(spawner).await;
    hprintln!("embassy: steady flow");
    steady_flow(spawner).await;
}

/// Before `boot()`, an async allocation resolves at once to `NotReady`.
async fn before_boot() {
    check!(!POOL.is_ready());
    check_eq!(POOL.alloc_async().await, Err(AllocError::NotReady));
    check!(matches!(
        FRAMES.alloc_block_async().await,
        Err(AllocError::NotReady)
    ));
    check_eq!(counts(&POOL), (0, 0, 0));
}

/// Tasks queued one after another are served in that order. One block
/// circulates: the handler frees it to the first task, which sends it
/// here; sent back, it is freed to the next task, and so on, so the order
/// the blocks arrive here is the order the tasks were served.
async fn arrival_order(spawner: Spawner) {
    const TASKS: u8 = 6;
    let [circulating, spare] = [take(&POOL).await, take(&POOL).await];
    check_eq!(
        POOL.alloc(slab_core::Timeout::NoWait),
        Err(AllocError::NoMemory)
    );
    for task in 0..TASKS {
        let kind = if task % 2 == 0 {
            Kind::Block
        } else {
            Kind::Raw
        };
        spawn(spawner, waiter(&POOL, task, kind));
        waiting_for(&POOL, usize::from(task) + 1).await;
    }
    check_eq!(counts(&POOL), (2, 0, usize::from(TASKS)));
    freer::take_log();
    let block = circulating.as_ptr();
    Got::Block(circulating).free_from_interrupt();
    let mut served = [u8::MAX; TASKS as usize];
    for slot in &mut served {
        let (task, got) = receive(&POOL).await;
        *slot = task;
        check_eq!(got.ptr(), block);
        // One task holds the block; the others still wait.
        check_eq!(POOL.num_used(), 2);
        got.free_from_interrupt();
    }
    check_eq!(served, [0, 1, 2, 3, 4, 5]);
    Got::Block(spare).free_from_interrupt();
    let log = freer::take_log();
    check_eq!(log.frees, 2 + u32::from(TASKS));
    check_eq!(log.to_waiters, u32::from(TASKS));
    check_eq!(log.steals_refused, u32::from(TASKS));
    check_eq!(log.errors, 0);
    check_eq!(counts(&POOL), (0, 2, 0));
}

/// A task in the middle of the queue gives up when its timer fires
/// (`with_timeout`); the next frees go to the tasks before and after it,
/// nothing is lost.
async fn cancelled_while_queued(spawner: Spawner) {
    let held = [take(&POOL).await, take(&POOL).await];
    spawn(spawner, waiter(&POOL, 10, Kind::Block));
    waiting_for(&POOL, 1).await;
    // Long enough for the third task to queue behind it first.
    spawn(spawner, timeout_waiter(Duration::from_millis(300)));
    waiting_for(&POOL, 2).await;
    spawn(spawner, waiter(&POOL, 12, Kind::Raw));
    waiting_for(&POOL, 3).await;

    check_eq!(TIMED.wait().await, Timed::GaveUp);
    check_eq!(counts(&POOL), (2, 0, 2));
    freer::take_log();
    for block in held {
        Got::Block(block).free_from_interrupt();
    }
    let mut got = [0; 2];
    for _ in 0..2 {
        let (task, block) = receive(&POOL).await;
        check!(task == 10 || task == 12, "task {task}");
        got[usize::from(task == 12)] = block.ptr().as_ptr() as usize;
        block.free_from_interrupt();
    }
    let log = freer::take_log();
    check_eq!(got[..], log.freed[..2]);
    check_eq!((log.frees, log.to_waiters, log.errors), (4, 2, 0));
    check_eq!(counts(&POOL), (0, 2, 0));
}

/// The handler hands a block to a task whose timer has already expired;
/// when the task runs, `select` finds the timer ready and drops the
/// allocation, which passes the block on to the next task.
async fn cancelled_after_grant(spawner: Spawner) {
    let [first, second] = [take(&POOL).await, take(&POOL).await];
    let deadline = Instant::now() + Duration::from_millis(300);
    spawn(spawner, timed_waiter(deadline));
    waiting_for(&POOL, 1).await;
    spawn(spawner, waiter(&POOL, 21, Kind::Block));
    waiting_for(&POOL, 2).await;

    // Past the deadline without yielding: the timed task cannot run before
    // the grant below, so when it runs both its branches are ready.
    while Instant::now() <= deadline {
        core::hint::spin_loop();
    }
    let passed_on = first.as_ptr();
    freer::take_log();
    Got::Block(first).free_from_interrupt();
    // The block sits in the timed task's allocation; task 21 still waits.
    check_eq!(counts(&POOL), (2, 0, 1));
    check_eq!(freer::take_log().to_waiters, 1);

    check_eq!(TIMED.wait().await, Timed::GaveUp);
    let (task, block) = receive(&POOL).await;
    check_eq!(task, 21);
    check_eq!(block.ptr(), passed_on);
    check_eq!(counts(&POOL), (2, 0, 0));
    block.free_from_interrupt();
    Got::Block(second).free_from_interrupt();
    let log = freer::take_log();
    check_eq!((log.frees, log.to_waiters, log.errors), (2, 0, 0));
    check_eq!(counts(&POOL), (0, 2, 0));
}

/// Four tasks, three blocks: every block sent here goes back to the handler,
/// which frees it to whichever task waits longest.
async fn steady_flow(spawner: Spawner) {
    freer::take_log();
    for task in 0..FLOW_TASKS {
        let kind = if task % 2 == 0 {
            Kind::Raw
        } else {
            Kind::Block
        };
        spawn(spawner, producer(task, kind));
    }
    let mut per_task = [0u32; FLOW_TASKS as usize];
    for _ in 0..u32::from(FLOW_TASKS) * FLOW_ROUNDS {
        let (task, block) = receive(&FRAMES).await;
        if let Some(n) = per_task.get_mut(usize::from(task)) {
            *n += 1;
        }
        block.free_from_interrupt();
    }
    check_eq!(per_task, [FLOW_ROUNDS; FLOW_TASKS as usize]);
    let log = freer::take_log();
    check_eq!(log.frees, u32::from(FLOW_TASKS) * FLOW_ROUNDS);
    check!(
        log.to_waiters > 0,
        "{} hand-offs to a waiting task",
        log.to_waiters
    );
    check_eq!(log.steals_refused, log.to_waiters);
    check_eq!(log.errors, 0);
    check_eq!(counts(&FRAMES), (0, 3, 0));
    check_eq!(FRAMES.max_used(), 3);
    hprintln!(
        "embassy: {} blocks through the channel, {} handed to a waiting task",
        log.frees,
        log.to_waiters
    );
}

/// Every count checks out: nothing is lost, nobody still waits.
fn final_counts() {
    let registry = slab_core::registry();
    check_eq!(registry.len(), 2);
    for (name, max) in [("POOL", 2), ("FRAMES", 3)] {
        let Some(slab) = registry.find(name) else {
            check!(false, "{name} is in the registry");
            continue;
        };
        check_eq!((name, counts(slab)), (name, (0, slab.num_blocks(), 0)));
        check_eq!((name, slab.max_used()), (name, max));
    }
}
