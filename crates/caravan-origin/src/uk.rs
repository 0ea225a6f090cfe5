//! Reader of the UK open rule sets (HMRC Online Trade Tariff, `rule_sets/<scheme>.json`):
//! each rule's markdown text is classified into a [`Rule`] by the published wording, with the
//! `class` tags as hints. A text that matches none of the known wordings becomes
//! [`Rule::Unclassified`]: the engine says so rather than guess.
//!
//! Wordings recognised (after removing markdown links, emphasis and `<abbr>` tags):
//! - "CTH|CTSH|CC: All non-originating materials used in the production of the good have undergone
//!   a change in tariff classification at the N-digit level (...)."
//! - "Manufacture|Production from [non-originating] materials of any heading|subheading|chapter,
//!   except that of the good|product." — optionally followed by ", in which the value of all the
//!   materials used does not exceed N% of the ex-works price ..." or ". However, materials of the
//!   same heading as the good may be used, provided that their total value does not exceed N% ..."
//! - "Manufacture|Production from [non-originating] material(s) of any heading."
//! - "Manufacture|Production from materials of any heading, except those of heading A, B and C."
//! - "Manufacture|Production in which the value of all [the] [non-originating] materials used does
//!   not exceed N% of the ex-works price [(EXW)] of the good|product." and
//!   "A maximum of N% of the ex-works price (EXW) is made up of non-originating parts (MAXNOM)."
//! - "... Regional Value Content (RVC) of at least N% of the Free on Board (FOB) cost ..."
//!   (build-down) and "... RVC ... of not less than N%, whether using the build-up method or
//!   build-down method ..." (either).
//! - wholly obtained: "All animals of chapter N are wholly obtained.", "None if all the animals of
//!   chapter N are wholly obtained ...", "... in which all the materials of chapter X [and chapter Y]
//!   used are wholly obtained ...", "... all the meat and edible meat offal in the goods of this
//!   chapter is wholly obtained ...".
//! - rules tagged `PROCESSING` / `PROCESSING_TEXTILE` whose text matches none of the above: a
//!   specific process, the text being the process.
//!
//! The rules of one rule set are alternatives (the published list reads "or" between them).

use caravan_types::{Decimal, HsCode};
use serde::Deserialize;

use crate::rule::{CtcLevel, Rule, RuleBook, RuleSet, RvcMethod};

#[derive(Deserialize)]
struct UkFile {
    rule_sets: Vec<UkRuleSet>,
}

#[derive(Deserialize)]
struct UkRuleSet {
    heading: String,
    #[serde(default)]
    subdivision: Option<String>,
    min: String,
    max: String,
    #[serde(default = "yes")]
    valid: bool,
    rules: Vec<UkRule>,
}

fn yes() -> bool {
    true
}

#[derive(Deserialize)]
struct UkRule {
    rule: String,
    #[serde(default)]
    class: Vec<String>,
}

