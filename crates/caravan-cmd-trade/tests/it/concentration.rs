//! `caravan trade concentration` on a small hand-checked table.

use crate::{read_csv, trade};

#[test]
fn concentration_columns_and_values() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("in.csv");
    // Location a: shares 2/3, 1/3; b: a single product.
    std::fs::write(&input, "exporter,hs,usd\na,x,2\na,y,1\nb,y,5\n").unwrap();
    let out = dir.path().join("out.csv");
    trade(&[
        "concentration",
        "--input",
        input.to_str().unwrap(),
        "--location",
        "exporter",
        "--product",
        "hs",
        "--value",
        "usd",
        "--out",
        out.to_str().unwrap(),
    ])
    .unwrap();
    let (header, rows) = read_csv(&out);
    assert_eq!(
        header,
        [
            "location",
            "hhi",
            "hhi_normalized",
            "unctad_concentration",
            "finger_kreinin",
            "theil",
            "top1_share",
            "top5_share",
            "n_products",
            "n_rca_ge_1"
        ]
    );
    assert_eq!(rows.len(), 2);
    assert_eq!(rows[0][0], "a");
    let hhi: f64 = rows[0][1].parse().unwrap();
    assert!((hhi - 5.0 / 9.0).abs() < 1e-12);
    assert_eq!(rows[1][..2], ["b".to_owned(), "1".to_owned()]);
    assert_eq!(rows[1][8..], ["1".to_owned(), "1".to_owned()]);
}
