//! The published crates as their users get them: built with the declared
//! minimum Rust (`rust-version`), their crates.io metadata complete, and
//! packaged and verified as crates.io would receive them. Their docs are
//! checked by `doc_links.rs`.

use std::collections::BTreeSet;
use std::path::Path;
use std::process::{Command, Stdio};

use crate::{cargo, run, workspace_root};

/// The crates published to crates.io, in publishing order (slab-core
/// depends on slab-macros).
pub const PUBLISHED: [&str; 2] = ["slab-macros", "slab-core"];

/// The bare-metal target of the `no_std` check with the MSRV toolchain.
const MSRV_TARGET: &str = "thumbv7m-none-eabi";

/// `cargo xtask publish`, after the doc-link check (`doc_links.rs`, which
/// reads this module's lists): the steps that `cargo xtask test` runs for
/// the published crates.
pub fn all() -> Result<(), String> {
    msrv()?;
    package()
}

/// `cargo check`/`build` of slab-core (no features, `std`, every feature;
/// `no_std` for a bare-metal target) and so of slab-macros with exactly the
/// toolchain that the workspace's `rust-version` names, installed with
/// rustup if missing. `--locked`: the dependency versions are the
/// committed `Cargo.lock`'s, which the MSRV-aware resolver keeps buildable
/// with that toolchain.
pub fn msrv() -> Result<(), String> {
    let manifest = read(&workspace_root().join("Cargo.toml"))?;
    let rust_version = toml_string(&manifest, "workspace.package", "rust-version")
        .ok_or("Cargo.toml: no `rust-version` in [workspace.package]")?;
    for krate in PUBLISHED {
        let own = read(&workspace_root().join(krate).join("Cargo.toml"))?;
        if !own
            .lines()
            .any(|l| l.trim() == "rust-version.workspace = true")
        {
            return Err(format!(
                "{krate}/Cargo.toml: `rust-version.workspace = true` expected (the MSRV \
                 check builds with the workspace's rust-version)"
            ));
        }
    }
    let toolchain = msrv_toolchain(&rust_version)?;
    eprintln!("\nrust-version = \"{rust_version}\": building with Rust {toolchain}");
    ensure_toolchain(&toolchain)?;

    // The host named as `--target` too: then the proc macros (slab-macros
    // among them, built in full by each run) are built once for all runs.
    let host = host_triple(&toolchain)?;
    let runs: [(&[&str], &str); 5] = [
        (&["check", "-p", "slab-core"], &host),
        (&["check", "-p", "slab-core", "--features", "std"], &host),
        (&["build", "-p", "slab-core", "--all-features"], &host),
        (&["check", "-p", "slab-core"], MSRV_TARGET),
        (
            &[
                "check",
                "-p",
                "slab-core",
                "--features",
                "capi,defmt,allocator-api2",
            ],
            MSRV_TARGET,
        ),
    ];
    for (args, target) in runs {
        let mut cmd = toolchain_cargo(&toolchain);
        cmd.args(args).args(["--target", target, "--locked"]);
        run(&mut cmd).map_err(|e| {
            format!(
                "{e}: the published crates must build with Rust {toolchain}, the \
                 workspace's rust-version; use an older way to say it, or raise \
                 `rust-version` in Cargo.toml to the oldest release that builds them"
            )
        })?;
    }
    Ok(())
}

/// The crates.io metadata of each published crate: a README and both
/// licence texts in the package, keywords, crates.io categories, no
/// placeholder `repository`, and docs.rs features that slab-core has.
fn manifests() -> Result<(), String> {
    let root = workspace_root();
    let workspace = read(&root.join("Cargo.toml"))?;
    let mut problems = Vec::new();
    for krate in PUBLISHED {
        let manifest = read(&root.join(krate).join("Cargo.toml"))?;
        let files = package_list(krate)?;
        problems.extend(
            manifest_problems(&manifest, &workspace, &files)
                .into_iter()
                .map(|p| format!("{krate}/Cargo.toml: {p}")),
        );
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(format!("crates.io metadata:\n  {}", problems.join("\n  ")))
    }
}

