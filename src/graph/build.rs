//! Building the graph: `Revision.__init__` and `RevisionMap._revision_map`,
//! step by step, with Alembic's checks in Alembic's order.

use std::collections::HashMap;

use super::order::{index_permutation, permutation};
use super::topo::Reach;
use super::{Csr, Graph, InsertionOrder, Key, Node, NodeId, RevisionInput, SetOrder};
use crate::error::{Error, Result, RevisionErrorKind};

/// How one `down_revision` entry resolves in the map while it is being built.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum DownRef {
    /// A revision id: its canonical node.
    Id(NodeId),
    /// A branch label (Alembic accepts it in some steps and fails in others).
    Label(NodeId),
    /// Nothing by that name.
    Missing,
}

const ILLEGAL: [char; 4] = ['@', '-', '+', ':'];

/// The identifier rules of the Alembic release being imitated.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct IdRules {
    /// `:` is allowed in revision ids (Alembic before 1.17.1, #1540; see
    /// `config::AlembicVersion::colon_in_revision_ids`).
    pub colon_allowed: bool,
}

impl IdRules {
    /// Whether `c` may not appear in a revision id.
    pub fn is_illegal(self, c: char) -> bool {
        ILLEGAL.contains(&c) && !(c == ':' && self.colon_allowed)
    }
}

/// `Revision.__init__`'s checks, in its order.
fn check_revision(inp: &RevisionInput, rules: IdRules) -> Result<()> {
    if !inp.down_revision.is_empty() && inp.down_revision.contains(&inp.revision) {
        return Err(Error::revision(
            RevisionErrorKind::Loop {
                revision: inp.revision.clone(),
            },
            format!("Self-loop is detected in revisions ({})", inp.revision),
        ));
    }
    if inp.dependencies.contains(&inp.revision) {
        return Err(Error::revision(
            RevisionErrorKind::DependencyLoop {
                revision: inp.revision.clone(),
            },
            format!("Dependency self-loop is detected in revisions ({})", inp.revision),
        ));
    }
    let mut bad: Vec<char> = ILLEGAL
        .iter()
        .copied()
        .filter(|&c| rules.is_illegal(c) && inp.revision.contains(c))
        .collect();
    if !bad.is_empty() {
        bad.sort_unstable();
        let list: Vec<String> = bad.iter().map(char::to_string).collect();
        return Err(Error::revision_generic(format!(
            "Character(s) '{}' not allowed in revision identifier '{}'",
            list.join(", "),
            inp.revision
        )));
    }
    Ok(())
}

fn describe(inp: &RevisionInput) -> String {
    match &inp.path {
        Some(p) => format!("Revision '{}' ({})", inp.revision, p.display()),
        None => format!("Revision '{}'", inp.revision),
    }
}

fn where_to_fix(inp: &RevisionInput) -> String {
    match &inp.path {
        Some(p) => format!("in {}", p.display()),
        None => format!("in revision '{}'", inp.revision),
    }
}

/// References to revisions nobody defines (Alembic: a warning, then `KeyError`).
fn missing_error(inputs: &[RevisionInput], missing: &[(usize, bool, String)]) -> Error {
    let mut parts = Vec::new();
    for (i, is_dep, name) in missing.iter().take(20) {
        let inp = &inputs[*i];
        if *is_dep {
            parts.push(format!(
                "{} depends on '{}', but no revision id or branch label '{}' exists; \
                 add the missing revision file or correct depends_on {}.",
                describe(inp),
                name,
                name,
                where_to_fix(inp)
            ));
        } else {
            parts.push(format!(
                "{} names '{}' as its down_revision, but no revision file defines '{}'; \
                 add the missing revision file or correct down_revision {}.",
                describe(inp),
                name,
                name,
                where_to_fix(inp)
            ));
        }
    }
    if missing.len() > 20 {
        parts.push(format!("({} more missing references.)", missing.len() - 20));
    }
    Error::revision_generic(parts.join(" "))
}

