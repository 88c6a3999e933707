//! Walks over the graph: `_iterate_related_revisions` (with its `check` mode),
//! `_get_descendant_nodes`, `_get_ancestor_nodes`, lineage zones for
//! `filter_for_lineage`, and `_filter_into_branch_heads`.

use super::{Csr, Graph, NodeId, Rev};
use crate::error::{Error, Result};

/// Which links a walk follows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Direction {
    /// `_versioned_down_revisions` (ancestors without dependencies).
    Down,
    /// `_normalized_down_revisions` (ancestors with dependencies).
    DownWithDependencies,
    /// `nextrev` (descendants without dependencies).
    Up,
    /// `_all_nextrev` (descendants with dependencies).
    UpWithDependencies,
}

/// Alembic asserts that an argument is a `Revision` where a walk starts; a
/// relative identifier that walked below the base (`"base"`) or past the end
/// (`None`) fails that assertion with a traceback. monomig says what happened.
pub(crate) fn not_a_revision(r: Rev) -> Error {
    let what = match r {
        Rev::Base => "'base' (a relative identifier walked below the first revision)",
        _ => "nothing (a relative identifier walked past the last revision, or an identifier resolved to no revision)",
    };
    Error::revision_generic(format!(
        "A revision was expected here but the identifier resolved to {what}; Alembic stops \
         with an AssertionError in this case. Use an identifier that names an existing revision."
    ))
}

impl Graph {
    pub(crate) fn csr(&self, d: Direction) -> &Csr {
        match d {
            Direction::Down => &self.vdown,
            Direction::DownWithDependencies => &self.norm_down,
            Direction::Up => &self.nextrev,
            Direction::UpWithDependencies => &self.all_nextrev,
        }
    }

    /// `_iterate_related_revisions`: nodes in Alembic's depth-first order.
    ///
    /// With `omit_immediate`, targets follow `nextrev` and every other node
    /// `_all_nextrev` (Alembic's `omit_immediate_dependencies`); only meaningful
    /// with [`Direction::UpWithDependencies`].
    pub fn related(
        &self,
        targets: &[Rev],
        direction: Direction,
        omit_immediate: bool,
        check: bool,
    ) -> Result<Vec<NodeId>> {
        let n = self.nodes.len();
        let mut target_nodes: Vec<NodeId> = Vec::with_capacity(targets.len());
        let mut is_target = vec![false; if omit_immediate || check { n } else { 0 }];
        for &t in targets {
            if let Rev::Node(x) = t {
                target_nodes.push(x);
                if let Some(f) = is_target.get_mut(x as usize) {
                    *f = true;
                }
            }
        }
        let edges = self.csr(direction);
        let mut seen = vec![false; n];
        let mut popped_in = vec![0u32; if check { n } else { 0 }];
        let mut out = Vec::new();
        let mut stack: Vec<NodeId> = Vec::new();
        for (i, &t) in targets.iter().enumerate() {
            let target = match t {
                Rev::Node(x) => x,
                other => return Err(not_a_revision(other)),
            };
            let round = i as u32 + 1;
            stack.push(target);
            while let Some(v) = stack.pop() {
                let vu = v as usize;
                if check {
                    popped_in[vu] = round;
                }
                if seen[vu] {
                    continue;
                }
                seen[vu] = true;
                let next = if omit_immediate && !is_target[vu] {
                    self.all_nextrev.get(v)
                } else if omit_immediate {
                    self.nextrev.get(v)
                } else {
                    edges.get(v)
                };
                stack.extend_from_slice(next);
                out.push(v);
            }
            if check {
                let mut overlaps: Vec<NodeId> = Vec::new();
                for &o in &target_nodes {
                    if o != target && popped_in[o as usize] == round && !overlaps.contains(&o) {
                        overlaps.push(o);
                    }
                }
                if !overlaps.is_empty() {
                    let names: Vec<&str> = overlaps.iter().map(|&o| self.id(o)).collect();
                    return Err(Error::revision_generic(format!(
                        "Requested revision {} overlaps with other requested revisions {}",
                        self.id(target),
                        names.join(", ")
                    )));
                }
            }
        }
        Ok(out)
    }

