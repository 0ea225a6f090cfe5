//! The envelope one node sends another.
//!
//! ```json
//! {
//!   "format": "caravan-envelope/1",
//!   "header": {
//!     "from": "CN", "to": "KZ",
//!     "kind": "certificate_of_origin", "status": "issued", "document_id": "CN-CCPIT-2026-1",
//!     "message_id": "…", "sequence": 17, "previous_hash": "<64 hex>",
//!     "created_at": "2026-12-08T02:30:00Z"
//!   },
//!   "payload": { … },
//!   "signatures": [ { "protected": "<base64url>", "signature": "<base64url>" } ]
//! }
//! ```
//!
//! The header carries what the IPPC ePhyto Hub's `EnvelopeHeader` carries — `From`, `To`,
//! `CertificateType`, `CertificateStatus`, `NPPOCertificateNumber` — as `from`, `to`, `kind`,
//! `status`, `document_id`; where the Hub's central server assigns a `hubDeliveryNumber` to each
//! delivery (a resend gets a new one, so nothing stops a duplicate end to end), the sender here
//! numbers its messages itself: `message_id` (unique, kept across resends), `sequence` (1, 2, …
//! per sending and receiving pair) and `previous_hash` (the [`Envelope::hash`] of the pair's
//! previous envelope; empty for the first), so the receiver can apply each message once, in
//! order, and prove that none was left out.
//!
//! The signatures are a JWS in the general JSON serialization with a detached payload (RFC 7515
//! §7.2.1 and Appendix F): the JWS payload is the RFC 8785 form of `{"header", "payload"}`
//! ([`Envelope::signed_bytes`]), each signature's protected header is
//! `{"alg", "kid", "typ": "caravan-envelope+jws"}`, and its signing input is
//! `BASE64URL(protected) '.' BASE64URL(JWS payload)` (RFC 7515 §5.1 step 4). `alg` is `EdDSA`
//! (RFC 8037 §3.1) for Ed25519 and `SM2-SM3` for the GB/T 32918.2 co-signature, a name chosen
//! as RFC 7518 §3.1 allows for algorithms without a registered one.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use caravan_docsign::jcs;
use caravan_docsign::sig::{Algorithm, PrivateKey};
use caravan_types::CountryCode;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

/// The `format` member of an envelope.
pub const ENVELOPE_FORMAT: &str = "caravan-envelope/1";
/// The `typ` of each signature's protected header.
pub const JWS_TYP: &str = "caravan-envelope+jws";
/// Largest envelope accepted, in bytes: a certificate with its QR form and a pre-arrival data
/// set of a few hundred lines fit many times over.
pub const MAX_ENVELOPE_BYTES: usize = 1 << 20;
/// Longest `document_id` and `message_id`.
pub const MAX_ID_CHARS: usize = 200;

/// What an envelope carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MessageKind {
    CertificateOfOrigin,
    PhytosanitaryCertificate,
    MineralPassport,
    /// An export declaration's consignment data, sent to the country of destination before
    /// the goods arrive.
    PreArrival,
    /// The receiving country's business answer to an earlier message (`document_id` names it).
    Acknowledgement,
    /// The importing country's release of goods, confirming the export to the sender.
    ReleaseNotice,
}

impl MessageKind {
    /// The UN/CEFACT document name code (UNTDID 1001) where one exists: 861 certificate of
    /// origin, 851 phytosanitary certificate (the code the ePhyto Hub puts in
    /// `CertificateType`).
    pub fn document_name_code(self) -> Option<&'static str> {
        match self {
            Self::CertificateOfOrigin => Some("861"),
            Self::PhytosanitaryCertificate => Some("851"),
            _ => None,
        }
    }

    /// The statuses this kind of message may carry.
    pub fn statuses(self) -> &'static [DocumentStatus] {
        use DocumentStatus::*;
        match self {
            Self::CertificateOfOrigin
            | Self::PhytosanitaryCertificate
            | Self::MineralPassport
            | Self::PreArrival => &[Issued, Replaced, Revoked],
            Self::Acknowledgement => &[Received, Accepted, Rejected, Utilised],
            Self::ReleaseNotice => &[Released],
        }
    }
}

/// The status of the document an envelope carries. A transport acknowledgement is not one of
/// them: that is the answer to the HTTP request or the broker's ack, and says nothing of the
/// business outcome.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DocumentStatus {
    Issued,
    Replaced,
    Revoked,
    /// The receiver holds the document (business receipt, not transport).
    Received,
    Accepted,
    /// Refused, with the reasons naming fields in the payload.
    Rejected,
    /// The certificate was used in a released declaration.
    Utilised,
    Released,
}

