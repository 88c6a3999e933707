use super::*;

fn req(dialect: &str, revisions: Vec<RevisionInput>) -> LintRequest {
    LintRequest {
        service: "svc".into(),
        dialect: dialect.into(),
        lock_timeout: true,
        statement_timeout: true,
        disable: vec![],
        error: vec![],
        revisions,
    }
}

fn rev(name: &str, source: &str, stmts: &[(&str, usize, &str)]) -> RevisionInput {
    RevisionInput {
        revision: name.into(),
        path: format!("/v/{name}.py"),
        source: Some(source.into()),
        irreversible: false,
        error: None,
        error_line: None,
        statements: stmts
            .iter()
            .map(|(sql, line, kind)| StatementInput {
                sql: sql.to_string(),
                line: Some(*line),
                kind: kind.to_string(),
            })
            .collect(),
    }
}

fn rules_of(found: &[Finding]) -> Vec<&str> {
    found.iter().map(|f| f.rule.as_str()).collect()
}

#[test]
fn every_rule_has_an_id_a_why_and_a_fix_and_there_are_at_least_25() {
    assert!(RULES.len() >= 25);
    let mut ids = HashSet::new();
    for r in RULES {
        assert!(ids.insert(r.id), "{} twice", r.id);
        assert!(!r.why.is_empty() && !r.fix.is_empty() && !r.summary.is_empty());
    }
}

#[test]
fn index_on_existing_table_but_not_on_a_table_created_earlier_in_the_run() {
    let r = req(
        "postgresql",
        vec![
            rev(
                "a",
                "",
                &[("CREATE TABLE t (id BIGINT NOT NULL, PRIMARY KEY (id))", 3, "op")],
            ),
            rev(
                "b",
                "",
                &[
                    ("CREATE INDEX ix_t ON t (id)", 4, "op"),
                    ("CREATE INDEX ix_u ON u (id)", 5, "op"),
                ],
            ),
        ],
    );
    let found = lint(&r).unwrap();
    assert_eq!(rules_of(&found), vec!["require_concurrent_index_creation"]);
    assert_eq!(found[0].line, 5);
    assert_eq!(found[0].revision, "b");
}

#[test]
fn concurrently_needs_the_autocommit_block() {
    let inside = req(
        "postgresql",
        vec![rev("a", "", &[("CREATE INDEX CONCURRENTLY ix ON u (id)", 3, "op")])],
    );
    assert_eq!(rules_of(&lint(&inside).unwrap()), vec!["concurrently_in_transaction"]);
    let outside = req(
        "postgresql",
        vec![rev(
            "a",
            "",
            &[
                ("COMMIT", 3, "autocommit"),
                ("CREATE INDEX CONCURRENTLY IF NOT EXISTS ix ON u (id)", 4, "op"),
                ("DROP INDEX CONCURRENTLY IF EXISTS ix2", 5, "op"),
                ("BEGIN", 3, "autocommit"),
            ],
        )],
    );
    assert_eq!(rules_of(&lint(&outside).unwrap()), Vec::<&str>::new());
}

#[test]
fn unparseable_sql_is_a_finding_not_a_panic() {
    let r = req(
        "postgresql",
        vec![rev("a", "", &[("CREATE FROBNICATE ))) ;;", 7, "execute")])],
    );
    let found = lint(&r).unwrap();
    assert_eq!(rules_of(&found), vec!["unparsed_statement"]);
    assert_eq!(found[0].line, 7);
}

#[test]
fn timeouts_from_the_revision_or_the_section() {
    let mut r = req(
        "postgresql",
        vec![rev("a", "", &[("ALTER TABLE u DROP COLUMN c", 3, "op")])],
    );
    r.lock_timeout = false;
    r.statement_timeout = false;
    let found = lint(&r).unwrap();
    assert_eq!(
        rules_of(&found),
        vec!["dropping_column", "require_lock_timeout", "require_statement_timeout"]
    );
    let r = LintRequest {
        revisions: vec![rev(
            "a",
            "",
            &[
                ("SET lock_timeout = '2s'", 2, "execute"),
                ("SET statement_timeout = '5s'", 2, "execute"),
                ("ALTER TABLE u DROP COLUMN c", 3, "op"),
            ],
        )],
        lock_timeout: false,
        statement_timeout: false,
        ..req("postgresql", vec![])
    };
    assert_eq!(rules_of(&lint(&r).unwrap()), vec!["dropping_column"]);
}

