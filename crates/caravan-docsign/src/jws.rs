//! The JWS compact serialization of a credential (W3C VC-JOSE-COSE §3.1.1, RFC 7515 §7.1), with
//! EdDSA (RFC 8037) signatures: `base64url(header).base64url(credential).base64url(signature)`.
//!
//! The header is `{"alg":"EdDSA","cty":"vc","kid":..,"typ":"vc+jwt"}`; the payload is the
//! credential without Data Integrity proofs.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::{Value, json};

use crate::jcs;
use crate::sig::{self, PrivateKey};

/// Why a JWS was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum JwsError {
    #[error("a JWS compact serialization has three base64url parts separated by '.'")]
    Shape,
    #[error("JWS {0} is not base64url")]
    Base64(&'static str),
    #[error("JWS {part} is not strict JSON: {err}")]
    Json { part: &'static str, err: jcs::JsonError },
    #[error("JWS header must have alg EdDSA and typ vc+jwt, got {0}")]
    Header(String),
    #[error("only Ed25519 keys sign JWS here (alg EdDSA)")]
    NotEd25519,
    #[error(transparent)]
    Signature(#[from] sig::SignatureError),
}

/// Signs `credential` (its `proof` member, if any, is left out) as a compact JWS.
///
/// # Errors
/// [`JwsError::NotEd25519`] for an SM2 key.
pub fn to_jws(credential: &Value, key: &PrivateKey, kid: &str) -> Result<String, JwsError> {
    if key.algorithm() != sig::Algorithm::Ed25519 {
        return Err(JwsError::NotEd25519);
    }
    let header = json!({"alg": "EdDSA", "cty": "vc", "kid": kid, "typ": "vc+jwt"});
    let payload = match credential.as_object() {
        Some(members) => jcs::to_canonical_replacing(members, "proof", None),
        None => jcs::to_canonical(credential),
    };
    let signing_input = format!(
        "{}.{}",
        URL_SAFE_NO_PAD.encode(jcs::to_canonical(&header)),
        URL_SAFE_NO_PAD.encode(payload)
    );
    let signature = key.sign(signing_input.as_bytes());
    Ok(format!("{signing_input}.{}", URL_SAFE_NO_PAD.encode(signature)))
}

/// The decoded parts of a compact JWS, before its signature is checked.
#[derive(Debug, Clone, PartialEq)]
pub struct Jws {
    /// Protected header.
    pub header: Value,
    /// The credential.
    pub payload: Value,
    signing_input: Vec<u8>,
    signature: Vec<u8>,
}

impl Jws {
    /// The `kid` header, naming the key in the trust list.
    pub fn kid(&self) -> Option<&str> {
        self.header.get("kid").and_then(Value::as_str)
    }

    /// Verifies the EdDSA signature with an Ed25519 public key.
    ///
    /// # Errors
    /// [`JwsError::Signature`] when it fails.
    pub fn verify(&self, public_key: &[u8]) -> Result<(), JwsError> {
        sig::verify(sig::Algorithm::Ed25519, public_key, &self.signing_input, &self.signature, "")?;
        Ok(())
    }
}

/// Splits and decodes a compact JWS, checking its header.
///
/// # Errors
/// [`JwsError`] naming the bad part.
pub fn parse_jws(token: &str) -> Result<Jws, JwsError> {
    let mut parts = token.trim().split('.');
    let (Some(header), Some(payload), Some(signature), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(JwsError::Shape);
    };
    let decode =
        |part, text: &str| URL_SAFE_NO_PAD.decode(text).map_err(|_| JwsError::Base64(part));
    let header_json = jcs::parse(&decode("header", header)?)
        .map_err(|err| JwsError::Json { part: "header", err })?;
    if header_json.get("alg").and_then(Value::as_str) != Some("EdDSA")
        || header_json.get("typ").and_then(Value::as_str).is_some_and(|t| t != "vc+jwt")
    {
        return Err(JwsError::Header(header_json.to_string()));
    }
    let payload_json = jcs::parse(&decode("payload", payload)?)
        .map_err(|err| JwsError::Json { part: "payload", err })?;
    Ok(Jws {
        header: header_json,
        payload: payload_json,
        signing_input: format!("{header}.{payload}").into_bytes(),
        signature: decode("signature", signature)?,
    })
}

#[cfg(test)]
mod tests;
