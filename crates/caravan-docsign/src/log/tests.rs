//! Unit tests of `log`.
use proptest::prelude::*;

use super::*;

fn time(text: &str) -> OffsetDateTime {
    parse_time(text, "t").unwrap()
}

fn revocation(id: &str) -> LogEntry {
    LogEntry::Revocation {
        credential_id: id.to_owned(),
        reason: "goods re-exported".to_owned(),
        revoked_at: time("2026-07-01T00:00:00Z"),
    }
}

#[test]
fn entries_round_trip_through_their_leaf_data() {
    let issuance = LogEntry::Issuance { credential: json!({"id": "urn:1", "x": [1, 2]}) };
    assert_eq!(
        issuance.to_bytes(),
        br#"{"credential":{"id":"urn:1","x":[1,2]},"type":"issuance"}"#
    );
    for entry in [issuance, revocation("urn:1")] {
        assert_eq!(LogEntry::parse(&entry.to_bytes()).unwrap(), entry);
        assert_eq!(entry.leaf_hash(), merkle::leaf_hash(&entry.to_bytes()));
    }
    assert!(matches!(
        LogEntry::parse(br#"{"type":"other"}"#),
        Err(LogError::Entry { field: "type", .. })
    ));
}

#[test]
fn checkpoints_sign_their_body_and_round_trip_as_json() {
    let key = PrivateKey::from_secret_bytes(Algorithm::Ed25519, &[1u8; 32], "").unwrap();
    let checkpoint = Checkpoint {
        log_id: "caravan.example/kz-chamber".to_owned(),
        size: 3,
        root: [7u8; 32],
        timestamp: time("2026-06-01T10:00:00Z"),
    };
    assert_eq!(
        checkpoint.body(),
        "caravan.example/kz-chamber\n3\nBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwc=\n2026-06-01T10:00:00Z\n"
    );
    let signed = checkpoint.sign(&key, "urn:a#log");
    let back = SignedCheckpoint::from_json(&signed.to_json()).unwrap();
    assert_eq!(back, signed);
    back.verify_signature(&key.public_key(), "").unwrap();
    let mut bigger = back.clone();
    bigger.checkpoint.size = 4;
    assert!(bigger.verify_signature(&key.public_key(), "").is_err());
    let mut json = signed.to_json();
    json["rootHash"] = Value::from("abcd");
    assert!(matches!(
        SignedCheckpoint::from_json(&json),
        Err(LogError::Checkpoint { field: "rootHash", .. })
    ));
}

#[test]
fn torn_records_are_cut_off_on_recovery() {
    let mut file = Vec::new();
    for i in 0..5u8 {
        file.extend(encode_record(&vec![i; 10 + usize::from(i)]));
    }
    let whole = file.len();
    let records = decode_records(&file);
    assert_eq!(records.leaf_hashes.len(), 5);
    assert_eq!(records.valid_len, whole);
    assert_eq!(&file[records.data_ranges[2].clone()], &[2u8; 12]);
    // A write torn in the middle of the last record.
    let torn = &file[..whole - 3];
    let records = decode_records(torn);
    assert_eq!(records.leaf_hashes.len(), 4);
    // A corrupted byte in record 3 stops recovery before it.
    let mut corrupt = file.clone();
    corrupt[records.data_ranges[3].start] ^= 0xff;
    assert_eq!(decode_records(&corrupt).leaf_hashes.len(), 3);
}

#[test]
fn revocation_state_is_proven_against_the_checkpoint_root() {
    let key = PrivateKey::from_secret_bytes(Algorithm::Ed25519, &[1u8; 32], "").unwrap();
    let entries: Vec<Vec<u8>> = vec![
        LogEntry::Issuance { credential: json!({"id": "urn:1"}) }.to_bytes(),
        revocation("urn:1").to_bytes(),
        LogEntry::Issuance { credential: json!({"id": "urn:2"}) }.to_bytes(),
    ];
    let refs: Vec<&[u8]> = entries.iter().map(Vec::as_slice).collect();
    let leaves: Vec<Hash> = refs.iter().map(|d| merkle::leaf_hash(d)).collect();
    let checkpoint = Checkpoint {
        log_id: "l".to_owned(),
        size: 3,
        root: merkle::root(&leaves),
        timestamp: time("2026-07-02T00:00:00Z"),
    }
    .sign(&key, "k");
    let state = revocation_state(&refs, &checkpoint).unwrap();
    assert_eq!(state.revoked.keys().collect::<Vec<_>>(), ["urn:1"]);
    assert_eq!(
        revocation_state(&refs[..2], &checkpoint).unwrap_err(),
        LogError::TooFewEntries { have: 2, need: 3 }
    );
    // Dropping the revocation (a log that hides it) no longer matches the signed root.
    let hidden: Vec<&[u8]> = vec![refs[0], refs[2], refs[2]];
    assert_eq!(revocation_state(&hidden, &checkpoint).unwrap_err(), LogError::RootMismatch);
}

#[test]
fn the_revocations_alone_give_the_same_state_as_every_entry() {
    let key = PrivateKey::from_secret_bytes(Algorithm::Ed25519, &[1u8; 32], "").unwrap();
    let issuance = LogEntry::Issuance { credential: json!({"id": "urn:1"}) }.to_bytes();
    let entries =
        [issuance.clone(), revocation("urn:1").to_bytes(), revocation("urn:2").to_bytes()];
    let refs: Vec<&[u8]> = entries.iter().map(Vec::as_slice).collect();
    let leaves: Vec<Hash> = refs.iter().map(|d| merkle::leaf_hash(d)).collect();
    let checkpoint = Checkpoint {
        log_id: "l".to_owned(),
        size: 3,
        root: merkle::root(&leaves),
        timestamp: time("2026-07-02T00:00:00Z"),
    }
    .sign(&key, "k");
    assert_eq!(
        revocation_state_of_revocations(&refs[1..], &checkpoint),
        revocation_state(&refs, &checkpoint)
    );
    assert!(matches!(
        revocation_state_of_revocations(&refs, &checkpoint),
        Err(LogError::Entry { field: "type", .. })
    ));
}

proptest! {
    // Bounded fuzzing of the record decoder on arbitrary bytes.
    #[test]
    fn record_decoding_never_panics(bytes in prop::collection::vec(any::<u8>(), 0..300)) {
        let records = decode_records(&bytes);
        prop_assert!(records.valid_len <= bytes.len());
    }

    #[test]
    fn log_entry_parsing_never_panics(bytes in prop::collection::vec(any::<u8>(), 0..200)) {
        let _ = LogEntry::parse(&bytes);
        let _ = SignedCheckpoint::from_json(&serde_json::from_slice(&bytes).unwrap_or(Value::Null));
    }
}
