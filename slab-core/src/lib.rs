//! # slab: static fixed-size block allocation for firmware
//!
//! Zephyr's `k_mem_slab` for Rust. Declare a slab on a static; the
//! declaration expands at compile time to a word-aligned static block
//! buffer, a const-initialised [`MemSlab`] and an entry in the registry.
//! At start-up one call to [`boot`] threads every free list. Then
//! [`MemSlab::alloc`] hands out blocks with a [`Timeout`] (no wait, a
//! duration, forever) and [`MemSlab::free`] gives them back — directly to
//! the most urgent waiter if someone waits, so nothing can steal it.
//!
//! ## Guide: declare → boot → allocate and free → inspect
//!
//! ```
//! use slab_core::{mem_slab, mem_slabs, AllocError, MemSlab, SlabBox, Timeout};
//!
//! // 1. Declare: the storage is a static, sized at compile time.
//! /// Receive buffers: 8 blocks of 64 bytes.
//! #[mem_slab(blocks = 8, size = 64)]
//! pub static RX_BUFS: MemSlab;
//!
//! #[derive(Debug)]
//! struct Command {
//!     opcode: u8,
//!     arg: u32,
//! }
//!
//! mem_slabs! {
//!     /// Block size and alignment from the type.
//!     static COMMANDS(blocks = 2, type = Command);
//! }
//!
//! fn main() -> Result<(), Box<dyn std::error::Error>> {
//!     // 2. Boot: once, at the start of `main`. Before it, nothing is usable.
//!     assert_eq!(RX_BUFS.alloc(Timeout::NoWait), Err(AllocError::NotReady));
//!     // The shape is known, the blocks are not counted yet (see below).
//!     assert_eq!((RX_BUFS.num_blocks(), RX_BUFS.num_used() + RX_BUFS.num_free()), (8, 0));
//!     slab_core::boot();
//!     assert!(RX_BUFS.is_ready());
//!
//!     // 3. Allocate and free. A raw block: `free` it yourself (or hand it on).
//!     let raw = RX_BUFS.alloc(Timeout::millis(10))?;
//!     // SAFETY: `raw` came from RX_BUFS and is not used afterwards.
//!     unsafe { RX_BUFS.free(raw) }?;
//!
//!     // An owned block, freed when dropped (the way to pass blocks between
//!     // threads). It reads back what was written into it, without `unsafe`.
//!     let mut frame = RX_BUFS.alloc_block(Timeout::NoWait)?;
//!     frame.extend_from_slice(&[0x7E, 0x01])?;
//!     assert_eq!(frame.filled(), [0x7E, 0x01]);
//!
//!     // A typed value in a block (`SlabBox`), dropped in place and freed.
//!     let mut cmd: SlabBox<Command> =
//!         COMMANDS.alloc_box(Command { opcode: 1, arg: 42 }, Timeout::NoWait)?;
//!     cmd.arg += 1;
//!     assert_eq!((cmd.opcode, cmd.arg), (1, 43));
//!
//!     // Async: the same queue as blocking callers (any executor).
//!     let reply = futures::executor::block_on(RX_BUFS.alloc_block_async())?;
//!
//!     // Errors carry Zephyr's errno.
//!     let _second = COMMANDS.alloc_box(Command { opcode: 2, arg: 0 }, Timeout::NoWait)?;
//!     let full = COMMANDS.alloc_box(Command { opcode: 3, arg: 0 }, Timeout::NoWait);
//!     let err = full.unwrap_err();
//!     assert_eq!(err.errno(), AllocError::NoMemory.errno()); // -ENOMEM
//!     let _given_back: Command = err.into_value();
//!
//!     // 4. Inspect: counters, a high-water mark, and the registry's table.
//!     assert_eq!((RX_BUFS.num_used(), RX_BUFS.num_free()), (2, 6));
//!     assert_eq!(RX_BUFS.stats().allocated_bytes, 2 * 64);
//!     drop((frame, reply));
//!     assert_eq!((RX_BUFS.num_used(), RX_BUFS.max_used()), (0, 2));
//!     let found = slab_core::registry().find("RX_BUFS").expect("declared slabs are registered");
//!     assert!(core::ptr::eq(found, &RX_BUFS));
//!     println!("{}", slab_core::registry());
//!     Ok(())
//! }
//! ```
//!
//! 1. **Declare** with [`#[mem_slab]`](mem_slab) on a `static NAME:
//!    MemSlab;`, or several at once with [`mem_slabs!`]. Keys: `blocks`,
//!    `size` or `type`, and optionally `align`, `name`, `section`, `crate`,
//!    `checks` (`"full"`, the default, or Zephyr's `"bounds"` level).
//!    A bad declaration is a compile error on the offending token. For a
//!    buffer known only at run time, [`MemSlab::new`] + [`MemSlab::init`]
//!    (`k_mem_slab_init`) instead: such a slab is ready at once and is not in
//!    the registry.
//! 2. **Boot**: [`boot`] threads every declared slab's free list, once
//!    (later calls do nothing). Until then `alloc` returns
//!    `Err(AllocError::NotReady)` and `free` `Err(FreeError::NotReady)`.
//!
//!    **The one exception to the counter invariant**, `num_used() +
//!    num_free() == num_blocks()` whenever no call is in flight. Before
//!    `boot()` a declared slab already reports its declared shape
//!    (`num_blocks() == N`, `block_size()`), while `num_used()` and
//!    `num_free()` are both 0: its blocks are not threaded, so none is free
//!    to hand out, and none is in use. The invariant holds from `boot()`
//!    on. (A [`MemSlab::new`] slab reports 0 for all of them until
//!    [`MemSlab::init`], which makes it ready at once.)
//! 3. **Allocate and free**:
//!    - [`MemSlab::alloc`] / [`MemSlab::free`]: raw `NonNull<u8>` blocks,
//!      Zephyr's `k_mem_slab_alloc`/`k_mem_slab_free`. A `free` with waiters
//!      hands the block straight to the most urgent (priority, then
//!      arrival). `alloc(Timeout::NoWait)` and `free` never block and are
//!      interrupt-safe. Bad frees (`Foreign`, `Misaligned`, `DoubleFree`)
//!      are refused and change nothing.
//!    - [`MemSlab::alloc_block`] → [`Block`]: an owned block freed on drop,
//!      `Send` (pass it between threads), whose bytes are written and read
//!      back without `unsafe` (see [host programs and
//!      threads](#guide-host-programs-and-threads-feature-std)).
//!    - [`MemSlab::alloc_box`] / [`SlabBox::new_in`] → [`SlabBox`]: a typed
//!      value in a block, with a layout check (at compile time with
//!      [`assert_fits`] where the shape is a constant).
//!    - [`MemSlab::alloc_async`] / [`MemSlab::alloc_block_async`] →
//!      [`AllocFuture`] / [`BlockFuture`]: futures that wait in the same
//!      queue as blocking callers and are cancel-safe. No timeout parameter:
//!      wrap them in your executor's timeout.
//!    - [`Semaphore`] (`k_sem`) shares the wait queue and its rules.
//! 4. **Inspect**: [`MemSlab::num_used`], [`MemSlab::num_free`],
//!    [`MemSlab::max_used`], [`MemSlab::reset_max`], [`MemSlab::stats`]
//!    ([`MemStats`] in bytes), [`MemSlab::num_waiting`], and [`registry()`]
//!    ([`Registry`]: every declared slab, `Display` prints a table).
//!
//! Errors ([`AllocError`], [`FreeError`], [`InitError`], [`SemError`],
//! [`BoxErrorKind`]) are `Copy`, implement `core::error::Error` and have
//! `errno()` with Zephyr's negative codes.
//!
//! ## Guide: host programs and threads (feature `std`)
//!
//! A host program (Linux, macOS, Windows: anything with threads) enables
//! the `std` feature, so that blocking waits park the thread:
//!
//! ```toml
//! [dependencies]
//! slab-core = { path = "../slab/slab-core", features = ["std"] }
//! ```
//!
//! **Link error `undefined symbol: _critical_section_1_0_acquire`** (GNU
//! ld: ``undefined reference to `_critical_section_1_0_acquire'``): enable
//! the `std` feature, as above. Without it the crate is `no_std` and takes
//! its locks from [`critical-section`](https://docs.rs/critical-section),
//! whose implementation the program must choose (bare-metal firmware: see
//! [Bare metal](#bare-metal)). With `features = ["std"]` none is needed.
//! Only where `slab-core` is built without `std` on a host, as in the host
//! tests of a `no_std` library that declares slabs, add
//! `critical-section = { version = "1.2", features = ["std"] }` to the
//! dev-dependencies instead.
//!
//! **Blocks between threads: pass a [`Block`].** A raw block from
//! [`MemSlab::alloc`] is a `NonNull<u8>`, which is not `Send` (the
//! compiler says "`NonNull<u8>` cannot be sent between threads safely").
//! [`MemSlab::alloc_block`] on a declared slab gives a `Block<'static>`,
//! which is `Send` and frees itself when dropped, on whichever thread
//! drops it — straight to a thread waiting in `alloc`, if one is. Its bytes
//! need no `unsafe`: [`Block::extend_from_slice`] appends,
//! [`Block::fill`] sets every byte (`fill(0)` zeroes it), and
//! [`Block::filled`] reads back what was written (never a byte that was
//! not). The project's producer/consumer example is a complete program.
//!
//! ```
//! use std::sync::mpsc;
//! use slab_core::{mem_slab, Block, MemSlab, Timeout};
//!
//! /// Two blocks for eight messages: the producer waits whenever the
//! /// consumer holds both.
//! #[mem_slab(blocks = 2, size = 32)]
//! static MESSAGES: MemSlab;
//!
//! fn main() -> Result<(), Box<dyn std::error::Error>> {
//! #   #[cfg(not(feature = "std"))] // (without `std`, finite waits need a clock)
//! #   slab_core::set_clock(|| { static T: std::sync::OnceLock<std::time::Instant> = std::sync::OnceLock::new();
//! #       T.get_or_init(std::time::Instant::now).elapsed().as_micros() as u64 }, 1_000_000);
//!     slab_core::boot();
//!     let (tx, rx) = mpsc::channel::<Block<'static>>();
//!     let producer = std::thread::spawn(move || -> Result<(), slab_core::AllocError> {
//!         for n in 0..8 {
//!             // Waits (up to 5 s) while the consumer holds both blocks.
//!             let mut message = MESSAGES.alloc_block(Timeout::secs(5))?;
//!             message.extend_from_slice(format!("message {n}").as_bytes()).unwrap();
//!             tx.send(message).unwrap();
//!         }
//!         Ok(())
//!     });
//!     let mut received = Vec::new();
//!     for message in rx {
//!         received.push(String::from_utf8(message.filled().to_vec())?);
//!     } // each block is freed here, on this thread
//!     producer.join().unwrap()?;
//!     assert_eq!(received.len(), 8);
//!     assert_eq!(received[7], "message 7");
//!     assert_eq!(MESSAGES.num_used(), 0); // every block is back
//!     Ok(())
//! }
//! ```
//!
//! **Errors name their fix where you see them.** `expect`, `unwrap` and a
//! `main` returning `Result` print an error's `Debug`, which is the
//! variant and, where the fix is not in the name, the fix: a slab used
//! before [`boot`] fails with `NotReady (call slab_core::boot() first; a
//! MemSlab::new() slab needs init())`. `Display` is a sentence (`slab is
//! not initialised …`).
//!
//! **Two slabs of one name.** Registry names are unique in a program; each
//! is also a symbol that says so, and a second slab of the name fails the
//! build with ``symbol `slab_core.two_slabs_are_named.RX.give_one_of_them_a_name_key`
//! is already defined`` (one crate), or the linker's `duplicate symbol:
//! slab_core.two_slabs_are_named.RX.…` / `multiple definition of …`
//! (two crates): give one of them `name = "…"` (see [`mem_slab`]).
//!
//! ## Guide: a heap made of slabs (`SlabHeap`)
//!
//! For firmware that wants `alloc` (`Vec`, `Box`, `String`, `BTreeMap`)
//! without a fragmenting heap, [`slab_heap!`] declares a [`SlabHeap`]:
//! size classes, each a declared slab (in the registry as `"HEAP/32"` etc.,
//! threaded by [`boot`]). A request goes to the smallest class whose block
//! size and declared alignment fit, else to the next larger ones, else it
//! is null; `dealloc` finds the class by address, `realloc` stays in place
//! while the new size fits the block. Nothing splits or coalesces, so the
//! cost is bounded by the number of classes, whatever the heap's history;
//! within that bound it rises with the full classes a request passes over
//! (the project's benchmarks, on a Cortex-M3: 140 instructions per alloc +
//! free in the median state, 190 at worst over a fill-and-fragment
//! workload, against 873 for embedded-alloc's first-fit heap and 244 for
//! its TLSF heap; 230 with every class but the largest full, 15 for each
//! full class a request passes over).
//!
//! ```
//! use core::alloc::{GlobalAlloc, Layout};
//!
//! slab_core::slab_heap! {
//!     // Add `#[global_allocator]` to make it the program's heap.
//!     static HEAP: SlabHeap = [
//!         (blocks = 2, size = 32),
//!         (blocks = 2, size = 128),
//!     ];
//! }
//!
//! fn main() {
//!     slab_core::boot();
//!     let small = Layout::from_size_align(24, 8).unwrap();
//!     // SAFETY: non-zero sizes; every block is freed with its layout.
//!     unsafe {
//!         let a = HEAP.alloc(small);
//!         let b = HEAP.alloc(small);
//!         // The 32-byte class is dry: the next request falls through.
//!         let c = HEAP.alloc(small);
//!         let class = |p: *mut u8| HEAP.classes().position(|s| s.buffer_range().contains(&(p as usize)));
//!         assert_eq!((class(a), class(b), class(c)), (Some(0), Some(0), Some(1)));
//!         let d = HEAP.alloc(small);
//!         assert!(HEAP.alloc(small).is_null()); // every class that fits is dry
//!         for p in [a, b, c, d] {
//!             HEAP.dealloc(p, small);
//!         }
//!     }
//!     // The high-water marks say what the workload needed, per class.
//!     let peaks: Vec<(&str, usize)> = HEAP.classes().map(|c| (c.name(), c.max_used())).collect();
//!     assert_eq!(peaks, [("HEAP/32", 2), ("HEAP/128", 2)]);
//!     print!("{}", slab_core::registry()); // the same, as a table
//! }
//! ```
//!
//! - **Booting.** Before [`boot`] every request is null. On bare metal
//!   (`target_os = "none"`) nothing allocates before `main`: call `boot()`
//!   first thing in `main`, as the repository's heap firmware does. On
//!   Linux, Android, the BSDs, illumos, Solaris, Fuchsia, Haiku, macOS and
//!   iOS, and Windows, std's runtime allocates before `main`, so a
//!   `slab_heap!` that carries `#[global_allocator]` (or
//!   `#[cfg_attr(…, global_allocator)]`) also boots from a constructor that
//!   the loader runs before std starts (`.init_array`,
//!   `__DATA,__mod_init_func`, `.CRT$XCU`): every slab of the program is
//!   booted before `main`, and the program needs no `boot()` call (one does
//!   nothing). Other OS targets (WASI, Redox, QNX, VxWorks, ESP-IDF, …) get
//!   no constructor: there call `boot()` before the first allocation, e.g.
//!   from a constructor of your own. Nothing else runs before `main`. (std's
//!   panic backtraces need megabytes to symbolise: a program whose heap is
//!   smaller sets a panic hook that prints the message only, or runs with
//!   `RUST_BACKTRACE=0`.)
//! - **Refusals.** A null says nothing of why; [`SlabHeap::refusals`]
//!   counts the requests refused because they were larger than every
//!   class, asked for an alignment that no class large enough has (a class
//!   promises `max(align, word)`, whatever its buffer's address happens to
//!   be: declare one with `align = N` for over-aligned types), came before
//!   `boot()`, or found every class that fits full.
//! - **Choosing the classes.** Start generous: classes at the sizes the
//!   program asks for (a `Vec<T>` asks for `capacity × size_of::<T>()`
//!   bytes, growing by doubling; a `BTreeMap` node is a few hundred bytes;
//!   std's channels ask for 128-byte alignment, which needs a class
//!   declared with `align = 128`), many blocks each. Run the real workload,
//!   then read the registry ([`registry`]`()`, printed as a table, or
//!   [`SlabHeap::classes`] with [`MemSlab::max_used`]): set each class's
//!   `blocks` to its high-water mark plus a margin, and drop the classes
//!   never used. A class's mark includes blocks that fell through to it
//!   from full smaller classes, so fix the small classes first and run
//!   again. Where requests fall far below their class's block size (say
//!   40 bytes in a 128-byte class), a class in between saves memory.
//!   [`SlabHeap::stats`] sums the classes (its `max_allocated_bytes` adds
//!   each class's own peak: an upper bound of the heap's).
//! - **When a class runs dry** its requests go to the next larger class
//!   with a free block (a larger block, and on a Cortex-M3 about 25
//!   instructions more for each full class passed), and only when every
//!   class that fits is full is the request null. A null from the global
//!   allocator makes `alloc`'s infallible calls (`Box::new`, `Vec::push`)
//!   call `handle_alloc_error`, which panics (or aborts with std); code
//!   that must survive it, interrupt handlers above all, uses the fallible
//!   ones (`Vec::try_reserve`, `try_reserve_exact`). A dry class never
//!   fragments anything: the next block freed to it serves the next
//!   request of that size at once, whatever else is allocated.
//! - **Interrupt handlers** may allocate and free: each class's lock is a
//!   critical section, as for every slab.
//! - **`realloc`** stays in the block while the new size fits it (a
//!   growing `Vec` inside one block copies nothing); a shrink keeps the
//!   block until it is freed.
//! - A single slab is also an `allocator_api2` allocator (feature
//!   `allocator-api2`, below) for collections that should live in one
//!   declared slab rather than the global heap.
//!
//! ## Features
//!
//! - `std`: host threads. Blocking waits park the thread, and
//!   `set_thread_priority` orders waiters (blocking and async alike).
//!   Without it the crate is `#![no_std]` and waiting spins in thread mode
//!   until an interrupt handler frees a block (see `set_clock` and
//!   `set_wait_hook`).
//! - `defmt`: `defmt::Format` for the error types, [`Timeout`],
//!   [`MemStats`], a [`MemSlab`] (one registry row) and the [`Registry`]
//!   (the table), and `Registry::log()` (one `defmt::info!` line per
//!   slab).
//! - `allocator-api2`: [`MemSlab`] implements `allocator_api2::alloc::Allocator`
//!   for layouts that fit its blocks, so `allocator_api2::boxed::Box::new_in(v,
//!   &SLAB)` and `allocator_api2::vec::Vec::with_capacity_in(n, &SLAB)` live in
//!   its blocks. A layout too large or too aligned for a block, or an empty
//!   slab, is an `AllocError`; `grow`/`grow_zeroed`/`shrink` stay within the block.
//! - `capi`: the C ABI, Zephyr's `k_mem_slab_*` functions for C code (see
//!   [C ABI](#c-abi-feature-capi) below).
//! - `track`: ownership tracking. Each block of a declared slab records
//!   the site that allocated it and the tick it was taken at, or the
//!   holder's tag once it sets one with `MemSlab::set_tag` (exactly two
//!   words per block, after the blocks in the declaration's buffer; nothing
//!   allocated): `MemSlab::holders()`, `MemSlab::held_longer_than(ticks)`
//!   (leak suspects), and a summary of the sites holding blocks under each
//!   row of the registry's table (`Display` and `defmt`). See the `track`
//!   module.
//! - `trace`: trace events. `trace::set_trace_hook` sets, once, a hook
//!   that sees every alloc, free, wait start, hand-off, timeout and
//!   refused free; `trace::stderr_hook` (with `std`) and
//!   `trace::defmt_hook` (with `defmt`) print them. With no hook set,
//!   `alloc` and `free` are the same machine code as without the feature
//!   (setting the hook closes the fast paths, so that every operation takes
//!   the full path, which reports; measured with the repository's
//!   benchmark firmware).
//!
//! All are off by default. Without `track` and `trace` nothing of either
//! is compiled: `alloc` and `free` are the same machine code.
//!
//! ## Bare metal
//!
//! Without `std` the crate is `#![no_std]` and builds for
//! `thumbv6m-none-eabi` (it uses no atomic compare-and-swap),
//! `thumbv7m-none-eabi`, `thumbv7em-none-eabihf` and
//! `riscv32imac-unknown-none-elf`. The project's test suite runs, under
//! QEMU, a minimal standalone firmware made to be copied (one slab, a
//! SysTick clock, an interrupt handler that frees) and a complete one,
//! both set up as below.
//!
//! 1. **Link with `-Tlink.x -Tslab.x`.** The registry is a `linkme`
//!    distributed slice in the sections `linkme_SLAB_CORE_REGISTRY` and
//!    `linkm2_SLAB_CORE_REGISTRY`. Left to the linker they land in RAM after
//!    `.data`, where the reset handler's `.data` copy overwrites them.
//!    [`slab.x`](https://docs.rs/crate/slab-core/0.1.0/source/slab.x), a linker fragment
//!    shipped in this package, keeps them in flash (`KEEP`, `> FLASH`,
//!    `INSERT AFTER .rodata`) and defines the `__start_`/`__stop_` symbols; this crate's
//!    build script puts it on the linker's search path for `target_os =
//!    "none"`, so nothing needs copying. In `.cargo/config.toml`:
//!
//!    ```toml
//!    [target.thumbv7m-none-eabi]
//!    rustflags = ["-C", "link-arg=-Tlink.x", "-C", "link-arg=-Tslab.x"]
//!    ```
//!
//!    Without `-Tslab.x` the firmware does not link: [`boot`] and
//!    [`registry()`] refer to a symbol that only `slab.x` defines, whose
//!    name is the fix (`undefined symbol: ERROR(slab-core): link with the
//!    linker script slab.x: add -C link-arg=-Tslab.x …`), and `slab.x`'s
//!    `ASSERT`s fail the link if the registry ends up anywhere but in flash
//!    before the `.data` image.
//!
//!    `slab.x` also places `.noinit` (for `section = ".noinit"`) in RAM
//!    after `.uninit`, NOLOAD: no bytes in the image, not zeroed at reset.
//!    It expects `.rodata`, `.data` and `.uninit` output sections and `FLASH` and
//!    `RAM` memory regions, as cortex-m-rt's `link.x` and `memory.x` have;
//!    for another runtime (e.g. riscv-rt, whose read-only region is
//!    `REGION_RODATA`), copy `slab.x` and change the regions (keep its
//!    symbol and `ASSERT`s).
//! 2. **Choose a `critical-section` implementation**, as usual in embedded
//!    Rust: on a single-core Cortex-M, `cortex-m = { version = "0.7",
//!    features = ["critical-section-single-core"] }`. The slabs' locks are
//!    critical sections, which is what makes `free` and `alloc(NoWait)`
//!    safe in interrupt handlers.
//! 3. **Call [`boot`] at the start of `main`**, before enabling interrupts
//!    whose handlers allocate or free.
//! 4. **Register how to wait.** `set_wait_hook(cortex_m::asm::wfe)` lets a
//!    thread-mode `alloc(Timeout::Forever)` / `take(Timeout::Forever)` sleep
//!    until an interrupt handler frees or gives (`WFE` loses no wake-up: an
//!    exception return sets the Event Register; plain `WFI` can, and needs
//!    a periodic interrupt to bound the delay). Without a hook, waiting is a
//!    busy loop. For finite timeouts register a monotonic clock,
//!    `set_clock(now, ticks_per_second)`, e.g. a `u64` millisecond count
//!    advanced by the SysTick handler, and start its timer and interrupt:
//!    a finite timeout only ends when that clock moves. A finite wait
//!    without a clock panics; one whose clock never advances panics in a
//!    debug build, naming the fix, instead of waiting forever (see
//!    `set_clock`).
//!
//! ```ignore
//! #[cortex_m_rt::entry]
//! fn main() -> ! {
//!     slab_core::boot();
//!     slab_core::set_wait_hook(cortex_m::asm::wfe);
//!     slab_core::set_clock(millis, 1_000); // `millis` reads the SysTick count
//!     // ... enable interrupts; `alloc(Timeout::millis(5))` now works
//! }
//! ```
//!
//! Only thread mode may wait: interrupt handlers use `Timeout::NoWait`, and
//! nothing may wait inside a critical section. All bare-metal waiters have
//! the same priority (first come, first served).
//!
//! ### Several cores
//!
//! A slab's lock is a critical section, so on a part with several cores the
//! `critical-section` implementation must keep the other cores out too. A
//! single-core one (cortex-m's `critical-section-single-core`, riscv's
//! `critical-section-single-hart`) only masks the calling core's
//! interrupts: two cores inside one slab at once lose updates and corrupt
//! its free list (the project's two-hart QEMU firmware, built with it,
//! fails its checks). The multi-core implementations in the field
//! (rp2040-hal's, with a hardware spinlock; esp-hal's `esp-sync`) keep an
//! owner word and take the lock with this core's interrupts masked,
//! re-entrantly. Without a hardware spinlock the owner word is the lock,
//! taken by compare-and-swap (as the project's two-hart RISC-V firmware
//! does):
//!
//! ```ignore
//! static OWNER: AtomicUsize = AtomicUsize::new(0); // 0, or the owner's hart id + 1
//!
//! unsafe impl critical_section::Impl for MultiCore {
//!     unsafe fn acquire() -> u8 {
//!         let me = mhartid() + 1;
//!         if OWNER.load(Relaxed) == me {
//!             return ALREADY_OWNED; // re-entry: `release` leaves the lock
//!         }
//!         let was_enabled = interrupts_enabled();
//!         loop {
//!             disable_interrupts();
//!             if OWNER.compare_exchange(0, me, Acquire, Relaxed).is_ok() {
//!                 return u8::from(was_enabled);
//!             }
//!             if was_enabled { enable_interrupts() } // not held off while spinning
//!             while OWNER.load(Relaxed) != 0 { core::hint::spin_loop() }
//!         }
//!     }
//!     unsafe fn release(token: u8) {
//!         if token != ALREADY_OWNED {
//!             OWNER.store(0, Release);
//!             if token == 1 { enable_interrupts() }
//!         }
//!     }
//! }
//! ```
//!
//! (`critical-section`'s `restore-state-u8` feature gives the `u8` token;
//! reading `OWNER` before masking is safe because only this core ever
//! writes its own id there, with its interrupts masked.)
//!
//! **Waking a waiter on another core.** A waiting `alloc` looks at its
//! wait-queue entry and calls the wait hook between looks; a `free` on
//! another core hands the block over through that entry but raises no
//! interrupt on the waiter's core. Either the waiter polls (no hook, or a
//! hook that is `core::hint::spin_loop`), or the freeing core sends it an
//! inter-processor interrupt after a free that handed a block over
//! (`num_waiting() > 0`, read in the same critical section as the free) and
//! the waiter's hook sleeps without losing it: interrupts masked, an event
//! flag (set by the IPI's handler) taken, `wfi` only if it was clear, then
//! interrupts restored. `wfi` ends on a pending, enabled interrupt even
//! with interrupts masked globally, so an IPI that arrives after the flag
//! was taken still wakes it. On RISC-V the IPI is the waiting hart's
//! CLINT `msip`, written after a `fence w, o`; where a part's cores share
//! the event signal (RP2040's two Cortex-M0+), a `SEV` after the free
//! wakes a `WFE` hook.
//!
//! The project's two-hart firmware (its smp-firmware example, QEMU `virt
//! -smp 2`) does this for 100,000 hand-offs from hart 1 to a waiting hart
//! 0. Under `-icount shift=3` (8 ns of virtual time per instruction, both
//! harts on one host thread) a hand-off with hart 0 asleep and woken by an
//! IPI costs 228 `mtime` ticks (22.8 µs, about 2,850 instructions of both
//! harts: hart 1's step, the IPI, hart 0's wake-up and its next wait);
//! with hart 0 polling, 1,004 ticks (100 µs), since the polling hart takes
//! turns from the freeing one. The firmware prints both figures.
//!
//! ## embassy
//!
//! The async allocations work inside an [embassy](https://embassy.dev)
//! application as they are. The project's embassy example firmware is a
//! complete one (embassy-executor's thread-mode executor on a Cortex-M,
//! tasks awaiting blocks that an interrupt handler frees, blocks passed between tasks
//! through an embassy-sync `Channel`, cancellation by embassy-time timers),
//! run under QEMU for thumbv7m-none-eabi and thumbv6m-none-eabi by the
//! project's test suite.
//!
//! 1. **Features.** `slab-core` with none (no `std`), linked with
//!    `-Tlink.x -Tslab.x` as above. embassy-executor with its Cortex-M
//!    platform and the thread-mode executor: `features =
//!    ["platform-cortex-m", "executor-thread"]` (0.10; releases before it
//!    call the first `arch-cortex-m`). embassy-sync and embassy-futures need
//!    no features. embassy-time only if you want timers (timeouts are
//!    timers here), with a time driver: your HAL's (embassy-stm32, -nrf,
//!    -rp bring one), or a small `embassy-time-driver` implementation —
//!    the example's time driver is one for SysTick (under 100 lines),
//!    with `embassy-time-queue-utils`' queue serviced from the SysTick
//!    handler.
//! 2. **`critical-section`: one implementation for the whole program.**
//!    slab's locks, embassy-sync's `CriticalSectionRawMutex`, and
//!    embassy-executor itself on targets without compare-and-swap
//!    (thumbv6m) all take the same `critical_section::with`. On a
//!    single-core Cortex-M without an embassy HAL, enable `cortex-m`'s
//!    `critical-section-single-core`; an embassy HAL that provides an
//!    implementation replaces it (enable only one: two fail to link with a
//!    duplicate `_critical_section_1_0_acquire`). It must mask the
//!    interrupts whose handlers free or allocate.
//! 3. **Call [`boot`] first in `main`**: the first statement of the
//!    `#[embassy_executor::main]` function (or before `Executor::run` with
//!    your own `#[entry]`), before spawning tasks that allocate and before
//!    unmasking interrupts whose handlers allocate or free. An allocation
//!    polled before `boot()` resolves at once to `Err(NotReady)`; it does
//!    not wait for `boot()`.
//! 4. **Nothing else to register.** `set_wait_hook` and `set_clock` are for
//!    blocking `alloc`/`take`; a future never spins — it returns `Pending`
//!    and the executor sleeps (`WFE`) until a waker runs. Do not call a
//!    blocking `alloc(Timeout::Forever)` (or a finite timeout) in a task: it
//!    spins the executor's only thread, and no other task runs until an
//!    interrupt handler frees. `alloc(Timeout::NoWait)` and `free` are fine
//!    anywhere.
//!
//! **How the allocation meets the executor's wakers.** A future that finds
//! no free block stores its task's `Waker` in its wait-queue node (refreshed
//! on every later poll if the task's waker changed) and links the node into
//! the slab's queue on its **first poll** — not when it is created. A
//! `free` (from a task or an interrupt handler) hands the block to the
//! first node directly, then calls the waker after the slab's lock is
//! released; embassy's waker queues the task and signals the executor
//! (`SEV`), so the thread wakes from `WFE` and polls the task, whose future
//! returns the block. The free count is never raised on the way: a task or
//! handler that calls `alloc(NoWait)` in between gets `NoMemory`.
//! embassy's wakers may be called from interrupt handlers, which is what
//! this needs. All bare-metal waiters have priority 0, so tasks are served
//! in the order their allocations were first polled (the example checks
//! that six tasks are served in queueing order).
//!
//! **Cancel safety.** Dropping [`AllocFuture`] or [`BlockFuture`] while it
//! waits takes its node out of the queue; if a block had already been
//! handed to it, the drop frees it again, to the next waiter or the free
//! list. So `embassy_time::with_timeout(d, SLAB.alloc_block_async())` and
//! `select(Timer::after(d), SLAB.alloc_block_async())` lose no block,
//! whichever fires first: the example checks both a waiter that times out
//! in the middle of the queue and one whose timer had expired when the
//! handler handed it a block (the next waiter gets that very block).
//!
//! ```ignore
//! use embassy_executor::Spawner;
//! use embassy_time::{Duration, with_timeout};
//! use slab_core::{mem_slab, MemSlab};
//!
//! #[mem_slab(blocks = 8, size = 64)]
//! static FRAMES: MemSlab;
//!
//! #[embassy_executor::task]
//! async fn receiver() {
//!     loop {
//!         match with_timeout(Duration::from_millis(5), FRAMES.alloc_block_async()).await {
//!             Ok(Ok(mut frame)) => {
//!                 frame.as_uninit_mut()[0].write(0x7E);
//!                 // ... fill it and send it on (an embassy-sync Channel)
//!             }
//!             Ok(Err(e)) => panic!("{e}"), // NotReady: boot() was not called
//!             Err(_elapsed) => continue,   // timed out; nothing was lost
//!         }
//!     }
//! }
//!
//! #[embassy_executor::main]
//! async fn main(spawner: Spawner) {
//!     slab_core::boot(); // first: before tasks and interrupts use a slab
//!     // ... start the time driver, unmask the interrupts that free
//!     spawner.spawn(receiver().unwrap());
//! }
//! ```
//! ## RTIC
//!
//! Slabs work in an [RTIC](https://rtic.rs) 2 application as they are; the
//! project's RTIC example firmware (lm3s6965, run under QEMU by the test
//! suite) has a priority-3 hardware task, a priority-1 async task and
//! `idle` sharing one slab.
//!
//! - **Setup**: `rtic` with your core's backend (`thumbv7-backend` on a
//!   Cortex-M3/M4), `cortex-m`'s `critical-section-single-core` (RTIC
//!   does not provide a `critical-section` implementation), and
//!   `-Tlink.x -Tslab.x` as above. Call [`boot`] first in `#[init]`
//!   (interrupts are masked until it returns). For finite timeouts in
//!   `idle`, register a clock there too, e.g. rtic-monotonics' SysTick
//!   monotonic: `set_clock(|| u64::from(Mono::now().ticks()), 1_000)`.
//! - **Hardware tasks** (`#[task(binds = …)]`) use `alloc(Timeout::NoWait)`
//!   and `free`, as any interrupt handler. A slab is a `static`, not an
//!   RTIC resource: its own lock is a short critical section, so no
//!   `#[shared]` entry or `lock` is needed for it; blocks moving between
//!   tasks can go through a `#[shared]` `Option` (wrap the pointer in a
//!   type that is `Send`).
//! - **Software tasks** (`async fn`) `await` [`MemSlab::alloc_block_async`]
//!   or [`MemSlab::alloc_async`]: a `free` from any priority hands the
//!   block to the task and calls its waker, which pends the task's
//!   dispatcher. Never call a blocking `alloc` with a timeout in a task:
//!   it would spin at that task's priority.
//! - **`idle`** may block: `set_wait_hook(cortex_m::asm::wfe)` and
//!   `alloc(Timeout::Forever)` / finite timeouts, woken by any task's free.
//!
//! ```ignore
//! #[rtic::app(device = lm3s6965, dispatchers = [SSI0])]
//! mod app {
//!     use slab_core::{mem_slab, MemSlab, Timeout};
//!
//!     #[mem_slab(blocks = 4, size = 64)]
//!     static FRAMES: MemSlab;
//!
//!     #[init]
//!     fn init(_: init::Context) -> (Shared, Local) {
//!         slab_core::boot();
//!         slab_core::set_wait_hook(cortex_m::asm::wfe);
//!         consumer::spawn().ok();
//!         (Shared {}, Local {})
//!     }
//!
//!     #[task(binds = UART0, priority = 3)]
//!     fn rx(_: rx::Context) {
//!         if let Ok(frame) = FRAMES.alloc(Timeout::NoWait) {
//!             // ... fill it, pass it on; whoever ends with it frees it
//!             unsafe { FRAMES.free(frame) }.ok();
//!         }
//!     }
//!
//!     #[task(priority = 1)]
//!     async fn consumer(_: consumer::Context) {
//!         let frame = FRAMES.alloc_block_async().await; // freed on drop
//!     }
//!
//!     #[idle]
//!     fn idle(_: idle::Context) -> ! {
//!         loop {
//!             let block = FRAMES.alloc_block(Timeout::Forever); // sleeps in WFE
//!         }
//!     }
//! #   #[shared] struct Shared {} #[local] struct Local {}
//! }
//! ```
//!
//! ## C ABI (feature `capi`)
//!
//! For mixed C and Rust programs, the `slab_core::capi` module exports Zephyr's seed
//! API with Zephyr's names and return codes over the same [`MemSlab`]:
//! `k_mem_slab_init`, `k_mem_slab_alloc`, `k_mem_slab_free`,
//! `k_mem_slab_free_checked`, `k_mem_slab_num_used_get`,
//! `k_mem_slab_num_free_get`, `k_mem_slab_max_used_get` and
//! `k_mem_slab_find`, with `K_NO_WAIT`, `K_FOREVER`, `K_MSEC(ms)` (and
//! `K_USEC`, `K_SECONDS`). The header is
//! [`include/slab.h`](https://docs.rs/crate/slab-core/0.1.0/source/include/slab.h)
//! in this package (C11), generated by cbindgen from `src/capi.rs` and
//! `cbindgen.toml` (both in the package too); the project's test suite
//! fails when it is stale.
//!
//! 1. **Build**, one of two ways. The symbols are `#[no_mangle] extern
//!    "C"`; add this package's `include` directory to the C include path.
//!    - *Rust links the program* (the `cc` route): enable `capi` on
//!      `slab-core` in the Rust crate that links the program and compile
//!      the C files into the same link, e.g. with the `cc` crate in
//!      `build.rs`, as the project's example firmware does with
//!      `arm-none-eabi-gcc -ffreestanding`.
//!    - *C links the program* (the static-library route): a Rust crate
//!      with `crate-type = ["staticlib"]` that depends on `slab-core` with
//!      `capi` (and declares slabs, or uses the crates that do), then the
//!      ordinary `cc main.c libapp.a -lpthread -ldl -lm` (on the host; for
//!      firmware, the target's libraries). The linker takes an archive
//!      member only for a symbol the program refers to, and a staticlib
//!      built the default way (no LTO) is a member per crate and codegen
//!      unit: the members that hold the registry's entries are not among
//!      those the C ABI's functions bring in, and `k_mem_slab_find`
//!      returns NULL for slabs the program does not import. So the C
//!      program names the Rust slabs it uses, at file scope:
//!      `K_MEM_SLAB_IMPORT(POOL);` refers to the slab's registry symbol
//!      `slab_core.two_slabs_are_named.POOL.give_one_of_them_a_name_key`
//!      (see [`mem_slab`]'s docs; a name that is not a C identifier is
//!      imported as `K_MEM_SLAB_IMPORT_NAMED(uart_rx, "uart-rx");`), which
//!      lives in the member
//!      of its registry entry; a slab no crate declares fails to link,
//!      naming that symbol. Alternatively build the staticlib with fat LTO
//!      (`lto = "fat"` in its profiles: one object, so any slab-core
//!      function brings in every registry entry and `k_mem_slab_find`
//!      alone suffices), or link it whole (`-Wl,--whole-archive libapp.a
//!      -Wl,--no-whole-archive`). The project's test suite builds each
//!      route, with and without `std`.
//! 2. **Reach a Rust-declared slab**: `k_mem_slab_find("RX_BUFS")` returns
//!    a handle to the slab registered under that name (NULL if none). It
//!    answers `-ENODEV` until `boot()`, as in Rust.
//! 3. **Define a slab in C**: `K_MEM_SLAB_DEFINE(name, block_size,
//!    num_blocks, align)` (or `K_MEM_SLAB_DEFINE_STATIC`) at file scope
//!    defines `struct k_mem_slab name` with an aligned static buffer; the
//!    block size is rounded up to the word, and a size or count of 0 (or
//!    less), an `align` that is not a power of two, a size that is not a
//!    multiple of `align`, a count beyond `uint32_t`, or a buffer whose size
//!    overflows `size_t` (or exceeds `PTRDIFF_MAX`) fails to compile
//!    (`_Static_assert`, naming the slab and the rule). [`boot`] threads it
//!    (C programs can call `slab_core_boot()`); before that it answers
//!    `-ENODEV`, and `k_mem_slab_init` on it is `-EINVAL`.
//!    `k_mem_slab_find("name")` finds it too (C-defined slabs are not in the
//!    Rust [`Registry`]). The macro puts a definition in the ELF section
//!    `linkme_SLAB_CORE_C_SLABS`, which `boot()` walks (Zephyr's iterable
//!    sections): on bare metal `slab.x` keeps it in flash; on Linux the
//!    definition is marked `retain` so that lld keeps it.
//! 4. **Or initialise one at run time**: `static struct k_mem_slab s;` (zeroed:
//!    `-ENODEV` until initialised), then `k_mem_slab_init(&s, buffer,
//!    block_size, num_blocks)`, with `MemSlab::init`'s rules (`-EINVAL` for
//!    a bad shape or buffer, or a second init). Unlike Zephyr's, the
//!    storage must start zeroed (statics are; elsewhere `struct k_mem_slab
//!    s = {0};`), and it must stay put for the rest of the program, as must
//!    the buffer.
//! 5. **Use it**: `k_mem_slab_alloc(slab, &mem, K_MSEC(5))` returns 0,
//!    `-ENOMEM` (none free, `K_NO_WAIT`), `-EAGAIN` (timed out), `-ENODEV`
//!    (not ready) or `-EINVAL` (null argument, or a negative timeout other
//!    than `K_FOREVER`), and sets `mem` to NULL on failure.
//!    `k_mem_slab_free` refuses a pointer that is not an allocated block of
//!    the slab and changes nothing; `k_mem_slab_free_checked` says why
//!    (`-EINVAL`, `-ENODEV`). (A Rust-declared slab with `checks =
//!    "bounds"` detects a double free only while nothing is allocated, as
//!    in Rust.) `K_NO_WAIT` allocation and freeing are
//!    interrupt-safe, as in Rust; waiting follows this crate's rules (host
//!    threads with `std`; on bare metal thread mode only, and finite
//!    timeouts need a clock).
//! 6. **Register a clock on bare metal**: `k_mem_slab_set_clock(now,
//!    ticks_per_second)` from C (`uint64_t now(void)`, monotonic) or
//!    [`set_clock`](#bare-metal) from Rust; the last one wins. Without one,
//!    a finite timeout that has to wait returns `-ENOTSUP`
//!    (`SLAB_ENOTSUP`, 134: Zephyr's and newlib's value) where Rust would
//!    panic. With `std` the host's clock is used and
//!    `k_mem_slab_set_clock` returns `-ENOTSUP`.
//!
//! No function panics into C or aborts the program: each turns bad input
//! (null pointers, wild handles' pointers to free, huge shapes, any
//! timeout, any name) into its documented return code, and
//! `slab_core_boot()` returns `-EINVAL`, threading nothing, where
//! [`boot`] would panic (two Rust-declared slabs of one name).
//!
//! `struct k_mem_slab` is opaque storage (`unsigned char _opaque[]`) whose
//! size and alignment depend on the pointer width and on whether this
//! crate was built with `std` (which aligns a `MemSlab` to 128 bytes).
//! `slab.h` picks them with `UINTPTR_MAX` and `SLAB_CORE_STD` (define it 0
//! or 1; by default 1 on Linux, macOS, Windows and the BSDs, 0 elsewhere).
//! The layout is checked at build time on both sides: this crate fails to
//! compile if a `MemSlab` does not fit the layout the header gives C, the
//! header `_Static_assert`s its struct against the exported constants, and
//! a C program compiled with the wrong `SLAB_CORE_STD` fails to link its
//! `K_MEM_SLAB_DEFINE`s and its `k_mem_slab_init` calls (they refer to
//! `slab_core_capi_std` or `slab_core_capi_bare`, and the crate defines
//! only the one it was built as). Sizes today: 128 bytes (32-bit, no
//! `std`; a `MemSlab` is 88), 256 (64-bit, no `std`), 384 and 512 with
//! `std`.
//!
//! Where it differs from Zephyr:
//! - `k_timeout_t` is `{ int64_t ticks; }` with a tick of one microsecond
//!   (`K_TICKS_PER_SEC`); any negative value other than `K_FOREVER`'s -1 is
//!   `-EINVAL`, and so is `K_MSEC`, `K_USEC` or `K_SECONDS` of a negative
//!   count (Zephyr's wait not at all; `K_USEC(-1)` is not `K_FOREVER`).
//! - Error numbers are Zephyr's (Linux's and newlib's): `-EAGAIN` is -11
//!   even where a host's `<errno.h>` says otherwise (macOS); the header
//!   names them `SLAB_EAGAIN` … `SLAB_EINVAL` for programs without
//!   `<errno.h>`. `k_mem_slab_alloc` can also return `-EFAULT` (a corrupted
//!   free list, [`AllocError::Corrupted`]).
//! - Additions: `k_mem_slab_num_waiting_get`, `k_mem_slab_set_clock`,
//!   `slab_core_boot`, `K_MEM_SLAB_DEFINE_STATIC`, `K_MEM_SLAB_IMPORT`,
//!   `K_USEC`, `K_SECONDS`;
//!   `k_mem_slab_find` also finds C-defined slabs. `k_mem_slab_alloc` can
//!   return `-ENOTSUP` (bare metal, no clock).
//! - `K_MEM_SLAB_DEFINE` needs an ELF toolchain (GCC or clang); `slab.h` is
//!   C only (no C++).
#![cfg_attr(not(feature = "std"), no_std)]
// docs.rs (nightly, `--cfg docsrs`): mark the items each feature adds.
#![cfg_attr(docsrs, feature(doc_cfg))]
#![deny(missing_docs)]
#![deny(unsafe_op_in_unsafe_fn)]
#![warn(clippy::undocumented_unsafe_blocks)]

