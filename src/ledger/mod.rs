//! The ledger table (written by the bridge, `python/monomig/_ledger.py`), read over sqlx
//! for `monomig status`: each service's last step, when it failed or is still `running`.
//!
//! The table and its columns are defined once, by the writer; this reads the five columns
//! `status` shows and never writes.

use std::path::PathBuf;
use std::time::Duration;

use sqlx::Row;

use crate::db::version_table::quote_ident;
use crate::db::{Backend, ConnectExtras, DbConn, DbTarget, connect};

/// One service's ledger, as `status` asks for it.
#[derive(Debug, Clone)]
pub struct LedgerTarget {
    pub url: String,
    pub base_dir: PathBuf,
    pub table: String,
    pub schema: Option<String>,
    pub service: String,
    pub connect_timeout: Duration,
}

/// A service's last step (the newest row of the ledger for it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LastStep {
    pub revision: String,
    pub direction: String,
    pub outcome: String,
    pub started_at: String,
    pub error: Option<String>,
}

/// The row's columns 0-4 as [`LastStep`] (any backend's row).
macro_rules! last_step_of {
    ($row:expr) => {{
        let row = $row;
        let text = |i: usize| row.try_get::<Option<String>, _>(i).ok().flatten();
        LastStep {
            revision: text(0).unwrap_or_default(),
            direction: text(1).unwrap_or_default(),
            outcome: text(2).unwrap_or_default(),
            started_at: text(3).unwrap_or_default(),
            error: text(4),
        }
    }};
}

/// The newest ledger row of the target's service; None without a table or a row. Errors
/// (an unreachable database, a table that is not the ledger) are messages: `status`
/// reports the database's own state beside them.
pub async fn last_step(t: LedgerTarget) -> Result<Option<LastStep>, String> {
    let target = DbTarget::parse(&t.url, &t.base_dir).map_err(|e| e.to_string())?;
    let backend = target.backend();
    let mut table = quote_ident(backend, &t.table, "ledger table name").map_err(|e| e.to_string())?;
    if let Some(s) = &t.schema {
        table = format!(
            "{}.{table}",
            quote_ident(backend, s, "ledger schema").map_err(|e| e.to_string())?
        );
    }
    let param = if backend == Backend::Postgres { "$1" } else { "?" };
    let sql = format!(
        "SELECT revision, direction, outcome, started_at, error FROM {table} WHERE service = {param} \
         ORDER BY started_at DESC, id DESC LIMIT 1"
    );
    let mut conn = connect(&target, t.connect_timeout, &ConnectExtras::default())
        .await
        .map_err(|e| e.to_string())?;
    let found = match &mut conn {
        DbConn::Postgres(c) => sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(&t.service)
            .fetch_optional(&mut *c)
            .await
            .map(|r| r.map(|row| last_step_of!(row))),
        DbConn::MySql(c) => sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(&t.service)
            .fetch_optional(&mut *c)
            .await
            .map(|r| r.map(|row| last_step_of!(row))),
        DbConn::Sqlite(c) => sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(&t.service)
            .fetch_optional(&mut *c)
            .await
            .map(|r| r.map(|row| last_step_of!(row))),
    };
    conn.close().await;
    found.map_err(|e| target.scrub(&e.to_string()))
}

/// [`last_step`] for many targets, at most `concurrency` connections at once, answers in order.
pub async fn last_steps(targets: Vec<LedgerTarget>, concurrency: usize) -> Vec<Result<Option<LastStep>, String>> {
    let permits = std::sync::Arc::new(tokio::sync::Semaphore::new(concurrency.max(1)));
    let handles: Vec<_> = targets
        .into_iter()
        .map(|t| {
            let permits = permits.clone();
            tokio::spawn(async move {
                let _permit = permits.acquire_owned().await;
                last_step(t).await
            })
        })
        .collect();
    let mut out = Vec::with_capacity(handles.len());
    for h in handles {
        out.push(h.await.unwrap_or_else(|e| Err(e.to_string())));
    }
    out
}
