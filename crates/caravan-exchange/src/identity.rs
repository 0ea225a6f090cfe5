//! A node's identity file and the peers a node trusts.
//!
//! The identity is what one administration hands another out of band (a file, or its node's
//! `GET /api/v1/exchange/identity`): the country, the URL of its exchange endpoints, and its
//! signing keys. A key is retired, not deleted, when it is rotated: an envelope signed by a
//! retired key is refused from the moment the receiver holds the new identity.

use std::collections::BTreeMap;

use caravan_docsign::sig::{self, Algorithm};
use caravan_types::CountryCode;
use serde::{Deserialize, Serialize};

/// The `format` member of an identity file.
pub const IDENTITY_FORMAT: &str = "caravan-node/1";
/// Longest key id.
pub const MAX_KID_CHARS: usize = 200;
/// Most keys one identity lists (current and retired).
pub const MAX_KEYS: usize = 32;

/// Why an identity file was refused; each names the member to fix.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IdentityError {
    #[error("the identity is not strict JSON: {0}")]
    Json(String),
    #[error("{field}: {message}")]
    Field { field: String, message: String },
}

fn field(field: impl Into<String>, message: impl Into<String>) -> IdentityError {
    IdentityError::Field { field: field.into(), message: message.into() }
}

/// A national node: who it is and the keys its envelopes are signed with.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NodeIdentity {
    /// [`IDENTITY_FORMAT`].
    pub format: String,
    /// The country whose administration runs the node.
    pub country: CountryCode,
    /// Base URL of the node (`https://…`, or `http://` on loopback and in tests).
    pub url: String,
    /// Current and retired signing keys.
    pub keys: Vec<NodeKey>,
}

/// One signing key of a node.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NodeKey {
    /// The key id a signature's protected header names.
    pub kid: String,
    pub alg: Algorithm,
    /// Hex: the 32-byte Ed25519 key (RFC 8032 §5.1.5), or the 65-byte uncompressed SEC1 SM2
    /// point.
    pub public_key: String,
    /// The SM2 distinguishing identifier (GB/T 32918.2 §5.5), SM2 keys only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sm2_id: Option<String>,
    /// A retired key verifies nothing any more.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub retired: bool,
}

impl NodeKey {
    /// The decoded public key.
    pub fn public_key_bytes(&self) -> Vec<u8> {
        hex::decode(&self.public_key).unwrap_or_default()
    }
}

impl NodeIdentity {
    /// Reads and checks an identity file: strict JSON, [`IDENTITY_FORMAT`], a URL, unique key
    /// ids, keys that decode, and at least one current Ed25519 key.
    ///
    /// # Errors
    /// [`IdentityError`] naming the member.
    pub fn parse(bytes: &[u8]) -> Result<NodeIdentity, IdentityError> {
        let value = caravan_docsign::jcs::parse(bytes)
            .map_err(|err| IdentityError::Json(err.to_string()))?;
        let identity: NodeIdentity =
            serde_json::from_value(value).map_err(|err| IdentityError::Json(err.to_string()))?;
        identity.check()?;
        Ok(identity)
    }

    /// The checks of [`NodeIdentity::parse`] on a value built in code.
    ///
    /// # Errors
    /// [`IdentityError`] naming the member.
    pub fn check(&self) -> Result<(), IdentityError> {
        if self.format != IDENTITY_FORMAT {
            return Err(field("format", format!("must be {IDENTITY_FORMAT}")));
        }
        let rest = self.url.strip_prefix("https://").or_else(|| self.url.strip_prefix("http://"));
        if rest.is_none_or(|rest| rest.is_empty() || rest.contains(char::is_whitespace))
            || self.url.len() > 2_000
        {
            return Err(field("url", "give the node's base URL, https://host[:port][/path]"));
        }
        if self.keys.len() > MAX_KEYS {
            return Err(field("keys", format!("at most {MAX_KEYS} keys")));
        }
        for (idx, key) in self.keys.iter().enumerate() {
            let name = |member: &str| format!("keys[{idx}].{member}");
            if key.kid.is_empty() || key.kid.chars().count() > MAX_KID_CHARS {
                return Err(field(name("kid"), format!("1 to {MAX_KID_CHARS} characters")));
            }
            if self.keys[..idx].iter().any(|other| other.kid == key.kid) {
                return Err(field(name("kid"), format!("{} is listed twice", key.kid)));
            }
            let bytes = hex::decode(&key.public_key)
                .map_err(|_| field(name("public_key"), "must be hex"))?;
            let decodes = match key.alg {
                Algorithm::Ed25519 => sig::ed25519_public_key(&bytes).is_ok(),
                Algorithm::Sm2 => bytes.len() == 65 && bytes[0] == 4,
            };
            if !decodes {
                return Err(field(name("public_key"), format!("not a {} public key", key.alg)));
            }
            if (key.alg == Algorithm::Sm2) != key.sm2_id.is_some() {
                return Err(field(name("sm2_id"), "SM2 keys, and only they, carry an sm2_id"));
            }
        }
        if self.current(Algorithm::Ed25519).next().is_none() {
            return Err(field("keys", "a node signs with at least one current Ed25519 key"));
        }
        Ok(())
    }

    /// The current (not retired) keys of an algorithm.
    pub fn current(&self, alg: Algorithm) -> impl Iterator<Item = &NodeKey> {
        self.keys.iter().filter(move |k| k.alg == alg && !k.retired)
    }

    /// The key named `kid`, current or retired.
    pub fn key(&self, kid: &str) -> Option<&NodeKey> {
        self.keys.iter().find(|k| k.kid == kid)
    }
}

/// The nodes a node trusts, one identity per country.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Peers {
    by_country: BTreeMap<CountryCode, NodeIdentity>,
}

impl Peers {
    pub fn new() -> Peers {
        Peers::default()
    }

    /// Adds a peer, or replaces the identity of its country (a rotation: the new file lists
    /// the retired keys as retired, and they verify nothing from now on).
    ///
    /// # Errors
    /// The identity's own [`IdentityError`].
    pub fn put(&mut self, identity: NodeIdentity) -> Result<(), IdentityError> {
        identity.check()?;
        self.by_country.insert(identity.country, identity);
        Ok(())
    }

    /// Stops trusting a country's node; returns whether it was a peer.
    pub fn remove(&mut self, country: CountryCode) -> bool {
        self.by_country.remove(&country).is_some()
    }

    pub fn get(&self, country: CountryCode) -> Option<&NodeIdentity> {
        self.by_country.get(&country)
    }

    pub fn iter(&self) -> impl Iterator<Item = &NodeIdentity> {
        self.by_country.values()
    }
}