/// Why a UK rule-set file could not be read.
#[derive(Debug, thiserror::Error)]
pub enum UkRulesError {
    #[error("not a UK rule-set file (expected {{\"rule_sets\": [...]}}): {0}")]
    Json(#[from] serde_json::Error),
    #[error("rule_sets[{idx}].{field}: {value:?} is not a 10-digit code")]
    Range { idx: usize, field: &'static str, value: String },
}

/// Reads a UK rule-set file (`rule_sets/<scheme>.json` as shipped by the UK Trade Tariff).
///
/// # Errors
/// [`UkRulesError`] when the text is not such a file or a range is malformed.
pub fn parse_uk_rule_sets(json: &str, agreement: &str) -> Result<RuleBook, UkRulesError> {
    let file: UkFile = serde_json::from_str(json)?;
    let mut rule_sets = Vec::with_capacity(file.rule_sets.len());
    for (idx, set) in file.rule_sets.into_iter().enumerate() {
        if !set.valid {
            continue;
        }
        let range = |field: &'static str, value: &str| -> Result<u64, UkRulesError> {
            if value.len() == 10 && value.bytes().all(|b| b.is_ascii_digit()) {
                value.parse().map_err(|_| UkRulesError::Range {
                    idx,
                    field,
                    value: value.to_owned(),
                })
            } else {
                Err(UkRulesError::Range { idx, field, value: value.to_owned() })
            }
        };
        let min = range("min", &set.min)?;
        let max = range("max", &set.max)?;
        let mut rules: Vec<Rule> =
            set.rules.iter().map(|rule| classify(&rule.rule, &rule.class)).collect();
        let texts = set.rules.iter().map(|rule| normalise(&rule.rule)).collect();
        let rule = if rules.len() == 1 { rules.remove(0) } else { Rule::Any(rules) };
        rule_sets.push(RuleSet {
            heading: set.heading,
            subdivision: set.subdivision,
            min,
            max,
            rule,
            texts,
        });
    }
    Ok(RuleBook {
        agreement: agreement.to_owned(),
        illustrative: false,
        notice: Some(
            "Rules read from the UK Online Trade Tariff's open rule sets (MIT / OGL v3); legal texts are Crown copyright. \
             Check the origin reference document before relying on the verdict."
                .to_owned(),
        ),
        parties: Vec::new(),
        cumulation: Vec::new(),
        tolerance_percent: None,
        rule_sets,
    })
}

/// Removes the markdown and HTML of a published rule text: links keep their label, emphasis and
/// `<abbr>` tags go, `&nbsp;` becomes a space, white space collapses.
pub fn normalise(text: &str) -> String {
    let text = text.replace("&nbsp;", " ");
    let mut out = String::with_capacity(text.len());
    let mut rest = text.as_str();
    while let Some(ch) = rest.chars().next() {
        if ch == '<' {
            // Drop an HTML tag.
            match rest.find('>') {
                Some(end) => rest = &rest[end + 1..],
                None => {
                    out.push(ch);
                    rest = &rest[1..];
                }
            }
            continue;
        }
        if ch == ']' && rest.as_bytes().get(1) == Some(&b'(') {
            // End of a link label: drop the "(target)".
            match rest.find(')') {
                Some(end) => rest = &rest[end + 1..],
                None => rest = &rest[1..],
            }
            continue;
        }
        if ch == '[' || ch == '*' {
            rest = &rest[1..];
            continue;
        }
        out.push(ch);
        rest = &rest[ch.len_utf8()..];
    }
    out.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Parses "N%" at the start of `text`, returning the percentage and the rest.
fn percent_prefix(text: &str) -> Option<(Decimal, &str)> {
    let end = text.find('%')?;
    let value: Decimal = text[..end].trim().parse().ok()?;
    Some((value, &text[end + 1..]))
}

fn strip_any<'a>(text: &'a str, prefixes: &[&str]) -> Option<&'a str> {
    prefixes.iter().find_map(|prefix| text.strip_prefix(prefix))
}

fn ctc_level(word: &str) -> Option<CtcLevel> {
    match word {
        "heading" => Some(CtcLevel::Heading),
        "subheading" => Some(CtcLevel::Subheading),
        "chapter" => Some(CtcLevel::Chapter),
        _ => None,
    }
}

/// "... does not exceed N% of the ex-works price [(EXW)] of the good|product." → N
fn max_value_tail(text: &str) -> Option<Decimal> {
    let rest = text.strip_prefix("does not exceed ")?;
    let (percent, rest) = percent_prefix(rest)?;
    let rest = rest.strip_prefix(" of the ex-works price")?;
    let rest = rest.strip_prefix(" (EXW)").unwrap_or(rest);
    matches!(rest, " of the good." | " of the product.").then_some(percent)
}

/// Codes named as "heading 7106", "subheading 240319" or "chapter 3" in a list.
fn named_codes(text: &str) -> Option<Vec<HsCode>> {
    let mut codes = Vec::new();
    for part in text.split([',', ' ']) {
        let part = part.trim_end_matches('.');
        if !part.is_empty() && part.bytes().all(|b| b.is_ascii_digit()) {
            codes.push(HsCode::parse(part).ok()?);
        }
    }
    (!codes.is_empty()).then_some(codes)
}

/// Classifies one published rule text; `tags` are the file's `class` values.
pub fn classify(text: &str, tags: &[String]) -> Rule {
    let clean = normalise(text);
    classify_clean(&clean).unwrap_or_else(|| {
        if tags.iter().any(|tag| tag == "PROCESSING" || tag == "PROCESSING_TEXTILE") {
            Rule::SpecificProcess { process: clean.trim_end_matches('.').to_owned() }
        } else {
            Rule::Unclassified { text: clean }
        }
    })
}

