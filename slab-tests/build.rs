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

    cc::Build::new()
        .file("c/capi_test.c")
        .include(&include)
        .std("c11")
        .warnings(true)
        .extra_warnings(true)
        .warnings_into_errors(true)
        .flag_if_supported("-pedantic")
        .compile("slab_capi_test");
    println!("cargo:rustc-link-lib=pthread");
}
