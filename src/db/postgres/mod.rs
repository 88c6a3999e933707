//! PostgreSQL: its URLs as psycopg2, psycopg, asyncpg and pg8000 read them ([`url`], with
//! libpq's password file in `pgpass`), and its side of migration locks ([`lock`]).

pub mod lock;
mod pgpass;
pub(crate) mod url;
