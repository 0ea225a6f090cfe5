//! Issuing and verifying complete certificates, offline.
//!
//! A complete certificate is a signed credential whose proof set also holds a
//! [`TRANSPARENCY_PROOF`]: the leaf index, the RFC 9162 inclusion proof and the signed checkpoint
//! of the issuer's log. Verification needs only the certificate bytes and the trust list, and
//! answers with a [`VerificationReport`] that lists each check in plain words.

use std::fmt;

use serde_json::{Value, json};
use time::OffsetDateTime;

use crate::credential::{DocumentType, parse_time, string_at, validate_credential};
use crate::jcs::{self, ParseLimits};
use crate::log::{LogEntry, RevocationState, SignedCheckpoint, decode_hash};
use crate::merkle::{self, Hash};
use crate::proof::{self, DATA_INTEGRITY_PROOF, ParsedProof};
use crate::sig::{self, Algorithm, PrivateKey};
use crate::trust::{TrustList, TrustedKey};

/// The `type` of the proof-set member that carries the log inclusion proof.
pub const TRANSPARENCY_PROOF: &str = "TransparencyLogInclusionProof";

/// Signs an unsigned credential with each `(key, verification method)`, Ed25519 first, and
/// returns the issuance log entry to append.
pub fn sign_certificate(
    mut credential: Value,
    keys: &[(&PrivateKey, &str)],
    created: OffsetDateTime,
) -> Value {
    for (key, verification_method) in keys {
        proof::add_proof(&mut credential, key, verification_method, created);
    }
    credential
}

/// The log entry recording the issuance of a signed credential.
pub fn issuance_entry(signed: &Value) -> LogEntry {
    LogEntry::Issuance { credential: signed.clone() }
}

/// Adds the transparency proof (leaf index, inclusion proof, signed checkpoint) to a signed
/// credential, making it a complete certificate.
pub fn attach_transparency(
    signed: &mut Value,
    leaf_index: u64,
    inclusion_proof: &[Hash],
    checkpoint: &SignedCheckpoint,
) {
    let element = json!({
        "type": TRANSPARENCY_PROOF,
        "logId": checkpoint.checkpoint.log_id,
        "leafIndex": leaf_index,
        "inclusionProof": inclusion_proof.iter().map(hex::encode).collect::<Vec<_>>(),
        "checkpoint": checkpoint.to_json(),
    });
    proof::push_proof(signed, element);
}

/// The checks, in the order they run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CheckName {
    /// The bytes are strict JSON within the limits.
    WellFormed,
    /// The document is a VC 2.0 certificate of a known type and its subject meets the schema.
    Structure,
    /// The trust list authorises the signing key for this issuer, country, type and date.
    IssuerAuthorised,
    /// The Ed25519 signature verifies over the canonical document: nothing was changed.
    Signature,
    /// The SM2 signature, when present, verifies.
    Sm2Signature,
    /// The log checkpoint is signed by the issuer's log key.
    Checkpoint,
    /// The certificate is in the issuer's log.
    Inclusion,
    /// No revocation is recorded.
    NotRevoked,
}

impl CheckName {
    /// Stable machine name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::WellFormed => "well-formed",
            Self::Structure => "structure",
            Self::IssuerAuthorised => "issuer-authorised",
            Self::Signature => "signature",
            Self::Sm2Signature => "sm2-signature",
            Self::Checkpoint => "checkpoint",
            Self::Inclusion => "inclusion",
            Self::NotRevoked => "not-revoked",
        }
    }
}

impl fmt::Display for CheckName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// How one check came out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// It passed.
    Passed,
    /// It failed.
    Failed,
    /// It could not run because an earlier check failed.
    NotChecked,
}

/// One check with its outcome and a plain-words explanation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Check {
    /// Which check.
    pub name: CheckName,
    /// Outcome.
    pub outcome: Outcome,
    /// What was checked and what was found.
    pub detail: String,
}

