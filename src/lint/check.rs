//! The statement checks: one parsed statement (with what the run knows so far)
//! in, the rules it breaks out.

use std::collections::HashSet;

use sqlparser::ast::{
    AlterColumnOperation, AlterTableOperation, ColumnDef, ColumnOption, CreateIndex, CreateTable, ObjectName,
    ObjectType, Statement, TableConstraint,
};

use super::rules::Dialect;

/// What the run knows when a statement is checked.
pub struct Context {
    pub dialect: Dialect,
    /// Inside the migration's transaction (PostgreSQL: yes, except in an autocommit block).
    pub in_transaction: bool,
    /// The statement came from `op.execute` (raw SQL), not from another `op.*` call.
    pub raw: bool,
    /// Tables created earlier in this run (lower-case, unqualified).
    pub new_tables: HashSet<String>,
    /// Indexes created on those tables.
    pub new_indexes: HashSet<String>,
    /// `DROP INDEX CONCURRENTLY` (read before parsing: the parser has no such form).
    pub drop_concurrently: bool,
}

/// A rule broken by a statement, with the message naming what it is about.
pub struct Hit {
    pub rule: &'static str,
    pub message: String,
    /// The statement takes a lock on a table that exists before the run
    /// (what the timeout rules look for).
    pub locking: bool,
}

/// The unqualified, unquoted, lower-case name of a table or index.
pub fn key(name: &ObjectName) -> String {
    let text = name.to_string();
    let last = text.rsplit('.').next().unwrap_or(&text);
    last.trim_matches(|c| c == '"' || c == '`' || c == '[' || c == ']')
        .to_lowercase()
}

fn type_text(col: &ColumnDef) -> String {
    col.data_type.to_string().to_uppercase()
}

fn base_type(t: &str) -> &str {
    t.split(['(', ' ']).next().unwrap_or(t)
}

fn is_serial(t: &str) -> bool {
    matches!(
        base_type(t),
        "SERIAL" | "SERIAL4" | "SMALLSERIAL" | "SERIAL2" | "BIGSERIAL" | "SERIAL8"
    )
}

fn is_small_int(t: &str) -> bool {
    matches!(
        base_type(t),
        "INT"
            | "INTEGER"
            | "INT4"
            | "SERIAL"
            | "SERIAL4"
            | "SMALLINT"
            | "INT2"
            | "SMALLSERIAL"
            | "SERIAL2"
            | "MEDIUMINT"
    )
}

fn is_varchar_n(t: &str) -> bool {
    (t.starts_with("VARCHAR(") || t.starts_with("CHARACTER VARYING(")) && !t.contains("MAX")
}

fn is_char(t: &str) -> bool {
    matches!(base_type(t), "CHAR" | "CHARACTER" | "BPCHAR") && !t.starts_with("CHARACTER VARYING")
}

fn is_timestamp_without_tz(t: &str) -> bool {
    base_type(t) == "TIMESTAMP" && !t.contains("WITH TIME ZONE")
}

const VOLATILE: &[&str] = &[
    "random(",
    "gen_random_uuid(",
    "uuid_generate_v",
    "clock_timestamp(",
    "timeofday(",
    "nextval(",
    "txid_current(",
];

fn default_of(col: &ColumnDef) -> Option<String> {
    col.options.iter().find_map(|o| match &o.option {
        ColumnOption::Default(e) => Some(e.to_string().to_lowercase()),
        _ => None,
    })
}

fn has_option(col: &ColumnDef, pred: impl Fn(&ColumnOption) -> bool) -> bool {
    col.options.iter().any(|o| pred(&o.option))
}

fn generated(col: &ColumnDef) -> bool {
    has_option(col, |o| {
        matches!(o, ColumnOption::Generated { .. } | ColumnOption::Identity(_))
            || matches!(o, ColumnOption::DialectSpecific(t) if t.iter().any(|t| t.to_string().eq_ignore_ascii_case("AUTO_INCREMENT") || t.to_string().eq_ignore_ascii_case("AUTOINCREMENT")))
    })
}

fn col_name(col: &ColumnDef) -> String {
    col.name.value.clone()
}

struct Hits<'a> {
    out: Vec<Hit>,
    ctx: &'a Context,
}

