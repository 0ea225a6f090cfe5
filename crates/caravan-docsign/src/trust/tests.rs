//! Unit tests of `trust`.
use super::*;
use crate::sig::PrivateKey;

fn key_entry(public_key: String) -> KeyFileEntry {
    KeyFileEntry {
        kid: "k1".to_owned(),
        alg: Algorithm::Ed25519,
        public_key,
        sm2_id: None,
        document_types: vec!["origin".to_owned()],
        signs_checkpoints: true,
        valid_from: "2026-01-01T00:00:00Z".to_owned(),
        valid_until: Some("2027-01-01T00:00:00Z".to_owned()),
        retired_at: None,
    }
}

fn file(keys: Vec<KeyFileEntry>, country: &str) -> TrustListFile {
    TrustListFile {
        authorities: vec![AuthorityFile {
            id: "urn:a".to_owned(),
            name: "A".to_owned(),
            country: country.to_owned(),
            log_id: "log-a".to_owned(),
            keys,
        }],
    }
}

#[test]
fn a_good_trust_list_loads_and_finds_keys() {
    let key = PrivateKey::from_secret_bytes(Algorithm::Ed25519, &[2u8; 32], "").unwrap();
    let list =
        TrustList::from_file(&file(vec![key_entry(hex::encode(key.public_key()))], "KZ")).unwrap();
    let (authority, found) = list.key("urn:a#k1").unwrap();
    assert_eq!(authority.country.as_str(), "KZ");
    assert_eq!(found.document_types, vec![DocumentType::Origin]);
    assert!(list.key("urn:a#k2").is_none());
    assert!(list.key("urn:b#k1").is_none());
    assert_eq!(list.authority_by_log("log-a").map(|a| a.id.as_str()), Some("urn:a"));
}

#[test]
fn validity_periods_rotation_and_retirement() {
    let key = PrivateKey::from_secret_bytes(Algorithm::Ed25519, &[2u8; 32], "").unwrap();
    let mut entry = key_entry(hex::encode(key.public_key()));
    entry.retired_at = Some("2026-06-01T00:00:00Z".to_owned());
    let list = TrustList::from_file(&file(vec![entry], "KZ")).unwrap();
    let (_, found) = list.key("urn:a#k1").unwrap();
    let at = |t: &str| parse_time(t, "t").unwrap();
    assert_eq!(found.inactive_reason(at("2026-03-01T00:00:00Z")), None);
    assert!(found.inactive_reason(at("2025-12-31T23:59:59Z")).unwrap().contains("valid only from"));
    assert!(
        found
            .inactive_reason(at("2026-06-01T00:00:00Z"))
            .unwrap()
            .contains("retired on 2026-06-01")
    );
    assert!(found.inactive_reason(at("2027-02-01T00:00:00Z")).unwrap().contains("rotated out"));
}

#[test]
fn every_problem_of_a_bad_trust_list_is_reported() {
    let mut entry = key_entry("zz".to_owned());
    entry.document_types.push("visa".to_owned());
    entry.valid_from = "soon".to_owned();
    // A small-order point is refused as a key.
    let mut weak = key_entry(hex::encode([0u8; 32]));
    weak.kid = "k2".to_owned();
    let errors = TrustList::from_file(&file(vec![entry, weak], "Kazakhstan")).unwrap_err();
    let paths: Vec<&str> = errors.iter().map(|e| e.path.as_str()).collect();
    assert_eq!(
        paths,
        [
            "authorities[0].country",
            "authorities[0].keys[0].publicKey",
            "authorities[0].keys[0].documentTypes",
            "authorities[0].keys[0].validFrom",
            "authorities[0].keys[1].publicKey",
        ]
    );
}
