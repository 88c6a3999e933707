//! Python surface of [`crate::tenants`]: `tenant_name_error`, `list_tenant_names`,
//! `query_tenants`, `tenant_database_url` and `shards_of`.

use std::path::PathBuf;
use std::time::Duration;

use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;

use super::errors;
use super::runtime;
use crate::db::{DbError, DbTarget};
use crate::tenants::{self, NameKind};

fn target_of(py: Python<'_>, url: &str, base_dir: Option<PathBuf>) -> PyResult<DbTarget> {
    let base = match base_dir {
        Some(d) => d,
        None => std::env::current_dir()
            .map_err(|e| PyValueError::new_err(format!("the working directory cannot be read: {e}")))?,
    };
    DbTarget::parse(url, &base).map_err(errors::py_err(py))
}

fn timeout_of(seconds: f64) -> PyResult<Duration> {
    if !seconds.is_finite() || seconds < 0.0 {
        return Err(PyValueError::new_err(format!(
            "connect_timeout must be a non-negative number of seconds, not {seconds}"
        )));
    }
    Ok(Duration::from_secs_f64(seconds.min(3600.0)))
}

fn db_pyerr(py: Python<'_>, e: DbError) -> PyErr {
    let kind = e.kind.name();
    let err = errors::to_pyerr(py, e.into());
    let _ = err.value(py).setattr("kind", kind);
    err
}

/// Why `name` cannot be a tenant name, or None when it can.
#[pyfunction]
fn tenant_name_error(name: &str) -> Option<String> {
    tenants::check_name(name).err()
}

/// Every schema (`kind="schemas"`) or database (`kind="databases"`) of the server `url`
/// reaches, system ones left out, sorted; raises `DatabaseError` (with `kind`) or `ConfigError`.
#[pyfunction]
#[pyo3(signature = (url, kind, base_dir = None, connect_timeout = 5.0))]
fn list_tenant_names(
    py: Python<'_>,
    url: &str,
    kind: &str,
    base_dir: Option<PathBuf>,
    connect_timeout: f64,
) -> PyResult<Vec<String>> {
    let kind = match kind {
        "schemas" => NameKind::Schemas,
        "databases" => NameKind::Databases,
        other => {
            return Err(PyValueError::new_err(format!(
                "kind must be 'schemas' or 'databases', not {other:?}"
            )));
        }
    };
    let target = target_of(py, url, base_dir)?;
    let timeout = timeout_of(connect_timeout)?;
    let r = runtime::block_on(py, async move { tenants::list_names(&target, kind, timeout).await })?;
    r.map_err(|e| db_pyerr(py, e))
}

/// The rows of `sql` on the control database `url`: (name, URL or schema) text pairs.
#[pyfunction]
#[pyo3(signature = (url, sql, base_dir = None, connect_timeout = 5.0))]
fn query_tenants(
    py: Python<'_>,
    url: &str,
    sql: &str,
    base_dir: Option<PathBuf>,
    connect_timeout: f64,
) -> PyResult<Vec<(String, String)>> {
    let target = target_of(py, url, base_dir)?;
    let timeout = timeout_of(connect_timeout)?;
    let sql = sql.to_owned();
    let r = runtime::block_on(py, async move { tenants::query_rows(&target, &sql, timeout).await })?;
    r.map_err(|e| db_pyerr(py, e))
}

/// `url` naming the database `name` instead (with its password: for connecting only).
#[pyfunction]
fn tenant_database_url(py: Python<'_>, url: &str, name: &str) -> PyResult<String> {
    tenants::database_url(url, name).map_err(errors::py_err(py))
}

/// The shard (0..shards) of each database key: rendezvous hashing, all targets of one
/// database in one shard.
#[pyfunction]
fn shards_of(keys: Vec<String>, shards: u32) -> PyResult<Vec<u32>> {
    if shards == 0 {
        return Err(PyValueError::new_err("shards must be at least 1"));
    }
    Ok(keys.iter().map(|k| tenants::shard_of(k, shards)).collect())
}

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(tenant_name_error, m)?)?;
    m.add_function(wrap_pyfunction!(list_tenant_names, m)?)?;
    m.add_function(wrap_pyfunction!(query_tenants, m)?)?;
    m.add_function(wrap_pyfunction!(tenant_database_url, m)?)?;
    m.add_function(wrap_pyfunction!(shards_of, m)?)?;
    Ok(())
}
