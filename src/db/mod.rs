//! Databases over sqlx and tokio: SQLAlchemy URLs, connections, Alembic's version tables
//! and migration locks.
//!
//! - [`url`]: SQLAlchemy URLs, parsed exactly as SQLAlchemy's `make_url` does, with a
//!   password that never shows in `Display`/`Debug`;
//! - [`target`]: a URL translated into what sqlx connects to, for PostgreSQL,
//!   MySQL/MariaDB and SQLite, with each driver's options;
//! - [`conn`]: one connection with a connect timeout, and failures classified
//!   ([`DbErrorKind`]) into one-paragraph messages;
//! - [`version_table`]: reading version tables, many databases at once within a
//!   connection budget;
//! - [`identity`]: which database a URL reaches, as a password-free key;
//! - [`lock`]: per-database migration locks on dedicated connections (or lock files).

pub mod conn;
pub mod identity;
pub mod lock;
mod pgpass;
mod pyunicode;
pub mod target;
pub mod url;
pub mod version_table;

pub use identity::database_identity;
pub use conn::{ConnectExtras, DbConn, DbError, DbErrorKind, DbResult, connect};
pub use lock::{HolderInfo, LockGuard, acquire};
pub use target::{Backend, DbTarget, SqliteLocation};
pub use url::{Password, QueryValue, SqlaUrl};
pub use version_table::{DEFAULT_VERSION_TABLE, Target, VersionRows, read_version_table, read_version_tables};
