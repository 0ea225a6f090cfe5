//! Certificates over HTTP (issue 3): issuing, revoking and verifying certificates of origin, phytosanitary certificates and product passports; the trust list; each authority's log, checkpoints and proofs; the issuance, verification and log-monitor pages.
//!
//! An authority is an organisation of kind `certifying_body` or `plant_protection_service`;
//! its identifier is `urn:caravan:authority:{org id}` and its log's origin line
//! `caravan-log-{org id}`. The server holds its signing keys, Ed25519 and optionally SM2 with
//! SM3, sealed at rest by a master key (see [`caravan_web::seal`]). Issuing signs the credential with the
//! active Ed25519 key for its type (and, when the authority has one, a second signature with its
//! active SM2 key), appends its issuance entry to the log and signs a new checkpoint with the
//! Ed25519 key, then stores leaf, checkpoint, certificate and audit entry in one transaction
//! before answering: an acknowledged issuance is durable.
//!
//! A certificate travels as its JSON file or as the text of its QR code (the compact form of
//! [`caravan_docsign::qr`], drawn by [`qr_image`]); every verifier here accepts both.

mod pages;
pub mod qr_image;
pub mod service;

pub mod signatures;

use std::sync::Arc;
use std::time::Duration;

use axum::Json;
use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use caravan_docsign::log::RevocationState;
use caravan_docsign::trust::TrustList;
use caravan_docsign::verify::VerificationReport;
use caravan_store::certs::{CertificateRecord, SigningKey};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use time::OffsetDateTime;
use utoipa::{IntoParams, OpenApi, ToSchema};

use caravan_web::AppState;
use caravan_web::auth::Caller;
use caravan_web::error::{ApiError, ApiJson, ApiQuery, ErrorBody};
use caravan_web::memo::Memo;

pub use pages::CertKey;
pub use service::{
    authority_id, can_issue, can_manage_keys, can_read_certificate, can_revoke, certificate_bytes,
    certificate_log_id, generate_key, is_authority_kind, issue, log_id, qr_payload,
    revocation_state, trust_list, trust_list_file, verify_other_format, verify_presented,
    verify_presented_parsed,
};
use service::{readable_certificate, revoke};

pub use caravan_docsign::qr::{LEGACY_QR_PREFIX, QR_PREFIX};
/// The UNTP JSON Schemas UNTP credentials are checked against: part of this feature's state,
/// installed empty by `caravan_server::features` and loaded from `caravan serve
/// --untp-schemas DIR` (GPL-3.0 files kept beside the server, never built into it).
pub use caravan_interop::untp::UntpSchemas;
/// Most entries one `entries` request returns.
pub const MAX_ENTRIES_PAGE: u64 = 1000;

/// How long a cached trust list or revocation state is used before it is read again. Changes
/// made by this process invalidate the cache at once; this bounds how late a change made by
/// another server on the same database is seen.
pub const VERIFY_CACHE_TTL: Duration = Duration::from_secs(2);

/// The certificate feature's state, read from [`AppState`]'s features.
pub trait CertState {
    /// Trust list and revocation states cached for certificate verification.
    fn cert_cache(&self) -> &VerifyCache;
    /// Ed25519 signatures of presented certificates, checked in batches.
    fn signatures(&self) -> &signatures::SignatureBatcher;
    /// The UNTP JSON Schemas at hand (none unless the server was started with some).
    fn untp_schemas(&self) -> &UntpSchemas;
}

impl CertState for AppState {
    fn cert_cache(&self) -> &VerifyCache {
        self.feature::<VerifyCache>()
    }

    fn signatures(&self) -> &signatures::SignatureBatcher {
        self.feature::<signatures::SignatureBatcher>()
    }

    fn untp_schemas(&self) -> &UntpSchemas {
        self.feature::<UntpSchemas>()
    }
}

/// The verification context kept between requests: the trust list and each log's revocation
/// state. Without it every certificate presented with a declaration read the whole trust list
/// and every entry of its issuer's log; each is loaded once however many requests ask together.
pub struct VerifyCache {
    trust: Memo<(), Arc<TrustList>>,
    revocations: Memo<String, Option<Arc<RevocationState>>>,
}

impl Default for VerifyCache {
    fn default() -> Self {
        VerifyCache {
            trust: Memo::new(Some(VERIFY_CACHE_TTL)),
            revocations: Memo::new(Some(VERIFY_CACHE_TTL)),
        }
    }
}

