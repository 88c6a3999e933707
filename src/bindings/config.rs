//! `monomig.load_project`, `Project`, `Service`, and the lower-level ini
//! reader `monomig._native.read_ini` / `parse_ini`.

use std::path::PathBuf;
use std::sync::Arc;

use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList, PyTuple};

use super::errors;
use crate::config::{self, AlembicVersion, Ini, IniError, LoadOptions, PackageResolver, Project, Service};
use crate::error::Error;

/// The installed Alembic's revision id rules (the graph and the revision file reader).
pub(crate) fn id_rules(py: Python<'_>) -> PyResult<crate::graph::IdRules> {
    Ok(crate::graph::IdRules {
        colon_allowed: alembic_rules(py, None)?.colon_in_revision_ids(),
    })
}

/// The Alembic release whose configuration rules apply: `given`, else the
/// installed one (`monomig._alembic_support.installed_version()`), else the newest.
pub(crate) fn alembic_rules(py: Python<'_>, given: Option<&str>) -> PyResult<AlembicVersion> {
    let text: Option<String> = match given {
        Some(v) => Some(v.to_owned()),
        None => py
            .import("monomig._alembic_support")?
            .call_method0("installed_version")?
            .extract()?,
    };
    match text {
        None => Ok(AlembicVersion::NEWEST),
        Some(t) => AlembicVersion::parse(&t).ok_or_else(|| {
            errors::to_pyerr(
                py,
                Error::config(format!("alembic_version {t:?} is not a version number such as 1.20.1")),
            )
        }),
    }
}

/// A `ConfigError` for an ini problem, with `kind` (the Python exception
/// configparser raises for the same input), `lineno`, `section` and `option`.
fn ini_err(py: Python<'_>, e: IniError) -> PyErr {
    let err = errors::to_pyerr(py, Error::from(e.clone()));
    let value = err.value(py);
    let _ = value.setattr("kind", e.kind.python_name());
    let _ = value.setattr("lineno", e.line);
    let _ = value.setattr("section", e.section);
    let _ = value.setattr("option", e.option);
    err
}

/// `util.coerce_resource_to_filename` for `package:path`, with importlib.resources,
/// keeping any temporary extraction alive until exit as Alembic does.
fn resolve_resource(py: Python<'_>, location: &str) -> PyResult<PathBuf> {
    let mut tokens = location.split(':');
    let package = tokens.next().unwrap_or_default();
    let resources = py.import("importlib.resources")?;
    let stack = py.import("contextlib")?.getattr("ExitStack")?.call0()?;
    py.import("atexit")?
        .call_method1("register", (stack.getattr("close")?,))?;
    let mut reference = resources.call_method1("files", (package,))?;
    for token in tokens {
        reference = reference.div(token)?;
    }
    let file = stack.call_method1("enter_context", (resources.call_method1("as_file", (reference,))?,))?;
    let path = py.import("pathlib")?.getattr("Path")?.call1((file,))?;
    path.str()?.extract::<String>().map(PathBuf::from)
}

fn python_resolver() -> PackageResolver {
    Arc::new(|location: &str| {
        Python::attach(|py| {
            resolve_resource(py, location).map_err(|e| {
                let kind = e
                    .get_type(py)
                    .name()
                    .map(|n| n.to_string())
                    .unwrap_or_else(|_| "Error".to_string());
                format!("{kind}: {}", e.value(py))
            })
        })
    })
}

fn str_list<'py>(py: Python<'py>, items: impl IntoIterator<Item = String>) -> PyResult<Bound<'py, PyList>> {
    PyList::new(py, items)
}

fn pairs_dict<'py>(py: Python<'py>, pairs: &[(String, String)]) -> PyResult<Bound<'py, PyDict>> {
    let d = PyDict::new(py);
    for (k, v) in pairs {
        d.set_item(k, v)?;
    }
    Ok(d)
}

fn path_string(p: &std::path::Path) -> String {
    p.to_string_lossy().into_owned()
}

/// One section as `alembic -n NAME` sees it.
#[pyclass(frozen, name = "Service", module = "monomig")]
pub struct PyService {
    inner: Service,
}

