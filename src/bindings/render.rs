//! `monomig._native.render_graphs`: the pictures of [`crate::render`] for services
//! whose graphs Python holds (`RevisionGraph`s built from `scan_revisions`).

use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;

use super::graph::RevisionGraph;
use crate::render::{self, DbMark, Format, Options, Picture, ServiceGraph};

/// One service: its name, its graph, each revision's message in load order, and
/// `(current revisions, state)` of its database or None.
type ServiceArg<'py> = (
    String,
    Bound<'py, RevisionGraph>,
    Vec<Option<String>>,
    Option<(Vec<String>, String)>,
);

/// Every service's picture as one Mermaid flowchart, DOT digraph or SVG document.
#[pyfunction]
#[pyo3(signature = (services, format="mermaid", *, full=false, since=None, id_prefix=""))]
fn render_graphs(
    py: Python<'_>,
    services: Vec<ServiceArg<'_>>,
    format: &str,
    full: bool,
    since: Option<String>,
    id_prefix: &str,
) -> PyResult<String> {
    let format = Format::parse(format).ok_or_else(|| {
        PyValueError::new_err(format!(
            "unknown graph format {format:?}; use one of {}",
            Format::NAMES.join(", ")
        ))
    })?;
    let options = Options {
        full,
        since,
        id_prefix: id_prefix.to_owned(),
    };
    let mut pictures: Vec<Picture> = Vec::with_capacity(services.len());
    for (name, graph, messages, db) in &services {
        let messages: Vec<String> = messages.iter().map(|m| m.clone().unwrap_or_default()).collect();
        let db = db.as_ref().map(|(current, state)| DbMark {
            current: current.clone(),
            state: state.clone(),
        });
        let graph = graph.get();
        let picture = graph.with_graph(py, |g, _| {
            Picture::build(
                &ServiceGraph {
                    name,
                    graph: g,
                    messages: &messages,
                    db: db.as_ref(),
                },
                &options,
            )
        })?;
        pictures.push(picture);
    }
    Ok(render::write(&pictures, format, &options))
}

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(render_graphs, m)?)?;
    Ok(())
}
