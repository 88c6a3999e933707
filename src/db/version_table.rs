//! Reading Alembic's version table (`alembic_version` by default, one `version_num`
//! column), for many databases at once.
//!
//! Alembic asks `has_table(name, schema)` and then runs
//! `SELECT version_num FROM [schema.]name` with no ORDER BY; a missing table means "no
//! revision applied". monomig runs the same SELECT and reads "no such table" (or, with
//! an explicit schema, "no such schema/database") as the same answer, which costs one
//! round trip instead of two. Names from the configuration are always quoted as
//! identifiers, so no name can change the statement.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use sqlx::Row;
use sqlx::mysql::MySqlDatabaseError;
use sqlx::postgres::PgDatabaseError;

use super::conn::{ConnectExtras, DbConn, DbError, DbErrorKind, DbResult, connect, query_error};
use super::lock;
use super::target::{Backend, DbTarget, SqliteLocation};

/// Alembic's default version table.
pub const DEFAULT_VERSION_TABLE: &str = "alembic_version";

/// What a version table says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum VersionRows {
    /// The table exists; its `version_num` values in the order the database returned them
    /// (possibly none).
    Present(Vec<String>),
    /// The database exists but has no such table: nothing was ever migrated there.
    TableAbsent,
    /// The database itself does not exist (PostgreSQL/MySQL database, or SQLite file).
    DatabaseAbsent,
}

/// A version table and its migration lock, as read at one moment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TableState {
    pub rows: VersionRows,
    /// Who holds the table's migration lock (`monomig:[schema.]table`), when another
    /// connection or process holds it: a migration of this database is running.
    pub lock_holder: Option<String>,
}

/// The migration lock name monomig takes for a version table: `monomig:<table>`, or
/// `monomig:<schema>.<table>` with a schema.
pub fn migration_lock_name(table: &str, schema: Option<&str>) -> String {
    match schema {
        Some(s) => format!("monomig:{s}.{table}"),
        None => format!("monomig:{table}"),
    }
}

/// One version table to read.
#[derive(Debug, Clone)]
pub struct Target {
    /// The SQLAlchemy URL.
    pub url: String,
    /// The directory relative SQLite paths are relative to.
    pub base_dir: PathBuf,
    /// The version table (Alembic's `version_table`).
    pub version_table: String,
    /// Alembic's `version_table_schema` (on MySQL a database, on SQLite an attached
    /// database: only `main` and `temp` can be read).
    pub version_table_schema: Option<String>,
    /// Used unless the URL sets its own connect timeout.
    pub connect_timeout: Duration,
}

impl Target {
    pub fn new(url: impl Into<String>, base_dir: impl Into<PathBuf>) -> Target {
        Target {
            url: url.into(),
            base_dir: base_dir.into(),
            version_table: DEFAULT_VERSION_TABLE.to_owned(),
            version_table_schema: None,
            connect_timeout: Duration::from_secs(5),
        }
    }
}

/// Quote an identifier for `backend`; names that cannot be identifiers at all are refused.
pub fn quote_ident(backend: Backend, name: &str, what: &str) -> DbResult<String> {
    if name.is_empty() {
        return Err(DbError::new(
            DbErrorKind::Config,
            format!("The {what} is empty; give a table name (Alembic's default is '{DEFAULT_VERSION_TABLE}')."),
        ));
    }
    if name.contains('\0') {
        return Err(DbError::new(
            DbErrorKind::Config,
            format!("The {what} {name:?} contains a NUL character, which no database accepts in a name."),
        ));
    }
    Ok(match backend {
        Backend::Postgres | Backend::Sqlite => format!("\"{}\"", name.replace('"', "\"\"")),
        Backend::MySql => format!("`{}`", name.replace('`', "``")),
    })
}

fn qualified(backend: Backend, table: &str, schema: Option<&str>) -> DbResult<String> {
    let t = quote_ident(backend, table, "version table name")?;
    Ok(match schema {
        Some(s) => format!("{}.{t}", quote_ident(backend, s, "version table schema")?),
        None => t,
    })
}

