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
use caravan_docsign::credential::{DocumentType, Issuer, build_credential};
use caravan_docsign::jcs::ParseLimits;
use caravan_docsign::log::{Checkpoint, LogEntry, RevocationState, SignedCheckpoint};
use caravan_docsign::merkle::{self, Hash, Subtree, SubtreeProof};
use caravan_docsign::qr::QrError;
use caravan_docsign::sig::{Algorithm, DEFAULT_SM2_ID, PrivateKey};
use caravan_docsign::trust::{AuthorityFile, KeyFileEntry, TrustList, TrustListFile};
use caravan_docsign::verify::{self as dverify, VerificationReport, VerifyOptions};
use caravan_store::certs::{
    CertificateRecord, KeyAddition, LogAppend, LogEffect, LogNode, NewCertificate, NewSigningKey,
    SigningKey,
};
use caravan_store::{Actor, Change, OrgKind, Organisation, Role, StoreError};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use time::OffsetDateTime;
use utoipa::{IntoParams, OpenApi, ToSchema};

use caravan_web::AppState;
use caravan_web::auth::{self, Caller};
use caravan_web::error::{ApiError, ApiJson, ApiQuery, ErrorBody};
use caravan_web::memo::Memo;

pub use pages::CertKey;

pub use caravan_docsign::qr::{LEGACY_QR_PREFIX, QR_PREFIX};
/// Most entries one `entries` request returns.
pub const MAX_ENTRIES_PAGE: u64 = 1000;

/// The identifier of the authority an organisation is (`issuer.id` of its certificates).
pub fn authority_id(org_id: i64) -> String {
    format!("urn:caravan:authority:{org_id}")
}

/// The origin line of an organisation's log.
pub fn log_id(org_id: i64) -> String {
    format!("caravan-log-{org_id}")
}

fn org_of_log(log: &str) -> Option<i64> {
    log.strip_prefix("caravan-log-")?.parse().ok()
}

/// Whether an organisation of this kind may be a certifying authority.
pub fn is_authority_kind(kind: OrgKind) -> bool {
    matches!(kind, OrgKind::CertifyingBody | OrgKind::PlantProtectionService)
}

// Policy.

/// May the caller see, generate, rotate and retire signing keys of `org`? The authority's own
/// administrators and certifiers, and the administrators who manage the organisation (its
/// country's, or the platform operator's, who set up a new authority's first key).
pub fn can_manage_keys(caller: &Caller, org: &Organisation) -> bool {
    auth::can_manage(caller, org)
        || (caller.org.id == org.id && (caller.is_admin() || caller.user.role == Role::Certifier))
}

/// May the caller issue certificates? Certifiers of an authority.
pub fn can_issue(caller: &Caller) -> bool {
    caller.user.role == Role::Certifier && is_authority_kind(caller.org.kind)
}

/// May the caller revoke `cert`? Certifiers of the issuing organisation only.
pub fn can_revoke(caller: &Caller, cert: &CertificateRecord) -> bool {
    can_issue(caller) && caller.org.id == cert.org_id
}

/// May the caller read `cert` from the register (anyone may verify a certificate they hold)?
/// Members of the issuing organisation and the platform operator's administrators.
pub fn can_read_certificate(caller: &Caller, cert: &CertificateRecord) -> bool {
    caller.org.id == cert.org_id || caller.is_global_admin()
}

// Trust list.

fn key_entry(key: &SigningKey) -> KeyFileEntry {
    use caravan_docsign::credential::format_time;
    KeyFileEntry {
        kid: key.kid.clone(),
        alg: Algorithm::parse(&key.alg).unwrap_or(Algorithm::Ed25519),
        public_key: key.public_key.clone(),
        sm2_id: None,
        document_types: key.document_types.clone(),
        signs_checkpoints: key.signs_checkpoints,
        valid_from: format_time(key.valid_from),
        valid_until: key.valid_until.map(format_time),
        retired_at: key.retired_at.map(format_time),
    }
}

/// The trust list file the server publishes: every authority with at least one key.
///
/// # Errors
/// Store failures.
pub async fn trust_list_file(state: &AppState) -> Result<TrustListFile, ApiError> {
    let orgs = state.store.organisations().await?;
    let keys = state.store.signing_keys(None).await?;
    let authorities = orgs
        .iter()
        .filter(|org| is_authority_kind(org.kind))
        .filter_map(|org| {
            let keys: Vec<KeyFileEntry> =
                keys.iter().filter(|k| k.org_id == org.id).map(key_entry).collect();
            (!keys.is_empty()).then(|| AuthorityFile {
                id: authority_id(org.id),
                name: org.name.clone(),
                country: org.country.to_string(),
                log_id: log_id(org.id),
                keys,
            })
        })
        .collect();
    Ok(TrustListFile { authorities })
}

