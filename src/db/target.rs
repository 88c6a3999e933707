//! From a SQLAlchemy URL to what sqlx connects to: the same server, database, user and
//! TLS settings that SQLAlchemy's dialect and its Python driver would use.
//!
//! [`DbTarget`] is what the rest of monomig holds; each backend translates its own URLs
//! (`postgres/url.rs`, `mysql/url.rs`, `sqlite/url.rs`, on the shared machinery of
//! `options.rs`) and this module picks the backend and keeps the result.

use std::fmt;
use std::path::Path;
use std::time::Duration;

use sqlx::mysql::MySqlConnectOptions;
use sqlx::postgres::PgConnectOptions;

use super::options::Translated;
use super::url::SqlaUrl;
use super::{mysql, postgres, sqlite};
use crate::error::{Error, Result};

pub(crate) use super::sqlite::url::SqliteParams;
pub use super::sqlite::url::{SqliteLocation, abspath};

/// The database family behind a URL.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Backend {
    Postgres,
    MySql,
    Sqlite,
}

impl Backend {
    pub fn name(self) -> &'static str {
        match self {
            Backend::Postgres => "postgresql",
            Backend::MySql => "mysql",
            Backend::Sqlite => "sqlite",
        }
    }
}

#[derive(Clone)]
pub(crate) enum Params {
    Postgres(Box<PgConnectOptions>),
    MySql(Box<MySqlConnectOptions>),
    Sqlite(SqliteParams),
}

/// A database to connect to, translated from a SQLAlchemy URL. `Debug` and `Display`
/// show the masked URL only.
#[derive(Clone)]
pub struct DbTarget {
    url: SqlaUrl,
    backend: Backend,
    pub(crate) params: Params,
    /// A connect timeout the URL itself asks for (`connect_timeout`, `timeout`).
    url_connect_timeout: Option<Duration>,
    /// Equal for two targets that reach the same database as the same user.
    identity: String,
    /// The password, for scrubbing driver messages.
    secrets: Vec<String>,
    /// Files the TLS options name (`sslrootcert`, `ssl_ca`, ...), checked before connecting.
    files: Vec<(&'static str, String)>,
}

impl fmt::Debug for DbTarget {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DbTarget")
            .field("url", &self.url.redacted())
            .field("backend", &self.backend)
            .finish()
    }
}

impl fmt::Display for DbTarget {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.url.redacted())
    }
}

fn unsupported_dialect(url: &SqlaUrl) -> Error {
    let name = url.drivername();
    let hint = match url.backend_name() {
        "postgres" => {
            " SQLAlchemy (and so Alembic) does not accept 'postgres://' either: write \
             'postgresql://' (or 'postgresql+psycopg://', ...)."
        }
        "mssql" | "oracle" => {
            " monomig talks to PostgreSQL, MySQL/MariaDB and SQLite only; run Alembic \
             itself for this database."
        }
        _ => {
            " Supported: postgresql (+psycopg2, +psycopg, +asyncpg, +pg8000, +psycopg2cffi), \
             mysql and mariadb (+mysqldb, +pymysql, +aiomysql, +asyncmy, +mysqlconnector, \
             +mariadbconnector, +cymysql) and sqlite (+pysqlite, +aiosqlite)."
        }
    };
    Error::config(format!(
        "The database URL {} uses the dialect '{name}', which monomig does not support.{hint}",
        url.redacted()
    ))
}

impl DbTarget {
    /// Parse `url` and translate it; `base_dir` is the directory relative SQLite paths are
    /// relative to (the working directory Alembic would run in).
    pub fn parse(url: &str, base_dir: &Path) -> Result<DbTarget> {
        DbTarget::from_url(SqlaUrl::parse(url)?, base_dir)
    }

    pub fn from_url(url: SqlaUrl, base_dir: &Path) -> Result<DbTarget> {
        let driver = url.driver_name();
        match url.backend_name() {
            "postgresql" => {
                let d = postgres::url::driver(driver).ok_or_else(|| unsupported_driver(&url))?;
                let t = postgres::url::translate(&url, d)?;
                Ok(DbTarget::assemble(url, Backend::Postgres, t, |o| {
                    Params::Postgres(Box::new(o))
                }))
            }
            "mysql" | "mariadb" => {
                let d = mysql::url::driver(driver).ok_or_else(|| unsupported_driver(&url))?;
                let t = mysql::url::translate(&url, d)?;
                Ok(DbTarget::assemble(url, Backend::MySql, t, |o| {
                    Params::MySql(Box::new(o))
                }))
            }
            "sqlite" => match driver {
                None | Some("pysqlite") | Some("aiosqlite") => {
                    let t = sqlite::url::translate(&url, base_dir)?;
                    Ok(DbTarget::assemble(url, Backend::Sqlite, t, Params::Sqlite))
                }
                Some("pysqlcipher") => Err(Error::config(format!(
                    "The database URL {} uses sqlite+pysqlcipher: monomig cannot open encrypted \
                     SQLite databases; run Alembic itself for this service.",
                    url.redacted()
                ))),
                Some(_) => Err(unsupported_driver(&url)),
            },
            _ => Err(unsupported_dialect(&url)),
        }
    }

