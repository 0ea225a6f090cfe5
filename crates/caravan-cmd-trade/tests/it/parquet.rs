//! Parquet input: a Parquet copy of a CSV (written here with `caravan_io::csv_to_parquet`, with
//! each codec and with and without dictionary encoding) gives byte-identical outputs, and bad
//! Parquet cells are rejected naming the row and column.

use std::path::Path;

use caravan_io::{Codec, csv_to_parquet};

use crate::{data, trade};

const CODECS: [(Codec, bool); 4] =
    [(Codec::Snappy, true), (Codec::Zstd, true), (Codec::Gzip, false), (Codec::Lz4Raw, true)];

fn run_to_string(args: &[&str], out: &Path) -> String {
    trade(args).expect("command succeeds");
    std::fs::read_to_string(out).expect("output written")
}

/// Runs `subcommand` with `args` on `input` and returns the output text.
fn output_of(subcommand: &str, input: &Path, args: &[&str], out: &Path) -> String {
    let mut all = vec![subcommand, "--input", input.to_str().expect("utf-8 path")];
    all.extend_from_slice(args);
    all.extend_from_slice(&["--out", out.to_str().expect("utf-8 path")]);
    run_to_string(&all, out)
}

#[test]
fn complexity_and_proximity_are_identical_from_csv_and_parquet() {
    let dir = tempfile::tempdir().expect("temp dir");
    let csv = data("trade_data_sample.csv");
    let cols =
        ["--time", "year", "--location", "origin", "--product", "hs92", "--value", "export_val"];
    let out = dir.path().join("out.csv");
    let from_csv = output_of("complexity", &csv, &cols, &out);
    let prox_csv = output_of("proximity", &csv, &cols, &out);
    assert!(from_csv.lines().count() > 500);
    for (codec, dictionary) in CODECS {
        // Small row groups so the reader crosses row-group boundaries.
        let pq = dir.path().join(format!("sample-{codec:?}.parquet"));
        csv_to_parquet(&csv, &pq, codec, dictionary, 128).expect("parquet written");
        assert_eq!(output_of("complexity", &pq, &cols, &out), from_csv, "{codec:?}");
        assert_eq!(output_of("proximity", &pq, &cols, &out), prox_csv, "{codec:?}");
    }
    // Detected by the magic bytes when the name does not say.
    let hidden = dir.path().join("sample.bin");
    csv_to_parquet(&csv, &hidden, Codec::Snappy, true, 1 << 20).expect("parquet written");
    assert_eq!(output_of("complexity", &hidden, &cols, &out), from_csv);
}

#[test]
fn concentration_and_growth_are_identical_from_csv_and_parquet() {
    let dir = tempfile::tempdir().expect("temp dir");
    let csv = data("china_central_asia_totals.csv");
    let pq = dir.path().join("totals.parquet");
    csv_to_parquet(&csv, &pq, Codec::Zstd, true, 1000).expect("parquet written");
    let out = dir.path().join("out.csv");
    let conc = [
        "--location",
        "partner",
        "--product",
        "source",
        "--value",
        "value",
        "--time",
        "period",
        "--sum-duplicates",
    ];
    let a = output_of("concentration", &csv, &conc, &out);
    assert!(a.lines().count() > 2);
    assert_eq!(output_of("concentration", &pq, &conc, &out), a);
    let growth = [
        "--time", "period", "--value", "value", "--group", "partner", "--from", "2013", "--to",
        "2024",
    ];
    let a = output_of("growth", &csv, &growth, &out);
    assert!(a.contains("C5,2013,2024,11,312.04"), "{a}");
    assert_eq!(output_of("growth", &pq, &growth, &out), a);
}

#[test]
fn parquet_nulls_and_negatives_name_row_and_column() {
    let dir = tempfile::tempdir().expect("temp dir");
    let cols = ["--time", "t", "--location", "c", "--product", "p", "--value", "v"];
    for (body, expected) in [
        // Third data row has an empty value: a Parquet null.
        ("1,a,x,3\n1,b,x,2\n1,b,y,\n", ["row 3", "\"v\"", "not a number"]),
        ("1,a,x,3\n1,b,x,-2\n", ["row 2", "\"v\"", "negative"]),
    ] {
        let csv = dir.path().join("bad.csv");
        std::fs::write(&csv, format!("t,c,p,v\n{body}")).expect("written");
        let pq = dir.path().join("bad.parquet");
        csv_to_parquet(&csv, &pq, Codec::Snappy, true, 1000).expect("parquet written");
        let out = dir.path().join("out.csv");
        let mut args = vec!["complexity", "--input", pq.to_str().expect("utf-8")];
        args.extend_from_slice(&cols);
        args.extend_from_slice(&["--out", out.to_str().expect("utf-8")]);
        let err = format!("{:#}", trade(&args).expect_err("rejected"));
        assert!(expected.iter().all(|e| err.contains(e)), "{err}");
        assert!(err.contains("bad.parquet"), "{err}");
        assert!(!out.exists());
    }
}

#[test]
fn parquet_missing_column_lists_the_header() {
    let dir = tempfile::tempdir().expect("temp dir");
    let csv = dir.path().join("in.csv");
    std::fs::write(&csv, "t,c,prod,v\n1,a,x,3\n").expect("written");
    let pq = dir.path().join("in.parquet");
    csv_to_parquet(&csv, &pq, Codec::Gzip, false, 1000).expect("parquet written");
    let out = dir.path().join("out.csv");
    let err = format!(
        "{:#}",
        trade(&[
            "complexity",
            "--input",
            pq.to_str().expect("utf-8"),
            "--time",
            "t",
            "--location",
            "c",
            "--product",
            "p",
            "--value",
            "v",
            "--out",
            out.to_str().expect("utf-8"),
        ])
        .expect_err("rejected")
    );
    assert!(err.contains("no column \"p\"") && err.contains("t, c, prod, v"), "{err}");
}
