//! Criterion benches: bare Ed25519 verification of a 32-byte message, full verification of a
//! complete certificate (parse + canonicalise + signature + inclusion proof), and batches.

use caravan_docsign::credential::{DocumentType, Issuer, build_credential, sample_subject};
use caravan_docsign::log::Checkpoint;
use caravan_docsign::merkle;
use caravan_docsign::sig::{self, Algorithm, PrivateKey};
use caravan_docsign::trust::{AuthorityFile, KeyFileEntry, TrustList, TrustListFile};
use caravan_docsign::verify::{self, VerifyOptions};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use time::OffsetDateTime;

const AUTHORITY: &str = "urn:caravan:authority:bench";
const LOG_ID: &str = "bench-log";
const N_CERTS: usize = 256;

fn key_entry(kid: &str, key: &PrivateKey, types: &[&str], checkpoints: bool) -> KeyFileEntry {
    KeyFileEntry {
        kid: kid.to_owned(),
        alg: Algorithm::Ed25519,
        public_key: hex::encode(key.public_key()),
        sm2_id: None,
        document_types: types.iter().map(|t| (*t).to_owned()).collect(),
        signs_checkpoints: checkpoints,
        valid_from: "2020-01-01T00:00:00Z".to_owned(),
        valid_until: None,
        retired_at: None,
    }
}

fn fixture() -> (Vec<Vec<u8>>, TrustList, PrivateKey) {
    let key =
        PrivateKey::from_secret_bytes(Algorithm::Ed25519, &[1u8; 32], "").expect("valid seed");
    let log_key =
        PrivateKey::from_secret_bytes(Algorithm::Ed25519, &[2u8; 32], "").expect("valid seed");
    let file = TrustListFile {
        authorities: vec![AuthorityFile {
            id: AUTHORITY.to_owned(),
            name: "Bench".to_owned(),
            country: "KZ".to_owned(),
            log_id: LOG_ID.to_owned(),
            keys: vec![
                key_entry("doc", &key, &["origin"], false),
                key_entry("log", &log_key, &[], true),
            ],
        }],
    };
    let trust = TrustList::from_file(&file).expect("valid trust list");
    let issuer = Issuer {
        id: AUTHORITY.to_owned(),
        name: "Bench".to_owned(),
        country: caravan_types::CountryCode::parse("KZ").expect("KZ"),
    };
    let time = OffsetDateTime::from_unix_timestamp(1_780_000_000).expect("valid time");
    let vm = format!("{AUTHORITY}#doc");
    let signed: Vec<_> = (0..N_CERTS)
        .map(|i| {
            let unsigned = build_credential(
                DocumentType::Origin,
                sample_subject(DocumentType::Origin),
                &issuer,
                &format!("urn:uuid:{i}"),
                time,
            )
            .expect("valid subject");
            verify::sign_certificate(unsigned, &[(&key, &vm)], time)
        })
        .collect();
    let leaves: Vec<_> = signed.iter().map(|c| verify::issuance_entry(c).leaf_hash()).collect();
    let checkpoint = Checkpoint {
        log_id: LOG_ID.to_owned(),
        size: N_CERTS as u64,
        root: merkle::root(&leaves),
        timestamp: time,
    }
    .sign(&log_key, &format!("{AUTHORITY}#log"));
    let certs = signed
        .into_iter()
        .enumerate()
        .map(|(i, mut c)| {
            let proof = merkle::inclusion_proof(&leaves, i as u64).expect("index in range");
            verify::attach_transparency(&mut c, i as u64, &proof, &checkpoint);
            serde_json::to_vec(&c).expect("serialisable")
        })
        .collect();
    (certs, trust, key)
}

fn benches(c: &mut Criterion) {
    let (certs, trust, key) = fixture();
    let message = [7u8; 32];
    let signature = key.sign(&message);
    let public_key = key.public_key();
    c.bench_function("ed25519_verify_32_bytes", |b| {
        b.iter(|| {
            sig::verify(Algorithm::Ed25519, &public_key, &message, &signature, "").expect("valid")
        });
    });
    c.bench_function("full_verify_checkpoint_each_time", |b| {
        let mut idx = 0;
        b.iter(|| {
            idx = (idx + 1) % certs.len();
            assert!(
                verify::verify_certificate(&certs[idx], &trust, &VerifyOptions::default())
                    .is_valid()
            );
        });
    });
    let first: serde_json::Value = serde_json::from_slice(&certs[0]).expect("json");
    let checkpoint =
        caravan_docsign::log::SignedCheckpoint::from_json(&first["proof"][1]["checkpoint"])
            .expect("checkpoint");
    let verified = [verify::verify_checkpoint(&checkpoint, &trust).expect("trusted")];
    let options = VerifyOptions { verified_checkpoints: &verified, ..VerifyOptions::default() };
    c.bench_function("full_verify_cached_checkpoint", |b| {
        let mut idx = 0;
        b.iter(|| {
            idx = (idx + 1) % certs.len();
            assert!(verify::verify_certificate(&certs[idx], &trust, &options).is_valid());
        });
    });
    let mut group = c.benchmark_group("batch");
    group.throughput(Throughput::Elements(64));
    let refs: Vec<&[u8]> = certs[..64].iter().map(Vec::as_slice).collect();
    group.bench_function("full_verify_batch_64", |b| {
        b.iter(|| {
            assert!(
                verify::verify_certificates_batch(&refs, &trust, &options)
                    .iter()
                    .all(|r| r.is_valid())
            )
        });
    });
    group.finish();
}

criterion_group!(name = verify_benches; config = Criterion::default().sample_size(20); targets = benches);
criterion_main!(verify_benches);
