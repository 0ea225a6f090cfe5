//! The single window's operations, one typed function per operation: lodging (validation,
//! certificate verdicts, duties, risk, routing, handed to the group-commit writer), drafts,
//! decisions, amendments' checks, item lines from CSV, and the policy functions they check
//! first. The JSON API (the crate root's handlers) and the pages (`pages`) are thin adapters
//! over them; the rules themselves live in `caravan-customs`. Nothing here knows HTTP: no
//! extractor, no response, no status code but through [`ApiError`]'s constructors.

use std::collections::BTreeSet;
use std::sync::Arc;

use caravan_customs::risk::RiskRuleSet;
use caravan_customs::{
    AgencyDecision, AssessmentInput, CertificateVerdict, Channel, Declaration, DutyLine, Event,
    FieldError, Json, Lifecycle, OfficerDecision, ReferenceLookup, Selection, Status,
    TraderHistory, ValidationContext,
};
use caravan_refdata::ReferenceData;
use caravan_store::declarations::{
    DeclarationDetail, DeclarationFilter, DeclarationOrder, DeclarationRecord, Lodgement,
    NewAssessment, NewDraft, NewEvent, RiskRuleSetRecord, TraderRecord, Transition,
};
use caravan_store::{Change, JsonText, OrgKind, Role};
use caravan_types::{CountryCode, CurrencyCode, HsCode};
use serde::Serialize;
use serde_json::{Value, json};
use tokio::sync::oneshot;

use caravan_web::AppState;
use caravan_web::auth::Caller;
use caravan_web::error::ApiError;
use caravan_web_tariff::TariffState;

use crate::{
    DecisionRequest, DeclarationRequest, DeclarationText, Job, ListQuery, PresentedCertificate,
    WindowState,
};

impl ReferenceLookup for Reference<'_> {
    fn hs_code_exists(&self, code: &HsCode) -> bool {
        code.len() >= 6 && self.0.is_known_hs(code)
    }
    fn country_exists(&self, country: &CountryCode) -> bool {
        self.0.country(country).is_some()
    }
    fn currency_exists(&self, currency: &CurrencyCode) -> bool {
        self.0.currency(currency).is_some()
    }
    fn unit_exists(&self, unit: &str) -> bool {
        self.0.unit(unit).is_some()
    }
}

/// Reference look-ups of the validator, answered from the shipped reference data.
pub(crate) struct Reference<'a>(&'a ReferenceData);

/// The agency an agency officer's organisation speaks for (the `agency` of
/// `data/customs/agency-routing.csv`).
pub fn agency_of(caller: &Caller) -> Option<&'static str> {
    if caller.user.role != Role::AgencyOfficer {
        return None;
    }
    match caller.org.kind {
        OrgKind::PlantProtectionService => Some("plant-protection"),
        _ => None,
    }
}

/// Traders and brokers of a trading company or brokerage lodge for their own organisation.
pub fn can_lodge(caller: &Caller) -> bool {
    matches!(caller.user.role, Role::Trader | Role::Broker)
        && matches!(caller.org.kind, OrgKind::TradingCompany | OrgKind::CustomsBroker)
}

/// Does the caller have declarations to list (their organisation's, their country's queue, or
/// their agency's parts)? The rule [`scope`] applies to every list.
pub fn can_list(caller: &Caller) -> bool {
    scope(caller, DeclarationFilter::default()).is_ok()
}

/// Which list the declarations page shows its visitor.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HomeList {
    /// A customs officer's queue: their country's declarations under control, riskiest first.
    Queue,
    /// An agency officer's parts awaiting their agency.
    AgencyParts,
    /// Everyone else's: the declarations they may see, most recently changed first.
    Own,
}

/// The list the declarations page opens on, by the caller's role ([`HomeList`]), at most 200.
///
/// # Errors
/// 403 for those who see no declarations ([`can_list`]); store failures.
pub async fn home_list(
    state: &AppState,
    caller: &Caller,
) -> Result<(HomeList, Vec<DeclarationRecord>), ApiError> {
    let (list, filter) = if caller.user.role == Role::CustomsOfficer {
        let queue = DeclarationFilter {
            statuses: vec!["under_control".to_owned()],
            order: DeclarationOrder::Risk,
            limit: 200,
            ..Default::default()
        };
        (HomeList::Queue, queue)
    } else if agency_of(caller).is_some() {
        (HomeList::AgencyParts, DeclarationFilter { limit: 200, ..Default::default() })
    } else {
        (HomeList::Own, DeclarationFilter { limit: 200, ..Default::default() })
    };
    let filter = scope(caller, filter)?;
    Ok((list, state.store.declarations(&filter).await?))
}

/// What a caller's declarations need, for their home page: how many of those they may see
/// are in each status, and, of those under customs control, how many in each channel and since
/// when the oldest has waited. Counted over the [`ATTENTION_LIMIT`] most recently changed.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct Attention {
    pub by_status: std::collections::BTreeMap<String, usize>,
    pub under_control_by_channel: std::collections::BTreeMap<String, usize>,
    pub oldest_under_control: Option<time::OffsetDateTime>,
    /// The count reached [`ATTENTION_LIMIT`]: there may be more.
    pub capped: bool,
}

/// Most declarations [`attention`] counts.
pub const ATTENTION_LIMIT: i64 = 2_000;

/// The caller's [`Attention`] summary.
///
/// # Errors
/// 403 for those who see no declarations ([`can_list`]); store failures.
pub async fn attention(state: &AppState, caller: &Caller) -> Result<Attention, ApiError> {
    let filter = scope(caller, DeclarationFilter { limit: ATTENTION_LIMIT, ..Default::default() })?;
    let records = state.store.declarations(&filter).await?;
    let mut out =
        Attention { capped: records.len() as i64 >= ATTENTION_LIMIT, ..Default::default() };
    for record in &records {
        *out.by_status.entry(record.status.clone()).or_default() += 1;
        if record.status == "under_control" {
            let channel = record.channel.clone().unwrap_or_default();
            *out.under_control_by_channel.entry(channel).or_default() += 1;
            out.oldest_under_control = Some(
                out.oldest_under_control.map_or(record.updated_at, |t| t.min(record.updated_at)),
            );
        }
    }
    Ok(out)
}

