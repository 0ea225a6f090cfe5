//! Storage of the single window (issue 5): declarations and their versions, assessments, the
//! event log (lodging, officer decisions with comments, agency approvals), agency parts,
//! idempotency keys and versioned risk-rule sets.
//!
//! The store knows nothing of the lifecycle rules: the server replays the stored events with
//! `caravan_customs::Lifecycle`, applies the next one, and hands the store a [`Transition`]
//! that names how many events it expected to find. The store refuses the transition when
//! another one got in first (optimistic concurrency), so an illegal state is never written.
//!
//! Lodging is batched: [`DeclarationStore::lodge_batch`] writes many lodgements in one durable
//! transaction (group commit), each all-or-nothing inside a savepoint.

use async_trait::async_trait;
use caravan_types::CountryCode;
use serde::Serialize;
use serde_json::Value;
use time::OffsetDateTime;

use crate::{Actor, Change, StoreResult};

/// One declaration's current state.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DeclarationRecord {
    pub id: i64,
    /// The trader's reference (`reference` of the data set), unique per organisation.
    pub reference: String,
    /// The declarant's organisation.
    pub org_id: i64,
    /// Country of the customs office.
    pub country: CountryCode,
    /// `caravan_customs::Status` as text (`draft`, `lodged`, …).
    pub status: String,
    /// Current version: 1, +1 per amendment.
    pub version: i64,
    /// Channel of the current version's assessment.
    pub channel: Option<String>,
    /// Higher is riskier: orders the officers' queue.
    pub risk_score: i64,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    pub updated_at: OffsetDateTime,
}

/// The full data set of one version.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct VersionRecord {
    pub version: i64,
    pub body: Value,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
}

/// The assessment of one version.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AssessmentRecord {
    pub version: i64,
    pub channel: String,
    /// The risk-rule set version the assessment used.
    pub rule_set_version: String,
    /// Every rule that fired, duties, routes and certificate verdicts, as the server built them.
    pub body: Value,
    #[serde(with = "time::serde::rfc3339")]
    pub at: OffsetDateTime,
}

/// One entry of a declaration's event log.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct EventRecord {
    /// 1-based position in the declaration's log.
    pub seq: i64,
    pub version: i64,
    pub from_status: String,
    pub to_status: String,
    /// A `caravan_customs::Event` as JSON (officer decisions carry their comment).
    pub event: Value,
    pub actor: Actor,
    #[serde(with = "time::serde::rfc3339")]
    pub at: OffsetDateTime,
}

/// Another agency's part in a declaration.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AgencyPart {
    pub agency: String,
    /// `pending`, `approved` or `refused`.
    pub status: String,
}

/// A declaration with everything kept about it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DeclarationDetail {
    pub record: DeclarationRecord,
    pub versions: Vec<VersionRecord>,
    pub assessments: Vec<AssessmentRecord>,
    pub events: Vec<EventRecord>,
    pub agencies: Vec<AgencyPart>,
}

/// A draft to create or replace.
#[derive(Debug, Clone)]
pub struct NewDraft {
    pub reference: String,
    pub org_id: i64,
    pub country: CountryCode,
    pub body: JsonText,
}

/// A JSON value serialized once, compactly, by whoever made it: the lodging tasks run in
/// parallel, the one writer that stores every batch then only copies text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JsonText(String);

impl JsonText {
    /// Serializes `value`.
    ///
    /// # Errors
    /// When `value`'s `Serialize` fails (a map with non-string keys, say).
    pub fn of<T: Serialize + ?Sized>(value: &T) -> Result<JsonText, serde_json::Error> {
        serde_json::to_string(value).map(JsonText)
    }

    /// The JSON text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl From<&Value> for JsonText {
    fn from(value: &Value) -> JsonText {
        // Straight into a byte buffer: `Value`'s `Display` (`to_string`) goes through the
        // formatting machinery for every token, about three times slower. A `Value` always
        // serializes (its map keys are strings); the fallback is never taken.
        JsonText(serde_json::to_string(value).unwrap_or_else(|_| value.to_string()))
    }
}

impl From<Value> for JsonText {
    fn from(value: Value) -> JsonText {
        JsonText::from(&value)
    }
}

/// An event to append.
#[derive(Debug, Clone)]
pub struct NewEvent {
    pub version: i64,
    pub from_status: String,
    pub to_status: String,
    pub event: Value,
}

/// An assessment to record for the transition's version.
#[derive(Debug, Clone)]
pub struct NewAssessment {
    pub channel: String,
    pub rule_set_version: String,
    pub risk_score: i64,
    pub body: JsonText,
}

/// A change of a declaration's state, computed by the lifecycle in the server.
#[derive(Debug, Clone)]
pub struct Transition {
    /// How many events the caller saw; the store refuses the transition if there are more.
    pub expected_events: i64,
    pub events: Vec<NewEvent>,
    pub status: String,
    pub version: i64,
    /// An amendment's data set, stored as version `version`.
    pub new_body: Option<Value>,
    /// The new assessment; it sets the channel and risk score.
    pub assessment: Option<NewAssessment>,
    /// Clears the channel (an amendment before its re-assessment).
    pub clear_channel: bool,
    /// Replaces the agency parts with these, all pending.
    pub agencies: Option<Vec<String>>,
    /// An agency's decision on its part: (agency, `approved` | `refused`).
    pub agency_decision: Option<(String, String)>,
    /// The audit action (`declaration.decide`, …) and details.
    pub audit_action: &'static str,
    pub audit_details: Value,
}