impl Hits<'_> {
    fn add(&mut self, rule: &'static str, message: String) {
        self.out.push(Hit {
            rule,
            message,
            locking: false,
        });
    }
    fn lock(&mut self, rule: &'static str, message: String) {
        self.out.push(Hit {
            rule,
            message,
            locking: true,
        });
    }
    fn pg(&self) -> bool {
        self.ctx.dialect == Dialect::Postgres
    }
    fn my(&self) -> bool {
        self.ctx.dialect == Dialect::Mysql
    }
    /// A locking marker without a rule of its own (for the timeout rules).
    fn locks(&mut self) {
        self.out.push(Hit {
            rule: "",
            message: String::new(),
            locking: true,
        });
    }
}

/// Column-type rules, for columns of new and existing tables alike.
fn column_types(h: &mut Hits, table: &str, col: &ColumnDef, primary: bool) {
    let t = type_text(col);
    let name = col_name(col);
    if h.pg() {
        if is_serial(&t) {
            h.add("prefer_identity", format!("column {table}.{name} is {t}"));
        }
        if is_varchar_n(&t) {
            h.add("prefer_text_field", format!("column {table}.{name} is {t}"));
        }
        if is_char(&t) {
            h.add("ban_char_field", format!("column {table}.{name} is {t}"));
        }
        if is_timestamp_without_tz(&t) {
            h.add(
                "prefer_timestamptz",
                format!("column {table}.{name} is {t} (without time zone)"),
            );
        }
    }
    if (h.pg() || h.my()) && primary && is_small_int(&t) {
        h.add("prefer_bigint_keys", format!("key column {table}.{name} is {t}"));
    }
}

fn primary_columns(constraints: &[TableConstraint]) -> Vec<String> {
    let mut cols = Vec::new();
    for c in constraints {
        if let TableConstraint::PrimaryKey(pk) = c {
            for ic in &pk.columns {
                let text = ic.to_string();
                let first = text.split_whitespace().next().unwrap_or("");
                cols.push(first.trim_matches(|c| c == '"' || c == '`').to_lowercase());
            }
        }
    }
    cols
}

fn inline_primary(col: &ColumnDef) -> bool {
    has_option(col, |o| matches!(o, ColumnOption::PrimaryKey(_)))
}

fn create_table(h: &mut Hits, ct: &CreateTable) {
    let table = key(&ct.name);
    let pks = primary_columns(&ct.constraints);
    for col in &ct.columns {
        let primary = inline_primary(col) || pks.contains(&col.name.value.to_lowercase());
        column_types(h, &table, col, primary);
    }
    if h.ctx.dialect == Dialect::Sqlite && table.starts_with("_alembic_tmp_") {
        let original = &table["_alembic_tmp_".len()..];
        h.add(
            "sqlite_batch_recreate",
            format!("batch mode recreates table {original}: a new table, a copy of every row, a drop and a rename"),
        );
    }
    if h.pg() && !h.ctx.in_transaction && !ct.if_not_exists {
        h.add(
            "prefer_robust_stmts",
            format!("CREATE TABLE {table} outside a transaction without IF NOT EXISTS"),
        );
    }
}

fn create_index(h: &mut Hits, ci: &CreateIndex) {
    if !h.pg() {
        return;
    }
    let table = key(&ci.table_name);
    let index = ci.name.as_ref().map(key).unwrap_or_default();
    if ci.concurrently && h.ctx.in_transaction {
        h.add(
            "concurrently_in_transaction",
            format!("CREATE INDEX CONCURRENTLY {index} inside the migration's transaction"),
        );
    }
    if !h.ctx.new_tables.contains(&table) && !ci.concurrently {
        h.lock(
            "require_concurrent_index_creation",
            format!("CREATE INDEX {index} on existing table {table} without CONCURRENTLY"),
        );
    }
    if !h.ctx.in_transaction && !ci.if_not_exists {
        h.add(
            "prefer_robust_stmts",
            format!("CREATE INDEX {index} outside a transaction without IF NOT EXISTS"),
        );
    }
}

