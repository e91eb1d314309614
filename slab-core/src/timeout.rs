//! How long a blocking call may wait.

use core::time::Duration;

/// How long [`MemSlab::alloc`](crate::MemSlab::alloc) or
/// [`Semaphore::take`](crate::Semaphore::take) may wait: Zephyr's
/// `K_NO_WAIT`, `K_FOREVER` and `K_SECONDS(n)`/`K_MSEC(n)`/`K_USEC(n)`.
///
/// A zero duration behaves exactly as [`Timeout::NoWait`].
///
/// ```
/// use core::time::Duration;
/// use slab_core::Timeout;
///
/// assert_eq!(Timeout::millis(5), Timeout::After(Duration::from_millis(5)));
/// assert_eq!(Timeout::secs(2), Timeout::millis(2_000));
/// assert_eq!(Timeout::from(Duration::from_micros(7)), Timeout::micros(7));
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum Timeout {
    /// Do not wait: fail at once if nothing is available.
    NoWait,
    /// Wait as long as it takes.
    Forever,
    /// Wait at most this long.
    After(Duration),
}

impl Timeout {
    /// A timeout of `s` seconds (`K_SECONDS(s)`).
    pub const fn secs(s: u64) -> Self {
        Self::After(Duration::from_secs(s))
    }

    /// A timeout of `ms` milliseconds (`K_MSEC(ms)`).
    pub const fn millis(ms: u64) -> Self {
        Self::After(Duration::from_millis(ms))
    }

    /// A timeout of `us` microseconds (`K_USEC(us)`).
    pub const fn micros(us: u64) -> Self {
        Self::After(Duration::from_micros(us))
    }

    /// `None` for a timeout that must not wait, else the longest wait
    /// (`None` inside for forever).
    pub(crate) const fn wait_limit(self) -> Option<Option<Duration>> {
        match self {
            Self::NoWait => None,
            Self::After(d) if d.is_zero() => None,
            Self::After(d) => Some(Some(d)),
            Self::Forever => Some(None),
        }
    }
}

impl From<Duration> for Timeout {
    fn from(d: Duration) -> Self {
        Self::After(d)
    }
}
