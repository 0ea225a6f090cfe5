//! Unit tests: published tables, hand-computed statistics and the laws of each rule.

use std::collections::HashMap;

use approx::assert_relative_eq;
use proptest::prelude::*;

use super::*;
use crate::productivity::{
    combine, five_class, lpd5_trends_earth, percentile_90, state, state_trends_earth, state_z,
    state_z_gpg2, trajectory,
};
use crate::stats::{mann_kendall, ols_slope, theil_sen};

fn data(name: &str) -> csv::Reader<std::fs::File> {
    let path = format!("{}/tests/data/{name}", env!("CARGO_MANIFEST_DIR"));
    csv::Reader::from_path(&path).unwrap()
}

#[track_caller]
fn check_mk(values: &[f64], s: i64, var_s: f64, z: f64, p: f64) {
    let mk = mann_kendall(values).unwrap();
    assert_eq!(mk.s, s, "S of {values:?}");
    // Expected: Python 3 math.erfc on Gilbert (1987) eqs. 16.4–16.5; tests/data/PROVENANCE.md.
    assert_relative_eq!(mk.var_s, var_s, max_relative = 1e-12);
    assert_relative_eq!(mk.z, z, max_relative = 1e-12, epsilon = 1e-12);
    // erfc approximation: fractional error < 1.2e-7.
    assert_relative_eq!(mk.p, p, max_relative = 2e-7, epsilon = 1e-12);
}

#[test]
fn mann_kendall_matches_hand_computed_cases() {
    let mut n = 0;
    for rec in data("mann_kendall_cases.csv").records() {
        let rec = rec.unwrap();
        let values: Vec<f64> = rec[1].split(' ').map(|v| v.parse().unwrap()).collect();
        check_mk(
            &values,
            rec[2].parse().unwrap(),
            rec[3].parse().unwrap(),
            rec[4].parse().unwrap(),
            rec[5].parse().unwrap(),
        );
        n += 1;
    }
    assert_eq!(n, 5);
}

#[test]
fn theil_sen_and_ols_match_hand_computed_slopes() {
    let x = [1.0, 2.0, 3.0, 4.0, 5.0];
    let y = [1.0, 3.0, 2.0, 5.0, 4.0];
    // Ten pairwise slopes sorted: -1 -1 1/3 1/2 3/4 1 1 4/3 2 3 → median (3/4 + 1)/2.
    assert_relative_eq!(theil_sen(&x, &y).unwrap(), 0.875);
    // OLS: Sxy = 8, Sxx = 10.
    assert_relative_eq!(ols_slope(&x, &y).unwrap(), 0.8);
    assert!(theil_sen(&x, &y[..4]).is_err());
    assert!(ols_slope(&[2.0, 2.0], &[1.0, 3.0]).is_err());
}

#[test]
fn kendall_table_matches_shared_data() {
    let mut n = 0;
    for rec in data("te_kendall_critical_S.csv").records() {
        let rec = rec.unwrap();
        let years: usize = rec[0].parse().unwrap();
        let want: [i64; 3] =
            [rec[1].parse().unwrap(), rec[2].parse().unwrap(), rec[3].parse().unwrap()];
        assert_eq!(productivity::te_kendall_critical(years).unwrap(), want, "n = {years}");
        n += 1;
    }
    assert_eq!(n, 56);
    assert!(productivity::te_kendall_critical(3).is_err());
    assert!(productivity::te_kendall_critical(60).is_err());
}

#[test]
fn transition_matrix_matches_shared_data() {
    let matrix = TransitionMatrix::default();
    for rec in data("lc_transition_matrix_unccd_default.csv").records() {
        let rec = rec.unwrap();
        let from: u8 = rec[0].parse().unwrap();
        assert_eq!(rec[1].to_owned(), landcover::UNCCD_CLASS_NAMES[usize::from(from - 1)]);
        for to in 1..=7u8 {
            let want: i8 = rec[1 + usize::from(to)].parse().unwrap();
            assert_eq!(matrix.classify(from, to), Some(Class::from_sign(want)), "{from} -> {to}");
        }
    }
    assert_eq!(matrix.classify(0, 1), None);
    assert_eq!(matrix.classify(1, 8), None);
}

