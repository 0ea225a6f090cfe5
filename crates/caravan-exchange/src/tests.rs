use std::collections::{BTreeMap, VecDeque};

use caravan_docsign::sig::{Algorithm, PrivateKey};
use caravan_types::CountryCode;
use serde_json::{Value, json};

use crate::envelope::{
    DocumentStatus, Envelope, EnvelopeError, Header, MAX_ENVELOPE_BYTES, MessageKind,
};
use crate::identity::{IDENTITY_FORMAT, IdentityError, NodeIdentity, NodeKey, Peers};
use crate::receive::{MAX_AHEAD, Outcome, PairState, Refusal, check};

const SM2_ID: &str = "1234567812345678";

fn cc(code: &str) -> CountryCode {
    CountryCode::parse(code).unwrap()
}

fn ed(seed: u8) -> PrivateKey {
    PrivateKey::from_secret_bytes(Algorithm::Ed25519, &[seed; 32], "").unwrap()
}

fn sm2(seed: u8) -> PrivateKey {
    PrivateKey::from_secret_bytes(Algorithm::Sm2, &[seed; 32], SM2_ID).unwrap()
}

fn key_entry(kid: &str, key: &PrivateKey) -> NodeKey {
    NodeKey {
        kid: kid.to_owned(),
        alg: key.algorithm(),
        public_key: hex::encode(key.public_key()),
        sm2_id: key.sm2_id().map(str::to_owned),
        retired: false,
    }
}

fn identity(country: &str, keys: Vec<NodeKey>) -> NodeIdentity {
    NodeIdentity {
        format: IDENTITY_FORMAT.to_owned(),
        country: cc(country),
        url: format!("https://caravan.{}.example", country.to_lowercase()),
        keys,
    }
}

fn header(sequence: u64, previous_hash: &str) -> Header {
    Header {
        from: cc("CN"),
        to: cc("KZ"),
        kind: MessageKind::CertificateOfOrigin,
        status: DocumentStatus::Issued,
        document_id: format!("CN-CCPIT-2026-{sequence}"),
        message_id: format!("msg-{sequence}"),
        sequence,
        previous_hash: previous_hash.to_owned(),
        created_at: "2026-12-08T02:30:00Z".to_owned(),
    }
}

fn payload(n: u64) -> Value {
    json!({ "id": format!("CN-CCPIT-2026-{n}"), "goods": [{ "hs_code": "080810", "quantity": n }] })
}

/// CN's node (key `cn-1`) as KZ's peer.
fn kz_peers() -> Peers {
    let mut peers = Peers::new();
    peers.put(identity("CN", vec![key_entry("cn-1", &ed(1))])).unwrap();
    peers
}

/// A chain of `n` envelopes CN → KZ, each naming the previous one's hash.
fn chain(n: u64) -> Vec<Envelope> {
    let key = ed(1);
    let mut out: Vec<Envelope> = Vec::new();
    for sequence in 1..=n {
        let previous = out.last().map(Envelope::hash).unwrap_or_default();
        out.push(
            Envelope::seal(header(sequence, &previous), payload(sequence), &[(&key, "cn-1")])
                .unwrap(),
        );
    }
    out
}

fn none(_: u64) -> Option<String> {
    None
}

#[test]
fn a_sealed_envelope_survives_the_wire_and_is_applied() {
    let envelope = &chain(1)[0];
    let bytes = serde_json::to_vec(envelope).unwrap();
    let read = Envelope::parse(&bytes).unwrap();
    assert_eq!(&read, envelope);
    assert_eq!(read.hash(), envelope.hash());
    assert_eq!(read.hash().len(), 64);
    let outcome = check(&read, cc("KZ"), &kz_peers(), &PairState::default(), none);
    assert_eq!(outcome, Ok(Outcome::Apply));
    // The protected header is what RFC 7515 §7.2.1 says it is.
    let decoded = read.decoded_signatures().unwrap();
    assert_eq!(decoded.len(), 1);
    assert_eq!((decoded[0].alg, decoded[0].kid.as_str()), (Algorithm::Ed25519, "cn-1"));
    assert_eq!(MessageKind::CertificateOfOrigin.document_name_code(), Some("861"));
}

