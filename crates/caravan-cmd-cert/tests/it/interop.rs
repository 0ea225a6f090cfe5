//! `caravan cert verify|export|import` on other systems' documents: the format is detected and
//! the exit code says 0 valid, 1 invalid, 3 not every check ran offline, 2 unreadable. Vectors:
//! `crates/caravan-interop/tests/data` (PROVENANCE.md there).

use std::fs;
use std::path::PathBuf;

use caravan_docsign::credential::{DocumentType, sample_subject};
use serde_json::{Value, json};

use super::{path, run};

fn vector(rel: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../caravan-interop/tests/data").join(rel)
}

#[track_caller]
fn check_verify(file: &std::path::Path, extra: &[&str], expect: u8) {
    let mut args = vec!["cert", "verify", path(file)];
    args.extend_from_slice(extra);
    assert_eq!(run(&args).unwrap(), expect, "{}", file.display());
}

#[test]
fn openattestation_documents_get_their_exit_codes() {
    // Every check ran and passed: a DID-signed v3 document with a DID identity and no revocation.
    check_verify(&vector("oa/v3/did-signed.json"), &[], 0);
    // Integrity holds but the document store needs Ethereum: 3.
    check_verify(&vector("oa/v2/not-obfuscated-wrapped.json"), &["--json"], 3);
    check_verify(&vector("oa/v4/signed-vc-did.json"), &[], 3);
    // A wrong signature: 1.
    check_verify(&vector("oa/v2/did-wrong-signature.json"), &[], 1);
    let dir = tempfile::tempdir().unwrap();
    // A tampered document: 1.
    let mut doc: Value =
        serde_json::from_slice(&fs::read(vector("oa/v2/did-signed.json")).unwrap()).unwrap();
    doc["data"]["recipient"]["name"] = json!("0b5a0c2e-1111-4222-8333-444455556666:string:MALLORY");
    let tampered = dir.path().join("tampered.json");
    fs::write(&tampered, serde_json::to_vec(&doc).unwrap()).unwrap();
    check_verify(&tampered, &[], 1);
    // An unknown version: unreadable, 2.
    let unknown = dir.path().join("unknown.json");
    fs::write(&unknown, br#"{"version": "https://schema.openattestation.com/9.0/schema.json"}"#)
        .unwrap();
    check_verify(&unknown, &[], 2);
    // Pinned DNS records settle the DNS-DID identity of a v3 document signed by a did:ethr.
    let records = dir.path().join("dns.json");
    fs::write(
        &records,
        serde_json::to_vec(&json!([{"name": "demo-tradetrust.openattestation.com", "data": "openatts a=dns-did; p=did:ethr:0x1245e5B64D785b25057f7438F715f4aA5D965733#controller; v=1.0;"}]))
            .unwrap(),
    )
    .unwrap();
    check_verify(&vector("oa/v3/dnsdid-signed.json"), &["--dns-records", path(&records)], 0);
    fs::write(&records, b"not json").unwrap();
    check_verify(&vector("oa/v3/dnsdid-signed.json"), &["--dns-records", path(&records)], 2);
}

#[test]
fn sps_xml_exports_imports_and_verifies() {
    let dir = tempfile::tempdir().unwrap();
    let cert = dir.path().join("phyto.json");
    let credential = json!({
        "@context": ["https://www.w3.org/ns/credentials/v2", caravan_docsign::credential::CARAVAN_CONTEXT],
        "id": "urn:uuid:4b2f6a1e-0c1d-4e55-9a7b-2f6f1d3c9e01",
        "type": ["VerifiableCredential", "DigitalConformityCredential", "PhytosanitaryCertificate"],
        "issuer": {"id": "did:web:nppo.uz", "name": "Uzbekistan Plant Quarantine", "country": "UZ"},
        "validFrom": "2026-06-01T10:00:00Z",
        "credentialSubject": sample_subject(DocumentType::Phyto),
    });
    fs::write(&cert, serde_json::to_vec(&credential).unwrap()).unwrap();
    let xml = dir.path().join("phyto.xml");
    let args = ["cert", "export", "--format", "sps-xml", path(&cert), "--out", path(&xml)];
    assert_eq!(run(&args).unwrap(), 0);
    // SPS XML carries no signature of its own: 3.
    check_verify(&xml, &[], 3);
    let view = dir.path().join("view.json");
    assert_eq!(
        run(&["cert", "import", "--format", "sps-xml", path(&xml), "--out", path(&view)]).unwrap(),
        0
    );
    let view: Value = serde_json::from_slice(&fs::read(&view).unwrap()).unwrap();
    assert_eq!(view["certificate"]["credentialSubject"], credential["credentialSubject"]);
    assert_eq!(view["unmapped"], json!([]));
    // The ePhyto sample imports with its unmapped elements listed.
    let view = dir.path().join("ephyto-view.json");
    let sample = vector("ephyto/SPSCertificateContent.xml");
    let args = ["cert", "import", "--format", "sps-xml", path(&sample), "--out", path(&view)];
    assert_eq!(run(&args).unwrap(), 0);
    let view: Value = serde_json::from_slice(&fs::read(&view).unwrap()).unwrap();
    assert!(view["unmapped"].as_array().unwrap().len() > 20);
    // XXE is refused as unreadable input.
    let evil = dir.path().join("evil.xml");
    fs::write(
        &evil,
        br#"<?xml version="1.0"?><!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]><r>&x;</r>"#,
    )
    .unwrap();
    check_verify(&evil, &[], 2);
    let evil_view = dir.path().join("evil-view.json");
    let args = ["cert", "import", "--format", "sps-xml", path(&evil), "--out", path(&evil_view)];
    assert_eq!(run(&args).unwrap(), 2);
    // Only a phytosanitary certificate exports as SPS XML.
    let mut origin = credential.clone();
    origin["type"] =
        json!(["VerifiableCredential", "DigitalConformityCredential", "CertificateOfOrigin"]);
    fs::write(&cert, serde_json::to_vec(&origin).unwrap()).unwrap();
    assert!(
        run(&["cert", "export", "--format", "sps-xml", path(&cert), "--out", path(&xml)]).is_err()
    );
}

#[test]
fn untp_exports_and_verifies_as_an_unsigned_view() {
    let dir = tempfile::tempdir().unwrap();
    let cert = dir.path().join("origin.json");
    let credential = json!({
        "@context": ["https://www.w3.org/ns/credentials/v2", caravan_docsign::credential::CARAVAN_CONTEXT],
        "id": "urn:uuid:0d9d7b5e-8a44-4c8e-9b0b-6f3c1f0e2a11",
        "type": ["VerifiableCredential", "DigitalConformityCredential", "CertificateOfOrigin"],
        "issuer": {"id": "did:web:chamber.kz", "name": "Chamber", "country": "KZ"},
        "validFrom": "2026-06-01T10:00:00Z",
        "credentialSubject": sample_subject(DocumentType::Origin),
    });
    fs::write(&cert, serde_json::to_vec(&credential).unwrap()).unwrap();
    let out = dir.path().join("origin-untp.json");
    assert_eq!(
        run(&["cert", "export", "--format", "untp", path(&cert), "--out", path(&out)]).unwrap(),
        0
    );
    check_verify(&out, &["--json"], 3);
}

/// Issue 17: a UNTP credential with an embedded eddsa-jcs-2022 proof by a did:key issuer is
/// complete offline only with UNTP's JSON Schemas at hand; a changed one, or one that breaks
/// its schema, is invalid; a schema folder that cannot be read is an unreadable input.
#[test]
fn untp_embedded_proofs_and_schemas_get_their_exit_codes() {
    let schemas = vector("untp-schema");
    let signed = vector("untp/product-passport-simple-eddsa-jcs-2022.json");
    check_verify(&signed, &["--untp-schemas", path(&schemas)], 0);
    check_verify(&signed, &["--json"], 3);
    let dir = tempfile::tempdir().unwrap();
    let mut doc: Value = serde_json::from_slice(&fs::read(&signed).unwrap()).unwrap();
    doc["credentialSubject"]["product"]["name"] = json!("EV battery 500Ah");
    let changed = dir.path().join("changed.json");
    fs::write(&changed, serde_json::to_vec(&doc).unwrap()).unwrap();
    check_verify(&changed, &["--untp-schemas", path(&schemas)], 1);
    // The eddsa-rdfc-2022 suite is not checked offline: 3.
    let mut doc: Value = serde_json::from_slice(&fs::read(&signed).unwrap()).unwrap();
    doc["proof"]["cryptosuite"] = json!("eddsa-rdfc-2022");
    let rdfc = dir.path().join("rdfc.json");
    fs::write(&rdfc, serde_json::to_vec(&doc).unwrap()).unwrap();
    check_verify(&rdfc, &["--untp-schemas", path(&schemas)], 3);
    // UNTP's 0.5.0 sample gives dates without a time zone: schema-invalid, 1; unsigned, 3
    // without the schemas.
    let sample = vector("untp/DigitalProductPassport_instance-v0.5.0.json");
    check_verify(&sample, &["--untp-schemas", path(&schemas)], 1);
    check_verify(&sample, &[], 3);
    // A folder with a file that is no UNTP schema, or none at all: 2.
    let bad = dir.path().join("schemas");
    fs::create_dir(&bad).unwrap();
    check_verify(&signed, &["--untp-schemas", path(&bad)], 2);
    fs::write(bad.join("schema.json"), b"{}").unwrap();
    check_verify(&signed, &["--untp-schemas", path(&bad)], 2);
    check_verify(&signed, &["--untp-schemas", path(&dir.path().join("missing"))], 2);
}
