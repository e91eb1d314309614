//! The program's `critical-section` implementation, correct on two harts.
//!
//! A single-hart implementation (the `riscv` crate's
//! `critical-section-single-hart`) only clears `mstatus.MIE`, which stops
//! this hart's interrupt handlers and nothing on the other hart: two harts
//! would both be inside slab-core's locked regions at once (built with it
//! instead, feature `single-hart-critical-section`, this firmware fails:
//! updates of the shared count are lost, waits return errors, and under
//! multi-threaded TCG hart 1 soon holds more blocks than the slab has).
//! This one is
//! the pattern of the multi-core implementations in the field:
//!
//! - `rp2040-hal` (`src/critical_section_impl.rs`): the owning core's id in
//!   an owner word (`LOCK_OWNER`); a core that finds its own id there is
//!   re-entering and gets a token that makes `release` a no-op; otherwise
//!   it masks its interrupts and tries to take the lock (RP2040 hardware
//!   spinlock 31), unmasking again between failed tries so its own
//!   handlers are not held off while the other core has the lock.
//! - esp-hal's `esp-sync` (`src/raw.rs` and its multicore lock): masks the
//!   local interrupts first, then takes an owner word with an atomic
//!   compare-and-swap of the core id, re-entrant for the owning core (a
//!   flag in the restore token).
//!
//! RISC-V has no hardware spinlock block, so the owner word is the lock
//! itself, as in esp-sync: `OWNER` is 0 when free, otherwise the owning
//! hart's `mhartid + 1`, taken with a compare-and-swap (`lr.w`/`sc.w`,
//! acquire) with `mstatus.MIE` cleared, and released with a store
//! (release) before `MIE` is restored. The restore token is a `u8`
//! (`critical-section`'s `restore-state-u8`): whether `MIE` was set, or
//! [`ALREADY_OWNED`].
//!
//! Why the re-entry test may read `OWNER` before masking: only this hart
//! ever writes its own id there, and it does so with its interrupts masked
//! and takes it out again before unmasking. So a hart that reads its own id
//! is inside its own critical section (an interrupt handler preempted
//! nothing: interrupts are masked), and a hart that reads anything else
//! does not hold the lock, whatever the other hart does next.
//!
//! Cost: uncontended, one CSR read of `mhartid`, one of `mstatus`, one
//! compare-and-swap and one store; contended, the spinning hart polls
//! `OWNER` with interrupts enabled (as rp2040-hal does) until it is free.

use core::sync::atomic::{AtomicUsize, Ordering};

/// Nobody holds the lock.
const UNOWNED: usize = 0;
/// `acquire` found the lock held by this hart already: `release` leaves it.
const ALREADY_OWNED: u8 = 2;

/// 0, or the owning hart's `mhartid + 1`.
static OWNER: AtomicUsize = AtomicUsize::new(UNOWNED);

struct MultiHartCriticalSection;
critical_section::set_impl!(MultiHartCriticalSection);

// SAFETY: `acquire` returns only once this hart holds `OWNER` with its
// interrupts masked (or already held it, with them masked since), so no
// other context on any hart is inside a critical section until the
// matching `release`; `release` undoes exactly what its `acquire` did.
unsafe impl critical_section::Impl for MultiHartCriticalSection {
    unsafe fn acquire() -> u8 {
        let me = riscv::register::mhartid::read() + 1;
        if OWNER.load(Ordering::Relaxed) == me {
            return ALREADY_OWNED;
        }
        let was_enabled = riscv::register::mstatus::read().mie();
        loop {
            riscv::interrupt::disable();
            if OWNER
                .compare_exchange(UNOWNED, me, Ordering::Acquire, Ordering::Relaxed)
                .is_ok()
            {
                return u8::from(was_enabled);
            }
            if was_enabled {
                // SAFETY: restores `MIE` as the caller had it while this
                // hart holds nothing; it is cleared again before the next try.
                unsafe { riscv::interrupt::enable() };
            }
            while OWNER.load(Ordering::Relaxed) != UNOWNED {
                core::hint::spin_loop();
            }
        }
    }

    unsafe fn release(token: u8) {
        if token == ALREADY_OWNED {
            return;
        }
        OWNER.store(UNOWNED, Ordering::Release);
        if token == 1 {
            // SAFETY: `MIE` was set when the matching `acquire` cleared it.
            unsafe { riscv::interrupt::enable() };
        }
    }
}
