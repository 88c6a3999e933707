//! Python surface of [`crate::schema`]: `schema_snapshot(url, ...)` returns a
//! `SchemaSnapshot`, whose `diff` names the differences with another one.

use std::path::PathBuf;
use std::time::Duration;

use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList};

use super::{errors, runtime};
use crate::schema::{self, Snapshot};

/// A database's schema as read from its catalog (tables, columns, indexes, constraints,
/// enum types). Compare two with `==` or `diff`.
#[pyclass(frozen, module = "monomig._native", name = "SchemaSnapshot")]
pub struct PySchemaSnapshot {
    snap: Snapshot,
}

#[pymethods]
impl PySchemaSnapshot {
    /// The table names, sorted.
    #[getter]
    fn tables(&self) -> Vec<String> {
        self.snap.tables.keys().cloned().collect()
    }

    /// Every difference from `other`, one line each; `left` names this state and
    /// `right` the other one in the text.
    #[pyo3(signature = (other, left = "before", right = "after"))]
    fn diff(&self, other: &PySchemaSnapshot, left: &str, right: &str) -> Vec<String> {
        schema::diff(&self.snap, &other.snap, left, right)
    }

    /// `{"tables": {name: {"columns": [...], "indexes": {...}, "constraints": {...}}}, "enums": {...}}`.
    fn to_dict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let out = PyDict::new(py);
        let tables = PyDict::new(py);
        for (name, t) in &self.snap.tables {
            let td = PyDict::new(py);
            let cols = PyList::empty(py);
            for c in &t.columns {
                let cd = PyDict::new(py);
                cd.set_item("name", &c.name)?;
                cd.set_item("type", &c.type_)?;
                cd.set_item("nullable", c.nullable)?;
                cd.set_item("default", &c.default)?;
                cols.append(cd)?;
            }
            td.set_item("columns", cols)?;
            td.set_item("indexes", t.indexes.clone())?;
            td.set_item("constraints", t.constraints.clone())?;
            tables.set_item(name, td)?;
        }
        out.set_item("tables", tables)?;
        out.set_item("enums", self.snap.enums.clone())?;
        Ok(out)
    }

    fn __eq__(&self, other: &Bound<'_, PyAny>) -> bool {
        match other.cast::<PySchemaSnapshot>() {
            Ok(o) => o.get().snap == self.snap,
            Err(_) => false,
        }
    }

    fn __repr__(&self) -> String {
        format!("<SchemaSnapshot of {} tables>", self.snap.tables.len())
    }
}

/// Read the schema of the database `url` reaches, leaving out the tables named in
/// `exclude` (e.g. the version table). Raises `DatabaseError` or `ConfigError`.
#[pyfunction]
#[pyo3(signature = (url, exclude = Vec::new(), base_dir = None, connect_timeout = 10.0))]
fn schema_snapshot(
    py: Python<'_>,
    url: &str,
    exclude: Vec<String>,
    base_dir: Option<PathBuf>,
    connect_timeout: f64,
) -> PyResult<PySchemaSnapshot> {
    if !connect_timeout.is_finite() || connect_timeout < 0.0 {
        return Err(PyValueError::new_err(format!(
            "connect_timeout must be a non-negative number of seconds, not {connect_timeout}"
        )));
    }
    let timeout = Duration::from_secs_f64(connect_timeout);
    let base = match base_dir {
        Some(d) => d,
        None => std::env::current_dir()
            .map_err(|e| PyValueError::new_err(format!("the working directory cannot be read: {e}")))?,
    };
    let url = url.to_owned();
    let r = runtime::block_on(
        py,
        async move { schema::snapshot(&url, &base, timeout, &exclude).await },
    )?;
    r.map(|snap| PySchemaSnapshot { snap }).map_err(errors::py_err(py))
}

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<PySchemaSnapshot>()?;
    m.add_function(wrap_pyfunction!(schema_snapshot, m)?)?;
    Ok(())
}
