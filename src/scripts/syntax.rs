//! Python's own syntax errors.
//!
//! The static reader knows when Python would refuse to compile a revision file,
//! but what Python says about it (the message, the line, the column, the text
//! of the line) is chosen by Python's parser and differs between Python
//! versions: only the running Python can say it. The Python bindings install a
//! [`Compiler`] that asks the running interpreter's `compile()`; the error of a
//! file that does not compile then carries exactly what `compile()` reports,
//! in every command that reads revision files (`check`, `status`, the fleet
//! runner, the fast commands, the bridge), since they all read through here.
//! Without a compiler (the pure-Rust API, `cargo test`) the reader's own
//! message stands.
//!
//! Should Python compile a file the reader took for broken, the file is
//! answered as "needs import", so that Python, not the reader, decides; a file
//! the reader leaves to Python ("needs import") that Python cannot compile is
//! that error, found before anything would import it.

use std::path::Path;
use std::sync::OnceLock;

use super::{ScriptSource, script_error};
use crate::error::{Error, Result};

/// What the running Python's `compile()` raised for a file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PythonSyntaxError {
    /// The exception's class name (`SyntaxError`, `IndentationError`, `TabError`,
    /// or `ValueError` where an older Python refuses NUL bytes that way).
    pub kind: String,
    /// The exception's `msg` (its text for exceptions other than `SyntaxError`).
    pub msg: String,
    /// `lineno`, when Python gives one.
    pub line: Option<u32>,
    /// `offset` (1-based column), when Python gives one.
    pub column: Option<u32>,
    /// `text`, the source line Python shows, when it gives one.
    pub text: Option<String>,
}

/// What the running Python says about a file's bytes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Compiled {
    /// `compile()` accepted the file.
    Compiles,
    /// `compile()` raised this.
    Fails(PythonSyntaxError),
}

/// Compile the bytes of the file at the path as the running Python's import
/// would; `None` when Python could not be asked.
pub type Compiler = fn(&Path, &[u8]) -> Option<Compiled>;

static COMPILER: OnceLock<Compiler> = OnceLock::new();

/// Install the compiler that reports syntax errors (once per process; later
/// calls change nothing). The Python bindings call it when the module loads.
pub fn set_compiler(compiler: Compiler) {
    let _ = COMPILER.set(compiler);
}

/// The answer for a file the reader found Python would not compile (`line`,
/// `msg`: the reader's own finding, used when no Python is there to ask).
pub(super) fn does_not_compile(
    path: &Path,
    raw: &[u8],
    line: u32,
    msg: &str,
    module_imports: Vec<String>,
) -> Result<ScriptSource> {
    match COMPILER.get().and_then(|compile| compile(path, raw)) {
        None => Err(script_error(path, Some(line), msg)),
        Some(Compiled::Fails(e)) => Err(python_error(path, &e, line)),
        Some(Compiled::Compiles) => Ok(ScriptSource::NeedsImport {
            path: path.to_path_buf(),
            reason: format!(
                "monomig's reader stopped at line {line} ({msg}) but Python compiles the file; it is imported instead"
            ),
            module_imports,
        }),
    }
}

/// The answer for a file the reader leaves to Python (`reason`: why): "needs import",
/// unless Python cannot compile it, which is then the error, with Python's words. Only
/// such files are compiled here: reading a file statically never asks Python.
pub(super) fn needs_import(
    path: &Path,
    raw: &[u8],
    reason: String,
    module_imports: Vec<String>,
) -> Result<ScriptSource> {
    match COMPILER.get().and_then(|compile| compile(path, raw)) {
        Some(Compiled::Fails(e)) => Err(python_error(path, &e, 1)),
        None | Some(Compiled::Compiles) => Ok(ScriptSource::NeedsImport {
            path: path.to_path_buf(),
            reason,
            module_imports,
        }),
    }
}

/// The error for a file Python refuses, with Python's own words. `fallback_line`
/// stands in when Python names no line.
fn python_error(path: &Path, e: &PythonSyntaxError, fallback_line: u32) -> Error {
    let line = e.line.filter(|l| *l > 0).unwrap_or(fallback_line);
    let mut place = format!("line {line}");
    if let Some(c) = e.column.filter(|c| *c > 0) {
        place.push_str(&format!(", column {c}"));
    }
    let text = e.text.as_deref().map(str::trim).filter(|t| !t.is_empty());
    let at = text.map(|t| format!(", at `{t}`")).unwrap_or_default();
    // Python says "invalid syntax" on a merge conflict marker: say what it is.
    let conflict = text.is_some_and(|t| ["<<<<<<<", "=======", ">>>>>>>"].iter().any(|m| t.starts_with(m)));
    let hint = if conflict {
        " The line is a merge conflict marker: resolve the conflict."
    } else {
        ""
    };
    // Python's message ends the clause inside parentheses, so that nothing is
    // appended to its own punctuation ("Perhaps you forgot a comma?").
    Error::script(format!(
        "Revision file {}, {place}: {}: {} (the running Python's compile(){at}).{hint} Alembic cannot load the \
         file either; fix it or remove it from the version location.",
        path.display(),
        e.kind,
        e.msg
    ))
    .at_path(path)
    .at_line(line as usize)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn without_python_the_readers_words_stand_without_doubled_punctuation() {
        // No compiler is installed in `cargo test`.
        let src = b"revision = 'a'\ndown_revision = None\nx = f(a b)\n";
        let err = crate::scripts::read_revision_source(Path::new("/v/a.py"), src).unwrap_err();
        let text = err.to_string();
        assert!(
            text.contains("line 3: invalid syntax. Perhaps you forgot a comma? Python cannot"),
            "{text}"
        );
        assert!(!text.contains("?."), "{text}");
    }

    #[test]
    fn python_words_are_kept_without_added_punctuation() {
        let e = PythonSyntaxError {
            kind: "SyntaxError".into(),
            msg: "invalid syntax. Perhaps you forgot a comma?".into(),
            line: Some(23),
            column: Some(5),
            text: Some("    op.create_table(\n".into()),
        };
        let err = python_error(Path::new("/v/a.py"), &e, 29);
        assert_eq!(
            err.to_string(),
            "Revision file /v/a.py, line 23, column 5: SyntaxError: invalid syntax. Perhaps you forgot a comma? \
             (the running Python's compile(), at `op.create_table(`). Alembic cannot load the file either; fix it \
             or remove it from the version location."
        );
        assert_eq!(err.line(), Some(23));
        let bare = PythonSyntaxError {
            kind: "ValueError".into(),
            msg: "source code string cannot contain null bytes".into(),
            line: None,
            column: None,
            text: None,
        };
        let err = python_error(Path::new("/v/a.py"), &bare, 3);
        assert!(err.to_string().starts_with(
            "Revision file /v/a.py, line 3: ValueError: source code string cannot contain null bytes (the running"
        ));
    }
}
