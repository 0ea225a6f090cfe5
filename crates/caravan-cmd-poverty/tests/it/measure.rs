//! `caravan poverty measure`: the RESULT.json contract and peer values.

use approx::assert_relative_eq;

use super::*;

// Expected: PovcalNet statistics stored in wbpip (commit 0412f9c); tests/data/PROVENANCE.md.
#[test]
fn reproduces_povcalnet_through_the_cli_with_groups() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("result.json");
    let input = data("md_GHI_2000_income.csv");
    let result = run_ok(
        &[
            "measure",
            "--input",
            input.to_str().unwrap(),
            "--welfare",
            "welfare",
            "--weight",
            "weight",
            "--line",
            "5000",
            "--by",
            "area",
            "--filter",
            "welfare>=0",
            "--se",
            "none",
            "--out",
            out.to_str().unwrap(),
        ],
        &out,
    );
    // wbpip drops welfare < 0 (two rows here) and missing welfare; zeros are kept.
    assert_relative_eq!(est(&result, "mean").0, 8869.60149893045, max_relative = 1e-12);
    assert_relative_eq!(est(&result, "gini").0, 0.378237444799891, max_relative = 1e-12);
    assert_relative_eq!(est(&result, "mld").0, 0.288485727386399, max_relative = 1e-12);
    assert!(result["estimates"]["gini"]["se"].is_null());
    let names = result["estimates"].as_object().unwrap();
    assert_eq!(names.len(), 31);
    for name in caravan_poverty::NAMES {
        assert!(names.contains_key(name), "{name}");
    }
    assert_eq!(result["lorenz"].as_array().unwrap().len(), 100);
    let deciles: f64 =
        result["decile_shares"].as_array().unwrap().iter().map(|d| d.as_f64().unwrap()).sum();
    assert_relative_eq!(deciles, 1.0, max_relative = 1e-9);
    let groups = result["groups"]["values"].as_object().unwrap();
    assert_eq!(groups.len(), 2);
    let share: f64 = groups.values().map(|g| g["population_share"].as_f64().unwrap()).sum();
    assert_relative_eq!(share, 1.0, max_relative = 1e-12);
    let contribution: f64 =
        groups.values().map(|g| g["fgt_contribution"]["fgt0"].as_f64().unwrap()).sum();
    assert_relative_eq!(contribution, 1.0, max_relative = 1e-12);
    let ge1 = &result["groups"]["entropy_decomposition"]["ge1"];
    assert_relative_eq!(
        ge1["within"].as_f64().unwrap() + ge1["between"].as_f64().unwrap(),
        ge1["total"].as_f64().unwrap(),
        max_relative = 1e-12
    );
    assert_eq!(result["design"]["n_obs"], 1998);
    assert!(
        result["warnings"]
            .as_array()
            .unwrap()
            .iter()
            .any(|w| w.as_str().unwrap().contains("zero welfare"))
    );
}

#[test]
fn design_se_filter_and_replicates() {
    let dir = tempfile::tempdir().unwrap();
    let input = write_design_csv(dir.path(), false);
    let out = dir.path().join("r.json");
    let base = [
        "measure",
        "--input",
        input.to_str().unwrap(),
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
        "--line",
        "60",
        "--out",
        out.to_str().unwrap(),
    ];
    let lin = run_ok(&base, &out);
    assert_eq!(lin["design"]["n_strata"], 4);
    assert_eq!(lin["design"]["n_psu"], 10);
    let (mean, se) = est(&lin, "mean");
    assert!(mean > 0.0 && se.unwrap() > 0.0);
    for name in caravan_poverty::NAMES {
        let se = lin["estimates"][name]["se"].as_f64();
        assert!(se.is_some_and(|s| s.is_finite() && s >= 0.0), "{name}: {se:?}");
    }
    // The same through the library: the CLI adds nothing to the numbers.
    let filtered = run_ok(&[&base[..], &["--filter", "income>=60"]].concat(), &out);
    assert!(
        filtered["design"]["n_obs"].as_u64().unwrap() < lin["design"]["n_obs"].as_u64().unwrap()
    );
    assert_eq!(filtered["design"]["n_rows"], lin["design"]["n_rows"]);
    assert!(est(&filtered, "fgt0").0.abs() < 1e-15);
    let rep =
        run_ok(&[&base[..], &["--se", "replicate", "--replicate-prefix", "rep_"]].concat(), &out);
    assert_eq!(rep["design"]["replicate_columns"].as_array().unwrap().len(), 3);
    assert!(est(&rep, "median").1.unwrap() >= 0.0);
    assert_relative_eq!(est(&rep, "gini").0, est(&lin, "gini").0, max_relative = 1e-12);
    let le = run_ok(&[&base[..], &["--poor-if", "le", "--gini", "convey"]].concat(), &out);
    assert!(est(&le, "fgt0").0 >= est(&lin, "fgt0").0);
    assert!((est(&le, "gini").0 - est(&lin, "gini").0).abs() > 0.0);
}
