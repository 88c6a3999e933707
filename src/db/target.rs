//! From a SQLAlchemy URL to what sqlx connects to: the same server, database, user and
//! TLS settings that SQLAlchemy's dialect and its Python driver would use.
//!
//! Each dialect's `create_connect_args` turns the URL into driver keyword arguments
//! (`translate_connect_args`, then `opts.update(url.query)`), so query keys override URL
//! parts and name driver options. monomig accepts the options that decide where and how to
//! connect, ignores the ones that only tune a Python driver (timeouts of later reads,
//! statement caches, ...), and refuses everything else with an error naming the key:
//! an option monomig cannot honour must never silently give a different connection.

use std::fmt;
use std::path::{Component, Path, PathBuf};
use std::time::Duration;

use sqlx::mysql::{MySqlConnectOptions, MySqlSslMode};
use sqlx::postgres::{PgConnectOptions, PgSslMode};

use super::url::{Password, QueryValue, SqlaUrl, py_int};
use crate::error::{Error, Result};

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

/// Where a SQLite URL points.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SqliteLocation {
    /// `sqlite://`, `sqlite:///:memory:`, `mode=memory`: a fresh private database.
    Memory,
    /// A database file, as an absolute, lexically normalised path.
    File(PathBuf),
}

#[derive(Debug, Clone)]
pub(crate) struct SqliteParams {
    pub location: SqliteLocation,
    /// `mode=ro` in a `uri=true` URL.
    pub read_only: bool,
    /// `immutable=1` in a `uri=true` URL.
    pub immutable: bool,
    /// `vfs=` in a `uri=true` URL.
    pub vfs: Option<String>,
    /// pysqlite's `timeout` (default 5 s): how long to wait for a locked database.
    pub busy_timeout: Duration,
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

/// How a driver family reads its options.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum PgDriver {
    /// psycopg2, psycopg (3), psycopg2cffi: libpq keywords, PG* environment, ~/.pgpass.
    Libpq,
    /// asyncpg: its own keywords, PG* environment, ~/.pgpass.
    Asyncpg,
    /// pg8000: its own keywords, no environment, no password file.
    Pg8000,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum MyDriver {
    /// mysqlclient (`MySQLdb`, the default), mysqlconnector, mariadbconnector: TLS preferred.
    Mysqldb,
    /// PyMySQL and the drivers built on it (aiomysql, asyncmy, cymysql): TLS only when asked.
    Pymysql,
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
                let d = match driver {
                    None | Some("psycopg2") | Some("psycopg") | Some("psycopg_async") | Some("psycopg2cffi") => {
                        PgDriver::Libpq
                    }
                    Some("asyncpg") => PgDriver::Asyncpg,
                    Some("pg8000") => PgDriver::Pg8000,
                    Some(_) => return Err(unsupported_driver(&url)),
                };
                translate_pg(url, d)
            }
            "mysql" | "mariadb" => {
                let d = match driver {
                    None | Some("mysqldb") | Some("mysqlconnector") | Some("mariadbconnector") => MyDriver::Mysqldb,
                    Some("pymysql") | Some("aiomysql") | Some("asyncmy") | Some("cymysql") => MyDriver::Pymysql,
                    Some(_) => return Err(unsupported_driver(&url)),
                };
                translate_mysql(url, d)
            }
            "sqlite" => match driver {
                None | Some("pysqlite") | Some("aiosqlite") => translate_sqlite(url, base_dir),
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
            Params::Postgres(o) => {
                match o.get_socket() {
                    Some(s) => d.push(("socket", s.display().to_string())),
                    None if o.get_host().starts_with('/') => d.push(("socket", o.get_host().to_owned())),
                    None => d.push(("host", o.get_host().to_owned())),
                }
                d.push(("port", o.get_port().to_string()));
                d.push(("username", o.get_username().to_owned()));
                if let Some(db) = o.get_database() {
                    d.push(("database", db.to_owned()));
                }
                d.push(("ssl_mode", format!("{:?}", o.get_ssl_mode()).to_lowercase()));
                if let Some(a) = o.get_application_name() {
                    d.push(("application_name", a.to_owned()));
                }
                if let Some(opts) = o.get_options() {
                    d.push(("options", opts.to_owned()));
                }
            }
            Params::MySql(o) => {
                match o.get_socket() {
                    Some(s) => d.push(("socket", s.display().to_string())),
                    None => d.push(("host", o.get_host().to_owned())),
                }
                d.push(("port", o.get_port().to_string()));
                d.push(("username", o.get_username().to_owned()));
                if let Some(db) = o.get_database() {
                    d.push(("database", db.to_owned()));
                }
                d.push(("ssl_mode", format!("{:?}", o.get_ssl_mode()).to_lowercase()));
                d.push(("charset", o.get_charset().to_owned()));
            }
            Params::Sqlite(p) => {
                match &p.location {
                    SqliteLocation::Memory => d.push(("path", ":memory:".to_owned())),
                    SqliteLocation::File(path) => d.push(("path", path.display().to_string())),
                }
                if p.read_only {
                    d.push(("read_only", "true".to_owned()));
                }
                if p.immutable {
                    d.push(("immutable", "true".to_owned()));
                }
                if let Some(vfs) = &p.vfs {
                    d.push(("vfs", vfs.clone()));
                }
                d.push(("busy_timeout", format!("{}", p.busy_timeout.as_secs_f64())));
            }
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

/// The driver keyword arguments SQLAlchemy builds: URL parts (only the truthy ones, as
/// `translate_connect_args` does) under the driver's names, then the query on top.
struct Kwargs {
    items: Vec<(String, KwValue)>,
    /// Key -> position in `items` (URLs can carry many query options).
    index: std::collections::HashMap<String, usize>,
}

#[derive(Clone)]
enum KwValue {
    Text(String),
    Secret(Password),
    Int(i64),
    /// A key given more than once.
    Many,
}

impl Kwargs {
    fn new(url: &SqlaUrl, names: [&str; 5]) -> Kwargs {
        // SQLAlchemy's order: host, database, username, password, port.
        let [host, database, username, password, port] = names;
        let mut items = Vec::new();
        if let Some(h) = url.host().filter(|h| !h.is_empty()) {
            items.push((host.to_owned(), KwValue::Text(h.to_owned())));
        }
        if let Some(d) = url.database().filter(|d| !d.is_empty()) {
            items.push((database.to_owned(), KwValue::Text(d.to_owned())));
        }
        if let Some(u) = url.username().filter(|u| !u.is_empty()) {
            items.push((username.to_owned(), KwValue::Text(u.to_owned())));
        }
        if let Some(p) = url.password().filter(|p| !p.expose().is_empty()) {
            items.push((password.to_owned(), KwValue::Secret(p.clone())));
        }
        if let Some(p) = url.port().filter(|p| *p != 0) {
            items.push((port.to_owned(), KwValue::Int(p)));
        }
        let index = items.iter().enumerate().map(|(i, (k, _))| (k.clone(), i)).collect();
        let mut kw = Kwargs { items, index };
        for (k, v) in url.query() {
            let value = match v {
                QueryValue::One(s) => KwValue::Text(s.clone()),
                QueryValue::Many(_) => KwValue::Many,
            };
            kw.set(k, value);
        }
        kw
    }

    fn set(&mut self, key: &str, value: KwValue) {
        if let Some(&i) = self.index.get(key) {
            self.items[i].1 = value;
        } else {
            self.index.insert(key.to_owned(), self.items.len());
            self.items.push((key.to_owned(), value));
        }
    }

    fn contains(&self, key: &str) -> bool {
        self.index.contains_key(key)
    }

    fn remove(&mut self, key: &str) -> Option<KwValue> {
        let i = self.index.remove(key)?;
        let (_, v) = self.items.remove(i);
        for slot in self.index.values_mut() {
            if *slot > i {
                *slot -= 1;
            }
        }
        Some(v)
    }
}

struct Ctx<'a> {
    url: &'a SqlaUrl,
}

impl Ctx<'_> {
    fn bad(&self, key: &str, why: impl fmt::Display) -> Error {
        Error::config(format!(
            "The database URL {} has the option '{key}', {why}",
            self.url.redacted()
        ))
    }