fn drop(h: &mut Hits, object_type: &ObjectType, names: &[ObjectName], if_exists: bool) {
    for name in names {
        let n = key(name);
        match object_type {
            ObjectType::Index if h.pg() => {
                let concurrently = h.ctx.drop_concurrently;
                if concurrently && h.ctx.in_transaction {
                    h.add(
                        "concurrently_in_transaction",
                        format!("DROP INDEX CONCURRENTLY {n} inside the migration's transaction"),
                    );
                }
                if !concurrently && !h.ctx.new_indexes.contains(&n) {
                    h.lock(
                        "require_concurrent_index_deletion",
                        format!("DROP INDEX {n} without CONCURRENTLY"),
                    );
                }
                if !h.ctx.in_transaction && !if_exists {
                    h.add(
                        "prefer_robust_stmts",
                        format!("DROP INDEX {n} outside a transaction without IF EXISTS"),
                    );
                }
            }
            ObjectType::Table => {
                let batch = h.ctx.new_tables.contains(&format!("_alembic_tmp_{n}"));
                if !h.ctx.new_tables.contains(&n) && !batch {
                    h.lock("dropping_table", format!("DROP TABLE {n}"));
                }
                if h.pg() && !h.ctx.in_transaction && !if_exists {
                    h.add(
                        "prefer_robust_stmts",
                        format!("DROP TABLE {n} outside a transaction without IF EXISTS"),
                    );
                }
            }
            ObjectType::Database | ObjectType::Schema => {
                h.add("dropping_database", format!("DROP {object_type} {n}"));
            }
            _ => {}
        }
    }
}

fn add_column(h: &mut Hits, table: &str, col: &ColumnDef, if_not_exists: bool, existing: bool) {
    let name = col_name(col);
    let t = type_text(col);
    column_types(h, table, col, inline_primary(col));
    if !existing {
        return;
    }
    let default = default_of(col);
    let not_null = has_option(col, |o| matches!(o, ColumnOption::NotNull));
    if not_null && default.is_none() && !generated(col) && !is_serial(&t) {
        h.lock(
            "adding_not_nullable_field",
            format!("NOT NULL column {table}.{name} added without a default"),
        );
    }
    if h.pg() {
        let volatile = default
            .as_deref()
            .is_some_and(|d| VOLATILE.iter().any(|v| d.contains(v)));
        if volatile || is_serial(&t) {
            let what = default.unwrap_or_else(|| t.to_lowercase());
            h.lock(
                "adding_field_with_volatile_default",
                format!("column {table}.{name} added with volatile default {what}: the table is rewritten"),
            );
        }
        if !h.ctx.in_transaction && !if_not_exists {
            h.add(
                "prefer_robust_stmts",
                format!("ADD COLUMN {table}.{name} outside a transaction without IF NOT EXISTS"),
            );
        }
    }
    if (h.pg() || h.my()) && has_option(col, |o| matches!(o, ColumnOption::ForeignKey(_))) {
        h.lock(
            "adding_foreign_key_constraint",
            format!("column {table}.{name} added with an inline REFERENCES"),
        );
    }
}

