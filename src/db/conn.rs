//! One connection to one database, with a connect timeout, and connection failures
//! classified into one-paragraph messages that show the masked URL and never a password.

use std::fmt;
use std::path::Path;
use std::time::Duration;

use sqlx::Connection;
use sqlx::mysql::{MySqlConnection, MySqlDatabaseError};
use sqlx::postgres::{PgConnection, PgDatabaseError};
use sqlx::sqlite::{SqliteConnectOptions, SqliteConnection};

use super::target::{Backend, DbTarget, Params, SqliteLocation};
use crate::error::Error;

/// What went wrong with a database, for callers that react differently (a fleet report
/// groups "unreachable" apart from "authentication failed").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DbErrorKind {
    /// The URL or an option cannot be used.
    Config,
    /// Nothing answers: connection refused, no socket file, connection reset.
    Unreachable,
    /// The host name does not resolve.
    UnknownHost,
    /// The server refused the user or password.
    AuthFailed,
    /// The server (or file system) has no such database.
    DatabaseAbsent,
    /// TLS could not be negotiated or the certificate was refused.
    Tls,
    /// No answer within the connect timeout.
    Timeout,
    /// Connected, but a statement failed (permissions, a damaged version table, ...).
    Query,
    /// Anything else.
    Other,
}

impl DbErrorKind {
    /// The stable name Python sees (`error_kind`).
    pub fn name(self) -> &'static str {
        match self {
            DbErrorKind::Config => "config",
            DbErrorKind::Unreachable => "unreachable",
            DbErrorKind::UnknownHost => "unknown_host",
            DbErrorKind::AuthFailed => "auth_failed",
            DbErrorKind::DatabaseAbsent => "database_absent",
            DbErrorKind::Tls => "tls",
            DbErrorKind::Timeout => "timeout",
            DbErrorKind::Query => "query",
            DbErrorKind::Other => "other",
        }
    }
}

/// A database failure: a kind and a one-paragraph message without any password.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DbError {
    pub kind: DbErrorKind,
    pub message: String,
}

impl DbError {
    pub fn new(kind: DbErrorKind, message: impl Into<String>) -> Self {
        DbError {
            kind,
            message: message.into(),
        }
    }
}

impl fmt::Display for DbError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for DbError {}

impl From<DbError> for Error {
    fn from(e: DbError) -> Error {
        match e.kind {
            DbErrorKind::Config => Error::config(e.message),
            _ => Error::database(e.message),
        }
    }
}

impl From<Error> for DbError {
    fn from(e: Error) -> DbError {
        match e {
            Error::Config(d) => DbError::new(DbErrorKind::Config, d.message),
            other => DbError::new(DbErrorKind::Other, other.message().to_owned()),
        }
    }
}

pub type DbResult<T> = std::result::Result<T, DbError>;

/// An open connection to one of the three backends.
pub enum DbConn {
    Postgres(PgConnection),
    MySql(MySqlConnection),
    Sqlite(SqliteConnection),
}

impl fmt::Debug for DbConn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            DbConn::Postgres(_) => "DbConn::Postgres",
            DbConn::MySql(_) => "DbConn::MySql",
            DbConn::Sqlite(_) => "DbConn::Sqlite",
        })
    }
}

impl DbConn {
    /// Close politely (the server learns at once); errors are irrelevant by then.
    pub async fn close(self) {
        let grace = Duration::from_secs(2);
        let _ = match self {
            DbConn::Postgres(c) => tokio::time::timeout(grace, c.close()).await,
            DbConn::MySql(c) => tokio::time::timeout(grace, c.close()).await,
            DbConn::Sqlite(c) => tokio::time::timeout(grace, c.close()).await,
        };
    }
}

/// Settings of one connection that are not in the URL.
#[derive(Debug, Clone, Default)]
pub struct ConnectExtras {
    /// PostgreSQL `application_name` (shows in `pg_stat_activity`).
    pub application_name: Option<String>,
}

fn seconds(d: Duration) -> String {
    let s = d.as_secs_f64();
    if s.fract() == 0.0 {
        format!("{s:.0} s")
    } else {
        format!("{s:.1} s")
    }
}

