//! `monomig check`: static guardrails for CI, no database.
//!
//! Per service: one head (unless the section sets `monomig.allow_multiple_heads =
//! true`), every `down_revision` defined, no cycle, no revision id defined twice (within
//! the service, or across services writing the same version table), no parent living in
//! another service's folder, no branch label used twice, every version location
//! present, every revision file readable without importing it; across
//! the project: no two services writing the same database and version table.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};

use super::{ServiceSpec, table_key};
use crate::scripts::{self, ScriptSource};

/// What `check` is asked.
#[derive(Debug, Clone, Default)]
pub struct CheckRequest {
    pub services: Vec<ServiceSpec>,
    /// Every service of the project (for cross-service parents), when `services` is a
    /// selection; empty means `services`.
    pub all_services: Vec<ServiceSpec>,
}

/// One finding.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    pub service: String,
    /// multiple_heads, missing_parent, cycle, duplicate_revision, duplicate_branch_label,
    /// cross_service_parent, shared_version_table, missing_version_location or
    /// unreadable_revision.
    pub code: String,
    pub message: String,
    pub path: Option<String>,
    pub line: Option<usize>,
    /// The revision concerned, when there is one.
    pub revision: Option<String>,
}

struct Rev {
    id: String,
    down: Vec<String>,
    deps: Vec<String>,
    labels: Vec<String>,
    path: PathBuf,
}

/// A revision file `check` cannot read: it needs importing (`broken` false, `reason`
/// says why) or it is broken (`reason` is the reading error, naming the file).
struct Unreadable {
    path: PathBuf,
    reason: String,
    broken: bool,
    line: Option<usize>,
}

struct Scanned {
    revs: Vec<Rev>,
    unreadable: Vec<Unreadable>,
    error: Option<String>,
}

fn scan_service(spec: &ServiceSpec) -> Scanned {
    let mut out = Scanned {
        revs: Vec::new(),
        unreadable: Vec::new(),
        error: None,
    };
    let found = match scripts::discover(&spec.version_locations, spec.recursive, spec.sourceless) {
        Ok(d) => d,
        Err(e) => {
            out.error = Some(e.to_string());
            return out;
        }
    };
    for path in found.files {
        match scripts::read_revision_file_with(&path, &spec.dialect()) {
            Ok(ScriptSource::Static(f)) => out.revs.push(Rev {
                id: f.revision,
                down: f.down_revision,
                deps: f.depends_on,
                labels: f.branch_labels,
                path: f.path,
            }),
            Ok(needs @ ScriptSource::NeedsImport { .. }) => match spec.answer(needs) {
                Ok(Ok(input)) => out.revs.push(Rev {
                    id: input.revision,
                    down: input.down_revision,
                    deps: input.dependencies,
                    labels: input.branch_labels,
                    path: input.path.unwrap_or(path),
                }),
                Ok(Err((path, reason))) => out.unreadable.push(Unreadable {
                    path,
                    reason,
                    broken: false,
                    line: None,
                }),
                Err(e) => out.unreadable.push(Unreadable {
                    line: scripts::error_line(&path, &e),
                    reason: e.to_string(),
                    path,
                    broken: true,
                }),
            },
            Err(e) => out.unreadable.push(Unreadable {
                line: scripts::error_line(&path, &e),
                reason: e.to_string(),
                path,
                broken: true,
            }),
        }
    }
    out
}

/// [`scan_service`] for each service, on a few threads, answers in order.
fn scan_all(specs: Vec<&ServiceSpec>) -> Vec<Scanned> {
    let threads = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(2)
        .clamp(1, 8)
        .min(specs.len().max(1));
    let next = std::sync::atomic::AtomicUsize::new(0);
    let slots: Vec<std::sync::Mutex<Option<Scanned>>> = specs.iter().map(|_| std::sync::Mutex::new(None)).collect();
    std::thread::scope(|s| {
        for _ in 0..threads {
            s.spawn(|| {
                loop {
                    let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    let Some(spec) = specs.get(i) else { break };
                    let scanned = scan_service(spec);
                    if let Ok(mut slot) = slots[i].lock() {
                        *slot = Some(scanned);
                    }
                }
            });
        }
    });
    slots
        .into_iter()
        .map(|m| {
            m.into_inner().ok().flatten().unwrap_or_else(|| Scanned {
                revs: Vec::new(),
                unreadable: Vec::new(),
                error: Some("reading the revision files was interrupted".to_owned()),
            })
        })
        .collect()
}

