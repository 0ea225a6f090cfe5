//! The trust list: which keys speak for which authority, in which country, for which document
//! types, during which period; which key signs each authority's log checkpoints.
//!
//! Rotation is adding a key with a later `validFrom` and giving the old one a `validUntil`;
//! retirement (for example after a compromise) sets `retiredAt`. A key authorises a document
//! only for dates inside `[validFrom, validUntil)` and before `retiredAt`, so certificates
//! signed before a rotation or retirement stay valid and signatures dated after it fail.

use caravan_types::CountryCode;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use crate::credential::{DocumentType, FieldError, format_time, parse_time};
use crate::sig::{self, Algorithm, DEFAULT_SM2_ID};

/// The file form of a trust list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct TrustListFile {
    /// Authorities.
    pub authorities: Vec<AuthorityFile>,
}

/// The file form of one authority.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct AuthorityFile {
    /// Identifier, equal to the `issuer.id` of its certificates.
    pub id: String,
    /// Display name.
    pub name: String,
    /// ISO 3166-1 alpha-2 country.
    pub country: String,
    /// The origin line of its log's checkpoints.
    pub log_id: String,
    /// Its keys, current and past.
    pub keys: Vec<KeyFileEntry>,
}

/// The file form of one key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct KeyFileEntry {
    /// Key id, unique within the authority; proofs name `{authority id}#{kid}`.
    pub kid: String,
    /// `ed25519` or `sm2`.
    pub alg: Algorithm,
    /// Public key, hex.
    pub public_key: String,
    /// SM2 distinguishing identifier (default `1234567812345678`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sm2_id: Option<String>,
    /// Document types it may sign: `origin`, `phyto`, `passport`.
    #[serde(default)]
    pub document_types: Vec<String>,
    /// Whether it signs the authority's log checkpoints.
    #[serde(default)]
    pub signs_checkpoints: bool,
    /// RFC 3339 start of validity.
    pub valid_from: String,
    /// RFC 3339 end of validity (exclusive), after a rotation.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub valid_until: Option<String>,
    /// RFC 3339 time of retirement; signatures dated at or after it fail.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retired_at: Option<String>,
}

/// A checked trust list.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct TrustList {
    /// Authorities.
    pub authorities: Vec<Authority>,
}

/// A checked authority.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Authority {
    /// Identifier.
    pub id: String,
    /// Display name.
    pub name: String,
    /// Country.
    pub country: CountryCode,
    /// Log origin line.
    pub log_id: String,
    /// Keys.
    pub keys: Vec<TrustedKey>,
}

/// A checked key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrustedKey {
    /// Key id.
    pub kid: String,
    /// Algorithm.
    pub alg: Algorithm,
    /// Public key bytes (a valid, not small-order point).
    pub public_key: Vec<u8>,
    /// The Ed25519 key decoded once, for an Ed25519 key.
    pub ed25519: Option<sig::Ed25519Key>,
    /// SM2 distinguishing identifier.
    pub sm2_id: String,
    /// Document types it may sign.
    pub document_types: Vec<DocumentType>,
    /// Whether it signs checkpoints.
    pub signs_checkpoints: bool,
    /// Start of validity.
    pub valid_from: OffsetDateTime,
    /// End of validity (exclusive).
    pub valid_until: Option<OffsetDateTime>,
    /// Retirement time.
    pub retired_at: Option<OffsetDateTime>,
}

impl TrustedKey {
    /// Why the key cannot speak at `at`, or `None` when it can.
    pub fn inactive_reason(&self, at: OffsetDateTime) -> Option<String> {
        if at < self.valid_from {
            return Some(format!(
                "key {} is valid only from {}",
                self.kid,
                format_time(self.valid_from)
            ));
        }
        if let Some(until) = self.valid_until
            && at >= until
        {
            return Some(format!("key {} was rotated out on {}", self.kid, format_time(until)));
        }
        if let Some(retired) = self.retired_at
            && at >= retired
        {
            return Some(format!("key {} was retired on {}", self.kid, format_time(retired)));
        }
        None
    }
}