/// The server's current trust list: which keys speak for which certifying authority.
///
/// # Errors
/// Store failures, or a stored key the trust list rejects.
pub async fn trust_list(state: &AppState) -> Result<TrustList, ApiError> {
    let file = trust_list_file(state).await?;
    TrustList::from_file(&file).map_err(|errors| {
        let list: Vec<String> = errors.iter().map(ToString::to_string).collect();
        ApiError::internal(format!("the stored trust list is invalid: {}", list.join("; ")))
    })
}

/// The revocation state of a log as of its newest checkpoint, from the log's revocation
/// entries (the store indexes them as it appends them) and checked against the checkpoint's
/// root recomputed from the kept subtree hashes: O(log n) and the revocations, where reading
/// every entry cost O(n) per request (issue 22).
///
/// # Errors
/// Store failures, or a log that does not match its checkpoint.
pub async fn revocation_state(
    state: &AppState,
    log: &str,
) -> Result<Option<RevocationState>, ApiError> {
    let Some(stored) = state.store.latest_checkpoint(log).await? else {
        return Ok(None);
    };
    let checkpoint = SignedCheckpoint::from_json(&stored.checkpoint).map_err(ApiError::internal)?;
    let size = checkpoint.checkpoint.size;
    let subtrees = subtree_hashes(state, log, &merkle::root_subtrees(size)).await?;
    let root = merkle::root_from_subtrees(size, |s| subtrees.get(&s).copied())
        .map_err(|err| ApiError::internal(format!("log {log}: {err}")))?;
    if root != checkpoint.checkpoint.root {
        return Err(ApiError::internal(format!("log {log} does not hash to its checkpoint")));
    }
    let leaves = state.store.log_revocations(log, size).await?;
    let entries: Vec<&[u8]> = leaves.iter().map(|l| l.entry.as_slice()).collect();
    caravan_docsign::log::revocation_state_of_revocations(&entries, &checkpoint)
        .map(Some)
        .map_err(|err| ApiError::internal(format!("log {log}: {err}")))
}

/// The log a certificate says it is in (its transparency proof's `logId`).
pub fn certificate_log_id(certificate: &Value) -> Option<&str> {
    certificate.get("proof")?.as_array()?.iter().find_map(|proof| {
        (proof.get("type")?.as_str()? == dverify::TRANSPARENCY_PROOF)
            .then(|| proof.get("logId")?.as_str())
            .flatten()
    })
}

/// Reads a certificate presented as JSON, or as the text of its QR code: the compact form
/// (`CCC1:` + Base45 of zlib) or the first one (`CVC1:` + base64url).
///
/// # Errors
/// [`QrError`] for a QR text that does not decode.
pub fn certificate_bytes(presented: &[u8]) -> Result<std::borrow::Cow<'_, [u8]>, QrError> {
    caravan_docsign::qr::certificate_from_presented(presented)
}

/// The QR text of a stored certificate: the compact form of [`caravan_docsign::qr`].
///
/// # Errors
/// 500 when the stored document is not strict JSON (the server only stores what it signed).
pub fn qr_payload(document: &str) -> Result<String, ApiError> {
    caravan_docsign::qr::encode_certificate(document.as_bytes())
        .map_err(|err| ApiError::internal(format!("stored certificate: {err}")))
}

/// The verdict on another system's document (OpenAttestation, UN/CEFACT SPS XML, UNTP) through
/// `caravan-interop`, offline and with no pinned DNS records: `None` when the bytes are ours (or
/// nothing recognised), so our verifier answers for them as before. A recognised document that
/// cannot be read gets a verdict whose `well-formed` check failed with the reason.
pub fn verify_other_format(bytes: &[u8]) -> Option<caravan_interop::verdict::Verdict> {
    use caravan_interop::detect::{Format, detect};
    use caravan_interop::verdict::Verdict;
    use caravan_interop::{oa, sps, untp};
    let json = |format: Format, bytes: &[u8], read: &dyn Fn(&Value) -> Verdict| {
        match serde_json::from_slice::<Value>(bytes) {
            Ok(doc) => read(&doc),
            Err(err) => Verdict::unreadable(format.as_str(), format!("not JSON: {err}")),
        }
    };
    match detect(bytes) {
        Ok(Format::Caravan) => None,
        Ok(format @ Format::OpenAttestation(version)) => {
            Some(json(format, bytes, &|doc| oa::verify(doc, version, None)))
        }
        Ok(format @ Format::Untp) => Some(json(format, bytes, &untp::verify)),
        Ok(Format::SpsXml) => {
            let format = Format::SpsXml.as_str();
            Some(match std::str::from_utf8(bytes) {
                Ok(text) => sps::verify(text)
                    .unwrap_or_else(|err| Verdict::unreadable(format, err.to_string())),
                Err(_) => Verdict::unreadable(format, "the XML is not UTF-8"),
            })
        }
        Err(err) => Some(Verdict::unreadable("unknown", err.to_string())),
    }
}