#[test]
fn any_change_after_sealing_breaks_the_signature() {
    let original = chain(1).remove(0);
    let peers = kz_peers();
    let mut changed = Vec::new();
    let mut e = original.clone();
    e.payload["goods"][0]["quantity"] = json!(2);
    changed.push(e);
    let mut e = original.clone();
    e.header.document_id = "CN-CCPIT-2026-999".into();
    changed.push(e);
    let mut e = original.clone();
    e.header.status = DocumentStatus::Revoked;
    changed.push(e);
    let mut e = original.clone();
    e.signatures[0].signature = chain(2)[1].signatures[0].signature.clone();
    changed.push(e);
    for e in changed {
        let refusal = check(&e, cc("KZ"), &peers, &PairState::default(), none).unwrap_err();
        assert!(matches!(refusal, Refusal::BadSignature { .. }), "{refusal:?}");
        assert_eq!(refusal.code(), "exchange.bad_signature");
    }
}

#[test]
fn envelopes_from_strangers_or_for_others_are_refused() {
    let envelope = chain(1).remove(0);
    let state = PairState::default();
    assert!(matches!(
        check(&envelope, cc("UZ"), &kz_peers(), &state, none),
        Err(Refusal::NotForUs { .. })
    ));
    assert!(matches!(
        check(&envelope, cc("KZ"), &Peers::new(), &state, none),
        Err(Refusal::UnknownPeer { .. })
    ));
    // Signed by a key CN's identity does not list.
    let stranger = Envelope::seal(header(1, ""), payload(1), &[(&ed(9), "cn-9")]).unwrap();
    assert!(matches!(
        check(&stranger, cc("KZ"), &kz_peers(), &state, none),
        Err(Refusal::UnknownKey { .. })
    ));
    // A key id CN lists, but another key's signature.
    let forged = Envelope::seal(header(1, ""), payload(1), &[(&ed(9), "cn-1")]).unwrap();
    assert!(matches!(
        check(&forged, cc("KZ"), &kz_peers(), &state, none),
        Err(Refusal::BadSignature { .. })
    ));
}

#[test]
fn a_rotated_key_verifies_nothing_from_the_moment_the_new_identity_is_held() {
    let envelope = chain(1).remove(0);
    let mut peers = kz_peers();
    assert_eq!(check(&envelope, cc("KZ"), &peers, &PairState::default(), none), Ok(Outcome::Apply));
    let mut old = key_entry("cn-1", &ed(1));
    old.retired = true;
    peers.put(identity("CN", vec![old, key_entry("cn-2", &ed(2))])).unwrap();
    let refusal = check(&envelope, cc("KZ"), &peers, &PairState::default(), none).unwrap_err();
    assert_eq!(refusal.code(), "exchange.retired_key");
    let fresh = Envelope::seal(header(1, ""), payload(1), &[(&ed(2), "cn-2")]).unwrap();
    assert_eq!(check(&fresh, cc("KZ"), &peers, &PairState::default(), none), Ok(Outcome::Apply));
    assert!(peers.remove(cc("CN")));
    assert!(matches!(
        check(&fresh, cc("KZ"), &peers, &PairState::default(), none),
        Err(Refusal::UnknownPeer { .. })
    ));
}

#[test]
fn a_node_with_an_sm2_key_co_signs_and_its_peers_insist() {
    let (ed_key, sm2_key) = (ed(1), sm2(7));
    let mut peers = Peers::new();
    peers
        .put(identity("CN", vec![key_entry("cn-1", &ed_key), key_entry("cn-sm2", &sm2_key)]))
        .unwrap();
    let state = PairState::default();
    let both =
        Envelope::seal(header(1, ""), payload(1), &[(&ed_key, "cn-1"), (&sm2_key, "cn-sm2")])
            .unwrap();
    assert_eq!(both.decoded_signatures().unwrap()[1].alg, Algorithm::Sm2);
    assert_eq!(check(&both, cc("KZ"), &peers, &state, none), Ok(Outcome::Apply));
    let ed_only = Envelope::seal(header(1, ""), payload(1), &[(&ed_key, "cn-1")]).unwrap();
    assert!(matches!(
        check(&ed_only, cc("KZ"), &peers, &state, none),
        Err(Refusal::MissingSm2Signature { .. })
    ));
    // Ed25519 is never optional.
    assert_eq!(
        Envelope::seal(header(1, ""), payload(1), &[(&sm2_key, "cn-sm2")]),
        Err(EnvelopeError::NoEd25519Key)
    );
    let mut sm2_only = both.clone();
    sm2_only.signatures.remove(0);
    assert!(matches!(
        check(&sm2_only, cc("KZ"), &peers, &state, none),
        Err(Refusal::NoEd25519Signature { .. })
    ));
    // A key used under the other algorithm's name.
    let mut swapped = both;
    swapped.signatures.swap(0, 1);
    let protected = swapped.signatures[0].protected.clone();
    swapped.signatures[1].protected = protected;
    assert!(check(&swapped, cc("KZ"), &peers, &state, none).is_err());
}

