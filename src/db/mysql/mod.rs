//! MySQL and MariaDB: their URLs as mysqlclient, PyMySQL and the other drivers read them
//! ([`url`]), and their side of migration locks ([`lock`]).

pub mod lock;
pub(crate) mod url;
