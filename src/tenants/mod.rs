//! Tenants: one service migrating many schemas or databases (`monomig.targets` in its
//! section), and the shards that split them over several machines.
//!
//! - [`check_name`]: a tenant (schema or database) name is a plain name, so it can never
//!   change a statement or a path, and `service/tenant` stays unambiguous;
//! - [`list_names`]: the schemas or databases a server has, read over sqlx (the glob of
//!   `schemas:PATTERN` / `databases:PATTERN` is applied by the caller);
//! - [`query_rows`]: the rows `(name, url or schema)` of a `query:SQL` target list, from the
//!   control database `monomig.targets_url`;
//! - [`shard_of`]: rendezvous hashing of a database key onto `N` shards: deterministic, all
//!   targets of one database in one shard, and adding a database moves no other.
//!
//! The version tables of many tenant schemas of one PostgreSQL database are read in a few
//! statements by the status read itself (`crate::db`'s `schemas` module).

use std::time::Duration;

use sqlx::Row;

use crate::db::{Backend, DbConn, DbError, DbErrorKind, DbResult, DbTarget, connect};
use crate::hash::fnv1a64;

/// The longest tenant name (PostgreSQL's identifier limit; MySQL's is 64).
pub const MAX_NAME: usize = 63;

/// Why `name` cannot be a tenant name, or Ok. Letters, digits, `_` and `-`, not starting
/// with `-`, at most [`MAX_NAME`] characters.
pub fn check_name(name: &str) -> Result<(), String> {
    if name.is_empty() {
        return Err("a tenant name cannot be empty".to_owned());
    }
    if name.len() > MAX_NAME {
        return Err(format!(
            "the tenant name {name:?} is longer than {MAX_NAME} characters (PostgreSQL's limit for a schema or database name)"
        ));
    }
    if name.starts_with('-') {
        return Err(format!("the tenant name {name:?} starts with '-'"));
    }
    if let Some(c) = name
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || *c == '_' || *c == '-'))
    {
        return Err(format!(
            "the tenant name {name:?} contains {c:?}: tenant names are letters, digits, '_' and '-' only, so \
             that no name can change an SQL statement or a path"
        ));
    }
    Ok(())
}

/// What [`list_names`] lists.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NameKind {
    /// Schemas of the URL's database (on MySQL/MariaDB: its databases, which are schemas).
    Schemas,
    /// Databases of the URL's server.
    Databases,
}

impl NameKind {
    pub fn word(self) -> &'static str {
        match self {
            NameKind::Schemas => "schemas",
            NameKind::Databases => "databases",
        }
    }
}

const PG_SCHEMAS: &str = "SELECT nspname::text FROM pg_catalog.pg_namespace \
     WHERE nspname NOT LIKE 'pg\\_%' AND nspname <> 'information_schema' ORDER BY 1";
const PG_DATABASES: &str =
    "SELECT datname::text FROM pg_catalog.pg_database WHERE datallowconn AND NOT datistemplate ORDER BY 1";
const MY_DATABASES: &str = "SELECT CAST(schema_name AS CHAR) FROM information_schema.schemata \
     WHERE schema_name NOT IN ('mysql', 'information_schema', 'performance_schema', 'sys') ORDER BY 1";

/// Every schema (or database) of `target`'s server, system ones left out, sorted.
pub async fn list_names(target: &DbTarget, kind: NameKind, timeout: Duration) -> DbResult<Vec<String>> {
    let sql = match (target.backend(), kind) {
        (Backend::Postgres, NameKind::Schemas) => PG_SCHEMAS,
        (Backend::Postgres, NameKind::Databases) => PG_DATABASES,
        (Backend::MySql, _) => MY_DATABASES,
        (Backend::Sqlite, _) => {
            return Err(DbError::new(
                DbErrorKind::Config,
                format!(
                    "{} is a SQLite database, which has no {} to list: give SQLite tenants one file each with \
                     `monomig.targets = file:PATH` (one URL per line).",
                    target.masked(),
                    kind.word()
                ),
            ));
        }
    };
    let rows = query_rows_of(target, sql, 1, timeout, &format!("Listing the {}", kind.word())).await?;
    Ok(rows.into_iter().map(|mut r| r.swap_remove(0)).collect())
}

/// The rows of `sql` on the control database `target`: each row's first two columns as
/// text (name, then a URL or a schema).
pub async fn query_rows(target: &DbTarget, sql: &str, timeout: Duration) -> DbResult<Vec<(String, String)>> {
    let rows = query_rows_of(target, sql, 2, timeout, "Running the monomig.targets query").await?;
    Ok(rows
        .into_iter()
        .map(|mut r| {
            let second = r.swap_remove(1);
            (r.swap_remove(0), second)
        })
        .collect())
}