    /// A single text value (a password stays a password).
    fn text(&self, key: &str, v: KwValue) -> Result<String> {
        match v {
            KwValue::Text(s) => Ok(s),
            KwValue::Secret(p) => Ok(p.expose().to_owned()),
            KwValue::Int(i) => Ok(i.to_string()),
            KwValue::Many => Err(self.bad(key, "given more than once; give it once.")),
        }
    }

    fn port(&self, key: &str, v: KwValue) -> Result<u16> {
        let n = match v {
            KwValue::Int(i) => i,
            other => {
                let t = self.text(key, other)?;
                py_int(&t).map_err(|_| self.bad(key, "which is not a port number."))?
            }
        };
        u16::try_from(n)
            .ok()
            .filter(|p| *p != 0)
            .ok_or_else(|| self.bad(key, format_args!("but {n} is not a TCP port (1-65535).")))
    }

    /// `util.asbool`.
    fn boolean(&self, key: &str, v: KwValue) -> Result<bool> {
        let t = self.text(key, v)?;
        match t.trim().to_lowercase().as_str() {
            "true" | "yes" | "on" | "y" | "t" | "1" => Ok(true),
            "false" | "no" | "off" | "n" | "f" | "0" => Ok(false),
            _ => Err(self.bad(key, "which must be true or false (true/yes/on/1 or false/no/off/0).")),
        }
    }

    fn int(&self, key: &str, v: KwValue) -> Result<i64> {
        let t = self.text(key, v)?;
        py_int(&t).map_err(|_| self.bad(key, "which must be a whole number."))
    }