#[cfg(feature = "allocator-api2")]
mod allocator_api;
mod async_alloc;
mod block;
mod boot;
#[cfg(feature = "capi")]
pub mod capi;
#[cfg(feature = "defmt")]
mod defmt_format;
mod error;
mod heap;
mod image_layout;
mod layout;
mod lock;
mod port;
mod registry;
mod sem;
mod slab;
mod slab_box;
mod sync;
mod timeout;
#[cfg(feature = "trace")]
pub mod trace;
#[cfg(feature = "track")]
pub use slab::track;
mod wait;

#[cfg(test)]
mod tests;

#[doc(hidden)]
#[path = "private.rs"]
pub mod __private;

pub use async_alloc::{AllocFuture, BlockFuture};
pub use block::Block;
pub use boot::boot;
pub use error::{AllocError, BlockFull, FreeError, InitError, SemError};
pub use heap::{HeapRefusals, SlabHeap};
#[cfg(not(feature = "std"))]
pub use port::bare::{set_clock, set_wait_hook};
#[cfg(feature = "std")]
pub use port::std_threads::set_thread_priority;
pub use registry::{Registry, registry};
pub use sem::Semaphore;
pub use slab::{MemSlab, MemStats};
pub use slab_box::{BoxError, BoxErrorKind, SlabBox, assert_fits};
/// Declares a statically allocated slab on `static NAME: MemSlab;`
/// (`K_MEM_SLAB_DEFINE`). The keys, rules and compile errors are below.
///
/// ```
/// use slab_core::{mem_slab, MemSlab, Timeout};
///
/// /// Receive buffers (doc comments, `#[cfg]` and visibility carry over).
/// #[mem_slab(blocks = 8, size = 60)]
/// pub static RX_RING: MemSlab;
///
/// #[repr(C)]
/// struct Descriptor {
///     addr: u32,
///     len: u16,
/// }
///
/// #[mem_slab(blocks = 4, type = Descriptor, align = 16, name = "dma-descriptors")]
/// static DESCRIPTORS: MemSlab;
///
/// fn main() {
///     slab_core::boot();
///     // `size` is rounded up to a multiple of the pointer word.
///     assert_eq!(RX_RING.block_size(), 60usize.next_multiple_of(size_of::<usize>()));
///     assert_eq!((DESCRIPTORS.num_blocks(), DESCRIPTORS.block_size()), (4, 16));
///     assert_eq!(DESCRIPTORS.name(), "dma-descriptors");
///     let d = DESCRIPTORS.alloc_box(Descriptor { addr: 0x2000_0000, len: 64 }, Timeout::NoWait).unwrap();
///     assert_eq!(&*d as *const Descriptor as usize % 16, 0);
///     assert_eq!((d.addr, d.len), (0x2000_0000, 64));
/// }
/// ```
pub use slab_macros::mem_slab;

