//! Bare metal: no scheduler, one thread of execution plus interrupt
//! handlers.
//!
//! A thread-mode caller that has to wait (`alloc` or `take` with a timeout
//! other than `NoWait`, nothing available) links its waiter node into the
//! object's queue and then loops: look at its status; if still waiting, look
//! at the deadline; then call the **wait hook**; repeat. An interrupt
//! handler's `free`/`give` hands the block or permit to the node and
//! publishes its status, and the next look sees it. Nothing is signalled:
//! the waiter polls.
//!
//! # The wait hook and lost wake-ups
//!
//! The hook ([`set_wait_hook`]) runs outside any critical section, right
//! after the waiter saw itself still waiting. An interrupt can therefore
//! free the block *between that look and the hook*. The hook must not then
//! sleep until some later, unrelated interrupt. Its contract: **return no
//! later than the first exception return after it was called**, or sooner.
//!
//! - **`WFE` (`cortex_m::asm::wfe`) — the recommended hook on Cortex-M.** The
//!   Armv6-M and Armv7-M architecture manuals state that the Event Register
//!   is set by any WFE wake-up event *or the execution of an exception
//!   return*. A handler that frees in the window above returns, which sets
//!   the Event Register, so the `WFE` that follows clears it and completes
//!   at once; a handler that frees while the core sleeps wakes it (an
//!   interrupt that preempts is a WFE wake-up event). No wake-up is lost and
//!   the core sleeps in between. `WFE` may complete early for other reasons
//!   (it is a hint), which only costs one more look.
//! - **`WFI` is not safe on its own**: if the handler ran in the window, the
//!   `WFI` sleeps until the *next* interrupt. It is acceptable only when a
//!   periodic interrupt (e.g. a SysTick at 1 kHz) bounds that delay, and the
//!   delay is then up to one period. The same holds for RISC-V `wfi`.
//! - **No hook (the default)**: a busy loop with a spin-loop hint. Always
//!   correct, never sleeps.
//!
//! Multi-core parts: a `free` on another core raises no exception on the
//! waiting core. Keep the default busy loop there, or have the freeing core
//! execute `SEV` after its `free`.
//!
//! # Clocks and finite timeouts
//!
//! Finite timeouts are measured with the clock the application registers
//! with [`set_clock`]: a function returning a monotonic tick count and the
//! tick rate. The deadline is computed when the wait starts, rounded up to
//! whole ticks plus one (the current tick may be almost over), so a wait
//! that times out has lasted at least the timeout as that clock measures it.
//! The deadline is only looked at when the hook returns: with a sleeping
//! hook (`WFE`), the clock itself must raise interrupts (a SysTick handler
//! that advances the count does), or a timeout can overrun until the next
//! interrupt. Without a clock, `NoWait` and `Forever` work and a finite
//! timeout that has to wait panics with a message naming [`set_clock`].
//!
//! A clock that is registered but never advances (its timer, or the
//! timer's interrupt, never started) would make a finite wait last forever.
//! Debug builds report it: a finite wait that reads the same tick
//! `max(2^20, 10^9 / ticks_per_second)` times in a row panics, naming the
//! fix. The bound assumes a billion looks a second, which no core reaches
//! (each look calls the clock), so a running clock, however slow, advances
//! well within it, and a long timeout on a running clock never trips it.
//! And until a finite wait has seen the clock advance (once since
//! [`set_clock`]), debug builds look without calling the wait hook: a
//! sleeping hook (`WFE`) would otherwise sleep forever when the stopped
//! clock was the only interrupt to come, and never get to count. Once the
//! clock has been seen running, its interrupt wakes a sleeping hook every
//! tick, so the tick advances between looks. Release builds do neither.
//! The clock is only read once the waiter is queued: an `alloc` or `take`
//! that finds a block or permit at its second look (one freed by an
//! interrupt handler just after the first) never needs it.
//!
//! A hook or clock that panics: the waiter is withdrawn from the queue while
//! the panic unwinds out of `alloc`/`take`, as a timeout would be, and a
//! block or permit handed to it meanwhile is passed on to the next waiter
//! (or back to the slab or the count). Nothing keeps pointing into the
//! unwound frame, and nothing is lost.
//!
//! # Rules
//!
//! - Only thread mode may wait. An interrupt handler uses `alloc(NoWait)` /
//!   `take(NoWait)`: waiting in a handler spins forever if the handler that
//!   would free cannot preempt it.
//! - Never wait inside a critical section: the handlers that free are masked.
//! - All bare-metal waiters have the same priority: waiters are served
//!   first come, first served.
//!
//! # Cost
//!
//! A wait takes one critical section to read the hook and, for a finite
//! timeout, one to read the clock, then one atomic load and one clock read
//! per look. No CAS is used anywhere (thumbv6m has none).

