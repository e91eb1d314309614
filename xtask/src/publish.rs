//! The published crates as their users get them: built with the declared
//! minimum Rust (`rust-version`), packaged and verified as crates.io would
//! receive them, and their docs (docs.rs pages and READMEs) free of links
//! and file names that the package does not contain.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use crate::{cargo, run, workspace_root};

/// The crates published to crates.io, in publishing order (slab-core
/// depends on slab-macros).
const PUBLISHED: [&str; 2] = ["slab-macros", "slab-core"];

/// The bare-metal target of the `no_std` check with the MSRV toolchain.
const MSRV_TARGET: &str = "thumbv7m-none-eabi";

/// Files the docs name that belong to the user's project or to another
/// crate, not to a slab package: a firmware's `.cargo/config.toml` and
/// `build.rs`, a C program's `main.c`, cortex-m-rt's linker scripts, C's
/// `<errno.h>`.
const FOREIGN_FILES: [&str; 7] = [
    ".cargo/config.toml",
    "build.rs",
    "src/main.rs",
    "main.c",
    "link.x",
    "memory.x",
    "errno.h",
];

/// Endings that make a word in the docs a file name.
const FILE_ENDINGS: [&str; 10] = [
    ".md", ".rs", ".h", ".c", ".x", ".ld", ".toml", ".svg", ".json", ".txt",
];

