//! SQLite: `sqlite_master` and the table pragmas (`table_info`, `index_list`,
//! `index_info`, `foreign_key_list`). Unnamed constraints (foreign keys, a primary key,
//! `UNIQUE` in the table definition) are keyed by their definition; CHECK constraints live
//! only in the table's SQL text and are taken from there, in the order written.

use std::collections::BTreeMap;

use super::{Column, ForeignKey, Snapshot, col, opt, text_rows};
use crate::db::{DbConn, DbResult, DbTarget};

/// One index gathered row by row from `pragma_index_list` and `pragma_index_info`.
struct Index {
    unique: bool,
    origin: String,
    sql: Option<String>,
    columns: Vec<String>,
}

const TABLES: &str = "m.type = 'table' AND m.name NOT LIKE 'sqlite\\_%' ESCAPE '\\'";

pub async fn read(conn: &mut DbConn, target: &DbTarget) -> DbResult<Snapshot> {
    let mut snap = Snapshot::default();
    let tables = format!("SELECT m.name, m.sql FROM sqlite_master m WHERE {TABLES} ORDER BY 1");
    for r in text_rows(conn, target, &tables).await? {
        let t = snap.table(&col(&r, 0));
        for (i, check) in checks(&col(&r, 1)).into_iter().enumerate() {
            t.constraints.insert(format!("check #{}", i + 1), check);
        }
    }

    let columns = format!(
        "SELECT m.name, p.name, p.type, CAST(p.\"notnull\" AS TEXT), p.dflt_value, CAST(p.pk AS TEXT) \
         FROM sqlite_master m JOIN pragma_table_info(m.name) p WHERE {TABLES} ORDER BY m.name, p.cid"
    );
    let mut pks: BTreeMap<String, Vec<(i64, String)>> = BTreeMap::new();
    for r in text_rows(conn, target, &columns).await? {
        let pk: i64 = col(&r, 5).parse().unwrap_or(0);
        if pk > 0 {
            pks.entry(col(&r, 0)).or_default().push((pk, col(&r, 1)));
        }
        snap.table(&col(&r, 0)).columns.push(Column {
            name: col(&r, 1),
            type_: col(&r, 2),
            nullable: col(&r, 3) == "0",
            default: opt(&r, 4),
        });
    }
    for (table, mut cols) in pks {
        cols.sort();
        let names: Vec<String> = cols.into_iter().map(|(_, n)| n).collect();
        snap.table(&table)
            .constraints
            .insert("primary key".to_owned(), format!("PRIMARY KEY ({})", names.join(", ")));
    }

    let indexes = format!(
        "SELECT m.name, il.name, CAST(il.\"unique\" AS TEXT), il.origin, CAST(il.partial AS TEXT), ii.name, \
         (SELECT s.sql FROM sqlite_master s WHERE s.type = 'index' AND s.name = il.name) \
         FROM sqlite_master m JOIN pragma_index_list(m.name) il JOIN pragma_index_info(il.name) ii \
         WHERE {TABLES} ORDER BY m.name, il.name, ii.seqno"
    );
    let mut idx: BTreeMap<(String, String), Index> = BTreeMap::new();
    for r in text_rows(conn, target, &indexes).await? {
        let e = idx.entry((col(&r, 0), col(&r, 1))).or_insert_with(|| Index {
            unique: col(&r, 2) == "1",
            origin: col(&r, 3),
            sql: opt(&r, 6),
            columns: Vec::new(),
        });
        e.columns.push(opt(&r, 5).unwrap_or_else(|| "<expression>".to_owned()));
    }
    for ((table, name), index) in idx {
        let t = snap.table(&table);
        let cols = index.columns.join(", ");
        match index.origin.as_str() {
            // The primary key's own index is the primary key constraint above.
            "pk" => {}
            // UNIQUE in the table definition: named by SQLite (sqlite_autoindex_<table>_<n>,
            // renumbered when the table is rebuilt), so keyed by what it covers.
            "u" => {
                t.constraints
                    .insert(format!("UNIQUE ({cols})"), format!("UNIQUE ({cols})"));
            }
            _ => {
                let def = index
                    .sql
                    .unwrap_or_else(|| format!("{}INDEX ({cols})", if index.unique { "UNIQUE " } else { "" }));
                t.indexes.insert(name, def);
            }
        }
    }

    let fks = format!(
        "SELECT m.name, CAST(f.id AS TEXT), f.\"table\", f.\"from\", f.\"to\", f.on_update, f.on_delete \
         FROM sqlite_master m JOIN pragma_foreign_key_list(m.name) f WHERE {TABLES} \
         ORDER BY m.name, f.id, f.seq"
    );
    let mut fk: BTreeMap<(String, String), ForeignKey> = BTreeMap::new();
    for r in text_rows(conn, target, &fks).await? {
        let e = fk.entry((col(&r, 0), col(&r, 1))).or_insert_with(|| ForeignKey {
            referred: col(&r, 2),
            rules: format!("ON UPDATE {} ON DELETE {}", col(&r, 5), col(&r, 6)),
            ..ForeignKey::default()
        });
        e.from.push(col(&r, 3));
        e.to.push(opt(&r, 4).unwrap_or_default());
    }
    for ((table, _), key) in fk {
        let def = key.definition();
        snap.table(&table).constraints.insert(def.clone(), def);
    }
    Ok(snap)
}

/// The `CHECK (...)` clauses of a `CREATE TABLE` statement, outside string literals and
/// quoted names, each with its balanced parentheses.
pub fn checks(sql: &str) -> Vec<String> {
    let chars: Vec<char> = sql.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let ch = chars[i];
        if matches!(ch, '\'' | '"' | '`' | '[') {
            let close = if ch == '[' { ']' } else { ch };
            i += 1;
            while i < chars.len() && chars[i] != close {
                i += 1;
            }
            i += 1;
            continue;
        }
        let word_start = i == 0 || !(chars[i - 1].is_alphanumeric() || chars[i - 1] == '_');
        if word_start
            && i + 5 <= chars.len()
            && chars[i..i + 5].iter().collect::<String>().eq_ignore_ascii_case("check")
        {
            let mut j = i + 5;
            while j < chars.len() && chars[j].is_whitespace() {
                j += 1;
            }
            if j < chars.len() && chars[j] == '(' {
                let start = j;
                let mut depth = 0;
                while j < chars.len() {
                    match chars[j] {
                        '(' => depth += 1,
                        ')' => {
                            depth -= 1;
                            if depth == 0 {
                                break;
                            }
                        }
                        '\'' | '"' => {
                            let q = chars[j];
                            j += 1;
                            while j < chars.len() && chars[j] != q {
                                j += 1;
                            }
                        }
                        _ => {}
                    }
                    j += 1;
                }
                let body: String = chars[start..(j + 1).min(chars.len())].iter().collect();
                out.push(format!("CHECK {body}"));
                i = j + 1;
                continue;
            }
        }
        i += 1;
    }
    out
}
