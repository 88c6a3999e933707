//! The differences between two snapshots, one line each, naming the table and what
//! differs: `table users: column email: type VARCHAR(50) before, VARCHAR(80) after`.

use std::collections::BTreeMap;

use super::{Column, Snapshot, Table};

/// Every difference between `a` and `b`; `left` and `right` name the two states in the
/// text ("before upgrade", "after downgrade"). Empty when they are the same.
pub fn diff(a: &Snapshot, b: &Snapshot, left: &str, right: &str) -> Vec<String> {
    let mut out = Vec::new();
    for (name, ta) in &a.tables {
        match b.tables.get(name) {
            None => out.push(format!("table {name}: present {left}, missing {right}")),
            Some(tb) => table(name, ta, tb, left, right, &mut out),
        }
    }
    for name in b.tables.keys() {
        if !a.tables.contains_key(name) {
            out.push(format!("table {name}: missing {left}, present {right}"));
        }
    }
    named(
        "enum type",
        "",
        &join_map(&a.enums),
        &join_map(&b.enums),
        left,
        right,
        &mut out,
    );
    out
}

fn join_map(m: &BTreeMap<String, Vec<String>>) -> BTreeMap<String, String> {
    m.iter()
        .map(|(k, v)| {
            (
                k.clone(),
                v.iter().map(|l| format!("'{l}'")).collect::<Vec<_>>().join(", "),
            )
        })
        .collect()
}

fn describe(c: &Column) -> String {
    let mut s = c.type_.clone();
    s.push_str(if c.nullable { " NULL" } else { " NOT NULL" });
    if let Some(d) = &c.default {
        s.push_str(" DEFAULT ");
        s.push_str(d);
    }
    s
}

fn table(name: &str, a: &Table, b: &Table, left: &str, right: &str, out: &mut Vec<String>) {
    let prefix = format!("table {name}: ");
    for ca in &a.columns {
        match b.columns.iter().find(|c| c.name == ca.name) {
            None => out.push(format!(
                "{prefix}column {} ({}): present {left}, missing {right}",
                ca.name,
                describe(ca)
            )),
            Some(cb) => {
                if ca.type_ != cb.type_ {
                    out.push(format!(
                        "{prefix}column {}: type {} {left}, {} {right}",
                        ca.name, ca.type_, cb.type_
                    ));
                }
                if ca.nullable != cb.nullable {
                    let n = |x: bool| if x { "nullable" } else { "NOT NULL" };
                    out.push(format!(
                        "{prefix}column {}: {} {left}, {} {right}",
                        ca.name,
                        n(ca.nullable),
                        n(cb.nullable)
                    ));
                }
                if ca.default != cb.default {
                    let d = |x: &Option<String>| x.clone().map_or("no default".to_owned(), |v| format!("default {v}"));
                    out.push(format!(
                        "{prefix}column {}: {} {left}, {} {right}",
                        ca.name,
                        d(&ca.default),
                        d(&cb.default)
                    ));
                }
            }
        }
    }
    for cb in &b.columns {
        if !a.columns.iter().any(|c| c.name == cb.name) {
            out.push(format!(
                "{prefix}column {} ({}): missing {left}, present {right}",
                cb.name,
                describe(cb)
            ));
        }
    }
    named("index", &prefix, &a.indexes, &b.indexes, left, right, out);
    named("constraint", &prefix, &a.constraints, &b.constraints, left, right, out);
}

fn named(
    what: &str,
    prefix: &str,
    a: &BTreeMap<String, String>,
    b: &BTreeMap<String, String>,
    left: &str,
    right: &str,
    out: &mut Vec<String>,
) {
    let show = |k: &String, v: &String| if k == v { k.clone() } else { format!("{k} ({v})") };
    for (k, va) in a {
        match b.get(k) {
            None => out.push(format!(
                "{prefix}{what} {}: present {left}, missing {right}",
                show(k, va)
            )),
            Some(vb) if vb != va => out.push(format!("{prefix}{what} {k}: {va} {left}, {vb} {right}")),
            _ => {}
        }
    }
    for (k, vb) in b {
        if !a.contains_key(k) {
            out.push(format!(
                "{prefix}{what} {}: missing {left}, present {right}",
                show(k, vb)
            ));
        }
    }
}
