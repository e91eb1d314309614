//! Ownership tracking and trace events on the target (feature `track`):
//! an interrupt handler allocates a block of `LEAKY` and keeps it — the
//! bug — and thread mode, finding the slab short, asks who holds it.
//! `holders()` names the handler's line, the registry's table summarises
//! the sites, `held_longer_than` calls it a leak suspect, and a trace hook
//! (which runs in the handler too) counts each event. The lines it prints
//! are what `slab-tests/tests/qemu.rs` checks.

use core::cell::Cell;
use core::ptr::NonNull;
use core::sync::atomic::{AtomicU32, AtomicUsize, Ordering};

use critical_section::Mutex;
use slab_core::trace::{self, Event};
use slab_core::{AllocError, FreeError, MemSlab, Timeout, mem_slab};

use crate::board::{self, DOORBELL_JOB, Job};
use crate::report;

/// The slabs this module declares.
pub const DECLARED: usize = 1;

/// The pool the handler leaks from.
#[mem_slab(blocks = 2, size = 16)]
pub static LEAKY: MemSlab;

/// The block the handler kept, and the line it allocated it on.
static KEPT: AtomicUsize = AtomicUsize::new(0);
static KEPT_LINE: AtomicU32 = AtomicU32::new(0);

/// In the doorbell handler: allocates a block of `LEAKY` and never frees
/// it.
pub fn keep_block() {
    let (got, line) = (LEAKY.alloc(Timeout::NoWait), line!());
    if let Ok(block) = got {
        KEPT.store(block.as_ptr() as usize, Ordering::Relaxed);
        KEPT_LINE.store(line, Ordering::Relaxed);
    }
}

/// Events of `LEAKY` the hook saw, by kind: alloc (a block), alloc
/// refused, free, refused free, other.
static EVENTS: Mutex<Cell<[u32; 5]>> = Mutex::new(Cell::new([0; 5]));

/// The trace hook: counts `LEAKY`'s events (in thread mode and in
/// handlers alike, hence the critical section).
fn count(event: &Event) {
    if !core::ptr::eq(event.slab(), &LEAKY) {
        return;
    }
    let kind = match event {
        Event::Alloc { outcome: Ok(_), .. } => 0,
        Event::Alloc {
            outcome: Err(_), ..
        } => 1,
        Event::Free { .. } => 2,
        Event::RefusedFree { .. } => 3,
        _ => 4,
    };
    critical_section::with(|cs| {
        let cell = EVENTS.borrow(cs);
        let mut counts = cell.get();
        counts[kind] += 1;
        cell.set(counts);
    });
}

fn events() -> [u32; 5] {
    critical_section::with(|cs| EVENTS.borrow(cs).get())
}

unsafe extern "C" {
    /// `c/c_abi.c`: a block of the slab `name` from C's `k_mem_slab_alloc`,
    /// and the line of that call.
    fn c_abi_track_alloc(name: *const core::ffi::c_char, line: *mut u32) -> *mut u8;
    fn c_abi_track_free(name: *const core::ffi::c_char, block: *mut u8) -> i32;
}

/// C callers are holders too: `slab.h`'s `k_mem_slab_alloc` records
/// `__FILE__` and `__LINE__`.
fn c_holder() {
    let mut line = 0;
    // SAFETY: a NUL-terminated name and a writable word.
    let block = unsafe { c_abi_track_alloc(c"LEAKY".as_ptr(), &mut line) };
    check!(!block.is_null(), "C allocated a block of LEAKY");
    let holder = LEAKY.holders().find(|h| h.block().as_ptr() == block);
    let site = holder.and_then(|h| h.site());
    check!(
        site.is_some_and(|s| s.file().ends_with("c_abi.c")
            && s.line() == line
            && s.column().is_none()),
        "the C caller's file and line ({line}) hold the block"
    );
    if let Some(holder) = holder {
        hprintln!("firmware: holder: {}", holder);
    }
    // SAFETY: C's block, freed once through the C ABI.
    check_eq!(unsafe { c_abi_track_free(c"LEAKY".as_ptr(), block) }, 0);
}

