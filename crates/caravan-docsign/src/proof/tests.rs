//! Unit tests of `proof`.
use serde_json::json;

use super::*;
use crate::sig::DEFAULT_SM2_ID;

fn time() -> OffsetDateTime {
    OffsetDateTime::parse("2026-06-01T10:00:00Z", &time::format_description::well_known::Rfc3339)
        .unwrap()
}

#[test]
fn eddsa_jcs_2022_proof_signs_config_hash_then_document_hash() {
    let key = PrivateKey::from_secret_bytes(Algorithm::Ed25519, &[3u8; 32], "").unwrap();
    let mut credential =
        json!({"@context": ["https://www.w3.org/ns/credentials/v2"], "id": "urn:x", "b": 1});
    add_proof(&mut credential, &key, "urn:a#k1", time());
    let proof = credential["proof"][0].as_object().unwrap();
    assert_eq!(proof["cryptosuite"], EDDSA_CRYPTOSUITE);
    let parsed = parse_proof(proof, &credential, &unsecured_canonical(&credential)).unwrap();
    // Recompute what eddsa-jcs-2022 §3.3.4 says is signed, independently.
    let config = json!({
        "@context": ["https://www.w3.org/ns/credentials/v2"], "type": "DataIntegrityProof", "cryptosuite": "eddsa-jcs-2022",
        "created": "2026-06-01T10:00:00Z", "verificationMethod": "urn:a#k1", "proofPurpose": "assertionMethod"
    });
    let mut expected = Sha256::digest(jcs::to_canonical(&config)).to_vec();
    expected.extend(Sha256::digest(
        br#"{"@context":["https://www.w3.org/ns/credentials/v2"],"b":1,"id":"urn:x"}"#,
    ));
    assert_eq!(parsed.signed_data.to_vec(), expected);
    sig::verify(Algorithm::Ed25519, &key.public_key(), &parsed.signed_data, &parsed.signature, "")
        .unwrap();
}

#[test]
fn a_proof_set_of_ed25519_and_sm2_covers_the_same_document() {
    let ed = PrivateKey::from_secret_bytes(Algorithm::Ed25519, &[3u8; 32], "").unwrap();
    let sm = PrivateKey::from_secret_bytes(Algorithm::Sm2, &[4u8; 32], DEFAULT_SM2_ID).unwrap();
    let mut credential = json!({"@context": ["https://www.w3.org/ns/credentials/v2"], "x": "y"});
    add_proof(&mut credential, &ed, "urn:a#ed", time());
    add_proof(&mut credential, &sm, "urn:a#sm", time());
    let canonical = unsecured_canonical(&credential);
    for (idx, key) in [(0, &ed), (1, &sm)] {
        let parsed =
            parse_proof(credential["proof"][idx].as_object().unwrap(), &credential, &canonical)
                .unwrap();
        assert_eq!(parsed.alg, key.algorithm());
        sig::verify(
            parsed.alg,
            &key.public_key(),
            &parsed.signed_data,
            &parsed.signature,
            DEFAULT_SM2_ID,
        )
        .unwrap();
    }
}

#[test]
fn malformed_proofs_are_named() {
    let credential = json!({"a": 1});
    let proof = json!({"type": "DataIntegrityProof", "cryptosuite": "rsa-2000", "verificationMethod": "x", "proofValue": "z1"});
    assert_eq!(
        parse_proof(proof.as_object().unwrap(), &credential, b"{}"),
        Err(ProofValueError::UnknownCryptosuite("rsa-2000".to_owned()))
    );
    assert_eq!(decode_proof_value("uABC"), Err(ProofValueError::BadEncoding));
    assert_eq!(decode_proof_value("z0OIl"), Err(ProofValueError::BadEncoding));
}
