//! Ownership tracking (feature `track`): who holds each block of a declared
//! slab, since when.
//!
//! Each block of a declared slab (`#[mem_slab]`, `mem_slabs!`, the classes
//! of `slab_heap!`) gets a record of **two words**, in the declaration's
//! static block buffer right after the blocks: the allocation site (a
//! pointer to the caller's [`core::panic::Location`], or to a C caller's
//! file and line) and the tick it was taken at, or, once the holder has
//! tagged the block ([`MemSlab::set_tag`]), the holder's tag instead of the
//! tick. So a slab of `N` blocks costs exactly `2 × N` words of RAM more
//! (16 bytes per block on a 64-bit host, 8 on a 32-bit core), fixed at
//! compile time; nothing is ever allocated.
//! A C program's `K_MEM_SLAB_DEFINE`d slab is tracked the same way when the
//! C file defines `SLAB_CORE_TRACK` before including `slab.h` (the macro
//! then reserves the records after its blocks; see [`crate::capi`]). A
//! slab made with [`MemSlab::new`] + [`init`](MemSlab::init) (or
//! `k_mem_slab_init`) has nowhere to keep records and is not tracked
//! ([`MemSlab::is_tracked`] is `false`, [`MemSlab::holders`] yields
//! nothing).
//!
//! Every allocation path records its caller: [`MemSlab::alloc`],
//! [`alloc_block`](MemSlab::alloc_block), [`alloc_box`](MemSlab::alloc_box)
//! and [`SlabBox::new_in`](crate::SlabBox::new_in) are `#[track_caller]`
//! with the feature (and only with it, so a build without it compiles to
//! the same code as before); [`alloc_async`](MemSlab::alloc_async) and
//! [`alloc_block_async`](MemSlab::alloc_block_async) record where the
//! future was made; a [`SlabHeap`](crate::SlabHeap) records the caller of
//! its `GlobalAlloc::alloc` (for a `#[global_allocator]`, the standard
//! library's allocation shim calls it, and every block shows the line of
//! the `#[global_allocator]` attribute: the classes' `holders()` then give
//! counts, addresses and ages, not callers); the C ABI records `k_mem_slab_alloc_at`'s `file` and `line`,
//! which `slab.h`'s `k_mem_slab_alloc` passes from `__FILE__` and
//! `__LINE__` when `SLAB_CORE_TRACK` is defined.
//!
//! The tick is the clock's: on bare metal the `now()` given to
//! `set_clock` (0 until one is set; with the feature,
//! `now()` is also called by every allocation, from whatever context
//! allocates, interrupt handlers included), with `std` microseconds since
//! the program first read it. [`now`] reads the same clock.
//!
//! Interrupt-safe like the rest: a record is two atomic words (plain loads
//! and stores, so thumbv6m works). `free` clears the record under the
//! slab's lock before the block can be handed out again; the allocation
//! paths write it as soon as they have the block. A block allocated at the
//! very moment [`MemSlab::holders`] looks at it may be listed without its
//! site ([`Site`] is then absent: the holder is shown as `unknown`) or not
//! at all, and one tagged at that moment may show its tag as its tick;
//! every other block is listed exactly.
//!
//! A tag is a word the holder chooses (a connection, a task, a request
//! id): [`MemSlab::set_tag`] keeps it in the record, in the tick's place,
//! until the block is freed. A tagged block says who holds it, so it is no
//! longer a leak suspect: [`Holder::tag`] is then `Some`, and
//! [`Holder::tick`] and [`Holder::age`] are `None`
//! ([`MemSlab::held_longer_than`] leaves it out).
//!
//! ```
//! use slab_core::{mem_slab, MemSlab, Timeout};
//!
//! #[mem_slab(blocks = 4, size = 32)]
//! static RX: MemSlab;
//!
//! fn main() {
//!     slab_core::boot();
//!     let kept = RX.alloc_block(Timeout::NoWait).unwrap(); // this line is the site
//!     let line = line!() - 1;
//!     let holders: Vec<_> = RX.holders().collect();
//!     assert_eq!(holders.len(), 1);
//!     let site = holders[0].site().unwrap();
//!     assert_eq!((site.file(), site.line()), (file!(), line));
//!     assert_eq!(holders[0].block(), kept.as_ptr());
//!     // `Display`: "RX block 0 (0x…) held by src/main.rs:9:24 since tick 1234"
//!     println!("{}", holders[0]);
//!     // The holder names itself: "… held by src/main.rs:9:24 tagged 7".
//!     RX.set_tag(kept.as_ptr(), 7).unwrap();
//!     assert_eq!(RX.holders().next().unwrap().tag(), Some(7));
//!     drop(kept);
//!     assert_eq!(RX.holders().count(), 0);
//! }
//! ```

