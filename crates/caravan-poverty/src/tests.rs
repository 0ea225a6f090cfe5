//! Unit tests: peer values (PovcalNet via wbpip, Stata `poverty`, R `ineq`), linearised standard
//! errors against a brute-force numerical derivative, replicate variance, and laws.

use approx::assert_relative_eq;
use proptest::prelude::*;

use super::*;

fn data(name: &str) -> String {
    format!("{}/tests/data/{name}", env!("CARGO_MANIFEST_DIR"))
}

fn all_rows(n: usize) -> Vec<u32> {
    (0..n as u32).collect()
}

fn config(line: f64) -> Config {
    Config { line, poor_if: PoorIf::Below, gini: GiniForm::Pip }
}

fn point(welfare: &[f64], weight: &[f64], cfg: &Config) -> Estimates {
    let order = order_by_welfare(welfare, &all_rows(welfare.len()));
    estimate(welfare, weight, &order, cfg, Variance::None).unwrap()
}

/// wbpip's cleaning: drop NA welfare, welfare < 0 and NA weight.
fn wbpip_dataset(name: &str) -> (Vec<f64>, Vec<f64>) {
    let mut reader = csv::Reader::from_path(data(&format!("{name}.csv"))).unwrap();
    let (mut welfare, mut weight) = (Vec::new(), Vec::new());
    for record in reader.records() {
        let record = record.unwrap();
        let (Ok(w), Ok(y)) = (record[2].parse::<f64>(), record[3].parse::<f64>()) else {
            continue;
        };
        if y >= 0.0 {
            weight.push(w);
            welfare.push(y);
        }
    }
    (welfare, weight)
}

// Expected: PovcalNet statistics stored in wbpip (commit 0412f9c), tests/data/PROVENANCE.md.
#[test]
fn reproduces_povcalnet_mean_gini_mld() {
    let mut reader = csv::Reader::from_path(data("povcalnet_stats.csv")).unwrap();
    let mut checked = 0;
    for record in reader.records() {
        let record = record.unwrap();
        let name = &record[0];
        let (welfare, weight) = wbpip_dataset(name);
        let est = point(&welfare, &weight, &config(1.9));
        let expect = |i: usize| record[i].parse::<f64>().unwrap();
        assert_eq!(welfare.len(), expect(1) as usize, "{name} nobs");
        assert_relative_eq!(est.population, expect(2), max_relative = 1e-12);
        assert_relative_eq!(est.value("mean").unwrap(), expect(5), max_relative = 1e-12);
        assert_relative_eq!(est.value("mld").unwrap(), expect(7), max_relative = 1e-12);
        assert_relative_eq!(est.value("gini").unwrap(), expect(8), max_relative = 1e-12);
        checked += 1;
    }
    assert_eq!(checked, 5);
}

// Expected: PovcalNet 100-point Lorenz tables stored in wbpip, printed to 15 digits.
#[test]
fn reproduces_povcalnet_lorenz_table() {
    for name in ["md_ABC_2000_income", "md_DEF_2000_consumption", "md_GHI_2000_consumption"] {
        let (welfare, weight) = wbpip_dataset(name);
        let est = point(&welfare, &weight, &config(1.9));
        let mut reader =
            csv::Reader::from_path(data(&format!("{name}_povcalnet_lorenz.csv"))).unwrap();
        let rows: Vec<csv::StringRecord> = reader.records().map(|r| r.unwrap()).collect();
        assert_eq!(rows.len(), est.lorenz.len(), "{name}");
        for (row, ours) in rows.iter().zip(&est.lorenz) {
            let f = |i: usize| row[i].parse::<f64>().unwrap();
            assert_relative_eq!(ours.welfare, f(0), max_relative = 1e-9);
            assert_relative_eq!(ours.population_share, f(1), max_relative = 1e-9);
            assert_relative_eq!(ours.welfare_share, f(2), max_relative = 1e-9);
        }
    }
}

