//! `monomig._native.lint_*`: `monomig lint`'s rules (`crate::lint`), over JSON so
//! the request and the findings keep one shape on both sides.

use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;

use crate::lint::{LintRequest, RULES, lint};

/// The findings (a JSON list) of one service's rendered revisions (a JSON
/// `LintRequest`). A lint setting naming no rule raises ValueError naming the option.
#[pyfunction]
fn lint_service(py: Python<'_>, request: &str) -> PyResult<String> {
    let req: LintRequest =
        serde_json::from_str(request).map_err(|e| PyValueError::new_err(format!("bad lint request: {e}")))?;
    let found = py.detach(|| lint(&req)).map_err(|e| {
        PyValueError::new_err(format!(
            "{} = {} in the [{}] section names no lint rule; `monomig lint --rules` lists them",
            e.option, e.rule, req.service
        ))
    })?;
    serde_json::to_string(&found).map_err(|e| PyValueError::new_err(e.to_string()))
}

/// Every rule (a JSON list: id, severity, dialects, squawk, summary, why, fix).
#[pyfunction]
fn lint_rules() -> PyResult<String> {
    serde_json::to_string(RULES).map_err(|e| PyValueError::new_err(e.to_string()))
}

pub(super) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(lint_service, m)?)?;
    m.add_function(wrap_pyfunction!(lint_rules, m)?)?;
    Ok(())
}
