//! `caravan trade growth` on the published China–Central Asia totals.

use crate::{data, read_csv, trade};

#[test]
fn china_central_asia_cagr_seed() {
    let dir = tempfile::tempdir().unwrap();
    // The CNY totals of tests/data/china_central_asia_totals.csv (GACC via Xinhua, source S1).
    let (_, rows) = read_csv(&data("china_central_asia_totals.csv"));
    let input = dir.path().join("c5.csv");
    let mut text = String::from("period,value\n");
    for row in rows.iter().filter(|r| r[1] == "C5" && r[2] == "total" && r[4] == "CNY_bn") {
        text.push_str(&format!("{},{}\n", row[0], row[3]));
    }
    std::fs::write(&input, text).unwrap();
    let out = dir.path().join("growth.csv");
    trade(&[
        "growth",
        "--input",
        input.to_str().unwrap(),
        "--time",
        "period",
        "--value",
        "value",
        "--from",
        "2013",
        "--to",
        "2024",
        "--out",
        out.to_str().unwrap(),
    ])
    .unwrap();
    let (header, rows) = read_csv(&out);
    assert_eq!(
        header[..8],
        ["group", "from", "to", "periods", "value_from", "value_to", "cagr", "growth"]
    );
    let total = rows.iter().find(|r| r[0] == "total").unwrap();
    assert_eq!(total[3..6], ["11".to_owned(), "312.04".to_owned(), "674.15".to_owned()]);
    let cagr: f64 = total[6].parse().unwrap();
    assert_eq!(format!("{:.2}", cagr * 100.0), "7.25");
}

#[test]
fn growth_by_group_contributions_add_up() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("g.csv");
    std::fs::write(
        &input,
        "year,partner,v\n2020,KZ,10\n2020,UZ,30\n2022,KZ,20\n2022,UZ,30\n2022,UZ,10\n",
    )
    .unwrap();
    let out = dir.path().join("growth.csv");
    trade(&[
        "growth",
        "--input",
        input.to_str().unwrap(),
        "--time",
        "year",
        "--value",
        "v",
        "--group",
        "partner",
        "--from",
        "2020",
        "--to",
        "2022",
        "--out",
        out.to_str().unwrap(),
    ])
    .unwrap();
    let (header, rows) = read_csv(&out);
    assert_eq!(header[0], "partner");
    let col = |name: &str| header.iter().position(|h| h == name).unwrap();
    let contribution: f64 = rows
        .iter()
        .filter(|r| r[0] != "total")
        .map(|r| r[col("contribution")].parse::<f64>().unwrap())
        .sum();
    let total_growth: f64 =
        rows.iter().find(|r| r[0] == "total").unwrap()[col("growth")].parse().unwrap();
    assert!((contribution - total_growth).abs() < 1e-12);
    assert!((total_growth - 0.5).abs() < 1e-12);
}

#[test]
fn unknown_period_is_named() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("g.csv");
    std::fs::write(&input, "year,v\n2020,1\n").unwrap();
    let err = trade(&[
        "growth",
        "--input",
        input.to_str().unwrap(),
        "--time",
        "year",
        "--value",
        "v",
        "--from",
        "2020",
        "--to",
        "2030",
    ])
    .unwrap_err();
    assert!(format!("{err:#}").contains("--to \"2030\""), "{err:#}");
}
