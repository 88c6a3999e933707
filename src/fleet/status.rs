//! `monomig status`: every service's state in one call.
//!
//! The revision files of all services are scanned and resolved on worker threads while
//! the version tables are read on the async runtime (one connection per database, many
//! databases at once); then each service is classified.

use std::time::Duration;

use super::{ServiceSpec, database_key, shared_tables};
use crate::db::{DbErrorKind, DbResult, DbTarget, TableState, Target, VersionRows, read_table_states};
use crate::graph::{Graph, Ident};
use crate::plan::upgrade_revs;
use crate::scripts::{self, ScriptSource};

/// What `status` is asked.
#[derive(Debug, Clone)]
pub struct StatusRequest {
    pub services: Vec<ServiceSpec>,
    /// The upgrade target "pending" counts towards (Alembic's `heads` by default).
    pub target: Option<String>,
    /// At most this many database connections at once.
    pub concurrency: usize,
    /// Seconds to wait for each database to answer a connection.
    pub connect_timeout: f64,
}

/// One service's answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServiceStatus {
    pub service: String,
    /// The masked URL (no password), or None when the service has none.
    pub database: Option<String>,
    /// Equal for services on the same database (an opaque hash, no URL text).
    pub database_key: Option<String>,
    pub version_table: String,
    pub version_table_schema: Option<String>,
    pub current: Vec<String>,
    pub heads: Vec<String>,
    pub pending: Option<usize>,
    /// up_to_date, behind, ahead, not_initialized, migrating, unreachable or error.
    pub state: String,
    /// Who holds the service's migration lock, when another process holds it (state
    /// `migrating`; also set beside `error` when the revision files cannot be resolved).
    pub holder: Option<String>,
    pub error: Option<String>,
    /// For unreachable databases: the db error kind (unreachable, auth_failed, ...).
    pub error_kind: Option<String>,
    /// Other services writing the same database and version table.
    pub shared_with: Vec<String>,
    pub revisions: usize,
    /// The revision files only an import can read, when they are why `state` is
    /// `error` (the caller may import them and ask again with `ServiceSpec::imported`).
    pub needs_import: Vec<String>,
}

/// Why a service has no graph: the message, and the files only an import can read.
type GraphError = (String, Vec<String>);

/// The revision graph of one service, or why there is none.
fn service_graph(spec: &ServiceSpec) -> Result<Graph, GraphError> {
    // A missing folder reads as "no revisions": a database already upgraded would look
    // ahead. It is an error of the service (the check reports it as a finding too).
    if let Some(loc) = spec.version_locations.iter().find(|l| !l.exists()) {
        return Err((super::missing_version_location(&spec.name, loc), Vec::new()));
    }
    let scan = scripts::scan_with(
        &spec.version_locations,
        spec.recursive,
        spec.sourceless,
        &spec.dialect(),
    )
    .map_err(|e| (format!("Reading the revision files failed: {e}"), Vec::new()))?;
    let mut inputs = Vec::with_capacity(scan.scripts.len());
    let mut unread: Vec<(std::path::PathBuf, String)> = Vec::new();
    for s in scan.scripts {
        match s {
            ScriptSource::Static(f) => inputs.push(f.into()),
            needs @ ScriptSource::NeedsImport { .. } => match spec.answer(needs) {
                Ok(Ok(input)) => inputs.push(input),
                Ok(Err(unread_file)) => unread.push(unread_file),
                Err(e) => return Err((format!("Reading the revision files failed: {e}"), Vec::new())),
            },
        }
    }
    if !unread.is_empty() {
        let files: Vec<String> = unread
            .iter()
            .map(|(p, reason)| format!("{} ({reason})", p.display()))
            .collect();
        let message = format!(
            "{} of service '{}' cannot be read without importing {}, and importing is off (--no-import, or \
             monomig.import = false in its section): {}. Run where the application is installed without \
             --no-import, or write revision, down_revision, branch_labels and depends_on as plain literals \
             (or as constants of a project module on prepend_sys_path).",
            if unread.len() == 1 {
                "A revision file"
            } else {
                "Revision files"
            },
            spec.name,
            if unread.len() == 1 { "it" } else { "them" },
            files.join("; ")
        );
        return Err((
            message,
            unread.into_iter().map(|(p, _)| p.display().to_string()).collect(),
        ));
    }
    Graph::build_with_rules(inputs, &crate::graph::InsertionOrder, spec.ids).map_err(|e| (e.to_string(), Vec::new()))
}

