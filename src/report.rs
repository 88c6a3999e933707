//! The text of Alembic's read-only graph commands (`heads`, `history`,
//! `branches`, `show`), byte for byte as Alembic 1.20.1 prints it.
//!
//! Alembic builds these lines from `Script` objects (`alembic/script/base.py`:
//! `Script.cmd_format`, `_head_only`, `log_entry`, `_format_down_revision`)
//! and the commands in `alembic/command.py`. Here the same text comes from a
//! [`Graph`] plus each revision's docstring ([`Doc`]), which the graph does not
//! keep. Where Alembic prints a Python set (a revision's branch labels), the
//! order comes from the [`SetOrder`].

use std::borrow::Cow;
use std::cell::RefCell;
use std::collections::HashMap;

use crate::error::{Error, Result, RevisionErrorKind};
use crate::graph::{Graph, Ident, NodeId, Rev, SetOrder};
use crate::plan::{self, Catch};
use crate::pystr;

/// A revision's docstring as Alembic's `Script` shows it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Doc {
    /// `Script.doc`: the first paragraph of `longdoc`.
    pub doc: String,
    /// `Script.longdoc`: the whole docstring, stripped.
    pub longdoc: String,
}

impl Doc {
    /// `Script.longdoc` and `Script.doc` from a module docstring (`None` when absent).
    pub fn from_docstring(docstring: Option<&str>) -> Doc {
        let (doc, longdoc) = crate::scripts::alembic_docs(docstring);
        Doc { doc, longdoc }
    }
}

/// The options of `Script._head_only`.
#[derive(Clone, Copy, Debug, Default)]
pub struct HeadOnly {
    pub include_branches: bool,
    pub include_doc: bool,
    pub include_parents: bool,
    pub tree_indicators: bool,
}

/// Where a [`Reporter`] finds each revision's docstring.
#[derive(Clone, Copy)]
pub enum Docs<'a> {
    /// Per node, in load order (missing entries print as empty docstrings).
    Ready(&'a [Doc]),
    /// Asked per node, only for the lines that print one (`heads` prints none:
    /// 5,000 docstrings need not cross from Python for one head line).
    Lazy(&'a dyn Fn(NodeId) -> Result<Doc>),
}

/// Formats revisions of one graph as Alembic's `Script` objects print themselves.
pub struct Reporter<'a> {
    graph: &'a Graph,
    docs: Docs<'a>,
    order: &'a dyn SetOrder,
    /// The printed label set per distinct set of labels (as the graph's label
    /// ids, in arrival order). Labels spread to every descendant, so on a
    /// labelled graph thousands of lines share a few dozen sets: the set order
    /// is asked once per set, not once per line.
    label_text: RefCell<HashMap<&'a [u32], String>>,
}

impl<'a> Reporter<'a> {
    /// `docs` are per node, in load order (missing entries print as empty docstrings).
    pub fn new(graph: &'a Graph, docs: &'a [Doc], order: &'a dyn SetOrder) -> Self {
        Self::with_docs(graph, Docs::Ready(docs), order)
    }

    /// A reporter whose docstrings come from `docs`.
    pub fn with_docs(graph: &'a Graph, docs: Docs<'a>, order: &'a dyn SetOrder) -> Self {
        Reporter {
            graph,
            docs,
            order,
            label_text: RefCell::new(HashMap::new()),
        }
    }

