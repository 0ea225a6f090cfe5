//! Unit tests of `verify`.
use proptest::prelude::*;
use time::format_description::well_known::Rfc3339;

use super::*;
use crate::credential::{Issuer, build_credential, sample_subject};
use crate::log::Checkpoint;
use crate::trust::{AuthorityFile, KeyFileEntry, TrustListFile};

const AUTHORITY: &str = "urn:caravan:authority:kz-chamber";
const LOG_ID: &str = "caravan.example/log/kz-chamber";

fn at(text: &str) -> OffsetDateTime {
    OffsetDateTime::parse(text, &Rfc3339).unwrap()
}

struct World {
    signing: PrivateKey,
    sm2: PrivateKey,
    log_key: PrivateKey,
    trust: TrustList,
    leaves: Vec<Hash>,
    entries: Vec<Vec<u8>>,
}

fn entry(kid: &str, key: &PrivateKey, types: &[&str], checkpoints: bool) -> KeyFileEntry {
    KeyFileEntry {
        kid: kid.to_owned(),
        alg: key.algorithm(),
        public_key: hex::encode(key.public_key()),
        sm2_id: key.sm2_id().map(str::to_owned),
        document_types: types.iter().map(|t| (*t).to_owned()).collect(),
        signs_checkpoints: checkpoints,
        valid_from: "2026-01-01T00:00:00Z".to_owned(),
        valid_until: None,
        retired_at: None,
    }
}

fn world(edit: impl FnOnce(&mut TrustListFile)) -> World {
    let signing = PrivateKey::from_secret_bytes(Algorithm::Ed25519, &[11u8; 32], "").unwrap();
    let sm2 =
        PrivateKey::from_secret_bytes(Algorithm::Sm2, &[12u8; 32], sig::DEFAULT_SM2_ID).unwrap();
    let log_key = PrivateKey::from_secret_bytes(Algorithm::Ed25519, &[13u8; 32], "").unwrap();
    let mut file = TrustListFile {
        authorities: vec![AuthorityFile {
            id: AUTHORITY.to_owned(),
            name: "Chamber of Commerce of Kazakhstan (illustrative)".to_owned(),
            country: "KZ".to_owned(),
            log_id: LOG_ID.to_owned(),
            keys: vec![
                entry("ed-2026", &signing, &["origin", "passport"], false),
                entry("sm2-2026", &sm2, &["origin", "passport"], false),
                entry("log-2026", &log_key, &[], true),
            ],
        }],
    };
    edit(&mut file);
    World {
        signing,
        sm2,
        log_key,
        trust: TrustList::from_file(&file).unwrap(),
        leaves: Vec::new(),
        entries: Vec::new(),
    }
}

impl World {
    /// Issues a certificate into the log, with `n_before` other entries first, and returns it.
    fn issue(
        &mut self,
        doc_type: DocumentType,
        id: &str,
        with_sm2: bool,
        n_before: usize,
    ) -> Value {
        for i in 0..n_before {
            let filler =
                LogEntry::Issuance { credential: json!({"id": format!("urn:filler:{i}")}) }
                    .to_bytes();
            self.leaves.push(merkle::leaf_hash(&filler));
            self.entries.push(filler);
        }
        let issuer = Issuer {
            id: AUTHORITY.to_owned(),
            name: "KZ Chamber".to_owned(),
            country: caravan_types::CountryCode::parse("KZ").unwrap(),
        };
        let issued_at = at("2026-06-01T10:00:00Z");
        let unsigned =
            build_credential(doc_type, sample_subject(doc_type), &issuer, id, issued_at).unwrap();
        let ed_vm = format!("{AUTHORITY}#ed-2026");
        let sm_vm = format!("{AUTHORITY}#sm2-2026");
        let mut keys: Vec<(&PrivateKey, &str)> = vec![(&self.signing, &ed_vm)];
        if with_sm2 {
            keys.push((&self.sm2, &sm_vm));
        }
        let mut signed = sign_certificate(unsigned, &keys, issued_at);
        let data = issuance_entry(&signed).to_bytes();
        self.leaves.push(merkle::leaf_hash(&data));
        self.entries.push(data);
        let index = self.leaves.len() as u64 - 1;
        let checkpoint = self.checkpoint("2026-06-01T10:00:05Z");
        let proof = merkle::inclusion_proof(&self.leaves, index).unwrap();
        attach_transparency(&mut signed, index, &proof, &checkpoint);
        signed
    }