/// One lodgement of a batch.
#[derive(Debug, Clone)]
pub struct Lodgement {
    pub change: Change,
    /// The data set; a draft of the same reference and organisation is lodged in place.
    pub draft: NewDraft,
    /// The caller's idempotency key (unique per `change.actor.user_id`).
    pub idempotency_key: Option<String>,
    /// Lodge, assess and route, from `draft` status.
    pub transition: Transition,
    /// The answer to the caller, kept with the idempotency key for retries.
    pub response: Value,
}

/// What a lodgement produced.
#[derive(Debug, Clone, PartialEq)]
pub struct LodgeReceipt {
    pub declaration_id: i64,
    /// The first answer, when the idempotency key was used before: nothing was written.
    /// `None` for a lodgement written now, whose answer is its own [`Lodgement::response`]
    /// (not copied back: the single writer would spend its time cloning answers).
    pub replayed: Option<Value>,
}

/// Order of a list of declarations.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum DeclarationOrder {
    /// Newest change first.
    #[default]
    Recent,
    /// Highest risk score first, then oldest first (the officers' queue).
    Risk,
}

/// Which declarations to list; every set field must match.
#[derive(Debug, Clone, Default)]
pub struct DeclarationFilter {
    pub org_id: Option<i64>,
    pub country: Option<CountryCode>,
    /// Any of these statuses; empty means any status.
    pub statuses: Vec<String>,
    /// Only declarations where this agency's part is pending.
    pub pending_agency: Option<String>,
    pub order: DeclarationOrder,
    pub limit: i64,
}

/// A trader's record: declarations lodged and declarations rejected.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct TraderRecord {
    pub n_lodged: i64,
    pub n_rejected: i64,
}

/// One version of a country's risk rules.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RiskRuleSetRecord {
    pub country: CountryCode,
    /// 1, 2, … per country.
    pub version: i64,
    /// A `caravan_customs::RiskRuleSet` as JSON.
    pub body: Value,
    pub actor: Actor,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
}

/// Storage of the single window (issue 5).
#[async_trait]
pub trait DeclarationStore: Send + Sync {
    /// Creates a draft, or replaces the data set of the organisation's draft with the same
    /// reference. References are the declarant's own: unique per organisation, so another
    /// organisation's declaration of the same reference neither blocks nor shows. `Conflict`
    /// when the organisation's declaration of that reference is lodged.
    async fn save_draft(&self, change: &Change, draft: &NewDraft)
    -> StoreResult<DeclarationRecord>;

    /// Writes the lodgements in one durable transaction. Each one is all-or-nothing: it either
    /// is written whole (with its audit entry), or replayed from its idempotency key, or fails
    /// alone (`Conflict`) without touching the others. `Err` only when the transaction failed,
    /// and then nothing of the batch was written.
    async fn lodge_batch(
        &self,
        lodgements: &[Lodgement],
    ) -> StoreResult<Vec<StoreResult<LodgeReceipt>>>;

    /// The answer kept with `user_id`'s idempotency key, if the key was used.
    async fn idempotent_response(&self, user_id: i64, key: &str) -> StoreResult<Option<Value>>;

    /// Applies a transition. `Conflict` when the declaration has other than
    /// `expected_events` events (someone else changed it first); `NotFound` for an unknown id.
    async fn apply_transition(
        &self,
        change: &Change,
        declaration_id: i64,
        transition: &Transition,
    ) -> StoreResult<DeclarationRecord>;

    /// The declarations of every declarant that used `reference` (usually one; references are
    /// unique per organisation), each with its versions, assessments, events and agency parts,
    /// oldest first. The caller keeps those the reader may see.
    async fn declarations_with_reference(
        &self,
        reference: &str,
    ) -> StoreResult<Vec<DeclarationDetail>>;

    /// Declarations matching the filter.
    async fn declarations(&self, filter: &DeclarationFilter)
    -> StoreResult<Vec<DeclarationRecord>>;

    /// How many declarations the organisation lodged, and how many were rejected.
    async fn trader_record(&self, org_id: i64) -> StoreResult<TraderRecord>;

    /// Every version of a country's risk rules, newest first.
    async fn risk_rule_sets(&self, country: CountryCode) -> StoreResult<Vec<RiskRuleSetRecord>>;

    /// Stores a new version of a country's risk rules (the previous version + 1).
    async fn put_risk_rule_set(
        &self,
        change: &Change,
        country: CountryCode,
        body: &Value,
    ) -> StoreResult<RiskRuleSetRecord>;
}

/// The conformance checks of this part of the port, run on every adapter.
pub async fn conformance(store: &dyn crate::Store) {
    conformance::run(store).await;
}

mod conformance;
