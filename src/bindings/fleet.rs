//! `monomig._native.fleet_status` and `fleet_check`: the fleet commands' Rust work, asked
//! with lists of dicts and answered with lists of dicts (no JSON in between).
//!
//! The shapes are the Rust structs of `crate::fleet` ([`ServiceSpec`],
//! [`status::ServiceStatus`], [`check::Finding`]); each is converted here field by field
//! with an exhaustive destructuring or struct literal, so a field added in Rust does not
//! compile until it is converted, and `python/monomig/_native.pyi` mirrors them as
//! TypedDicts (`tests/test_fleet_types.py` checks the keys match). A key the struct does
//! not have is refused with a message naming it, so the Python side cannot drift silently.

use std::path::PathBuf;

use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList};

use super::runtime;
use crate::db::DEFAULT_VERSION_TABLE;
use crate::fleet::{ServiceSpec, check, status};

/// The keys of a service spec dict, in the order of [`ServiceSpec`]'s fields.
const SPEC_KEYS: [&str; 13] = [
    "name",
    "version_locations",
    "recursive",
    "sourceless",
    "url",
    "url_error",
    "base_dir",
    "version_table",
    "version_table_schema",
    "allow_multiple_heads",
    "search_path",
    "imported",
    "alembic_version",
];

/// Reads one dict: every key must be one of `known`; missing keys take their defaults.
struct Fields<'py> {
    dict: Bound<'py, PyDict>,
    /// Names the dict in messages (`services[3]`).
    what: String,
}

impl<'py> Fields<'py> {
    fn new(obj: &Bound<'py, PyAny>, what: String, known: &[&str]) -> PyResult<Fields<'py>> {
        let dict = obj
            .cast::<PyDict>()
            .map_err(|_| PyTypeError::new_err(format!("{what} must be a dict, not {}", type_name(obj))))?
            .clone();
        for key in dict.keys() {
            let name: String = key
                .extract()
                .map_err(|_| PyTypeError::new_err(format!("{what} has a key that is not a string: {key}")))?;
            if !known.contains(&name.as_str()) {
                return Err(PyValueError::new_err(format!(
                    "{what} has the key '{name}', which a service spec does not have (its keys: {})",
                    known.join(", ")
                )));
            }
        }
        Ok(Fields { dict, what })
    }

    /// The value of `key`, None when it is missing or None.
    fn get(&self, key: &str) -> PyResult<Option<Bound<'py, PyAny>>> {
        Ok(self.dict.get_item(key)?.filter(|v| !v.is_none()))
    }

    fn bad(&self, key: &str, want: &str, got: &Bound<'py, PyAny>) -> PyErr {
        PyTypeError::new_err(format!("{}['{key}'] must be {want}, not {}", self.what, type_name(got)))
    }

    fn string(&self, key: &str) -> PyResult<Option<String>> {
        match self.get(key)? {
            None => Ok(None),
            Some(v) => v.extract().map(Some).map_err(|_| self.bad(key, "a str", &v)),
        }
    }

    fn required_string(&self, key: &str) -> PyResult<String> {
        self.string(key)?
            .ok_or_else(|| PyValueError::new_err(format!("{} has no '{key}'", self.what)))
    }

    fn flag(&self, key: &str) -> PyResult<bool> {
        match self.get(key)? {
            None => Ok(false),
            Some(v) => v.extract().map_err(|_| self.bad(key, "a bool", &v)),
        }
    }

    fn path(&self, key: &str) -> PyResult<Option<PathBuf>> {
        match self.get(key)? {
            None => Ok(None),
            Some(v) => v.extract().map(Some).map_err(|_| self.bad(key, "a path", &v)),
        }
    }

    fn paths(&self, key: &str) -> PyResult<Vec<PathBuf>> {
        match self.get(key)? {
            None => Ok(Vec::new()),
            Some(v) => v.extract().map_err(|_| self.bad(key, "a list of paths", &v)),
        }
    }
}

fn type_name(obj: &Bound<'_, PyAny>) -> String {
    obj.get_type()
        .name()
        .map(|n| n.to_string())
        .unwrap_or_else(|_| "?".to_owned())
}

/// A `ServiceSpec` TypedDict into the struct.
fn service_spec(obj: &Bound<'_, PyAny>, what: String) -> PyResult<ServiceSpec> {
    let f = Fields::new(obj, what, &SPEC_KEYS)?;
    Ok(ServiceSpec {
        name: f.required_string("name")?,
        version_locations: f.paths("version_locations")?,
        recursive: f.flag("recursive")?,
        sourceless: f.flag("sourceless")?,
        url: f.string("url")?,
        url_error: f.string("url_error")?,
        base_dir: f.path("base_dir")?.unwrap_or_default(),
        version_table: f
            .string("version_table")?
            .unwrap_or_else(|| DEFAULT_VERSION_TABLE.to_owned()),
        version_table_schema: f.string("version_table_schema")?,
        allow_multiple_heads: f.flag("allow_multiple_heads")?,
        search_path: f.paths("search_path")?,
        imported: match f.get("imported")? {
            None => Vec::new(),
            Some(v) => v
                .try_iter()?
                .enumerate()
                .map(|(i, row)| super::graph::to_input(&row?, i))
                .collect::<PyResult<_>>()?,
        },
        ids: crate::graph::IdRules {
            colon_allowed: super::config::alembic_rules(obj.py(), f.string("alembic_version")?.as_deref())?
                .colon_in_revision_ids(),
        },
    })
}

