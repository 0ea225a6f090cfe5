//! Unit tests of `jws`.
use serde_json::json;

use super::*;

#[test]
fn jws_round_trips_and_refuses_changes() {
    let key = PrivateKey::from_secret_bytes(sig::Algorithm::Ed25519, &[5u8; 32], "").unwrap();
    let credential =
        json!({"@context": ["https://www.w3.org/ns/credentials/v2"], "id": "urn:x", "proof": [1]});
    let token = to_jws(&credential, &key, "urn:a#k1").unwrap();
    let jws = parse_jws(&token).unwrap();
    assert_eq!(jws.kid(), Some("urn:a#k1"));
    assert_eq!(
        jws.payload,
        json!({"@context": ["https://www.w3.org/ns/credentials/v2"], "id": "urn:x"})
    );
    jws.verify(&key.public_key()).unwrap();
    // Change one character of the payload part.
    let mut parts: Vec<String> = token.split('.').map(str::to_owned).collect();
    let payload = URL_SAFE_NO_PAD
        .encode(br#"{"@context":["https://www.w3.org/ns/credentials/v2"],"id":"urn:y"}"#);
    parts[1] = payload;
    let forged = parse_jws(&parts.join(".")).unwrap();
    assert!(forged.verify(&key.public_key()).is_err());
    assert_eq!(parse_jws("a.b"), Err(JwsError::Shape));
    let sm2 =
        PrivateKey::from_secret_bytes(sig::Algorithm::Sm2, &[5u8; 32], "1234567812345678").unwrap();
    assert_eq!(to_jws(&credential, &sm2, "k"), Err(JwsError::NotEd25519));
}

#[test]
fn jws_header_must_say_eddsa() {
    let header = URL_SAFE_NO_PAD.encode(br#"{"alg":"none"}"#);
    let payload = URL_SAFE_NO_PAD.encode(b"{}");
    assert!(matches!(parse_jws(&format!("{header}.{payload}.")), Err(JwsError::Header(_))));
}
