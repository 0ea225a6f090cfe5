//! The certificate feature's operations, one typed function per operation:
//! `(state, caller, input) -> Result<output, ApiError>`, each checking the caller's rights first
//! (the `can_…` policy functions are here too): managing an authority's signing keys, issuing and
//! revoking certificates (each an append to the authority's log with a signed checkpoint), the
//! trust list, and verifying a presented certificate. The JSON API (the crate root's handlers)
//! and the pages (`pages`) are thin adapters over these functions; the signing, credential and
//! log rules themselves live in the `caravan-docsign` domain crate. Nothing here knows HTTP: no
//! extractor, no response, no status code but through [`ApiError`]'s constructors.

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
use serde_json::{Value, json};
use time::OffsetDateTime;

use caravan_web::AppState;
use caravan_web::auth::{self, Caller};
use caravan_web::error::ApiError;

use crate::{
    CertState, CheckpointsParams, ConsistencyParams, EntriesParams, InclusionParams, IssueRequest,
    MAX_ENTRIES_PAGE, NewKeyRequest, VerifyAnswer,
};

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
/// `caravan-interop`, offline and with no pinned DNS records, a UNTP credential against
/// `schemas` (the server's, [`crate::CertState::untp_schemas`]): `None` when the bytes are ours
/// (or nothing recognised), so our verifier answers for them as before. A recognised document
/// that cannot be read gets a verdict whose `well-formed` check failed with the reason.
pub fn verify_other_format(
    bytes: &[u8],
    schemas: &caravan_interop::untp::UntpSchemas,
) -> Option<caravan_interop::verdict::Verdict> {
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
        Ok(format @ Format::Untp) => {
            Some(json(format, bytes, &|doc| untp::verify_with(doc, schemas)))
        }
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

/// Generates a signing key for the authority `org_id` as `request` asks.
///
/// # Errors
/// 404/422 for an organisation that is not an authority, 403 unless [`can_manage_keys`],
/// 400 for an unknown algorithm or document type.
pub async fn add_key(
    state: &AppState,
    caller: &Caller,
    org_id: i64,
    request: NewKeyRequest,
) -> Result<SigningKey, ApiError> {
    let org = authority_org(state, org_id).await?;
    if !can_manage_keys(caller, &org) {
        return Err(ApiError::forbidden(KEYS_FORBIDDEN));
    }
    let alg = parse_alg(request.alg.as_deref())?;
    let types = parse_doc_types(request.document_types)?;
    generate_key(state, caller, &org, alg, types, request.rotate).await
}

/// The authority `org_id` and its signing keys, public halves only.
///
/// # Errors
/// 404/422 for an organisation that is not an authority, 403 unless [`can_manage_keys`].
pub async fn authority_keys(
    state: &AppState,
    caller: &Caller,
    org_id: i64,
) -> Result<(Organisation, Vec<SigningKey>), ApiError> {
    let org = authority_org(state, org_id).await?;
    if !can_manage_keys(caller, &org) {
        return Err(ApiError::forbidden(KEYS_FORBIDDEN));
    }
    let keys = state.store.signing_keys(Some(org.id)).await?;
    Ok((org, keys))
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
pub(crate) async fn subtree_hashes(
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
    // Concurrent appends kept taking the log's next index.
    Err(ApiError::unavailable_now(
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
        "store.conflict" => ApiError::conflict(
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

/// The certificates the caller's organisation issued, newest first.
///
/// # Errors
/// Store failures.
pub async fn certificates(
    state: &AppState,
    caller: &Caller,
) -> Result<Vec<CertificateRecord>, ApiError> {
    Ok(state.store.certificates(caller.org.id).await?)
}

/// A certificate of the register the caller may read ([`can_read_certificate`]).
///
/// # Errors
/// 404 for an unknown certificate or one of another organisation's register.
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
        return Err(ApiError::conflict(
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

// Logs.

/// Verifies a presented document, ours or another system's, and answers with each check.
///
/// # Errors
/// Store failures (an invalid document is an answer, not an error).
pub async fn verify(state: &AppState, presented: &[u8]) -> Result<VerifyAnswer, ApiError> {
    if let Some(verdict) = verify_other_format(presented, state.untp_schemas()) {
        return Ok(VerifyAnswer::of_verdict(&verdict));
    }
    let report = verify_presented(state, presented).await?;
    Ok(VerifyAnswer::of_report(&report))
}

/// The size of a known log.
///
/// # Errors
/// 404 for an unknown or empty log.
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

/// The newest signed checkpoint of a known log.
///
/// # Errors
/// 404 for an unknown or empty log.
pub async fn latest_checkpoint(state: &AppState, log: &str) -> Result<Value, ApiError> {
    known_log(state, log).await?;
    let cp = state.store.latest_checkpoint(log).await?.ok_or_else(|| {
        ApiError::not_found("certs.unknown_log", format!("log {log:?} has no checkpoint"))
    })?;
    Ok(cp.checkpoint)
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

fn parse_hash(text: &str, field: &'static str) -> Result<Hash, ApiError> {
    caravan_docsign::log::decode_hash(text).ok_or_else(|| {
        ApiError::bad_request("certs.invalid_hash", format!("{field} must be 64 hex digits"))
            .with_field(field)
    })
}

/// The signed checkpoints of a log, oldest first, `after` a tree size.
///
/// # Errors
/// 400 for a bad `after` or `limit`.
pub async fn log_checkpoints(
    state: &AppState,
    log: &str,
    params: &CheckpointsParams,
) -> Result<Value, ApiError> {
    let after = number_param(params.after.as_deref(), "after")?.unwrap_or(0);
    let limit = number_param(params.limit.as_deref(), "limit")?.unwrap_or(100);
    if !(1..=MAX_ENTRIES_PAGE).contains(&limit) {
        return Err(ApiError::bad_request("request.invalid_limit", "limit must be 1 to 1000")
            .with_field("limit"));
    }
    let list = state.store.checkpoints(log, after, limit).await?;
    Ok(json!({"checkpoints": list.into_iter().map(|c| c.checkpoint).collect::<Vec<_>>()}))
}

/// An RFC 9162 inclusion proof of a leaf, by its hash.
///
/// # Errors
/// 400 for a bad hash or tree size, 404 for an unknown log or leaf.
pub async fn log_inclusion_proof(
    state: &AppState,
    log: &str,
    params: &InclusionParams,
) -> Result<Value, ApiError> {
    let leaf = parse_hash(&params.leaf_hash, "leaf_hash")?;
    let tree_size = number_param(params.tree_size.as_deref(), "tree_size")?;
    let size = known_log(state, log).await?;
    let tree_size = tree_size.unwrap_or(size);
    if tree_size == 0 || tree_size > size {
        return Err(ApiError::bad_request(
            "certs.invalid_tree_size",
            format!("tree_size must be 1 to {size}"),
        )
        .with_field("tree_size"));
    }
    let index =
        state.store.log_leaf_index(log, &leaf).await?.filter(|i| *i < tree_size).ok_or_else(
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
    let subtrees = subtree_hashes(state, log, &needed).await?;
    let lookup = |s| subtrees.get(&s).copied();
    let proof = plan.assemble(lookup).map_err(ApiError::internal)?;
    let root = merkle::root_from_subtrees(tree_size, lookup).map_err(ApiError::internal)?;
    Ok(json!({
        "logId": log,
        "leafIndex": index,
        "treeSize": tree_size,
        "rootHash": hex::encode(root),
        "inclusionProof": proof.iter().map(hex::encode).collect::<Vec<_>>(),
    }))
}

/// An RFC 9162 consistency proof between two tree sizes.
///
/// # Errors
/// 400 for bad tree sizes, 404 for an unknown log.
pub async fn log_consistency_proof(
    state: &AppState,
    log: &str,
    params: &ConsistencyParams,
) -> Result<Value, ApiError> {
    let first = number_param(Some(&params.first), "first")?.unwrap_or(0);
    let second = number_param(params.second.as_deref(), "second")?;
    let size = known_log(state, log).await?;
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
    let subtrees = subtree_hashes(state, log, &needed).await?;
    let lookup = |s| subtrees.get(&s).copied();
    let proof = plan.assemble(lookup).map_err(ApiError::internal)?;
    let first_root = merkle::root_from_subtrees(first, lookup).map_err(ApiError::internal)?;
    let second_root = merkle::root_from_subtrees(second, lookup).map_err(ApiError::internal)?;
    Ok(json!({
        "logId": log,
        "first": first,
        "second": second,
        "firstRoot": hex::encode(first_root),
        "secondRoot": hex::encode(second_root),
        "consistencyProof": proof.iter().map(hex::encode).collect::<Vec<_>>(),
    }))
}

/// Log entries `start..end`: index, leaf hash and the entry (base64).
///
/// # Errors
/// 400 for a bad range.
pub async fn log_entries(
    state: &AppState,
    log: &str,
    params: &EntriesParams,
) -> Result<Value, ApiError> {
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
    let leaves = state.store.log_leaves(log, start, end).await?;
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
    Ok(json!({"logId": log, "entries": entries}))
}

/// The revocations of a log as of its newest checkpoint, recomputed from its entries.
///
/// # Errors
/// 404 for an unknown log or one without a checkpoint.
pub async fn log_revocations(state: &AppState, log: &str) -> Result<Value, ApiError> {
    known_log(state, log).await?;
    let rev = revocation_state(state, log).await?.ok_or_else(|| {
        ApiError::not_found("certs.unknown_log", format!("log {log:?} has no checkpoint"))
    })?;
    let revoked: Vec<Value> = rev
        .revoked
        .iter()
        .map(|(id, (reason, at))| {
            json!({"credentialId": id, "reason": reason, "revokedAt": caravan_docsign::credential::format_time(*at)})
        })
        .collect();
    Ok(json!({"checkpoint": rev.checkpoint.to_json(), "revoked": revoked}))
}

/// One authority's log as the log monitor shows it: its checkpoints, oldest first, each with
/// whether it extends the one before (`None` for the first).
pub struct LogHistory {
    pub authority: AuthorityFile,
    pub checkpoints: Vec<(SignedCheckpoint, Option<bool>)>,
}

/// Every authority's non-empty log with its checkpoints (up to [`MAX_ENTRIES_PAGE`]), each
/// successive pair's consistency checked by an RFC 9162 consistency proof. Public, as the
/// trust list is.
///
/// # Errors
/// Store failures.
pub async fn log_histories(state: &AppState) -> Result<Vec<LogHistory>, ApiError> {
    let file = trust_list_file(state).await?;
    let mut histories = Vec::new();
    for authority in file.authorities {
        let size = state.store.log_size(&authority.log_id).await?;
        if size == 0 {
            continue;
        }
        let stored = state.store.checkpoints(&authority.log_id, 0, MAX_ENTRIES_PAGE).await?;
        let checkpoints: Vec<SignedCheckpoint> = stored
            .iter()
            .filter_map(|cp| SignedCheckpoint::from_json(&cp.checkpoint).ok())
            .collect();
        // Each successive pair's consistency proof from the kept subtree hashes, all read at
        // once (RFC 9162 §2.1.4): no leaf is read.
        let plans: Vec<Option<SubtreeProof>> = checkpoints
            .windows(2)
            .map(|pair| {
                let (size1, size2) = (pair[0].checkpoint.size, pair[1].checkpoint.size);
                (size2 <= size).then(|| SubtreeProof::consistency(size1, size2).ok())?
            })
            .collect();
        let mut needed: Vec<Subtree> =
            plans.iter().flatten().flat_map(SubtreeProof::subtrees).collect();
        needed.sort_unstable();
        needed.dedup();
        let subtrees = subtree_hashes(state, &authority.log_id, &needed).await?;
        let mut rows = Vec::new();
        for (idx, cp) in checkpoints.iter().enumerate() {
            let consistency = idx.checked_sub(1).map(|prev_idx| {
                let prev = &checkpoints[prev_idx];
                plans[prev_idx].as_ref().is_some_and(|plan| {
                    plan.assemble(|s| subtrees.get(&s).copied()).is_ok_and(|proof| {
                        merkle::verify_consistency(
                            prev.checkpoint.size,
                            cp.checkpoint.size,
                            &proof,
                            &prev.checkpoint.root,
                            &cp.checkpoint.root,
                        )
                        .is_ok()
                    })
                })
            });
            rows.push((cp.clone(), consistency));
        }
        histories.push(LogHistory { authority, checkpoints: rows });
    }
    Ok(histories)
}

/// Finds certificate `id`'s issuance leaf and checks its inclusion proof against the newest
/// root: `(log, leaf index, tree size)` when it is included, `None` for an unknown certificate
/// or a proof that fails.
///
/// # Errors
/// Store failures.
pub async fn certificate_inclusion(
    state: &AppState,
    id: &str,
) -> Result<Option<(String, u64, u64)>, ApiError> {
    let Some(cert) = state.store.certificate(id).await? else { return Ok(None) };
    let size = state.store.log_size(&cert.log_id).await?;
    let Ok(plan) = SubtreeProof::inclusion(cert.leaf_index, size) else {
        return Ok(None);
    };
    // RFC 9162 §2.1.3 from the kept subtree hashes, O(log n) of them.
    let leaf = Subtree { level: 0, index: cert.leaf_index };
    let mut needed = plan.subtrees();
    needed.extend(merkle::root_subtrees(size));
    needed.push(leaf);
    let subtrees = subtree_hashes(state, &cert.log_id, &needed).await?;
    let lookup = |s| subtrees.get(&s).copied();
    let proof = plan.assemble(lookup).map_err(ApiError::internal)?;
    let root = merkle::root_from_subtrees(size, lookup).map_err(ApiError::internal)?;
    let Some(leaf_hash) = subtrees.get(&leaf) else { return Ok(None) };
    let ok = merkle::verify_inclusion(leaf_hash, cert.leaf_index, size, &proof, &root).is_ok();
    Ok(ok.then_some((cert.log_id, cert.leaf_index, size)))
}
