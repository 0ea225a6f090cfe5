//! `caravan origin assess`.

use std::path::PathBuf;

use super::{data_dir, run_err, run_json};

fn uk_rules(name: &str) -> String {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../caravan-origin/tests/data")
        .join(format!("{name}.json"))
        .to_str()
        .unwrap()
        .to_owned()
}

fn write_bom(dir: &tempfile::TempDir, text: &str) -> String {
    let path = dir.path().join("bom.csv");
    std::fs::write(&path, text).unwrap();
    path.to_str().unwrap().to_owned()
}

#[test]
fn dcts_cable_qualifies_under_maxnom() {
    // DCTS chapter 85: "Manufacture in which the value of all the materials used does not exceed
    // 70% of the ex-works price of the good", the alternative to CTH, which the wire of 8544 fails.
    let tmp = tempfile::tempdir().unwrap();
    let bom = write_bom(
        &tmp,
        "hs_code,origin,value,description\n740311,CL,300,copper cathode\n854449,CN,150,insulated wire\n",
    );
    let html = tmp.path().join("verdict.html");
    let res = run_json(&[
        "origin",
        "assess",
        "--rules",
        &uk_rules("dcts-general-enhanced"),
        "--product",
        "854442",
        "--exporter",
        "UZ",
        "--price",
        "1000",
        "--bom",
        &bom,
        "--html",
        html.to_str().unwrap(),
    ]);
    assert_eq!(res["qualifies"], true, "{res:#}");
    assert!(res["rule_applied"].as_str().unwrap().contains("MaxNOM 70%"));
    assert_eq!(res["materials"]["non_originating_percent"], "45");
    let page = std::fs::read_to_string(html).unwrap();
    assert!(page.contains("qualifies as originating"));
}

#[test]
fn dcts_cable_fails_above_the_ceiling() {
    let tmp = tempfile::tempdir().unwrap();
    let bom = write_bom(&tmp, "hs_code,origin,value\n740311,CL,600\n854449,CN,150\n");
    let res = run_json(&[
        "origin",
        "assess",
        "--rules",
        &uk_rules("dcts-general-enhanced"),
        "--product",
        "854442",
        "--exporter",
        "UZ",
        "--price",
        "1000",
        "--bom",
        &bom,
    ]);
    assert_eq!(res["qualifies"], false);
    assert!(res["steps"].as_array().unwrap().iter().any(|s| s.as_str().unwrap().contains("75%")));
}

#[test]
fn sample_rule_book_with_cumulation() {
    let rules = data_dir().join("origin/cca-illustrative.json");
    let tmp = tempfile::tempdir().unwrap();
    // Copper from KZ counts as originating by cumulation: CTH met for the cable.
    let bom = write_bom(&tmp, "hs_code,origin,value\n740311,KZ,500\n854449,DE,100\n");
    let res = run_json(&[
        "origin",
        "assess",
        "--rules",
        rules.to_str().unwrap(),
        "--product",
        "854442",
        "--exporter",
        "UZ",
        "--price",
        "1000",
        "--bom",
        &bom,
    ]);
    assert_eq!(res["illustrative"], true);
    assert_eq!(res["qualifies"], true, "{res:#}");
}

#[test]
fn bom_errors_name_file_line_and_field() {
    let tmp = tempfile::tempdir().unwrap();
    let rules = uk_rules("dcts-general-enhanced");
    let assess = |bom: &str, price: &str| {
        let bom = write_bom(&tmp, bom);
        run_err(&[
            "origin",
            "assess",
            "--rules",
            &rules,
            "--product",
            "854442",
            "--exporter",
            "UZ",
            "--price",
            price,
            "--bom",
            &bom,
        ])
    };
    let err = assess("hs_code,origin,value\n740311,CL,900\n390110,CN,200\n", "1000");
    assert!(err.contains("--bom bom") && err.contains("exceeds"), "{err}");
    let err = assess("hs_code,origin,value\n740311,CL,-5\n", "1000");
    assert!(err.contains("line 2, column value"), "{err}");
    let err = assess("hs_code,origin,value\n74x,CL,5\n", "1000");
    assert!(err.contains("line 2, column hs_code"), "{err}");
    let err = assess("code,country,amount\n", "1000");
    assert!(err.contains("hs_code,origin,value"), "{err}");
    let err = assess("hs_code,origin,value\n740311,CL,5\n", "-1");
    assert!(err.contains("--price"), "{err}");
}

#[test]
fn bench_runs_small() {
    let dir = data_dir();
    assert!(
        super::run(&[
            "bench",
            "tariff",
            "--calculations",
            "200",
            "--assessments",
            "50",
            "--schedules",
            dir.to_str().unwrap()
        ])
        .is_ok()
    );
}
