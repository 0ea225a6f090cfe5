//! Targets of `caravan-docsign`: the strict certificate JSON parser with RFC 8785
//! canonicalization and offline verification, and the QR text decoder (`CCC1:` Base45 + zlib,
//! legacy `CVC1:` base64url).

use std::sync::OnceLock;

use caravan_docsign::credential::{DocumentType, Issuer, build_credential, sample_subject};
use caravan_docsign::jcs;
use caravan_docsign::log::Checkpoint;
use caravan_docsign::merkle;
use caravan_docsign::qr;
use caravan_docsign::sig::{Algorithm, DEFAULT_SM2_ID, PrivateKey};
use caravan_docsign::trust::{AuthorityFile, KeyFileEntry, TrustList, TrustListFile};
use caravan_docsign::verify::{
    VerifyOptions, attach_transparency, issuance_entry, sign_certificate, verify_presented,
};
use serde_json::Value;
use time::OffsetDateTime;

const AUTHORITY: &str = "urn:caravan:authority:fuzz";
const LOG_ID: &str = "caravan-log-fuzz";
const ED25519_KID: &str = "0a1b2c3d4e5f6071";
const SM2_KID: &str = "8192a3b4c5d6e7f8";

/// The fixed keys of the sample certificates (Ed25519 signs checkpoints too).
fn keys() -> (PrivateKey, PrivateKey) {
    let ed = PrivateKey::from_secret_bytes(Algorithm::Ed25519, &[21u8; 32], "")
        .expect("32 bytes are an Ed25519 secret");
    let sm2 = PrivateKey::from_secret_bytes(Algorithm::Sm2, &[22u8; 32], DEFAULT_SM2_ID)
        .expect("32 bytes below the order are an SM2 secret");
    (ed, sm2)
}

fn key_entry(kid: &str, key: &PrivateKey, signs_checkpoints: bool) -> KeyFileEntry {
    KeyFileEntry {
        kid: kid.to_owned(),
        alg: key.algorithm(),
        public_key: hex::encode(key.public_key()),
        sm2_id: key.sm2_id().map(str::to_owned),
        document_types: ["origin", "phyto", "passport"].map(str::to_owned).to_vec(),
        signs_checkpoints,
        valid_from: "2026-01-01T00:00:00Z".to_owned(),
        valid_until: None,
        retired_at: None,
    }
}

/// The trust list of the sample certificates' issuer, so that a mutated certificate goes
/// through every check of the verifier, not only the parser.
fn trust_list() -> &'static TrustList {
    static TRUST: OnceLock<TrustList> = OnceLock::new();
    TRUST.get_or_init(|| {
        let (ed, sm2) = keys();
        TrustList::from_file(&TrustListFile {
            authorities: vec![AuthorityFile {
                id: AUTHORITY.to_owned(),
                name: "Fuzz Chamber".to_owned(),
                country: "KZ".to_owned(),
                log_id: LOG_ID.to_owned(),
                keys: vec![key_entry(ED25519_KID, &ed, true), key_entry(SM2_KID, &sm2, false)],
            }],
        })
        .expect("the fixed trust list is valid")
    })
}