/// Verifies a certificate presented to the platform (e.g. attached to a declaration) against the
/// server's trust list and the freshest revocation state of its logs. The single window calls
/// this; this module owns how it is done.
///
/// # Errors
/// Store failures (an invalid certificate is a report, not an error).
pub async fn verify_presented(
    state: &AppState,
    certificate: &[u8],
) -> Result<VerificationReport, ApiError> {
    Ok(verify_presented_parsed(state, certificate).await?.0)
}

/// [`verify_presented`], also handing back the certificate as JSON when it reads as such, so a
/// caller that checks what it holds (the single window's goods and parties) reads it once.
///
/// # Errors
/// Store failures.
pub async fn verify_presented_parsed(
    state: &AppState,
    certificate: &[u8],
) -> Result<(VerificationReport, Option<Value>), ApiError> {
    let bytes = match certificate_bytes(certificate) {
        Ok(bytes) => bytes,
        Err(err) => return Ok((VerificationReport::unreadable(err.to_string()), None)),
    };
    let trust = state.cert_cache().trust_list(state).await?;
    // Parsed once, strictly, by the verifier's parser: its log names the revocation state.
    let Ok(credential) = caravan_docsign::jcs::parse_with_limits(&bytes, ParseLimits::default())
    else {
        let report = dverify::verify_certificate(&bytes, &trust, &VerifyOptions::default());
        return Ok((report, None));
    };
    let log = certificate_log_id(&credential).map(str::to_owned);
    let revocations = match log {
        Some(log) if org_of_log(&log).is_some() => {
            state.cert_cache().revocation_state(state, &log).await?
        }
        _ => None,
    };
    let options = VerifyOptions { revocations: revocations.as_deref(), ..VerifyOptions::default() };
    let mut deferred = dverify::verify_parsed_deferred(credential, bytes.len(), &trust, &options);
    // Its signatures go with those of every other certificate being checked now.
    let results = state.signatures().verify(deferred.take_checks()).await;
    Ok(deferred.finish(&results))
}

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
}

impl CertState for AppState {
    fn cert_cache(&self) -> &VerifyCache {
        self.feature::<VerifyCache>()
    }