fn describe_table(table: &str, schema: Option<&str>) -> String {
    match schema {
        Some(s) => format!("{s}.{table}"),
        None => table.to_owned(),
    }
}

/// Read one version table over an open connection.
pub async fn read_version_table(
    conn: &mut DbConn,
    target: &DbTarget,
    table: &str,
    schema: Option<&str>,
) -> DbResult<VersionRows> {
    let backend = target.backend();
    if backend == Backend::Sqlite
        && let Some(s) = schema
        && !s.eq_ignore_ascii_case("main")
        && !s.eq_ignore_ascii_case("temp")
    {
        return Err(DbError::new(
            DbErrorKind::Config,
            format!(
                "The version table schema '{s}' for {} names an attached SQLite database, which \
                 only exists inside env.py; monomig reads the 'main' database. Leave \
                 version_table_schema unset for SQLite.",
                target.masked()
            ),
        ));
    }
    let sql = format!("SELECT version_num FROM {}", qualified(backend, table, schema)?);
    let doing = format!("Reading the version table {}", describe_table(table, schema));
    let rows = match conn {
        DbConn::Postgres(c) => sqlx::raw_sql(sqlx::AssertSqlSafe(sql))
            .fetch_all(&mut *c)
            .await
            .map(|rows| rows.iter().map(text_column_pg).collect::<Vec<_>>()),
        DbConn::MySql(c) => sqlx::raw_sql(sqlx::AssertSqlSafe(sql))
            .fetch_all(&mut *c)
            .await
            .map(|rows| rows.iter().map(text_column_my).collect::<Vec<_>>()),
        DbConn::Sqlite(c) => sqlx::raw_sql(sqlx::AssertSqlSafe(sql))
            .fetch_all(&mut *c)
            .await
            .map(|rows| rows.iter().map(text_column_lite).collect::<Vec<_>>()),
    };
    match rows {
        Ok(values) => {
            let mut out = Vec::with_capacity(values.len());
            for v in values {
                match v {
                    Some(s) => out.push(s),
                    None => {
                        return Err(DbError::new(
                            DbErrorKind::Query,
                            format!(
                                "{doing} on {}: its version_num column holds a value that is not \
                                 text (NULL or another type); Alembic writes revision ids as text. \
                                 Inspect the table.",
                                target.masked()
                            ),
                        ));
                    }
                }
            }
            Ok(VersionRows::Present(out))
        }
        Err(e) if is_absent_table(backend, &e, schema.is_some()) => Ok(VersionRows::TableAbsent),
        Err(e) => Err(query_error(target, &doing, e)),
    }
}

fn text_column_pg(row: &sqlx::postgres::PgRow) -> Option<String> {
    row.try_get::<Option<String>, _>(0).ok().flatten()
}

fn text_column_my(row: &sqlx::mysql::MySqlRow) -> Option<String> {
    match row.try_get::<Option<String>, _>(0) {
        Ok(v) => v,
        Err(_) => row
            .try_get::<Option<Vec<u8>>, _>(0)
            .ok()
            .flatten()
            .and_then(|b| String::from_utf8(b).ok()),
    }
}

fn text_column_lite(row: &sqlx::sqlite::SqliteRow) -> Option<String> {
    row.try_get::<Option<String>, _>(0).ok().flatten()
}

/// "No such table" (and "no such schema/database" when one was named).
fn is_absent_table(backend: Backend, err: &sqlx::Error, schema_given: bool) -> bool {
    let sqlx::Error::Database(db) = err else {
        return false;
    };
    match backend {
        Backend::Postgres => db
            .try_downcast_ref::<PgDatabaseError>()
            .is_some_and(|e| e.code() == "42P01" || (schema_given && e.code() == "3F000")),
        Backend::MySql => db
            .try_downcast_ref::<MySqlDatabaseError>()
            .is_some_and(|e| e.number() == 1146 || (schema_given && e.number() == 1049)),
        Backend::Sqlite => db.message().starts_with("no such table"),
    }
}

