//! The docs of the published crates as their readers get them (docs.rs
//! pages and crates.io READMEs): no link and no file name that the
//! package does not contain.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use crate::publish::{PUBLISHED, package_list, read, toml_string, toml_string_list};
use crate::{cargo, run, workspace_root};

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

/// The docs as docs.rs renders them (slab-core's
/// `[package.metadata.docs.rs]` features, `-D warnings`) and each crate's
/// README: every relative link resolves inside the rendered docs, every
/// docs.rs source link names a file of that crate's package at this
/// version, and every file named in the text is in the package (or is the
/// user's, `FOREIGN_FILES`). The README must have no relative link at all:
/// crates.io has no repository to resolve it against.
pub fn check() -> Result<(), String> {
    let root = workspace_root();
    let core_manifest = read(&root.join("slab-core").join("Cargo.toml"))?;
    let features = toml_string_list(&core_manifest, "package.metadata.docs.rs", "features")
        .ok_or("slab-core/Cargo.toml: no `features` in [package.metadata.docs.rs]")?;
    let target_dir = root.join("target").join("docs-rs");
    let doc_root = target_dir.join("doc");
    // rustdoc leaves the pages of removed items behind: start afresh
    // (cargo documents a crate again when its pages are gone).
    for krate in PUBLISHED {
        let pages = doc_root.join(krate.replace('-', "_"));
        if pages.exists() {
            std::fs::remove_dir_all(&pages).map_err(|e| format!("{}: {e}", pages.display()))?;
        }
    }
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
}
