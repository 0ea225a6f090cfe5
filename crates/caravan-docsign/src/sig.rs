//! Signature algorithms: Ed25519 (RFC 8032) with strict verification, and SM2 with SM3
//! (GB/T 32918.2-2016 signatures on the GB/T 32918.5-2017 curve, GB/T 32905-2016 hash).
//!
//! Keys are created from caller-supplied seed bytes so that this crate never reads a random
//! source; shells pass bytes from the operating system's generator.

use std::fmt;

use ed25519_dalek::Signer as _;
use serde::{Deserialize, Serialize};
use sm2::elliptic_curve::sec1::ToEncodedPoint as _;

/// The SM2 distinguishing identifier used when none is given: the GM/T 0009-2012 default
/// `1234567812345678`, which OpenSSL and gmssl also use.
pub const DEFAULT_SM2_ID: &str = "1234567812345678";

/// A signature algorithm.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Algorithm {
    /// Ed25519, RFC 8032 §5.1, verified strictly (canonical `S`, no small-order `R` or key).
    Ed25519,
    /// SM2 digital signature with SM3, GB/T 32918.2-2016 §6–7, curve sm2p256v1.
    Sm2,
}

impl Algorithm {
    /// The name used in key files, trust lists and on the command line.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Ed25519 => "ed25519",
            Self::Sm2 => "sm2",
        }
    }

    /// Parses `ed25519` or `sm2` (case-insensitive).
    ///
    /// # Errors
    /// [`SignatureError::UnknownAlgorithm`] for any other name.
    pub fn parse(text: &str) -> Result<Self, SignatureError> {
        match text.to_ascii_lowercase().as_str() {
            "ed25519" | "eddsa" => Ok(Self::Ed25519),
            "sm2" => Ok(Self::Sm2),
            _ => Err(SignatureError::UnknownAlgorithm(text.to_owned())),
        }
    }
}

impl fmt::Display for Algorithm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Why a key or signature was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    #[error("unknown signature algorithm {0:?} (expected ed25519 or sm2)")]
    UnknownAlgorithm(String),
    #[error("{alg} public key is not a valid encoding ({len} bytes)")]
    BadPublicKey { alg: Algorithm, len: usize },
    #[error("{alg} private key is not valid")]
    BadPrivateKey { alg: Algorithm },
    #[error("{alg} signature must be 64 bytes, got {len}")]
    BadSignatureLength { alg: Algorithm, len: usize },
    #[error("{alg} signature does not verify")]
    Invalid { alg: Algorithm },
}

/// A private signing key.
#[derive(Clone)]
pub enum PrivateKey {
    /// An Ed25519 key (its 32-byte seed).
    Ed25519(Box<ed25519_dalek::SigningKey>),
    /// An SM2 key with the distinguishing identifier it signs under.
    Sm2(Box<sm2::dsa::SigningKey>),
}

impl fmt::Debug for PrivateKey {
    /// Never prints key material.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PrivateKey({}, public {})", self.algorithm(), hex::encode(self.public_key()))
    }
}

impl PrivateKey {
    /// A key from 32 secret bytes. For Ed25519 the bytes are the RFC 8032 §5.1.5 seed; for SM2
    /// they are the private scalar `d`, which must lie in `[1, n-2]`.
    ///
    /// # Errors
    /// [`SignatureError::BadPrivateKey`] when the SM2 scalar is out of range (draw new bytes).
    pub fn from_secret_bytes(
        alg: Algorithm,
        secret: &[u8; 32],
        sm2_id: &str,
    ) -> Result<Self, SignatureError> {
        match alg {
            Algorithm::Ed25519 => {
                Ok(Self::Ed25519(Box::new(ed25519_dalek::SigningKey::from_bytes(secret))))
            }
            Algorithm::Sm2 => sm2::dsa::SigningKey::from_slice(sm2_id, secret)
                .map(|key| Self::Sm2(Box::new(key)))
                .map_err(|_| SignatureError::BadPrivateKey { alg }),
        }
    }

