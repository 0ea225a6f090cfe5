//! The risk engine and agency routing: versioned risk rules as data, a channel
//! (green / yellow / red) with every rule that fired, and the items each agency must approve.
//!
//! Rules come from `data/customs/risk-rules.json` and reference value ranges from
//! `data/customs/reference-values.csv` (both illustrative); routing from
//! `data/customs/agency-routing.csv`.
//!
//! Random selection must be unpredictable to the declarant and reproducible by the
//! administration (WCO Risk Management Compendium, vol. 1 §6.6: random selection "as a
//! complement to targeted selectivity", to measure compliance and to deter). The draw is a keyed
//! MAC — HMAC-SHA256 (RFC 2104) under the administration's secret key — of the declaration
//! reference, the rule-set version and the rule id ([`selection_draw`]): whoever lacks the key
//! cannot tell which references are selected, whoever holds it can recompute every draw, and
//! since the version is not an input an amendment keeps the selection. A preview before lodging
//! passes [`Selection::Withheld`] and never learns the draw.

use std::collections::BTreeMap;
use std::fmt;

use caravan_types::{CountryCode, CurrencyCode, HsCode};
use hmac::{Hmac, Mac};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use sha2::Sha256;

use crate::assess::CertificateVerdict;
use crate::dataset::Declaration;

/// The risk channel (WCO Risk Management Compendium: green = release, yellow = documentary
/// check, red = physical inspection). Ordered by severity.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Channel {
    Green,
    Yellow,
    Red,
}

impl fmt::Display for Channel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Green => "green",
            Self::Yellow => "yellow",
            Self::Red => "red",
        })
    }
}

/// When a rule fires.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum Condition {
    /// An item's HS code lies under one of the prefixes.
    HsPrefix { prefixes: Vec<HsCode> },
    /// An item's (non-preferential) origin is one of the countries.
    Origin { countries: Vec<CountryCode> },
    /// An item's customs value per kg of net mass lies outside the reference range of the
    /// longest matching HS prefix in the same currency (items without a range do not fire).
    ValuePerKgOutsideReference {},
    /// The trader has at least `min_declarations` past declarations and more than `rate` of
    /// them were found in breach.
    TraderViolationRateAbove { rate: Decimal, min_declarations: u32 },
    /// The trader has fewer than `fewer_than` past declarations.
    NewTrader { fewer_than: u32 },
    /// An item claims preferential origin without a document of `document_type` covering it.
    PreferenceWithoutCertificate { document_type: String },
    /// An attached certificate has no verdict or did not verify.
    CertificateNotVerified {},
    /// The declaration's uniform draw for this rule is below `rate` (a fraction, 0 to 1).
    RandomSelection { rate: Decimal },
}

/// One risk rule.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RiskRule {
    pub id: String,
    pub description: String,
    /// The channel the declaration goes to at least when the rule fires.
    pub channel: Channel,
    pub when: Condition,
}

/// A reference range of customs value per kg for goods under an HS prefix.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReferenceRange {
    pub hs_prefix: HsCode,
    pub currency: CurrencyCode,
    pub min_per_kg: Decimal,
    pub max_per_kg: Decimal,
}

/// A versioned set of risk rules with its reference ranges.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RiskRuleSet {
    pub version: String,
    pub rules: Vec<RiskRule>,
    #[serde(default)]
    pub reference_values: Vec<ReferenceRange>,
}

/// Why a rule set could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RuleSetError {
    #[error("risk rules: {0}")]
    Rules(String),
    #[error("risk rules: rule {rule}: {reason}")]
    Rule { rule: String, reason: String },
    #[error("reference values: row {row}: {reason}")]
    ReferenceRow { row: u64, reason: String },
    #[error("agency routing: row {row}: {reason}")]
    RoutingRow { row: u64, reason: String },
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RulesFile {
    version: String,
    /// A note for people reading the file; not used.
    #[serde(default, rename = "note")]
    _note: Option<serde::de::IgnoredAny>,
    rules: Vec<RiskRule>,
}