/// Declares one or more statically allocated slabs, `[attributes] [vis]
/// static NAME(keys);` each, with the keys and rules of
/// [`#[mem_slab]`](mem_slab).
///
/// ```
/// slab_core::mem_slabs! {
///     /// Transmit buffers.
///     pub static TX_QUEUE(blocks = 4, size = 128);
///     static SCRATCH(blocks = 2, size = 32, align = 32, name = "scratch");
/// }
///
/// fn main() {
///     slab_core::boot();
///     assert_eq!((TX_QUEUE.num_blocks(), TX_QUEUE.block_size()), (4, 128));
///     assert!(SCRATCH.block_align() >= 32);
///     assert!(slab_core::registry().find("scratch").is_some());
/// }
/// ```
pub use slab_macros::mem_slabs;
/// Declares a [`SlabHeap`]: a global allocator whose size classes are
/// declared slabs, `[attributes] [vis] static NAME: SlabHeap = [(keys), …];`.
///
/// Each class takes the keys of [`#[mem_slab]`](mem_slab) (`name`
/// defaults to `"NAME/size"`, e.g. `"HEAP/32"`, with the `size` or `type`
/// as written; `crate = …` on one class applies to the whole heap). The
/// static's type is written `SlabHeap` and needs no import: the macro
/// names `slab_core::SlabHeap` (or the `crate` path's). The classes must be in strictly ascending order of block
/// size (after rounding up to the word and to `align`): a literal out of
/// order or repeated is an error on its `size`, other shapes are checked
/// by a const assertion naming the class.
///
/// ```
/// slab_core::slab_heap! {
///     /// The program's heap: three size classes.
///     pub static HEAP: SlabHeap = [
///         (blocks = 64, size = 32),
///         (blocks = 32, size = 128),
///         (blocks = 8, size = 1024, align = 64),
///     ];
/// }
///
/// fn main() {
///     slab_core::boot();
///     let names: Vec<&str> = HEAP.classes().map(|c| c.name()).collect();
///     assert_eq!(names, ["HEAP/32", "HEAP/128", "HEAP/1024"]);
/// }
/// ```
///
/// Put `#[global_allocator]` on the static to make it the program's heap
/// (or `#[cfg_attr(not(test), global_allocator)]`, under a `cfg`).
/// On a target with an OS (not `target_os = "none"`) the declaration then
/// also calls [`boot`] from a constructor that runs before `main` (std's
/// runtime allocates before `main`, and a heap that is not booted returns
/// null): every slab of the program is booted when `main` starts. On bare
/// metal, call `boot()` first thing in `main`.
///
/// A class's buffer and block shape are computed and checked by slab-core
/// itself, whatever `crate = …` leads to: a path whose items answer
/// wrongly is a compile error, never a smaller buffer.
pub use slab_macros::slab_heap;
pub use timeout::Timeout;
#[cfg(feature = "track")]
pub use track::{Holder, Site};

// The README (the crate's page on crates.io): its examples run as doctests.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;