/// The result of verifying one certificate.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct VerificationReport {
    /// Every check, in order.
    pub checks: Vec<Check>,
    /// The certificate's `id`, when readable.
    pub credential_id: Option<String>,
    /// Its type, when readable.
    pub document_type: Option<DocumentType>,
    /// The issuer's `id`, when readable.
    pub issuer: Option<String>,
}

impl VerificationReport {
    /// Whether every check passed.
    pub fn is_valid(&self) -> bool {
        !self.checks.is_empty() && self.checks.iter().all(|c| c.outcome == Outcome::Passed)
    }

    /// The first failed check.
    pub fn first_failure(&self) -> Option<&Check> {
        self.checks.iter().find(|c| c.outcome == Outcome::Failed)
    }

    /// The check named `name`.
    pub fn check(&self, name: CheckName) -> Option<&Check> {
        self.checks.iter().find(|c| c.name == name)
    }

    /// The report on input that is no document at all (e.g. a damaged QR text): the
    /// well-formedness check failed with `detail`, and nothing else could be checked.
    pub fn unreadable(detail: impl Into<String>) -> Self {
        let mut report = Self::default();
        report.fail(CheckName::WellFormed, detail);
        report.skip(AFTER_PARSE);
        report
    }

    fn push(&mut self, name: CheckName, outcome: Outcome, detail: impl Into<String>) {
        self.checks.push(Check { name, outcome, detail: detail.into() });
    }

    fn pass(&mut self, name: CheckName, detail: impl Into<String>) {
        self.push(name, Outcome::Passed, detail);
    }

    fn fail(&mut self, name: CheckName, detail: impl Into<String>) {
        self.push(name, Outcome::Failed, detail);
    }

    fn skip(&mut self, names: &[CheckName]) {
        for name in names {
            if self.check(*name).is_none() {
                self.push(*name, Outcome::NotChecked, "not checked: an earlier check failed");
            }
        }
    }

    /// A multi-line, plain-words account: one line per check.
    pub fn to_text(&self) -> String {
        let mut res = String::new();
        let verdict = if self.is_valid() { "VALID" } else { "INVALID" };
        res.push_str(verdict);
        if let Some(id) = &self.credential_id {
            res.push_str(&format!(" {id}"));
        }
        if let Some(doc_type) = self.document_type {
            res.push_str(&format!(" ({doc_type})"));
        }
        res.push('\n');
        for check in &self.checks {
            let mark = match check.outcome {
                Outcome::Passed => "ok  ",
                Outcome::Failed => "FAIL",
                Outcome::NotChecked => "--  ",
            };
            res.push_str(&format!("  [{mark}] {}: {}\n", check.name, check.detail));
        }
        res
    }

    /// The report as JSON (for the server and `--json` output).
    pub fn to_json(&self) -> Value {
        json!({
            "valid": self.is_valid(),
            "credentialId": self.credential_id,
            "documentType": self.document_type.map(DocumentType::as_str),
            "issuer": self.issuer,
            "failedCheck": self.first_failure().map(|c| c.name.as_str()),
            "checks": self.checks.iter().map(|c| json!({
                "name": c.name.as_str(),
                "outcome": match c.outcome { Outcome::Passed => "passed", Outcome::Failed => "failed", Outcome::NotChecked => "not-checked" },
                "detail": c.detail,
            })).collect::<Vec<_>>(),
        })
    }
}

/// A checkpoint whose signature the caller has already verified against the trust list
/// (see [`verify_checkpoint`]); certificates carrying an identical checkpoint skip the second
/// signature check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifiedCheckpoint(SignedCheckpoint);

impl VerifiedCheckpoint {
    /// The checkpoint.
    pub fn checkpoint(&self) -> &SignedCheckpoint {
        &self.0
    }
}

/// Options of [`verify_certificate`].
#[derive(Debug, Clone, Copy, Default)]
pub struct VerifyOptions<'a> {
    /// Fresher revocation state of the issuer's log than the certificate's own checkpoint.
    pub revocations: Option<&'a RevocationState>,
    /// Checkpoints already verified.
    pub verified_checkpoints: &'a [VerifiedCheckpoint],
    /// Parser limits.
    pub limits: Option<ParseLimits>,
}

