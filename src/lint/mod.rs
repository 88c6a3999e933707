//! `monomig lint`: the rules applied to each revision's upgrade SQL, as Alembic
//! renders it offline (python/monomig/lint.py captures the statements, each with
//! the line of the `op.*` call that produced it).
//!
//! The SQL is read with [`sqlparser`] (sqlparser-rs, the Apache DataFusion
//! project's parser): pure Rust with no C build (unlike `pg_query`, which compiles
//! PostgreSQL's own parser and knows only PostgreSQL), one AST for the PostgreSQL,
//! MySQL/MariaDB and SQLite dialects monomig serves, released monthly. A
//! statement it cannot read is an `unparsed_statement` finding, never a panic.
//!
//! - [`rules`]: the rule table (id, severity, dialects, why, fix);
//! - [`check`]: the checks of one parsed statement;
//! - [`allow`]: `# monomig: allow[rule] reason` comments.

pub mod allow;
pub mod check;
pub mod rules;

use std::collections::{HashMap, HashSet};

use serde::{Deserialize, Serialize};
use sqlparser::dialect::{Dialect as SqlDialect, GenericDialect, MySqlDialect, PostgreSqlDialect, SQLiteDialect};
use sqlparser::parser::Parser;

pub use rules::{Dialect, RULES, Rule, Severity};

/// One service's rendered revisions, in the order they run.
#[derive(Debug, Deserialize)]
pub struct LintRequest {
    pub service: String,
    /// SQLAlchemy's backend name (`postgresql`, `mysql`, `mariadb`, `sqlite`, ...).
    pub dialect: String,
    /// The section sets `monomig.lock_timeout` (so the bridge sets it at run time).
    #[serde(default)]
    pub lock_timeout: bool,
    /// The section sets `monomig.statement_timeout`.
    #[serde(default)]
    pub statement_timeout: bool,
    /// `monomig.lint.disable`: rules turned off.
    #[serde(default)]
    pub disable: Vec<String>,
    /// `monomig.lint.error`: rules raised to error severity.
    #[serde(default)]
    pub error: Vec<String>,
    pub revisions: Vec<RevisionInput>,
}

#[derive(Debug, Deserialize)]
pub struct RevisionInput {
    pub revision: String,
    pub path: String,
    /// The file's text (read from `path` when absent).
    #[serde(default)]
    pub source: Option<String>,
    /// `downgrade()` is missing or does nothing.
    #[serde(default)]
    pub irreversible: bool,
    /// Why the revision could not be rendered offline, when it could not.
    #[serde(default)]
    pub error: Option<String>,
    #[serde(default)]
    pub error_line: Option<usize>,
    #[serde(default)]
    pub statements: Vec<StatementInput>,
}

#[derive(Debug, Deserialize)]
pub struct StatementInput {
    pub sql: String,
    /// The line of the `op.*` call in the revision file.
    #[serde(default)]
    pub line: Option<usize>,
    /// `op` (an operation), `execute` (raw SQL of `op.execute`) or `autocommit`
    /// (the COMMIT/BEGIN of `autocommit_block`).
    #[serde(default)]
    pub kind: String,
}

/// One finding.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Finding {
    pub service: String,
    pub rule: String,
    pub severity: Severity,
    pub revision: String,
    pub path: String,
    pub line: usize,
    /// The statement, shortened to one line.
    pub statement: Option<String>,
    pub message: String,
    pub fix: String,
}

/// A section's lint settings name a rule that does not exist.
#[derive(Debug, Clone, PartialEq)]
pub struct UnknownRule {
    pub option: &'static str,
    pub rule: String,
}

fn excerpt(sql: &str) -> String {
    let one: Vec<&str> = sql.split_whitespace().collect();
    let text = one.join(" ");
    if text.chars().count() > 160 {
        format!("{}...", text.chars().take(157).collect::<String>())
    } else {
        text
    }
}

fn parser_dialect(d: Dialect) -> Box<dyn SqlDialect> {
    match d {
        Dialect::Postgres => Box::new(PostgreSqlDialect {}),
        Dialect::Mysql => Box::new(MySqlDialect {}),
        Dialect::Sqlite => Box::new(SQLiteDialect {}),
        Dialect::Other => Box::new(GenericDialect {}),
    }
}

/// `SET lock_timeout` / `statement_timeout` (and MySQL/MariaDB's names) in a statement.
fn sets_timeout(upper: &str) -> (bool, bool) {
    let set = upper.trim_start().starts_with("SET ");
    (
        set && (upper.contains("LOCK_TIMEOUT") || upper.contains("LOCK_WAIT_TIMEOUT")),
        set && (upper.contains("STATEMENT_TIMEOUT")
            || upper.contains("MAX_STATEMENT_TIME")
            || upper.contains("MAX_EXECUTION_TIME")),
    )
}