/// The 1-based line of the first module-level assignment to `name` in `path`.
fn line_of(path: &Path, name: &str) -> Option<usize> {
    let text = std::fs::read_to_string(path).ok()?;
    for (i, line) in text.lines().enumerate() {
        if let Some(rest) = line.strip_prefix(name) {
            let rest = rest.trim_start();
            if rest.starts_with('=') || rest.starts_with(':') {
                return Some(i + 1);
            }
        }
    }
    None
}

fn finding(service: &str, code: &str, message: String, path: Option<&Path>, line: Option<usize>) -> Finding {
    Finding {
        service: service.to_owned(),
        code: code.to_owned(),
        message,
        path: path.map(|p| p.display().to_string()),
        line: path.map(|_| line.unwrap_or(1)),
        revision: None,
    }
}

/// Every finding, services in the order given, each service's findings in file order.
pub fn check(req: CheckRequest) -> Vec<Finding> {
    let specs = &req.services;
    let all: &[ServiceSpec] = if req.all_services.is_empty() {
        specs
    } else {
        &req.all_services
    };
    let scanned: Vec<Scanned> = scan_all(specs.iter().collect());
    // Ids of every service of the project, for cross-service parents.
    let mut owner_of: HashMap<String, Vec<String>> = HashMap::new();
    let others: Vec<&ServiceSpec> = all.iter().filter(|a| !specs.iter().any(|s| s.name == a.name)).collect();
    let other_scans: Vec<(String, Scanned)> = others
        .iter()
        .map(|a| a.name.clone())
        .zip(scan_all(others.clone()))
        .collect();
    for (name, sc) in specs
        .iter()
        .map(|s| s.name.clone())
        .zip(scanned.iter())
        .chain(other_scans.iter().map(|(n, s)| (n.clone(), s)))
    {
        for r in &sc.revs {
            let owners = owner_of.entry(r.id.clone()).or_default();
            if !owners.contains(&name) {
                owners.push(name.clone());
            }
        }
    }

    let mut out = Vec::new();
    for (spec, sc) in specs.iter().zip(&scanned) {
        let svc = spec.name.as_str();
        if let Some(e) = &sc.error {
            out.push(finding(
                svc,
                "unreadable_revision",
                format!("service '{svc}': its version locations could not be read: {e}"),
                None,
                None,
            ));
        }
        for loc in spec.version_locations.iter().filter(|l| !l.exists()) {
            out.push(finding(
                svc,
                "missing_version_location",
                super::missing_version_location(svc, loc),
                None,
                None,
            ));
        }
        for u in &sc.unreadable {
            let path = u.path.display().to_string();
            let message = if !u.broken {
                format!(
                    "service '{svc}': {path} cannot be read without importing it ({}), and importing \
                     is off (--no-import, or monomig.import = false in its section); run where the \
                     application is installed without --no-import, or write revision, down_revision, \
                     branch_labels and depends_on as plain literals.",
                    u.reason
                )
            } else if u.reason.contains(&path) {
                format!("service '{svc}': {}", u.reason)
            } else {
                format!("service '{svc}': {path}: {}", u.reason)
            };
            out.push(finding(svc, "unreadable_revision", message, Some(&u.path), u.line));
        }
        let mut first: HashMap<&str, usize> = HashMap::new();
        for (i, r) in sc.revs.iter().enumerate() {
            if let Some(&j) = first.get(r.id.as_str()) {
                let mut f = finding(
                    svc,
                    "duplicate_revision",
                    format!(
                        "service '{svc}': revision '{}' is defined twice, in {} and in {}; give one \
                         of them a new revision id.",
                        r.id,
                        sc.revs[j].path.display(),
                        r.path.display()
                    ),
                    Some(&r.path),
                    line_of(&r.path, "revision"),
                );
                f.revision = Some(r.id.clone());
                out.push(f);
            } else {
                first.insert(&r.id, i);
            }
        }
        // A branch label used by two revisions: Alembic refuses to build the graph.
        let mut label_owner: HashMap<&str, usize> = HashMap::new();
        for (i, r) in sc.revs.iter().enumerate() {
            for label in &r.labels {
                match label_owner.get(label.as_str()) {
                    Some(&j) if sc.revs[j].id != r.id => {
                        let mut f = finding(
                            svc,
                            "duplicate_branch_label",
                            format!(
                                "service '{svc}': branch label '{label}' is used by revision '{}' ({}) and by \
                                 revision '{}' ({}); Alembic cannot load the service. Rename one of the labels.",
                                sc.revs[j].id,
                                sc.revs[j].path.display(),
                                r.id,
                                r.path.display()
                            ),
                            Some(&r.path),
                            line_of(&r.path, "branch_labels"),
                        );
                        f.revision = Some(r.id.clone());
                        out.push(f);
                    }
                    Some(_) => {}
                    None => {
                        label_owner.insert(label, i);
                    }
                }
            }
        }
        let labels: HashSet<&str> = sc
            .revs
            .iter()
            .flat_map(|r| r.labels.iter().map(String::as_str))
            .collect();
        for r in &sc.revs {
            for (parent, is_dep) in r
                .down
                .iter()
                .map(|d| (d, false))
                .chain(r.deps.iter().map(|d| (d, true)))
            {
                if first.contains_key(parent.as_str()) || (is_dep && labels.contains(parent.as_str())) {
                    continue;
                }
                let field = if is_dep { "depends_on" } else { "down_revision" };
                let others: Vec<&String> = owner_of
                    .get(parent)
                    .map(|o| o.iter().filter(|n| n.as_str() != svc).collect())
                    .unwrap_or_default();
                let mut f = if let Some(other) = others.first() {
                    finding(
                        svc,
                        "cross_service_parent",
                        format!(
                            "service '{svc}': revision '{}' ({}) names '{parent}' in its {field}, but \
                             '{parent}' belongs to service '{other}'; a service's revisions may only \
                             build on revisions of its own versions folder.",
                            r.id,
                            r.path.display()
                        ),
                        Some(&r.path),
                        line_of(&r.path, field),
                    )
                } else if !is_dep {
                    finding(
                        svc,
                        "missing_parent",
                        format!(
                            "service '{svc}': revision '{}' ({}) names '{parent}' as its \
                             down_revision, but no revision file defines '{parent}'; add the missing \
                             file or correct down_revision.",
                            r.id,
                            r.path.display()
                        ),
                        Some(&r.path),
                        line_of(&r.path, field),
                    )
                } else {
                    finding(
                        svc,
                        "missing_parent",
                        format!(
                            "service '{svc}': revision '{}' ({}) depends on '{parent}', but no \
                             revision id or branch label '{parent}' exists; add the missing file or \
                             correct depends_on.",
                            r.id,
                            r.path.display()
                        ),
                        Some(&r.path),
                        line_of(&r.path, field),
                    )
                };
                f.revision = Some(r.id.clone());
                out.push(f);
            }
        }
        // Cycles through down_revision (and depends_on on revision ids).
        for cycle in cycles(&sc.revs, &first) {
            let r = &sc.revs[cycle[0]];
            let ids: Vec<&str> = cycle.iter().map(|&i| sc.revs[i].id.as_str()).collect();
            let mut f = finding(
                svc,
                "cycle",
                format!(
                    "service '{svc}': revisions {} form a cycle through down_revision/depends_on; \
                     break it by correcting one of them.",
                    ids.iter().map(|i| format!("'{i}'")).collect::<Vec<_>>().join(", ")
                ),
                Some(&r.path),
                line_of(&r.path, "down_revision"),
            );
            f.revision = Some(r.id.clone());
            out.push(f);
        }
        // Heads: revisions no other revision of the service names as down_revision.
        if !spec.allow_multiple_heads {
            let named: HashSet<&str> = sc.revs.iter().flat_map(|r| r.down.iter().map(String::as_str)).collect();
            let mut seen = HashSet::new();
            let heads: Vec<&Rev> = sc
                .revs
                .iter()
                .filter(|r| !named.contains(r.id.as_str()) && seen.insert(r.id.as_str()))
                .collect();
            if heads.len() > 1 {
                let list: Vec<String> = heads
                    .iter()
                    .map(|r| format!("'{}' ({})", r.id, r.path.display()))
                    .collect();
                out.push(finding(
                    svc,
                    "multiple_heads",
                    format!(
                        "service '{svc}' has {} heads: {}; merge them with `alembic -n {svc} merge \
                         heads`, or set monomig.allow_multiple_heads = true in its section.",
                        heads.len(),
                        list.join(", ")
                    ),
                    None,
                    None,
                ));
            }
        }
    }

    // Services writing the same database and version table.
    let keys: Vec<Option<(String, String)>> = specs.iter().map(table_key).collect();
    for (i, spec) in specs.iter().enumerate() {
        let Some(k) = &keys[i] else { continue };
        let others: Vec<usize> = (0..specs.len())
            .filter(|&j| j != i && keys[j].as_ref() == Some(k))
            .collect();
        if others.is_empty() {
            continue;
        }
        let names: Vec<String> = others.iter().map(|&j| format!("'{}'", specs[j].name)).collect();
        out.push(finding(
            &spec.name,
            "shared_version_table",
            format!(
                "service '{}' writes the version table '{}' of the same database as {}: their \
                 revisions overwrite each other's rows. Give each service its own version_table \
                 (e.g. version_table = {}_alembic_version in its section) or its own database.",
                spec.name,
                k.1,
                names.join(", "),
                spec.name
            ),
            None,
            None,
        ));
        // Revision ids defined by more than one of the services sharing the table.
        for &j in &others {
            if j < i {
                continue;
            }
            let theirs: HashMap<&str, &Rev> = scanned[j].revs.iter().map(|r| (r.id.as_str(), r)).collect();
            for r in &scanned[i].revs {
                if let Some(t) = theirs.get(r.id.as_str()) {
                    let mut f = finding(
                        &specs[j].name,
                        "duplicate_revision",
                        format!(
                            "revision '{}' is defined by service '{}' ({}) and by service '{}' ({}), \
                             which write the same version table; give one of them a new revision id.",
                            r.id,
                            spec.name,
                            r.path.display(),
                            specs[j].name,
                            t.path.display()
                        ),
                        Some(&t.path),
                        line_of(&t.path, "revision"),
                    );
                    f.revision = Some(r.id.clone());
                    out.push(f);
                }
            }
        }
    }
    out
}

