//! Graphviz DOT: one `cluster` per service, parents above their children.
//!
//! Heads have a double border, merges are hexagons, branch points bold, collapsed runs
//! 3-D boxes, databases cylinders; `depends_on` edges are dashed and labelled, a
//! database's link dotted without an arrow.

use std::fmt::Write;

use super::picture::{EdgeKind, NodeKind, PNode, Picture};

/// A DOT double-quoted string's content.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if c.is_control() => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

fn attributes(node: &PNode) -> String {
    let label = node.lines().iter().map(|l| escape(l)).collect::<Vec<_>>().join("\\n");
    let mut a = format!("label=\"{label}\", tooltip=\"{}\"", escape(&node.title()));
    match node.kind {
        NodeKind::Run { .. } => a.push_str(", shape=box3d, style=\"filled\", fillcolor=\"#f3f4f6\""),
        NodeKind::Database => a.push_str(", shape=cylinder, color=\"#d97706\""),
        NodeKind::Revision => {
            if node.merge {
                a.push_str(", shape=hexagon");
            }
            if node.head {
                a.push_str(", peripheries=2");
            }
            if node.branch_point {
                a.push_str(", penwidth=2");
            }
            if node.current {
                a.push_str(", color=\"#d97706\", penwidth=2.5");
            }
        }
    }
    a
}

/// The digraph of every picture.
pub fn write(pictures: &[Picture]) -> String {
    let mut out = String::from(concat!(
        "digraph monomig {\n",
        "  rankdir=TB;\n",
        "  node [shape=box, style=\"rounded\", fontname=\"Helvetica\", fontsize=10];\n",
        "  edge [fontname=\"Helvetica\", fontsize=9];\n",
    ));
    for (s, p) in pictures.iter().enumerate() {
        let _ = writeln!(out, "  subgraph cluster_{s} {{");
        let _ = writeln!(out, "    label=\"{}\";", escape(&p.service));
        if p.nodes.is_empty() {
            let _ = writeln!(out, "    s{s}_empty [label=\"no revisions\", shape=plaintext];");
        }
        for (k, node) in p.nodes.iter().enumerate() {
            let _ = writeln!(out, "    s{s}_{k} [{}];", attributes(node));
        }
        out.push_str("  }\n");
        for e in &p.edges {
            let style = match e.kind {
                EdgeKind::Parent => "",
                EdgeKind::DependsOn => " [style=dashed, label=\"depends on\"]",
                EdgeKind::Current => " [style=dotted, arrowhead=none, color=\"#d97706\"]",
            };
            let _ = writeln!(out, "  s{s}_{} -> s{s}_{}{style};", e.from, e.to);
        }
    }
    out.push_str("}\n");
    out
}
