//! The running Python's `compile()` as the core's syntax-error reporter
//! (`scripts::syntax`): a revision file that does not compile is reported with
//! Python's own message, line, column and text.

use std::path::Path;

use pyo3::exceptions::{PySyntaxError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyDict};

use crate::scripts::syntax::{self, Compiled, PythonSyntaxError};

/// `compile(source, path, "exec", dont_inherit=True)` on the file's bytes, as
/// importlib compiles a module's source (the bytes: Python decodes them by the
/// file's own rules). Called from the core's reading threads, which do not hold
/// the interpreter: every binding that reads revision files detaches first.
fn python_compile(path: &Path, source: &[u8]) -> Option<Compiled> {
    Python::attach(|py| -> PyResult<Compiled> {
        let kw = PyDict::new(py);
        kw.set_item("dont_inherit", true)?;
        let compile = py.import("builtins")?.getattr("compile")?;
        let Err(err) = compile.call((PyBytes::new(py, source), path, "exec"), Some(&kw)) else {
            return Ok(Compiled::Compiles);
        };
        let value = err.value(py);
        let kind = value.get_type().name()?.to_string();
        if err.is_instance_of::<PySyntaxError>(py) {
            let msg: Option<String> = value.getattr("msg")?.extract()?;
            let line: Option<i64> = value.getattr("lineno")?.extract()?;
            let column: Option<i64> = value.getattr("offset")?.extract()?;
            let text: Option<String> = value.getattr("text")?.extract()?;
            Ok(Compiled::Fails(PythonSyntaxError {
                kind,
                msg: msg.unwrap_or_default(),
                line: line.and_then(|l| u32::try_from(l).ok()),
                column: column.and_then(|c| u32::try_from(c).ok()),
                text,
            }))
        } else if err.is_instance_of::<PyValueError>(py) {
            Ok(Compiled::Fails(PythonSyntaxError {
                kind,
                msg: value.str()?.to_string(),
                line: None,
                column: None,
                text: None,
            }))
        } else {
            Err(err)
        }
    })
    .ok()
}

pub fn register(_m: &Bound<'_, PyModule>) -> PyResult<()> {
    syntax::set_compiler(python_compile);
    Ok(())
}