/// Why a checkpoint is not trusted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct CheckpointError(pub String);

/// Verifies a checkpoint's signature against the trust list: the key must be a checkpoint key
/// of the authority that owns the log, active at the checkpoint's time.
///
/// # Errors
/// [`CheckpointError`] saying why.
pub fn verify_checkpoint(
    checkpoint: &SignedCheckpoint,
    trust: &TrustList,
) -> Result<VerifiedCheckpoint, CheckpointError> {
    let key = checkpoint_key(checkpoint, trust)?;
    let result = match key.ed25519 {
        Some(ed25519) if checkpoint.alg == Algorithm::Ed25519 => sig::Ed25519Check {
            key: ed25519,
            message: checkpoint.checkpoint.body().into_bytes(),
            signature: checkpoint.signature,
        }
        .verify(),
        _ => checkpoint.verify_signature(&key.public_key, &key.sm2_id),
    };
    result.map_err(|err| CheckpointError(format!("checkpoint signature: {err}")))?;
    Ok(VerifiedCheckpoint(checkpoint.clone()))
}

/// The trust-list key that may sign `checkpoint`: a checkpoint key of the authority that owns
/// the log, active at the checkpoint's time, of the checkpoint's algorithm. Everything
/// [`verify_checkpoint`] checks but the signature.
fn checkpoint_key<'t>(
    checkpoint: &SignedCheckpoint,
    trust: &'t TrustList,
) -> Result<&'t TrustedKey, CheckpointError> {
    let (authority, key) = trust.key(&checkpoint.key_id).ok_or_else(|| {
        CheckpointError(format!("checkpoint key {} is not in the trust list", checkpoint.key_id))
    })?;
    if authority.log_id != checkpoint.checkpoint.log_id {
        return Err(CheckpointError(format!(
            "checkpoint is for log {:?}, but key {} belongs to {} whose log is {:?}",
            checkpoint.checkpoint.log_id, checkpoint.key_id, authority.id, authority.log_id
        )));
    }
    if !key.signs_checkpoints {
        return Err(CheckpointError(format!(
            "key {} may not sign log checkpoints",
            checkpoint.key_id
        )));
    }
    if let Some(reason) = key.inactive_reason(checkpoint.checkpoint.timestamp) {
        return Err(CheckpointError(format!("checkpoint signed on an inactive key: {reason}")));
    }
    if key.alg != checkpoint.alg {
        return Err(CheckpointError(format!(
            "checkpoint says {} but the key is {}",
            checkpoint.alg, key.alg
        )));
    }
    Ok(key)
}

/// Verifies a complete certificate offline against `trust`.
pub fn verify_certificate(
    bytes: &[u8],
    trust: &TrustList,
    options: &VerifyOptions<'_>,
) -> VerificationReport {
    verify_certificate_deferred(bytes, trust, options).finish_alone().0
}

/// Verifies a certificate as presented: its JSON, or the text of its QR code in either form
/// ([`crate::qr`]). A QR text that does not decode is reported as not well-formed, with the
/// reason.
pub fn verify_presented(
    presented: &[u8],
    trust: &TrustList,
    options: &VerifyOptions<'_>,
) -> VerificationReport {
    match crate::qr::certificate_from_presented(presented) {
        Ok(bytes) => verify_certificate(&bytes, trust, options),
        Err(err) => VerificationReport::unreadable(err.to_string()),
    }
}

/// Verifies many certificates, checking all their Ed25519 signatures (issuers' and log
/// checkpoints') in one batch ([`sig::verify_ed25519_checks`], which says when a result can
/// differ from checking that signature alone).
pub fn verify_certificates_batch(
    documents: &[&[u8]],
    trust: &TrustList,
    options: &VerifyOptions<'_>,
) -> Vec<VerificationReport> {
    let mut deferred: Vec<DeferredVerification> =
        documents.iter().map(|bytes| verify_certificate_deferred(bytes, trust, options)).collect();
    let checks: Vec<&sig::Ed25519Check> = deferred.iter().flat_map(|d| &d.checks).collect();
    let mut results = sig::verify_ed25519_checks(&checks).into_iter();
    let mut reports = Vec::with_capacity(deferred.len());
    for one in deferred.iter_mut() {
        let mine: Vec<_> = results.by_ref().take(one.checks.len()).collect();
        one.checks.clear();
        reports.push(std::mem::take(one).finish(&mine).0);
    }
    reports
}