#[test]
fn esa_cci_mapping_matches_shared_data() {
    let mut n = 0;
    for rec in data("esa_cci_to_unccd7.csv").records() {
        let rec = rec.unwrap();
        let esa: i64 = rec[0].parse().unwrap();
        let unccd: u8 = rec[2].parse().unwrap();
        assert_eq!(landcover::esa_cci_to_unccd(esa), Some(unccd), "ESA CCI {esa}");
        assert_eq!(Legend::EsaCci.to_unccd(esa), Some(unccd));
        n += 1;
    }
    assert_eq!(n, 37);
    assert_eq!(landcover::esa_cci_to_unccd(0), None);
    assert_eq!(Legend::Unccd.to_unccd(8), None);
}

#[test]
fn soc_factors_match_shared_data() {
    for rec in data("soc_fl_by_climate_te.csv").records() {
        let rec = rec.unwrap();
        let zone: u8 = rec[0].parse().unwrap();
        let fl: f64 = rec[4].parse().unwrap();
        assert_eq!(soc::climate_fl(zone).unwrap_or(0.0).to_bits(), fl.to_bits(), "zone {zone}");
    }
    let fl = 0.8;
    for rec in data("soc_stock_change_factors_te.csv").records() {
        let rec = rec.unwrap();
        let (from, to): (u8, u8) = (rec[1].parse().unwrap(), rec[2].parse().unwrap());
        let want = match &rec[3] {
            "fl" => fl,
            "1/fl" => 1.0 / fl,
            v => v.parse().unwrap(),
        };
        assert_relative_eq!(
            soc::stock_change_factor(from, to, fl).unwrap(),
            want,
            max_relative = 1e-12
        );
    }
}

#[test]
fn soc_boundary_is_exact() {
    // Exactly 10 % loss is degraded, 9.999… % is not (GPG v2 §6.3).
    assert_eq!(soc::soc_class(1000, 900), Some(Class::Degraded));
    assert_eq!(soc::soc_class(1000, 901), Some(Class::Stable));
    assert_eq!(soc::soc_class(1000, 1100), Some(Class::Improved));
    assert_eq!(soc::soc_class(1000, 1099), Some(Class::Stable));
    assert_eq!(soc::soc_class(0, 5), None);
    // Values where 0.9 * b in floating point is not exact.
    assert_eq!(soc::soc_class_f64(30.0, 27.0), Some(Class::Degraded));
    assert_eq!(soc::soc_class_f64(f64::NAN, 27.0), None);
}

#[test]
fn classes_at_the_published_thresholds() {
    assert_eq!(five_class(-1.96), -2);
    assert_eq!(five_class(-1.5), -1);
    assert_eq!(five_class(-1.28), -1);
    assert_eq!(five_class(0.0), 0);
    assert_eq!(five_class(1.28), 1);
    assert_eq!(five_class(1.96), 2);
    assert_eq!(productivity::performance_class(50.0, 100.0), Some(0));
    assert_eq!(productivity::performance_class(49.9, 100.0), Some(-1));
    assert_eq!(productivity::performance_class(10.0, 0.0), None);
}

#[test]
fn state_handles_zero_spread() {
    assert_eq!(state_z(&[5.0, 5.0, 5.0], &[5.0]), Some(0.0));
    assert_eq!(state_z(&[5.0, 5.0], &[4.0]), Some(f64::NEG_INFINITY));
    assert_eq!(state_z(&[5.0, 5.0], &[6.0]), Some(f64::INFINITY));
    assert_eq!(state_z(&[5.0], &[6.0]), None);
    // Mean 2, sample sd 1: recent mean 5 → z = 3.
    assert_relative_eq!(state_z(&[1.0, 2.0, 3.0], &[5.0, 5.0]).unwrap(), 3.0);
}

