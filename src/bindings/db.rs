//! Python surface of [`crate::db`]: `parse_url`/`DatabaseURL`, `connect_info`, `ping`,
//! `read_versions`/`VersionRead` and `MigrationLock`.

use std::path::PathBuf;
use std::sync::Mutex;
use std::time::Duration;

use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyTuple};

use super::errors;
use super::runtime;
use crate::db::{
    self, ConnectExtras, DbError, DbTarget, HolderInfo, LockGuard, QueryValue, SqlaUrl, Target, VersionRows,
};
use crate::error::Error;

fn base_dir_or_cwd(base_dir: Option<PathBuf>) -> PyResult<PathBuf> {
    match base_dir {
        Some(d) => Ok(d),
        None => std::env::current_dir()
            .map_err(|e| PyValueError::new_err(format!("the working directory cannot be read: {e}"))),
    }
}

fn seconds(value: f64, what: &str) -> PyResult<Duration> {
    if !value.is_finite() || value < 0.0 {
        return Err(PyValueError::new_err(format!(
            "{what} must be a non-negative number of seconds, not {value}"
        )));
    }
    Duration::try_from_secs_f64(value).map_err(|_| PyValueError::new_err(format!("{what} is too large: {value}")))
}

/// A SQLAlchemy URL parsed exactly as `sqlalchemy.engine.make_url` parses it.
/// `masked` is SQLAlchemy's `render_as_string()`; `str()` and `repr()` are the same with
/// secret query options (`?password=...`) masked as well.
#[pyclass(frozen, module = "monomig._native", name = "DatabaseURL")]
pub struct PyDatabaseUrl {
    url: SqlaUrl,
}

#[pymethods]
impl PyDatabaseUrl {
    #[new]
    fn new(py: Python<'_>, url: &str) -> PyResult<Self> {
        let url = SqlaUrl::parse(url).map_err(errors::py_err(py))?;
        Ok(PyDatabaseUrl { url })
    }

    #[getter]
    fn drivername(&self) -> &str {
        self.url.drivername()
    }
    #[getter]
    fn username(&self) -> Option<&str> {
        self.url.username()
    }
    /// The password itself (as SQLAlchemy's `URL.password`); never shown by str/repr.
    #[getter]
    fn password(&self) -> Option<&str> {
        self.url.password().map(|p| p.expose())
    }
    #[getter]
    fn host(&self) -> Option<&str> {
        self.url.host()
    }
    #[getter]
    fn port(&self) -> Option<i64> {
        self.url.port()
    }
    #[getter]
    fn database(&self) -> Option<&str> {
        self.url.database()
    }
    /// `{key: str | tuple[str, ...]}` in first-seen key order, like SQLAlchemy's `URL.query`.
    #[getter]
    fn query<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let d = PyDict::new(py);
        for (k, v) in self.url.query() {
            match v {
                QueryValue::One(s) => d.set_item(k, s)?,
                QueryValue::Many(vs) => d.set_item(k, PyTuple::new(py, vs)?)?,
            }
        }
        Ok(d)
    }
    /// `URL.get_backend_name()`.
    fn get_backend_name(&self) -> &str {
        self.url.backend_name()
    }
    /// The driver after `+`, or None when the URL names none.
    #[getter]
    fn driver(&self) -> Option<&str> {
        self.url.driver_name()
    }
    /// The URL with the password as `***`.
    #[getter]
    fn masked(&self) -> String {
        self.url.masked()
    }
    #[pyo3(signature = (hide_password = true))]
    fn render_as_string(&self, hide_password: bool) -> String {
        self.url.render(hide_password)
    }
    /// The masked URL, with secret query options (`?password=`) masked too.
    fn __str__(&self) -> String {
        self.url.redacted()
    }
    fn __repr__(&self) -> String {
        self.url.redacted()
    }
}

/// Parse a SQLAlchemy URL (as `make_url`); raises `ConfigError` where SQLAlchemy raises.
#[pyfunction]
fn parse_url(py: Python<'_>, url: &str) -> PyResult<PyDatabaseUrl> {
    PyDatabaseUrl::new(py, url)
}

