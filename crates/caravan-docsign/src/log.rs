//! The issuing authority's transparency log, as values: log entries (issuances and
//! revocations), signed checkpoints, the on-disk record framing, and revocation state.
//!
//! Every issuance and every revocation is one RFC 9162 leaf whose data is the RFC 8785 form of
//! a [`LogEntry`]. A checkpoint commits to the tree size, root and time, signed by the
//! authority's log key; its signed body is line-oriented text in the manner of the C2SP
//! `tlog-checkpoint` note (origin line, size, base64 root) with a timestamp line added.
//! The shell that owns the file appends [`encode_record`] frames and recovers with
//! [`decode_records`], which stops at the first torn or corrupt frame.

use base64::Engine as _;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use time::OffsetDateTime;

use crate::credential::{format_time, parse_time};
use crate::jcs;
use crate::merkle::{self, CompactTree, Hash};
use crate::sig::{self, Algorithm, PrivateKey, SignatureError};

/// One log entry.
#[derive(Debug, Clone, PartialEq)]
pub enum LogEntry {
    /// A certificate was issued; the entry holds it with its signature proofs.
    Issuance {
        /// The signed credential (without the transparency proof).
        credential: Value,
    },
    /// A certificate was revoked.
    Revocation {
        /// The `id` of the revoked credential.
        credential_id: String,
        /// Why, in the issuer's words.
        reason: String,
        /// When the revocation takes effect.
        revoked_at: OffsetDateTime,
    },
}

/// Why a log entry or checkpoint could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LogError {
    #[error("log entry is not strict JSON: {0}")]
    Json(#[from] jcs::JsonError),
    #[error("log entry {field}: {reason}")]
    Entry { field: &'static str, reason: String },
    #[error("checkpoint {field}: {reason}")]
    Checkpoint { field: &'static str, reason: String },
    #[error("the log has {have} entries but the checkpoint covers {need}")]
    TooFewEntries { have: u64, need: u64 },
    #[error("the log entries do not hash to the checkpoint's root")]
    RootMismatch,
}

impl LogEntry {
    /// The entry's leaf data: its RFC 8785 canonical JSON.
    pub fn to_bytes(&self) -> Vec<u8> {
        let value = match self {
            Self::Issuance { credential } => json!({"type": "issuance", "credential": credential}),
            Self::Revocation { credential_id, reason, revoked_at } => json!({
                "type": "revocation",
                "credentialId": credential_id,
                "reason": reason,
                "revokedAt": format_time(*revoked_at),
            }),
        };
        jcs::to_canonical(&value)
    }

    /// The RFC 9162 leaf hash of the entry.
    pub fn leaf_hash(&self) -> Hash {
        merkle::leaf_hash(&self.to_bytes())
    }

    /// Reads leaf data back.
    ///
    /// # Errors
    /// [`LogError`] when the bytes are not an entry.
    pub fn parse(bytes: &[u8]) -> Result<Self, LogError> {
        let value = jcs::parse(bytes)?;
        let entry_err = |field, reason: &str| LogError::Entry { field, reason: reason.to_owned() };
        match value.get("type").and_then(Value::as_str) {
            Some("issuance") => {
                let credential = value
                    .get("credential")
                    .cloned()
                    .ok_or_else(|| entry_err("credential", "is missing"))?;
                Ok(Self::Issuance { credential })
            }
            Some("revocation") => {
                let text = |field| {
                    value
                        .get(field)
                        .and_then(Value::as_str)
                        .ok_or_else(|| entry_err(field, "is missing or not text"))
                };
                let revoked_at = parse_time(text("revokedAt")?, "revokedAt")
                    .map_err(|err| entry_err("revokedAt", &err.reason))?;
                Ok(Self::Revocation {
                    credential_id: text("credentialId")?.to_owned(),
                    reason: text("reason")?.to_owned(),
                    revoked_at,
                })
            }
            _ => Err(entry_err("type", "must be \"issuance\" or \"revocation\"")),
        }
    }
}

/// What a checkpoint commits to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checkpoint {
    /// The log's identity (its origin line), as listed in the trust list.
    pub log_id: String,
    /// Number of leaves.
    pub size: u64,
    /// RFC 9162 root hash of those leaves.
    pub root: Hash,
    /// When the log operator signed it.
    pub timestamp: OffsetDateTime,
}

impl Checkpoint {
    /// The signed body: `{log id}\n{size}\n{base64 root}\n{RFC 3339 time}\n`.
    pub fn body(&self) -> String {
        format!(
            "{}\n{}\n{}\n{}\n",
            self.log_id,
            self.size,
            base64::engine::general_purpose::STANDARD.encode(self.root),
            format_time(self.timestamp)
        )
    }

    /// Signs the checkpoint; `key_id` is the verification method of the log key.
    pub fn sign(self, key: &PrivateKey, key_id: &str) -> SignedCheckpoint {
        let signature = key.sign(self.body().as_bytes());
        SignedCheckpoint {
            checkpoint: self,
            key_id: key_id.to_owned(),
            alg: key.algorithm(),
            signature,
        }
    }
}

/// A checkpoint with the log operator's signature.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignedCheckpoint {
    /// What is signed.
    pub checkpoint: Checkpoint,
    /// Verification method of the log key (`{authority id}#{key id}`).
    pub key_id: String,
    /// Algorithm of the log key.
    pub alg: Algorithm,
    /// Signature over [`Checkpoint::body`].
    pub signature: [u8; 64],
}

