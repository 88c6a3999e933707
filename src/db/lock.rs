//! Migration locks: one holder per database and version table at a time.
//!
//! - PostgreSQL: `pg_try_advisory_lock(key)` on a dedicated connection, polled until the
//!   timeout; `key` is a stable 64-bit hash (FNV-1a) of the lock name. The holder's
//!   `application_name` says who it is, and a waiter finds it through `pg_locks`.
//! - MySQL/MariaDB: `GET_LOCK(name, 0)`, polled, on a dedicated connection. Lock names
//!   are server-wide, so the database name is part of the name; names longer than 64
//!   characters are shortened with a hash. A waiter finds the holder with
//!   `IS_USED_LOCK` and the process list.
//! - SQLite: an exclusive `flock` on `<database file>.monomig-lock`, never a lock inside
//!   the database; the file holds the holder's description. The file is never deleted
//!   (deleting a lock file races with processes waiting on it). There is one lock file per
//!   database file, so every lock name on one SQLite database is the same lock: coarser
//!   than on the servers, and harmless, since SQLite admits one writer at a time anyway.
//!
//! Every lock lives on its own connection or file descriptor and dies with it: release,
//! error, drop, or the death of the process all free it. A guard inherited through
//! `fork()` is left alone by the child, which must not release its parent's lock.

use std::fmt;
use std::fs::File;
use std::io::{Read, Seek, Write};
use std::path::PathBuf;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use sqlx::Connection;
use sqlx::mysql::MySqlConnection;
use sqlx::postgres::PgConnection;

use super::conn::{ConnectExtras, DbConn, DbError, connect, endpoint};
use super::target::{DbTarget, SqliteLocation};
use crate::error::{Error, Result};

/// 64-bit FNV-1a: stable across platforms, versions and processes.
pub fn fnv1a64(bytes: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for &b in bytes {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    h
}

/// The PostgreSQL advisory-lock key for a lock name.
pub fn pg_lock_key(lock_name: &str) -> i64 {
    fnv1a64(lock_name.as_bytes()) as i64
}

/// The MySQL `GET_LOCK` name for a lock name in a database (at most 64 characters).
pub fn mysql_lock_name(lock_name: &str, database: &str) -> String {
    let full = format!("{lock_name}@{database}");
    if full.chars().count() <= 64 {
        return full;
    }
    let hash = format!("{:016x}", fnv1a64(full.as_bytes()));
    let prefix: String = full.chars().take(64 - 1 - hash.len()).collect();
    format!("{prefix}~{hash}")
}

/// The name of the SQLite lock file for a database file.
pub fn sqlite_lock_path(db: &std::path::Path) -> PathBuf {
    let mut s = db.as_os_str().to_owned();
    s.push(".monomig-lock");
    PathBuf::from(s)
}

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
    },
    /// An in-memory SQLite database is private to one connection: nothing to exclude.
    Nothing,
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
                let r = tokio::time::timeout(
                    grace,
                    sqlx::query("SELECT pg_advisory_unlock($1)")
                        .bind(key)
                        .execute(&mut conn),
                )
                .await;
                let _ = tokio::time::timeout(grace, conn.close()).await;
                match r {
                    Ok(Ok(_)) => Ok(()),
                    Ok(Err(e)) => Err(e.to_string()),
                    Err(_) => Err("no answer from the server".to_owned()),
                }
            }
            Held::MySql { mut conn, name } => {
                let r = tokio::time::timeout(
                    grace,
                    sqlx::query("SELECT RELEASE_LOCK(?)").bind(name).execute(&mut conn),
                )
                .await;
                let _ = tokio::time::timeout(grace, conn.close()).await;
                match r {
                    Ok(Ok(_)) => Ok(()),
                    Ok(Err(e)) => Err(e.to_string()),
                    Err(_) => Err("no answer from the server".to_owned()),
                }
            }
            Held::File { file } => {
                let _ = file.set_len(0);
                // SAFETY: flock on a descriptor we own.
                let rc = unsafe { libc::flock(std::os::fd::AsRawFd::as_raw_fd(&file), libc::LOCK_UN) };
                drop(file);
                if rc == 0 {
                    Ok(())
                } else {
                    Err(std::io::Error::last_os_error().to_string())
                }
            }
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
            Held::File { file } => {
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
    let held = match target.sqlite_location() {
        Some(SqliteLocation::Memory) => Held::Nothing,
        Some(SqliteLocation::File(path)) => acquire_file(target, path, lock_name, timeout, deadline, holder).await?,
        None => {
            let extras = ConnectExtras {
                application_name: Some(holder.label()),
            };
            let conn = connect(target, connect_timeout, &extras)
                .await
                .map_err(|e: DbError| -> Error { e.into() })?;
            match conn {
                DbConn::Postgres(c) => acquire_pg(target, c, lock_name, timeout, deadline).await?,
                DbConn::MySql(c) => acquire_mysql(target, c, lock_name, timeout, deadline).await?,
                DbConn::Sqlite(c) => {
                    let _ = c.close().await;
                    return Err(lock_err(lock_name, target, "unexpected SQLite connection"));
                }
            }
        }
    };
    Ok(LockGuard {
        held: Some(held),
        owner_pid: std::process::id(),
        lock_name: lock_name.to_owned(),
        masked_url: target.masked(),
    })
}