/// A branch label used as a `down_revision` (Alembic: `KeyError` while checking for cycles).
fn label_down_error(inputs: &[RevisionInput], i: usize, name: &str, owner: &str) -> Error {
    let inp = &inputs[i];
    Error::revision_generic(format!(
        "{} names '{}' as its down_revision, but '{}' is a branch label (of revision '{}'), \
         not a revision id; down_revision must name revision ids, so write '{}' instead {}.",
        describe(inp),
        name,
        name,
        owner,
        owner,
        where_to_fix(inp)
    ))
}

fn dedupe_nodes(v: &[NodeId]) -> Vec<NodeId> {
    let mut out: Vec<NodeId> = Vec::with_capacity(v.len());
    for &x in v {
        if !out.contains(&x) {
            out.push(x);
        }
    }
    out
}

impl Graph {
    /// Build the graph from revisions in load order, with insertion order
    /// wherever Alembic's result depends on Python set order.
    pub fn build(inputs: Vec<RevisionInput>) -> Result<Graph> {
        Self::build_with(inputs, &InsertionOrder)
    }

    /// Build the graph, asking `order` for Python's set iteration orders.
    ///
    /// The phases follow `RevisionMap._revision_map` (and `Revision.__init__`
    /// before it); each one fails with the error Alembic raises at that point.
    pub fn build_with(inputs: Vec<RevisionInput>, order: &dyn SetOrder) -> Result<Graph> {
        Self::build_with_rules(inputs, order, IdRules::default())
    }

    /// [`Graph::build_with`] by the identifier rules of an older Alembic.
    pub fn build_with_rules(inputs: Vec<RevisionInput>, order: &dyn SetOrder, rules: IdRules) -> Result<Graph> {
        check_size(inputs.len())?;
        for inp in &inputs {
            check_revision(inp, rules)?;
        }
        let mut ids = map_ids(&inputs);
        let label_order = map_branch_labels(&inputs, &mut ids, order)?;
        let down_refs = resolve_down_revisions(&inputs, &ids);
        let resolved = add_depends_on(&inputs, &ids, &down_refs)?;
        let links = link_next_revisions(&inputs, &ids, &resolved, order)?;
        let bad_downs = down_refs.iter().flatten().any(|d| !matches!(d, DownRef::Id(_)));
        let normalized = normalize(&inputs, &down_refs, &resolved, bad_downs, order)?;
        let ends = detect_cycles(&inputs, &ids, &down_refs, &resolved, &links)?;
        check_down_revisions(&inputs, &down_refs)?;
        let edges = Edges::new(&down_refs, &resolved, &normalized);
        let labels = add_branches(&inputs, &label_order, &links, &edges.vdown)?;
        Ok(assemble(inputs, ids, links, ends, edges, labels, resolved, normalized))
    }
}

/// Node ids are `u32` with room to spare: refuse a graph too large for them.
fn check_size(n: usize) -> Result<()> {
    if n >= (u32::MAX / 4) as usize {
        return Err(Error::revision_generic(format!(
            "{n} revisions are more than monomig can hold in one revision graph."
        )));
    }
    Ok(())
}

/// The map's keys: revision ids, then branch labels.
struct Ids {
    /// Key name -> index in `keys`.
    lookup: HashMap<String, u32>,
    keys: Vec<Key>,
    /// The key of each node (its id's key).
    node_key: Vec<u32>,
    /// `keys[..n_id_keys]` are revision ids; the rest are branch labels.
    n_id_keys: usize,
    /// The node each node's id answers for (the last one loaded with that id).
    canonical: Vec<NodeId>,
    /// "Revision X is present more than once", in load order.
    warnings: Vec<String>,
}

impl Ids {
    /// The node `name` answers for, if any.
    fn node(&self, name: &str) -> Option<usize> {
        self.lookup.get(name).map(|&k| self.keys[k as usize].node as usize)
    }
}

