//! Tidy checks that keep the architecture true (rust-analyzer's manner): domain crates stay
//! free of I/O dependencies, every module says what it owns, and no machine paths are committed.

#![allow(clippy::unwrap_used, reason = "test helpers fail loudly by design")]

use std::path::{Path, PathBuf};
use std::process::Command;

/// Crates that must stay pure: no async runtime, web framework, database driver, CLI parser or
/// progress bars in their normal dependency graph. `caravan-store` is the storage *port*.
const DOMAIN_CRATES: &[&str] = &[
    "caravan-types",
    "caravan-refdata",
    "caravan-store",
    "caravan-matching",
    "caravan-scholarship",
    "caravan-poverty",
    "caravan-landtrend",
    "caravan-tariff",
    "caravan-origin",
    "caravan-complexity",
    "caravan-customs",
    "caravan-docsign",
    "caravan-interop",
];
const IO_CRATES: &[&str] = &["tokio", "axum", "sqlx", "rusqlite", "clap", "indicatif"];

fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..").canonicalize().unwrap()
}

/// Every crate under `crates/` whose name is a domain crate (the list plus any crate that
/// ARCHITECTURE.md marks as domain is checked by name here).
fn domain_crates() -> Vec<String> {
    DOMAIN_CRATES.iter().map(|s| (*s).to_owned()).collect()
}

#[test]
fn domain_crates_do_no_io() {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
    for krate in domain_crates() {
        for io in IO_CRATES {
            // `cargo tree -i X` prints the paths to X, nothing ("nothing to print") when X is in
            // the lock file but not in this graph, and fails when X is nowhere.
            let output = Command::new(&cargo)
                .current_dir(workspace_root())
                .args(["tree", "--offline", "-e", "normal", "-p", &krate, "-i", io])
                .output()
                .unwrap();
            let stdout = String::from_utf8_lossy(&output.stdout);
            let depends = output.status.success() && stdout.lines().any(|l| l.starts_with(io));
            assert!(!depends, "{krate} must stay pure but depends on {io}:\n{stdout}");
        }
    }
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            if !path.ends_with("target") {
                rust_files(&path, out);
            }
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

#[test]
fn every_library_module_opens_with_a_doc_comment() {
    let mut files = Vec::new();
    rust_files(&workspace_root().join("crates"), &mut files);
    let missing: Vec<_> = files
        .iter()
        .filter(|f| f.components().any(|c| c.as_os_str() == "src"))
        .filter(|f| !f.ends_with("tests.rs"))
        .filter(|f| !std::fs::read_to_string(f).unwrap().trim_start().starts_with("//!"))
        .map(|f| f.strip_prefix(workspace_root()).unwrap().display().to_string())
        .collect();
    assert!(missing.is_empty(), "modules without a //! line saying what they own: {missing:#?}");
}

#[test]
fn no_machine_paths_in_sources() {
    let mut files = Vec::new();
    rust_files(&workspace_root().join("crates"), &mut files);
    let needles = [concat!("/wo", "rk/"), concat!("/ro", "ot/")];
    for file in files {
        let text = std::fs::read_to_string(&file).unwrap();
        for needle in needles {
            assert!(!text.contains(needle), "{} names a machine path ({needle})", file.display());
        }
    }
}