fn service_specs(list: &Bound<'_, PyAny>, argument: &str) -> PyResult<Vec<ServiceSpec>> {
    let list = list
        .cast::<PyList>()
        .map_err(|_| PyTypeError::new_err(format!("{argument} must be a list of dicts, not {}", type_name(list))))?;
    list.iter()
        .enumerate()
        .map(|(i, item)| service_spec(&item, format!("{argument}[{i}]")))
        .collect()
}

/// A `ServiceStatus` struct into its TypedDict.
fn status_dict<'py>(py: Python<'py>, st: status::ServiceStatus) -> PyResult<Bound<'py, PyDict>> {
    let status::ServiceStatus {
        service,
        database,
        database_key,
        version_table,
        version_table_schema,
        current,
        heads,
        pending,
        state,
        holder,
        error,
        error_kind,
        shared_with,
        revisions,
        needs_import,
    } = st;
    let d = PyDict::new(py);
    d.set_item("service", service)?;
    d.set_item("database", database)?;
    d.set_item("database_key", database_key)?;
    d.set_item("version_table", version_table)?;
    d.set_item("version_table_schema", version_table_schema)?;
    d.set_item("current", current)?;
    d.set_item("heads", heads)?;
    d.set_item("pending", pending)?;
    d.set_item("state", state)?;
    d.set_item("holder", holder)?;
    d.set_item("error", error)?;
    d.set_item("error_kind", error_kind)?;
    d.set_item("shared_with", shared_with)?;
    d.set_item("revisions", revisions)?;
    d.set_item("needs_import", needs_import)?;
    Ok(d)
}

/// A `CheckFinding` struct into its TypedDict.
pub(super) fn finding_dict<'py>(py: Python<'py>, f: check::Finding) -> PyResult<Bound<'py, PyDict>> {
    let check::Finding {
        service,
        code,
        message,
        path,
        line,
        revision,
    } = f;
    let d = PyDict::new(py);
    d.set_item("service", service)?;
    d.set_item("code", code)?;
    d.set_item("message", message)?;
    d.set_item("path", path)?;
    d.set_item("line", line)?;
    d.set_item("revision", revision)?;
    Ok(d)
}

/// Every service's state, one dict per service in the order of `services`. The GIL is
/// released while the revision files are read and the databases answer; Ctrl-C interrupts.
#[pyfunction]
#[pyo3(signature = (services, target = None, connect_timeout = 5.0, concurrency = 16))]
fn fleet_status<'py>(
    py: Python<'py>,
    services: &Bound<'py, PyAny>,
    target: Option<String>,
    connect_timeout: f64,
    concurrency: usize,
) -> PyResult<Bound<'py, PyList>> {
    if !connect_timeout.is_finite() {
        return Err(PyValueError::new_err(
            "connect_timeout must be a finite number of seconds",
        ));
    }
    let req = status::StatusRequest {
        services: service_specs(services, "services")?,
        target,
        concurrency,
        connect_timeout,
    };
    let answer = runtime::block_on(py, status::status(req))?;
    let rows = answer
        .into_iter()
        .map(|st| status_dict(py, st))
        .collect::<PyResult<Vec<_>>>()?;
    PyList::new(py, rows)
}

/// Every `monomig check` finding for `services` (a selection of `all_services`, which
/// defaults to `services`), GIL released while the files are read.
#[pyfunction]
#[pyo3(signature = (services, all_services = None))]
fn fleet_check<'py>(
    py: Python<'py>,
    services: &Bound<'py, PyAny>,
    all_services: Option<&Bound<'py, PyAny>>,
) -> PyResult<Bound<'py, PyList>> {
    let req = check::CheckRequest {
        services: service_specs(services, "services")?,
        all_services: match all_services {
            Some(all) => service_specs(all, "all_services")?,
            None => Vec::new(),
        },
    };
    let answer = py.detach(move || check::check(req));
    let rows = answer
        .into_iter()
        .map(|f| finding_dict(py, f))
        .collect::<PyResult<Vec<_>>>()?;
    PyList::new(py, rows)
}

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(fleet_status, m)?)?;
    m.add_function(wrap_pyfunction!(fleet_check, m)?)?;
    Ok(())
}
