//! The registry of declared slabs, and [`boot`].
//!
//! Each declaration adds a `&'static MemSlab` to a `linkme` distributed
//! slice. On bare metal its input sections (`linkme_SLAB_CORE_REGISTRY`,
//! `linkm2_SLAB_CORE_REGISTRY`) must be kept in flash by linking with
//! `-Tslab.x` (see the crate docs).
//!
//! A library crate's slabs are registered only if the binary links that
//! crate: one that uses nothing else of it says `use driver as _;`.
//!
//! Registry names are unique in a program: the `name` key, or the static's
//! identifier as written (so `uart::RX` and `spi::RX` need `name`s). Each
//! name is also a symbol (`slab_core_registry_name_<name>`, see
//! [`mem_slab`](crate::mem_slab)), so a second slab of one name is a build
//! error in the usual builds, not a silent shadow in [`Registry::find`].
//! Cross-crate ThinLTO (`lto = "thin"`) can internalise both symbols and
//! link; [`boot`] then panics naming the duplicate, before threading any
//! slab.

use core::fmt;
use core::sync::atomic::{AtomicBool, Ordering};

use crate::slab::MemSlab;

/// Every declared slab linked into the program. The name is global (it
/// names linker sections), hence distinctive.
#[linkme::distributed_slice]
pub static SLAB_CORE_REGISTRY: [&'static MemSlab];

static BOOTED: AtomicBool = AtomicBool::new(false);

/// Threads the free list of every declared slab: call once at the start of
/// `main`, before any interrupt that allocates is enabled.
///
/// A program on an OS whose `#[global_allocator]` is a
/// [`slab_heap!`](crate::slab_heap) need not: that declaration boots from
/// a constructor that runs before `main` (std allocates before `main`), so
/// all the program's slabs are booted when `main` starts, and a call there
/// does nothing.
///
/// Idempotent and thread-safe: each slab is threaded exactly once, under
/// its own lock, and every call returns only once all slabs are ready.
/// Costs one word written per block.
///
/// # Panics
///
/// If two slabs in the registry have one name (which only a build that
/// internalises the name's symbol lets through, e.g. cross-crate ThinLTO),
/// naming it and both slabs' buffers, before any slab is threaded. The
/// check runs in every build, once: `n(n−1)/2` name comparisons for `n`
/// declared slabs (4,950 for 100), no allocation.
///
/// ```
/// slab_core::boot();
/// slab_core::boot(); // does nothing
/// ```
pub fn boot() {
    if BOOTED.load(Ordering::Acquire) {
        return;
    }
    check_unique_names(&SLAB_CORE_REGISTRY);
    for slab in SLAB_CORE_REGISTRY {
        slab.boot();
    }
    #[cfg(feature = "capi")]
    crate::capi::boot_defined();
    BOOTED.store(true, Ordering::Release);
}

/// Panics if two of `slabs` have one name: the link-time symbol of each
/// name catches this in the usual builds, but not where the linker never
/// sees those symbols (cross-crate ThinLTO internalises them).
fn check_unique_names(slabs: &[&'static MemSlab]) {
    for (i, first) in slabs.iter().enumerate() {
        if let Some(second) = slabs[i + 1..].iter().find(|s| s.name() == first.name()) {
            let (a, b) = (first.buffer_range(), second.buffer_range());
            panic!(
                "slab_core::boot(): two slabs are registered under the name `{}` \
                 (buffers at {:#x}..{:#x} and {:#x}..{:#x}): a registry name is unique in \
                 a program; give one of them another `name = \"…\"`",
                first.name(),
                a.start,
                a.end,
                b.start,
                b.end,
            );
        }
    }
}

/// The registry of every declared slab in the program.
///
/// ```
/// println!("{}", slab_core::registry());
/// ```
pub fn registry() -> Registry {
    Registry {
        slabs: &SLAB_CORE_REGISTRY,
    }
}

/// Every slab declared with [`#[mem_slab]`](crate::mem_slab) or
/// [`mem_slabs!`](crate::mem_slabs) and linked into the program, each
/// exactly once, in no particular order. `Display` prints a usage table.
#[derive(Clone, Copy)]
pub struct Registry {
    slabs: &'static [&'static MemSlab],
}

impl Registry {
    /// The slabs.
    pub fn iter(&self) -> impl Iterator<Item = &'static MemSlab> + 'static {
        self.slabs.iter().copied()
    }

    /// The number of declared slabs.
    pub fn len(&self) -> usize {
        self.slabs.len()
    }

    /// Whether no slab is declared.
    pub fn is_empty(&self) -> bool {
        self.slabs.is_empty()
    }

    /// The slab registered under `name` (names are unique: a second slab
    /// of one name does not build, or where a build lets it through,
    /// [`boot`] panics).
    ///
    /// ```
    /// use slab_core::{mem_slab, MemSlab};
    ///
    /// #[mem_slab(blocks = 2, size = 16, name = "uart-rx")]
    /// static UART_RX: MemSlab;
    ///
    /// fn main() {
    ///     slab_core::boot();
    ///     let registry = slab_core::registry();
    ///     let found = registry.find("uart-rx").unwrap();
    ///     assert!(core::ptr::eq(found, &UART_RX));
    ///     assert!(registry.iter().any(|s| s.name() == "uart-rx"));
    ///     assert!(registry.find("nope").is_none());
    ///     print!("{registry}"); // the table: name, block, blocks, used, free, max, ready
    /// }
    /// ```
    pub fn find(&self, name: &str) -> Option<&'static MemSlab> {
        self.iter().find(|s| s.name() == name)
    }
}

impl IntoIterator for Registry {
    type Item = &'static MemSlab;
    type IntoIter = core::iter::Copied<core::slice::Iter<'static, &'static MemSlab>>;

    fn into_iter(self) -> Self::IntoIter {
        self.slabs.iter().copied()
    }
}

impl fmt::Debug for Registry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.iter()).finish()
    }
}

/// The table: a header, then one row per slab, sorted by name.
///
/// ```text
/// name     block size  blocks    used    free  max used  ready
/// RX_BUFS          64       8       3       5         4  yes
/// ```
impl fmt::Display for Registry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let width = self.iter().map(|s| s.name().len()).fold(4, usize::max);
        writeln!(
            f,
            "{:<width$}  {:>10}  {:>6}  {:>6}  {:>6}  {:>8}  ready",
            "name", "block size", "blocks", "used", "free", "max used"
        )?;
        for slab in self.sorted() {
            writeln!(
                f,
                "{:<width$}  {:>10}  {:>6}  {:>6}  {:>6}  {:>8}  {}",
                slab.name(),
                slab.block_size(),
                slab.num_blocks(),
                slab.num_used(),
                slab.num_free(),
                slab.max_used(),
                if slab.is_ready() { "yes" } else { "no" },
            )?;
        }
        Ok(())
    }
}

impl Registry {
    /// The slabs by name (then address), without allocating: a selection
    /// over the slice, quadratic in the number of slabs, which is small.
    fn sorted(&self) -> impl Iterator<Item = &'static MemSlab> + '_ {
        let key = |s: &'static MemSlab| (s.name(), s as *const MemSlab as usize);
        let mut last: Option<(&'static str, usize)> = None;
        core::iter::from_fn(move || {
            let next = self
                .iter()
                .filter(|&s| last.is_none_or(|l| key(s) > l))
                .min_by_key(|&s| key(s))?;
            last = Some(key(next));
            Some(next)
        })
    }
}
