//! The database layer against real SQLite files and, when they answer, the PostgreSQL and
//! MariaDB servers of the development machine (127.0.0.1:5432 user postgres, 127.0.0.1:3306
//! user root). Server tests return early, with a note, when their server is not reachable;
//! the Python suite covers the servers in CI.

use std::path::Path;
use std::time::Duration;

use monomig::db::{self, DbTarget, HolderInfo, Target, VersionRows};
use sqlx::Connection;
use sqlx::sqlite::{SqliteConnectOptions, SqliteConnection};

fn new_rt() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime")
}

async fn make_sqlite(path: &Path, rows: &[&str]) {
    let o = SqliteConnectOptions::new().filename(path).create_if_missing(true);
    let mut c = SqliteConnection::connect_with(&o).await.expect("create sqlite");
    sqlx::raw_sql("CREATE TABLE alembic_version (version_num VARCHAR(32) NOT NULL PRIMARY KEY)")
        .execute(&mut c)
        .await
        .expect("create table");
    for r in rows {
        sqlx::query("INSERT INTO alembic_version VALUES (?)")
            .bind(*r)
            .execute(&mut c)
            .await
            .expect("insert");
    }
    c.close().await.expect("close");
}

#[test]
fn sqlite_version_tables() {
    let dir = tempfile::tempdir().expect("tempdir");
    let rt = new_rt();
    rt.block_on(make_sqlite(&dir.path().join("a.db"), &["abc", "def"]));
    rt.block_on(make_sqlite(&dir.path().join("b.db"), &[]));
    std::fs::write(
        dir.path().join("junk.db"),
        b"this is not a database at all, not even close",
    )
    .expect("write");
    let targets = vec![
        Target::new("sqlite:///a.db", dir.path()),
        Target::new("sqlite:///b.db", dir.path()),
        Target {
            version_table: "other".into(),
            ..Target::new("sqlite:///a.db", dir.path())
        },
        Target::new("sqlite:///missing.db", dir.path()),
        Target::new("sqlite:///junk.db", dir.path()),
        Target::new("postgres://x@y/z", dir.path()),
    ];
    let got = rt.block_on(db::read_version_tables(targets, 2));
    assert_eq!(got[0], Ok(VersionRows::Present(vec!["abc".into(), "def".into()])));
    assert_eq!(got[1], Ok(VersionRows::Present(vec![])));
    assert_eq!(got[2], Ok(VersionRows::TableAbsent));
    assert_eq!(got[3], Ok(VersionRows::DatabaseAbsent));
    assert!(got[4].is_err());
    let e = got[5].as_ref().expect_err("postgres:// is refused");
    assert_eq!(e.kind, db::DbErrorKind::Config);
    assert!(
        !dir.path().join("missing.db").exists(),
        "reading never creates a database"
    );
}

#[test]
fn sqlite_file_lock_excludes_and_survives_drop_outside_runtime() {
    let dir = tempfile::tempdir().expect("tempdir");
    let target = DbTarget::parse("sqlite:///x.db", dir.path()).expect("target");
    let holder = HolderInfo::current(Some("svc"));
    let rt = new_rt();
    let guard = rt
        .block_on(db::acquire(
            &target,
            "l",
            Duration::from_secs(1),
            Duration::from_secs(1),
            &holder,
        ))
        .expect("first");
    let second = rt.block_on(db::acquire(
        &target,
        "l",
        Duration::from_millis(200),
        Duration::from_secs(1),
        &holder,
    ));
    let msg = second.expect_err("excluded").to_string();
    assert!(
        msg.contains("svc") && msg.contains(&std::process::id().to_string()),
        "{msg}"
    );
    drop(rt);
    drop(guard); // no runtime here
    let rt = new_rt();
    let again = rt
        .block_on(db::acquire(
            &target,
            "l",
            Duration::from_secs(1),
            Duration::from_secs(1),
            &holder,
        ))
        .expect("free after drop");
    rt.block_on(again.release()).expect("release");
}

fn server_up(addr: &str) -> bool {
    let ok = std::net::TcpStream::connect_timeout(&addr.parse().expect("addr"), Duration::from_millis(300)).is_ok();
    if !ok {
        eprintln!("note: {addr} is not reachable; skipping");
    }
    ok
}

fn server_lock_roundtrip(url: &str) {
    let target = DbTarget::parse(url, Path::new("/")).expect("target");
    let holder = HolderInfo::current(Some("rust-test"));
    let name = format!("monomig:rust-test-{}", std::process::id());
    let rt = new_rt();
    let guard = rt
        .block_on(db::acquire(
            &target,
            &name,
            Duration::from_secs(2),
            Duration::from_secs(5),
            &holder,
        ))
        .expect("first");
    let second = rt.block_on(db::acquire(
        &target,
        &name,
        Duration::from_millis(300),
        Duration::from_secs(5),
        &holder,
    ));
    assert!(second.is_err());
    // Dropped outside any runtime: must not panic, and the server frees the lock.
    drop(rt);
    drop(guard);
    let rt = new_rt();
    let again = rt
        .block_on(db::acquire(
            &target,
            &name,
            Duration::from_secs(10),
            Duration::from_secs(5),
            &holder,
        ))
        .expect("free after drop");
    rt.block_on(again.release()).expect("release");
}

#[test]
fn postgres_lock_dropped_outside_runtime() {
    if server_up("127.0.0.1:5432") {
        server_lock_roundtrip("postgresql://postgres@127.0.0.1:5432/postgres");
    }
}

#[test]
fn mysql_lock_dropped_outside_runtime() {
    if server_up("127.0.0.1:3306") {
        server_lock_roundtrip("mysql+pymysql://root@127.0.0.1:3306/test");
    }
}

#[test]
fn postgres_reads_and_classifies() {
    if !server_up("127.0.0.1:5432") {
        return;
    }
    let targets = vec![
        Target::new("postgresql://postgres@127.0.0.1:5432/postgres", "/"),
        Target::new("postgresql://postgres@127.0.0.1:5432/monomig_no_such_db_x", "/"),
        Target::new("postgresql://postgres@127.0.0.1:1/postgres", "/"),
    ];
    let got = new_rt().block_on(db::read_version_tables(targets, 4));
    assert_eq!(got[0], Ok(VersionRows::TableAbsent));
    assert_eq!(got[1], Ok(VersionRows::DatabaseAbsent));
    assert_eq!(got[2].as_ref().map_err(|e| e.kind), Err(db::DbErrorKind::Unreachable));
}