/// `DROP INDEX CONCURRENTLY ...` without the keyword the parser does not know, and whether it was there.
fn strip_drop_concurrently(sql: &str) -> (String, bool) {
    let upper = sql.to_uppercase();
    let words: Vec<&str> = upper.split_whitespace().take(3).collect();
    if words == ["DROP", "INDEX", "CONCURRENTLY"] {
        let at = upper.find("CONCURRENTLY").unwrap_or(0);
        (format!("{}{}", &sql[..at], &sql[at + "CONCURRENTLY".len()..]), true)
    } else {
        (sql.to_string(), false)
    }
}

/// What a statement the parser has no form for means, when monomig knows.
enum Unparsed {
    /// Nothing any rule looks at: SQLite's `PRAGMA`, MySQL's `ALTER TABLE t COMMENT '...'`
    /// (Alembic's `create_table_comment`), a metadata-only change.
    Nothing,
    /// MySQL/MariaDB `ALTER TABLE t CONVERT TO CHARACTER SET ...`: a table copy.
    TableCopy(String),
}

fn unparsed_form(dialect: Dialect, upper: &str) -> Option<Unparsed> {
    let words: Vec<&str> = upper.split_whitespace().collect();
    if words.first() == Some(&"PRAGMA") {
        return Some(Unparsed::Nothing);
    }
    if dialect == Dialect::Mysql && words.len() > 3 && words[0] == "ALTER" && words[1] == "TABLE" {
        let table = words[2]
            .rsplit('.')
            .next()
            .unwrap_or(words[2])
            .trim_matches('`')
            .to_lowercase();
        match words[3] {
            "COMMENT" => return Some(Unparsed::Nothing),
            "CONVERT" if !upper.contains("ALGORITHM") => return Some(Unparsed::TableCopy(table)),
            _ => {}
        }
    }
    None
}

/// The findings of one service's revisions, or the lint settings that name no rule.
pub fn lint(req: &LintRequest) -> Result<Vec<Finding>, UnknownRule> {
    for (option, list) in [
        ("monomig.lint.disable", &req.disable),
        ("monomig.lint.error", &req.error),
    ] {
        if let Some(bad) = list.iter().find(|r| rules::rule(r).is_none()) {
            return Err(UnknownRule {
                option,
                rule: bad.clone(),
            });
        }
    }
    let dialect = Dialect::from_backend(&req.dialect);
    let parser = parser_dialect(dialect);
    let mut ctx = check::Context {
        dialect,
        in_transaction: false,
        raw: false,
        new_tables: HashSet::new(),
        new_indexes: HashSet::new(),
        drop_concurrently: false,
    };
    let mut all = Vec::new();
    for rev in &req.revisions {
        let mut found: Vec<Finding> = Vec::new();
        let mut push = |rule: &'static str, line: usize, statement: Option<String>, message: String| {
            let r = rules::rule(rule).expect("a rule of the table");
            if r.applies_to(dialect) {
                found.push(Finding {
                    service: req.service.clone(),
                    rule: rule.to_string(),
                    severity: r.severity,
                    revision: rev.revision.clone(),
                    path: rev.path.clone(),
                    line,
                    statement,
                    message,
                    fix: r.fix.to_string(),
                });
            }
        };
        if let Some(err) = &rev.error {
            push(
                "not_renderable",
                rev.error_line.unwrap_or(1),
                None,
                format!("could not be rendered offline: {err}"),
            );
        }
        if rev.irreversible {
            push(
                "irreversible_revision",
                1,
                None,
                "downgrade() is missing or does nothing".into(),
            );
        }
        ctx.in_transaction = dialect == Dialect::Postgres;
        let (mut lock_set, mut statement_set) = (req.lock_timeout, req.statement_timeout);
        let mut first_locking: Option<(usize, String)> = None;
        for st in &rev.statements {
            let sql = st.sql.trim().trim_end_matches(';').trim();
            let line = st.line.unwrap_or(1);
            let upper = sql.to_uppercase();
            if st.kind == "autocommit" {
                if upper == "COMMIT" {
                    ctx.in_transaction = false;
                } else if upper.starts_with("BEGIN") {
                    ctx.in_transaction = true;
                }
                continue;
            }
            if sql.is_empty() {
                continue;
            }
            let (l, s) = sets_timeout(&upper);
            lock_set |= l;
            statement_set |= s;
            match unparsed_form(dialect, &upper) {
                Some(Unparsed::Nothing) => continue,
                Some(Unparsed::TableCopy(table)) => {
                    if !ctx.new_tables.contains(&table) {
                        first_locking.get_or_insert((line, excerpt(sql)));
                        push(
                            "mysql_copying_alter",
                            line,
                            Some(excerpt(sql)),
                            format!("CONVERT TO CHARACTER SET rebuilds table {table} by copying it"),
                        );
                    }
                    continue;
                }
                None => {}
            }
            let (text, concurrently) = strip_drop_concurrently(sql);
            ctx.raw = st.kind == "execute";
            ctx.drop_concurrently = concurrently;
            let parsed = match Parser::parse_sql(parser.as_ref(), &text) {
                Ok(p) => p,
                Err(e) => {
                    push(
                        "unparsed_statement",
                        line,
                        Some(excerpt(sql)),
                        format!("the {} parser could not read this statement ({e})", req.dialect),
                    );
                    continue;
                }
            };
            for stmt in &parsed {
                for hit in check::statement(stmt, &ctx) {
                    if hit.locking && first_locking.is_none() {
                        first_locking = Some((line, excerpt(sql)));
                    }
                    if !hit.rule.is_empty() {
                        push(hit.rule, line, Some(excerpt(sql)), hit.message);
                    }
                }
                track(stmt, &mut ctx);
                if ctx.raw {
                    match stmt {
                        sqlparser::ast::Statement::Commit { .. } | sqlparser::ast::Statement::Rollback { .. } => {
                            ctx.in_transaction = false
                        }
                        sqlparser::ast::Statement::StartTransaction { .. } => ctx.in_transaction = true,
                        _ => {}
                    }
                }
            }
        }
        if let Some((line, stmt)) = first_locking {
            if !lock_set {
                push(
                    "require_lock_timeout",
                    line,
                    Some(stmt.clone()),
                    "this revision takes locks on existing tables with no lock_timeout set".into(),
                );
            }
            if !statement_set {
                push(
                    "require_statement_timeout",
                    line,
                    Some(stmt),
                    "this revision takes locks on existing tables with no statement_timeout set".into(),
                );
            }
        }
        let source = rev
            .source
            .clone()
            .or_else(|| std::fs::read_to_string(&rev.path).ok())
            .unwrap_or_default();
        let mut kept = apply_allows(&source, found, &req.service, &rev.revision, &rev.path);
        kept.retain(|f| !req.disable.contains(&f.rule));
        for f in &mut kept {
            if req.error.contains(&f.rule) {
                f.severity = Severity::Error;
            }
        }
        kept.sort_by_key(|f| f.line);
        all.extend(kept);
    }
    Ok(all)
}

