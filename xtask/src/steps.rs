//! The steps of `cargo xtask test`.

use crate::tally::{Tally, cargo_test, cargo_test_with};
use crate::{cargo, install, run, workspace_root};

pub fn test(args: &[String]) -> Result<(), String> {
    let quick = args.iter().any(|a| a == "--quick");
    let mut tally = Tally::default();
    let result = test_steps(&mut tally, quick);
    println!("\n{} passed, {} failed", tally.passed, tally.failed);
    result?;
    if tally.failed > 0 {
        return Err(format!("{} tests failed", tally.failed));
    }
    if tally.passed == 0 {
        return Err("no test ran".into());
    }
    Ok(())
}

fn test_steps(tally: &mut Tally, quick: bool) -> Result<(), String> {
    install::ensure_components()?;
    run(cargo().args(["fmt", "--all", "--", "--check"]))?;
    run(cargo().args([
        "clippy",
        "--workspace",
        "--all-targets",
        "--",
        "-D",
        "warnings",
    ]))?;
    run(cargo()
        .args(["doc", "--workspace", "--no-deps"])
        .env("RUSTDOCFLAGS", "-D warnings"))?;
    crate::doc_links::check()?;
    crate::publish::msrv()?;
    crate::publish::package()?;
    install::ensure_bare_metal()?;
    install::build_bare_metal()?;

    let evidence = workspace_root().join("target").join("evidence");
    // This run's evidence is written afresh; the records of the separate,
    // longer runs (`cargo xtask tsan`, `cargo xtask mutants`) are kept.
    for entry in std::fs::read_dir(&evidence).into_iter().flatten().flatten() {
        let name = entry.file_name();
        if !crate::evidence::KEPT.iter().any(|k| name == *k) {
            let _ = std::fs::remove_file(entry.path());
        }
    }
    let mut lines = Vec::new();

    // Everything on the host, with `std` (slab-tests enables it), QEMU runs
    // of the firmware included (slab-tests/tests/qemu.rs).
    cargo_test(tally, &["test", "--workspace"])?;
    // slab-core on its own: without `std`, as on bare metal.
    cargo_test(tally, &["test", "-p", "slab-core"])?;
    // Ownership tracking and trace events: slab-core's unit and doc tests
    // with the records in every declared slab and the hook compiled in.
    cargo_test(
        tally,
        &[
            "test",
            "-p",
            "slab-core",
            "--features",
            "std,capi,track,trace",
        ],
    )?;

    if !quick {
        let mut loom = Tally::default();
        let result = cargo_test_with(
            &mut loom,
            cargo()
                .args([
                    "test",
                    "-p",
                    "slab-core",
                    "--features",
                    "std",
                    "--test",
                    "loom",
                    "--release",
                ])
                .env("RUSTFLAGS", "--cfg loom")
                .env(
                    "CARGO_TARGET_DIR",
                    workspace_root().join("target").join("loom"),
                ),
        );
        tally.merge(&loom);
        result?;
        lines.push(format!(
            "loom: {} models of the wait queue and hand-off, every interleaving explored",
            loom.passed
        ));

        install::ensure_miri()?;
        let mut miri = Tally::default();
        // Every target under both of miri's aliasing models, Stacked
        // Borrows (the default) and Tree Borrows; the second reuses the
        // first one's build. The tests leak their buffers on purpose:
        // `init` takes `&'static mut [u8]`.
        for (features, filter) in [
            (&[][..], &[][..]),
            (&["--features", "std,allocator-api2"][..], &[][..]),
            // The C ABI's handles (slab-core/src/capi/tests.rs).
            (&["--features", "capi,std"][..], &["--", "capi::"][..]),
        ] {
            for model in ["", " -Zmiri-tree-borrows"] {
                cargo_test_with(
                    &mut miri,
                    install::cargo_nightly()
                        .args(["miri", "test", "-p", "slab-core", "--lib"])
                        .args(features)
                        .args(filter)
                        .env("MIRIFLAGS", format!("-Zmiri-ignore-leaks{model}")),
                )?;
            }
        }
        tally.merge(&miri);
        lines.push(format!(
            "miri: {} slab-core unit test runs (without std, with std, the C ABI), each under Stacked and Tree Borrows, free of undefined behaviour",
            miri.passed
        ));

        // ThreadSanitizer over the std tests; its line goes to
        // target/evidence, printed below.
        crate::evidence::run_tsan(tally)?;
    }

    let mut files: Vec<_> = std::fs::read_dir(&evidence)
        .map(|d| d.filter_map(Result::ok).map(|e| e.path()).collect())
        .unwrap_or_default();
    files.sort();
    for file in files {
        lines.extend(
            std::fs::read_to_string(file)
                .unwrap_or_default()
                .lines()
                .map(String::from),
        );
    }
    println!("\nEvidence:");
    for line in &lines {
        println!("  {line}");
    }
    Ok(())
}

pub fn demo() -> Result<(), String> {
    run(cargo().args(["run", "-p", "examples", "--bin", "tour"]))
}
