//! monomig's Rust integration tests, in one test binary: a release test binary is
//! linked with thin LTO over every dependency, which costs about as much as the
//! tests themselves, so `cargo test --release` links one instead of one per file.
//! Each file below stays a module of its own; `Cargo.toml` sets `autotests = false`,
//! and `every_test_file_is_a_module` fails when a file of `tests/` is not listed.

// The fuzzing harness the fuzz_* modules share (`use crate::harness`).
#[path = "../fuzz/harness.rs"]
mod harness;

mod db_layout;
mod db_servers;
mod fuzz_ini;
mod fuzz_revfile;
mod fuzz_url;
mod graph_fuzz;

/// The modules above; a new `tests/*.rs` file must be added both here and as a `mod`.
const MODULES: &[&str] = &[
    "db_layout",
    "db_servers",
    "fuzz_ini",
    "fuzz_revfile",
    "fuzz_url",
    "graph_fuzz",
];

#[test]
fn every_test_file_is_a_module() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests");
    let mut files: Vec<String> = std::fs::read_dir(&dir)
        .expect("tests/ is readable")
        .flatten()
        .filter_map(|e| {
            let name = e.file_name().into_string().ok()?;
            let stem = name.strip_suffix(".rs")?;
            (stem != "integration").then(|| stem.to_string())
        })
        .collect();
    files.sort();
    assert_eq!(
        files, MODULES,
        "every tests/*.rs file is a module of tests/integration.rs (Cargo.toml: autotests = false)"
    );
}