use core::fmt;
use core::panic::Location;
use core::ptr::{self, NonNull};
use core::sync::atomic::{AtomicPtr, AtomicUsize, Ordering};

use crate::slab::MemSlab;

/// A C caller's allocation site: what `slab.h`'s `k_mem_slab_alloc`
/// passes to `k_mem_slab_alloc_at` (`__FILE__`, `__LINE__`), kept in a
/// static of the call site. The layout of `capi::k_mem_slab_site`.
#[repr(C)]
#[cfg_attr(not(feature = "capi"), allow(dead_code))]
pub(crate) struct CSite {
    pub(crate) file: *const core::ffi::c_char,
    pub(crate) line: u32,
}

/// Where a block was allocated: a Rust caller's [`Location`], or a C
/// caller's `__FILE__` and `__LINE__`.
///
/// `Display` shows `file:line:column` (Rust) or `file:line` (C).
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct Site(SiteKind);

#[derive(Clone, Copy, PartialEq, Eq)]
enum SiteKind {
    Rust(&'static Location<'static>),
    C(*const core::ffi::c_char, u32),
}

impl Site {
    /// The file, as the compiler or the C preprocessor spelled it.
    pub fn file(&self) -> &'static str {
        match self.0 {
            SiteKind::Rust(l) => l.file(),
            // SAFETY: `__FILE__`, a NUL-terminated string literal of the C
            // program, which lives as long as the program.
            SiteKind::C(file, _) => unsafe { core::ffi::CStr::from_ptr(file) }
                .to_str()
                .unwrap_or("<C file name not UTF-8>"),
        }
    }

    /// The line.
    pub fn line(&self) -> u32 {
        match self.0 {
            SiteKind::Rust(l) => l.line(),
            SiteKind::C(_, line) => line,
        }
    }

    /// The column (Rust sites; `None` for a C caller's).
    pub fn column(&self) -> Option<u32> {
        match self.0 {
            SiteKind::Rust(l) => Some(l.column()),
            SiteKind::C(..) => None,
        }
    }

    /// The Rust caller's location, if the site is one.
    pub fn location(&self) -> Option<&'static Location<'static>> {
        match self.0 {
            SiteKind::Rust(l) => Some(l),
            SiteKind::C(..) => None,
        }
    }
}

impl fmt::Display for Site {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.column() {
            Some(column) => write!(f, "{}:{}:{}", self.file(), self.line(), column),
            None => write!(f, "{}:{}", self.file(), self.line()),
        }
    }
}

impl fmt::Debug for Site {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Site({self})")
    }
}

#[cfg(feature = "defmt")]
impl defmt::Format for Site {
    fn format(&self, f: defmt::Formatter<'_>) {
        match self.column() {
            Some(column) => {
                defmt::write!(f, "{=str}:{=u32}:{=u32}", self.file(), self.line(), column)
            }
            None => defmt::write!(f, "{=str}:{=u32}", self.file(), self.line()),
        }
    }
}

/// The site word's low bit for a [`CSite`] (a `Location` leaves it clear).
const C_SITE: usize = 1;
/// The site word's second bit: the record's other word is the holder's tag,
/// not the tick.
const TAGGED: usize = 2;

// Both bits are free in the address of either kind of site.
const _: () = assert!(
    align_of::<Location<'static>>() > C_SITE | TAGGED && align_of::<CSite>() > C_SITE | TAGGED
);

/// A holder's site as `defmt` shows it: the site, or `unknown (being
/// allocated)` (as `Display` shows it).
#[cfg(feature = "defmt")]
pub(crate) struct ShownSite(pub(crate) Option<Site>);

#[cfg(feature = "defmt")]
impl defmt::Format for ShownSite {
    fn format(&self, f: defmt::Formatter<'_>) {
        match &self.0 {
            Some(site) => defmt::write!(f, "{}", site),
            None => defmt::write!(f, "unknown (being allocated)"),
        }
    }
}

/// The site word of a record: null (not held), a `Location` or a
/// [`CSite`] with [`C_SITE`] set, and [`TAGGED`] once tagged (both types
/// are aligned to at least four bytes, so both bits are free).
fn encode(site: SiteWord) -> *mut () {
    match site {
        SiteWord::Rust(l) => ptr::from_ref(l).cast_mut().cast(),
        SiteWord::C(c) => ptr::from_ref(c)
            .cast_mut()
            .cast::<()>()
            .map_addr(|a| a | C_SITE),
    }
}