/// What monomig would connect to for `url` (no password): backend, host or socket or
/// path, port, username, database, TLS mode and options, as strings.
#[pyfunction]
#[pyo3(signature = (url, base_dir = None))]
fn connect_info<'py>(py: Python<'py>, url: &str, base_dir: Option<PathBuf>) -> PyResult<Bound<'py, PyDict>> {
    let base = base_dir_or_cwd(base_dir)?;
    let target = DbTarget::parse(url, &base).map_err(errors::py_err(py))?;
    let d = PyDict::new(py);
    for (k, v) in target.describe() {
        d.set_item(k, v)?;
    }
    d.set_item("masked", target.masked())?;
    Ok(d)
}

/// A password-free key of the database `url` reaches (backend, host, port, database; the
/// resolved file for SQLite): equal for two URLs that migrate the same database.
#[pyfunction]
#[pyo3(signature = (url, base_dir = None))]
fn database_identity(py: Python<'_>, url: &str, base_dir: Option<PathBuf>) -> PyResult<String> {
    let base = base_dir_or_cwd(base_dir)?;
    let target = DbTarget::parse(url, &base).map_err(errors::py_err(py))?;
    Ok(db::database_identity(&target))
}

fn db_pyerr(py: Python<'_>, e: DbError) -> PyErr {
    let kind = e.kind.name();
    let err = errors::to_pyerr(py, e.into());
    let _ = err.value(py).setattr("kind", kind);
    err
}

/// Open one connection to `url` and close it again; raises `DatabaseError` (with a
/// `kind` attribute: unreachable, unknown_host, auth_failed, database_absent, tls,
/// timeout, ...) or `ConfigError`.
#[pyfunction]
#[pyo3(signature = (url, connect_timeout = 5.0, base_dir = None))]
fn ping(py: Python<'_>, url: &str, connect_timeout: f64, base_dir: Option<PathBuf>) -> PyResult<()> {
    let timeout = seconds(connect_timeout, "connect_timeout")?;
    let base = base_dir_or_cwd(base_dir)?;
    let target = DbTarget::parse(url, &base).map_err(errors::py_err(py))?;
    let r = runtime::block_on(py, async move {
        let conn = db::connect(&target, timeout, &ConnectExtras::default()).await?;
        conn.close().await;
        Ok::<(), DbError>(())
    })?;
    r.map_err(|e| db_pyerr(py, e))
}

/// What one version table said (`read_versions`).
#[pyclass(frozen, get_all, module = "monomig._native", name = "VersionRead")]
pub struct PyVersionRead {
    /// The URL, password masked.
    url: String,
    version_table: String,
    version_table_schema: Option<String>,
    /// "present", "no_table", "no_database" or "error".
    state: &'static str,
    /// The `version_num` values when `state == "present"`, else None.
    rows: Option<Vec<String>>,
    /// The one-paragraph message when `state == "error"`.
    error: Option<String>,
    /// unreachable, unknown_host, auth_failed, tls, timeout, config, query or other.
    error_kind: Option<&'static str>,
}

#[pymethods]
impl PyVersionRead {
    fn __repr__(&self) -> String {
        let table = match &self.version_table_schema {
            Some(s) => format!("{s}.{}", self.version_table),
            None => self.version_table.clone(),
        };
        match self.state {
            "present" => format!(
                "<VersionRead {} {table}: {:?}>",
                self.url,
                self.rows.as_deref().unwrap_or(&[])
            ),
            "error" => format!(
                "<VersionRead {} {table}: error {}>",
                self.url,
                self.error_kind.unwrap_or("other")
            ),
            s => format!("<VersionRead {} {table}: {s}>", self.url),
        }
    }
}

fn masked_or_placeholder(url: &str) -> String {
    match SqlaUrl::parse(url) {
        Ok(u) => u.redacted(),
        Err(_) => "<unparseable URL>".to_owned(),
    }
}