/// First pass of `_revision_map`: every id in the map, the later of two
/// revisions with one id replacing the earlier (with Alembic's warning).
fn map_ids(inputs: &[RevisionInput]) -> Ids {
    let n = inputs.len();
    let mut lookup: HashMap<String, u32> = HashMap::with_capacity(n + n / 4 + 1);
    let mut keys: Vec<Key> = Vec::with_capacity(n);
    let mut warnings = Vec::new();
    let mut node_key = vec![0u32; n];
    for (i, inp) in inputs.iter().enumerate() {
        if let Some(&k) = lookup.get(&inp.revision) {
            warnings.push(format!("Revision {} is present more than once", inp.revision));
            keys[k as usize].node = i as NodeId;
            node_key[i] = k;
        } else {
            let k = keys.len() as u32;
            lookup.insert(inp.revision.clone(), k);
            keys.push(Key {
                name: inp.revision.clone(),
                node: i as NodeId,
            });
            node_key[i] = k;
        }
    }
    let n_id_keys = keys.len();
    let canonical: Vec<NodeId> = (0..n).map(|i| keys[node_key[i] as usize].node).collect();
    Ids {
        lookup,
        keys,
        node_key,
        n_id_keys,
        canonical,
        warnings,
    }
}

/// `_map_branch_labels`: each label becomes a key of the revision that
/// declares it, over the labelled revisions in Python's set order (which it
/// returns, as `_add_branches` walks them in the same order). A label that is
/// already a key fails.
fn map_branch_labels(inputs: &[RevisionInput], ids: &mut Ids, order: &dyn SetOrder) -> Result<Vec<usize>> {
    let labelled: Vec<usize> = (0..inputs.len())
        .filter(|&i| !inputs[i].branch_labels.is_empty())
        .collect();
    let label_order = if labelled.len() > 1 {
        let got = order.object_set(&labelled)?;
        index_permutation(&labelled, &got)?
    } else {
        labelled.clone()
    };
    for &i in &label_order {
        for label in &inputs[i].branch_labels {
            if let Some(other) = ids.node(label) {
                return Err(Error::revision_generic(format!(
                    "Branch name '{}' in revision {} already used by revision {}",
                    label, inputs[i].revision, inputs[other].revision
                )));
            }
            let k = ids.keys.len() as u32;
            ids.lookup.insert(label.clone(), k);
            ids.keys.push(Key {
                name: label.clone(),
                node: i as NodeId,
            });
        }
    }
    Ok(label_order)
}

/// How each `down_revision` entry resolves, now that ids and labels are both keys.
fn resolve_down_revisions(inputs: &[RevisionInput], ids: &Ids) -> Vec<Vec<DownRef>> {
    inputs
        .iter()
        .map(|inp| {
            inp.down_revision
                .iter()
                .map(|d| match ids.lookup.get(d) {
                    None => DownRef::Missing,
                    Some(&k) if (k as usize) < ids.n_id_keys => DownRef::Id(ids.keys[k as usize].node),
                    Some(&k) => DownRef::Label(ids.keys[k as usize].node),
                })
                .collect()
        })
        .collect()
}

/// `_add_depends_on`: each revision's dependencies (ids or labels) as
/// canonical nodes. A name nobody defines fails, naming every missing
/// reference (dependencies and down revisions) at once.
fn add_depends_on(inputs: &[RevisionInput], ids: &Ids, down_refs: &[Vec<DownRef>]) -> Result<Vec<Vec<NodeId>>> {
    let mut resolved: Vec<Vec<NodeId>> = vec![Vec::new(); inputs.len()];
    let mut missing: Vec<(usize, bool, String)> = Vec::new();
    for (i, inp) in inputs.iter().enumerate() {
        for dep in &inp.dependencies {
            match ids.node(dep) {
                Some(node) => resolved[i].push(ids.canonical[node]),
                None => missing.push((i, true, dep.clone())),
            }
        }
    }
    if !missing.is_empty() {
        // Alembic raises KeyError here; name every missing reference at once.
        for (i, refs) in down_refs.iter().enumerate() {
            for (d, r) in inputs[i].down_revision.iter().zip(refs) {
                if *r == DownRef::Missing {
                    missing.push((i, false, d.clone()));
                }
            }
        }
        missing.sort_by_key(|m| m.0);
        return Err(missing_error(inputs, &missing));
    }
    Ok(resolved)
}