/// What a deferred signature check decides.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Role {
    /// The issuer's Ed25519 proof.
    Proof,
    /// The log checkpoint's signature; the words to say when it verifies.
    Checkpoint(String),
}

/// A verification with every check done but its Ed25519 signatures, which the caller runs,
/// alone ([`DeferredVerification::finish_alone`]) or batched with other certificates'
/// ([`sig::verify_ed25519_checks`], then [`DeferredVerification::finish`]).
#[derive(Debug, Default)]
pub struct DeferredVerification {
    report: VerificationReport,
    checks: Vec<sig::Ed25519Check>,
    /// For each check, the report entry it decides.
    slots: Vec<(usize, Role)>,
    credential: Option<Value>,
}

impl DeferredVerification {
    /// The signature checks left, in the order [`DeferredVerification::finish`] wants their
    /// results.
    pub fn take_checks(&mut self) -> Vec<sig::Ed25519Check> {
        std::mem::take(&mut self.checks)
    }

    /// Completes the report with the result of each check (missing results count as
    /// failures), and gives back the parsed certificate with it.
    pub fn finish(
        mut self,
        results: &[Result<(), sig::SignatureError>],
    ) -> (VerificationReport, Option<Value>) {
        for (slot, (index, role)) in self.slots.iter().enumerate() {
            let result = results
                .get(slot)
                .cloned()
                .unwrap_or(Err(sig::SignatureError::Invalid { alg: Algorithm::Ed25519 }));
            let Some(check) = self.report.checks.get_mut(*index) else { continue };
            match (role, result) {
                (Role::Proof, result) => signature_outcome(check, result),
                (Role::Checkpoint(_), Err(err)) => {
                    check.outcome = Outcome::Failed;
                    check.detail = format!("checkpoint signature: {err}");
                }
                // A checkpoint already failed on its dates stays failed.
                (Role::Checkpoint(words), Ok(())) => {
                    if check.outcome == Outcome::NotChecked {
                        check.outcome = Outcome::Passed;
                        check.detail.clone_from(words);
                    }
                }
            }
        }
        (self.report, self.credential)
    }

    /// Checks each signature alone and completes the report.
    pub fn finish_alone(mut self) -> (VerificationReport, Option<Value>) {
        let results: Vec<_> = self.take_checks().iter().map(sig::Ed25519Check::verify).collect();
        self.finish(&results)
    }
}

fn signature_outcome(check: &mut Check, res: Result<(), sig::SignatureError>) {
    match res {
        Ok(()) => {
            check.outcome = Outcome::Passed;
            check.detail = "the issuer's Ed25519 signature (eddsa-jcs-2022) verifies over the RFC 8785 form: the document is exactly as signed".to_owned();
        }
        Err(err) => {
            check.outcome = Outcome::Failed;
            check.detail = format!(
                "{err}: the document was changed after signing, or was not signed by this key"
            );
        }
    }
}

const AFTER_PARSE: &[CheckName] = &[
    CheckName::Structure,
    CheckName::IssuerAuthorised,
    CheckName::Signature,
    CheckName::Checkpoint,
    CheckName::Inclusion,
    CheckName::NotRevoked,
];

/// Parses a certificate as [`verify_certificate`] does (strict JSON within `options`' limits)
/// and runs every check but the Ed25519 signatures.
pub fn verify_certificate_deferred(
    bytes: &[u8],
    trust: &TrustList,
    options: &VerifyOptions<'_>,
) -> DeferredVerification {
    match jcs::parse_with_limits(bytes, options.limits.unwrap_or_default()) {
        Ok(credential) => verify_parsed_deferred(credential, bytes.len(), trust, options),
        Err(err) => {
            let mut report = VerificationReport::default();
            report.fail(CheckName::WellFormed, format!("the file is not strict JSON: {err}"));
            report.skip(AFTER_PARSE);
            DeferredVerification { report, ..DeferredVerification::default() }
        }
    }
}

