//! Rejected input: every error names the file, row and column, and no output is written.

use std::path::Path;

use crate::trade;

fn complexity_on(contents: &str, extra: &[&str]) -> (anyhow::Result<std::process::ExitCode>, bool) {
    let dir = tempfile::tempdir().expect("temp dir");
    let input = dir.path().join("in.csv");
    std::fs::write(&input, contents).expect("write input");
    let out = dir.path().join("out.csv");
    let mut args = vec![
        "complexity",
        "--input",
        input.to_str().expect("utf-8 path"),
        "--time",
        "t",
        "--location",
        "c",
        "--product",
        "p",
        "--value",
        "v",
        "--out",
        out.to_str().expect("utf-8 path"),
    ];
    args.extend_from_slice(extra);
    let res = trade(&args);
    let written = Path::new(&out).exists();
    (res, written)
}

const GOOD: &str = "t,c,p,v\n1,a,x,3\n1,a,y,1\n1,b,x,1\n1,b,y,4\n1,c,x,2\n1,c,y,2\n";

#[test]
fn negative_value_names_row_and_column() {
    let (res, written) = complexity_on("t,c,p,v\n1,a,x,3\n1,b,x,-2\n", &[]);
    let err = format!("{:#}", res.unwrap_err());
    assert!(err.contains("line 3") && err.contains("\"v\"") && err.contains("negative"), "{err}");
    assert!(!written);
}

#[test]
fn non_numeric_value_names_row_and_column() {
    let (res, written) = complexity_on("t,c,p,v\n1,a,x,3\n1,b,x,n/a\n", &[]);
    let err = format!("{:#}", res.unwrap_err());
    assert!(
        err.contains("line 3") && err.contains("\"v\"") && err.contains("not a number"),
        "{err}"
    );
    assert!(!written);
}

#[test]
fn missing_column_lists_the_header() {
    let (res, _) = complexity_on("t,c,prod,v\n1,a,x,3\n", &[]);
    let err = format!("{:#}", res.unwrap_err());
    assert!(err.contains("no column \"p\"") && err.contains("t, c, prod, v"), "{err}");
}

#[test]
fn duplicates_are_an_error_unless_summed() {
    let contents = format!("{GOOD}1,a,x,5\n");
    let (res, written) = complexity_on(&contents, &[]);
    let err = format!("{:#}", res.unwrap_err());
    assert!(err.contains("rows 1 and 7") && err.contains("--sum-duplicates"), "{err}");
    assert!(!written);
    let (res, written) = complexity_on(&contents, &["--sum-duplicates"]);
    res.unwrap();
    assert!(written);
}
