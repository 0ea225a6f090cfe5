//! UNTP: our certificates of origin and passports go out as UNTP credentials and come back
//! with every field.

use caravan_docsign::credential::sample_subject;
use serde_json::json;

use super::*;

fn ours(doc_type: DocumentType) -> Value {
    json!({
        "@context": [VC_V2_CONTEXT, CARAVAN_CONTEXT],
        "id": "urn:uuid:0d9d7b5e-8a44-4c8e-9b0b-6f3c1f0e2a11",
        "type": ["VerifiableCredential", doc_type.credential_types()[0], doc_type.credential_types()[1]],
        "issuer": {"id": "did:web:chamber.kz", "name": "Chamber of Commerce", "country": "KZ"},
        "validFrom": "2026-06-01T10:00:00Z",
        "credentialSubject": sample_subject(doc_type),
    })
}

#[test]
fn origin_and_passport_round_trip_through_untp() {
    for (doc_type, context, kind) in [
        (DocumentType::Origin, DCC_CONTEXT, "DigitalConformityCredential"),
        (DocumentType::Passport, DPP_CONTEXT, "DigitalProductPassport"),
    ] {
        let cert = ours(doc_type);
        let untp = export(&cert).unwrap();
        assert_eq!(untp["@context"][1], context);
        assert_eq!(untp["type"][1], kind);
        let (back_type, subject) = read(&untp).unwrap();
        assert_eq!(back_type, doc_type);
        assert_eq!(subject, cert["credentialSubject"], "{doc_type}: {untp:#}");
        let verdict = verify(&untp);
        assert_eq!(
            verdict.status(),
            crate::verdict::Status::IncompleteOffline,
            "{}",
            verdict.to_text()
        );
    }
}

#[test]
fn a_phytosanitary_certificate_is_not_exported_as_untp() {
    assert!(matches!(export(&ours(DocumentType::Phyto)), Err(UntpError::Unsupported(_))));
}

