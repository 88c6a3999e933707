//! A PostgreSQL URL translated into sqlx's `PgConnectOptions` the way each Python driver
//! reads it: libpq's keywords, PG* environment and password file for psycopg2, psycopg
//! and psycopg2cffi; asyncpg's and pg8000's own keywords.

use std::path::Path;
use std::time::Duration;

use sqlx::postgres::{PgConnectOptions, PgSslMode};

use super::pgpass;
use crate::db::options::{Ctx, IdentityKey, KwValue, Kwargs, Translated, login_name, os_user};
use crate::db::url::{Password, QueryValue, SqlaUrl};
use crate::error::{Error, Result};

/// How a driver family reads its options.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum PgDriver {
    /// psycopg2, psycopg (3), psycopg2cffi: libpq keywords, PG* environment, ~/.pgpass.
    Libpq,
    /// asyncpg: its own keywords, PG* environment, ~/.pgpass.
    Asyncpg,
    /// pg8000: its own keywords, no environment, no password file.
    Pg8000,
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

pub(crate) fn translate(url: &SqlaUrl, driver: PgDriver) -> Result<Translated<PgConnectOptions>> {
    let ctx = Ctx { url };
    let names = match driver {
        PgDriver::Libpq => ["host", "dbname", "user", "password", "port"],
        PgDriver::Asyncpg | PgDriver::Pg8000 => ["host", "database", "user", "password", "port"],
    };
    let mut kw = Kwargs::new(url, names);
    if let Some((h, p)) = pg_query_host(&ctx, url)? {
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
        password = pgpass::lookup(&o);
    }
    if let Some(p) = &password {
        o = o.password(p);
    }
    let identity = IdentityKey {
        backend: "pg",
        socket: o.get_socket().map(|s| s.as_path()),
        host: o.get_host(),
        port: o.get_port(),
        user: o.get_username(),
        password: password.as_deref(),
        database: o.get_database().unwrap_or(""),
        ssl_mode: &o.get_ssl_mode(),
        extra: o.get_options().unwrap_or(""),
    }
    .render();
    let passwords = [password.as_deref(), url.password().map(Password::expose)];
    Ok(Translated::server(o, identity, passwords, timeout, files))
}

/// The driver family of a `postgresql+<driver>` URL, or None for a driver monomig does not know.
pub(crate) fn driver(name: Option<&str>) -> Option<PgDriver> {
    match name {
        None | Some("psycopg2") | Some("psycopg") | Some("psycopg_async") | Some("psycopg2cffi") => {
            Some(PgDriver::Libpq)
        }
        Some("asyncpg") => Some(PgDriver::Asyncpg),
        Some("pg8000") => Some(PgDriver::Pg8000),
        Some(_) => None,
    }
}

/// What a connection with these options uses, without the password.
pub(crate) fn describe(o: &PgConnectOptions, d: &mut Vec<(&'static str, String)>) {
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
