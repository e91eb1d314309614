//! Checks and their report over semihosting: every check is counted as
//! passed or failed, a failure is printed where it happens, and the run
//! ends with `rtic: N passed, N failed` and a semihosting exit status.

use core::fmt;
use core::sync::atomic::{AtomicU32, Ordering};

use cortex_m_semihosting::{debug, hprintln};

/// Checks passed and failed so far. Only thread mode checks (load + store:
/// thumbv6m has no atomic read-modify-write).
static PASSED: AtomicU32 = AtomicU32::new(0);
static FAILED: AtomicU32 = AtomicU32::new(0);

fn bump(counter: &AtomicU32) {
    counter.store(counter.load(Ordering::Relaxed) + 1, Ordering::Relaxed);
}

/// Counts a check; prints a failing one with where and why.
pub fn check(ok: bool, file: &str, line: u32, what: fmt::Arguments<'_>) {
    if ok {
        bump(&PASSED);
    } else {
        bump(&FAILED);
        hprintln!("rtic: FAILED at {}:{}: {}", file, line, what);
    }
}

/// Prints the result line and exits: success only if nothing failed and
/// something was checked.
pub fn finish() -> ! {
    let (passed, failed) = (
        PASSED.load(Ordering::Relaxed),
        FAILED.load(Ordering::Relaxed),
    );
    hprintln!("rtic: {} passed, {} failed", passed, failed);
    exit(if failed == 0 && passed > 0 {
        debug::EXIT_SUCCESS
    } else {
        debug::EXIT_FAILURE
    })
}

fn exit(status: debug::ExitStatus) -> ! {
    debug::exit(status);
    // Only reached without a semihosting host.
    loop {
        cortex_m::asm::bkpt();
    }
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
