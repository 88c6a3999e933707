//! PostgreSQL: `pg_catalog`, every schema but the system ones, with the server's own
//! text for types (`format_type`), defaults (`pg_get_expr`), indexes (`pg_get_indexdef`)
//! and constraints (`pg_get_constraintdef`).

use super::{Column, Snapshot, col, opt, text_rows};
use crate::db::{DbConn, DbResult, DbTarget};

const USER_SCHEMAS: &str = "n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\\_%'";

fn qualified(schema: &str, current: &str, name: &str) -> String {
    if schema == current {
        name.to_owned()
    } else {
        format!("{schema}.{name}")
    }
}

pub async fn read(conn: &mut DbConn, target: &DbTarget) -> DbResult<Snapshot> {
    let current = text_rows(conn, target, "SELECT current_schema()::text").await?;
    let current = current
        .first()
        .map(|r| col(r, 0))
        .unwrap_or_else(|| "public".to_owned());
    let mut snap = Snapshot::default();

    let tables = format!(
        "SELECT n.nspname::text, c.relname::text FROM pg_class c \
         JOIN pg_namespace n ON n.oid = c.relnamespace \
         WHERE c.relkind IN ('r', 'p') AND {USER_SCHEMAS} ORDER BY 1, 2"
    );
    for r in text_rows(conn, target, &tables).await? {
        snap.table(&qualified(&col(&r, 0), &current, &col(&r, 1)));
    }

    let columns = format!(
        "SELECT n.nspname::text, c.relname::text, a.attname::text, format_type(a.atttypid, a.atttypmod), \
         CASE WHEN a.attnotnull THEN 'f' ELSE 't' END, pg_get_expr(d.adbin, d.adrelid) \
         FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid \
         JOIN pg_namespace n ON n.oid = c.relnamespace \
         LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum \
         WHERE c.relkind IN ('r', 'p') AND a.attnum > 0 AND NOT a.attisdropped AND {USER_SCHEMAS} \
         ORDER BY 1, 2, a.attnum"
    );
    for r in text_rows(conn, target, &columns).await? {
        snap.table(&qualified(&col(&r, 0), &current, &col(&r, 1)))
            .columns
            .push(Column {
                name: col(&r, 2),
                type_: col(&r, 3),
                nullable: col(&r, 4) == "t",
                default: opt(&r, 5),
            });
    }

    let indexes = format!(
        "SELECT n.nspname::text, t.relname::text, i.relname::text, pg_get_indexdef(i.oid) \
         FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid \
         JOIN pg_class t ON t.oid = x.indrelid JOIN pg_namespace n ON n.oid = t.relnamespace \
         WHERE t.relkind IN ('r', 'p') AND {USER_SCHEMAS} ORDER BY 1, 2, 3"
    );
    for r in text_rows(conn, target, &indexes).await? {
        snap.table(&qualified(&col(&r, 0), &current, &col(&r, 1)))
            .indexes
            .insert(col(&r, 2), col(&r, 3));
    }

    let constraints = format!(
        "SELECT n.nspname::text, t.relname::text, c.conname::text, pg_get_constraintdef(c.oid) \
         FROM pg_constraint c JOIN pg_class t ON t.oid = c.conrelid \
         JOIN pg_namespace n ON n.oid = t.relnamespace \
         WHERE c.contype IN ('p', 'u', 'f', 'c', 'x') AND {USER_SCHEMAS} ORDER BY 1, 2, 3"
    );
    for r in text_rows(conn, target, &constraints).await? {
        snap.table(&qualified(&col(&r, 0), &current, &col(&r, 1)))
            .constraints
            .insert(col(&r, 2), col(&r, 3));
    }

    let enums = format!(
        "SELECT n.nspname::text, t.typname::text, e.enumlabel::text FROM pg_enum e \
         JOIN pg_type t ON t.oid = e.enumtypid JOIN pg_namespace n ON n.oid = t.typnamespace \
         WHERE {USER_SCHEMAS} ORDER BY 1, 2, e.enumsortorder"
    );
    for r in text_rows(conn, target, &enums).await? {
        snap.enums
            .entry(qualified(&col(&r, 0), &current, &col(&r, 1)))
            .or_default()
            .push(col(&r, 2));
    }
    Ok(snap)
}