#[test]
fn the_chain_and_the_sequence_decide_apply_hold_duplicate_or_refuse() {
    let envelopes = chain(3);
    let peers = kz_peers();
    let applied: BTreeMap<u64, String> = BTreeMap::from([(1, envelopes[0].hash())]);
    let lookup = |s: u64| applied.get(&s).cloned();
    let after_one = PairState { last_applied: 1, last_hash: envelopes[0].hash() };
    assert_eq!(check(&envelopes[1], cc("KZ"), &peers, &after_one, lookup), Ok(Outcome::Apply));
    assert_eq!(check(&envelopes[0], cc("KZ"), &peers, &after_one, lookup), Ok(Outcome::Duplicate));
    assert_eq!(
        check(&envelopes[2], cc("KZ"), &peers, &after_one, lookup),
        Ok(Outcome::Hold { expected: 2 })
    );
    // Sequence 2 chained to something else than envelope 1.
    let key = ed(1);
    let broken =
        Envelope::seal(header(2, &"ab".repeat(32)), payload(2), &[(&key, "cn-1")]).unwrap();
    let refusal = check(&broken, cc("KZ"), &peers, &after_one, lookup).unwrap_err();
    assert_eq!(refusal.code(), "exchange.chain_broken");
    // Another envelope numbered 1: a replay of the number with other content.
    let replay = Envelope::seal(header(1, ""), payload(99), &[(&key, "cn-1")]).unwrap();
    let refusal = check(&replay, cc("KZ"), &peers, &after_one, lookup).unwrap_err();
    assert_eq!(refusal, Refusal::Conflict { sequence: 1, applied: envelopes[0].hash() });
    assert_eq!(refusal.code(), "exchange.replay");
    // Far ahead of the next expected.
    let far =
        Envelope::seal(header(MAX_AHEAD + 3, &"cd".repeat(32)), payload(1), &[(&key, "cn-1")])
            .unwrap();
    assert_eq!(
        check(&far, cc("KZ"), &peers, &after_one, lookup).unwrap_err().code(),
        "exchange.from_the_future"
    );
}

/// The receiver of the crate's rules as a store would run them: an inbox of applied envelopes
/// keyed by sequence, a holding area, and the effect (here, the payloads in the order applied).
#[derive(Default)]
struct Receiver {
    state: PairState,
    inbox: BTreeMap<u64, String>,
    held: BTreeMap<u64, Envelope>,
    effects: Vec<Value>,
}

impl Receiver {
    fn deliver(&mut self, envelope: &Envelope, peers: &Peers) -> Outcome {
        let outcome = {
            let inbox = &self.inbox;
            check(envelope, cc("KZ"), peers, &self.state, |s| inbox.get(&s).cloned()).unwrap()
        };
        match outcome {
            Outcome::Apply => {
                self.apply(envelope);
                // Whatever was held behind it follows, in order.
                while let Some(next) = self.held.remove(&(self.state.last_applied + 1)) {
                    let inbox = &self.inbox;
                    let again =
                        check(&next, cc("KZ"), peers, &self.state, |s| inbox.get(&s).cloned());
                    assert_eq!(again, Ok(Outcome::Apply));
                    self.apply(&next);
                }
            }
            Outcome::Hold { .. } => {
                self.held.insert(envelope.header.sequence, envelope.clone());
            }
            Outcome::Duplicate => {}
        }
        outcome
    }

    fn apply(&mut self, envelope: &Envelope) {
        self.inbox.insert(envelope.header.sequence, envelope.hash());
        self.state =
            PairState { last_applied: envelope.header.sequence, last_hash: envelope.hash() };
        self.effects.push(envelope.payload.clone());
    }
}

/// At-least-once delivery, reordered and duplicated as a retrying sender and a network make it,
/// gives each envelope's effect exactly once and in the sender's order.
#[test]
fn duplicated_and_reordered_deliveries_take_effect_once_each_in_order() {
    let envelopes = chain(300);
    let peers = kz_peers();
    // A deterministic shuffle with repeats: every envelope 1–4 times, in a scrambled order.
    let mut seed: u64 = 0x2545_F491_4F6C_DD1D;
    let mut next = || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    let mut deliveries: Vec<usize> = Vec::new();
    for idx in 0..envelopes.len() {
        for _ in 0..=(next() % 4) {
            deliveries.push(idx);
        }
    }
    for i in (1..deliveries.len()).rev() {
        let j = (next() % (i as u64 + 1)) as usize;
        deliveries.swap(i, j);
    }
    let mut receiver = Receiver::default();
    let mut queue: VecDeque<usize> = deliveries.iter().copied().collect();
    let mut duplicates = 0;
    while let Some(idx) = queue.pop_front() {
        if receiver.deliver(&envelopes[idx], &peers) == Outcome::Duplicate {
            duplicates += 1;
        }
    }
    let expected: Vec<Value> = (1..=300).map(payload).collect();
    assert_eq!(receiver.effects, expected, "each payload once, in order");
    assert!(receiver.held.is_empty());
    assert_eq!(receiver.state.last_hash, envelopes[299].hash());
    assert!(duplicates > 0 && deliveries.len() > envelopes.len());
}