/// [`verify_certificate_deferred`] of a certificate the caller already parsed with
/// [`jcs::parse_with_limits`] from `n_bytes` bytes (to read its log before verifying, say).
pub fn verify_parsed_deferred(
    credential: Value,
    n_bytes: usize,
    trust: &TrustList,
    options: &VerifyOptions<'_>,
) -> DeferredVerification {
    let mut deferred = DeferredVerification::default();
    verify_value(&credential, n_bytes, trust, options, &mut deferred);
    deferred.credential = Some(credential);
    deferred
}

fn verify_value(
    credential: &Value,
    n_bytes: usize,
    trust: &TrustList,
    options: &VerifyOptions<'_>,
    deferred: &mut DeferredVerification,
) {
    let DeferredVerification { report, checks, slots, .. } = &mut *deferred;
    report.pass(CheckName::WellFormed, format!("strict JSON, {n_bytes} bytes"));
    report.credential_id = credential.get("id").and_then(Value::as_str).map(str::to_owned);
    report.issuer = string_at(credential, &["issuer", "id"]).map(str::to_owned);
    let Some(members) = credential.as_object() else {
        report.fail(CheckName::Structure, "a certificate must be a JSON object");
        report.skip(AFTER_PARSE);
        return;
    };

    // Structure: VC 2.0 envelope and subject schema.
    let doc_type = match validate_credential(credential) {
        Ok(doc_type) => {
            report.pass(
                CheckName::Structure,
                format!("W3C VC 2.0 {} meeting its schema", doc_type.credential_types()[1]),
            );
            Some(doc_type)
        }
        Err(errors) => {
            let list: Vec<String> = errors.iter().map(ToString::to_string).collect();
            report.fail(
                CheckName::Structure,
                format!("not a valid certificate: {}", list.join("; ")),
            );
            None
        }
    };
    report.document_type = doc_type;

    // Split the proof set.
    let proofs: Vec<&Value> = match members.get("proof") {
        Some(Value::Array(items)) => items.iter().collect(),
        Some(single) => vec![single],
        None => Vec::new(),
    };
    let mut signature_proofs = Vec::new();
    let mut transparency = None;
    for item in proofs {
        match item.get("type").and_then(Value::as_str) {
            Some(DATA_INTEGRITY_PROOF) => signature_proofs.push(item),
            Some(TRANSPARENCY_PROOF) if transparency.is_none() => transparency = Some(item),
            _ => {}
        }
    }

    // One pass gives both the document every signature covers (without `proof`) and the
    // document as logged (with its signature proofs only).
    let signature_proof_array =
        Value::Array(signature_proofs.iter().map(|p| (*p).clone()).collect());
    let (unsecured, logged) =
        jcs::to_canonical_without_and_replacing(members, "proof", &signature_proof_array);
    let mut parsed = Vec::new();
    for item in &signature_proofs {
        match item.as_object().map(|p| proof::parse_proof(p, credential, &unsecured)) {
            Some(Ok(p)) => parsed.push(p),
            Some(Err(err)) => {
                report.fail(CheckName::Signature, format!("a proof cannot be read: {err}"));
            }
            None => report.fail(CheckName::Signature, "a proof is not an object"),
        }
    }

    // Issuer authorised, for every signing key.
    let valid_from = credential
        .get("validFrom")
        .and_then(Value::as_str)
        .and_then(|t| parse_time(t, "validFrom").ok());
    let primary = parsed.iter().find(|p| p.alg == Algorithm::Ed25519);
    let mut keys: Vec<(&ParsedProof, &TrustedKey)> = Vec::new();
    match (doc_type, valid_from, primary) {
        (_, _, None) => {
            report.fail(
                CheckName::IssuerAuthorised,
                "the certificate carries no Ed25519 (eddsa-jcs-2022) proof",
            );
        }
        (Some(doc_type), Some(valid_from), Some(_)) => {
            let mut problems = Vec::new();
            for proof in &parsed {
                match authorise(trust, credential, doc_type, valid_from, proof) {
                    Ok(key) => keys.push((proof, key)),
                    Err(problem) => problems.push(problem),
                }
            }
            if problems.is_empty() {
                let (_, key) = keys[0];
                report.pass(
                    CheckName::IssuerAuthorised,
                    format!(
                        "{} is listed for {doc_type} certificates of {} and key {} was active on {}",
                        report.issuer.as_deref().unwrap_or("the issuer"),
                        string_at(credential, &["issuer", "country"]).unwrap_or("?"),
                        key.kid,
                        crate::credential::format_time(valid_from),
                    ),
                );
            } else {
                report.fail(CheckName::IssuerAuthorised, problems.join("; "));
            }
        }
        _ => report.push(
            CheckName::IssuerAuthorised,
            Outcome::NotChecked,
            "not checked: the document's structure is invalid",
        ),
    }

    // Signatures: SM2 now, Ed25519 deferred (so batches can verify together).
    if let Some((proof, key)) = keys.iter().find(|(p, _)| p.alg == Algorithm::Ed25519) {
        let index = report.checks.len();
        report.push(CheckName::Signature, Outcome::NotChecked, "pending");
        match (key.ed25519, <[u8; 64]>::try_from(proof.signature.as_slice())) {
            (Some(ed25519), Ok(signature)) => {
                checks.push(sig::Ed25519Check {
                    key: ed25519,
                    message: proof.signed_data.to_vec(),
                    signature,
                });
                slots.push((index, Role::Proof));
            }
            // Refused as the one-by-one check refuses it (a bad length, say).
            _ => signature_outcome(
                &mut report.checks[index],
                sig::verify(
                    Algorithm::Ed25519,
                    &key.public_key,
                    &proof.signed_data,
                    &proof.signature,
                    "",
                ),
            ),
        }
    } else if report.check(CheckName::Signature).is_none() {
        report.push(
            CheckName::Signature,
            Outcome::NotChecked,
            "not checked: no trusted Ed25519 key for the proof",
        );
    }
    if let Some((proof, key)) = keys.iter().find(|(p, _)| p.alg == Algorithm::Sm2) {
        match sig::verify(
            Algorithm::Sm2,
            &key.public_key,
            &proof.signed_data,
            &proof.signature,
            &key.sm2_id,
        ) {
            Ok(()) => report
                .pass(CheckName::Sm2Signature, "the SM2/SM3 signature (GB/T 32918.2) verifies"),
            Err(err) => report.fail(
                CheckName::Sm2Signature,
                format!("{err}: the document was changed or not signed by this key"),
            ),
        }
    }

    // Log: checkpoint, inclusion, revocation.
    check_log(report, (checks, slots), trust, options, &logged, transparency, valid_from);
}

