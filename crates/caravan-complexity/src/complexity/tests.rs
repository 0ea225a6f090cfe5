//! Checks against peer tools' output kept in `tests/data` (see its PROVENANCE.md) and laws.

use std::collections::BTreeMap;

use approx::assert_abs_diff_eq;
use ndarray::Array2;
use proptest::prelude::*;

use super::*;

/// One period of the fixture as a dense matrix with sorted labels.
struct Period {
    locations: Vec<String>,
    products: Vec<String>,
    values: Array2<f64>,
}

fn data_path(name: &str) -> String {
    format!("{}/tests/data/{name}", env!("CARGO_MANIFEST_DIR"))
}

/// Reads `year,origin,hs92,export_val` into one matrix per year; `round_f32` mimics Stata's
/// float storage of `export_val`.
fn load_fixture(round_f32: bool) -> BTreeMap<String, Period> {
    let mut reader = csv::Reader::from_path(data_path("trade_data_sample.csv")).unwrap();
    let mut cells: BTreeMap<String, Vec<(String, String, f64)>> = BTreeMap::new();
    for record in reader.records() {
        let record = record.unwrap();
        let mut value: f64 = record[3].parse().unwrap();
        if round_f32 {
            value = f64::from(value as f32);
        }
        cells.entry(record[0].to_owned()).or_default().push((
            record[1].to_owned(),
            record[2].to_owned(),
            value,
        ));
    }
    cells
        .into_iter()
        .map(|(year, rows)| {
            let mut locations: Vec<String> = rows.iter().map(|r| r.0.clone()).collect();
            let mut products: Vec<String> = rows.iter().map(|r| r.1.clone()).collect();
            locations.sort();
            locations.dedup();
            products.sort();
            products.dedup();
            let mut values = Array2::zeros((locations.len(), products.len()));
            for (l, p, v) in rows {
                let li = locations.binary_search(&l).unwrap();
                let pi = products.binary_search(&p).unwrap();
                values[[li, pi]] = v;
            }
            (year, Period { locations, products, values })
        })
        .collect()
}

/// Compares every row of a peer's output file with our result for the same cell.
#[track_caller]
fn check(
    expected_file: &str,
    config: &ComplexityConfig,
    round_f32: bool,
    columns: &[(&str, &str)],
) {
    let periods = load_fixture(round_f32);
    let results: BTreeMap<&String, Complexity> = periods
        .iter()
        .map(|(year, period)| (year, complexity(period.values.view(), config).unwrap()))
        .collect();
    let mut reader = csv::Reader::from_path(data_path(expected_file)).unwrap();
    let headers = reader.headers().unwrap().clone();
    let column = |name: &str| headers.iter().position(|h| h == name).unwrap();
    let mut n_checked = 0;
    for record in reader.records() {
        let record = record.unwrap();
        let period = &periods[&record[0].to_owned()];
        let res = &results[&record[0].to_owned()];
        let c = period.locations.binary_search(&record[1].to_owned()).unwrap();
        let p = period.products.binary_search(&record[2].to_owned()).unwrap();
        for &(peer, ours) in columns {
            let expected: f64 = record[column(peer)].parse().unwrap();
            let actual = match ours {
                "rca" => res.rca[[c, p]],
                "mcp" => res.mcp[[c, p]],
                "diversity" => res.diversity[c],
                "ubiquity" => res.ubiquity[p],
                "eci" => res.eci[c],
                "pci" => res.pci[p],
                "density" => res.density[[c, p]],
                "coi" => res.coi[c],
                "cog" => res.cog[[c, p]],
                other => panic!("unknown column {other}"),
            };
            assert!(
                (expected - actual).abs() <= 1e-9,
                "{expected_file} year {} {} {} {peer}: expected {expected}, got {actual}",
                &record[0],
                &record[1],
                &record[2]
            );
        }
        n_checked += 1;
    }
    assert!(n_checked >= 120, "only {n_checked} rows compared");
}