pub fn run() {
    check!(LEAKY.is_tracked());
    check_eq!(trace::set_trace_hook(count), Ok(()));
    check!(
        trace::set_trace_hook(count).is_err(),
        "the hook is set once"
    );

    // Thread mode takes a block and gives it back, twice over, and frees
    // one twice (refused): all of it seen by the hook.
    for _ in 0..2 {
        let block = LEAKY.alloc_block(Timeout::NoWait).expect("a LEAKY block");
        drop(block);
    }
    let block = LEAKY.alloc(Timeout::NoWait).expect("a LEAKY block");
    // SAFETY: allocated just above, not used afterwards; the second free
    // is refused without touching it.
    unsafe {
        check_eq!(LEAKY.free(block), Ok(()));
        check_eq!(LEAKY.free(block), Err(FreeError::DoubleFree));
    }
    check_eq!(LEAKY.holders().count(), 0);
    c_holder();
    check_eq!(LEAKY.holders().count(), 0);

    // The bug: the doorbell handler allocates and keeps its block.
    DOORBELL_JOB.set(Job::KeepBlock);
    board::ring_doorbell();
    check_eq!(DOORBELL_JOB.get(), Job::Idle);
    let kept = KEPT.load(Ordering::Relaxed);
    check!(kept != 0, "the handler got a block");

    // Some time passes; then thread mode finds the pool short.
    let from = board::now();
    while board::now() - from < board::TICKS_PER_SECOND / 10 {}
    let mine = LEAKY.alloc(Timeout::NoWait).expect("the last LEAKY block");
    check_eq!(LEAKY.alloc(Timeout::NoWait), Err(AllocError::NoMemory));
    let mine_line = line!() - 2;

    // Who holds the blocks? Exactly the handler's and this function's.
    let mut holders = LEAKY.holders();
    let (first, second) = (holders.next(), holders.next());
    check!(holders.next().is_none());
    let (handler, thread) = match (first, second) {
        (Some(a), Some(b)) if a.block().as_ptr() as usize == kept => (a, b),
        (Some(a), Some(b)) => (b, a),
        _ => report::fatal(file!(), line!(), format_args!("two holders expected")),
    };
    check_eq!(handler.block().as_ptr() as usize, kept);
    check_eq!(thread.block(), mine);
    for (holder, line) in [
        (handler, KEPT_LINE.load(Ordering::Relaxed)),
        (thread, mine_line),
    ] {
        let site = holder.site().expect("a site");
        check_eq!(site.file(), file!());
        check_eq!(site.line(), line);
        hprintln!("firmware: holder: {}", holder);
    }

    // Leak suspects: held 50 ms or more (the handler's block, 100 ms);
    // thread mode's, just taken, is not one.
    let fifty_ms = board::TICKS_PER_SECOND / 20;
    let mut suspects = LEAKY.held_longer_than(fifty_ms);
    let suspect = suspects.next();
    check!(suspects.next().is_none(), "one suspect");
    check!(
        suspect.is_some_and(|s| s.block().as_ptr() as usize == kept),
        "the handler's block is the suspect"
    );
    if let Some(suspect) = suspect {
        let site = suspect.site().expect("a site");
        hprintln!(
            "firmware: leak suspect: LEAKY block {} held by {} for {} ms",
            suspect.index(),
            site,
            suspect.age(slab_core::track::now()).unwrap_or(0) * 1000 / board::TICKS_PER_SECOND
        );
    }

    // SAFETY: allocated above, not used afterwards.
    check_eq!(unsafe { LEAKY.free(mine) }, Ok(()));
    check_eq!(LEAKY.holders().count(), 1);

    // The hook saw, for LEAKY: 2 + 1 + C 1 + handler 1 + 1 allocs, 1
    // refused, 2 + 1 + C 1 + 1 frees, 1 refused free.
    check_eq!(events(), [6, 1, 5, 1, 0]);
    let _ = NonNull::<u8>::dangling();
    hprintln!("firmware: tracking: the handler's block of LEAKY is held at the end (a leak)");
}