/// Who may read a declaration: its declarant's organisation; customs officers and
/// administrators of its country; an agency with a part in it (same country).
pub fn can_read(caller: &Caller, record: &DeclarationRecord, detail_agencies: &[String]) -> bool {
    if caller.org.id == record.org_id || caller.is_global_admin() {
        return true;
    }
    let same_country = caller.org.country == record.country;
    let customs = caller.org.kind == OrgKind::CustomsAdministration
        && matches!(caller.user.role, Role::CustomsOfficer | Role::Admin);
    let agency = agency_of(caller).is_some_and(|a| detail_agencies.iter().any(|d| d == a));
    same_country && (customs || agency)
}

/// Customs officers of the declaration's country decide on it.
pub fn can_decide(caller: &Caller, record: &DeclarationRecord) -> bool {
    caller.user.role == Role::CustomsOfficer
        && caller.org.kind == OrgKind::CustomsAdministration
        && caller.org.country == record.country
}

/// Customs administrators of a country (and platform administrators) manage its risk rules.
pub fn can_manage_rules(caller: &Caller, country: CountryCode) -> bool {
    caller.is_global_admin()
        || (caller.user.role == Role::Admin
            && caller.org.kind == OrgKind::CustomsAdministration
            && caller.org.country == country)
}

pub(crate) fn validation_error(errors: &[FieldError]) -> ApiError {
    let list: Vec<String> = errors.iter().map(ToString::to_string).collect();
    let mut error = ApiError::unprocessable(
        "declaration.invalid",
        format!("{} error(s); fix each field and lodge again: {}", errors.len(), list.join("; ")),
    );
    if let Some(first) = errors.first() {
        error = error.with_field(format!("declaration.{}", first.path));
    }
    error
}

pub(crate) fn transition_error(err: &caravan_customs::TransitionError) -> ApiError {
    ApiError::conflict("declaration.transition", err.to_string())
}

/// Checks a data set; `Err` lists every field error.
pub(crate) fn validate(state: &AppState, body: &Value) -> Result<Declaration, ApiError> {
    validate_node(state, &Json::from_value(body))
}

/// Checks a data set read straight from request text.
pub(crate) fn validate_node(state: &AppState, body: &Json<'_>) -> Result<Declaration, ApiError> {
    let window = state.declarations();
    let ctx = ValidationContext {
        code_lists: &window.code_lists,
        reference: &Reference(&state.refdata),
        today: (state.clock)().date(),
    };
    caravan_customs::validate_node(body, &ctx).map_err(|errors| validation_error(&errors))
}

/// The country of a data set's customs office, for drafts that need not be valid yet.
pub(crate) fn draft_header(
    state: &AppState,
    body: &Value,
) -> Result<(String, CountryCode), ApiError> {
    let reference = body
        .get("reference")
        .and_then(Value::as_str)
        .map(str::trim)
        .filter(|r| !r.is_empty() && r.len() <= 35)
        .ok_or_else(|| {
            ApiError::unprocessable(
                "declaration.reference",
                "give the declaration a reference of 1 to 35 characters",
            )
            .with_field("declaration.reference")
        })?;
    let office = body.get("office").and_then(Value::as_str).unwrap_or_default();
    let country =
        state.declarations().code_lists.offices.get(office).copied().ok_or_else(|| {
            ApiError::unprocessable(
                "declaration.office",
                format!("customs office {office:?} is not in data/customs/offices.csv; choose one"),
            )
            .with_field("declaration.office")
        })?;
    Ok((reference.to_owned(), country))
}

/// The tariff schedule of the country of a customs office: the country's own when one is
/// shipped (KZ and KG: the real EAEU Common Customs Tariff in their currency, with their national
/// taxes), else the illustrative `EAEU` sample for another member of the union
/// ([`caravan_tariff::jurisdiction_of`]), else none. A real schedule converts at the official
/// rates entered on this server for the declaration date ([`duties`]).
pub(crate) fn jurisdiction(state: &AppState, country: CountryCode) -> Option<String> {
    let tariff = &state.tariff().tariff;
    caravan_tariff::jurisdiction_of(&country, |j| !tariff.versions(j).is_empty())
}

/// Verifies every certificate attached to the declaration.
pub(crate) async fn verdicts(
    state: &AppState,
    declaration: &Declaration,
    presented: &[PresentedCertificate],
) -> Result<Vec<CertificateVerdict>, ApiError> {
    let code_lists = &state.declarations().code_lists;
    let mut out: Vec<CertificateVerdict> = Vec::new();
    for (item_idx, doc) in declaration.all_documents() {
        if code_lists.document_types.get(&doc.document_type) != Some(&true)
            || out.iter().any(|v| v.document_reference == doc.reference)
        {
            continue;
        }
        let verdict = match presented.iter().find(|p| p.document_reference == doc.reference) {
            None => CertificateVerdict {
                document_reference: doc.reference.clone(),
                verified: false,
                reason: "not presented: attach the certificate file to have it verified".to_owned(),
            },
            Some(cert) => {
                let (report, credential) =
                    caravan_web_certs::verify_presented_parsed(state, cert.content.as_bytes())
                        .await?;
                if let Some(failed) =
                    report.first_failure().or(report.checks.first()).filter(|_| !report.is_valid())
                {
                    CertificateVerdict {
                        document_reference: doc.reference.clone(),
                        verified: false,
                        reason: format!("{:?}: {}", failed.name, failed.detail),
                    }
                } else {
                    // Matched on what it holds, read once (also when presented as its QR text).
                    match caravan_customs::certificate_covers(
                        declaration,
                        item_idx,
                        credential.as_ref(),
                    ) {
                        Ok(()) => CertificateVerdict {
                            document_reference: doc.reference.clone(),
                            verified: true,
                            reason: "signature, authority, revocation, goods and parties checked"
                                .to_owned(),
                        },
                        Err(reason) => CertificateVerdict {
                            document_reference: doc.reference.clone(),
                            verified: false,
                            reason,
                        },
                    }
                }
            }
        };
        out.push(verdict);
    }
    Ok(out)
}

