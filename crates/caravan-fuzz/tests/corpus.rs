//! Replays the fuzz corpora on stable (issue 22): every file of `fuzz/corpus/<target>/` and
//! `fuzz/regressions/<target>/` goes through the body of its target, so an input that once
//! crashed a parser keeps being checked by `cargo test --workspace` without nightly.

use std::path::{Path, PathBuf};

fn fuzz_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fuzz")
}

/// The files of `dir`, sorted; none when it does not exist.
fn files(dir: &Path) -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir(dir) else { return Vec::new() };
    let mut files: Vec<PathBuf> =
        entries.map(|e| e.expect("a readable folder").path()).filter(|p| p.is_file()).collect();
    files.sort();
    files
}

#[track_caller]
fn replay(target: &str) {
    let (_, body) = caravan_fuzz::TARGETS
        .iter()
        .find(|(name, _)| *name == target)
        .unwrap_or_else(|| panic!("no target {target}"));
    let corpus = files(&fuzz_dir().join("corpus").join(target));
    assert!(!corpus.is_empty(), "fuzz/corpus/{target}/ holds the seeds and is committed");
    let regressions = files(&fuzz_dir().join("regressions").join(target));
    for path in corpus.iter().chain(&regressions) {
        let data = std::fs::read(path).expect("a readable corpus file");
        // A panic names the input, which `cargo fuzz run {target} <path>` reproduces.
        eprintln!("{target}: {}", path.display());
        body(&data);
    }
}

#[test]
fn every_target_has_a_replay_test() {
    let source = include_str!("corpus.rs");
    for (name, _) in caravan_fuzz::TARGETS {
        assert!(source.contains(&format!("replay(\"{name}\")")), "add a test replaying {name}");
    }
}

#[test]
fn cert_json_corpus() {
    replay("cert_json");
}

#[test]
fn qr_decode_corpus() {
    replay("qr_decode");
}

#[test]
fn declaration_json_corpus() {
    replay("declaration_json");
}

#[test]
fn geotiff_corpus() {
    replay("geotiff");
}

#[test]
fn tabular_csv_corpus() {
    replay("tabular_csv");
}

#[test]
fn tabular_parquet_corpus() {
    replay("tabular_parquet");
}

#[cfg(feature = "server")]
#[test]
fn multipart_corpus() {
    replay("multipart");
}

#[test]
fn sample_certificates_verify_and_survive_the_targets() {
    for certificate in caravan_fuzz::sample_certificates() {
        caravan_fuzz::cert_json(&certificate);
        let text = caravan_docsign::qr::encode_certificate(&certificate).unwrap();
        caravan_fuzz::qr_decode(text.as_bytes());
    }
}

#[test]
fn interop_documents_corpus() {
    replay("interop_documents");
}