use core::cell::Cell;
use core::sync::atomic::{AtomicBool, AtomicU8, Ordering};
use core::time::Duration;

use critical_section::Mutex;

/// A monotonic clock: a function returning ticks, and its tick rate.
#[derive(Clone, Copy, Debug)]
struct Clock {
    now: Now,
    ticks_per_second: u64,
}

/// The function a [`Clock`] reads: registered from Rust, or from C
/// (`k_mem_slab_set_clock`). A wait keeps the function it started with.
#[derive(Clone, Copy, Debug)]
enum Now {
    Rust(fn() -> u64),
    #[cfg(feature = "capi")]
    C(unsafe extern "C" fn() -> u64),
}

impl Clock {
    fn now(&self) -> u64 {
        match self.now {
            Now::Rust(now) => now(),
            // SAFETY: registered by `set_c_clock`, whose caller promised a
            // function that may be called from thread mode, outside any
            // critical section, for the rest of the program.
            #[cfg(feature = "capi")]
            Now::C(now) => unsafe { now() },
        }
    }
}

/// A value the application registers at start-up; read under a critical
/// section (plain loads and stores: no CAS is needed, so thumbv6m works).
struct Setting<T>(Mutex<Cell<Option<T>>>);

impl<T: Copy> Setting<T> {
    const fn unset() -> Self {
        Self(Mutex::new(Cell::new(None)))
    }

    fn get(&self) -> Option<T> {
        critical_section::with(|cs| self.0.borrow(cs).get())
    }

    fn set(&self, value: T) {
        critical_section::with(|cs| self.0.borrow(cs).set(Some(value)));
    }
}

static CLOCK: Setting<Clock> = Setting::unset();
static WAIT_HOOK: Setting<fn()> = Setting::unset();
/// Whether a finite wait has seen the registered clock advance (reset by
/// [`set_clock`]). Until then debug builds look without calling the wait
/// hook: a hook that sleeps would sleep forever on a clock whose interrupt
/// never comes, instead of reporting it.
#[cfg(not(test))]
static CLOCK_SEEN_RUNNING: AtomicBool = AtomicBool::new(false);

// The unit tests give each test thread a clock of its own (the registered
// `now` reads a thread-local tick), so whether it was seen running is per
// thread too: a test whose clock runs must not let another's stopped clock
// sleep in the hook.
#[cfg(test)]
extern crate std;
#[cfg(test)]
std::thread_local! {
    static CLOCK_SEEN_RUNNING_HERE: AtomicBool = const { AtomicBool::new(false) };
}

/// Whether a finite wait has seen the registered clock advance.
fn clock_seen_running() -> bool {
    #[cfg(not(test))]
    return CLOCK_SEEN_RUNNING.load(Ordering::Relaxed);
    #[cfg(test)]
    return CLOCK_SEEN_RUNNING_HERE.with(|seen| seen.load(Ordering::Relaxed));
}

/// Records whether the registered clock has been seen advancing.
fn set_clock_seen_running(seen: bool) {
    #[cfg(not(test))]
    CLOCK_SEEN_RUNNING.store(seen, Ordering::Relaxed);
    #[cfg(test)]
    CLOCK_SEEN_RUNNING_HERE.with(|flag| flag.store(seen, Ordering::Relaxed));
}