    fn float(&self, key: &str, v: KwValue) -> Result<f64> {
        let t = self.text(key, v)?;
        t.trim()
            .replace('_', "")
            .parse::<f64>()
            .map_err(|_| self.bad(key, "which must be a number."))
    }

    fn seconds(&self, key: &str, secs: f64) -> Result<Duration> {
        Duration::try_from_secs_f64(secs).map_err(|_| self.bad(key, "which is not a usable number of seconds."))
    }

    fn unsupported(&self, key: &str, what: &str) -> Error {
        self.bad(key, format_args!("which monomig does not support: {what}"))
    }
}

fn secrets_of(password: Option<&str>) -> Vec<String> {
    match password {
        Some(p) if !p.is_empty() => {
            let mut v = vec![p.to_owned(), super::url::quote(p, ""), super::url::quote_plus(p)];
            v.sort();
            v.dedup();
            // Longest first, so an encoded form is replaced before a prefix of it.
            v.sort_by_key(|s| std::cmp::Reverse(s.len()));
            v
        }
        _ => Vec::new(),
    }
}

/// A stable, non-reversible tag of a password for identity keys.
fn password_tag(p: Option<&str>) -> String {
    match p {
        None => "-".to_owned(),
        Some(p) => format!("{:016x}", super::lock::fnv1a64(p.as_bytes())),
    }
}

/// Split a libpq `options` string (`-c name=value --name=value`, backslash escapes) into
/// the settings it makes.
fn parse_pg_options(ctx: &Ctx<'_>, text: &str) -> Result<Vec<(String, String)>> {
    let mut args = Vec::new();
    let mut cur = String::new();
    let mut has = false;
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        if c == '\\' {
            if let Some(n) = chars.next() {
                cur.push(n);
                has = true;
            }
        } else if c.is_ascii_whitespace() {
            if has {
                args.push(std::mem::take(&mut cur));
                has = false;
            }
        } else {
            cur.push(c);
            has = true;
        }
    }
    if has {
        args.push(cur);
    }
    let mut out = Vec::new();
    let mut it = args.into_iter();
    while let Some(arg) = it.next() {
        let setting = if arg == "-c" {
            it.next()
                .ok_or_else(|| ctx.bad("options", "which ends with '-c' and no setting after it."))?
        } else if let Some(rest) = arg.strip_prefix("-c").or_else(|| arg.strip_prefix("--")) {
            rest.to_owned()
        } else {
            return Err(ctx.unsupported(
                "options",
                "only '-c name=value' and '--name=value' settings can be passed to the server.",
            ));
        };
        let Some((name, value)) = setting.split_once('=') else {
            return Err(ctx.bad(
                "options",
                format_args!("where the setting '{setting}' has no '=value'."),
            ));
        };
        out.push((name.replace('-', "_"), value.to_owned()));
    }
    Ok(out)
}

fn pg_ssl_mode(ctx: &Ctx<'_>, key: &str, v: &str) -> Result<PgSslMode> {
    // Case matters to libpq and asyncpg.
    Ok(match v {
        "disable" => PgSslMode::Disable,
        "allow" => PgSslMode::Allow,
        "prefer" => PgSslMode::Prefer,
        "require" => PgSslMode::Require,
        "verify-ca" => PgSslMode::VerifyCa,
        "verify-full" => PgSslMode::VerifyFull,
        _ => {
            return Err(ctx.bad(
                key,
                "which must be one of disable, allow, prefer, require, verify-ca, verify-full.",
            ));
        }
    })
}

/// SQLAlchemy's multi-host handling (`_split_multihost_from_url`), reduced to the one host
/// monomig can use: returns the host and port to put in the driver arguments, if the
/// query names them.
fn pg_query_host(ctx: &Ctx<'_>, url: &SqlaUrl) -> Result<Option<(String, Option<String>)>> {
    let several = |key: &str| {
        ctx.unsupported(
            key,
            "several hosts (libpq multi-host failover). Give the one server to migrate.",
        )
    };
    let host = match url.query_value("host") {
        None => return Ok(None),
        Some(QueryValue::Many(_)) => return Err(several("host")),
        Some(QueryValue::One(h)) => h,
    };
    if host.contains(',') {
        return Err(several("host"));
    }
    match url.query_value("port") {
        Some(QueryValue::Many(_)) => return Err(several("port")),
        Some(QueryValue::One(p)) if p.contains(',') => return Err(several("port")),
        _ => {}
    }
    if url.query_value("port").is_none() && host.contains(':') {
        // `^([a-zA-Z0-9\-\.]*)(?:\:(\d*))?$`
        if let Some((h, p)) = host.split_once(':')
            && h.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '.')
            && p.chars().all(|c| c.is_ascii_digit())
        {
            let port = if p.is_empty() { None } else { Some(p.to_owned()) };
            return Ok(Some((h.to_owned(), port)));
        }
    }
    Ok(Some((host.clone(), None)))
}

