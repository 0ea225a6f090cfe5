//! Embedded proofs of other systems' credentials (W3C VC Data Integrity 1.0,
//! `DataIntegrityProof`): `eddsa-jcs-2022` verified exactly as W3C "Data Integrity EdDSA
//! Cryptosuites v1.0" §3.3 says, with the key a `did:key` spells; `eddsa-rdfc-2022` and keys
//! that live in a DID document on the network reported as not checked offline, with why.
//!
//! Ours differ from `caravan_docsign::proof` on purpose: that module checks our own
//! certificates, whose proofs always carry the document's `@context`; a presented credential
//! is taken as the spec has it (§3.3.2 steps 1–4), with or without a `@context` in its proof.

use caravan_docsign::jcs;
use caravan_docsign::proof::{decode_proof_value, hash_data};
use caravan_docsign::sig::{self, Algorithm};
use serde_json::{Map, Value};

use crate::verdict::{Reason, Why};

/// The `type` of a Data Integrity proof.
pub const DATA_INTEGRITY_PROOF: &str = caravan_docsign::proof::DATA_INTEGRITY_PROOF;
/// The JCS EdDSA cryptosuite (§3.3).
pub const EDDSA_JCS_2022: &str = caravan_docsign::proof::EDDSA_CRYPTOSUITE;
/// The RDF Dataset Canonicalization EdDSA cryptosuite (§3.2).
pub const EDDSA_RDFC_2022: &str = "eddsa-rdfc-2022";
/// The proof purpose of an issuer's proof on a credential (VC Data Model 2.0 §4.12).
pub const ASSERTION_METHOD: &str = "assertionMethod";
/// The multicodec header of an Ed25519 public key (`ed25519-pub`, 0xed as an unsigned varint).
const ED25519_PUB_MULTICODEC: [u8; 2] = [0xed, 0x01];

/// How one proof came out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ProofOutcome {
    /// The signature verifies under the key the verification method names.
    Valid {
        /// The detail for the verdict.
        detail: String,
    },
    /// The proof is malformed or its signature does not verify.
    Invalid(String),
    /// The proof could not be checked offline; the text says why.
    NotChecked(String),
}

/// One proof of a credential, checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckedProof {
    /// `verificationMethod`, when the proof names one.
    pub verification_method: Option<String>,
    /// The controller the verification method belongs to: the method without its fragment.
    pub controller: Option<String>,
    /// What came out.
    pub outcome: ProofOutcome,
    /// The outcome's fixed explanation, when it has one (its English form is the outcome's
    /// text).
    pub reason: Option<Reason>,
}

impl CheckedProof {
    /// Whether the verification method is a `did:key`, whose DID document is the key itself
    /// (W3C CCG did:key Method, "Document Creation Algorithm"): a proof that verified under it
    /// establishes its controller offline. Derived from the method alone, so it cannot
    /// disagree with it.
    pub fn self_certifying(&self) -> bool {
        is_did_key(self.verification_method.as_deref())
    }
}

/// Checks every proof of `document` (one proof, or a proof set as an array). None when the
/// document has no `proof`.
pub fn verify_proofs(document: &Value) -> Option<Vec<CheckedProof>> {
    let proof = document.get("proof")?;
    let proofs: Vec<&Value> = match proof {
        Value::Array(items) => items.iter().collect(),
        single => vec![single],
    };
    if proofs.is_empty() {
        return Some(vec![CheckedProof {
            verification_method: None,
            controller: None,
            reason: None,
            outcome: ProofOutcome::Invalid("proof is an empty array".to_owned()),
        }]);
    }
    Some(proofs.into_iter().map(|proof| verify_proof(document, proof)).collect())
}