/// Registers the monotonic clock that finite timeouts are measured with
/// (bare metal only; with `std` the host clock is used).
///
/// `now()` returns a tick count that never goes backwards and does not wrap
/// in the device's lifetime: count a 24-bit SysTick's wraps, or a 1 kHz
/// tick, in a `u64` in its interrupt handler. `ticks_per_second` is its
/// rate. `now` is called from thread mode, outside any critical section;
/// it may take one itself (a `u64` cannot be read atomically on 32-bit
/// cores). With the `track` feature every allocation also calls it, to
/// stamp the block, in whatever context allocates: interrupt handlers and
/// critical sections included, so it must be interrupt-safe and short. Call it at start-up; a later call replaces the clock for waits
/// that start afterwards.
///
/// When the wait hook sleeps (see [`set_wait_hook`]), the clock must advance
/// by interrupt, or a timeout is only noticed at the next interrupt.
///
/// Without a clock, `Timeout::NoWait` and `Timeout::Forever` work; a finite
/// timeout that has to wait panics with a message naming this function.
///
/// **Start the clock**: a finite timeout ends only when `now()` has moved
/// past its deadline, so the timer behind it, and the timer's interrupt,
/// must run before a finite wait. In a debug build a finite wait on a clock
/// that does not advance panics, naming this fix, after
/// `max(2^20, 10^9 / ticks_per_second)` looks in a row at the same tick
/// (a bound that a running clock, however slow, never reaches), and it does
/// not sleep in the wait hook until it has seen the clock advance once.
///
/// # Panics
/// If `ticks_per_second` is 0.
///
/// ```no_run
/// use core::cell::Cell;
/// use critical_section::Mutex;
///
/// // Advanced by a 1 kHz timer interrupt: `critical_section::with(|cs| {
/// //     let t = TICKS.borrow(cs); t.set(t.get() + 1) })`.
/// static TICKS: Mutex<Cell<u64>> = Mutex::new(Cell::new(0));
///
/// fn now() -> u64 {
///     critical_section::with(|cs| TICKS.borrow(cs).get())
/// }
///
/// slab_core::set_clock(now, 1_000);
/// ```
pub fn set_clock(now: fn() -> u64, ticks_per_second: u64) {
    assert!(
        ticks_per_second > 0,
        "slab_core::set_clock: ticks_per_second must be > 0"
    );
    CLOCK.set(Clock {
        now: Now::Rust(now),
        ticks_per_second,
    });
    set_clock_seen_running(false);
}

/// [`set_clock`] for a C function (`k_mem_slab_set_clock`), with a rate
/// above 0: the function and its rate are registered together.
///
/// # Safety
/// `now` may be called from thread mode, outside any critical section, for
/// the rest of the program.
#[cfg(feature = "capi")]
pub(crate) unsafe fn set_c_clock(now: unsafe extern "C" fn() -> u64, ticks_per_second: u64) {
    CLOCK.set(Clock {
        now: Now::C(now),
        ticks_per_second,
    });
    set_clock_seen_running(false);
}

/// Registers what a waiting thread-mode caller does between looks at
/// whether a block (or permit) was handed to it (bare metal only).
///
/// The hook is called outside any critical section and must return no later
/// than the first exception return after it was called (see
/// [the crate docs](crate#bare-metal)). On Cortex-M use
/// `cortex_m::asm::wfe`: an interrupt handler that frees ends with an
/// exception return, which sets the Event Register, so no wake-up is lost
/// and the core sleeps while it waits. `WFI` loses a wake-up that lands
/// between the look and the `WFI`, and is only acceptable with a periodic
/// interrupt bounding the delay. Without a hook, waiting is a busy loop.
///
/// ```no_run
/// # fn wfe() {}
/// slab_core::set_wait_hook(wfe); // cortex_m::asm::wfe
/// ```
pub fn set_wait_hook(hook: fn()) {
    WAIT_HOOK.set(hook);
}

/// Whether a clock is registered (one is never unregistered): the C ABI
/// returns `-ENOTSUP` where a finite timeout would panic without one.
#[cfg(feature = "capi")]
pub(crate) fn has_clock() -> bool {
    CLOCK.get().is_some()
}

/// The tracking clock: the registered clock's tick, 0 without one.
#[cfg(feature = "track")]
pub(crate) fn ticks() -> u64 {
    CLOCK.get().map_or(0, |clock| clock.now())
}

