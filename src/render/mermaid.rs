//! Mermaid flowcharts (GitHub renders them in Markdown): one `subgraph` per service,
//! parents above their children.
//!
//! Node ids are `s{service}_{node}` (revision ids may hold characters Mermaid gives a
//! meaning to); labels are quoted with Mermaid's entity codes for `"`, `#`, `<`, `>`,
//! `&` and backticks. Shapes: a revision is a rectangle, a head a stadium, a merge a
//! hexagon, a collapsed run a subroutine box, a database a cylinder; `depends_on`
//! edges are dotted arrows labelled "depends on", a database's link a dotted line.

use std::fmt::Write;

use super::picture::{EdgeKind, NodeKind, PNode, Picture};

/// A label's text inside `"..."`.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '"' => out.push_str("#quot;"),
            '#' => out.push_str("#35;"),
            '<' => out.push_str("#lt;"),
            '>' => out.push_str("#gt;"),
            '&' => out.push_str("#amp;"),
            '`' => out.push_str("#96;"),
            c if c.is_control() => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

fn shape(node: &PNode, label: &str) -> String {
    match node.kind {
        NodeKind::Run { .. } => format!("[[\"{label}\"]]"),
        NodeKind::Database => format!("[(\"{label}\")]"),
        NodeKind::Revision if node.head => format!("([\"{label}\"])"),
        NodeKind::Revision if node.merge => format!("{{{{\"{label}\"}}}}"),
        NodeKind::Revision => format!("[\"{label}\"]"),
    }
}

const CLASSES: [(&str, &str); 6] = [
    ("head", "stroke-width:3px"),
    ("merge", "stroke-width:2px"),
    ("branchpoint", "stroke-width:2px"),
    ("current", "stroke:#d97706,stroke-width:3px"),
    ("run", "stroke-dasharray:4 3"),
    ("database", "stroke:#d97706"),
];

/// The flowchart of every picture.
pub fn write(pictures: &[Picture]) -> String {
    let mut out = String::from("flowchart TD\n");
    let mut members: Vec<Vec<String>> = vec![Vec::new(); CLASSES.len()];
    for (s, p) in pictures.iter().enumerate() {
        let _ = writeln!(out, "  subgraph s{s}[\"{}\"]", escape(&p.service));
        if p.nodes.is_empty() {
            let _ = writeln!(out, "    s{s}_empty[\"no revisions\"]");
        }
        for (k, node) in p.nodes.iter().enumerate() {
            let label = node.lines().iter().map(|l| escape(l)).collect::<Vec<_>>().join("<br/>");
            let _ = writeln!(out, "    s{s}_{k}{}", shape(node, &label));
            for name in node.classes() {
                if let Some(i) = CLASSES.iter().position(|(c, _)| *c == name) {
                    members[i].push(format!("s{s}_{k}"));
                }
            }
        }
        out.push_str("  end\n");
        for e in &p.edges {
            let arrow = match e.kind {
                EdgeKind::Parent => "-->",
                EdgeKind::DependsOn => "-.->|depends on|",
                EdgeKind::Current => "-.-",
            };
            let _ = writeln!(out, "  s{s}_{} {arrow} s{s}_{}", e.from, e.to);
        }
    }
    for ((name, style), members) in CLASSES.iter().zip(&members) {
        if !members.is_empty() {
            let _ = writeln!(out, "  class {} {name}", members.join(","));
            let _ = writeln!(out, "  classDef {name} {style}");
        }
    }
    out
}
