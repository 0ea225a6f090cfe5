//! `caravan poverty compare`: decompositions add up and people lifted out carries an SE.

use approx::assert_relative_eq;

use super::*;

#[test]
fn compares_two_rounds() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("cmp.json");
    let (a, b) = (data("md_ABC_2000_income.csv"), data("md_ABC_2010_income.csv"));
    let result = run_ok(
        &[
            "compare",
            "--before",
            a.to_str().unwrap(),
            "--after",
            b.to_str().unwrap(),
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
            out.to_str().unwrap(),
        ],
        &out,
    );
    assert_eq!(result["gic"].as_array().unwrap().len(), 99);
    let mean = |side: &str| result[side]["estimates"]["mean"]["value"].as_f64().unwrap();
    assert_relative_eq!(
        result["mean_growth"].as_f64().unwrap(),
        mean("after") / mean("before") - 1.0,
        max_relative = 1e-12
    );
    // Expected means: PovcalNet statistics (tests/data/povcalnet_stats.csv).
    assert_relative_eq!(mean("before"), 3436146.13394682, max_relative = 1e-12);
    assert_relative_eq!(mean("after"), 7186781.84771128, max_relative = 1e-12);
    for d in result["datt_ravallion"].as_array().unwrap() {
        let change = d["change"].as_f64().unwrap();
        for part in ["reference_before", "reference_after", "shapley"] {
            let p = &d[part];
            let sum = p["growth"].as_f64().unwrap()
                + p["redistribution"].as_f64().unwrap()
                + p["residual"].as_f64().unwrap();
            assert_relative_eq!(sum, change, epsilon = 1e-12);
        }
    }
    let people = &result["people_lifted_out"];
    let v = |k: &str| people[k]["value"].as_f64().unwrap();
    assert_relative_eq!(
        v("rate_effect") + v("population_effect"),
        v("net_change"),
        max_relative = 1e-9
    );
    assert!(people["net_change"]["se"].as_f64().unwrap() > 0.0);
    assert!(people["statement"].as_str().unwrap().contains("not"));
    let rh = &result["ravallion_huppi"]["fgt0"];
    let parts =
        ["intra_sectoral", "population_shift", "interaction"].map(|k| rh[k].as_f64().unwrap());
    assert_relative_eq!(parts.iter().sum::<f64>(), rh["change"].as_f64().unwrap(), epsilon = 1e-12);
    let fgt0 = |side: &str| result[side]["estimates"]["fgt0"]["value"].as_f64().unwrap();
    assert_relative_eq!(
        rh["change"].as_f64().unwrap(),
        fgt0("after") - fgt0("before"),
        epsilon = 1e-12
    );
}

/// Two independent stratified, clustered rounds against R `survey` 4.1-1 (linearised SEs,
/// `svymean`, `svytotal`, `svycontrast`): each round's mean and FGT(0, 1, 2) with SEs, the
/// people-lifted-out split with SEs, and the Datt–Ravallion components
/// (`tests/data/r_survey/make_reference.R` generated the data and the reference).
#[test]
fn compare_matches_r_survey() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("cmp.json");
    let (a, b) = (data("r_survey/before.csv"), data("r_survey/after.csv"));
    let result = run_ok(
        &[
            "compare",
            "--before",
            a.to_str().unwrap(),
            "--after",
            b.to_str().unwrap(),
            "--welfare",
            "welfare",
            "--weight",
            "weight",
            "--size",
            "size",
            "--strata",
            "stratum",
            "--psu",
            "psu",
            "--line",
            "3",
            "--se",
            "linearized",
            "--out",
            out.to_str().unwrap(),
        ],
        &out,
    );
    let mut reader = csv::Reader::from_path(data("r_survey/reference.csv")).unwrap();
    let mut checked = 0;
    for record in reader.records() {
        let record = record.unwrap();
        let name = &record[0];
        let value: f64 = record[1].parse().unwrap();
        let se: Option<f64> = record[2].parse().ok();
        let (got, got_se) = if let Some((side, measure)) = name.split_once('.')
            && (side == "before" || side == "after")
        {
            let e = &result[side]["estimates"][measure];
            (e["value"].as_f64(), e["se"].as_f64())
        } else if let Some(rest) = name.strip_prefix("dr") {
            let (alpha, path) = rest.split_once('.').unwrap();
            let (reference, part) = path.split_once('.').unwrap();
            let d = &result["datt_ravallion"][alpha.parse::<usize>().unwrap()];
            (d[reference][part].as_f64(), None)
        } else {
            let e = &result["people_lifted_out"][name];
            (e["value"].as_f64(), e["se"].as_f64())
        };
        let got = got.unwrap_or_else(|| panic!("{name}: no value in the result"));
        assert_relative_eq!(got, value, max_relative = 1e-9, epsilon = 1e-15);
        if let Some(se) = se {
            let got_se = got_se.unwrap_or_else(|| panic!("{name}: no se in the result"));
            assert_relative_eq!(got_se, se, max_relative = 1e-8);
        }
        checked += 1;
    }
    assert_eq!(checked, 23, "every reference row was compared");
}
