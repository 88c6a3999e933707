//! Ancestry tests and `RevisionMap._topological_sort`.
//!
//! Alembic's sort keeps a list of "current heads", each with its full ancestor
//! set (over `_normalized_down_revisions`), and only asks one question of those
//! sets: "is this candidate an ancestor of that head?". It rebuilds a set (a
//! walk over the whole history) at every merge or dependency, which is why its
//! cost grows with revisions × merges. monomig runs the very same list
//! dynamics, step for step, but answers the ancestry question with an index
//! (depth-first interval labels: exact positive answers along the spanning
//! tree, exact negative cuts, and a pruned search for the rest), so the order
//! is identical and the cost stays close to linear.

use super::{Csr, Graph, NodeId};
use crate::error::{Error, Result};

/// Depth-first labels over "child -> parent" edges.
#[derive(Debug, Clone, Default)]
pub(crate) struct Reach {
    pre: Vec<u32>,
    post: Vec<u32>,
    /// Smallest `post` among a node's ancestors (itself included).
    low: Vec<u32>,
    /// Without cycles the labels give exact cuts; Alembic accepts some graphs
    /// whose dependencies form a cycle, and those get plain searches.
    acyclic: bool,
}

/// Does following `edges` from some node lead back to it?
pub(crate) fn has_cycle(n: usize, edges: &Csr) -> bool {
    let mut indegree = vec![0u32; n];
    for v in 0..n {
        for &p in edges.get(v as NodeId) {
            if let Some(d) = indegree.get_mut(p as usize) {
                *d += 1;
            }
        }
    }
    let mut queue: Vec<NodeId> = (0..n).filter(|&v| indegree[v] == 0).map(|v| v as NodeId).collect();
    let mut done = 0usize;
    while let Some(v) = queue.pop() {
        done += 1;
        for &p in edges.get(v) {
            let d = &mut indegree[p as usize];
            *d -= 1;
            if *d == 0 {
                queue.push(p);
            }
        }
    }
    done != n
}

const UNSET: u32 = u32::MAX;

impl Reach {
    pub(crate) fn new(n: usize, parents: &Csr) -> Reach {
        let mut pre = vec![UNSET; n];
        let mut post = vec![UNSET; n];
        let mut low = vec![UNSET; n];
        // Start from nodes nobody points at, so spanning trees are large.
        let mut has_child = vec![false; n];
        for v in 0..n {
            for &p in parents.get(v as NodeId) {
                if let Some(h) = has_child.get_mut(p as usize) {
                    *h = true;
                }
            }
        }
        let roots = (0..n).filter(|&v| !has_child[v]).chain(0..n);
        let (mut cpre, mut cpost) = (0u32, 0u32);
        let mut stack: Vec<(NodeId, usize)> = Vec::new();
        for root in roots {
            if pre[root] != UNSET {
                continue;
            }
            pre[root] = cpre;
            cpre += 1;
            stack.push((root as NodeId, 0));
            while let Some(top) = stack.last_mut() {
                let (v, ei) = (top.0, top.1);
                let edges = parents.get(v);
                if let Some(&p) = edges.get(ei) {
                    top.1 += 1;
                    if pre[p as usize] == UNSET {
                        pre[p as usize] = cpre;
                        cpre += 1;
                        stack.push((p, 0));
                    }
                } else {
                    let vu = v as usize;
                    post[vu] = cpost;
                    cpost += 1;
                    let mut l = post[vu];
                    for &p in edges {
                        l = l.min(low[p as usize]);
                    }
                    low[vu] = l;
                    stack.pop();
                }
            }
        }
        Reach {
            pre,
            post,
            low,
            acyclic: !has_cycle(n, parents),
        }
    }
}

/// Reusable scratch space for ancestry searches.
pub(crate) struct Ancestry<'g> {
    reach: &'g Reach,
    parents: &'g Csr,
    mark: Vec<u32>,
    round: u32,
    stack: Vec<NodeId>,
}

impl<'g> Ancestry<'g> {
    pub(crate) fn new(reach: &'g Reach, parents: &'g Csr, n: usize) -> Self {
        Ancestry {
            reach,
            parents,
            mark: vec![0; n],
            round: 0,
            stack: Vec::new(),
        }
    }

