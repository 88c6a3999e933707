//! Pictures of revision graphs: `monomig graph` and the graphs of `monomig report --html`.
//!
//! One [`Picture`] per service is built from the resolved [`Graph`] (see [`picture`]):
//! revisions with short ids and messages, branch points, merges, branch labels, heads,
//! `down_revision` edges and `depends_on` edges, long linear runs collapsed into one
//! node with a count (unless `full`), only the part from a revision on (`since`), and
//! where a database stands (`status`). The same pictures are then written as Mermaid
//! ([`mermaid`]), Graphviz DOT ([`dot`]) or SVG ([`svg`]), the SVG laid out here by a
//! compact layered layout ([`layout`]).

pub mod dot;
pub mod layout;
pub mod mermaid;
pub mod picture;
pub mod svg;

use crate::error::Result;
use crate::graph::Graph;

pub use picture::{EdgeKind, NodeKind, PEdge, PNode, Picture};

/// The output formats of `monomig graph --format`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    Mermaid,
    Dot,
    Svg,
}

impl Format {
    pub const NAMES: [&'static str; 3] = ["mermaid", "dot", "svg"];

    pub fn parse(name: &str) -> Option<Format> {
        match name {
            "mermaid" => Some(Format::Mermaid),
            "dot" => Some(Format::Dot),
            "svg" => Some(Format::Svg),
            _ => None,
        }
    }
}

/// What to draw.
#[derive(Clone, Debug, Default)]
pub struct Options {
    /// Every revision its own node (no collapsed runs).
    pub full: bool,
    /// Only this revision (an id, a unique prefix or a branch label) and what follows it.
    pub since: Option<String>,
    /// Prefix of the `id` attributes of an SVG (several SVGs in one HTML page).
    pub id_prefix: String,
}

/// Where a service's database stands, for `--status`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct DbMark {
    /// The revisions in the version table.
    pub current: Vec<String>,
    /// The state as `monomig status` says it (`behind by 2`, `unreachable`, ...).
    pub state: String,
}

/// One service to draw: its graph, the message of each revision in load order, and
/// (with `--status`) where its database stands.
pub struct ServiceGraph<'a> {
    pub name: &'a str,
    pub graph: &'a Graph,
    /// Alembic's `Script.doc` of each node, in load order (missing entries are empty).
    pub messages: &'a [String],
    pub db: Option<&'a DbMark>,
}

/// Every service's picture, then the text in `format`.
pub fn render(services: &[ServiceGraph<'_>], format: Format, options: &Options) -> Result<String> {
    let pictures = services
        .iter()
        .map(|s| Picture::build(s, options))
        .collect::<Result<Vec<_>>>()?;
    Ok(write(&pictures, format, options))
}

/// The text of pictures already built.
pub fn write(pictures: &[Picture], format: Format, options: &Options) -> String {
    match format {
        Format::Mermaid => mermaid::write(pictures),
        Format::Dot => dot::write(pictures),
        Format::Svg => svg::write(pictures, &options.id_prefix),
    }
}

#[cfg(test)]
mod tests;
