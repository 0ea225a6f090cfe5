//! Data Integrity EdDSA: the W3C vc-di-eddsa test vectors (tests/data/di-eddsa, PROVENANCE.md)
//! step by step, then each way a proof can be wrong.

use serde_json::json;
use sha2::{Digest, Sha256};

use super::*;

fn vector(file: &str) -> String {
    let path = format!("{}/tests/data/di-eddsa/{file}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(path).unwrap()
}

fn vector_json(file: &str) -> Value {
    serde_json::from_str(&vector(file)).unwrap()
}

/// The W3C test key pair's private key: multibase base58-btc, multicodec `ed25519-priv`
/// (0x1300, varint `80 26`), then the 32-byte seed.
pub(crate) fn w3c_test_key() -> caravan_docsign::sig::PrivateKey {
    let multibase = vector_json("keyPair.json")["privateKeyMultibase"].as_str().unwrap().to_owned();
    let bytes = decode_proof_value(&multibase).unwrap();
    assert_eq!(&bytes[..2], &[0x80, 0x26]);
    let seed: [u8; 32] = bytes[2..].try_into().unwrap();
    caravan_docsign::sig::PrivateKey::from_secret_bytes(Algorithm::Ed25519, &seed, "").unwrap()
}

/// The W3C test key's did:key verification method.
pub(crate) const W3C_TEST_METHOD: &str = "did:key:z6MkrJVnaZkeFzdQyMZu1cgjg7k1pZZ6pvBQ7XJPt4swbTQ2#z6MkrJVnaZkeFzdQyMZu1cgjg7k1pZZ6pvBQ7XJPt4swbTQ2";

/// Adds an eddsa-jcs-2022 proof to `document` as §3.3.1 "Create Proof" does, with the W3C
/// test key.
pub(crate) fn sign_eddsa_jcs_2022(document: &mut Value, created: &str) {
    let mut proof = Map::new();
    proof.insert("type".to_owned(), json!(DATA_INTEGRITY_PROOF));
    proof.insert("cryptosuite".to_owned(), json!(EDDSA_JCS_2022));
    proof.insert("created".to_owned(), json!(created));
    proof.insert("verificationMethod".to_owned(), json!(W3C_TEST_METHOD));
    proof.insert("proofPurpose".to_owned(), json!(ASSERTION_METHOD));
    // Step 2: the proof takes the document's @context.
    if let Some(context) = document.get("@context") {
        proof.insert("@context".to_owned(), context.clone());
    }
    let data = eddsa_jcs_2022_hash_data(document, &proof).unwrap();
    let signature = w3c_test_key().sign(&data);
    proof.insert(
        "proofValue".to_owned(),
        json!(format!("z{}", bs58::encode(signature).into_string())),
    );
    document["proof"] = Value::Object(proof);
}

#[test]
fn w3c_eddsa_jcs_2022_vector_step_by_step() {
    let signed = vector_json("signedJCS.json");
    let proof = signed["proof"].as_object().unwrap();
    // §3.3.3: the canonical document without its proof (canonDocJCS.txt, docHashJCS.txt).
    let mut unsecured = signed.as_object().unwrap().clone();
    unsecured.remove("proof");
    let canonical = jcs::to_canonical(&Value::Object(unsecured));
    assert_eq!(String::from_utf8(canonical.clone()).unwrap(), vector("canonDocJCS.txt").trim());
    assert_eq!(hex::encode(Sha256::digest(&canonical)), vector("docHashJCS.txt").trim());
    // §3.3.5: the canonical proof configuration (proofCanonJCS.txt, proofHashJCS.txt).
    let mut config = proof.clone();
    config.remove("proofValue");
    let canonical_config = jcs::to_canonical(&Value::Object(config));
    assert_eq!(hex::encode(Sha256::digest(&canonical_config)), vector("proofHashJCS.txt").trim());
    assert_eq!(String::from_utf8(canonical_config).unwrap(), vector("proofCanonJCS.txt").trim());
    // §3.3.4: config hash then document hash (combinedHashJCS.txt).
    let hash_data = eddsa_jcs_2022_hash_data(&signed, proof).unwrap();
    assert_eq!(hex::encode(hash_data), vector("combinedHashJCS.txt").trim());
    assert!(vector("combinedHashJCS.txt").trim().starts_with(vector("proofHashJCS.txt").trim()));
    // The signature (sigHexJCS.txt) is the proofValue, and the W3C key signs it the same.
    let signature = decode_proof_value(proof["proofValue"].as_str().unwrap()).unwrap();
    assert_eq!(hex::encode(&signature), vector("sigHexJCS.txt").trim());
    assert_eq!(hex::encode(w3c_test_key().sign(&hash_data)), vector("sigHexJCS.txt").trim());
    // §3.3.2: the whole verification.
    let checked = verify_proofs(&signed).unwrap();
    assert_eq!(checked.len(), 1);
    assert!(matches!(checked[0].outcome, ProofOutcome::Valid { .. }), "{checked:?}");
    assert!(checked[0].self_certifying());
    assert_eq!(
        checked[0].controller.as_deref(),
        Some("did:key:z6MkrJVnaZkeFzdQyMZu1cgjg7k1pZZ6pvBQ7XJPt4swbTQ2")
    );
}

#[track_caller]
fn check_invalid(document: &Value, reason_contains: &str) {
    let checked = verify_proofs(document).unwrap();
    match &checked[0].outcome {
        ProofOutcome::Invalid(reason) => {
            assert!(reason.contains(reason_contains), "{reason:?} lacks {reason_contains:?}")
        }
        other => panic!("expected invalid ({reason_contains}), got {other:?}"),
    }
}

#[test]
fn a_changed_document_or_proof_fails() {
    let signed = vector_json("signedJCS.json");
    let mut doc = signed.clone();
    doc["credentialSubject"]["alumniOf"] = json!("Another School");
    check_invalid(&doc, "does not verify");
    // Members reordered or re-indented: the canonical form is the same, so it still verifies.
    let reordered: Value =
        serde_json::from_str(&serde_json::to_string(&signed["proof"]).unwrap()).unwrap();
    let mut doc = json!({"proof": reordered});
    for (key, value) in signed.as_object().unwrap().iter().rev() {
        if key != "proof" {
            doc[key] = value.clone();
        }
    }
    assert!(matches!(verify_proofs(&doc).unwrap()[0].outcome, ProofOutcome::Valid { .. }));
    // The proof's own members are signed too.
    let mut doc = signed.clone();
    doc["proof"]["created"] = json!("2024-02-24T23:36:38Z");
    check_invalid(&doc, "does not verify");
    let mut doc = signed.clone();
    doc["proof"]["created"] = json!("yesterday");
    check_invalid(&doc, "XML Schema dateTime");
    let mut doc = signed.clone();
    doc["proof"]["proofPurpose"] = json!("authentication");
    check_invalid(&doc, "proofPurpose");
    // §3.3.2 step 4.1: the proof's @context must open the document's.
    let mut doc = signed.clone();
    doc["@context"] = json!(["https://www.w3.org/ns/credentials/v2"]);
    check_invalid(&doc, "@context");
    let mut doc = signed.clone();
    doc["proof"]["proofValue"] = json!("not-multibase");
    check_invalid(&doc, "base58-btc");
    let mut doc = signed.clone();
    doc["proof"]["proofValue"] = json!("z3yMApqCuCjXDWPrbjfR5mjCPTHqFG8Pux1TxQrEM35jj");
    check_invalid(&doc, "64");
    // Another did:key's fragment, and a signature by another key.
    let mut doc = signed.clone();
    doc["proof"]["verificationMethod"] =
        json!("did:key:z6MkrJVnaZkeFzdQyMZu1cgjg7k1pZZ6pvBQ7XJPt4swbTQ2#key-1");
    check_invalid(&doc, "#z6Mkr");
    let mut doc = signed.clone();
    doc["proof"]["verificationMethod"] = json!(
        "did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK#z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK"
    );
    check_invalid(&doc, "does not verify");
    // Not an object, an empty proof set.
    check_invalid(&json!({"proof": "z123"}), "not an object");
    check_invalid(&json!({"proof": []}), "empty");
    assert_eq!(verify_proofs(&json!({"id": "x"})), None);
}

#[track_caller]
fn check_not_checked(document: &Value, why_contains: &str) {
    let checked = verify_proofs(document).unwrap();
    match &checked[0].outcome {
        ProofOutcome::NotChecked(why) => {
            assert!(why.contains(why_contains), "{why:?} lacks {why_contains:?}")
        }
        other => panic!("expected not checked ({why_contains}), got {other:?}"),
    }
}

#[test]
fn what_needs_the_network_is_not_checked() {
    // The W3C eddsa-rdfc-2022 vector: RDF canonicalisation needs the JSON-LD contexts.
    check_not_checked(&vector_json("signedDataInt.json"), "RDFC-1.0");
    // A key in a did:web document.
    let mut doc = vector_json("signedJCS.json");
    doc["proof"]["verificationMethod"] = json!("did:web:issuer.example#key-1");
    check_not_checked(&doc, "fetched over the network");
    let mut doc = vector_json("signedJCS.json");
    doc["proof"]["type"] = json!("Ed25519Signature2020");
    check_not_checked(&doc, "Ed25519Signature2020");
    let mut doc = vector_json("signedJCS.json");
    doc["proof"]["cryptosuite"] = json!("ecdsa-jcs-2019");
    check_not_checked(&doc, "ecdsa-jcs-2019");
}

#[test]
fn a_proof_made_here_verifies_with_and_without_its_context() {
    let mut doc: Value = serde_json::from_str(&vector("signedJCS.json")).unwrap();
    doc.as_object_mut().unwrap().remove("proof");
    sign_eddsa_jcs_2022(&mut doc, "2026-12-07T10:00:00.123+05:00");
    assert!(matches!(verify_proofs(&doc).unwrap()[0].outcome, ProofOutcome::Valid { .. }));
    // A proof signed without @context (step 2 skipped, as the spec warns some do) verifies too.
    let mut bare = doc.clone();
    let mut proof = bare["proof"].as_object().unwrap().clone();
    proof.remove("@context");
    proof.remove("proofValue");
    let data = eddsa_jcs_2022_hash_data(&bare, &proof).unwrap();
    let signature = w3c_test_key().sign(&data);
    proof.insert(
        "proofValue".to_owned(),
        json!(format!("z{}", bs58::encode(signature).into_string())),
    );
    bare["proof"] = Value::Object(proof);
    assert!(matches!(verify_proofs(&bare).unwrap()[0].outcome, ProofOutcome::Valid { .. }));
}

#[test]
fn xml_schema_date_times() {
    for ok in [
        "2023-02-24T23:36:38Z",
        "2023-02-24T23:36:38",
        "2023-02-24T23:36:38.5+05:30",
        "2024-02-29T00:00:00-14:00",
        "-0044-03-15T12:00:00Z",
        "12023-01-01T00:00:00Z",
        "2023-12-31T24:00:00Z",
    ] {
        assert!(is_xsd_date_time(ok), "{ok}");
    }
    for bad in [
        "",
        "2023-02-24",
        "2023-02-24 23:36:38Z",
        "2023-02-29T00:00:00Z",
        "2023-13-01T00:00:00Z",
        "2023-02-24T25:00:00Z",
        "2023-02-24T24:00:01Z",
        "2023-02-24T23:60:00Z",
        "2023-02-24T23:36:38.Z",
        "2023-02-24T23:36:38+15:00",
        "023-02-24T23:36:38Z",
        "02023-02-24T23:36:38Z",
        "2023-2-24T23:36:38Z",
        "2023-02-24T23:36:38ZZ",
        "２０２３-02-24T23:36:38Z",
    ] {
        assert!(!is_xsd_date_time(bad), "{bad}");
    }
}