/// Duties of an import declaration, each item under the schedule of the office's country. A
/// real schedule (KZ, KG) converts at the official rates entered on this server for the
/// declaration date, read once for the whole declaration; an illustrative sample at its own.
///
/// # Errors
/// 422 naming the field at fault: `declaration.office` without a schedule, an item's field the
/// engine refuses, or `declaration.declaration_date` when the day has no official rate for a
/// pair of currencies the declaration needs (another day's rate is never taken).
pub(crate) async fn duties(
    state: &AppState,
    declaration: &Declaration,
    country: CountryCode,
    verdicts: &[CertificateVerdict],
) -> Result<Vec<DutyLine>, ApiError> {
    if declaration.declaration_type != caravan_customs::DeclarationType::Import {
        return Ok(Vec::new());
    }
    let Some(jurisdiction) = jurisdiction(state, country) else {
        return Err(ApiError::unprocessable(
            "declaration.no_tariff",
            format!("no tariff schedule for {country}; choose an office in a country with one"),
        )
        .with_field("declaration.office"));
    };
    let date = declaration.declaration_date;
    let official = caravan_web_tariff::official_rates_on(state, &jurisdiction, date).await?;
    let rates = official.as_ref().map(|(rows, _)| rows.as_slice()).unwrap_or_default();
    let mut lines = Vec::new();
    for (idx, item) in declaration.items.iter().enumerate() {
        let preferential =
            caravan_customs::preferential_claim_supported(declaration, idx, verdicts);
        let quantity = caravan_tariff::Unit::parse(&item.quantity.unit)
            .ok()
            .map(|unit| caravan_tariff::Quantity { amount: item.quantity.value, unit });
        let input = caravan_tariff::Declaration {
            jurisdiction: jurisdiction.clone(),
            date,
            code: item.hs_code,
            origin: item.origin,
            customs_value: item.customs_value,
            quantity,
            documents: if preferential { vec!["origin-cert".to_owned()] } else { Vec::new() },
        };
        let calculation =
            caravan_tariff::calculate_with_rates(&state.tariff().tariff, &input, rates).map_err(
                |err| match &official {
                    Some((_, stored)) => {
                        missing_rate(&err, stored, date).unwrap_or_else(|| duty_error(&err, idx))
                    }
                    None => duty_error(&err, idx),
                },
            )?;
        for applied in &calculation.applied {
            let tax_type = match applied.kind {
                caravan_tariff::MeasureKind::Vat => "vat",
                caravan_tariff::MeasureKind::Excise => "excise",
                caravan_tariff::MeasureKind::Additional => "additional_duty",
                _ => "customs_duty",
            };
            lines.push(DutyLine {
                item_idx: idx,
                tax_type: tax_type.to_owned(),
                amount: applied.amount,
                preferential: applied.kind == caravan_tariff::MeasureKind::Preferential,
                provenance: applied.provenance.as_str().to_owned(),
            });
        }
    }
    Ok(lines)
}

/// The refusal of a lodgement whose date has no official rate for a pair it needs (the value's
/// currency or a specific duty's): the date is at fault, and the message says which rate, the
/// latest day entered, and where a customs administrator enters it.
fn missing_rate(
    err: &caravan_tariff::DutyError,
    stored: &caravan_web_tariff::StoredRates,
    date: time::Date,
) -> Option<ApiError> {
    let (caravan_tariff::DutyError::NoRateOnDate { currency, into, .. }
    | caravan_tariff::DutyError::NoExchangeRate { currency, into, .. }) = err
    else {
        return None;
    };
    let latest = match stored.latest(*currency) {
        Some(day) => format!(" (the latest entered is for {day})"),
        None => String::new(),
    };
    Some(
        ApiError::unprocessable(
            "declaration.no_exchange_rate",
            format!(
                "no official {currency}\u{2192}{into} rate for {date}{latest}: a customs administrator enters it at /tariff/rates"
            ),
        )
        .with_field("declaration.declaration_date"),
    )
}

/// An engine refusal of item `idx`, naming the declaration's field.
fn duty_error(err: &caravan_tariff::DutyError, idx: usize) -> ApiError {
    let field = match err.field() {
        "code" => "hs_code",
        "value" | "currency" => "customs_value",
        "date" => "declaration_date",
        other => other,
    };
    let path = if field == "declaration_date" {
        "declaration.declaration_date".to_owned()
    } else {
        format!("declaration.items[{idx}].{field}")
    };
    ApiError::unprocessable("declaration.duty", format!("item {idx}: {err}")).with_field(path)
}

/// The country's current risk rules (stored, else the shipped ones).
pub(crate) async fn current_rules(
    state: &AppState,
    country: CountryCode,
) -> Result<Arc<RiskRuleSet>, ApiError> {
    let window = state.declarations();
    let load = || async {
        let stored = state.store.risk_rule_sets(country).await?;
        Ok(match stored.first() {
            Some(record) => {
                Arc::new(serde_json::from_value::<RiskRuleSet>(record.body.clone()).map_err(
                    |err| ApiError::internal(format!("stored risk rules of {country}: {err}")),
                )?)
            }
            None => window.default_rules.clone(),
        })
    };
    window.rules.get_or_load(&country, load).await
}

/// The organisation's compliance record, from the cache while fresh.
pub(crate) async fn trader_record(state: &AppState, org_id: i64) -> Result<TraderRecord, ApiError> {
    let load = || async { Ok(state.store.trader_record(org_id).await?) };
    state.declarations().traders.get_or_load(&org_id, load).await
}

/// Forgets an organisation's cached compliance record (after a decision on its declaration).
pub(crate) fn forget_trader(state: &AppState, org_id: i64) {
    state.declarations().traders.forget(&org_id);
}

/// What an assessment produced, ready to store.
pub(crate) struct Assessed {
    events: Vec<NewEvent>,
    lifecycle: Lifecycle,
    assessment: NewAssessment,
    agencies: Vec<String>,
    response: Value,
}

pub(crate) fn risk_score(channel: Channel, n_fired: usize) -> i64 {
    let base = match channel {
        Channel::Red => 2_000,
        Channel::Yellow => 1_000,
        Channel::Green => 0,
    };
    base + 10 * n_fired as i64
}

pub(crate) fn new_event(
    version: u32,
    before: &Lifecycle,
    after: &Lifecycle,
    event: &Event,
) -> NewEvent {
    NewEvent {
        version: i64::from(version),
        from_status: before.status().to_string(),
        to_status: after.status().to_string(),
        event: serde_json::to_value(event).unwrap_or(Value::Null),
    }
}

/// The stored assessment (`declaration_assessments.body`), field for field what the officer's
/// page and the API read back.
#[derive(Serialize)]
pub(crate) struct AssessmentBody<'a> {
    risk: &'a caravan_customs::RiskAssessment,
    routes: &'a [caravan_customs::AgencyRoute],
    duty_lines: &'a [DutyLine],
    totals: &'a [caravan_types::Money],
    certificates: &'a [CertificateVerdict],
    trader_history: HistoryBody,
}

#[derive(Serialize)]
pub(crate) struct HistoryBody {
    n_declarations: u32,
    n_violations: u32,
}