/// Checks one `proof` of `document`.
pub fn verify_proof(document: &Value, proof: &Value) -> CheckedProof {
    let verification_method = proof.get("verificationMethod").and_then(Value::as_str);
    let controller =
        verification_method.map(|vm| vm.split_once('#').map_or(vm, |(did, _)| did).to_owned());
    let mut res = CheckedProof {
        verification_method: verification_method.map(str::to_owned),
        controller,
        outcome: ProofOutcome::NotChecked(String::new()),
        reason: None,
    };
    let Some(proof) = proof.as_object() else {
        res.outcome = ProofOutcome::Invalid("proof is not an object".to_owned());
        return res;
    };
    let proof_type = proof.get("type").and_then(Value::as_str).unwrap_or_default();
    let cryptosuite = proof.get("cryptosuite").and_then(Value::as_str).unwrap_or_default();
    res.outcome = match (proof_type, cryptosuite) {
        (DATA_INTEGRITY_PROOF, EDDSA_JCS_2022) => match verify_eddsa_jcs_2022(document, proof) {
            Ok(key) => {
                let reason = Reason::new(Why::DiJcsValid, &[&hex::encode(key)]);
                let detail = reason.english();
                res.reason = Some(reason);
                ProofOutcome::Valid { detail }
            }
            Err(JcsFailure::Invalid(reason)) => ProofOutcome::Invalid(reason),
            Err(JcsFailure::NotChecked(why)) => ProofOutcome::NotChecked(why),
        },
        (DATA_INTEGRITY_PROOF, EDDSA_RDFC_2022) => {
            let reason = Reason::new(Why::DiRdfc, &[]);
            let why = reason.english();
            res.reason = Some(reason);
            ProofOutcome::NotChecked(why)
        }
        (DATA_INTEGRITY_PROOF, other) => ProofOutcome::NotChecked(format!(
            "cryptosuite {other:?} is not verified here (eddsa-jcs-2022 is)"
        )),
        (other, _) => ProofOutcome::NotChecked(format!(
            "a proof of type {other:?} is not verified here (DataIntegrityProof with eddsa-jcs-2022 is)"
        )),
    };
    res
}

fn is_did_key(verification_method: Option<&str>) -> bool {
    verification_method.is_some_and(|vm| vm.starts_with("did:key:"))
}

/// Why an `eddsa-jcs-2022` proof was not verified.
enum JcsFailure {
    Invalid(String),
    NotChecked(String),
}

/// The bytes an `eddsa-jcs-2022` proof signs, computed as W3C "Data Integrity EdDSA
/// Cryptosuites v1.0" §3.3.2 "Verify Proof (eddsa-jcs-2022)" steps 1, 2, 4–7: the proof options
/// are the proof without `proofValue`; when they carry a `@context`, the document's must start
/// with its values, in order, and the unsecured document takes it (step 4); then SHA-256 of the
/// RFC 8785 form of the proof configuration, followed by SHA-256 of the RFC 8785 form of the
/// unsecured document (§3.3.4).
///
/// # Errors
/// The reason, when the proof or document is not one the suite accepts.
pub fn eddsa_jcs_2022_hash_data(
    document: &Value,
    proof: &Map<String, Value>,
) -> Result<[u8; 64], String> {
    let Some(members) = document.as_object() else {
        return Err("the credential is not a JSON object".to_owned());
    };
    // Step 1: the unsecured document is the secured one without `proof`.
    let mut unsecured = members.clone();
    unsecured.remove("proof");
    // Step 2: the proof options are the proof without `proofValue`.
    let mut options = proof.clone();
    options.remove("proofValue");
    // Step 4: a proof's @context must open the document's, and replaces it.
    if let Some(proof_context) = options.get("@context") {
        let expected = as_list(proof_context);
        let actual = members.get("@context").map(as_list).unwrap_or_default();
        if !actual.starts_with(&expected) {
            return Err(
                "the proof's @context is not the start of the credential's @context (§3.3.2 step 4.1)"
                    .to_owned(),
            );
        }
        unsecured.insert("@context".to_owned(), proof_context.clone());
    }
    // Step 5, §3.3.3 "Transformation", and step 6, §3.3.5 "Proof Configuration".
    let text = |name: &str| options.get(name).and_then(Value::as_str);
    if text("type") != Some(DATA_INTEGRITY_PROOF) || text("cryptosuite") != Some(EDDSA_JCS_2022) {
        return Err(
            "the proof is not a DataIntegrityProof of cryptosuite eddsa-jcs-2022".to_owned()
        );
    }
    if let Some(created) = options.get("created")
        && !created.as_str().is_some_and(is_xsd_date_time)
    {
        return Err(format!(
            "proof.created {created} is not an XML Schema dateTime (§3.3.5 step 3)"
        ));
    }
    let transformed = jcs::to_canonical(&Value::Object(unsecured));
    // Step 7, §3.3.4 "Hashing": the configuration's hash first, as our own proofs are hashed.
    Ok(hash_data(Algorithm::Ed25519, &Value::Object(options), &transformed))
}

