//! The shipped schedules (`data/tariff/schedules`): the illustrative samples, and the real KZ and
//! KG schedules imported from the EAEU Common Customs Tariff.

use std::path::PathBuf;

use caravan_tariff::{Declaration, MeasureKind, Quantity, Tariff, Unit, calculate, parse_schedule};
use caravan_types::{CountryCode, CurrencyCode, Decimal, HsCode, Money};
use time::macros::date;

fn tariff() -> Tariff {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../data/tariff/schedules");
    let mut tariff = Tariff::new();
    for jurisdiction in std::fs::read_dir(&root).unwrap() {
        for file in std::fs::read_dir(jurisdiction.unwrap().path()).unwrap() {
            let path = file.unwrap().path();
            let text = std::fs::read_to_string(&path).unwrap();
            let schedule = parse_schedule(&text)
                .unwrap_or_else(|errors| panic!("{}: {errors:?}", path.display()));
            if ["KZ", "KG"].contains(&schedule.jurisdiction.as_str()) {
                assert!(!schedule.illustrative, "{}: imported from the ETT", path.display());
            } else {
                assert!(schedule.illustrative, "{} must be labelled illustrative", path.display());
                assert!(schedule.notice.contains("ILLUSTRATIVE"), "{}", path.display());
            }
            tariff.insert(schedule);
        }
    }
    tariff
}

fn declare(
    jurisdiction: &str,
    date: time::Date,
    code: &str,
    origin: &str,
    kg: Option<i64>,
    documents: &[&str],
) -> Declaration {
    Declaration {
        jurisdiction: jurisdiction.to_owned(),
        date,
        code: HsCode::parse(code).unwrap(),
        origin: CountryCode::parse(origin).unwrap(),
        customs_value: Money::new(Decimal::from(1000), CurrencyCode::parse("USD").unwrap()),
        quantity: kg
            .map(|kg| Quantity { amount: Decimal::from(kg), unit: Unit::parse("KGM").unwrap() }),
        documents: documents.iter().map(|d| (*d).to_owned()).collect(),
    }
}

#[test]
fn all_six_countries_are_covered() {
    let tariff = tariff();
    let jurisdictions: Vec<&str> = tariff.jurisdictions().collect();
    // KZ and KG apply the EAEU tariff (real, imported); EAEU is its illustrative sample.
    assert_eq!(jurisdictions, ["CN", "EAEU", "KG", "KZ", "TJ", "TM", "UZ"]);
    for jurisdiction in jurisdictions {
        let schedule = tariff.schedule_on(jurisdiction, date!(2026 - 06 - 01)).unwrap();
        assert!(schedule.lines.len() >= 30, "{jurisdiction}");
    }
}

#[test]
fn schedule_versions_follow_the_date() {
    let tariff = tariff();
    let car = |date| {
        let res =
            calculate(&tariff, &declare("EAEU", date, "8703231940", "CN", None, &[])).unwrap();
        res.applied
            .iter()
            .find(|a| a.kind == MeasureKind::Mfn)
            .unwrap()
            .expression
            .unwrap()
            .to_owned()
    };
    assert_eq!(car(date!(2025 - 06 - 01)), "17 %");
    assert_eq!(car(date!(2026 - 06 - 01)), "15 %");
}

#[test]
fn intra_eaeu_goods_pay_no_duty_but_vat() {
    let tariff = tariff();
    let res =
        calculate(&tariff, &declare("EAEU", date!(2026 - 06 - 01), "8544429007", "KZ", None, &[]))
            .unwrap();
    let duty = res
        .applied
        .iter()
        .find(|a| matches!(a.kind, MeasureKind::Mfn | MeasureKind::Preferential))
        .unwrap();
    assert_eq!(duty.kind, MeasureKind::Preferential);
    assert_eq!(duty.amount.amount, Decimal::ZERO);
    assert!(
        res.applied.iter().any(|a| a.kind == MeasureKind::Vat && a.amount.amount > Decimal::ZERO)
    );
}