/// UNTP's own sample credentials (uncefact/tests-untp, tests/data/PROVENANCE.md), read-only.
fn tests_untp(file: &str) -> Value {
    let path = format!("{}/tests/data/untp/{file}", env!("CARGO_MANIFEST_DIR"));
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

/// The status of each check of `verdict`, in order, for a one-line comparison.
fn outcomes(verdict: &Verdict) -> Vec<(String, &'static str)> {
    use crate::verdict::Outcome;
    verdict
        .checks
        .iter()
        .map(|c| {
            let word = match c.outcome {
                Outcome::Valid(_) => "valid",
                Outcome::Invalid(_) => "invalid",
                Outcome::NotChecked(_) => "not_checked",
            };
            (c.name.clone(), word)
        })
        .collect()
}

#[track_caller]
fn check(credential: &Value, expect: &[(&str, &str)], status: crate::verdict::Status) {
    let verdict = verify(credential);
    let expect: Vec<(String, &str)> = expect.iter().map(|(n, o)| ((*n).to_owned(), *o)).collect();
    assert_eq!(outcomes(&verdict), expect, "{}", verdict.to_text());
    assert_eq!(verdict.status(), status, "{}", verdict.to_text());
}

#[test]
fn tests_untp_unsigned_samples_are_well_formed_and_say_they_carry_no_proof() {
    use crate::verdict::Status;
    for file in [
        "DigitalConformityCredential_instance-v0.5.0.json",
        "DigitalProductPassport_instance-v0.5.0.json",
        "conformity-credential-simple.json",
        "product-passport-simple.json",
    ] {
        let credential = tests_untp(file);
        assert_eq!(
            crate::detect::detect(credential.to_string().as_bytes()).unwrap(),
            crate::detect::Format::Untp,
            "{file}"
        );
        check(
            &credential,
            &[("structure", "valid"), ("schema", "not_checked"), ("signature", "not_checked")],
            Status::IncompleteOffline,
        );
        let verdict = verify(&credential);
        assert_eq!(verdict.document_id.as_deref(), string_at(&credential, &["id"]), "{file}");
        assert!(verdict.to_text().contains("carries no proof"), "{file}");
    }
    // Without a subject it is no credential at all.
    let mut broken = tests_untp("product-passport-simple.json");
    broken.as_object_mut().unwrap().remove("credentialSubject");
    check(
        &broken,
        &[("structure", "invalid"), ("schema", "not_checked"), ("signature", "not_checked")],
        Status::Invalid,
    );
}

/// Re-signs nothing: swaps the JWS payload for `payload`, keeping the original signature.
fn with_payload(envelope: &Value, payload: &Value) -> Value {
    use base64::Engine as _;
    let engine = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let id = envelope["id"].as_str().unwrap();
    let (prefix, compact) = id.split_once(',').unwrap();
    let parts: Vec<&str> = compact.split('.').collect();
    let body = engine.encode(serde_json::to_vec(payload).unwrap());
    let mut out = envelope.clone();
    out["id"] = json!(format!("{prefix},{}.{body}.{}", parts[0], parts[2]));
    out
}

fn payload_of(envelope: &Value) -> Value {
    use base64::Engine as _;
    let compact = envelope["id"].as_str().unwrap().split_once(',').unwrap().1;
    let body = compact.split('.').nth(1).unwrap();
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(body).unwrap();
    serde_json::from_slice(&bytes).unwrap()
}

#[test]
fn tests_untp_enveloped_passport_verifies_and_a_tampered_one_fails_its_signature() {
    use crate::verdict::Status;
    let envelope = tests_untp("valid-v2-enveloped-dpp.json");
    let verdict = verify(&envelope);
    check(
        &envelope,
        &[
            ("well-formed", "valid"),
            ("structure", "valid"),
            ("schema", "not_checked"),
            ("signature", "valid"),
            ("identity", "not_checked"),
            ("revocation", "not_checked"),
        ],
        Status::IncompleteOffline,
    );
    assert_eq!(verdict.issuer.as_deref(), Some("Example Company Pty Ltd"), "{}", verdict.to_text());

    // One value of the signed credential changed: the signature no longer holds.
    let mut payload = payload_of(&envelope);
    payload["credentialSubject"]["name"] = json!("Another product");
    check(
        &with_payload(&envelope, &payload),
        &[
            ("well-formed", "valid"),
            ("structure", "valid"),
            ("schema", "not_checked"),
            ("signature", "invalid"),
            ("identity", "not_checked"),
            ("revocation", "not_checked"),
        ],
        Status::Invalid,
    );
    // The issuer swapped: both the signature and the signer's identity fail.
    let mut payload = payload_of(&envelope);
    payload["issuer"]["id"] = json!("did:web:someone-else.example");
    let verdict = verify(&with_payload(&envelope, &payload));
    assert_eq!(verdict.check("signature").map(|c| &c.outcome).map(outcome_word), Some("invalid"));
    assert_eq!(verdict.check("identity").map(|c| &c.outcome).map(outcome_word), Some("invalid"));
    // A damaged envelope is named.
    let mut damaged = envelope.clone();
    damaged["id"] = json!("data:application/vc+jwt,not-a-jws");
    check(&damaged, &[("well-formed", "invalid")], Status::Invalid);
}

fn outcome_word(outcome: &crate::verdict::Outcome) -> &'static str {
    match outcome {
        crate::verdict::Outcome::Valid(_) => "valid",
        crate::verdict::Outcome::Invalid(_) => "invalid",
        crate::verdict::Outcome::NotChecked(_) => "not_checked",
    }
}

/// A UNTP 0.6.1 product passport (tests-untp's sample) issued by the W3C vc-di-eddsa test
/// key's did:key and signed with eddsa-jcs-2022 as §3.3.1 says.
fn signed_passport() -> Value {
    use crate::data_integrity::tests::{W3C_TEST_METHOD, sign_eddsa_jcs_2022};
    let mut passport = tests_untp("product-passport-simple.json");
    let did = W3C_TEST_METHOD.split_once('#').unwrap().0;
    passport["issuer"]["id"] = json!(did);
    sign_eddsa_jcs_2022(&mut passport, "2026-12-07T10:00:00Z");
    passport
}

