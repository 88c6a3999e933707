//! Migration locks: one holder per database and version table at a time.
//!
//! Each backend keeps its own statements and names beside its URL handling
//! (`postgres/lock.rs`: an advisory lock keyed by a hash of the lock name;
//! `mysql/lock.rs`: `GET_LOCK` on a server-wide name that includes the database;
//! `sqlite/lock.rs`: an exclusive `flock` on `<database file>.monomig-lock`). This module
//! holds what they share: one polling loop that tries without waiting, sleeps 50 ms growing
//! to 500 ms, and names the holder when the timeout passes; the guard that releases; and
//! [`holder_of`], which tells whether another process holds a lock without taking it or
//! waiting for it (`monomig status` reports such a service as migrating).
//!
//! Every lock lives on its own connection or file descriptor and dies with it: release,
//! error, drop, or the death of the process all free it. A guard inherited through
//! `fork()` is left alone by the child, which must not release its parent's lock.

use std::fmt;
use std::fs::File;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use sqlx::Connection;
use sqlx::mysql::MySqlConnection;
use sqlx::postgres::PgConnection;

use super::conn::{ConnectExtras, DbConn, DbError, DbErrorKind, DbResult, connect, endpoint, query_error};
use super::target::{DbTarget, SqliteLocation};
use super::{mysql, postgres, sqlite};
use crate::error::{Error, Result};

pub use super::mysql::lock::lock_name as mysql_lock_name;
pub use super::postgres::lock::lock_key as pg_lock_key;
pub use super::sqlite::lock::lock_path as sqlite_lock_path;

/// Who holds (or wants) a lock.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HolderInfo {
    pub pid: u32,
    pub host: String,
    pub service: Option<String>,
    /// Seconds since the Unix epoch when the holder started waiting for the lock.
    pub started: u64,
}

/// This machine's host name.
pub fn hostname() -> String {
    let mut buf = [0u8; 256];
    // SAFETY: gethostname writes at most buf.len() bytes into buf.
    let rc = unsafe { libc::gethostname(buf.as_mut_ptr().cast(), buf.len()) };
    if rc != 0 {
        return "unknown-host".to_owned();
    }
    let end = buf.iter().position(|&b| b == 0).unwrap_or(buf.len());
    String::from_utf8_lossy(&buf[..end]).into_owned()
}

/// `YYYY-MM-DDTHH:MM:SSZ` for seconds since the epoch.
pub fn iso8601(secs: u64) -> String {
    let days = (secs / 86_400) as i64;
    let rem = secs % 86_400;
    // Civil from days (Howard Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = if m <= 2 { y + 1 } else { y };
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

impl HolderInfo {
    /// This process, now.
    pub fn current(service: Option<&str>) -> HolderInfo {
        HolderInfo {
            pid: std::process::id(),
            host: hostname(),
            service: service.map(str::to_owned),
            started: SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .map(|d| d.as_secs())
                .unwrap_or(0),
        }
    }

    /// A short label that fits PostgreSQL's `application_name` (63 bytes).
    /// It has no NUL character, which the connection's startup packet cannot carry.
    pub fn label(&self) -> String {
        let svc = self.service.as_deref().unwrap_or("-");
        let mut s = format!("monomig {svc} pid={} host={}", self.pid, self.host).replace('\0', "?");
        if s.len() > 63 {
            let mut cut = 63;
            while !s.is_char_boundary(cut) {
                cut -= 1;
            }
            s.truncate(cut);
        }
        s
    }

    /// The lock-file form (one JSON object).
    fn to_json(&self, lock_name: &str) -> String {
        serde_json::json!({
            "pid": self.pid,
            "host": self.host,
            "service": self.service,
            "started": iso8601(self.started),
            "lock": lock_name,
        })
        .to_string()
    }
}

impl fmt::Display for HolderInfo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(s) = &self.service {
            write!(f, "service '{s}', ")?;
        }
        write!(
            f,
            "pid {} on host '{}', since {}",
            self.pid,
            self.host,
            iso8601(self.started)
        )
    }
}

/// A lock being waited for, then held: the connection or file it lives on.
enum Held {
    Postgres {
        conn: PgConnection,
        key: i64,
    },
    MySql {
        conn: MySqlConnection,
        name: String,
    },
    File {
        file: File,
        path: PathBuf,
        /// What the holder writes into the file once it holds it.
        description: String,
    },
    /// An in-memory SQLite database is private to one connection: nothing to exclude.
    Nothing,
}

