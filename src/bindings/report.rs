//! `monomig._native.report_*`: the text of Alembic's `heads`, `history`,
//! `branches` and `show` commands, formatted by `crate::report`.

use std::cell::RefCell;

use pyo3::exceptions::PyIndexError;
use pyo3::prelude::*;

use super::graph::RevisionGraph;
use super::scripts::RevisionEntry;
use crate::error::{Error, Result as CoreResult};
use crate::graph::NodeId;
use crate::report::{Doc, Docs, Reporter};

/// The docstring of node `n`: item `n` of `docstrings`, a str, None, or the
/// `RevisionEntry` itself (its docstring never leaves Rust); missing items
/// print as empty docstrings.
fn docstring(docstrings: &Bound<'_, PyAny>, n: NodeId) -> PyResult<Doc> {
    let item = match docstrings.get_item(n as usize) {
        Ok(item) => item,
        Err(e) if e.is_instance_of::<PyIndexError>(docstrings.py()) => return Ok(Doc::default()),
        Err(e) => return Err(e),
    };
    if item.is_none() {
        return Ok(Doc::default());
    }
    if let Ok(entry) = item.cast::<RevisionEntry>() {
        return Ok(entry.get().report_doc().unwrap_or_default());
    }
    Ok(Doc::from_docstring(Some(&item.extract::<String>()?)))
}

/// Run `f` with a reporter that reads docstrings from `docstrings` only where printed.
fn report(
    py: Python<'_>,
    graph: &RevisionGraph,
    docstrings: &Bound<'_, PyAny>,
    f: impl FnOnce(&Reporter) -> CoreResult<String>,
) -> PyResult<String> {
    let failed: RefCell<Option<PyErr>> = RefCell::new(None);
    let lookup = |n: NodeId| -> CoreResult<Doc> {
        docstring(docstrings, n).map_err(|e| {
            *failed.borrow_mut() = Some(e);
            Error::revision_generic("reading a docstring raised an exception")
        })
    };
    let out = graph.with_graph(py, |g, order| f(&Reporter::with_docs(g, Docs::Lazy(&lookup), order)));
    if let Some(e) = failed.borrow_mut().take() {
        return Err(e);
    }
    out
}

/// `alembic heads [-v] [--resolve-dependencies]`; `docstrings` are the revision
/// modules' `__doc__` (or their `RevisionEntry`) in load order. Errors are
/// `CommandError` with Alembic's text.
#[pyfunction]
#[pyo3(signature = (graph, docstrings, verbose=false, resolve_dependencies=false))]
fn report_heads(
    py: Python<'_>,
    graph: &RevisionGraph,
    docstrings: &Bound<'_, PyAny>,
    verbose: bool,
    resolve_dependencies: bool,
) -> PyResult<String> {
    report(py, graph, docstrings, |r| r.heads(verbose, resolve_dependencies))
}

/// `alembic history [-r BASE:HEAD] [-v]` (without `-i`); empty halves mean base / heads.
#[pyfunction]
#[pyo3(signature = (graph, docstrings, base="", head="", verbose=false))]
fn report_history(
    py: Python<'_>,
    graph: &RevisionGraph,
    docstrings: &Bound<'_, PyAny>,
    base: &str,
    head: &str,
    verbose: bool,
) -> PyResult<String> {
    report(py, graph, docstrings, |r| r.history(base, head, verbose))
}

/// `alembic branches [-v]`.
#[pyfunction]
#[pyo3(signature = (graph, docstrings, verbose=false))]
fn report_branches(
    py: Python<'_>,
    graph: &RevisionGraph,
    docstrings: &Bound<'_, PyAny>,
    verbose: bool,
) -> PyResult<String> {
    report(py, graph, docstrings, |r| r.branches(verbose))
}

/// `alembic show REV` (not `current`).
#[pyfunction]
fn report_show(py: Python<'_>, graph: &RevisionGraph, docstrings: &Bound<'_, PyAny>, rev: &str) -> PyResult<String> {
    report(py, graph, docstrings, |r| r.show(rev))
}

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(report_heads, m)?)?;
    m.add_function(wrap_pyfunction!(report_history, m)?)?;
    m.add_function(wrap_pyfunction!(report_branches, m)?)?;
    m.add_function(wrap_pyfunction!(report_show, m)?)?;
    Ok(())
}
