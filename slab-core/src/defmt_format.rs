//! `defmt::Format` for the inspection types (feature `defmt`): a slab as one
//! registry row, the registry as its table, and [`Registry::log`]. (The
//! error types and `Timeout` derive `defmt::Format` where they are defined.)
//!
//! Like `Display`, these read the counters without the slabs' locks: each
//! number is exact, a row is not one snapshot (use [`MemSlab::stats`] for
//! that).

use crate::registry::Registry;
use crate::slab::{MemSlab, MemStats};

impl defmt::Format for MemStats {
    fn format(&self, f: defmt::Formatter<'_>) {
        defmt::write!(
            f,
            "MemStats {{ allocated_bytes: {=usize}, free_bytes: {=usize}, max_allocated_bytes: {=usize} }}",
            self.allocated_bytes,
            self.free_bytes,
            self.max_allocated_bytes
        );
    }
}

/// One row of the registry's table: name, block size, blocks, used, free,
/// max used, ready.
impl defmt::Format for MemSlab {
    fn format(&self, f: defmt::Formatter<'_>) {
        defmt::write!(
            f,
            "{=str}: block {=usize} B, blocks {=usize}, used {=usize}, free {=usize}, max {=usize}, ready {=bool}",
            self.name(),
            self.block_size(),
            self.num_blocks(),
            self.num_used(),
            self.num_free(),
            self.max_used(),
            self.is_ready()
        );
    }
}

/// The table: one row (a [`MemSlab`]) per line.
impl defmt::Format for Registry {
    fn format(&self, f: defmt::Formatter<'_>) {
        defmt::write!(f, "{=usize} slabs", self.len());
        for slab in self.iter() {
            defmt::write!(f, "\n  {}", slab);
            #[cfg(feature = "track")]
            for (site, blocks) in slab.holder_sites() {
                defmt::write!(
                    f,
                    "\n    {=usize} held by {}",
                    blocks,
                    crate::slab::track::ShownSite(site)
                );
            }
        }
    }
}

impl Registry {
    /// Logs one `defmt::info!` line per declared slab: its registry row
    /// (feature `defmt`).
    ///
    /// ```ignore
    /// slab_core::boot();
    /// slab_core::registry().log();
    /// // INFO  slab RX_BUFS: block 64 B, blocks 8, used 3, free 5, max 4, ready true
    /// // with `track`, one line per site holding blocks:
    /// // INFO  slab RX_BUFS: 2 held by src/main.rs:40:17
    /// ```
    pub fn log(&self) {
        for slab in self.iter() {
            defmt::info!("slab {}", slab);
            #[cfg(feature = "track")]
            for (site, blocks) in slab.holder_sites() {
                defmt::info!(
                    "slab {=str}: {=usize} held by {}",
                    slab.name(),
                    blocks,
                    crate::slab::track::ShownSite(site)
                );
            }
        }
    }
}