/// Many schemas of one PostgreSQL database with version tables of one name (tenant
/// schemas): read in a few statements ([`super::schemas`]) instead of two per schema.
/// Answers by target index; what is not answered (another backend, a table name used by
/// fewer than [`BATCH_FROM`] schemas, a batch that failed) is read one by one.
async fn read_schemas_at_once(
    conn: &mut DbConn,
    tables: &[(usize, String, Option<String>)],
    with_locks: bool,
) -> HashMap<usize, Result<TableState, String>> {
    let mut out = HashMap::new();
    let DbConn::Postgres(c) = conn else {
        return out;
    };
    let mut by_table: HashMap<&str, Vec<(usize, &str)>> = HashMap::new();
    for (i, table, schema) in tables {
        if let Some(s) = schema {
            by_table.entry(table.as_str()).or_default().push((*i, s.as_str()));
        }
    }
    for (table, members) in by_table {
        if members.len() < BATCH_FROM {
            continue;
        }
        let schemas: Vec<String> = members.iter().map(|(_, s)| (*s).to_owned()).collect();
        let locks: Vec<String> = schemas.iter().map(|s| migration_lock_name(table, Some(s))).collect();
        let Ok(answers) = super::schemas::read_pg_schema_tables(c, table, &schemas, &locks, with_locks).await else {
            continue; // e.g. a schema dropped between two statements: read them one by one
        };
        for ((i, _), (rows, lock_holder)) in members.iter().zip(answers) {
            let state = rows.map(|r| TableState {
                rows: match r {
                    Some(r) => VersionRows::Present(r),
                    None => VersionRows::TableAbsent,
                },
                lock_holder,
            });
            out.insert(*i, state);
        }
    }
    out
}

/// Schemas of one database sharing a version table name from which they are read at once.
const BATCH_FROM: usize = 3;

fn query_error_text(target: &DbTarget, message: String) -> DbError {
    DbError::new(DbErrorKind::Query, format!("Reading {}: {message}", target.masked()))
}

/// Read the version tables of many targets: at most one connection per distinct database
/// and at most `concurrency` connections open at once. The answers come back in the order
/// of `targets`; one failing target never hides the others.
pub async fn read_version_tables(targets: Vec<Target>, concurrency: usize) -> Vec<DbResult<VersionRows>> {
    read_tables(targets, concurrency, false)
        .await
        .into_iter()
        .map(|r| r.map(|state| state.rows))
        .collect()
}

/// [`read_version_tables`], and for each table whether its migration lock is held and by
/// whom ([`lock::holder_of`]: the lock is never taken or waited for). The lock is read
/// after the table, on the same connection.
pub async fn read_table_states(targets: Vec<Target>, concurrency: usize) -> Vec<DbResult<TableState>> {
    read_tables(targets, concurrency, true).await
}

