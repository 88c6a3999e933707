//! SVG pictures laid out by [`super::layout`]: one standalone `<svg>` document with each
//! service's picture under its title, one above the other.
//!
//! Each node is a `<g class="node revision head ..." data-revisions="id ...">` holding a
//! `<title>` (the full id and message), a `<rect>` and its text; edges are `<path
//! class="edge parent|dependson|current">`. Colours follow the reader's light or dark
//! scheme; a page embedding the SVG can set `--mg-*` custom properties instead. Text
//! is escaped for XML and stripped of the characters XML 1.0 forbids.

use std::fmt::Write;

use super::layout::{self, MARGIN};
use super::picture::{EdgeKind, NodeKind, Picture};

const FONT_SIZE: f64 = 11.0;
/// Width of one character of the monospace font, at `FONT_SIZE`.
const CHAR_WIDTH: f64 = 6.8;
const LINE_HEIGHT: f64 = 14.0;
const PAD_X: f64 = 10.0;
const PAD_Y: f64 = 7.0;
const TITLE_HEIGHT: f64 = 26.0;

/// Text as XML character data or attribute value.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            '\t' | '\n' | '\r' => out.push(' '),
            c if (c as u32) < 0x20 || c == '\u{FFFE}' || c == '\u{FFFF}' => out.push('?'),
            c => out.push(c),
        }
    }
    out
}

/// The width a line of text takes (wide characters count double).
fn text_width(line: &str) -> f64 {
    line.chars()
        .map(|c| {
            if (c as u32) >= 0x1100 && !matches!(c, '…' | '·') {
                2.0
            } else {
                1.0
            }
        })
        .sum::<f64>()
        * CHAR_WIDTH
}

const STYLE: &str = "\
.mg{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:11px}\
.mg .title{font-size:13px;font-weight:bold;fill:var(--mg-fg,#111827)}\
.mg rect{fill:var(--mg-node,#ffffff);stroke:var(--mg-stroke,#6b7280);stroke-width:1.2}\
.mg text{fill:var(--mg-fg,#111827)}\
.mg .head rect{stroke-width:3}\
.mg .merge rect,.mg .branchpoint rect{stroke-width:2;stroke:var(--mg-accent,#4f46e5)}\
.mg .run rect{fill:var(--mg-run,#f3f4f6);stroke-dasharray:4 3}\
.mg .database rect{fill:var(--mg-db,#fef3c7);stroke:#d97706}\
.mg .current rect{stroke:#d97706;stroke-width:3}\
.mg .edge{fill:none;stroke:var(--mg-edge,#6b7280);stroke-width:1.3}\
.mg .dependson{stroke-dasharray:6 4;stroke:var(--mg-accent,#4f46e5)}\
.mg .current-link{stroke:#d97706;stroke-dasharray:2 3}\
.mg .arrow{fill:var(--mg-edge,#6b7280)}\
@media (prefers-color-scheme:dark){.mg text,.mg .title{fill:var(--mg-fg,#e5e7eb)}\
.mg rect{fill:var(--mg-node,#1f2937);stroke:var(--mg-stroke,#9ca3af)}\
.mg .run rect{fill:var(--mg-run,#374151)}.mg .database rect{fill:var(--mg-db,#78350f)}\
.mg .edge{stroke:var(--mg-edge,#9ca3af)}.mg .arrow{fill:var(--mg-edge,#9ca3af)}\
.mg .dependson{stroke:var(--mg-accent,#a5b4fc)}}";

