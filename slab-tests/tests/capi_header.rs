//! `slab-core/include/slab.h` is exactly what cbindgen generates from
//! `slab-core/src/capi.rs` with `slab-core/cbindgen.toml` (slab-tests'
//! build.rs generates it into `OUT_DIR`, and compiles the C tests against
//! it): this test fails when the checked-in header is stale.
//! `SLAB_BLESS=1 cargo test -p slab-tests --test capi_header` rewrites it.

use std::path::{Path, PathBuf};

fn checked_in() -> PathBuf {
    slab_tests::qemu::workspace_root().join("slab-core/include/slab.h")
}

/// The header as cbindgen generates it now.
fn generated() -> String {
    let path = Path::new(env!("OUT_DIR")).join("include/slab.h");
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

#[test]
fn header_is_fresh() {
    let path = checked_in();
    let generated = generated();
    if std::env::var("SLAB_BLESS").is_ok_and(|v| v == "1") {
        std::fs::write(&path, &generated).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        return;
    }
    let checked_in = std::fs::read_to_string(&path).unwrap_or_default();
    if checked_in != generated {
        let first = checked_in
            .lines()
            .zip(generated.lines())
            .position(|(a, b)| a != b)
            .unwrap_or(checked_in.lines().count().min(generated.lines().count()));
        panic!(
            "{} is stale (first difference at line {}): regenerate it with \
             `SLAB_BLESS=1 cargo test -p slab-tests --test capi_header` and commit it",
            path.display(),
            first + 1
        );
    }
}

#[test]
fn header_declares_the_seed_api() {
    let header = generated();
    for decl in [
        "int k_mem_slab_init(struct k_mem_slab *slab, void *buffer, size_t block_size, uint32_t num_blocks);",
        "int k_mem_slab_alloc(struct k_mem_slab *slab, void **mem, k_timeout_t timeout);",
        "void k_mem_slab_free(struct k_mem_slab *slab, void *mem);",
        "int k_mem_slab_free_checked(struct k_mem_slab *slab, void *mem);",
        "uint32_t k_mem_slab_num_used_get(struct k_mem_slab *slab);",
        "uint32_t k_mem_slab_num_free_get(struct k_mem_slab *slab);",
        "uint32_t k_mem_slab_max_used_get(struct k_mem_slab *slab);",
        "struct k_mem_slab *k_mem_slab_find(const char *name);",
        "int k_mem_slab_set_clock(uint64_t (*now)(void), uint64_t ticks_per_second);",
        "int slab_core_boot(void);",
        "#define SLAB_ENOTSUP 134",
        "#define K_NO_WAIT",
        "#define K_FOREVER",
        "#define K_MSEC(ms)",
        "#define K_USEC(us)",
        "#define K_MEM_SLAB_DEFINE(slab_name, slab_block_size, slab_num_blocks, slab_align)",
        "#define K_MEM_SLAB_DEFINE_STATIC(",
    ] {
        assert!(header.contains(decl), "slab.h lacks `{decl}`:\n{header}");
    }
}
