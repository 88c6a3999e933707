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

/// `Revision.__init__`'s checks, in its order.
fn check_revision(inp: &RevisionInput) -> Result<()> {
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
    let mut bad: Vec<char> = ILLEGAL.iter().copied().filter(|c| inp.revision.contains(*c)).collect();
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
    pub fn build_with(inputs: Vec<RevisionInput>, order: &dyn SetOrder) -> Result<Graph> {
        let n = inputs.len();
        if n >= (u32::MAX / 4) as usize {
            return Err(Error::revision_generic(format!(
                "{n} revisions are more than monomig can hold in one revision graph."
            )));
        }

        // Revision.__init__, in load order.
        for inp in &inputs {
            check_revision(inp)?;
        }

        // First pass: the map of ids, duplicate warnings, candidate heads and bases.
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

        // _map_branch_labels, over the set of labelled revisions.
        let labelled: Vec<usize> = (0..n).filter(|&i| !inputs[i].branch_labels.is_empty()).collect();
        let label_order = if labelled.len() > 1 {
            let got = order.object_set(&labelled)?;
            index_permutation(&labelled, &got)?
        } else {
            labelled.clone()
        };
        for &i in &label_order {
            for label in &inputs[i].branch_labels {
                if let Some(&k) = lookup.get(label) {
                    let other = keys[k as usize].node as usize;
                    return Err(Error::revision_generic(format!(
                        "Branch name '{}' in revision {} already used by revision {}",
                        label, inputs[i].revision, inputs[other].revision
                    )));
                }
                let k = keys.len() as u32;
                lookup.insert(label.clone(), k);
                keys.push(Key {
                    name: label.clone(),
                    node: i as NodeId,
                });
            }
        }

        // How each down_revision entry resolves (ids and labels are both keys by now).
        let down_refs: Vec<Vec<DownRef>> = inputs
            .iter()
            .map(|inp| {
                inp.down_revision
                    .iter()
                    .map(|d| match lookup.get(d) {
                        None => DownRef::Missing,
                        Some(&k) if (k as usize) < n_id_keys => DownRef::Id(keys[k as usize].node),
                        Some(&k) => DownRef::Label(keys[k as usize].node),
                    })
                    .collect()
            })
            .collect();

        // _add_depends_on: dependencies by id or label, as canonical nodes.
        let mut resolved: Vec<Vec<NodeId>> = vec![Vec::new(); n];
        let mut missing: Vec<(usize, bool, String)> = Vec::new();
        for (i, inp) in inputs.iter().enumerate() {
            for dep in &inp.dependencies {
                match lookup.get(dep) {
                    Some(&k) => resolved[i].push(canonical[keys[k as usize].node as usize]),
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
            return Err(missing_error(&inputs, &missing));
        }

        // nextrev / _all_nextrev and the discarding of heads, in map order.
        let mut next_seq: Vec<Vec<NodeId>> = vec![Vec::new(); n];
        let mut all_seq: Vec<Vec<NodeId>> = vec![Vec::new(); n];
        let mut in_heads = vec![true; n];
        let mut in_real_heads = vec![true; n];
        for key in &keys {
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
                let p = match lookup.get(d) {
                    Some(&k) => keys[k as usize].node as usize,
                    None => {
                        missing.push((r, false, d.to_string()));
                        continue;
                    }
                };
                all_seq[p].push(canonical[r]);
                if inp.down_revision.contains(&inputs[p].revision) {
                    next_seq[p].push(canonical[r]);
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
            return Err(missing_error(&inputs, &missing));
        }
        let frozen = |seq: &[NodeId]| -> Result<Vec<NodeId>> {
            let distinct = dedupe_nodes(seq);
            if distinct.len() <= 1 {
                return Ok(distinct);
            }
            let items: Vec<&str> = seq.iter().map(|&c| inputs[c as usize].revision.as_str()).collect();
            let got = order.frozenset_unions(&items)?;
            let perm = permutation("frozenset_unions", &items, &got)?;
            Ok(perm.into_iter().map(|p| seq[p]).collect())
        };
        let mut nextrev: Vec<Vec<NodeId>> = Vec::with_capacity(n);
        let mut all_nextrev: Vec<Vec<NodeId>> = Vec::with_capacity(n);
        for p in 0..n {
            nextrev.push(frozen(&next_seq[p])?);
            all_nextrev.push(frozen(&all_seq[p])?);
        }
        drop(next_seq);
        drop(all_seq);

        let bad_downs = down_refs.iter().flatten().any(|d| !matches!(d, DownRef::Id(_)));

        // _normalize_depends_on: drop dependencies an ancestor already depends on.
        let normalized = normalize(&inputs, &down_refs, &resolved, bad_downs, order)?;

        // _detect_cycles, over the map of ids only.
        let bases_v: Vec<usize> = (0..n).filter(|&i| inputs[i].down_revision.is_empty()).collect();
        let real_bases_v: Vec<usize> = (0..n)
            .filter(|&i| inputs[i].down_revision.is_empty() && inputs[i].dependencies.is_empty())
            .collect();
        let heads_v: Vec<usize> = (0..n).filter(|&i| in_heads[i]).collect();
        let real_heads_v: Vec<usize> = (0..n).filter(|&i| in_real_heads[i]).collect();
        if n_id_keys > 0 {
            let all_ids = || keys[..n_id_keys].iter().map(|k| k.name.clone()).collect::<Vec<_>>();
            if heads_v.is_empty() || bases_v.is_empty() {
                let revisions = all_ids();
                let message = format!("Cycle is detected in revisions ({})", revisions.join(", "));
                return Err(Error::revision(RevisionErrorKind::Cycle { revisions }, message));
            }
            let up = reach_ids(&heads_v, n, &node_key, |v, out| {
                for (d, r) in inputs[v].down_revision.iter().zip(&down_refs[v]) {
                    match r {
                        DownRef::Id(c) => out.push(*c),
                        DownRef::Label(owner) => {
                            return Err(label_down_error(&inputs, v, d, &inputs[*owner as usize].revision));
                        }
                        DownRef::Missing => {
                            return Err(missing_error(&inputs, &[(v, false, d.clone())]));
                        }
                    }
                }
                Ok(())
            })?;
            let down = reach_ids(&bases_v, n, &node_key, |v, out| {
                out.extend_from_slice(&nextrev[v]);
                Ok(())
            })?;
            let deleted = unreached(&keys[..n_id_keys], &up, &down);
            if !deleted.is_empty() {
                let message = format!("Cycle is detected in revisions ({})", deleted.join(", "));
                return Err(Error::revision(
                    RevisionErrorKind::Cycle { revisions: deleted },
                    message,
                ));
            }
            if real_heads_v.is_empty() || real_bases_v.is_empty() {
                let revisions = all_ids();
                let message = format!("Dependency cycle is detected in revisions ({})", revisions.join(", "));
                return Err(Error::revision(
                    RevisionErrorKind::DependencyCycle { revisions },
                    message,
                ));
            }
            let up = reach_ids(&real_heads_v, n, &node_key, |v, out| {
                for (d, r) in inputs[v].down_revision.iter().zip(&down_refs[v]) {
                    match r {
                        DownRef::Id(c) => out.push(*c),
                        DownRef::Label(owner) => {
                            return Err(label_down_error(&inputs, v, d, &inputs[*owner as usize].revision));
                        }
                        DownRef::Missing => {
                            return Err(missing_error(&inputs, &[(v, false, d.clone())]));
                        }
                    }
                }
                out.extend_from_slice(&resolved[v]);
                Ok(())
            })?;
            let down = reach_ids(&real_bases_v, n, &node_key, |v, out| {
                out.extend_from_slice(&all_nextrev[v]);
                Ok(())
            })?;
            let deleted = unreached(&keys[..n_id_keys], &up, &down);
            if !deleted.is_empty() {
                let message = format!("Dependency cycle is detected in revisions ({})", deleted.join(", "));
                return Err(Error::revision(
                    RevisionErrorKind::DependencyCycle { revisions: deleted },
                    message,
                ));
            }
        }
        // Only with duplicated ids can an unchecked revision still name a label or
        // a missing revision here; Alembic would fail later, on first use.
        for (i, refs) in down_refs.iter().enumerate() {
            for (d, r) in inputs[i].down_revision.iter().zip(refs) {
                match r {
                    DownRef::Id(_) => {}
                    DownRef::Label(owner) => {
                        return Err(label_down_error(&inputs, i, d, &inputs[*owner as usize].revision));
                    }
                    DownRef::Missing => return Err(missing_error(&inputs, &[(i, false, d.clone())])),
                }
            }
        }

        // Edges as canonical nodes.
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
        let all_down: Vec<Vec<NodeId>> = (0..n)
            .map(|i| {
                let mut v = vdown[i].clone();
                v.extend_from_slice(&resolved[i]);
                dedupe_nodes(&v)
            })
            .collect();
        let norm_down: Vec<Vec<NodeId>> = (0..n)
            .map(|i| {
                let mut v = vdown[i].clone();
                v.extend_from_slice(&normalized[i]);
                dedupe_nodes(&v)
            })
            .collect();

        // _add_branches: spread labels, in the same set order as _map_branch_labels.
        let mut label_names: Vec<String> = Vec::new();
        let mut label_ids: HashMap<&str, u32> = HashMap::new();
        let mut labels_of: Vec<Vec<u32>> = vec![Vec::new(); n];
        for i in 0..n {
            for l in &inputs[i].branch_labels {
                let id = *label_ids.entry(l.as_str()).or_insert_with(|| {
                    label_names.push(l.clone());
                    (label_names.len() - 1) as u32
                });
                if !labels_of[i].contains(&id) {
                    labels_of[i].push(id);
                }
            }
        }
        {
            let mut stamp = vec![0u32; n];
            let mut round = 0u32;
            let mut stack: Vec<NodeId> = Vec::new();
            for &r in &label_order {
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
                    stack.extend_from_slice(&nextrev[vu]);
                    union_into(&mut labels_of[vu], &spread);
                    last = v;
                }
                let mut parent = last as usize;
                let mut steps = 0usize;
                loop {
                    if all_nextrev[parent].len() > 1 || inputs[parent].down_revision.len() > 1 {
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
        }

        let nodes: Vec<Node> = inputs
            .into_iter()
            .enumerate()
            .map(|(i, inp)| Node {
                revision: inp.revision,
                down_revision: inp.down_revision,
                dependencies: inp.dependencies,
                branch_labels: inp.branch_labels,
                path: inp.path,
                canonical: canonical[i],
                key: node_key[i],
            })
            .collect();

        let mut sorted_keys: Vec<u32> = (0..keys.len() as u32).collect();
        sorted_keys.sort_by(|&a, &b| keys[a as usize].name.cmp(&keys[b as usize].name));
        let special_ids = keys[..n_id_keys]
            .iter()
            .any(|k| matches!(k.name.as_str(), "head" | "heads" | "base"));

        let vdown = Csr::from_lists(&vdown);
        let all_down = Csr::from_lists(&all_down);
        let norm_down = Csr::from_lists(&norm_down);
        let nextrev = Csr::from_lists(&nextrev);
        let all_nextrev = Csr::from_lists(&all_nextrev);
        let reach = Reach::new(n, &norm_down);
        let cyclic_next = super::topo::has_cycle(n, &nextrev);
        let to_ids = |v: Vec<usize>| v.into_iter().map(|i| i as NodeId).collect::<Vec<_>>();
        Ok(Graph {
            r_nextrev: nextrev.reversed(n),
            r_all_nextrev: all_nextrev.reversed(n),
            r_vdown: vdown.reversed(n),
            r_norm_down: norm_down.reversed(n),
            nodes,
            keys,
            n_id_keys,
            lookup,
            sorted_keys,
            label_names,
            heads: to_ids(heads_v),
            real_heads: to_ids(real_heads_v),
            bases: to_ids(bases_v),
            real_bases: to_ids(real_bases_v),
            warnings,
            vdown,
            all_down,
            norm_down,
            resolved_deps: Csr::from_lists(&resolved),
            normalized_deps: Csr::from_lists(&normalized),
            nextrev,
            all_nextrev,
            labels: Csr::from_lists(&labels_of),
            reach,
            special_ids,
            cyclic_next,
        })
    }
}

fn union_into(dst: &mut Vec<u32>, src: &[u32]) {
    for &l in src {
        if !dst.contains(&l) {
            dst.push(l);
        }
    }
}

/// Ids reached by a depth-first walk over revision objects from `starts`.
fn reach_ids<F>(starts: &[usize], n: usize, node_key: &[u32], mut expand: F) -> Result<Vec<bool>>
where
    F: FnMut(usize, &mut Vec<NodeId>) -> Result<()>,
{
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
