//! Unit tests: duty expressions, unit conversion, schedule validation and the calculation laws.

use caravan_types::{CountryCode, CurrencyCode, Decimal, HsCode, Money};
use proptest::prelude::*;
use time::macros::date;

use crate::{
    Declaration, DutyError, DutyExpr, EvalError, MeasureKind, Quantity, Schedule, Tariff, Unit,
    calculate, parse_schedule,
};

fn dec(text: &str) -> Decimal {
    text.parse().unwrap()
}

fn eur() -> CurrencyCode {
    CurrencyCode::parse("EUR").unwrap()
}

/// Converts EUR at 2 units of the accounting currency; the accounting currency itself at 1.
fn convert(currency: CurrencyCode, amount: Decimal) -> Option<Decimal> {
    match currency.as_str() {
        "EUR" => Some(amount * dec("2")),
        "XAC" => Some(amount),
        _ => None,
    }
}

#[track_caller]
fn check_eval(expr: &str, base: &str, quantity: Option<(&str, &str)>, expect: &str) {
    let expr = DutyExpr::parse(expr).unwrap();
    let quantity = quantity
        .map(|(amount, unit)| Quantity { amount: dec(amount), unit: Unit::parse(unit).unwrap() });
    let got = expr.evaluate(dec(base), quantity.as_ref(), &convert).unwrap();
    assert_eq!(got, dec(expect), "{expr} on base {base}");
}

#[test]
fn ad_valorem_is_rate_percent_of_base() {
    check_eval("5 %", "1000", None, "50");
    check_eval("6.5%", "200", None, "13");
}

#[test]
fn specific_duty_converts_units_and_currency() {
    // 0.15 EUR/KGM on 2 tonnes = 2000 kg * 0.15 EUR * 2 = 600
    check_eval("0.15 EUR/KGM", "1", Some(("2", "TNE")), "600");
    // 1 EUR/LTR on 3 hectolitres = 300 l * 1 * 2 = 600
    check_eval("1 EUR/LTR", "1", Some(("3", "HLT")), "600");
}

#[test]
fn eaeu_minimum_form_takes_the_greater() {
    // 10 % of 1000 = 100; 0.5 EUR/KGM on 50 kg = 25 EUR = 50 -> 100
    check_eval("10 % but not less than 0.5 EUR/KGM", "1000", Some(("50", "KGM")), "100");
    // on 500 kg: 250 EUR = 500 > 100
    check_eval("10 % but not less than 0.5 EUR/KGM", "1000", Some(("500", "KGM")), "500");
}

#[test]
fn compound_and_max_min() {
    check_eval("10 % + 1 EUR/KGM", "100", Some(("5", "KGM")), "20");
    check_eval("min(20 %, 1 EUR/KGM)", "100", Some(("5", "KGM")), "10");
    check_eval("max(1 EUR/LTR, 10 % + 0.5 EUR/LTR)", "1000", Some(("10", "LTR")), "110");
    check_eval("10 % but not more than 3 XAC/NAR", "1000", Some(("2", "DZN")), "72");
}

#[test]
fn parse_rejects_malformed_expressions() {
    for bad in [
        "",
        "5",
        "% 5",
        "5 EUR",
        "5 EUR/XYZ",
        "max(5 %",
        "5 % but less than 1 %",
        "-5 %",
        "5 % 6 %",
    ] {
        assert!(DutyExpr::parse(bad).is_err(), "{bad:?} should not parse");
    }
}

#[test]
fn display_round_trips_through_parse() {
    for text in
        ["5 %", "0.15 EUR/KGM", "10 % + 2 EUR/HLT", "max(10 %, 0.5 EUR/KGM)", "min(1 %, 2 USD/PR)"]
    {
        let expr = DutyExpr::parse(text).unwrap();
        assert_eq!(DutyExpr::parse(&expr.to_string()).unwrap(), expr, "{text}");
    }
}

