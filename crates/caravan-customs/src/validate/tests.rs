//! Tests of validation: every rule reports its path and code; samples pass.

use serde_json::json;
use time::macros::date;

use super::*;
use crate::testing::{Fixture, sample};

#[track_caller]
fn check(value: Value, expect: &[(&str, ErrorCode)]) {
    let fixture = Fixture::new();
    let ctx = fixture.context(date!(2026 - 11 - 28));
    let got = match validate_value(&value, &ctx) {
        Ok(_) => Vec::new(),
        Err(errors) => errors,
    };
    let got_pairs: Vec<(&str, ErrorCode)> =
        got.iter().map(|err| (err.path.as_str(), err.code)).collect();
    assert_eq!(got_pairs, expect, "errors: {got:#?}");
}

fn apples() -> Value {
    sample("import-apples-cn-kz.json")
}

#[test]
fn shipped_samples_are_valid() {
    for name in
        ["import-apples-cn-kz.json", "export-copper-kz-cn.json", "import-electronics-cn-uz.json"]
    {
        check(sample(name), &[]);
    }
}

#[test]
fn checked_declaration_keeps_the_values() {
    let fixture = Fixture::new();
    let declaration = validate_value(&apples(), &fixture.context(date!(2026 - 11 - 28))).unwrap();
    assert_eq!(declaration.reference, "KZ-2026-000123");
    assert_eq!(declaration.declaration_type, DeclarationType::Import);
    assert_eq!(declaration.items[0].hs_code.as_str(), "0808108008");
    assert_eq!(declaration.items[0].net_mass_kg, Decimal::from(20000));
    assert_eq!(declaration.items[0].documents.len(), 2);
    assert_eq!(declaration.documents[1].issue_date, None);
}

#[test]
fn not_json_and_not_an_object() {
    let fixture = Fixture::new();
    let ctx = fixture.context(date!(2026 - 11 - 28));
    let errors = validate_json("{\"reference\": ", &ctx).unwrap_err();
    assert_eq!(errors.len(), 1);
    assert_eq!((errors[0].path.as_str(), errors[0].code), (ROOT_PATH, ErrorCode::InvalidJson));
    check(json!([1, 2]), &[(ROOT_PATH, ErrorCode::WrongType)]);
}

#[test]
fn every_missing_required_field_is_reported() {
    let errors_for_empty = {
        let fixture = Fixture::new();
        validate_value(&json!({}), &fixture.context(date!(2026 - 11 - 28))).unwrap_err()
    };
    let paths: Vec<&str> = errors_for_empty.iter().map(|err| err.path.as_str()).collect();
    assert_eq!(
        paths,
        [
            "reference",
            "declaration_type",
            "office",
            "declaration_date",
            "declarant",
            "exporter",
            "importer",
            "country_of_export",
            "country_of_destination",
            "transport",
            "location_of_goods",
            "items"
        ]
    );
    assert!(errors_for_empty.iter().all(|err| err.code == ErrorCode::Missing));
}

#[test]
fn item_errors_name_the_item_and_field() {
    let mut value = apples();
    let item = &mut value["items"][0];
    item["origin"] = json!("XX");
    item["hs_code"] = json!("08.08");
    item["net_mass_kg"] = json!("30000");
    item["quantity"]["unit"] = json!("KILO");
    item["packages"]["count"] = json!(0);
    item["customs_value"]["amount"] = json!(-5);
    item["customs_value"]["currency"] = json!("usd1");
    item["procedure"] = json!("1000");
    item["colour"] = json!("red");
    check(
        value,
        &[
            ("items[0].colour", ErrorCode::UnknownField),
            ("items[0].hs_code", ErrorCode::Malformed),
            ("items[0].origin", ErrorCode::UnknownCode),
            ("items[0].quantity.unit", ErrorCode::UnknownCode),
            ("items[0].net_mass_kg", ErrorCode::NetExceedsGross),
            ("items[0].packages.count", ErrorCode::NotPositive),
            ("items[0].customs_value.amount", ErrorCode::NotPositive),
            ("items[0].customs_value.currency", ErrorCode::Malformed),
            ("items[0].procedure", ErrorCode::Inconsistent),
        ],
    );
}

#[test]
fn hs_code_must_exist_and_be_a_subheading_or_national_line() {
    let mut value = apples();
    value["items"][0]["hs_code"] = json!("0808");
    check(value.clone(), &[("items[0].hs_code", ErrorCode::Malformed)]);
    // 0808 99 is not an HS 2022 subheading.
    value["items"][0]["hs_code"] = json!("08089900");
    check(value, &[("items[0].hs_code", ErrorCode::UnknownCode)]);
}

