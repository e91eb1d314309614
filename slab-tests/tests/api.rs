//! API.md's signatures and trait promises, pinned: each item is coerced to
//! the exact type the contract names, so a change of signature fails to
//! compile here.

use core::fmt::{Debug, Display};
use core::ptr::NonNull;
use core::time::Duration;

use slab_core::{
    AllocError, Block, FreeError, InitError, MemSlab, MemStats, Registry, SemError, Semaphore,
    Timeout,
};

fn send_sync_debug<T: Send + Sync + Debug>() {}
fn error<E: Clone + Copy + Debug + PartialEq + Eq + Display + core::error::Error>() {}

#[test]
fn memslab_signatures() {
    send_sync_debug::<MemSlab>();
    const _: MemSlab = MemSlab::new();
    let _: fn(&MemSlab, &'static mut [u8], usize, usize) -> Result<(), InitError> = MemSlab::init;
    let _: fn(&MemSlab, Timeout) -> Result<NonNull<u8>, AllocError> = MemSlab::alloc;
    let _: unsafe fn(&MemSlab, NonNull<u8>) -> Result<(), FreeError> = MemSlab::free;
    let _: for<'a> fn(&'a MemSlab, Timeout) -> Result<Block<'a>, AllocError> = MemSlab::alloc_block;
    let _: fn(&MemSlab) -> usize = MemSlab::num_used;
    let _: fn(&MemSlab) -> usize = MemSlab::num_free;
    let _: fn(&MemSlab) -> usize = MemSlab::max_used;
    let _: fn(&MemSlab) = MemSlab::reset_max;
    let _: fn(&MemSlab) -> MemStats = MemSlab::stats;
    let _: fn(&MemSlab) -> usize = MemSlab::block_size;
    let _: fn(&MemSlab) -> usize = MemSlab::num_blocks;
    let _: fn(&MemSlab) -> &'static str = MemSlab::name;
    let _: fn(&MemSlab) -> bool = MemSlab::is_ready;
    let stats = MemStats {
        allocated_bytes: 1,
        free_bytes: 2,
        max_allocated_bytes: 3,
    };
    let copy = stats;
    assert_eq!(stats, copy);
}

fn block_signatures_for<'a>(_: Option<Block<'a>>) {
    let _: fn(&Block<'a>) -> NonNull<u8> = Block::<'a>::as_ptr;
    let _: fn(&Block<'a>) -> usize = Block::<'a>::len;
    let _: for<'b> fn(&'b mut Block<'a>) -> &'b mut [core::mem::MaybeUninit<u8>] =
        Block::<'a>::as_uninit_mut;
    let _: fn(Block<'a>) -> NonNull<u8> = Block::<'a>::into_raw;
}

#[test]
fn block_signatures() {
    block_signatures_for(None);
}

#[test]
fn registry_signatures() {
    let _: fn() = slab_core::boot;
    let _: fn() -> Registry = slab_core::registry;
    fn copy_display<T: Copy + Display + IntoIterator<Item = &'static MemSlab>>() {}
    copy_display::<Registry>();
    let _: fn(&Registry) -> usize = Registry::len;
    let _: fn(&Registry) -> bool = Registry::is_empty;
    let _: for<'n> fn(&Registry, &'n str) -> Option<&'static MemSlab> = Registry::find;
    let registry = slab_core::registry();
    let _: Option<&'static MemSlab> = registry.iter().next();
}

#[test]
fn timeouts_errors_and_priority() {
    fn copy_eq_debug<T: Clone + Copy + Debug + PartialEq + Eq>() {}
    copy_eq_debug::<Timeout>();
    const _: Timeout = Timeout::millis(1);
    const _: Timeout = Timeout::micros(1);
    let _: Timeout = Duration::from_millis(3).into();
    assert_eq!(Timeout::After(Duration::from_micros(5)), Timeout::micros(5));
    let _ = [Timeout::NoWait, Timeout::Forever];
    error::<AllocError>();
    error::<FreeError>();
    error::<InitError>();
    error::<SemError>();
    const _: i32 = AllocError::NoMemory.errno();
    const _: i32 = FreeError::Foreign.errno();
    const _: i32 = SemError::Busy.errno();
    const _: i32 = InitError::ZeroBlocks.errno();
    assert_eq!(
        [
            AllocError::NoMemory,
            AllocError::TimedOut,
            AllocError::NotReady
        ]
        .map(AllocError::errno),
        [-12, -11, -19]
    );
    assert_eq!(
        [
            FreeError::Foreign,
            FreeError::Misaligned,
            FreeError::DoubleFree,
            FreeError::NotReady
        ]
        .map(FreeError::errno),
        [-22, -22, -22, -19]
    );
    assert_eq!(
        [SemError::Busy, SemError::TimedOut].map(SemError::errno),
        [-16, -11]
    );
    let _: fn(i32) = slab_core::set_thread_priority;
}

#[test]
fn semaphore_signatures() {
    send_sync_debug::<Semaphore>();
    const _: Semaphore = Semaphore::new(0, 1);
    let _: fn(&Semaphore, Timeout) -> Result<(), SemError> = Semaphore::take;
    let _: fn(&Semaphore) = Semaphore::give;
    let _: fn(&Semaphore) -> u32 = Semaphore::count;
    let _: fn(&Semaphore) = Semaphore::reset;
}