/// JSON form of a signed checkpoint, as embedded in certificates and stored by logs.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct CheckpointJson {
    log_id: String,
    tree_size: u64,
    root_hash: String,
    timestamp: String,
    key_id: String,
    alg: Algorithm,
    signature: String,
}

impl SignedCheckpoint {
    /// The JSON form.
    pub fn to_json(&self) -> Value {
        let json = CheckpointJson {
            log_id: self.checkpoint.log_id.clone(),
            tree_size: self.checkpoint.size,
            root_hash: hex::encode(self.checkpoint.root),
            timestamp: format_time(self.checkpoint.timestamp),
            key_id: self.key_id.clone(),
            alg: self.alg,
            signature: hex::encode(self.signature),
        };
        serde_json::to_value(json).unwrap_or(Value::Null)
    }

    /// Reads the JSON form.
    ///
    /// # Errors
    /// [`LogError::Checkpoint`] naming the bad member.
    pub fn from_json(value: &Value) -> Result<Self, LogError> {
        let bad = |field, reason: String| LogError::Checkpoint { field, reason };
        // Read from the borrowed tree: every verification reads a checkpoint, so no clone.
        let json =
            CheckpointJson::deserialize(value).map_err(|err| bad("(shape)", err.to_string()))?;
        let root = decode_hash(&json.root_hash)
            .ok_or_else(|| bad("rootHash", "must be 32 bytes of hex".to_owned()))?;
        let mut signature = [0u8; 64];
        hex::decode_to_slice(&json.signature, &mut signature)
            .map_err(|_| bad("signature", "must be 64 bytes of hex".to_owned()))?;
        let timestamp =
            parse_time(&json.timestamp, "timestamp").map_err(|err| bad("timestamp", err.reason))?;
        Ok(Self {
            checkpoint: Checkpoint { log_id: json.log_id, size: json.tree_size, root, timestamp },
            key_id: json.key_id,
            alg: json.alg,
            signature,
        })
    }

    /// Verifies the signature under `public_key`.
    ///
    /// # Errors
    /// [`SignatureError`] when it does not verify.
    pub fn verify_signature(&self, public_key: &[u8], sm2_id: &str) -> Result<(), SignatureError> {
        sig::verify(
            self.alg,
            public_key,
            self.checkpoint.body().as_bytes(),
            &self.signature,
            sm2_id,
        )
    }
}

/// Decodes 32 bytes of hex.
pub fn decode_hash(text: &str) -> Option<Hash> {
    // Straight into the array: collecting a Vec first was an eighth of a cached verification.
    let mut hash = [0u8; 32];
    hex::decode_to_slice(text.trim(), &mut hash).ok()?;
    Some(hash)
}

/// Length of the frame header: a little-endian u32 data length, then the 32-byte leaf hash.
pub const RECORD_HEADER_LEN: usize = 4 + 32;

/// Frames one entry for the log file: `len (u32 LE) || leaf hash || data`. The leaf hash
/// doubles as the frame's checksum, so a torn write is detected on recovery.
pub fn encode_record(data: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(RECORD_HEADER_LEN + data.len());
    encode_record_into(data, &merkle::leaf_hash(data), &mut out);
    out
}

