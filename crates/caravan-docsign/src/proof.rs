//! Data Integrity proofs on credentials (W3C VC Data Integrity 1.0).
//!
//! The Ed25519 proof is the `eddsa-jcs-2022` cryptosuite of W3C "Data Integrity EdDSA
//! Cryptosuites v1.0" §3.3: the proof configuration (the proof without `proofValue`, with the
//! document's `@context`) and the document without `proof` are each canonicalised with RFC 8785
//! and hashed with SHA-256 (§3.3.4, config hash first); Ed25519 signs the 64 concatenated
//! bytes; `proofValue` is the multibase base58-btc (`z`) encoding (§3.3.1). The optional SM2
//! proof, cryptosuite [`SM2_CRYPTOSUITE`], is the same construction with SM3 as the hash and
//! an SM2 signature (GB/T 32918.2) over the 64 bytes. Several proofs form a proof set
//! (`proof` is an array), each computed over the document without `proof`.

use serde_json::{Map, Value};
use sha2::{Digest, Sha256};
use time::OffsetDateTime;

use crate::credential::format_time;
use crate::jcs;
use crate::sig::{self, Algorithm, PrivateKey, SignatureError};

/// The W3C cryptosuite name of the Ed25519 proof.
pub const EDDSA_CRYPTOSUITE: &str = "eddsa-jcs-2022";
/// Our cryptosuite name for the SM2-with-SM3 proof (no W3C suite exists for SM2).
pub const SM2_CRYPTOSUITE: &str = "caravan-sm2sm3-jcs-2026";
/// The `type` of a signature proof.
pub const DATA_INTEGRITY_PROOF: &str = "DataIntegrityProof";

