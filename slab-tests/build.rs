//! Generates `slab.h` from slab-core's `src/capi.rs` with cbindgen (and
//! `slab-core/cbindgen.toml`) into `OUT_DIR`, then compiles the C test
//! program `c/capi_test.c` against it (strict C11, warnings as errors) into
//! a static library that `tests/capi.rs` calls. `tests/capi_header.rs`
//! checks that the checked-in `slab-core/include/slab.h` is this header.

use std::path::PathBuf;

fn main() {
    let core = PathBuf::from("../slab-core");
    let out = PathBuf::from(std::env::var_os("OUT_DIR").expect("cargo sets OUT_DIR"));
    for input in ["src/capi.rs", "cbindgen.toml"] {
        println!("cargo:rerun-if-changed={}", core.join(input).display());
    }
    println!("cargo:rerun-if-changed=c/capi_test.c");
    println!("cargo:rerun-if-changed=build.rs");

    let config = cbindgen::Config::from_file(core.join("cbindgen.toml"))
        .unwrap_or_else(|e| panic!("slab-core/cbindgen.toml: {e}"));
    let include = out.join("include");
    std::fs::create_dir_all(&include).expect("create OUT_DIR/include");
    cbindgen::Builder::new()
        .with_config(config)
        .with_src(core.join("src").join("capi.rs"))
        .generate()
        .unwrap_or_else(|e| panic!("cbindgen cannot generate slab.h: {e}"))
        .write_to_file(include.join("slab.h"));

    let mut build = cc::Build::new();
    build
        .include(&include)
        .std("c11")
        .warnings(true)
        .extra_warnings(true)
        .warnings_into_errors(true)
        .flag_if_supported("-pedantic");
    build
        .clone()
        .file("c/capi_test.c")
        .compile("slab_capi_test");
    println!("cargo:rustc-link-lib=pthread");
    bad_defines(&build, &out);
    init_only(&build, &out);
}

/// Compiles `c/init_only.c` (a program with no `K_MEM_SLAB_DEFINE`) to
/// assembly, optimised, with `SLAB_CORE_STD` 0 and 1:
/// `OUT_DIR/init_only_std{0,1}.s`, which tests/capi_review.rs reads.
fn init_only(build: &cc::Build, out: &std::path::Path) {
    println!("cargo:rerun-if-changed=c/init_only.c");
    let compiler = build.get_compiler();
    for std in [0, 1] {
        let asm = out.join(format!("init_only_std{std}.s"));
        let output = compiler
            .to_command()
            .args(["-O2", "-S", &format!("-DSLAB_CORE_STD={std}")])
            .arg("c/init_only.c")
            .arg("-o")
            .arg(&asm)
            .output()
            .unwrap_or_else(|e| panic!("cannot run the C compiler: {e}"));
        assert!(
            output.status.success(),
            "c/init_only.c: {}",
            String::from_utf8_lossy(&output.stderr)
        );
    }
}

/// Bad `K_MEM_SLAB_DEFINE`s, each of which must fail to compile with its
/// message; tests/capi_define.rs checks the outcomes recorded here.
const BAD_DEFINES: [(&str, &str); 10] = [
    ("zero_size", "K_MEM_SLAB_DEFINE(zero_size, 0, 4, 8);"),
    ("zero_blocks", "K_MEM_SLAB_DEFINE(zero_blocks, 16, 0, 8);"),
    (
        "negative_size",
        "K_MEM_SLAB_DEFINE(negative_size, -8, 4, 8);",
    ),
    (
        "negative_blocks",
        "K_MEM_SLAB_DEFINE(negative_blocks, 16, -1, 8);",
    ),
    (
        "align_not_pow2",
        "K_MEM_SLAB_DEFINE(align_not_pow2, 24, 4, 12);",
    ),
    (
        "size_not_multiple",
        "K_MEM_SLAB_DEFINE(size_not_multiple, 24, 4, 16);",
    ),
    (
        "too_many_blocks",
        "K_MEM_SLAB_DEFINE(too_many_blocks, 8, 0x100000000ull, 8);",
    ),
    // (2^61 + 8) × 8 wraps to 64 in a 64-bit size_t.
    (
        "size_wraps",
        "K_MEM_SLAB_DEFINE(size_wraps, ((size_t)1 << (sizeof(size_t) * 8 - 3)) + 8, 8, 8);",
    ),
    // Rounding SIZE_MAX up to the word wraps to 0.
    (
        "rounding_wraps",
        "K_MEM_SLAB_DEFINE(rounding_wraps, SIZE_MAX, 1, 8);",
    ),
    // 2^(N-1) bytes: no wrap, but beyond PTRDIFF_MAX.
    (
        "beyond_ptrdiff_max",
        "K_MEM_SLAB_DEFINE(beyond_ptrdiff_max, (size_t)1 << (sizeof(size_t) * 8 - 4), 8, 8);",
    ),
];

/// Compiles each of [`BAD_DEFINES`] (and one good one) with
/// `-fsyntax-only`, recording `name<TAB>exit-ok<TAB>first error line` in
/// `OUT_DIR/bad_defines.txt`.
fn bad_defines(build: &cc::Build, out: &std::path::Path) {
    let dir = out.join("bad_defines");
    std::fs::create_dir_all(&dir).expect("create OUT_DIR/bad_defines");
    let compiler = build.get_compiler();
    let mut report = String::new();
    let good = ("good", "K_MEM_SLAB_DEFINE(good, 24, 4, 8);");
    for (name, line) in BAD_DEFINES.iter().chain([&good]) {
        let file = dir.join(format!("{name}.c"));
        std::fs::write(&file, format!("#include \"slab.h\"\n{line}\n")).expect("write C");
        let output = compiler
            .to_command()
            .arg("-fsyntax-only")
            .arg(&file)
            .output()
            .unwrap_or_else(|e| panic!("cannot run the C compiler: {e}"));
        let stderr = String::from_utf8_lossy(&output.stderr);
        let error = stderr
            .lines()
            .find(|l| l.contains("error"))
            .unwrap_or("")
            .to_string();
        report.push_str(&format!("{name}\t{}\t{error}\n", output.status.success()));
    }
    std::fs::write(out.join("bad_defines.txt"), report).expect("write the report");
}
