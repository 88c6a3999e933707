//! A MySQL/MariaDB URL translated into sqlx's `MySqlConnectOptions` the way each Python
//! driver reads it: mysqlclient, mysqlconnector and mariadbconnector prefer TLS; PyMySQL
//! and the drivers built on it use TLS only when asked.

use std::time::Duration;

use sqlx::mysql::{MySqlConnectOptions, MySqlSslMode};

use crate::db::options::{Ctx, IdentityKey, Kwargs, Translated, os_user};
use crate::db::url::{Password, SqlaUrl};
use crate::error::Result;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum MyDriver {
    /// mysqlclient (`MySQLdb`, the default), mysqlconnector, mariadbconnector: TLS preferred.
    Mysqldb,
    /// PyMySQL and the drivers built on it (aiomysql, asyncmy, cymysql): TLS only when asked.
    Pymysql,
}

pub(crate) fn translate(url: &SqlaUrl, driver: MyDriver) -> Result<Translated<MySqlConnectOptions>> {
    let ctx = Ctx { url };
    let names = match driver {
        MyDriver::Mysqldb => ["host", "db", "user", "passwd", "port"],
        MyDriver::Pymysql => ["host", "database", "user", "password", "port"],
    };
    let mut kw = Kwargs::new(url, names);
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
    let identity = IdentityKey {
        backend: "my",
        socket: o.get_socket().map(|s| s.as_path()),
        host: o.get_host(),
        port: o.get_port(),
        user: &user,
        password: password.as_deref(),
        database: database.as_deref().unwrap_or(""),
        ssl_mode: &o.get_ssl_mode(),
        extra: o.get_charset(),
    }
    .render();
    let passwords = [password.as_deref(), url.password().map(Password::expose)];
    Ok(Translated::server(o, identity, passwords, timeout, files))
}

/// The driver family of a `mysql+<driver>` / `mariadb+<driver>` URL, or None for a driver
/// monomig does not know.
pub(crate) fn driver(name: Option<&str>) -> Option<MyDriver> {
    match name {
        None | Some("mysqldb") | Some("mysqlconnector") | Some("mariadbconnector") => Some(MyDriver::Mysqldb),
        Some("pymysql") | Some("aiomysql") | Some("asyncmy") | Some("cymysql") => Some(MyDriver::Pymysql),
        Some(_) => None,
    }
}

/// What a connection with these options uses, without the password.
pub(crate) fn describe(o: &MySqlConnectOptions, d: &mut Vec<(&'static str, String)>) {
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
