//! The one error type of monomig. The bindings map each variant to one class of
//! the Python hierarchy rooted at `monomig.MonomigError`.

use std::fmt;

/// What kind of revision-graph error this is; each mirrors an Alembic exception
/// class so the bridge can raise exactly what Alembic would.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RevisionErrorKind {
    /// `alembic.script.revision.RevisionError` itself.
    Generic,
    /// `MultipleHeads(heads, argument)`.
    MultipleHeads {
        heads: Vec<String>,
        argument: Option<String>,
    },
    /// `ResolutionError(message, argument)`.
    Resolution { argument: String },
    /// `RangeNotAncestorError(lower, upper)`.
    RangeNotAncestor {
        lower: Option<String>,
        upper: Option<String>,
    },
    /// `CycleDetected(revisions)`.
    Cycle { revisions: Vec<String> },
    /// `DependencyCycleDetected(revisions)`.
    DependencyCycle { revisions: Vec<String> },
    /// `LoopDetected(revision)`.
    Loop { revision: String },
    /// `DependencyLoopDetected(revision)`.
    DependencyLoop { revision: String },
    /// `alembic.util.CommandError`, as `ScriptDirectory._catch_revision_errors`
    /// turns revision errors into it for the commands.
    Command,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Error {
    /// `alembic.ini` / `pyproject.toml` could not be read or is not valid.
    Config(String),
    /// A revision file could not be read (I/O, syntax, encoding).
    Script(String),
    /// The revision graph is inconsistent or an identifier cannot be resolved.
    Revision { kind: RevisionErrorKind, message: String },
    /// A database could not be reached or answered with an error.
    Database(String),
    /// A migration lock could not be taken or released.
    Lock(String),
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    pub fn config(msg: impl Into<String>) -> Self {
        Error::Config(msg.into())
    }
    pub fn script(msg: impl Into<String>) -> Self {
        Error::Script(msg.into())
    }
    pub fn database(msg: impl Into<String>) -> Self {
        Error::Database(msg.into())
    }
    pub fn lock(msg: impl Into<String>) -> Self {
        Error::Lock(msg.into())
    }
    pub fn revision(kind: RevisionErrorKind, msg: impl Into<String>) -> Self {
        Error::Revision {
            kind,
            message: msg.into(),
        }
    }
    /// A plain `RevisionError` with Alembic's message.
    pub fn revision_generic(msg: impl Into<String>) -> Self {
        Error::Revision {
            kind: RevisionErrorKind::Generic,
            message: msg.into(),
        }
    }

    /// The message, without the kind.
    pub fn message(&self) -> &str {
        match self {
            Error::Config(m) | Error::Script(m) | Error::Database(m) | Error::Lock(m) => m,
            Error::Revision { message, .. } => message,
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.message())
    }
}

impl std::error::Error for Error {}