    /// `_get_descendant_nodes(targets, include_dependencies=..., omit_immediate_dependencies=..., check=...)`.
    pub fn descendants(
        &self,
        targets: &[Rev],
        include_dependencies: bool,
        omit_immediate: bool,
        check: bool,
    ) -> Result<Vec<NodeId>> {
        let d = if include_dependencies {
            Direction::UpWithDependencies
        } else {
            Direction::Up
        };
        self.related(targets, d, omit_immediate, check)
    }

    /// `_get_ancestor_nodes(targets, include_dependencies=..., check=...)`.
    pub fn ancestors(&self, targets: &[Rev], include_dependencies: bool, check: bool) -> Result<Vec<NodeId>> {
        let d = if include_dependencies {
            Direction::DownWithDependencies
        } else {
            Direction::Down
        };
        self.related(targets, d, false, check)
    }

    /// The same nodes as [`Graph::related`] without `check`, as a membership array.
    pub(crate) fn closure(&self, starts: impl IntoIterator<Item = NodeId>, edges: &Csr) -> Vec<bool> {
        let mut seen = vec![false; self.nodes.len()];
        let mut stack: Vec<NodeId> = Vec::new();
        for s in starts {
            if let Some(f) = seen.get_mut(s as usize)
                && !*f
            {
                *f = true;
                stack.push(s);
            }
        }
        while let Some(v) = stack.pop() {
            for &p in edges.get(v) {
                let pu = p as usize;
                if !seen[pu] {
                    seen[pu] = true;
                    stack.push(p);
                }
            }
        }
        seen
    }

    /// Every node `t` with `tests ∩ (descendants(t) ∪ ancestors(t)) ≠ ∅`: the
    /// targets `_shares_lineage` accepts.
    pub(crate) fn lineage_zone(&self, tests: &[NodeId], include_dependencies: bool) -> Vec<bool> {
        let (rdesc, ranc) = if include_dependencies {
            (&self.r_all_nextrev, &self.r_norm_down)
        } else {
            (&self.r_nextrev, &self.r_vdown)
        };
        let mut a = self.closure(tests.iter().copied(), rdesc);
        let b = self.closure(tests.iter().copied(), ranc);
        for (x, y) in a.iter_mut().zip(b) {
            *x |= y;
        }
        a
    }

    /// `_filter_into_branch_heads`: the targets no other target descends from
    /// (through `down_revision` only). Alembic returns a set; the result here
    /// is in load order.
    pub fn filter_into_branch_heads(&self, targets: &[Rev]) -> Result<Vec<NodeId>> {
        let n = self.nodes.len();
        let mut member = vec![false; n];
        for &t in targets {
            match t {
                Rev::Node(x) => member[x as usize] = true,
                other => return Err(not_a_revision(other)),
            }
        }
        if self.cyclic_next {
            return Ok(self.filter_into_branch_heads_literally(member));
        }
        // Nodes with a strict descendant among the targets.
        let mut covered = vec![false; n];
        let mut stack: Vec<NodeId> = Vec::new();
        for (v, _) in member.iter().enumerate().filter(|(_, m)| **m) {
            for &p in self.r_nextrev.get(v as NodeId) {
                if !covered[p as usize] {
                    covered[p as usize] = true;
                    stack.push(p);
                }
            }
        }
        while let Some(v) = stack.pop() {
            for &p in self.r_nextrev.get(v) {
                if !covered[p as usize] {
                    covered[p as usize] = true;
                    stack.push(p);
                }
            }
        }
        Ok((0..n)
            .filter(|&v| member[v] && !covered[v])
            .map(|v| v as NodeId)
            .collect())
    }

    /// Alembic's own procedure (in load order), for graphs with cycles.
    fn filter_into_branch_heads_literally(&self, mut member: Vec<bool>) -> Vec<NodeId> {
        let n = self.nodes.len();
        let snapshot: Vec<usize> = (0..n).filter(|&v| member[v]).collect();
        for v in snapshot {
            let desc = self.closure([v as NodeId], &self.nextrev);
            if (0..n).any(|u| u != v && member[u] && desc[u]) {
                member[v] = false;
            }
        }
        (0..n).filter(|&v| member[v]).map(|v| v as NodeId).collect()
    }
}
