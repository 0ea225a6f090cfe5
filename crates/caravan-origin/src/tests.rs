//! Unit tests: text classification, rule evaluation, errors and laws of the assessment.

use caravan_types::{CountryCode, Decimal, HsCode};
use proptest::prelude::*;

use crate::{
    AssessError, AssessOptions, CtcLevel, Material, Product, Rule, RuleBook, RuleSet, RvcMethod,
    assess, classify, normalise, render_html,
};

fn dec(text: &str) -> Decimal {
    text.parse().unwrap()
}

fn hs(text: &str) -> HsCode {
    HsCode::parse(text).unwrap()
}

fn cc(text: &str) -> CountryCode {
    CountryCode::parse(text).unwrap()
}

#[track_caller]
fn check_classify(text: &str, tags: &[&str], expect: Rule) {
    let tags: Vec<String> = tags.iter().map(|t| (*t).to_owned()).collect();
    assert_eq!(classify(text, &tags), expect, "{text}");
}

fn ctc(level: CtcLevel) -> Rule {
    Rule::Ctc { level, except: Vec::new(), same_position_allowance_percent: None }
}

#[test]
fn normalise_strips_markdown_and_html() {
    assert_eq!(
        normalise(
            "materials of [chapter&nbsp;3](/chapters/03) do not exceed **40%** of <abbr title='x'>CTH</abbr>"
        ),
        "materials of chapter 3 do not exceed 40% of CTH"
    );
}

#[test]
fn classifies_published_wordings() {
    check_classify(
        "Manufacture from materials of any heading, except that of the good.",
        &[],
        ctc(CtcLevel::Heading),
    );
    check_classify(
        "Production from non-originating materials of any subheading, except that of the product.",
        &[],
        ctc(CtcLevel::Subheading),
    );
    check_classify(
        "<abbr title='Change of tariff chapter'>CC</abbr>: All non-originating materials used in the production of the good have undergone a change in tariff classification at the 2-digit level (chapter).",
        &["CC"],
        ctc(CtcLevel::Chapter),
    );
    check_classify(
        "Manufacture in which the value of all the materials used does not exceed **70%** of the ex-works price of the good.",
        &["MAXNOM"],
        Rule::MaxNonOriginating { percent: dec("70") },
    );
    check_classify(
        "Manufacture from materials of any heading, except that of the good, in which the value of all the materials used does not exceed **50%** of the ex-works price of the good.",
        &["MAXNOM"],
        Rule::All(vec![ctc(CtcLevel::Heading), Rule::MaxNonOriginating { percent: dec("50") }]),
    );
    check_classify(
        "Manufacture from materials of any heading, except that of the good. However, materials of the same heading as the good may be used, provided that their total value does not exceed **20%** of the ex-works price of the good.",
        &["MAXNOM"],
        Rule::Ctc {
            level: CtcLevel::Heading,
            except: Vec::new(),
            same_position_allowance_percent: Some(dec("20")),
        },
    );
    check_classify("Manufacture from materials of any heading.", &["AH"], Rule::AnyHeading);
    check_classify(
        "Manufacture from materials of any heading, except those of [heading&nbsp;7106](/headings/7106), [heading&nbsp;7108](/headings/7108) and [heading&nbsp;7110](/headings/7110).",
        &["AH EXCEPT"],
        Rule::ExcludedMaterials { codes: vec![hs("7106"), hs("7108"), hs("7110")] },
    );
    check_classify(
        "Manufacture in which all the materials of [chapter&nbsp;7](/chapters/07) used are wholly obtained in the country or territory.",
        &["WO"],
        Rule::WhollyObtained { chapters: vec![hs("07")] },
    );
    check_classify(
        "None if all the animals of [chapter&nbsp;1](/chapters/01) are wholly obtained in the country or territory.",
        &["WO"],
        Rule::WhollyObtained { chapters: Vec::new() },
    );
    check_classify(
        "The good has a Regional Value Content (RVC) as calculated under Article 4 of the Origin Reference Document of not less than 40%, whether using the build-up method or build-down method (RVC40).",
        &["RVC"],
        Rule::Rvc { percent: dec("40"), method: RvcMethod::Either },
    );
    check_classify(
        "Spinning of natural fibres.",
        &["PROCESSING_TEXTILE"],
        Rule::SpecificProcess { process: "Spinning of natural fibres".to_owned() },
    );
}