/// Assesses a checked declaration from `lifecycle` (status lodged) and routes it.
#[expect(
    clippy::too_many_arguments,
    reason = "the lodging, preview and amendment paths each pass their own values of each"
)]
pub(crate) async fn assess_and_route(
    state: &AppState,
    org_id: i64,
    declaration: &Declaration,
    country: CountryCode,
    presented: &[PresentedCertificate],
    lifecycle: Lifecycle,
    mut events: Vec<NewEvent>,
    selection: Selection<'_>,
) -> Result<Assessed, ApiError> {
    let verdicts = verdicts(state, declaration, presented).await?;
    let duty_lines = duties(state, declaration, country, &verdicts).await?;
    let rules = current_rules(state, country).await?;
    let record = trader_record(state, org_id).await?;
    let history = TraderHistory {
        n_declarations: u32::try_from(record.n_lodged).unwrap_or(u32::MAX),
        n_violations: u32::try_from(record.n_rejected).unwrap_or(u32::MAX),
    };
    let window = state.declarations();
    let standing = lifecycle.standing_decision();
    let input = AssessmentInput {
        version: lifecycle.version(),
        selection,
        standing: standing.as_ref(),
        duty_lines: &duty_lines,
        verdicts: &verdicts,
        history,
        rules: &rules,
        routing: &window.routing,
        code_lists: &window.code_lists,
    };
    let assessment = caravan_customs::assess(declaration, &input)
        .map_err(|err| ApiError::internal(format!("assessing {}: {err}", declaration.reference)))?;
    let agencies: BTreeSet<String> = assessment.required_agencies().into_iter().collect();
    let version = lifecycle.version();
    let assess =
        Event::Assess { channel: assessment.channel(), required_agencies: agencies.clone() };
    let assessed = lifecycle.apply(assess.clone()).map_err(|e| transition_error(&e))?;
    events.push(new_event(version, &lifecycle, &assessed, &assess));
    let routed = assessed.apply(Event::Route).map_err(|e| transition_error(&e))?;
    events.push(new_event(version, &assessed, &routed, &Event::Route));
    // Serialized straight to text here, in the lodging task, not through a `Value` in the writer.
    let body = JsonText::of(&AssessmentBody {
        risk: &assessment.risk,
        routes: &assessment.routes,
        duty_lines: &assessment.duty_lines,
        totals: &assessment.totals,
        certificates: &verdicts,
        trader_history: HistoryBody {
            n_declarations: history.n_declarations,
            n_violations: history.n_violations,
        },
    })
    .map_err(|err| ApiError::internal(format!("serializing the assessment: {err}")))?;
    let response = json!({
        "reference": declaration.reference,
        "version": version,
        "status": routed.status(),
        "channel": assessment.channel(),
        "reasons": assessment.risk.fired,
        "rule_set_version": assessment.risk.ruleset_version,
        "agencies": agencies,
        "totals": assessment.totals,
        "certificates": verdicts,
    });
    Ok(Assessed {
        events,
        lifecycle: routed,
        assessment: NewAssessment {
            channel: assessment.channel().to_string(),
            rule_set_version: assessment.risk.ruleset_version.clone(),
            risk_score: risk_score(assessment.channel(), assessment.risk.fired.len()),
            body,
        },
        agencies: agencies.into_iter().collect(),
        response,
    })
}

/// The answer to a lodging: created, or replayed from the idempotency key.
#[derive(Debug, Clone)]
pub struct Lodged {
    pub response: Value,
    pub replayed: bool,
}

/// Lodges a declaration for the caller's organisation: validate, verify, compute duties,
/// assess, route, and commit in the next batch. The HTTP handler and the bench call its twin
/// [`lodge_text`], which reads the request text without a `serde_json::Value`.
///
/// # Errors
/// 403 for a caller who may not lodge; 422 naming every invalid field; 409 when the reference
/// is taken; store failures.
pub async fn lodge(
    state: &AppState,
    caller: &Caller,
    request: DeclarationRequest,
    key: Option<String>,
) -> Result<Lodged, ApiError> {
    let body = JsonText::from(&request.declaration);
    lodge_checked(state, caller, key, body, request.certificates, || {
        validate(state, &request.declaration)
    })
    .await
}

/// [`lodge`], for a request read as [`DeclarationText`]: the body stored is the data set
/// written back compactly, as [`lodge`] stores it.
///
/// # Errors
/// As [`lodge`].
pub async fn lodge_text(
    state: &AppState,
    caller: &Caller,
    request: DeclarationText<'_>,
    key: Option<String>,
) -> Result<Lodged, ApiError> {
    let body = JsonText::of(&request.declaration)
        .map_err(|err| ApiError::internal(format!("writing the declaration: {err}")))?;
    lodge_checked(state, caller, key, body, request.certificates, || {
        validate_node(state, &request.declaration)
    })
    .await
}

/// The field of a lodging answer that holds [`request_digest`], so a retry with the same
/// Idempotency-Key can be told from a reuse of the key for another request.
pub const REQUEST_DIGEST_FIELD: &str = "request_digest";

/// SHA-256 (hex) of what a lodging asks: the data set as stored and each presented certificate,
/// each part length-prefixed so no two different requests join to the same bytes.
pub fn request_digest(body: &JsonText, certificates: &[PresentedCertificate]) -> String {
    use sha2::{Digest, Sha256};
    let mut hasher = Sha256::new();
    let mut part = |bytes: &[u8]| {
        hasher.update((bytes.len() as u64).to_be_bytes());
        hasher.update(bytes);
    };
    part(body.as_str().as_bytes());
    for certificate in certificates {
        part(certificate.document_reference.as_bytes());
        part(certificate.content.as_bytes());
    }
    hex::encode(hasher.finalize())
}

/// A stored answer replayed for `key`: the same answer when the request is the same; 422 naming
/// the key when the key was used for another request (IETF draft-ietf-httpapi-idempotency-key-
/// header-06 §2.7: "reused with a different request payload" is answered 422). Answers stored
/// before the digest existed carry none and replay as they are.
pub(crate) fn replay(first: Value, digest: &str) -> Result<Lodged, ApiError> {
    match first.get(REQUEST_DIGEST_FIELD).and_then(Value::as_str) {
        Some(stored) if stored != digest => Err(ApiError::unprocessable(
            "declaration.idempotency_key_reused",
            "this Idempotency-Key was already used for a different declaration; send a new key \
             for a new request, or the same request to get its first answer again",
        )
        .with_field("Idempotency-Key")),
        _ => Ok(Lodged { response: first, replayed: true }),
    }
}