async fn read_tables(targets: Vec<Target>, concurrency: usize, with_locks: bool) -> Vec<DbResult<TableState>> {
    let n = targets.len();
    let mut results: Vec<Option<DbResult<TableState>>> = (0..n).map(|_| None).collect();

    // Group by database; URL errors are answers of their own.
    struct Group {
        target: DbTarget,
        timeout: Duration,
        tables: Vec<(usize, String, Option<String>)>,
    }
    let mut groups: Vec<Group> = Vec::new();
    let mut by_identity: HashMap<String, usize> = HashMap::new();
    for (i, t) in targets.into_iter().enumerate() {
        match DbTarget::parse(&t.url, &t.base_dir) {
            Err(e) => results[i] = Some(Err(e.into())),
            Ok(target) => {
                let key = target.identity().to_owned();
                let g = *by_identity.entry(key).or_insert_with(|| {
                    groups.push(Group {
                        target,
                        timeout: t.connect_timeout,
                        tables: Vec::new(),
                    });
                    groups.len() - 1
                });
                groups[g].tables.push((i, t.version_table, t.version_table_schema));
            }
        }
    }

    let permits = Arc::new(tokio::sync::Semaphore::new(
        concurrency.clamp(1, tokio::sync::Semaphore::MAX_PERMITS),
    ));
    let mut set = tokio::task::JoinSet::new();
    for group in groups {
        let permits = Arc::clone(&permits);
        set.spawn(async move {
            let _permit = permits.acquire_owned().await;
            let mut answers = Vec::with_capacity(group.tables.len());
            match connect(&group.target, group.timeout, &ConnectExtras::default()).await {
                Err(e) if e.kind == DbErrorKind::DatabaseAbsent => {
                    for (i, table, schema) in &group.tables {
                        // A SQLite file a running migration has not created yet can
                        // still have its lock file.
                        let lock_holder = match group.target.sqlite_location() {
                            Some(SqliteLocation::File(_)) if with_locks => {
                                let name = migration_lock_name(table, schema.as_deref());
                                lock::sqlite_holder_of(&group.target, &name).ok().flatten()
                            }
                            _ => None,
                        };
                        answers.push((
                            *i,
                            Ok(TableState {
                                rows: VersionRows::DatabaseAbsent,
                                lock_holder,
                            }),
                        ));
                    }
                }
                Err(e) => {
                    for (i, _, _) in &group.tables {
                        answers.push((*i, Err(e.clone())));
                    }
                }
                Ok(mut conn) => {
                    let batched = read_schemas_at_once(&mut conn, &group.tables, with_locks).await;
                    let rest: Vec<&(usize, String, Option<String>)> = group
                        .tables
                        .iter()
                        .filter(|(i, _, _)| !batched.contains_key(i))
                        .collect();
                    for (i, state) in batched {
                        answers.push((i, state.map_err(|m| query_error_text(&group.target, m))));
                    }
                    for (i, table, schema) in rest {
                        let r = read_version_table(&mut conn, &group.target, table, schema.as_deref()).await;
                        let r = match r {
                            Ok(rows) if with_locks => {
                                let name = migration_lock_name(table, schema.as_deref());
                                // A lock that cannot be read says nothing about the table:
                                // the state comes from the rows alone then.
                                let lock_holder = lock::holder_of(&mut conn, &group.target, &name).await.ok().flatten();
                                Ok(TableState { rows, lock_holder })
                            }
                            Ok(rows) => Ok(TableState {
                                rows,
                                lock_holder: None,
                            }),
                            Err(e) => Err(e),
                        };
                        answers.push((*i, r));
                    }
                    conn.close().await;
                }
            }
            answers
        });
    }
    while let Some(joined) = set.join_next().await {
        match joined {
            Ok(answers) => {
                for (i, r) in answers {
                    if let Some(slot) = results.get_mut(i) {
                        *slot = Some(r);
                    }
                }
            }
            Err(e) => {
                // A task that panicked or was cancelled: its slots stay empty and are
                // reported below.
                let _ = e;
            }
        }
    }
    results
        .into_iter()
        .map(|r| {
            r.unwrap_or_else(|| {
                Err(DbError::new(
                    DbErrorKind::Other,
                    "Reading this version table was interrupted before it finished.",
                ))
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lock_names() {
        assert_eq!(migration_lock_name("alembic_version", None), "monomig:alembic_version");
        assert_eq!(migration_lock_name("v", Some("s")), "monomig:s.v");
    }

    #[test]
    fn quoting_is_injection_proof() {
        assert_eq!(
            quote_ident(Backend::Postgres, "a\"; DROP TABLE x; --", "t").unwrap(),
            "\"a\"\"; DROP TABLE x; --\""
        );
        assert_eq!(quote_ident(Backend::MySql, "a`b", "t").unwrap(), "`a``b`");
        assert!(quote_ident(Backend::Sqlite, "", "t").is_err());
        assert!(quote_ident(Backend::Sqlite, "a\0b", "t").is_err());
        assert_eq!(
            qualified(Backend::Postgres, "Alembic_Version", Some("my schema")).unwrap(),
            "\"my schema\".\"Alembic_Version\""
        );
    }
}