const ALL: [(&str, &str); 9] = [
    ("rca", "rca"),
    ("mcp", "mcp"),
    ("diversity", "diversity"),
    ("ubiquity", "ubiquity"),
    ("eci", "eci"),
    ("pci", "pci"),
    ("density", "density"),
    ("coi", "coi"),
    ("cog", "cog"),
];

// Expected: py-ecomplexity 0.5.3 (PyPI), run on trade_data_sample.csv; tests/data/PROVENANCE.md.
#[test]
fn reproduces_py_ecomplexity_default_convention() {
    check("pyecomplexity_0.5.3_output.csv", &ComplexityConfig::default(), false, &ALL);
}

// Expected: Stata `ecomplexity` (py-ecomplexity's tests/fixtures/stata_ground_truth.csv excerpt).
#[test]
fn reproduces_stata_excerpt_with_stata_convention() {
    let config = ComplexityConfig { convention: Convention::Stata, ..ComplexityConfig::default() };
    let stata = [
        ("rca", "rca"),
        ("M", "mcp"),
        ("diversity", "diversity"),
        ("ubiquity", "ubiquity"),
        ("eci", "eci"),
        ("pci", "pci"),
        ("density", "density"),
        ("coi", "coi"),
        ("cog", "cog"),
    ];
    check("stata_ground_truth_excerpt.csv", &config, true, &stata);
}

// Expected: py-ecomplexity 0.5.3 `proximity()` on trade_data_sample.csv.
#[test]
fn reproduces_py_ecomplexity_proximity() {
    let periods = load_fixture(false);
    let config = ComplexityConfig { keep_proximity: true, ..ComplexityConfig::default() };
    let results: BTreeMap<&String, Array2<f64>> = periods
        .iter()
        .map(|(year, period)| {
            (year, complexity(period.values.view(), &config).unwrap().proximity.unwrap())
        })
        .collect();
    let mut reader =
        csv::Reader::from_path(data_path("pyecomplexity_0.5.3_proximity.csv")).unwrap();
    let mut n_checked = 0;
    for record in reader.records() {
        let record = record.unwrap();
        let period = &periods[&record[0].to_owned()];
        let p = period.products.binary_search(&record[1].to_owned()).unwrap();
        let q = period.products.binary_search(&record[2].to_owned()).unwrap();
        let expected: f64 = record[3].parse().unwrap();
        assert_abs_diff_eq!(results[&record[0].to_owned()][[p, q]], expected, epsilon = 1e-12);
        n_checked += 1;
    }
    assert_eq!(n_checked, 2 * 30 * 30);
}

#[test]
fn zero_diversity_makes_only_that_location_nan() {
    // A high threshold leaves some fixture locations without any product: py-ecomplexity would
    // return NaN for the whole year, we only for them.
    let periods = load_fixture(false);
    let config = ComplexityConfig { rca_threshold: 1.6, ..ComplexityConfig::default() };
    let res = complexity(periods["1995"].values.view(), &config).unwrap();
    let empty: Vec<usize> = (0..res.diversity.len()).filter(|&c| res.diversity[c] == 0.0).collect();
    assert!(!empty.is_empty(), "threshold 1.6 should leave Germany without products");
    assert!(res.warnings.contains(&ComplexityWarning::ZeroDiversity(empty.clone())));
    for (c, eci) in res.eci.iter().enumerate() {
        assert_eq!(eci.is_nan(), empty.contains(&c), "location {c}: eci {eci} {res:?}");
    }
    assert!(res.coi.iter().all(|v| v.is_finite()), "{:?}", res.coi);
}