/// The forward links of `_revision_map` and which revisions stay heads.
struct Links {
    /// `Revision.nextrev`: the revisions naming each one as a down revision.
    nextrev: Vec<Vec<NodeId>>,
    /// `Revision._all_nextrev`: the same, with dependents.
    all_nextrev: Vec<Vec<NodeId>>,
    /// Still in `heads` (no revision names it as a down revision).
    in_heads: Vec<bool>,
    /// Still in `_real_heads` (nothing names it, as down revision or dependency).
    in_real_heads: Vec<bool>,
}

/// `nextrev` / `_all_nextrev` and the discarding of heads, in map order; each
/// link set in the order Python iterates the frozenset unions Alembic builds.
fn link_next_revisions(
    inputs: &[RevisionInput],
    ids: &Ids,
    resolved: &[Vec<NodeId>],
    order: &dyn SetOrder,
) -> Result<Links> {
    let n = inputs.len();
    let mut next_seq: Vec<Vec<NodeId>> = vec![Vec::new(); n];
    let mut all_seq: Vec<Vec<NodeId>> = vec![Vec::new(); n];
    let mut in_heads = vec![true; n];
    let mut in_real_heads = vec![true; n];
    let mut missing: Vec<(usize, bool, String)> = Vec::new();
    for key in &ids.keys {
        let r = key.node as usize;
        let inp = &inputs[r];
        let mut done: Vec<&str> = Vec::new();
        let candidates = inp
            .down_revision
            .iter()
            .map(String::as_str)
            .chain(resolved[r].iter().map(|&c| inputs[c as usize].revision.as_str()));
        for d in candidates {
            if done.contains(&d) {
                continue;
            }
            done.push(d);
            let Some(p) = ids.node(d) else {
                missing.push((r, false, d.to_string()));
                continue;
            };
            all_seq[p].push(ids.canonical[r]);
            if inp.down_revision.contains(&inputs[p].revision) {
                next_seq[p].push(ids.canonical[r]);
            }
            if inp.down_revision.iter().any(|x| x == d) {
                in_heads[p] = false;
            }
            in_real_heads[p] = false;
        }
    }
    if !missing.is_empty() {
        missing.sort_by_key(|m| m.0);
        missing.dedup();
        return Err(missing_error(inputs, &missing));
    }
    // Every link set of two or more revisions is ordered by the set order,
    // all in one question (one call, not one per branch point, for a hook).
    let mut nextrev: Vec<Vec<NodeId>> = Vec::with_capacity(n);
    let mut all_nextrev: Vec<Vec<NodeId>> = Vec::with_capacity(n);
    let mut asked: Vec<(bool, usize)> = Vec::new();
    let mut sets: Vec<Vec<&str>> = Vec::new();
    for p in 0..n {
        for (all, seq) in [(false, &next_seq[p]), (true, &all_seq[p])] {
            let distinct = dedupe_nodes(seq);
            if distinct.len() > 1 {
                asked.push((all, p));
                sets.push(seq.iter().map(|&c| inputs[c as usize].revision.as_str()).collect());
            }
            if all {
                all_nextrev.push(distinct)
            } else {
                nextrev.push(distinct)
            }
        }
    }
    let answers = order.frozenset_unions_many(&sets)?;
    for (((all, p), items), got) in asked.into_iter().zip(&sets).zip(&answers) {
        let seq = if all { &all_seq[p] } else { &next_seq[p] };
        let perm = permutation("frozenset_unions", items, got)?;
        let ordered = perm.into_iter().map(|i| seq[i]).collect();
        if all {
            all_nextrev[p] = ordered;
        } else {
            nextrev[p] = ordered;
        }
    }
    Ok(Links {
        nextrev,
        all_nextrev,
        in_heads,
        in_real_heads,
    })
}

/// Heads and bases, each in load order.
struct Ends {
    heads: Vec<usize>,
    real_heads: Vec<usize>,
    bases: Vec<usize>,
    real_bases: Vec<usize>,
}

