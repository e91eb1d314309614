//! embassy-time's driver for this board: SysTick at 10 kHz (the
//! `tick-hz-10_000` feature of embassy-time-driver) counting a `u64`, and
//! embassy-time-queue-utils' timer queue, serviced from the SysTick
//! handler.
//!
//! The embassy HALs bring drivers for their own chips' timers, none for
//! the LM3S6965. The one generic SysTick driver published (`systick-timer`)
//! keeps a fixed number of wake-up slots and panics when they run out, so
//! this is the minimal driver embassy-time-driver's docs describe, on
//! embassy's own timer queue: [`Driver::now`] reads the tick count;
//! [`Driver::schedule_wake`] puts the waker in the queue and lowers the
//! alarm; each SysTick advances the count and, once the alarm is due, wakes
//! every expired timer and sets the next alarm. Timers resolve to one tick
//! (100 µs).

use core::cell::{Cell, RefCell};
use core::task::Waker;

use cortex_m::peripheral::SYST;
use cortex_m_rt::exception;
use critical_section::{CriticalSection, Mutex};
use embassy_time_driver::{Driver, TICK_HZ};
use embassy_time_queue_utils::Queue;

struct SysTickDriver {
    /// Ticks since [`start`]; a `u64` never wraps.
    ticks: Mutex<Cell<u64>>,
    /// The tick at which the earliest queued timer expires (`u64::MAX`:
    /// none).
    alarm: Mutex<Cell<u64>>,
    queue: Mutex<RefCell<Queue>>,
}

embassy_time_driver::time_driver_impl!(static DRIVER: SysTickDriver = SysTickDriver {
    ticks: Mutex::new(Cell::new(0)),
    alarm: Mutex::new(Cell::new(u64::MAX)),
    queue: Mutex::new(RefCell::new(Queue::new())),
});

impl SysTickDriver {
    /// Wakes the expired timers (their wakers only queue tasks, which is
    /// allowed in a critical section) and sets the next alarm.
    fn service(&self, cs: CriticalSection<'_>) {
        let now = self.ticks.borrow(cs).get();
        let next = self.queue.borrow_ref_mut(cs).next_expiration(now);
        self.alarm.borrow(cs).set(next);
    }
}

impl Driver for SysTickDriver {
    fn now(&self) -> u64 {
        critical_section::with(|cs| self.ticks.borrow(cs).get())
    }

    fn schedule_wake(&self, at: u64, waker: &Waker) {
        critical_section::with(|cs| {
            if self.queue.borrow_ref_mut(cs).schedule_wake(at, waker) {
                // Also wakes at once a timer that is already due.
                self.service(cs);
            }
        });
    }
}

/// Starts SysTick at `TICK_HZ`.
pub fn start(syst: &mut SYST) {
    slab_firmware_common::systick::start_periodic(syst, TICK_HZ as u32);
}

#[exception]
fn SysTick() {
    critical_section::with(|cs| {
        let ticks = DRIVER.ticks.borrow(cs);
        let now = ticks.get() + 1;
        ticks.set(now);
        if now >= DRIVER.alarm.borrow(cs).get() {
            DRIVER.service(cs);
        }
    });
}
