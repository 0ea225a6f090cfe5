//! `caravan trade complexity` and `proximity` against py-ecomplexity 0.5.3's output.

use std::collections::HashMap;

use crate::{data, read_csv, trade};

// Expected: py-ecomplexity 0.5.3 on trade_data_sample.csv; tests/data/PROVENANCE.md.
#[test]
fn complexity_csv_matches_py_ecomplexity() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out.csv");
    let input = data("trade_data_sample.csv");
    trade(&[
        "complexity",
        "--input",
        input.to_str().unwrap(),
        "--time",
        "year",
        "--location",
        "origin",
        "--product",
        "hs92",
        "--value",
        "export_val",
        "--out",
        out.to_str().unwrap(),
    ])
    .unwrap();
    let (header, rows) = read_csv(&out);
    assert_eq!(
        header,
        [
            "year",
            "origin",
            "hs92",
            "export_val",
            "rca",
            "mcp",
            "diversity",
            "ubiquity",
            "eci",
            "pci",
            "density",
            "coi",
            "cog"
        ]
    );
    let (_, input_rows) = read_csv(&input);
    assert_eq!(rows.len(), input_rows.len());
    // Same order as the input.
    for (row, input_row) in rows.iter().zip(&input_rows) {
        assert_eq!(row[..3], input_row[..3]);
    }
    let (expected_header, expected_rows) = read_csv(&data("pyecomplexity_0.5.3_output.csv"));
    let ours: HashMap<(String, String, String), &Vec<String>> =
        rows.iter().map(|r| ((r[0].clone(), r[1].clone(), r[2].clone()), r)).collect();
    for expected in &expected_rows {
        let row = ours[&(expected[0].clone(), expected[1].clone(), expected[2].clone())];
        for col in 3..expected_header.len() {
            let want: f64 = expected[col].parse().unwrap();
            let got: f64 = row[col].parse().unwrap();
            assert!(
                (want - got).abs() <= 1e-9,
                "{} {:?}: want {want}, got {got}",
                expected_header[col],
                &expected[..3]
            );
        }
    }
}

#[test]
fn proximity_csv_is_symmetric_with_unit_diagonal() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("prox.csv");
    let input = data("trade_data_sample.csv");
    trade(&[
        "proximity",
        "--input",
        input.to_str().unwrap(),
        "--time",
        "year",
        "--location",
        "origin",
        "--product",
        "hs92",
        "--value",
        "export_val",
        "--out",
        out.to_str().unwrap(),
    ])
    .unwrap();
    let (header, rows) = read_csv(&out);
    assert_eq!(header, ["time", "product_1", "product_2", "proximity"]);
    assert_eq!(rows.len(), 2 * 30 * 30);
    let map: HashMap<(&str, &str, &str), f64> = rows
        .iter()
        .map(|r| ((r[0].as_str(), r[1].as_str(), r[2].as_str()), r[3].parse().unwrap()))
        .collect();
    for ((t, a, b), v) in &map {
        assert!((*v - map[&(*t, *b, *a)]).abs() <= 0.0, "{a} {b}");
        if a == b {
            assert!((*v - 1.0).abs() < 1e-15);
        }
    }
}

#[test]
fn labels_with_commas_are_quoted() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("in.csv");
    std::fs::write(&input, "t,c,p,v\n1,\"Korea, Rep.\",x,3\n1,\"Korea, Rep.\",y,1\n1,b,x,1\n1,b,y,4\n1,c,x,2\n1,c,y,2\n").unwrap();
    let out = dir.path().join("out.csv");
    trade(&[
        "complexity",
        "--input",
        input.to_str().unwrap(),
        "--time",
        "t",
        "--location",
        "c",
        "--product",
        "p",
        "--value",
        "v",
        "--out",
        out.to_str().unwrap(),
    ])
    .unwrap();
    let (_, rows) = read_csv(&out);
    assert_eq!(rows.len(), 6);
    assert_eq!(rows[0][1], "Korea, Rep.");
    assert_eq!(rows[0].len(), 13);
}