/// Appends the frame of `data`, whose leaf hash is `leaf`, to `out`.
pub fn encode_record_into(data: &[u8], leaf: &Hash, out: &mut Vec<u8>) {
    let len = u32::try_from(data.len()).unwrap_or(u32::MAX);
    out.extend_from_slice(&len.to_le_bytes());
    out.extend_from_slice(leaf);
    out.extend_from_slice(data);
}

/// The records read back from a log file.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Records {
    /// Leaf hash of each complete record, in order.
    pub leaf_hashes: Vec<Hash>,
    /// Byte range of each record's data in the file.
    pub data_ranges: Vec<std::ops::Range<usize>>,
    /// Length of the valid prefix: everything after it is a torn or corrupt tail to truncate.
    pub valid_len: usize,
}

/// Reads frames from the start of `bytes`, stopping at the first incomplete frame or one whose
/// data does not hash to its stored leaf hash (a write torn by a crash).
pub fn decode_records(bytes: &[u8]) -> Records {
    let mut records = Records::default();
    let mut pos = 0;
    while let Some(header) = bytes.get(pos..pos + RECORD_HEADER_LEN) {
        let len = u32::from_le_bytes([header[0], header[1], header[2], header[3]]) as usize;
        let start = pos + RECORD_HEADER_LEN;
        let Some(data) = bytes.get(start..start.saturating_add(len)) else {
            break;
        };
        let stored: Hash = header[4..].try_into().expect("header has 32 hash bytes");
        if merkle::leaf_hash(data) != stored {
            break;
        }
        records.leaf_hashes.push(stored);
        records.data_ranges.push(start..start + len);
        pos = start + len;
    }
    records.valid_len = pos;
    records
}

/// The revocations a log holds up to a checkpoint, proven complete by recomputing the root.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RevocationState {
    /// The checkpoint the state is as of.
    pub checkpoint: SignedCheckpoint,
    /// Revoked credential ids with reason and time.
    pub revoked: std::collections::BTreeMap<String, (String, OffsetDateTime)>,
}

/// Builds the revocation state of a log from its first `checkpoint.size` entries, checking
/// that they hash to the checkpoint's root (the checkpoint's signature is the caller's to
/// check against the trust list; [`crate::verify`] does).
///
/// # Errors
/// [`LogError`] when entries are missing, do not match the root, or do not parse.
pub fn revocation_state(
    entries: &[&[u8]],
    checkpoint: &SignedCheckpoint,
) -> Result<RevocationState, LogError> {
    let need = checkpoint.checkpoint.size;
    let have = entries.len() as u64;
    if have < need {
        return Err(LogError::TooFewEntries { have, need });
    }
    let covered = &entries[..need as usize];
    let mut tree = CompactTree::default();
    let mut revoked = std::collections::BTreeMap::new();
    for data in covered {
        tree.push(merkle::leaf_hash(data));
        if data.starts_with(b"{\"credentialId\"")
            && let LogEntry::Revocation { credential_id, reason, revoked_at } =
                LogEntry::parse(data)?
        {
            revoked.insert(credential_id, (reason, revoked_at));
        }
    }
    if tree.root() != checkpoint.checkpoint.root {
        return Err(LogError::RootMismatch);
    }
    Ok(RevocationState { checkpoint: checkpoint.clone(), revoked })
}

/// The revocation state as of `checkpoint` from a log's revocation entries alone, for the
/// holder of the log, who indexes its revocation entries and vouches that these are all of them
/// among the checkpoint's first `size` entries (the server, from its own store). Reading every
/// entry to prove that is what [`revocation_state`] does for anyone else.
///
/// # Errors
/// [`LogError`] when an entry does not parse or is not a revocation.
pub fn revocation_state_of_revocations(
    revocations: &[&[u8]],
    checkpoint: &SignedCheckpoint,
) -> Result<RevocationState, LogError> {
    let mut revoked = std::collections::BTreeMap::new();
    for data in revocations {
        match LogEntry::parse(data)? {
            LogEntry::Revocation { credential_id, reason, revoked_at } => {
                revoked.insert(credential_id, (reason, revoked_at));
            }
            LogEntry::Issuance { .. } => {
                return Err(LogError::Entry {
                    field: "type",
                    reason: "is \"issuance\" among the revocations".to_owned(),
                });
            }
        }
    }
    Ok(RevocationState { checkpoint: checkpoint.clone(), revoked })
}

#[cfg(test)]
mod tests;