fn translate_pg(url: SqlaUrl, driver: PgDriver) -> Result<DbTarget> {
    let ctx = Ctx { url: &url };
    let names = match driver {
        PgDriver::Libpq => ["host", "dbname", "user", "password", "port"],
        PgDriver::Asyncpg | PgDriver::Pg8000 => ["host", "database", "user", "password", "port"],
    };
    let mut kw = Kwargs::new(&url, names);
    if let Some((h, p)) = pg_query_host(&ctx, &url)? {
        kw.set("host", KwValue::Text(h));
        if let Some(p) = p {
            kw.set("port", KwValue::Text(p));
        }
    }

    let mut o = PgConnectOptions::new_without_pgpass();
    let mut use_pgpass = true;
    if driver == PgDriver::Pg8000 {
        // pg8000 reads no PG* variables: its own defaults.
        o = o.host("localhost").port(5432).ssl_mode(PgSslMode::Disable);
        use_pgpass = false;
    }
    let mut timeout = None;
    let mut files = Vec::new();
    let mut password: Option<String> = None;
    let mut pg_options: Vec<(String, String)> = Vec::new();
    let mut application_name = None;
    let mut fallback_application_name = None;
    let mut user_given = false;
    let items = std::mem::take(&mut kw.items);
    for (key, value) in items {
        let k = key.as_str();
        match (driver, k) {
            (_, "host") => {
                let h = ctx.text(k, value)?;
                if h.starts_with('/') {
                    o = o.socket(&h);
                } else if !h.is_empty() {
                    o = o.host(&h);
                }
            }
            (PgDriver::Libpq, "hostaddr") => {
                let h = ctx.text(k, value)?;
                if h.parse::<std::net::IpAddr>().is_err() {
                    return Err(ctx.bad(k, "which must be an IP address."));
                }
                o = o.host(&h);
            }
            (_, "port") => o = o.port(ctx.port(k, value)?),
            (PgDriver::Libpq, "dbname") | (PgDriver::Asyncpg | PgDriver::Pg8000, "database") => {
                o = o.database(&ctx.text(k, value)?);
            }
            (_, "user") => {
                o = o.username(&ctx.text(k, value)?);
                user_given = true;
            }
            (_, "password") => password = Some(ctx.text(k, value)?),
            (PgDriver::Libpq, "sslmode") | (PgDriver::Asyncpg, "ssl") => {
                let v = ctx.text(k, value)?;
                let mode = if driver == PgDriver::Asyncpg {
                    match v.to_ascii_lowercase().as_str() {
                        "true" | "1" | "yes" | "on" => PgSslMode::Require,
                        "false" | "0" | "no" | "off" => PgSslMode::Disable,
                        _ => pg_ssl_mode(&ctx, k, &v)?,
                    }
                } else {
                    pg_ssl_mode(&ctx, k, &v)?
                };
                o = o.ssl_mode(mode);
            }
            (PgDriver::Libpq, "sslrootcert") => {
                let v = ctx.text(k, value)?;
                if v == "system" {
                    return Err(ctx.unsupported(k, "'system' (use the path of a CA file)."));
                }
                files.push(("sslrootcert", v.clone()));
                o = o.ssl_root_cert(v);
            }
            (PgDriver::Libpq, "sslcert") => {
                let v = ctx.text(k, value)?;
                files.push(("sslcert", v.clone()));
                o = o.ssl_client_cert(v);
            }
            (PgDriver::Libpq, "sslkey") => {
                let v = ctx.text(k, value)?;
                files.push(("sslkey", v.clone()));
                o = o.ssl_client_key(v);
            }
            (PgDriver::Libpq | PgDriver::Pg8000, "application_name") => {
                application_name = Some(ctx.text(k, value)?);
            }
            (PgDriver::Libpq, "fallback_application_name") => {
                fallback_application_name = Some(ctx.text(k, value)?);
            }
            (PgDriver::Libpq, "options") => {
                let v = ctx.text(k, value)?;
                pg_options.extend(parse_pg_options(&ctx, &v)?);
            }
            (PgDriver::Libpq, "connect_timeout") => {
                // libpq: whole seconds; zero or less waits for ever; 1 means 2.
                let n = ctx.int(k, value)?;
                if n > 0 {
                    timeout = Some(Duration::from_secs(n.max(2) as u64));
                }
            }
            (PgDriver::Asyncpg | PgDriver::Pg8000, "timeout") => {
                let secs = ctx.float(k, value)?;
                if secs > 0.0 {
                    timeout = Some(ctx.seconds(k, secs)?);
                }
            }
            (PgDriver::Libpq, "client_encoding") => {
                let v = ctx.text(k, value)?;
                if !matches!(v.to_ascii_lowercase().as_str(), "utf8" | "utf-8" | "unicode") {
                    return Err(ctx.unsupported(k, "monomig always talks UTF8 to the server."));
                }
            }
            (PgDriver::Libpq | PgDriver::Asyncpg, "target_session_attrs") => {
                let v = ctx.text(k, value)?;
                if v != "any" {
                    return Err(ctx.unsupported(k, "only 'any' (monomig connects to exactly one server)."));
                }
            }
            (PgDriver::Libpq, "gssencmode") => {
                let v = ctx.text(k, value)?;
                if v == "require" {
                    return Err(ctx.unsupported(k, "GSSAPI encryption."));
                }
            }
            (PgDriver::Libpq, "channel_binding") => {
                let v = ctx.text(k, value)?;
                if v == "require" {
                    return Err(ctx.unsupported(k, "required SCRAM channel binding."));
                }
            }
            (PgDriver::Pg8000, "unix_sock") => {
                // The socket file itself: <dir>/.s.PGSQL.<port>.
                let v = ctx.text(k, value)?;
                let p = Path::new(&v);
                let port = p
                    .file_name()
                    .and_then(|f| f.to_str())
                    .and_then(|f| f.strip_prefix(".s.PGSQL."))
                    .and_then(|n| n.parse::<u16>().ok());
                match (p.parent(), port) {
                    (Some(dir), Some(port)) => o = o.socket(dir).port(port),
                    _ => {
                        return Err(
                            ctx.unsupported(k, "a socket file not named '.s.PGSQL.<port>' (PostgreSQL's naming).")
                        );
                    }
                }
            }
            // Only tune the Python driver or the TCP connection; no effect on which
            // database is reached or how monomig reads it.
            (
                PgDriver::Libpq,
                "keepalives"
                | "keepalives_idle"
                | "keepalives_interval"
                | "keepalives_count"
                | "tcp_user_timeout"
                | "sslcompression"
                | "sslsni"
                | "ssl_min_protocol_version"
                | "ssl_max_protocol_version"
                | "krbsrvname"
                | "gsslib"
                | "load_balance_hosts",
            )
            | (
                PgDriver::Asyncpg,
                "command_timeout"
                | "statement_cache_size"
                | "prepared_statement_cache_size"
                | "max_cached_statement_lifetime"
                | "max_cacheable_statement_size"
                | "krbsrvname"
                | "gsslib",
            )
            | (PgDriver::Pg8000, "tcp_keepalive") => {
                ctx.text(k, value)?;
            }
            _ => {
                return Err(ctx.unsupported(
                    k,
                    "it is not one of the connection options monomig knows for this driver \
                     (host, port, user, password, database, sslmode, sslrootcert, sslcert, sslkey, \
                     application_name, options, connect_timeout). Remove it, or run Alembic itself.",
                ));
            }
        }
    }
    if !user_given && driver != PgDriver::Pg8000 && std::env::var_os("PGUSER").is_none() {
        // libpq takes the effective user's login name, asyncpg `getpass.getuser()`.
        let name = if driver == PgDriver::Libpq {
            login_name()
        } else {
            Some(os_user())
        };
        if let Some(name) = name {
            o = o.username(&name);
        }
    }
    if driver == PgDriver::Pg8000 && !user_given {
        return Err(Error::config(format!(
            "The database URL {} has no user name, which the pg8000 driver requires; add one \
             (postgresql+pg8000://user@host/db).",
            url.redacted()
        )));
    }
    if let Some(a) = application_name.or(fallback_application_name) {
        o = o.application_name(&a);
    }
    if !pg_options.is_empty() {
        o = o.options(pg_options);
    }
    if password.is_none() && use_pgpass {
        password = super::pgpass::lookup(&o);
    }
    if let Some(p) = &password {
        o = o.password(p);
    }
    let identity = format!(
        "pg|{}|{}|{}|{}|{}|{}|{:?}|{}",
        o.get_socket().map(|s| s.display().to_string()).unwrap_or_default(),
        o.get_host(),
        o.get_port(),
        o.get_username(),
        password_tag(password.as_deref()),
        o.get_database().unwrap_or(""),
        o.get_ssl_mode(),
        o.get_options().unwrap_or(""),
    );
    let mut secrets = secrets_of(password.as_deref());
    secrets.extend(secrets_of(url.password().map(Password::expose)));
    Ok(DbTarget {
        backend: Backend::Postgres,
        params: Params::Postgres(Box::new(o)),
        url_connect_timeout: timeout,
        identity,
        secrets,
        files,
        url,
    })
}