#[test]
fn zero_total_location_is_nan_and_others_match_without_it() {
    let periods = load_fixture(false);
    let period = &periods["1995"];
    let (n_c, n_p) = period.values.dim();
    let mut padded = Array2::zeros((n_c + 1, n_p));
    for ((c, p), v) in period.values.indexed_iter() {
        padded[[c, p]] = *v;
    }
    let base = complexity(period.values.view(), &ComplexityConfig::default()).unwrap();
    let res = complexity(padded.view(), &ComplexityConfig::default()).unwrap();
    assert!(res.eci[n_c].is_nan() && res.coi[n_c].is_nan() && res.rca[[n_c, 0]].is_nan());
    assert_eq!(res.warnings, vec![ComplexityWarning::ZeroTotalLocations(vec![n_c])]);
    for c in 0..n_c {
        assert_abs_diff_eq!(res.eci[c], base.eci[c], epsilon = 1e-9);
        assert_abs_diff_eq!(res.coi[c], base.coi[c], epsilon = 1e-9);
    }
}

#[test]
fn rejects_negative_and_nan_values_naming_the_cell() {
    let values = ndarray::array![[1.0, 2.0], [3.0, -4.0]];
    let err = complexity(values.view(), &ComplexityConfig::default()).unwrap_err();
    assert_eq!(err, ComplexityError::InvalidValue { location: 1, product: 1, value: -4.0 });
    let values = ndarray::array![[1.0, f64::NAN]];
    assert!(matches!(
        rca(values.view()),
        Err(ComplexityError::InvalidValue { location: 0, product: 1, .. })
    ));
}

#[test]
fn asymmetric_proximity_is_a_conditional_probability() {
    let mcp = ndarray::array![[1.0, 1.0, 0.0], [1.0, 0.0, 1.0], [1.0, 1.0, 1.0]];
    let ubiquity = mcp.sum_axis(Axis(0));
    let phi = discrete_proximity(mcp.view(), ubiquity.view(), ProximityKind::Asymmetric, false);
    // P(product 1 | product 0) = 2 of the 3 holders of product 0.
    assert_abs_diff_eq!(phi[[0, 1]], 2.0 / 3.0, epsilon = 1e-15);
    assert_abs_diff_eq!(phi[[1, 0]], 1.0, epsilon = 1e-15);
    let sym = discrete_proximity(mcp.view(), ubiquity.view(), ProximityKind::Symmetric, true);
    assert_abs_diff_eq!(sym[[0, 1]], 2.0 / 3.0, epsilon = 1e-15);
    assert_abs_diff_eq!(sym[[1, 1]], 0.0, epsilon = 0.0);
}