impl VerifyCache {
    /// The trust list, read again when older than [`VERIFY_CACHE_TTL`] or invalidated.
    ///
    /// # Errors
    /// Store failures.
    pub async fn trust_list(&self, state: &AppState) -> Result<Arc<TrustList>, ApiError> {
        self.trust.get_or_load(&(), || async { Ok(Arc::new(trust_list(state).await?)) }).await
    }

    /// A log's revocation state as of its newest checkpoint (`None` before its first
    /// checkpoint), cached like the trust list.
    ///
    /// # Errors
    /// Store failures, or a log that does not match its checkpoint.
    pub async fn revocation_state(
        &self,
        state: &AppState,
        log: &str,
    ) -> Result<Option<Arc<RevocationState>>, ApiError> {
        self.revocations
            .get_or_load(log, || async { Ok(revocation_state(state, log).await?.map(Arc::new)) })
            .await
    }

    /// Forgets the trust list (after a key is added, rotated or retired).
    pub fn invalidate_trust(&self) {
        self.trust.forget(&());
    }

    /// Forgets a log's revocation state (after an append).
    pub fn invalidate_log(&self, log: &str) {
        self.revocations.forget(log);
    }
}

// Keys.

/// A request to generate a signing key for an authority.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewKeyRequest {
    /// Document types the key may sign: `origin`, `phyto`, `passport` (default: all three).
    #[serde(default)]
    pub document_types: Option<Vec<String>>,
    /// Rotate: the organisation's current keys of the same algorithm stop at the new key's start.
    #[serde(default)]
    pub rotate: bool,
    /// `ed25519` (default; signs certificates and the log's checkpoints) or `sm2` (SM2 with
    /// SM3, GB/T 32918: a second signature on each certificate of its types).
    #[serde(default)]
    pub alg: Option<String>,
}

/// Generate a signing key for a certifying authority, Ed25519 or SM2 (with `rotate`, it replaces
/// the current keys of that algorithm, which stay valid for what they signed before).
#[utoipa::path(post, path = "/api/v1/organisations/{id}/signing-keys", tag = "certificates",
    params(("id" = i64, Path, description = "Organisation id")), request_body = NewKeyRequest,
    responses((status = 201, body = SigningKey), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn create_key(
    State(state): State<AppState>,
    caller: Caller,
    Path(org_id): Path<i64>,
    ApiJson(body): ApiJson<NewKeyRequest>,
) -> Result<(StatusCode, Json<SigningKey>), ApiError> {
    let key = service::add_key(&state, &caller, org_id, body).await?;
    Ok((StatusCode::CREATED, Json(key)))
}

/// The signing keys of a certifying authority (public halves only).
#[utoipa::path(get, path = "/api/v1/organisations/{id}/signing-keys", tag = "certificates",
    params(("id" = i64, Path, description = "Organisation id")),
    responses((status = 200, body = [SigningKey]), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn list_keys(
    State(state): State<AppState>,
    caller: Caller,
    Path(org_id): Path<i64>,
) -> Result<Json<Vec<SigningKey>>, ApiError> {
    let (_, keys) = service::authority_keys(&state, &caller, org_id).await?;
    Ok(Json(keys))
}

/// Retire a signing key now: signatures dated from now on fail; earlier ones stay valid.
#[utoipa::path(post, path = "/api/v1/signing-keys/{id}/retire", tag = "certificates",
    params(("id" = i64, Path, description = "Key id")),
    responses((status = 200, body = SigningKey), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn retire_key(
    State(state): State<AppState>,
    caller: Caller,
    Path(key_id): Path<i64>,
) -> Result<Json<SigningKey>, ApiError> {
    Ok(Json(service::retire(&state, &caller, key_id).await?))
}

/// The trust list: every authority, its country, log and keys, in the file form
/// `caravan cert verify --trust` reads.
#[utoipa::path(get, path = "/api/v1/trust-list", tag = "certificates",
    responses((status = 200, body = serde_json::Value)))]
pub async fn get_trust_list(State(state): State<AppState>) -> Result<Response, ApiError> {
    let file = trust_list_file(&state).await?;
    Ok(Json(file).into_response())
}

// Issuing.

/// A request to issue a certificate.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct IssueRequest {
    /// `origin`, `phyto` or `passport`.
    #[serde(rename = "type")]
    pub doc_type: String,
    /// The `credentialSubject`, per the type's JSON Schema (`caravan cert` prints samples).
    #[schema(value_type = Object)]
    pub subject: Value,
    /// Credential id (default: a random `urn:uuid:`).
    #[serde(default)]
    pub id: Option<String>,
}