    /// Is `c` among the ancestors of `h` (`h` itself included)?
    pub(crate) fn is_ancestor(&mut self, c: NodeId, h: NodeId) -> bool {
        if c == h {
            return true;
        }
        let r = self.reach;
        let (cu, hu) = (c as usize, h as usize);
        let exact = r.acyclic;
        let cannot = |x: usize| exact && (r.post[cu] > r.post[x] || r.low[cu] < r.low[x]);
        let tree = |x: usize| exact && r.pre[x] <= r.pre[cu] && r.post[cu] <= r.post[x];
        if cannot(hu) {
            return false;
        }
        if tree(hu) {
            return true;
        }
        self.round = self.round.wrapping_add(1);
        if self.round == 0 {
            self.mark.iter_mut().for_each(|m| *m = 0);
            self.round = 1;
        }
        self.stack.clear();
        self.stack.push(h);
        self.mark[hu] = self.round;
        while let Some(x) = self.stack.pop() {
            for &p in self.parents.get(x) {
                if p == c {
                    return true;
                }
                let pu = p as usize;
                if self.mark[pu] == self.round {
                    continue;
                }
                self.mark[pu] = self.round;
                if cannot(pu) {
                    continue;
                }
                if tree(pu) {
                    return true;
                }
                self.stack.push(p);
            }
        }
        false
    }
}

fn cycle_error(g: &Graph, heads: &[NodeId]) -> Error {
    let names: Vec<&str> = heads.iter().map(|&h| g.id(h)).take(10).collect();
    Error::revision_generic(format!(
        "Revisions {} depend on each other in a cycle (through depends_on), so they cannot be \
         put in order; Alembic does not detect this and never finishes. Remove the dependency \
         that closes the cycle.",
        names.join(", ")
    ))
}

impl Graph {
    /// `_topological_sort(revisions, heads)`: revision ids in downgrade order
    /// (descendants first), as canonical nodes. `revisions` and `heads` are
    /// revision objects; like Alembic, the sort itself works on ids.
    pub(crate) fn topological_sort(&self, revisions: &[NodeId], heads: &[NodeId]) -> Result<Vec<NodeId>> {
        let n = self.nodes.len();
        let mut todo = vec![false; n];
        let mut remaining = 0usize;
        for &r in revisions {
            let c = self.canonical(r) as usize;
            if !todo[c] {
                todo[c] = true;
                remaining += 1;
            }
        }
        let mut in_heads = vec![false; n];
        let mut current: Vec<NodeId> = Vec::new();
        for &h in heads {
            let c = self.canonical(h);
            if todo[c as usize] && !in_heads[c as usize] {
                in_heads[c as usize] = true;
                current.push(c);
            }
        }
        current.sort_by_key(|&c| self.nodes[c as usize].key);

        let mut anc = Ancestry::new(&self.reach, &self.norm_down, n);
        let mut output = Vec::with_capacity(remaining);
        let mut idx = 0usize;
        let mut to_add: Vec<NodeId> = Vec::new();
        let mut switches = 0usize;
        while let Some(&candidate) = current.get(idx) {
            // Another head descending from the candidate must go first.
            let mut switch_to = None;
            for (j, &h) in current.iter().enumerate() {
                if j != idx && anc.is_ancestor(candidate, h) {
                    switch_to = Some(j);
                    break;
                }
            }
            if let Some(j) = switch_to {
                idx = j;
                switches += 1;
                if switches > current.len() {
                    // Only a cycle through dependencies gets here; Alembic loops forever.
                    return Err(cycle_error(self, &current));
                }
                continue;
            }
            switches = 0;
            let cu = candidate as usize;
            if todo[cu] {
                output.push(candidate);
                todo[cu] = false;
                remaining -= 1;
            }
            to_add.clear();
            for &r in self.norm_down.get(candidate) {
                if todo[r as usize] && !in_heads[r as usize] {
                    to_add.push(r);
                }
            }
            in_heads[cu] = false;
            if to_add.is_empty() {
                current.remove(idx);
                idx = idx.saturating_sub(1);
            } else {
                current[idx] = to_add[0];
                in_heads[to_add[0] as usize] = true;
                for &r in &to_add[1..] {
                    current.push(r);
                    in_heads[r as usize] = true;
                }
            }
        }
        if remaining > 0 {
            let left: Vec<&str> = (0..n)
                .filter(|&v| todo[v])
                .map(|v| self.id(v as NodeId))
                .take(10)
                .collect();
            return Err(Error::revision_generic(format!(
                "Revision(s) {} belong to the requested range but cannot be ordered: no revision \
                 of the range leads to them from its upper end (Alembic stops here with an \
                 AssertionError). Choose an upper revision that descends from them, or a \
                 lower revision they descend from.",
                left.join(", ")
            )));
        }
        Ok(output)
    }
}