#[test]
fn gpg2_state_uses_the_standard_error_of_the_recent_mean() {
    // GPG v2 §4.2.4: μ = 2, population σ = √(2/3), three recent years at 3:
    // z = (3 − 2) / (σ / √3) = √(9/2) = 2.1213…
    let z = state_z_gpg2(&[1.0, 2.0, 3.0], &[3.0, 3.0, 3.0]).unwrap();
    assert_relative_eq!(z, 4.5f64.sqrt(), max_relative = 1e-12);
    assert_eq!(state(&[1.0, 2.0, 3.0], &[3.0, 3.0, 3.0], Profile::Gpg2), Some(2));
    // The GPG v1 z (sample sd, no √n) of the same pixel is 1: stable.
    assert_relative_eq!(state_z(&[1.0, 2.0, 3.0], &[3.0, 3.0, 3.0]).unwrap(), 1.0);
    assert_eq!(state(&[1.0, 2.0, 3.0], &[3.0, 3.0, 3.0], Profile::Gpg1), Some(0));
    assert_eq!(state_z_gpg2(&[5.0, 5.0], &[4.0]), Some(f64::NEG_INFINITY));
    assert_eq!(state_z_gpg2(&[5.0, 5.0], &[5.0]), Some(0.0));
    assert_eq!(state_z_gpg2(&[5.0], &[5.0]), None);
}

#[test]
fn trends_earth_state_uses_decile_classes() {
    // Baseline 1000..=1900 step 100, extended by 955 and 1945 (5 % of the range 900).
    let baseline: Vec<f64> = (0..10).map(|i| 1000.0 + 100.0 * f64::from(i)).collect();
    // Baseline mean 1450 sits in class 6; 1700 is two classes up: improved.
    assert_eq!(state_trends_earth(&baseline, &[1700.0]), Some(2));
    assert_eq!(state_trends_earth(&baseline, &[1200.0]), Some(-2));
    // One class down only: stable.
    assert_eq!(state_trends_earth(&baseline, &[1340.0]), Some(0));
    // A change of at most 100 is ignored whatever the classes.
    let tight: Vec<f64> = (0..10).map(|i| 1000.0 + 5.0 * f64::from(i)).collect();
    assert_eq!(state_trends_earth(&tight, &[1100.0]), Some(0));
    assert_eq!(state_trends_earth(&tight, &[1123.0]), Some(2));
    assert_eq!(state(&baseline, &[1200.0], Profile::TrendsEarth), Some(-2));
    assert_eq!(state_trends_earth(&[1.0], &[2.0]), None);
}

#[test]
fn trends_earth_performance_counts_one_half_as_low() {
    use productivity::performance_class_for as perf;
    assert_eq!(perf(50.0, 100.0, Profile::TrendsEarth), Some(-1));
    assert_eq!(perf(50.0, 100.0, Profile::Gpg2), Some(0));
    assert_eq!(perf(50.1, 100.0, Profile::TrendsEarth), Some(0));
}

#[test]
fn gpg2_table_has_the_published_rows() {
    use Class::{Degraded as D, Improved as I, Stable as S};
    // GPG v2 §4.2.6 as implemented by SEPAL sdg_15.3.1 `productivity_final` (GPGv2):
    // rows (trajectory, state, performance low?) → class, typed here independently of
    // `GPG2_TABLE` so a change to either fails.
    let rows = [
        ((-2, -2, -1), D),
        ((-2, -2, 0), D),
        ((-2, 0, -1), D),
        ((-2, 0, 0), S),
        ((-2, 2, -1), D),
        ((-2, 2, 0), D),
        ((0, -2, -1), D),
        ((0, -2, 0), S),
        ((0, 0, -1), D),
        ((0, 0, 0), S),
        ((0, 2, -1), S),
        ((0, 2, 0), S),
        ((2, -2, -1), D),
        ((2, -2, 0), I),
        ((2, 0, -1), I),
        ((2, 0, 0), I),
        ((2, 2, -1), I),
        ((2, 2, 0), I),
    ];
    for ((t, s, p), want) in rows {
        assert_eq!(combine(t, s, p, Profile::Gpg2), want, "row {t} {s} {p}");
    }
    assert_eq!(productivity::GPG2_TABLE.len(), 18);
    // The 90 % levels (±1) enter the table as stable.
    assert_eq!(combine(-1, 0, 0, Profile::Gpg2), S);
    assert_eq!(combine(1, -1, -1, Profile::Gpg2), D);
    assert_eq!(combine(1, 0, 0, Profile::Gpg2), S);
}