fn document_response(status: StatusCode, document: String) -> Response {
    (status, [(header::CONTENT_TYPE, "application/json")], document).into_response()
}

/// Issue a certificate: sign it with the organisation's key, append it to its log and return the
/// complete certificate with its inclusion proof and signed checkpoint.
#[utoipa::path(post, path = "/api/v1/certificates", tag = "certificates", request_body = IssueRequest,
    responses((status = 201, description = "The complete certificate", body = serde_json::Value),
        (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn create_certificate(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(body): ApiJson<IssueRequest>,
) -> Result<Response, ApiError> {
    let record = issue(&state, &caller, body).await?;
    Ok(document_response(StatusCode::CREATED, record.document))
}

/// A certificate in the register, without its document.
#[derive(Debug, Serialize, ToSchema)]
pub struct CertificateSummary {
    pub id: String,
    pub doc_type: String,
    pub log_id: String,
    pub leaf_index: u64,
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub issued_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339::option")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub revoked_at: Option<OffsetDateTime>,
    pub revocation_reason: Option<String>,
}

impl From<&CertificateRecord> for CertificateSummary {
    fn from(c: &CertificateRecord) -> Self {
        CertificateSummary {
            id: c.id.clone(),
            doc_type: c.doc_type.clone(),
            log_id: c.log_id.clone(),
            leaf_index: c.leaf_index,
            issued_at: c.issued_at,
            revoked_at: c.revoked_at,
            revocation_reason: c.revocation_reason.clone(),
        }
    }
}

/// The certificates the caller's organisation issued, newest first.
#[utoipa::path(get, path = "/api/v1/certificates", tag = "certificates",
    responses((status = 200, body = [CertificateSummary]), (status = 401, body = ErrorBody)))]
pub async fn list_certificates(
    State(state): State<AppState>,
    caller: Caller,
) -> Result<Json<Vec<CertificateSummary>>, ApiError> {
    let list = service::certificates(&state, &caller).await?;
    Ok(Json(list.iter().map(CertificateSummary::from).collect()))
}

/// One certificate of the caller's organisation: the complete document as issued.
#[utoipa::path(get, path = "/api/v1/certificates/{id}", tag = "certificates",
    params(("id" = String, Path, description = "Credential id")),
    responses((status = 200, body = serde_json::Value), (status = 404, body = ErrorBody)))]
pub async fn get_certificate(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let cert = readable_certificate(&state, &caller, &id).await?;
    Ok(document_response(StatusCode::OK, cert.document))
}