/// Bare-metal callers all wait at the same priority.
pub(crate) fn current_priority() -> i32 {
    0
}

/// How to wake a waiter. A polling thread-mode waiter needs no signal; an
/// async waiter's task is woken through its waker, by whoever frees (an
/// interrupt handler, say), outside the critical section.
#[derive(Default)]
pub(crate) enum Wake {
    #[default]
    Nobody,
    Waker(core::task::Waker),
}

impl Wake {
    pub fn wake(self) {
        if let Wake::Waker(w) = self {
            w.wake();
        }
    }

    /// Whether this wakes the same task as `waker` (no user code runs).
    pub fn will_wake(&self, waker: &core::task::Waker) -> bool {
        matches!(self, Wake::Waker(w) if w.will_wake(waker))
    }
}

pub(crate) fn current_wake() -> Wake {
    Wake::Nobody
}

/// When a wait gives up, in clock ticks; `None` is never.
pub(crate) struct Deadline(Option<Finite>);

/// A finite wait's deadline on its clock.
#[derive(Clone, Copy)]
struct Finite {
    clock: Clock,
    /// The tick when the wait started.
    start: u64,
    /// The first tick at which it has lasted long enough.
    at: u64,
}

impl Deadline {
    pub fn after(limit: Option<Duration>) -> Self {
        let Some(limit) = limit else {
            return Deadline(None);
        };
        let clock = CLOCK.get().expect(
            "slab_core: a finite timeout needs a clock: call slab_core::set_clock at start-up",
        );
        let ticks = ticks_at_least(limit, clock.ticks_per_second);
        let start = clock.now();
        // One more tick: the current tick may be almost over.
        let at = start.saturating_add(ticks).saturating_add(1);
        Deadline(Some(Finite { clock, start, at }))
    }
}

/// `limit` in ticks, rounded up so that a wait is never shorter than asked;
/// saturates (an absurdly long timeout is forever).
fn ticks_at_least(limit: Duration, ticks_per_second: u64) -> u64 {
    const NANOS: u64 = 1_000_000_000;
    let whole = limit.as_secs().saturating_mul(ticks_per_second);
    // nanos × rate / 10^9 without a u128 (costly on a Cortex-M0): split the
    // rate into whole gigaticks and the rest; both products fit in a u64
    // because nanos < 10^9, and the sum is at most the rate.
    let nanos = u64::from(limit.subsec_nanos());
    let (giga, rest) = (ticks_per_second / NANOS, ticks_per_second % NANOS);
    let part = nanos * giga + (nanos * rest).div_ceil(NANOS);
    whole.saturating_add(part)
}

/// How many looks in a row may read one tick of a finite wait's clock
/// before a debug build reports the clock as stopped. Generous: it assumes
/// a billion looks a second (no core looks that fast: each look reads the
/// clock), so a running clock, however slow, ticks well within it; never
/// fewer than 2^20 (for clocks that count faster than they advance).
fn looks_per_tick_at_most(ticks_per_second: u64) -> u32 {
    let looks = 1_000_000_000 / ticks_per_second;
    u32::try_from(looks).unwrap_or(u32::MAX).max(1 << 20)
}

/// Debug builds: a finite wait's watch on its clock, which must advance.
struct StoppedClockCheck {
    tick: u64,
    same: u32,
    limit: u32,
}

impl StoppedClockCheck {
    fn new(finite: &Finite) -> Self {
        Self {
            tick: finite.start,
            same: 0,
            limit: looks_per_tick_at_most(finite.clock.ticks_per_second),
        }
    }

    /// Notes a look at the clock; whether it has been seen advancing.
    ///
    /// # Panics
    /// When it read the same tick [`looks_per_tick_at_most`] times in a row.
    fn look(&mut self, now: u64) -> bool {
        if now != self.tick {
            self.tick = now;
            self.same = 0;
            set_clock_seen_running(true);
            return true;
        }
        self.same += 1;
        assert!(
            self.same < self.limit,
            "slab_core: a finite timeout is waiting on a clock that does not advance: the \
             `now` registered with slab_core::set_clock read tick {} at {} looks in a row. Start \
             the timer that advances it, and enable its interrupt, before a wait with a \
             finite timeout (or wait with Timeout::Forever). This check runs in debug builds.",
            self.tick,
            self.same,
        );
        clock_seen_running()
    }
}