/// Complete certificates as the server issues them (both signatures, an inclusion proof in a
/// log of 8 entries, a signed checkpoint), one per document type issued in Kazakhstan, that
/// verify against the targets' trust list: the seeds of `cert_json` and, as QR texts, of
/// `qr_decode`.
pub fn sample_certificates() -> Vec<Vec<u8>> {
    let (ed, sm2) = keys();
    let issuer = Issuer {
        id: AUTHORITY.to_owned(),
        name: "Fuzz Chamber".to_owned(),
        country: caravan_types::CountryCode::parse("KZ").expect("KZ is a country"),
    };
    let at = OffsetDateTime::from_unix_timestamp(1_780_000_000).expect("a 2026 timestamp");
    let ed_vm = format!("{AUTHORITY}#{ED25519_KID}");
    let sm_vm = format!("{AUTHORITY}#{SM2_KID}");
    [
        (DocumentType::Origin, "urn:uuid:3f2a9c4e-8b1d-4e7a-a2c5-9d0e1f2a3b4c"),
        (DocumentType::Passport, "urn:uuid:3f2a9c4e-8b1d-4e7a-a2c5-9d0e1f2a3b4d"),
    ]
    .into_iter()
    .map(|(doc_type, id)| {
        let unsigned = build_credential(doc_type, sample_subject(doc_type), &issuer, id, at)
            .expect("sample subjects are valid");
        let mut signed = sign_certificate(unsigned, &[(&ed, &ed_vm), (&sm2, &sm_vm)], at);
        let size = 8u64;
        let mut leaves: Vec<merkle::Hash> =
            (0..size - 1).map(|i| merkle::leaf_hash(&i.to_be_bytes())).collect();
        leaves.push(merkle::leaf_hash(&issuance_entry(&signed).to_bytes()));
        let checkpoint = Checkpoint {
            log_id: LOG_ID.to_owned(),
            size,
            root: merkle::root(&leaves),
            timestamp: at,
        }
        .sign(&ed, &ed_vm);
        let proof = merkle::inclusion_proof(&leaves, size - 1).expect("leaf in range");
        attach_transparency(&mut signed, size - 1, &proof, &checkpoint);
        serde_json::to_vec_pretty(&signed).expect("a Value serializes")
    })
    .collect()
}

/// The strict parser (RFC 8785 §3.1 I-JSON with limits), canonicalization and verification.
///
/// Properties: what the strict parser accepts `serde_json` accepts, with the same value (to
/// one ulp); the canonical form re-parses to itself; verification never panics and passes only
/// documents the strict parser accepts.
pub fn cert_json(data: &[u8]) {
    let strict = jcs::parse(data);
    if let Ok(value) = &strict {
        let canonical = jcs::to_canonical(value);
        let lenient: Value =
            serde_json::from_slice(data).expect("serde_json reads what the strict parser reads");
        assert!(crate::same_value(value, &lenient), "serde_json reads {lenient} for {value}");
        let again = jcs::canonicalize(&canonical).expect("the canonical form is strict JSON");
        assert_eq!(again, canonical, "canonicalization is idempotent");
        let _ = caravan_docsign::credential::validate_credential(value);
    }
    let report = verify_presented(data, trust_list(), &VerifyOptions::default());
    if report.is_valid() {
        assert!(strict.is_ok() || qr::is_qr_text(data), "a valid report of unreadable input");
    }
    let _ = report.to_json();
}

/// The QR text decoder, on the input as presented and on the input as the zlib stream of a
/// `CCC1:` text (so the fuzzer mutates compressed streams directly).
///
/// Properties: Base45 that decodes re-encodes to the same text; what decodes re-encodes (our
/// own zlib) and decodes back to the same bytes.
pub fn qr_decode(data: &[u8]) {
    presented(data);
    let mut compact = qr::QR_PREFIX.as_bytes().to_vec();
    compact.extend_from_slice(qr::base45_encode(data).as_bytes());
    presented(&compact);
}

fn presented(data: &[u8]) {
    let trimmed = data.trim_ascii();
    if let Some(payload) = trimmed.strip_prefix(qr::QR_PREFIX.as_bytes())
        && let Ok(text) = std::str::from_utf8(payload)
        && let Ok(bytes) = qr::base45_decode(text)
    {
        assert_eq!(qr::base45_encode(&bytes), text, "Base45 re-encodes to the same text");
    }
    let Ok(certificate) = qr::certificate_from_presented(data) else { return };
    if !qr::is_qr_text(data) {
        assert_eq!(&*certificate, data, "JSON passes through unchanged");
        return;
    }
    assert!(certificate.len() <= qr::MAX_DECODED_BYTES, "the inflate limit holds");
    let text = format!("{}{}", qr::QR_PREFIX, qr::base45_encode(&qr::zlib_compress(&certificate)));
    let back = qr::certificate_from_presented(text.as_bytes()).expect("our own text decodes");
    assert_eq!(&*back, &*certificate, "decode(encode(x)) == x");
    if let Ok(canonical) = jcs::canonicalize(&certificate) {
        let text = qr::encode_certificate(&certificate).expect("strict JSON encodes");
        let back = qr::certificate_from_presented(text.as_bytes()).expect("our own text decodes");
        assert_eq!(&*back, canonical.as_slice(), "a certificate comes back in its RFC 8785 form");
    }
}