/// The certificate's QR code as an SVG image: the compact QR text (`CCC1:`, zlib and Base45 of
/// the complete certificate) in alphanumeric mode, so a phone or scanner verifies it offline.
/// Same access as reading the certificate.
#[utoipa::path(get, path = "/api/v1/certificates/{id}/qr.svg", tag = "certificates",
    params(("id" = String, Path, description = "Credential id")),
    responses((status = 200, description = "SVG image (image/svg+xml)", content_type = "image/svg+xml", body = String),
        (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn get_certificate_qr(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let cert = readable_certificate(&state, &caller, &id).await?;
    let image = qr_image::render(&qr_payload(&cert.document)?)?;
    Ok(([(header::CONTENT_TYPE, "image/svg+xml")], image.svg).into_response())
}

/// A revocation.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RevokeRequest {
    /// Why, in words the verifier will read (1–500 characters).
    pub reason: String,
}

/// Revoke a certificate the caller's organisation issued; the revocation is a log entry, so
/// verifiers with fresh log state see it.
#[utoipa::path(post, path = "/api/v1/certificates/{id}/revoke", tag = "certificates",
    params(("id" = String, Path, description = "Credential id")), request_body = RevokeRequest,
    responses((status = 200, body = CertificateSummary), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn revoke_certificate(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<RevokeRequest>,
) -> Result<Json<CertificateSummary>, ApiError> {
    let cert = revoke(&state, &caller, &id, &body.reason).await?;
    Ok(Json(CertificateSummary::from(&cert)))
}

/// How a check, or a whole verdict, came out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum VerdictStatus {
    /// It ran and passed (for the verdict: every check did).
    Valid,
    /// It ran and failed (for the verdict: some check did).
    Invalid,
    /// It could not run offline, or an earlier check failed (for the verdict: nothing failed but
    /// some check could not run offline).
    NotChecked,
}

/// One check of a verdict.
#[derive(Debug, Serialize, ToSchema)]
pub struct VerifyCheck {
    /// Stable machine name: ours (`well-formed`, `structure`, `issuer-authorised`, `signature`,
    /// `sm2-signature`, `checkpoint`, `inclusion`, `not-revoked`) or another format's
    /// (`well-formed`, `structure`, `integrity`, `signature`, `identity`, `issuance`,
    /// `revocation`).
    pub name: String,
    /// How it came out.
    pub status: VerdictStatus,
    /// What was established (when valid), the reason (when invalid) or why it did not run.
    pub detail: String,
    /// The reason it failed, when `status` is `invalid`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// Why it did not run, when `status` is `not_checked`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub why: Option<String>,
    /// The earlier name of `status` (`passed`, `failed`, `not-checked`), kept for clients that
    /// read it.
    #[schema(pattern = "^(passed|failed|not-checked)$")]
    pub outcome: &'static str,
}

impl VerifyCheck {
    fn new(name: &str, status: VerdictStatus, detail: &str) -> Self {
        let text = Some(detail.to_owned());
        VerifyCheck {
            name: name.to_owned(),
            status,
            detail: detail.to_owned(),
            reason: if status == VerdictStatus::Invalid { text.clone() } else { None },
            why: if status == VerdictStatus::NotChecked { text } else { None },
            outcome: match status {
                VerdictStatus::Valid => "passed",
                VerdictStatus::Invalid => "failed",
                VerdictStatus::NotChecked => "not-checked",
            },
        }
    }
}

/// The verdict on a presented document, whatever its format: each check, and the overall
/// status.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct VerifyAnswer {
    /// What the document was read as: `caravan` (ours), `openattestation-v2`,
    /// `openattestation-v3`, `openattestation-v4`, `sps-xml`, `untp`, or `unknown` when it was
    /// recognised as none of them and could not be read.
    pub format: String,
    /// `valid` when every check ran and passed, `invalid` when any failed, `not_checked` when
    /// nothing failed but some check needs the network (DNS, Ethereum, a DID document, a status
    /// list).
    pub status: VerdictStatus,
    /// Whether `status` is `valid` (kept for clients that read it).
    pub valid: bool,
    /// The document's identifier, when readable.
    pub credential_id: Option<String>,
    /// Our document type (`origin`, `phyto`, `passport`), for our certificates.
    pub document_type: Option<String>,
    /// The issuer as the document names it.
    pub issuer: Option<String>,
    /// The first check that failed.
    pub failed_check: Option<String>,
    /// Every check, in the order it ran.
    pub checks: Vec<VerifyCheck>,
}

impl VerifyAnswer {
    /// The answer for one of our certificates.
    pub fn of_report(report: &VerificationReport) -> Self {
        use caravan_docsign::verify::Outcome;
        let checks: Vec<VerifyCheck> = report
            .checks
            .iter()
            .map(|c| {
                let status = match c.outcome {
                    Outcome::Passed => VerdictStatus::Valid,
                    Outcome::Failed => VerdictStatus::Invalid,
                    Outcome::NotChecked => VerdictStatus::NotChecked,
                };
                VerifyCheck::new(c.name.as_str(), status, &c.detail)
            })
            .collect();
        let valid = report.is_valid();
        VerifyAnswer {
            format: "caravan".to_owned(),
            // Our verifier runs every check it has offline; a check is only left out after an
            // earlier one failed.
            status: if valid { VerdictStatus::Valid } else { VerdictStatus::Invalid },
            valid,
            credential_id: report.credential_id.clone(),
            document_type: report.document_type.map(|t| t.as_str().to_owned()),
            issuer: report.issuer.clone(),
            failed_check: report.first_failure().map(|c| c.name.as_str().to_owned()),
            checks,
        }
    }

    /// The answer for another system's document.
    pub fn of_verdict(verdict: &caravan_interop::verdict::Verdict) -> Self {
        use caravan_interop::verdict::{Outcome, Status};
        let checks: Vec<VerifyCheck> = verdict
            .checks
            .iter()
            .map(|c| match &c.outcome {
                Outcome::Valid(text) => VerifyCheck::new(&c.name, VerdictStatus::Valid, text),
                Outcome::Invalid(text) => VerifyCheck::new(&c.name, VerdictStatus::Invalid, text),
                Outcome::NotChecked(text) => {
                    VerifyCheck::new(&c.name, VerdictStatus::NotChecked, text)
                }
            })
            .collect();
        let status = match verdict.status() {
            Status::Valid => VerdictStatus::Valid,
            Status::Invalid => VerdictStatus::Invalid,
            Status::IncompleteOffline => VerdictStatus::NotChecked,
        };
        VerifyAnswer {
            format: verdict.format.clone(),
            status,
            valid: status == VerdictStatus::Valid,
            credential_id: verdict.document_id.clone(),
            document_type: None,
            issuer: verdict.issuer.clone(),
            failed_check: verdict.first_failure().map(|c| c.name.clone()),
            checks,
        }
    }
}

