//! Tests of the risk rules, the deterministic random selection and agency routing.

use rust_decimal::Decimal;
use serde_json::json;
use time::macros::date;

use super::*;
use crate::testing::{Fixture, sample, shipped_routing, shipped_rules};
use crate::validate::validate_value;

fn declaration(value: &serde_json::Value) -> Declaration {
    let fixture = Fixture::new();
    validate_value(value, &fixture.context(date!(2026 - 11 - 28))).unwrap()
}

fn certificate_types(code: &str) -> bool {
    matches!(code, "811" | "851" | "852" | "853" | "861" | "911")
}

fn verified(reference: &str) -> CertificateVerdict {
    CertificateVerdict {
        document_reference: reference.to_owned(),
        verified: true,
        reason: "signature and authority verified".to_owned(),
    }
}

const KEY: &[u8] = b"a test administration's selection key";
const KEYED: Selection<'static> = Selection::Keyed(KEY);

const ESTABLISHED: TraderHistory = TraderHistory { n_declarations: 120, n_violations: 1 };

fn fired_ids(assessment: &RiskAssessment) -> Vec<&str> {
    assessment.fired.iter().map(|rule| rule.rule_id.as_str()).collect()
}

#[test]
fn shipped_rules_parse_with_their_version() {
    let rules = shipped_rules();
    assert_eq!(rules.version, "illustrative-2026.1");
    assert_eq!(rules.rules.len(), 8);
    let range = rules
        .reference_range(&HsCode::parse("0808108000").unwrap(), CurrencyCode::parse("USD").unwrap())
        .unwrap();
    assert_eq!(range.hs_prefix.as_str(), "0808");
    assert!(
        rules
            .reference_range(
                &HsCode::parse("0808108000").unwrap(),
                CurrencyCode::parse("EUR").unwrap()
            )
            .is_none()
    );
}

#[test]
fn clean_declaration_from_established_trader_is_green() {
    let apples = declaration(&sample("import-apples-cn-kz.json"));
    let verdicts = [verified("CCPIT-XJ-2026-88812"), verified("EPHYTO-CN-2026-77123")];
    let assessment = assess_risk(
        &apples,
        KEYED,
        None,
        &shipped_rules(),
        ESTABLISHED,
        &verdicts,
        &certificate_types,
    );
    // 16000 USD / 20000 kg = 0.80 USD/kg, inside 0.40..3.00.
    assert_eq!(fired_ids(&assessment), Vec::<&str>::new());
    assert_eq!(assessment.channel, Channel::Green);
    assert_eq!(assessment.ruleset_version, "illustrative-2026.1");
}

#[test]
fn each_rule_fires_on_its_condition() {
    let mut value = sample("import-apples-cn-kz.json");
    value["items"][0]["customs_value"]["amount"] = json!("2000");
    value["items"][0]["origin"] = json!("AF");
    value["items"][0]["documents"] = json!([{ "document_type": "851", "reference": "EPHYTO-1" }]);
    let apples = declaration(&value);
    let failed = CertificateVerdict {
        document_reference: "EPHYTO-1".to_owned(),
        verified: false,
        reason: "revoked".to_owned(),
    };
    let history = TraderHistory { n_declarations: 2, n_violations: 0 };
    let assessment =
        assess_risk(&apples, KEYED, None, &shipped_rules(), history, &[failed], &certificate_types);
    assert_eq!(
        fired_ids(&assessment),
        [
            "R02-ORIGIN-WATCH",
            "R03-VALUE-PER-KG",
            "R05-NEW-TRADER",
            "R06-PREFERENCE-WITHOUT-CERTIFICATE",
            "R07-CERTIFICATE-NOT-VERIFIED"
        ]
    );
    assert_eq!(assessment.channel, Channel::Red);
    let value_rule = &assessment.fired[1];
    assert_eq!(value_rule.item_idx, Some(0));
    assert_eq!(
        value_rule.reason,
        "0.10 USD/kg is outside the reference range 0.40..3.00 for HS 0808"
    );
    assert!(assessment.fired[4].reason.ends_with("revoked"), "{}", assessment.fired[4].reason);
}

