//! Integration tests of caravan-origin on the UK open rule sets (tests/data, see PROVENANCE.md)
//! and the repository's illustrative rule book.

#![expect(
    clippy::unwrap_used,
    reason = "test helpers outside #[test] functions should panic on a broken fixture"
)]

mod rule_book;
mod uk_rule_sets;

use std::path::PathBuf;

/// Reads a file of `tests/data`.
fn data(name: &str) -> String {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/data").join(name);
    std::fs::read_to_string(&path).unwrap_or_else(|err| panic!("reading {}: {err}", path.display()))
}