/// The effective user's login name from the password database (libpq's default user).
pub(crate) fn login_name() -> Option<String> {
    // SAFETY: getpwuid returns a pointer into static storage or null; we copy the name out
    // at once and never free it.
    unsafe {
        let pw = libc::getpwuid(libc::geteuid());
        if !pw.is_null() && !(*pw).pw_name.is_null() {
            return Some(std::ffi::CStr::from_ptr((*pw).pw_name).to_string_lossy().into_owned());
        }
    }
    None
}

/// The login name, as `getpass.getuser()` finds it (PyMySQL's default user).
pub(crate) fn os_user() -> String {
    for var in ["LOGNAME", "USER", "LNAME", "USERNAME"] {
        if let Ok(v) = std::env::var(var)
            && !v.is_empty()
        {
            return v;
        }
    }
    login_name().unwrap_or_else(|| "root".to_owned())
}

fn translate_mysql(url: SqlaUrl, driver: MyDriver) -> Result<DbTarget> {
    let ctx = Ctx { url: &url };
    let names = match driver {
        MyDriver::Mysqldb => ["host", "db", "user", "passwd", "port"],
        MyDriver::Pymysql => ["host", "database", "user", "password", "port"],
    };
    let mut kw = Kwargs::new(&url, names);
    let mut o = MySqlConnectOptions::new()
        .pipes_as_concat(false)
        .no_engine_substitution(false)
        .timezone(None);
    let mut user = None;
    let mut files = Vec::new();
    let mut password: Option<String> = None;
    let mut database: Option<String> = None;
    let mut timeout = None;
    let mut ssl_mode: Option<MySqlSslMode> = None;
    let mut ssl_disabled = false;
    let mut ssl_ca = false;
    let mut ssl_client = false;
    let mut check_hostname = true;
    let mut verify_cert: Option<bool> = None;
    for (alias, canonical) in [("passwd", "password"), ("db", "database")] {
        if let Some(v) = kw.remove(alias) {
            if kw.contains(canonical) {
                return Err(ctx.bad(
                    alias,
                    format_args!("and also '{canonical}', which mean the same; keep one."),
                ));
            }
            kw.set(canonical, v);
        }
    }
    let items = std::mem::take(&mut kw.items);
    for (key, value) in items {
        let k = key.as_str();
        match k {
            "host" => {
                let h = ctx.text(k, value)?;
                if !h.is_empty() {
                    o = o.host(&h);
                }
            }
            "port" => o = o.port(ctx.port(k, value)?),
            "user" => user = Some(ctx.text(k, value)?),
            "password" => password = Some(ctx.text(k, value)?),
            "database" => database = Some(ctx.text(k, value)?),
            "unix_socket" => o = o.socket(ctx.text(k, value)?),
            "charset" => {
                let c = ctx.text(k, value)?;
                if c.is_empty() || !c.chars().all(|ch| ch.is_ascii_alphanumeric() || ch == '_') {
                    return Err(ctx.bad(k, "which is not a character set name (letters, digits, '_')."));
                }
                o = o.charset(&c);
            }
            "connect_timeout" => {
                let n = ctx.int(k, value)?;
                if n > 0 {
                    timeout = Some(Duration::from_secs(n as u64));
                }
            }
            "ssl_ca" => {
                let v = ctx.text(k, value)?;
                files.push(("ssl_ca", v.clone()));
                o = o.ssl_ca(v);
                ssl_ca = true;
            }
            "ssl_cert" => {
                let v = ctx.text(k, value)?;
                files.push(("ssl_cert", v.clone()));
                o = o.ssl_client_cert(v);
                ssl_client = true;
            }
            "ssl_key" => {
                let v = ctx.text(k, value)?;
                files.push(("ssl_key", v.clone()));
                o = o.ssl_client_key(v);
                ssl_client = true;
            }
            "ssl_check_hostname" | "ssl_verify_identity" => check_hostname = ctx.boolean(k, value)?,
            "ssl_verify_cert" => verify_cert = Some(ctx.boolean(k, value)?),
            "ssl_disabled" => ssl_disabled = ctx.boolean(k, value)?,
            "ssl_mode" if driver == MyDriver::Mysqldb => {
                let v = ctx.text(k, value)?;
                ssl_mode = Some(match v.to_ascii_uppercase().as_str() {
                    "DISABLED" => MySqlSslMode::Disabled,
                    "PREFERRED" => MySqlSslMode::Preferred,
                    "REQUIRED" => MySqlSslMode::Required,
                    "VERIFY_CA" => MySqlSslMode::VerifyCa,
                    "VERIFY_IDENTITY" => MySqlSslMode::VerifyIdentity,
                    _ => {
                        return Err(ctx.bad(
                            k,
                            "which must be DISABLED, PREFERRED, REQUIRED, VERIFY_CA or VERIFY_IDENTITY.",
                        ));
                    }
                });
            }
            "ssl_capath" | "ssl_cipher" => {
                return Err(ctx.unsupported(k, "give the CA as a file with ssl_ca instead."));
            }
            "init_command" | "read_default_file" | "read_default_group" => {
                return Err(ctx.unsupported(
                    k,
                    "monomig cannot know what it would change about the session; remove it or \
                     run Alembic itself.",
                ));
            }
            // Tune the Python driver only.
            "read_timeout" | "write_timeout" | "compress" | "local_infile" | "use_unicode" | "client_flag"
            | "autocommit" | "binary_prefix" | "program_name" | "defer_connect" | "collation" | "sql_mode"
            | "max_allowed_packet" => {
                ctx.text(k, value)?;
            }
            _ => {
                return Err(ctx.unsupported(
                    k,
                    "it is not one of the connection options monomig knows for MySQL/MariaDB \
                     (host, port, user, password, database, unix_socket, charset, \
                     connect_timeout, ssl_ca, ssl_cert, ssl_key, ssl_check_hostname). Remove it, \
                     or run Alembic itself.",
                ));
            }
        }
    }
    let mode = if let Some(m) = ssl_mode {
        m
    } else if ssl_disabled {
        MySqlSslMode::Disabled
    } else if verify_cert == Some(false) {
        MySqlSslMode::Required
    } else if ssl_ca {
        if check_hostname {
            MySqlSslMode::VerifyIdentity
        } else {
            MySqlSslMode::VerifyCa
        }
    } else if ssl_client {
        MySqlSslMode::Required
    } else if driver == MyDriver::Pymysql {
        MySqlSslMode::Disabled
    } else {
        MySqlSslMode::Preferred
    };
    o = o.ssl_mode(mode);
    let user = user.unwrap_or_else(os_user);
    o = o.username(&user);
    if let Some(p) = &password {
        o = o.password(p);
    }
    if let Some(d) = &database {
        o = o.database(d);
    }
    let identity = format!(
        "my|{}|{}|{}|{}|{}|{}|{:?}|{}",
        o.get_socket().map(|s| s.display().to_string()).unwrap_or_default(),
        o.get_host(),
        o.get_port(),
        user,
        password_tag(password.as_deref()),
        database.as_deref().unwrap_or(""),
        o.get_ssl_mode(),
        o.get_charset(),
    );
    let mut secrets = secrets_of(password.as_deref());
    secrets.extend(secrets_of(url.password().map(Password::expose)));
    Ok(DbTarget {
        backend: Backend::MySql,
        params: Params::MySql(Box::new(o)),
        url_connect_timeout: timeout,
        identity,
        secrets,
        files,
        url,
    })
}

