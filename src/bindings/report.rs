//! `monomig._native.report_*`: the text of Alembic's `heads`, `history`,
//! `branches` and `show` commands, formatted by `crate::report`.

use pyo3::prelude::*;

use super::graph::RevisionGraph;
use crate::report::{Doc, Reporter};

fn docs(docstrings: Vec<Option<String>>) -> Vec<Doc> {
    docstrings.iter().map(|d| Doc::from_docstring(d.as_deref())).collect()
}

/// `alembic heads [-v] [--resolve-dependencies]`; `docstrings` are the revision
/// modules' `__doc__` in load order. Errors are `CommandError` with Alembic's text.
#[pyfunction]
#[pyo3(signature = (graph, docstrings, verbose=false, resolve_dependencies=false))]
fn report_heads(
    py: Python<'_>,
    graph: &RevisionGraph,
    docstrings: Vec<Option<String>>,
    verbose: bool,
    resolve_dependencies: bool,
) -> PyResult<String> {
    let d = docs(docstrings);
    graph.with_graph(py, |g, order| {
        Reporter::new(g, &d, order).heads(verbose, resolve_dependencies)
    })
}

/// `alembic history [-r BASE:HEAD] [-v]` (without `-i`); empty halves mean base / heads.
#[pyfunction]
#[pyo3(signature = (graph, docstrings, base="", head="", verbose=false))]
fn report_history(
    py: Python<'_>,
    graph: &RevisionGraph,
    docstrings: Vec<Option<String>>,
    base: &str,
    head: &str,
    verbose: bool,
) -> PyResult<String> {
    let d = docs(docstrings);
    graph.with_graph(py, |g, order| Reporter::new(g, &d, order).history(base, head, verbose))
}

/// `alembic branches [-v]`.
#[pyfunction]
#[pyo3(signature = (graph, docstrings, verbose=false))]
fn report_branches(
    py: Python<'_>,
    graph: &RevisionGraph,
    docstrings: Vec<Option<String>>,
    verbose: bool,
) -> PyResult<String> {
    let d = docs(docstrings);
    graph.with_graph(py, |g, order| Reporter::new(g, &d, order).branches(verbose))
}

/// `alembic show REV` (not `current`).
#[pyfunction]
fn report_show(py: Python<'_>, graph: &RevisionGraph, docstrings: Vec<Option<String>>, rev: &str) -> PyResult<String> {
    let d = docs(docstrings);
    graph.with_graph(py, |g, order| Reporter::new(g, &d, order).show(rev))
}

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(report_heads, m)?)?;
    m.add_function(wrap_pyfunction!(report_history, m)?)?;
    m.add_function(wrap_pyfunction!(report_branches, m)?)?;
    m.add_function(wrap_pyfunction!(report_show, m)?)?;
    Ok(())
}