/// `cargo xtask publish`: the three steps that `cargo xtask test` runs
/// for the published crates.
pub fn all() -> Result<(), String> {
    doc_links()?;
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
        other => problems.push(format!("`readme` ({other:?}) is not a file of the package")),
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

/// The docs as docs.rs renders them (slab-core's
/// `[package.metadata.docs.rs]` features, `-D warnings`) and each crate's
/// README: every relative link resolves inside the rendered docs, every
/// docs.rs source link names a file of that crate's package at this
/// version, and every file named in the text is in the package (or is the
/// user's, `FOREIGN_FILES`). The README must have no relative link at all:
/// crates.io has no repository to resolve it against.
pub fn doc_links() -> Result<(), String> {
    let root = workspace_root();
    let core_manifest = read(&root.join("slab-core").join("Cargo.toml"))?;
    let features = toml_string_list(&core_manifest, "package.metadata.docs.rs", "features")
        .ok_or("slab-core/Cargo.toml: no `features` in [package.metadata.docs.rs]")?;
    let target_dir = root.join("target").join("docs-rs");
    let mut doc = cargo();
    doc.args(["doc", "--no-deps", "-p", "slab-core", "-p", "slab-macros"])
        .arg("--features")
        .arg(
            features
                .iter()
                .map(|f| format!("slab-core/{f}"))
                .collect::<Vec<_>>()
                .join(","),
        )
        .env("CARGO_TARGET_DIR", &target_dir)
        .env("RUSTDOCFLAGS", "-D warnings");
    run(&mut doc)?;

    let version = toml_string(
        &read(&root.join("Cargo.toml"))?,
        "workspace.package",
        "version",
    )
    .ok_or("Cargo.toml: no `version` in [workspace.package]")?;
    let mut packages = Vec::new();
    for krate in PUBLISHED {
        packages.push(Package {
            name: krate.to_string(),
            version: version.clone(),
            files: package_list(krate)?,
            repository_roots: repository_roots(&root)?,
        });
    }

    let doc_root = target_dir.join("doc");
    let mut problems = Vec::new();
    for package in &packages {
        let pages = html_pages(&doc_root.join(package.name.replace('-', "_")))?;
        if pages.is_empty() {
            return Err(format!("no rendered docs of {} found", package.name));
        }
        for page in pages {
            let html = read(&page)?;
            let exists = |href: &str| resolve(&page, href).is_some_and(|p| p.is_file());
            let shown = page.strip_prefix(&doc_root).unwrap_or(&page).display();
            for problem in html_problems(&html, package, &packages, exists) {
                problems.push(format!("{} docs, {shown}: {problem}", package.name));
            }
        }
        match std::fs::read_to_string(root.join(&package.name).join("README.md")) {
            Ok(readme) => {
                for problem in readme_problems(&readme, package, &packages) {
                    problems.push(format!("{}/README.md: {problem}", package.name));
                }
            }
            Err(e) => problems.push(format!(
                "{}/README.md, its crates.io page: {e}",
                package.name
            )),
        }
    }
    if problems.is_empty() {
        eprintln!(
            "\ndocs of {}: every link and file name is in the package",
            PUBLISHED.join(", ")
        );
        Ok(())
    } else {
        Err(format!(
            "the published docs point at what their package lacks (name the file in plain \
             words, link docs.rs, or use an intra-doc link):\n  {}",
            problems.join("\n  ")
        ))
    }
}

/// A published crate: its name, version, the files of its package, and
/// the repository's top-level names (a path starting with one of them is
/// a file of the repository, which a reader of the package does not have).
struct Package {
    name: String,
    version: String,
    files: BTreeSet<String>,
    repository_roots: BTreeSet<String>,
}

impl Package {
    /// Whether `name`, as the docs write it, is a file of this package:
    /// its path in the package, or the file name of one of its files.
    fn has(&self, name: &str) -> bool {
        let name = name.trim_end_matches('/');
        self.files.iter().any(|f| {
            f == name
                || f.starts_with(&format!("{name}/"))
                || (!name.contains('/') && f.rsplit('/').next() == Some(name))
        })
    }

    /// Whether `word` looks like a file or directory path: a known file
    /// ending, or a path under a top-level name of the repository or of
    /// the package.
    fn names_a_file(&self, word: &str) -> bool {
        let ends_like_file = FILE_ENDINGS
            .iter()
            .any(|e| word.len() > e.len() && word.ends_with(e));
        let first = word.split('/').next().unwrap_or("");
        let under_a_root = word.contains('/')
            && (self.repository_roots.contains(first)
                || self
                    .files
                    .iter()
                    .any(|f| f.starts_with(&format!("{first}/"))));
        ends_like_file || under_a_root
    }
}

/// What a rendered docs page of `package` points at that is missing:
/// relative links that `exists` does not find, docs.rs source links to
/// files outside the named package, file names in the text outside the
/// package.
fn html_problems(
    html: &str,
    package: &Package,
    packages: &[Package],
    exists: impl Fn(&str) -> bool,
) -> Vec<String> {
    let mut problems = Vec::new();
    let hrefs = attribute_values(html, "href");
    for href in &hrefs {
        if href.starts_with('#') || href.starts_with("javascript:") {
            continue;
        }
        if href.contains("://") {
            problems.extend(docs_rs_source_problem(href, packages));
        } else if !exists(href) {
            problems.push(format!(
                "links to `{href}`, which the rendered docs do not contain"
            ));
        }
    }
    let linked = linked_sources(&hrefs, packages);
    problems.extend(mention_problems(&visible_text(html), package, &linked));
    problems
}

/// What a README points at that crates.io cannot show: relative links
/// (crates.io resolves them against a repository, and there is none),
/// docs.rs source links to files outside the named package, file names
/// outside the package.
fn readme_problems(markdown: &str, package: &Package, packages: &[Package]) -> Vec<String> {
    let prose = without_fenced_code(markdown);
    let mut problems = Vec::new();
    let targets = markdown_link_targets(&prose);
    for target in &targets {
        if target.contains("://") {
            problems.extend(docs_rs_source_problem(target, packages));
        } else if !target.starts_with('#') && !target.starts_with("mailto:") {
            problems.push(format!(
                "relative link `{target}`: crates.io has no repository to resolve it against"
            ));
        }
    }
    let linked = linked_sources(&targets, packages);
    problems.extend(mention_problems(&prose, package, &linked));
    problems
}

/// A docs.rs source link (`https://docs.rs/crate/NAME/VERSION/source/PATH`)
/// to one of the published crates must name this version and a file of
/// that crate's package.
fn docs_rs_source_problem(url: &str, packages: &[Package]) -> Option<String> {
    let rest = url.strip_prefix("https://docs.rs/crate/")?;
    let mut parts = rest.splitn(4, '/');
    let (name, version, source, path) = (parts.next()?, parts.next()?, parts.next()?, parts.next());
    let package = packages.iter().find(|p| p.name == name)?;
    let path = path.unwrap_or("").split('#').next().unwrap_or("");
    if source != "source" {
        return None;
    }
    if version != package.version {
        return Some(format!(
            "`{url}` names version {version}, the package is {}",
            package.version
        ));
    }
    if !path.is_empty() && !package.has(path) {
        return Some(format!("`{url}`: {name}'s package has no `{path}`"));
    }
    None
}

/// The files of published packages that `links` reach through valid
/// docs.rs source links: a text may name another crate's file it links.
fn linked_sources(links: &[String], packages: &[Package]) -> Vec<String> {
    links
        .iter()
        .filter(|l| docs_rs_source_problem(l, packages).is_none())
        .filter_map(|l| l.strip_prefix("https://docs.rs/crate/"))
        .filter_map(|l| l.splitn(4, '/').nth(3))
        .map(|path| path.split('#').next().unwrap_or(path).to_string())
        .collect()
}

/// The file names in `text` that neither `package` contains nor `linked`
/// (files of the published packages that the text links) includes.
fn mention_problems(text: &str, package: &Package, linked: &[String]) -> Vec<String> {
    let mut seen = BTreeSet::new();
    let mut problems = Vec::new();
    for word in text.split(|c: char| !(c.is_ascii_alphanumeric() || "._-/".contains(c))) {
        // `-Tslab.x`: the linker option names the script.
        let word = word.strip_prefix("-T").unwrap_or(word);
        // A sentence's full stop, a range's dash, a directory's slash.
        let word = word.trim_end_matches('.').trim_matches(['-', '/']);
        if word.is_empty() || !package.names_a_file(word) || !seen.insert(word.to_string()) {
            continue;
        }
        let is_linked = linked
            .iter()
            .any(|l| l == word || l.rsplit('/').next() == Some(word));
        if !package.has(word) && !is_linked && !FOREIGN_FILES.contains(&word) {
            problems.push(format!("names `{word}`, which is not in the package"));
        }
    }
    problems
}

/// The values of every `name="…"` attribute in `html`, entities decoded.
fn attribute_values(html: &str, name: &str) -> Vec<String> {
    let key = format!(" {name}=\"");
    let mut values = Vec::new();
    let mut rest = html;
    while let Some(start) = rest.find(&key) {
        rest = &rest[start + key.len()..];
        let end = rest.find('"').unwrap_or(rest.len());
        values.push(decode_entities(&rest[..end]));
        rest = &rest[end..];
    }
    values
}

/// The text a reader sees in the docs of a page: tags removed, entities
/// decoded, without scripts, the navigation sidebar and code examples
/// (`<pre>`: a program in an example names its own files).
fn visible_text(html: &str) -> String {
    let mut html = html.to_string();
    for element in ["script", "nav", "pre", "rustdoc-search", "rustdoc-topbar"] {
        html = without_elements(&html, element);
    }
    let mut text = String::with_capacity(html.len());
    let mut in_tag = false;
    for c in html.chars() {
        match c {
            '<' => in_tag = true,
            '>' if in_tag => {
                in_tag = false;
                text.push(' ');
            }
            _ if !in_tag => text.push(c),
            _ => {}
        }
    }
    decode_entities(&text)
}

/// `html` without its `<element …>…</element>` parts.
fn without_elements(html: &str, element: &str) -> String {
    let open = format!("<{element}");
    let close = format!("</{element}>");
    let mut out = String::with_capacity(html.len());
    let mut rest = html;
    while let Some(start) = rest.find(&open) {
        out.push_str(&rest[..start]);
        rest = &rest[start..];
        match rest.find(&close) {
            Some(end) => rest = &rest[end + close.len()..],
            None => rest = "",
        }
    }
    out.push_str(rest);
    out
}

fn decode_entities(s: &str) -> String {
    s.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&#x27;", "'")
        .replace("&amp;", "&")
}

/// `markdown` without its fenced code blocks.
fn without_fenced_code(markdown: &str) -> String {
    let mut out = String::new();
    let mut fenced = false;
    for line in markdown.lines() {
        if line.trim_start().starts_with("```") {
            fenced = !fenced;
        } else if !fenced {
            out.push_str(line);
            out.push('\n');
        }
    }
    out
}

/// The targets of inline links (`[text](target)`), reference definitions
/// (`[label]: target`) and HTML links in `markdown`.
fn markdown_link_targets(markdown: &str) -> Vec<String> {
    let mut targets = Vec::new();
    let mut rest = markdown;
    while let Some(start) = rest.find("](") {
        rest = &rest[start + 2..];
        let end = rest.find(')').unwrap_or(rest.len());
        let target = rest[..end].split_whitespace().next().unwrap_or("");
        targets.push(target.trim_matches(['<', '>']).to_string());
    }
    for line in markdown.lines() {
        let line = line.trim_start();
        if let Some(close) = line.strip_prefix('[').and_then(|l| l.find("]:")) {
            let target = line[close + 3..].split_whitespace().next().unwrap_or("");
            targets.push(target.to_string());
        }
    }
    targets.extend(attribute_values(markdown, "href"));
    targets
}

/// Where the relative `href` of the page at `page` leads, if anywhere.
fn resolve(page: &Path, href: &str) -> Option<PathBuf> {
    let path = href.split(['#', '?']).next()?;
    if path.is_empty() {
        return Some(page.to_path_buf());
    }
    let mut resolved = page.parent()?.to_path_buf();
    for part in path.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                resolved.pop();
            }
            _ => resolved.push(part),
        }
    }
    Some(resolved)
}

