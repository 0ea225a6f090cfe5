//! Tests of assessment: preference gating, duty-line checks, totals and routes.

use caravan_types::{CurrencyCode, Money};
use serde_json::json;
use time::macros::date;

use super::*;
use crate::testing::{Fixture, sample, shipped_routing, shipped_rules};
use crate::validate::validate_value;

fn usd(amount: i64) -> Money {
    Money::new(Decimal::from(amount), CurrencyCode::parse("USD").unwrap())
}

fn line(item_idx: usize, amount: i64, preferential: bool) -> DutyLine {
    DutyLine {
        item_idx,
        tax_type: "customs_duty".to_owned(),
        amount: usd(amount),
        preferential,
        provenance: "illustrative".to_owned(),
    }
}

#[test]
fn preference_needs_a_verified_certificate_of_origin() {
    let fixture = Fixture::new();
    let apples = validate_value(
        &sample("import-apples-cn-kz.json"),
        &fixture.context(date!(2026 - 11 - 28)),
    )
    .unwrap();
    let good = CertificateVerdict {
        document_reference: "CCPIT-XJ-2026-88812".to_owned(),
        verified: true,
        reason: String::new(),
    };
    let bad = CertificateVerdict { verified: false, ..good.clone() };
    let phyto_only = CertificateVerdict {
        document_reference: "EPHYTO-CN-2026-77123".to_owned(),
        ..good.clone()
    };
    assert!(preferential_claim_supported(&apples, 0, std::slice::from_ref(&good)));
    assert!(!preferential_claim_supported(&apples, 0, &[bad]));
    assert!(!preferential_claim_supported(&apples, 0, &[phyto_only]));
    assert!(!preferential_claim_supported(&apples, 7, &[good]));
}

#[test]
fn assessment_checks_lines_and_records_channel_routes_and_totals() {
    let fixture = Fixture::new();
    let apples = validate_value(
        &sample("import-apples-cn-kz.json"),
        &fixture.context(date!(2026 - 11 - 28)),
    )
    .unwrap();
    let rules = shipped_rules();
    let routing = shipped_routing();
    let verdicts = [
        CertificateVerdict {
            document_reference: "CCPIT-XJ-2026-88812".to_owned(),
            verified: true,
            reason: String::new(),
        },
        CertificateVerdict {
            document_reference: "EPHYTO-CN-2026-77123".to_owned(),
            verified: true,
            reason: String::new(),
        },
    ];
    let lines =
        [line(0, 800, true), DutyLine { tax_type: "vat".to_owned(), ..line(0, 2016, false) }];
    let input = AssessmentInput {
        version: 1,
        selection: Selection::Keyed(b"test selection key"),
        standing: None,
        duty_lines: &lines,
        verdicts: &verdicts,
        history: TraderHistory { n_declarations: 50, n_violations: 0 },
        rules: &rules,
        routing: &routing,
        code_lists: &fixture.code_lists,
    };
    let assessment = assess(&apples, &input).unwrap();
    assert_eq!(assessment.channel(), Channel::Green);
    assert_eq!(assessment.required_agencies(), ["plant-protection"]);
    assert_eq!(assessment.totals, [usd(2816)]);
    assert_eq!(assessment.risk.ruleset_version, "illustrative-2026.1");

    let bad_item = [line(3, 1, false)];
    assert_eq!(
        assess(&apples, &AssessmentInput { duty_lines: &bad_item, ..input }),
        Err(AssessError::NoSuchItem { line_idx: 0, item_idx: 3, n_items: 1 })
    );
    let negative = [line(0, -1, false)];
    assert!(matches!(
        assess(&apples, &AssessmentInput { duty_lines: &negative, ..input }),
        Err(AssessError::NegativeAmount { .. })
    ));
    let unverified = [verdicts[1].clone()];
    assert_eq!(
        assess(&apples, &AssessmentInput { verdicts: &unverified, ..input }),
        Err(AssessError::UnsupportedPreference { line_idx: 0, item_idx: 0 })
    );
}

#[test]
fn missing_verdict_for_an_attached_certificate_sends_to_red() {
    let fixture = Fixture::new();
    let mut value = sample("import-apples-cn-kz.json");
    value["items"][0]["preferential_origin"] = json!(null);
    let apples = validate_value(&value, &fixture.context(date!(2026 - 11 - 28))).unwrap();
    let rules = shipped_rules();
    let routing = shipped_routing();
    let input = AssessmentInput {
        version: 1,
        selection: Selection::Keyed(b"test selection key"),
        standing: None,
        duty_lines: &[],
        verdicts: &[],
        history: TraderHistory { n_declarations: 50, n_violations: 0 },
        rules: &rules,
        routing: &routing,
        code_lists: &fixture.code_lists,
    };
    let assessment = assess(&apples, &input).unwrap();
    assert_eq!(assessment.channel(), Channel::Red);
    // Both the certificate of origin and the phytosanitary certificate lack a verdict.
    assert_eq!(
        assessment
            .risk
            .fired
            .iter()
            .filter(|rule| rule.rule_id == "R07-CERTIFICATE-NOT-VERIFIED")
            .count(),
        2
    );
}

#[test]
fn a_certificate_covers_the_declarations_parties_and_goods() {
    let fixture = Fixture::new();
    let apples = validate_value(
        &sample("import-apples-cn-kz.json"),
        &fixture.context(date!(2026 - 11 - 28)),
    )
    .unwrap();
    let credential = |exporter: &str, importer: &str, hs: &str| {
        json!({"credentialSubject": {
            "exporter": {"name": exporter},
            "importer": {"name": importer},
            "goods": [{"hsCode": hs}],
        }})
    };
    let good = credential(" aksu orchard cooperative", "ALMATY FRUIT TRADING LLP ", "080810");
    assert_eq!(certificate_covers(&apples, Some(0), Some(&good)), Ok(()));
    assert_eq!(certificate_covers(&apples, None, Some(&good)), Ok(()));
    // Consignor/consignee and commodities are the phytosanitary certificate's names.
    let phyto = json!({"credentialSubject": {
        "consignor": {"name": "Aksu Orchard Cooperative"},
        "consignee": {"name": "Almaty Fruit Trading LLP"},
        "commodities": [{"hsCode": "0808108000"}],
    }});
    assert_eq!(certificate_covers(&apples, Some(0), Some(&phyto)), Ok(()));
    let other_exporter = credential("Kashgar Fruit", "Almaty Fruit Trading LLP", "080810");
    let err = certificate_covers(&apples, Some(0), Some(&other_exporter)).unwrap_err();
    assert!(err.starts_with("exporter"), "{err}");
    let other_importer = credential("Aksu Orchard Cooperative", "Someone Else", "080810");
    let err = certificate_covers(&apples, Some(0), Some(&other_importer)).unwrap_err();
    assert!(err.starts_with("importer"), "{err}");
    // Pears (0808 30) are not apples (0808 10): same heading, other subheading.
    let pears = credential("Aksu Orchard Cooperative", "Almaty Fruit Trading LLP", "080830");
    let err = certificate_covers(&apples, Some(0), Some(&pears)).unwrap_err();
    assert!(err.contains("not among the certificate's goods"), "{err}");
    assert!(certificate_covers(&apples, Some(0), None).is_err());
    // An item index past the items is skipped, not a panic.
    assert_eq!(certificate_covers(&apples, Some(99), Some(&good)), Ok(()));
}
