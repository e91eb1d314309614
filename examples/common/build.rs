//! The crate's own build script: `cfg(board = "…")` and
//! `env!("FIRMWARE_TARGET")` for the crate itself, by the same code
//! (`src/build.rs`) as a firmware's build script; nothing for a host build
//! (the `build` feature, in a firmware's build-dependencies).

#[path = "src/build.rs"]
#[allow(dead_code)]
mod build;

fn main() {
    let target = std::env::var("TARGET").expect("cargo sets TARGET");
    if build::Board::for_target(&target).is_some() {
        build::board_cfg();
    } else {
        let check = build::Board::ALL
            .map(|b| format!("\"{}\"", b.name()))
            .join(", ");
        println!("cargo:rustc-check-cfg=cfg(board, values({check}))");
    }
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rerun-if-changed=src/build.rs");
    println!("cargo:rerun-if-changed=memory");
}
