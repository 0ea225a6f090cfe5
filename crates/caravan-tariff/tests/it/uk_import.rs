//! The UK Online Trade Tariff importer on the duty calculator's ferro-manganese fixture.

use caravan_tariff::uk::import_uk_commodity;
use caravan_tariff::{Declaration, MeasureKind, Schedule, Tariff, calculate};
use caravan_types::{CountryCode, CurrencyCode, Decimal, HsCode, Money};
use time::macros::date;

use super::data;

#[test]
fn imports_the_fixture_and_skips_what_it_cannot_express() {
    let import = import_uk_commodity(
        &data("commodity_7202118000_duty_calculator_fixture.json"),
        date!(2026 - 01 - 01),
    )
    .unwrap();
    let kinds: Vec<(MeasureKind, &str)> = import
        .schedule
        .measures
        .iter()
        .map(|m| (m.kind, m.duty.as_deref().unwrap_or("")))
        .collect();
    // Expected from the fixture (tests/data/PROVENANCE.md): third-country duty 2.70 %, preference
    // 0.00 % for GB, additional duty 25 % (US), VAT 20 %.
    assert!(kinds.contains(&(MeasureKind::Mfn, "2.7 %")), "{kinds:?}");
    assert!(
        kinds.contains(&(MeasureKind::Preferential, "0.0 %"))
            || kinds.contains(&(MeasureKind::Preferential, "0 %")),
        "{kinds:?}"
    );
    assert!(
        kinds.contains(&(MeasureKind::Vat, "20.0 %"))
            || kinds.contains(&(MeasureKind::Vat, "20 %")),
        "{kinds:?}"
    );
    let skipped: Vec<&str> = import.skipped.iter().map(|s| s.measure_type.as_str()).collect();
    // Quota 122, end-use 117, anti-dumping with unit qualifier 552, safeguard area 5050 without members.
    for expected in ["122", "117", "552", "696"] {
        assert!(skipped.contains(&expected), "{expected} not skipped: {:?}", import.skipped);
    }
    let schedule = Schedule::compile(import.schedule).unwrap();
    let mut tariff = Tariff::new();
    tariff.insert(schedule);
    let decl = |origin: &str| Declaration {
        jurisdiction: "UK".to_owned(),
        date: date!(2026 - 03 - 01),
        code: HsCode::parse("7202118000").unwrap(),
        origin: CountryCode::parse(origin).unwrap(),
        customs_value: Money::new(Decimal::from(1000), CurrencyCode::parse("GBP").unwrap()),
        quantity: None,
        documents: Vec::new(),
    };
    let us = calculate(&tariff, &decl("US")).unwrap();
    // US goods: 2.70 % + 25 % additional, VAT 20 % on 1000 + 27 + 250.
    let total: Decimal = us.applied.iter().map(|a| a.amount.amount).sum();
    assert_eq!(total, Decimal::new(2700 + 25_000 + 25_540, 2));
    assert!(!us.illustrative);
}
