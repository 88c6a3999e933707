//! monomig's core: Alembic's configuration, revision files and revision graph,
//! read and resolved in Rust, and the databases reached through sqlx.
//!
//! One module per concern:
//! - [`config`]: `alembic.ini` and `pyproject.toml`, read as Alembic reads them, and the services they define;
//! - [`scripts`]: discovery of revision files and static reading of their module-level values;
//! - [`graph`]: the revision graph with Alembic's semantics (heads, bases, labels, identifiers);
//! - [`plan`]: upgrade, downgrade and stamp plans and their order;
//! - [`pystr`]: Python's string semantics (`str.isspace`, `strip`, `repr`, `isidentifier`, `int`);
//! - [`render`]: pictures of revision graphs: Mermaid, Graphviz DOT and laid-out SVG;
//! - [`report`]: the text of Alembic's `heads`, `history`, `branches` and `show`;
//! - [`db`]: database URLs, connections, version tables and locks over sqlx and tokio;
//! - [`schema`]: a database's schema read from its catalog, and the differences between two reads;
//! - [`fleet`]: every service at once: `monomig status` and `monomig check`;
//! - [`tenants`]: the schemas or databases of a multi-tenant service, and shards;
//! - [`lint`]: `monomig lint`: rules over each revision's offline SQL (sqlparser);
//! - [`hash`]: the stable hash behind lock keys and database keys;
//! - [`ledger`]: the ledger table the bridge writes, read for `status`;
//! - [`sum`]: `monomig.sum`, the checksum file of a service's revision files;
//! - `bindings` (feature `python`): the PyO3 module `monomig._native`.
//!
//! Every fallible operation returns [`Error`].

pub mod config;
pub mod db;
pub mod error;
pub mod fleet;
pub mod graph;
pub mod hash;
pub mod ledger;
pub mod lint;
pub mod plan;
pub mod pystr;
pub mod render;
pub mod report;
pub mod schema;
pub mod scripts;
pub mod sum;
pub mod tenants;

#[cfg(feature = "python")]
mod bindings;

pub use error::{Error, Result, RevisionErrorKind};