fn authorise<'t>(
    trust: &'t TrustList,
    credential: &Value,
    doc_type: DocumentType,
    valid_from: OffsetDateTime,
    proof: &ParsedProof,
) -> Result<&'t TrustedKey, String> {
    let (authority, key) = trust
        .key(&proof.verification_method)
        .ok_or_else(|| format!("key {} is not in the trust list", proof.verification_method))?;
    let issuer_id = string_at(credential, &["issuer", "id"]).unwrap_or_default();
    if authority.id != issuer_id {
        return Err(format!(
            "key {} belongs to {}, not to the issuer {issuer_id}",
            proof.verification_method, authority.id
        ));
    }
    let issuer_country = string_at(credential, &["issuer", "country"]).unwrap_or_default();
    if authority.country.as_str() != issuer_country {
        return Err(format!(
            "{} is listed in {}, but the certificate says {issuer_country}",
            authority.id, authority.country
        ));
    }
    let issuing_country =
        string_at(&credential["credentialSubject"], doc_type.issuing_country_path())
            .unwrap_or_default();
    if authority.country.as_str() != issuing_country {
        return Err(format!(
            "{} ({}) may not certify for {issuing_country} ({})",
            authority.id,
            authority.country,
            doc_type.issuing_country_path().join(".")
        ));
    }
    if key.alg != proof.alg {
        return Err(format!("key {} is {}, but the proof is {}", key.kid, key.alg, proof.alg));
    }
    if !key.document_types.contains(&doc_type) {
        return Err(format!("key {} is not authorised for {doc_type} certificates", key.kid));
    }
    if let Some(reason) = key.inactive_reason(valid_from) {
        return Err(format!(
            "signed on {}, but {reason}",
            crate::credential::format_time(valid_from)
        ));
    }
    Ok(key)
}

