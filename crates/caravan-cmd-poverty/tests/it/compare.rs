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
