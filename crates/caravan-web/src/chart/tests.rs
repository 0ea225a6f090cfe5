//! Unit tests of the SVG charts: ticks, escaping, one element per series or bar.

use super::*;

#[test]
fn ticks_are_round_and_cover_the_range() {
    assert_eq!(nice_ticks(0.0, 10.0, 5), vec![0.0, 2.0, 4.0, 6.0, 8.0, 10.0]);
    assert_eq!(nice_ticks(2013.0, 2024.0, 6), vec![2014.0, 2016.0, 2018.0, 2020.0, 2022.0, 2024.0]);
    assert!(nice_ticks(f64::NAN, 1.0, 5).is_empty());
}

#[test]
fn line_chart_names_each_series_and_escapes_labels() {
    let svg = line_chart(&LineChart {
        title: "A <b> & c".into(),
        x_label: "year".into(),
        y_label: "value".into(),
        series: vec![
            Series { name: "KZ".into(), points: vec![(2013.0, 1.0), (2024.0, 3.0)] },
            Series {
                name: "UZ".into(),
                points: vec![(2013.0, 2.0), (f64::NAN, 1.0), (2024.0, 5.0)],
            },
        ],
        diagonal: false,
    });
    assert!(svg.starts_with("<svg") && svg.ends_with("</svg>"));
    let id = svg.split("<title id=\"").nth(1).and_then(|rest| rest.split('"').next()).unwrap();
    assert!(svg.contains(&format!("<title id=\"{id}\">A &lt;b&gt; &amp; c</title>")), "{svg}");
    let labelled_by = format!("aria-labelledby=\"{id} {}-desc\"", id.trim_end_matches("-title"));
    assert!(svg.contains(&labelled_by), "{svg}");
    assert!(svg.contains("data-series=\"KZ\"") && svg.contains("data-series=\"UZ\""));
    assert_eq!(svg.matches("class=\"series\"").count(), 2);
}

#[test]
fn bar_chart_has_one_rect_per_finite_bar() {
    let svg = bar_chart(&BarChart {
        title: "t".into(),
        y_label: "v".into(),
        bars: vec![("a".into(), 1.0), ("b".into(), -2.0), ("c".into(), f64::NAN)],
    });
    assert_eq!(svg.matches("class=\"bar\"").count(), 2);
}

#[test]
fn charts_on_one_page_get_their_own_ids() {
    // The hash of title, NUL, description: for two empty texts FNV-1a 64 of one NUL byte,
    // 0xaf63bd4c8601b7df (the FNV reference test vector).
    assert_eq!(chart_id("", ""), format!("chart-{:016x}", 0xaf63_bd4c_8601_b7df_u64));
    assert_ne!(chart_id("Lorenz curve", "d"), chart_id("Growth incidence", "d"));
    assert_ne!(
        chart_id("ab", "c"),
        chart_id("a", "bc"),
        "the NUL keeps title and description apart"
    );
    assert_eq!(chart_id("t", "d"), chart_id("t", "d"));
}
