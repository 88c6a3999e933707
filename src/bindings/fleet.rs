//! `monomig._native.fleet_status` and `fleet_check`: the fleet commands' Rust work,
//! asked and answered in JSON (see `crate::fleet` for the fields).

use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;

use super::runtime;
use crate::fleet::{check, status};

/// Every service's state (JSON request in, JSON list out). The GIL is released while
/// the revision files are read and the databases answer; Ctrl-C interrupts.
#[pyfunction]
fn fleet_status(py: Python<'_>, request: &str) -> PyResult<String> {
    let req: status::StatusRequest =
        serde_json::from_str(request).map_err(|e| PyValueError::new_err(format!("bad fleet_status request: {e}")))?;
    let answer = runtime::block_on(py, status::status(req))?;
    serde_json::to_string(&answer).map_err(|e| PyValueError::new_err(e.to_string()))
}

/// Every `monomig check` finding (JSON request in, JSON list out), GIL released.
#[pyfunction]
fn fleet_check(py: Python<'_>, request: &str) -> PyResult<String> {
    let req: check::CheckRequest =
        serde_json::from_str(request).map_err(|e| PyValueError::new_err(format!("bad fleet_check request: {e}")))?;
    let answer = py.detach(move || check::check(req));
    serde_json::to_string(&answer).map_err(|e| PyValueError::new_err(e.to_string()))
}

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(fleet_status, m)?)?;
    m.add_function(wrap_pyfunction!(fleet_check, m)?)?;
    Ok(())
}