/// What the `[package]` of `manifest` (with the `[workspace.package]` of
/// `workspace` for inherited keys) lacks for crates.io and docs.rs.
fn manifest_problems(manifest: &str, workspace: &str, files: &BTreeSet<String>) -> Vec<String> {
    let value = |key: &str| {
        if toml_value(manifest, "package", &format!("{key}.workspace")).as_deref() == Some("true") {
            toml_value(workspace, "workspace.package", key)
        } else {
            toml_value(manifest, "package", key)
        }
    };
    let list = |key: &str| {
        let text = value(key)?;
        toml_string_list(&format!("[t]\nk = {text}"), "t", "k")
    };
    let mut problems = Vec::new();
    match value("readme").as_deref().map(|r| r.trim_matches('"')) {
        Some(readme) if files.contains(readme) => {}
        Some(readme) => problems.push(format!("`readme = \"{readme}\"` is not in the package")),
        None => problems.push("no `readme`: the crates.io page would be empty".into()),
    }
    for licence in ["LICENSE-MIT", "LICENSE-APACHE"] {
        if !files.contains(licence) {
            problems.push(format!(
                "the package has no `{licence}` (license = MIT OR Apache-2.0)"
            ));
        }
    }
    if let Some(repository) = value("repository")
        && (repository.contains(".invalid") || repository.contains("example."))
    {
        problems.push(format!("`repository = {repository}` is a placeholder"));
    }
    match list("keywords") {
        Some(k) if !k.is_empty() && k.len() <= 5 => {}
        _ => problems.push("`keywords`: one to five expected".into()),
    }
    match list("categories") {
        Some(c) if !c.is_empty() && c.len() <= 5 => {
            for slug in c
                .iter()
                .filter(|c| !CRATES_IO_CATEGORIES.contains(&c.as_str()))
            {
                problems.push(format!(
                    "`categories`: `{slug}` is not a crates.io category"
                ));
            }
        }
        _ => problems.push("`categories`: one to five expected".into()),
    }
    if let Some(features) = toml_string_list(manifest, "package.metadata.docs.rs", "features") {
        for feature in features {
            if toml_value(manifest, "features", &feature).is_none() {
                problems.push(format!("docs.rs feature `{feature}` is not a feature"));
            }
        }
    }
    problems
}

/// The crates.io category slugs this project's crates may use (from
/// crates.io's list; crates.io rejects a crate with an unknown one).
const CRATES_IO_CATEGORIES: [&str; 8] = [
    "embedded",
    "memory-management",
    "no-std",
    "concurrency",
    "asynchronous",
    "data-structures",
    "hardware-support",
    "rust-patterns",
];

/// `cargo publish --dry-run` of both crates as one set (cargo ≥ 1.90 puts
/// the unpublished slab-macros in a local registry for slab-core's
/// verification): each is packaged, unpacked and built from its package,
/// with every feature, as crates.io would receive it. First, each crate's
/// crates.io metadata.
pub fn package() -> Result<(), String> {
    manifests()?;
    let mut cmd = cargo();
    cmd.args(["publish", "--dry-run", "--all-features"]);
    // A developer's uncommitted changes are packaged as they are.
    cmd.arg("--allow-dirty");
    for krate in PUBLISHED {
        cmd.args(["-p", krate]);
    }
    run(&mut cmd).map_err(|e| {
        format!(
            "{e}: publishing slab-macros and slab-core together needs cargo 1.90 or \
             later (`cargo --version`)"
        )
    })
}

/// The files of `krate`'s package (`cargo package --list`).
pub fn package_list(krate: &str) -> Result<BTreeSet<String>, String> {
    let mut cmd = cargo();
    cmd.args(["package", "--list", "--allow-dirty", "-p", krate]);
    eprintln!("\n$ {}", crate::show(&cmd));
    let out = cmd
        .stderr(Stdio::inherit())
        .output()
        .map_err(|e| format!("{}: {e}", crate::show(&cmd)))?;
    if !out.status.success() {
        return Err(format!("`{}` failed", crate::show(&cmd)));
    }
    Ok(String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(str::to_string)
        .collect())
}

pub fn read(path: &Path) -> Result<String, String> {
    std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))
}

/// The rustup toolchain for a `rust-version`: `1.88` is Rust 1.88.0.
fn msrv_toolchain(rust_version: &str) -> Result<String, String> {
    let parts: Vec<&str> = rust_version.split('.').collect();
    let numeric = parts
        .iter()
        .all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()));
    match parts.len() {
        2 if numeric => Ok(format!("{rust_version}.0")),
        3 if numeric => Ok(rust_version.to_string()),
        _ => Err(format!(
            "rust-version `{rust_version}` is not MAJOR.MINOR[.PATCH]"
        )),
    }
}

/// The host target of `toolchain`'s rustc (`rustc -vV`).
fn host_triple(toolchain: &str) -> Result<String, String> {
    let out = Command::new("rustup")
        .args(["run", toolchain, "rustc", "-vV"])
        .output()
        .map_err(|e| format!("cannot run rustup: {e}"))?;
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .find_map(|l| l.strip_prefix("host: "))
        .map(str::to_string)
        .ok_or_else(|| format!("`rustc -vV` of Rust {toolchain} names no host"))
}