/// Strongly connected components with more than one revision (or a self-loop), by
/// Tarjan's algorithm (iterative), each in file order.
fn cycles(revs: &[Rev], first: &HashMap<&str, usize>) -> Vec<Vec<usize>> {
    let n = revs.len();
    let edges: Vec<Vec<usize>> = revs
        .iter()
        .map(|r| {
            r.down
                .iter()
                .chain(r.deps.iter())
                .filter_map(|d| first.get(d.as_str()).copied())
                .collect()
        })
        .collect();
    let mut index = vec![usize::MAX; n];
    let mut low = vec![0usize; n];
    let mut on_stack = vec![false; n];
    let mut stack = Vec::new();
    let mut counter = 0;
    let mut out = Vec::new();
    for root in 0..n {
        if index[root] != usize::MAX {
            continue;
        }
        let mut work: Vec<(usize, usize)> = vec![(root, 0)];
        index[root] = counter;
        low[root] = counter;
        counter += 1;
        stack.push(root);
        on_stack[root] = true;
        while let Some(&mut (v, ref mut ei)) = work.last_mut() {
            if let Some(&w) = edges[v].get(*ei) {
                *ei += 1;
                if index[w] == usize::MAX {
                    index[w] = counter;
                    low[w] = counter;
                    counter += 1;
                    stack.push(w);
                    on_stack[w] = true;
                    work.push((w, 0));
                } else if on_stack[w] {
                    low[v] = low[v].min(index[w]);
                }
            } else {
                work.pop();
                if let Some(&(parent, _)) = work.last() {
                    low[parent] = low[parent].min(low[v]);
                }
                if low[v] == index[v] {
                    let mut comp = Vec::new();
                    while let Some(w) = stack.pop() {
                        on_stack[w] = false;
                        comp.push(w);
                        if w == v {
                            break;
                        }
                    }
                    if comp.len() > 1 || edges[v].contains(&v) {
                        comp.sort_unstable();
                        out.push(comp);
                    }
                }
            }
        }
    }
    out.sort();
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(dir: &Path, name: &str, rev: &str, down: &str) {
        std::fs::write(
            dir.join(name),
            format!("\"\"\"doc\"\"\"\nrevision = '{rev}'\ndown_revision = {down}\n\ndef upgrade():\n    pass\n"),
        )
        .unwrap();
    }

    fn spec(name: &str, dir: &Path) -> ServiceSpec {
        ServiceSpec {
            name: name.to_owned(),
            version_locations: vec![dir.to_path_buf()],
            base_dir: dir.to_path_buf(),
            version_table: "alembic_version".to_owned(),
            ..Default::default()
        }
    }

    fn codes(found: &[Finding]) -> Vec<&str> {
        found.iter().map(|f| f.code.as_str()).collect()
    }

    #[test]
    fn clean_chain_has_no_findings() {
        let d = tempfile::tempdir().unwrap();
        write(d.path(), "a.py", "aaaa", "None");
        write(d.path(), "b.py", "bbbb", "'aaaa'");
        let found = check(CheckRequest {
            services: vec![spec("s", d.path())],
            all_services: vec![],
        });
        assert!(found.is_empty(), "{found:?}");
    }

    #[test]
    fn colons_in_ids_follow_the_specs_rules() {
        let d = tempfile::tempdir().unwrap();
        write(d.path(), "a.py", "a:b", "None");
        write(d.path(), "b.py", "cccc", "'a:b'");
        let mut before_1_17_1 = spec("s", d.path());
        before_1_17_1.ids.colon_allowed = true;
        let found = check(CheckRequest {
            services: vec![before_1_17_1],
            all_services: vec![],
        });
        assert!(found.is_empty(), "{found:?}");
        let found = check(CheckRequest {
            services: vec![spec("s", d.path())],
            all_services: vec![],
        });
        // the refused file, then its child's missing parent
        assert_eq!(codes(&found), ["unreadable_revision", "missing_parent"], "{found:?}");
        assert!(
            found[0]
                .message
                .contains("Character(s) ':' not allowed in revision identifier 'a:b'")
        );
    }

    #[test]
    fn each_static_finding() {
        let d = tempfile::tempdir().unwrap();
        write(d.path(), "a.py", "aaaa", "None");
        write(d.path(), "b.py", "bbbb", "'zzzz'");
        write(d.path(), "c.py", "cccc", "'dddd'");
        write(d.path(), "d.py", "dddd", "'cccc'");
        write(d.path(), "e.py", "aaaa", "None");
        let found = check(CheckRequest {
            services: vec![spec("s", d.path())],
            all_services: vec![],
        });
        let c = codes(&found);
        assert!(c.contains(&"missing_parent"), "{c:?}");
        assert!(c.contains(&"cycle"), "{c:?}");
        assert!(c.contains(&"duplicate_revision"), "{c:?}");
        assert!(c.contains(&"multiple_heads"), "{c:?}");
        let missing = found.iter().find(|f| f.code == "missing_parent").unwrap();
        assert_eq!(missing.line, Some(3));
        assert_eq!(missing.revision.as_deref(), Some("bbbb"));
    }

    #[test]
    fn broken_file_label_used_twice_and_missing_location() {
        let d = tempfile::tempdir().unwrap();
        std::fs::write(
            d.path().join("a.py"),
            "revision = 'aaaa'\ndown_revision = None\nbranch_labels = ('x',)\n",
        )
        .unwrap();
        std::fs::write(
            d.path().join("b.py"),
            "revision = 'bbbb'\ndown_revision = 'aaaa'\nbranch_labels = ('x',)\n",
        )
        .unwrap();
        std::fs::write(
            d.path().join("c.py"),
            "revision = 'cccc'\ndown_revision = 'bbbb'\nx = (\n",
        )
        .unwrap();
        let mut s = spec("s", d.path());
        s.version_locations.push(d.path().join("nowhere"));
        let found = check(CheckRequest {
            services: vec![s],
            all_services: vec![],
        });
        assert_eq!(
            codes(&found),
            [
                "missing_version_location",
                "unreadable_revision",
                "duplicate_branch_label"
            ],
            "{found:?}"
        );
        assert_eq!(found[1].line, Some(3), "{found:?}");
        assert!(found[1].message.starts_with("service 's': Revision file "), "{found:?}");
        assert_eq!((found[2].line, found[2].revision.as_deref()), (Some(3), Some("bbbb")));
    }

    #[test]
    fn allow_multiple_heads() {
        let d = tempfile::tempdir().unwrap();
        write(d.path(), "a.py", "aaaa", "None");
        write(d.path(), "b.py", "bbbb", "None");
        let mut s = spec("s", d.path());
        s.allow_multiple_heads = true;
        assert!(
            check(CheckRequest {
                services: vec![s],
                all_services: vec![]
            })
            .is_empty()
        );
    }

    #[test]
    fn tarjan_finds_self_loops_and_long_cycles() {
        let mk = |id: &str, down: &[&str]| Rev {
            id: id.to_owned(),
            down: down.iter().map(|s| s.to_string()).collect(),
            deps: vec![],
            labels: vec![],
            path: PathBuf::new(),
        };
        let revs = vec![
            mk("a", &["c"]),
            mk("b", &["a"]),
            mk("c", &["b"]),
            mk("d", &["d"]),
            mk("e", &[]),
        ];
        let first: HashMap<&str, usize> = revs.iter().enumerate().map(|(i, r)| (r.id.as_str(), i)).collect();
        assert_eq!(cycles(&revs, &first), vec![vec![0, 1, 2], vec![3]]);
        // A long chain does not overflow any stack.
        let long: Vec<Rev> = (0..100_000)
            .map(|i| Rev {
                id: format!("r{i}"),
                down: if i == 0 { vec![] } else { vec![format!("r{}", i - 1)] },
                deps: vec![],
                labels: vec![],
                path: PathBuf::new(),
            })
            .collect();
        let first: HashMap<&str, usize> = long.iter().enumerate().map(|(i, r)| (r.id.as_str(), i)).collect();
        assert!(cycles(&long, &first).is_empty());
    }
}