/// §3.3.2 "Verify Proof (eddsa-jcs-2022)": the Ed25519 key the proof was verified under.
fn verify_eddsa_jcs_2022(
    document: &Value,
    proof: &Map<String, Value>,
) -> Result<[u8; 32], JcsFailure> {
    // VC Data Integrity 1.0 §4.4 "Verify Proof": an issuer's proof asserts.
    match proof.get("proofPurpose").and_then(Value::as_str) {
        Some(ASSERTION_METHOD) => {}
        other => {
            return Err(JcsFailure::Invalid(format!(
                "proofPurpose {other:?}: an issuer's proof on a credential is {ASSERTION_METHOD:?}"
            )));
        }
    }
    // Step 3: the signature, multibase base58-btc.
    let Some(proof_value) = proof.get("proofValue").and_then(Value::as_str) else {
        return Err(JcsFailure::Invalid("proof.proofValue is missing or not text".to_owned()));
    };
    let signature = decode_proof_value(proof_value).map_err(|_| {
        JcsFailure::Invalid(
            "proof.proofValue is not multibase base58-btc (a 'z' then base58 digits)".to_owned(),
        )
    })?;
    if signature.len() != 64 {
        return Err(JcsFailure::Invalid(format!(
            "proof.proofValue decodes to {} bytes; an Ed25519 signature is 64",
            signature.len()
        )));
    }
    let hash_data = eddsa_jcs_2022_hash_data(document, proof).map_err(JcsFailure::Invalid)?;
    // §3.3.7 "Proof Verification": the key of the verification method.
    let Some(verification_method) = proof.get("verificationMethod").and_then(Value::as_str) else {
        return Err(JcsFailure::Invalid(
            "proof.verificationMethod is missing or not text".to_owned(),
        ));
    };
    let key = did_key_ed25519(verification_method)?;
    sig::verify(Algorithm::Ed25519, &key, &hash_data, &signature, "").map_err(|err| {
        JcsFailure::Invalid(format!(
            "the eddsa-jcs-2022 signature does not verify under the key of {verification_method} ({err}): the credential or its proof was changed after signing, or signed with another key"
        ))
    })?;
    Ok(key)
}

/// The Ed25519 key of a `did:key` verification method (W3C did:key v0.9: the method-specific
/// id is the multibase base58-btc Multikey, and its only signing method's fragment repeats
/// it). Any other method's key is in a DID or controller document fetched over the network.
fn did_key_ed25519(verification_method: &str) -> Result<[u8; 32], JcsFailure> {
    let Some(rest) = verification_method.strip_prefix("did:key:") else {
        return Err(JcsFailure::NotChecked(format!(
            "the key {verification_method} is named, not given: it is in its controller's DID document, which is fetched over the network"
        )));
    };
    let (id, fragment) = rest.split_once('#').unwrap_or((rest, ""));
    if fragment != id {
        return Err(JcsFailure::Invalid(format!(
            "{verification_method}: a did:key's verification method is #{id}"
        )));
    }
    // The same multibase base58-btc as a proofValue.
    let bytes = decode_proof_value(id).map_err(|_| {
        JcsFailure::Invalid(format!(
            "{verification_method}: the did:key is not multibase base58-btc"
        ))
    })?;
    match bytes.strip_prefix(&ED25519_PUB_MULTICODEC).map(<[u8; 32]>::try_from) {
        Some(Ok(key)) => Ok(key),
        _ => Err(JcsFailure::NotChecked(format!(
            "{verification_method} is not an Ed25519 did:key (multicodec 0xed, 32 bytes)"
        ))),
    }
}