/// Waits until the status changes or the deadline; `false` once the
/// deadline has passed.
///
/// Debug builds watch a finite wait's clock: one that reads the same tick
/// for [`looks_per_tick_at_most`] looks in a row panics, naming the fix,
/// instead of waiting forever; and until the clock has been seen advancing
/// (once since [`set_clock`]) they look without calling the wait hook, which
/// would otherwise sleep (`WFE`) until an interrupt that a stopped clock
/// never raises. A running clock advances within that many looks: a busy
/// look takes far more than a nanosecond, and a sleeping hook is woken by
/// the clock's own interrupt every tick.
pub(crate) fn park(status: &AtomicU8, waiting: u8, deadline: &Deadline) -> bool {
    let hook = WAIT_HOOK.get();
    let mut check = match &deadline.0 {
        Some(finite) if cfg!(debug_assertions) => Some(StoppedClockCheck::new(finite)),
        _ => None,
    };
    while status.load(Ordering::Acquire) == waiting {
        let mut may_sleep = true;
        if let Some(finite) = &deadline.0 {
            let now = finite.clock.now();
            if now >= finite.at {
                return false;
            }
            if let Some(check) = &mut check {
                may_sleep = check.look(now);
            }
        }
        // A handler may free right here, before the hook runs: the hook's
        // contract (return by the next exception return) covers it.
        match hook {
            Some(hook) if may_sleep => hook(),
            _ => core::hint::spin_loop(),
        }
    }
    true
}

#[cfg(test)]
mod tests {
    use super::{looks_per_tick_at_most, ticks_at_least};
    use core::time::Duration;

    use crate::{AllocError, SemError, Semaphore, Timeout};

    extern crate std;
    use std::boxed::Box;
    use std::cell::{Cell, RefCell};
    use std::panic::{AssertUnwindSafe, catch_unwind};

    /// What the test clock does before it answers, given its read count.
    type OnClock = Option<Box<dyn FnMut(u32)>>;

    // The hook and the clock are process-wide, and the tests of this binary
    // run on several threads: what each test makes them do is per thread.
    // Threads that set nothing get a busy loop and a ticking clock.
    std::thread_local! {
        /// Run by the wait hook: stands for an interrupt handler, or fails.
        static ON_WAIT: RefCell<Option<Box<dyn FnMut()>>> = RefCell::new(None);
        /// Run by the clock before it answers: fails, to stand for a broken
        /// clock.
        static ON_CLOCK: RefCell<OnClock> = RefCell::new(None);
        /// How often this thread read the clock.
        static CLOCK_READS: Cell<u32> = const { Cell::new(0) };
        /// How many reads of the clock make one tick on this thread; 0
        /// stops it.
        static READS_PER_TICK: Cell<u32> = const { Cell::new(1) };
    }

    fn hook() {
        ON_WAIT.with(|f| match &mut *f.borrow_mut() {
            Some(f) => f(),
            None => core::hint::spin_loop(),
        });
    }

    fn now() -> u64 {
        let reads = CLOCK_READS.with(|r| {
            r.set(r.get() + 1);
            r.get()
        });
        ON_CLOCK.with(|f| {
            if let Some(f) = &mut *f.borrow_mut() {
                f(reads)
            }
        });
        match READS_PER_TICK.with(Cell::get) {
            0 => 7,
            per_tick => u64::from(reads / per_tick),
        }
    }

    /// Registers the test hook and clock (the same ones for every test) and
    /// sets what they do on this thread.
    fn on_this_thread(on_wait: Option<Box<dyn FnMut()>>, on_clock: OnClock) {
        super::set_wait_hook(hook);
        super::set_clock(now, 1_000);
        ON_WAIT.with(|f| *f.borrow_mut() = on_wait);
        ON_CLOCK.with(|f| *f.borrow_mut() = on_clock);
        CLOCK_READS.with(|r| r.set(0));
        READS_PER_TICK.with(|r| r.set(1));
    }

