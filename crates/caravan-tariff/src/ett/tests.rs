//! Tests of the ETT importer: every distinct rate string of the 2026 bundle, the cleaning rules
//! on the bundle itself, and the rate forms computed exactly.

use caravan_types::{CountryCode, CurrencyCode, Decimal, HsCode, Money};
use time::macros::date;

use super::*;
use crate::{
    Declaration, DutyError, Quantity, RateRow, Schedule, Tariff, Unit, calculate_with_rates,
};

const BUNDLE: &str =
    include_str!("../../../../data/tariff/sources/eaeu-ett-2026/eec_ett_normative_bundle.json");
const ANTI_DUMPING: &str =
    include_str!("../../../../data/tariff/sources/eaeu-ett-2026/eec_anti_dumping.json");
const COUNTERVAILING: &str =
    include_str!("../../../../data/tariff/sources/eaeu-ett-2026/eec_countervailing.json");
const SAFEGUARD: &str =
    include_str!("../../../../data/tariff/sources/eaeu-ett-2026/eec_special_safeguard.json");

/// Every distinct rate string of the bundle with the expression it must read as, written by an
/// independent reader (a Python script of regular expressions, kept with the file's header-less
/// rows: `TEXT<TAB>EXPRESSION`, or `cleaned EXPRESSION` for a bare number read as a percentage).
const RATE_STRINGS: &str = include_str!("../../tests/data/ett/rate-strings.tsv");

#[track_caller]
fn check(text: &str, expect: &str) {
    let res = parse_ett_rate(text);
    match expect.strip_prefix("cleaned ") {
        Some(expression) => {
            let rate = res.unwrap_or_else(|err| panic!("{text:?}: {err}"));
            assert_eq!(rate.expression, expression, "{text:?}");
            assert!(rate.cleaned.is_some(), "{text:?} must be reported as cleaned");
        }
        None if expect == "refused" => assert!(res.is_err(), "{text:?} must be refused"),
        None => {
            let rate = res.unwrap_or_else(|err| panic!("{text:?}: {err}"));
            assert_eq!(rate.expression, expect, "{text:?}");
            assert_eq!(rate.cleaned, None, "{text:?}");
        }
    }
}

#[test]
fn every_distinct_rate_string_of_the_bundle_reads_as_intended() {
    let mut n_strings = 0;
    for row in RATE_STRINGS.lines() {
        let (text, expect) = row.split_once('\t').expect("TEXT<TAB>EXPECTED");
        check(text, expect);
        n_strings += 1;
    }
    assert_eq!(n_strings, 263);
    // The list is the bundle's own: no string of the bundle is missing from it.
    let import = import_ett(BUNDLE).unwrap();
    let listed: std::collections::BTreeSet<&str> =
        RATE_STRINGS.lines().filter_map(|row| row.split_once('\t')).map(|(t, _)| t).collect();
    for line in &import.lines {
        assert!(listed.contains(line.rate_text.as_str()), "{:?} not listed", line.rate_text);
    }
}

#[test]
fn unknown_forms_are_refused_with_a_reason() {
    for (text, reason) in [
        ("", "empty"),
        ("5 руб за 1 кг", "currency"),
        ("0.5 EUR за 1 бочка", "unit"),
        ("10%, но не более 1 EUR за 1 кг", "not a decimal"),
        ("abc", "not a decimal"),
        ("-5%", "not a decimal"),
    ] {
        let err = parse_ett_rate(text).unwrap_err();
        assert!(err.contains(reason), "{text:?}: {err}");
    }
}

#[test]
fn the_bundle_is_cleaned_and_every_cleaning_is_reported() {
    let import = import_ett(BUNDLE).unwrap();
    assert_eq!(import.revision, "ett:2026-06-18");
    assert_eq!(import.effective_from, date!(2026 - 01 - 01));
    assert_eq!(import.rows_read, 13_319);
    // 13,292 distinct codes, of which 2 are test codes.
    assert_eq!(import.lines.len(), 13_290);
    let count =
        |action: CleaningAction| import.report.iter().filter(|c| c.action == action).count();
    // Test codes 6666 and 7777.
    let dropped_codes: Vec<&str> = import
        .report
        .iter()
        .filter(|c| c.reason.starts_with("not a ten-digit"))
        .map(|c| c.code.as_str())
        .collect();
    assert_eq!(dropped_codes, ["6666", "7777"]);
    // 23 codes given twice or more: 27 extra rows dropped, the canonical rate kept.
    assert_eq!(count(CleaningAction::Dropped), 2 + 27);
    let kept = |code: &str| {
        import.lines.iter().find(|l| l.code.to_string() == code).map(|l| l.expression.as_str())
    };
    assert_eq!(kept("2707501000"), Some("5 %"));
    assert_eq!(kept("2901100001"), Some("3 %"));
    assert_eq!(kept("8511100001"), Some("5 %"));
    assert_eq!(kept("3215190000"), Some("0 %"));
    // 12 single bare numbers read as percentages.
    assert_eq!(count(CleaningAction::Cleaned), 12);
    assert_eq!(kept("7214100000"), Some("10 %"));
    assert_eq!(count(CleaningAction::Refused), 0);
}

