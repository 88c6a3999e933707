//! The modules of `src/db` depend on each other one way only: no import cycle (such as the
//! one `fnv1a64` once made through target -> lock -> conn -> target). Read from the
//! source: each file's references to `crate::db::...`, `super::...` and the backend
//! folders (`postgres::url`, `mysql::lock`, ...), test modules left out.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

const BACKENDS: [&str; 3] = ["postgres", "mysql", "sqlite"];

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// `lock.rs` -> ["lock"], `postgres/url.rs` -> ["postgres", "url"], `postgres/mod.rs` -> ["postgres"].
fn module_of(root: &Path, file: &Path) -> Vec<String> {
    let rel = file.strip_prefix(root).unwrap().with_extension("");
    let mut parts: Vec<String> = rel.iter().map(|p| p.to_string_lossy().into_owned()).collect();
    if parts.last().is_some_and(|p| p == "mod") {
        parts.pop();
    }
    parts
}

/// The code of a file without comments and without its `#[cfg(test)]` module.
fn code(text: &str) -> String {
    let text = text.split("#[cfg(test)]").next().unwrap_or("");
    text.lines()
        .map(|l| l.split("//").next().unwrap_or(""))
        .collect::<Vec<_>>()
        .join("\n")
}

fn is_ident(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_'
}

/// Every path the code names that starts at `crate::db`, `super` or a backend folder, as
/// segments relative to `src/db`.
fn referenced_paths(module: &[String], code: &str) -> Vec<Vec<String>> {
    let mut found = Vec::new();
    let chars: Vec<char> = code.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        if !(i == 0 || !is_ident(chars[i - 1]) && chars[i - 1] != ':') || !is_ident(chars[i]) {
            i += 1;
            continue;
        }
        // Read a path a::b::{c, d::e}.
        let mut j = i;
        let mut segments = Vec::new();
        let mut groups = Vec::new();
        loop {
            let start = j;
            while j < chars.len() && is_ident(chars[j]) {
                j += 1;
            }
            segments.push(chars[start..j].iter().collect::<String>());
            if chars.get(j) == Some(&':') && chars.get(j + 1) == Some(&':') {
                j += 2;
                if chars.get(j) == Some(&'{') {
                    let end = j + chars[j..].iter().position(|&c| c == '}').unwrap_or(0);
                    let inner: String = chars[j + 1..end].iter().collect();
                    groups = inner
                        .split(',')
                        .map(|s| s.trim().split("::").map(str::to_owned).collect::<Vec<_>>())
                        .filter(|s: &Vec<String>| !s[0].is_empty())
                        .collect();
                    j = end + 1;
                    break;
                }
                continue;
            }
            break;
        }
        i = j.max(i + 1);
        let base: Option<Vec<String>> = if segments.len() >= 2 && segments[0] == "crate" && segments[1] == "db" {
            Some(segments[2..].to_vec())
        } else if segments[0] == "super" {
            let ups = segments.iter().take_while(|s| *s == "super").count();
            let mut p: Vec<String> = module[..module.len().saturating_sub(ups)].to_vec();
            p.extend(segments[ups..].iter().cloned());
            Some(p)
        } else if BACKENDS.contains(&segments[0].as_str()) && segments.len() >= 2 {
            Some(segments.clone())
        } else {
            None
        };
        let Some(base) = base else { continue };
        if groups.is_empty() {
            found.push(base);
        } else {
            for g in groups {
                let mut p = base.clone();
                p.extend(g);
                found.push(p);
            }
        }
    }
    found
}

#[test]
fn db_modules_have_no_import_cycle() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src/db");
    let mut files = Vec::new();
    rust_files(&root, &mut files);
    let modules: BTreeMap<String, String> = files
        .iter()
        .map(|f| {
            (
                module_of(&root, f).join("::"),
                code(&std::fs::read_to_string(f).unwrap()),
            )
        })
        .collect();
    // Edges between modules that hold code: a backend folder's mod.rs only declares.
    let mut edges: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for (name, text) in &modules {
        let module: Vec<String> = if name.is_empty() {
            Vec::new()
        } else {
            name.split("::").map(str::to_owned).collect()
        };
        let out = edges.entry(name.clone()).or_default();
        for path in referenced_paths(&module, text) {
            for k in (1..=path.len()).rev() {
                let candidate = path[..k].join("::");
                if modules.contains_key(&candidate) && !BACKENDS.contains(&candidate.as_str()) {
                    if candidate != *name {
                        out.insert(candidate);
                    }
                    break;
                }
            }
        }
    }
    assert!(
        edges["lock"].contains("conn") && edges["target"].contains("postgres::url"),
        "{edges:#?}"
    );
    // Depth-first search for a back edge.
    fn visit(
        u: &str,
        edges: &BTreeMap<String, BTreeSet<String>>,
        state: &mut BTreeMap<String, u8>,
        stack: &mut Vec<String>,
    ) {
        state.insert(u.to_owned(), 1);
        stack.push(u.to_owned());
        for v in edges.get(u).into_iter().flatten() {
            match state.get(v.as_str()) {
                Some(1) => {
                    let at = stack.iter().position(|s| s == v).unwrap();
                    panic!("import cycle in src/db: {} -> {v}", stack[at..].join(" -> "));
                }
                Some(_) => {}
                None => visit(v, edges, state, stack),
            }
        }
        stack.pop();
        state.insert(u.to_owned(), 2);
    }
    let mut state = BTreeMap::new();
    for u in edges.keys() {
        if !state.contains_key(u.as_str()) {
            visit(u, &edges, &mut state, &mut Vec::new());
        }
    }
}
