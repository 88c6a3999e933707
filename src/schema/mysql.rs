//! MySQL and MariaDB: `information_schema` of the connected database. Enums are column
//! types there (`enum('a','b')`); unnamed things do not exist (the server names them).

use std::collections::BTreeMap;

use super::{Column, ForeignKey, Snapshot, col, opt, text_rows};
use crate::db::{DbConn, DbResult, DbTarget};

fn c(expr: &str) -> String {
    format!("CAST({expr} AS CHAR)")
}

pub async fn read(conn: &mut DbConn, target: &DbTarget) -> DbResult<Snapshot> {
    let mut snap = Snapshot::default();
    let tables = format!(
        "SELECT {} FROM information_schema.tables WHERE table_schema = DATABASE() \
         AND table_type = 'BASE TABLE' ORDER BY 1",
        c("table_name")
    );
    for r in text_rows(conn, target, &tables).await? {
        snap.table(&col(&r, 0));
    }

    let columns = format!(
        "SELECT {}, {}, {}, {}, {}, {} FROM information_schema.columns WHERE table_schema = DATABASE() \
         ORDER BY table_name, ordinal_position",
        c("table_name"),
        c("column_name"),
        c("column_type"),
        c("is_nullable"),
        c("column_default"),
        c("extra"),
    );
    for r in text_rows(conn, target, &columns).await? {
        let extra = col(&r, 5);
        let mut type_ = col(&r, 2);
        if !extra.is_empty() {
            type_ = format!("{type_} {extra}");
        }
        if let Some(t) = snap.tables.get_mut(&col(&r, 0)) {
            t.columns.push(Column {
                name: col(&r, 1),
                type_,
                nullable: col(&r, 3) == "YES",
                default: opt(&r, 4),
            });
        }
    }

    let stats = format!(
        "SELECT {}, {}, {}, {}, {} FROM information_schema.statistics WHERE table_schema = DATABASE() \
         ORDER BY table_name, index_name, seq_in_index",
        c("table_name"),
        c("index_name"),
        c("non_unique"),
        c("column_name"),
        c("sub_part"),
    );
    let mut indexes: BTreeMap<(String, String), (bool, Vec<String>)> = BTreeMap::new();
    for r in text_rows(conn, target, &stats).await? {
        let entry = indexes
            .entry((col(&r, 0), col(&r, 1)))
            .or_insert((col(&r, 2) == "0", Vec::new()));
        let mut part = col(&r, 3);
        if let Some(len) = opt(&r, 4) {
            part = format!("{part}({len})");
        }
        entry.1.push(part);
    }
    for ((table, name), (unique, cols)) in indexes {
        let def = format!("{}INDEX ({})", if unique { "UNIQUE " } else { "" }, cols.join(", "));
        if let Some(t) = snap.tables.get_mut(&table) {
            t.indexes.insert(name, def);
        }
    }

    let fks = format!(
        "SELECT {}, {}, {}, {}, {}, {}, {} FROM information_schema.key_column_usage k \
         JOIN information_schema.referential_constraints r ON r.constraint_schema = k.constraint_schema \
         AND r.constraint_name = k.constraint_name AND r.table_name = k.table_name \
         WHERE k.table_schema = DATABASE() AND k.referenced_table_name IS NOT NULL \
         ORDER BY k.table_name, k.constraint_name, k.ordinal_position",
        c("k.table_name"),
        c("k.constraint_name"),
        c("k.column_name"),
        c("k.referenced_table_name"),
        c("k.referenced_column_name"),
        c("r.update_rule"),
        c("r.delete_rule"),
    );
    let mut fk: BTreeMap<(String, String), ForeignKey> = BTreeMap::new();
    for r in text_rows(conn, target, &fks).await? {
        let e = fk.entry((col(&r, 0), col(&r, 1))).or_insert_with(|| ForeignKey {
            referred: col(&r, 3),
            rules: format!("ON UPDATE {} ON DELETE {}", col(&r, 5), col(&r, 6)),
            ..ForeignKey::default()
        });
        e.from.push(col(&r, 2));
        e.to.push(col(&r, 4));
    }
    for ((table, name), key) in fk {
        if let Some(t) = snap.tables.get_mut(&table) {
            t.constraints.insert(name, key.definition());
        }
    }

    // CHECK constraints: MariaDB 10.2+ and MySQL 8.0.16+ list them; older servers have no such view.
    let checks = format!(
        "SELECT {}, {}, {} FROM information_schema.check_constraints WHERE constraint_schema = DATABASE() \
         ORDER BY 1, 2",
        c("table_name"),
        c("constraint_name"),
        c("check_clause"),
    );
    if let Ok(rows) = text_rows(conn, target, &checks).await {
        for r in rows {
            if let Some(t) = snap.tables.get_mut(&col(&r, 0)) {
                t.constraints.insert(col(&r, 1), format!("CHECK ({})", col(&r, 2)));
            }
        }
    }
    Ok(snap)
}