#[test]
fn unknown_wording_is_unclassified_not_guessed() {
    let text = "Manufacture from materials of any heading, except that of the good, in which the weight of sugar used does not exceed **40%** of the weight of the final good.";
    assert!(matches!(classify(text, &[]), Rule::Unclassified { .. }));
    // An untagged process text is not guessed either.
    assert!(matches!(
        classify("Weaving accompanied by dyeing or by coating.", &[]),
        Rule::Unclassified { .. }
    ));
}

fn book(rule: Rule, tolerance: Option<&str>) -> RuleBook {
    RuleBook {
        agreement: "test".to_owned(),
        illustrative: true,
        notice: None,
        parties: Vec::new(),
        cumulation: vec![cc("KZ")],
        tolerance_percent: tolerance.map(dec),
        rule_sets: vec![RuleSet {
            heading: "8544".to_owned(),
            subdivision: None,
            min: 8_544_000_000,
            max: 8_544_999_999,
            texts: match &rule {
                Rule::Any(parts) => parts.iter().map(Rule::label).collect(),
                other => vec![other.label()],
            },
            rule,
        }],
    }
}

fn material(code: &str, origin: &str, value: &str) -> Material {
    Material { hs_code: hs(code), origin: cc(origin), value: dec(value), description: None }
}

fn product(price: &str) -> Product {
    Product { hs_code: hs("854442"), exporter: cc("UZ"), price: dec(price) }
}

#[test]
fn ctc_fails_on_same_heading_and_tolerance_rescues() {
    let bom = [
        material("740311", "CL", "30"),
        material("854442", "CN", "5"),
        material("3901", "UZ", "10"),
    ];
    let strict = book(ctc(CtcLevel::Heading), None);
    let res = assess(&strict, &product("100"), &bom, &AssessOptions::default()).unwrap();
    assert!(!res.qualifies);
    assert!(res.steps.iter().any(|s| s.contains("bom[1]")), "{:#?}", res.steps);
    let tolerant = book(ctc(CtcLevel::Heading), Some("10"));
    let res = assess(&tolerant, &product("100"), &bom, &AssessOptions::default()).unwrap();
    assert!(res.qualifies, "{:#?}", res.steps);
    assert!(res.steps.iter().any(|s| s.contains("tolerance of 10%")));
}

#[test]
fn cumulation_counts_partner_materials_as_originating() {
    let bom = [material("740311", "KZ", "60")];
    let maxnom = book(Rule::MaxNonOriginating { percent: dec("50") }, None);
    let res = assess(&maxnom, &product("100"), &bom, &AssessOptions::default()).unwrap();
    assert!(res.qualifies);
    assert_eq!(res.materials.non_originating_value, Decimal::ZERO);
    let without = RuleBook { cumulation: Vec::new(), ..maxnom };
    let res = assess(&without, &product("100"), &bom, &AssessOptions::default()).unwrap();
    assert!(!res.qualifies);
    assert_eq!(res.materials.non_originating_percent, dec("60"));
}

#[test]
fn rvc_methods_differ_when_bom_is_partial() {
    // Originating 30, non-originating 20, price 100: build-up 30 %, build-down 80 %.
    let bom = [material("3901", "UZ", "30"), material("7403", "CN", "20")];
    let rule = |method| Rule::Rvc { percent: dec("40"), method };
    let run = |method| {
        assess(&book(rule(method), None), &product("100"), &bom, &AssessOptions::default())
            .unwrap()
            .qualifies
    };
    assert!(!run(RvcMethod::BuildUp));
    assert!(run(RvcMethod::BuildDown));
    assert!(run(RvcMethod::Either));
}

#[test]
fn alternatives_and_specific_processes() {
    let rule = Rule::Any(vec![
        Rule::SpecificProcess { process: "Weaving".to_owned() },
        Rule::MaxNonOriginating { percent: dec("10") },
    ]);
    let bom = [material("5205", "CN", "40")];
    let rules = book(rule, None);
    let undeclared = assess(&rules, &product("100"), &bom, &AssessOptions::default()).unwrap();
    assert!(!undeclared.qualifies);
    let options = AssessOptions {
        declared_processes: vec!["weaving.".to_owned()],
        ..AssessOptions::default()
    };
    let declared = assess(&rules, &product("100"), &bom, &options).unwrap();
    assert!(declared.qualifies);
    assert!(declared.rule_applied.as_deref().unwrap_or_default().starts_with("specific process"));
}

