//! `cargo xtask bench --only size`: the flash and RAM one allocator costs a
//! minimal Cortex-M3 firmware (`examples/size-firmware`), built once per
//! allocator (a cargo feature; none: the baseline) at opt-level "s" and
//! "z", its sections summed from `llvm-size -A`.
//!
//! Flash is every allocated section below RAM (vector table, `.text`,
//! `.rodata`, the slab registry and layout descriptor) plus the image of
//! `.data` (which the reset handler copies to RAM); RAM is `.data`,
//! `.bss`, `.uninit` and `.noinit`. Each figure is also given net of the
//! baseline, the same firmware calling two empty functions.

use std::path::Path;
use std::process::Command;

use crate::{cargo, run, show, workspace_root};

const DIR: &str = "examples/size-firmware";
const BIN: &str = "slab-size-firmware";
const TARGET: &str = "thumbv7m-none-eabi";
/// Where RAM starts on the LM3S6965 (`memory.x`).
const RAM_START: u64 = 0x2000_0000;

/// The variants: cargo feature (empty: the baseline) and how the table
/// names it.
const VARIANTS: [(&str, &str); 6] = [
    ("", "baseline: the loop on two empty functions"),
    ("slab", "slab, checks = full (one declared slab)"),
    ("slab-bounds", "slab, checks = bounds"),
    ("zephyr", "Zephyr-style k_mem_slab"),
    ("heapless-pool", "heapless 0.9 pool (box_pool)"),
    ("bare", "bare list in a critical section"),
];

/// Flash and RAM of one build, in bytes.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Footprint {
    pub flash: u64,
    pub ram: u64,
}

/// Sums `llvm-size -A` output: sections at or above `ram_start` are RAM,
/// allocated sections below it flash, and `.data` counts in both (its
/// image is in flash). Sections that are not loaded (debug information,
/// symbol tables, attributes, comments) count in neither.
pub fn footprint(size_output: &str, ram_start: u64) -> Footprint {
    let mut f = Footprint::default();
    for line in size_output.lines() {
        let words: Vec<&str> = line.split_whitespace().collect();
        let [name, size, addr] = words[..] else {
            continue;
        };
        let (Ok(size), Ok(addr)) = (size.parse::<u64>(), addr.parse::<u64>()) else {
            continue;
        };
        if !name.starts_with('.') && !name.starts_with("linkm") && !name.starts_with("slab_core") {
            continue;
        }
        let unloaded = [
            ".debug",
            ".comment",
            ".ARM.attributes",
            ".symtab",
            ".strtab",
            ".shstrtab",
        ];
        if unloaded.iter().any(|u| name.starts_with(u)) {
            continue;
        }
        if addr >= ram_start {
            f.ram += size;
            if name == ".data" {
                f.flash += size;
            }
        } else {
            f.flash += size;
        }
    }
    f
}

fn build(feature: &str, opt: &str) -> Result<std::path::PathBuf, String> {
    let target_dir = workspace_root()
        .join("target")
        .join(format!("size-firmware-{opt}"));
    let mut cmd = crate::firmware::firmware_build(DIR, &target_dir, TARGET);
    cmd.args(["--config", &format!("profile.release.opt-level=\"{opt}\"")]);
    if !feature.is_empty() {
        cmd.args(["--features", feature]);
    }
    run(&mut cmd)?;
    Ok(target_dir.join(TARGET).join("release").join(BIN))
}

fn measure(llvm_size: &Path, elf: &Path) -> Result<Footprint, String> {
    let mut cmd = Command::new(llvm_size);
    cmd.args(["-A", "-d"]).arg(elf);
    let out = cmd.output().map_err(|e| format!("{}: {e}", show(&cmd)))?;
    if !out.status.success() {
        return Err(format!("`{}` failed", show(&cmd)));
    }
    Ok(footprint(&String::from_utf8_lossy(&out.stdout), RAM_START))
}

/// Builds every variant at both opt-levels and prints the table.
pub fn bench(llvm_size: &Path) -> Result<(), String> {
    let opts = ["s", "z"];
    let mut rows: Vec<(&str, Vec<Footprint>)> = Vec::new();
    let mut slab_elves = Vec::new();
    for (feature, label) in VARIANTS {
        let mut row = Vec::new();
        for opt in opts {
            // Each variant is linked anew: a feature change rebuilds only
            // the firmware crate, so the ELF is this variant's.
            let elf = build(feature, opt)?;
            row.push(measure(llvm_size, &elf)?);
            if feature.starts_with("slab") && opt == "s" {
                // Kept for slab-footprint below (the next build replaces it).
                let kept = elf.with_file_name(format!("{feature}.elf"));
                std::fs::copy(&elf, &kept).map_err(|e| format!("{}: {e}", kept.display()))?;
                slab_elves.push(kept);
            }
        }
        rows.push((label, row));
    }
    println!(
        "\n## flash and RAM of a minimal {TARGET} firmware with one allocator (16 blocks of 64 bytes), llvm-size -A"
    );
    println!(
        "  {:<44}  {:>9}  {:>9}  {:>9}  {:>9}  {:>11}  {:>11}",
        "", "flash s", "RAM s", "flash z", "RAM z", "net flash s", "net flash z"
    );
    let base = rows[0].1.clone();
    for (label, row) in &rows {
        println!(
            "  {label:<44}  {:>9}  {:>9}  {:>9}  {:>9}  {:>11}  {:>11}",
            row[0].flash,
            row[0].ram,
            row[1].flash,
            row[1].ram,
            row[0].flash as i64 - base[0].flash as i64,
            row[1].flash as i64 - base[1].flash as i64
        );
    }
    println!("  (net: minus the baseline; RAM includes the 1,024 bytes of blocks)");
    // What one declared slab takes beyond its blocks, read from the image
    // by slab-footprint (the MemSlab, the flags), for each check level.
    for elf in slab_elves {
        let mut cmd = cargo();
        cmd.args(["run", "-q", "-p", "slab-footprint", "--"])
            .arg(&elf);
        run(&mut cmd)?;
        // The registry entry and the layout descriptor, in flash.
        let mut size = Command::new(llvm_size);
        size.args(["-A", "-d"]).arg(&elf);
        let out = size.output().map_err(|e| format!("{}: {e}", show(&size)))?;
        for line in String::from_utf8_lossy(&out.stdout).lines() {
            if line.starts_with("linkm") || line.starts_with("slab_core") {
                println!("  flash section {line}");
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `llvm-size -A -d` of a slab firmware, cut down.
    const SIZE: &str = "\
target/size-firmware/thumbv7m-none-eabi/release/slab-size-firmware  :
section                       size        addr
.vector_table                 1024           0
.text                         1432        1024
.rodata                          4        2456
linkme_SLAB_CORE_REGISTRY        4        2460
linkm2_SLAB_CORE_REGISTRY        4        2464
slab_core_layout                72        2468
.data                          120   536870912
.bss                          1048   536871032
.uninit                          0   536872080
.debug_info                  90000           0
.ARM.attributes                 50           0
.comment                       100           0
.symtab                       2000           0
Total                        94858
";

    #[test]
    fn sums_flash_and_ram_from_the_sections() {
        let f = footprint(SIZE, RAM_START);
        assert_eq!(f.flash, 1024 + 1432 + 4 + 4 + 4 + 72 + 120);
        assert_eq!(f.ram, 120 + 1048);
    }
}
