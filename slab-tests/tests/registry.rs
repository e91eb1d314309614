//! The registry: every declared slab exactly once, lookup, table.

use std::collections::HashSet;

use slab_core::{MemSlab, Timeout, mem_slab, mem_slabs};

#[mem_slab(blocks = 8, size = 64)]
pub static RX_BUFS: MemSlab;

mem_slabs! {
    /// Transmit buffers.
    pub static TX_BUFS(blocks = 4, size = 128);
    static SMALL(blocks = 16, size = 1);
}

static RUNTIME: MemSlab = MemSlab::new();

#[test]
fn lists_every_declared_slab_once() {
    slab_core::boot();
    let registry = slab_core::registry();
    assert_eq!(registry.len(), 3);
    assert!(!registry.is_empty());
    let names: HashSet<_> = registry.iter().map(MemSlab::name).collect();
    assert_eq!(names, HashSet::from(["RX_BUFS", "TX_BUFS", "SMALL"]));
    let by_into_iter: Vec<&MemSlab> = registry.into_iter().collect();
    assert_eq!(by_into_iter.len(), 3);
    assert!(std::ptr::eq(registry.find("RX_BUFS").unwrap(), &RX_BUFS));
    assert!(std::ptr::eq(registry.find("TX_BUFS").unwrap(), &TX_BUFS));
    assert!(registry.find("rx_bufs").is_none());
    assert!(registry.iter().all(|s| !std::ptr::eq(s, &RUNTIME)));
    assert_eq!(SMALL.block_size(), slab_tests::WORD, "rounded up to a word");
}

#[test]
fn table_shows_usage() {
    slab_core::boot();
    let a = TX_BUFS.alloc(Timeout::NoWait).unwrap();
    let b = TX_BUFS.alloc(Timeout::NoWait).unwrap();
    // SAFETY: `b` is ours.
    unsafe { TX_BUFS.free(b) }.unwrap();
    let table = slab_core::registry().to_string();
    println!("{table}");
    let header = table.lines().next().unwrap();
    for column in ["name", "block size", "blocks", "used", "free", "max used"] {
        assert!(header.contains(column), "{header}");
    }
    let row = table.lines().find(|l| l.starts_with("TX_BUFS")).unwrap();
    let cells: Vec<&str> = row.split_whitespace().collect();
    assert_eq!(cells[..6], ["TX_BUFS", "128", "4", "1", "3", "2"]);
    assert_eq!(table.lines().count(), 4);
    // Rows come sorted by name, for people reading the table.
    let names: Vec<&str> = table
        .lines()
        .skip(1)
        .filter_map(|l| l.split_whitespace().next())
        .collect();
    assert_eq!(names, ["RX_BUFS", "SMALL", "TX_BUFS"]);
    // SAFETY: `a` is ours.
    unsafe { TX_BUFS.free(a) }.unwrap();
}
