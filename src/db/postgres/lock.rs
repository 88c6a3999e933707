//! PostgreSQL's side of a migration lock: a session-level advisory lock whose key is a
//! stable 64-bit hash (FNV-1a) of the lock name, and the session holding it found through
//! `pg_locks` and `pg_stat_activity`. None of these statements waits.

use sqlx::postgres::PgConnection;

use crate::hash::fnv1a64;

/// The advisory-lock key for a lock name.
pub fn lock_key(lock_name: &str) -> i64 {
    fnv1a64(lock_name.as_bytes()) as i64
}

/// `pg_try_advisory_lock`: true when this session now holds the lock.
pub(crate) async fn try_lock(conn: &mut PgConnection, key: i64) -> Result<bool, sqlx::Error> {
    sqlx::query_scalar("SELECT pg_try_advisory_lock($1)")
        .bind(key)
        .fetch_one(conn)
        .await
}

pub(crate) async fn unlock(conn: &mut PgConnection, key: i64) -> Result<(), sqlx::Error> {
    sqlx::query("SELECT pg_advisory_unlock($1)")
        .bind(key)
        .execute(conn)
        .await
        .map(|_| ())
}

/// Whether some session holds the advisory lock `key` in this connection's database.
pub(crate) async fn is_held(conn: &mut PgConnection, key: i64) -> Result<bool, sqlx::Error> {
    let (classid, objid) = split_key(key);
    sqlx::query_scalar(
        "SELECT EXISTS (SELECT 1 FROM pg_catalog.pg_locks l \
         WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 1 \
           AND l.classid::bigint = $1 AND l.objid::bigint = $2 \
           AND l.database = (SELECT oid FROM pg_catalog.pg_database WHERE datname = current_database()))",
    )
    .bind(classid)
    .bind(objid)
    .fetch_one(conn)
    .await
}

/// `pg_locks` shows a bigint advisory key as its high and low 32 bits.
fn split_key(key: i64) -> (i64, i64) {
    (((key as u64) >> 32) as i64, ((key as u64) & 0xffff_ffff) as i64)
}

/// The session holding the advisory lock `key` in this connection's database, described
/// from `pg_stat_activity`: its `application_name` (monomig's lock connections set a
/// label naming the service, pid and host), server pid, client address and since when it
/// is connected (and in a transaction, if it is in one). None when no session holds it or
/// the server does not say.
pub(crate) async fn holder(conn: &mut PgConnection, key: i64) -> Option<String> {
    let (classid, objid) = split_key(key);
    type HolderRow = (i32, Option<String>, Option<String>, Option<String>, Option<String>);
    let row: Option<HolderRow> = sqlx::query_as(
        "SELECT a.pid, a.application_name, host(a.client_addr), \
                to_char(a.backend_start AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'), \
                to_char(a.xact_start AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"') \
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
    let (pid, app, addr, since, xact) = row?;
    Some(describe_holder(pid, app, addr, since, xact))
}

/// Every advisory lock granted in this connection's database, by key, with its holder
/// described as [`holder`] does: one statement for any number of locks (the status of
/// thousands of tenant schemas on one database).
pub(crate) async fn holders(conn: &mut PgConnection) -> Result<std::collections::HashMap<i64, String>, sqlx::Error> {
    type Row = (
        i64,
        i64,
        i32,
        Option<String>,
        Option<String>,
        Option<String>,
        Option<String>,
    );
    let rows: Vec<Row> = sqlx::query_as(
        "SELECT l.classid::bigint, l.objid::bigint, a.pid, a.application_name, host(a.client_addr), \
                to_char(a.backend_start AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'), \
                to_char(a.xact_start AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"') \
         FROM pg_catalog.pg_locks l JOIN pg_catalog.pg_stat_activity a ON a.pid = l.pid \
         WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 1 \
           AND l.database = (SELECT oid FROM pg_catalog.pg_database WHERE datname = current_database())",
    )
    .fetch_all(&mut *conn)
    .await?;
    let mut out = std::collections::HashMap::new();
    for (classid, objid, pid, app, addr, since, xact) in rows {
        let key = ((classid as u64) << 32 | (objid as u64 & 0xffff_ffff)) as i64;
        out.entry(key)
            .or_insert_with(|| describe_holder(pid, app, addr, since, xact));
    }
    Ok(out)
}

fn describe_holder(
    pid: i32,
    app: Option<String>,
    addr: Option<String>,
    since: Option<String>,
    xact: Option<String>,
) -> String {
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
    if let Some(xact) = xact {
        s.push_str(&format!(", in a transaction since {xact}"));
    }
    s.push(')');
    s
}