impl Held {
    /// One attempt that never waits: true when the lock is now held. An error is the
    /// backend's message (not yet scrubbed of secrets).
    async fn try_take(&mut self) -> std::result::Result<bool, String> {
        match self {
            Held::Postgres { conn, key } => postgres::lock::try_lock(conn, *key).await.map_err(|e| e.to_string()),
            Held::MySql { conn, name } => match mysql::lock::try_lock(conn, name).await {
                Ok(Some(got)) => Ok(got),
                Ok(None) => Err("GET_LOCK answered NULL (a server-side error)".to_owned()),
                Err(e) => Err(e.to_string()),
            },
            Held::File {
                file,
                path,
                description,
            } => match sqlite::lock::try_lock(file) {
                Ok(true) => {
                    sqlite::lock::describe(file, description);
                    Ok(true)
                }
                Ok(false) => Ok(false),
                Err(err) => Err(format!("locking {} failed ({err}).", path.display())),
            },
            Held::Nothing => Ok(true),
        }
    }

    /// Who holds the lock this one waits for, as the backend describes it.
    async fn holder(&mut self) -> Option<String> {
        match self {
            Held::Postgres { conn, key } => postgres::lock::holder(conn, *key).await,
            Held::MySql { conn, name } => mysql::lock::holder(conn, name).await,
            Held::File { path, .. } => sqlite::lock::holder(path),
            Held::Nothing => None,
        }
    }

    /// Stop waiting: close the connection (or file).
    async fn abandon(self) {
        match self {
            Held::Postgres { conn, .. } => {
                let _ = conn.close().await;
            }
            Held::MySql { conn, .. } => {
                let _ = conn.close().await;
            }
            Held::File { .. } | Held::Nothing => {}
        }
    }
}

/// A held lock. Release it with [`LockGuard::release`]; dropping it also frees the lock
/// (the connection or file closes), and so does the death of the process.
pub struct LockGuard {
    held: Option<Held>,
    owner_pid: u32,
    lock_name: String,
    masked_url: String,
}

impl fmt::Debug for LockGuard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LockGuard")
            .field("lock_name", &self.lock_name)
            .field("url", &self.masked_url)
            .field("held", &self.held.is_some())
            .finish()
    }
}

impl LockGuard {
    pub fn lock_name(&self) -> &str {
        &self.lock_name
    }

    pub fn is_held(&self) -> bool {
        self.held.is_some()
    }

    /// Free the lock and close its connection or file.
    pub async fn release(mut self) -> Result<()> {
        let Some(held) = self.held.take() else {
            return Ok(());
        };
        if std::process::id() != self.owner_pid {
            // A forked child: the connection belongs to the parent.
            std::mem::forget(held);
            return Err(Error::lock(format!(
                "The migration lock '{}' on {} was taken by process {}; this process ({}) \
                 inherited it through fork() and cannot release it. Release it in the process \
                 that took it.",
                self.lock_name,
                self.masked_url,
                self.owner_pid,
                std::process::id()
            )));
        }
        let grace = Duration::from_secs(5);
        let outcome = match held {
            Held::Postgres { mut conn, key } => {
                let r = tokio::time::timeout(grace, postgres::lock::unlock(&mut conn, key)).await;
                let _ = tokio::time::timeout(grace, conn.close()).await;
                match r {
                    Ok(Ok(())) => Ok(()),
                    Ok(Err(e)) => Err(e.to_string()),
                    Err(_) => Err("no answer from the server".to_owned()),
                }
            }
            Held::MySql { mut conn, name } => {
                let r = tokio::time::timeout(grace, mysql::lock::unlock(&mut conn, &name)).await;
                let _ = tokio::time::timeout(grace, conn.close()).await;
                match r {
                    Ok(Ok(())) => Ok(()),
                    Ok(Err(e)) => Err(e.to_string()),
                    Err(_) => Err("no answer from the server".to_owned()),
                }
            }
            Held::File { file, .. } => sqlite::lock::unlock(file).map_err(|e| e.to_string()),
            Held::Nothing => Ok(()),
        };
        // Whatever the answer, the connection is closed, and a closed connection holds
        // no lock: report the problem but the lock is gone.
        outcome.map_err(|why| {
            Error::lock(format!(
                "Releasing the migration lock '{}' on {} reported a problem ({why}); the lock's \
                 connection is closed, which frees it.",
                self.lock_name, self.masked_url
            ))
        })
    }
}

impl Drop for LockGuard {
    fn drop(&mut self) {
        let Some(held) = self.held.take() else {
            return;
        };
        if std::process::id() != self.owner_pid {
            std::mem::forget(held);
            return;
        }
        match held {
            Held::Postgres { conn, .. } => close_in_background(DbConn::Postgres(conn)),
            Held::MySql { conn, .. } => close_in_background(DbConn::MySql(conn)),
            Held::File { file, .. } => {
                let _ = file.set_len(0);
                drop(file);
            }
            Held::Nothing => {}
        }
    }
}