fn kz_tariff(import: &EttImport) -> Tariff {
    let remedies = import_remedies(&[
        (RemedyKind::AntiDumping, ANTI_DUMPING),
        (RemedyKind::Countervailing, COUNTERVAILING),
        (RemedyKind::Safeguard, SAFEGUARD),
    ])
    .unwrap();
    let mut tariff = Tariff::new();
    tariff.insert(Schedule::compile(member_schedule(import, &KAZAKHSTAN, &remedies)).unwrap());
    tariff
}

fn eur_rate(day: time::Date, rate: &str) -> RateRow {
    RateRow {
        to: CurrencyCode::parse("KZT").unwrap(),
        rate: crate::ExchangeRate {
            currency: CurrencyCode::parse("EUR").unwrap(),
            rate: rate.parse().unwrap(),
            valid_from: day,
            source: "test rate".to_owned(),
        },
    }
}

fn declaration(
    code: &str,
    origin: &str,
    value: &str,
    quantity: Option<(&str, &str)>,
) -> Declaration {
    Declaration {
        jurisdiction: "KZ".to_owned(),
        date: date!(2026 - 03 - 02),
        code: HsCode::parse(code).unwrap(),
        origin: CountryCode::parse(origin).unwrap(),
        customs_value: Money::new(value.parse().unwrap(), CurrencyCode::parse("KZT").unwrap()),
        quantity: quantity.map(|(amount, unit)| Quantity {
            amount: amount.parse().unwrap(),
            unit: Unit::parse(unit).unwrap(),
        }),
        documents: Vec::new(),
    }
}

fn duty_of(tariff: &Tariff, rates: &[RateRow], decl: &Declaration) -> Result<Decimal, DutyError> {
    let res = calculate_with_rates(tariff, decl, rates)?;
    Ok(res.applied.iter().find(|a| a.kind == crate::MeasureKind::Mfn).unwrap().amount.amount)
}

#[test]
fn every_rate_form_is_computed_exactly() {
    let import = import_ett(BUNDLE).unwrap();
    let tariff = kz_tariff(&import);
    let rates = [eur_rate(date!(2026 - 03 - 02), "545.12")];
    let find = |form: &str| {
        import.lines.iter().find(|l| l.rate_text == form).map(|l| l.code.to_string()).unwrap()
    };
    let duty = |code: &str, value: &str, q: Option<(&str, &str)>| {
        duty_of(&tariff, &rates, &declaration(code, "CN", value, q)).unwrap().to_string()
    };
    // Ad valorem: 5 % of 1,000,000.00 KZT.
    assert_eq!(duty(&find("5%"), "1000000", None), "50000.00");
    // "25 %, but not less than 0.2 EUR per kg": 100 kg worth 10,000 KZT pay the specific
    // minimum 0.2 * 100 * 545.12 = 10,902.40 (25 % would be 2,500).
    let compound = find("25%, но не менее 0.2 EUR за 1 кг");
    assert_eq!(duty(&compound, "10000", Some(("100", "KGM"))), "10902.40");
    // The same goods worth 100,000 KZT pay 25 %: 25,000.
    assert_eq!(duty(&compound, "100000", Some(("100", "KGM"))), "25000.00");
    // A quantity in tonnes converts exactly: 0.1 t = 100 kg.
    assert_eq!(duty(&compound, "10000", Some(("0.1", "TNE"))), "10902.40");
    // "10 % plus 0.08 EUR per kg": 10 % of 50,000 + 0.08 * 10 * 545.12 = 5,000 + 436.096.
    assert_eq!(duty(&find("10% плюс 0.08 EUR за 1 кг"), "50000", Some(("10", "KGM"))), "5436.10");
    // Per litre, and from cubic metres: 2 m³ = 2,000 l at 1.5 EUR.
    assert_eq!(duty(&find("1.5 EUR за 1 л"), "1", Some(("2", "MTQ"))), "1635360.00");
    // Per pair, per m², per piece, per 1,000 pieces (5,000 pieces = 5 thousand).
    assert_eq!(duty(&find("1.25 EUR за 1 пар"), "1", Some(("4", "PR"))), "2725.60");
    assert_eq!(duty(&find("0.38 EUR за 1 м2"), "1", Some(("10", "MTK"))), "2071.46");
    assert_eq!(duty(&find("2.86 EUR за 1 шт"), "1", Some(("3", "NAR"))), "4677.13");
    assert_eq!(duty(&find("2 EUR за 1 1000 шт"), "1", Some(("5000", "NAR"))), "5451.20");
    // Per cm³ of engine capacity: a 1,600 cm³ car at 1 EUR/cm³.
    assert_eq!(duty(&find("1 EUR за 1 см3, мл"), "1", Some(("1600", "CMQ"))), "872192.00");
    // Per tonne in USD needs a USD rate: refused, naming the currency.
    let usd = find("250 USD за 1 т");
    let err = duty_of(&tariff, &rates, &declaration(&usd, "CN", "1", Some(("1", "TNE"))));
    assert!(matches!(err, Err(DutyError::NoExchangeRate { .. })), "{err:?}");
}