/// The down revisions of `v` as nodes; a label or a missing revision among
/// them fails as Alembic fails when it looks the name up.
fn push_down_ids(inputs: &[RevisionInput], down_refs: &[Vec<DownRef>], v: usize, out: &mut Vec<NodeId>) -> Result<()> {
    for (d, r) in inputs[v].down_revision.iter().zip(&down_refs[v]) {
        match r {
            DownRef::Id(c) => out.push(*c),
            DownRef::Label(owner) => {
                return Err(label_down_error(inputs, v, d, &inputs[*owner as usize].revision));
            }
            DownRef::Missing => return Err(missing_error(inputs, &[(v, false, d.clone())])),
        }
    }
    Ok(())
}

/// `_detect_cycles`, over the map of ids only: every id must be reached both
/// from the heads going down and from the bases going up, first through
/// `down_revision` alone, then with dependencies. Returns the heads and bases.
fn detect_cycles(
    inputs: &[RevisionInput],
    ids: &Ids,
    down_refs: &[Vec<DownRef>],
    resolved: &[Vec<NodeId>],
    links: &Links,
) -> Result<Ends> {
    let n = inputs.len();
    let ends = Ends {
        heads: (0..n).filter(|&i| links.in_heads[i]).collect(),
        real_heads: (0..n).filter(|&i| links.in_real_heads[i]).collect(),
        bases: (0..n).filter(|&i| inputs[i].down_revision.is_empty()).collect(),
        real_bases: (0..n)
            .filter(|&i| inputs[i].down_revision.is_empty() && inputs[i].dependencies.is_empty())
            .collect(),
    };
    if ids.n_id_keys == 0 {
        return Ok(ends);
    }
    let id_keys = &ids.keys[..ids.n_id_keys];
    let all_ids = || id_keys.iter().map(|k| k.name.clone()).collect::<Vec<_>>();
    let cycle = |revisions: Vec<String>| {
        let message = format!("Cycle is detected in revisions ({})", revisions.join(", "));
        Error::revision(RevisionErrorKind::Cycle { revisions }, message)
    };
    let dependency_cycle = |revisions: Vec<String>| {
        let message = format!("Dependency cycle is detected in revisions ({})", revisions.join(", "));
        Error::revision(RevisionErrorKind::DependencyCycle { revisions }, message)
    };

    let reached_both_ways = |tops: &[usize],
                             bottoms: &[usize],
                             down: Expand<'_>,
                             up: Expand<'_>,
                             fail: &dyn Fn(Vec<String>) -> Error|
     -> Result<()> {
        if tops.is_empty() || bottoms.is_empty() {
            return Err(fail(all_ids()));
        }
        let from_tops = reach_ids(tops, n, &ids.node_key, down)?;
        let from_bottoms = reach_ids(bottoms, n, &ids.node_key, up)?;
        let deleted = unreached(id_keys, &from_tops, &from_bottoms);
        if !deleted.is_empty() {
            return Err(fail(deleted));
        }
        Ok(())
    };
    // down_revision alone: heads down, bases up.
    reached_both_ways(
        &ends.heads,
        &ends.bases,
        &|v, out| push_down_ids(inputs, down_refs, v, out),
        &|v, out| {
            out.extend_from_slice(&links.nextrev[v]);
            Ok(())
        },
        &cycle,
    )?;
    // With dependencies: real heads down, real bases up.
    reached_both_ways(
        &ends.real_heads,
        &ends.real_bases,
        &|v, out| {
            push_down_ids(inputs, down_refs, v, out)?;
            out.extend_from_slice(&resolved[v]);
            Ok(())
        },
        &|v, out| {
            out.extend_from_slice(&links.all_nextrev[v]);
            Ok(())
        },
        &dependency_cycle,
    )?;
    Ok(ends)
}

