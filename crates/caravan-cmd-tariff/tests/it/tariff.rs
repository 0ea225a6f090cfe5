//! `caravan tariff calculate` and `import-uk`.

use rust_decimal::Decimal;

use super::{data_dir, run, run_err, run_json};

fn schedules() -> String {
    data_dir().to_str().unwrap().to_owned()
}

fn amount(value: &serde_json::Value) -> Decimal {
    value["amount"].as_str().unwrap().parse().unwrap()
}

#[test]
fn eaeu_wheat_from_uzbekistan_without_certificate_pays_mfn() {
    let dir = schedules();
    let res = run_json(&[
        "tariff",
        "calculate",
        "--jurisdiction",
        "EAEU",
        "--date",
        "2026-03-01",
        "--code",
        "1001990000",
        "--origin",
        "UZ",
        "--value",
        "1000.00",
        "--currency",
        "USD",
        "--quantity",
        "12.5",
        "--unit",
        "TNE",
        "--schedules",
        &dir,
    ]);
    assert_eq!(res["illustrative"], true);
    assert!(res["notice"].as_str().unwrap().contains("ILLUSTRATIVE"));
    // 1000 USD at 505 KZT = 505000 KZT; 5 % = 25250; minimum 0.015 EUR/kg * 12500 kg * 545 = 102187.50
    assert_eq!(amount(&res["customs_value"]), Decimal::new(50_500_000, 2));
    let mfn = &res["applied"][0];
    assert_eq!(mfn["measure_id"], "eaeu-mfn-wheat");
    assert_eq!(amount(&mfn["amount"]), Decimal::new(10_218_750, 2));
    let reasons: Vec<&str> = res["not_applied"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["reason"].as_str().unwrap())
        .collect();
    assert!(
        reasons.iter().any(|r| r.contains("preferential rate not applied: no proof of origin")),
        "{reasons:?}"
    );
    // VAT 12 % on 505000 + 102187.50
    let vat = res["applied"].as_array().unwrap().iter().find(|a| a["kind"] == "vat").unwrap();
    assert_eq!(amount(&vat["base"]), Decimal::new(60_718_750, 2));
    assert_eq!(amount(&vat["amount"]), Decimal::new(7_286_250, 2));
    assert_eq!(amount(&res["total"]), Decimal::new(10_218_750 + 7_286_250, 2));
    assert_eq!(res["requirements"][0]["document"], "phytosanitary-cert");
    assert_eq!(res["requirements"][0]["presented"], false);
    let rates = res["exchange_rates"].as_array().unwrap();
    assert!(rates.iter().any(|r| r["from"] == "EUR") && rates.iter().any(|r| r["from"] == "USD"));
}

#[test]
fn certificate_of_origin_unlocks_the_cis_preference() {
    let dir = schedules();
    let res = run_json(&[
        "tariff",
        "calculate",
        "--jurisdiction",
        "EAEU",
        "--date",
        "2026-03-01",
        "--code",
        "1001990000",
        "--origin",
        "UZ",
        "--value",
        "1000.00",
        "--currency",
        "USD",
        "--quantity",
        "12.5",
        "--unit",
        "TNE",
        "--document",
        "origin-cert",
        "--schedules",
        &dir,
    ]);
    assert_eq!(res["applied"][0]["kind"], "preferential");
    assert_eq!(amount(&res["applied"][0]["amount"]), Decimal::ZERO);
}

#[test]
fn every_jurisdiction_covers_the_issue_products() {
    let dir = schedules();
    // (jurisdiction, copper line, solar line)
    for (jurisdiction, copper, solar) in [
        ("EAEU", "7403110000", "8541430000"),
        ("CN", "74031100", "85414300"),
        ("UZ", "7403110000", "8541430000"),
        ("TJ", "7403110000", "8541430000"),
        ("TM", "7403110000", "8541430000"),
    ] {
        for code in [copper, solar] {
            let res = run_json(&[
                "tariff",
                "calculate",
                "--jurisdiction",
                jurisdiction,
                "--date",
                "2026-06-30",
                "--code",
                code,
                "--origin",
                "KZ",
                "--value",
                "500",
                "--currency",
                "USD",
                "--schedules",
                &dir,
            ]);
            assert_eq!(res["illustrative"], true, "{jurisdiction} {code}");
            assert!(amount(&res["total"]) >= Decimal::ZERO);
        }
    }
}

#[test]
fn bad_input_names_the_flag() {
    let dir = schedules();
    let base = |extra: &[&str], code: &str, date: &str, value: &str| {
        let mut args = vec![
            "tariff",
            "calculate",
            "--jurisdiction",
            "EAEU",
            "--date",
            date,
            "--code",
            code,
            "--origin",
            "CN",
            "--value",
            value,
            "--currency",
            "USD",
            "--schedules",
            &dir,
        ];
        args.extend_from_slice(extra);
        run_err(&args)
    };
    assert!(base(&[], "9999999999", "2026-03-01", "10").contains("--code"));
    assert!(base(&[], "1001990000", "2020-03-01", "10").contains("--date"));
    assert!(base(&[], "1001990000", "2026-03-01", "-10").contains("--value"));
    assert!(base(&[], "1001990000", "2026-03-01", "ten").contains("--value"));
    let missing = base(&[], "1001990000", "2026-03-01", "10");
    assert!(missing.contains("--quantity") && missing.contains("KGM"), "{missing}");
    assert!(
        base(&["--quantity", "3", "--unit", "LTR"], "1001990000", "2026-03-01", "10")
            .contains("--unit")
    );
    assert!(
        base(&["--quantity", "3", "--unit", "XYZ"], "1001990000", "2026-03-01", "10")
            .contains("--unit")
    );
    // A line closed at the end of 2025.
    assert!(base(&[], "8703231981", "2026-03-01", "10").contains("--date"));
}

#[test]
fn import_uk_writes_a_schedule_the_engine_loads() {
    let tmp = tempfile::tempdir().unwrap();
    let schedule = tmp.path().join("UK.json");
    let fixture = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../caravan-tariff/tests/data/commodity_7202118000_duty_calculator_fixture.json");
    assert!(
        run(&[
            "tariff",
            "import-uk",
            "--input",
            fixture.to_str().unwrap(),
            "--version",
            "2026-01-01",
            "--output",
            schedule.to_str().unwrap(),
        ])
        .is_ok()
    );
    let res = run_json(&[
        "tariff",
        "calculate",
        "--jurisdiction",
        "UK",
        "--date",
        "2026-03-01",
        "--code",
        "7202118000",
        "--origin",
        "CN",
        "--value",
        "1000",
        "--currency",
        "GBP",
        "--schedules",
        tmp.path().to_str().unwrap(),
    ]);
    // Third-country duty 2.70 % and VAT 20 % on (1000 + 27).
    assert_eq!(res["illustrative"], false);
    assert_eq!(amount(&res["applied"][0]["amount"]), Decimal::new(2700, 2));
    let vat = res["applied"].as_array().unwrap().iter().find(|a| a["kind"] == "vat").unwrap();
    assert_eq!(amount(&vat["amount"]), Decimal::new(20_540, 2));
}
