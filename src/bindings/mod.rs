//! The PyO3 module `monomig._native`: thin wrappers over the core. Each concern
//! registers its own functions and classes from its own file.

use pyo3::prelude::*;

mod config;
mod db;
mod errors;
mod fleet;
mod graph;
mod ledger;
mod lint;
mod render;
mod report;
mod runtime;
mod schema;
mod scripts;
mod sum;
mod syntax;
mod tenants;

#[pymodule]
fn _native(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    errors::register(m)?;
    config::register(m)?;
    db::register(m)?;
    scripts::register(m)?;
    syntax::register(m)?;
    graph::register(m)?;
    fleet::register(m)?;
    report::register(m)?;
    render::register(m)?;
    tenants::register(m)?;
    lint::register(m)?;
    sum::register(m)?;
    ledger::register(m)?;
    schema::register(m)?;
    Ok(())
}
