use std::path::Path;
use std::time::Duration;

use super::*;

fn col(name: &str, type_: &str) -> Column {
    Column {
        name: name.into(),
        type_: type_.into(),
        nullable: true,
        default: None,
    }
}

#[test]
fn diff_names_each_difference() {
    let mut a = Snapshot::default();
    let t = a.table("users");
    t.columns.push(col("id", "INTEGER"));
    t.columns.push(col("email", "VARCHAR(50)"));
    t.indexes.insert(
        "ix_users_email".into(),
        "CREATE INDEX ix_users_email ON users (email)".into(),
    );
    let mut b = a.clone();
    b.tables.get_mut("users").unwrap().columns[1].type_ = "VARCHAR(80)".into();
    b.tables.get_mut("users").unwrap().indexes.clear();
    b.table("orders");
    let d = diff(&a, &b, "before", "after");
    assert_eq!(
        d,
        vec![
            "table users: column email: type VARCHAR(50) before, VARCHAR(80) after".to_owned(),
            "table users: index ix_users_email (CREATE INDEX ix_users_email ON users (email)): present before, missing after"
                .to_owned(),
            "table orders: missing before, present after".to_owned(),
        ]
    );
    assert!(diff(&a, &a, "x", "y").is_empty());
}

#[test]
fn sqlite_checks_are_found_outside_quotes() {
    let sql =
        "CREATE TABLE t (a INT CHECK (a > 0), b TEXT DEFAULT 'check (x)', CONSTRAINT c CHECK ((b) IN ('x', 'y)')))";
    assert_eq!(
        sqlite::checks(sql),
        vec!["CHECK (a > 0)".to_owned(), "CHECK ((b) IN ('x', 'y)'))".to_owned()]
    );
}

#[test]
fn sqlite_snapshot_reads_the_catalog() {
    let dir = std::env::temp_dir().join(format!("monomig-schema-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("s.db");
    let _ = std::fs::remove_file(&path);
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        use sqlx::{Connection, Executor};
        let o = sqlx::sqlite::SqliteConnectOptions::new()
            .filename(&path)
            .create_if_missing(true);
        let mut c = sqlx::SqliteConnection::connect_with(&o).await.unwrap();
        c.execute(
            "CREATE TABLE users (id INTEGER PRIMARY KEY, email VARCHAR(50) NOT NULL DEFAULT 'x' UNIQUE, \
             CHECK (length(email) > 1)); CREATE INDEX ix_email ON users (email); \
             CREATE TABLE orders (id INTEGER NOT NULL, user_id INTEGER REFERENCES users (id) ON DELETE CASCADE, \
             PRIMARY KEY (id)); CREATE TABLE alembic_version (version_num VARCHAR(32) NOT NULL)",
        )
        .await
        .unwrap();
        c.close().await.unwrap();
        let url = format!("sqlite:///{}", path.display());
        let s = snapshot(
            &url,
            Path::new("/"),
            Duration::from_secs(5),
            &["alembic_version".into()],
        )
        .await
        .unwrap();
        assert_eq!(s.tables.keys().collect::<Vec<_>>(), vec!["orders", "users"]);
        let users = &s.tables["users"];
        assert_eq!(users.columns[1].type_, "VARCHAR(50)");
        assert!(!users.columns[1].nullable);
        assert_eq!(users.columns[1].default.as_deref(), Some("'x'"));
        assert_eq!(users.constraints["primary key"], "PRIMARY KEY (id)");
        assert!(users.constraints.contains_key("UNIQUE (email)"));
        assert_eq!(users.constraints["check #1"], "CHECK (length(email) > 1)");
        assert_eq!(users.indexes["ix_email"], "CREATE INDEX ix_email ON users (email)");
        let orders = &s.tables["orders"];
        assert!(
            orders
                .constraints
                .contains_key("FOREIGN KEY (user_id) REFERENCES users (id) ON UPDATE NO ACTION ON DELETE CASCADE")
        );
    });
    let _ = std::fs::remove_dir_all(&dir);
}