/// `os.path.abspath`: join to `base` when relative, then fold `.`, `..` and repeated
/// separators without touching the file system.
pub fn abspath(path: &str, base: &Path) -> PathBuf {
    let joined = if Path::new(path).is_absolute() {
        PathBuf::from(path)
    } else {
        base.join(path)
    };
    let mut out = PathBuf::new();
    for c in joined.components() {
        match c {
            Component::Prefix(p) => out.push(p.as_os_str()),
            Component::RootDir => out.push(Component::RootDir.as_os_str()),
            Component::CurDir => {}
            Component::ParentDir => {
                out.pop();
            }
            Component::Normal(n) => out.push(n),
        }
    }
    if out.as_os_str().is_empty() {
        out.push(".");
    }
    out
}

/// Decode `%HH` escapes in a SQLite URI path or value (SQLite's own decoding).
fn sqlite_uri_decode(text: &str) -> Vec<u8> {
    let b = text.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%'
            && let (Some(h), Some(l)) = (
                b.get(i + 1).copied().filter(u8::is_ascii_hexdigit),
                b.get(i + 2).copied().filter(u8::is_ascii_hexdigit),
            )
        {
            let hv = (h as char).to_digit(16).unwrap_or(0) as u8;
            let lv = (l as char).to_digit(16).unwrap_or(0) as u8;
            out.push(hv * 16 + lv);
            i += 3;
            continue;
        }
        out.push(b[i]);
        i += 1;
    }
    out
}

