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
use core::mem::MaybeUninit;
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
    if let (Some((first, second)), _) = find_duplicate_name(slabs) {
        let (first, second) = (slabs[first], slabs[second]);
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

/// Whether two of `slabs` have one name (the check `boot()` panics on;
/// the C ABI's `slab_core_boot` returns an error instead).
#[cfg(feature = "capi")]
pub(crate) fn has_duplicate_name(slabs: &[&'static MemSlab]) -> bool {
    find_duplicate_name(slabs).0.is_some()
}

/// The indices of two of `slabs` with one name, if any, and how many
/// names were compared.
///
/// No allocation, and far fewer comparisons than every pair: each name
/// sets one bit, by its hash, of a filter on the stack, and only a name
/// whose bit is already set is compared with the names before it (length
/// and last byte first). With `n` distinct names about `n²/(2·bits)` meet
/// a set bit. The filter grows with the registry, so that a firmware pays
/// stack in proportion to its slabs: 256 bits (32 bytes) up to 64 slabs,
/// 2,048 (256 bytes) up to 512, 8,192 (1 KiB) beyond; with `std`, 65,536
/// bits (8 KiB) always. Counted over names like `S0000`, `uart7_rx` and
/// `HEAP/16` (`registry::tests`).
fn find_duplicate_name(slabs: &[&'static MemSlab]) -> (Option<(usize, usize)>, usize) {
    // One search, out of line, over a filter of each size: each size costs
    // a few instructions of flash, not a copy of the search.
    if cfg!(feature = "std") {
        with_filter::<2048>(slabs)
    } else if slabs.len() <= 64 {
        with_filter::<8>(slabs)
    } else if slabs.len() <= 512 {
        with_filter::<64>(slabs)
    } else {
        with_filter::<256>(slabs)
    }
}

/// [`find_duplicate_in`] with a filter of `WORDS` words on this
/// function's own stack frame (so that only the size asked for is taken).
#[inline(never)]
fn with_filter<const WORDS: usize>(slabs: &[&'static MemSlab]) -> (Option<(usize, usize)>, usize) {
    find_duplicate_in(slabs, &mut [MaybeUninit::uninit(); WORDS])
}

/// [`find_duplicate_name`] with `filter`, `32 × filter.len()` bits (a
/// power of two), which it clears first.
#[inline(never)]
fn find_duplicate_in(
    slabs: &[&'static MemSlab],
    filter: &mut [MaybeUninit<u32>],
) -> (Option<(usize, usize)>, usize) {
    debug_assert!(filter.len().is_power_of_two());
    for word in filter.iter_mut() {
        // Volatile, so that the loop stays a loop: as a `memset`, it would
        // link 170 bytes of `__aeabi_memclr4` for a one-off clear.
        // SAFETY: a valid, aligned word of the filter.
        unsafe { core::ptr::write_volatile(word.as_mut_ptr(), 0) };
    }
    // SAFETY: every word was written just above, and `MaybeUninit<u32>`
    // has `u32`'s layout.
    let seen: &mut [u32] = unsafe { &mut *(core::ptr::from_mut(filter) as *mut [u32]) };
    let mask_of_bits = 32 * seen.len() - 1;
    let mut compared = 0;
    for (i, second) in slabs.iter().enumerate() {
        let bit = name_hash(second.name()) as usize & mask_of_bits;
        let (word, mask) = (bit / 32, 1u32 << (bit % 32));
        if seen[word] & mask != 0 {
            compared += i;
            let name = second.name();
            if let Some(first) = slabs[..i].iter().position(|s| same_name(s.name(), name)) {
                return (Some((first, i)), compared);
            }
        }
        seen[word] |= mask;
    }
    (None, compared)
}

/// `a == b`, looking at the lengths and the last bytes before the rest:
/// names that differ mostly differ there (`uart0_rx`, `uart1_rx`), and a
/// string comparison is a call.
#[inline]
fn same_name(a: &str, b: &str) -> bool {
    a.len() == b.len() && a.as_bytes().last() == b.as_bytes().last() && a == b
}

/// FNV-1a, 32 bits: a name's bit in the filter. Equal names hash alike,
/// which is all the check relies on; the spread only sets its speed.
fn name_hash(name: &str) -> u32 {
    name.bytes().fold(0x811c_9dc5, |hash, byte| {
        (hash ^ u32::from(byte)).wrapping_mul(0x0100_0193)
    })
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
    use super::{Registry, ShownName, check_unique_names, find_duplicate_name, name_hash};
    use crate::slab::MemSlab;

    extern crate std;
    use std::boxed::Box;
    use std::format;
    use std::panic::{AssertUnwindSafe, catch_unwind};
    use std::string::String;
    use std::vec::Vec;

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

    /// A duplicate is found wherever it stands, among names that share a
    /// filter bit or not; distinct names are compared far fewer times
    /// than every pair.
    #[test]
    // Safe code only, and thousands of names: a minute under miri.
    #[cfg_attr(miri, ignore)]
    fn duplicates_are_found_without_comparing_every_pair() {
        let names: Vec<&'static MemSlab> = (0..1000)
            .map(|i| named(String::leak(format!("S{i:04}"))))
            .collect();
        // The bounds the docs quote, for this filter's size.
        let (thousand_bound, hundred_bound) = if cfg!(feature = "std") {
            (1_000, 1)
        } else {
            (50_000, 250)
        };
        for names in [
            (0..1000).map(|i| format!("S{i:04}")).collect::<Vec<_>>(),
            (0..1000).map(|i| format!("uart{i}_rx")).collect(),
            (0..1000)
                .map(|i| format!("HEAP/{}", 16 * (i + 1)))
                .collect(),
        ] {
            let slabs: Vec<&'static MemSlab> =
                names.into_iter().map(|n| named(String::leak(n))).collect();
            let (none, compared) = find_duplicate_name(&slabs);
            assert_eq!(none, None);
            assert!(
                compared < thousand_bound,
                "{compared} comparisons for 1000 names"
            );
            let (none, hundred) = find_duplicate_name(&slabs[..100]);
            assert_eq!(none, None);
            assert!(
                hundred < hundred_bound,
                "{hundred} comparisons for 100 names"
            );
        }
        for (first, second) in [(0, 999), (500, 501), (998, 999), (0, 1)] {
            let mut with_duplicate = names.clone();
            with_duplicate[second] = named(names[first].name());
            let panic = catch_unwind(AssertUnwindSafe(|| check_unique_names(&with_duplicate)))
                .expect_err("a duplicate");
            let message = panic.downcast_ref::<String>().expect("a message");
            let name = names[first].name();
            assert!(message.contains(&format!("name `{name}`")), "{message}");
            assert_eq!(
                find_duplicate_name(&with_duplicate).0,
                Some((first, second))
            );
        }
    }

    /// Every filter size (the three without `std` and the one with it)
    /// finds the same pair as comparing every name with every earlier one,
    /// for duplicates anywhere among names that share a length, a last
    /// byte and, in the small filters, most of their bits.
    #[test]
    #[cfg_attr(miri, ignore)]
    fn every_filter_size_finds_what_every_pair_finds() {
        use super::with_filter;
        fn every_pair(slabs: &[&'static MemSlab]) -> Option<(usize, usize)> {
            (0..slabs.len()).find_map(|i| {
                (0..i)
                    .find(|&j| slabs[j].name() == slabs[i].name())
                    .map(|j| (j, i))
            })
        }
        // Equal lengths and last bytes: only the middle tells them apart.
        let names: Vec<&'static MemSlab> = (0..600)
            .map(|i| named(String::leak(format!("s{i:03}x"))))
            .collect();
        let mut state = 0x2545_f491u32;
        let mut next = |bound: usize| {
            state ^= state << 13;
            state ^= state >> 17;
            state ^= state << 5;
            state as usize % bound
        };
        for round in 0..200 {
            let len = 1 + next(names.len());
            let mut slabs = names[..len].to_vec();
            if round % 4 != 0 && len > 1 {
                let second = 1 + next(len - 1);
                let first = next(second);
                slabs[second] = named(names[first].name());
            }
            let expected = every_pair(&slabs);
            assert_eq!(with_filter::<8>(&slabs).0, expected, "{len} names");
            assert_eq!(with_filter::<64>(&slabs).0, expected, "{len} names");
            assert_eq!(with_filter::<256>(&slabs).0, expected, "{len} names");
            assert_eq!(with_filter::<2048>(&slabs).0, expected, "{len} names");
            assert_eq!(find_duplicate_name(&slabs).0, expected, "{len} names");
        }
    }

    /// The count of names compared is the sum, over the names whose bit was
    /// already set, of how many names came before them; and the filter
    /// size `find_duplicate_name` takes without `std` grows with the
    /// registry (32 bytes up to 64 names, 256 up to 512, 1 KiB beyond).
    #[test]
    // Safe code only: not worth miri's time.
    #[cfg_attr(miri, ignore)]
    fn the_comparisons_counted_and_the_filter_chosen() {
        use super::with_filter;
        fn expected<const WORDS: usize>(slabs: &[&'static MemSlab]) -> usize {
            let mut seen = std::vec![false; 32 * WORDS];
            let mut compared = 0;
            for (i, s) in slabs.iter().enumerate() {
                let bit = name_hash(s.name()) as usize % (32 * WORDS);
                if seen[bit] {
                    compared += i;
                }
                seen[bit] = true;
            }
            compared
        }
        let names: Vec<&'static MemSlab> = (0..600)
            .map(|i| named(String::leak(format!("uart{i}_rx"))))
            .collect();
        for len in [10, 64, 65, 100, 512, 513, 600] {
            let slabs = &names[..len];
            let small = with_filter::<8>(slabs).1;
            assert_eq!(small, expected::<8>(slabs), "{len} names");
            assert_eq!(with_filter::<64>(slabs).1, expected::<64>(slabs));
            assert_eq!(with_filter::<256>(slabs).1, expected::<256>(slabs));
            if len >= 64 {
                assert!(small > 0, "{len} names in 256 bits share some");
            }
            let chosen = if cfg!(feature = "std") {
                expected::<2048>(slabs)
            } else if len <= 64 {
                expected::<8>(slabs)
            } else if len <= 512 {
                expected::<64>(slabs)
            } else {
                expected::<256>(slabs)
            };
            assert_eq!(find_duplicate_name(slabs).1, chosen, "{len} names");
        }
    }

    /// The filter's hash: FNV-1a's published test values.
    #[test]
    fn the_name_hash_is_fnv_1a() {
        assert_eq!(name_hash(""), 0x811c_9dc5);
        assert_eq!(name_hash("a"), 0xe40c_292c);
        assert_eq!(name_hash("foobar"), 0xbf9c_f968);
    }
}