/// Where a target points, for messages: `host:port`, a socket or a file.
pub fn endpoint(target: &DbTarget) -> String {
    match &target.params {
        Params::Postgres(o) => match o.get_socket() {
            Some(s) => format!("the socket {}/.s.PGSQL.{}", s.display(), o.get_port()),
            None if o.get_host().starts_with('/') => {
                format!("the socket {}/.s.PGSQL.{}", o.get_host(), o.get_port())
            }
            None => format!("{}:{}", o.get_host(), o.get_port()),
        },
        Params::MySql(o) => match o.get_socket() {
            Some(s) => format!("the socket {}", s.display()),
            None => format!("{}:{}", o.get_host(), o.get_port()),
        },
        Params::Sqlite(p) => match &p.location {
            SqliteLocation::Memory => "an in-memory database".to_owned(),
            SqliteLocation::File(f) => format!("the file {}", f.display()),
        },
    }
}

fn host_of(target: &DbTarget) -> String {
    match &target.params {
        Params::Postgres(o) => o.get_host().to_owned(),
        Params::MySql(o) => o.get_host().to_owned(),
        Params::Sqlite(_) => String::new(),
    }
}

fn user_of(target: &DbTarget) -> String {
    match &target.params {
        Params::Postgres(o) => o.get_username().to_owned(),
        Params::MySql(o) => o.get_username().to_owned(),
        Params::Sqlite(_) => String::new(),
    }
}

fn database_of(target: &DbTarget) -> String {
    match &target.params {
        Params::Postgres(o) => o.get_database().unwrap_or(o.get_username()).to_owned(),
        Params::MySql(o) => o.get_database().unwrap_or("").to_owned(),
        Params::Sqlite(p) => match &p.location {
            SqliteLocation::Memory => ":memory:".to_owned(),
            SqliteLocation::File(f) => f.display().to_string(),
        },
    }
}