#[test]
fn trends_earth_kendall_table_matches_get_kendall_coef() {
    // trends.earth-algorithms te_algorithms/gee/stats.py `get_kendall_coef` at commit
    // 35b2b7d7ed11b03192bc66b3ebe87d04d5bbe616: first, middle and last rows.
    let te = productivity::te_kendall_critical;
    assert_eq!(te(4).unwrap(), [4, 4, 6]);
    assert_eq!(te(7).unwrap(), [9, 11, 18]);
    assert_eq!(te(16).unwrap(), [28, 36, 56]);
    assert_eq!(te(30).unwrap(), [73, 93, 135]);
    assert_eq!(te(59).unwrap(), [197, 251, 364]);
    assert!(te(3).is_err() && te(60).is_err());
}

#[test]
fn percentile_is_numpy_linear() {
    // numpy.percentile(range(1, 11), 90) = 9.1
    let mut v: Vec<f32> = (1..=10).map(|i| i as f32).collect();
    assert_relative_eq!(percentile_90(&mut v).unwrap(), 9.1, max_relative = 1e-6);
    assert_eq!(percentile_90(&mut []), None);
}

#[test]
fn trends_earth_lpd_follows_calc_prod5() {
    assert_eq!(lpd5_trends_earth(-1, 1, false), 1);
    assert_eq!(lpd5_trends_earth(0, 0, false), 4);
    assert_eq!(lpd5_trends_earth(0, 0, true), 3);
    assert_eq!(lpd5_trends_earth(1, -1, true), 2);
    assert_eq!(lpd5_trends_earth(0, -1, false), 2);
    assert_eq!(lpd5_trends_earth(0, -1, true), 1);
    assert_eq!(lpd5_trends_earth(1, 0, true), 5);
    assert_eq!(combine(0, -2, -1, Profile::TrendsEarth), Class::Degraded);
    assert_eq!(combine(0, 0, -1, Profile::TrendsEarth), Class::Stable);
}

#[test]
fn gpg1_table_rows() {
    // GPG v1 Table 3: a few rows of the 18.
    assert_eq!(combine(2, 2, 0, Profile::Gpg1), Class::Improved);
    assert_eq!(combine(2, -2, 0, Profile::Gpg1), Class::Stable);
    assert_eq!(combine(2, -2, -1, Profile::Gpg1), Class::Degraded);
    assert_eq!(combine(0, 0, -1, Profile::Gpg1), Class::Degraded);
    assert_eq!(combine(0, 2, -1, Profile::Gpg1), Class::Stable);
    assert_eq!(combine(-2, 2, 0, Profile::Gpg1), Class::Degraded);
}

#[test]
fn trends_earth_trajectory_uses_table_and_slope() {
    let years: Vec<f64> = (2000..2016).map(f64::from).collect();
    let rising: Vec<f64> = (0..16).map(|i| 3000.0 + 50.0 * f64::from(i)).collect();
    let t = trajectory(&years, &rising, Profile::TrendsEarth).unwrap();
    assert_eq!((t.class, t.mann_kendall.s), (2, 120));
    // Same ranks but a slope of 5 units/year: Trends.Earth calls it stable.
    let gentle: Vec<f64> = (0..16).map(|i| 3000.0 + 5.0 * f64::from(i)).collect();
    assert_eq!(trajectory(&years, &gentle, Profile::TrendsEarth).unwrap().class, 0);
    assert_eq!(trajectory(&years, &gentle, Profile::Gpg2).unwrap().class, 2);
}

