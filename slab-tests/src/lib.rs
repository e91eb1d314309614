//! Shared helpers for slab's integration tests.
#![deny(missing_docs)]

use std::time::{Duration, Instant};

/// Polls `cond` until it holds; panics after 10 s. Tests use it to wait
/// for a real signal (e.g. `num_waiting()` reaching a count), never as a
/// timed assertion.
pub fn wait_until(what: &str, mut cond: impl FnMut() -> bool) {
    let start = Instant::now();
    while !cond() {
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "timed out waiting until {what}"
        );
        std::thread::yield_now();
    }
}