fn alter_table(h: &mut Hits, name: &ObjectName, ops: &[AlterTableOperation]) {
    let table = key(name);
    let existing = !h.ctx.new_tables.contains(&table);
    let algorithm_given = ops.iter().any(|o| matches!(o, AlterTableOperation::Algorithm { .. }));
    if existing && (h.pg() || h.my()) {
        h.locks();
    }
    for op in ops {
        match op {
            AlterTableOperation::AddColumn {
                column_def,
                if_not_exists,
                ..
            } => add_column(h, &table, column_def, *if_not_exists, existing),
            AlterTableOperation::AddConstraint { constraint, not_valid } if existing => match constraint {
                TableConstraint::ForeignKey(_) if h.my() => {
                    h.lock(
                        "adding_foreign_key_constraint",
                        format!("foreign key added to existing table {table}"),
                    );
                }
                TableConstraint::ForeignKey(_) | TableConstraint::Check(_) if h.pg() && !not_valid => {
                    h.lock(
                        "constraint_missing_not_valid",
                        format!("constraint added to existing table {table} without NOT VALID"),
                    );
                }
                TableConstraint::Unique(_) if h.pg() => {
                    h.lock(
                        "disallowed_unique_constraint",
                        format!("UNIQUE constraint added to existing table {table} (its index is built under lock)"),
                    );
                }
                TableConstraint::PrimaryKey(_) if h.pg() => {
                    h.lock(
                        "adding_primary_key_constraint",
                        format!("PRIMARY KEY added to existing table {table}"),
                    );
                }
                TableConstraint::PrimaryKey(_) if h.my() && !algorithm_given => {
                    h.lock(
                        "mysql_copying_alter",
                        format!("PRIMARY KEY added to {table}: the table is rebuilt"),
                    );
                }
                _ => {}
            },
            AlterTableOperation::DropColumn { column_names, .. } if existing => {
                for c in column_names {
                    h.lock("dropping_column", format!("column {table}.{} dropped", c.value));
                }
            }
            AlterTableOperation::RenameColumn {
                old_column_name,
                new_column_name,
            } if existing => {
                h.lock(
                    "renaming_column",
                    format!(
                        "column {table}.{} renamed to {}",
                        old_column_name.value, new_column_name.value
                    ),
                );
            }
            AlterTableOperation::RenameTable { table_name } if existing && !table.starts_with("_alembic_tmp_") => {
                h.lock("renaming_table", format!("table {table} renamed to {table_name}"));
            }
            AlterTableOperation::AlterColumn { column_name, op } if existing => {
                let col = &column_name.value;
                match op {
                    AlterColumnOperation::SetNotNull if h.pg() => {
                        h.lock(
                            "setting_not_nullable_field",
                            format!("{table}.{col} SET NOT NULL scans the table"),
                        );
                    }
                    AlterColumnOperation::DropNotNull if h.pg() => {
                        h.add("ban_drop_not_null", format!("{table}.{col} DROP NOT NULL"));
                    }
                    AlterColumnOperation::SetDataType { data_type, .. } if h.pg() => {
                        h.lock(
                            "changing_column_type",
                            format!("{table}.{col} changes type to {data_type}"),
                        );
                    }
                    AlterColumnOperation::SetDataType { data_type, .. } if h.my() && !algorithm_given => {
                        h.lock(
                            "mysql_copying_alter",
                            format!("{table}.{col} changes type to {data_type}"),
                        );
                    }
                    _ => {}
                }
            }
            AlterTableOperation::ModifyColumn {
                col_name, data_type, ..
            } if existing && h.my() && !algorithm_given => {
                h.lock(
                    "mysql_copying_alter",
                    format!("MODIFY {table}.{} {data_type} may copy the table", col_name.value),
                );
            }
            AlterTableOperation::ChangeColumn { old_name, new_name, .. } if existing && h.my() => {
                if old_name.value != new_name.value {
                    h.lock(
                        "renaming_column",
                        format!("column {table}.{} renamed to {}", old_name.value, new_name.value),
                    );
                } else if !algorithm_given {
                    h.lock(
                        "mysql_copying_alter",
                        format!("CHANGE {table}.{} may copy the table", old_name.value),
                    );
                }
            }
            AlterTableOperation::DropPrimaryKey { .. } if existing && h.my() && !algorithm_given => {
                h.lock(
                    "mysql_copying_alter",
                    format!("PRIMARY KEY of {table} dropped: the table is rebuilt"),
                );
            }
            _ => {}
        }
    }
}

/// The rules one statement breaks.
pub fn statement(stmt: &Statement, ctx: &Context) -> Vec<Hit> {
    let mut h = Hits { out: Vec::new(), ctx };
    match stmt {
        Statement::CreateTable(ct) => create_table(&mut h, ct),
        Statement::CreateIndex(ci) => create_index(&mut h, ci),
        Statement::AlterTable(at) => alter_table(&mut h, &at.name, &at.operations),
        Statement::Drop {
            object_type,
            names,
            if_exists,
            ..
        } => drop(&mut h, object_type, names, *if_exists),
        Statement::RenameTable(renames) => {
            for r in renames {
                if !ctx.new_tables.contains(&key(&r.old_name)) {
                    h.lock(
                        "renaming_table",
                        format!("table {} renamed to {}", r.old_name, r.new_name),
                    );
                }
            }
        }
        Statement::Truncate(t) if h.pg() && stmt.to_string().to_uppercase().contains(" CASCADE") => {
            let names: Vec<String> = t.table_names.iter().map(|n| n.name.to_string()).collect();
            h.add("ban_truncate_cascade", format!("TRUNCATE {} CASCADE", names.join(", ")));
        }
        Statement::StartTransaction { .. } | Statement::Commit { .. } | Statement::Rollback { .. }
            if ctx.raw && h.pg() =>
        {
            h.add("transaction_nesting", format!("{stmt} executed inside the migration"));
        }
        _ => {}
    }
    h.out
}