#[test]
fn trader_violation_rate_needs_enough_history() {
    let copper = declaration(&sample("export-copper-kz-cn.json"));
    let rules = shipped_rules();
    let risky = TraderHistory { n_declarations: 20, n_violations: 3 };
    let assessment = assess_risk(&copper, KEYED, None, &rules, risky, &[], &certificate_types);
    assert!(fired_ids(&assessment).contains(&"R04-TRADER-VIOLATIONS"));
    assert_eq!(assessment.channel, Channel::Red);
    // Exactly 10 % is not above 10 %.
    let borderline = TraderHistory { n_declarations: 20, n_violations: 2 };
    assert!(
        !fired_ids(&assess_risk(&copper, KEYED, None, &rules, borderline, &[], &certificate_types))
            .contains(&"R04-TRADER-VIOLATIONS")
    );
}

#[test]
fn selection_draw_is_keyed_uniform_and_ignores_the_version() {
    let draw = selection_draw(KEY, "KZ-2026-000123", "illustrative-2026.1", "R08-RANDOM");
    assert_eq!(draw, selection_draw(KEY, "KZ-2026-000123", "illustrative-2026.1", "R08-RANDOM"));
    assert!(draw >= Decimal::ZERO && draw < Decimal::ONE);
    assert_ne!(draw, selection_draw(KEY, "KZ-2026-000124", "illustrative-2026.1", "R08-RANDOM"));
    assert_ne!(draw, selection_draw(KEY, "KZ-2026-000123", "illustrative-2026.2", "R08-RANDOM"));
    assert_ne!(draw, selection_draw(KEY, "KZ-2026-000123", "illustrative-2026.1", "R09"));
    // Without the key the draw cannot be computed: another key gives another draw, and the old
    // unkeyed SHA-256 of the inputs (what a trader could compute) is not it either.
    assert_ne!(
        draw,
        selection_draw(b"guess", "KZ-2026-000123", "illustrative-2026.1", "R08-RANDOM")
    );
    // Over 4,000 references the selection rate is close to the configured 2 %: a binomial
    // with n = 4000, p = 0.02 has sd ≈ 8.9, so 80 ± 45 (five sd) holds for any fair MAC.
    let rate = Decimal::new(2, 2);
    let n_selected =
        (0..4000).filter(|n| selection_draw(KEY, &format!("REF-{n}"), "v", "R08") < rate).count();
    assert!((35..=125).contains(&n_selected), "{n_selected}");
}

