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

/// The web crates: the core, each feature, and the assembled server.
fn web_sources() -> Vec<PathBuf> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(workspace_root().join("crates")).unwrap() {
        let dir = entry.unwrap().path();
        let name = dir.file_name().unwrap().to_string_lossy().into_owned();
        if name == "caravan-server" || name.starts_with("caravan-web") {
            rust_files(&dir.join("src"), &mut files);
        }
    }
    files
}

/// Code, without comment lines and trailing ` // ` comments (doc comments may speak of HTTP);
/// a `//` inside a string (`"https://…"`) keeps the rest of its line, and lines keep their numbers.
fn code_of(text: &str) -> String {
    text.lines()
        .map(|line| if line.trim_start().starts_with("//") { "" } else { line })
        .map(|line| line.split_once(" // ").map_or(line, |(code, _)| code))
        .collect::<Vec<_>>()
        .join("\n")
}

/// "A service holds no HTTP type" (issue 19): every feature crate has a service module, which
/// takes the state, the caller and typed input and answers typed output or an `ApiError`, never
/// an axum extractor, response, header map or status code, so the API and the pages can both be
/// thin over it.
#[test]
fn service_modules_hold_no_http_type() {
    let services: Vec<PathBuf> = web_sources()
        .into_iter()
        .filter(|f| f.file_stem().is_some_and(|s| s == "service"))
        .collect();
    assert!(!services.is_empty(), "the web crates have service modules");
    // Every feature crate has one, so the rule is checked for every feature.
    for entry in std::fs::read_dir(workspace_root().join("crates")).unwrap() {
        let dir = entry.unwrap().path();
        let name = dir.file_name().unwrap().to_string_lossy().into_owned();
        if name.starts_with("caravan-web-") {
            assert!(
                dir.join("src").join("service.rs").is_file(),
                "{name} is a feature crate without a service module (src/service.rs)"
            );
        }
    }
    for file in services {
        let code = code_of(&std::fs::read_to_string(&file).unwrap());
        for http in ["axum", "StatusCode", "HeaderMap", "Response", "http::"] {
            assert!(
                !code.contains(http),
                "{} is a service module but names {http}",
                file.display()
            );
        }
    }
}

/// "No page calls an HTTP handler" (issue 19): nothing in the web crates builds an extractor
/// (`State(…)`, `Path(…)`, `ApiJson(…)`, `ApiQuery(…)`) to call a handler with; an extractor
/// appears only as a pattern in a handler's parameters (`Path(id): Path<i64>`).
#[test]
fn no_page_calls_an_http_handler() {
    let mut calls = Vec::new();
    for file in web_sources() {
        let code = code_of(&std::fs::read_to_string(&file).unwrap());
        for extractor in ["State(", "Path(", "ApiJson(", "ApiQuery("] {
            let mut rest = code.as_str();
            while let Some(at) = rest.find(extractor) {
                let before = rest[..at].chars().next_back();
                let after = &rest[at + extractor.len()..];
                rest = after;
                if before.is_some_and(|c| c.is_alphanumeric() || c == '_') {
                    continue; // `MaybeState(`, `JsonPath(`: another name
                }
                // The matching parenthesis, then what follows it.
                let mut depth = 1;
                let end = after
                    .char_indices()
                    .find(|&(_, c)| {
                        depth += match c {
                            '(' => 1,
                            ')' => -1,
                            _ => 0,
                        };
                        depth == 0
                    })
                    .map_or(after.len(), |(i, _)| i + 1);
                let next = after[end..].trim_start().chars().next();
                if next != Some(':') && next != Some('=') {
                    let line = code[..code.len() - after.len()].lines().count();
                    let shown = after[..end].lines().next().unwrap_or_default();
                    calls.push(format!("{}:{line}: {extractor}{shown}", file.display()));
                }
            }
        }
    }
    assert!(calls.is_empty(), "extractors built to call a handler: {calls:#?}");
}

/// "The API and the pages are thin adapters over the service" (issue 19): in a feature crate,
/// only the service module reads or writes the store (`state.store…`); a handler or page that
/// did would hold the policy check and the rule it skips.
#[test]
fn only_service_modules_touch_the_store() {
    let mut offenders = Vec::new();
    for file in web_sources() {
        // Path components (a crate directory, `service/`, `tests/`) and the file's own stem.
        let parts: Vec<String> =
            file.with_extension("").iter().map(|c| c.to_string_lossy().into_owned()).collect();
        let in_feature = parts.iter().any(|c| c.starts_with("caravan-web-"));
        let is_service_or_test = parts.iter().any(|c| c == "service" || c == "tests");
        if !in_feature || is_service_or_test {
            continue;
        }
        let code = code_of(&std::fs::read_to_string(&file).unwrap());
        for (idx, line) in code.lines().enumerate() {
            let chained = line.trim() == ".store" || line.trim_end().ends_with("state.store");
            if line.contains("state.store.") || chained {
                offenders.push(format!("{}:{}: {}", file.display(), idx + 1, line.trim()));
            }
        }
    }
    assert!(
        offenders.is_empty(),
        "store access outside a service module:\n{}",
        offenders.join("\n")
    );
}