/// An envelope's header.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Header {
    pub from: CountryCode,
    pub to: CountryCode,
    pub kind: MessageKind,
    pub status: DocumentStatus,
    /// The document's own number (a certificate id, a declaration reference; for an
    /// acknowledgement, the message id it answers).
    pub document_id: String,
    /// Unique per sender; a resend keeps it.
    pub message_id: String,
    /// 1, 2, … per (from, to) pair.
    pub sequence: u64,
    /// Lower-case hex [`Envelope::hash`] of the pair's envelope `sequence - 1`; empty for 1.
    pub previous_hash: String,
    /// RFC 3339 UTC (`…Z`), when the sender sealed it.
    pub created_at: String,
}

/// One signature of the JWS general JSON serialization (RFC 7515 §7.2.1).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Signature {
    /// BASE64URL of the protected header's JSON.
    pub protected: String,
    /// BASE64URL of the signature.
    pub signature: String,
}

/// A signed envelope.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Envelope {
    /// [`ENVELOPE_FORMAT`].
    pub format: String,
    pub header: Header,
    /// The document (a JSON object in the schema of `header.kind`).
    pub payload: Value,
    pub signatures: Vec<Signature>,
}

/// Why an envelope could not be read or sealed; each names the member.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EnvelopeError {
    #[error("the envelope is {size} bytes; at most {MAX_ENVELOPE_BYTES} are accepted")]
    TooLarge { size: usize },
    #[error("the envelope is not strict JSON of the envelope's shape: {0}")]
    Json(String),
    #[error("{field}: {message}")]
    Field { field: &'static str, message: String },
    #[error("an envelope is sealed with an Ed25519 key first (SM2 only co-signs)")]
    NoEd25519Key,
}

fn bad(field: &'static str, message: impl Into<String>) -> EnvelopeError {
    EnvelopeError::Field { field, message: message.into() }
}

/// A decoded signature, before it is checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DecodedSignature {
    pub alg: Algorithm,
    pub kid: String,
    /// The JWS signing input (RFC 7515 §5.1 step 4).
    pub signing_input: Vec<u8>,
    pub signature: Vec<u8>,
}

impl Header {
    /// The checks [`Envelope::parse`] applies to a header.
    ///
    /// # Errors
    /// [`EnvelopeError::Field`] naming the member.
    pub fn check(&self) -> Result<(), EnvelopeError> {
        if self.from == self.to {
            return Err(bad("header.to", "a node does not send to itself"));
        }
        if !self.kind.statuses().contains(&self.status) {
            return Err(bad(
                "header.status",
                format!("a {:?} message is one of {:?}", self.kind, self.kind.statuses()),
            ));
        }
        for (name, value) in
            [("header.document_id", &self.document_id), ("header.message_id", &self.message_id)]
        {
            if value.is_empty()
                || value.chars().count() > MAX_ID_CHARS
                || value.chars().any(char::is_control)
            {
                return Err(bad(name, format!("1 to {MAX_ID_CHARS} printable characters")));
            }
        }
        if self.sequence == 0 {
            return Err(bad("header.sequence", "sequences start at 1"));
        }
        let hash_ok = if self.sequence == 1 {
            self.previous_hash.is_empty()
        } else {
            self.previous_hash.len() == 64
                && self.previous_hash.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
        };
        if !hash_ok {
            return Err(bad(
                "header.previous_hash",
                "64 lower-case hex digits (empty for sequence 1)",
            ));
        }
        if !is_utc_timestamp(&self.created_at) {
            return Err(bad(
                "header.created_at",
                "an RFC 3339 UTC time such as 2026-12-08T02:30:00Z",
            ));
        }
        Ok(())
    }
}

/// RFC 3339 (§5.6) in UTC: docsign's parser, and the `Z` offset.
fn is_utc_timestamp(text: &str) -> bool {
    text.ends_with('Z') && caravan_docsign::credential::parse_time(text, "created_at").is_ok()
}

impl Envelope {
    /// The RFC 8785 form of `{"header": …, "payload": …}`: the detached JWS payload every
    /// signature covers.
    pub fn signed_bytes(&self) -> Vec<u8> {
        signed_bytes(&self.header, &self.payload)
    }

    /// Lower-case hex SHA-256 of [`Envelope::signed_bytes`]: the link the pair's next envelope
    /// names in `previous_hash`. The signatures are outside it, so a co-signature added later
    /// does not break the chain.
    pub fn hash(&self) -> String {
        hex::encode(Sha256::digest(self.signed_bytes()))
    }

