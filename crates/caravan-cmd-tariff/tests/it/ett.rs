//! `caravan tariff import-ett` and calculations on the real KZ and KG schedules (issue 18).

use super::*;

fn bundle() -> String {
    data_dir()
        .join("sources/eaeu-ett-2026/eec_ett_normative_bundle.json")
        .to_str()
        .unwrap()
        .to_owned()
}

#[test]
fn import_ett_reproduces_the_shipped_schedules_and_reports_every_cleaning() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().to_str().unwrap().to_owned();
    run(&["tariff", "import-ett", &bundle(), "--out", &out]).unwrap();
    let report: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(tmp.path().join("ett-cleaning-report.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(report["rows_read"], 13_319);
    assert_eq!(report["lines_imported"], 13_290);
    assert_eq!(report["rows_cleaned"], 12);
    assert_eq!(report["rows_dropped"], 29);
    assert_eq!(report["rows_refused"], 0);
    assert_eq!(report["remedies_imported"], 27);
    assert_eq!(report["remedies_refused"].as_array().unwrap().len(), 4);
    // Reproducible: byte for byte what ships in data/tariff.
    for jurisdiction in ["KZ", "KG"] {
        let file = format!("schedules/{jurisdiction}/2026-01-01.json");
        let made = std::fs::read_to_string(tmp.path().join(&file)).unwrap();
        let shipped = std::fs::read_to_string(data_dir().join(&file)).unwrap();
        assert!(made == shipped, "{file} differs from a fresh import: run import-ett again");
    }
    let shipped_report =
        std::fs::read_to_string(data_dir().join("ett-cleaning-report.json")).unwrap();
    let made_report = std::fs::read_to_string(tmp.path().join("ett-cleaning-report.json")).unwrap();
    assert!(made_report == shipped_report, "the shipped cleaning report is stale");
}

fn rates_file(dir: &tempfile::TempDir, text: &str) -> String {
    let path = dir.path().join("rates.csv");
    std::fs::write(&path, text).unwrap();
    path.to_str().unwrap().to_owned()
}

fn kz(extra: &[&str]) -> Vec<String> {
    let dir = data_dir().to_str().unwrap().to_owned();
    let mut args: Vec<String> = [
        "tariff",
        "calculate",
        "--jurisdiction",
        "KZ",
        "--date",
        "2026-03-02",
        "--origin",
        "CN",
        "--currency",
        "KZT",
        "--schedules",
        &dir,
    ]
    .iter()
    .map(|s| (*s).to_owned())
    .collect();
    args.extend(extra.iter().map(|s| (*s).to_owned()));
    args
}

#[test]
fn kz_compound_rate_converts_eur_at_the_rate_of_the_day_and_says_its_source() {
    let tmp = tempfile::tempdir().unwrap();
    let rates = rates_file(
        &tmp,
        "date,from,to,rate,source\n2026-03-01,EUR,KZT,540.00,National Bank of Kazakhstan\n2026-03-02,EUR,KZT,545.12,National Bank of Kazakhstan\n",
    );
    // Poultry cuts 0207131001: "25%, но не менее 0.2 EUR за 1 кг". 100 kg worth 10,000 KZT pay
    // the minimum, 0.2 EUR * 100 * 545.12 = 10,902.40 KZT (25 % would be 2,500).
    let args = kz(&[
        "--code",
        "0207131001",
        "--value",
        "10000",
        "--quantity",
        "100",
        "--unit",
        "KGM",
        "--rates",
        &rates,
    ]);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let res = run_json(&args);
    assert_eq!(res["provenance"], "real");
    assert_eq!(res["illustrative"], false);
    let mfn = &res["applied"][0];
    assert_eq!(mfn["provenance"], "real");
    assert!(mfn["legal_basis"].as_str().unwrap().contains("ett:2026-06-18"));
    assert_eq!(mfn["amount"]["amount"], "10902.40");
    assert_eq!(mfn["amount"]["currency"], "KZT");
    assert_eq!(res["exchange_rates"][0]["rate"], "545.12");
    assert_eq!(res["exchange_rates"][0]["valid_from"], "2026-03-02");
    assert_eq!(res["exchange_rates"][0]["source"], "National Bank of Kazakhstan");
    let vat = res["applied"].as_array().unwrap().iter().find(|a| a["kind"] == "vat").unwrap();
    assert_eq!(vat["expression"], "16 %");
}

#[test]
fn kz_refusals_name_the_flag_and_what_to_supply() {
    let tmp = tempfile::tempdir().unwrap();
    let stale = rates_file(&tmp, "date,from,to,rate,source\n2026-02-27,EUR,KZT,540.00,NBK\n");
    let err = |extra: &[&str]| {
        let args = kz(extra);
        run_err(&args.iter().map(String::as_str).collect::<Vec<_>>())
    };
    let e = err(&["--code", "0207131001", "--value", "10", "--quantity", "1", "--unit", "KGM"]);
    assert!(e.contains("--currency") && e.contains("--rates"), "{e}");
    let e = err(&[
        "--code",
        "0207131001",
        "--value",
        "10",
        "--quantity",
        "1",
        "--unit",
        "KGM",
        "--rates",
        &stale,
    ]);
    assert!(e.contains("--rates") && e.contains("2026-03-02,EUR,KZT"), "{e}");
    let e = err(&["--code", "0207131001", "--value", "10"]);
    assert!(e.contains("--quantity") && e.contains("KGM"), "{e}");
    let e = err(&["--code", "0101210001", "--value", "10"]);
    assert!(e.contains("--code"), "{e}");
    let bad = rates_file(&tmp, "day,from,to,rate,source\n");
    let e = err(&["--code", "0101210000", "--value", "10", "--rates", &bad]);
    assert!(e.contains("date,from,to,rate,source"), "{e}");
}