/// Installs `toolchain` and its `MSRV_TARGET` target if missing.
fn ensure_toolchain(toolchain: &str) -> Result<(), String> {
    crate::install::ensure_toolchain(toolchain, "the MSRV check")?;
    let targets = Command::new("rustup")
        .args(["target", "list", "--installed", "--toolchain", toolchain])
        .output()
        .map_err(|e| format!("cannot run rustup: {e}"))?;
    if !String::from_utf8_lossy(&targets.stdout)
        .lines()
        .any(|l| l.trim() == MSRV_TARGET)
    {
        run(Command::new("rustup").args(["target", "add", "--toolchain", toolchain, MSRV_TARGET]))
            .map_err(|e| format!("{e}: the MSRV check builds for {MSRV_TARGET}"))?;
    }
    Ok(())
}

/// `cargo` of `toolchain` with its own target directory.
fn toolchain_cargo(toolchain: &str) -> Command {
    let mut c = crate::install::cargo_of(toolchain);
    c.env(
        "CARGO_TARGET_DIR",
        workspace_root().join("target").join("msrv"),
    );
    c
}

/// The string value of `key = "…"` in `[section]` of a manifest.
pub fn toml_string(manifest: &str, section: &str, key: &str) -> Option<String> {
    let value = toml_value(manifest, section, key)?;
    Some(value.strip_prefix('"')?.strip_suffix('"')?.to_string())
}

/// The strings of `key = ["…", …]` in `[section]`.
pub fn toml_string_list(manifest: &str, section: &str, key: &str) -> Option<Vec<String>> {
    let value = toml_value(manifest, section, key)?;
    let inner = value.strip_prefix('[')?.strip_suffix(']')?;
    inner
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|s| Some(s.strip_prefix('"')?.strip_suffix('"')?.to_string()))
        .collect()
}

/// The value of `key = …` in `[section]`, an array's lines joined.
fn toml_value(manifest: &str, section: &str, key: &str) -> Option<String> {
    let header = format!("[{section}]");
    let mut inside = false;
    let mut lines = manifest.lines();
    while let Some(line) = lines.next() {
        let line = line.trim();
        if line.starts_with('[') {
            inside = line == header;
        } else if inside
            && let Some((k, v)) = line.split_once('=')
            && k.trim() == key
        {
            let mut value = v.split(" #").next().unwrap_or(v).trim().to_string();
            if value.starts_with('[') {
                while !value.contains(']') {
                    let next = lines.next()?.trim();
                    value.push_str(next.split(" #").next().unwrap_or(next));
                }
            }
            return Some(value);
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholder_and_missing_metadata_are_reported() {
        let workspace = "[workspace.package]\nrepository = \"https://example.invalid/slab\"\n";
        let before = "[package]\nname = \"slab-macros\"\nrepository.workspace = true\n";
        let files: BTreeSet<String> = ["Cargo.toml", "src/lib.rs"].map(String::from).into();
        let problems = manifest_problems(before, workspace, &files);
        assert_eq!(problems.len(), 6, "{problems:?}");
        let after = "[package]\nname = \"slab-core\"\nreadme = \"README.md\"\n\
                     keywords = [\"allocator\", \"embedded\"]\ncategories = [\n    \"embedded\",\n    \"no-std\",\n]\n\
                     [features]\ncapi = []\n[package.metadata.docs.rs]\nfeatures = [\"capi\"]\n";
        let files: BTreeSet<String> = ["Cargo.toml", "README.md", "LICENSE-MIT", "LICENSE-APACHE"]
            .map(String::from)
            .into();
        assert_eq!(
            manifest_problems(after, workspace, &files),
            Vec::<String>::new()
        );
        let unknown = after
            .replace("\"no-std\"", "\"firmware\"")
            .replace("[\"capi\"]", "[\"std\"]");
        assert_eq!(
            manifest_problems(&unknown, workspace, &files),
            [
                "`categories`: `firmware` is not a crates.io category",
                "docs.rs feature `std` is not a feature"
            ]
        );
    }

    #[test]
    fn manifest_values_and_toolchains() {
        let manifest = "[workspace.package]\nversion = \"0.1.0\"\nrust-version = \"1.88\" # MSRV\n\
                        [package.metadata.docs.rs]\nfeatures = [\"capi\", \"defmt\"]\n";
        assert_eq!(
            toml_string(manifest, "workspace.package", "rust-version").as_deref(),
            Some("1.88")
        );
        assert_eq!(
            toml_string_list(manifest, "package.metadata.docs.rs", "features"),
            Some(vec!["capi".to_string(), "defmt".to_string()])
        );
        assert_eq!(
            toml_string(manifest, "package.metadata.docs.rs", "version"),
            None
        );
        assert_eq!(msrv_toolchain("1.88").unwrap(), "1.88.0");
        assert_eq!(msrv_toolchain("1.88.1").unwrap(), "1.88.1");
        assert!(msrv_toolchain("1.x").is_err());
    }
}
