//! Checks and their report over semihosting: every passing check is
//! counted; the first failing one prints where and why and ends the run
//! with a failure exit status.

use core::fmt;
use core::sync::atomic::{AtomicU32, Ordering};

use cortex_m_semihosting::debug;
/// What the checks print with (the module shared with the RISC-V firmware
/// names it through here).
pub(crate) use cortex_m_semihosting::hprintln;

/// Checks passed so far. Only thread mode checks (load + store: thumbv6m
/// has no atomic read-modify-write).
static PASSED: AtomicU32 = AtomicU32::new(0);

/// Counts a passing check; reports a failing one and exits.
pub fn check(ok: bool, file: &str, line: u32, what: fmt::Arguments<'_>) {
    if ok {
        PASSED.store(PASSED.load(Ordering::Relaxed) + 1, Ordering::Relaxed);
    } else {
        fail(file, line, what);
    }
}

/// Reports a failure at `file:line` and exits with failure.
pub fn fail(file: &str, line: u32, what: fmt::Arguments<'_>) -> ! {
    hprintln!("firmware: FAILED at {}:{}: {}", file, line, what);
    exit(debug::EXIT_FAILURE)
}

/// Reports success and exits.
pub fn pass() -> ! {
    hprintln!(
        "firmware: all checks passed ({} checks)",
        PASSED.load(Ordering::Relaxed)
    );
    exit(debug::EXIT_SUCCESS)
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
