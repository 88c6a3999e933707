//! One PostgreSQL database holding many version tables of the same name, one per schema
//! (a multi-tenant service: a schema per customer): all of them read in a few statements,
//! whatever the number of schemas.
//!
//! 1. which of the schemas have the table (one catalog query, the names bound as an array);
//! 2. the rows of all of those tables (one `UNION ALL` statement per [`CHUNK`] schemas, each
//!    branch tagged with the schema's index, never with its text, and every name quoted
//!    as an identifier, so no schema name can change the statement);
//! 3. every advisory lock held in the database, matched to the schemas' lock names.
//!
//! So 10,000 tenant schemas cost about what one database costs.

use std::collections::HashMap;

use sqlx::postgres::PgConnection;

use super::postgres::lock::{holders, lock_key};

/// Schemas per `UNION ALL` statement: each holds a lock on every table it reads until it ends,
/// and the lock table is shared by the whole server (max_locks_per_transaction).
const CHUNK: usize = 500;

/// One schema's version table: its rows (None when the schema has no such table, or
/// no such schema exists), or why they cannot be read.
pub type SchemaRows = Result<Option<Vec<String>>, String>;

fn quote(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

/// The version tables `table` of `schemas`, in their order, and each one's lock holder
/// (`lock_names[i]` is the migration lock of `schemas[i]`) when `with_locks`.
pub(crate) async fn read_pg_schema_tables(
    conn: &mut PgConnection,
    table: &str,
    schemas: &[String],
    lock_names: &[String],
    with_locks: bool,
) -> Result<Vec<(SchemaRows, Option<String>)>, sqlx::Error> {
    let present: Vec<String> = sqlx::query_scalar(
        "SELECT n.nspname::text FROM pg_catalog.pg_class c \
         JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace \
         WHERE c.relname = $1 AND n.nspname = ANY($2) AND c.relkind IN ('r', 'p', 'v', 'm', 'f')",
    )
    .bind(table)
    .bind(schemas)
    .fetch_all(&mut *conn)
    .await?;
    let present: std::collections::HashSet<String> = present.into_iter().collect();
    let mut rows: Vec<SchemaRows> = schemas
        .iter()
        .map(|s| {
            if present.contains(s) {
                Ok(Some(Vec::new()))
            } else {
                Ok(None)
            }
        })
        .collect();
    let with_table: Vec<usize> = (0..schemas.len()).filter(|&i| present.contains(&schemas[i])).collect();
    for chunk in with_table.chunks(CHUNK) {
        let sql = chunk
            .iter()
            .map(|&i| {
                format!(
                    "SELECT {i}::int4, version_num::text FROM {}.{}",
                    quote(&schemas[i]),
                    quote(table)
                )
            })
            .collect::<Vec<_>>()
            .join(" UNION ALL ");
        let answer: Vec<(i32, Option<String>)> = sqlx::query_as(sqlx::AssertSqlSafe(sql)).fetch_all(&mut *conn).await?;
        for (i, v) in answer {
            let Some(slot) = rows.get_mut(i as usize) else { continue };
            match (slot.as_mut(), v) {
                (Ok(Some(list)), Some(v)) => list.push(v),
                (Ok(_), None) => {
                    *slot = Err(format!(
                        "the version table {}.{table} holds a NULL version_num; Alembic writes revision \
                         ids as text. Inspect the table.",
                        schemas[i as usize]
                    ))
                }
                _ => {}
            }
        }
    }
    let held: HashMap<i64, String> = if with_locks {
        holders(conn).await?
    } else {
        HashMap::new()
    };
    Ok(rows
        .into_iter()
        .enumerate()
        .map(|(i, r)| {
            let holder = lock_names.get(i).and_then(|n| held.get(&lock_key(n)).cloned());
            (r, holder)
        })
        .collect())
}