    /// The algorithm.
    pub fn algorithm(&self) -> Algorithm {
        match self {
            Self::Ed25519(_) => Algorithm::Ed25519,
            Self::Sm2(_) => Algorithm::Sm2,
        }
    }

    /// The 32 secret bytes (the inverse of [`PrivateKey::from_secret_bytes`]).
    pub fn secret_bytes(&self) -> [u8; 32] {
        match self {
            Self::Ed25519(key) => key.to_bytes(),
            Self::Sm2(key) => key.to_bytes().into(),
        }
    }

    /// The public key: 32 bytes for Ed25519 (RFC 8032 §5.1.2), the 65-byte uncompressed SEC1
    /// point `04 || x || y` for SM2.
    pub fn public_key(&self) -> Vec<u8> {
        match self {
            Self::Ed25519(key) => key.verifying_key().to_bytes().to_vec(),
            Self::Sm2(key) => {
                key.verifying_key().as_affine().to_encoded_point(false).as_bytes().to_vec()
            }
        }
    }

    /// The SM2 distinguishing identifier, if this is an SM2 key.
    pub fn sm2_id(&self) -> Option<&str> {
        match self {
            Self::Ed25519(_) => None,
            Self::Sm2(key) => Some(key.distid()),
        }
    }

    /// Signs `message`: RFC 8032 §5.1.6 for Ed25519; GB/T 32918.2 §6.1 over `ZA || M` for SM2,
    /// with the per-signature `k` derived as in RFC 6979 (deterministic, as the standard allows
    /// any secret, unique `k`).
    pub fn sign(&self, message: &[u8]) -> [u8; 64] {
        match self {
            Self::Ed25519(key) => key.sign(message).to_bytes(),
            Self::Sm2(key) => {
                let signature: sm2::dsa::Signature =
                    sm2::dsa::signature::Signer::sign(key.as_ref(), message);
                signature.to_bytes()
            }
        }
    }
}

/// Verifies `signature` on `message` under `public_key`. `sm2_id` is the SM2 distinguishing
/// identifier (ignored for Ed25519).
///
/// Ed25519 uses `verify_strict`: it rejects `S >= L` (RFC 8032 §5.1.7 step 1), non-canonical
/// point encodings, and small-order `R` or public keys, so a signature cannot be malleated.
///
/// # Errors
/// [`SignatureError`] naming the problem.
pub fn verify(
    alg: Algorithm,
    public_key: &[u8],
    message: &[u8],
    signature: &[u8],
    sm2_id: &str,
) -> Result<(), SignatureError> {
    let signature: &[u8; 64] = signature
        .try_into()
        .map_err(|_| SignatureError::BadSignatureLength { alg, len: signature.len() })?;
    match alg {
        Algorithm::Ed25519 => {
            let key = ed25519_public_key(public_key)?;
            key.verify_strict(message, &ed25519_dalek::Signature::from_bytes(signature))
                .map_err(|_| SignatureError::Invalid { alg })
        }
        Algorithm::Sm2 => {
            let key = sm2::dsa::VerifyingKey::from_sec1_bytes(sm2_id, public_key)
                .map_err(|_| SignatureError::BadPublicKey { alg, len: public_key.len() })?;
            let signature = sm2::dsa::Signature::from_bytes(signature)
                .map_err(|_| SignatureError::Invalid { alg })?;
            sm2::dsa::signature::Verifier::verify(&key, message, &signature)
                .map_err(|_| SignatureError::Invalid { alg })
        }
    }
}

/// Decodes an Ed25519 public key, refusing encodings that are not points and small-order keys.
///
/// # Errors
/// [`SignatureError::BadPublicKey`].
pub fn ed25519_public_key(
    public_key: &[u8],
) -> Result<ed25519_dalek::VerifyingKey, SignatureError> {
    let bad = || SignatureError::BadPublicKey { alg: Algorithm::Ed25519, len: public_key.len() };
    let bytes: &[u8; 32] = public_key.try_into().map_err(|_| bad())?;
    ed25519_dalek::VerifyingKey::from_bytes(bytes).map_err(|_| bad())
}