/// Scan and build every service's graph, on a few threads. The tenants of one service
/// (specs with the same revision files) share one graph: a thousand tenant schemas cost
/// one scan.
fn all_graphs(specs: &[ServiceSpec]) -> Vec<Result<Graph, GraphError>> {
    let key = |s: &ServiceSpec| {
        (
            s.version_locations.clone(),
            s.recursive,
            s.sourceless,
            s.ids.colon_allowed,
        )
    };
    let mut first: std::collections::HashMap<_, usize> = std::collections::HashMap::new();
    let mut unique: Vec<ServiceSpec> = Vec::new();
    let slots: Vec<usize> = specs
        .iter()
        .map(|s| {
            *first.entry(key(s)).or_insert_with(|| {
                // A tenant (`service/tenant`): its revision files are the service's, and so
                // is any error about them.
                let mut spec = s.clone();
                if let Some((service, _)) = spec.name.split_once('/') {
                    spec.name = service.to_owned();
                }
                unique.push(spec);
                unique.len() - 1
            })
        })
        .collect();
    let graphs = scripts::parallel_map(&unique, service_graph);
    slots.into_iter().map(|i| graphs[i].clone()).collect()
}

/// Every service's state. Never fails as a whole: each service carries its own error.
pub async fn status(req: StatusRequest) -> Vec<ServiceStatus> {
    let specs = req.services;
    let timeout = Duration::from_secs_f64(req.connect_timeout.clamp(0.1, 3600.0));
    // Version table reads for services that have a URL.
    let mut read_index = Vec::new();
    let mut targets = Vec::new();
    for (i, s) in specs.iter().enumerate() {
        if let Some(url) = &s.url {
            read_index.push(i);
            targets.push(Target {
                url: url.clone(),
                base_dir: s.base_dir.clone(),
                version_table: s.version_table.clone(),
                version_table_schema: s.version_table_schema.clone(),
                connect_timeout: timeout,
            });
        }
    }
    let reads = tokio::spawn(read_table_states(targets, req.concurrency));
    let specs_for_scan = specs.clone();
    let graphs = tokio::task::spawn_blocking(move || all_graphs(&specs_for_scan)).await;
    let graphs = match graphs {
        Ok(g) => g,
        Err(_) => (0..specs.len())
            .map(|_| Err(("Reading the revision files was interrupted.".to_owned(), Vec::new())))
            .collect(),
    };
    let mut reads_by_service: Vec<Option<DbResult<TableState>>> = (0..specs.len()).map(|_| None).collect();
    if let Ok(answers) = reads.await {
        for (k, r) in answers.into_iter().enumerate() {
            if let Some(&i) = read_index.get(k) {
                reads_by_service[i] = Some(r);
            }
        }
    }
    let shared = shared_tables(&specs);
    let target = req.target.unwrap_or_else(|| "heads".to_owned());
    specs
        .iter()
        .zip(graphs)
        .zip(reads_by_service)
        .zip(shared)
        .map(|(((spec, graph), read), shared_with)| {
            migrating_if_held(classify(spec, graph, read, shared_with, &target))
        })
        .collect()
}

/// A service whose migration lock another process holds is `migrating` whatever its
/// rows say (up to date, behind, ahead or not initialized: the rows are changing);
/// `unreachable` and `error` stay as they are, since they need someone to act whether or
/// not a migration runs (the holder is still reported beside an `error`).
fn migrating_if_held(mut st: ServiceStatus) -> ServiceStatus {
    if st.holder.is_some() && matches!(st.state.as_str(), "up_to_date" | "behind" | "ahead" | "not_initialized") {
        st.state = "migrating".to_owned();
    }
    st
}