    /// Seals `header` and `payload` with the node's keys: the first must be Ed25519; an SM2
    /// key after it adds the co-signature.
    ///
    /// # Errors
    /// The header's own [`EnvelopeError`], or [`EnvelopeError::NoEd25519Key`].
    pub fn seal(
        header: Header,
        payload: Value,
        keys: &[(&PrivateKey, &str)],
    ) -> Result<Envelope, EnvelopeError> {
        header.check()?;
        if !payload.is_object() {
            return Err(bad("payload", "a JSON object"));
        }
        if keys.first().is_none_or(|(key, _)| key.algorithm() != Algorithm::Ed25519) {
            return Err(EnvelopeError::NoEd25519Key);
        }
        let body = URL_SAFE_NO_PAD.encode(signed_bytes(&header, &payload));
        let signatures = keys
            .iter()
            .map(|(key, kid)| {
                let protected = URL_SAFE_NO_PAD.encode(jcs::to_canonical(
                    &json!({ "alg": jws_alg(key.algorithm()), "kid": kid, "typ": JWS_TYP }),
                ));
                let input = format!("{protected}.{body}");
                Signature {
                    signature: URL_SAFE_NO_PAD.encode(key.sign(input.as_bytes())),
                    protected,
                }
            })
            .collect();
        Ok(Envelope { format: ENVELOPE_FORMAT.to_owned(), header, payload, signatures })
    }

    /// Reads an envelope: at most [`MAX_ENVELOPE_BYTES`], strict JSON (no duplicate names),
    /// the envelope's shape, a checked header, an object payload and at least one signature.
    /// The signatures are decoded by [`Envelope::decoded_signatures`] and checked by
    /// [`crate::receive::check`].
    ///
    /// # Errors
    /// [`EnvelopeError`] naming the member.
    pub fn parse(bytes: &[u8]) -> Result<Envelope, EnvelopeError> {
        if bytes.len() > MAX_ENVELOPE_BYTES {
            return Err(EnvelopeError::TooLarge { size: bytes.len() });
        }
        let value = jcs::parse(bytes).map_err(|err| EnvelopeError::Json(err.to_string()))?;
        let envelope: Envelope =
            serde_json::from_value(value).map_err(|err| EnvelopeError::Json(err.to_string()))?;
        if envelope.format != ENVELOPE_FORMAT {
            return Err(bad("format", format!("must be {ENVELOPE_FORMAT}")));
        }
        envelope.header.check()?;
        if !envelope.payload.is_object() {
            return Err(bad("payload", "a JSON object"));
        }
        if envelope.signatures.is_empty() || envelope.signatures.len() > 4 {
            return Err(bad("signatures", "1 to 4 signatures"));
        }
        Ok(envelope)
    }

    /// Each signature's algorithm, key id, signing input and bytes.
    ///
    /// # Errors
    /// [`EnvelopeError::Field`] naming `signatures` for one that does not decode.
    pub fn decoded_signatures(&self) -> Result<Vec<DecodedSignature>, EnvelopeError> {
        let body = URL_SAFE_NO_PAD.encode(self.signed_bytes());
        self.signatures
            .iter()
            .map(|sig| {
                let header = URL_SAFE_NO_PAD
                    .decode(&sig.protected)
                    .ok()
                    .and_then(|bytes| jcs::parse(&bytes).ok())
                    .ok_or_else(|| bad("signatures", "a protected header is not base64url JSON"))?;
                if header.get("typ").and_then(Value::as_str) != Some(JWS_TYP) {
                    return Err(bad(
                        "signatures",
                        format!("the protected header's typ is {JWS_TYP}"),
                    ));
                }
                let alg = match header.get("alg").and_then(Value::as_str) {
                    Some("EdDSA") => Algorithm::Ed25519,
                    Some("SM2-SM3") => Algorithm::Sm2,
                    other => {
                        return Err(bad("signatures", format!("alg {other:?}: EdDSA or SM2-SM3")));
                    }
                };
                let kid = header
                    .get("kid")
                    .and_then(Value::as_str)
                    .filter(|kid| !kid.is_empty())
                    .ok_or_else(|| bad("signatures", "a protected header names its kid"))?;
                let signature = URL_SAFE_NO_PAD
                    .decode(&sig.signature)
                    .map_err(|_| bad("signatures", "a signature is not base64url"))?;
                Ok(DecodedSignature {
                    alg,
                    kid: kid.to_owned(),
                    signing_input: format!("{}.{body}", sig.protected).into_bytes(),
                    signature,
                })
            })
            .collect()
    }
}

/// The JWS `alg` of a key algorithm.
pub fn jws_alg(alg: Algorithm) -> &'static str {
    match alg {
        Algorithm::Ed25519 => "EdDSA",
        Algorithm::Sm2 => "SM2-SM3",
    }
}

fn signed_bytes(header: &Header, payload: &Value) -> Vec<u8> {
    let header = serde_json::to_value(header).unwrap_or(Value::Null);
    jcs::to_canonical(&json!({ "header": header, "payload": payload }))
}