#[test]
fn allows_silence_and_are_checked() {
    let src = "# monomig: allow[not_renderable] reads rows on purpose\ndef upgrade():\n    op.drop_column('u', 'c')  # monomig: allow[dropping_column] unused since v2\n    op.drop_table('w')  # monomig: allow[dropping_table]\n    op.add_column('u', x)  # monomig: allow[renaming_column] nothing to rename\n    op.x()  # monomig: allow[no_such_rule] typo\n";
    let r = req(
        "postgresql",
        vec![rev(
            "a",
            src,
            &[("ALTER TABLE u DROP COLUMN c", 3, "op"), ("DROP TABLE w", 4, "op")],
        )],
    );
    let found = lint(&r).unwrap();
    let got: Vec<(&str, usize)> = found.iter().map(|f| (f.rule.as_str(), f.line)).collect();
    assert_eq!(
        got,
        vec![
            ("unused_allow", 1),
            ("invalid_allow", 4),
            ("unused_allow", 5),
            ("invalid_allow", 6)
        ]
    );
}

#[test]
fn section_disables_and_raises() {
    let mut r = req(
        "postgresql",
        vec![rev(
            "a",
            "",
            &[
                ("ALTER TABLE u DROP COLUMN c", 3, "op"),
                ("ALTER TABLE u RENAME COLUMN a TO b", 4, "op"),
            ],
        )],
    );
    r.disable = vec!["dropping_column".into()];
    r.error = vec!["renaming_column".into()];
    let found = lint(&r).unwrap();
    assert_eq!(rules_of(&found), vec!["renaming_column"]);
    assert_eq!(found[0].severity, Severity::Error);
    r.error = vec!["renaming_colum".into()];
    assert_eq!(lint(&r).unwrap_err().rule, "renaming_colum");
}

#[test]
fn mysql_and_sqlite_rules() {
    let r = req(
        "mysql",
        vec![rev(
            "a",
            "",
            &[
                ("ALTER TABLE u MODIFY c BIGINT NOT NULL", 3, "op"),
                ("ALTER TABLE u ADD COLUMN d INTEGER", 4, "op"),
                (
                    "ALTER TABLE u MODIFY c BIGINT NOT NULL, ALGORITHM=INPLACE",
                    5,
                    "execute",
                ),
            ],
        )],
    );
    assert_eq!(rules_of(&lint(&r).unwrap()), vec!["mysql_copying_alter"]);
    let r = req(
        "mariadb",
        vec![rev(
            "a",
            "",
            &[
                ("ALTER TABLE u COMMENT 'accounts'", 3, "op"),
                ("ALTER TABLE `u` CONVERT TO CHARACTER SET utf8mb4", 4, "execute"),
            ],
        )],
    );
    let found = lint(&r).unwrap();
    assert_eq!(rules_of(&found), vec!["mysql_copying_alter"]);
    assert_eq!(found[0].line, 4);
    let r = req(
        "sqlite",
        vec![rev(
            "a",
            "",
            &[
                (
                    "CREATE TABLE _alembic_tmp_u (id INTEGER NOT NULL, c VARCHAR(20), PRIMARY KEY (id))",
                    3,
                    "op",
                ),
                ("INSERT INTO _alembic_tmp_u (id, c) SELECT u.id, u.c FROM u", 3, "op"),
                ("DROP TABLE u", 3, "op"),
                ("ALTER TABLE _alembic_tmp_u RENAME TO u", 3, "op"),
                ("PRAGMA foreign_keys=OFF", 4, "execute"),
            ],
        )],
    );
    assert_eq!(rules_of(&lint(&r).unwrap()), vec!["sqlite_batch_recreate"]);
}