async fn query_rows_of(
    target: &DbTarget,
    sql: &str,
    columns: usize,
    timeout: Duration,
    doing: &str,
) -> DbResult<Vec<Vec<String>>> {
    let mut conn = connect(target, timeout, &Default::default()).await?;
    let sql = sqlx::AssertSqlSafe(sql.to_owned());
    let answer = match &mut conn {
        DbConn::Postgres(c) => sqlx::raw_sql(sql)
            .fetch_all(&mut *c)
            .await
            .map(|rows| rows.iter().map(|r| texts(r, columns, pg_text)).collect::<Vec<_>>()),
        DbConn::MySql(c) => sqlx::raw_sql(sql)
            .fetch_all(&mut *c)
            .await
            .map(|rows| rows.iter().map(|r| texts(r, columns, my_text)).collect::<Vec<_>>()),
        DbConn::Sqlite(c) => sqlx::raw_sql(sql)
            .fetch_all(&mut *c)
            .await
            .map(|rows| rows.iter().map(|r| texts(r, columns, lite_text)).collect::<Vec<_>>()),
    };
    conn.close().await;
    let rows = answer.map_err(|e| crate::db::conn::query_error(target, doing, e))?;
    rows.into_iter()
        .enumerate()
        .map(|(n, r)| {
            r.ok_or_else(|| {
                DbError::new(
                    DbErrorKind::Query,
                    format!(
                        "{doing} on {}: row {} does not have {columns} text column{} (NULL or another type); \
                         each row must give the tenant's name{}.",
                        target.masked(),
                        n + 1,
                        if columns == 1 { "" } else { "s" },
                        if columns == 2 { " and its URL or schema" } else { "" },
                    ),
                )
            })
        })
        .collect()
}

fn texts<R>(row: &R, columns: usize, get: fn(&R, usize) -> Option<String>) -> Option<Vec<String>> {
    (0..columns).map(|i| get(row, i)).collect()
}

fn pg_text(row: &sqlx::postgres::PgRow, i: usize) -> Option<String> {
    row.try_get::<Option<String>, _>(i).ok().flatten()
}

fn my_text(row: &sqlx::mysql::MySqlRow, i: usize) -> Option<String> {
    match row.try_get::<Option<String>, _>(i) {
        Ok(v) => v,
        Err(_) => row
            .try_get::<Option<Vec<u8>>, _>(i)
            .ok()
            .flatten()
            .and_then(|b| String::from_utf8(b).ok()),
    }
}

fn lite_text(row: &sqlx::sqlite::SqliteRow, i: usize) -> Option<String> {
    row.try_get::<Option<String>, _>(i).ok().flatten()
}

/// `url` naming the database `name` instead of its own (a tenant database on the same
/// server), with its password: for connecting, never for printing.
pub fn database_url(url: &str, name: &str) -> crate::Result<String> {
    let parsed = crate::db::SqlaUrl::parse(url)?;
    Ok(parsed.with_database(name).render(false))
}

/// SplitMix64's finaliser: spreads FNV's close values over all 64 bits.
fn mix(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// The shard (0..shards) of a database key: rendezvous (highest random weight) hashing.
/// Each key's shard depends on the key and `shards` only, so adding or removing a
/// database moves no other, and going from N to N+1 shards moves about 1/(N+1) of them.
pub fn shard_of(key: &str, shards: u32) -> u32 {
    let h = fnv1a64(key.as_bytes());
    (0..shards.max(1))
        .max_by_key(|&i| (mix(h ^ mix(u64::from(i) + 1)), std::cmp::Reverse(i)))
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names() {
        assert!(check_name("tenant_1").is_ok());
        assert!(check_name("acme-corp").is_ok());
        for bad in ["", "-x", "a\"b", "a;drop", "a b", "a/b", "a.b", "é", &"x".repeat(64)] {
            assert!(check_name(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn shards_are_stable_and_balanced() {
        let keys: Vec<String> = (0..4000).map(|i| format!("db{i}")).collect();
        let mut counts = [0usize; 8];
        for k in &keys {
            let s = shard_of(k, 8);
            assert_eq!(s, shard_of(k, 8));
            counts[s as usize] += 1;
        }
        assert!(counts.iter().all(|&c| (350..650).contains(&c)), "{counts:?}");
        // Going from 8 to 9 shards moves only keys that land on the new shard.
        let moved: Vec<&String> = keys.iter().filter(|k| shard_of(k, 8) != shard_of(k, 9)).collect();
        assert!(moved.iter().all(|k| shard_of(k, 9) == 8));
        assert!(moved.len() < keys.len() / 6, "{}", moved.len());
        assert_eq!(shard_of("x", 1), 0);
    }

    #[test]
    fn database_urls_keep_the_rest() {
        let u = database_url("postgresql://u:p%40w@h:5/app?sslmode=disable", "t1").unwrap();
        assert_eq!(u, "postgresql://u:p%40w@h:5/t1?sslmode=disable");
    }
}