#[test]
fn malformed_envelopes_are_refused_naming_the_member() {
    let good = serde_json::to_value(&chain(1)[0]).unwrap();
    let with = |edit: &dyn Fn(&mut Value)| {
        let mut value = good.clone();
        edit(&mut value);
        Envelope::parse(value.to_string().as_bytes()).unwrap_err()
    };
    let field = |err: EnvelopeError| match err {
        EnvelopeError::Field { field, .. } => field.to_owned(),
        other => format!("{other:?}"),
    };
    assert_eq!(field(with(&|v| v["format"] = json!("caravan-envelope/0"))), "format");
    assert_eq!(field(with(&|v| v["header"]["sequence"] = json!(0))), "header.sequence");
    assert_eq!(
        field(with(&|v| v["header"]["previous_hash"] = json!("00"))),
        "header.previous_hash"
    );
    assert_eq!(field(with(&|v| v["header"]["status"] = json!("released"))), "header.status");
    assert_eq!(field(with(&|v| v["header"]["to"] = json!("CN"))), "header.to");
    assert_eq!(
        field(with(&|v| v["header"]["created_at"] = json!("08.12.2026"))),
        "header.created_at"
    );
    assert_eq!(field(with(&|v| v["header"]["message_id"] = json!(""))), "header.message_id");
    assert_eq!(field(with(&|v| v["payload"] = json!([1, 2]))), "payload");
    assert_eq!(field(with(&|v| v["signatures"] = json!([]))), "signatures");
    assert!(matches!(with(&|v| v["extra"] = json!(1)), EnvelopeError::Json(_)));
    assert!(matches!(with(&|v| v["header"]["hub"] = json!(1)), EnvelopeError::Json(_)));
    // Duplicate member names are refused (strict JSON), not resolved to the last one.
    let text = good.to_string().replacen("{\"format\"", "{\"format\":\"x\",\"format\"", 1);
    assert!(matches!(Envelope::parse(text.as_bytes()), Err(EnvelopeError::Json(_))));
    let huge = vec![b' '; MAX_ENVELOPE_BYTES + 1];
    assert!(matches!(Envelope::parse(&huge), Err(EnvelopeError::TooLarge { .. })));
    // A signature whose protected header is not ours decodes to a refusal, not a panic.
    let mut odd: Envelope = serde_json::from_value(good).unwrap();
    odd.signatures[0].protected = "e30".into(); // {}
    let refusal = check(&odd, cc("KZ"), &kz_peers(), &PairState::default(), none).unwrap_err();
    assert_eq!(refusal.code(), "exchange.malformed");
}

#[test]
fn identity_files_are_checked_member_by_member() {
    let good = identity("CN", vec![key_entry("cn-1", &ed(1)), key_entry("cn-sm2", &sm2(7))]);
    let bytes = serde_json::to_vec(&good).unwrap();
    assert_eq!(NodeIdentity::parse(&bytes).unwrap(), good);
    let with = |edit: &dyn Fn(&mut Value)| {
        let mut value = serde_json::to_value(&good).unwrap();
        edit(&mut value);
        match NodeIdentity::parse(value.to_string().as_bytes()).unwrap_err() {
            IdentityError::Field { field, .. } => field,
            IdentityError::Json(message) => format!("json: {message}"),
        }
    };
    assert_eq!(with(&|v| v["format"] = json!("x")), "format");
    assert_eq!(with(&|v| v["url"] = json!("ftp://node")), "url");
    assert_eq!(with(&|v| v["keys"][1]["kid"] = json!("cn-1")), "keys[1].kid");
    assert_eq!(with(&|v| v["keys"][0]["public_key"] = json!("zz")), "keys[0].public_key");
    assert_eq!(
        with(&|v| v["keys"][0]["public_key"] = json!("00".repeat(31))),
        "keys[0].public_key"
    );
    assert_eq!(with(&|v| v["keys"][1]["sm2_id"] = Value::Null), "keys[1].sm2_id");
    assert_eq!(with(&|v| v["keys"][0]["retired"] = json!(true)), "keys");
    assert!(with(&|v| v["country"] = json!("Kazakhstan")).starts_with("json:"));
}