fn apode_vectors() -> Vec<Vec<f64>> {
    let mut reader = csv::Reader::from_path(data("income.csv")).unwrap();
    let mut cols = vec![Vec::new(); 6];
    for record in reader.records() {
        let record = record.unwrap();
        for (col, cell) in cols.iter_mut().zip(record.iter()) {
            col.push(cell.parse::<f64>().unwrap());
        }
    }
    cols
}

fn peer_rows(name: &str) -> Vec<Vec<f64>> {
    let mut reader = csv::Reader::from_path(data(name)).unwrap();
    reader
        .records()
        .map(|r| r.unwrap().iter().map(|c| c.trim().parse::<f64>().unwrap()).collect())
        .collect()
}

/// Stata's median of an even-sized sample: the mean of the two middle values.
fn stata_half_median(y: &[f64]) -> f64 {
    let mut s = y.to_vec();
    s.sort_by(f64::total_cmp);
    let n = s.len();
    0.25 * (s[n / 2 - 1] + s[n / 2])
}

// Expected: Stata `poverty yK, all` (Van Kerm, SSC) via apode commit 59cab7c; headcount, gap,
// fgt2 and watts are single-precision in that output, so the tolerance is 1e-6 relative.
#[test]
fn reproduces_stata_poverty() {
    let stata = peer_rows("poverty_stata.csv");
    for (k, y) in apode_vectors().iter().enumerate() {
        let line = stata_half_median(y);
        let expect = &stata[k];
        if line <= 0.0 {
            // y1 is constant and y4 mostly zero: Stata prints 0 (and -1 for Sen, a missing-value
            // defect we do not reproduce); our line must be positive, so there is nothing to run.
            assert!(expect[0].abs() < 1e-12, "y{} headcount", k + 1);
            continue;
        }
        let est = point(y, &vec![1.0; y.len()], &config(line));
        let close = |ours: f64, peer: f64| {
            assert!(
                (ours - peer / 100.0).abs() <= 1e-6 * (peer / 100.0).abs().max(1e-3),
                "y{}: {ours} vs {peer}",
                k + 1
            );
        };
        close(est.value("fgt0").unwrap(), expect[0]);
        close(est.value("fgt1").unwrap(), expect[1]);
        close(est.value("watts").unwrap(), expect[2]);
        close(est.value("fgt2").unwrap(), expect[3]);
        // Stata's Sen is the finite-sample form H [I + (1 - I) G_p q / (q + 1)]; recover G_p
        // from it and check our asymptotic Sen P1 + (P0 - P1) G_p.
        let (p0, p1) = (est.value("fgt0").unwrap(), est.value("fgt1").unwrap());
        if p0 == 0.0 {
            assert!(expect[7].abs() < 1e-12);
            continue;
        }
        let q = (p0 * y.len() as f64).round();
        let gp = (expect[7] / 100.0 - p1) / (p0 - p1) * (q + 1.0) / q;
        assert_relative_eq!(est.value("sen").unwrap(), p1 + (p0 - p1) * gp, max_relative = 1e-6);
    }
}

// Expected: R `ineq` (Gini, Atkinson, entropy) via apode commit 59cab7c.
#[test]
fn reproduces_r_ineq() {
    let ineq = peer_rows("ineq_R.csv");
    for (k, y) in apode_vectors().iter().enumerate() {
        let est = point(y, &vec![1.0; y.len()], &config(1.0));
        let expect = &ineq[k];
        let check = |name: &str, peer: f64| {
            let ours = est.value(name).unwrap();
            assert!(
                (ours - peer).abs() <= 1e-9 * peer.abs().max(1.0),
                "y{} {name}: {ours} vs {peer}",
                k + 1
            );
        };
        check("gini", expect[0]);
        check("atkinson_0.5", expect[1]);
        check("atkinson_1", expect[2]);
        check("atkinson_2", expect[3]);
        if expect[4].is_finite() {
            check("mld", expect[4]);
        } else {
            // y4 has zeros: ineq gives Inf, PIP's convention (ln 1 for zero welfare) a number.
            assert!(est.value("mld").unwrap().is_finite());
            assert!(est.warnings.iter().any(|w| w.contains("zero welfare")));
        }
        if k == 3 {
            // Peer defect: ineq gives Theil 0 for 99 zeros and one positive income; the index
            // is ln(100) there (one person holds everything).
            assert_relative_eq!(est.value("theil").unwrap(), 100f64.ln(), max_relative = 1e-12);
        } else {
            check("theil", expect[5]);
        }
        check("ge2", expect[6]);
    }
}