async fn acquire_pg(
    target: &DbTarget,
    mut conn: PgConnection,
    lock_name: &str,
    timeout: Duration,
    deadline: Instant,
) -> Result<Held> {
    let key = pg_lock_key(lock_name);
    let mut delay = Duration::from_millis(50);
    loop {
        let got: std::result::Result<bool, sqlx::Error> = sqlx::query_scalar("SELECT pg_try_advisory_lock($1)")
            .bind(key)
            .fetch_one(&mut conn)
            .await;
        match got {
            Ok(true) => return Ok(Held::Postgres { conn, key }),
            Ok(false) => {}
            Err(e) => {
                let _ = conn.close().await;
                return Err(lock_err(lock_name, target, target.scrub(&e.to_string())));
            }
        }
        match next_delay(delay, deadline) {
            Some(d) => tokio::time::sleep(d).await,
            None => {
                let who = pg_holder(&mut conn, key).await;
                let _ = conn.close().await;
                return Err(timeout_err(lock_name, target, timeout, who));
            }
        }
        delay = (delay * 2).min(Duration::from_millis(500));
    }
}

async fn pg_holder(conn: &mut PgConnection, key: i64) -> Option<String> {
    let classid = ((key as u64) >> 32) as i64;
    let objid = ((key as u64) & 0xffff_ffff) as i64;
    type HolderRow = (i32, Option<String>, Option<String>, Option<String>);
    let row: Option<HolderRow> = sqlx::query_as(
        "SELECT a.pid, a.application_name, host(a.client_addr), \
                to_char(a.backend_start AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"') \
         FROM pg_catalog.pg_locks l JOIN pg_catalog.pg_stat_activity a ON a.pid = l.pid \
         WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 1 \
           AND l.classid::bigint = $1 AND l.objid::bigint = $2 \
           AND l.database = (SELECT oid FROM pg_catalog.pg_database WHERE datname = current_database()) \
         LIMIT 1",
    )
    .bind(classid)
    .bind(objid)
    .fetch_optional(&mut *conn)
    .await
    .ok()
    .flatten();
    let (pid, app, addr, since) = row?;
    let mut s = match app.filter(|a| !a.is_empty()) {
        Some(a) => format!("'{a}'"),
        None => "a session without an application_name".to_owned(),
    };
    s.push_str(&format!(" (server pid {pid}"));
    if let Some(addr) = addr {
        s.push_str(&format!(", client {addr}"));
    } else {
        s.push_str(", local socket");
    }
    if let Some(since) = since {
        s.push_str(&format!(", connected since {since}"));
    }
    s.push(')');
    Some(s)
}

async fn acquire_mysql(
    target: &DbTarget,
    mut conn: MySqlConnection,
    lock_name: &str,
    timeout: Duration,
    deadline: Instant,
) -> Result<Held> {
    let database: Option<String> = match sqlx::query_scalar("SELECT DATABASE()").fetch_one(&mut conn).await {
        Ok(d) => d,
        Err(e) => {
            let _ = conn.close().await;
            return Err(lock_err(lock_name, target, target.scrub(&e.to_string())));
        }
    };
    let name = mysql_lock_name(lock_name, database.as_deref().unwrap_or(""));
    let mut delay = Duration::from_millis(50);
    loop {
        let got: std::result::Result<Option<i64>, sqlx::Error> = sqlx::query_scalar("SELECT GET_LOCK(?, 0)")
            .bind(&name)
            .fetch_one(&mut conn)
            .await;
        match got {
            Ok(Some(1)) => return Ok(Held::MySql { conn, name }),
            Ok(Some(_)) => {}
            Ok(None) => {
                let _ = conn.close().await;
                return Err(lock_err(
                    lock_name,
                    target,
                    "GET_LOCK answered NULL (a server-side error)",
                ));
            }
            Err(e) => {
                let _ = conn.close().await;
                return Err(lock_err(lock_name, target, target.scrub(&e.to_string())));
            }
        }
        match next_delay(delay, deadline) {
            Some(d) => tokio::time::sleep(d).await,
            None => {
                let who = mysql_holder(&mut conn, &name).await;
                let _ = conn.close().await;
                return Err(timeout_err(lock_name, target, timeout, who));
            }
        }
        delay = (delay * 2).min(Duration::from_millis(500));
    }
}

