//! The one error type of monomig. The bindings map each variant to one class of
//! the Python hierarchy rooted at `monomig.MonomigError`.
//!
//! Each variant keeps what the error is about as data ([`Detail`]: the file,
//! line, section, option and service where the problem was found, and the
//! underlying error when there is one, through [`std::error::Error::source`]),
//! beside the one-paragraph message that [`Display`](fmt::Display) prints.

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// What kind of revision-graph error this is; each mirrors an Alembic exception
/// class so the bridge can raise exactly what Alembic would.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
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

/// The underlying error of a [`Detail`], shared so that errors stay `Clone`.
#[derive(Clone)]
struct Source(Arc<dyn std::error::Error + Send + Sync + 'static>);

impl fmt::Debug for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.0, f)
    }
}

/// What a configuration, revision-file, database or lock error is about: its
/// message and, where known, the place it was found and the error beneath it.
/// Boxed in [`Error`], so that a `Result` stays small.
#[derive(Debug, Clone, Default)]
#[non_exhaustive]
pub struct Detail {
    /// One paragraph saying what is wrong and what to do (what `Display` prints).
    pub message: String,
    /// The file the problem is in (an `alembic.ini`, a `pyproject.toml`, a revision file).
    pub path: Option<PathBuf>,
    /// The 1-based line of `path` the problem is on.
    pub line: Option<usize>,
    /// The ini section (or `pyproject.toml` table) the problem is in.
    pub section: Option<String>,
    /// The option of `section` the problem is about.
    pub option: Option<String>,
    /// The service (the `-n` section) the problem belongs to.
    pub service: Option<String>,
    source: Option<Source>,
}

impl Detail {
    fn new(message: String) -> Self {
        Detail {
            message,
            ..Detail::default()
        }
    }
}

/// Two details are equal when everything but the underlying error's identity
/// is: the sources compare by their text.
impl PartialEq for Detail {
    fn eq(&self, other: &Self) -> bool {
        self.message == other.message
            && self.path == other.path
            && self.line == other.line
            && self.section == other.section
            && self.option == other.option
            && self.service == other.service
            && self.source.as_ref().map(|s| s.0.to_string()) == other.source.as_ref().map(|s| s.0.to_string())
    }
}

impl Eq for Detail {}

#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Error {
    /// `alembic.ini` / `pyproject.toml` could not be read or is not valid.
    Config(Box<Detail>),
    /// A revision file could not be read (I/O, syntax, encoding).
    Script(Box<Detail>),
    /// The revision graph is inconsistent or an identifier cannot be resolved.
    Revision { kind: RevisionErrorKind, message: String },
    /// A database could not be reached or answered with an error.
    Database(Box<Detail>),
    /// A migration lock could not be taken or released.
    Lock(Box<Detail>),
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    pub fn config(msg: impl Into<String>) -> Self {
        Error::Config(Box::new(Detail::new(msg.into())))
    }
    pub fn script(msg: impl Into<String>) -> Self {
        Error::Script(Box::new(Detail::new(msg.into())))
    }
    pub fn database(msg: impl Into<String>) -> Self {
        Error::Database(Box::new(Detail::new(msg.into())))
    }
    pub fn lock(msg: impl Into<String>) -> Self {
        Error::Lock(Box::new(Detail::new(msg.into())))
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
            Error::Config(d) | Error::Script(d) | Error::Database(d) | Error::Lock(d) => &d.message,
            Error::Revision { message, .. } => message,
        }
    }

    /// What the error is about, for every kind but [`Error::Revision`].
    pub fn detail(&self) -> Option<&Detail> {
        match self {
            Error::Config(d) | Error::Script(d) | Error::Database(d) | Error::Lock(d) => Some(&**d),
            Error::Revision { .. } => None,
        }
    }

    fn detail_mut(&mut self) -> Option<&mut Detail> {
        match self {
            Error::Config(d) | Error::Script(d) | Error::Database(d) | Error::Lock(d) => Some(&mut **d),
            Error::Revision { .. } => None,
        }
    }

    /// Change the [`Detail`]; an [`Error::Revision`] (Alembic's own
    /// exception, which carries its own data) stays as it is.
    fn with(mut self, set: impl FnOnce(&mut Detail)) -> Self {
        if let Some(d) = self.detail_mut() {
            set(d);
        }
        self
    }

    /// The file the problem is in.
    pub fn at_path(self, path: impl AsRef<Path>) -> Self {
        self.with(|d| d.path = Some(path.as_ref().to_path_buf()))
    }

    /// The 1-based line of the file the problem is on.
    pub fn at_line(self, line: usize) -> Self {
        self.with(|d| d.line = Some(line))
    }

    /// The ini section (or `pyproject.toml` table) and, when given, its option.
    pub fn in_section(self, section: impl Into<String>, option: Option<&str>) -> Self {
        self.with(|d| {
            d.section = Some(section.into());
            d.option = option.map(str::to_owned);
        })
    }

    /// The service the problem belongs to.
    pub fn for_service(self, service: impl Into<String>) -> Self {
        self.with(|d| d.service = Some(service.into()))
    }

    /// The error beneath this one (an I/O error, a parse error), which
    /// [`std::error::Error::source`] then returns.
    pub fn caused_by(self, source: impl std::error::Error + Send + Sync + 'static) -> Self {
        self.with(|d| d.source = Some(Source(Arc::new(source))))
    }

    /// The file the problem is in, when known.
    pub fn path(&self) -> Option<&Path> {
        self.detail()?.path.as_deref()
    }

    /// The line the problem is on, when known.
    pub fn line(&self) -> Option<usize> {
        self.detail()?.line
    }

    /// The section the problem is in, when known.
    pub fn section(&self) -> Option<&str> {
        self.detail()?.section.as_deref()
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.message())
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        let source = self.detail()?.source.as_ref()?;
        Some(&*source.0 as &(dyn std::error::Error + 'static))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::error::Error as _;

    #[test]
    fn message_and_place_are_kept_apart() {
        let io = std::io::Error::new(std::io::ErrorKind::NotFound, "gone");
        let e = Error::config("cannot read alembic.ini: no such file")
            .at_path("alembic.ini")
            .at_line(3)
            .in_section("service_one", Some("script_location"))
            .caused_by(io);
        assert_eq!(e.to_string(), "cannot read alembic.ini: no such file");
        assert_eq!(e.path(), Some(Path::new("alembic.ini")));
        assert_eq!(e.line(), Some(3));
        assert_eq!(e.section(), Some("service_one"));
        assert_eq!(e.detail().unwrap().option.as_deref(), Some("script_location"));
        assert_eq!(e.source().map(|s| s.to_string()).as_deref(), Some("gone"));
        assert_eq!(e.clone(), e);
        assert!(Error::script("x").source().is_none());
        let r = Error::revision_generic("no such revision").at_path("x.py");
        assert_eq!((r.path(), r.detail()), (None, None));
    }
}
