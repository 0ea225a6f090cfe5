//! `caravan declaration validate`.

use std::process::ExitCode;

use serde_json::Value;

use crate::{run, sample_path};

fn report(dir: &tempfile::TempDir) -> (String, std::path::PathBuf) {
    let path = dir.path().join("report.json");
    (path.to_string_lossy().into_owned(), path)
}

#[test]
fn shipped_samples_are_valid_and_exit_zero() {
    let dir = tempfile::tempdir().unwrap();
    let (report_arg, report_path) = report(&dir);
    for name in
        ["import-apples-cn-kz.json", "export-copper-kz-cn.json", "import-electronics-cn-uz.json"]
    {
        let file = sample_path(name);
        let code = run(&[
            "declaration",
            "validate",
            file.to_str().unwrap(),
            "--today",
            "2026-11-28",
            "--report",
            &report_arg,
        ])
        .unwrap();
        assert_eq!(code, ExitCode::SUCCESS, "{name}");
        let report: Value =
            serde_json::from_str(&std::fs::read_to_string(&report_path).unwrap()).unwrap();
        assert_eq!(report["valid"], Value::Bool(true), "{name}");
        assert!(report["declaration"]["reference"].is_string());
    }
}

#[test]
fn every_error_is_reported_with_its_path_and_exit_one() {
    let dir = tempfile::tempdir().unwrap();
    let mut value: Value = serde_json::from_str(
        &std::fs::read_to_string(sample_path("import-apples-cn-kz.json")).unwrap(),
    )
    .unwrap();
    value["items"][0]["origin"] = Value::from("XX");
    value["items"][0]["net_mass_kg"] = Value::from("99999");
    value["office"] = Value::from("NOPE");
    let file = dir.path().join("bad.json");
    std::fs::write(&file, serde_json::to_string(&value).unwrap()).unwrap();
    let (report_arg, report_path) = report(&dir);
    let code = run(&[
        "declaration",
        "validate",
        file.to_str().unwrap(),
        "--today",
        "2026-11-28",
        "--report",
        &report_arg,
    ])
    .unwrap();
    assert_eq!(code, ExitCode::FAILURE);
    let report: Value =
        serde_json::from_str(&std::fs::read_to_string(&report_path).unwrap()).unwrap();
    let paths: Vec<&str> = report["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|err| err["path"].as_str().unwrap())
        .collect();
    assert_eq!(paths, ["office", "items[0].origin", "items[0].net_mass_kg"]);
    assert_eq!(report["errors"][2]["code"], "net_exceeds_gross");
}

#[test]
fn future_dates_depend_on_the_day_given() {
    let file = sample_path("import-electronics-cn-uz.json");
    // The sample is dated 2026-11-25.
    let before = run(&[
        "declaration",
        "validate",
        file.to_str().unwrap(),
        "--today",
        "2026-11-24",
        "--json",
    ])
    .unwrap();
    assert_eq!(before, ExitCode::FAILURE);
    let after =
        run(&["declaration", "validate", file.to_str().unwrap(), "--today", "2026-11-25"]).unwrap();
    assert_eq!(after, ExitCode::SUCCESS);
}

#[test]
fn binary_and_broken_files_are_field_errors_not_crashes() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("binary.json");
    std::fs::write(&file, [0xff, 0xfe, 0x00, 0x7b]).unwrap();
    let (report_arg, report_path) = report(&dir);
    let code =
        run(&["declaration", "validate", file.to_str().unwrap(), "--report", &report_arg]).unwrap();
    assert_eq!(code, ExitCode::FAILURE);
    let report: Value =
        serde_json::from_str(&std::fs::read_to_string(&report_path).unwrap()).unwrap();
    assert_eq!(report["errors"][0]["path"], "$");
    assert_eq!(report["errors"][0]["code"], "invalid_json");
}

#[test]
fn missing_file_and_bad_options_say_what_to_do() {
    let err = run(&["declaration", "validate", "no/such/declaration.json"]).unwrap_err();
    assert!(err.contains("no/such/declaration.json") && err.contains("check the path"), "{err}");
    let err = run(&["declaration", "validate", "x.json", "--today", "28.11.2026"]).unwrap_err();
    assert!(err.contains("YYYY-MM-DD"), "{err}");
}