/// The lodging pipeline after the caller's right and the idempotency key are checked:
/// `body` is the data set's text to store, `validate` checks it.
pub(crate) async fn lodge_checked(
    state: &AppState,
    caller: &Caller,
    key: Option<String>,
    body: JsonText,
    certificates: Vec<PresentedCertificate>,
    validate: impl FnOnce() -> Result<Declaration, ApiError>,
) -> Result<Lodged, ApiError> {
    if !can_lodge(caller) {
        return Err(ApiError::forbidden(
            "only traders and brokers of a trading company or brokerage lodge declarations",
        ));
    }
    let digest = request_digest(&body, &certificates);
    if let Some(key) = &key
        && let Some(response) = state.store.idempotent_response(caller.user.id, key).await?
    {
        return replay(response, &digest);
    }
    let declaration = validate()?;
    let country = state
        .declarations()
        .code_lists
        .offices
        .get(&declaration.office)
        .copied()
        .ok_or_else(|| ApiError::internal("a validated office has no country"))?;
    let draft = Lifecycle::new();
    let lodged = draft.apply(Event::Lodge).map_err(|e| transition_error(&e))?;
    let events = vec![new_event(1, &draft, &lodged, &Event::Lodge)];
    let mut assessed = assess_and_route(
        state,
        caller.org.id,
        &declaration,
        country,
        &certificates,
        lodged,
        events,
        Selection::Keyed(state.selection_key.as_slice()),
    )
    .await?;
    assessed.response[REQUEST_DIGEST_FIELD] = Value::String(digest.clone());
    let change = Change { actor: caller.actor(), at: (state.clock)() };
    let lodgement = Lodgement {
        change,
        draft: NewDraft {
            reference: declaration.reference.clone(),
            org_id: caller.org.id,
            country,
            body,
        },
        idempotency_key: key,
        transition: Transition {
            expected_events: 0,
            events: assessed.events,
            status: assessed.lifecycle.status().to_string(),
            version: 1,
            new_body: None,
            assessment: Some(assessed.assessment),
            clear_channel: false,
            agencies: Some(assessed.agencies),
            agency_decision: None,
            audit_action: "declaration.lodge",
            audit_details: json!({ "channel": assessed.response["channel"] }),
        },
        response: assessed.response,
    };
    let (reply, answer) = oneshot::channel();
    state
        .declarations()
        .writer(&state.store)
        .send(Job { lodgement, reply })
        .await
        .map_err(|_| ApiError::internal("the declaration writer stopped"))?;
    let (receipt, lodgement) =
        answer.await.map_err(|_| ApiError::internal("the declaration writer stopped"))?;
    match receipt?.replayed {
        Some(first) => replay(first, &digest),
        None => Ok(Lodged { response: lodgement.response, replayed: false }),
    }
}

/// What lodging would answer, without storing anything: validation, certificate verdicts,
/// duties, the channel and its reasons (the duties preview before lodging).
///
/// # Errors
/// As [`lodge`], less the conflicts of storing.
pub async fn preview(
    state: &AppState,
    caller: &Caller,
    request: &DeclarationRequest,
) -> Result<Value, ApiError> {
    if !can_lodge(caller) {
        return Err(ApiError::forbidden("only traders and brokers lodge declarations"));
    }
    let declaration = validate(state, &request.declaration)?;
    let (_, country) = draft_header(state, &request.declaration)?;
    let lodged = Lifecycle::new().apply(Event::Lodge).map_err(|e| transition_error(&e))?;
    let assessed = assess_and_route(
        state,
        caller.org.id,
        &declaration,
        country,
        &request.certificates,
        lodged,
        Vec::new(),
        Selection::Withheld,
    )
    .await?;
    Ok(assessed.response)
}

/// A declaration the caller may read, with its lifecycle replayed from the stored events.
pub(crate) async fn load(
    state: &AppState,
    caller: &Caller,
    reference: &str,
) -> Result<(DeclarationDetail, Lifecycle), ApiError> {
    load_of(state, caller, reference, None).await
}

/// [`load`] of `declarant`'s declaration when given. A declarant's own declaration comes
/// first; declarations the caller may not see are never counted, so the answer for another
/// declarant's reference is the answer for one that does not exist.
pub(crate) async fn load_of(
    state: &AppState,
    caller: &Caller,
    reference: &str,
    declarant: Option<i64>,
) -> Result<(DeclarationDetail, Lifecycle), ApiError> {
    let not_found = || {
        ApiError::not_found(
            "declaration.not_found",
            format!("no declaration {reference} you may see"),
        )
        .with_field("reference")
    };
    let mut visible: Vec<DeclarationDetail> = state
        .store
        .declarations_with_reference(reference)
        .await?
        .into_iter()
        .filter(|detail| {
            let agencies: Vec<String> = detail.agencies.iter().map(|a| a.agency.clone()).collect();
            can_read(caller, &detail.record, &agencies)
                && declarant.is_none_or(|org| detail.record.org_id == org)
        })
        .collect();
    let detail = match visible.iter().position(|d| d.record.org_id == caller.org.id) {
        Some(own) => visible.swap_remove(own),
        None if visible.len() <= 1 => visible.pop().ok_or_else(not_found)?,
        None => {
            let declarants: Vec<String> =
                visible.iter().map(|d| d.record.org_id.to_string()).collect();
            return Err(ApiError::conflict(
                "declaration.ambiguous_reference",
                format!(
                    "declarants {} each lodged a declaration {reference}; add ?declarant= with \
                     one of them",
                    declarants.join(", ")
                ),
            )
            .with_field("declarant"));
        }
    };
    let events = detail
        .events
        .iter()
        .map(|e| serde_json::from_value::<Event>(e.event.clone()))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|err| ApiError::internal(format!("stored event of {reference}: {err}")))?;
    let lifecycle = Lifecycle::replay(events).map_err(|(idx, err)| {
        ApiError::internal(format!("replaying {reference} event {idx}: {err}"))
    })?;
    Ok((detail, lifecycle))
}

pub(crate) fn detail_json(detail: &DeclarationDetail) -> Value {
    json!({
        "reference": detail.record.reference,
        "status": detail.record.status,
        "version": detail.record.version,
        "channel": detail.record.channel,
        "country": detail.record.country,
        "org_id": detail.record.org_id,
        "risk_score": detail.record.risk_score,
        "created_at": detail.record.created_at.unix_timestamp(),
        "declaration": detail.versions.last().map(|v| v.body.clone()),
        "versions": detail.versions,
        "assessments": detail.assessments,
        "timeline": detail.events,
        "agencies": detail.agencies,
    })
}