fn check_log(
    report: &mut VerificationReport,
    (checks, slots): (&mut Vec<sig::Ed25519Check>, &mut Vec<(usize, Role)>),
    trust: &TrustList,
    options: &VerifyOptions<'_>,
    logged: &[u8],
    transparency: Option<&Value>,
    valid_from: Option<OffsetDateTime>,
) {
    let log_checks = [CheckName::Checkpoint, CheckName::Inclusion, CheckName::NotRevoked];
    let Some(transparency) = transparency else {
        report
            .fail(CheckName::Inclusion, format!("the certificate carries no {TRANSPARENCY_PROOF}"));
        report.skip(&log_checks);
        return;
    };
    let checkpoint = match transparency.get("checkpoint").map(SignedCheckpoint::from_json) {
        Some(Ok(checkpoint)) => checkpoint,
        Some(Err(err)) => {
            report.fail(CheckName::Checkpoint, format!("unreadable: {err}"));
            report.skip(&log_checks);
            return;
        }
        None => {
            report.fail(CheckName::Checkpoint, "the transparency proof has no checkpoint");
            report.skip(&log_checks);
            return;
        }
    };
    let cp = &checkpoint.checkpoint;
    // Every member of the transparency proof must be checked: its `logId` must name the
    // checkpoint's log, or a reader could be misled by a member no signature covers.
    if transparency.get("logId").and_then(Value::as_str) != Some(cp.log_id.as_str()) {
        report.fail(
            CheckName::Checkpoint,
            format!(
                "the transparency proof names a log other than its checkpoint's {:?}",
                cp.log_id
            ),
        );
        report.skip(&log_checks);
        return;
    }
    let pre_verified = options.verified_checkpoints.iter().any(|v| v.0 == checkpoint);
    let issuer_log =
        report.issuer.as_deref().and_then(|id| trust.authority(id)).map(|a| a.log_id.as_str());
    let checkpoint_ok = if issuer_log != Some(cp.log_id.as_str()) {
        report.fail(
            CheckName::Checkpoint,
            format!(
                "the checkpoint is for log {:?}, not the issuer's log {:?}",
                cp.log_id,
                issuer_log.unwrap_or("(issuer not in the trust list)")
            ),
        );
        false
    } else if pre_verified {
        report.pass(CheckName::Checkpoint, checkpoint_words(&checkpoint));
        true
    } else {
        match checkpoint_key(&checkpoint, trust) {
            Ok(key) => match key.ed25519 {
                // Left for the end with the issuer's signature, so batches verify both.
                Some(ed25519) if checkpoint.alg == Algorithm::Ed25519 => {
                    slots.push((
                        report.checks.len(),
                        Role::Checkpoint(checkpoint_words(&checkpoint)),
                    ));
                    checks.push(sig::Ed25519Check {
                        key: ed25519,
                        message: cp.body().into_bytes(),
                        signature: checkpoint.signature,
                    });
                    report.push(CheckName::Checkpoint, Outcome::NotChecked, "pending");
                    true
                }
                _ => match checkpoint.verify_signature(&key.public_key, &key.sm2_id) {
                    Ok(()) => {
                        report.pass(CheckName::Checkpoint, checkpoint_words(&checkpoint));
                        true
                    }
                    Err(err) => {
                        report.fail(CheckName::Checkpoint, format!("checkpoint signature: {err}"));
                        false
                    }
                },
            },
            Err(err) => {
                report.fail(CheckName::Checkpoint, err.0);
                false
            }
        }
    };
    if checkpoint_ok
        && let Some(valid_from) = valid_from
        && valid_from > cp.timestamp
    {
        let check = report.checks.last_mut().expect("the checkpoint check was just pushed");
        check.outcome = Outcome::Failed;
        check.detail = format!(
            "the certificate is dated {}, after the checkpoint of {} that is said to include it",
            crate::credential::format_time(valid_from),
            crate::credential::format_time(cp.timestamp)
        );
    }

    // Inclusion: the issuance entry of the document as signed is leaf `leafIndex`.
    let index = transparency.get("leafIndex").and_then(Value::as_u64);
    let path: Option<Vec<Hash>> = transparency
        .get("inclusionProof")
        .and_then(Value::as_array)
        .and_then(|items| items.iter().map(|h| h.as_str().and_then(decode_hash)).collect());
    match (index, path) {
        (Some(index), Some(path)) => {
            let leaf = issuance_leaf_hash(logged);
            match merkle::verify_inclusion(&leaf, index, cp.size, &path, &cp.root) {
                Ok(()) => report.pass(
                    CheckName::Inclusion,
                    format!("entry {index} of the {}-entry log {:?} (RFC 9162 inclusion proof of {} hashes)", cp.size, cp.log_id, path.len()),
                ),
                Err(err) => report.fail(CheckName::Inclusion, format!("the certificate is not proven to be in the log: {err}")),
            }
        }
        _ => report.fail(
            CheckName::Inclusion,
            "leafIndex or inclusionProof is missing or malformed (hex SHA-256 hashes)",
        ),
    }

    // Revocation.
    let id = report.credential_id.clone().unwrap_or_default();
    match options.revocations {
        Some(state) if state.checkpoint.checkpoint.log_id == cp.log_id => {
            let as_of = &state.checkpoint.checkpoint;
            if let Some((reason, when)) = state.revoked.get(&id) {
                report.fail(
                    CheckName::NotRevoked,
                    format!("revoked on {}: {reason} (log checkpoint of size {})", crate::credential::format_time(*when), as_of.size),
                );
            } else {
                report.pass(
                    CheckName::NotRevoked,
                    format!("no revocation in the issuer's log as of its checkpoint of size {} at {}", as_of.size, crate::credential::format_time(as_of.timestamp)),
                );
            }
        }
        Some(state) => report.fail(
            CheckName::NotRevoked,
            format!("the revocation state given is for log {:?}, not {:?}", state.checkpoint.checkpoint.log_id, cp.log_id),
        ),
        None => report.pass(
            CheckName::NotRevoked,
            format!(
                "no revocation known as of the certificate's own checkpoint (size {}, {}); give the issuer's log or go online for fresher state",
                cp.size,
                crate::credential::format_time(cp.timestamp)
            ),
        ),
    }
}