/// A JSON-LD `@context` as a list of its values: one value is a list of one.
fn as_list(context: &Value) -> Vec<Value> {
    match context {
        Value::Array(items) => items.clone(),
        other => vec![other.clone()],
    }
}

/// Whether `text` is an XML Schema 1.1 Part 2 `dateTime`, as §3.3.5 step 3 asks of `created`:
/// `-?YYYY-MM-DDThh:mm:ss(.s+)?(Z|(+|-)hh:mm)?`, with the value ranges of each part and
/// `24:00:00` only as the end of a day.
pub fn is_xsd_date_time(text: &str) -> bool {
    let text = text.strip_prefix('-').unwrap_or(text);
    let Some((date, time)) = text.split_once('T') else { return false };
    let mut date_parts = date.split('-');
    let (Some(year), Some(month), Some(day), None) =
        (date_parts.next(), date_parts.next(), date_parts.next(), date_parts.next())
    else {
        return false;
    };
    let digits = |s: &str, n: usize| s.len() == n && s.bytes().all(|b| b.is_ascii_digit());
    if year.len() < 4
        || !year.bytes().all(|b| b.is_ascii_digit())
        || (year.len() > 4 && year.starts_with('0'))
        || !digits(month, 2)
        || !digits(day, 2)
    {
        return false;
    }
    let number = |s: &str| s.parse::<u32>().unwrap_or(u32::MAX);
    let (year_n, month_n, day_n) = (year.parse::<u64>().ok(), number(month), number(day));
    let leap = year_n.is_some_and(|y| y % 4 == 0 && (y % 100 != 0 || y % 400 == 0));
    let days_in_month = match month_n {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if leap => 29,
        2 => 28,
        _ => return false,
    };
    if day_n == 0 || day_n > days_in_month {
        return false;
    }
    // The time zone: Z, or ±hh:mm up to 14:00.
    let (clock, zone) = if let Some(clock) = time.strip_suffix('Z') {
        (clock, None)
    } else if time.len() > 6 && matches!(time.as_bytes()[time.len() - 6], b'+' | b'-') {
        let (clock, zone) = time.split_at(time.len() - 6);
        (clock, Some(&zone[1..]))
    } else {
        (time, None)
    };
    if let Some(zone) = zone {
        let Some((hh, mm)) = zone.split_once(':') else { return false };
        if !digits(hh, 2) || !digits(mm, 2) || number(mm) > 59 || number(hh) * 60 + number(mm) > 840
        {
            return false;
        }
    }
    let (whole, fraction) = clock.split_once('.').unwrap_or((clock, ""));
    if clock.contains('.') && (fraction.is_empty() || !fraction.bytes().all(|b| b.is_ascii_digit()))
    {
        return false;
    }
    let mut clock_parts = whole.split(':');
    let (Some(hh), Some(mm), Some(ss), None) =
        (clock_parts.next(), clock_parts.next(), clock_parts.next(), clock_parts.next())
    else {
        return false;
    };
    if !digits(hh, 2) || !digits(mm, 2) || !digits(ss, 2) {
        return false;
    }
    let (hh, mm, ss) = (number(hh), number(mm), number(ss));
    let end_of_day = hh == 24 && mm == 0 && ss == 0 && fraction.bytes().all(|b| b == b'0');
    (hh < 24 && mm < 60 && ss < 60) || end_of_day
}

#[cfg(test)]
pub(crate) mod tests;
