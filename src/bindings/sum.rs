//! `monomig._native.sum_*`: the checksum file of a service (`src/sum/`).

use std::path::PathBuf;

use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList};

use super::errors::py_err;
use crate::sum::{self, SumService};

fn service(name: String, version_locations: Vec<PathBuf>, recursive: bool, sourceless: bool) -> SumService {
    SumService {
        name,
        version_locations,
        recursive,
        sourceless,
    }
}

/// `sha256:<hex>` of a file's contents with line endings normalised.
#[pyfunction]
fn sum_file_hash(py: Python<'_>, path: PathBuf) -> PyResult<String> {
    py.detach(|| sum::file_hash(&path)).map_err(py_err(py))
}

/// The service's revision files in sum order: `{"path", "hash", "revision"}` each.
#[pyfunction]
#[pyo3(signature = (name, version_locations, recursive = false, sourceless = false))]
fn sum_entries<'py>(
    py: Python<'py>,
    name: String,
    version_locations: Vec<PathBuf>,
    recursive: bool,
    sourceless: bool,
) -> PyResult<Bound<'py, PyList>> {
    let svc = service(name, version_locations, recursive, sourceless);
    let entries = py.detach(|| sum::compute(&svc)).map_err(py_err(py))?;
    let rows = entries
        .into_iter()
        .map(|e| {
            let d = PyDict::new(py);
            d.set_item("path", e.path)?;
            d.set_item("hash", e.hash)?;
            d.set_item("revision", e.revision)?;
            Ok(d)
        })
        .collect::<PyResult<Vec<_>>>()?;
    PyList::new(py, rows)
}

/// Write the service's `monomig.sum`: `{"path", "files", "changed"}`.
#[pyfunction]
#[pyo3(signature = (name, version_locations, recursive = false, sourceless = false))]
fn sum_write<'py>(
    py: Python<'py>,
    name: String,
    version_locations: Vec<PathBuf>,
    recursive: bool,
    sourceless: bool,
) -> PyResult<Bound<'py, PyDict>> {
    let svc = service(name, version_locations, recursive, sourceless);
    let w = py.detach(|| sum::write(&svc)).map_err(py_err(py))?;
    let d = PyDict::new(py);
    d.set_item("path", w.path.display().to_string())?;
    d.set_item("files", w.files)?;
    d.set_item("changed", w.changed)?;
    Ok(d)
}

/// The `check --all` findings of the service's `monomig.sum` (CheckFinding dicts).
#[pyfunction]
#[pyo3(signature = (name, version_locations, recursive = false, sourceless = false, strict = false, sum_required = false))]
fn sum_check<'py>(
    py: Python<'py>,
    name: String,
    version_locations: Vec<PathBuf>,
    recursive: bool,
    sourceless: bool,
    strict: bool,
    sum_required: bool,
) -> PyResult<Bound<'py, PyList>> {
    let svc = service(name, version_locations, recursive, sourceless);
    let found = py.detach(|| sum::check::findings(&svc, strict || sum_required, sum_required));
    let rows = found
        .into_iter()
        .map(|f| super::fleet::finding_dict(py, f))
        .collect::<PyResult<Vec<_>>>()?;
    PyList::new(py, rows)
}

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(sum_file_hash, m)?)?;
    m.add_function(wrap_pyfunction!(sum_entries, m)?)?;
    m.add_function(wrap_pyfunction!(sum_write, m)?)?;
    m.add_function(wrap_pyfunction!(sum_check, m)?)?;
    Ok(())
}