#[test]
fn unclassified_rule_never_qualifies_and_is_reported() {
    let rule = Rule::Unclassified { text: "Something odd.".to_owned() };
    let rules = book(rule, None);
    let res = assess(&rules, &product("100"), &[], &AssessOptions::default()).unwrap();
    assert!(!res.qualifies);
    assert_eq!(res.unclassified, vec!["unclassified rule: Something odd.".to_owned()]);
}

#[test]
fn bad_input_names_the_field() {
    let rules = book(Rule::AnyHeading, None);
    let field = |price: &str, bom: &[Material]| {
        assess(&rules, &product(price), bom, &AssessOptions::default()).unwrap_err().field()
    };
    assert_eq!(field("0", &[]), "price");
    assert_eq!(
        field("100", &[material("3901", "CN", "1"), material("3901", "CN", "-1")]),
        "bom[1].value"
    );
    assert_eq!(field("100", &[material("3901", "CN", "60"), material("3901", "CN", "41")]), "bom");
    assert_eq!(field("79228162514264337593543950335", &[]), "price");
    let huge = Material { value: Decimal::MAX, ..material("3901", "CN", "1") };
    assert_eq!(field("100", &[huge]), "bom[0].value");
    let other = Product { hs_code: hs("0101"), ..product("100") };
    assert!(matches!(
        assess(&rules, &other, &[], &AssessOptions::default()),
        Err(AssessError::NoRule { .. })
    ));
}

#[test]
fn html_escapes_and_states_the_verdict() {
    let bom = [Material {
        description: Some("<copper & co>".to_owned()),
        ..material("7403", "CN", "20")
    }];
    let rules = book(ctc(CtcLevel::Heading), None);
    let res = assess(&rules, &product("100"), &bom, &AssessOptions::default()).unwrap();
    let html = render_html(&res);
    assert!(html.contains("The product qualifies as originating."));
    assert!(html.contains("&lt;copper &amp; co&gt;") || !html.contains("<copper"));
    assert!(html.contains("ILLUSTRATIVE"));
}

proptest! {
    /// Law: MaxNOM is met exactly when non-originating value × 100 ≤ percent × price.
    #[test]
    fn maxnom_threshold(price in 1u32..1_000_000, shares in proptest::collection::vec((0u32..10_000, proptest::bool::ANY), 0..50), percent in 0u32..100) {
        let price = Decimal::from(price);
        let total_weight: u32 = shares.iter().map(|(w, _)| *w).sum::<u32>().max(1);
        let bom: Vec<Material> = shares.iter().map(|(w, originating)| Material {
            hs_code: hs("3901"),
            origin: cc(if *originating { "UZ" } else { "CN" }),
            value: (price * Decimal::from(*w) / Decimal::from(total_weight)).round_dp(2).min(price),
            description: None,
        }).collect();
        let sum: Decimal = bom.iter().map(|m| m.value).sum();
        prop_assume!(sum <= price);
        let rules = book(Rule::MaxNonOriginating { percent: Decimal::from(percent) }, None);
        let res = assess(&rules, &Product { hs_code: hs("854442"), exporter: cc("UZ"), price }, &bom, &AssessOptions::default()).unwrap();
        let non: Decimal = bom.iter().filter(|m| m.origin.as_str() == "CN").map(|m| m.value).sum();
        prop_assert_eq!(res.qualifies, non * Decimal::ONE_HUNDRED <= Decimal::from(percent) * price);
        prop_assert_eq!(res.materials.originating_value + res.materials.non_originating_value, sum);
    }

    /// Law: making a non-originating input originating never turns a qualifying product into a
    /// non-qualifying one (CTC and MaxNOM are monotone in originating status).
    #[test]
    fn more_originating_never_hurts(flags in proptest::collection::vec(proptest::bool::ANY, 1..20), flip in 0usize..20) {
        let rule = Rule::All(vec![ctc(CtcLevel::Heading), Rule::MaxNonOriginating { percent: dec("40") }]);
        let rules = book(rule, None);
        let codes = ["854442", "740311", "3901", "8544"];
        let make = |flags: &[bool]| -> Vec<Material> {
            flags.iter().enumerate().map(|(idx, o)| material(codes[idx % codes.len()], if *o { "UZ" } else { "CN" }, "1")).collect()
        };
        let before = assess(&rules, &product("100"), &make(&flags), &AssessOptions::default()).unwrap().qualifies;
        let mut flipped = flags.clone();
        let idx = flip % flipped.len();
        flipped[idx] = true;
        let after = assess(&rules, &product("100"), &make(&flipped), &AssessOptions::default()).unwrap().qualifies;
        prop_assert!(!before || after);
    }
}
