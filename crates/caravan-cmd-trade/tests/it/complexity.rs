//! `caravan trade complexity` and `proximity` against py-ecomplexity 0.5.3's output.

use std::collections::HashMap;

use crate::{data, read_csv, trade};

// Expected: py-ecomplexity 0.5.3 on trade_data_sample.csv; tests/data/PROVENANCE.md.
#[test]
fn complexity_csv_matches_py_ecomplexity() {
    let (header, rows) = sample_complexity("trade_data_sample.csv");
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
    let (_, input_rows) = read_csv(&data("trade_data_sample.csv"));
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

/// Runs `caravan trade complexity` on a test file with the peer fixture's columns (year,
/// origin, hs92, export_val) and returns the header and rows written.
fn sample_complexity(file: &str) -> (Vec<String>, Vec<Vec<String>>) {
    let dir = tempfile::tempdir().expect("a temp folder");
    let out = dir.path().join("out.csv");
    let input = data(file);
    trade(&[
        "complexity",
        "--input",
        input.to_str().expect("UTF-8 path"),
        "--time",
        "year",
        "--location",
        "origin",
        "--product",
        "hs92",
        "--value",
        "export_val",
        "--out",
        out.to_str().expect("UTF-8 temp path"),
    ])
    .expect("complexity runs on the fixture");
    read_csv(&out)
}

/// Runs `caravan trade complexity` on the OEC/BACI section table (with a constant `period`
/// column added, as the peer's script does) and returns the rows written.
fn oec_complexity(cells: &str) -> (Vec<String>, Vec<Vec<String>>) {
    let dir = tempfile::tempdir().expect("a temp folder");
    let input = dir.path().join("in.csv");
    let original = std::fs::read_to_string(data("oec_baci_sections_global_exports.csv"))
        .expect("test data present");
    let mut text = String::new();
    for (idx, line) in original.lines().enumerate() {
        text.push_str(if idx == 0 { "period," } else { "2019-2021," });
        text.push_str(line);
        text.push('\n');
    }
    std::fs::write(&input, text).expect("temp folder writable");
    let out = dir.path().join("out.csv");
    trade(&[
        "complexity",
        "--input",
        input.to_str().expect("UTF-8 temp path"),
        "--time",
        "period",
        "--location",
        "Country ID",
        "--product",
        "Section ID",
        "--value",
        "Trade Value",
        "--cells",
        cells,
        "--out",
        out.to_str().expect("UTF-8 temp path"),
    ])
    .expect("complexity runs on the OEC table");
    read_csv(&out)
}

// Expected: py-ecomplexity 0.5.3 on the OEC/BACI section table; tests/data/PROVENANCE.md.
// Issue 23: the peer lists every location x product of the period, 51 of them absent from the
// input (value 0), with their density, COG and the rest.
#[test]
fn issue_23_panel_matches_py_ecomplexity_on_oec_sections() {
    let (header, rows) = oec_complexity("panel");
    let (expected_header, expected_rows) =
        read_csv(&data("pyecomplexity_0.5.3_oec_baci_sections.csv"));
    assert_eq!(header, expected_header);
    assert_eq!(expected_rows.len(), 226 * 21);
    assert_eq!(rows.len(), expected_rows.len());
    let ours: HashMap<(&str, &str), &Vec<String>> =
        rows.iter().map(|r| ((r[1].as_str(), r[2].as_str()), r)).collect();
    assert_eq!(ours.len(), rows.len(), "no cell twice");
    let mut n_absent = 0;
    let mut max_diff: f64 = 0.0;
    for expected in &expected_rows {
        let row = ours[&(expected[1].as_str(), expected[2].as_str())];
        assert_eq!(row[0], "2019-2021");
        if expected[3] == "0" {
            n_absent += 1;
            assert_eq!(row[3], "0");
        }
        for col in 3..expected_header.len() {
            let want: f64 = expected[col].parse().unwrap();
            let got: f64 = row[col].parse().unwrap();
            // Relative 1e-12 (absolute near 0); 6.5e-15 measured: the eigenvector solvers differ.
            let diff = (want - got).abs() / want.abs().max(1.0);
            max_diff = max_diff.max(diff);
            assert!(
                diff <= 1e-12,
                "{} {:?}: want {want}, got {got}",
                expected_header[col],
                &expected[..3]
            );
        }
    }
    assert_eq!(n_absent, 51);
    eprintln!("max relative difference from py-ecomplexity: {max_diff:e}");
}

#[test]
fn issue_23_input_cells_keep_the_input_rows_only() {
    let (_, panel) = oec_complexity("panel");
    let (_, input) = oec_complexity("input");
    assert_eq!(input.len(), 4_695);
    let (_, original) = read_csv(&data("oec_baci_sections_global_exports.csv"));
    for (row, original) in input.iter().zip(&original) {
        assert_eq!((&row[1], &row[2], &row[3]), (&original[0], &original[2], &original[4]));
    }
    // The input rows are the panel's rows with the same numbers.
    let panel: HashMap<(&str, &str), &Vec<String>> =
        panel.iter().map(|r| ((r[1].as_str(), r[2].as_str()), r)).collect();
    for row in &input {
        assert_eq!(&row, &panel[&(row[1].as_str(), row[2].as_str())]);
    }
}

// Expected: py-ecomplexity 0.5.3 on pyecomplexity_edges_input.csv; tests/data/PROVENANCE.md.
// Issue 23, the panel's edges: absent cells, a location exporting nothing in 1996 and a product
// nobody exports in 1995 (the peer leaves their input rows without measures).
#[test]
fn issue_23_panel_edges_match_py_ecomplexity() {
    let (header, rows) = sample_complexity("pyecomplexity_edges_input.csv");
    let (expected_header, expected_rows) = read_csv(&data("pyecomplexity_0.5.3_edges.csv"));
    assert_eq!(header, expected_header);
    assert_eq!(rows.len(), expected_rows.len());
    assert_eq!(expected_rows.len(), 594);
    let ours: HashMap<(&str, &str, &str), &Vec<String>> =
        rows.iter().map(|r| ((r[0].as_str(), r[1].as_str(), r[2].as_str()), r)).collect();
    assert_eq!(ours.len(), rows.len(), "no cell twice");
    let mut n_unmeasured = 0;
    for expected in &expected_rows {
        let row = ours[&(expected[0].as_str(), expected[1].as_str(), expected[2].as_str())];
        if expected[4].is_empty() {
            n_unmeasured += 1;
        }
        for col in 3..expected_header.len() {
            if expected[col].is_empty() {
                assert_eq!(row[col], "", "{} {:?}", expected_header[col], &expected[..3]);
                continue;
            }
            let want: f64 = expected[col].parse().unwrap();
            let got: f64 = row[col].parse().unwrap();
            assert!(
                (want - got).abs() <= 1e-12 * want.abs().max(1.0),
                "{} {:?}: want {want}, got {got}",
                expected_header[col],
                &expected[..3]
            );
        }
    }
    assert_eq!(n_unmeasured, 34);
}