/// A site as [`MemSlab`]'s allocation paths give it.
#[derive(Clone, Copy)]
pub(crate) enum SiteWord {
    Rust(&'static Location<'static>),
    #[cfg_attr(not(feature = "capi"), allow(dead_code))]
    C(&'static CSite),
}

impl SiteWord {
    /// The caller's location (through `#[track_caller]` functions).
    #[track_caller]
    #[inline(always)]
    pub(crate) fn caller() -> Self {
        Self::Rust(Location::caller())
    }
}

fn decode(word: *mut ()) -> Option<Site> {
    let word = word.map_addr(|a| a & !TAGGED);
    if word.is_null() {
        None
    } else if word.addr() & C_SITE == 0 {
        // SAFETY: an even non-null site word is a `&'static Location` (see
        // `encode`).
        Some(Site(SiteKind::Rust(unsafe {
            &*word.cast::<Location<'static>>()
        })))
    } else {
        // SAFETY: an odd site word is a `&'static CSite` with its low bit
        // set (see `encode`); `k_mem_slab_alloc_at`'s contract makes it
        // live as long as the program.
        let c = unsafe { &*word.map_addr(|a| a & !C_SITE).cast::<CSite>() };
        Some(Site(SiteKind::C(c.file, c.line)))
    }
}

/// One block's record: its site (null while the block is free) and the
/// tick it was allocated at, or its tag once the site word says
/// [`TAGGED`]. Two words, in the block buffer after the blocks; `boot()`
/// clears them.
#[repr(C)]
pub(crate) struct Record {
    site: AtomicPtr<()>,
    tick: AtomicUsize,
}

/// The end of the records of a slab of shape `geometry`, as an offset
/// from its buffer: the blocks, then one record each.
pub(crate) fn records_end(geometry: crate::layout::Geometry) -> usize {
    geometry.span + geometry.num_blocks * size_of::<Record>()
}

/// Why [`MemSlab::set_tag`] refused; nothing changed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TagError {
    /// The slab keeps no records: made with [`MemSlab::new`] +
    /// [`init`](MemSlab::init) (see the [module docs](self)).
    NotTracked,
    /// The pointer is not exactly a block of this slab.
    NotABlock,
    /// The block is free (or the slab not booted yet): nobody holds it.
    NotHeld,
}

impl fmt::Display for TagError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            TagError::NotTracked => "slab_core: the slab keeps no ownership records",
            TagError::NotABlock => "slab_core: not a block of this slab",
            TagError::NotHeld => "slab_core: the block is not allocated",
        })
    }
}

impl core::error::Error for TagError {}

/// The tracking clock's tick now: the bare-metal clock's (0 until
/// `set_clock`), or with `std` microseconds since the
/// program first read it. The ticks in [`Holder`] are on this clock.
pub fn now() -> u64 {
    crate::port::ticks()
}

impl MemSlab {
    /// Whether the slab records who holds its blocks: a declared slab with
    /// the `track` feature, or a `K_MEM_SLAB_DEFINE`d one compiled with
    /// `SLAB_CORE_TRACK` (a runtime-initialised slab has no records).
    pub fn is_tracked(&self) -> bool {
        self.records().is_some()
    }

