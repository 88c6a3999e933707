//! A SQLite URL translated the way pysqlite opens it: a file path relative to the working
//! directory, `:memory:`, or (with `uri=true`) a `file:` URI with SQLite's own parameters.

use std::path::{Component, Path, PathBuf};
use std::time::Duration;

use crate::db::options::{Ctx, KwValue, Translated};
use crate::db::url::{QueryValue, SqlaUrl};
use crate::error::{Error, Result};

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

pub(crate) fn translate(url: &SqlaUrl, base_dir: &Path) -> Result<Translated<SqliteParams>> {
    let ctx = Ctx { url };
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
    Ok(Translated {
        params,
        url_connect_timeout: None,
        identity,
        secrets: Vec::new(),
        files: Vec::new(),
    })
}

/// What a connection with these parameters uses.
pub(crate) fn describe(p: &SqliteParams, d: &mut Vec<(&'static str, String)>) {
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