/// One service's state from its graph and its version table's rows.
fn classify(
    spec: &ServiceSpec,
    graph: Result<Graph, GraphError>,
    read: Option<DbResult<TableState>>,
    shared_with: Vec<String>,
    target: &str,
) -> ServiceStatus {
    let database = spec.url.as_deref().map(|u| match DbTarget::parse(u, &spec.base_dir) {
        Ok(t) => t.masked(),
        Err(_) => crate::config::mask_password(u),
    });
    let mut st = ServiceStatus {
        service: spec.name.clone(),
        database,
        database_key: database_key(spec),
        version_table: spec.version_table.clone(),
        version_table_schema: spec.version_table_schema.clone(),
        current: Vec::new(),
        heads: Vec::new(),
        pending: None,
        state: "error".to_owned(),
        holder: None,
        error: None,
        error_kind: None,
        shared_with,
        revisions: 0,
        needs_import: Vec::new(),
    };
    if let Ok(g) = &graph {
        st.heads = g.heads().iter().map(|s| s.to_string()).collect();
        st.revisions = g.len();
    }
    // The database first: an unreachable database is the most useful thing to say.
    let rows = match (&spec.url, read) {
        (None, _) => {
            st.error = Some(spec.url_error.clone().unwrap_or_else(|| {
                format!(
                    "No database URL for service '{}': set {} or DB_URL in services/{}/config.py, or \
                     sqlalchemy.url in its section.",
                    spec.name,
                    env_var(&spec.name),
                    spec.name
                )
            }));
            return st;
        }
        (Some(_), None) => {
            st.state = "unreachable".to_owned();
            st.error = Some("The version table could not be read.".to_owned());
            return st;
        }
        (Some(_), Some(Err(e))) => {
            if e.kind == DbErrorKind::Config {
                st.error = Some(format!("service '{}': {}", spec.name, e.message));
            } else {
                st.state = "unreachable".to_owned();
                st.error = Some(e.message);
                st.error_kind = Some(e.kind.name().to_owned());
            }
            return st;
        }
        (Some(_), Some(Ok(state))) => {
            st.holder = state.lock_holder;
            match state.rows {
                VersionRows::Present(rows) => rows,
                VersionRows::TableAbsent | VersionRows::DatabaseAbsent => Vec::new(),
            }
        }
    };
    st.current = rows.clone();
    let g = match graph {
        Ok(g) => g,
        Err((e, needs_import)) => {
            st.error = Some(e);
            st.needs_import = needs_import;
            return st;
        }
    };
    let unknown: Vec<&String> = rows
        .iter()
        .filter(|r| g.lookup(r).and_then(|n| g.revision_id(n)) != Some(r.as_str()))
        .collect();
    if !unknown.is_empty() {
        st.state = "ahead".to_owned();
        let list: Vec<String> = unknown.iter().map(|r| format!("'{r}'")).collect();
        st.error = Some(format!(
            "The database holds revision {} that no revision file of service '{}' defines: the \
             database is ahead of this checkout, or the file was removed.",
            list.join(", "),
            spec.name
        ));
        return st;
    }
    match upgrade_revs(&g, &Ident::str(target), &Ident::tuple(rows.iter().cloned())) {
        Ok(plan) => {
            st.pending = Some(plan.steps.len());
            st.state = if rows.is_empty() {
                if plan.steps.is_empty() && g.is_empty() {
                    "up_to_date"
                } else {
                    "not_initialized"
                }
            } else if plan.steps.is_empty() {
                "up_to_date"
            } else {
                "behind"
            }
            .to_owned();
        }
        Err(e) => {
            st.error = Some(format!("service '{}': {e}", spec.name));
        }
    }
    st
}

/// `MONOMIG_URL_<SERVICE>`, as monomig.urls names it.
fn env_var(service: &str) -> String {
    let mut s = String::from("MONOMIG_URL_");
    for c in service.chars().flat_map(char::to_uppercase) {
        s.push(if c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_' {
            c
        } else {
            '_'
        });
    }
    s
}