pub(crate) async fn save_draft_body(
    state: &AppState,
    caller: &Caller,
    body: Value,
) -> Result<DeclarationRecord, ApiError> {
    if !can_lodge(caller) {
        return Err(ApiError::forbidden("only traders and brokers draft declarations"));
    }
    let (reference, country) = draft_header(state, &body)?;
    let change = Change { actor: caller.actor(), at: (state.clock)() };
    let draft = NewDraft { reference, org_id: caller.org.id, country, body: JsonText::from(body) };
    Ok(state.store.save_draft(&change, &draft).await?)
}

/// Lodges the caller's saved draft `reference` with the `certificates` presented now, as
/// [`lodge`] lodges a new declaration (`key`: the idempotency key, if any).
///
/// # Errors
/// 409 when `reference` is not the caller's draft; else as [`lodge`].
pub async fn lodge_saved_draft(
    state: &AppState,
    caller: &Caller,
    reference: &str,
    certificates: Vec<PresentedCertificate>,
    key: Option<String>,
) -> Result<Lodged, ApiError> {
    let (detail, lifecycle) = load(state, caller, reference).await?;
    if detail.record.org_id != caller.org.id || lifecycle.status() != Status::Draft {
        return Err(ApiError::conflict(
            "declaration.transition",
            format!(
                "{reference} is {} and not your draft: only your drafts can be lodged",
                lifecycle.status()
            ),
        ));
    }
    let declaration = detail.versions.last().map(|v| v.body.clone()).unwrap_or(Value::Null);
    let request = DeclarationRequest { declaration, certificates };
    lodge(state, caller, request, key).await
}

pub(crate) fn limit(query: &ListQuery) -> Result<i64, ApiError> {
    let limit = query.limit.unwrap_or(100);
    if !(1..=500).contains(&limit) {
        return Err(ApiError::bad_request("request.invalid_query", "limit must be 1 to 500")
            .with_field("limit"));
    }
    Ok(limit)
}

pub(crate) fn status_filter(query: &ListQuery) -> Result<Vec<String>, ApiError> {
    match &query.status {
        None => Ok(Vec::new()),
        Some(status) if Status::ALL.iter().any(|s| s.to_string() == *status) => Ok(vec![status.clone()]),
        Some(status) => Err(ApiError::bad_request(
            "request.invalid_query",
            format!("unknown status {status:?}; use one of draft, lodged, assessed, under_control, awaiting_approvals, released, rejected"),
        )
        .with_field("status")),
    }
}

/// Narrows a filter to what the caller may see.
pub(crate) fn scope(
    caller: &Caller,
    mut filter: DeclarationFilter,
) -> Result<DeclarationFilter, ApiError> {
    if let Some(agency) = agency_of(caller) {
        filter.pending_agency = Some(agency.to_owned());
        filter.country = Some(caller.org.country);
    } else if caller.org.kind == OrgKind::CustomsAdministration
        && matches!(caller.user.role, Role::CustomsOfficer | Role::Admin)
    {
        filter.country = Some(caller.org.country);
    } else if can_lodge(caller) {
        filter.org_id = Some(caller.org.id);
    } else {
        return Err(ApiError::forbidden("declarations are seen by traders, customs and agencies"));
    }
    Ok(filter)
}

pub(crate) fn comment(request: &DecisionRequest) -> Result<String, ApiError> {
    let comment = request.comment.trim();
    if comment.chars().count() > 2_000 {
        return Err(ApiError::unprocessable(
            "declaration.comment",
            "keep the comment under 2000 characters",
        )
        .with_field("comment"));
    }
    Ok(comment.to_owned())
}

pub(crate) async fn apply(
    state: &AppState,
    caller: &Caller,
    detail: &DeclarationDetail,
    lifecycle: &Lifecycle,
    event: Event,
    agency_decision: Option<(String, String)>,
    audit_action: &'static str,
) -> Result<Value, ApiError> {
    let next = lifecycle.apply(event.clone()).map_err(|e| transition_error(&e))?;
    let transition = Transition {
        expected_events: detail.events.len() as i64,
        events: vec![new_event(lifecycle.version(), lifecycle, &next, &event)],
        status: next.status().to_string(),
        version: i64::from(next.version()),
        new_body: None,
        assessment: None,
        clear_channel: false,
        agencies: None,
        agency_decision,
        audit_action,
        audit_details: serde_json::to_value(&event).unwrap_or(Value::Null),
    };
    let change = Change { actor: caller.actor(), at: (state.clock)() };
    let record = state.store.apply_transition(&change, detail.record.id, &transition).await?;
    forget_trader(state, detail.record.org_id);
    Ok(serde_json::to_value(record).unwrap_or(Value::Null))
}

/// A customs officer's decision on the declaration `reference` of `declarant` (the caller's
/// own organisation's when `None`): checked against the officer's rights and the lifecycle,
/// stored with its event and audit entry; the declaration after it.
///
/// # Errors
/// 403 for anyone but an officer of the declaration's country, 422 naming `decision` or
/// `comment`, 409 when the lifecycle refuses the decision now.
pub async fn decide_on(
    state: &AppState,
    caller: &Caller,
    reference: &str,
    declarant: Option<i64>,
    request: &DecisionRequest,
) -> Result<Value, ApiError> {
    let (detail, lifecycle) = load_of(state, caller, reference, declarant).await?;
    if !can_decide(caller, &detail.record) {
        return Err(ApiError::forbidden(
            "only customs officers of the declaration's country decide",
        ));
    }
    let decision = match request.decision.as_str() {
        "release" => OfficerDecision::Release,
        "request_documents" => OfficerDecision::RequestDocuments,
        "inspect" => OfficerDecision::Inspect,
        "reject" => OfficerDecision::Reject,
        other => {
            return Err(ApiError::unprocessable(
                "declaration.decision",
                format!(
                    "unknown decision {other:?}; use release, request_documents, inspect or reject"
                ),
            )
            .with_field("decision"));
        }
    };
    let event = Event::Officer {
        decision,
        officer: caller.user.username.clone(),
        comment: comment(request)?,
    };
    apply(state, caller, &detail, &lifecycle, event, None, "declaration.decide").await
}

