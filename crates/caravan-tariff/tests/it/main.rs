//! Integration tests of caravan-tariff: reference data cross-checks (tests/data, see
//! PROVENANCE.md), the shipped illustrative schedules, and the UK importer.

#![expect(
    clippy::unwrap_used,
    reason = "test helpers outside #[test] functions should panic on a broken fixture"
)]

mod reference;
mod samples;
mod uk_import;

use std::path::PathBuf;

/// Reads a file of `tests/data`.
fn data(name: &str) -> String {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/data").join(name);
    std::fs::read_to_string(&path).unwrap_or_else(|err| panic!("reading {}: {err}", path.display()))
}
