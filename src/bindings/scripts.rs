//! `monomig._native.scan_revisions` and `read_revision_file`: revision files
//! read without importing them, shaped as Alembic's `Script` shows them.

use std::path::PathBuf;

use pyo3::prelude::*;
use pyo3::types::{PyString, PyTuple};

use super::errors;
use crate::scripts::{self, Dialect, ScriptSource};

/// One revision file as Alembic would load it. When `needs_import` is true the
/// values could not be read from the text (`reason` says why): only `path` is
/// set, and the file must be imported as Alembic imports it.
#[pyclass(frozen, name = "RevisionEntry", module = "monomig._native")]
pub struct RevisionEntry {
    source: ScriptSource,
}

impl RevisionEntry {
    /// The graph's input for a statically read entry (None when it needs import).
    pub(crate) fn graph_input(&self) -> Option<crate::graph::RevisionInput> {
        match &self.source {
            // Only what the graph keeps: no copy of the docstrings and imports.
            ScriptSource::Static(f) => Some(crate::graph::RevisionInput {
                revision: f.revision.clone(),
                down_revision: f.down_revision.clone(),
                dependencies: f.depends_on.clone(),
                branch_labels: f.branch_labels.clone(),
                path: Some(f.path.clone()),
            }),
            ScriptSource::NeedsImport { .. } => None,
        }
    }

    /// `Script.doc` and `Script.longdoc` of a statically read entry, as the report shows them.
    pub(crate) fn report_doc(&self) -> Option<crate::report::Doc> {
        match &self.source {
            ScriptSource::Static(f) => Some(crate::report::Doc {
                doc: f.doc.clone(),
                longdoc: f.longdoc.clone(),
            }),
            ScriptSource::NeedsImport { .. } => None,
        }
    }
}

fn scalar<'py>(py: Python<'py>, items: &[String]) -> PyResult<Bound<'py, PyAny>> {
    // Alembic's tuple_rev_as_scalar(to_tuple(x)).
    Ok(match items {
        [] => py.None().into_bound(py),
        [one] => PyString::new(py, one).into_any(),
        many => PyTuple::new(py, many)?.into_any(),
    })
}

#[pymethods]
impl RevisionEntry {
    /// The resolved path, as Alembic's `Script.path`.
    #[getter]
    fn path<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        Ok(self.source.path().as_os_str().into_pyobject(py)?.into_any())
    }

    /// True when the file must be imported to know its values.
    #[getter]
    fn needs_import(&self) -> bool {
        matches!(self.source, ScriptSource::NeedsImport { .. })
    }

    /// Why the file must be imported; None when it was read statically.
    #[getter]
    fn reason(&self) -> Option<&str> {
        match &self.source {
            ScriptSource::NeedsImport { reason, .. } => Some(reason),
            ScriptSource::Static(_) => None,
        }
    }

    /// The modules the file imports in code that runs at import (module level,
    /// `try`/`if` bodies; not `if TYPE_CHECKING:`, not function bodies), in order,
    /// as absolute dotted names; relative imports are resolved from the file's
    /// package, or kept as written when the file is not in one.
    #[getter]
    fn module_imports<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyTuple>> {
        PyTuple::new(py, self.source.module_imports())
    }

    #[getter]
    fn revision(&self) -> Option<&str> {
        match &self.source {
            ScriptSource::Static(f) => Some(&f.revision),
            ScriptSource::NeedsImport { .. } => None,
        }
    }

    /// True when `revision` was taken from a legacy hexadecimal file name.
    #[getter]
    fn revision_from_filename(&self) -> bool {
        match &self.source {
            ScriptSource::Static(f) => f.revision_from_filename,
            ScriptSource::NeedsImport { .. } => false,
        }
    }

    /// As `Script.down_revision`: None, a str, or a tuple of str.
    #[getter]
    fn down_revision<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        match &self.source {
            ScriptSource::Static(f) => scalar(py, &f.down_revision),
            ScriptSource::NeedsImport { .. } => Ok(py.None().into_bound(py)),
        }
    }

    /// As `Script._orig_branch_labels`: a tuple in the file's order.
    #[getter]
    fn branch_labels<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyTuple>> {
        match &self.source {
            ScriptSource::Static(f) => PyTuple::new(py, &f.branch_labels),
            ScriptSource::NeedsImport { .. } => Ok(PyTuple::empty(py)),
        }
    }

    /// As `Script.dependencies`: None, a str, or a tuple of str.
    #[getter]
    fn depends_on<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        match &self.source {
            ScriptSource::Static(f) => scalar(py, &f.depends_on),
            ScriptSource::NeedsImport { .. } => Ok(py.None().into_bound(py)),
        }
    }

    /// The module's `__doc__` as the running Python would compile it.
    #[getter]
    fn module_doc(&self) -> Option<&str> {
        match &self.source {
            ScriptSource::Static(f) => f.module_doc.as_deref(),
            ScriptSource::NeedsImport { .. } => None,
        }
    }

    /// As `Script.doc`.
    #[getter]
    fn doc(&self) -> Option<&str> {
        match &self.source {
            ScriptSource::Static(f) => Some(&f.doc),
            ScriptSource::NeedsImport { .. } => None,
        }
    }

    /// As `Script.longdoc`.
    #[getter]
    fn longdoc(&self) -> Option<&str> {
        match &self.source {
            ScriptSource::Static(f) => Some(&f.longdoc),
            ScriptSource::NeedsImport { .. } => None,
        }
    }

    fn __repr__(&self) -> String {
        match &self.source {
            ScriptSource::Static(f) => format!(
                "RevisionEntry(path={:?}, revision={:?}, down_revision={:?})",
                f.path.display().to_string(),
                f.revision,
                f.down_revision
            ),
            ScriptSource::NeedsImport { path, reason, .. } => format!(
                "RevisionEntry(path={:?}, needs_import=True, reason={:?})",
                path.display().to_string(),
                reason
            ),
        }
    }
}