    #[test]
    fn a_panicking_wait_hook_leaves_no_waiter_behind() {
        on_this_thread(Some(Box::new(|| panic!("the wait hook failed"))), None);
        let s = crate::tests::slab(crate::layout::WORD, 1);
        let held = s.alloc(Timeout::NoWait).unwrap();
        let unwound = catch_unwind(AssertUnwindSafe(|| s.alloc(Timeout::Forever)));
        on_this_thread(None, None);
        assert!(unwound.is_err());
        assert_eq!(s.num_waiting(), 0, "the dead frame's waiter was withdrawn");
        // SAFETY: ours. With the waiter gone it goes back to the free list.
        unsafe { s.free(held) }.unwrap();
        assert_eq!((s.num_used(), s.num_free()), (0, 1));
        assert_eq!(s.alloc(Timeout::NoWait), Ok(held));
    }

    #[test]
    fn a_panicking_clock_leaves_no_waiter_behind() {
        // The first read may be taken before the waiter is queued; fail on
        // the first read made while it waits.
        on_this_thread(
            None,
            Some(Box::new(|reads| {
                if reads >= 2 {
                    panic!("the clock failed")
                }
            })),
        );
        let s = crate::tests::slab(crate::layout::WORD, 1);
        let held = s.alloc(Timeout::NoWait).unwrap();
        let unwound = catch_unwind(AssertUnwindSafe(|| s.alloc(Timeout::millis(50))));
        on_this_thread(None, None);
        assert!(unwound.is_err());
        assert_eq!(s.num_waiting(), 0, "the dead frame's waiter was withdrawn");
        // SAFETY: ours.
        unsafe { s.free(held) }.unwrap();
        assert_eq!((s.num_used(), s.num_free()), (0, 1));
    }

    #[test]
    fn a_grant_that_arrived_before_the_hook_panicked_is_passed_on() {
        let s = crate::tests::slab(crate::layout::WORD, 1);
        let held = s.alloc(Timeout::NoWait).unwrap();
        // The "interrupt handler" frees the block to the waiter, then the
        // hook fails before the waiter looks again.
        let mut freed = false;
        on_this_thread(
            Some(Box::new(move || {
                if !freed {
                    freed = true;
                    // SAFETY: `held` is given up here, once.
                    unsafe { s.free(held) }.unwrap();
                }
                panic!("the wait hook failed after a free");
            })),
            None,
        );
        let unwound = catch_unwind(AssertUnwindSafe(|| s.alloc(Timeout::Forever)));
        on_this_thread(None, None);
        assert!(unwound.is_err());
        assert_eq!(s.num_waiting(), 0);
        assert_eq!(
            (s.num_used(), s.num_free()),
            (0, 1),
            "the grant was not lost"
        );
        assert_eq!(s.alloc(Timeout::NoWait), Ok(held));
    }

    #[test]
    fn a_panicking_wait_hook_leaves_no_semaphore_waiter_behind() {
        on_this_thread(Some(Box::new(|| panic!("the wait hook failed"))), None);
        let sem = Semaphore::new(0, 1);
        let unwound = catch_unwind(AssertUnwindSafe(|| sem.take(Timeout::Forever)));
        on_this_thread(None, None);
        assert!(unwound.is_err());
        assert_eq!(sem.num_waiting(), 0);
        sem.give();
        assert_eq!(sem.count(), 1, "the give was not handed to a dead frame");
        assert_eq!(sem.take(Timeout::NoWait), Ok(()));
        assert_eq!(sem.take(Timeout::NoWait), Err(SemError::Busy));
    }

    /// A permit given to the waiter (by an "interrupt handler" in the hook)
    /// just before the hook fails is given on, not lost with the frame.
    #[test]
    fn a_permit_that_arrived_before_the_hook_panicked_is_given_on() {
        let sem: &'static Semaphore = Box::leak(Box::new(Semaphore::new(0, 1)));
        let mut given = false;
        on_this_thread(
            Some(Box::new(move || {
                if !given {
                    given = true;
                    sem.give();
                }
                panic!("the wait hook failed after a give");
            })),
            None,
        );
        let unwound = catch_unwind(AssertUnwindSafe(|| sem.take(Timeout::Forever)));
        on_this_thread(None, None);
        assert!(unwound.is_err());
        assert_eq!(sem.num_waiting(), 0);
        assert_eq!(sem.count(), 1, "the permit was not lost");
    }