/// Turn a sqlx error met while connecting into a [`DbError`].
pub fn classify_connect_error(target: &DbTarget, err: sqlx::Error) -> DbError {
    let url = target.masked();
    let at = endpoint(target);
    let scrub = |s: String| target.scrub(&s);
    let (kind, what) = match err {
        sqlx::Error::Io(e) => {
            let text = e.to_string();
            let lower = text.to_lowercase();
            if lower.contains("certificate")
                || lower.contains("tls")
                || lower.contains("handshake")
                || lower.contains("peer sent")
                || lower.contains("received fatal alert")
            {
                (
                    DbErrorKind::Tls,
                    format!(
                        "TLS could not be set up with {at} ({}). Check the ssl options in the URL \
                         (sslmode, sslrootcert / ssl_ca) and the server's certificate.",
                        scrub(text)
                    ),
                )
            } else if lower.contains("failed to lookup address")
                || lower.contains("name or service not known")
                || lower.contains("nodename nor servname")
                || lower.contains("temporary failure in name resolution")
                || lower.contains("no address associated")
            {
                (
                    DbErrorKind::UnknownHost,
                    format!(
                        "the host name '{}' does not resolve ({}). Check the host in the URL \
                         and this machine's DNS.",
                        host_of(target),
                        scrub(text)
                    ),
                )
            } else {
                match e.kind() {
                    std::io::ErrorKind::ConnectionRefused => (
                        DbErrorKind::Unreachable,
                        format!(
                            "the connection to {at} was refused: no server is listening there. \
                             Check that the database server is running and that the host and \
                             port in the URL are right."
                        ),
                    ),
                    std::io::ErrorKind::NotFound => (
                        DbErrorKind::Unreachable,
                        format!(
                            "{at} does not exist: no server is listening there. Check that the \
                             server is running and the socket path is right."
                        ),
                    ),
                    std::io::ErrorKind::TimedOut => (
                        DbErrorKind::Timeout,
                        format!("the connection to {at} timed out. Check the host, port and firewalls."),
                    ),
                    std::io::ErrorKind::PermissionDenied => (
                        DbErrorKind::Unreachable,
                        format!("this process may not open {at} ({}).", scrub(text)),
                    ),
                    _ => (
                        DbErrorKind::Unreachable,
                        format!(
                            "the connection to {at} failed ({}). Check that the server is running \
                             and accepts connections from this machine.",
                            scrub(text)
                        ),
                    ),
                }
            }
        }
        sqlx::Error::Tls(e) => (
            DbErrorKind::Tls,
            format!(
                "TLS could not be set up with {at} ({}). Check the ssl options in the URL \
                 (sslmode, sslrootcert / ssl_ca) and the server's certificate.",
                scrub(e.to_string())
            ),
        ),
        sqlx::Error::Database(db) => {
            let message = scrub(db.message().to_owned());
            if let Some(pg) = db.try_downcast_ref::<PgDatabaseError>() {
                match pg.code() {
                    "28P01" => (
                        DbErrorKind::AuthFailed,
                        format!(
                            "the server refused the password for user '{}' ({message}). Check the \
                             password in the URL (or ~/.pgpass).",
                            user_of(target)
                        ),
                    ),
                    "28000" => (
                        DbErrorKind::AuthFailed,
                        format!(
                            "the server refused user '{}' ({message}). Check the user name and the \
                             server's pg_hba.conf.",
                            user_of(target)
                        ),
                    ),
                    "3D000" => (
                        DbErrorKind::DatabaseAbsent,
                        format!(
                            "the database '{}' does not exist on {at}. Create it, or fix the \
                             database name in the URL.",
                            database_of(target)
                        ),
                    ),
                    "53300" => (
                        DbErrorKind::Other,
                        format!("the server has no free connection slots ({message}). Lower the concurrency or retry."),
                    ),
                    "57P03" => (
                        DbErrorKind::Unreachable,
                        format!("the server is not accepting connections yet ({message})."),
                    ),
                    code => (DbErrorKind::Other, format!("the server answered {code}: {message}.")),
                }
            } else if let Some(my) = db.try_downcast_ref::<MySqlDatabaseError>() {
                match my.number() {
                    1045 | 1698 => (
                        DbErrorKind::AuthFailed,
                        format!(
                            "the server refused user '{}' or its password ({message}). Check the \
                             user name and password in the URL.",
                            user_of(target)
                        ),
                    ),
                    1044 | 1130 => (
                        DbErrorKind::AuthFailed,
                        format!("the server refused access ({message}). Check the user's grants."),
                    ),
                    1049 => (
                        DbErrorKind::DatabaseAbsent,
                        format!(
                            "the database '{}' does not exist on {at}. Create it, or fix the \
                             database name in the URL.",
                            database_of(target)
                        ),
                    ),
                    1040 => (
                        DbErrorKind::Other,
                        format!("the server has too many connections ({message}). Lower the concurrency or retry."),
                    ),
                    n => (DbErrorKind::Other, format!("the server answered error {n}: {message}.")),
                }
            } else {
                let code = db.code().map(|c| c.into_owned()).unwrap_or_default();
                match code.as_str() {
                    "26" => (
                        DbErrorKind::Other,
                        format!("{at} is not a SQLite database ({message})."),
                    ),
                    "14" => (
                        DbErrorKind::Unreachable,
                        format!("SQLite cannot open {at} ({message}). Check the path and its permissions."),
                    ),
                    _ => (DbErrorKind::Other, format!("the database answered: {message}.")),
                }
            }
        }
        sqlx::Error::Configuration(e) => (
            DbErrorKind::Config,
            format!("the connection settings are not usable ({}).", scrub(e.to_string())),
        ),
        sqlx::Error::Protocol(m) => (
            DbErrorKind::Other,
            format!(
                "the server at {at} answered something unexpected ({}). Is that the right port \
                 for this kind of database?",
                scrub(m)
            ),
        ),
        other => (DbErrorKind::Other, scrub(other.to_string())),
    };
    DbError::new(kind, format!("Cannot connect to {url}: {what}"))
}