    /// The record of block `index` (below `num_blocks`) of `records`.
    fn record(records: *const Record, index: usize) -> &'static Record {
        // SAFETY: `records` points at `num_blocks` records (room checked by
        // `__private::declare`) in the declaration's static block buffer,
        // after the blocks: they live as long as the program and are only
        // reached as atomics; callers pass an index below `num_blocks`.
        unsafe { &*records.add(index) }
    }

    /// Marks every block free in the records (`boot()`, under the lock).
    pub(crate) fn clear_records(&self) {
        if let Some(records) = self.records() {
            for index in 0..self.num_blocks() {
                let record = Self::record(records, index);
                record.site.store(ptr::null_mut(), Ordering::Relaxed);
                record.tick.store(0, Ordering::Relaxed);
            }
        }
    }

    /// Records that `block` (just allocated from this slab) is held by
    /// `site` since now. Relaxed stores: a site is a static that never
    /// changes, so a reader that sees the pointer sees what it points at;
    /// the tick is read beside it (a reader may pair a new site with the
    /// old tick for an instant, as documented for `holders`).
    #[inline(never)]
    pub(crate) fn track_taken(&self, block: NonNull<u8>, site: SiteWord) {
        let Some(records) = self.records_in_use() else {
            return;
        };
        // Not a block (a `checks = "bounds"` slab following a corrupted
        // link hands out any address): nothing to record.
        let Some(index) = self.index_in_use(block) else {
            return;
        };
        let record = Self::record(records, index);
        record
            .tick
            .store(crate::port::ticks() as usize, Ordering::Relaxed);
        record.site.store(encode(site), Ordering::Relaxed);
    }

    /// Clears block `index`'s record: it is free (or handed to a waiter,
    /// which records its own site). Under the slab's lock.
    #[inline(always)]
    pub(crate) fn track_freed(&self, index: usize) {
        if let Some(records) = self.records_in_use() {
            Self::record(records, index)
                .site
                .store(ptr::null_mut(), Ordering::Relaxed);
        }
    }

    /// Tags `block`, a block of this slab its caller holds, with `tag`: the
    /// record keeps the tag instead of the tick until the block is freed
    /// (a later `set_tag` replaces it). [`holders`](Self::holders) shows
    /// it, and [`held_longer_than`](Self::held_longer_than) no longer
    /// lists the block (a holder that says who it is is not a leak
    /// suspect).
    ///
    /// Fails, changing nothing, for a slab without records
    /// (`NotTracked`), a pointer that is not exactly one of its blocks
    /// (`NotABlock`) and a block that is free (`NotHeld`). Under the
    /// slab's lock, like `free`, which clears the tag with the site:
    /// interrupt-safe, O(1).
    ///
    /// ```
    /// use slab_core::{mem_slab, MemSlab, Timeout};
    /// use slab_core::track::TagError;
    ///
    /// #[mem_slab(blocks = 2, size = 16)]
    /// static CONN: MemSlab;
    ///
    /// fn main() {
    ///     slab_core::boot();
    ///     let session = CONN.alloc(Timeout::NoWait).unwrap();
    ///     CONN.set_tag(session, 42).unwrap(); // connection 42 holds it
    ///     let holder = CONN.holders().next().unwrap();
    ///     assert_eq!((holder.tag(), holder.tick()), (Some(42), None));
    ///     assert_eq!(CONN.held_longer_than(0).count(), 0);
    ///     // SAFETY: from CONN, not used afterwards.
    ///     unsafe { CONN.free(session) }.unwrap();
    ///     assert_eq!(CONN.set_tag(session, 43), Err(TagError::NotHeld));
    /// }
    /// ```
    pub fn set_tag(&self, block: NonNull<u8>, tag: usize) -> Result<(), TagError> {
        let records = self.records().ok_or(TagError::NotTracked)?;
        let index = self.index_in_use(block).ok_or(TagError::NotABlock)?;
        self.state.with(|_| {
            if !self.is_ready() {
                return Err(TagError::NotHeld);
            }
            let record = Self::record(records, index);
            let site = record.site.load(Ordering::Relaxed);
            if site.is_null() {
                return Err(TagError::NotHeld);
            }
            // The tag first, then (Release) the bit that says it is one: a
            // reader that sees the bit (Acquire) sees the tag.
            record.tick.store(tag, Ordering::Relaxed);
            record
                .site
                .store(site.map_addr(|a| a | TAGGED), Ordering::Release);
            Ok(())
        })
    }

    /// The allocated blocks of a tracked slab, in address order, each with
    /// the site that allocated it and when, or its tag (nothing for an
    /// untracked slab).
    ///
    /// Reads the records without the slab's lock, one block at a time, so
    /// it may run while other code allocates and frees (see the
    /// [module docs](crate::track) for what a block allocated at that very
    /// moment shows). No allocation; O(blocks).
    pub fn holders(&self) -> impl Iterator<Item = Holder> + '_ {
        let records = self.records();
        let blocks = if records.is_some() {
            self.num_blocks()
        } else {
            0
        };
        (0..blocks).filter_map(move |index| {
            let record = Self::record(records?, index);
            // Acquire: with the tagged bit, the tag (see `set_tag`).
            let site = record.site.load(Ordering::Acquire);
            if site.is_null() {
                return None;
            }
            let block = self.block_ptr(index);
            let word = record.tick.load(Ordering::Relaxed);
            let (tick, tag) = if site.addr() & TAGGED == 0 {
                (Some(word as u64), None)
            } else {
                (None, Some(word))
            };
            Some(Holder {
                slab: self.name(),
                index,
                block,
                site: decode(site),
                tick,
                tag,
            })
        })
    }

    /// The holders that have held their block for at least `ticks` ticks of
    /// [`now`]'s clock: leak suspects (a block its holder has tagged, see
    /// [`set_tag`](Self::set_tag), has no age and is not one).
    ///
    /// ```
    /// use slab_core::{mem_slab, MemSlab, Timeout};
    ///
    /// #[mem_slab(blocks = 2, size = 16)]
    /// static POOL: MemSlab;
    ///
    /// fn main() {
    ///     slab_core::boot();
    ///     let _kept = POOL.alloc(Timeout::NoWait).unwrap();
    ///     std::thread::sleep(std::time::Duration::from_millis(2));
    ///     // With `std` a tick is a microsecond.
    ///     assert_eq!(POOL.held_longer_than(1_000).count(), 1);
    ///     assert_eq!(POOL.held_longer_than(3_600_000_000).count(), 0);
    /// }
    /// ```
    pub fn held_longer_than(&self, ticks: u64) -> impl Iterator<Item = Holder> + '_ {
        let now = now();
        self.holders()
            .filter(move |h| h.age(now).is_some_and(|age| age >= ticks))
    }

    /// The sites holding this slab's blocks, each once, with how many
    /// blocks it holds: the registry table's summary. No allocation:
    /// O(blocks²) reads of the records, for a report.
    pub fn holder_sites(&self) -> impl Iterator<Item = (Option<Site>, usize)> + '_ {
        self.holders().filter_map(move |first| {
            let site = first.site;
            // The first block of each site counts them; later ones skip.
            let earlier = self
                .holders()
                .take_while(|h| h.index < first.index)
                .any(|h| h.site == site);
            if earlier {
                return None;
            }
            let count = self
                .holders()
                .skip_while(|h| h.index < first.index)
                .filter(|h| h.site == site)
                .count();
            Some((site, count))
        })
    }
}

