//! What a service's picture holds, independent of the output format.
//!
//! Nodes are the graph's revisions (one per revision id: the node Alembic's map answers
//! for it), in a topological order with load order breaking ties, so the output is
//! stable. A *plain* revision (one parent, one child, no branch label, no `depends_on`
//! either way, not where a database stands) inside a run of at least [`MIN_RUN`] such
//! revisions is drawn as part of one `Run` node, unless `full`.

use std::cmp::Reverse;
use std::collections::BinaryHeap;

use super::{DbMark, Options, ServiceGraph};
use crate::error::Result;
use crate::graph::{Graph, Ident, NodeId, Rev};

/// Shorter runs of plain revisions stay as they are.
pub const MIN_RUN: usize = 3;
/// Characters of a revision id shown (Alembic's ids have 12).
pub const SHORT_ID: usize = 12;
/// Characters of a message shown.
pub const SHORT_MESSAGE: usize = 40;

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum NodeKind {
    /// One revision.
    Revision,
    /// `count` plain revisions in a line, from `revisions[0]` to its last.
    Run { count: usize },
    /// A service's database (`--status`), pointing at its current revisions.
    Database,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PNode {
    pub kind: NodeKind,
    /// Full revision ids: one, or the run's in order (empty for a database).
    pub revisions: Vec<String>,
    /// The first line of the revision's message (a run: of its first revision; a
    /// database: its state).
    pub message: String,
    /// Branch labels declared on the revision.
    pub labels: Vec<String>,
    pub head: bool,
    pub base: bool,
    pub branch_point: bool,
    pub merge: bool,
    /// A database of the picture stands at this revision.
    pub current: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EdgeKind {
    /// `down_revision`: from the parent to the child.
    Parent,
    /// `depends_on`: from the dependency to the revision depending on it.
    DependsOn,
    /// From a database to a revision it stands at.
    Current,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PEdge {
    pub from: usize,
    pub to: usize,
    pub kind: EdgeKind,
}

/// One service's picture.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Picture {
    pub service: String,
    pub nodes: Vec<PNode>,
    pub edges: Vec<PEdge>,
    /// Revisions the picture stands for (runs counted in full).
    pub revision_count: usize,
}

/// The first `max` characters of `s`, with `…` when cut.
pub fn truncate(s: &str, max: usize) -> String {
    let mut out: String = s.chars().take(max).collect();
    if s.chars().nth(max).is_some() {
        out.pop();
        out.push('…');
    }
    out
}

/// A revision id as drawn.
pub fn short_id(id: &str) -> String {
    truncate(id, SHORT_ID)
}

/// The first line of a message, as drawn.
pub fn short_message(message: &str) -> String {
    truncate(message.lines().next().unwrap_or("").trim(), SHORT_MESSAGE)
}

impl PNode {
    /// The label's lines: id, message, and what the node is (head, merge, labels...).
    pub fn lines(&self) -> Vec<String> {
        let mut lines = Vec::new();
        match &self.kind {
            NodeKind::Revision => {
                lines.push(short_id(self.revisions.first().map(String::as_str).unwrap_or("")));
                let m = short_message(&self.message);
                if !m.is_empty() {
                    lines.push(m);
                }
            }
            NodeKind::Run { count } => {
                lines.push(format!("{count} revisions"));
                let first = self.revisions.first().map(String::as_str).unwrap_or("");
                let last = self.revisions.last().map(String::as_str).unwrap_or("");
                lines.push(format!("{} … {}", short_id(first), short_id(last)));
            }
            NodeKind::Database => {
                lines.push("database".to_owned());
                if !self.message.is_empty() {
                    lines.push(truncate(&self.message, SHORT_MESSAGE + 20));
                }
            }
        }
        let mut tags: Vec<String> = Vec::new();
        if self.head {
            tags.push("head".into());
        }
        if self.merge {
            tags.push("merge".into());
        }
        if self.branch_point {
            tags.push("branch point".into());
        }
        for l in &self.labels {
            tags.push(format!("@{}", truncate(l, 24)));
        }
        if !tags.is_empty() {
            lines.push(tags.join(" · "));
        }
        lines
    }

    /// The class words of the node (SVG classes, Mermaid classes).
    pub fn classes(&self) -> Vec<&'static str> {
        let mut c = vec![match self.kind {
            NodeKind::Revision => "revision",
            NodeKind::Run { .. } => "run",
            NodeKind::Database => "database",
        }];
        for (on, name) in [
            (self.head, "head"),
            (self.merge, "merge"),
            (self.branch_point, "branchpoint"),
            (self.current, "current"),
        ] {
            if on {
                c.push(name);
            }
        }
        c
    }

    /// The full text of the node, for tooltips.
    pub fn title(&self) -> String {
        match &self.kind {
            NodeKind::Revision => {
                let id = self.revisions.first().map(String::as_str).unwrap_or("");
                if self.message.is_empty() {
                    id.to_owned()
                } else {
                    format!("{id}: {}", self.message)
                }
            }
            NodeKind::Run { count } => format!("{count} revisions: {}", self.revisions.join(", ")),
            NodeKind::Database => format!("database: {}", self.message),
        }
    }
}

impl Picture {
    pub fn build(s: &ServiceGraph<'_>, options: &Options) -> Result<Picture> {
        let g = s.graph;
        let n = g.nodes.len();
        let mut keep: Vec<bool> = (0..n).map(|v| g.canonical(v as NodeId) == v as NodeId).collect();
        let mut root = None;
        if let Some(since) = &options.since {
            let found = g.get_revision(&Ident::str(since.as_str())).map_err(|e| {
                crate::Error::revision_generic(format!(
                    "service '{}': --since {since:?}: {}; give a revision id, a unique prefix of one, \
                     or a branch label of this service.",
                    s.name,
                    e.message()
                ))
            })?;
            let node = match found {
                Rev::Node(node) => g.canonical(node),
                _ => {
                    return Err(crate::Error::revision_generic(format!(
                        "--since {since:?} names no revision of service '{}'; give a revision id, a \
                         unique prefix of one, or a branch label.",
                        s.name
                    )));
                }
            };
            let after = g.closure([node], &g.nextrev);
            for (k, a) in keep.iter_mut().zip(after) {
                *k &= a;
            }
            root = Some(node);
        }
        // Where the database stands.
        let mut current = vec![false; n];
        if let Some(db) = s.db {
            for rev in &db.current {
                if let Some(v) = g.lookup(rev) {
                    current[g.canonical(v) as usize] = true;
                }
            }
        }
        let order = topo_order(g, &keep);
        let plain: Vec<bool> = (0..n)
            .map(|v| {
                let id = v as NodeId;
                let node = &g.nodes[v];
                keep[v]
                    && !options.full
                    && !current[v]
                    && root != Some(id)
                    && node.branch_labels.is_empty()
                    && node.dependencies.is_empty()
                    && g.vdown.get(id).len() == 1
                    && g.nextrev.get(id).len() == 1
                    && g.all_nextrev.get(id).len() == 1
                    && g.vdown.get(id).iter().all(|&p| keep[p as usize])
            })
            .collect();
        // Node index in the picture, per graph node.
        let mut slot: Vec<Option<usize>> = vec![None; n];
        let mut nodes: Vec<PNode> = Vec::new();
        let message = |v: usize| s.messages.get(v).cloned().unwrap_or_default();
        for &v in &order {
            if slot[v].is_some() {
                continue;
            }
            let id = v as NodeId;
            let parent_plain = g.vdown.get(id).first().is_some_and(|&p| plain[p as usize]);
            if plain[v] && !parent_plain {
                // The start of a run: follow single children while plain.
                let mut run = vec![v];
                let mut at = v;
                while let [child] = g.nextrev.get(at as NodeId) {
                    let c = *child as usize;
                    if !plain[c] || slot[c].is_some() || run.contains(&c) {
                        break;
                    }
                    run.push(c);
                    at = c;
                }
                if run.len() >= MIN_RUN {
                    let k = nodes.len();
                    for &r in &run {
                        slot[r] = Some(k);
                    }
                    nodes.push(PNode {
                        kind: NodeKind::Run { count: run.len() },
                        revisions: run.iter().map(|&r| g.nodes[r].revision.clone()).collect(),
                        message: message(v),
                        labels: Vec::new(),
                        head: false,
                        base: false,
                        branch_point: false,
                        merge: false,
                        current: false,
                    });
                    continue;
                }
            }
            slot[v] = Some(nodes.len());
            let node = &g.nodes[v];
            nodes.push(PNode {
                kind: NodeKind::Revision,
                revisions: vec![node.revision.clone()],
                message: message(v),
                labels: node.branch_labels.clone(),
                head: g.nextrev.get(id).is_empty(),
                base: node.down_revision.is_empty(),
                branch_point: g.nextrev.get(id).len() > 1,
                merge: node.down_revision.len() > 1,
                current: current[v],
            });
        }
        let mut edges = Vec::new();
        for &v in &order {
            let Some(to) = slot[v] else { continue };
            let id = v as NodeId;
            for (list, kind) in [
                (g.vdown.get(id), EdgeKind::Parent),
                (g.resolved_deps.get(id), EdgeKind::DependsOn),
            ] {
                for &p in list {
                    if let Some(from) = slot[g.canonical(p) as usize]
                        && from != to
                    {
                        edges.push(PEdge { from, to, kind });
                    }
                }
            }
        }
        let revision_count = order.len();
        if let Some(db) = s.db {
            let k = nodes.len();
            let mut targets = Vec::new();
            let mut elsewhere = Vec::new();
            for rev in &db.current {
                match g.lookup(rev).and_then(|v| slot[g.canonical(v) as usize]) {
                    Some(to) => targets.push(to),
                    None if g.lookup(rev).is_some() => elsewhere.push(format!("at {} (before --since)", short_id(rev))),
                    None => elsewhere.push(format!("at {}, which no revision file defines", short_id(rev))),
                }
            }
            let mut state = db.state.clone();
            for e in elsewhere {
                state = if state.is_empty() { e } else { format!("{state}; {e}") };
            }
            nodes.push(PNode {
                kind: NodeKind::Database,
                revisions: Vec::new(),
                message: state,
                labels: Vec::new(),
                head: false,
                base: false,
                branch_point: false,
                merge: false,
                current: false,
            });
            targets.dedup();
            for to in targets {
                edges.push(PEdge {
                    from: to,
                    to: k,
                    kind: EdgeKind::Current,
                });
            }
        }
        Ok(Picture {
            service: s.name.to_owned(),
            nodes,
            edges,
            revision_count,
        })
    }
}

/// The kept nodes parents first, load order breaking ties; nodes on a cycle (Alembic
/// accepts some) follow in load order.
fn topo_order(g: &Graph, keep: &[bool]) -> Vec<usize> {
    let n = keep.len();
    let mut indegree = vec![0u32; n];
    for v in 0..n {
        if keep[v] {
            indegree[v] = g
                .vdown
                .get(v as NodeId)
                .iter()
                .filter(|&&p| keep[p as usize] && p as usize != v)
                .count() as u32;
        }
    }
    let mut heap: BinaryHeap<Reverse<usize>> = (0..n).filter(|&v| keep[v] && indegree[v] == 0).map(Reverse).collect();
    let mut done = vec![false; n];
    let mut order = Vec::with_capacity(n);
    while let Some(Reverse(v)) = heap.pop() {
        done[v] = true;
        order.push(v);
        for &c in g.nextrev.get(v as NodeId) {
            let c = c as usize;
            if keep[c] && !done[c] && indegree[c] > 0 {
                indegree[c] -= 1;
                if indegree[c] == 0 {
                    heap.push(Reverse(c));
                }
            }
        }
    }
    for v in 0..n {
        if keep[v] && !done[v] {
            order.push(v);
        }
    }
    order
}

/// A `DbMark` for tests and callers that know only the revisions.
pub fn db_at(current: &[&str], state: &str) -> DbMark {
    DbMark {
        current: current.iter().map(|s| s.to_string()).collect(),
        state: state.to_owned(),
    }
}