#[test]
fn anti_dumping_prohibition_and_expired_measures() {
    let tariff = tariff();
    let pipes =
        calculate(&tariff, &declare("EAEU", date!(2026 - 06 - 01), "7306301909", "CN", None, &[]))
            .unwrap();
    assert!(pipes.applied.iter().any(|a| a.kind == MeasureKind::Additional));
    let pipes_tr =
        calculate(&tariff, &declare("EAEU", date!(2026 - 06 - 01), "7306301909", "TR", None, &[]))
            .unwrap();
    assert!(!pipes_tr.applied.iter().any(|a| a.kind == MeasureKind::Additional));
    let halons =
        calculate(&tariff, &declare("EAEU", date!(2026 - 06 - 01), "2903760000", "CN", None, &[]))
            .unwrap();
    assert_eq!(halons.prohibitions.len(), 1);
    let solar =
        calculate(&tariff, &declare("EAEU", date!(2026 - 06 - 01), "8541430000", "CN", None, &[]))
            .unwrap();
    assert!(solar.not_applied.iter().any(|n| n.measure_id == "eaeu-mfn-zero-solar-2022"
        && n.reason.to_string().contains("not in force")));
}

#[test]
fn vodka_compound_duty_and_excise_per_litre_of_pure_alcohol() {
    let tariff = tariff();
    let mut decl = declare("EAEU", date!(2026 - 06 - 01), "2208601100", "RU", None, &[]);
    decl.quantity =
        Some(Quantity { amount: Decimal::from(100), unit: Unit::parse("LTR").unwrap() });
    // The excise is per litre of pure alcohol: a quantity in litres cannot be converted.
    let err = calculate(&tariff, &decl).unwrap_err();
    assert_eq!(err.field(), "unit");
}

#[test]
fn footwear_minimum_per_pair() {
    let tariff = tariff();
    let mut decl = declare("EAEU", date!(2026 - 06 - 01), "6403993100", "CN", None, &[]);
    decl.quantity =
        Some(Quantity { amount: Decimal::from(1000), unit: Unit::parse("PR").unwrap() });
    let res = calculate(&tariff, &decl).unwrap();
    let mfn = res.applied.iter().find(|a| a.kind == MeasureKind::Mfn).unwrap();
    // max(10 % of 505000 KZT, 1.5 EUR × 1000 pairs × 545) = 817500
    assert_eq!(mfn.amount.amount, Decimal::from(817_500));
}

#[test]
fn result_serialises_with_the_contract_keys() {
    let tariff = tariff();
    let res = calculate(
        &tariff,
        &declare("CN", date!(2026 - 06 - 01), "74031100", "KZ", None, &["origin-cert"]),
    )
    .unwrap();
    let json = serde_json::to_value(&res).unwrap();
    for key in [
        "illustrative",
        "provenance",
        "notice",
        "applied",
        "not_applied",
        "total",
        "exchange_rates",
        "customs_value",
        "requirements",
    ] {
        assert!(json.get(key).is_some(), "missing {key}");
    }
    assert_eq!(json["applied"][0]["legal_basis"].as_str().map(str::is_empty), Some(false));
    assert_eq!(json["provenance"], "illustrative");
    assert_eq!(json["applied"][0]["provenance"], "illustrative");
}

/// Issue 18: the HS 6 averages of the real KZ schedule take the ad valorem part of compound
/// duties and leave out duties charged per unit only, as WITS/TRAINS applied averages do.
#[test]
fn issue_18_kz_hs6_averages_take_ad_valorem_parts_only() {
    let tariff = tariff();
    let kz = tariff.schedule_on("KZ", date!(2026 - 03 - 02)).unwrap();
    let averages = caravan_tariff::hs6_ad_valorem_averages(kz, date!(2026 - 03 - 02));
    let find = |code: &str| averages.iter().find(|a| a.hs6.as_str() == code).unwrap();
    assert_eq!(averages.iter().map(|a| a.lines).sum::<usize>(), kz.lines.len());
    // 7214 10: rebar, one line at 10 %.
    let rebar = find("721410");
    assert_eq!((rebar.lines, rebar.average_percent), (1, Some(Decimal::new(10, 0))));
    // 0207 11 (whole chickens): "25 %, but not less than 0.2 EUR/kg" in quota and "80 %, but
    // not less than 0.7 EUR/kg" out of it, three lines each: the ad valorem parts average 52.5.
    let chickens = find("020711");
    assert_eq!((chickens.lines, chickens.ad_valorem_lines), (6, 6));
    assert_eq!(chickens.average_percent, Some(Decimal::new(525, 1)));
    // 1701 12 (raw beet sugar) is charged per tonne only: no average.
    let sugar = find("170112");
    assert_eq!((sugar.specific_only_lines, sugar.average_percent), (sugar.lines, None));
}