#[test]
fn refusals_name_the_field_and_what_to_supply() {
    let import = import_ett(BUNDLE).unwrap();
    let tariff = kz_tariff(&import);
    let compound = import
        .lines
        .iter()
        .find(|l| l.rate_text == "1 EUR за 1 см3, мл")
        .map(|l| l.code.to_string())
        .unwrap();
    let rates = [eur_rate(date!(2026 - 03 - 02), "545.12")];
    // No quantity for a specific rate.
    let err = duty_of(&tariff, &rates, &declaration(&compound, "JP", "1", None)).unwrap_err();
    assert_eq!(err.field(), "quantity");
    assert!(err.to_string().contains("CMQ"), "{err}");
    // Engine capacity given in litres: not convertible, the unit named.
    let err = duty_of(&tariff, &rates, &declaration(&compound, "JP", "1", Some(("1.6", "LTR"))))
        .unwrap_err();
    assert_eq!(err.field(), "unit");
    assert!(err.to_string().contains("CMQ"), "{err}");
    // A rates file without the day's rate.
    let old = [eur_rate(date!(2026 - 03 - 01), "545.12")];
    let err = duty_of(&tariff, &old, &declaration(&compound, "JP", "1", Some(("1600", "CMQ"))))
        .unwrap_err();
    assert_eq!(err.field(), "rates");
    assert!(err.to_string().contains("2026-03-02,EUR,KZT"), "{err}");
    // A date before the schedule.
    let mut early = declaration(&compound, "JP", "1", Some(("1600", "CMQ")));
    early.date = date!(2025 - 12 - 31);
    assert_eq!(duty_of(&tariff, &rates, &early).unwrap_err().field(), "date");
    // An unknown code.
    let err = duty_of(&tariff, &rates, &declaration("0101210001", "JP", "1", None)).unwrap_err();
    assert_eq!(err.field(), "code");
}

#[test]
fn remedies_apply_by_origin_and_heading_and_say_when_the_end_is_unknown() {
    let import = import_ett(BUNDLE).unwrap();
    let tariff = kz_tariff(&import);
    // Hot-rolled rebar of Chinese origin: 10 % (bare "10" in the bundle, cleaned) + 19.9 % anti-dumping.
    let rebar = declaration("7214100000", "CN", "100000", None);
    let res = calculate_with_rates(&tariff, &rebar, &[]).unwrap();
    let remedy = res.applied.iter().find(|a| a.measure_id == "eaeu-ad-7214-cn").unwrap();
    assert_eq!(remedy.amount.amount.to_string(), "19900.00");
    assert!(remedy.legal_basis.contains("Решение Коллегии ЕЭК № 66"), "{}", remedy.legal_basis);
    assert!(remedy.legal_basis.contains("END DATE UNKNOWN"), "{}", remedy.legal_basis);
    assert_eq!(res.provenance, crate::Provenance::Real);
    // VAT 16 % on value + duties: (100,000 + 10,000 + 19,900) * 16 %.
    let vat = res.applied.iter().find(|a| a.kind == crate::MeasureKind::Vat).unwrap();
    assert_eq!(vat.amount.amount.to_string(), "20784.00");
    // Of Japanese origin no anti-dumping duty applies; it is listed as not applied.
    let japan = declaration("7214100000", "JP", "100000", None);
    let res = calculate_with_rates(&tariff, &japan, &[]).unwrap();
    assert!(res.applied.iter().all(|a| a.kind != crate::MeasureKind::Additional));
    assert!(res.not_applied.iter().any(|n| n.measure_id == "eaeu-ad-7214-cn"));
}

#[test]
fn overlapping_remedies_are_refused_not_stacked() {
    let remedies = import_remedies(&[(RemedyKind::AntiDumping, ANTI_DUMPING)]).unwrap();
    // 7304 CN (two acts), 7306 CN and 730640 CN, 7219 CN / 7220 are distinct headings.
    let refused: Vec<&str> = remedies.report.iter().map(|c| c.code.as_str()).collect();
    assert_eq!(refused, ["7304", "7306", "7304", "730640"]);
    assert_eq!(remedies.measures.len(), 26 - 4);
}

#[test]
fn the_member_schedules_differ_in_currency_and_vat_only() {
    let import = import_ett(BUNDLE).unwrap();
    let none = Remedies::default();
    let kz = member_schedule(&import, &KAZAKHSTAN, &none);
    let kg = member_schedule(&import, &KYRGYZSTAN, &none);
    assert_eq!(kz.currency.as_str(), "KZT");
    assert_eq!(kg.currency.as_str(), "KGS");
    assert_eq!(kz.lines.len(), kg.lines.len());
    let vat = |s: &crate::ScheduleFile| {
        s.measures.iter().find(|m| m.kind == crate::MeasureKind::Vat).unwrap().duty.clone()
    };
    assert_eq!(vat(&kz).as_deref(), Some("16 %"));
    assert_eq!(vat(&kg).as_deref(), Some("12 %"));
}