    /// A grant passed on by an unwinding wait goes to the next waiter in
    /// line (here an async allocation queued behind it), not to the free
    /// list past it.
    #[test]
    fn a_grant_passed_on_by_an_unwinding_wait_goes_to_the_next_waiter() {
        use core::future::Future;
        use core::task::{Context, Poll, Waker};

        let s = crate::tests::slab(crate::layout::WORD, 1);
        let held = s.alloc(Timeout::NoWait).unwrap();
        let behind: &'static mut _ = Box::leak(Box::new(Box::pin(s.alloc_async())));
        let behind_ptr: *mut core::pin::Pin<Box<crate::AllocFuture<'static>>> = behind;
        let mut step = 0;
        on_this_thread(
            Some(Box::new(move || {
                step += 1;
                if step == 1 {
                    // SAFETY: only this hook touches the future until the
                    // test reads it after the wait unwound.
                    let fut = unsafe { &mut *behind_ptr };
                    let polled = fut.as_mut().poll(&mut Context::from_waker(Waker::noop()));
                    assert!(polled.is_pending(), "queued behind the blocking waiter");
                    // SAFETY: `held` is given up here, once: to the first waiter.
                    unsafe { s.free(held) }.unwrap();
                    panic!("the wait hook failed after a free");
                }
            })),
            None,
        );
        let unwound = catch_unwind(AssertUnwindSafe(|| s.alloc(Timeout::Forever)));
        on_this_thread(None, None);
        assert!(unwound.is_err());
        // SAFETY: the hook is done with the future.
        let fut = unsafe { &mut *behind_ptr };
        let polled = fut.as_mut().poll(&mut Context::from_waker(Waker::noop()));
        assert_eq!(
            polled,
            Poll::Ready(Ok(held)),
            "passed on to the next waiter"
        );
        assert_eq!((s.num_used(), s.num_waiting()), (1, 0));
        // SAFETY: ours now.
        unsafe { s.free(held) }.unwrap();
        assert_eq!((s.num_used(), s.num_free()), (0, 1));
    }

    /// `alloc`'s slow path is entered when the first look found no block; an
    /// interrupt handler may free one before the second look, which then
    /// takes it without waiting, so it must not need the clock (which may
    /// not be registered at all).
    #[test]
    fn a_block_freed_before_the_second_look_needs_no_clock() {
        on_this_thread(None, Some(Box::new(|_| panic!("the clock was read"))));
        let s = crate::tests::slab(crate::layout::WORD, 1);
        // The state right after a first look that found nothing, and a free
        // by an interrupt handler: a block is free again.
        let got = catch_unwind(AssertUnwindSafe(|| s.alloc_slow(Timeout::millis(5))));
        let reads = CLOCK_READS.with(Cell::get);
        on_this_thread(None, None);
        assert!(
            got.is_ok(),
            "the slow path read the clock before its second look"
        );
        assert!(got.unwrap().is_ok());
        assert_eq!(reads, 0);
        // Nothing free at the second look: now the deadline is needed.
        assert_eq!(s.alloc(Timeout::millis(1)), Err(AllocError::TimedOut));
        assert!(CLOCK_READS.with(Cell::get) > 0);
    }