impl TrustList {
    /// Checks a trust list file, reporting every problem.
    ///
    /// # Errors
    /// Every [`FieldError`], with paths such as `authorities[1].keys[0].publicKey`.
    pub fn from_file(file: &TrustListFile) -> Result<Self, Vec<FieldError>> {
        let mut errors = Vec::new();
        let mut authorities = Vec::new();
        for (a_idx, authority) in file.authorities.iter().enumerate() {
            let path = format!("authorities[{a_idx}]");
            let err = |field: &str, reason: String| FieldError {
                path: format!("{path}.{field}"),
                reason,
            };
            let country = CountryCode::parse(&authority.country)
                .map_err(|e| errors.push(err("country", e.to_string())))
                .ok();
            let mut keys = Vec::new();
            for (k_idx, key) in authority.keys.iter().enumerate() {
                let key_path = format!("keys[{k_idx}]");
                let kerr =
                    |field: &str, reason: String| err(&format!("{key_path}.{field}"), reason);
                let public_key = hex::decode(&key.public_key).unwrap_or_default();
                let sm2_id = key.sm2_id.clone().unwrap_or_else(|| DEFAULT_SM2_ID.to_owned());
                let ed25519 = match key.alg {
                    Algorithm::Ed25519 => sig::Ed25519Key::decode(&public_key).ok(),
                    Algorithm::Sm2 => None,
                };
                let key_ok = match key.alg {
                    Algorithm::Ed25519 => ed25519.is_some(),
                    Algorithm::Sm2 => {
                        sm2::dsa::VerifyingKey::from_sec1_bytes(&sm2_id, &public_key).is_ok()
                    }
                };
                if !key_ok {
                    errors.push(kerr(
                        "publicKey",
                        format!("is not a valid {} public key in hex", key.alg),
                    ));
                }
                let mut document_types = Vec::new();
                for name in &key.document_types {
                    match DocumentType::parse(name) {
                        Some(doc_type) => document_types.push(doc_type),
                        None => errors.push(kerr(
                            "documentTypes",
                            format!("unknown type {name:?} (origin, phyto, passport)"),
                        )),
                    }
                }
                let time = |field: &str, text: &str| {
                    parse_time(text, field).map_err(|e| kerr(field, e.reason))
                };
                let valid_from =
                    time("validFrom", &key.valid_from).map_err(|e| errors.push(e)).ok();
                let valid_until = key.valid_until.as_deref().map(|t| time("validUntil", t));
                let retired_at = key.retired_at.as_deref().map(|t| time("retiredAt", t));
                let valid_until = match valid_until.transpose() {
                    Ok(v) => v,
                    Err(e) => {
                        errors.push(e);
                        None
                    }
                };
                let retired_at = match retired_at.transpose() {
                    Ok(v) => v,
                    Err(e) => {
                        errors.push(e);
                        None
                    }
                };
                if let Some(valid_from) = valid_from
                    && key_ok
                {
                    keys.push(TrustedKey {
                        kid: key.kid.clone(),
                        alg: key.alg,
                        public_key,
                        ed25519,
                        sm2_id,
                        document_types,
                        signs_checkpoints: key.signs_checkpoints,
                        valid_from,
                        valid_until,
                        retired_at,
                    });
                }
            }
            if let Some(country) = country {
                authorities.push(Authority {
                    id: authority.id.clone(),
                    name: authority.name.clone(),
                    country,
                    log_id: authority.log_id.clone(),
                    keys,
                });
            }
        }
        if errors.is_empty() { Ok(Self { authorities }) } else { Err(errors) }
    }

    /// The authority with identifier `id`.
    pub fn authority(&self, id: &str) -> Option<&Authority> {
        self.authorities.iter().find(|a| a.id == id)
    }

    /// The authority whose log has origin line `log_id`.
    pub fn authority_by_log(&self, log_id: &str) -> Option<&Authority> {
        self.authorities.iter().find(|a| a.log_id == log_id)
    }

    /// The authority and key named by a verification method `{authority id}#{kid}`.
    pub fn key(&self, verification_method: &str) -> Option<(&Authority, &TrustedKey)> {
        let (authority_id, kid) = verification_method.rsplit_once('#')?;
        let authority = self.authority(authority_id)?;
        let key = authority.keys.iter().find(|k| k.kid == kid)?;
        Some((authority, key))
    }
}

#[cfg(test)]
mod tests;