#[test]
fn specific_duty_without_quantity_names_the_unit() {
    let expr = DutyExpr::parse("0.5 EUR/KGM").unwrap();
    let err = expr.evaluate(dec("100"), None, &convert).unwrap_err();
    assert_eq!(err, EvalError::MissingQuantity { unit: Unit::parse("KGM").unwrap() });
    let litres = Quantity { amount: dec("1"), unit: Unit::parse("LTR").unwrap() };
    let err = expr.evaluate(dec("100"), Some(&litres), &convert).unwrap_err();
    assert!(matches!(err, EvalError::IncompatibleUnit { .. }), "{err:?}");
}

#[test]
fn units_convert_within_a_dimension_only() {
    let tonne = Unit::parse("tne").unwrap();
    let kg = Unit::parse("KGM").unwrap();
    assert_eq!(tonne.convert(dec("1.5"), kg), Some(dec("1500")));
    assert_eq!(kg.convert(dec("1500"), tonne), Some(dec("1.5")));
    assert_eq!(
        Unit::parse("HLT").unwrap().convert(dec("1"), Unit::parse("LTR").unwrap()),
        Some(dec("100"))
    );
    assert_eq!(Unit::parse("PR").unwrap().convert(dec("1"), Unit::parse("NAR").unwrap()), None);
    assert!(Unit::parse("furlong").is_err());
}

/// A tiny schedule in KZT with EUR at 500 and USD at 450 KZT; `mfn` is the wheat line's
/// third-country duty, `extra_measures` more measures appended to the list.
fn schedule_json(mfn: &str, extra_measures: &str) -> String {
    format!(
        r#"{{
  "format": "caravan-tariff-schedule/1", "jurisdiction": "T", "title": "test", "version": "2026-01-01",
  "valid_from": "2026-01-01", "illustrative": true, "currency": "KZT", "nomenclature": "test",
  "origin_groups": {{"FTA": ["UZ", "TJ"]}},
  "exchange_rates": [{{"currency": "EUR", "rate": "500", "valid_from": "2026-01-01", "source": "test"}},
                     {{"currency": "USD", "rate": "450", "valid_from": "2026-01-01", "source": "test"}}],
  "lines": [{{"code": "1001990000", "description": "wheat", "valid_from": "2022-01-01"}}],
  "measures": [
    {{"id": "mfn", "kind": "mfn", "applies_to": "1001990000", "origin": "ERGA_OMNES", "duty": "{mfn}",
      "valid_from": "2026-01-01", "legal_reference": "test tariff"}},
    {{"id": "pref", "kind": "preferential", "applies_to": "1001", "origin": "FTA", "duty": "0 %",
      "document": "origin-cert", "valid_from": "2026-01-01", "legal_reference": "test FTA"}},
    {{"id": "vat", "kind": "vat", "applies_to": "10", "origin": "ERGA_OMNES", "duty": "12 %",
      "valid_from": "2026-01-01", "legal_reference": "test VAT"}}{extra_measures}
  ]
}}"#
    )
}

fn tariff_of(json: &str) -> Tariff {
    let mut tariff = Tariff::new();
    tariff.insert(parse_schedule(json).unwrap());
    tariff
}

fn declaration(value: Decimal, origin: &str, kg: Option<&str>, documents: &[&str]) -> Declaration {
    Declaration {
        jurisdiction: "T".to_owned(),
        date: date!(2026 - 03 - 01),
        code: HsCode::parse("1001990000").unwrap(),
        origin: CountryCode::parse(origin).unwrap(),
        customs_value: Money::new(value, CurrencyCode::parse("USD").unwrap()),
        quantity: kg.map(|kg| Quantity { amount: dec(kg), unit: Unit::parse("KGM").unwrap() }),
        documents: documents.iter().map(|d| (*d).to_owned()).collect(),
    }
}

