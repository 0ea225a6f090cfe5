//! Parquet input: a Parquet copy of a survey (written with `caravan_io::csv_to_parquet`, with
//! several codecs, dictionary and plain encodings, small row groups) gives the same RESULT.json
//! (to 1e-12 relative: rayon's parallel sums may differ in the last bit from run to run, even
//! for the same CSV), and bad Parquet cells are rejected naming the row and column.

use caravan_io::{Codec, csv_to_parquet};

use super::*;

fn to_parquet(csv: &Path, dir: &Path, name: &str, codec: Codec, dictionary: bool) -> PathBuf {
    let path = dir.join(format!("{name}.parquet"));
    csv_to_parquet(csv, &path, codec, dictionary, 37).unwrap();
    path
}

/// Same structure, same strings and flags, numbers equal to 1e-12 relative.
#[track_caller]
fn assert_same(a: &str, b: &str, what: &str) {
    fn walk(a: &Value, b: &Value, path: &str) {
        match (a, b) {
            (Value::Number(x), Value::Number(y)) => {
                let (x, y) = (x.as_f64().unwrap(), y.as_f64().unwrap());
                assert!((x - y).abs() <= 1e-12 * x.abs().max(y.abs()), "{path}: {x} vs {y}");
            }
            (Value::Array(x), Value::Array(y)) => {
                assert_eq!(x.len(), y.len(), "{path}");
                for (i, (x, y)) in x.iter().zip(y).enumerate() {
                    walk(x, y, &format!("{path}[{i}]"));
                }
            }
            (Value::Object(x), Value::Object(y)) => {
                assert_eq!(x.keys().collect::<Vec<_>>(), y.keys().collect::<Vec<_>>(), "{path}");
                for (k, x) in x {
                    walk(x, &y[k], &format!("{path}.{k}"));
                }
            }
            _ => assert_eq!(a, b, "{path}"),
        }
    }
    let (a, b): (Value, Value) =
        (serde_json::from_str(a).unwrap(), serde_json::from_str(b).unwrap());
    walk(&a, &b, what);
}

/// Runs `args` with `{input}` replaced by `input` and returns the RESULT.json text.
fn result_text(args: &[&str], inputs: &[(&str, &Path)], out: &Path) -> String {
    let args: Vec<&str> = args
        .iter()
        .map(|a| inputs.iter().find(|(k, _)| k == a).map_or(*a, |(_, p)| p.to_str().unwrap()))
        .collect();
    run_ok(&args, out);
    std::fs::read_to_string(out).unwrap()
}

#[test]
fn measure_is_identical_from_csv_and_parquet() {
    let dir = tempfile::tempdir().unwrap();
    let csv = write_design_csv(dir.path(), true);
    let out = dir.path().join("r.json");
    let out_s = out.to_str().unwrap().to_owned();
    for se in [&["--se", "linearized"][..], &["--se", "replicate", "--replicate-prefix", "rep_"]] {
        let mut args = vec![
            "measure",
            "--input",
            "{in}",
            "--welfare",
            "income",
            "--weight",
            "weight",
            "--size",
            "size",
            "--strata",
            "stratum",
            "--psu",
            "cluster",
            "--by",
            "region",
            "--filter",
            "income>30",
            "--line",
            "60",
            "--out",
            &out_s,
        ];
        args.extend_from_slice(se);
        let from_csv = result_text(&args, &[("{in}", &csv)], &out);
        assert!(from_csv.contains("\"fgt0\""));
        for (codec, dictionary) in [
            (Codec::Snappy, true),
            (Codec::Zstd, false),
            (Codec::Gzip, true),
            (Codec::Uncompressed, true),
        ] {
            let pq = to_parquet(&csv, dir.path(), "survey", codec, dictionary);
            let from_pq = result_text(&args, &[("{in}", &pq)], &out);
            assert_same(&from_pq, &from_csv, &format!("{codec:?} {se:?}"));
        }
    }
}

#[test]
fn compare_is_identical_from_csv_and_parquet() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("cmp.json");
    let out_s = out.to_str().unwrap().to_owned();
    let (a, b) = (data("md_ABC_2000_income.csv"), data("md_ABC_2010_income.csv"));
    let args = [
        "compare",
        "--before",
        "{a}",
        "--after",
        "{b}",
        "--welfare",
        "welfare",
        "--weight",
        "weight",
        "--line",
        "3000000",
        "--filter",
        "welfare>=0",
        "--filter",
        "weight>=0",
        "--by",
        "area",
        "--out",
        &out_s,
    ];
    let from_csv = result_text(&args, &[("{a}", &a), ("{b}", &b)], &out);
    let pa = to_parquet(&a, dir.path(), "a", Codec::Zstd, true);
    let pb = to_parquet(&b, dir.path(), "b", Codec::Snappy, true);
    assert_same(&result_text(&args, &[("{a}", &pa), ("{b}", &pb)], &out), &from_csv, "parquet");
    // One round in each format is fine too.
    assert_same(&result_text(&args, &[("{a}", &a), ("{b}", &pb)], &out), &from_csv, "mixed");
}

#[test]
fn bad_parquet_cells_name_row_and_column() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("r.json");
    let out_s = out.to_str().unwrap().to_owned();
    let header = "stratum,cluster,weight,income\n";
    // CSV line N is Parquet row N - 1.
    let cases = [
        ("a,1,-3,10\n", "row 1, column \"weight\""),
        ("a,1,2,10\na,2,,10\n", "row 2, column \"weight\""),
        ("a,1,2,10\na,1,2,\n", "row 2, column \"income\""),
        ("a,1,2,-5\n", "welfare must be >= 0"),
        ("a,1,2,5\n,2,2,5\n", "row 2, column \"stratum\": stratum is missing"),
    ];
    for (rows, expect) in cases {
        let csv = dir.path().join("bad.csv");
        std::fs::write(&csv, format!("{header}{rows}")).unwrap();
        let pq = to_parquet(&csv, dir.path(), "bad", Codec::Snappy, true);
        let args = [
            "measure",
            "--input",
            pq.to_str().unwrap(),
            "--welfare",
            "income",
            "--weight",
            "weight",
            "--strata",
            "stratum",
            "--psu",
            "cluster",
            "--line",
            "60",
            "--out",
            &out_s,
        ];
        let err = run_err(&args);
        assert!(err.contains(expect) && err.contains("bad.parquet"), "{rows:?}: {err}");
        assert!(!out.exists(), "nothing is written on error");
    }
}
