//! The repository's illustrative rule book (`data/tariff/origin/cca-illustrative.json`).

use caravan_origin::{AssessOptions, Material, Product, assess, parse_rule_book};
use caravan_types::{CountryCode, Decimal, HsCode};

fn book_text() -> String {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../data/tariff/origin/cca-illustrative.json");
    std::fs::read_to_string(path).unwrap()
}

#[test]
fn loads_and_covers_the_issue_products() {
    let book = parse_rule_book(&book_text()).unwrap();
    assert!(book.illustrative);
    for code in [
        "740311", "790111", "284410", "271121", "270900", "720211", "520100", "100199", "110100",
        "080810", "070200", "020130", "310210", "870323", "870899", "870421", "842952", "854442",
        "620342", "640399", "720851", "390110", "854143", "850760",
    ] {
        assert!(
            !book.rule_sets_for(&HsCode::parse(code).unwrap()).is_empty(),
            "no rule for {code}"
        );
    }
}

#[test]
fn exporter_outside_the_parties_never_qualifies() {
    let book = parse_rule_book(&book_text()).unwrap();
    let product = Product {
        hs_code: HsCode::parse("854442").unwrap(),
        exporter: CountryCode::parse("DE").unwrap(),
        price: Decimal::from(100),
    };
    let bom = [Material {
        hs_code: HsCode::parse("740311").unwrap(),
        origin: CountryCode::parse("DE").unwrap(),
        value: Decimal::from(10),
        description: None,
    }];
    let verdict = assess(&book, &product, &bom, &AssessOptions::default()).unwrap();
    assert!(!verdict.qualifies);
    assert!(verdict.steps.iter().any(|s| s.contains("not a party")));
}

#[test]
fn cars_need_both_ctc_and_rvc() {
    let book = parse_rule_book(&book_text()).unwrap();
    let product = Product {
        hs_code: HsCode::parse("870323").unwrap(),
        exporter: CountryCode::parse("UZ").unwrap(),
        price: Decimal::from(100),
    };
    let bom = |value: i64| {
        [Material {
            hs_code: HsCode::parse("8708").unwrap(),
            origin: CountryCode::parse("KR").unwrap(),
            value: Decimal::from(value),
            description: None,
        }]
    };
    assert!(assess(&book, &product, &bom(50), &AssessOptions::default()).unwrap().qualifies);
    assert!(!assess(&book, &product, &bom(60), &AssessOptions::default()).unwrap().qualifies);
}
