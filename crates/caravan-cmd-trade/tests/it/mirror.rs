//! `caravan trade mirror`: exports against the partner's imports, and the rows it refuses.

use crate::{read_csv, trade};

fn run_mirror(text: &str, extra: &[&str]) -> anyhow::Result<Vec<Vec<String>>> {
    let dir = tempfile::tempdir().expect("temp dir");
    let input = dir.path().join("flows.csv");
    std::fs::write(&input, text).expect("input written");
    let out = dir.path().join("mirror.csv");
    let mut args = vec![
        "mirror",
        "--input",
        input.to_str().expect("UTF-8 path"),
        "--reporter",
        "reporterISO",
        "--partner",
        "partnerISO",
        "--flow",
        "flowCode",
        "--value",
        "primaryValue",
        "--out",
        out.to_str().expect("UTF-8 path"),
    ];
    args.extend_from_slice(extra);
    trade(&args)?;
    let (header, rows) = read_csv(&out);
    assert_eq!(
        header,
        [
            "time",
            "exporter",
            "importer",
            "product",
            "exports_reported",
            "imports_reported",
            "difference",
            "ratio"
        ]
    );
    Ok(rows)
}

#[test]
fn exports_meet_the_partners_imports_per_year_and_product() {
    // UN Comtrade's column names and flow codes.
    let text = "period,reporterISO,partnerISO,cmdCode,flowCode,primaryValue\n\
                2023,KAZ,CHN,7403,X,1000\n\
                2023,CHN,KAZ,7403,M,1150\n\
                2023,CHN,KAZ,8703,X,400\n\
                2024,KAZ,CHN,7403,X,900\n";
    let rows = run_mirror(text, &["--time", "period", "--product", "cmdCode"]).unwrap();
    let cells: Vec<Vec<&str>> =
        rows.iter().map(|r| r.iter().map(String::as_str).collect()).collect();
    assert_eq!(
        cells,
        vec![
            vec!["2023", "CHN", "KAZ", "8703", "400", "", "", ""],
            vec!["2023", "KAZ", "CHN", "7403", "1000", "1150", "150", "1.15"],
            vec!["2024", "KAZ", "CHN", "7403", "900", "", "", ""],
        ]
    );
}

#[test]
fn refuses_re_exports_and_negative_values_naming_row_and_column() {
    let re_export = "reporterISO,partnerISO,flowCode,primaryValue\nKAZ,CHN,RX,10\n";
    let err = run_mirror(re_export, &[]).unwrap_err().to_string();
    assert!(err.contains("line 2") && err.contains("flowCode") && err.contains("RX"), "{err}");
    let negative = "reporterISO,partnerISO,flowCode,primaryValue\nKAZ,CHN,X,5\nCHN,KAZ,M,-3\n";
    let err = run_mirror(negative, &[]).unwrap_err().to_string();
    assert!(err.contains("line 3") && err.contains("primaryValue"), "{err}");
    let no_column = "reporter,partnerISO,flowCode,primaryValue\nKAZ,CHN,X,5\n";
    let err = run_mirror(no_column, &[]).unwrap_err().to_string();
    assert!(err.contains("--reporter") && err.contains("reporterISO"), "{err}");
}