#[test]
fn schedule_validation_reports_every_problem() {
    let json = schedule_json(
        "5 EUR",
        r#", {"id": "mfn", "kind": "vat", "applies_to": "10", "origin": "NOWHERE",
        "duty": "5 EUR/KGM", "valid_from": "2026-01-01", "legal_reference": " "}"#,
    );
    let errors = parse_schedule(&json).unwrap_err();
    let paths: Vec<&str> = errors.iter().map(|e| e.path.as_str()).collect();
    for expected in [
        "measures[0].duty",
        "measures[3].id",
        "measures[3].origin",
        "measures[3].duty",
        "measures[3].legal_reference",
    ] {
        assert!(paths.contains(&expected), "missing {expected} in {paths:?}");
    }
}

#[test]
fn preference_needs_proof_of_origin() {
    let tariff = tariff_of(&schedule_json("5 %", ""));
    let without = calculate(&tariff, &declaration(dec("1000"), "UZ", None, &[])).unwrap();
    // 1000 USD * 450 = 450000 KZT; MFN 5 % = 22500
    assert_eq!(without.applied[0].measure_id, "mfn");
    assert_eq!(without.applied[0].amount.amount, dec("22500"));
    let reason =
        without.not_applied.iter().find(|n| n.measure_id == "pref").unwrap().reason.to_string();
    assert!(reason.contains("no proof of origin"), "{reason}");
    let with = calculate(&tariff, &declaration(dec("1000"), "UZ", None, &["origin-cert"])).unwrap();
    assert_eq!(with.applied[0].measure_id, "pref");
    assert_eq!(with.applied[0].amount.amount, Decimal::ZERO);
    assert!(
        with.not_applied
            .iter()
            .any(|n| n.measure_id == "mfn" && n.reason.to_string().contains("higher"))
    );
    // A country outside the group gets the reason "not in the measure's origin area".
    let cn = calculate(&tariff, &declaration(dec("1000"), "CN", None, &["origin-cert"])).unwrap();
    assert!(
        cn.not_applied
            .iter()
            .any(|n| n.measure_id == "pref" && n.reason.to_string().contains("origin area"))
    );
}

#[test]
fn vat_is_taken_on_value_plus_duty() {
    let tariff = tariff_of(&schedule_json("5 %", ""));
    let res = calculate(&tariff, &declaration(dec("1000"), "CN", None, &[])).unwrap();
    let vat = res.applied.iter().find(|a| a.kind == MeasureKind::Vat).unwrap();
    assert_eq!(res.vat_base.amount, dec("472500"));
    assert_eq!(vat.amount.amount, dec("56700"));
    assert_eq!(res.total.amount, dec("79200"));
    assert_eq!(res.exchange_rates.len(), 1);
}

#[test]
fn bad_declarations_name_the_field() {
    let tariff = tariff_of(&schedule_json("5 % but not less than 0.01 EUR/KGM", ""));
    let field = |decl: &Declaration| calculate(&tariff, decl).unwrap_err().field();
    assert_eq!(field(&declaration(dec("-1"), "CN", Some("1"), &[])), "value");
    assert_eq!(field(&declaration(dec("0"), "CN", Some("1"), &[])), "value");
    assert_eq!(field(&declaration(Decimal::MAX, "CN", Some("1"), &[])), "value");
    assert_eq!(
        field(&declaration(dec("10"), "CN", Some("79228162514264337593543950335"), &[])),
        "quantity"
    );
    assert_eq!(field(&declaration(dec("10"), "CN", Some("-1"), &[])), "quantity");
    assert_eq!(field(&declaration(dec("10"), "CN", None, &[])), "quantity");
    let mut late = declaration(dec("10"), "CN", Some("1"), &[]);
    late.date = date!(2025 - 01 - 01);
    assert_eq!(field(&late), "date");
    let mut unknown = declaration(dec("10"), "CN", Some("1"), &[]);
    unknown.code = HsCode::parse("1001190000").unwrap();
    assert!(matches!(calculate(&tariff, &unknown), Err(DutyError::UnknownCode { .. })));
    let mut elsewhere = declaration(dec("10"), "CN", Some("1"), &[]);
    elsewhere.jurisdiction = "XX".to_owned();
    assert_eq!(field(&elsewhere), "jurisdiction");
}

