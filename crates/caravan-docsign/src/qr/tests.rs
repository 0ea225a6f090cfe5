//! Unit tests of `qr`: the RFC 9285 vectors, corrupt input, the inflate limit, and a typical
//! complete certificate through the compact form and back to a valid verification.

use proptest::prelude::*;
use serde_json::{Value, json};
use time::OffsetDateTime;

use super::*;
use crate::credential::{DocumentType, Issuer, build_credential, sample_subject};
use crate::log::Checkpoint;
use crate::merkle;
use crate::sig::{Algorithm, DEFAULT_SM2_ID, PrivateKey};
use crate::trust::{AuthorityFile, KeyFileEntry, TrustList, TrustListFile};
use crate::verify::{
    VerifyOptions, attach_transparency, issuance_entry, sign_certificate, verify_certificate,
};

#[track_caller]
fn check_base45(bytes: &[u8], text: &str) {
    assert_eq!(base45_encode(bytes), text, "encoding {bytes:?}");
    assert_eq!(base45_decode(text).unwrap(), bytes, "decoding {text:?}");
}

#[test]
fn rfc_9285_section_4_3_examples() {
    // RFC 9285 §4.3: "AB", "Hello!!", "base-45", and the decoding example "ietf!".
    check_base45(b"AB", "BB8");
    check_base45(b"Hello!!", "%69 VD92EX0");
    check_base45(b"base-45", "UJCLQE7W581");
    check_base45(b"ietf!", "QED8WEX0");
    check_base45(b"", "");
    // §4: one byte is two characters, 0 and 255 at the ends of the range.
    check_base45(&[0], "00");
    check_base45(&[255], "U5");
    check_base45(&[255, 255], "FGW");
}

#[track_caller]
fn check_base45_error(text: &str, expect: &QrError) {
    assert_eq!(&base45_decode(text).unwrap_err(), expect, "decoding {text:?}");
}

#[test]
fn base45_refuses_what_rfc_9285_section_6_refuses() {
    // 65536 does not fit two bytes ("GGW" = 16 + 16·45 + 32·45²).
    check_base45_error("GGW", &QrError::Base45Overflow { position: 0, value: 65_536 });
    // 256 does not fit the last single byte ("V5" = 31 + 5·45).
    check_base45_error("BB8V5", &QrError::Base45Overflow { position: 3, value: 256 });
    check_base45_error("BB8A", &QrError::Base45Length { len: 4 });
    check_base45_error("BBa", &QrError::Base45Character { position: 2, found: 'a' });
    check_base45_error("BB8€€", &QrError::Base45Character { position: 3, found: '€' });
    let message = base45_decode("BB#").unwrap_err().to_string();
    assert!(message.contains("'#'") && message.contains("position 2"), "{message}");
}

proptest! {
    #[test]
    fn base45_round_trips(bytes in proptest::collection::vec(any::<u8>(), 0..300)) {
        let text = base45_encode(&bytes);
        prop_assert_eq!(text.len(), bytes.len() / 2 * 3 + bytes.len() % 2 * 2);
        prop_assert!(text.bytes().all(|b| BASE45_ALPHABET.contains(&b)));
        prop_assert_eq!(base45_decode(&text).unwrap(), bytes);
    }

    #[test]
    fn decoding_any_text_never_panics(text in "\\PC{0,64}", raw in proptest::collection::vec(any::<u8>(), 0..64)) {
        let _ = base45_decode(&text);
        let _ = certificate_from_presented(format!("{QR_PREFIX}{text}").as_bytes());
        let mut presented = QR_PREFIX.as_bytes().to_vec();
        presented.extend_from_slice(&raw);
        let _ = certificate_from_presented(&presented);
        let _ = zlib_decompress(&raw, 1024);
    }
}

