//! The declarations of API.md §1 compile without a warning.
#![deny(warnings, missing_docs)]

use slab_core::{MemSlab, mem_slab};

/// A command.
pub struct Command {
    /// Its opcode.
    pub opcode: u32,
    /// Its payload.
    pub payload: [u8; 12],
}

/// Receive buffers.
#[mem_slab(blocks = 8, size = 64)]
pub static RX_BUFS: MemSlab;

slab_core::mem_slabs! {
    /// Transmit buffers.
    pub static TX_BUFS(blocks = 4, size = 128);
    static CMDS(blocks = 2, type = Command, align = 16);
}

fn main() {
    slab_core::boot();
    assert_eq!(RX_BUFS.block_size(), 64);
    assert_eq!(TX_BUFS.num_blocks(), 4);
    assert_eq!(CMDS.block_size(), 16);
    assert_eq!(slab_core::registry().len(), 3);
}