    fn assemble<P>(url: SqlaUrl, backend: Backend, t: Translated<P>, params: impl FnOnce(P) -> Params) -> DbTarget {
        DbTarget {
            url,
            backend,
            params: params(t.params),
            url_connect_timeout: t.url_connect_timeout,
            identity: t.identity,
            secrets: t.secrets,
            files: t.files,
        }
    }

    pub fn url(&self) -> &SqlaUrl {
        &self.url
    }
    /// The URL with its password (and secret query options) masked (`***`).
    pub fn masked(&self) -> String {
        self.url.redacted()
    }
    pub fn backend(&self) -> Backend {
        self.backend
    }
    /// The connect timeout the URL asks for, if any.
    pub fn url_connect_timeout(&self) -> Option<Duration> {
        self.url_connect_timeout
    }
    /// A key equal for targets that reach the same database as the same user with the
    /// same settings; it contains no password.
    pub fn identity(&self) -> &str {
        &self.identity
    }
    /// For SQLite, where the database lives.
    pub fn sqlite_location(&self) -> Option<&SqliteLocation> {
        match &self.params {
            Params::Sqlite(p) => Some(&p.location),
            _ => None,
        }
    }

    /// The files named by TLS options, with the option naming each.
    pub fn tls_files(&self) -> &[(&'static str, String)] {
        &self.files
    }

    /// Replace every occurrence of a secret (the password, raw and percent-encoded) in a
    /// driver's message by `***`.
    pub fn scrub(&self, text: &str) -> String {
        // Longest first over all the secrets (the URL's password and a password given as a
        // query option): a shorter secret that is part of a longer one must not be
        // replaced first, which would leave the rest of the longer one in the text.
        let mut secrets: Vec<&str> = self
            .secrets
            .iter()
            .map(String::as_str)
            .filter(|s| !s.is_empty())
            .collect();
        secrets.sort_by_key(|s| std::cmp::Reverse(s.len()));
        let mut out = text.to_owned();
        for secret in secrets {
            out = out.replace(secret, "***");
        }
        out
    }

    /// What the connection will use, without the password: `(name, value)` pairs.
    pub fn describe(&self) -> Vec<(&'static str, String)> {
        let mut d = vec![("backend", self.backend.name().to_owned())];
        match &self.params {
            Params::Postgres(o) => postgres::url::describe(o, &mut d),
            Params::MySql(o) => mysql::url::describe(o, &mut d),
            Params::Sqlite(p) => sqlite::url::describe(p, &mut d),
        }
        if let Some(t) = self.url_connect_timeout {
            d.push(("connect_timeout", format!("{}", t.as_secs_f64())));
        }
        d
    }
}

fn unsupported_driver(url: &SqlaUrl) -> Error {
    Error::config(format!(
        "The database URL {} names the driver '{}', which monomig does not know for the \
         '{}' dialect. {}",
        url.redacted(),
        url.driver_name().unwrap_or(""),
        url.backend_name(),
        match url.backend_name() {
            "postgresql" => "Known PostgreSQL drivers: psycopg2, psycopg, asyncpg, pg8000, psycopg2cffi.",
            "sqlite" => "Known SQLite drivers: pysqlite, aiosqlite.",
            _ =>
                "Known MySQL/MariaDB drivers: mysqldb, pymysql, aiomysql, asyncmy, mysqlconnector, \
                  mariadbconnector, cymysql.",
        }
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn desc(url: &str) -> Vec<(&'static str, String)> {
        DbTarget::parse(url, Path::new("/work/dir")).unwrap().describe()
    }

    fn get<'a>(d: &'a [(&'static str, String)], k: &str) -> Option<&'a str> {
        d.iter().find(|(n, _)| *n == k).map(|(_, v)| v.as_str())
    }

    #[test]
    fn sqlite_paths() {
        let d = desc("sqlite:///var/app.db");
        assert_eq!(get(&d, "path"), Some("/work/dir/var/app.db"));
        let d = desc("sqlite:////abs/../x/./app.db");
        assert_eq!(get(&d, "path"), Some("/x/app.db"));
        for memory in ["sqlite://", "sqlite:///:memory:", "sqlite:///", "sqlite+pysqlite://"] {
            assert_eq!(get(&desc(memory), "path"), Some(":memory:"), "{memory}");
        }
        let d = desc("sqlite:///file:data/x.db?mode=ro&uri=true");
        assert_eq!(get(&d, "path"), Some("/work/dir/data/x.db"));
        assert_eq!(get(&d, "read_only"), Some("true"));
        let d = desc("sqlite:///file::memory:?cache=shared&uri=true");
        assert_eq!(get(&d, "path"), Some(":memory:"));
        let d = desc("sqlite:///x.db?timeout=1.5&mode=ro");
        assert_eq!(get(&d, "path"), Some("/work/dir/x.db"));
        assert_eq!(get(&d, "read_only"), None);
        assert_eq!(get(&d, "busy_timeout"), Some("1.5"));
        assert!(DbTarget::parse("sqlite://user@host/x.db", Path::new("/")).is_err());
        assert!(DbTarget::parse("sqlite+pysqlcipher:///x.db", Path::new("/")).is_err());
        assert!(DbTarget::parse("sqlite:///x.db?uri=maybe", Path::new("/")).is_err());
    }

    #[test]
    fn postgres_parts() {
        let d = desc(
            "postgresql+psycopg://u:pw@db.example:6543/app?sslmode=require&application_name=x&options=-csearch_path%3Dfoo",
        );
        assert_eq!(get(&d, "host"), Some("db.example"));
        assert_eq!(get(&d, "port"), Some("6543"));
        assert_eq!(get(&d, "username"), Some("u"));
        assert_eq!(get(&d, "database"), Some("app"));
        assert_eq!(get(&d, "ssl_mode"), Some("require"));
        assert_eq!(get(&d, "application_name"), Some("x"));
        assert_eq!(get(&d, "options"), Some("-c search_path=foo"));
        let d = desc("postgresql://u@/app?host=/var/run/postgresql");
        assert_eq!(get(&d, "socket"), Some("/var/run/postgresql"));
        let d = desc("postgresql://u@h/app?host=other:7777");
        assert_eq!(get(&d, "host"), Some("other"));
        assert_eq!(get(&d, "port"), Some("7777"));
        let d = desc("postgresql://u@h/app?connect_timeout=1");
        assert_eq!(get(&d, "connect_timeout"), Some("2"));
        let d = desc("postgresql+pg8000://u@/app?unix_sock=/run/pg/.s.PGSQL.5433");
        assert_eq!(get(&d, "socket"), Some("/run/pg"));
        assert_eq!(get(&d, "port"), Some("5433"));
        for bad in [
            "postgres://u@h/db",
            "postgresql+foo://u@h/db",
            "postgresql://u@h/db?host=a&host=b",
            "postgresql://u@h/db?host=a,b",
            "postgresql://u@h/db?sslmode=sometimes",
            "postgresql://u@h/db?frobnicate=1",
            "postgresql://u@h:70000/db",
            "postgresql://u@h/db?options=-Z",
            "postgresql+pg8000://h/db",
            "oracle://u@h/db",
        ] {
            let e = DbTarget::parse(bad, Path::new("/")).unwrap_err();
            assert!(matches!(e, Error::Config(_)), "{bad}: {e}");
        }
    }

    #[test]
    fn mysql_parts() {
        let d = desc("mysql+pymysql://root:pw@127.0.0.1:3307/test?charset=utf8mb4");
        assert_eq!(get(&d, "host"), Some("127.0.0.1"));
        assert_eq!(get(&d, "port"), Some("3307"));
        assert_eq!(get(&d, "database"), Some("test"));
        assert_eq!(get(&d, "ssl_mode"), Some("disabled"));
        let d = desc("mariadb://root@localhost/test?unix_socket=/run/mysqld/mysqld.sock");
        assert_eq!(get(&d, "socket"), Some("/run/mysqld/mysqld.sock"));
        assert_eq!(get(&d, "ssl_mode"), Some("preferred"));
        let d = desc("mysql+pymysql://root@h/test?ssl_ca=/ca.pem&ssl_check_hostname=false");
        assert_eq!(get(&d, "ssl_mode"), Some("verifyca"));
        for bad in [
            "mysql://root@h/test?charset=utf8;DROP",
            "mysql://root@h/test?init_command=USE+x",
            "mysql+pymysql://root@h/test?database=a&db=b",
            "mysql+foo://root@h/test",
        ] {
            assert!(DbTarget::parse(bad, Path::new("/")).is_err(), "{bad}");
        }
    }

    #[test]
    fn secrets_never_shown() {
        let t = DbTarget::parse("postgresql://u:s3cr%2Ft@h/db", Path::new("/")).unwrap();
        assert!(!format!("{t:?} {t}").contains("s3cr"));
        assert_eq!(t.scrub("password s3cr/t and s3cr%2Ft"), "password *** and ***");
        assert!(!t.identity().contains("s3cr"));
        let e = DbTarget::parse("postgresql://u:s3cret@h/db?sslmode=bad", Path::new("/")).unwrap_err();
        assert!(!e.message().contains("s3cret"));
    }
}