/// The files of `krate`'s package (`cargo package --list`).
fn package_list(krate: &str) -> Result<BTreeSet<String>, String> {
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

/// The names at the top of the repository (`examples`, `slab-tests`, …).
fn repository_roots(root: &Path) -> Result<BTreeSet<String>, String> {
    let entries = std::fs::read_dir(root).map_err(|e| format!("{}: {e}", root.display()))?;
    Ok(entries
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n != "target" && !n.starts_with('.'))
        .collect())
}

fn html_pages(dir: &Path) -> Result<Vec<PathBuf>, String> {
    let mut pages = Vec::new();
    let mut dirs = vec![dir.to_path_buf()];
    while let Some(dir) = dirs.pop() {
        let entries = std::fs::read_dir(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                dirs.push(path);
            } else if path.extension().is_some_and(|e| e == "html") {
                pages.push(path);
            }
        }
    }
    pages.sort();
    Ok(pages)
}

fn read(path: &Path) -> Result<String, String> {
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

/// Installs `toolchain` (minimal profile) and its `MSRV_TARGET` target if
/// missing.
fn ensure_toolchain(toolchain: &str) -> Result<(), String> {
    let installed = Command::new("rustup")
        .args(["run", toolchain, "rustc", "--version"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if !installed {
        run(Command::new("rustup").args([
            "toolchain",
            "install",
            toolchain,
            "--profile",
            "minimal",
        ]))
        .map_err(|e| format!("{e}: the MSRV check needs Rust {toolchain}"))?;
    }
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

/// `cargo` of `toolchain`, run by rustup, with its own target directory.
fn toolchain_cargo(toolchain: &str) -> Command {
    let mut c = Command::new("rustup");
    c.args(["run", toolchain, "cargo"])
        .current_dir(workspace_root())
        .env(
            "CARGO_TARGET_DIR",
            workspace_root().join("target").join("msrv"),
        );
    // The running toolchain's variables would point cargo at its tools.
    for var in ["CARGO", "RUSTC", "RUSTDOC", "RUSTUP_TOOLCHAIN"] {
        c.env_remove(var);
    }
    c
}

/// The string value of `key = "…"` in `[section]` of a manifest.
fn toml_string(manifest: &str, section: &str, key: &str) -> Option<String> {
    let value = toml_value(manifest, section, key)?;
    Some(value.strip_prefix('"')?.strip_suffix('"')?.to_string())
}

/// The strings of `key = ["…", …]` in `[section]`.
fn toml_string_list(manifest: &str, section: &str, key: &str) -> Option<Vec<String>> {
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

    fn core_package() -> Package {
        Package {
            name: "slab-core".into(),
            version: "0.1.0".into(),
            files: [
                "Cargo.toml",
                "README.md",
                "slab.x",
                "include/slab.h",
                "src/capi.rs",
            ]
            .into_iter()
            .map(String::from)
            .collect(),
            repository_roots: ["examples", "slab-tests", "BENCHMARKS.md"]
                .into_iter()
                .map(String::from)
                .collect(),
        }
    }

    #[test]
    fn repository_files_named_in_the_docs_are_reported() {
        let html = "<p>See <code>examples/firmware</code> and (BENCHMARKS.md, on a Cortex-M3) \
                    and API.md §8, as <code>slab-tests/tests/heap_global.rs</code> does.</p>";
        let problems = html_problems(html, &core_package(), &[core_package()], |_| true);
        let named: Vec<&str> = problems
            .iter()
            .map(|p| p.split('`').nth(1).unwrap())
            .collect();
        assert_eq!(
            named,
            [
                "examples/firmware",
                "BENCHMARKS.md",
                "API.md",
                "slab-tests/tests/heap_global.rs"
            ]
        );
    }

    #[test]
    fn package_files_and_the_users_files_pass() {
        let html = "<p>Link with <code>-Tlink.x -Tslab.x</code>; <code>slab.x</code> keeps it, \
                    <code>include/slab.h</code> and <code>slab.h</code> from \
                    <code>src/capi.rs</code>, in <code>.cargo/config.toml</code> and \
                    <code>build.rs</code>, &lt;errno.h&gt;, alloc/free, e.g. 0.10.</p>\
                    <pre><code>mod examples/x.rs</code></pre><script>BENCHMARKS.md</script>";
        assert_eq!(
            html_problems(html, &core_package(), &[core_package()], |_| true),
            Vec::<String>::new()
        );
    }

    #[test]
    fn another_crates_file_passes_where_its_docs_rs_source_is_linked() {
        let macros = Package {
            name: "slab-macros".into(),
            files: ["Cargo.toml", "src/lib.rs"]
                .into_iter()
                .map(String::from)
                .collect(),
            ..core_package()
        };
        let packages = [macros, core_package()];
        let linked = r#"placed by slab-core's <a href="https://docs.rs/crate/slab-core/0.1.0/source/slab.x"><code>slab.x</code></a>"#;
        assert_eq!(
            html_problems(linked, &packages[0], &packages, |_| true),
            Vec::<String>::new()
        );
        let unlinked = "placed by slab-core's <code>slab.x</code>";
        let problems = html_problems(unlinked, &packages[0], &packages, |_| true);
        assert_eq!(problems, ["names `slab.x`, which is not in the package"]);
    }

    #[test]
    fn relative_links_must_resolve_in_the_rendered_docs() {
        let html = r##"<a href="struct.MemSlab.html#method.alloc">x</a><a href="#c-abi">y</a>
                       <a href="BENCHMARKS.md">z</a>"##;
        let problems = html_problems(html, &core_package(), &[core_package()], |h| {
            h.starts_with("struct.")
        });
        assert_eq!(problems.len(), 1, "{problems:?}");
        assert!(problems[0].contains("`BENCHMARKS.md`"), "{problems:?}");
    }

    #[test]
    fn docs_rs_source_links_name_this_version_and_a_packaged_file() {
        let packages = [core_package()];
        let ok = "https://docs.rs/crate/slab-core/0.1.0/source/include/slab.h";
        assert_eq!(docs_rs_source_problem(ok, &packages), None);
        let old = "https://docs.rs/crate/slab-core/0.0.9/source/slab.x";
        assert!(
            docs_rs_source_problem(old, &packages)
                .unwrap()
                .contains("0.0.9")
        );
        let missing = "https://docs.rs/crate/slab-core/0.1.0/source/BENCHMARKS.md";
        assert!(
            docs_rs_source_problem(missing, &packages)
                .unwrap()
                .contains("no `BENCHMARKS.md`")
        );
        let other_crate = "https://docs.rs/crate/heapless/0.9.0/source/README.md";
        assert_eq!(docs_rs_source_problem(other_crate, &packages), None);
    }

    #[test]
    fn readme_relative_links_are_reported_outside_code_blocks() {
        let readme = "# x\n[chart](benchmarks.svg) and [docs](https://docs.rs/slab-core) and \
                      [below](#features).\n\n```rust\nlet a = [b](c);\n```\n[api]: API.md\n";
        let problems = readme_problems(readme, &core_package(), &[core_package()]);
        assert_eq!(problems.len(), 4, "{problems:?}");
        assert!(problems[0].contains("relative link `benchmarks.svg`"));
        assert!(problems[1].contains("relative link `API.md`"));
        assert!(problems[2].contains("names `benchmarks.svg`"));
        assert!(problems[3].contains("names `API.md`"));
    }

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
