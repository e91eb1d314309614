//! SysTick, the Armv6-M/v7-M/v8-M core timer, clocked by the core
//! ([`CORE_HZ`](crate::board::CORE_HZ)).

use cortex_m::peripheral::SYST;
use cortex_m::peripheral::syst::SystClkSource;

/// SysTick's counter: 24 bits, counting down.
pub const MASK: u32 = 0x00FF_FFFF;

/// Starts SysTick's interrupt at `hz` (every `CORE_HZ / hz` core cycles).
pub fn start_periodic(syst: &mut SYST, hz: u32) {
    syst.set_clock_source(SystClkSource::Core);
    syst.set_reload(crate::board::CORE_HZ / hz - 1);
    syst.clear_current();
    syst.enable_counter();
    syst.enable_interrupt();
}

/// Starts SysTick counting down through its whole 24-bit range, over and
/// over, without an interrupt: a counter for measurements ([`crate::count`]).
pub fn start_free_running(syst: &mut SYST) {
    syst.set_clock_source(SystClkSource::Core);
    syst.set_reload(MASK);
    syst.clear_current();
    syst.enable_counter();
}