#[pymethods]
impl PyService {
    /// The section name (`-n`).
    #[getter]
    fn name(&self) -> &str {
        &self.inner.name
    }
    /// The script directory, absolute.
    #[getter]
    fn script_location(&self) -> String {
        path_string(&self.inner.script_location)
    }
    /// The version directories, absolute, in order.
    #[getter]
    fn version_locations<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyList>> {
        str_list(py, self.inner.version_locations.iter().map(|p| path_string(p)))
    }
    /// `Config.get_section(name)`: interpolated options, `[DEFAULT]`'s first.
    #[getter]
    fn options<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        pairs_dict(py, &self.inner.options)
    }
    #[getter]
    fn recursive_version_locations(&self) -> bool {
        self.inner.recursive_version_locations
    }
    #[getter]
    fn sourceless(&self) -> bool {
        self.inner.sourceless
    }
    #[getter]
    fn prepend_sys_path<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyList>> {
        str_list(py, self.inner.prepend_sys_path.iter().cloned())
    }
    #[getter]
    fn file_template(&self) -> &str {
        &self.inner.file_template
    }
    /// `int(truncate_slug_length)` when set, else None.
    #[getter]
    fn truncate_slug_length(&self) -> Option<i64> {
        self.inner.truncate_slug_length
    }
    /// The slug length Alembic uses (`truncate_slug_length or 40`).
    #[getter]
    fn effective_truncate_slug_length(&self) -> i64 {
        self.inner.effective_truncate_slug_length()
    }
    #[getter]
    fn sqlalchemy_url(&self) -> Option<&str> {
        self.inner.sqlalchemy_url.as_deref()
    }
    #[getter]
    fn version_table(&self) -> &str {
        &self.inner.version_table
    }
    #[getter]
    fn version_table_schema(&self) -> Option<&str> {
        self.inner.version_table_schema.as_deref()
    }
    /// `[(name, {option: value})]`, in order.
    #[getter]
    fn post_write_hooks<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyList>> {
        let list = PyList::empty(py);
        for hook in &self.inner.post_write_hooks {
            list.append(PyTuple::new(
                py,
                [
                    hook.name.clone().into_pyobject(py)?.into_any(),
                    pairs_dict(py, &hook.options)?.into_any(),
                ],
            )?)?;
        }
        Ok(list)
    }
    /// Alembic's deprecation warnings for this section.
    #[getter]
    fn warnings<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyList>> {
        str_list(py, self.inner.warnings.iter().cloned())
    }
    fn __repr__(&self) -> String {
        format!(
            "<Service {:?} script_location={:?}>",
            self.inner.name,
            path_string(&self.inner.script_location)
        )
    }
}

/// A monorepo's Alembic configuration and its services.
#[pyclass(frozen, name = "Project", module = "monomig")]
pub struct PyProject {
    inner: Project,
}

#[pymethods]
impl PyProject {
    /// The ini file, absolute.
    #[getter]
    fn config_file(&self) -> String {
        path_string(&self.inner.config_file)
    }
    /// The Alembic release whose configuration rules the project was read by.
    #[getter]
    fn alembic_version(&self) -> String {
        self.inner.alembic.to_string()
    }
    /// The pyproject.toml in use, absolute, or None.
    #[getter]
    fn toml_file(&self) -> Option<String> {
        self.inner.toml_file.as_deref().map(path_string)
    }
    /// The services by name, in the ini file's order.
    #[getter]
    fn services<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let d = PyDict::new(py);
        for s in &self.inner.services {
            d.set_item(&s.name, Py::new(py, PyService { inner: s.clone() })?)?;
        }
        Ok(d)
    }
    /// The ini file's section names (without DEFAULT), in order.
    #[getter]
    fn sections<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyList>> {
        str_list(py, self.inner.section_names().into_iter().map(str::to_owned))
    }
    #[getter]
    fn warnings<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyList>> {
        str_list(py, self.inner.warnings.iter().cloned())
    }
    /// Sections meant as services that cannot run: (section, why); each is also a warning.
    #[getter]
    fn not_services(&self) -> Vec<(String, String)> {
        self.inner.not_services.clone()
    }
    /// Any section as `alembic -n NAME` sees it (ConfigError if it does not exist).
    fn section(&self, py: Python<'_>, name: &str) -> PyResult<PyService> {
        let inner = self.inner.section(name).map_err(errors::py_err(py))?;
        Ok(PyService { inner })
    }
    fn __repr__(&self) -> String {
        let names: Vec<&str> = self.inner.services.iter().map(|s| s.name.as_str()).collect();
        format!(
            "<Project {:?} services={:?}>",
            path_string(&self.inner.config_file),
            names
        )
    }
}

/// Read the project: `config` defaults to `$ALEMBIC_CONFIG`, else `alembic.ini`;
/// `toml` to `pyproject.toml` in the working directory. A `config` named
/// `pyproject.toml` is taken as the TOML file, as `alembic -c` does.
///
/// With `find_services=False` the services are not looked for (`services` is
/// empty) and only `Project.section(name)` resolves a section, so that a broken
/// service does not stop work on another one.
///
/// The configuration is read by the rules of Alembic `alembic_version` (default:
/// the installed Alembic; the newest supported without one): before 1.16 there is
/// no pyproject.toml and no path_separator, for example.
#[pyfunction]
#[pyo3(signature = (config=None, toml=None, *, allow_missing_ini=false, find_services=true, alembic_version=None))]
fn load_project(
    py: Python<'_>,
    config: Option<PathBuf>,
    toml: Option<PathBuf>,
    allow_missing_ini: bool,
    find_services: bool,
    alembic_version: Option<String>,
) -> PyResult<PyProject> {
    let alembic = alembic_rules(py, alembic_version.as_deref())?;
    let env: Option<String> = py
        .import("os")?
        .getattr("environ")?
        .call_method1("get", ("ALEMBIC_CONFIG",))?
        .extract()?;
    let configs: Vec<String> = config.iter().map(|p| p.to_string_lossy().into_owned()).collect();
    let (ini, default_toml) =
        config::config_paths_for(&configs, env.as_deref(), alembic).map_err(errors::py_err(py))?;
    let cwd = std::env::current_dir()
        .map_err(|e| errors::to_pyerr(py, Error::config(format!("cannot read the working directory: {e}"))))?;
    let mut opts = LoadOptions::new(cwd);
    opts.toml_file = Some(toml.unwrap_or_else(|| PathBuf::from(default_toml)));
    opts.resolve_package = Some(python_resolver());
    opts.allow_missing_ini = allow_missing_ini;
    opts.find_services = find_services;
    opts.alembic = alembic;
    let inner = config::load_project(std::path::Path::new(&ini), &opts).map_err(errors::py_err(py))?;
    Ok(PyProject { inner })
}