#[test]
fn zlib_round_trips_and_refuses_damage() {
    let data = b"{\"credentialSubject\":{\"exporter\":{\"name\":\"Almaty Copper\"}}}".repeat(20);
    let compressed = zlib_compress(&data);
    assert!(compressed.len() < data.len() / 4, "{} of {}", compressed.len(), data.len());
    assert_eq!(compressed[0], 0x78, "RFC 1950 §2.2: CM 8 (deflate), 32K window");
    assert_eq!(zlib_decompress(&compressed, data.len()).unwrap(), data);

    // Truncated: the Adler-32 trailer, or half the stream, missing.
    for cut in [compressed.len() - 2, compressed.len() / 2, 1] {
        let err = zlib_decompress(&compressed[..cut], 1 << 20).unwrap_err();
        assert!(matches!(err, QrError::Zlib { .. }), "cut at {cut}: {err:?}");
    }
    // A flipped byte in the data or the checksum.
    let mut flipped = compressed.clone();
    let last = flipped.len() - 1;
    flipped[last] ^= 1;
    assert!(matches!(zlib_decompress(&flipped, 1 << 20), Err(QrError::Zlib { .. })));
    // Bytes after the stream.
    let mut trailing = compressed.clone();
    trailing.extend_from_slice(b"xy");
    assert_eq!(zlib_decompress(&trailing, 1 << 20), Err(QrError::TrailingData { extra: 2 }));
    // Not zlib at all.
    assert!(matches!(zlib_decompress(b"{\"a\":1}", 1 << 20), Err(QrError::Zlib { .. })));
}

#[test]
fn a_zip_bomb_stops_at_the_limit() {
    // 64 MiB of zeros deflate to about 64 KiB; inflating stops one byte past the limit.
    let bomb = zlib_compress(&vec![0u8; 64 << 20]);
    assert!(bomb.len() < 100_000, "{}", bomb.len());
    let text = format!("{QR_PREFIX}{}", base45_encode(&bomb));
    let err = certificate_from_presented(text.as_bytes()).unwrap_err();
    assert_eq!(err, QrError::TooLarge { limit: MAX_DECODED_BYTES });
    assert!(err.to_string().contains("limit of 1048576 bytes"), "{err}");
    // Exactly at the limit is accepted.
    let at_limit = zlib_compress(&vec![b' '; 4096]);
    assert_eq!(zlib_decompress(&at_limit, 4096).unwrap().len(), 4096);
    assert_eq!(zlib_decompress(&at_limit, 4095), Err(QrError::TooLarge { limit: 4095 }));
}