    fn signatures(&self) -> &signatures::SignatureBatcher {
        self.feature::<signatures::SignatureBatcher>()
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

fn parse_alg(alg: Option<&str>) -> Result<Algorithm, ApiError> {
    match alg.map(str::trim) {
        None | Some("") => Ok(Algorithm::Ed25519),
        Some(text) => Algorithm::parse(text).map_err(|_| {
            ApiError::bad_request(
                "certs.invalid_alg",
                format!("alg must be ed25519 or sm2, got {text:?}"),
            )
            .with_field("alg")
        }),
    }
}

async fn authority_org(state: &AppState, org_id: i64) -> Result<Organisation, ApiError> {
    let org = state.store.organisation(org_id).await?.ok_or_else(|| {
        ApiError::not_found("organisation.not_found", format!("no organisation {org_id}"))
    })?;
    if !is_authority_kind(org.kind) {
        return Err(ApiError::unprocessable(
            "certs.not_an_authority",
            format!(
                "{} is a {}; only certifying bodies and plant protection services hold signing keys",
                org.name, org.kind
            ),
        ));
    }
    Ok(org)
}

fn parse_doc_types(types: Option<Vec<String>>) -> Result<Vec<String>, ApiError> {
    let types = types.unwrap_or_else(|| {
        ["origin", "phyto", "passport"].into_iter().map(str::to_owned).collect()
    });
    if types.is_empty() {
        return Err(ApiError::bad_request(
            "certs.invalid_document_types",
            "give at least one document type: origin, phyto, passport",
        )
        .with_field("document_types"));
    }
    for t in &types {
        if DocumentType::parse(t).is_none() {
            return Err(ApiError::bad_request(
                "certs.invalid_document_types",
                format!("unknown document type {t:?}; use origin, phyto or passport"),
            )
            .with_field("document_types"));
        }
    }
    Ok(types)
}

/// Generates a key for `org` and stores it sealed.
///
/// # Errors
/// Store or sealing failures.
pub async fn generate_key(
    state: &AppState,
    caller: &Caller,
    org: &Organisation,
    alg: Algorithm,
    document_types: Vec<String>,
    rotate: bool,
) -> Result<SigningKey, ApiError> {
    let now = (state.clock)();
    let key = new_private_key(alg)?;
    let public_key = hex::encode(key.public_key());
    // The key id: the first 16 hex digits of SHA-256 of the public key, as the CLI makes them.
    let kid = {
        use sha2::Digest as _;
        hex::encode(&sha2::Sha256::digest(key.public_key())[..8])
    };
    let master = caravan_web::seal::master_key(state.config.data_dir.as_deref())
        .map_err(ApiError::internal)?;
    let sealed_secret =
        caravan_web::seal::seal(&master, &seal_context(org.id, &kid), &key.secret_bytes());
    let new = NewSigningKey {
        org_id: org.id,
        kid,
        alg: alg.as_str().to_owned(),
        public_key,
        document_types,
        // The log's checkpoints are signed with Ed25519, which every verifier has.
        signs_checkpoints: alg == Algorithm::Ed25519,
        valid_from: now,
        sealed_secret,
    };
    let addition = if rotate { KeyAddition::Rotate } else { KeyAddition::Add };
    let change = Change { actor: caller.actor(), at: now };
    let key = state.store.add_signing_key(&change, &new, addition).await?;
    state.cert_cache().invalidate_trust();
    Ok(key)
}

/// A fresh private key from the operating system's generator. An SM2 scalar must lie in
/// `[1, n-2]` (GB/T 32918.1 §6.1); 32 random bytes miss that with probability about 2^-32, and
/// are drawn again.
fn new_private_key(alg: Algorithm) -> Result<PrivateKey, ApiError> {
    let mut last = None;
    for _ in 0..4 {
        match PrivateKey::from_secret_bytes(alg, &caravan_web::seal::random_bytes(), DEFAULT_SM2_ID)
        {
            Ok(key) => return Ok(key),
            Err(err) => last = Some(err),
        }
    }
    Err(ApiError::internal(format!(
        "no valid {alg} key from the random source: {}",
        last.map(|e| e.to_string()).unwrap_or_default()
    )))
}

fn seal_context(org_id: i64, kid: &str) -> Vec<u8> {
    format!("caravan signing key {org_id} {kid}").into_bytes()
}

fn unseal_key(state: &AppState, key: &SigningKey) -> Result<PrivateKey, ApiError> {
    let master = caravan_web::seal::master_key(state.config.data_dir.as_deref())
        .map_err(ApiError::internal)?;
    let secret =
        caravan_web::seal::open(&master, &seal_context(key.org_id, &key.kid), &key.sealed_secret)
            .ok_or_else(|| {
            ApiError::internal(format!(
                "signing key {} cannot be unsealed with this server's master key",
                key.kid
            ))
        })?;
    let alg = Algorithm::parse(&key.alg).map_err(ApiError::internal)?;
    PrivateKey::from_secret_bytes(alg, &secret, DEFAULT_SM2_ID).map_err(ApiError::internal)
}

/// Why a key endpoint refused the caller.
const KEYS_FORBIDDEN: &str = "only this authority's certifiers and administrators, or the administrators of its country, manage its keys";

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
    let org = authority_org(&state, org_id).await?;
    if !can_manage_keys(&caller, &org) {
        return Err(ApiError::forbidden(KEYS_FORBIDDEN));
    }
    let alg = parse_alg(body.alg.as_deref())?;
    let types = parse_doc_types(body.document_types)?;
    let key = generate_key(&state, &caller, &org, alg, types, body.rotate).await?;
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
    let org = authority_org(&state, org_id).await?;
    if !can_manage_keys(&caller, &org) {
        return Err(ApiError::forbidden(KEYS_FORBIDDEN));
    }
    Ok(Json(state.store.signing_keys(Some(org.id)).await?))
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
    Ok(Json(retire(&state, &caller, key_id).await?))
}

/// Retires one of an authority's keys as of now.
///
/// # Errors
/// 404 for an unknown key, 403 unless [`can_manage_keys`].
pub(crate) async fn retire(
    state: &AppState,
    caller: &Caller,
    key_id: i64,
) -> Result<SigningKey, ApiError> {
    let key = state.store.signing_key(key_id).await?.ok_or_else(|| {
        ApiError::not_found("certs.key_not_found", format!("no signing key {key_id}"))
    })?;
    let org = authority_org(state, key.org_id).await?;
    if !can_manage_keys(caller, &org) {
        return Err(ApiError::forbidden(KEYS_FORBIDDEN));
    }
    let change = Change { actor: caller.actor(), at: (state.clock)() };
    let retired = state.store.retire_signing_key(&change, key_id).await?;
    state.cert_cache().invalidate_trust();
    Ok(retired)
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

fn random_urn() -> String {
    let b = caravan_web::seal::random_bytes();
    let h = hex::encode(&b[..16]);
    format!("urn:uuid:{}-{}-4{}-a{}-{}", &h[..8], &h[8..12], &h[13..16], &h[17..20], &h[20..32])
}

/// Kept hashes of complete subtrees of a log, by subtree.
type SubtreeHashes = std::collections::HashMap<Subtree, Hash>;

/// The hashes of these complete subtrees of a log (RFC 9162 §2.1), from the store: what a
/// proof, a root or an append needs, O(log n) of them.
///
/// A log written before the store kept subtree hashes (migration 0007) has only its leaves:
/// the first request that misses one computes every complete subtree from the leaves once and
/// keeps them ([`keep_subtrees`]), then reads again.
async fn subtree_hashes(
    state: &AppState,
    log: &str,
    needed: &[Subtree],
) -> Result<SubtreeHashes, ApiError> {
    let found = read_subtrees(state, log, needed).await?;
    if needed.iter().all(|s| found.contains_key(s)) {
        return Ok(found);
    }
    keep_subtrees(state, log).await?;
    let found = read_subtrees(state, log, needed).await?;
    match needed.iter().find(|s| !found.contains_key(s)) {
        None => Ok(found),
        Some(s) => Err(ApiError::internal(format!(
            "log {log} has no hash for its complete subtree {}/{}",
            s.level, s.index
        ))),
    }
}

async fn read_subtrees(
    state: &AppState,
    log: &str,
    needed: &[Subtree],
) -> Result<SubtreeHashes, ApiError> {
    let keys: Vec<(u8, u64)> = needed.iter().map(|s| (s.level, s.index)).collect();
    let nodes = state.store.log_nodes(log, &keys).await?;
    nodes
        .into_iter()
        .map(|node| {
            let hash = Hash::try_from(node.hash.as_slice())
                .map_err(|_| ApiError::internal(format!("log {log} has a malformed hash")))?;
            Ok((Subtree { level: node.level, index: node.index }, hash))
        })
        .collect()
}

/// Computes every complete subtree of a log from its leaves and keeps those of level 1 and
/// up: once per log written before subtrees were kept. O(n), like every proof was before.
async fn keep_subtrees(state: &AppState, log: &str) -> Result<(), ApiError> {
    let size = state.store.log_size(log).await?;
    let leaves = state.store.log_leaves(log, 0, size).await?;
    if leaves.len() as u64 != size {
        return Err(ApiError::internal(format!("log {log} lost leaves below {size}")));
    }
    let hashes = leaves
        .iter()
        .map(|l| {
            Hash::try_from(l.leaf_hash.as_slice())
                .map_err(|_| ApiError::internal(format!("log {log} has a malformed leaf hash")))
        })
        .collect::<Result<Vec<Hash>, ApiError>>()?;
    let nodes: Vec<LogNode> = merkle::complete_subtrees(&hashes)
        .into_iter()
        .filter(|(s, _)| s.level > 0)
        .map(|(s, hash)| LogNode { level: s.level, index: s.index, hash: hash.to_vec() })
        .collect();
    tracing::info!(log, size, nodes = nodes.len(), "keeping the complete subtrees of a log");
    let change = Change { actor: Actor::system("certs"), at: (state.clock)() };
    state.store.put_log_nodes(&change, log, &nodes).await?;
    Ok(())
}

/// Appends one entry to an organisation's log with a fresh signed checkpoint, retrying when a
/// concurrent append took the index. Returns the leaf index, the inclusion proof and the
/// checkpoint; `finish` builds the effect (e.g. the complete certificate) from them.
async fn append_entry(
    state: &AppState,
    change: &Change,
    org_id: i64,
    checkpoint_key: &(PrivateKey, String),
    entry: &[u8],
    finish: impl Fn(u64, &[Hash], &SignedCheckpoint) -> LogEffect,
) -> Result<LogEffect, ApiError> {
    let log = log_id(org_id);
    let leaf = merkle::leaf_hash(entry);
    for _ in 0..8 {
        let size = state.store.log_size(&log).await?;
        // The new root and the leaf's proof come from the O(log n) frontier (RFC 9162 §2.1.1,
        // §2.1.3.1), and the subtrees the leaf completes are kept with it.
        let frontier = subtree_hashes(state, &log, &merkle::root_subtrees(size)).await?;
        let appended = merkle::append_leaf(size, leaf, |s| frontier.get(&s).copied())
            .map_err(ApiError::internal)?;
        let checkpoint = Checkpoint {
            log_id: log.clone(),
            size: size + 1,
            root: appended.root,
            timestamp: change.at,
        }
        .sign(&checkpoint_key.0, &checkpoint_key.1);
        let effect = finish(size, &appended.proof, &checkpoint);
        let nodes = appended
            .completed
            .iter()
            .filter(|(s, _)| s.level > 0)
            .map(|(s, hash)| LogNode { level: s.level, index: s.index, hash: hash.to_vec() })
            .collect();
        let append = LogAppend {
            log_id: log.clone(),
            expected_size: size,
            leaf_hash: leaf.to_vec(),
            entry: entry.to_vec(),
            checkpoint: checkpoint.to_json(),
            effect: effect.clone(),
            nodes,
        };
        match state.store.append_log(change, &append).await {
            Ok(()) => {
                state.cert_cache().invalidate_log(&log);
                return Ok(effect);
            }
            Err(StoreError::Conflict { what: "log size", .. }) => continue,
            Err(err) => return Err(err.into()),
        }
    }
    Err(ApiError::new(
        StatusCode::SERVICE_UNAVAILABLE,
        "certs.log_busy",
        "the log is busy with other appends; try again",
    ))
}

/// The active key that signs the organisation's checkpoints, as `(key, verification method)`.
fn checkpoint_key(
    state: &AppState,
    keys: &[SigningKey],
    org_id: i64,
    at: OffsetDateTime,
) -> Result<(PrivateKey, String), ApiError> {
    let key = keys
        .iter()
        .find(|k| k.signs_checkpoints && k.alg == Algorithm::Ed25519.as_str() && k.is_active(at))
        .ok_or_else(|| {
        ApiError::unprocessable(
            "certs.no_active_key",
            "your organisation has no active signing key; ask its administrator to generate one",
        )
    })?;
    Ok((unseal_key(state, key)?, format!("{}#{}", authority_id(org_id), key.kid)))
}

/// Issues a certificate for the caller's organisation.
///
/// # Errors
/// 403 unless a certifier of an authority; 422 for an invalid subject or no usable key.
pub async fn issue(
    state: &AppState,
    caller: &Caller,
    request: IssueRequest,
) -> Result<CertificateRecord, ApiError> {
    if !can_issue(caller) {
        return Err(ApiError::forbidden(
            "only certifiers of a certifying body or plant protection service issue certificates",
        ));
    }
    let doc_type = DocumentType::parse(&request.doc_type).ok_or_else(|| {
        ApiError::bad_request(
            "certs.invalid_type",
            format!("type must be origin, phyto or passport, got {:?}", request.doc_type),
        )
        .with_field("type")
    })?;
    let id = match request.id {
        Some(id) if id.is_empty() || id.len() > 200 || id.chars().any(char::is_whitespace) => {
            return Err(ApiError::bad_request(
                "certs.invalid_id",
                "id must be 1 to 200 characters without spaces, e.g. urn:uuid:…",
            )
            .with_field("id"));
        }
        Some(id) => id,
        None => random_urn(),
    };
    let now = (state.clock)();
    let org = &caller.org;
    let keys = state.store.signing_keys(Some(org.id)).await?;
    let signs = |k: &&SigningKey, alg: Algorithm| {
        k.alg == alg.as_str()
            && k.is_active(now)
            && k.document_types.iter().any(|t| t == doc_type.as_str())
    };
    // The verifier requires the Ed25519 proof; an SM2 key adds the second signature.
    let second = keys.iter().find(|k| signs(k, Algorithm::Sm2));
    let signer = keys
        .iter()
        .find(|k| signs(k, Algorithm::Ed25519))
        .ok_or_else(|| {
            ApiError::unprocessable(
                "certs.no_key_for_type",
                format!(
                    "{} has no active Ed25519 key for {doc_type} certificates; ask its administrator to generate one",
                    org.name
                ),
            )
            .with_field("type")
        })?;
    let issuer = Issuer { id: authority_id(org.id), name: org.name.clone(), country: org.country };
    let unsigned =
        build_credential(doc_type, request.subject, &issuer, &id, now).map_err(|errors| {
            let field = errors.first().map(|e| format!("subject.{}", e.path)).unwrap_or_default();
            let list: Vec<String> = errors.iter().map(ToString::to_string).collect();
            ApiError::unprocessable("certs.invalid_subject", list.join("; ")).with_field(field)
        })?;
    let signing = unseal_key(state, signer)?;
    let vm = format!("{}#{}", authority_id(org.id), signer.kid);
    let sm2 = second
        .map(|k| {
            Ok::<_, ApiError>((
                unseal_key(state, k)?,
                format!("{}#{}", authority_id(org.id), k.kid),
            ))
        })
        .transpose()?;
    let mut signers: Vec<(&PrivateKey, &str)> = vec![(&signing, vm.as_str())];
    if let Some((key, vm)) = &sm2 {
        signers.push((key, vm.as_str()));
    }
    let signed = dverify::sign_certificate(unsigned, &signers, now);
    let entry = dverify::issuance_entry(&signed).to_bytes();
    let cp_key = checkpoint_key(state, &keys, org.id, now)?;
    let change = Change { actor: caller.actor(), at: now };
    let effect = append_entry(state, &change, org.id, &cp_key, &entry, |index, proof, cp| {
        let mut complete = signed.clone();
        dverify::attach_transparency(&mut complete, index, proof, cp);
        LogEffect::Issue(NewCertificate {
            id: id.clone(),
            org_id: org.id,
            doc_type: doc_type.as_str().to_owned(),
            document: serde_json::to_string_pretty(&complete).unwrap_or_default(),
        })
    })
    .await
    .map_err(|err| match err.code {
        "store.conflict" => ApiError::new(
            StatusCode::CONFLICT,
            "certs.duplicate_id",
            format!("a certificate with id {id} already exists"),
        )
        .with_field("id"),
        _ => err,
    })?;
    let LogEffect::Issue(_) = effect else {
        return Err(ApiError::internal("issuance produced another effect"));
    };
    state
        .store
        .certificate(&id)
        .await?
        .ok_or_else(|| ApiError::internal("issued certificate vanished"))
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
    let list = state.store.certificates(caller.org.id).await?;
    Ok(Json(list.iter().map(CertificateSummary::from).collect()))
}

pub(crate) async fn readable_certificate(
    state: &AppState,
    caller: &Caller,
    id: &str,
) -> Result<CertificateRecord, ApiError> {
    let not_found =
        || ApiError::not_found("certs.not_found", format!("no certificate {id} in your register"));
    let cert = state.store.certificate(id).await?.ok_or_else(not_found)?;
    if !can_read_certificate(caller, &cert) {
        // Other organisations' registers are not revealed to exist.
        return Err(not_found());
    }
    Ok(cert)
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

/// Revokes a certificate.
///
/// # Errors
/// 403/404/409/422 as the handler documents.
pub(crate) async fn revoke(
    state: &AppState,
    caller: &Caller,
    id: &str,
    reason: &str,
) -> Result<CertificateRecord, ApiError> {
    let cert =
        state.store.certificate(id).await?.ok_or_else(|| {
            ApiError::not_found("certs.not_found", format!("no certificate {id}"))
        })?;
    if !can_revoke(caller, &cert) {
        return Err(ApiError::forbidden(
            "only certifiers of the issuing organisation revoke its certificates",
        ));
    }
    let reason = reason.trim();
    if reason.is_empty() || reason.chars().count() > 500 {
        return Err(ApiError::bad_request(
            "certs.invalid_reason",
            "give the reason for revoking in 1 to 500 characters",
        )
        .with_field("reason"));
    }
    if cert.revoked_at.is_some() {
        return Err(ApiError::new(
            StatusCode::CONFLICT,
            "certs.already_revoked",
            format!("certificate {id} is already revoked"),
        ));
    }
    let now = (state.clock)();
    let keys = state.store.signing_keys(Some(cert.org_id)).await?;
    let cp_key = checkpoint_key(state, &keys, cert.org_id, now)?;
    let entry = LogEntry::Revocation {
        credential_id: id.to_owned(),
        reason: reason.to_owned(),
        revoked_at: now,
    }
    .to_bytes();
    let change = Change { actor: caller.actor(), at: now };
    append_entry(state, &change, cert.org_id, &cp_key, &entry, |_, _, _| LogEffect::Revoke {
        certificate_id: id.to_owned(),
        reason: reason.to_owned(),
    })
    .await?;
    state
        .store
        .certificate(id)
        .await?
        .ok_or_else(|| ApiError::internal("revoked certificate vanished"))
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
    if let Some(verdict) = verify_other_format(&body) {
        return Ok(Json(VerifyAnswer::of_verdict(&verdict)));
    }
    let report = verify_presented(&state, &body).await?;
    Ok(Json(VerifyAnswer::of_report(&report)))
}

// Logs.

async fn known_log(state: &AppState, log: &str) -> Result<u64, ApiError> {
    let size = state.store.log_size(log).await?;
    if size == 0 {
        return Err(ApiError::not_found(
            "certs.unknown_log",
            format!("no log {log:?} (or it is empty)"),
        )
        .with_field("log_id"));
    }
    Ok(size)
}

async fn latest_checkpoint(state: &AppState, log: &str) -> Result<Value, ApiError> {
    known_log(state, log).await?;
    let cp = state.store.latest_checkpoint(log).await?.ok_or_else(|| {
        ApiError::not_found("certs.unknown_log", format!("log {log:?} has no checkpoint"))
    })?;
    Ok(cp.checkpoint)
}

/// The newest signed checkpoint of a log.
#[utoipa::path(get, path = "/api/v1/logs/{log_id}/checkpoint", tag = "logs",
    params(("log_id" = String, Path, description = "Log origin line, e.g. caravan-log-7")),
    responses((status = 200, body = serde_json::Value), (status = 404, body = ErrorBody)))]
pub async fn get_checkpoint(
    State(state): State<AppState>,
    Path(log): Path<String>,
) -> Result<Json<Value>, ApiError> {
    Ok(Json(latest_checkpoint(&state, &log).await?))
}

/// A numeric query parameter of the log API: a whole number from 0 to `i64::MAX`, the largest
/// leaf index or tree size a store holds. Anything else is the client's error, naming the
/// parameter (issue 22, finding 8: `start=18446744073709551615` answered 500).
fn number_param(text: Option<&str>, field: &'static str) -> Result<Option<u64>, ApiError> {
    let Some(text) = text else { return Ok(None) };
    match text.parse::<u64>() {
        Ok(number) if i64::try_from(number).is_ok() => Ok(Some(number)),
        _ => Err(ApiError::bad_request(
            "request.invalid_query",
            format!("{field} must be a whole number from 0 to {}, got {text:?}", i64::MAX),
        )
        .with_field(field)),
    }
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
    let after = number_param(params.after.as_deref(), "after")?.unwrap_or(0);
    let limit = number_param(params.limit.as_deref(), "limit")?.unwrap_or(100);
    if !(1..=MAX_ENTRIES_PAGE).contains(&limit) {
        return Err(ApiError::bad_request("request.invalid_limit", "limit must be 1 to 1000")
            .with_field("limit"));
    }
    let list = state.store.checkpoints(&log, after, limit).await?;
    Ok(Json(json!({"checkpoints": list.into_iter().map(|c| c.checkpoint).collect::<Vec<_>>()})))
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

fn parse_hash(text: &str, field: &'static str) -> Result<Hash, ApiError> {
    caravan_docsign::log::decode_hash(text).ok_or_else(|| {
        ApiError::bad_request("certs.invalid_hash", format!("{field} must be 64 hex digits"))
            .with_field(field)
    })
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
    let leaf = parse_hash(&params.leaf_hash, "leaf_hash")?;
    let tree_size = number_param(params.tree_size.as_deref(), "tree_size")?;
    let size = known_log(&state, &log).await?;
    let tree_size = tree_size.unwrap_or(size);
    if tree_size == 0 || tree_size > size {
        return Err(ApiError::bad_request(
            "certs.invalid_tree_size",
            format!("tree_size must be 1 to {size}"),
        )
        .with_field("tree_size"));
    }
    let index =
        state.store.log_leaf_index(&log, &leaf).await?.filter(|i| *i < tree_size).ok_or_else(
            || {
                ApiError::not_found(
                    "certs.leaf_not_found",
                    format!("no such leaf in the first {tree_size} entries of {log}"),
                )
                .with_field("leaf_hash")
            },
        )?;
    // RFC 9162 §2.1.3.1 from O(log n) kept subtree hashes.
    let plan = SubtreeProof::inclusion(index, tree_size).map_err(ApiError::internal)?;
    let mut needed = plan.subtrees();
    needed.extend(merkle::root_subtrees(tree_size));
    let subtrees = subtree_hashes(&state, &log, &needed).await?;
    let lookup = |s| subtrees.get(&s).copied();
    let proof = plan.assemble(lookup).map_err(ApiError::internal)?;
    let root = merkle::root_from_subtrees(tree_size, lookup).map_err(ApiError::internal)?;
    Ok(Json(json!({
        "logId": log,
        "leafIndex": index,
        "treeSize": tree_size,
        "rootHash": hex::encode(root),
        "inclusionProof": proof.iter().map(hex::encode).collect::<Vec<_>>(),
    })))
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
    let first = number_param(Some(&params.first), "first")?.unwrap_or(0);
    let second = number_param(params.second.as_deref(), "second")?;
    let size = known_log(&state, &log).await?;
    let second = second.unwrap_or(size);
    if second > size || first == 0 || first > second {
        return Err(ApiError::bad_request(
            "certs.invalid_tree_size",
            format!("need 1 <= first <= second <= {size}"),
        )
        .with_field(if second > size { "second" } else { "first" }));
    }
    // RFC 9162 §2.1.4.1 from O(log n) kept subtree hashes.
    let plan = SubtreeProof::consistency(first, second).map_err(ApiError::internal)?;
    let mut needed = plan.subtrees();
    needed.extend(merkle::root_subtrees(first));
    needed.extend(merkle::root_subtrees(second));
    let subtrees = subtree_hashes(&state, &log, &needed).await?;
    let lookup = |s| subtrees.get(&s).copied();
    let proof = plan.assemble(lookup).map_err(ApiError::internal)?;
    let first_root = merkle::root_from_subtrees(first, lookup).map_err(ApiError::internal)?;
    let second_root = merkle::root_from_subtrees(second, lookup).map_err(ApiError::internal)?;
    Ok(Json(json!({
        "logId": log,
        "first": first,
        "second": second,
        "firstRoot": hex::encode(first_root),
        "secondRoot": hex::encode(second_root),
        "consistencyProof": proof.iter().map(hex::encode).collect::<Vec<_>>(),
    })))
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
    use base64::Engine as _;
    let start = number_param(params.start.as_deref(), "start")?.unwrap_or(0);
    let end = number_param(params.end.as_deref(), "end")?
        .unwrap_or(start.saturating_add(MAX_ENTRIES_PAGE).min(i64::MAX as u64));
    if end < start || end - start > MAX_ENTRIES_PAGE {
        return Err(ApiError::bad_request(
            "certs.invalid_range",
            format!("need start <= end and at most {MAX_ENTRIES_PAGE} entries"),
        )
        .with_field("end"));
    }
    let leaves = state.store.log_leaves(&log, start, end).await?;
    let entries: Vec<Value> = leaves
        .iter()
        .map(|l| {
            json!({
                "index": l.index,
                "leafHash": hex::encode(&l.leaf_hash),
                "entry": base64::engine::general_purpose::STANDARD.encode(&l.entry),
            })
        })
        .collect();
    Ok(Json(json!({"logId": log, "entries": entries})))
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
    known_log(&state, &log).await?;
    let rev = revocation_state(&state, &log).await?.ok_or_else(|| {
        ApiError::not_found("certs.unknown_log", format!("log {log:?} has no checkpoint"))
    })?;
    let revoked: Vec<Value> = rev
        .revoked
        .iter()
        .map(|(id, (reason, at))| {
            json!({"credentialId": id, "reason": reason, "revokedAt": caravan_docsign::credential::format_time(*at)})
        })
        .collect();
    Ok(Json(json!({"checkpoint": rev.checkpoint.to_json(), "revoked": revoked})))
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
