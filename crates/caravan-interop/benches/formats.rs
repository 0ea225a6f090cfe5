//! OpenAttestation v2 integrity and integrity + DID signature, and SPS XML export and import,
//! on the vectors of tests/data (PROVENANCE.md there). `caravan bench certs` prints the same
//! measurements from the command line.

use caravan_interop::oa::{self, OaVersion};
use caravan_interop::sps;
use criterion::{Criterion, criterion_group, criterion_main};
use serde_json::{Value, json};

const OA_V2_DID_SIGNED: &str = include_str!("../tests/data/oa/v2/did-signed.json");

fn formats(c: &mut Criterion) {
    let doc: Value = serde_json::from_str(OA_V2_DID_SIGNED).expect("the vector is JSON");
    c.bench_function("oa_v2_integrity", |b| b.iter(|| oa::v2_integrity(&doc)));
    // The documents benches/oa_peer.js gives the library: every v2 vector it accepts.
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/oa/v2");
    let mut names: Vec<_> = std::fs::read_dir(&dir)
        .expect("the v2 vectors")
        .map(|e| e.expect("a directory entry").file_name().into_string().expect("UTF-8 name"))
        .filter(|name| name.ends_with(".json") && name != "obfuscated-wrapped.json")
        .collect();
    names.sort();
    let docs: Vec<Value> = names
        .iter()
        .map(|name| {
            let text = std::fs::read_to_string(dir.join(name)).expect("a vector");
            serde_json::from_str(&text).expect("the vector is JSON")
        })
        .collect();
    c.bench_function("oa_v2_integrity_peer_documents", |b| {
        b.iter(|| docs.iter().map(|d| oa::v2_integrity(d).is_ok()).filter(|ok| *ok).count())
    });
    c.bench_function("oa_v2_integrity_and_did_signature", |b| {
        b.iter(|| oa::verify(&doc, OaVersion::V2, None))
    });
    let phyto = json!({
        "id": "urn:uuid:4b2f6a1e-0c1d-4e55-9a7b-2f6f1d3c9e01",
        "type": ["VerifiableCredential", "DigitalConformityCredential", "PhytosanitaryCertificate"],
        "issuer": {"id": "did:web:nppo.uz", "name": "Uzbekistan Plant Quarantine", "country": "UZ"},
        "validFrom": "2026-06-01T10:00:00Z",
        "credentialSubject": caravan_docsign::credential::sample_subject(caravan_docsign::credential::DocumentType::Phyto),
    });
    let xml = sps::export_phyto(&phyto).expect("a phytosanitary certificate");
    c.bench_function("sps_export", |b| b.iter(|| sps::export_phyto(&phyto)));
    c.bench_function("sps_import", |b| b.iter(|| sps::import(&xml)));
}

criterion_group!(benches, formats);
criterion_main!(benches);
