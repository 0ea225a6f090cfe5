//! Growth against the published China–Central Asia totals and laws of contributions.

use approx::assert_abs_diff_eq;
use proptest::prelude::*;

use super::*;

/// Reads one value of `tests/data/china_central_asia_totals.csv` (GACC via Xinhua, source S1).
fn published(period: &str, partner: &str, flow: &str) -> f64 {
    let path = format!("{}/tests/data/china_central_asia_totals.csv", env!("CARGO_MANIFEST_DIR"));
    let mut reader = csv::Reader::from_path(path).unwrap();
    for record in reader.records() {
        let record = record.unwrap();
        if &record[0] == period && &record[1] == partner && &record[2] == flow {
            return record[3].parse().unwrap();
        }
    }
    panic!("no {period} {partner} {flow} in the published totals");
}

#[test]
fn china_central_asia_cagr_2013_2024_is_7_25_percent() {
    let start = published("2013", "C5", "total");
    let end = published("2024", "C5", "total");
    assert_abs_diff_eq!(start, 312.04);
    // 11 yearly periods from 2013 to 2024; the press reported 7.25 %.
    let rate = cagr(start, end, 11.0).unwrap();
    assert_abs_diff_eq!((rate * 10_000.0).round() / 100.0, 7.25);
    assert_abs_diff_eq!(period_growth(start, end).unwrap(), 674.15 / 312.04 - 1.0, epsilon = 1e-12);
}

#[test]
fn rejects_non_positive_start_and_periods() {
    assert_eq!(cagr(0.0, 1.0, 1.0), Err(GrowthError::NonPositiveStart(0.0)));
    assert_eq!(cagr(1.0, 1.0, 0.0), Err(GrowthError::NonPositivePeriods(0.0)));
    assert_eq!(cagr(1.0, -1.0, 1.0), Err(GrowthError::InvalidEnd(-1.0)));
    assert!(matches!(
        group_growth(&[1.0], &[1.0, 2.0], 1.0),
        Err(GrowthError::LengthMismatch { .. })
    ));
}

#[test]
fn mirror_gap_compares_both_reports() {
    let gap = mirror_gap(4.0, 1.0);
    assert_abs_diff_eq!(gap.difference, -3.0);
    assert_abs_diff_eq!(gap.ratio, 0.25);
    assert!(mirror_gap(0.0, 1.0).ratio.is_nan());
}

proptest! {
    /// Compounding the CAGR over the periods returns the end value; contributions add up to the
    /// total's growth and shares to 1.
    #[test]
    fn laws(pairs in proptest::collection::vec((0.1f64..1e6, 0.0f64..1e6), 1..20), periods in 1u32..30) {
        let (from, to): (Vec<f64>, Vec<f64>) = pairs.iter().copied().unzip();
        let groups = group_growth(&from, &to, f64::from(periods)).unwrap();
        let total_from: f64 = from.iter().sum();
        let total_to: f64 = to.iter().sum();
        let contributions: f64 = groups.iter().map(|g| g.contribution).sum();
        prop_assert!((contributions - (total_to / total_from - 1.0)).abs() < 1e-9);
        let shares: f64 = groups.iter().map(|g| g.share_from).sum();
        prop_assert!((shares - 1.0).abs() < 1e-12);
        for g in &groups {
            let compounded = g.value_from * (1.0 + g.cagr).powi(periods as i32);
            prop_assert!((compounded - g.value_to).abs() <= 1e-6 * g.value_to.max(1.0));
        }
    }
}

#[test]
fn mirror_pairs_exports_with_the_partners_imports() {
    let flow = |reporter, partner, direction, value| ReportedFlow {
        time: "2023",
        reporter,
        partner,
        product: "7403",
        direction,
        value,
    };
    use FlowDirection::{Export, Import};
    let rows = mirror_flows(&[
        flow("KAZ", "CHN", Export, 100.0),
        flow("CHN", "KAZ", Import, 110.0),
        flow("CHN", "KAZ", Import, 5.0),
        flow("CHN", "KAZ", Export, 40.0),
        flow("UZB", "CHN", Import, 7.0),
    ]);
    let keys: Vec<(&str, &str)> =
        rows.iter().map(|r| (r.exporter.as_str(), r.importer.as_str())).collect();
    assert_eq!(keys, vec![("CHN", "KAZ"), ("CHN", "UZB"), ("KAZ", "CHN")]);
    let kaz = &rows[2];
    assert_eq!((kaz.exports_reported, kaz.imports_reported), (Some(100.0), Some(115.0)));
    let gap = kaz.gap().unwrap();
    assert_abs_diff_eq!(gap.difference, 15.0);
    assert_abs_diff_eq!(gap.ratio, 1.15);
    assert_eq!((rows[0].exports_reported, rows[0].imports_reported), (Some(40.0), None));
    assert_eq!(rows[0].gap(), None, "one side only: no gap");
    assert_eq!((rows[1].exports_reported, rows[1].imports_reported), (None, Some(7.0)));
}

#[test]
fn flow_directions_read_comtrade_codes_and_words() {
    for text in ["X", "x", "Export", "EXPORTS", " export "] {
        assert_eq!(FlowDirection::parse(text), Some(FlowDirection::Export), "{text}");
    }
    for text in ["M", "Import", "imports"] {
        assert_eq!(FlowDirection::parse(text), Some(FlowDirection::Import), "{text}");
    }
    for text in ["RX", "RM", "", "both"] {
        assert_eq!(FlowDirection::parse(text), None, "{text}");
    }
}