#[test]
fn ellipsoid_surface_matches_wgs84() {
    // WGS84 total surface 510,065,621.724 km² (NIMA TR8350.2 derived constants).
    let total = area::cell_area_km2(-90.0, 90.0, 360.0);
    assert_relative_eq!(total, 510_065_621.724, max_relative = 1e-9);
    let rows = area::row_areas_km2(90.0, 1.0, 1.0, 180);
    assert_relative_eq!(rows.iter().sum::<f64>() * 360.0, total, max_relative = 1e-9);
    // 1° cells against midpoint-rule quadrature of ∫ M(φ)·N(φ)·cos φ dφ dλ (M, N the WGS84 radii
    // of curvature; 200,000 steps in Python 3), an independent route to the same area.
    for (lat, want) in [
        (0.0, 12_308.463_893_975_751),
        (45.0, 8_686.494_956_670_353),
        (89.0, 108.866_681_636_206_95),
    ] {
        assert_relative_eq!(area::cell_area_km2(lat, lat + 1.0, 1.0), want, max_relative = 1e-9);
    }
    // A sphere of the same total area would be off by about 0.2 % at the equator cell here.
    let sphere_r = (total / (4.0 * std::f64::consts::PI)).sqrt();
    let sphere_cell = sphere_r * sphere_r * 1f64.to_radians() * 1f64.to_radians().sin();
    assert!((sphere_cell / 12_308.463_893_975_751 - 1.0).abs() > 1e-3);
}

#[test]
fn config_rejects_bad_periods() {
    let years: Vec<i32> = (2000..=2015).collect();
    let ok =
        Config::new(Profile::Gpg2, &years, None, None, Legend::Unccd, TransitionMatrix::default());
    assert!(ok.is_ok());
    let bad = Config::new(
        Profile::Gpg2,
        &years,
        Some((1999, 2012)),
        None,
        Legend::Unccd,
        TransitionMatrix::default(),
    );
    assert!(matches!(bad, Err(ConfigError::Period { which: "baseline", .. })), "{bad:?}");
    let gap = Config::new(
        Profile::Gpg2,
        &[2000, 2001, 2003, 2004, 2005],
        None,
        None,
        Legend::Unccd,
        TransitionMatrix::default(),
    );
    assert!(matches!(gap, Err(ConfigError::Years(_))));
}

#[test]
fn block_assessment_counts_areas_and_outside() {
    let years: Vec<i32> = (2000..=2009).collect();
    let cfg =
        Config::new(Profile::Gpg2, &years, None, None, Legend::Unccd, TransitionMatrix::default())
            .unwrap();
    // Pixel 0 declines, pixel 1 flat, pixel 2 outside, pixel 3 water.
    let bands: Vec<Vec<f64>> = (0..10)
        .map(|y| vec![5000.0 - 100.0 * f64::from(y), 4000.0 + f64::from(y % 2), 1.0, 3000.0])
        .collect();
    let block = Block {
        width: 4,
        n_rows: 1,
        ndvi: bands.iter().map(Vec::as_slice).collect(),
        lc_baseline: &[2.0, 2.0, 2.0, 7.0],
        lc_target: &[2.0, 2.0, 2.0, 7.0],
        soc_baseline: &[50.0, 50.0, 50.0, 50.0],
        soc_target: &[50.0, 50.0, 50.0, 50.0],
        ecozone: &[1.0; 4],
        region: &[1, 1, 0, 1],
        row_area_km2: &[2.5],
    };
    let mut means = HashMap::new();
    let trends = trend_block(&cfg, &block, &mut means);
    assert_eq!(
        trends.iter().map(|t| PixelTrend::from_bytes(t.to_bytes())).collect::<Vec<_>>()[..2],
        trends[..2]
    );
    let p90 = unit_p90(means);
    let mut tally = Tally::default();
    let layers = assess_block(&cfg, &block, &trends, &p90, &mut tally);
    assert_eq!(layers.trajectory, vec![-1, 0, OUTSIDE, 0]);
    assert_eq!(layers.sdg, vec![-1, 0, OUTSIDE, NODATA]);
    let region = tally.regions[&1];
    assert_eq!(region.n_pixels, 3);
    assert_relative_eq!(region.water_km2, 2.5);
    assert_relative_eq!(region.land_km2, 5.0);
    assert_relative_eq!(region.sdg.degraded_km2, 2.5);
    assert_relative_eq!(region.sdg.pct_degraded(region.land_km2), 50.0);
    assert_relative_eq!(tally.transitions[&1][1][1], 5.0);
    assert_relative_eq!(tally.transitions[&1][6][6], 2.5);
}

