//! `monomig.Error` → the Python exception hierarchy rooted at `monomig.MonomigError`.
//!
//! ```text
//! MonomigError
//! ├── ConfigError
//! ├── RevisionError                 (graph and revision-file problems)
//! │   ├── ScriptError               (a revision file cannot be read)
//! │   ├── MultipleHeads             (.heads, .argument)
//! │   ├── ResolutionError           (.argument)
//! │   ├── RangeNotAncestorError     (.lower, .upper)
//! │   ├── CommandError              (Alembic's CommandError texts, from plans)
//! │   └── CycleDetected             (.revisions)
//! │       ├── DependencyCycleDetected
//! │       │   └── DependencyLoopDetected
//! │       └── LoopDetected
//! ├── DatabaseError
//! └── LockError
//! ```

use pyo3::BoundObject;
use pyo3::exceptions::PyException;
use pyo3::prelude::*;
use pyo3::types::PyTuple;

use crate::error::{Error, RevisionErrorKind};

pyo3::create_exception!(monomig, MonomigError, PyException, "Base class of every monomig error.");
pyo3::create_exception!(
    monomig,
    ConfigError,
    MonomigError,
    "alembic.ini or pyproject.toml cannot be used."
);
pyo3::create_exception!(
    monomig,
    RevisionError,
    MonomigError,
    "The revision graph or a revision identifier is invalid."
);
pyo3::create_exception!(monomig, ScriptError, RevisionError, "A revision file cannot be read.");
pyo3::create_exception!(
    monomig,
    MultipleHeads,
    RevisionError,
    "Several heads answer an identifier that needs one."
);
pyo3::create_exception!(
    monomig,
    ResolutionError,
    RevisionError,
    "A revision identifier does not resolve."
);
pyo3::create_exception!(
    monomig,
    RangeNotAncestorError,
    RevisionError,
    "The lower revision is not an ancestor of the upper one."
);
pyo3::create_exception!(
    monomig,
    CycleDetected,
    RevisionError,
    "The down_revision links form a cycle."
);
pyo3::create_exception!(
    monomig,
    DependencyCycleDetected,
    CycleDetected,
    "The depends_on links form a cycle."
);
pyo3::create_exception!(
    monomig,
    LoopDetected,
    CycleDetected,
    "A revision names itself as its down_revision."
);
pyo3::create_exception!(
    monomig,
    DependencyLoopDetected,
    DependencyCycleDetected,
    "A revision depends on itself."
);
pyo3::create_exception!(
    monomig,
    CommandError,
    RevisionError,
    "A command cannot proceed with the given revisions (Alembic's CommandError)."
);
pyo3::create_exception!(
    monomig,
    DatabaseError,
    MonomigError,
    "A database cannot be reached or answered with an error."
);
pyo3::create_exception!(monomig, LockError, MonomigError, "A migration lock cannot be taken.");

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    let py = m.py();
    m.add("MonomigError", py.get_type::<MonomigError>())?;
    m.add("ConfigError", py.get_type::<ConfigError>())?;
    m.add("RevisionError", py.get_type::<RevisionError>())?;
    m.add("ScriptError", py.get_type::<ScriptError>())?;
    m.add("MultipleHeads", py.get_type::<MultipleHeads>())?;
    m.add("ResolutionError", py.get_type::<ResolutionError>())?;
    m.add("RangeNotAncestorError", py.get_type::<RangeNotAncestorError>())?;
    m.add("CycleDetected", py.get_type::<CycleDetected>())?;
    m.add("DependencyCycleDetected", py.get_type::<DependencyCycleDetected>())?;
    m.add("LoopDetected", py.get_type::<LoopDetected>())?;
    m.add("DependencyLoopDetected", py.get_type::<DependencyLoopDetected>())?;
    m.add("CommandError", py.get_type::<CommandError>())?;
    m.add("DatabaseError", py.get_type::<DatabaseError>())?;
    m.add("LockError", py.get_type::<LockError>())?;
    Ok(())
}

/// Turn a core error into the matching Python exception, with Alembic's
/// attributes (`heads`, `argument`, `lower`, `upper`, `revisions`) where they apply.
pub fn to_pyerr(py: Python<'_>, err: Error) -> PyErr {
    let (pyerr, attrs): (PyErr, Vec<(&str, Py<PyAny>)>) = match err {
        Error::Config(d) => (ConfigError::new_err(d.message), vec![]),
        Error::Script(d) => (ScriptError::new_err(d.message), vec![]),
        Error::Database(d) => (DatabaseError::new_err(d.message), vec![]),
        Error::Lock(d) => (LockError::new_err(d.message), vec![]),
        Error::Revision { kind, message } => match kind {
            RevisionErrorKind::Generic => (RevisionError::new_err(message), vec![]),
            RevisionErrorKind::Command => (CommandError::new_err(message), vec![]),
            RevisionErrorKind::MultipleHeads { heads, argument } => (
                MultipleHeads::new_err(message),
                vec![("heads", tuple(py, heads)), ("argument", object(py, argument))],
            ),
            RevisionErrorKind::Resolution { argument } => (
                ResolutionError::new_err(message),
                vec![("argument", object(py, argument))],
            ),
            RevisionErrorKind::RangeNotAncestor { lower, upper } => (
                RangeNotAncestorError::new_err(message),
                vec![("lower", object(py, lower)), ("upper", object(py, upper))],
            ),
            RevisionErrorKind::Cycle { revisions } => (
                CycleDetected::new_err(message),
                vec![("revisions", list(py, revisions))],
            ),
            RevisionErrorKind::DependencyCycle { revisions } => (
                DependencyCycleDetected::new_err(message),
                vec![("revisions", list(py, revisions))],
            ),
            RevisionErrorKind::Loop { revision } => (
                LoopDetected::new_err(message),
                vec![("revisions", list(py, vec![revision]))],
            ),
            RevisionErrorKind::DependencyLoop { revision } => (
                DependencyLoopDetected::new_err(message),
                vec![("revisions", list(py, vec![revision]))],
            ),
        },
    };
    let value = pyerr.value(py);
    for (name, obj) in attrs {
        let _ = value.setattr(name, obj);
    }
    pyerr
}

/// A Python object for an attribute of an exception (`None` if it cannot be made).
fn object<'py>(py: Python<'py>, value: impl IntoPyObject<'py>) -> Py<PyAny> {
    value
        .into_pyobject(py)
        .map(|o| o.into_any().unbind())
        .unwrap_or_else(|_| py.None())
}

fn list(py: Python<'_>, items: Vec<String>) -> Py<PyAny> {
    object(py, pyo3::types::PyList::new(py, items).ok())
}

fn tuple(py: Python<'_>, items: Vec<String>) -> Py<PyAny> {
    object(py, PyTuple::new(py, items).ok())
}

/// `?`-friendly conversion for binding functions: `core_call().map_err(py_err(py))?`.
pub fn py_err(py: Python<'_>) -> impl Fn(Error) -> PyErr + '_ {
    move |e| to_pyerr(py, e)
}