/// Read Alembic version tables. `targets` holds `(url, version_table, version_table_schema)`
/// tuples, optionally with a fourth item, the base directory of relative SQLite paths
/// (default `base_dir`, else the working directory). At most one connection per distinct
/// database and at most `concurrency` at once; answers come back in order.
#[pyfunction]
#[pyo3(signature = (targets, concurrency = 8, connect_timeout = 5.0, base_dir = None))]
fn read_versions(
    py: Python<'_>,
    targets: Vec<Bound<'_, PyAny>>,
    concurrency: usize,
    connect_timeout: f64,
    base_dir: Option<PathBuf>,
) -> PyResult<Vec<PyVersionRead>> {
    let timeout = seconds(connect_timeout, "connect_timeout")?;
    let default_base = base_dir_or_cwd(base_dir)?;
    let mut core_targets = Vec::with_capacity(targets.len());
    for (i, item) in targets.iter().enumerate() {
        let tuple = item.cast::<PyTuple>().map_err(|_| {
            PyTypeError::new_err(format!(
                "read_versions: target {i} must be a tuple (url, version_table, version_table_schema[, base_dir])"
            ))
        })?;
        let n = tuple.len();
        if !(1..=4).contains(&n) {
            return Err(PyTypeError::new_err(format!(
                "read_versions: target {i} has {n} items; expected (url, version_table, version_table_schema[, base_dir])"
            )));
        }
        let url: String = tuple.get_item(0)?.extract()?;
        let table: Option<String> = if n > 1 { tuple.get_item(1)?.extract()? } else { None };
        let schema: Option<String> = if n > 2 { tuple.get_item(2)?.extract()? } else { None };
        let base: Option<PathBuf> = if n > 3 { tuple.get_item(3)?.extract()? } else { None };
        core_targets.push(Target {
            url,
            base_dir: base.unwrap_or_else(|| default_base.clone()),
            version_table: table.unwrap_or_else(|| db::DEFAULT_VERSION_TABLE.to_owned()),
            version_table_schema: schema,
            connect_timeout: timeout,
        });
    }
    let described: Vec<(String, String, Option<String>)> = core_targets
        .iter()
        .map(|t| {
            (
                masked_or_placeholder(&t.url),
                t.version_table.clone(),
                t.version_table_schema.clone(),
            )
        })
        .collect();
    let results = runtime::block_on(py, db::read_version_tables(core_targets, concurrency))?;
    Ok(described
        .into_iter()
        .zip(results)
        .map(|((url, version_table, version_table_schema), r)| {
            let (state, rows, error, error_kind) = match r {
                Ok(VersionRows::Present(rows)) => ("present", Some(rows), None, None),
                Ok(VersionRows::TableAbsent) => ("no_table", None, None, None),
                Ok(VersionRows::DatabaseAbsent) => ("no_database", None, None, None),
                Err(e) => ("error", None, Some(e.message), Some(e.kind.name())),
            };
            PyVersionRead {
                url,
                version_table,
                version_table_schema,
                state,
                rows,
                error,
                error_kind,
            }
        })
        .collect())
}

struct LockState {
    guard: Option<LockGuard>,
    busy: bool,
}

/// A migration lock for one database, held on its own connection (or lock file for
/// SQLite): `with MigrationLock(url, "monomig:alembic_version", timeout=30): ...`.
/// Released on exit, on `release()`, when garbage-collected, and when the process dies.
#[pyclass(frozen, module = "monomig._native", name = "MigrationLock")]
pub struct MigrationLock {
    target: DbTarget,
    name: String,
    timeout: Duration,
    connect_timeout: Duration,
    service: Option<String>,
    created_pid: u32,
    state: Mutex<LockState>,
}

impl MigrationLock {
    fn state(&self) -> std::sync::MutexGuard<'_, LockState> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn do_acquire(&self, py: Python<'_>) -> PyResult<()> {
        {
            let mut st = self.state();
            if st.guard.is_some() || st.busy {
                return Err(errors::to_pyerr(
                    py,
                    Error::lock(format!(
                        "The migration lock '{}' on {} is already held (or being taken) by this \
                         MigrationLock object; release it before acquiring it again.",
                        self.name,
                        self.target.masked()
                    )),
                ));
            }
            st.busy = true;
        }
        let holder = HolderInfo::current(self.service.as_deref());
        let r = runtime::block_on(
            py,
            db::acquire(&self.target, &self.name, self.timeout, self.connect_timeout, &holder),
        );
        let mut st = self.state();
        st.busy = false;
        match r {
            Ok(Ok(guard)) => {
                st.guard = Some(guard);
                Ok(())
            }
            Ok(Err(e)) => Err(errors::to_pyerr(py, e)),
            Err(interrupted) => Err(interrupted),
        }
    }

    fn do_release(&self, py: Python<'_>) -> PyResult<()> {
        let guard = self.state().guard.take();
        let Some(guard) = guard else {
            return Ok(());
        };
        match runtime::block_on(py, guard.release())? {
            Ok(()) => Ok(()),
            Err(e) => Err(errors::to_pyerr(py, e)),
        }
    }
}

