//! SQLite: its URLs as pysqlite reads them ([`url`]), and its side of migration locks, a
//! lock file beside the database ([`lock`]).

pub mod lock;
pub(crate) mod url;