/// Open one connection. `timeout` applies unless the URL sets its own
/// (`connect_timeout`). SQLite databases are opened read-only and never created: a
/// missing file is [`DbErrorKind::DatabaseAbsent`].
pub async fn connect(target: &DbTarget, timeout: Duration, extras: &ConnectExtras) -> DbResult<DbConn> {
    let timeout = target.url_connect_timeout().unwrap_or(timeout);
    let url = target.masked();
    let fut = async {
        match &target.params {
            Params::Postgres(o) => {
                let mut o = (**o).clone();
                if let Some(name) = &extras.application_name {
                    o = o.application_name(name);
                }
                PgConnection::connect_with(&o).await.map(DbConn::Postgres)
            }
            Params::MySql(o) => MySqlConnection::connect_with(o).await.map(DbConn::MySql),
            Params::Sqlite(p) => {
                let o = match &p.location {
                    SqliteLocation::Memory => SqliteConnectOptions::new().in_memory(true),
                    SqliteLocation::File(path) => SqliteConnectOptions::new()
                        .filename(path)
                        .read_only(true)
                        .immutable(p.immutable),
                };
                let mut o = o.create_if_missing(false).busy_timeout(p.busy_timeout);
                if let Some(vfs) = &p.vfs {
                    o = o.vfs(vfs.clone());
                }
                SqliteConnection::connect_with(&o).await.map(DbConn::Sqlite)
            }
        }
    };
    if let Params::Sqlite(p) = &target.params
        && let SqliteLocation::File(path) = &p.location
    {
        check_sqlite_file(target, path)?;
    }
    for (option, file) in target.tls_files() {
        if let Err(e) = std::fs::metadata(file) {
            return Err(DbError::new(
                DbErrorKind::Config,
                format!(
                    "Cannot connect to {url}: the file {file} named by the option '{option}' \
                     cannot be read ({e}). Fix the path in the URL."
                ),
            ));
        }
    }
    match tokio::time::timeout(timeout, fut).await {
        Ok(Ok(conn)) => Ok(conn),
        Ok(Err(e)) => Err(classify_connect_error(target, e)),
        Err(_) => Err(DbError::new(
            DbErrorKind::Timeout,
            format!(
                "Cannot connect to {url}: no answer from {} within {}. Check that the server is \
                 up and reachable from here, or raise the connect timeout.",
                endpoint(target),
                seconds(timeout)
            ),
        )),
    }
}

fn check_sqlite_file(target: &DbTarget, path: &Path) -> DbResult<()> {
    match std::fs::metadata(path) {
        Ok(m) if m.is_dir() => Err(DbError::new(
            DbErrorKind::Config,
            format!(
                "The SQLite URL {} points at {}, which is a directory, not a database file.",
                target.masked(),
                path.display()
            ),
        )),
        Ok(_) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Err(DbError::new(
            DbErrorKind::DatabaseAbsent,
            format!(
                "The SQLite database {} ({}) does not exist yet.",
                path.display(),
                target.masked()
            ),
        )),
        Err(e) => Err(DbError::new(
            DbErrorKind::Unreachable,
            format!(
                "Cannot read the SQLite database {} ({}): {e}.",
                path.display(),
                target.masked()
            ),
        )),
    }
}

/// Classify an error of a statement run on an open connection.
pub fn query_error(target: &DbTarget, doing: &str, err: sqlx::Error) -> DbError {
    let url = target.masked();
    match err {
        sqlx::Error::Database(db) => DbError::new(
            DbErrorKind::Query,
            format!("{doing} on {url} failed: {}", target.scrub(db.message())),
        ),
        sqlx::Error::Io(e) => DbError::new(
            DbErrorKind::Unreachable,
            format!(
                "{doing} on {url} failed: the connection broke ({}).",
                target.scrub(&e.to_string())
            ),
        ),
        other => DbError::new(
            DbErrorKind::Other,
            format!("{doing} on {url} failed: {}", target.scrub(&other.to_string())),
        ),
    }
}

/// The backend of a connection.
pub fn backend_of(conn: &DbConn) -> Backend {
    match conn {
        DbConn::Postgres(_) => Backend::Postgres,
        DbConn::MySql(_) => Backend::MySql,
        DbConn::Sqlite(_) => Backend::Sqlite,
    }
}