/// An agency officer's approval or refusal of their agency's part of the declaration
/// `reference` of `declarant`; the declaration after it.
///
/// # Errors
/// 403 for anyone but an agency officer, 422 naming `decision` or `comment`, 409 when the
/// lifecycle refuses the decision now.
pub async fn agency_decide_on(
    state: &AppState,
    caller: &Caller,
    reference: &str,
    declarant: Option<i64>,
    request: &DecisionRequest,
) -> Result<Value, ApiError> {
    let Some(agency) = agency_of(caller) else {
        return Err(ApiError::forbidden("only agency officers decide on an agency's part"));
    };
    let (detail, lifecycle) = load_of(state, caller, reference, declarant).await?;
    let (decision, status) = match request.decision.as_str() {
        "approve" => (AgencyDecision::Approve, "approved"),
        "refuse" => (AgencyDecision::Refuse, "refused"),
        other => {
            return Err(ApiError::unprocessable(
                "declaration.decision",
                format!("unknown decision {other:?}; use approve or refuse"),
            )
            .with_field("decision"));
        }
    };
    let event = Event::Agency {
        agency: agency.to_owned(),
        decision,
        officer: caller.user.username.clone(),
        comment: comment(request)?,
    };
    let part = Some((agency.to_owned(), status.to_owned()));
    apply(state, caller, &detail, &lifecycle, event, part, "declaration.agency_decide").await
}

pub(crate) fn country_param(code: &str) -> Result<CountryCode, ApiError> {
    CountryCode::parse(code).map_err(|err| {
        ApiError::bad_request("request.invalid_path", format!("country {code:?}: {err}"))
            .with_field("country")
    })
}

pub(crate) async fn store_rules(
    state: &AppState,
    caller: &Caller,
    country: CountryCode,
    body: &Value,
) -> Result<RiskRuleSetRecord, ApiError> {
    let rules_json = json!({
        "version": "pending",
        "rules": body.get("rules").cloned().unwrap_or(Value::Null),
    });
    let mut csv = String::from("hs_prefix,currency,min_per_kg,max_per_kg,note\n");
    for (idx, range) in
        body.get("reference_values").and_then(Value::as_array).into_iter().flatten().enumerate()
    {
        let field = |name: &str| -> Result<String, ApiError> {
            range
                .get(name)
                .and_then(|v| {
                    v.as_str().map(str::to_owned).or_else(|| v.as_f64().map(|n| n.to_string()))
                })
                .ok_or_else(|| {
                    ApiError::unprocessable(
                        "risk_rules.invalid",
                        format!("reference_values[{idx}].{name} is missing"),
                    )
                    .with_field(format!("reference_values[{idx}].{name}"))
                })
        };
        let cells =
            [field("hs_prefix")?, field("currency")?, field("min_per_kg")?, field("max_per_kg")?];
        if cells.iter().any(|c| c.contains([',', '"', '\n'])) {
            return Err(ApiError::unprocessable(
                "risk_rules.invalid",
                format!("reference_values[{idx}] has a comma or quote"),
            )
            .with_field(format!("reference_values[{idx}]")));
        }
        csv.push_str(&cells.join(","));
        csv.push_str(",\n");
    }
    let mut rules = RiskRuleSet::parse(&rules_json.to_string(), &csv).map_err(|err| {
        ApiError::unprocessable("risk_rules.invalid", format!("{err}; fix it and save again"))
            .with_field("rules")
    })?;
    let next = state.store.risk_rule_sets(country).await?.first().map_or(1, |r| r.version + 1);
    rules.version = format!("{country}-v{next}");
    let value = serde_json::to_value(&rules).map_err(ApiError::internal)?;
    let change = Change { actor: caller.actor(), at: (state.clock)() };
    let record = state.store.put_risk_rule_set(&change, country, &value).await?;
    state.declarations().rules.put(country, Arc::new(rules));
    Ok(record)
}

/// Replaces the item lines of the caller's draft `reference` with those of `csv` (columns
/// [`ITEM_COLUMNS`]); the saved draft.
///
/// # Errors
/// 409 when `reference` is not the caller's draft, 422 naming the row and column of a bad
/// cell.
pub async fn replace_items(
    state: &AppState,
    caller: &Caller,
    reference: &str,
    csv: &str,
) -> Result<DeclarationRecord, ApiError> {
    let (detail, lifecycle) = load(state, caller, reference).await?;
    if detail.record.org_id != caller.org.id || lifecycle.status() != Status::Draft {
        return Err(ApiError::conflict(
            "declaration.transition",
            "items can be uploaded to your drafts only",
        ));
    }
    let items = items_from_csv(csv)?;
    let mut declaration =
        detail.versions.last().map(|v| v.body.clone()).unwrap_or_else(|| json!({}));
    declaration["items"] = Value::Array(items);
    save_draft_body(state, caller, declaration).await
}

/// The CSV columns of item lines, in order.
pub const ITEM_COLUMNS: [&str; 14] = [
    "description",
    "hs_code",
    "origin",
    "preferential_origin",
    "quantity",
    "unit",
    "gross_mass_kg",
    "net_mass_kg",
    "packages",
    "package_kind",
    "customs_value",
    "currency",
    "valuation_method",
    "procedure",
];

/// Item lines from CSV text; the validator checks the values when the draft is lodged.
///
/// # Errors
/// 422 naming the row and column of a malformed line.
pub fn items_from_csv(text: &str) -> Result<Vec<Value>, ApiError> {
    let text = text.trim_start_matches('\u{feff}');
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    let headers = reader
        .headers()
        .map_err(|err| {
            ApiError::unprocessable("items.csv", format!("header row: {err}")).with_field("csv")
        })?
        .clone();
    for column in ITEM_COLUMNS {
        if !headers.iter().any(|h| h.trim() == column) {
            return Err(ApiError::unprocessable(
                "items.csv",
                format!(
                    "the header has no column {column}; the columns are {}",
                    ITEM_COLUMNS.join(",")
                ),
            )
            .with_field(format!("csv.{column}")));
        }
    }
    let mut items = Vec::new();
    for (row_idx, record) in reader.records().enumerate() {
        let row = row_idx + 2;
        let record = record.map_err(|err| {
            ApiError::unprocessable("items.csv", format!("row {row}: {err}"))
                .with_field(format!("csv[{row}]"))
        })?;
        let cell = |name: &str| -> String {
            headers
                .iter()
                .position(|h| h.trim() == name)
                .and_then(|i| record.get(i))
                .unwrap_or_default()
                .trim()
                .to_owned()
        };
        let packages: u64 = cell("packages").parse().map_err(|_| {
            ApiError::unprocessable(
                "items.csv",
                format!("row {row}: packages {:?} is not a whole number", cell("packages")),
            )
            .with_field(format!("csv[{row}].packages"))
        })?;
        let mut item = json!({
            "description": cell("description"),
            "hs_code": cell("hs_code"),
            "origin": cell("origin"),
            "quantity": { "value": cell("quantity"), "unit": cell("unit") },
            "gross_mass_kg": cell("gross_mass_kg"),
            "net_mass_kg": cell("net_mass_kg"),
            "packages": { "count": packages, "kind": cell("package_kind") },
            "customs_value": { "amount": cell("customs_value"), "currency": cell("currency") },
            "valuation_method": cell("valuation_method"),
            "procedure": cell("procedure"),
            "documents": [],
        });
        if !cell("preferential_origin").is_empty() {
            item["preferential_origin"] = Value::String(cell("preferential_origin"));
        }
        items.push(item);
    }
    if items.is_empty() || items.len() > 999 {
        return Err(ApiError::unprocessable(
            "items.csv",
            "give 1 to 999 item rows under the header",
        )
        .with_field("csv"));
    }
    Ok(items)
}

