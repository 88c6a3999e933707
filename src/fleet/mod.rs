//! The whole monorepo at once: `monomig status` (every service's revision graph and
//! version table, read concurrently) and `monomig check` (static guardrails for CI).
//!
//! - [`status`]: scan and resolve each service's revision files (no import), read every
//!   version table over sqlx at once, and classify each service: up to date, behind by
//!   N, ahead (a revision in the database that no file defines), not initialized,
//!   unreachable, or error (configuration or revision files that cannot be resolved);
//! - [`check`]: findings about the revision files and the configuration, without a
//!   database.
//!
//! Requests and answers are plain Rust structures ([`ServiceSpec`],
//! [`status::ServiceStatus`], [`check::Finding`]): their one definition. The bindings
//! (`src/bindings/fleet.rs`) turn them into Python dicts and back field by field, and
//! `python/monomig/_native.pyi` mirrors them as TypedDicts (`tests/test_fleet_types.py`
//! holds the two to the same keys).

pub mod check;
pub mod status;

use std::collections::HashMap;
use std::path::PathBuf;

use crate::db::DbTarget;

/// One service as the fleet commands see it.
#[derive(Debug, Clone, Default)]
pub struct ServiceSpec {
    pub name: String,
    pub version_locations: Vec<PathBuf>,
    pub recursive: bool,
    pub sourceless: bool,
    /// The database URL (with its password; never echoed).
    pub url: Option<String>,
    /// Why no URL could be found, when `url` is None.
    pub url_error: Option<String>,
    /// The directory relative SQLite paths are relative to.
    pub base_dir: PathBuf,
    pub version_table: String,
    pub version_table_schema: Option<String>,
    /// `monomig.allow_multiple_heads = true` in the service's section.
    pub allow_multiple_heads: bool,
    /// Folders where values built from imported names are looked up (the section's
    /// `prepend_sys_path`, made absolute as Python would: see `scripts::resolve`).
    pub search_path: Vec<PathBuf>,
    /// The values of revision files the caller imported as Alembic would (each with
    /// its path): used for the files that cannot be read statically.
    pub imported: Vec<crate::graph::RevisionInput>,
    /// The revision id rules of the Alembic release imitated (`:` allowed before 1.17.1),
    /// as the graph and the revision file reader apply them.
    pub ids: crate::graph::IdRules,
}

impl ServiceSpec {
    /// The file reader's rules for this service: its revision id rules.
    pub(crate) fn dialect(&self) -> crate::scripts::Dialect {
        crate::scripts::Dialect {
            ids: self.ids,
            ..crate::scripts::Dialect::default()
        }
    }

    /// A file that needs import, answered statically through [`scripts::resolve`] or
    /// by the values the caller imported; Err((path, reason)) when neither can.
    pub(crate) fn answer(
        &self,
        source: crate::scripts::ScriptSource,
    ) -> crate::Result<Result<crate::graph::RevisionInput, (PathBuf, String)>> {
        use crate::scripts::{self, ScriptSource};
        match scripts::resolve(source, &self.search_path, &self.dialect())? {
            ScriptSource::Static(f) => Ok(Ok(f.into())),
            ScriptSource::NeedsImport { path, reason, .. } => {
                match self.imported.iter().find(|i| i.path.as_deref() == Some(path.as_path())) {
                    Some(input) => Ok(Ok(input.clone())),
                    None => Ok(Err((path, reason))),
                }
            }
        }
    }
}

/// Why a version location that does not exist is a problem: the one text of the
/// `missing_version_location` check finding and of the `error` status it causes.
pub(crate) fn missing_version_location(service: &str, location: &std::path::Path) -> String {
    format!(
        "service '{service}': its version location {} does not exist, so Alembic sees no \
         revisions there (`upgrade` does nothing, a database already upgraded looks ahead); \
         create the folder or correct version_locations in the service's section.",
        location.display()
    )
}

/// The key of "the same database and version table": the database's identity (no
/// password), the schema and the table.
pub(crate) fn table_key(spec: &ServiceSpec) -> Option<(String, String)> {
    let url = spec.url.as_deref()?;
    let target = DbTarget::parse(url, &spec.base_dir).ok()?;
    let db = target.identity().to_owned();
    let table = match &spec.version_table_schema {
        Some(s) => format!("{s}.{}", spec.version_table),
        None => spec.version_table.clone(),
    };
    Some((db, table))
}

/// For each service, the other services writing the same database and version table.
pub(crate) fn shared_tables(specs: &[ServiceSpec]) -> Vec<Vec<String>> {
    let keys: Vec<Option<(String, String)>> = specs.iter().map(table_key).collect();
    let mut groups: HashMap<&(String, String), Vec<usize>> = HashMap::new();
    for (i, k) in keys.iter().enumerate() {
        if let Some(k) = k {
            groups.entry(k).or_default().push(i);
        }
    }
    keys.iter()
        .enumerate()
        .map(|(i, k)| match k.as_ref().and_then(|k| groups.get(k)) {
            Some(members) => members
                .iter()
                .filter(|&&j| j != i)
                .map(|&j| specs[j].name.clone())
                .collect(),
            None => Vec::new(),
        })
        .collect()
}

/// A short stable key for "the same database" (no password, no URL text): services with
/// equal keys must migrate one after another.
pub(crate) fn database_key(spec: &ServiceSpec) -> Option<String> {
    let url = spec.url.as_deref()?;
    let target = DbTarget::parse(url, &spec.base_dir).ok()?;
    Some(format!("{:016x}", crate::hash::fnv1a64(target.identity().as_bytes())))
}