/// An Ed25519 public key decoded once (point decompression is a field exponentiation, about a
/// tenth of a verification), with what batch verification needs to know about it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Ed25519Key {
    key: ed25519_dalek::VerifyingKey,
    /// No small-order component: only then does the batch equation decide exactly as
    /// [`verify`] does for signatures under this key.
    torsion_free: bool,
}

impl Ed25519Key {
    /// Decodes a public key as [`ed25519_public_key`] does, also refusing small-order keys.
    ///
    /// # Errors
    /// [`SignatureError::BadPublicKey`].
    pub fn decode(public_key: &[u8]) -> Result<Self, SignatureError> {
        let key = ed25519_public_key(public_key)?;
        if key.is_weak() {
            return Err(SignatureError::BadPublicKey {
                alg: Algorithm::Ed25519,
                len: public_key.len(),
            });
        }
        Ok(Ed25519Key { key, torsion_free: key.to_edwards().is_torsion_free() })
    }

    /// The 32-byte encoding.
    pub fn as_bytes(&self) -> &[u8; 32] {
        self.key.as_bytes()
    }
}

/// One Ed25519 signature to check, owned so that it can wait for a batch on another thread.
#[derive(Debug, Clone)]
pub struct Ed25519Check {
    /// The signer's key.
    pub key: Ed25519Key,
    /// The signed bytes.
    pub message: Vec<u8>,
    /// The signature, `R || S`.
    pub signature: [u8; 64],
}

impl Ed25519Check {
    /// Verifies this one signature exactly as [`verify`] does (`verify_strict`).
    ///
    /// # Errors
    /// [`SignatureError::Invalid`].
    pub fn verify(&self) -> Result<(), SignatureError> {
        self.key
            .key
            .verify_strict(&self.message, &ed25519_dalek::Signature::from_bytes(&self.signature))
            .map_err(|_| SignatureError::Invalid { alg: Algorithm::Ed25519 })
    }

    /// Whether the batch equation decides this signature as [`Ed25519Check::verify`] does:
    /// a torsion-free key, an `R` encoded canonically (`y < p`, which `verify_strict` requires
    /// by comparing encodings) and not of small order. The one case left is an `R` with a
    /// small-order component (neither canonical-encoding nor small-order), which only the
    /// key's holder can make and which the batch equation refuses unless the random
    /// coefficients cancel it; [`verify_ed25519_checks`] is for keys of a trust list, whose
    /// holders are the issuers the verifier trusts.
    fn batchable(&self) -> bool {
        let r: &[u8; 32] = self.signature.first_chunk().unwrap_or(&[0; 32]);
        self.key.torsion_free && canonical_y(r) && !small_order_encoding(r)
    }
}

/// Whether the y coordinate of a point encoding (RFC 8032 §5.1.3: 255 bits little-endian,
/// the top bit the sign of x) is below p = 2^255 - 19.
fn canonical_y(encoding: &[u8; 32]) -> bool {
    let high = encoding[31] & 0x7f;
    !(high == 0x7f && encoding[1..31].iter().all(|&b| b == 0xff) && encoding[0] >= 0xed)
}

/// Whether a canonically encoded point is one of the eight points of small order, compared on
/// y alone (the sign bit of x cannot move a point out of the torsion subgroup).
fn small_order_encoding(encoding: &[u8; 32]) -> bool {
    static SMALL_ORDER_Y: std::sync::LazyLock<Vec<[u8; 32]>> = std::sync::LazyLock::new(|| {
        curve25519_dalek::constants::EIGHT_TORSION
            .iter()
            .map(|point| {
                let mut y = point.compress().to_bytes();
                y[31] &= 0x7f;
                y
            })
            .collect()
    });
    let mut y = *encoding;
    y[31] &= 0x7f;
    SMALL_ORDER_Y.contains(&y)
}

