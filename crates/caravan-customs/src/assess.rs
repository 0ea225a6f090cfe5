//! Assessment of a lodged declaration: duty lines (computed by the tariff engine) and
//! certificate verdicts (from certificate verification) come in as values; the risk channel,
//! agency routes and totals go out, with the rule-set version recorded.
//!
//! This crate does not compute duties or verify signatures: the lead plugs those engines in by
//! passing their results here, which keeps `caravan-customs` free of their dependencies.

use std::collections::BTreeMap;

use caravan_types::{CurrencyCode, Money};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::codes::CodeLists;
use crate::dataset::Declaration;
use crate::risk::{
    AgencyRoute, Channel, RiskAssessment, RiskRuleSet, RoutingTable, Selection, StandingDecision,
    TraderHistory, assess_risk, route,
};

/// The result of verifying one attached certificate (signature, issuing authority, not
/// revoked, goods and parties matching the declaration).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CertificateVerdict {
    /// The `reference` of the attached document.
    pub document_reference: String,
    pub verified: bool,
    /// Why it failed, or what was checked.
    pub reason: String,
}

/// One duty or tax amount for one item, as the tariff engine computed it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DutyLine {
    pub item_idx: usize,
    /// `customs_duty`, `vat`, `excise`, ….
    pub tax_type: String,
    pub amount: Money,
    /// Whether a preferential rate was applied.
    pub preferential: bool,
    /// `real` (a rate of law, cited by the tariff engine) or `illustrative` (a sample rate).
    /// Assessments stored before this mark existed were all computed from illustrative samples.
    #[serde(default = "illustrative")]
    pub provenance: String,
}

fn illustrative() -> String {
    "illustrative".to_owned()
}

/// Everything an assessment needs besides the declaration.
#[derive(Debug, Clone, Copy)]
pub struct AssessmentInput<'a> {
    /// The declaration's version (1 at lodging, +1 per amendment).
    pub version: u32,
    /// How random-selection rules draw (keyed at lodging, withheld in a preview).
    pub selection: Selection<'a>,
    /// An officer's decision that still holds ([`crate::Lifecycle::standing_decision`]).
    pub standing: Option<&'a StandingDecision>,
    pub duty_lines: &'a [DutyLine],
    pub verdicts: &'a [CertificateVerdict],
    pub history: TraderHistory,
    pub rules: &'a RiskRuleSet,
    pub routing: &'a RoutingTable,
    pub code_lists: &'a CodeLists,
}

/// A declaration's assessment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Assessment {
    pub reference: String,
    pub version: u32,
    pub risk: RiskAssessment,
    pub routes: Vec<AgencyRoute>,
    pub duty_lines: Vec<DutyLine>,
    /// Sum of duty lines per currency, in currency order.
    pub totals: Vec<Money>,
}

impl Assessment {
    /// The channel of the risk assessment.
    pub fn channel(&self) -> Channel {
        self.risk.channel
    }

    /// The agencies whose approval release needs.
    pub fn required_agencies(&self) -> Vec<String> {
        self.routes.iter().map(|route| route.agency.clone()).collect()
    }
}

/// Why the inputs of an assessment do not fit the declaration.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AssessError {
    #[error("duty line {line_idx} names item {item_idx}, but the declaration has {n_items} items")]
    NoSuchItem { line_idx: usize, item_idx: usize, n_items: usize },
    #[error(
        "duty line {line_idx} applies a preferential rate to item {item_idx}, but no certificate of origin covering it verified"
    )]
    UnsupportedPreference { line_idx: usize, item_idx: usize },
    #[error("duty line {line_idx} has a negative amount {amount}")]
    NegativeAmount { line_idx: usize, amount: Money },
}

/// The document type of a certificate of origin (UN/EDIFACT 1001 code 861).
pub const CERTIFICATE_OF_ORIGIN: &str = "861";

