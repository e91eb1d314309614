//! The registry of declared slabs, and the boot sequence over it (the
//! public [`boot`](crate::boot) adds the C ABI's slabs to it).
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
//! name is also a symbol (`slab_core.two_slabs_are_named.<name>.…`, see
//! [`mem_slab`](crate::mem_slab)), so a second slab of one name is a build
//! error in the usual builds, not a silent shadow in [`Registry::find`].
//! Cross-crate ThinLTO (`lto = "thin"`) can internalise both symbols and
//! link; [`boot`](crate::boot) then panics naming the duplicate, before
//! threading any slab.

use core::fmt;
use core::sync::atomic::{AtomicBool, Ordering};

use crate::slab::MemSlab;

/// Every declared slab linked into the program. The name is global (it
/// names linker sections), hence distinctive.
#[linkme::distributed_slice]
pub static SLAB_CORE_REGISTRY: [&'static MemSlab];

static BOOTED: AtomicBool = AtomicBool::new(false);

/// [`boot`](crate::boot)'s sequence, once whoever calls first: the name
/// check, every slab in the registry, then `then` (the `K_MEM_SLAB_DEFINE`d
/// slabs of the C ABI, feature `capi`: a parameter, so that the registry
/// does not depend on the C ABI, which reads it).
pub(crate) fn boot_with(then: impl FnOnce()) {
    linked_with_slab_x();
    if BOOTED.load(Ordering::Acquire) {
        return;
    }
    check_unique_names(&SLAB_CORE_REGISTRY);
    for slab in SLAB_CORE_REGISTRY {
        slab.boot();
    }
    then();
    BOOTED.store(true, Ordering::Release);
}

/// On bare metal, refers to a symbol that only the linker fragment `slab.x`
/// defines, so that a firmware linked without `-Tslab.x` (whose registry
/// the linker would put in RAM, where the reset handler's `.data` copy
/// overwrites it) fails to link, with an undefined symbol whose name says
/// what to add, instead of reading the overwritten registry at run time.
#[inline(always)]
fn linked_with_slab_x() {
    #[cfg(all(target_os = "none", not(feature = "std")))]
    {
        unsafe extern "C" {
            // Defined (as an absolute value) in slab.x, with this name.
            #[link_name = "ERROR(slab-core): link with the linker script slab.x: add -C link-arg=-Tslab.x after -Tlink.x to the target's rustflags in .cargo/config.toml"]
            static SLAB_X_LINKED: u8;
        }
        // Only its address is taken (never read); `black_box` keeps the
        // reference, and so the link-time check, through any optimisation.
        core::hint::black_box(&raw const SLAB_X_LINKED);
    }
}

/// Panics if two of `slabs` have one name: the link-time symbol of each
/// name catches this in the usual builds, but not where the linker never
/// sees those symbols (cross-crate ThinLTO internalises them).
fn check_unique_names(slabs: &[&'static MemSlab]) {
    if let Some((i, j)) = first_duplicate(slabs) {
        let (first, second) = (slabs[i], slabs[j]);
        let (a, b) = (first.buffer_range(), second.buffer_range());
        panic!(
            "slab_core::boot(): two slabs are registered under the name `{}` \
             (buffers at {:#x}..{:#x} and {:#x}..{:#x}): a registry name is unique in \
             a program; give one of them another `name = \"…\"`",
            ShownName(first.name()),
            a.start,
            a.end,
            b.start,
            b.end,
        );
    }
}

/// How many names [`first_duplicate`] holds at a time, on the stack (4
/// bytes each: a name's hash with its low bits replaced by its index in
/// the group).
const HASHED: usize = 64;
/// The low bits of a key that hold the index.
const INDEX_BITS: u32 = HASHED.trailing_zeros();
const INDEX_MASK: u32 = (1 << INDEX_BITS) - 1;

/// A name's 32-bit FNV-1a hash: equal names hash equal, so two names whose
/// hashes differ differ.
fn name_hash(name: &str) -> u32 {
    name.bytes().fold(0x811c_9dc5, |h, b| {
        (h ^ u32::from(b)).wrapping_mul(0x0100_0193)
    })
}

/// The first two of `slabs` with one name, as indices `(i, j)`, `i < j`:
/// the least such `i`, and for it the least `j` (the pair a comparison of
/// every pair in order finds first). `None` if every name is unique.
///
/// Without allocation and with a bounded stack (256 bytes), so still
/// quadratic, but cheap per pair: the slabs are taken [`HASHED`] at a
/// time, their names' hashes sorted; each later slab's name is hashed once
/// per group and looked up by binary search, and names are compared byte
/// by byte only where the hashes meet. `n` slabs cost about `n²/128`
/// hashes of a name and lookups, where comparing every pair cost `n²/2`
/// name comparisons.
pub(crate) fn first_duplicate(slabs: &[&MemSlab]) -> Option<(usize, usize)> {
    let mut storage = [0u32; HASHED];
    let mut start = 0;
    while start < slabs.len() {
        let group = &slabs[start..slabs.len().min(start + HASHED)];
        let keys = &mut storage[..group.len()];
        for (i, (key, slab)) in keys.iter_mut().zip(group).enumerate() {
            *key = (name_hash(slab.name()) & !INDEX_MASK) | i as u32;
        }
        // Insertion sort: small code for 64 keys. Keys of one hash end up
        // in the order of their index.
        for k in 1..keys.len() {
            let mut m = k;
            while m > 0 && keys[m - 1] > keys[m] {
                keys.swap(m - 1, m);
                m -= 1;
            }
        }
        let keys = &*keys;
        let mut found: Option<(usize, usize)> = None;
        for (j, later) in slabs.iter().enumerate().skip(start + 1) {
            let hash = name_hash(later.name()) & !INDEX_MASK;
            let from = keys.partition_point(|&key| key < hash);
            for &key in keys[from..]
                .iter()
                .take_while(|&&key| key & !INDEX_MASK == hash)
            {
                let i = start + (key & INDEX_MASK) as usize;
                if i >= j {
                    break;
                }
                if names_equal(slabs[i], later) {
                    if found.is_none_or(|(best, _)| i < best) {
                        found = Some((i, j));
                    }
                    break;
                }
            }
            if found.is_some_and(|(i, _)| i == start) {
                // No lesser `i` in this group, and a later `j` is larger.
                break;
            }
        }
        if found.is_some() {
            return found;
        }
        start += group.len();
    }
    None
}

/// Whether two slabs have one name (counted in tests).
fn names_equal(a: &MemSlab, b: &MemSlab) -> bool {
    #[cfg(test)]
    tests::NAME_COMPARISONS.with(|n| n.set(n.get() + 1));
    a.name() == b.name()
}

/// A registry name as a panic message shows it: escaped, and at most
/// [`ShownName::MAX`] bytes of it, so that a registry read from the wrong
/// memory cannot print kilobytes of whatever lies there as a name.
struct ShownName(&'static str);

impl ShownName {
    /// Longer than any name a declaration is likely to give.
    const MAX: usize = 64;
}

impl fmt::Display for ShownName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let bytes = self.0.as_bytes();
        for chunk in bytes[..bytes.len().min(Self::MAX)].utf8_chunks() {
            write!(f, "{}", chunk.valid().escape_debug())?;
            for byte in chunk.invalid() {
                write!(f, "\\x{byte:02x}")?;
            }
        }
        if bytes.len() > Self::MAX {
            write!(f, "… ({} bytes)", bytes.len())?;
        }
        Ok(())
    }
}

/// The registry of every declared slab in the program.
///
/// ```
/// println!("{}", slab_core::registry());
/// ```
pub fn registry() -> Registry {
    linked_with_slab_x();
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
    /// [`boot`](crate::boot) panics).
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

/// The table: a header, then one row per slab, sorted by name. With the
/// `track` feature, each row is followed by one line per site holding
/// blocks of that slab (`MemSlab::holder_sites()`).
///
/// ```text
/// name     block size  blocks    used    free  max used  ready
/// RX_BUFS          64       8       3       5         4  yes
///   2 blocks held by src/main.rs:40:17
///   1 block held by src/main.rs:112:9
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
            #[cfg(feature = "track")]
            for (site, blocks) in slab.holder_sites() {
                let noun = if blocks == 1 { "block" } else { "blocks" };
                match site {
                    Some(site) => writeln!(f, "  {blocks} {noun} held by {site}")?,
                    None => writeln!(f, "  {blocks} {noun} held by unknown (being allocated)")?,
                }
            }
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

#[cfg(test)]
mod tests {
    use super::{HASHED, Registry, ShownName, check_unique_names, first_duplicate, name_hash};
    use crate::slab::MemSlab;

    extern crate std;
    use std::boxed::Box;
    use std::format;
    use std::panic::{AssertUnwindSafe, catch_unwind};
    use std::string::String;
    use std::vec::Vec;

    std::thread_local! {
        /// Name comparisons `first_duplicate` made on this thread.
        pub(super) static NAME_COMPARISONS: core::cell::Cell<usize> = const { core::cell::Cell::new(0) };
    }

    /// The pair that comparing every pair in order finds first.
    fn first_duplicate_by_every_pair(slabs: &[&MemSlab]) -> Option<(usize, usize)> {
        (0..slabs.len()).find_map(|i| {
            (i + 1..slabs.len())
                .find(|&j| slabs[i].name() == slabs[j].name())
                .map(|j| (i, j))
        })
    }

    /// Names from a small alphabet, so that lists of some dozens hold
    /// duplicates at every distance, within a group of hashed names and
    /// across groups.
    #[test]
    fn finds_the_pair_that_comparing_every_pair_finds() {
        let mut seed = 0x2545_f491_u32;
        let mut next = move || {
            seed ^= seed << 13;
            seed ^= seed >> 17;
            seed ^= seed << 5;
            seed
        };
        let pool: Vec<&'static MemSlab> = (0..200)
            .map(|k| named(String::leak(format!("S{k}"))))
            .collect();
        for round in 0..400 {
            let n = 1 + (next() as usize) % (3 * HASHED + 5);
            let spread = 1 + (round % 7) * 40;
            let slabs: Vec<&MemSlab> = (0..n)
                .map(|_| pool[(next() as usize) % spread.min(pool.len())])
                .collect();
            assert_eq!(
                first_duplicate(&slabs),
                first_duplicate_by_every_pair(&slabs),
                "{:?}",
                slabs.iter().map(|s| s.name()).collect::<Vec<_>>()
            );
        }
        // A duplicate of the first name at the end, behind another pair
        // with a greater first index.
        let [a, b, c] = [named("A"), named("B"), named("C")];
        let mut slabs: Vec<&MemSlab> = std::vec![a, b, c, b];
        slabs.extend((0..2 * HASHED).map(|k| named(String::leak(format!("F{k}")))));
        slabs.push(a);
        assert_eq!(first_duplicate(&slabs), Some((0, slabs.len() - 1)));
        assert_eq!(first_duplicate(&slabs[1..]), Some((0, 2)));
        assert_eq!(first_duplicate(&[]), None);
        assert_eq!(first_duplicate(&[a]), None);
    }

    /// A thousand names of one length: comparing every pair compared
    /// 499,500 pairs of names; the hashes leave only the pairs whose
    /// hashes are equal (none here) to compare.
    #[test]
    fn distinct_names_are_compared_only_where_their_hashes_meet() {
        let slabs: Vec<&MemSlab> = (0..1000)
            .map(|k| named(String::leak(format!("S{k:05}"))))
            .collect();
        let mut hashes: Vec<u32> = slabs.iter().map(|s| name_hash(s.name())).collect();
        hashes.sort_unstable();
        hashes.dedup();
        assert_eq!(hashes.len(), 1000, "no two of these names hash alike");
        NAME_COMPARISONS.with(|n| n.set(0));
        assert_eq!(first_duplicate(&slabs), None);
        assert_eq!(NAME_COMPARISONS.with(|n| n.get()), 0);
        // A duplicate costs one comparison.
        let mut with_one = slabs.clone();
        with_one.push(slabs[500]);
        NAME_COMPARISONS.with(|n| n.set(0));
        assert_eq!(first_duplicate(&with_one), Some((500, 1000)));
        assert_eq!(NAME_COMPARISONS.with(|n| n.get()), 1);
    }

    fn named(name: &'static str) -> &'static MemSlab {
        Box::leak(Box::new(MemSlab::declared(
            name,
            core::ptr::null_mut(),
            core::ptr::null_mut(),
            8,
            1,
        )))
    }

    #[test]
    fn a_name_is_shown_escaped_and_bounded() {
        assert_eq!(format!("{}", ShownName("uart-rx")), "uart-rx");
        assert_eq!(format!("{}", ShownName("a\nb\u{7}")), "a\\nb\\u{7}");
        let long: &'static str = String::leak("\u{1}".repeat(8192));
        let shown = format!("{}", ShownName(long));
        assert_eq!(shown, format!("{}… (8192 bytes)", "\\u{1}".repeat(64)));
    }

    /// A registry read from the wrong memory can list two "slabs" whose
    /// names are the same kilobytes of memory: the panic shows a bounded
    /// prefix.
    /// A program without declared slabs has an empty registry: no entry,
    /// `len()` 0, `is_empty()`, and a table of the header alone.
    #[test]
    fn a_registry_without_slabs_is_empty() {
        let empty = Registry { slabs: &[] };
        assert!(empty.is_empty());
        assert_eq!((empty.len(), empty.iter().count()), (0, 0));
        assert_eq!(format!("{empty}").lines().count(), 1);
        let one = Registry {
            slabs: Box::leak(Box::new([named("RX")])),
        };
        assert!(!one.is_empty());
        assert_eq!(one.len(), 1);
    }

    /// A registry's `Debug` is the list of its slabs.
    #[test]
    fn debug_lists_the_slabs() {
        let slabs: &'static [&'static MemSlab] = Box::leak(Box::new([named("RX"), named("TX")]));
        let shown = format!("{:?}", Registry { slabs });
        assert_eq!(shown, format!("{slabs:?}"));
        assert!(
            shown.starts_with("[MemSlab") && shown.contains("TX"),
            "{shown}"
        );
        assert_eq!(format!("{:?}", Registry { slabs: &[] }), "[]");
    }

    /// A name of `MAX` bytes is shown whole; one byte more and it is cut
    /// to `MAX`, with its length after it.
    #[test]
    fn a_name_is_cut_only_past_the_bound() {
        let exact: &'static str = String::leak("n".repeat(ShownName::MAX));
        assert_eq!(format!("{}", ShownName(exact)), exact);
        let over: &'static str = String::leak("n".repeat(ShownName::MAX + 1));
        assert_eq!(
            format!("{}", ShownName(over)),
            format!("{exact}… ({} bytes)", ShownName::MAX + 1)
        );
    }

    #[test]
    fn the_duplicate_name_panic_shows_a_bounded_name() {
        let memory: &'static str = String::leak("\u{0}".repeat(8192));
        let slabs = [named(memory), named("TX"), named(memory)];
        let panic =
            catch_unwind(AssertUnwindSafe(|| check_unique_names(&slabs))).expect_err("a duplicate");
        let message = panic.downcast_ref::<String>().expect("a message");
        assert!(
            message.contains("registered under the name `\\0\\0\\0") && message.len() < 600,
            "{} bytes: {message}",
            message.len()
        );
        assert!(message.contains("… (8192 bytes)"), "{message}");
        check_unique_names(&[named("RX"), named("TX")]);
    }
}