/// Drop a connection: closed politely when a runtime is at hand, else its socket is
/// simply closed (the server frees the lock either way).
fn close_in_background(conn: DbConn) {
    match tokio::runtime::Handle::try_current() {
        Ok(handle) => {
            handle.spawn(conn.close());
        }
        Err(_) => drop(conn),
    }
}

fn lock_err(lock_name: &str, target: &DbTarget, why: impl fmt::Display) -> Error {
    Error::lock(format!(
        "Cannot take the migration lock '{lock_name}' on {}: {why}",
        target.masked()
    ))
}

fn timeout_err(lock_name: &str, target: &DbTarget, timeout: Duration, holder: Option<String>) -> Error {
    let who = holder.unwrap_or_else(|| "a holder monomig could not identify".to_owned());
    Error::lock(format!(
        "Timed out after {} waiting for the migration lock '{lock_name}' on {}: it is held by \
         {who}. Another migration of this database is running; wait for it to finish, or stop \
         that process if it is stuck (its lock is freed as soon as it releases it, its \
         connection closes or the process ends).",
        secs(timeout),
        target.masked()
    ))
}

fn secs(d: Duration) -> String {
    let s = d.as_secs_f64();
    if s.fract() == 0.0 {
        format!("{s:.0} s")
    } else {
        format!("{s:.1} s")
    }
}

/// Next poll delay: 50 ms growing to 500 ms, never past the deadline.
fn next_delay(delay: Duration, deadline: Instant) -> Option<Duration> {
    let now = Instant::now();
    if now >= deadline {
        return None;
    }
    Some(delay.min(deadline - now))
}

/// Take the lock `lock_name` for the database `target` points at, waiting up to `timeout`.
/// `connect_timeout` bounds opening the lock's own connection.
pub async fn acquire(
    target: &DbTarget,
    lock_name: &str,
    timeout: Duration,
    connect_timeout: Duration,
    holder: &HolderInfo,
) -> Result<LockGuard> {
    let now = Instant::now();
    // A timeout too large for the clock means "wait for ever": about a century.
    let deadline = now
        .checked_add(timeout)
        .unwrap_or_else(|| now + Duration::from_secs(100 * 365 * 86_400));
    let contender = match target.sqlite_location() {
        Some(SqliteLocation::Memory) => Held::Nothing,
        Some(SqliteLocation::File(db_path)) => {
            let path = sqlite::lock::lock_path_of(db_path);
            let file = sqlite::lock::open(&path).map_err(|e| {
                lock_err(
                    lock_name,
                    target,
                    format_args!(
                        "the lock file {} cannot be opened ({e}); its directory must exist and be \
                         writable.",
                        path.display()
                    ),
                )
            })?;
            Held::File {
                file,
                path,
                description: holder.to_json(lock_name),
            }
        }
        None => {
            let extras = ConnectExtras {
                application_name: Some(holder.label()),
            };
            let conn = connect(target, connect_timeout, &extras)
                .await
                .map_err(|e: DbError| -> Error { e.into() })?;
            match conn {
                DbConn::Postgres(conn) => Held::Postgres {
                    conn,
                    key: postgres::lock::lock_key(lock_name),
                },
                DbConn::MySql(mut conn) => match mysql::lock::current_database(&mut conn).await {
                    Ok(database) => Held::MySql {
                        name: mysql::lock::lock_name(lock_name, database.as_deref().unwrap_or("")),
                        conn,
                    },
                    Err(e) => {
                        let _ = conn.close().await;
                        return Err(lock_err(lock_name, target, target.scrub(&e.to_string())));
                    }
                },
                DbConn::Sqlite(c) => {
                    let _ = c.close().await;
                    return Err(lock_err(lock_name, target, "unexpected SQLite connection"));
                }
            }
        }
    };
    let held = wait_for(target, lock_name, timeout, deadline, contender).await?;
    Ok(LockGuard {
        held: Some(held),
        owner_pid: std::process::id(),
        lock_name: lock_name.to_owned(),
        masked_url: target.masked(),
    })
}

/// The one polling loop of every backend: try without waiting, sleep (50 ms growing to
/// 500 ms, never past the deadline), and at the deadline name the holder.
async fn wait_for(
    target: &DbTarget,
    lock_name: &str,
    timeout: Duration,
    deadline: Instant,
    mut lock: Held,
) -> Result<Held> {
    let mut delay = Duration::from_millis(50);
    loop {
        match lock.try_take().await {
            Ok(true) => return Ok(lock),
            Ok(false) => {}
            Err(why) => {
                lock.abandon().await;
                return Err(lock_err(lock_name, target, target.scrub(&why)));
            }
        }
        match next_delay(delay, deadline) {
            Some(d) => tokio::time::sleep(d).await,
            None => {
                let who = lock.holder().await;
                lock.abandon().await;
                return Err(timeout_err(lock_name, target, timeout, who));
            }
        }
        delay = (delay * 2).min(Duration::from_millis(500));
    }
}