/// Every `down_revision` names a revision id. Only with duplicated ids can a
/// revision the cycle walks did not reach still name a label or a missing
/// revision here; Alembic would fail later, on first use.
fn check_down_revisions(inputs: &[RevisionInput], down_refs: &[Vec<DownRef>]) -> Result<()> {
    let mut scratch = Vec::new();
    for i in 0..inputs.len() {
        push_down_ids(inputs, down_refs, i, &mut scratch)?;
        scratch.clear();
    }
    Ok(())
}

/// The downward edges as canonical nodes.
struct Edges {
    /// `_versioned_down_revisions`.
    vdown: Vec<Vec<NodeId>>,
    /// `_all_down_revisions`: down revisions, then dependencies.
    all_down: Vec<Vec<NodeId>>,
    /// `_normalized_down_revisions`: down revisions, then normalized dependencies.
    norm_down: Vec<Vec<NodeId>>,
}

impl Edges {
    fn new(down_refs: &[Vec<DownRef>], resolved: &[Vec<NodeId>], normalized: &[Vec<NodeId>]) -> Edges {
        let vdown: Vec<Vec<NodeId>> = down_refs
            .iter()
            .map(|refs| {
                refs.iter()
                    .filter_map(|r| match r {
                        DownRef::Id(c) => Some(*c),
                        _ => None,
                    })
                    .collect()
            })
            .collect();
        let with = |extra: &[Vec<NodeId>]| -> Vec<Vec<NodeId>> {
            (0..vdown.len())
                .map(|i| {
                    let mut v = vdown[i].clone();
                    v.extend_from_slice(&extra[i]);
                    dedupe_nodes(&v)
                })
                .collect()
        };
        let all_down = with(resolved);
        let norm_down = with(normalized);
        Edges {
            vdown,
            all_down,
            norm_down,
        }
    }
}

/// Each revision's branch labels, as indices into `names`.
struct Labels {
    names: Vec<String>,
    of: Vec<Vec<u32>>,
}

/// `_add_branches`: each labelled revision (in the order `_map_branch_labels`
/// used) spreads its labels to every revision above it and down its chain of
/// single-parent, single-child ancestors.
fn add_branches(
    inputs: &[RevisionInput],
    label_order: &[usize],
    links: &Links,
    vdown: &[Vec<NodeId>],
) -> Result<Labels> {
    let n = inputs.len();
    let mut names: Vec<String> = Vec::new();
    let mut label_ids: HashMap<&str, u32> = HashMap::new();
    let mut labels_of: Vec<Vec<u32>> = vec![Vec::new(); n];
    for i in 0..n {
        for l in &inputs[i].branch_labels {
            let id = *label_ids.entry(l.as_str()).or_insert_with(|| {
                names.push(l.clone());
                (names.len() - 1) as u32
            });
            if !labels_of[i].contains(&id) {
                labels_of[i].push(id);
            }
        }
    }
    let mut stamp = vec![0u32; n];
    let mut round = 0u32;
    let mut stack: Vec<NodeId> = Vec::new();
    for &r in label_order {
        let spread = labels_of[r].clone();
        if spread.is_empty() {
            continue;
        }
        round += 1;
        let mut last = r as NodeId;
        stack.clear();
        stack.push(r as NodeId);
        while let Some(v) = stack.pop() {
            let vu = v as usize;
            if stamp[vu] == round {
                continue;
            }
            stamp[vu] = round;
            stack.extend_from_slice(&links.nextrev[vu]);
            union_into(&mut labels_of[vu], &spread);
            last = v;
        }
        let mut parent = last as usize;
        let mut steps = 0usize;
        loop {
            if links.all_nextrev[parent].len() > 1 || inputs[parent].down_revision.len() > 1 {
                break;
            }
            steps += 1;
            if steps > n {
                // Only a cycle of single-parent revisions gets here; Alembic loops forever.
                return Err(Error::revision_generic(format!(
                    "The down_revision links of revision '{}' lead round in a circle \
                     (Alembic never finishes loading such a graph); correct down_revision \
                     in the revisions of that circle.",
                    inputs[parent].revision
                )));
            }
            union_into(&mut labels_of[parent], &spread);
            match (inputs[parent].down_revision.as_slice(), vdown[parent].as_slice()) {
                ([d], [c]) if !d.is_empty() => parent = *c as usize,
                _ => break,
            }
        }
    }
    Ok(Labels { names, of: labels_of })
}