impl RiskRuleSet {
    /// Parses `risk-rules.json` and `reference-values.csv`
    /// (`hs_prefix,currency,min_per_kg,max_per_kg,note`).
    ///
    /// # Errors
    /// [`RuleSetError`] naming the rule or row and the reason.
    pub fn parse(
        rules_json: &str,
        reference_values_csv: &str,
    ) -> Result<RiskRuleSet, RuleSetError> {
        let file: RulesFile =
            serde_json::from_str(rules_json).map_err(|err| RuleSetError::Rules(err.to_string()))?;
        if file.version.trim().is_empty() {
            return Err(RuleSetError::Rules("version must not be empty".to_owned()));
        }
        let mut ids = std::collections::BTreeSet::new();
        for rule in &file.rules {
            let fail = |reason: &str| RuleSetError::Rule {
                rule: rule.id.clone(),
                reason: reason.to_owned(),
            };
            if !ids.insert(rule.id.as_str()) {
                return Err(fail("rule id used twice"));
            }
            match &rule.when {
                Condition::RandomSelection { rate }
                | Condition::TraderViolationRateAbove { rate, .. }
                    if *rate < Decimal::ZERO || *rate > Decimal::ONE =>
                {
                    return Err(fail("rate must be a fraction from 0 to 1"));
                }
                _ => {}
            }
        }
        let mut reference_values = Vec::new();
        let mut reader = csv::Reader::from_reader(reference_values_csv.as_bytes());
        for (idx, record) in reader.records().enumerate() {
            let row = idx as u64 + 2;
            let fail = |reason: String| RuleSetError::ReferenceRow { row, reason };
            let record = record.map_err(|err| fail(err.to_string()))?;
            let field = |n: usize| record.get(n).map(str::trim).unwrap_or_default();
            let hs_prefix = HsCode::parse(field(0)).map_err(|err| fail(err.to_string()))?;
            let currency = CurrencyCode::parse(field(1)).map_err(|err| fail(err.to_string()))?;
            let min_per_kg: Decimal = field(2)
                .parse()
                .map_err(|_| fail(format!("min_per_kg {:?} is not a decimal", field(2))))?;
            let max_per_kg: Decimal = field(3)
                .parse()
                .map_err(|_| fail(format!("max_per_kg {:?} is not a decimal", field(3))))?;
            if min_per_kg < Decimal::ZERO || max_per_kg < min_per_kg {
                return Err(fail(format!("range {min_per_kg}..{max_per_kg} is empty or negative")));
            }
            reference_values.push(ReferenceRange { hs_prefix, currency, min_per_kg, max_per_kg });
        }
        Ok(RiskRuleSet { version: file.version, rules: file.rules, reference_values })
    }

    /// The range of the longest HS prefix covering `hs_code` in `currency`.
    pub fn reference_range(
        &self,
        hs_code: &HsCode,
        currency: CurrencyCode,
    ) -> Option<&ReferenceRange> {
        self.reference_values
            .iter()
            .filter(|range| range.currency == currency && hs_code.is_within(&range.hs_prefix))
            .max_by_key(|range| range.hs_prefix.len())
    }
}

/// The trader's compliance history, from the store.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct TraderHistory {
    pub n_declarations: u32,
    /// Declarations found in breach (after control or post-clearance audit).
    pub n_violations: u32,
}

/// One rule that fired, with where and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FiredRule {
    pub rule_id: String,
    pub channel: Channel,
    /// The item that made it fire, `None` for declaration-level rules.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub item_idx: Option<usize>,
    pub reason: String,
}

/// The channel with its reasons and the rule-set version used.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RiskAssessment {
    pub ruleset_version: String,
    pub channel: Channel,
    pub fired: Vec<FiredRule>,
}

/// How random-selection rules draw.
#[derive(Debug, Clone, Copy)]
pub enum Selection<'a> {
    /// Draw under the administration's secret key ([`selection_draw`]).
    Keyed(&'a [u8]),
    /// Do not draw: a preview before lodging. Random-selection rules never fire, so a preview
    /// reveals nothing about the selection.
    Withheld,
}

/// The uniform draw in [0, 1) for random selection: the first 48 bits of
/// HMAC-SHA256(`key`, `reference` 0x00 `ruleset_version` 0x00 `rule_id`) as a big-endian
/// integer, divided by 2^48. The declaration's version is not an input, so amendments keep the
/// draw; a new rule-set version draws anew.
pub fn selection_draw(
    key: &[u8],
    reference: &str,
    ruleset_version: &str,
    rule_id: &str,
) -> Decimal {
    // HMAC accepts keys of any length (RFC 2104 §2), so `new_from_slice` cannot fail.
    let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(key) else { return Decimal::ONE };
    mac.update(reference.as_bytes());
    mac.update(&[0]);
    mac.update(ruleset_version.as_bytes());
    mac.update(&[0]);
    mac.update(rule_id.as_bytes());
    let digest = mac.finalize().into_bytes();
    let mut first = [0u8; 8];
    first.copy_from_slice(&digest[..8]);
    // Keep 48 bits so the quotient is exact in a Decimal (96-bit mantissa).
    let bits = u64::from_be_bytes(first) >> 16;
    Decimal::from(bits) / Decimal::from(1u64 << 48)
}