/// The `(ini, toml)` files the alembic command uses for its `-c` options and
/// `ALEMBIC_CONFIG`, by the rules of Alembic `alembic_version` (default: the
/// installed one). Before 1.16 the last `-c` wins and `toml` is empty.
#[pyfunction]
#[pyo3(signature = (configs, alembic_config_env=None, *, alembic_version=None))]
fn config_paths(
    py: Python<'_>,
    configs: Vec<String>,
    alembic_config_env: Option<String>,
    alembic_version: Option<String>,
) -> PyResult<(String, String)> {
    let alembic = alembic_rules(py, alembic_version.as_deref())?;
    config::config_paths_for(&configs, alembic_config_env.as_deref(), alembic).map_err(errors::py_err(py))
}

/// `text` with the password of every URL replaced by `***`.
#[pyfunction]
fn mask_password(text: &str) -> String {
    config::mask_password(text)
}

/// An ini file as Python's `configparser.ConfigParser(defaults)` reads it.
#[pyclass(frozen, name = "Ini", module = "monomig._native")]
pub struct PyIni {
    inner: Ini,
}

#[pymethods]
impl PyIni {
    /// `sections()`.
    fn sections(&self) -> Vec<String> {
        self.inner.sections().map(str::to_owned).collect()
    }
    fn has_section(&self, section: &str) -> bool {
        self.inner.has_section(section)
    }
    fn has_option(&self, section: &str, option: &str) -> bool {
        self.inner.has_option(section, option)
    }
    /// `items(section, raw=raw)` as a list of pairs.
    #[pyo3(signature = (section, raw=false))]
    fn items(&self, py: Python<'_>, section: &str, raw: bool) -> PyResult<Vec<(String, String)>> {
        let r = if raw {
            self.inner.items_raw(section)
        } else {
            self.inner.items(section)
        };
        r.map_err(|e| ini_err(py, e))
    }
    /// `get(section, option, fallback=None)`.
    fn get(&self, py: Python<'_>, section: &str, option: &str) -> PyResult<Option<String>> {
        self.inner.get(section, option).map_err(|e| ini_err(py, e))
    }
    /// Every section with its `items()`, or the error `items()` raises.
    fn to_dict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let d = PyDict::new(py);
        for name in self.inner.sections() {
            match self.inner.items(name) {
                Ok(items) => d.set_item(name, pairs_dict(py, &items)?)?,
                Err(e) => d.set_item(name, ini_err(py, e).value(py))?,
            }
        }
        Ok(d)
    }
}

fn defaults_vec(defaults: Option<Vec<(String, String)>>) -> Vec<(String, String)> {
    defaults.unwrap_or_default()
}

/// `ConfigParser(defaults).read(path, encoding="utf-8")`, but a missing file is an error.
#[pyfunction]
#[pyo3(signature = (path, defaults=None))]
fn read_ini(py: Python<'_>, path: PathBuf, defaults: Option<Vec<(String, String)>>) -> PyResult<PyIni> {
    let display = path.to_string_lossy().into_owned();
    Ini::read_file(&path, &display, &defaults_vec(defaults))
        .map(|inner| PyIni { inner })
        .map_err(|e| ini_err(py, e))
}

/// `ConfigParser(defaults).read_string(text, source)`.
#[pyfunction]
#[pyo3(signature = (text, source="<string>", defaults=None))]
fn parse_ini(py: Python<'_>, text: &str, source: &str, defaults: Option<Vec<(String, String)>>) -> PyResult<PyIni> {
    Ini::parse_with_defaults(text, source, &defaults_vec(defaults))
        .map(|inner| PyIni { inner })
        .map_err(|e| ini_err(py, e))
}

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<PyProject>()?;
    m.add_class::<PyService>()?;
    m.add_class::<PyIni>()?;
    m.add_function(wrap_pyfunction!(load_project, m)?)?;
    m.add_function(wrap_pyfunction!(config_paths, m)?)?;
    m.add_function(wrap_pyfunction!(mask_password, m)?)?;
    m.add_function(wrap_pyfunction!(read_ini, m)?)?;
    m.add_function(wrap_pyfunction!(parse_ini, m)?)?;
    Ok(())
}