/// Verify a presented document and answer with each check. Ours (its JSON, or the text of its
/// QR code: `CCC1:` or the older `CVC1:`) are checked against the server's trust list and the
/// freshest revocation state of the issuer's log; other systems' documents (OpenAttestation
/// v2/v3/v4, UN/CEFACT SPS XML, UNTP credentials) are checked offline, and what needs the
/// network is `not_checked`, never `valid`. Public. Answers 200 with the verdict whether or not
/// the document is valid.
#[utoipa::path(post, path = "/api/v1/certificates/verify", tag = "certificates",
    request_body(content = String, description = "Certificate JSON, QR payload, OpenAttestation JSON, SPS XML or UNTP credential"),
    responses((status = 200, description = "The verdict: each check valid, invalid (with reason) or not_checked (with why), and the overall status", body = VerifyAnswer)))]
pub async fn verify_certificate(
    State(state): State<AppState>,
    body: Bytes,
) -> Result<Json<VerifyAnswer>, ApiError> {
    Ok(Json(service::verify(&state, &body).await?))
}

// Logs.

/// The newest signed checkpoint of a log.
#[utoipa::path(get, path = "/api/v1/logs/{log_id}/checkpoint", tag = "logs",
    params(("log_id" = String, Path, description = "Log origin line, e.g. caravan-log-7")),
    responses((status = 200, body = serde_json::Value), (status = 404, body = ErrorBody)))]
pub async fn get_checkpoint(
    State(state): State<AppState>,
    Path(log): Path<String>,
) -> Result<Json<Value>, ApiError> {
    Ok(Json(service::latest_checkpoint(&state, &log).await?))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct CheckpointsParams {
    /// Only checkpoints of tree size greater than this (default 0).
    #[param(value_type = Option<u64>)]
    pub after: Option<String>,
    /// At most this many (1–1000, default 100).
    #[param(value_type = Option<u64>, minimum = 1, maximum = 1000)]
    pub limit: Option<String>,
}

/// The signed checkpoints of a log, oldest first, for monitors.
#[utoipa::path(get, path = "/api/v1/logs/{log_id}/checkpoints", tag = "logs",
    params(("log_id" = String, Path, description = "Log origin line"), CheckpointsParams),
    responses((status = 200, body = serde_json::Value), (status = 400, body = ErrorBody)))]
pub async fn list_checkpoints(
    State(state): State<AppState>,
    Path(log): Path<String>,
    ApiQuery(params): ApiQuery<CheckpointsParams>,
) -> Result<Json<Value>, ApiError> {
    Ok(Json(service::log_checkpoints(&state, &log, &params).await?))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct InclusionParams {
    /// The leaf hash (hex, 32 bytes).
    #[param(pattern = "^[0-9a-fA-F]{64}$")]
    pub leaf_hash: String,
    /// Tree size to prove against (default: the newest checkpoint's).
    #[param(value_type = Option<u64>)]
    pub tree_size: Option<String>,
}

/// An RFC 9162 inclusion proof of a leaf, by its hash.
#[utoipa::path(get, path = "/api/v1/logs/{log_id}/proof/inclusion", tag = "logs",
    params(("log_id" = String, Path, description = "Log origin line"), InclusionParams),
    responses((status = 200, body = serde_json::Value), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn inclusion_proof(
    State(state): State<AppState>,
    Path(log): Path<String>,
    ApiQuery(params): ApiQuery<InclusionParams>,
) -> Result<Json<Value>, ApiError> {
    Ok(Json(service::log_inclusion_proof(&state, &log, &params).await?))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ConsistencyParams {
    /// The older tree size.
    #[param(value_type = u64)]
    pub first: String,
    /// The newer tree size (default: the log's size).
    #[param(value_type = Option<u64>)]
    pub second: Option<String>,
}

/// An RFC 9162 consistency proof between two tree sizes.
#[utoipa::path(get, path = "/api/v1/logs/{log_id}/proof/consistency", tag = "logs",
    params(("log_id" = String, Path, description = "Log origin line"), ConsistencyParams),
    responses((status = 200, body = serde_json::Value), (status = 400, body = ErrorBody)))]
pub async fn consistency_proof(
    State(state): State<AppState>,
    Path(log): Path<String>,
    ApiQuery(params): ApiQuery<ConsistencyParams>,
) -> Result<Json<Value>, ApiError> {
    Ok(Json(service::log_consistency_proof(&state, &log, &params).await?))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct EntriesParams {
    /// First index (default 0).
    #[param(value_type = Option<u64>)]
    pub start: Option<String>,
    /// One past the last index (default start + 1000; at most 1000 entries).
    #[param(value_type = Option<u64>)]
    pub end: Option<String>,
}

/// Log entries `start..end`: index, leaf hash and the entry JSON (its RFC 8785 text, base64).
#[utoipa::path(get, path = "/api/v1/logs/{log_id}/entries", tag = "logs",
    params(("log_id" = String, Path, description = "Log origin line"), EntriesParams),
    responses((status = 200, body = serde_json::Value), (status = 400, body = ErrorBody)))]
