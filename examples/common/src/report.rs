//! Checks and their report over semihosting: every check is counted as
//! passed or failed and a failing one prints where and why; the run ends
//! with `NAME: N passed, N failed` ([`finish`]) and exit status 0 only
//! when nothing failed and something was checked. `NAME` is `firmware`
//! unless [`set_name`] says otherwise. With [`stop_at_first_failure`] the
//! first failing check ends the run at once.
//!
//! Checks are made from one context at a time (the counts are a load and a
//! store: thumbv6m has no atomic read-modify-write).

use core::fmt;
use core::ptr;
use core::sync::atomic::{AtomicBool, AtomicPtr, AtomicU32, Ordering};

static PASSED: AtomicU32 = AtomicU32::new(0);
static FAILED: AtomicU32 = AtomicU32::new(0);
static STOP: AtomicBool = AtomicBool::new(false);
/// The name the report's lines start with; null: `firmware`.
static NAME: AtomicPtr<&'static str> = AtomicPtr::new(ptr::null_mut());

/// The report's lines start with `name` (e.g. `set_name(&"embassy")`)
/// instead of `firmware`.
pub fn set_name(name: &'static &'static str) {
    NAME.store(ptr::from_ref(name).cast_mut(), Ordering::Relaxed);
}

/// The name the report's lines start with.
pub fn name() -> &'static str {
    let name = NAME.load(Ordering::Relaxed);
    if name.is_null() {
        "firmware"
    } else {
        // SAFETY: only `set_name` stores here, from a `&'static &'static str`.
        unsafe { *name }
    }
}

/// From now on the first failing check ends the run (after the failure
/// line and the counts), instead of the run going on.
pub fn stop_at_first_failure() {
    STOP.store(true, Ordering::Relaxed);
}

fn bump(counter: &AtomicU32) {
    counter.store(counter.load(Ordering::Relaxed) + 1, Ordering::Relaxed);
}

/// Counts a check; a failing one is reported at `file:line`.
pub fn check(ok: bool, file: &str, line: u32, what: fmt::Arguments<'_>) {
    if ok {
        bump(&PASSED);
    } else {
        bump(&FAILED);
        crate::hprintln!("{}: FAILED at {}:{}: {}", name(), file, line, what);
        if STOP.load(Ordering::Relaxed) {
            finish()
        }
    }
}

/// Something that cannot happen did (an unexpected interrupt, a fault):
/// reported and counted as a failure, and the run ends at once.
pub fn fatal(file: &str, line: u32, what: fmt::Arguments<'_>) -> ! {
    STOP.store(true, Ordering::Relaxed);
    check(false, file, line, what);
    finish()
}

/// Checks passed and failed so far.
pub fn counts() -> (u32, u32) {
    (
        PASSED.load(Ordering::Relaxed),
        FAILED.load(Ordering::Relaxed),
    )
}

/// Prints `NAME: N passed, N failed` and exits: status 0 when nothing
/// failed and something was checked, 1 otherwise.
pub fn finish() -> ! {
    let (passed, failed) = counts();
    crate::hprintln!("{}: {} passed, {} failed", name(), passed, failed);
    crate::exit(if failed == 0 && passed > 0 { 0 } else { 1 })
}

/// `check!(cond)` or `check!(cond, "format", args…)`: counts a check
/// ([`report::check`](crate::report::check)).
#[macro_export]
macro_rules! check {
    ($cond:expr $(,)?) => {
        $crate::report::check($cond, file!(), line!(), format_args!("{}", stringify!($cond)))
    };
    ($cond:expr, $($what:tt)+) => {
        $crate::report::check($cond, file!(), line!(), format_args!($($what)+))
    };
}

/// `check_eq!(left, right)`: both shown with `Debug` when they differ.
#[macro_export]
macro_rules! check_eq {
    ($left:expr, $right:expr $(,)?) => {
        match (&$left, &$right) {
            (left, right) => $crate::report::check(
                left == right,
                file!(),
                line!(),
                format_args!(
                    "{} == {}: {:?} != {:?}",
                    stringify!($left),
                    stringify!($right),
                    left,
                    right
                ),
            ),
        }
    };
}
