//! For a firmware's `build.rs` (feature `build`, with `std`): the QEMU
//! board its target runs on, that board's `memory.x` where the linker
//! finds it, and what the firmware learns from it at compile time.
//!
//! ```ignore
//! // build.rs of a firmware, with
//! // [build-dependencies] slab-firmware-common = { path = "../common", features = ["build"] }
//! fn main() {
//!     slab_firmware_common::build::memory_x("");
//!     println!("cargo:rerun-if-changed=build.rs");
//! }
//! ```
//!
//! This file is also the common crate's own build script's (it sets the
//! same `cfg(board)` for the crate itself).

use std::path::PathBuf;
use std::string::{String, ToString};
use std::{env, format, fs, println};

/// A QEMU board that the firmware of `examples/` runs on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Board {
    /// TI Stellaris LM3S6965 (`qemu-system-arm -machine lm3s6965evb`,
    /// Cortex-M3): thumbv6m and thumbv7m code.
    Lm3s6965,
    /// Arm MPS2 with the AN505 image (`qemu-system-arm -machine
    /// mps2-an505`, Cortex-M33): thumbv8m.main code, in the secure state.
    An505,
    /// QEMU's RISC-V `virt` (`qemu-system-riscv32 -machine virt -bios
    /// none`): riscv32 code.
    Virt,
    /// Arm MPS2 with the AN385 image (`qemu-system-arm -machine
    /// mps2-an385`, Cortex-M3, 4 MiB of RAM): thumbv7m code that needs more
    /// RAM than the LM3S6965's 64 KiB (the growth benchmark's thousand
    /// slabs). Never picked by the target: a firmware asks for it
    /// ([`memory_x_on`]).
    An385,
}

impl Board {
    /// Every board, for `cargo:rustc-check-cfg`.
    pub const ALL: [Board; 4] = [Board::Lm3s6965, Board::An505, Board::Virt, Board::An385];

    /// The board a target triple runs on, `None` for a target no firmware
    /// here is built for (the host, say).
    pub fn for_target(target: &str) -> Option<Board> {
        if target.starts_with("thumbv8m.main") {
            Some(Board::An505)
        } else if target.starts_with("thumbv6m") || target.starts_with("thumbv7m") {
            Some(Board::Lm3s6965)
        } else if target.starts_with("riscv32") {
            Some(Board::Virt)
        } else {
            None
        }
    }

    /// Its name in `cfg(board = "…")`.
    pub fn name(self) -> &'static str {
        match self {
            Board::Lm3s6965 => "lm3s6965",
            Board::An505 => "an505",
            Board::Virt => "virt",
            Board::An385 => "an385",
        }
    }

    /// Its `memory.x`: flash and RAM (and on `virt`, riscv-rt's region
    /// aliases), from `examples/common/memory/`.
    pub fn memory_x(self) -> &'static str {
        match self {
            Board::Lm3s6965 => include_str!("../memory/lm3s6965.x"),
            Board::An505 => include_str!("../memory/an505.x"),
            Board::Virt => include_str!("../memory/virt.x"),
            Board::An385 => include_str!("../memory/an385.x"),
        }
    }
}

/// The target being built for, and its board (the build script's `TARGET`).
///
/// # Panics
/// Outside a build script, or for a target no board here runs.
pub fn board() -> (String, Board) {
    let target = env::var("TARGET").expect("cargo sets TARGET for a build script");
    let board = Board::for_target(&target)
        .unwrap_or_else(|| panic!("no QEMU board of examples/ runs {target}"));
    (target, board)
}

/// Sets `cfg(board = "…")` for the crate being built and gives it its
/// target triple as `env!("FIRMWARE_TARGET")`; returns the board.
pub fn board_cfg() -> Board {
    let (_, board) = board();
    board_cfg_on(board)
}

/// [`board_cfg`] for `board`, whatever the target.
pub fn board_cfg_on(board: Board) -> Board {
    let check = Board::ALL.map(|b| format!("\"{}\"", b.name())).join(", ");
    println!("cargo:rustc-check-cfg=cfg(board, values({check}))");
    let target = env::var("TARGET").expect("cargo sets TARGET for a build script");
    println!("cargo:rustc-cfg=board=\"{}\"", board.name());
    println!("cargo:rustc-env=FIRMWARE_TARGET={target}");
    board
}

/// A firmware's build script: [`board_cfg`], then the board's `memory.x`
/// followed by `extra` (more linker-script lines, e.g. riscv-rt's
/// `_max_hart_id`) written to `OUT_DIR/memory.x`, which is put on the
/// linker's search path (for cortex-m-rt's `link.x`, which includes it, or
/// `-Tmemory.x` before riscv-rt's). Returns the board.
pub fn memory_x(extra: &str) -> Board {
    let (_, board) = board();
    memory_x_on(board, extra)
}

/// [`memory_x`] for `board`, whatever the target (a thumbv7m firmware
/// that runs on [`Board::An385`]).
pub fn memory_x_on(board: Board, extra: &str) -> Board {
    board_cfg_on(board);
    let out = PathBuf::from(env::var_os("OUT_DIR").expect("cargo sets OUT_DIR"));
    let mut memory = board.memory_x().to_string();
    if !extra.is_empty() {
        memory.push('\n');
        memory.push_str(extra);
        memory.push('\n');
    }
    fs::write(out.join("memory.x"), memory).expect("write memory.x");
    println!("cargo:rustc-link-search={}", out.display());
    board
}