/// The SVG document of every picture; `prefix` makes its ids unique in a page.
pub fn write(pictures: &[Picture], prefix: &str) -> String {
    let prefix: String = prefix
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_')
        .collect();
    let arrow = format!("{prefix}mg-arrow");
    let mut body = String::new();
    let mut top = 0.0f64;
    let mut width = 0.0f64;
    for p in pictures {
        let lines: Vec<Vec<String>> = p.nodes.iter().map(|n| n.lines()).collect();
        let sizes: Vec<(f64, f64)> = lines
            .iter()
            .map(|ls| {
                let w = ls.iter().map(|l| text_width(l)).fold(0.0, f64::max) + 2.0 * PAD_X;
                (w.ceil(), ls.len() as f64 * LINE_HEIGHT + 2.0 * PAD_Y)
            })
            .collect();
        let edges: Vec<(usize, usize)> = p.edges.iter().map(|e| (e.from, e.to)).collect();
        let lay = layout::layout(&sizes, &edges);
        let _ = writeln!(
            body,
            "<g class=\"service\" data-service=\"{}\" transform=\"translate(0 {top})\">",
            escape(&p.service)
        );
        let count = match p.revision_count {
            1 => "1 revision".to_owned(),
            c => format!("{c} revisions"),
        };
        let _ = writeln!(
            body,
            "<text class=\"title\" x=\"{MARGIN}\" y=\"18\">{} ({count})</text>",
            escape(&p.service)
        );
        let _ = writeln!(body, "<g transform=\"translate(0 {TITLE_HEIGHT})\">");
        for (e, route) in p.edges.iter().zip(&lay.routes) {
            if route.len() < 2 {
                continue;
            }
            let (class, marker) = match e.kind {
                EdgeKind::Parent => ("edge parent", true),
                EdgeKind::DependsOn => ("edge dependson", true),
                EdgeKind::Current => ("edge current-link", false),
            };
            let marker = if marker {
                format!(" marker-end=\"url(#{arrow})\"")
            } else {
                String::new()
            };
            let _ = writeln!(body, "<path class=\"{class}\" d=\"{}\"{marker}/>", path(route));
        }
        for (k, node) in p.nodes.iter().enumerate() {
            let r = lay.rects[k];
            let classes = node.classes().join(" ");
            let revs = escape(&node.revisions.join(" "));
            let _ = write!(
                body,
                "<g class=\"node {classes}\" data-revisions=\"{revs}\"><title>{}</title>\
                 <rect x=\"{:.1}\" y=\"{:.1}\" width=\"{:.1}\" height=\"{:.1}\" rx=\"{}\"/>",
                escape(&node.title()),
                r.x,
                r.y,
                r.w,
                r.h,
                if matches!(node.kind, NodeKind::Database) { 10 } else { 5 },
            );
            for (i, line) in lines[k].iter().enumerate() {
                let _ = write!(
                    body,
                    "<text x=\"{:.1}\" y=\"{:.1}\">{}</text>",
                    r.x + PAD_X,
                    r.y + PAD_Y + FONT_SIZE + i as f64 * LINE_HEIGHT - 1.0,
                    escape(line)
                );
            }
            body.push_str("</g>\n");
        }
        if p.nodes.is_empty() {
            let _ = writeln!(
                body,
                "<text x=\"{MARGIN}\" y=\"{}\">no revisions</text>",
                MARGIN + FONT_SIZE
            );
        }
        body.push_str("</g></g>\n");
        let h = if p.nodes.is_empty() {
            2.0 * MARGIN + FONT_SIZE
        } else {
            lay.height
        };
        top += TITLE_HEIGHT + h + 10.0;
        let title_w = text_width(&p.service) + 160.0;
        width = width.max(lay.width).max(title_w);
    }
    let height = top.max(1.0);
    let mut out = String::with_capacity(body.len() + 2048);
    let _ = write!(
        out,
        "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"mg\" width=\"{w:.0}\" height=\"{height:.0}\" \
         viewBox=\"0 0 {w:.0} {height:.0}\" role=\"img\" aria-label=\"revision graph\">\n<style>{STYLE}</style>\n\
         <defs><marker id=\"{arrow}\" viewBox=\"0 0 10 10\" refX=\"10\" refY=\"5\" markerWidth=\"7\" \
         markerHeight=\"7\" orient=\"auto-start-reverse\"><path class=\"arrow\" d=\"M0 0L10 5L0 10z\"/></marker></defs>\n",
        w = width.ceil()
    );
    out.push_str(&body);
    out.push_str("</svg>\n");
    out
}

/// A smooth path through the points: vertical tangents at each point.
fn path(points: &[(f64, f64)]) -> String {
    let mut d = String::new();
    let (x0, y0) = points[0];
    let _ = write!(d, "M{x0:.1} {y0:.1}");
    for w in points.windows(2) {
        let ((xa, ya), (xb, yb)) = (w[0], w[1]);
        if (xa - xb).abs() < 0.5 {
            let _ = write!(d, "L{xb:.1} {yb:.1}");
        } else {
            let my = (ya + yb) / 2.0;
            let _ = write!(d, "C{xa:.1} {my:.1} {xb:.1} {my:.1} {xb:.1} {yb:.1}");
        }
    }
    d
}