proptest! {
    #[test]
    fn mann_kendall_laws(values in prop::collection::vec(-50i32..50, 3..30)) {
        let x: Vec<f64> = values.iter().map(|&v| f64::from(v)).collect();
        let rev: Vec<f64> = x.iter().rev().copied().collect();
        let a = mann_kendall(&x).unwrap();
        let b = mann_kendall(&rev).unwrap();
        prop_assert_eq!(a.s, -b.s);
        prop_assert!((a.z + b.z).abs() < 1e-12);
        prop_assert!((0.0..=1.0).contains(&a.p));
        // Z has the sign of S (and is 0 when |S| ≤ 1 by the continuity correction).
        let z_sign = if a.z > 0.0 { 1 } else if a.z < 0.0 { -1 } else { 0 };
        prop_assert!(z_sign == a.s.signum() || (z_sign == 0 && a.s.abs() <= 1));
        // Ties only lower the variance.
        let n = x.len() as f64;
        prop_assert!(a.var_s <= n * (n - 1.0) * (2.0 * n + 5.0) / 18.0 + 1e-9);
    }

    #[test]
    fn slopes_recover_exact_lines(slope in -100i32..100, intercept in -1000i32..1000, n in 3usize..25) {
        let x: Vec<f64> = (0..n).map(|i| i as f64 + 2000.0).collect();
        let y: Vec<f64> = x.iter().map(|&t| f64::from(slope) * (t - 2000.0) + f64::from(intercept)).collect();
        prop_assert!((theil_sen(&x, &y).unwrap() - f64::from(slope)).abs() < 1e-9);
        prop_assert!((ols_slope(&x, &y).unwrap() - f64::from(slope)).abs() < 1e-9);
    }

    #[test]
    fn one_out_all_out_laws(classes in prop::collection::vec(prop::option::of(0i8..3), 1..4)) {
        let classes: Vec<Option<Class>> = classes.into_iter().map(|c| c.map(|v| Class::from_sign(v - 1))).collect();
        let res = one_out_all_out(&classes);
        if classes.contains(&None) {
            prop_assert_eq!(res, None);
        } else if classes.contains(&Some(Class::Degraded)) {
            prop_assert_eq!(res, Some(Class::Degraded));
        } else if classes.contains(&Some(Class::Improved)) {
            prop_assert_eq!(res, Some(Class::Improved));
        } else {
            prop_assert_eq!(res, Some(Class::Stable));
        }
    }

    #[test]
    fn soc_exact_equals_rational(b in 1i64..1_000_000, t in 0i64..2_000_000) {
        let loss = (b - t) as f64 / b as f64;
        let class = soc::soc_class(b, t).unwrap();
        // Away from the boundary the rational and float rules agree.
        if (loss - 0.1).abs() > 1e-9 && (loss + 0.1).abs() > 1e-9 {
            let want = if loss >= 0.1 { Class::Degraded } else if loss <= -0.1 { Class::Improved } else { Class::Stable };
            prop_assert_eq!(class, want);
        }
        prop_assert_eq!(soc::soc_class(10 * b, 9 * b), Some(Class::Degraded));
    }

    #[test]
    fn row_areas_add_up(top in -80.0f64..80.0, h in 0.001f64..0.5, rows in 1usize..50) {
        let areas = area::row_areas_km2(top, h, 0.25, rows);
        let whole = area::cell_area_km2(top - h * rows as f64, top, 0.25);
        prop_assert!((areas.iter().sum::<f64>() - whole).abs() <= 1e-9 * whole.max(1.0));
    }

    #[test]
    fn gpg2_combination_is_monotone_in_trajectory(t in -2i8..=2, s in -2i8..=2, p in -1i8..=0) {
        // A better trajectory never gives a worse productivity class.
        if t < 2 {
            prop_assert!(combine(t, s, p, Profile::Gpg2) <= combine(t + 1, s, p, Profile::Gpg2));
        }
    }
}