fn checkpoint_words(checkpoint: &SignedCheckpoint) -> String {
    format!(
        "log {:?} checkpoint of size {} at {} is signed by {}",
        checkpoint.checkpoint.log_id,
        checkpoint.checkpoint.size,
        crate::credential::format_time(checkpoint.checkpoint.timestamp),
        checkpoint.key_id
    )
}

/// The leaf hash of the issuance entry of a signed credential given in canonical form: the
/// canonical form of `{"credential": .., "type": "issuance"}`, built without re-serialising.
pub fn issuance_leaf_hash(credential_canonical: &[u8]) -> Hash {
    use sha2::{Digest, Sha256};
    let mut hasher = Sha256::new();
    hasher.update([0u8]);
    hasher.update(b"{\"credential\":");
    hasher.update(credential_canonical);
    hasher.update(b",\"type\":\"issuance\"}");
    hasher.finalize().into()
}

/// The signed credential inside a complete certificate: the certificate without its
/// transparency proof, as logged.
pub fn strip_transparency(certificate: &Value) -> Value {
    let mut copy = certificate.clone();
    if let Some(Value::Array(proofs)) = copy.get_mut("proof") {
        proofs.retain(|p| p.get("type").and_then(Value::as_str) != Some(TRANSPARENCY_PROOF));
    }
    copy
}

#[cfg(test)]
mod tests;