pub async fn log_entries(
    State(state): State<AppState>,
    Path(log): Path<String>,
    ApiQuery(params): ApiQuery<EntriesParams>,
) -> Result<Json<Value>, ApiError> {
    Ok(Json(service::log_entries(&state, &log, &params).await?))
}

/// The revocations of a log as of its newest checkpoint (recomputed from the entries, which
/// hash to the checkpoint's root).
#[utoipa::path(get, path = "/api/v1/logs/{log_id}/revocations", tag = "logs",
    params(("log_id" = String, Path, description = "Log origin line")),
    responses((status = 200, body = serde_json::Value), (status = 404, body = ErrorBody)))]
pub async fn log_revocations(
    State(state): State<AppState>,
    Path(log): Path<String>,
) -> Result<Json<Value>, ApiError> {
    Ok(Json(service::log_revocations(&state, &log).await?))
}

/// The OpenAPI paths of this module, merged into `caravan_server::openapi`.
#[derive(OpenApi)]
#[openapi(paths(
    create_key,
    list_keys,
    retire_key,
    get_trust_list,
    create_certificate,
    list_certificates,
    get_certificate,
    get_certificate_qr,
    revoke_certificate,
    verify_certificate,
    get_checkpoint,
    list_checkpoints,
    inclusion_proof,
    consistency_proof,
    log_entries,
    log_revocations,
))]
pub struct ApiDoc;

/// This module's routes: its API under `/api/v1` and its pages.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/organisations/{id}/signing-keys", get(list_keys).post(create_key))
        .route("/api/v1/signing-keys/{id}/retire", post(retire_key))
        .route("/api/v1/trust-list", get(get_trust_list))
        .route("/api/v1/certificates", get(list_certificates).post(create_certificate))
        .route("/api/v1/certificates/verify", post(verify_certificate))
        .route("/api/v1/certificates/{id}", get(get_certificate))
        .route("/api/v1/certificates/{id}/qr.svg", get(get_certificate_qr))
        .route("/api/v1/certificates/{id}/revoke", post(revoke_certificate))
        .route("/api/v1/logs/{log_id}/checkpoint", get(get_checkpoint))
        .route("/api/v1/logs/{log_id}/checkpoints", get(list_checkpoints))
        .route("/api/v1/logs/{log_id}/proof/inclusion", get(inclusion_proof))
        .route("/api/v1/logs/{log_id}/proof/consistency", get(consistency_proof))
        .route("/api/v1/logs/{log_id}/entries", get(log_entries))
        .route("/api/v1/logs/{log_id}/revocations", get(log_revocations))
        .merge(pages::routes())
}

/// The feature's links in the main menu: the verifier and the logs are public; the register
/// (issuing, revoking, keys) is for members of a certifying authority and the platform
/// operator's administrators, who may read every certificate.
pub fn navigation() -> Vec<caravan_web::ui::NavLink> {
    use caravan_web::i18n::Key;
    use caravan_web::ui::NavLink;
    vec![
        NavLink::public("/verify", Key::nav_verify),
        NavLink::public("/logs", Key::nav_logs),
        NavLink::signed_in("/certificates", Key::nav_certificates, |caller| {
            service::is_authority_kind(caller.org.kind) || caller.is_global_admin()
        }),
    ]
}