/// A tiny stratified clustered design: 3 strata, 7 PSUs, 24 rows.
fn tiny_design() -> (Vec<f64>, Vec<f64>, Design) {
    let welfare = vec![
        3.0, 7.5, 1.2, 9.0, 4.4, 4.4, 12.0, 0.8, 2.5, 6.1, 15.0, 3.3, 5.0, 5.0, 2.2, 8.8, 1.9,
        20.0, 3.9, 6.6, 0.0, 11.0, 4.0, 2.8,
    ];
    let weight = vec![
        10.0, 12.0, 8.0, 15.0, 9.0, 11.0, 14.0, 7.0, 10.0, 13.0, 6.0, 9.5, 10.0, 12.5, 8.5, 11.0,
        9.0, 5.0, 10.5, 12.0, 7.5, 6.5, 9.0, 10.0,
    ];
    let psu: Vec<u32> = (0..24).map(|i| [0, 0, 1, 1, 2, 2, 3, 3, 4, 5, 6, 6][i % 12]).collect();
    let strata: Vec<u32> = psu.iter().map(|&p| [0, 0, 1, 1, 1, 2, 2][p as usize]).collect();
    let design = Design::new(&strata, psu, 7).unwrap();
    (welfare, weight, design)
}

fn tiny_strata(design: &Design) -> Vec<u32> {
    design.psu_of_row().iter().map(|&p| [0, 0, 1, 1, 1, 2, 2][p as usize]).collect()
}

/// svyrecvar written out by hand: stratum sums of squared deviations of PSU totals.
fn brute_force_variance(design_strata: &[u32], psu: &[u32], scores: &[f64]) -> f64 {
    let n_psu = psu.iter().max().map_or(0, |&p| p as usize + 1);
    let mut totals = vec![0.0; n_psu];
    let mut stratum = vec![0u32; n_psu];
    for i in 0..scores.len() {
        totals[psu[i] as usize] += scores[i];
        stratum[psu[i] as usize] = design_strata[i];
    }
    let mut var = 0.0;
    for h in 0..=*stratum.iter().max().unwrap() {
        let t: Vec<f64> = (0..n_psu).filter(|&p| stratum[p] == h).map(|p| totals[p]).collect();
        let n_h = t.len() as f64;
        let mean = t.iter().sum::<f64>() / n_h;
        var += n_h / (n_h - 1.0) * t.iter().map(|x| (x - mean).powi(2)).sum::<f64>();
    }
    var
}

// The linearised variable of each smooth estimator is d theta / d w_k (Deville 1999): check it
// against central finite differences of the point estimate, independently of our algebra.
#[test]
fn linearised_se_matches_numerical_derivative() {
    let (welfare, weight, design) = tiny_design();
    let strata = tiny_strata(&design);
    for gini in [GiniForm::Pip, GiniForm::Convey] {
        let cfg = Config { line: 4.4, poor_if: PoorIf::AtOrBelow, gini };
        let order = order_by_welfare(&welfare, &all_rows(24));
        let est = estimate(
            &welfare,
            &weight,
            &order,
            &cfg,
            Variance::Linearized { design: &design, lonely: LonelyPsu::Fail },
        )
        .unwrap();
        let se = est.se.unwrap();
        let smooth = [
            "mean",
            "fgt0",
            "fgt1",
            "fgt2",
            "n_poor",
            "watts",
            "sen",
            "sst",
            "gini",
            "mld",
            "theil",
            "ge2",
            "atkinson_0.5",
            "s80s20_lorenz",
            "palma",
            "bottom40_share",
        ];
        for name in smooth {
            let j = index_of(name).unwrap();
            let scores: Vec<f64> = (0..24)
                .map(|k| {
                    let h = 1e-6 * weight[k];
                    let mut up = weight.clone();
                    up[k] += h;
                    let mut down = weight.clone();
                    down[k] -= h;
                    let f = |w: &[f64]| {
                        estimate(&welfare, w, &order, &cfg, Variance::None).unwrap().values[j]
                    };
                    weight[k] * (f(&up) - f(&down)) / (2.0 * h)
                })
                .collect();
            let expected = brute_force_variance(&strata, design.psu_of_row(), &scores).sqrt();
            assert_relative_eq!(se[j], expected, max_relative = 1e-5);
            assert!(se[j] > 0.0, "{name}");
        }
    }
}