/// Whether a verified certificate's subject names the declaration's parties and goods: its
/// exporter (or consignor) and importer (or consignee) are the declaration's, by name
/// (case and surrounding spaces aside), and its goods (or commodities) list an HS code under the
/// 6-digit subheading of the item it is attached to (`item_idx`), or of every item when it is
/// attached to the whole declaration. The credential is the certificate's JSON (a W3C VC:
/// `credentialSubject`); `None` when the certificate is not JSON.
///
/// # Errors
/// What does not match, in words for the officer and the trader.
pub fn certificate_covers(
    declaration: &Declaration,
    item_idx: Option<usize>,
    credential: Option<&serde_json::Value>,
) -> Result<(), String> {
    let credential =
        credential.ok_or_else(|| "the certificate is not a JSON credential".to_owned())?;
    let subject = &credential["credentialSubject"];
    let same = |a: &str, b: &str| a.trim().eq_ignore_ascii_case(b.trim());
    let party = |keys: [&str; 2]| {
        keys.iter()
            .find_map(|k| subject.get(*k))
            .and_then(|p| p.get("name"))
            .and_then(serde_json::Value::as_str)
    };
    match party(["exporter", "consignor"]) {
        Some(name) if same(name, &declaration.exporter.name) => {}
        other => return Err(format!("exporter {other:?} is not the declaration's exporter")),
    }
    match party(["importer", "consignee"]) {
        Some(name) if same(name, &declaration.importer.name) => {}
        other => return Err(format!("importer {other:?} is not the declaration's importer")),
    }
    let lines = subject.get("goods").or_else(|| subject.get("commodities"));
    let codes: Vec<&str> = lines
        .and_then(serde_json::Value::as_array)
        .map(|list| {
            list.iter()
                .filter_map(|g| g.get("hsCode").and_then(serde_json::Value::as_str))
                .collect()
        })
        .unwrap_or_default();
    let items: Vec<usize> = match item_idx {
        Some(idx) => vec![idx],
        None => (0..declaration.items.len()).collect(),
    };
    for idx in items {
        let Some(item) = declaration.items.get(idx) else { continue };
        let hs6 = item.hs_code.truncate(6);
        if !codes.iter().any(|code| code.starts_with(hs6.as_str())) {
            return Err(format!(
                "item {idx} (HS {}) is not among the certificate's goods",
                item.hs_code
            ));
        }
    }
    Ok(())
}

/// Whether item `item_idx` may get a preferential rate: it claims preferential origin and a
/// certificate of origin covering it (its own or the declaration's) verified. This is the gate
/// the tariff engine applies before choosing a preferential rate (issue 5: "applying a
/// preferential rate only when a certificate of origin verifies").
pub fn preferential_claim_supported(
    declaration: &Declaration,
    item_idx: usize,
    verdicts: &[CertificateVerdict],
) -> bool {
    let claims =
        declaration.items.get(item_idx).is_some_and(|item| item.preferential_origin.is_some());
    claims
        && declaration.documents_for_item(item_idx).any(|doc| {
            doc.document_type == CERTIFICATE_OF_ORIGIN
                && verdicts
                    .iter()
                    .any(|verdict| verdict.document_reference == doc.reference && verdict.verified)
        })
}

/// Assesses a checked declaration: checks the duty lines against it, assigns the risk channel
/// and routes items to agencies.
///
/// # Errors
/// [`AssessError`] when a duty line names a missing item, is negative, or applies a preference
/// that no verified certificate of origin supports.
pub fn assess(
    declaration: &Declaration,
    input: &AssessmentInput<'_>,
) -> Result<Assessment, AssessError> {
    let n_items = declaration.items.len();
    let mut totals: BTreeMap<CurrencyCode, Decimal> = BTreeMap::new();
    for (line_idx, line) in input.duty_lines.iter().enumerate() {
        if line.item_idx >= n_items {
            return Err(AssessError::NoSuchItem { line_idx, item_idx: line.item_idx, n_items });
        }
        if line.amount.amount < Decimal::ZERO {
            return Err(AssessError::NegativeAmount { line_idx, amount: line.amount });
        }
        if line.preferential
            && !preferential_claim_supported(declaration, line.item_idx, input.verdicts)
        {
            return Err(AssessError::UnsupportedPreference { line_idx, item_idx: line.item_idx });
        }
        *totals.entry(line.amount.currency).or_default() += line.amount.amount;
    }
    let code_lists = input.code_lists;
    let is_certificate = |code: &str| code_lists.document_types.get(code) == Some(&true);
    let risk = assess_risk(
        declaration,
        input.selection,
        input.standing,
        input.rules,
        input.history,
        input.verdicts,
        &is_certificate,
    );
    let routes = route(declaration, input.routing);
    Ok(Assessment {
        reference: declaration.reference.clone(),
        version: input.version,
        risk,
        routes,
        duty_lines: input.duty_lines.to_vec(),
        totals: totals.into_iter().map(|(currency, amount)| Money::new(amount, currency)).collect(),
    })
}

#[cfg(test)]
mod tests;
