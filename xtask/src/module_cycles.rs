//! A check that the modules of slab-core and of this program depend on
//! each other without a circle: each module is its top-level file or
//! directory under `src/`, and it depends on every module that one of its
//! files names with a `crate::` path (`crate::registry::…`,
//! `use crate::{install, run}`, `$crate::…`) outside a `//` comment. Paths
//! through a re-export at the crate root (`crate::MemSlab`) are not seen.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use crate::workspace_root;

type Graph = BTreeMap<String, BTreeSet<String>>;

/// The dependencies between the modules under `src`.
fn graph(src: &Path) -> Graph {
    let mut modules = Graph::new();
    let mut files = Vec::new();
    for entry in std::fs::read_dir(src)
        .expect("a source directory")
        .flatten()
    {
        let path = entry.path();
        let name = path.file_stem().unwrap().to_string_lossy().into_owned();
        if path.is_dir() {
            collect_files(&path, &name, &mut files);
        } else if path.extension().is_some_and(|e| e == "rs") && name != "lib" && name != "main" {
            files.push((name.clone(), path));
        } else {
            continue;
        }
        modules.insert(name, BTreeSet::new());
    }
    let names: BTreeSet<String> = modules.keys().cloned().collect();
    for (module, file) in files {
        let text = std::fs::read_to_string(&file).expect("a source file");
        let code: String = text
            .lines()
            .map(|line| line.split("//").next().unwrap_or(""))
            .collect::<Vec<_>>()
            .join("\n");
        let used = modules.get_mut(&module).unwrap();
        for named in crate_paths(&code) {
            if named != module && names.contains(&named) {
                used.insert(named);
            }
        }
    }
    modules
}

fn collect_files(dir: &Path, module: &str, files: &mut Vec<(String, std::path::PathBuf)>) {
    for entry in std::fs::read_dir(dir)
        .expect("a module directory")
        .flatten()
    {
        let path = entry.path();
        if path.is_dir() {
            collect_files(&path, module, files);
        } else if path.extension().is_some_and(|e| e == "rs") {
            files.push((module.to_owned(), path));
        }
    }
}

/// The first segment of each `crate::` path in `code`, each member of a
/// `crate::{…}` group included.
fn crate_paths(code: &str) -> Vec<String> {
    let ident = |s: &str| -> String {
        s.trim_start()
            .chars()
            .take_while(|c| c.is_alphanumeric() || *c == '_')
            .collect()
    };
    let mut found = Vec::new();
    for (at, _) in code.match_indices("crate::") {
        let before = code[..at].chars().next_back();
        if before.is_some_and(|c| c.is_alphanumeric() || c == '_') {
            continue; // `my_crate::…`
        }
        let rest = &code[at + "crate::".len()..];
        if let Some(group) = rest.strip_prefix('{') {
            let (mut depth, mut start) = (0usize, 0usize);
            for (i, c) in group.char_indices() {
                match c {
                    '{' => depth += 1,
                    '}' if depth == 0 => {
                        found.push(ident(&group[start..i]));
                        break;
                    }
                    '}' => depth -= 1,
                    ',' if depth == 0 => {
                        found.push(ident(&group[start..i]));
                        start = i + 1;
                    }
                    _ => {}
                }
            }
        } else {
            found.push(ident(rest));
        }
    }
    found
}

/// A circle of modules in `graph`, as the path that closes it.
fn circle(graph: &Graph) -> Option<Vec<String>> {
    fn visit(
        graph: &Graph,
        at: &str,
        path: &mut Vec<String>,
        done: &mut BTreeSet<String>,
    ) -> Option<Vec<String>> {
        if let Some(start) = path.iter().position(|m| m == at) {
            let mut found = path[start..].to_vec();
            found.push(at.to_owned());
            return Some(found);
        }
        if !done.insert(at.to_owned()) {
            return None;
        }
        path.push(at.to_owned());
        for next in &graph[at] {
            if let Some(found) = visit(graph, next, path, done) {
                return Some(found);
            }
        }
        path.pop();
        None
    }
    let mut done = BTreeSet::new();
    graph
        .keys()
        .find_map(|m| visit(graph, m, &mut Vec::new(), &mut done))
}

#[test]
fn a_circle_is_found() {
    let code = "use crate::{a, b::{c, d}};\nuse crate::c::X;\nfn f() { my_crate::d::g(); }";
    assert_eq!(crate_paths(code), ["a", "b", "c"]);
    let graph: Graph = [
        ("a", &["b"][..]),
        ("b", &["c"]),
        ("c", &["a"]),
        ("d", &["a"]),
    ]
    .into_iter()
    .map(|(m, uses)| (m.into(), uses.iter().map(|u| u.to_string()).collect()))
    .collect();
    assert_eq!(circle(&graph).unwrap(), ["a", "b", "c", "a"]);
    let mut broken = graph.clone();
    broken.get_mut("c").unwrap().clear();
    assert_eq!(circle(&broken), None);
}

#[test]
fn slab_core_and_xtask_modules_form_no_circle() {
    for krate in ["slab-core", "xtask"] {
        let graph = graph(&workspace_root().join(krate).join("src"));
        assert!(graph.len() > 5, "{krate}: {graph:?}");
        assert!(
            graph.values().any(|uses| !uses.is_empty()),
            "{krate}: no dependency seen: {graph:?}"
        );
        if let Some(found) = circle(&graph) {
            panic!(
                "{krate}: the modules depend on each other in a circle: {}",
                found.join(" -> ")
            );
        }
    }
}