fn classify_clean(text: &str) -> Option<Rule> {
    // FTA-style change of classification.
    for (abbr, level, digits) in [
        ("CTH: ", CtcLevel::Heading, "4-digit level (tariff heading)."),
        ("CTSH: ", CtcLevel::Subheading, "6-digit level (subheading)."),
        ("CC: ", CtcLevel::Chapter, "2-digit level (chapter)."),
    ] {
        if let Some(rest) = text.strip_prefix(abbr) {
            let rest = rest.strip_prefix(
                "All non-originating materials used in the production of the good have undergone a change in tariff classification at the ",
            )?;
            return (rest == digits).then_some(Rule::Ctc {
                level,
                except: Vec::new(),
                same_position_allowance_percent: None,
            });
        }
    }
    if let Some(rest) = strip_any(text, &["Manufacture from ", "Production from "]) {
        let rest = rest.strip_prefix("non-originating ").unwrap_or(rest);
        let rest = strip_any(rest, &["materials of any ", "material of any "])?;
        if rest == "heading." {
            return Some(Rule::AnyHeading);
        }
        let (word, rest) = rest.split_once(", except ")?;
        let level = ctc_level(word)?;
        let ctc = |allowance| Rule::Ctc {
            level,
            except: Vec::new(),
            same_position_allowance_percent: allowance,
        };
        if let Some(after) = strip_any(rest, &["that of the good", "that of the product"]) {
            if after == "." {
                return Some(ctc(None));
            }
            if let Some(tail) =
                after.strip_prefix(", in which the value of all the materials used ")
            {
                let percent = max_value_tail(tail)?;
                return Some(Rule::All(vec![ctc(None), Rule::MaxNonOriginating { percent }]));
            }
            let tail = after.strip_prefix(
                ". However, materials of the same heading as the good may be used, provided that their total value ",
            )?;
            if level != CtcLevel::Heading {
                return None;
            }
            return Some(ctc(Some(max_value_tail(tail)?)));
        }
        if level == CtcLevel::Heading {
            let list = rest.strip_prefix("those of ")?;
            if !list.ends_with('.') || list.contains("subheading") {
                return None;
            }
            let words_ok = list.trim_end_matches('.').split([',', ' ']).all(|w| {
                w.is_empty()
                    || w == "heading"
                    || w == "and"
                    || w.bytes().all(|b| b.is_ascii_digit())
            });
            if !words_ok {
                return None;
            }
            return named_codes(list).map(|codes| Rule::ExcludedMaterials { codes });
        }
        return None;
    }
    if let Some(rest) = strip_any(
        text,
        &["Manufacture in which the value of ", "Production in which the value of "],
    ) {
        let rest = strip_any(rest, &["all the ", "all "])?;
        let rest = rest.strip_prefix("non-originating ").unwrap_or(rest);
        let rest = rest.strip_prefix("materials used ")?;
        return max_value_tail(rest).map(|percent| Rule::MaxNonOriginating { percent });
    }
    if let Some(rest) = text.strip_prefix("A maximum of ") {
        let (percent, rest) = percent_prefix(rest)?;
        return (rest
            == " of the ex-works price (EXW) is made up of non-originating parts (MAXNOM).")
            .then_some(Rule::MaxNonOriginating { percent });
    }
    if let Some(rest) =
        text.strip_prefix("Your goods contain a Regional Value Content (RVC) of at least ")
    {
        let (percent, rest) = percent_prefix(rest)?;
        return (rest == " of the Free on Board (FOB) cost of the goods.")
            .then_some(Rule::Rvc { percent, method: RvcMethod::BuildDown });
    }
    if let Some(rest) = text.strip_prefix(
        "The good has a Regional Value Content (RVC) as calculated under Article 4 of the Origin Reference Document of not less than ",
    ) {
        let (percent, rest) = percent_prefix(rest)?;
        return rest
            .starts_with(", whether using the build-up method or build-down method")
            .then_some(Rule::Rvc { percent, method: RvcMethod::Either });
    }
    classify_wholly_obtained(text)
}

/// A chapter number as published ("7" or "07") as a 2-digit code.
fn chapter_code(number: &str) -> Option<HsCode> {
    match number.len() {
        1 => HsCode::parse(&format!("0{number}")).ok(),
        2 => HsCode::parse(number).ok(),
        _ => None,
    }
}

fn classify_wholly_obtained(text: &str) -> Option<Rule> {
    let whole = || Some(Rule::WhollyObtained { chapters: Vec::new() });
    let tail_ok = |tail: &str| matches!(tail, "." | " in the country or territory.");
    if let Some(rest) =
        strip_any(text, &["All animals of chapter ", "None if all the animals of chapter "])
    {
        let (number, tail) = rest.split_once(' ')?;
        chapter_code(number)?;
        let tail = tail.strip_prefix("are wholly obtained")?;
        return if tail_ok(tail) { whole() } else { None };
    }
    if let Some(tail) = strip_any(
        text,
        &[
            "Manufacture in which all the meat and edible meat offal in the goods of this chapter is wholly obtained",
            "Production in which all the meat and edible meat offal in the goods of this chapter is wholly obtained",
        ],
    ) {
        return if tail_ok(tail) {
            Some(Rule::WhollyObtained { chapters: vec![HsCode::parse("02").ok()?] })
        } else {
            None
        };
    }
    let rest = strip_any(
        text,
        &[
            "Manufacture in which all the materials of ",
            "Production in which all the materials of ",
        ],
    )?;
    let (list, tail) = rest.split_once(" used are wholly obtained")?;
    if !tail_ok(tail) {
        return None;
    }
    let mut chapters = Vec::new();
    for word in list.split(' ') {
        match word {
            "chapter" | "and" => {}
            digits => chapters.push(chapter_code(digits)?),
        }
    }
    (!chapters.is_empty()).then_some(Rule::WhollyObtained { chapters })
}
