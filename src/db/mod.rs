//! Databases over sqlx and tokio: SQLAlchemy URLs, connections, Alembic's version tables
//! and migration locks.
//!
//! Shared by every backend:
//! - [`url`]: SQLAlchemy URLs, parsed exactly as SQLAlchemy's `make_url` does, with a
//!   password that never shows in `Display`/`Debug`;
//! - [`target`]: [`DbTarget`], a URL translated into what sqlx connects to; `options`
//!   holds the driver-argument machinery the backends' translations share;
//! - [`conn`]: one connection with a connect timeout, and failures classified
//!   ([`DbErrorKind`]) into one-paragraph messages;
//! - [`version_table`]: reading version tables (and whether their migration lock is
//!   held), many databases at once within a connection budget;
//! - [`identity`]: which database a URL reaches, as a password-free key;
//! - `schemas`: the version tables of many PostgreSQL schemas of one database (tenant
//!   schemas) read in a few statements;
//! - [`lock`]: per-database migration locks on dedicated connections (or lock files):
//!   one polling loop, the guard, and reading who holds a lock without taking it.
//!
//! One folder per backend, each with its URL translation (`url.rs`) and its side of
//! migration locks (`lock.rs`): [`postgres`] (plus libpq's password file), [`mysql`]
//! (MySQL and MariaDB) and [`sqlite`].
//!
//! Modules depend one way only (`tests/db_layout.rs` checks there is no cycle): `url` <-
//! `options` <- `<backend>::url` <- `target` <- `conn` <- `lock` <- `version_table`;
//! `<backend>::lock` depend on nothing of `db` (`crate::hash` gives them their stable keys).

pub mod conn;
pub mod identity;
pub mod lock;
pub mod mysql;
mod options;
pub mod postgres;
mod schemas;
pub mod sqlite;
pub mod target;
pub mod url;
pub mod version_table;

pub use conn::{ConnectExtras, DbConn, DbError, DbErrorKind, DbResult, connect};
pub use identity::database_identity;
pub use lock::{HolderInfo, LockGuard, acquire, holder_of};
pub use target::{Backend, DbTarget, SqliteLocation};
pub use url::{Password, QueryValue, SqlaUrl};
pub use version_table::{
    DEFAULT_VERSION_TABLE, TableState, Target, VersionRows, migration_lock_name, read_table_states, read_version_table,
    read_version_tables,
};