/// The finished graph: nodes, keys sorted for prefix lookups, edges in both
/// directions as compact adjacency, and the reachability index.
#[allow(clippy::too_many_arguments)]
fn assemble(
    inputs: Vec<RevisionInput>,
    ids: Ids,
    links: Links,
    ends: Ends,
    edges: Edges,
    labels: Labels,
    resolved: Vec<Vec<NodeId>>,
    normalized: Vec<Vec<NodeId>>,
) -> Graph {
    let n = inputs.len();
    let nodes: Vec<Node> = inputs
        .into_iter()
        .enumerate()
        .map(|(i, inp)| Node {
            revision: inp.revision,
            down_revision: inp.down_revision,
            dependencies: inp.dependencies,
            branch_labels: inp.branch_labels,
            path: inp.path,
            canonical: ids.canonical[i],
            key: ids.node_key[i],
        })
        .collect();

    let keys = ids.keys;
    let n_id_keys = ids.n_id_keys;
    let mut sorted_keys: Vec<u32> = (0..keys.len() as u32).collect();
    sorted_keys.sort_by(|&a, &b| keys[a as usize].name.cmp(&keys[b as usize].name));
    let special_ids = keys[..n_id_keys]
        .iter()
        .any(|k| matches!(k.name.as_str(), "head" | "heads" | "base"));

    let vdown = Csr::from_lists(&edges.vdown);
    let all_down = Csr::from_lists(&edges.all_down);
    let norm_down = Csr::from_lists(&edges.norm_down);
    let nextrev = Csr::from_lists(&links.nextrev);
    let all_nextrev = Csr::from_lists(&links.all_nextrev);
    let reach = Reach::new(n, &norm_down);
    let cyclic_next = super::topo::has_cycle(n, &nextrev);
    let to_ids = |v: Vec<usize>| v.into_iter().map(|i| i as NodeId).collect::<Vec<_>>();
    Graph {
        r_nextrev: nextrev.reversed(n),
        r_all_nextrev: all_nextrev.reversed(n),
        r_vdown: vdown.reversed(n),
        r_norm_down: norm_down.reversed(n),
        nodes,
        keys,
        n_id_keys,
        lookup: ids.lookup,
        sorted_keys,
        label_names: labels.names,
        heads: to_ids(ends.heads),
        real_heads: to_ids(ends.real_heads),
        bases: to_ids(ends.bases),
        real_bases: to_ids(ends.real_bases),
        warnings: ids.warnings,
        vdown,
        all_down,
        norm_down,
        resolved_deps: Csr::from_lists(&resolved),
        normalized_deps: Csr::from_lists(&normalized),
        nextrev,
        all_nextrev,
        labels: Csr::from_lists(&labels.of),
        reach,
        special_ids,
        cyclic_next,
    }
}

fn union_into(dst: &mut Vec<u32>, src: &[u32]) {
    for &l in src {
        if !dst.contains(&l) {
            dst.push(l);
        }
    }
}

/// The revisions one step from a revision, in a walk: pushed onto the vector.
type Expand<'a> = &'a dyn Fn(usize, &mut Vec<NodeId>) -> Result<()>;

/// Ids reached by a depth-first walk over revision objects from `starts`.
fn reach_ids(starts: &[usize], n: usize, node_key: &[u32], expand: Expand<'_>) -> Result<Vec<bool>> {
    let mut seen = vec![false; n];
    let mut ids = vec![false; n];
    let mut stack: Vec<NodeId> = starts.iter().map(|&s| s as NodeId).collect();
    stack.reverse();
    let mut next: Vec<NodeId> = Vec::new();
    while let Some(v) = stack.pop() {
        let v = v as usize;
        if seen[v] {
            continue;
        }
        seen[v] = true;
        ids[node_key[v] as usize] = true;
        next.clear();
        expand(v, &mut next)?;
        stack.extend_from_slice(&next);
    }
    Ok(ids)
}

