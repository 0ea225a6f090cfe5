//! Our own rule-book format (`caravan-origin-rules/1`, JSON, documented in `data/tariff/FORMAT.md`):
//! rules as data for an agreement such as a China–Central Asia one, written with the [`Rule`] tree.

use caravan_types::{CountryCode, Decimal, HsCode};
use serde::Deserialize;

use crate::rule::{Rule, RuleBook, RuleSet, ten_digit};

/// The version tag of a rule-book file.
pub const FORMAT: &str = "caravan-origin-rules/1";

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    format: String,
    agreement: String,
    illustrative: bool,
    #[serde(default)]
    notice: Option<String>,
    #[serde(default)]
    parties: Vec<CountryCode>,
    #[serde(default)]
    cumulation: Vec<CountryCode>,
    #[serde(default, with = "rust_decimal::serde::str_option")]
    tolerance_percent: Option<Decimal>,
    rules: Vec<Entry>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Entry {
    from: HsCode,
    to: HsCode,
    #[serde(default)]
    description: Option<String>,
    rule: Rule,
    #[serde(default)]
    text: Option<String>,
}

/// Why a rule-book file was refused.
#[derive(Debug, thiserror::Error)]
pub enum NativeRulesError {
    #[error("{0}")]
    Json(#[from] serde_json::Error),
    #[error("format: expected {FORMAT:?}, got {0:?}")]
    Format(String),
    #[error("rules[{idx}]: range {from}..{to} is empty")]
    EmptyRange { idx: usize, from: HsCode, to: HsCode },
    #[error("tolerance_percent: must be between 0 and 100, got {0}")]
    Tolerance(Decimal),
}

/// Reads a rule book in our format.
///
/// # Errors
/// [`NativeRulesError`] naming the field at fault.
pub fn parse_rule_book(json: &str) -> Result<RuleBook, NativeRulesError> {
    let file: File = serde_json::from_str(json)?;
    if file.format != FORMAT {
        return Err(NativeRulesError::Format(file.format));
    }
    if let Some(tolerance) = file.tolerance_percent
        && (tolerance.is_sign_negative() || tolerance > Decimal::ONE_HUNDRED)
    {
        return Err(NativeRulesError::Tolerance(tolerance));
    }
    let mut rule_sets = Vec::with_capacity(file.rules.len());
    for (idx, entry) in file.rules.into_iter().enumerate() {
        let min = ten_digit(&entry.from);
        let pad = 10u64.pow(10 - entry.to.len() as u32) - 1;
        let max = ten_digit(&entry.to) + pad;
        if max < min {
            return Err(NativeRulesError::EmptyRange { idx, from: entry.from, to: entry.to });
        }
        let heading = if entry.from == entry.to {
            entry.from.to_string()
        } else {
            format!("{}-{}", entry.from, entry.to)
        };
        let text = entry.text.unwrap_or_else(|| entry.rule.label());
        rule_sets.push(RuleSet {
            heading,
            subdivision: entry.description,
            min,
            max,
            rule: entry.rule,
            texts: vec![text],
        });
    }
    Ok(RuleBook {
        agreement: file.agreement,
        illustrative: file.illustrative,
        notice: file.notice,
        parties: file.parties,
        cumulation: file.cumulation,
        tolerance_percent: file.tolerance_percent,
        rule_sets,
    })
}