/// Verifies many Ed25519 signatures at once with the batch equation (one multi-scalar
/// multiplication, [`batch_equation_holds`]), a fraction of the cost per signature of checking
/// them one by one. A signature the batch equation might decide differently from [`verify`]
/// for a reason that can be seen in its bytes or key (see [`Ed25519Check::batchable`]) is
/// checked alone; so is every signature of a batch that fails. Each result is then
/// [`Ed25519Check::verify`]'s, but for the one case `batchable` describes: a signature whose
/// `R` its own signer gave a small-order component, accepted by a passing batch with the small
/// probability that the batch's coefficients cancel that component.
pub fn verify_ed25519_checks(checks: &[&Ed25519Check]) -> Vec<Result<(), SignatureError>> {
    let batchable: Vec<bool> = checks.iter().map(|c| c.batchable()).collect();
    let batch: Vec<&Ed25519Check> =
        checks.iter().zip(&batchable).filter(|(_, ok)| **ok).map(|(c, _)| *c).collect();
    let batch_holds = batch.len() >= 2 && batch_equation_holds(&batch);
    checks
        .iter()
        .zip(batchable)
        .map(|(check, ok)| if ok && batch_holds { Ok(()) } else { check.verify() })
        .collect()
}

/// The batch equation of Ed25519 (Bernstein et al., "High-speed high-security signatures",
/// §5; the one ed25519-dalek's `verify_batch` checks):
/// `[-Σ zᵢsᵢ]B + Σ [zᵢ]Rᵢ + Σ [zᵢkᵢ]Aᵢ = 0`, with `kᵢ = SHA-512(Rᵢ ‖ Aᵢ ‖ Mᵢ) mod ℓ`
/// (RFC 8032 §5.1.7 step 2) and 128-bit coefficients `zᵢ` derived from a hash of the whole
/// batch (so nobody can choose signatures that cancel under them). Unlike ed25519-dalek's,
/// the terms of one key are summed first, `[Σ zᵢkᵢ]A`: a batch of certificates has a handful
/// of issuer and log keys, so the multiplication has about half as many points.
/// `S` must be canonical (`S < ℓ`, RFC 8032 §5.1.7 step 1) and `R` must decode.
fn batch_equation_holds(checks: &[&Ed25519Check]) -> bool {
    use curve25519_dalek::edwards::CompressedEdwardsY;
    use curve25519_dalek::traits::{IsIdentity as _, VartimeMultiscalarMul as _};
    use curve25519_dalek::{EdwardsPoint, Scalar};
    use sha2::{Digest as _, Sha512};

    let mut transcript = Sha512::new();
    transcript.update(b"caravan ed25519 batch equation v1");
    let mut parts = Vec::with_capacity(checks.len());
    for check in checks {
        let (r_bytes, s_bytes) = check.signature.split_at(32);
        let (Ok(r_bytes), Ok(s_bytes)) =
            (<[u8; 32]>::try_from(r_bytes), <[u8; 32]>::try_from(s_bytes))
        else {
            return false;
        };
        let Some(s) = Option::<Scalar>::from(Scalar::from_canonical_bytes(s_bytes)) else {
            return false;
        };
        let Some(r) = CompressedEdwardsY(r_bytes).decompress() else { return false };
        let k = Scalar::from_bytes_mod_order_wide(
            &Sha512::new()
                .chain_update(r_bytes)
                .chain_update(check.key.as_bytes())
                .chain_update(&check.message)
                .finalize()
                .into(),
        );
        transcript.update(r_bytes);
        transcript.update(check.key.as_bytes());
        transcript.update(k.as_bytes());
        transcript.update(s_bytes);
        parts.push((r, s, k));
    }
    let seed = transcript.finalize();
    let mut b_coefficient = Scalar::ZERO;
    let mut scalars = Vec::with_capacity(checks.len() + 8);
    let mut points = Vec::with_capacity(checks.len() + 8);
    let mut keys: Vec<(&Ed25519Key, Scalar)> = Vec::new();
    for (i, (check, (r, s, k))) in checks.iter().zip(parts).enumerate() {
        let wide =
            Sha512::new().chain_update(seed).chain_update((i as u64).to_le_bytes()).finalize();
        let mut z_bytes = [0u8; 16];
        z_bytes.copy_from_slice(&wide[..16]);
        let z = Scalar::from(u128::from_le_bytes(z_bytes));
        b_coefficient -= z * s;
        scalars.push(z);
        points.push(r);
        match keys.iter_mut().find(|(key, _)| **key == check.key) {
            Some((_, sum)) => *sum += z * k,
            None => keys.push((&check.key, z * k)),
        }
    }
    for (key, sum) in keys {
        scalars.push(sum);
        points.push(key.key.to_edwards());
    }
    scalars.push(b_coefficient);
    points.push(curve25519_dalek::constants::ED25519_BASEPOINT_POINT);
    EdwardsPoint::vartime_multiscalar_mul(&scalars, &points).is_identity()
}