/// The running Python's behaviour, and the installed Alembic's revision id rules.
fn dialect(py: Python<'_>) -> PyResult<Dialect> {
    let v = py.version_info();
    let mut d = Dialect::python(v.major as u32, v.minor as u32);
    d.ids = super::config::id_rules(py)?;
    Ok(d)
}

/// Discover and read the revision files of one service's version locations,
/// in Alembic's load order. Returns `(entries, warnings)`. With `cache` (the
/// default) unchanged files are answered from the scan cache (see
/// `scripts::cache`: `MONOMIG_CACHE_DIR`, `MONOMIG_CACHE=0`); the answer is the same.
///
/// `search_path` (absolute folders, the section's `prepend_sys_path`): a file whose
/// values are built from names imported from a module found there, bound to a
/// literal, is answered statically (see `scripts::resolve`) instead of needing import.
#[pyfunction]
#[pyo3(signature = (version_locations, recursive = false, sourceless = false, cache = true, search_path = None))]
fn scan_revisions(
    py: Python<'_>,
    version_locations: Vec<PathBuf>,
    recursive: bool,
    sourceless: bool,
    cache: bool,
    search_path: Option<Vec<PathBuf>>,
) -> PyResult<(Vec<RevisionEntry>, Vec<String>)> {
    let d = dialect(py)?;
    let search_path = search_path.unwrap_or_default();
    let scan = py
        .detach(|| -> crate::Result<scripts::Scan> {
            let dir = if cache { scripts::cache::dir_from_env() } else { None };
            let mut scan = scripts::scan_cached(&version_locations, recursive, sourceless, &d, dir.as_deref())?;
            if !search_path.is_empty() {
                let sources = std::mem::take(&mut scan.scripts);
                scan.scripts = sources
                    .into_iter()
                    .map(|s| scripts::resolve(s, &search_path, &d))
                    .collect::<crate::Result<_>>()?;
            }
            Ok(scan)
        })
        .map_err(errors::py_err(py))?;
    *LAST_CACHE_STATS.lock().unwrap_or_else(|e| e.into_inner()) = scan.cache;
    let entries = scan
        .scripts
        .into_iter()
        .map(|source| RevisionEntry { source })
        .collect();
    Ok((entries, scan.warnings))
}

/// The folder the scan cache uses in this environment (`MONOMIG_CACHE_DIR`, else
/// `$XDG_CACHE_HOME/monomig`, else `~/.cache/monomig`), or None when
/// `MONOMIG_CACHE=0` turns it off (or no folder can be named). For `monomig doctor`.
#[pyfunction]
fn scan_cache_dir() -> Option<String> {
    scripts::cache::dir_from_env().map(|d| d.to_string_lossy().into_owned())
}

