//! Criterion benchmark: one duty calculation on the illustrative EAEU schedule (wheat from UZ,
//! EAEU minimum-duty form, preference with certificate, exchange rates, VAT).

use std::hint::black_box;

use caravan_tariff::{Declaration, Quantity, Tariff, Unit, calculate, parse_schedule};
use caravan_types::{CountryCode, CurrencyCode, Decimal, HsCode, Money};
use criterion::{Criterion, criterion_group, criterion_main};

fn duty(c: &mut Criterion) {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../data/tariff/schedules/EAEU/2026-01-01.json");
    let text =
        std::fs::read_to_string(path).expect("the sample EAEU schedule ships with the repository");
    let mut tariff = Tariff::new();
    tariff.insert(parse_schedule(&text).expect("the sample schedule is valid"));
    let declaration = Declaration {
        jurisdiction: "EAEU".to_owned(),
        date: time::macros::date!(2026 - 03 - 01),
        code: HsCode::parse("1001990000").expect("valid code"),
        origin: CountryCode::parse("UZ").expect("valid country"),
        customs_value: Money::new(
            Decimal::new(100_000, 2),
            CurrencyCode::parse("USD").expect("valid currency"),
        ),
        quantity: Some(Quantity {
            amount: Decimal::new(125, 1),
            unit: Unit::parse("TNE").expect("valid unit"),
        }),
        documents: vec!["phytosanitary-cert".to_owned()],
    };
    c.bench_function("calculate one line (EAEU wheat)", |b| {
        b.iter(|| calculate(black_box(&tariff), black_box(&declaration)).map(|res| res.total))
    });
}

criterion_group!(benches, duty);
criterion_main!(benches);