/// An officer's decision that holds a declaration in a channel until an officer decides
/// otherwise: ordering documents keeps it at least yellow, ordering an inspection at least red,
/// whatever an amendment changes ([`crate::Lifecycle::standing_decision`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StandingDecision {
    pub channel: Channel,
    /// The version the officer decided on.
    pub version: u32,
    /// What the officer ordered, in words.
    pub decision: String,
}

/// The rule id of the reason a [`StandingDecision`] adds to an assessment.
pub const STANDING_DECISION_RULE: &str = "OFFICER-DECISION";

/// Applies every rule to a checked declaration and returns the most severe channel with every
/// rule that fired (green when none did).
///
/// `selection` says how random-selection rules draw; `standing` is an officer's decision that
/// holds (it fires as [`STANDING_DECISION_RULE`]); `verdicts` are the results of verifying each
/// attached certificate, by document reference.
pub fn assess_risk(
    declaration: &Declaration,
    selection: Selection<'_>,
    standing: Option<&StandingDecision>,
    rules: &RiskRuleSet,
    history: TraderHistory,
    verdicts: &[CertificateVerdict],
    certificate_types: &dyn Fn(&str) -> bool,
) -> RiskAssessment {
    let mut fired = Vec::new();
    for rule in &rules.rules {
        let mut fire = |item_idx: Option<usize>, reason: String| {
            fired.push(FiredRule {
                rule_id: rule.id.clone(),
                channel: rule.channel,
                item_idx,
                reason,
            });
        };
        match &rule.when {
            Condition::HsPrefix { prefixes } => {
                for (idx, item) in declaration.items.iter().enumerate() {
                    if let Some(prefix) =
                        prefixes.iter().find(|prefix| item.hs_code.is_within(prefix))
                    {
                        fire(Some(idx), format!("HS {} is under {prefix}", item.hs_code));
                    }
                }
            }
            Condition::Origin { countries } => {
                for (idx, item) in declaration.items.iter().enumerate() {
                    if countries.contains(&item.origin) {
                        fire(Some(idx), format!("origin {} is on the rule's list", item.origin));
                    }
                }
            }
            Condition::ValuePerKgOutsideReference {} => {
                for (idx, item) in declaration.items.iter().enumerate() {
                    let Some(range) =
                        rules.reference_range(&item.hs_code, item.customs_value.currency)
                    else {
                        continue;
                    };
                    // Net mass is positive after validation (BR-07), so the division is defined.
                    let per_kg = (item.customs_value.amount / item.net_mass_kg).round_dp(2);
                    if per_kg < range.min_per_kg || per_kg > range.max_per_kg {
                        fire(
                            Some(idx),
                            format!(
                                "{per_kg} {}/kg is outside the reference range {}..{} for HS {}",
                                range.currency, range.min_per_kg, range.max_per_kg, range.hs_prefix
                            ),
                        );
                    }
                }
            }
            Condition::TraderViolationRateAbove { rate, min_declarations } => {
                if history.n_declarations >= *min_declarations && history.n_declarations > 0 {
                    let observed =
                        Decimal::from(history.n_violations) / Decimal::from(history.n_declarations);
                    if observed > *rate {
                        fire(
                            None,
                            format!(
                                "{} of {} past declarations in breach ({}), above {rate}",
                                history.n_violations,
                                history.n_declarations,
                                observed.round_dp(4)
                            ),
                        );
                    }
                }
            }
            Condition::NewTrader { fewer_than } => {
                if history.n_declarations < *fewer_than {
                    fire(
                        None,
                        format!(
                            "{} past declarations, fewer than {fewer_than}",
                            history.n_declarations
                        ),
                    );
                }
            }
            Condition::PreferenceWithoutCertificate { document_type } => {
                for (idx, item) in declaration.items.iter().enumerate() {
                    let Some(preferential_origin) = item.preferential_origin else { continue };
                    if !declaration
                        .documents_for_item(idx)
                        .any(|doc| &doc.document_type == document_type)
                    {
                        fire(
                            Some(idx),
                            format!(
                                "preferential origin {preferential_origin} claimed without a document {document_type}"
                            ),
                        );
                    }
                }
            }
            Condition::CertificateNotVerified {} => {
                for (item_idx, document) in declaration.all_documents() {
                    if !certificate_types(&document.document_type) {
                        continue;
                    }
                    let verdict = verdicts
                        .iter()
                        .find(|verdict| verdict.document_reference == document.reference);
                    match verdict {
                        None => fire(
                            item_idx,
                            format!(
                                "certificate {} {} was not verified",
                                document.document_type, document.reference
                            ),
                        ),
                        Some(verdict) if !verdict.verified => fire(
                            item_idx,
                            format!(
                                "certificate {} {} failed verification: {}",
                                document.document_type, document.reference, verdict.reason
                            ),
                        ),
                        Some(_) => {}
                    }
                }
            }
            Condition::RandomSelection { rate } => {
                let Selection::Keyed(key) = selection else { continue };
                let draw = selection_draw(key, &declaration.reference, &rules.version, &rule.id);
                if draw < *rate {
                    fire(
                        None,
                        format!("randomly selected (draw {} < rate {rate})", draw.round_dp(6)),
                    );
                }
            }
        }
    }
    if let Some(standing) = standing {
        fired.push(FiredRule {
            rule_id: STANDING_DECISION_RULE.to_owned(),
            channel: standing.channel,
            item_idx: None,
            reason: format!(
                "an officer {} on version {}; that stands until an officer decides otherwise",
                standing.decision, standing.version
            ),
        });
    }
    let channel = fired.iter().map(|rule| rule.channel).max().unwrap_or(Channel::Green);
    RiskAssessment { ruleset_version: rules.version.clone(), channel, fired }
}