    /// A finite wait on an exhausted slab with this thread's clock stopped
    /// (the timer behind it never started): in a debug build it panics,
    /// naming the fix, instead of waiting forever; the hook, which would
    /// sleep until an interrupt that never comes, is not called; the waiter
    /// is withdrawn.
    #[test]
    #[cfg(debug_assertions)]
    #[cfg_attr(miri, ignore = "a million looks at the clock")]
    fn a_finite_wait_on_a_stopped_clock_panics_in_a_debug_build() {
        let hook_calls = std::rc::Rc::new(Cell::new(0u32));
        let calls = hook_calls.clone();
        on_this_thread(Some(Box::new(move || calls.set(calls.get() + 1))), None);
        READS_PER_TICK.with(|r| r.set(0));
        let s = crate::tests::slab(crate::layout::WORD, 1);
        let held = s.alloc(Timeout::NoWait).unwrap();
        let unwound = catch_unwind(AssertUnwindSafe(|| s.alloc(Timeout::millis(5))));
        let reads = CLOCK_READS.with(Cell::get);
        on_this_thread(None, None);
        let message = unwound.expect_err("the wait did not panic");
        let message = message
            .downcast_ref::<std::string::String>()
            .expect("a formatted panic message");
        assert!(
            message.contains("a clock that does not advance")
                && message.contains("slab_core::set_clock")
                && message.contains("enable its interrupt"),
            "{message}"
        );
        // Deadline::after's read, then the limit of looks at the same tick.
        assert_eq!(reads, 1 + looks_per_tick_at_most(1_000));
        assert_eq!(hook_calls.get(), 0, "the hook was not slept in");
        assert_eq!(s.num_waiting(), 0);
        // SAFETY: ours.
        unsafe { s.free(held) }.unwrap();
        assert_eq!((s.num_used(), s.num_free()), (0, 1));
    }

    /// A clock as slow as the check allows (one tick per the limit of
    /// looks) and a wait of several ticks: it times out, with no panic.
    #[test]
    #[cfg_attr(miri, ignore = "millions of looks at the clock")]
    fn a_slow_running_clock_times_out_without_a_panic() {
        on_this_thread(None, None);
        READS_PER_TICK.with(|r| r.set(looks_per_tick_at_most(1_000)));
        let s = crate::tests::slab(crate::layout::WORD, 1);
        let _held = s.alloc(Timeout::NoWait).unwrap();
        let got = catch_unwind(AssertUnwindSafe(|| s.alloc(Timeout::millis(3))));
        let reads = CLOCK_READS.with(Cell::get);
        on_this_thread(None, None);
        assert_eq!(got.ok(), Some(Err(AllocError::TimedOut)));
        assert!(reads > 3 * looks_per_tick_at_most(1_000), "{reads} reads");
    }

    /// Once the clock has been seen advancing, a finite wait sleeps in the
    /// hook between looks.
    #[test]
    fn a_finite_wait_on_a_running_clock_calls_the_hook() {
        let hook_calls = std::rc::Rc::new(Cell::new(0u32));
        let calls = hook_calls.clone();
        on_this_thread(Some(Box::new(move || calls.set(calls.get() + 1))), None);
        let s = crate::tests::slab(crate::layout::WORD, 1);
        let _held = s.alloc(Timeout::NoWait).unwrap();
        let got = s.alloc(Timeout::millis(20));
        on_this_thread(None, None);
        assert_eq!(got, Err(AllocError::TimedOut));
        assert!(hook_calls.get() >= 10, "{} hook calls", hook_calls.get());
    }

    #[test]
    fn looks_per_tick_scale_with_the_tick_and_have_a_floor() {
        assert_eq!(looks_per_tick_at_most(1_000), 1 << 20);
        assert_eq!(looks_per_tick_at_most(1_000_000_000), 1 << 20);
        assert_eq!(looks_per_tick_at_most(u64::MAX), 1 << 20);
        assert_eq!(looks_per_tick_at_most(100), 10_000_000);
        assert_eq!(looks_per_tick_at_most(1), 1_000_000_000);
    }

    #[test]
    fn ticks_round_up_and_saturate() {
        assert_eq!(ticks_at_least(Duration::from_millis(5), 1_000), 5);
        assert_eq!(ticks_at_least(Duration::from_micros(5_001), 1_000), 6);
        assert_eq!(ticks_at_least(Duration::from_nanos(1), 1_000), 1);
        assert_eq!(ticks_at_least(Duration::from_secs(2), 32_768), 65_536);
        assert_eq!(ticks_at_least(Duration::MAX, u64::MAX), u64::MAX);
        // 999_999_999 × (2^64 - 1) / 10^9, rounded up.
        assert_eq!(
            ticks_at_least(Duration::from_nanos(999_999_999), u64::MAX),
            18_446_744_055_262_807_542
        );
    }
}