/// Why a proof could not be checked.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProofValueError {
    #[error("proof.{0} is missing or not text")]
    Missing(&'static str),
    #[error("unknown cryptosuite {0:?}")]
    UnknownCryptosuite(String),
    #[error("proofValue is not multibase base58-btc (it must start with 'z')")]
    BadEncoding,
    #[error(transparent)]
    Signature(#[from] SignatureError),
}

/// The algorithm of a cryptosuite name.
pub fn cryptosuite_algorithm(cryptosuite: &str) -> Option<Algorithm> {
    match cryptosuite {
        EDDSA_CRYPTOSUITE => Some(Algorithm::Ed25519),
        SM2_CRYPTOSUITE => Some(Algorithm::Sm2),
        _ => None,
    }
}

/// The canonical document without `proof`: what every proof of the set covers.
pub fn unsecured_canonical(credential: &Value) -> Vec<u8> {
    match credential.as_object() {
        Some(members) if members.contains_key("proof") => {
            let mut copy = members.clone();
            copy.remove("proof");
            jcs::to_canonical(&Value::Object(copy))
        }
        _ => jcs::to_canonical(credential),
    }
}

/// The 64 bytes a proof signs (eddsa-jcs-2022 §3.3.4 "Hashing"): hash of the canonical proof
/// configuration, then hash of the canonical document; SHA-256 for Ed25519, SM3 for SM2.
pub fn hash_data(alg: Algorithm, proof_config: &Value, unsecured_canonical: &[u8]) -> [u8; 64] {
    let config = jcs::to_canonical(proof_config);
    let (config_hash, document_hash): ([u8; 32], [u8; 32]) = match alg {
        Algorithm::Ed25519 => {
            (Sha256::digest(&config).into(), Sha256::digest(unsecured_canonical).into())
        }
        Algorithm::Sm2 => (sig::sm3(&config), sig::sm3(unsecured_canonical)),
    };
    let mut res = [0u8; 64];
    res[..32].copy_from_slice(&config_hash);
    res[32..].copy_from_slice(&document_hash);
    res
}

/// The proof configuration of `proof`: the proof without `proofValue`, with the document's
/// `@context` (eddsa-jcs-2022 §3.3.5 step 5 and §3.3.2 step 2).
pub fn proof_config(proof: &Map<String, Value>, credential: &Value) -> Value {
    let mut config = proof.clone();
    config.remove("proofValue");
    if let Some(context) = credential.get("@context") {
        config.insert("@context".to_owned(), context.clone());
    }
    Value::Object(config)
}

/// Signs `credential` with `key` and appends the proof to its proof set.
/// `verification_method` is `{issuer id}#{key id}` as listed in the trust list.
pub fn add_proof(
    credential: &mut Value,
    key: &PrivateKey,
    verification_method: &str,
    created: OffsetDateTime,
) {
    let cryptosuite = match key.algorithm() {
        Algorithm::Ed25519 => EDDSA_CRYPTOSUITE,
        Algorithm::Sm2 => SM2_CRYPTOSUITE,
    };
    let mut proof = Map::new();
    proof.insert("type".to_owned(), Value::from(DATA_INTEGRITY_PROOF));
    proof.insert("cryptosuite".to_owned(), Value::from(cryptosuite));
    proof.insert("created".to_owned(), Value::from(format_time(created)));
    proof.insert("verificationMethod".to_owned(), Value::from(verification_method));
    proof.insert("proofPurpose".to_owned(), Value::from("assertionMethod"));
    let canonical = unsecured_canonical(credential);
    let data = hash_data(key.algorithm(), &proof_config(&proof, credential), &canonical);
    let signature = key.sign(&data);
    proof.insert(
        "proofValue".to_owned(),
        Value::from(format!("z{}", bs58::encode(signature).into_string())),
    );
    push_proof(credential, Value::Object(proof));
}

/// Appends `proof` to the proof set of `credential`, turning a single proof into an array.
pub fn push_proof(credential: &mut Value, proof: Value) {
    let Some(members) = credential.as_object_mut() else {
        return;
    };
    match members.get_mut("proof") {
        Some(Value::Array(proofs)) => proofs.push(proof),
        Some(single) => {
            let first = single.take();
            *single = Value::Array(vec![first, proof]);
        }
        None => {
            members.insert("proof".to_owned(), Value::Array(vec![proof]));
        }
    }
}

/// Decodes a multibase base58-btc `proofValue` into a 64-byte signature.
///
/// # Errors
/// [`ProofValueError::BadEncoding`].
pub fn decode_proof_value(text: &str) -> Result<Vec<u8>, ProofValueError> {
    let body = text.strip_prefix('z').ok_or(ProofValueError::BadEncoding)?;
    bs58::decode(body).into_vec().map_err(|_| ProofValueError::BadEncoding)
}

/// A signature proof taken apart for verification.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParsedProof {
    /// Algorithm of the cryptosuite.
    pub alg: Algorithm,
    /// `verificationMethod`.
    pub verification_method: String,
    /// The bytes signed (see [`hash_data`]).
    pub signed_data: [u8; 64],
    /// The signature.
    pub signature: Vec<u8>,
}

/// Takes a signature proof apart and computes what it signs; `unsecured_canonical` is
/// [`unsecured_canonical`] of `credential`.
///
/// # Errors
/// [`ProofValueError`] when a member is missing or malformed.
pub fn parse_proof(
    proof: &Map<String, Value>,
    credential: &Value,
    unsecured_canonical: &[u8],
) -> Result<ParsedProof, ProofValueError> {
    let text = |name: &'static str| {
        proof.get(name).and_then(Value::as_str).ok_or(ProofValueError::Missing(name))
    };
    if text("type")? != DATA_INTEGRITY_PROOF {
        return Err(ProofValueError::Missing("type"));
    }
    let cryptosuite = text("cryptosuite")?;
    let alg = cryptosuite_algorithm(cryptosuite)
        .ok_or_else(|| ProofValueError::UnknownCryptosuite(cryptosuite.to_owned()))?;
    let verification_method = text("verificationMethod")?.to_owned();
    let signature = decode_proof_value(text("proofValue")?)?;
    let signed_data = hash_data(alg, &proof_config(proof, credential), unsecured_canonical);
    Ok(ParsedProof { alg, verification_method, signed_data, signature })
}

#[cfg(test)]
mod tests;