#[test]
fn an_embedded_eddsa_jcs_2022_proof_by_a_did_key_issuer_verifies_offline() {
    use crate::untp::schema::tests::all_schemas;
    use crate::verdict::Status;
    let passport = signed_passport();
    let verdict = verify_with(&passport, &all_schemas());
    let all_valid = [
        ("structure", "valid"),
        ("schema", "valid"),
        ("signature", "valid"),
        ("identity", "valid"),
    ];
    assert_eq!(
        outcomes(&verdict),
        all_valid.map(|(n, o)| (n.to_owned(), o)).to_vec(),
        "{}",
        verdict.to_text()
    );
    assert_eq!(verdict.status(), Status::Valid);
    // Without the schemas, the schema check is the one not run.
    check(
        &passport,
        &[
            ("structure", "valid"),
            ("schema", "not_checked"),
            ("signature", "valid"),
            ("identity", "valid"),
        ],
        Status::IncompleteOffline,
    );
    // Changed after signing: the signature fails, and shows no key of the issuer.
    let mut changed = passport.clone();
    changed["credentialSubject"]["product"]["name"] = json!("EV battery 500Ah");
    check(
        &changed,
        &[
            ("structure", "valid"),
            ("schema", "not_checked"),
            ("signature", "invalid"),
            ("identity", "not_checked"),
        ],
        Status::Invalid,
    );
    // Signed by the did:key, but naming another issuer: the signature holds, the identity not.
    let mut other_issuer = tests_untp("product-passport-simple.json");
    crate::data_integrity::tests::sign_eddsa_jcs_2022(&mut other_issuer, "2026-12-07T10:00:00Z");
    let verdict = verify(&other_issuer);
    assert_eq!(verdict.check("signature").map(|c| outcome_word(&c.outcome)), Some("valid"));
    assert_eq!(verdict.check("identity").map(|c| outcome_word(&c.outcome)), Some("invalid"));
    assert!(verdict.to_text().contains("no proof is by the issuer did:web:battery-company.com"));
}

#[test]
fn embedded_proofs_that_need_the_network_are_not_checked() {
    use crate::verdict::Status;
    // The issuer's key in its did:web document.
    let mut passport = signed_passport();
    passport["issuer"]["id"] = json!("did:web:battery-company.com");
    passport["proof"]["verificationMethod"] = json!("did:web:battery-company.com#key-1");
    let expect = [
        ("structure", "valid"),
        ("schema", "not_checked"),
        ("signature", "not_checked"),
        ("identity", "not_checked"),
    ];
    check(&passport, &expect, Status::IncompleteOffline);
    assert!(verify(&passport).to_text().contains("fetched over the network"));
    // eddsa-rdfc-2022: RDF canonicalisation with the contexts fetched.
    let mut passport = signed_passport();
    passport["proof"]["cryptosuite"] = json!("eddsa-rdfc-2022");
    check(&passport, &expect, Status::IncompleteOffline);
    assert!(verify(&passport).to_text().contains("RDFC-1.0"));
    // A proof set: the issuer's did:key proof and an rdfc one by someone else.
    let mut passport = signed_passport();
    let mut second = passport["proof"].clone();
    second["cryptosuite"] = json!("eddsa-rdfc-2022");
    second["verificationMethod"] = json!("did:web:notary.example#key-1");
    passport["proof"] = json!([passport["proof"].clone(), second]);
    let verdict = verify(&passport);
    assert_eq!(verdict.check("signature").map(|c| outcome_word(&c.outcome)), Some("not_checked"));
    assert_eq!(verdict.check("identity").map(|c| outcome_word(&c.outcome)), Some("valid"));
    assert!(verdict.to_text().contains("proof 2: an eddsa-rdfc-2022"), "{}", verdict.to_text());
}
