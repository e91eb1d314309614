//! How a waiter waits and is woken: host threads with `std`, a spinning
//! thread-mode caller on bare metal.

#[cfg(feature = "std")]
pub(crate) mod std_threads;
#[cfg(feature = "std")]
pub(crate) use std_threads::*;

#[cfg(not(feature = "std"))]
pub(crate) mod bare;
#[cfg(not(feature = "std"))]
pub(crate) use bare::*;
