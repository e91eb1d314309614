//! Checks and their report over semihosting: every check is counted as
//! passed or failed, a failing one prints where and why and the run goes
//! on; the run ends with `firmware: N passed, N failed` and exit status 0
//! only when nothing failed. A panic (an `expect` that did not hold) prints
//! its message and exits with status 101 (`semihosting`'s panic handler).

use core::fmt;
use core::sync::atomic::{AtomicU32, Ordering};

/// Prints a line over semihosting (the name the shared `fast_path` module
/// uses).
macro_rules! semihosting_println {
    ($($arg:tt)*) => { semihosting::println!($($arg)*) };
}
pub(crate) use semihosting_println as hprintln;

/// Checks passed and failed so far (thread mode only).
static PASSED: AtomicU32 = AtomicU32::new(0);
static FAILED: AtomicU32 = AtomicU32::new(0);

/// Counts a check; a failing one is reported at `file:line`.
pub fn check(ok: bool, file: &str, line: u32, what: fmt::Arguments<'_>) {
    if ok {
        PASSED.fetch_add(1, Ordering::Relaxed);
    } else {
        FAILED.fetch_add(1, Ordering::Relaxed);
        hprintln!("firmware: FAILED at {}:{}: {}", file, line, what);
    }
}

/// Something that cannot happen did: reported and counted as a failure,
/// and the run ends at once (e.g. an unexpected trap).
pub fn fatal(file: &str, line: u32, what: fmt::Arguments<'_>) -> ! {
    check(false, file, line, what);
    finish()
}

/// Prints `firmware: N passed, N failed` and exits: status 0 when nothing
/// failed, 1 otherwise.
pub fn finish() -> ! {
    let (passed, failed) = (
        PASSED.load(Ordering::Relaxed),
        FAILED.load(Ordering::Relaxed),
    );
    hprintln!("firmware: {} passed, {} failed", passed, failed);
    semihosting::process::exit(if failed == 0 { 0 } else { 1 })
}

/// `check!(cond)` or `check!(cond, "format", args…)`.
macro_rules! check {
    ($cond:expr $(,)?) => {
        $crate::report::check($cond, file!(), line!(), format_args!("{}", stringify!($cond)))
    };
    ($cond:expr, $($what:tt)+) => {
        $crate::report::check($cond, file!(), line!(), format_args!($($what)+))
    };
}

/// `check_eq!(left, right)`: both shown with `Debug` when they differ.
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