#[test]
fn mean_se_is_the_textbook_ratio_variance() {
    let (welfare, weight, design) = tiny_design();
    let strata = tiny_strata(&design);
    let order = order_by_welfare(&welfare, &all_rows(24));
    let est = estimate(
        &welfare,
        &weight,
        &order,
        &config(3.0),
        Variance::Linearized { design: &design, lonely: LonelyPsu::Fail },
    )
    .unwrap();
    let n: f64 = weight.iter().sum();
    let mu = welfare.iter().zip(&weight).map(|(y, w)| y * w).sum::<f64>() / n;
    let scores: Vec<f64> = welfare.iter().zip(&weight).map(|(y, w)| w * (y - mu) / n).collect();
    let expected = brute_force_variance(&strata, design.psu_of_row(), &scores).sqrt();
    assert_relative_eq!(est.se_of("mean").unwrap(), expected, max_relative = 1e-12);
}

#[test]
fn replicate_variance_is_the_bootstrap_formula() {
    let (welfare, weight, _) = tiny_design();
    let reps: Vec<Vec<f64>> = (0..5)
        .map(|r| {
            weight.iter().enumerate().map(|(i, w)| w * (1.0 + 0.1 * ((i + r) % 3) as f64)).collect()
        })
        .collect();
    let order = order_by_welfare(&welfare, &all_rows(24));
    let est =
        estimate(&welfare, &weight, &order, &config(3.0), Variance::Replicate { weights: &reps })
            .unwrap();
    let means: Vec<f64> = reps
        .iter()
        .map(|w| welfare.iter().zip(w).map(|(y, w)| y * w).sum::<f64>() / w.iter().sum::<f64>())
        .collect();
    let bar = means.iter().sum::<f64>() / 5.0;
    let var = means.iter().map(|m| (m - bar).powi(2)).sum::<f64>() / 4.0;
    assert_relative_eq!(est.se_of("mean").unwrap(), var.sqrt(), max_relative = 1e-12);
    assert!(est.se_of("median").unwrap().is_finite());
}

#[test]
fn lonely_psu_fails_by_choice_and_is_adjusted_on_request() {
    let welfare = vec![1.0, 2.0, 3.0, 4.0, 5.0];
    let weight = vec![1.0; 5];
    let design = Design::new(&[0, 0, 0, 0, 1], vec![0, 0, 1, 1, 2], 3).unwrap();
    let order = order_by_welfare(&welfare, &all_rows(5));
    let run = |lonely| {
        estimate(
            &welfare,
            &weight,
            &order,
            &config(2.5),
            Variance::Linearized { design: &design, lonely },
        )
    };
    assert_eq!(
        run(LonelyPsu::Fail).unwrap_err(),
        EstimateError::Design(DesignError::LonelyPsu { stratum: 1 })
    );
    let removed = run(LonelyPsu::Remove).unwrap();
    let adjusted = run(LonelyPsu::Adjust).unwrap();
    assert!(adjusted.se_of("mean").unwrap() > removed.se_of("mean").unwrap());
    assert!(adjusted.warnings.iter().any(|w| w.contains("single PSU")));
}