/// Saves the caller's draft `reference` with the data set `declaration`, whose own reference
/// must be `reference`.
///
/// # Errors
/// 422 naming `declaration.reference` when they differ; else as a new draft.
pub async fn update_draft(
    state: &AppState,
    caller: &Caller,
    reference: &str,
    declaration: Value,
) -> Result<DeclarationRecord, ApiError> {
    if declaration.get("reference").and_then(Value::as_str) != Some(reference) {
        return Err(ApiError::unprocessable(
            "declaration.reference",
            "the data set's reference must be the one in the URL",
        )
        .with_field("declaration.reference"));
    }
    save_draft_body(state, caller, declaration).await
}

/// The declarations the caller may see: a trader's company's; an officer's country's; an
/// agency's pending queue; filtered by `query`.
///
/// # Errors
/// 400 naming `status` or `limit`; 403 for a caller who may see none.
pub async fn list(
    state: &AppState,
    caller: &Caller,
    query: &ListQuery,
) -> Result<Vec<DeclarationRecord>, ApiError> {
    let filter = scope(
        caller,
        DeclarationFilter {
            statuses: status_filter(query)?,
            limit: limit(query)?,
            ..DeclarationFilter::default()
        },
    )?;
    Ok(state.store.declarations(&filter).await?)
}

/// The officer's queue: the country's declarations under control, riskiest first.
///
/// # Errors
/// 403 for anyone but a customs officer; 400 naming `limit`.
pub async fn queue(
    state: &AppState,
    caller: &Caller,
    query: &ListQuery,
) -> Result<Vec<DeclarationRecord>, ApiError> {
    if caller.user.role != Role::CustomsOfficer || caller.org.kind != OrgKind::CustomsAdministration
    {
        return Err(ApiError::forbidden("the queue is for customs officers"));
    }
    let filter = DeclarationFilter {
        country: Some(caller.org.country),
        statuses: vec![Status::UnderControl.to_string()],
        order: DeclarationOrder::Risk,
        limit: limit(query)?,
        ..DeclarationFilter::default()
    };
    Ok(state.store.declarations(&filter).await?)
}

/// Amends the caller's lodged declaration `reference`: a new version, validated, assessed and
/// routed again, at an office of the same country; the new version's assessment.
///
/// # Errors
/// 403 for anyone but the declarant's traders, 422 naming the field (validation, a changed
/// reference or country), 409 when the lifecycle refuses an amendment now.
pub async fn amend(
    state: &AppState,
    caller: &Caller,
    reference: &str,
    request: DeclarationRequest,
) -> Result<Value, ApiError> {
    let (detail, lifecycle) = load(state, caller, reference).await?;
    if detail.record.org_id != caller.org.id || !can_lodge(caller) {
        return Err(ApiError::forbidden("only the declarant's traders amend a declaration"));
    }
    let declaration = validate(state, &request.declaration)?;
    if declaration.reference != reference {
        return Err(ApiError::unprocessable(
            "declaration.reference",
            "an amendment keeps the reference",
        )
        .with_field("declaration.reference"));
    }
    let country = state.declarations().code_lists.offices.get(&declaration.office).copied();
    if country != Some(detail.record.country) {
        return Err(ApiError::unprocessable(
            "declaration.office",
            "an amendment stays at an office of the same country",
        )
        .with_field("declaration.office"));
    }
    let amended = lifecycle.apply(Event::Amend).map_err(|e| transition_error(&e))?;
    let events = vec![new_event(lifecycle.version(), &lifecycle, &amended, &Event::Amend)];
    let assessed = assess_and_route(
        state,
        caller.org.id,
        &declaration,
        detail.record.country,
        &request.certificates,
        amended,
        events,
        Selection::Keyed(state.selection_key.as_slice()),
    )
    .await?;
    let transition = Transition {
        expected_events: detail.events.len() as i64,
        events: assessed.events,
        status: assessed.lifecycle.status().to_string(),
        version: i64::from(assessed.lifecycle.version()),
        new_body: Some(request.declaration),
        assessment: Some(assessed.assessment),
        clear_channel: false,
        agencies: Some(assessed.agencies),
        agency_decision: None,
        audit_action: "declaration.amend",
        audit_details: json!({ "version": assessed.lifecycle.version() }),
    };
    let change = Change { actor: caller.actor(), at: (state.clock)() };
    state.store.apply_transition(&change, detail.record.id, &transition).await?;
    forget_trader(state, detail.record.org_id);
    Ok(assessed.response)
}

/// A country's current risk rules and every stored version, for its customs administrators
/// and officers.
///
/// # Errors
/// 403 for anyone else.
pub async fn rules(
    state: &AppState,
    caller: &Caller,
    country: CountryCode,
) -> Result<(Arc<RiskRuleSet>, Vec<RiskRuleSetRecord>), ApiError> {
    let officer = caller.user.role == Role::CustomsOfficer && caller.org.country == country;
    if !can_manage_rules(caller, country) && !officer {
        return Err(ApiError::forbidden("risk rules are for the customs of that country"));
    }
    let current = current_rules(state, country).await?;
    let versions = state.store.risk_rule_sets(country).await?;
    Ok((current, versions))
}

/// Stores `body` as the next version of the country's risk rules (its customs administrators).
///
/// # Errors
/// 403 for anyone else; 422 naming the field of a rule set that does not parse or check.
pub async fn put_rules(
    state: &AppState,
    caller: &Caller,
    country: CountryCode,
    body: &Value,
) -> Result<RiskRuleSetRecord, ApiError> {
    if !can_manage_rules(caller, country) {
        return Err(ApiError::forbidden(
            "only customs administrators of that country change its risk rules",
        ));
    }
    store_rules(state, caller, country, body).await
}
