//! A database's schema read from its catalog, and the differences between two reads.
//!
//! `monomig test` compares the schema before a revision's `upgrade` with the schema after
//! its `downgrade` (and before/after a whole roundtrip). A [`Snapshot`] holds what a
//! migration changes: tables, their columns (type, nullability, default), indexes and
//! constraints (primary keys, unique, foreign keys, checks), and PostgreSQL enum types
//! (MySQL/MariaDB enums are column types). Each backend reads its own catalog:
//! [`postgres`] (`pg_catalog`, every schema but the system ones), [`mysql`]
//! (`information_schema` of the connected database) and [`sqlite`] (`sqlite_master` and
//! the table pragmas). Definitions are the server's own text (`format_type`,
//! `pg_get_indexdef`, `COLUMN_TYPE`, SQLite's declared type), so two reads of one server
//! compare exactly; they are not comparable across backends.
//!
//! [`diff`] names every difference in one line each, for a human.

mod diff;
pub mod mysql;
pub mod postgres;
pub mod sqlite;

use std::collections::BTreeMap;
use std::path::Path;
use std::time::Duration;

pub use diff::diff;

use crate::db::{self, Backend, ConnectExtras, DbConn, DbResult, DbTarget};

/// One column: its name, the server's text for its type, nullability and default.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Column {
    pub name: String,
    pub type_: String,
    pub nullable: bool,
    pub default: Option<String>,
}

/// One table: columns in their catalog order, indexes and constraints by name (an
/// unnamed constraint is keyed by its definition).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Table {
    pub columns: Vec<Column>,
    pub indexes: BTreeMap<String, String>,
    pub constraints: BTreeMap<String, String>,
}

/// The schema of one database. Tables are keyed by name, qualified with their schema
/// (`audit.events`) on PostgreSQL when it is not the connection's current schema.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Snapshot {
    pub tables: BTreeMap<String, Table>,
    /// PostgreSQL enum types and their labels in order.
    pub enums: BTreeMap<String, Vec<String>>,
}

impl Snapshot {
    fn table(&mut self, name: &str) -> &mut Table {
        self.tables.entry(name.to_owned()).or_default()
    }

    /// Drop the tables named in `exclude` (matched with or without a schema prefix).
    fn exclude(&mut self, exclude: &[String]) {
        self.tables.retain(|name, _| {
            let bare = name.rsplit('.').next().unwrap_or(name);
            !exclude.iter().any(|x| x == name || x == bare)
        });
    }
}

/// Read the schema of the database `url` reaches, leaving out the tables in `exclude`
/// (the version table: its rows differ between two states, its presence at base too).
pub async fn snapshot(url: &str, base_dir: &Path, timeout: Duration, exclude: &[String]) -> crate::Result<Snapshot> {
    let target = DbTarget::parse(url, base_dir)?;
    let mut conn = db::connect(&target, timeout, &ConnectExtras::default()).await?;
    let read = read(&mut conn, &target).await;
    conn.close().await;
    let mut snap = read?;
    snap.exclude(exclude);
    Ok(snap)
}

/// Read the schema over an open connection.
pub async fn read(conn: &mut DbConn, target: &DbTarget) -> DbResult<Snapshot> {
    match target.backend() {
        Backend::Postgres => postgres::read(conn, target).await,
        Backend::MySql => mysql::read(conn, target).await,
        Backend::Sqlite => sqlite::read(conn, target).await,
    }
}

/// Rows of text (or NULL) columns: every catalog query casts what it selects to text.
pub(crate) async fn text_rows(conn: &mut DbConn, target: &DbTarget, sql: &str) -> DbResult<Vec<Vec<Option<String>>>> {
    use sqlx::Row;
    let doing = "Reading the schema";
    let err = |e| db::conn::query_error(target, doing, e);
    let sql = sqlx::AssertSqlSafe(sql.to_owned());
    Ok(match conn {
        DbConn::Postgres(c) => {
            let rows = sqlx::raw_sql(sql).fetch_all(&mut *c).await.map_err(err)?;
            rows.iter()
                .map(|r| {
                    (0..r.len())
                        .map(|i| r.try_get::<Option<String>, _>(i).ok().flatten())
                        .collect()
                })
                .collect()
        }
        DbConn::MySql(c) => {
            let rows = sqlx::raw_sql(sql).fetch_all(&mut *c).await.map_err(err)?;
            rows.iter()
                .map(|r| {
                    (0..r.len())
                        .map(|i| match r.try_get::<Option<String>, _>(i) {
                            Ok(v) => v,
                            Err(_) => r
                                .try_get::<Option<Vec<u8>>, _>(i)
                                .ok()
                                .flatten()
                                .map(|b| String::from_utf8_lossy(&b).into_owned()),
                        })
                        .collect()
                })
                .collect()
        }
        DbConn::Sqlite(c) => {
            let rows = sqlx::raw_sql(sql).fetch_all(&mut *c).await.map_err(err)?;
            rows.iter()
                .map(|r| {
                    (0..r.len())
                        .map(|i| r.try_get::<Option<String>, _>(i).ok().flatten())
                        .collect()
                })
                .collect()
        }
    })
}

/// A foreign key gathered row by row from a catalog (one row per column pair).
#[derive(Debug, Default)]
pub(crate) struct ForeignKey {
    pub referred: String,
    pub from: Vec<String>,
    pub to: Vec<String>,
    pub rules: String,
}

impl ForeignKey {
    pub(crate) fn definition(&self) -> String {
        format!(
            "FOREIGN KEY ({}) REFERENCES {} ({}) {}",
            self.from.join(", "),
            self.referred,
            self.to.join(", "),
            self.rules
        )
    }
}

/// The text of column `i` ("" for NULL).
pub(crate) fn col(row: &[Option<String>], i: usize) -> String {
    row.get(i).cloned().flatten().unwrap_or_default()
}

/// Column `i`, NULL kept.
pub(crate) fn opt(row: &[Option<String>], i: usize) -> Option<String> {
    row.get(i).cloned().flatten()
}

#[cfg(test)]
mod tests;