    fn checkpoint(&self, time: &str) -> SignedCheckpoint {
        Checkpoint {
            log_id: LOG_ID.to_owned(),
            size: self.leaves.len() as u64,
            root: merkle::root(&self.leaves),
            timestamp: at(time),
        }
        .sign(&self.log_key, &format!("{AUTHORITY}#log-2026"))
    }

    fn revoke(&mut self, id: &str) -> RevocationState {
        let data = LogEntry::Revocation {
            credential_id: id.to_owned(),
            reason: "goods not as described".to_owned(),
            revoked_at: at("2026-06-10T00:00:00Z"),
        }
        .to_bytes();
        self.leaves.push(merkle::leaf_hash(&data));
        self.entries.push(data);
        let checkpoint = self.checkpoint("2026-06-10T00:00:01Z");
        verify_checkpoint(&checkpoint, &self.trust).unwrap();
        let refs: Vec<&[u8]> = self.entries.iter().map(Vec::as_slice).collect();
        crate::log::revocation_state(&refs, &checkpoint).unwrap()
    }
}

fn bytes(value: &Value) -> Vec<u8> {
    serde_json::to_vec_pretty(value).unwrap()
}

#[track_caller]
fn check(report: &VerificationReport, failed: Option<CheckName>, detail_part: &str) {
    let text = report.to_text();
    match failed {
        None => assert!(report.is_valid(), "{text}"),
        Some(name) => {
            let failure = report
                .first_failure()
                .unwrap_or_else(|| panic!("expected {name} to fail:\n{text}"));
            assert_eq!(failure.name, name, "{text}");
            assert!(failure.detail.contains(detail_part), "{text}\nshould mention {detail_part:?}");
        }
    }
}

#[test]
fn issued_certificates_of_each_type_verify_offline() {
    let mut world = world(|_| {});
    for (i, doc_type) in [DocumentType::Origin, DocumentType::Passport].into_iter().enumerate() {
        let cert = world.issue(doc_type, &format!("urn:uuid:cert-{i}"), i == 1, 3);
        let report = verify_certificate(&bytes(&cert), &world.trust, &VerifyOptions::default());
        check(&report, None, "");
        assert_eq!(report.document_type, Some(doc_type));
        let names: Vec<&str> = report.checks.iter().map(|c| c.name.as_str()).collect();
        let mut expected = vec!["well-formed", "structure", "issuer-authorised", "signature"];
        if i == 1 {
            expected.push("sm2-signature");
        }
        expected.extend(["checkpoint", "inclusion", "not-revoked"]);
        assert_eq!(names, expected);
        assert_eq!(report.to_json()["valid"], true);
    }
}

#[test]
fn a_changed_subject_fails_the_signature() {
    let mut world = world(|_| {});
    let mut cert = world.issue(DocumentType::Origin, "urn:uuid:t", false, 0);
    cert["credentialSubject"]["goods"][0]["quantity"] = Value::from(9999);
    let report = verify_certificate(&bytes(&cert), &world.trust, &VerifyOptions::default());
    check(&report, Some(CheckName::Signature), "changed after signing");
    assert_eq!(report.check(CheckName::Inclusion).unwrap().outcome, Outcome::Failed);
}

#[test]
fn a_changed_sm2_signature_fails_alone() {
    let mut world = world(|_| {});
    let mut cert = world.issue(DocumentType::Origin, "urn:uuid:s", true, 0);
    let value = cert["proof"][1]["proofValue"].as_str().unwrap().to_owned();
    let mut sig = proof::decode_proof_value(&value).unwrap();
    sig[40] ^= 1;
    cert["proof"][1]["proofValue"] = Value::from(format!("z{}", bs58::encode(sig).into_string()));
    let report = verify_certificate(&bytes(&cert), &world.trust, &VerifyOptions::default());
    check(&report, Some(CheckName::Sm2Signature), "does not verify");
    assert_eq!(report.check(CheckName::Signature).unwrap().outcome, Outcome::Passed);
}

