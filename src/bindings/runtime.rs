//! The tokio runtime as Python sees it: built lazily, shared by every call, waited on
//! with the GIL released, interruptible with Ctrl-C, and rebuilt after `fork()`.
//!
//! - Multi-thread with two workers: a current-thread runtime would freeze spawned tasks
//!   (connection clean-up, concurrent reads) between calls.
//! - [`block_on`] releases the GIL while Rust waits and, every 100 ms, takes it back
//!   briefly to run Python's signal handlers; a `KeyboardInterrupt` (or any exception a
//!   handler raises) cancels the work, which drops its connections.
//! - After `fork()` the child has none of the parent's worker threads: the runtime
//!   remembers the pid that built it, and a child builds its own and leaks the parent's
//!   (dropping it would wait for threads that do not exist in the child).

use std::future::Future;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use pyo3::exceptions::PyRuntimeError;
use pyo3::prelude::*;
use tokio::runtime::Runtime;

struct Owned {
    pid: u32,
    rt: Arc<Runtime>,
}

static RUNTIME: Mutex<Option<Owned>> = Mutex::new(None);

/// The runtime of this process, built on first use.
pub(crate) fn runtime() -> PyResult<Arc<Runtime>> {
    let mut slot = RUNTIME.lock().unwrap_or_else(|p| p.into_inner());
    let pid = std::process::id();
    if let Some(owned) = slot.as_ref()
        && owned.pid == pid
    {
        return Ok(Arc::clone(&owned.rt));
    }
    if let Some(inherited) = slot.take() {
        std::mem::forget(inherited);
    }
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .thread_name("monomig-tokio")
        .enable_all()
        .build()
        .map_err(|e| PyRuntimeError::new_err(format!("monomig cannot start its async runtime: {e}")))?;
    let rt = Arc::new(rt);
    *slot = Some(Owned {
        pid,
        rt: Arc::clone(&rt),
    });
    Ok(rt)
}

/// Run `fut` to completion with the GIL released, polling for signals every 100 ms.
pub(crate) fn block_on<F>(py: Python<'_>, fut: F) -> PyResult<F::Output>
where
    F: Future + Send,
    F::Output: Send,
{
    let rt = runtime()?;
    py.detach(move || {
        rt.block_on(async move {
            let mut tick = tokio::time::interval(Duration::from_millis(100));
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            tokio::pin!(fut);
            loop {
                tokio::select! {
                    biased;
                    out = &mut fut => return Ok(out),
                    _ = tick.tick() => {
                        Python::attach(|py| py.check_signals())?;
                    }
                }
            }
        })
    })
}

/// Run a closure inside the runtime's context (for drops that may spawn clean-up work),
/// unless this process is not the one that built it.
pub(crate) fn enter<R>(f: impl FnOnce() -> R) -> R {
    match runtime() {
        Ok(rt) => {
            let _guard = rt.enter();
            f()
        }
        Err(_) => f(),
    }
}