/// Who holds the lock `lock_name` of the database `target` points at, read over `conn`
/// (an open connection to that database) without taking the lock or waiting for it:
/// PostgreSQL's `pg_locks` and `pg_stat_activity`, MySQL's `IS_USED_LOCK` and process
/// list, the kernel's lock table and the lock file for SQLite. `Ok(None)` when nobody
/// holds it (or, for an in-memory database, when nobody can).
pub async fn holder_of(conn: &mut DbConn, target: &DbTarget, lock_name: &str) -> DbResult<Option<String>> {
    let doing = format!("Looking for the holder of the migration lock '{lock_name}'");
    match conn {
        DbConn::Postgres(c) => {
            let key = postgres::lock::lock_key(lock_name);
            let held = postgres::lock::is_held(c, key)
                .await
                .map_err(|e| query_error(target, &doing, e))?;
            if !held {
                return Ok(None);
            }
            Ok(Some(
                postgres::lock::holder(c, key).await.unwrap_or_else(unknown_holder),
            ))
        }
        DbConn::MySql(c) => {
            let database = mysql::lock::current_database(c)
                .await
                .map_err(|e| query_error(target, &doing, e))?;
            let name = mysql::lock::lock_name(lock_name, database.as_deref().unwrap_or(""));
            let held = mysql::lock::is_held(c, &name)
                .await
                .map_err(|e| query_error(target, &doing, e))?;
            if !held {
                return Ok(None);
            }
            Ok(Some(mysql::lock::holder(c, &name).await.unwrap_or_else(unknown_holder)))
        }
        DbConn::Sqlite(_) => sqlite_holder_of(target, lock_name),
    }
}

/// [`holder_of`] for a SQLite target, which needs no connection (the database file may
/// not even exist yet).
pub fn sqlite_holder_of(target: &DbTarget, lock_name: &str) -> DbResult<Option<String>> {
    match target.sqlite_location() {
        Some(SqliteLocation::File(db_path)) => sqlite_holder(target, db_path, lock_name),
        _ => Ok(None),
    }
}

fn unknown_holder() -> String {
    "a holder monomig could not identify".to_owned()
}

/// The holder of a SQLite database's lock file, from the kernel's lock table: the
/// description the holder wrote, else the pids the kernel names. One lock file serves
/// every lock name of a database file; a holder whose description names another lock
/// (another service's version table on the same file) is not migrating this one.
fn sqlite_holder(target: &DbTarget, db_path: &Path, lock_name: &str) -> DbResult<Option<String>> {
    let path = sqlite::lock::lock_path_of(db_path);
    match sqlite::lock::flock_holders(&path) {
        Some(pids) if pids.is_empty() => Ok(None),
        Some(_) if sqlite::lock::holder_lock_name(&path).is_some_and(|held| held != lock_name) => Ok(None),
        Some(pids) => Ok(Some(sqlite::lock::holder(&path).unwrap_or_else(|| {
            let list: Vec<String> = pids.iter().map(u32::to_string).collect();
            format!("pid {} (see {})", list.join(", "), path.display())
        }))),
        None => Err(DbError::new(
            DbErrorKind::Other,
            format!(
                "Cannot tell whether the migration lock file {} of {} is held: this system has no \
                 /proc/locks to read it from without taking the lock.",
                path.display(),
                target.masked()
            ),
        )),
    }
}

/// Where a lock for `target` lives, for messages and tests.
pub fn lock_location(target: &DbTarget, lock_name: &str) -> String {
    match target.sqlite_location() {
        Some(SqliteLocation::File(p)) => sqlite_lock_path(p).display().to_string(),
        Some(SqliteLocation::Memory) => "nowhere (in-memory database)".to_owned(),
        None => format!("{} ({lock_name})", endpoint(target)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stable_keys() {
        assert_eq!(
            pg_lock_key("monomig:public.alembic_version"),
            pg_lock_key("monomig:public.alembic_version")
        );
        assert_ne!(pg_lock_key("monomig:a"), pg_lock_key("monomig:b"));
    }

    #[test]
    fn dates() {
        assert_eq!(iso8601(0), "1970-01-01T00:00:00Z");
        assert_eq!(iso8601(951_782_400), "2000-02-29T00:00:00Z");
        assert_eq!(iso8601(1_700_000_000), "2023-11-14T22:13:20Z");
    }

    #[test]
    fn label_fits_application_name() {
        let h = HolderInfo {
            pid: 1,
            host: "h".repeat(100),
            service: Some("s".into()),
            started: 0,
        };
        assert!(h.label().len() <= 63);
        let nul = HolderInfo {
            pid: 1,
            host: "h".into(),
            service: Some("a\0b".into()),
            started: 0,
        };
        assert_eq!(nul.label(), "monomig a?b pid=1 host=h");
    }
}