#[test]
fn unknown_issuer_type_and_country_are_refused() {
    // The key is not listed for phytosanitary certificates.
    let mut w = world(|_| {});
    let mut phyto_subject_kz = sample_subject(DocumentType::Phyto);
    phyto_subject_kz["exportCountry"] = Value::from("KZ");
    let issuer = Issuer {
        id: AUTHORITY.to_owned(),
        name: "x".to_owned(),
        country: caravan_types::CountryCode::parse("KZ").unwrap(),
    };
    let unsigned = build_credential(
        DocumentType::Phyto,
        phyto_subject_kz,
        &issuer,
        "urn:uuid:p",
        at("2026-06-01T10:00:00Z"),
    )
    .unwrap();
    let vm = format!("{AUTHORITY}#ed-2026");
    let mut signed = sign_certificate(unsigned, &[(&w.signing, &vm)], at("2026-06-01T10:00:00Z"));
    let data = issuance_entry(&signed).to_bytes();
    w.leaves.push(merkle::leaf_hash(&data));
    let checkpoint = w.checkpoint("2026-06-01T10:00:05Z");
    attach_transparency(&mut signed, 0, &[], &checkpoint);
    let report = verify_certificate(&bytes(&signed), &w.trust, &VerifyOptions::default());
    check(&report, Some(CheckName::IssuerAuthorised), "not authorised for phyto certificates");
    assert_eq!(report.check(CheckName::Inclusion).unwrap().outcome, Outcome::Passed);

    // A KZ authority cannot certify Uzbek origin: exportCountry UZ.
    let mut w = world(|_| {});
    let mut cert = w.issue(DocumentType::Origin, "urn:uuid:c", false, 0);
    cert["credentialSubject"]["exportCountry"] = Value::from("UZ");
    let report = verify_certificate(&bytes(&cert), &w.trust, &VerifyOptions::default());
    check(&report, Some(CheckName::IssuerAuthorised), "may not certify for UZ");

    // An empty trust list knows nobody.
    let report = verify_certificate(
        &bytes(&w.issue(DocumentType::Origin, "urn:uuid:d", false, 0)),
        &TrustList::default(),
        &VerifyOptions::default(),
    );
    check(&report, Some(CheckName::IssuerAuthorised), "is not in the trust list");
}

#[test]
fn a_retired_key_fails_for_documents_dated_after_retirement_only() {
    // Issued 2026-06-01; retirement on 2026-05-01 makes it fail, on 2026-07-01 keeps it valid.
    for (retired, valid) in [("2026-05-01T00:00:00Z", false), ("2026-07-01T00:00:00Z", true)] {
        let mut w = world(|file| file.authorities[0].keys[0].retired_at = Some(retired.to_owned()));
        let cert = w.issue(DocumentType::Origin, "urn:uuid:r", false, 1);
        let report = verify_certificate(&bytes(&cert), &w.trust, &VerifyOptions::default());
        if valid {
            check(&report, None, "");
        } else {
            check(&report, Some(CheckName::IssuerAuthorised), "retired on 2026-05-01");
        }
    }
}

#[test]
fn a_rotated_key_still_verifies_earlier_certificates() {
    let mut w = world(|file| {
        file.authorities[0].keys[0].valid_until = Some("2026-06-15T00:00:00Z".to_owned())
    });
    let cert = w.issue(DocumentType::Origin, "urn:uuid:rot", false, 0);
    check(&verify_certificate(&bytes(&cert), &w.trust, &VerifyOptions::default()), None, "");
}

#[test]
fn revocation_in_a_fresher_log_state_fails_with_revoked() {
    let mut w = world(|_| {});
    let cert = w.issue(DocumentType::Origin, "urn:uuid:rev", false, 2);
    let other = w.issue(DocumentType::Origin, "urn:uuid:keep", false, 0);
    let state = w.revoke("urn:uuid:rev");
    let options = VerifyOptions { revocations: Some(&state), ..VerifyOptions::default() };
    check(
        &verify_certificate(&bytes(&cert), &w.trust, &options),
        Some(CheckName::NotRevoked),
        "revoked on 2026-06-10T00:00:00Z: goods not as described",
    );
    check(&verify_certificate(&bytes(&other), &w.trust, &options), None, "");
}

#[test]
fn checkpoint_and_inclusion_problems_are_named() {
    let mut w = world(|_| {});
    let cert = w.issue(DocumentType::Origin, "urn:uuid:cp", false, 5);
    // A checkpoint signed by the document key, which may not sign checkpoints.
    let mut forged = cert.clone();
    let checkpoint = Checkpoint {
        log_id: LOG_ID.to_owned(),
        size: 6,
        root: merkle::root(&w.leaves),
        timestamp: at("2026-06-01T10:00:05Z"),
    }
    .sign(&w.signing, &format!("{AUTHORITY}#ed-2026"));
    forged["proof"][1]["checkpoint"] = checkpoint.to_json();
    check(
        &verify_certificate(&bytes(&forged), &w.trust, &VerifyOptions::default()),
        Some(CheckName::Checkpoint),
        "may not sign log checkpoints",
    );
    // A proof for another leaf index.
    let mut moved = cert.clone();
    moved["proof"][1]["leafIndex"] = Value::from(4);
    check(
        &verify_certificate(&bytes(&moved), &w.trust, &VerifyOptions::default()),
        Some(CheckName::Inclusion),
        "not proven to be in the log",
    );
    // No transparency proof at all.
    let bare = strip_transparency(&cert);
    check(
        &verify_certificate(&bytes(&bare), &w.trust, &VerifyOptions::default()),
        Some(CheckName::Inclusion),
        "carries no TransparencyLogInclusionProof",
    );
    // A pre-verified checkpoint is accepted without a second signature check.
    let verified = verify_checkpoint(
        &SignedCheckpoint::from_json(&cert["proof"][1]["checkpoint"]).unwrap(),
        &w.trust,
    )
    .unwrap();
    let options = VerifyOptions {
        verified_checkpoints: std::slice::from_ref(&verified),
        ..VerifyOptions::default()
    };
    check(&verify_certificate(&bytes(&cert), &w.trust, &options), None, "");
}

