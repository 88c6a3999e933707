//! The revision graph, with the semantics of Alembic 1.20.1's `RevisionMap`
//! (`alembic/script/revision.py`) to the letter, built once and queried in
//! near-linear time.
//!
//! Vocabulary follows Alembic: a *head* has no revision naming it as
//! `down_revision`; a *real head* has no revision naming it either as
//! `down_revision` or through `depends_on`; a *base* has no `down_revision`; a
//! *real base* has no `depends_on` either. Revisions are kept in load order
//! (the order Alembic's generator yields them), which decides every ordering tie.
//!
//! Storage is index based: each revision given to [`Graph::build`] is a node
//! ([`NodeId`] = its position in load order), adjacency lives in flat arrays.
//! When a revision id is duplicated, Alembic keeps one `Revision` object per
//! file but its map answers the id with the last one; monomig keeps the same
//! distinction (the *canonical* node of an id is the last one loaded).
//!
//! Where Alembic iterates a Python `set` and the order reaches a result, the
//! order comes from a [`SetOrder`] (see [`order`]).

mod build;
mod collect;
mod ident;
pub mod order;
mod query;
mod topo;
mod traverse;

use std::collections::HashMap;
use std::path::{Path, PathBuf};

pub use build::IdRules;
pub use collect::{IterateOptions, NodeSet};
pub use ident::Ident;
pub use order::{InsertionOrder, SetOrder};
pub use query::{LineageTarget, WalkStart};
pub use traverse::Direction;
pub(crate) use traverse::not_a_revision as not_a_revision_error;

/// A revision's position in load order.
pub type NodeId = u32;

/// One revision as read from its file, in load order.
///
/// An empty `down_revision` or `dependencies` is Alembic's `None` (after
/// `util.to_tuple` and `tuple_rev_as_scalar`); a one-element vector is a scalar.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RevisionInput {
    pub revision: String,
    pub down_revision: Vec<String>,
    pub dependencies: Vec<String>,
    pub branch_labels: Vec<String>,
    pub path: Option<PathBuf>,
}

impl RevisionInput {
    /// A revision without labels, dependencies or path.
    pub fn new(revision: impl Into<String>, down_revision: &[&str]) -> Self {
        RevisionInput {
            revision: revision.into(),
            down_revision: down_revision.iter().map(|s| s.to_string()).collect(),
            ..Default::default()
        }
    }

    pub fn with_dependencies(mut self, deps: &[&str]) -> Self {
        self.dependencies = deps.iter().map(|s| s.to_string()).collect();
        self
    }

    pub fn with_branch_labels(mut self, labels: &[&str]) -> Self {
        self.branch_labels = labels.iter().map(|s| s.to_string()).collect();
        self
    }

    pub fn with_path(mut self, path: impl Into<PathBuf>) -> Self {
        self.path = Some(path.into());
        self
    }
}

impl From<crate::scripts::RevisionFile> for RevisionInput {
    /// The graph's view of a statically read revision file.
    fn from(f: crate::scripts::RevisionFile) -> Self {
        RevisionInput {
            revision: f.revision,
            down_revision: f.down_revision,
            dependencies: f.depends_on,
            branch_labels: f.branch_labels,
            path: Some(f.path),
        }
    }
}

/// What Alembic's revision lookups return: a `Revision`, the string `"base"`
/// (from walking below a base), or `None`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Rev {
    Node(NodeId),
    Base,
    Nil,
}

impl Rev {
    pub fn node(self) -> Option<NodeId> {
        match self {
            Rev::Node(n) => Some(n),
            _ => None,
        }
    }
}

/// Flat adjacency lists: `items[start[v]..start[v + 1]]` belong to node `v`.
#[derive(Debug, Clone, Default)]
pub(crate) struct Csr {
    start: Vec<u32>,
    items: Vec<u32>,
}

impl Csr {
    pub(crate) fn from_lists(lists: &[Vec<u32>]) -> Csr {
        let mut start = Vec::with_capacity(lists.len() + 1);
        let total: usize = lists.iter().map(Vec::len).sum();
        let mut items = Vec::with_capacity(total);
        start.push(0);
        for l in lists {
            items.extend_from_slice(l);
            start.push(items.len() as u32);
        }
        Csr { start, items }
    }

    #[inline]
    pub(crate) fn get(&self, v: NodeId) -> &[u32] {
        let v = v as usize;
        match (self.start.get(v), self.start.get(v + 1)) {
            (Some(&a), Some(&b)) => self.items.get(a as usize..b as usize).unwrap_or(&[]),
            _ => &[],
        }
    }