// Issue 23: the three water conventions by name.
#[test]
fn issue_23_water_rules_name_their_year() {
    let (water, grass) = (Some(landcover::WATER), Some(2));
    let cases = [
        (WaterRule::Either, [true, true, true, false]),
        (WaterRule::Final, [true, false, true, false]),
        (WaterRule::Baseline, [true, true, false, false]),
    ];
    for (rule, expect) in cases {
        let got = [
            rule.is_water(water, water),
            rule.is_water(water, grass),
            rule.is_water(grass, water),
            rule.is_water(grass, grass),
        ];
        assert_eq!(got, expect, "{rule:?}");
    }
    assert_eq!(WaterRule::default(), WaterRule::Either);
}

// Issue 23: the water rule decides which pixels count as land; a baseline-water land unit gets
// no performance class, so its productivity is no data.
#[test]
fn issue_23_water_rule_and_baseline_water_units_in_a_block() {
    let years: Vec<i32> = (2000..=2009).collect();
    // Pixel 0: grassland both years; pixel 1: water becoming grassland; pixel 2: grassland
    // becoming water.
    let bands: Vec<Vec<f64>> = (0..10)
        .map(|y| vec![4000.0 + f64::from(y % 2), 3000.0, 3500.0 + f64::from(y % 3)])
        .collect();
    let block = Block {
        width: 3,
        n_rows: 1,
        ndvi: bands.iter().map(Vec::as_slice).collect(),
        lc_baseline: &[2.0, 7.0, 2.0],
        lc_target: &[2.0, 2.0, 7.0],
        soc_baseline: &[50.0; 3],
        soc_target: &[50.0; 3],
        ecozone: &[1.0; 3],
        region: &[1; 3],
        row_area_km2: &[2.0],
    };
    let cases = [
        (WaterRule::Either, 4.0, 2.0),
        (WaterRule::Final, 2.0, 4.0),
        (WaterRule::Baseline, 2.0, 4.0),
    ];
    for (rule, water_km2, land_km2) in cases {
        let cfg = Config::new(
            Profile::Gpg2,
            &years,
            None,
            None,
            Legend::Unccd,
            TransitionMatrix::default(),
        )
        .unwrap()
        .with_water(rule);
        let mut means = HashMap::new();
        let trends = trend_block(&cfg, &block, &mut means);
        assert!(means.keys().all(|&(lc, _)| lc != landcover::WATER), "no water land unit");
        let p90 = unit_p90(means);
        let mut tally = Tally::default();
        let layers = assess_block(&cfg, &block, &trends, &p90, &mut tally);
        assert_eq!(layers.performance[1], NODATA, "{rule:?}: baseline water has no performance");
        assert_eq!(layers.productivity[1], NODATA, "{rule:?}");
        assert_ne!(layers.performance[0], NODATA, "{rule:?}");
        let region = tally.regions[&1];
        assert_relative_eq!(region.water_km2, water_km2);
        assert_relative_eq!(region.land_km2, land_km2);
        assert_relative_eq!(tally.total().land_km2, land_km2);
    }
}