#[pymethods]
impl MigrationLock {
    #[new]
    #[pyo3(signature = (url, name, timeout = 30.0, *, base_dir = None, service = None, connect_timeout = 5.0))]
    fn new(
        py: Python<'_>,
        url: &str,
        name: &str,
        timeout: f64,
        base_dir: Option<PathBuf>,
        service: Option<String>,
        connect_timeout: f64,
    ) -> PyResult<Self> {
        if name.is_empty() {
            return Err(PyValueError::new_err("MigrationLock: the lock name must not be empty"));
        }
        let timeout = seconds(timeout, "timeout")?;
        let connect_timeout = seconds(connect_timeout, "connect_timeout")?;
        let base = base_dir_or_cwd(base_dir)?;
        let target = DbTarget::parse(url, &base).map_err(errors::py_err(py))?;
        Ok(MigrationLock {
            target,
            name: name.to_owned(),
            timeout,
            connect_timeout,
            service,
            created_pid: std::process::id(),
            state: Mutex::new(LockState {
                guard: None,
                busy: false,
            }),
        })
    }

    /// Take the lock, waiting up to `timeout` seconds; raises `LockError` on timeout
    /// (naming the holder) and `DatabaseError`/`ConfigError` when the database cannot be used.
    fn acquire(&self, py: Python<'_>) -> PyResult<()> {
        self.do_acquire(py)
    }

    /// Free the lock and close its connection; does nothing when not held.
    fn release(&self, py: Python<'_>) -> PyResult<()> {
        self.do_release(py)
    }

    fn __enter__(slf: Bound<'_, Self>) -> PyResult<Bound<'_, Self>> {
        slf.get().do_acquire(slf.py())?;
        Ok(slf)
    }

    #[pyo3(signature = (*_exc))]
    fn __exit__(&self, py: Python<'_>, _exc: &Bound<'_, PyTuple>) -> PyResult<bool> {
        self.do_release(py)?;
        Ok(false)
    }

    #[getter]
    fn held(&self) -> bool {
        self.state().guard.as_ref().is_some_and(LockGuard::is_held)
    }

    #[getter]
    fn name(&self) -> &str {
        &self.name
    }

    /// The URL, password masked.
    #[getter]
    fn url(&self) -> String {
        self.target.masked()
    }

    /// Where the lock lives: the lock file for SQLite, the server and lock name otherwise.
    #[getter]
    fn location(&self) -> String {
        db::lock::lock_location(&self.target, &self.name)
    }

    fn __repr__(&self) -> String {
        format!(
            "<MigrationLock {:?} on {} ({})>",
            self.name,
            self.target.masked(),
            if self.held() { "held" } else { "not held" }
        )
    }
}

impl Drop for MigrationLock {
    fn drop(&mut self) {
        let guard = self.state().guard.take();
        if let Some(guard) = guard {
            if std::process::id() == self.created_pid {
                runtime::enter(move || drop(guard));
            } else {
                // Inherited through fork(): the guard leaves the parent's lock alone.
                drop(guard);
            }
        }
    }
}

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<PyDatabaseUrl>()?;
    m.add_class::<PyVersionRead>()?;
    m.add_class::<MigrationLock>()?;
    m.add_function(wrap_pyfunction!(parse_url, m)?)?;
    m.add_function(wrap_pyfunction!(connect_info, m)?)?;
    m.add_function(wrap_pyfunction!(database_identity, m)?)?;
    m.add_function(wrap_pyfunction!(ping, m)?)?;
    m.add_function(wrap_pyfunction!(read_versions, m)?)?;
    Ok(())
}
