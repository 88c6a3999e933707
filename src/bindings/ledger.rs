//! `monomig._native.ledger_last_steps`: each service's last ledger step (`src/ledger/`).

use std::path::PathBuf;
use std::time::Duration;

use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList};

use super::runtime;
use crate::ledger::{self, LedgerTarget};

/// For each `(url, base_dir, table, schema, service)`: the service's newest ledger row as
/// a dict (`revision`, `direction`, `outcome`, `started_at`, `error`), None without one,
/// or the error text (str) when the ledger could not be read.
#[pyfunction]
#[pyo3(signature = (targets, connect_timeout = 5.0, concurrency = 16))]
fn ledger_last_steps<'py>(
    py: Python<'py>,
    targets: Vec<(String, PathBuf, String, Option<String>, String)>,
    connect_timeout: f64,
    concurrency: usize,
) -> PyResult<Bound<'py, PyList>> {
    if !connect_timeout.is_finite() {
        return Err(PyValueError::new_err(
            "connect_timeout must be a finite number of seconds",
        ));
    }
    let timeout = Duration::from_secs_f64(connect_timeout.clamp(0.1, 3600.0));
    let targets: Vec<LedgerTarget> = targets
        .into_iter()
        .map(|(url, base_dir, table, schema, service)| LedgerTarget {
            url,
            base_dir,
            table,
            schema,
            service,
            connect_timeout: timeout,
        })
        .collect();
    let answers = runtime::block_on(py, ledger::last_steps(targets, concurrency))?;
    let mut rows: Vec<Bound<'py, PyAny>> = Vec::with_capacity(answers.len());
    for a in answers {
        rows.push(match a {
            Ok(Some(s)) => {
                let d = PyDict::new(py);
                d.set_item("revision", s.revision)?;
                d.set_item("direction", s.direction)?;
                d.set_item("outcome", s.outcome)?;
                d.set_item("started_at", s.started_at)?;
                d.set_item("error", s.error)?;
                d.into_any()
            }
            Ok(None) => py.None().into_bound(py),
            Err(text) => text.into_pyobject(py)?.into_any(),
        });
    }
    PyList::new(py, rows)
}

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(ledger_last_steps, m)?)?;
    Ok(())
}