/// Ids of `keys` not reached by both walks, sorted as Python sorts strings.
fn unreached(keys: &[Key], up: &[bool], down: &[bool]) -> Vec<String> {
    let mut out: Vec<String> = keys
        .iter()
        .enumerate()
        .filter(|(k, _)| !(up[*k] && down[*k]))
        .map(|(_, key)| key.name.clone())
        .collect();
    out.sort();
    out
}

/// `_normalize_depends_on` for every revision with dependencies.
fn normalize(
    inputs: &[RevisionInput],
    down_refs: &[Vec<DownRef>],
    resolved: &[Vec<NodeId>],
    bad_downs: bool,
    order: &dyn SetOrder,
) -> Result<Vec<Vec<NodeId>>> {
    let n = inputs.len();
    let mut normalized: Vec<Vec<NodeId>> = vec![Vec::new(); n];
    if resolved.iter().all(Vec::is_empty) {
        return Ok(normalized);
    }
    // Which revisions have a dependency on themselves or below: only those can
    // remove anything, so the walk may skip everything else (unless a broken
    // down_revision must be reported exactly as Alembic reports it).
    let mut relevant = vec![false; n];
    if !bad_downs {
        let mut children: Vec<Vec<NodeId>> = vec![Vec::new(); n];
        for (v, refs) in down_refs.iter().enumerate() {
            for r in refs {
                if let DownRef::Id(c) = r {
                    children[*c as usize].push(v as NodeId);
                }
            }
        }
        let mut queue: Vec<usize> = (0..n).filter(|&i| !resolved[i].is_empty()).collect();
        for &q in &queue {
            relevant[q] = true;
        }
        while let Some(v) = queue.pop() {
            for &c in &children[v] {
                if !relevant[c as usize] {
                    relevant[c as usize] = true;
                    queue.push(c as usize);
                }
            }
        }
    }
    let mut stamp = vec![0u32; n];
    let mut round = 0u32;
    let mut stack: Vec<NodeId> = Vec::new();
    for i in 0..n {
        if resolved[i].is_empty() {
            continue;
        }
        round += 1;
        let mut remaining = dedupe_nodes(&resolved[i]);
        let mut groups: Vec<Vec<NodeId>> = Vec::new();
        stack.clear();
        stack.push(i as NodeId);
        'walk: while let Some(v) = stack.pop() {
            let vu = v as usize;
            if stamp[vu] == round {
                continue;
            }
            stamp[vu] = round;
            for (d, r) in inputs[vu].down_revision.iter().zip(&down_refs[vu]) {
                match r {
                    DownRef::Id(c) => {
                        if bad_downs || relevant[*c as usize] {
                            stack.push(*c);
                        }
                    }
                    DownRef::Label(_) => {
                        return Err(Error::revision_generic("Dependency resolution failed; broken map"));
                    }
                    DownRef::Missing => {
                        return Err(missing_error(inputs, &[(vu, false, d.clone())]));
                    }
                }
            }
            if vu != i && !resolved[vu].is_empty() {
                let gone: Vec<NodeId> = remaining.iter().copied().filter(|x| resolved[vu].contains(x)).collect();
                if !gone.is_empty() {
                    remaining.retain(|x| !gone.contains(x));
                    groups.push(gone);
                    if remaining.is_empty() && !bad_downs {
                        break 'walk;
                    }
                }
            }
        }
        normalized[i] = if remaining.len() >= 2 {
            let name = |c: &NodeId| inputs[*c as usize].revision.as_str();
            let items: Vec<&str> = resolved[i].iter().map(name).collect();
            let group_names: Vec<Vec<&str>> = groups.iter().map(|g| g.iter().map(name).collect()).collect();
            let got = order.set_removals(&items, &group_names)?;
            let remaining_names: Vec<&str> = remaining.iter().map(name).collect();
            let perm = permutation("set_removals", &remaining_names, &got)?;
            perm.into_iter().map(|p| remaining[p]).collect()
        } else {
            remaining
        };
    }
    Ok(normalized)
}