/// What a statement adds to the run's knowledge: tables and indexes it creates.
fn track(stmt: &sqlparser::ast::Statement, ctx: &mut check::Context) {
    use sqlparser::ast::Statement;
    match stmt {
        Statement::CreateTable(ct) => {
            ctx.new_tables.insert(check::key(&ct.name));
        }
        Statement::CreateIndex(ci) => {
            if ctx.new_tables.contains(&check::key(&ci.table_name))
                && let Some(name) = &ci.name
            {
                ctx.new_indexes.insert(check::key(name));
            }
        }
        _ => {}
    }
}

/// Removes the findings silenced by the file's allow comments; adds
/// `invalid_allow` and `unused_allow` findings for the comments themselves.
fn apply_allows(source: &str, found: Vec<Finding>, service: &str, revision: &str, path: &str) -> Vec<Finding> {
    let allows = allow::parse(source);
    let mut used: HashMap<usize, bool> = HashMap::new();
    let mut kept = Vec::new();
    for f in found {
        let silenced = allows
            .iter()
            .find(|a| a.rules.iter().any(|r| r == &f.rule) && (a.target.is_none() || a.target == Some(f.line)));
        match silenced {
            Some(a) => {
                used.insert(a.line, true);
            }
            None => kept.push(f),
        }
    }
    let meta = |rule: &'static str, line: usize, message: String| {
        let r = rules::rule(rule).expect("a rule of the table");
        Finding {
            service: service.to_string(),
            rule: rule.to_string(),
            severity: r.severity,
            revision: revision.to_string(),
            path: path.to_string(),
            line,
            statement: None,
            message,
            fix: r.fix.to_string(),
        }
    };
    for a in &allows {
        let unknown: Vec<&String> = a.rules.iter().filter(|r| rules::rule(r).is_none()).collect();
        if a.rules.is_empty() || !unknown.is_empty() {
            let names: Vec<&str> = unknown.iter().map(|s| s.as_str()).collect();
            kept.push(meta(
                "invalid_allow",
                a.line,
                if a.rules.is_empty() {
                    "the allow names no rule".into()
                } else {
                    format!("the allow names unknown rule(s): {}", names.join(", "))
                },
            ));
        } else if a.reason.is_empty() {
            kept.push(meta(
                "invalid_allow",
                a.line,
                format!("allow[{}] gives no reason", a.rules.join(", ")),
            ));
        }
        if !used.contains_key(&a.line) && unknown.is_empty() && !a.rules.is_empty() {
            kept.push(meta(
                "unused_allow",
                a.line,
                format!("allow[{}] silences no finding", a.rules.join(", ")),
            ));
        }
    }
    kept
}

#[cfg(test)]
mod tests;