    fn doc(&self, n: NodeId) -> Result<Cow<'a, Doc>> {
        static EMPTY: Doc = Doc {
            doc: String::new(),
            longdoc: String::new(),
        };
        match self.docs {
            Docs::Ready(docs) => Ok(Cow::Borrowed(docs.get(n as usize).unwrap_or(&EMPTY))),
            Docs::Lazy(f) => f(n).map(Cow::Owned),
        }
    }

    /// `util.format_as_comma(self.branch_labels)`: the label set in Python's
    /// order, appended to `out`. The order of a set depends only on its items
    /// (and the order they were added in), so equal sets share one answer.
    fn push_labels(&self, n: NodeId, out: &mut String) -> Result<()> {
        let ids: &'a [u32] = self.graph.labels.get(n);
        if let Some(text) = self.label_text.borrow().get(ids) {
            out.push_str(text);
            return Ok(());
        }
        let labels = self.graph.branch_labels(n);
        let text = if labels.len() < 2 {
            labels.join(", ")
        } else {
            self.order.frozenset_unions(&labels)?.join(", ")
        };
        out.push_str(&text);
        self.label_text.borrow_mut().insert(ids, text);
        Ok(())
    }

    /// Order the label sets of `nodes` ahead of printing them: every distinct
    /// set of two or more labels not known yet, in one question to the set order.
    fn prefetch_labels(&self, nodes: &[NodeId]) -> Result<()> {
        let mut wanted: Vec<&'a [u32]> = Vec::new();
        {
            let known = self.label_text.borrow();
            let mut seen: std::collections::HashSet<&'a [u32]> = std::collections::HashSet::new();
            for &n in nodes {
                let ids: &'a [u32] = self.graph.labels.get(n);
                if ids.len() >= 2 && !known.contains_key(ids) && seen.insert(ids) {
                    wanted.push(ids);
                }
            }
        }
        if wanted.is_empty() {
            return Ok(());
        }
        let sets: Vec<Vec<&str>> = wanted
            .iter()
            .map(|ids| {
                ids.iter()
                    .map(|&l| self.graph.label_names[l as usize].as_str())
                    .collect()
            })
            .collect();
        let answers = self.order.frozenset_unions_many(&sets)?;
        let mut known = self.label_text.borrow_mut();
        for ((ids, items), got) in wanted.into_iter().zip(&sets).zip(answers) {
            // Same check as everywhere the set order answers: a permutation of the set.
            crate::graph::order::permutation("frozenset_unions", items, &got)?;
            known.insert(ids, got.join(", "));
        }
        Ok(())
    }

    /// `Script._format_down_revision()`, appended to `out`.
    fn push_down_revision(down: &[String], out: &mut String) {
        if down.is_empty() {
            out.push_str("<base>");
        } else {
            push_joined(out, down.iter().map(String::as_str));
        }
    }

    /// `Script._head_only(...)` (head indicators on, no "current" marker).
    pub fn head_only(&self, n: NodeId, o: HeadOnly) -> Result<String> {
        let mut text = String::new();
        self.push_head_only(n, o, &mut text)?;
        Ok(text)
    }

    /// [`Reporter::head_only`], appended to `out`. Reads the graph in place
    /// (no [`crate::graph::RevisionInfo`] per line: history prints thousands).
    fn push_head_only(&self, n: NodeId, o: HeadOnly, out: &mut String) -> Result<()> {
        let g = self.graph;
        let node = g.nodes.get(n as usize).ok_or_else(|| missing(n))?;
        let next = g.nextrev.get(n).len();
        let is_real_head = g.all_nextrev.get(n).is_empty();
        if o.include_parents {
            Self::push_down_revision(&node.down_revision, out);
            if !node.dependencies.is_empty() {
                out.push_str(" (");
                push_joined(out, node.dependencies.iter().map(String::as_str));
                out.push(')');
            }
            out.push_str(" -> ");
        }
        out.push_str(&node.revision);
        if o.include_branches && !g.labels.get(n).is_empty() {
            out.push_str(" (");
            self.push_labels(n, out)?;
            out.push(')');
        }
        if is_real_head {
            out.push_str(" (head)");
        }
        if next == 0 && !is_real_head {
            out.push_str(" (effective head)");
        }
        if o.tree_indicators {
            if next > 1 {
                out.push_str(" (branchpoint)");
            }
            if node.down_revision.len() > 1 {
                out.push_str(" (mergepoint)");
            }
        }
        if o.include_doc {
            out.push_str(", ");
            out.push_str(&self.doc(n)?.doc);
        }
        Ok(())
    }

    /// `Script.log_entry`.
    pub fn log_entry(&self, n: NodeId) -> Result<String> {
        let mut entry = String::new();
        self.push_log_entry(n, &mut entry)?;
        Ok(entry)
    }

    /// [`Reporter::log_entry`], appended to `out`.
    fn push_log_entry(&self, n: NodeId, out: &mut String) -> Result<()> {
        let g = self.graph;
        let node = g.nodes.get(n as usize).ok_or_else(|| missing(n))?;
        let next = g.nextrev.get(n);
        let is_merge_point = node.down_revision.len() > 1;
        out.push_str("Rev: ");
        out.push_str(&node.revision);
        if next.is_empty() {
            out.push_str(" (head)");
        }
        if next.len() > 1 {
            out.push_str(" (branchpoint)");
        }
        if is_merge_point {
            out.push_str(" (mergepoint)");
        }
        out.push_str(if is_merge_point { "\nMerges: " } else { "\nParent: " });
        Self::push_down_revision(&node.down_revision, out);
        out.push('\n');
        if !node.dependencies.is_empty() {
            out.push_str("Also depends on: ");
            push_joined(out, node.dependencies.iter().map(String::as_str));
            out.push('\n');
        }
        if next.len() > 1 {
            out.push_str("Branches into: ");
            push_joined(out, next.iter().map(|&m| g.id(m)));
            out.push('\n');
        }
        if !g.labels.get(n).is_empty() {
            out.push_str("Branch names: ");
            self.push_labels(n, out)?;
            out.push('\n');
        }
        out.push_str("Path: ");
        match &node.path {
            Some(p) => out.push_str(&p.display().to_string()),
            None => out.push_str("None"),
        }
        out.push_str("\n\n");
        let doc = self.doc(n)?;
        for (i, line) in pystr::splitlines(&doc.longdoc).into_iter().enumerate() {
            if i > 0 {
                out.push('\n');
            }
            out.push_str("    ");
            out.push_str(line);
        }
        out.push('\n');
        Ok(())
    }

    /// `Script.cmd_format(verbose, ...)`.
    pub fn cmd_format(&self, n: NodeId, verbose: bool, o: HeadOnly) -> Result<String> {
        let mut text = String::new();
        self.push_cmd_format(n, verbose, o, &mut text)?;
        Ok(text)
    }

    /// [`Reporter::cmd_format`], appended to `out`.
    fn push_cmd_format(&self, n: NodeId, verbose: bool, o: HeadOnly, out: &mut String) -> Result<()> {
        if verbose {
            self.push_log_entry(n, out)
        } else {
            self.push_head_only(n, o, out)
        }
    }

    fn nodes(&self, revs: Vec<Rev>) -> Vec<NodeId> {
        revs.into_iter().filter_map(Rev::node).collect()
    }

    /// What `alembic heads [-v] [--resolve-dependencies]` prints.
    pub fn heads(&self, verbose: bool, resolve_dependencies: bool) -> Result<String> {
        let catch = |e| plan::catch_revision_errors(e, &Catch::default());
        let revs = if resolve_dependencies {
            self.graph.get_revisions(&Ident::str("heads")).map_err(catch)?
        } else {
            let heads = Ident::tuple(self.graph.heads());
            self.graph.get_revisions(&heads).map_err(catch)?
        };
        let o = HeadOnly {
            include_branches: true,
            ..Default::default()
        };
        let mut out = String::new();
        let nodes = self.nodes(revs);
        self.prefetch_labels(&nodes)?;
        for n in nodes {
            self.push_cmd_format(n, verbose, o, &mut out)?;
            out.push('\n');
        }
        Ok(out)
    }

    /// What `alembic history [-r base:head] [-v]` prints (without `-i`).
    /// `base`/`head` are the two halves of the range, empty when omitted.
    pub fn history(&self, base: &str, head: &str, verbose: bool) -> Result<String> {
        let base = if base.is_empty() { "base" } else { base };
        let head = if head.is_empty() { "heads" } else { head };
        let nodes = plan::walk_revisions(self.graph, base, head)?;
        let o = HeadOnly {
            include_branches: true,
            include_doc: true,
            include_parents: true,
            tree_indicators: true,
        };
        self.prefetch_labels(&nodes)?;
        let mut out = String::with_capacity(nodes.len() * 96);
        for n in nodes {
            self.push_cmd_format(n, verbose, o, &mut out)?;
            out.push('\n');
        }
        Ok(out)
    }

    /// What `alembic branches [-v]` prints.
    pub fn branches(&self, verbose: bool) -> Result<String> {
        let nodes = plan::walk_revisions(self.graph, "base", "heads")?;
        self.prefetch_labels(&nodes)?;
        let mut out = String::new();
        for n in nodes {
            let info = self.graph.info(n).ok_or_else(|| missing(n))?;
            if !info.is_branch_point {
                continue;
            }
            let own = self.cmd_format(
                n,
                verbose,
                HeadOnly {
                    include_branches: true,
                    tree_indicators: true,
                    ..Default::default()
                },
            )?;
            let pad = " ".repeat(info.revision.chars().count());
            let mut lines = Vec::new();
            for next in &info.nextrev {
                let target = self
                    .graph
                    .get_revision(&Ident::str(next.as_str()))
                    .map_err(|e| plan::catch_revision_errors(e, &Catch::default()))?;
                let Some(t) = target.node() else { continue };
                let text = self.head_only(
                    t,
                    HeadOnly {
                        include_branches: true,
                        include_doc: verbose,
                        tree_indicators: true,
                        ..Default::default()
                    },
                )?;
                lines.push(format!("{pad} -> {text}"));
            }
            out.push_str(&format!("{own}\n{}\n\n", lines.join("\n")));
        }
        Ok(out)
    }

    /// What `alembic show REV` prints (not `current`).
    pub fn show(&self, rev: &str) -> Result<String> {
        let revs = self
            .graph
            .get_revisions(&Ident::str(rev))
            .map_err(|e| plan::catch_revision_errors(e, &Catch::default()))?;
        if revs.iter().any(|r| r.node().is_none()) {
            return Err(Error::revision(
                RevisionErrorKind::Command,
                format!(
                    "'{rev}' resolves past the base of a branch, where there is no revision to show \
                     (Alembic stops here with an AttributeError). Use an identifier that names \
                     existing revisions, e.g. a revision id or 'heads'."
                ),
            ));
        }
        let mut out = String::new();
        for n in self.nodes(revs) {
            self.push_log_entry(n, &mut out)?;
            out.push('\n');
        }
        Ok(out)
    }
}