    /// For each `v` and each `u` in `get(v)`, an edge `u -> v`.
    pub(crate) fn reversed(&self, n: usize) -> Csr {
        let mut counts = vec![0u32; n + 1];
        for &u in &self.items {
            if let Some(c) = counts.get_mut(u as usize + 1) {
                *c += 1;
            }
        }
        for i in 1..counts.len() {
            counts[i] += counts[i - 1];
        }
        let mut fill = counts.clone();
        let mut items = vec![0u32; self.items.len()];
        for v in 0..n {
            for &u in self.get(v as NodeId) {
                let slot = &mut fill[u as usize];
                items[*slot as usize] = v as u32;
                *slot += 1;
            }
        }
        Csr { start: counts, items }
    }
}

#[derive(Debug, Clone)]
pub(crate) struct Node {
    pub(crate) revision: String,
    pub(crate) down_revision: Vec<String>,
    pub(crate) dependencies: Vec<String>,
    /// Labels as declared (`_orig_branch_labels`).
    pub(crate) branch_labels: Vec<String>,
    pub(crate) path: Option<PathBuf>,
    /// The node the revision map answers for this revision's id.
    pub(crate) canonical: NodeId,
    /// Position of this revision's id among the revision map's keys.
    pub(crate) key: u32,
}

#[derive(Debug, Clone)]
pub(crate) struct Key {
    pub(crate) name: String,
    pub(crate) node: NodeId,
}

/// The revision graph of one versions directory (one Alembic `RevisionMap`).
#[derive(Debug, Clone)]
pub struct Graph {
    pub(crate) nodes: Vec<Node>,
    /// The revision map's string keys in dict order: revision ids (first
    /// occurrence order), then branch labels.
    pub(crate) keys: Vec<Key>,
    pub(crate) n_id_keys: usize,
    pub(crate) lookup: HashMap<String, u32>,
    /// Key indices sorted by name, for prefix lookups.
    pub(crate) sorted_keys: Vec<u32>,
    pub(crate) label_names: Vec<String>,
    pub(crate) heads: Vec<NodeId>,
    pub(crate) real_heads: Vec<NodeId>,
    pub(crate) bases: Vec<NodeId>,
    pub(crate) real_bases: Vec<NodeId>,
    pub(crate) warnings: Vec<String>,
    // Per node, as canonical nodes, in Alembic's order.
    pub(crate) vdown: Csr,
    pub(crate) all_down: Csr,
    pub(crate) norm_down: Csr,
    pub(crate) resolved_deps: Csr,
    pub(crate) normalized_deps: Csr,
    pub(crate) nextrev: Csr,
    pub(crate) all_nextrev: Csr,
    pub(crate) labels: Csr,
    // Reverse edges, for lineage zones.
    pub(crate) r_nextrev: Csr,
    pub(crate) r_all_nextrev: Csr,
    pub(crate) r_vdown: Csr,
    pub(crate) r_norm_down: Csr,
    pub(crate) reach: topo::Reach,
    /// Some revision id is `head`, `heads` or `base` (and so does not resolve to itself).
    pub(crate) special_ids: bool,
    /// `nextrev` links form a cycle (Alembic accepts some such graphs).
    pub(crate) cyclic_next: bool,
}

/// Everything Alembic's `Revision` object knows about one revision once the map is built.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RevisionInfo {
    pub index: NodeId,
    pub revision: String,
    pub down_revision: Vec<String>,
    pub dependencies: Vec<String>,
    /// As declared.
    pub orig_branch_labels: Vec<String>,
    /// After label spreading (`branch_labels`), in arrival order.
    pub branch_labels: Vec<String>,
    pub nextrev: Vec<String>,
    pub all_nextrev: Vec<String>,
    pub resolved_dependencies: Vec<String>,
    pub normalized_resolved_dependencies: Vec<String>,
    pub versioned_down_revisions: Vec<String>,
    pub all_down_revisions: Vec<String>,
    pub normalized_down_revisions: Vec<String>,
    pub is_head: bool,
    pub is_real_head: bool,
    pub is_base: bool,
    pub is_real_base: bool,
    pub is_branch_point: bool,
    pub is_real_branch_point: bool,
    pub is_merge_point: bool,
    pub path: Option<PathBuf>,
}

impl Graph {
    /// Number of revisions given to [`Graph::build`] (duplicates included).
    pub fn len(&self) -> usize {
        self.nodes.len()
    }

    pub fn is_empty(&self) -> bool {
        self.nodes.is_empty()
    }

    /// Warnings Alembic would have emitted while building its map.
    pub fn warnings(&self) -> &[String] {
        &self.warnings
    }

    pub(crate) fn id(&self, n: NodeId) -> &str {
        self.nodes.get(n as usize).map(|x| x.revision.as_str()).unwrap_or("")
    }

    pub(crate) fn canonical(&self, n: NodeId) -> NodeId {
        self.nodes.get(n as usize).map(|x| x.canonical).unwrap_or(n)
    }