#[test]
fn header_business_rules() {
    let mut value = apples();
    value["country_of_destination"] = json!("CN");
    value["declaration_date"] = json!("2026-12-01");
    value["reference"] = json!("kz 123");
    value["containers"] = json!(["CSQU3054383", "CSQU3054383", "ABCU1234567"]);
    value["transport"]["mode_at_border"] = json!("X");
    check(
        value,
        &[
            ("reference", ErrorCode::Malformed),
            ("declaration_date", ErrorCode::DateInFuture),
            ("transport.mode_at_border", ErrorCode::UnknownCode),
            ("containers[1]", ErrorCode::Duplicate),
            ("containers[2]", ErrorCode::Malformed),
            ("country_of_destination", ErrorCode::Inconsistent),
            ("office", ErrorCode::Inconsistent),
            ("importer.country", ErrorCode::Inconsistent),
        ],
    );
}

#[test]
fn documents_are_checked_against_the_declaration_date() {
    let mut value = apples();
    value["items"][0]["documents"][0]["issue_date"] = json!("2026-11-21");
    value["documents"][0]["document_type"] = json!("999");
    value["documents"][1] = json!({ "document_type": "380", "reference": "INV-2026-1120" });
    check(
        value,
        &[
            ("items[0].documents[0].issue_date", ErrorCode::DateOrder),
            ("documents[0].document_type", ErrorCode::UnknownCode),
        ],
    );
    let mut value = apples();
    value["documents"][1] = json!({ "document_type": "380", "reference": "INV-2026-1120" });
    check(value, &[("documents[1]", ErrorCode::Duplicate)]);
}

#[test]
fn decimals_accept_numbers_and_strings_but_not_nonsense() {
    let mut value = apples();
    value["items"][0]["gross_mass_kg"] = json!(2.15e4);
    check(value.clone(), &[]);
    value["items"][0]["gross_mass_kg"] = json!("lots");
    value["items"][0]["net_mass_kg"] = json!(true);
    check(
        value,
        &[
            ("items[0].gross_mass_kg", ErrorCode::Malformed),
            ("items[0].net_mass_kg", ErrorCode::WrongType),
        ],
    );
}

#[test]
fn limits_on_lists_and_text() {
    let mut value = apples();
    let item = value["items"][0].clone();
    value["items"] = Value::Array(vec![item; MAX_ITEMS + 1]);
    value["location_of_goods"] = json!("x".repeat(36));
    check(
        value.clone(),
        &[("location_of_goods", ErrorCode::TooLong), ("items", ErrorCode::TooMany)],
    );
    value["items"] = json!([]);
    value["location_of_goods"] = json!("   ");
    check(value, &[("location_of_goods", ErrorCode::Empty), ("items", ErrorCode::Empty)]);
}

#[test]
fn bulk_goods_may_have_zero_packages() {
    let mut value = sample("export-copper-kz-cn.json");
    value["items"][0]["packages"] = json!({ "count": 0, "kind": "VR" });
    check(value, &[]);
}

#[test]
fn error_display_and_codes_are_stable() {
    let err = FieldError {
        path: "items[3].origin".to_owned(),
        code: ErrorCode::UnknownCode,
        reason: "XX is not an ISO 3166-1 country code".to_owned(),
    };
    assert_eq!(
        err.to_string(),
        "items[3].origin: XX is not an ISO 3166-1 country code (unknown_code)"
    );
    assert_eq!(
        serde_json::to_value(ErrorCode::NetExceedsGross).unwrap(),
        json!("net_exceeds_gross")
    );
    assert_eq!(ErrorCode::NetExceedsGross.as_str(), "net_exceeds_gross");
}

#[test]
fn checked_declaration_round_trips_through_serde() {
    let fixture = Fixture::new();
    let ctx = fixture.context(date!(2026 - 11 - 28));
    let declaration = validate_value(&sample("import-electronics-cn-uz.json"), &ctx).unwrap();
    let text = serde_json::to_string(&declaration).unwrap();
    let back: Declaration = serde_json::from_str(&text).unwrap();
    assert_eq!(back, declaration);
    // The serialised form is itself a valid declaration.
    assert_eq!(validate_json(&text, &ctx).unwrap(), declaration);
}
