//! What every backend's URL translation shares: the driver keyword arguments SQLAlchemy
//! builds from a URL ([`Kwargs`]), typed readings of option values that fail with a message
//! naming the option ([`Ctx`]), the secrets to scrub from driver messages, and the user a
//! driver falls back to.
//!
//! Each dialect's `create_connect_args` turns the URL into driver keyword arguments
//! (`translate_connect_args`, then `opts.update(url.query)`), so query keys override URL
//! parts and name driver options. monomig accepts the options that decide where and how to
//! connect, ignores the ones that only tune a Python driver (timeouts of later reads,
//! statement caches, ...), and refuses everything else with an error naming the key:
//! an option monomig cannot honour must never silently give a different connection.

use std::fmt;
use std::time::Duration;

use super::url::{Password, QueryValue, SqlaUrl};
use crate::error::{Error, Result};
use crate::pystr::int as py_int;

/// One backend's translation of a URL: its sqlx options (`P`) and what monomig keeps
/// beside them. [`super::target::DbTarget`] puts it together with the URL.
pub(crate) struct Translated<P> {
    pub params: P,
    /// A connect timeout the URL itself asks for (`connect_timeout`, `timeout`).
    pub url_connect_timeout: Option<Duration>,
    /// Equal for two targets that reach the same database as the same user.
    pub identity: String,
    /// The password in its raw and encoded forms, for scrubbing driver messages.
    pub secrets: Vec<String>,
    /// Files the TLS options name (`sslrootcert`, `ssl_ca`, ...), checked before connecting.
    pub files: Vec<(&'static str, String)>,
}

/// The driver keyword arguments SQLAlchemy builds: URL parts (only the truthy ones, as
/// `translate_connect_args` does) under the driver's names, then the query on top.
pub(crate) struct Kwargs {
    pub items: Vec<(String, KwValue)>,
    /// Key -> position in `items` (URLs can carry many query options).
    index: std::collections::HashMap<String, usize>,
}

#[derive(Clone)]
pub(crate) enum KwValue {
    Text(String),
    Secret(Password),
    Int(i64),
    /// A key given more than once.
    Many,
}

impl Kwargs {
    pub fn new(url: &SqlaUrl, names: [&str; 5]) -> Kwargs {
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

    pub fn set(&mut self, key: &str, value: KwValue) {
        if let Some(&i) = self.index.get(key) {
            self.items[i].1 = value;
        } else {
            self.index.insert(key.to_owned(), self.items.len());
            self.items.push((key.to_owned(), value));
        }
    }

    pub fn contains(&self, key: &str) -> bool {
        self.index.contains_key(key)
    }

    pub fn remove(&mut self, key: &str) -> Option<KwValue> {
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

pub(crate) struct Ctx<'a> {
    pub url: &'a SqlaUrl,
}

impl Ctx<'_> {
    pub fn bad(&self, key: &str, why: impl fmt::Display) -> Error {
        Error::config(format!(
            "The database URL {} has the option '{key}', {why}",
            self.url.redacted()
        ))
    }

    /// A single text value (a password stays a password).
    pub fn text(&self, key: &str, v: KwValue) -> Result<String> {
        match v {
            KwValue::Text(s) => Ok(s),
            KwValue::Secret(p) => Ok(p.expose().to_owned()),
            KwValue::Int(i) => Ok(i.to_string()),
            KwValue::Many => Err(self.bad(key, "given more than once; give it once.")),
        }
    }

    pub fn port(&self, key: &str, v: KwValue) -> Result<u16> {
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
    pub fn boolean(&self, key: &str, v: KwValue) -> Result<bool> {
        let t = self.text(key, v)?;
        match t.trim().to_lowercase().as_str() {
            "true" | "yes" | "on" | "y" | "t" | "1" => Ok(true),
            "false" | "no" | "off" | "n" | "f" | "0" => Ok(false),
            _ => Err(self.bad(key, "which must be true or false (true/yes/on/1 or false/no/off/0).")),
        }
    }

    pub fn int(&self, key: &str, v: KwValue) -> Result<i64> {
        let t = self.text(key, v)?;
        py_int(&t).map_err(|_| self.bad(key, "which must be a whole number."))
    }

    pub fn float(&self, key: &str, v: KwValue) -> Result<f64> {
        let t = self.text(key, v)?;
        t.trim()
            .replace('_', "")
            .parse::<f64>()
            .map_err(|_| self.bad(key, "which must be a number."))
    }

    pub fn seconds(&self, key: &str, secs: f64) -> Result<Duration> {
        Duration::try_from_secs_f64(secs).map_err(|_| self.bad(key, "which is not a usable number of seconds."))
    }

    pub fn unsupported(&self, key: &str, what: &str) -> Error {
        self.bad(key, format_args!("which monomig does not support: {what}"))
    }
}

pub(crate) fn secrets_of(password: Option<&str>) -> Vec<String> {
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
pub(crate) fn password_tag(p: Option<&str>) -> String {
    match p {
        None => "-".to_owned(),
        Some(p) => format!("{:016x}", crate::hash::fnv1a64(p.as_bytes())),
    }
}

impl<P> Translated<P> {
    /// A server URL's translation: `params`, its `identity` (an [`IdentityKey`]), and the
    /// secrets of the password used and of the URL's own (`url_password`).
    pub fn server(
        params: P,
        identity: String,
        passwords: [Option<&str>; 2],
        url_connect_timeout: Option<Duration>,
        files: Vec<(&'static str, String)>,
    ) -> Self {
        let secrets = passwords.into_iter().flat_map(secrets_of).collect();
        Translated {
            params,
            url_connect_timeout,
            identity,
            secrets,
            files,
        }
    }
}

/// The connection identity key two URLs share exactly when they reach the same server
/// as the same user with the same settings: `<backend>|<socket>|<host>|<port>|<user>|
/// <password tag>|<database>|<ssl mode>|<backend extra>`. The password appears only as
/// [`password_tag`].
pub(crate) struct IdentityKey<'a> {
    pub backend: &'a str,
    pub socket: Option<&'a std::path::Path>,
    pub host: &'a str,
    pub port: u16,
    pub user: &'a str,
    pub password: Option<&'a str>,
    pub database: &'a str,
    pub ssl_mode: &'a dyn std::fmt::Debug,
    pub extra: &'a str,
}

impl IdentityKey<'_> {
    pub fn render(&self) -> String {
        format!(
            "{}|{}|{}|{}|{}|{}|{}|{:?}|{}",
            self.backend,
            self.socket.map(|s| s.display().to_string()).unwrap_or_default(),
            self.host,
            self.port,
            self.user,
            password_tag(self.password),
            self.database,
            self.ssl_mode,
            self.extra,
        )
    }
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