#[test]
fn selection_draw_is_hmac_sha256_of_the_joined_inputs() {
    // RFC 4231 §4.3 (test case 2): key "Jefe", data "what do ya want for nothing?",
    // HMAC-SHA-256 = 5bdcc146bf60754e6a042426089575c7… The inputs joined by 0x00 are the data,
    // so splitting that data at two NUL-free points cannot reproduce it; instead check the
    // construction with data that contains the separators.
    let joined = "what do ya want \0for nothing?\0";
    let mut mac = <hmac::Hmac<sha2::Sha256> as hmac::Mac>::new_from_slice(b"Jefe").unwrap();
    hmac::Mac::update(&mut mac, joined.as_bytes());
    let digest = hmac::Mac::finalize(mac).into_bytes();
    let bits = u64::from_be_bytes(digest[..8].try_into().unwrap()) >> 16;
    assert_eq!(
        selection_draw(b"Jefe", "what do ya want ", "for nothing?", ""),
        Decimal::from(bits) / Decimal::from(1u64 << 48)
    );
    // And the MAC itself is the RFC's.
    let mut mac = <hmac::Hmac<sha2::Sha256> as hmac::Mac>::new_from_slice(b"Jefe").unwrap();
    hmac::Mac::update(&mut mac, b"what do ya want for nothing?");
    assert_eq!(
        hex(&hmac::Mac::finalize(mac).into_bytes()[..8]),
        "5bdcc146bf60754e",
        "RFC 4231 test case 2"
    );
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[test]
fn a_withheld_selection_never_fires_and_a_standing_decision_is_a_floor() {
    let copper = declaration(&sample("export-copper-kz-cn.json"));
    let rules = RiskRuleSet {
        version: "t".to_owned(),
        rules: vec![RiskRule {
            id: "RND".to_owned(),
            description: String::new(),
            channel: Channel::Red,
            when: Condition::RandomSelection { rate: Decimal::ONE },
        }],
        reference_values: Vec::new(),
    };
    let preview = assess_risk(
        &copper,
        Selection::Withheld,
        None,
        &rules,
        ESTABLISHED,
        &[],
        &certificate_types,
    );
    assert_eq!((preview.channel, preview.fired.len()), (Channel::Green, 0));
    let lodged = assess_risk(&copper, KEYED, None, &rules, ESTABLISHED, &[], &certificate_types);
    assert_eq!(lodged.channel, Channel::Red);
    let standing = StandingDecision {
        channel: Channel::Red,
        version: 1,
        decision: "ordered a physical inspection".to_owned(),
    };
    let none = RiskRuleSet { rules: Vec::new(), ..rules };
    let held =
        assess_risk(&copper, KEYED, Some(&standing), &none, ESTABLISHED, &[], &certificate_types);
    assert_eq!(held.channel, Channel::Red);
    assert_eq!(fired_ids(&held), [STANDING_DECISION_RULE]);
}

#[test]
fn random_selection_at_rate_one_always_fires_and_at_zero_never() {
    let copper = declaration(&sample("export-copper-kz-cn.json"));
    for (rate, expect) in [(Decimal::ONE, true), (Decimal::ZERO, false)] {
        let rules = RiskRuleSet {
            version: "t".to_owned(),
            rules: vec![RiskRule {
                id: "RND".to_owned(),
                description: String::new(),
                channel: Channel::Yellow,
                when: Condition::RandomSelection { rate },
            }],
            reference_values: vec![],
        };
        let assessment =
            assess_risk(&copper, KEYED, None, &rules, ESTABLISHED, &[], &certificate_types);
        assert_eq!(assessment.channel == Channel::Yellow, expect);
    }
}

#[test]
fn malformed_rules_are_refused_with_the_rule_named() {
    let bad_rate = r#"{"version":"v","rules":[{"id":"X","description":"","channel":"red","when":{"random_selection":{"rate":"1.5"}}}]}"#;
    assert_eq!(
        RiskRuleSet::parse(bad_rate, "hs_prefix,currency,min_per_kg,max_per_kg,note\n"),
        Err(RuleSetError::Rule {
            rule: "X".to_owned(),
            reason: "rate must be a fraction from 0 to 1".to_owned()
        })
    );
    let bad_range = "hs_prefix,currency,min_per_kg,max_per_kg,note\n0808,USD,5,1,x\n";
    assert!(matches!(
        RiskRuleSet::parse(r#"{"version":"v","rules":[]}"#, bad_range),
        Err(RuleSetError::ReferenceRow { row: 2, .. })
    ));
    assert!(matches!(
        RiskRuleSet::parse(r#"{"version":"v","rules":[],"extra":1}"#, ""),
        Err(RuleSetError::Rules(_))
    ));
}

#[test]
fn plant_products_route_to_plant_protection() {
    let table = shipped_routing();
    let covers = |hs: &str| -> Vec<&str> {
        let code = HsCode::parse(hs).unwrap();
        table
            .rules
            .iter()
            .filter(|rule| rule.covers(&code))
            .map(|rule| rule.agency.as_str())
            .collect()
    };
    assert_eq!(covers("0808108000"), ["plant-protection"]);
    assert_eq!(covers("060110"), ["plant-protection"]);
    assert_eq!(covers("140490"), ["plant-protection"]);
    assert_eq!(covers("150710"), Vec::<&str>::new());
    assert_eq!(covers("020110"), ["veterinary"]);
    assert_eq!(covers("300490"), ["health"]);
    assert_eq!(covers("300510"), Vec::<&str>::new());

    let mut value = sample("import-electronics-cn-uz.json");
    value["items"][1]["hs_code"] = json!("0806100000");
    value["items"][1]["quantity"]["unit"] = json!("KGM");
    let routes = route(&declaration(&value), &table);
    assert_eq!(routes.len(), 1);
    assert_eq!(
        (routes[0].agency.as_str(), routes[0].item_indices.as_slice()),
        ("plant-protection", &[1][..])
    );
}