    /// The revision id of a node.
    pub fn revision_id(&self, n: NodeId) -> Option<&str> {
        self.nodes.get(n as usize).map(|x| x.revision.as_str())
    }

    /// The file a node was read from, if known.
    pub fn path(&self, n: NodeId) -> Option<&Path> {
        self.nodes.get(n as usize).and_then(|x| x.path.as_deref())
    }

    fn ids(&self, v: &[NodeId]) -> Vec<&str> {
        v.iter().map(|&n| self.id(n)).collect()
    }

    /// `RevisionMap.heads`: ids of revisions no other names as `down_revision`, in load order.
    pub fn heads(&self) -> Vec<&str> {
        self.ids(&self.heads)
    }

    /// `RevisionMap._real_heads`: heads that no revision depends on either.
    pub fn real_heads(&self) -> Vec<&str> {
        self.ids(&self.real_heads)
    }

    /// `RevisionMap.bases`.
    pub fn bases(&self) -> Vec<&str> {
        self.ids(&self.bases)
    }

    /// `RevisionMap._real_bases`.
    pub fn real_bases(&self) -> Vec<&str> {
        self.ids(&self.real_bases)
    }

    pub fn head_nodes(&self) -> &[NodeId] {
        &self.heads
    }
    pub fn real_head_nodes(&self) -> &[NodeId] {
        &self.real_heads
    }
    pub fn base_nodes(&self) -> &[NodeId] {
        &self.bases
    }
    pub fn real_base_nodes(&self) -> &[NodeId] {
        &self.real_bases
    }

    /// The node the revision map answers for a key (revision id or branch label).
    pub fn lookup(&self, key: &str) -> Option<NodeId> {
        self.lookup
            .get(key)
            .and_then(|&k| self.keys.get(k as usize))
            .map(|k| k.node)
    }

    /// Branch labels of a node after spreading (`Revision.branch_labels`).
    pub fn branch_labels(&self, n: NodeId) -> Vec<&str> {
        self.labels
            .get(n)
            .iter()
            .filter_map(|&l| self.label_names.get(l as usize).map(String::as_str))
            .collect()
    }

    pub(crate) fn has_label(&self, n: NodeId, label: &str) -> bool {
        self.labels
            .get(n)
            .iter()
            .any(|&l| self.label_names.get(l as usize).map(String::as_str) == Some(label))
    }

    pub(crate) fn is_merge_point(&self, n: NodeId) -> bool {
        self.nodes
            .get(n as usize)
            .map(|x| x.down_revision.len() > 1)
            .unwrap_or(false)
    }

    /// `Revision.down_revision` as the Python value (`None`, a string or a tuple).
    pub(crate) fn down_revision_ident(&self, n: NodeId) -> Ident {
        match self.nodes.get(n as usize).map(|x| x.down_revision.as_slice()) {
            None | Some([]) => Ident::Nil,
            Some([one]) => Ident::Str(one.clone()),
            Some(many) => Ident::tuple(many.iter().cloned()),
        }
    }

    /// Everything known about one node.
    pub fn info(&self, n: NodeId) -> Option<RevisionInfo> {
        let node = self.nodes.get(n as usize)?;
        let ids = |v: &[u32]| v.iter().map(|&m| self.id(m).to_string()).collect::<Vec<_>>();
        Some(RevisionInfo {
            index: n,
            revision: node.revision.clone(),
            down_revision: node.down_revision.clone(),
            dependencies: node.dependencies.clone(),
            orig_branch_labels: node.branch_labels.clone(),
            branch_labels: self.branch_labels(n).into_iter().map(str::to_string).collect(),
            nextrev: ids(self.nextrev.get(n)),
            all_nextrev: ids(self.all_nextrev.get(n)),
            resolved_dependencies: ids(self.resolved_deps.get(n)),
            normalized_resolved_dependencies: ids(self.normalized_deps.get(n)),
            versioned_down_revisions: node.down_revision.clone(),
            all_down_revisions: ids(self.all_down.get(n)),
            normalized_down_revisions: ids(self.norm_down.get(n)),
            is_head: self.nextrev.get(n).is_empty(),
            is_real_head: self.all_nextrev.get(n).is_empty(),
            is_base: node.down_revision.is_empty(),
            is_real_base: node.down_revision.is_empty() && node.dependencies.is_empty(),
            is_branch_point: self.nextrev.get(n).len() > 1,
            is_real_branch_point: self.all_nextrev.get(n).len() > 1,
            is_merge_point: node.down_revision.len() > 1,
            path: node.path.clone(),
        })
    }

    /// [`Graph::info`] for the revision the map answers for `key` (an id or a label).
    pub fn revision_info(&self, key: &str) -> Option<RevisionInfo> {
        self.info(self.lookup(key)?)
    }
}

#[cfg(test)]
mod tests;