async fn mysql_holder(conn: &mut MySqlConnection, name: &str) -> Option<String> {
    let id: Option<i64> = sqlx::query_scalar("SELECT CAST(IS_USED_LOCK(?) AS SIGNED)")
        .bind(name)
        .fetch_one(&mut *conn)
        .await
        .ok()
        .flatten();
    let id = id?;
    let row: Option<(Option<String>, Option<String>, Option<i64>)> = sqlx::query_as(
        "SELECT CAST(USER AS CHAR), CAST(HOST AS CHAR), CAST(TIME AS SIGNED) \
         FROM information_schema.PROCESSLIST WHERE ID = ?",
    )
    .bind(id)
    .fetch_optional(&mut *conn)
    .await
    .ok()
    .flatten();
    let mut s = format!("server connection {id}");
    if let Some((user, host, time)) = row {
        if let Some(u) = user {
            s.push_str(&format!(" of user '{u}'"));
        }
        if let Some(h) = host {
            s.push_str(&format!(" from {h}"));
        }
        if let Some(t) = time {
            s.push_str(&format!(", holding it for about {t} s"));
        }
    }
    Some(s)
}

async fn acquire_file(
    target: &DbTarget,
    db_path: &std::path::Path,
    lock_name: &str,
    timeout: Duration,
    deadline: Instant,
    holder: &HolderInfo,
) -> Result<Held> {
    // Beside the real file when the path goes through a symlink.
    let db_path = std::fs::canonicalize(db_path).unwrap_or_else(|_| db_path.to_path_buf());
    let path = sqlite_lock_path(&db_path);
    let mut file = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(&path)
        .map_err(|e| {
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
    let fd = std::os::fd::AsRawFd::as_raw_fd(&file);
    let mut delay = Duration::from_millis(50);
    loop {
        // SAFETY: flock on a descriptor we own.
        let rc = unsafe { libc::flock(fd, libc::LOCK_EX | libc::LOCK_NB) };
        if rc == 0 {
            let info = holder.to_json(lock_name);
            let written = file
                .set_len(0)
                .and_then(|_| file.rewind())
                .and_then(|_| file.write_all(info.as_bytes()))
                .and_then(|_| file.write_all(b"\n"))
                .and_then(|_| file.flush());
            if let Err(e) = written {
                // Holding without a description is still a correct lock.
                let _ = e;
            }
            return Ok(Held::File { file });
        }
        let err = std::io::Error::last_os_error();
        if err.raw_os_error() != Some(libc::EWOULDBLOCK) && err.kind() != std::io::ErrorKind::Interrupted {
            return Err(lock_err(
                lock_name,
                target,
                format_args!("locking {} failed ({err}).", path.display()),
            ));
        }
        match next_delay(delay, deadline) {
            Some(d) => tokio::time::sleep(d).await,
            None => {
                let who = file_holder(&path);
                return Err(timeout_err(lock_name, target, timeout, who));
            }
        }
        delay = (delay * 2).min(Duration::from_millis(500));
    }
}

fn file_holder(path: &std::path::Path) -> Option<String> {
    let mut text = String::new();
    File::open(path).ok()?.read_to_string(&mut text).ok()?;
    let v: serde_json::Value = serde_json::from_str(text.trim()).ok()?;
    let mut s = String::from("monomig");
    if let Some(svc) = v.get("service").and_then(|x| x.as_str()) {
        s.push_str(&format!(" for service '{svc}'"));
    }
    if let Some(pid) = v.get("pid").and_then(|x| x.as_u64()) {
        s.push_str(&format!(", pid {pid}"));
    }
    if let Some(host) = v.get("host").and_then(|x| x.as_str()) {
        s.push_str(&format!(" on host '{host}'"));
    }
    if let Some(since) = v.get("started").and_then(|x| x.as_str()) {
        s.push_str(&format!(", since {since}"));
    }
    s.push_str(&format!(" (see {})", path.display()));
    Some(s)
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
        assert_eq!(fnv1a64(b""), 0xcbf2_9ce4_8422_2325);
        assert_eq!(fnv1a64(b"a"), 0xaf63_dc4c_8601_ec8c);
        assert_eq!(
            pg_lock_key("monomig:public.alembic_version"),
            pg_lock_key("monomig:public.alembic_version")
        );
    }

    #[test]
    fn mysql_names_fit() {
        assert_eq!(
            mysql_lock_name("monomig:alembic_version", "test"),
            "monomig:alembic_version@test"
        );
        let long = mysql_lock_name(&"x".repeat(100), "db");
        assert_eq!(long.chars().count(), 64);
        assert_ne!(long, mysql_lock_name(&"x".repeat(101), "db"));
        let uni = mysql_lock_name(&"é".repeat(100), "db");
        assert_eq!(uni.chars().count(), 64);
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