#[test]
fn unreadable_and_hostile_documents_fail_well_formed() {
    let w = world(|_| {});
    for (input, part) in [
        (b"not json".as_slice(), "not strict JSON"),
        (br#"{"id":"a","id":"b"}"#.as_slice(), "duplicate member name"),
        (b"[1]".as_slice(), ""),
    ] {
        let report = verify_certificate(input, &w.trust, &VerifyOptions::default());
        assert!(!report.is_valid());
        assert!(report.first_failure().unwrap().detail.contains(part), "{}", report.to_text());
    }
    let big = format!("{{\"pad\":\"{}\"}}", "x".repeat(2 << 20));
    let report = verify_certificate(big.as_bytes(), &w.trust, &VerifyOptions::default());
    check(&report, Some(CheckName::WellFormed), "more than the limit");
}

#[test]
fn an_unknown_top_level_member_fails_structure() {
    let mut w = world(|_| {});
    let mut cert = w.issue(DocumentType::Origin, "urn:uuid:u", false, 0);
    cert["critical"] = Value::from(true);
    check(
        &verify_certificate(&bytes(&cert), &w.trust, &VerifyOptions::default()),
        Some(CheckName::Structure),
        "critical: unknown top-level member",
    );
}

#[test]
fn batch_verification_agrees_with_single_verification() {
    let mut w = world(|_| {});
    let mut certs: Vec<Vec<u8>> = (0..6)
        .map(|i| bytes(&w.issue(DocumentType::Origin, &format!("urn:uuid:b{i}"), false, 0)))
        .collect();
    let refs: Vec<&[u8]> = certs.iter().map(Vec::as_slice).collect();
    assert!(
        verify_certificates_batch(&refs, &w.trust, &VerifyOptions::default())
            .iter()
            .all(VerificationReport::is_valid)
    );
    // Tamper with one: only it fails.
    let mut bad: Value = serde_json::from_slice(&certs[3]).unwrap();
    bad["credentialSubject"]["importCountry"] = Value::from("TJ");
    certs[3] = bytes(&bad);
    let refs: Vec<&[u8]> = certs.iter().map(Vec::as_slice).collect();
    let reports = verify_certificates_batch(&refs, &w.trust, &VerifyOptions::default());
    let verdicts: Vec<bool> = reports.iter().map(VerificationReport::is_valid).collect();
    assert_eq!(verdicts, [true, true, true, false, true, true]);
    assert_eq!(reports[3].first_failure().unwrap().name, CheckName::Signature);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    // Any flipped byte of a complete certificate makes it invalid (or unreadable).
    #[test]
    fn any_flipped_byte_fails_verification(position in any::<prop::sample::Index>(), flip in 1u8..=255) {
        let mut w = world(|_| {});
        let cert = bytes(&w.issue(DocumentType::Passport, "urn:uuid:f", true, 2));
        let mut changed = cert.clone();
        let i = position.index(changed.len());
        changed[i] ^= flip;
        let changed_value = crate::jcs::parse(&changed);
        // Flips inside insignificant white space that still parse to the same value do not change the document.
        prop_assume!(changed_value.as_ref().ok() != crate::jcs::parse(&cert).as_ref().ok());
        let report = verify_certificate(&changed, &w.trust, &VerifyOptions::default());
        prop_assert!(!report.is_valid(), "flip at {}: {}", i, report.to_text());
    }

    // Bounded fuzzing of the certificate parser and verifier on arbitrary bytes.
    #[test]
    fn verification_never_panics_on_arbitrary_bytes(input in prop::collection::vec(any::<u8>(), 0..512)) {
        let w = world(|_| {});
        let report = verify_certificate(&input, &w.trust, &VerifyOptions::default());
        prop_assert!(!report.is_valid());
    }
}