fn matrix_strategy() -> impl Strategy<Value = Array2<f64>> {
    (3usize..8, 3usize..10).prop_flat_map(|(n_c, n_p)| {
        proptest::collection::vec(0.0f64..1e6, n_c * n_p)
            .prop_map(move |v| Array2::from_shape_vec((n_c, n_p), v).expect("sized"))
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// The export-weighted mean of RCA across locations is 1 for every product (Balassa's identity).
    #[test]
    fn rca_weighted_mean_is_one(values in matrix_strategy()) {
        let r = rca(values.view()).unwrap();
        let location_total = values.sum_axis(Axis(1));
        let world = location_total.sum();
        for p in 0..values.ncols() {
            if values.column(p).sum() > 0.0 {
                let mean: f64 = (0..values.nrows())
                    .filter(|&c| location_total[c] > 0.0)
                    .map(|c| r[[c, p]] * location_total[c] / world)
                    .sum();
                prop_assert!((mean - 1.0).abs() < 1e-9);
            }
        }
    }

    /// ECI is standardised: mean 0 and population sd 1 over the locations that have one.
    #[test]
    fn eci_is_standardised_and_scale_free(values in matrix_strategy(), scale in 0.5f64..1e3) {
        let res = complexity(values.view(), &ComplexityConfig::default()).unwrap();
        let eci: Vec<f64> = res.eci.iter().copied().filter(|x| x.is_finite()).collect();
        if eci.len() >= 2 && !res.warnings.contains(&ComplexityWarning::SignUndetermined) {
            let n = eci.len() as f64;
            let mean = eci.iter().sum::<f64>() / n;
            let sd = (eci.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / n).sqrt();
            prop_assert!(mean.abs() < 1e-9);
            prop_assert!((sd - 1.0).abs() < 1e-9 || sd.is_nan());
        }
        // Scaling all values leaves RCA and therefore every index unchanged.
        let scaled = values.mapv(|x| x * scale);
        let res2 = complexity(scaled.view(), &ComplexityConfig::default()).unwrap();
        prop_assert_eq!(&res.mcp, &res2.mcp);
        for (a, b) in res.density.iter().zip(res2.density.iter()) {
            prop_assert!((a - b).abs() < 1e-9 || (a.is_nan() && b.is_nan()));
        }
    }

    /// Density and COG from the presence matrix alone equal the dense route through the proximity
    /// matrix, for both proximities and both diagonals, with arbitrary PCI weights.
    #[test]
    fn discrete_route_equals_dense_route(
        presence in (2usize..30, 2usize..40).prop_flat_map(|(n_c, n_p)| {
            proptest::collection::vec(proptest::bool::weighted(0.4), n_c * n_p).prop_map(
                move |v| Array2::from_shape_vec((n_c, n_p), v).expect("sized"))
        }),
        pci_seed in proptest::collection::vec(-3.0f64..3.0, 40),
    ) {
        let mcp = presence.mapv(|b| if b { 1.0 } else { 0.0 });
        let ubiquity = mcp.sum_axis(Axis(0));
        let pci: Array1<f64> = (0..mcp.ncols()).map(|p| pci_seed[p]).collect();
        for kind in [ProximityKind::Symmetric, ProximityKind::Asymmetric] {
            for zero_diagonal in [false, true] {
                let phi = discrete_proximity(mcp.view(), ubiquity.view(), kind, zero_diagonal);
                let (d1, g1) = density_and_cog(mcp.view(), mcp.view(), phi.view(), &pci);
                let (d2, g2) = discrete_density_and_cog(&mcp, kind, zero_diagonal, &pci);
                for (a, b) in d1.iter().zip(d2.iter()).chain(g1.iter().zip(g2.iter())) {
                    prop_assert!(
                        (a - b).abs() <= 1e-12 * (1.0 + a.abs()) || (a.is_nan() && b.is_nan()),
                        "{kind:?} zero_diagonal={zero_diagonal}: dense {a} vs discrete {b}"
                    );
                }
            }
        }
    }

    /// Density lies in [0, 1] and symmetric proximity is symmetric with unit diagonal.
    #[test]
    fn density_is_a_share_and_proximity_symmetric(values in matrix_strategy()) {
        let config = ComplexityConfig { keep_proximity: true, ..ComplexityConfig::default() };
        let res = complexity(values.view(), &config).unwrap();
        for d in res.density.iter().filter(|d| d.is_finite()) {
            prop_assert!(*d >= -1e-12 && *d <= 1.0 + 1e-12);
        }
        let phi = res.proximity.unwrap();
        for p in 0..phi.nrows() {
            if res.ubiquity[p] > 0.0 {
                prop_assert!((phi[[p, p]] - 1.0).abs() < 1e-15);
            }
            for q in 0..phi.ncols() {
                prop_assert!((phi[[p, q]] - phi[[q, p]]).abs() < 1e-15);
            }
        }
    }
}

#[test]
fn jacobi_eigenvectors_satisfy_the_definition() {
    let a = vec![4.0, 1.0, 2.0, 1.0, 3.0, 0.5, 2.0, 0.5, 5.0];
    let (values, vectors) = symmetric_eigen(a.clone(), 3);
    for k in 0..3 {
        for i in 0..3 {
            let av: f64 = (0..3).map(|j| a[i * 3 + j] * vectors[j * 3 + k]).sum();
            assert_abs_diff_eq!(av, values[k] * vectors[i * 3 + k], epsilon = 1e-12);
        }
    }
    assert_abs_diff_eq!(values.iter().sum::<f64>(), 12.0, epsilon = 1e-12);
}