/// An allocated block of a tracked slab and who holds it (see
/// [`MemSlab::holders`]).
///
/// `Display`: `RX block 2 (0x20000140) held by src/main.rs:40:17 since
/// tick 1234`, or for a tagged block `… held by src/main.rs:40:17 tagged
/// 42`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Holder {
    slab: &'static str,
    index: usize,
    block: NonNull<u8>,
    site: Option<Site>,
    tick: Option<u64>,
    tag: Option<usize>,
}

impl Holder {
    /// The block's index in its slab (0 is the lowest address).
    pub fn index(&self) -> usize {
        self.index
    }

    /// The block.
    pub fn block(&self) -> NonNull<u8> {
        self.block
    }

    /// Where it was allocated; `None` only for a block being allocated at
    /// the moment it was looked at.
    pub fn site(&self) -> Option<Site> {
        self.site
    }

    /// The tick of [`now`]'s clock it was allocated at (truncated to a
    /// word: on a 32-bit core, ages are exact up to 2³² ticks); `None`
    /// once the holder has tagged it (the tag took the tick's place).
    pub fn tick(&self) -> Option<u64> {
        self.tick
    }

    /// The holder's tag ([`MemSlab::set_tag`]), if it set one.
    pub fn tag(&self) -> Option<usize> {
        self.tag
    }

    /// How long it has been held at tick `now`, in ticks; `None` for a
    /// tagged block (see [`tick`](Self::tick)).
    pub fn age(&self, now: u64) -> Option<u64> {
        let tick = self.tick?;
        Some(if usize::BITS < 64 {
            (now as usize).wrapping_sub(tick as usize) as u64
        } else {
            now.wrapping_sub(tick)
        })
    }
}

impl fmt::Display for Holder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} block {} ({:p}) held by ",
            self.slab, self.index, self.block
        )?;
        match &self.site {
            Some(site) => write!(f, "{site}")?,
            None => f.write_str("unknown")?,
        }
        match (self.tick, self.tag) {
            (_, Some(tag)) => write!(f, " tagged {tag}"),
            (Some(tick), None) => write!(f, " since tick {tick}"),
            (None, None) => Ok(()),
        }
    }
}

#[cfg(feature = "defmt")]
impl defmt::Format for Holder {
    fn format(&self, f: defmt::Formatter<'_>) {
        defmt::write!(
            f,
            "{=str} block {=usize} ({=usize:#x}) held by {}",
            self.slab,
            self.index,
            self.block.as_ptr() as usize,
            ShownSite(self.site),
        );
        match (self.tick, self.tag) {
            (_, Some(tag)) => defmt::write!(f, " tagged {=usize}", tag),
            (Some(tick), None) => defmt::write!(f, " since tick {=u64}", tick),
            (None, None) => {}
        }
    }
}
