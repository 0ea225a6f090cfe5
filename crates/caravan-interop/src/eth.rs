//! Ethereum primitives the OpenAttestation proofs use, from maintained crates: Keccak-256
//! (`sha3`), EIP-191 personal-message hashing and secp256k1 public-key recovery (`k256`).

use k256::ecdsa::{RecoveryId, Signature, VerifyingKey};
use sha3::{Digest as _, Keccak256};

/// Keccak-256 (the pre-standard padding Ethereum uses, not SHA3-256).
pub(crate) fn keccak256(bytes: &[u8]) -> [u8; 32] {
    Keccak256::digest(bytes).into()
}

/// The address that signed `message` as an EIP-191 version 0x45 personal message
/// (`"\x19Ethereum Signed Message:\n" + len + message`), as ethers' `verifyMessage` does, from a
/// 65-byte `r || s || v` signature (v 27/28 or 0/1). Lowercase hex with `0x`.
pub(crate) fn recover_personal_sign(message: &[u8], signature: &[u8]) -> Result<String, String> {
    if signature.len() != 65 {
        return Err(format!("a signature is 65 bytes (r, s, v), got {}", signature.len()));
    }
    let mut prefixed = format!("\u{19}Ethereum Signed Message:\n{}", message.len()).into_bytes();
    prefixed.extend_from_slice(message);
    let digest = keccak256(&prefixed);
    let v = signature[64];
    let recovery = match v {
        27 | 28 => v - 27,
        0 | 1 => v,
        _ => return Err(format!("recovery byte v must be 27 or 28, got {v}")),
    };
    let sig = Signature::from_slice(&signature[..64])
        .map_err(|e| format!("signature is not a valid (r, s): {e}"))?;
    let recovery_id = RecoveryId::from_byte(recovery).ok_or("recovery byte out of range")?;
    let key = VerifyingKey::recover_from_prehash(&digest, &sig, recovery_id)
        .map_err(|e| format!("no public key recovers from this signature: {e}"))?;
    Ok(address_of(&key))
}

/// The Ethereum address of a public key: the last 20 bytes of Keccak-256 of its uncompressed
/// coordinates.
pub(crate) fn address_of(key: &VerifyingKey) -> String {
    let point = key.to_encoded_point(false);
    let hash = keccak256(&point.as_bytes()[1..]);
    format!("0x{}", hex::encode(&hash[12..]))
}
