//! The single-window declaration engine of Caravan (issue 5), as a pure domain crate.
//!
//! What comes in: the JSON text of a declaration, the code lists of `data/customs/` as text,
//! reference look-ups (HS codes, countries, currencies, Rec 20 units) as a [`ReferenceLookup`],
//! computed duty lines and certificate verdicts as values, the trader's compliance history,
//! and the date of today. What goes out: a checked [`Declaration`] or every [`FieldError`] at
//! once; a [`RiskAssessment`] with the channel and every rule that fired; agency routes; and
//! lifecycle transitions. This crate never opens a file, socket or clock: randomness is a keyed
//! MAC of the declaration reference, the rule-set version and the rule, under a key the shell
//! passes in (see [`risk::selection_draw`] and [`risk::Selection`]).
//!
//! The data set is our own dictionary keyed to WCO Data Model business names; it is documented
//! in `data/customs/DICTIONARY.md` and published as `data/customs/declaration.schema.json`.

pub mod assess;
pub mod codes;
pub mod dataset;
pub mod json;
pub mod lifecycle;
pub mod risk;
pub mod validate;

#[cfg(test)]
mod testing;

pub use assess::{
    AssessError, Assessment, AssessmentInput, CertificateVerdict, DutyLine, assess,
    certificate_covers, preferential_claim_supported,
};
pub use codes::{CodeListError, CodeListSources, CodeLists, ReferenceLookup, iso6346_is_valid};
pub use dataset::{
    Declaration, DeclarationType, Document, Item, Packages, Party, Quantity, Transport,
};
pub use json::{Json, Object};
pub use lifecycle::{
    AgencyDecision, Event, HistoryEntry, Lifecycle, OfficerDecision, Status, TransitionError,
};
pub use risk::{
    AgencyRoute, Channel, Condition, FiredRule, ReferenceRange, RiskAssessment, RiskRule,
    RiskRuleSet, RoutingRule, RoutingTable, STANDING_DECISION_RULE, Selection, StandingDecision,
    TraderHistory, assess_risk, route, selection_draw,
};
pub use validate::{
    ErrorCode, FieldError, ValidationContext, validate_json, validate_node, validate_value,
};