fn compile(json: &str) -> Schedule {
    parse_schedule(json).unwrap()
}

proptest! {
    /// Law: an ad valorem duty never decreases when the customs value grows.
    #[test]
    fn ad_valorem_is_monotone_in_value(rate in 0u32..5000, a in 1u64..10_000_000_000, b in 1u64..10_000_000_000) {
        let (low, high) = if a <= b { (a, b) } else { (b, a) };
        let expr = DutyExpr::AdValorem(Decimal::new(i64::from(rate), 2));
        let duty = |cents: u64| expr.evaluate(Decimal::new(cents as i64, 2), None, &convert).unwrap();
        prop_assert!(duty(low) <= duty(high));
    }

    /// Law: "X % but not less than Y per kg" never charges less than Y per kg, nor less than X %.
    #[test]
    fn minimum_is_respected(rate in 0u32..3000, min_cents in 0u32..500, value in 1u64..1_000_000_000, grams in 0u64..100_000_000) {
        let text = format!("{} % but not less than {} EUR/KGM", Decimal::new(i64::from(rate), 2), Decimal::new(i64::from(min_cents), 2));
        let expr = DutyExpr::parse(&text).unwrap();
        let base = Decimal::new(value as i64, 2);
        let quantity = Quantity { amount: Decimal::new(grams as i64, 3), unit: Unit::parse("KGM").unwrap() };
        let duty = expr.evaluate(base, Some(&quantity), &convert).unwrap();
        let minimum = Decimal::new(i64::from(min_cents), 2) * dec("2") * quantity.amount;
        prop_assert!(duty >= minimum);
        prop_assert!(duty >= base * Decimal::new(i64::from(rate), 2) / Decimal::ONE_HUNDRED);
    }

    /// Law: the VAT base is customs value + every duty + excise, and VAT is its rate of it,
    /// whatever the value and quantity.
    #[test]
    fn vat_base_is_value_plus_duties(value in 1u64..100_000_000, kg in 0u64..1_000_000, origin_idx in 0usize..3) {
        let extra = r#", {"id": "exc", "kind": "excise", "applies_to": "1001990000", "origin": "ERGA_OMNES", "duty": "3 %",
            "valid_from": "2026-01-01", "legal_reference": "test excise"}"#;
        let schedule = compile(&schedule_json("5 % but not less than 0.01 EUR/KGM", extra));
        let mut tariff = Tariff::new();
        tariff.insert(schedule);
        let origin = ["CN", "UZ", "TJ"][origin_idx];
        let decl = declaration(Decimal::new(value as i64, 2), origin, Some(&kg.to_string()), &["origin-cert"]);
        let res = calculate(&tariff, &decl).unwrap();
        let sum_non_vat: Decimal = res.applied.iter().filter(|a| a.kind != MeasureKind::Vat).map(|a| a.amount.amount).sum();
        prop_assert_eq!(res.vat_base.amount, res.customs_value.amount + sum_non_vat);
        let vat = res.applied.iter().find(|a| a.kind == MeasureKind::Vat).unwrap();
        let expected = (res.vat_base.amount * dec("0.12")).round_dp_with_strategy(2, rust_decimal::RoundingStrategy::MidpointAwayFromZero);
        prop_assert_eq!(vat.amount.amount, expected);
        let total: Decimal = res.applied.iter().map(|a| a.amount.amount).sum();
        prop_assert_eq!(res.total.amount, total);
    }
}

#[test]
fn eur_is_known_to_minor_units() {
    assert_eq!(crate::minor_units(eur()), Some(2));
    assert_eq!(crate::minor_units(CurrencyCode::parse("JPY").unwrap()), Some(0));
    assert_eq!(crate::minor_units(CurrencyCode::parse("XXX").unwrap()), None);
}