/// `", ".join(items)`, appended to `out`.
fn push_joined<'s>(out: &mut String, items: impl IntoIterator<Item = &'s str>) {
    for (i, item) in items.into_iter().enumerate() {
        if i > 0 {
            out.push_str(", ");
        }
        out.push_str(item);
    }
}

fn missing(n: NodeId) -> Error {
    Error::revision(RevisionErrorKind::Command, format!("no revision at position {n}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::graph::{InsertionOrder, RevisionInput};

    fn graph() -> Graph {
        Graph::build(vec![
            RevisionInput::new("a1", &[]).with_path("/v/a1.py"),
            RevisionInput::new("b2", &["a1"]).with_path("/v/b2.py"),
            RevisionInput::new("c3", &["a1"]).with_path("/v/c3.py"),
            RevisionInput::new("d4", &["b2", "c3"]).with_path("/v/d4.py"),
        ])
        .unwrap()
    }

    fn docs() -> Vec<Doc> {
        ["first\n\nRevision ID: a1", "second", "third", "merge"]
            .iter()
            .map(|d| Doc::from_docstring(Some(d)))
            .collect()
    }

    #[test]
    fn docstrings_split_like_script_doc() {
        let d = Doc::from_docstring(Some("  one\ntwo\n\nthree \n"));
        assert_eq!(d.doc, "one\ntwo");
        assert_eq!(d.longdoc, "one\ntwo\n\nthree");
        assert_eq!(Doc::from_docstring(None), Doc::default());
        assert_eq!(pystr::splitlines("a\r\nb\rc\n"), vec!["a", "b", "c"]);
    }

    #[test]
    fn history_lines_follow_walk_order() {
        let g = graph();
        let d = docs();
        let r = Reporter::new(&g, &d, &InsertionOrder);
        let text = r.history("", "", false).unwrap();
        assert_eq!(
            text,
            "b2, c3 -> d4 (head) (mergepoint), merge\n\
             a1 -> b2, second\n\
             a1 -> c3, third\n\
             <base> -> a1 (branchpoint), first\n"
        );
    }

    #[test]
    fn heads_and_show() {
        let g = graph();
        let d = docs();
        let r = Reporter::new(&g, &d, &InsertionOrder);
        assert_eq!(r.heads(false, false).unwrap(), "d4 (head)\n");
        let show = r.show("a1").unwrap();
        assert_eq!(
            show,
            "Rev: a1 (branchpoint)\nParent: <base>\nBranches into: b2, c3\nPath: /v/a1.py\n\n    first\n    \n    Revision ID: a1\n\n"
        );
        let err = r.show("zz").unwrap_err();
        assert_eq!(err.to_string(), "Can't locate revision identified by 'zz'");
    }

    #[test]
    fn dependencies_labels_and_effective_heads() {
        let g = Graph::build(vec![
            RevisionInput::new("a1", &[])
                .with_branch_labels(&["core"])
                .with_path("/v/a1.py"),
            RevisionInput::new("b2", &[]).with_path("/v/b2.py"),
            RevisionInput::new("c3", &["b2"])
                .with_dependencies(&["a1"])
                .with_path("/v/c3.py"),
        ])
        .unwrap();
        let d = vec![Doc::default(), Doc::default(), Doc::from_docstring(Some("uses core"))];
        let r = Reporter::new(&g, &d, &InsertionOrder);
        assert_eq!(
            r.heads(false, false).unwrap(),
            "a1 (core) (effective head)\nc3 (head)\n"
        );
        assert_eq!(r.heads(false, true).unwrap(), "c3 (head)\n");
        let history = r.history("", "", false).unwrap();
        assert!(history.contains("b2 (a1) -> c3 (head), uses core\n"), "{history}");
        let show = r.show("c3").unwrap();
        assert!(
            show.starts_with("Rev: c3 (head)\nParent: b2\nAlso depends on: a1\nPath: /v/c3.py\n"),
            "{show}"
        );
        assert!(r.show("core").unwrap().contains("Branch names: core\n"));
    }

    #[test]
    fn branches_lists_each_branch_point() {
        let g = graph();
        let d = docs();
        let r = Reporter::new(&g, &d, &InsertionOrder);
        assert_eq!(r.branches(false).unwrap(), "a1 (branchpoint)\n   -> b2\n   -> c3\n\n");
    }
}