#[test]
fn rejects_bad_input_with_the_row() {
    let order = all_rows(3);
    let err =
        estimate(&[1.0, -2.0, 3.0], &[1.0; 3], &order, &config(2.0), Variance::None).unwrap_err();
    assert_eq!(err, EstimateError::InvalidWelfare { row: 1, value: -2.0 });
    let err =
        estimate(&[1.0, 2.0, 3.0], &[1.0, 1.0, f64::NAN], &order, &config(2.0), Variance::None)
            .unwrap_err();
    assert!(matches!(err, EstimateError::InvalidWeight { row: 2, .. }));
    assert_eq!(
        estimate(&[1.0], &[1.0], &[], &config(2.0), Variance::None).unwrap_err(),
        EstimateError::EmptyDomain
    );
    assert_eq!(
        estimate(&[1.0], &[1.0], &[0], &config(0.0), Variance::None).unwrap_err(),
        EstimateError::InvalidLine(0.0)
    );
}

#[test]
fn groups_add_up() {
    let (welfare, weight, design) = tiny_design();
    let group_of_row: Vec<u32> = (0..24).map(|i| (i % 3) as u32).collect();
    let order = order_by_welfare(&welfare, &all_rows(24));
    let (all, groups, dec) = by_group(
        &welfare,
        &weight,
        &order,
        &group_of_row,
        3,
        &config(4.0),
        Variance::Linearized { design: &design, lonely: LonelyPsu::Fail },
    )
    .unwrap();
    let groups: Vec<&GroupEstimates> = groups.iter().flatten().collect();
    let share: f64 = groups.iter().map(|g| g.population_share).sum();
    assert_relative_eq!(share, 1.0, max_relative = 1e-12);
    for a in 0..3 {
        let c: f64 = groups.iter().map(|g| g.fgt_contribution[a]).sum();
        assert_relative_eq!(c, 1.0, max_relative = 1e-12);
    }
    // GE(1) decomposes exactly; GE(0) too except for the zero-welfare convention (one zero here).
    assert_relative_eq!(
        dec.ge1.within + dec.ge1.between,
        all.value("theil").unwrap(),
        max_relative = 1e-12
    );
    assert!(dec.ge0.between > 0.0);
}

#[test]
fn comparison_decompositions_add_up() {
    let (welfare, weight, design) = tiny_design();
    let after_welfare: Vec<f64> = welfare.iter().map(|y| y * 1.2 + 0.5).collect();
    let after_weight: Vec<f64> = weight.iter().map(|w| w * 1.05).collect();
    let order1 = order_by_welfare(&welfare, &all_rows(24));
    let order2 = order_by_welfare(&after_welfare, &all_rows(24));
    let before = Period { welfare: &welfare, weight: &weight, order: &order1, design: &design };
    let after =
        Period { welfare: &after_welfare, weight: &after_weight, order: &order2, design: &design };
    let cmp = compare(before, after, &config(4.0), LonelyPsu::Fail).unwrap();
    for dr in &cmp.datt_ravallion {
        let sum = |g: &GrowthRedistribution| g.growth + g.redistribution + g.residual;
        assert_relative_eq!(sum(&dr.reference_before), dr.change, epsilon = 1e-12);
        assert_relative_eq!(sum(&dr.reference_after), dr.change, epsilon = 1e-12);
        assert!(dr.shapley.residual.abs() < 1e-12);
    }
    let p = &cmp.people;
    assert_relative_eq!(p.rate_effect + p.population_effect, p.net_change, epsilon = 1e-9);
    assert!(p.net_change < 0.0 && p.lifted_out > 0.0);
    assert!(p.net_change_se > 0.0 && p.rate_effect_se > 0.0);
    assert!(p.statement.contains("not"));
    assert_relative_eq!(
        cmp.mean_growth,
        cmp.after.value("mean").unwrap() / cmp.before.value("mean").unwrap() - 1.0
    );
    let rh = ravallion_huppi(&[0.5, 0.5], &[0.2, 0.4], &[0.6, 0.4], &[0.1, 0.3]);
    assert_relative_eq!(
        rh.intra_sectoral + rh.population_shift + rh.interaction,
        rh.change,
        epsilon = 1e-15
    );
}