static LAST_CACHE_STATS: std::sync::Mutex<scripts::CacheStats> = std::sync::Mutex::new(scripts::CacheStats {
    hits: 0,
    reads: 0,
    written: false,
});

/// What the scan cache did in this process's last `scan_revisions`: a dict with
/// `hits` (files answered from the cache), `reads` (files read and parsed) and
/// `written` (whether the cache file was rewritten). For diagnostics and tests.
#[pyfunction]
fn last_scan_cache_stats(py: Python<'_>) -> PyResult<Bound<'_, pyo3::types::PyDict>> {
    let s = *LAST_CACHE_STATS.lock().unwrap_or_else(|e| e.into_inner());
    let d = pyo3::types::PyDict::new(py);
    d.set_item("hits", s.hits)?;
    d.set_item("reads", s.reads)?;
    d.set_item("written", s.written)?;
    Ok(d)
}

/// Read one revision file without importing it (`search_path` as for `scan_revisions`).
#[pyfunction]
#[pyo3(signature = (path, search_path = None))]
fn read_revision_file(py: Python<'_>, path: PathBuf, search_path: Option<Vec<PathBuf>>) -> PyResult<RevisionEntry> {
    let d = dialect(py)?;
    let search_path = search_path.unwrap_or_default();
    let source = py
        .detach(|| scripts::resolve(scripts::read_revision_file_with(&path, &d)?, &search_path, &d))
        .map_err(errors::py_err(py))?;
    Ok(RevisionEntry { source })
}

/// The absolute imports of a revision file that run at import, in order: `(module,
/// names)` with the names of `from module import names` (see `scripts::import_statements`).
#[pyfunction]
fn import_statements(py: Python<'_>, path: PathBuf) -> PyResult<Vec<(String, Vec<String>)>> {
    py.detach(|| scripts::import_statements(&path))
        .map_err(|e| pyo3::exceptions::PyOSError::new_err(format!("{}: {e}", path.display())))
}

/// Only the discovery: the resolved paths Alembic would load, and its warnings.
#[pyfunction]
#[pyo3(signature = (version_locations, recursive = false, sourceless = false))]
fn discover_revision_files(
    py: Python<'_>,
    version_locations: Vec<PathBuf>,
    recursive: bool,
    sourceless: bool,
) -> PyResult<(Vec<std::ffi::OsString>, Vec<String>)> {
    let d = dialect(py)?;
    let found = py
        .detach(|| scripts::discover_with(&version_locations, recursive, sourceless, &d))
        .map_err(errors::py_err(py))?;
    let files = found.files.into_iter().map(PathBuf::into_os_string).collect();
    Ok((files, found.warnings))
}

/// The engine's whole static path for one folder, for `make bench`: discover,
/// read and parse every file, build the graph. Returns the number of revisions.
/// Files that need importing make it fail: the benchmark's files never do.
#[pyfunction]
#[pyo3(signature = (versions_dir, recursive = false))]
fn bench_scan(py: Python<'_>, versions_dir: PathBuf, recursive: bool) -> PyResult<usize> {
    let d = dialect(py)?;
    py.detach(|| -> crate::Result<usize> {
        let scan = scripts::scan_with(&[versions_dir], recursive, false, &d)?;
        let mut inputs = Vec::with_capacity(scan.scripts.len());
        for source in scan.scripts {
            match source {
                ScriptSource::Static(f) => inputs.push(f.into()),
                ScriptSource::NeedsImport { path, reason, .. } => {
                    return Err(crate::Error::script(format!(
                        "{}: {reason}; bench_scan reads only statically readable files",
                        path.display()
                    )));
                }
            }
        }
        Ok(crate::graph::Graph::build(inputs)?.len())
    })
    .map_err(errors::py_err(py))
}

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<RevisionEntry>()?;
    m.add_function(wrap_pyfunction!(scan_revisions, m)?)?;
    m.add_function(wrap_pyfunction!(last_scan_cache_stats, m)?)?;
    m.add_function(wrap_pyfunction!(scan_cache_dir, m)?)?;
    m.add_function(wrap_pyfunction!(read_revision_file, m)?)?;
    m.add_function(wrap_pyfunction!(import_statements, m)?)?;
    m.add_function(wrap_pyfunction!(discover_revision_files, m)?)?;
    m.add_function(wrap_pyfunction!(bench_scan, m)?)?;
    Ok(())
}