fn translate_sqlite(url: SqlaUrl, base_dir: &Path) -> Result<DbTarget> {
    let ctx = Ctx { url: &url };
    if url.username().is_some_and(|u| !u.is_empty())
        || url.password().is_some_and(|p| !p.expose().is_empty())
        || url.host().is_some_and(|h| !h.is_empty())
        || url.port().is_some_and(|p| p != 0)
    {
        return Err(Error::config(format!(
            "Invalid SQLite URL: {}. Valid SQLite URL forms are sqlite:///:memory: (or \
             sqlite://), sqlite:///relative/path/to/file.db and \
             sqlite:////absolute/path/to/file.db (three slashes before a relative path, four \
             before an absolute one).",
            url.redacted()
        )));
    }
    // pysqlite's own arguments, coerced as SQLAlchemy coerces them.
    let mut uri = false;
    let mut busy_timeout = Duration::from_secs(5);
    let mut uri_opts: Vec<(String, String)> = Vec::new();
    for (key, value) in url.query() {
        let v = match value {
            QueryValue::One(s) => KwValue::Text(s.clone()),
            QueryValue::Many(_) => KwValue::Many,
        };
        match key.as_str() {
            "uri" => uri = ctx.boolean(key, v)?,
            "timeout" => {
                let secs = ctx.float(key, v)?;
                busy_timeout = ctx.seconds(key, secs.max(0.0))?;
            }
            "check_same_thread" => {
                ctx.boolean(key, v)?;
            }
            "detect_types" | "cached_statements" => {
                ctx.int(key, v)?;
            }
            "isolation_level" => {
                ctx.text(key, v)?;
            }
            _ => {
                // SQLite URI parameters (only with uri=true; SQLAlchemy warns and ignores
                // them otherwise). SQLAlchemy writes a repeated key as a Python tuple.
                let text = match value {
                    QueryValue::One(s) => s.clone(),
                    QueryValue::Many(_) => {
                        return Err(ctx.bad(key, "given more than once; give it once."));
                    }
                };
                uri_opts.push((key.clone(), text));
            }
        }
    }
    let mut params = SqliteParams {
        location: SqliteLocation::Memory,
        read_only: false,
        immutable: false,
        vfs: None,
        busy_timeout,
    };
    if !uri {
        let filename = url.database().filter(|d| !d.is_empty()).unwrap_or(":memory:");
        if filename != ":memory:" {
            params.location = SqliteLocation::File(abspath(filename, base_dir));
        }
    } else {
        let mut filename = url.database().unwrap_or("").to_owned();
        uri_opts.sort();
        if !uri_opts.is_empty() {
            filename.push('?');
            let joined: Vec<String> = uri_opts.iter().map(|(k, v)| format!("{k}={v}")).collect();
            filename.push_str(&joined.join("&"));
        }
        match filename.strip_prefix("file:") {
            None => {
                // Not a URI after all: SQLite opens it as a plain file name.
                if filename.is_empty() {
                    return Err(Error::config(format!(
                        "The SQLite URL {} has uri=true but no database; write \
                         sqlite:///file:path/to/db.sqlite?uri=true (or drop uri=true).",
                        url.redacted()
                    )));
                }
                if filename == ":memory:" {
                    params.location = SqliteLocation::Memory;
                } else {
                    params.location = SqliteLocation::File(abspath(&filename, base_dir));
                }
            }
            Some(rest) => {
                let rest = rest.split('#').next().unwrap_or("");
                let (path_part, query_part) = rest.split_once('?').unwrap_or((rest, ""));
                let path_part = if let Some(after) = path_part.strip_prefix("//") {
                    let (authority, path) = match after.find('/') {
                        Some(i) => (&after[..i], &after[i..]),
                        None => (after, ""),
                    };
                    if !authority.is_empty() && authority != "localhost" {
                        return Err(Error::config(format!(
                            "The SQLite URL {} names the host '{authority}' in its file: URI; \
                             SQLite only opens local files (file:///path or file:path).",
                            url.redacted()
                        )));
                    }
                    path
                } else {
                    path_part
                };
                let path = String::from_utf8(sqlite_uri_decode(path_part)).map_err(|_| {
                    Error::config(format!(
                        "The SQLite URL {} has a file: URI whose path is not UTF-8 once decoded.",
                        url.redacted()
                    ))
                })?;
                let mut memory = path == ":memory:";
                for pair in query_part.split('&').filter(|p| !p.is_empty()) {
                    let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
                    let v = String::from_utf8_lossy(&sqlite_uri_decode(v)).into_owned();
                    match k {
                        "mode" => match v.as_str() {
                            "ro" => params.read_only = true,
                            "rw" | "rwc" => {}
                            "memory" => memory = true,
                            _ => {
                                return Err(ctx.bad(
                                    "mode",
                                    format_args!("'{v}', which SQLite does not know (ro, rw, rwc, memory)."),
                                ));
                            }
                        },
                        "cache" => {}
                        "immutable" => {
                            params.immutable = matches!(v.to_ascii_lowercase().as_str(), "1" | "true" | "yes" | "on")
                        }
                        "vfs" => params.vfs = Some(v),
                        _ => {
                            return Err(ctx.unsupported(
                                k,
                                "only the SQLite URI parameters mode, cache, immutable and vfs are \
                                 supported.",
                            ));
                        }
                    }
                }
                params.location = if memory {
                    SqliteLocation::Memory
                } else if path.is_empty() {
                    return Err(Error::config(format!(
                        "The SQLite URL {} has a file: URI without a path.",
                        url.redacted()
                    )));
                } else {
                    SqliteLocation::File(abspath(&path, base_dir))
                };
            }
        }
    }
    let identity = match &params.location {
        // Every in-memory database starts empty: one connection answers for all of them.
        SqliteLocation::Memory => "sqlite|:memory:".to_owned(),
        SqliteLocation::File(p) => format!("sqlite|{}|{}|{}", p.display(), params.read_only, params.immutable),
    };
    Ok(DbTarget {
        backend: Backend::Sqlite,
        params: Params::Sqlite(params),
        url_connect_timeout: None,
        identity,
        secrets: Vec::new(),
        files: Vec::new(),
        url,
    })
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