#[test]
fn gini_forms_agree_with_unit_weights_and_differ_otherwise() {
    let (welfare, weight, _) = tiny_design();
    let pip = point(&welfare, &[1.0; 24], &config(3.0)).value("gini").unwrap();
    let convey = point(&welfare, &[1.0; 24], &Config { gini: GiniForm::Convey, ..config(3.0) })
        .value("gini")
        .unwrap();
    assert_relative_eq!(pip, convey, max_relative = 1e-12);
    let pip = point(&welfare, &weight, &config(3.0)).value("gini").unwrap();
    let convey = point(&welfare, &weight, &Config { gini: GiniForm::Convey, ..config(3.0) })
        .value("gini")
        .unwrap();
    assert!((pip - convey).abs() > 1e-4);
}

/// Issue 23: the radix sort of large domains gives the order of a plain stable sort by the
/// welfare's bit pattern, ties by row, including zeros, -0, repeated values, a narrow range
/// (one bucket per value) and the NaN and negative values `estimate` later rejects.
#[test]
fn issue_23_radix_order_equals_a_stable_sort() {
    use rand::{Rng, SeedableRng};
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(23);
    let reference = |welfare: &[f64], rows: &[u32]| {
        let mut sorted = rows.to_vec();
        sorted.sort_by_key(|&r| ((welfare[r as usize] + 0.0).to_bits(), r));
        sorted
    };
    let n = 200_000;
    let spread: Vec<f64> = (0..n)
        .map(|i| match i % 97 {
            0 => 0.0,
            1 => -0.0,
            2 => 42.0,
            _ => (rng.r#gen::<f64>() * 8.0).exp(),
        })
        .collect();
    let coarse: Vec<f64> = (0..n).map(|_| f64::from(rng.gen_range(0..50u32)) * 0.5).collect();
    let mut with_bad = spread.clone();
    with_bad[77] = f64::NAN;
    with_bad[5_000] = -1.0;
    let equal = vec![3.0; n];
    // A domain: every third row, in shuffled order.
    let mut domain: Vec<u32> = (0..n as u32).step_by(3).collect();
    for i in (1..domain.len()).rev() {
        domain.swap(i, rng.gen_range(0..=i));
    }
    for welfare in [&spread, &coarse, &with_bad, &equal] {
        assert_eq!(order_by_welfare(welfare, &all_rows(n)), reference(welfare, &all_rows(n)));
        assert_eq!(order_by_welfare(welfare, &domain), reference(welfare, &domain));
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn laws(
        pairs in prop::collection::vec((0.0f64..1000.0, 0.1f64..50.0), 2..60),
        line in 1.0f64..800.0,
        scale in 0.1f64..10.0,
    ) {
        let welfare: Vec<f64> = pairs.iter().map(|p| p.0).collect();
        let weight: Vec<f64> = pairs.iter().map(|p| p.1).collect();
        prop_assume!(welfare.iter().any(|&y| y > 0.0));
        let est = point(&welfare, &weight, &config(line));
        // FGT with alpha 0 is the headcount ratio.
        let order = order_by_welfare(&welfare, &all_rows(welfare.len()));
        prop_assert!((est.value("fgt0").unwrap() - est.value("n_poor").unwrap() / est.population).abs() < 1e-12);
        prop_assert!((fgt_at_line(&welfare, &weight, &order, line, 0.0, PoorIf::Below) - est.value("fgt0").unwrap()).abs() < 1e-12);
        prop_assert!((fgt_at_line(&welfare, &weight, &order, line, 2.0, PoorIf::Below) - est.value("fgt2").unwrap()).abs() < 1e-12);
        // Ordering of FGT and bounds of the Gini.
        prop_assert!(est.value("fgt2").unwrap() <= est.value("fgt1").unwrap() + 1e-12);
        prop_assert!(est.value("fgt1").unwrap() <= est.value("fgt0").unwrap() + 1e-12);
        let gini = est.value("gini").unwrap();
        prop_assert!((-1e-12..1.0).contains(&gini));
        // Decile shares sum to one and increase.
        prop_assert!((est.decile_shares.iter().sum::<f64>() - 1.0).abs() < 1e-9);
        prop_assert!(est.decile_shares.windows(2).all(|d| d[0] <= d[1] + 1e-12));
        // The PIP Gini and every relative measure ignore a common scale of the weights.
        let scaled: Vec<f64> = weight.iter().map(|w| w * scale).collect();
        let est2 = point(&welfare, &scaled, &config(line));
        for name in ["gini", "mld", "theil", "fgt1", "sen", "sst", "palma", "q50"] {
            let (a, b) = (est.value(name).unwrap(), est2.value(name).unwrap());
            prop_assert!((a - b).abs() <= 1e-9 * a.abs().max(1e-9), "{name}: {a} vs {b}");
        }
    }
}

// convey `svyiqalpha` written out by hand: z = -(1[y <= q] - p) / (N f(q)), f the Gaussian kernel
// density with h = sd / N^(1/5) over every unit (no window), variance by brute-force svyrecvar.
#[test]
fn quantile_se_is_convey_kernel_linearisation() {
    let (welfare, weight, design) = tiny_design();
    let strata = tiny_strata(&design);
    let order = order_by_welfare(&welfare, &all_rows(24));
    let est = estimate(
        &welfare,
        &weight,
        &order,
        &config(3.0),
        Variance::Linearized { design: &design, lonely: LonelyPsu::Fail },
    )
    .unwrap();
    let n: f64 = weight.iter().sum();
    let mean = welfare.iter().zip(&weight).map(|(y, w)| y * w).sum::<f64>() / n;
    let var = welfare.iter().zip(&weight).map(|(y, w)| w * (y - mean).powi(2)).sum::<f64>() / n;
    let h = var.sqrt() / n.powf(0.2);
    for (name, p) in [("q10", 0.1), ("median", 0.5), ("q75", 0.75), ("q90", 0.9)] {
        let q = est.value(name).unwrap();
        // Type-1 quantile by brute force: the smallest y with F(y) >= p.
        let mut sorted: Vec<(f64, f64)> =
            welfare.iter().copied().zip(weight.iter().copied()).collect();
        sorted.sort_by(|a, b| a.0.total_cmp(&b.0));
        let mut cum = 0.0;
        let expected_q = sorted
            .iter()
            .find(|(_, w)| {
                cum += w;
                cum / n >= p
            })
            .unwrap()
            .0;
        assert_relative_eq!(q, expected_q);
        let f = welfare
            .iter()
            .zip(&weight)
            .map(|(y, w)| w * (-((q - y) / h).powi(2) / 2.0).exp())
            .sum::<f64>()
            / (2.0 * std::f64::consts::PI).sqrt()
            / (n * h);
        let scores: Vec<f64> = welfare
            .iter()
            .zip(&weight)
            .map(|(y, w)| w * -(f64::from(u8::from(*y <= q)) - p) / (n * f))
            .collect();
        let expected = brute_force_variance(&strata, design.psu_of_row(), &scores).sqrt();
        assert_relative_eq!(est.se_of(name).unwrap(), expected, max_relative = 1e-9);
    }
}

#[test]
fn ci95_is_the_normal_interval_and_needs_finite_value_and_se() {
    // The 97.5 % quantile of the standard normal, qnorm(0.975) in R.
    let (lo, hi) = ci95(0.25, Some(0.01)).unwrap();
    assert_relative_eq!(lo, 0.25 - 0.019_599_639_845_400_54, max_relative = 1e-15);
    assert_relative_eq!(hi, 0.25 + 0.019_599_639_845_400_54, max_relative = 1e-15);
    assert_eq!(ci95(3.0, Some(0.0)), Some((3.0, 3.0)));
    assert_eq!(ci95(0.25, None), None);
    assert_eq!(ci95(0.25, Some(f64::NAN)), None);
    assert_eq!(ci95(f64::NAN, Some(0.01)), None);
    assert_eq!(ci95(f64::INFINITY, Some(0.01)), None);
}