#[test]
fn presented_forms_json_legacy_and_compact() {
    use base64::Engine as _;
    let json = br#"{"b": 1, "a": "x"}"#;
    assert_eq!(&*certificate_from_presented(json).unwrap(), json, "JSON passes through");
    assert!(!is_qr_text(json));

    let compact = encode_certificate(json).unwrap();
    assert!(compact.starts_with("CCC1:") && is_qr_text(compact.as_bytes()));
    let with_newline = format!("  {compact}\r\n");
    assert_eq!(
        &*certificate_from_presented(with_newline.as_bytes()).unwrap(),
        br#"{"a":"x","b":1}"#,
        "the RFC 8785 form comes back"
    );

    let legacy = format!(
        "{LEGACY_QR_PREFIX}{}",
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(br#"{"a":"x"}"#)
    );
    assert_eq!(&*certificate_from_presented(legacy.as_bytes()).unwrap(), br#"{"a":"x"}"#);
    let err = certificate_from_presented(b"CVC1:!!").unwrap_err();
    assert!(matches!(err, QrError::Base64 { .. }), "{err:?}");

    // A character a QR scanner could not have produced, named with its position.
    let mut bad = compact.clone();
    bad.replace_range(10..11, "a");
    let err = certificate_from_presented(bad.as_bytes()).unwrap_err();
    assert_eq!(err, QrError::Base45Character { position: 5, found: 'a' });
    // A truncated scan.
    let truncated = &compact[..compact.len() - 6];
    assert!(matches!(certificate_from_presented(truncated.as_bytes()), Err(QrError::Zlib { .. })));
    // Not JSON to begin with.
    assert!(matches!(encode_certificate(b"{\"a\":"), Err(QrError::Json(_))));
}

const AUTHORITY: &str = "urn:caravan:authority:17";
const LOG_ID: &str = "caravan-log-17";

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

/// A complete certificate as the server issues it, signed by Ed25519 and SM2, as the last leaf of
/// a log of `2^depth` entries, so its inclusion proof has `depth` hashes.
fn complete_certificate(doc_type: DocumentType, depth: u32) -> (Vec<u8>, TrustList) {
    // The samples' exporting countries: the phytosanitary one is Uzbek.
    let country = if doc_type == DocumentType::Phyto { "UZ" } else { "KZ" };
    let ed = PrivateKey::from_secret_bytes(Algorithm::Ed25519, &[21u8; 32], "").unwrap();
    let sm2 = PrivateKey::from_secret_bytes(Algorithm::Sm2, &[22u8; 32], DEFAULT_SM2_ID).unwrap();
    let trust = TrustList::from_file(&TrustListFile {
        authorities: vec![AuthorityFile {
            id: AUTHORITY.to_owned(),
            name: "KZ Chamber".to_owned(),
            country: country.to_owned(),
            log_id: LOG_ID.to_owned(),
            keys: vec![
                key_entry("0a1b2c3d4e5f6071", &ed, true),
                key_entry("8192a3b4c5d6e7f8", &sm2, false),
            ],
        }],
    })
    .unwrap();
    let issuer = Issuer {
        id: AUTHORITY.to_owned(),
        name: "KZ Chamber".to_owned(),
        country: caravan_types::CountryCode::parse(country).unwrap(),
    };
    let at = OffsetDateTime::from_unix_timestamp(1_780_000_000).unwrap();
    let id = "urn:uuid:3f2a9c4e-8b1d-4e7a-a2c5-9d0e1f2a3b4c";
    let unsigned = build_credential(doc_type, sample_subject(doc_type), &issuer, id, at).unwrap();
    let ed_vm = format!("{AUTHORITY}#0a1b2c3d4e5f6071");
    let sm_vm = format!("{AUTHORITY}#8192a3b4c5d6e7f8");
    let mut signed = sign_certificate(unsigned, &[(&ed, &ed_vm), (&sm2, &sm_vm)], at);
    let size = 1u64 << depth;
    let mut leaves: Vec<merkle::Hash> =
        (0..size - 1).map(|i| merkle::leaf_hash(&i.to_be_bytes())).collect();
    leaves.push(merkle::leaf_hash(&issuance_entry(&signed).to_bytes()));
    let checkpoint =
        Checkpoint { log_id: LOG_ID.to_owned(), size, root: merkle::root(&leaves), timestamp: at }
            .sign(&ed, &ed_vm);
    let proof = merkle::inclusion_proof(&leaves, size - 1).unwrap();
    attach_transparency(&mut signed, size - 1, &proof, &checkpoint);
    (serde_json::to_vec_pretty(&signed).unwrap(), trust)
}

#[test]
fn a_typical_certificate_fits_a_qr_code_and_verifies_after_the_round_trip() {
    // The largest sample subject (the mineral passport), both signatures, and a log of 2^16
    // entries (16 proof hashes); the sizes are reported in the README.
    let mut sizes = Vec::new();
    for (doc_type, depth) in [
        (DocumentType::Origin, 10),
        (DocumentType::Phyto, 10),
        (DocumentType::Passport, 10),
        (DocumentType::Passport, 16),
    ] {
        let (file, trust) = complete_certificate(doc_type, depth);
        let canonical = crate::jcs::canonicalize(&file).unwrap();
        let compressed = zlib_compress(&canonical);
        let text = encode_certificate(&file).unwrap();
        sizes.push(json!({
            "type": doc_type.as_str(), "logEntries": 1u64 << depth, "canonicalBytes": canonical.len(),
            "zlibBytes": compressed.len(), "qrCharacters": text.len(),
            // The first form, base64url of the canonical JSON: byte mode, at most 2,953 bytes.
            "legacyCharacters": LEGACY_QR_PREFIX.len() + canonical.len().div_ceil(3) * 4,
        }));
        assert_eq!(text.len(), QR_PREFIX.len() + base45_encode(&compressed).len());
        assert!(
            text.len() <= MAX_QR_ALPHANUMERIC,
            "{doc_type} with {depth} proof hashes needs {} characters: {sizes:?}",
            text.len()
        );
        let decoded = certificate_from_presented(text.as_bytes()).unwrap();
        assert_eq!(&*decoded, canonical.as_slice());
        let report = verify_certificate(&decoded, &trust, &VerifyOptions::default());
        assert!(report.is_valid(), "{}", report.to_text());
        assert!(report.check(crate::verify::CheckName::Sm2Signature).is_some());
    }
    // Printed with --nocapture when the README's numbers are refreshed.
    let table = Value::Array(sizes);
    assert!(table.as_array().is_some_and(|rows| rows.len() == 4));
    eprintln!("{table:#}");
}
