//! The text of Alembic's read-only graph commands (`heads`, `history`,
//! `branches`, `show`), byte for byte as Alembic 1.20.1 prints it.
//!
//! Alembic builds these lines from `Script` objects (`alembic/script/base.py`:
//! `Script.cmd_format`, `_head_only`, `log_entry`, `_format_down_revision`)
//! and the commands in `alembic/command.py`. Here the same text comes from a
//! [`Graph`] plus each revision's docstring ([`Doc`]), which the graph does not
//! keep. Where Alembic prints a Python set (a revision's branch labels), the
//! order comes from the [`SetOrder`].

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

/// Formats revisions of one graph as Alembic's `Script` objects print themselves.
pub struct Reporter<'a> {
    graph: &'a Graph,
    docs: &'a [Doc],
    order: &'a dyn SetOrder,
}

impl<'a> Reporter<'a> {
    /// `docs` are per node, in load order (missing entries print as empty docstrings).
    pub fn new(graph: &'a Graph, docs: &'a [Doc], order: &'a dyn SetOrder) -> Self {
        Reporter { graph, docs, order }
    }

    fn doc(&self, n: NodeId) -> &Doc {
        static EMPTY: Doc = Doc {
            doc: String::new(),
            longdoc: String::new(),
        };
        self.docs.get(n as usize).unwrap_or(&EMPTY)
    }

    /// `util.format_as_comma(self.branch_labels)`: the label set in Python's order.
    fn labels(&self, n: NodeId) -> Result<String> {
        let labels = self.graph.branch_labels(n);
        if labels.len() < 2 {
            return Ok(labels.join(", "));
        }
        Ok(self.order.frozenset_unions(&labels)?.join(", "))
    }

    /// `Script._format_down_revision()`.
    fn format_down_revision(&self, down: &[String]) -> String {
        if down.is_empty() {
            "<base>".to_string()
        } else {
            down.join(", ")
        }
    }

    /// `Script._head_only(...)` (head indicators on, no "current" marker).
    pub fn head_only(&self, n: NodeId, o: HeadOnly) -> Result<String> {
        let info = self.graph.info(n).ok_or_else(|| missing(n))?;
        let mut text = info.revision.clone();
        if o.include_parents {
            let down = self.format_down_revision(&info.versioned_down_revisions);
            text = if info.dependencies.is_empty() {
                format!("{down} -> {text}")
            } else {
                format!("{down} ({}) -> {text}", info.dependencies.join(", "))
            };
        }
        if o.include_branches && !info.branch_labels.is_empty() {
            text.push_str(&format!(" ({})", self.labels(n)?));
        }
        if info.is_real_head {
            text.push_str(" (head)");
        }
        if info.is_head && !info.is_real_head {
            text.push_str(" (effective head)");
        }
        if o.tree_indicators {
            if info.is_branch_point {
                text.push_str(" (branchpoint)");
            }
            if info.is_merge_point {
                text.push_str(" (mergepoint)");
            }
        }
        if o.include_doc {
            text.push_str(", ");
            text.push_str(&self.doc(n).doc);
        }
        Ok(text)
    }

    /// `Script.log_entry`.
    pub fn log_entry(&self, n: NodeId) -> Result<String> {
        let info = self.graph.info(n).ok_or_else(|| missing(n))?;
        let mut entry = format!(
            "Rev: {}{}{}{}\n",
            info.revision,
            if info.is_head { " (head)" } else { "" },
            if info.is_branch_point { " (branchpoint)" } else { "" },
            if info.is_merge_point { " (mergepoint)" } else { "" },
        );
        let down = self.format_down_revision(&info.versioned_down_revisions);
        if info.is_merge_point {
            entry.push_str(&format!("Merges: {down}\n"));
        } else {
            entry.push_str(&format!("Parent: {down}\n"));
        }
        if !info.dependencies.is_empty() {
            entry.push_str(&format!("Also depends on: {}\n", info.dependencies.join(", ")));
        }
        if info.is_branch_point {
            entry.push_str(&format!("Branches into: {}\n", info.nextrev.join(", ")));
        }
        if !info.branch_labels.is_empty() {
            entry.push_str(&format!("Branch names: {}\n", self.labels(n)?));
        }
        let path = info.path.as_ref().map(|p| p.display().to_string());
        entry.push_str(&format!("Path: {}\n", path.as_deref().unwrap_or("None")));
        let body: Vec<String> = pystr::splitlines(&self.doc(n).longdoc)
            .into_iter()
            .map(|line| format!("    {line}"))
            .collect();
        entry.push_str(&format!("\n{}\n", body.join("\n")));
        Ok(entry)
    }

    /// `Script.cmd_format(verbose, ...)`.
    pub fn cmd_format(&self, n: NodeId, verbose: bool, o: HeadOnly) -> Result<String> {
        if verbose {
            self.log_entry(n)
        } else {
            self.head_only(n, o)
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
        for n in self.nodes(revs) {
            out.push_str(&self.cmd_format(n, verbose, o)?);
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
        let mut out = String::new();
        for n in nodes {
            out.push_str(&self.cmd_format(n, verbose, o)?);
            out.push('\n');
        }
        Ok(out)
    }

    /// What `alembic branches [-v]` prints.
    pub fn branches(&self, verbose: bool) -> Result<String> {
        let nodes = plan::walk_revisions(self.graph, "base", "heads")?;
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
            out.push_str(&self.log_entry(n)?);
            out.push('\n');
        }
        Ok(out)
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