/// Items of HS codes from `hs_from` to `hs_to` (inclusive, compared on the prefix length of
/// the bounds) need the approval of `agency`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RoutingRule {
    pub hs_from: HsCode,
    pub hs_to: HsCode,
    pub agency: String,
    pub reason: String,
}

impl RoutingRule {
    /// Whether `hs_code` lies in the range: its prefix of the bounds' length is between them.
    pub fn covers(&self, hs_code: &HsCode) -> bool {
        let lower = hs_code.truncate(self.hs_from.len());
        let upper = hs_code.truncate(self.hs_to.len());
        hs_code.len() >= self.hs_from.len().max(self.hs_to.len())
            && lower.as_str() >= self.hs_from.as_str()
            && upper.as_str() <= self.hs_to.as_str()
    }
}

/// The routing table: which agencies approve which HS ranges.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct RoutingTable {
    pub rules: Vec<RoutingRule>,
}

impl RoutingTable {
    /// Parses `agency-routing.csv`: `hs_from,hs_to,agency,reason`.
    ///
    /// # Errors
    /// [`RuleSetError::RoutingRow`] naming the row.
    pub fn parse(csv_text: &str) -> Result<RoutingTable, RuleSetError> {
        let mut rules = Vec::new();
        let mut reader = csv::Reader::from_reader(csv_text.as_bytes());
        for (idx, record) in reader.records().enumerate() {
            let row = idx as u64 + 2;
            let fail = |reason: String| RuleSetError::RoutingRow { row, reason };
            let record = record.map_err(|err| fail(err.to_string()))?;
            let field = |n: usize| record.get(n).map(str::trim).unwrap_or_default();
            let hs_from = HsCode::parse(field(0)).map_err(|err| fail(err.to_string()))?;
            let hs_to = HsCode::parse(field(1)).map_err(|err| fail(err.to_string()))?;
            if hs_from.len() != hs_to.len() || hs_from > hs_to {
                return Err(fail(format!(
                    "{hs_from}..{hs_to} is not a range of codes of one length"
                )));
            }
            let agency = field(2).to_owned();
            if agency.is_empty() {
                return Err(fail("agency must not be empty".to_owned()));
            }
            rules.push(RoutingRule { hs_from, hs_to, agency, reason: field(3).to_owned() });
        }
        Ok(RoutingTable { rules })
    }
}

/// The items one agency must approve.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AgencyRoute {
    pub agency: String,
    pub item_indices: Vec<usize>,
    pub reasons: Vec<String>,
}

/// Routes each item to every agency whose HS range covers it; one route per agency, in
/// agency-name order, items ascending.
pub fn route(declaration: &Declaration, table: &RoutingTable) -> Vec<AgencyRoute> {
    let mut routes: BTreeMap<&str, AgencyRoute> = BTreeMap::new();
    for (idx, item) in declaration.items.iter().enumerate() {
        for rule in table.rules.iter().filter(|rule| rule.covers(&item.hs_code)) {
            let entry = routes.entry(rule.agency.as_str()).or_insert_with(|| AgencyRoute {
                agency: rule.agency.clone(),
                item_indices: Vec::new(),
                reasons: Vec::new(),
            });
            if entry.item_indices.last() != Some(&idx) {
                entry.item_indices.push(idx);
            }
            if !entry.reasons.contains(&rule.reason) {
                entry.reasons.push(rule.reason.clone());
            }
        }
    }
    routes.into_values().collect()
}

#[cfg(test)]
mod tests;