/// Verifies many Ed25519 signatures given as (public key, message, signature) in one batch.
///
/// # Errors
/// The first key that does not decode, or [`SignatureError::Invalid`] when any signature
/// fails (verify one by one to find which).
pub fn verify_ed25519_batch(items: &[(&[u8], &[u8], &[u8; 64])]) -> Result<(), SignatureError> {
    let checks = items
        .iter()
        .map(|(key, message, signature)| {
            Ok(Ed25519Check {
                key: Ed25519Key::decode(key)?,
                message: message.to_vec(),
                signature: **signature,
            })
        })
        .collect::<Result<Vec<_>, SignatureError>>()?;
    let refs: Vec<&Ed25519Check> = checks.iter().collect();
    verify_ed25519_checks(&refs).into_iter().collect()
}

/// SM3 hash (GB/T 32905-2016).
pub fn sm3(data: &[u8]) -> [u8; 32] {
    use sm3::Digest as _;
    sm3::Sm3::digest(data).into()
}

/// A key file's content: the algorithm, the secret and public keys in hex, and for SM2 the
/// distinguishing identifier. Shells store it with owner-only permissions.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct KeyFile {
    /// `ed25519` or `sm2`.
    pub alg: Algorithm,
    /// Secret key bytes, hex.
    pub secret_key: String,
    /// Public key bytes, hex (for reference; recomputed and checked on load).
    pub public_key: String,
    /// SM2 distinguishing identifier.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sm2_id: Option<String>,
}

/// Why a key file could not be loaded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KeyFileError {
    #[error("secretKey is not 32 bytes of hex")]
    BadSecret,
    #[error("publicKey does not match the secret key")]
    PublicKeyMismatch,
    #[error(transparent)]
    Key(#[from] SignatureError),
}

impl KeyFile {
    /// The key file for `key`.
    pub fn from_key(key: &PrivateKey) -> Self {
        Self {
            alg: key.algorithm(),
            secret_key: hex::encode(key.secret_bytes()),
            public_key: hex::encode(key.public_key()),
            sm2_id: key.sm2_id().map(str::to_owned),
        }
    }

    /// The key this file holds.
    ///
    /// # Errors
    /// [`KeyFileError`] when the secret is malformed or the public key does not match it.
    pub fn to_key(&self) -> Result<PrivateKey, KeyFileError> {
        let secret: [u8; 32] = hex::decode(&self.secret_key)
            .ok()
            .and_then(|b| b.try_into().ok())
            .ok_or(KeyFileError::BadSecret)?;
        let key = PrivateKey::from_secret_bytes(
            self.alg,
            &secret,
            self.sm2_id.as_deref().unwrap_or(DEFAULT_SM2_ID),
        )?;
        if !self.public_key.eq_ignore_ascii_case(&hex::encode(key.public_key())) {
            return Err(KeyFileError::PublicKeyMismatch);
        }
        Ok(key)
    }
}

#[cfg(test)]
mod tests;
