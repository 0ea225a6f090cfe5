//! Bad input: every error names the file, line and column and says what to do.

use super::*;

fn measure_args<'a>(input: &'a str, out: &'a str) -> Vec<&'a str> {
    vec![
        "measure",
        "--input",
        input,
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
        out,
    ]
}

fn write(dir: &Path, text: &str) -> PathBuf {
    let path = dir.join("bad.csv");
    std::fs::write(&path, text).unwrap();
    path
}

#[test]
fn bad_cells_name_line_and_column() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("r.json");
    let out = out.to_str().unwrap();
    let header = "stratum,cluster,weight,income\n";
    let cases = [
        ("a,1,-3,10\n", "line 2, column \"weight\""),
        ("a,1,2,10\na,2,,10\n", "line 3, column \"weight\""),
        ("a,1,2,ten\n", "line 2, column \"income\""),
        ("a,1,2,\n", "--filter 'income>=0'"),
        ("a,1,2,-5\n", "welfare must be >= 0"),
        ("a,1,2,5\n,2,2,5\n", "stratum is missing"),
    ];
    for (rows, expect) in cases {
        let input = write(dir.path(), &format!("{header}{rows}"));
        let err = run_err(&measure_args(input.to_str().unwrap(), out));
        assert!(err.contains(expect), "{rows:?}: {err}");
        assert!(err.contains("bad.csv"), "{err}");
        assert!(!Path::new(out).exists(), "nothing is written on error");
    }
    let err = run_err(&[&measure_args("missing.csv", out)[..]].concat());
    assert!(err.contains("missing.csv"), "{err}");
    let input = write(dir.path(), "stratum,cluster,weight,income\na,1,2,5\n");
    let mut args = measure_args(input.to_str().unwrap(), out);
    args[4] = "nope";
    assert!(run_err(&args).contains("no column \"nope\""));
}

#[test]
fn one_psu_strata_fail_on_request_and_are_adjusted_by_default() {
    let dir = tempfile::tempdir().unwrap();
    let input = write_design_csv(dir.path(), true);
    let out = dir.path().join("r.json");
    let args = measure_args(input.to_str().unwrap(), out.to_str().unwrap());
    let err = run_err(&[&args[..], &["--lonely-psu", "fail"]].concat());
    assert!(err.contains("\"s3\"") && err.contains("--lonely-psu"), "{err}");
    let result = run_ok(&args, &out);
    let warnings = result["warnings"].as_array().unwrap();
    assert!(warnings.iter().any(|w| w.as_str().unwrap().contains("single PSU")), "{warnings:?}");
    assert_eq!(result["design"]["lonely_psu"], "adjust");
}

#[test]
fn empty_domain_and_bad_filter_are_errors() {
    let dir = tempfile::tempdir().unwrap();
    let input = write_design_csv(dir.path(), false);
    let out = dir.path().join("r.json");
    let args = measure_args(input.to_str().unwrap(), out.to_str().unwrap());
    let err = run_err(&[&args[..], &["--filter", "income>1e9"]].concat());
    assert!(err.contains("no row is left in the domain"), "{err}");
    let err = run_err(&[&args[..], &["--filter", "income~3"]].concat());
    assert!(err.contains("COLUMN OP NUMBER"), "{err}");
    let err = run_err(&[&args[..], &["--se", "replicate"]].concat());
    assert!(err.contains("--replicate-prefix"), "{err}");
    let err = run_err(&[&args[..], &["--line", "-1"]].concat());
    assert!(err.contains("--line"), "{err}");
}
