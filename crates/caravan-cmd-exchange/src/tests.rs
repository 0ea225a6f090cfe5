use caravan_docsign::sig::{Algorithm, KeyFile, PrivateKey};
use caravan_exchange::identity::{IDENTITY_FORMAT, NodeIdentity, NodeKey, Peers};
use caravan_types::CountryCode;
use clap::Parser;

use super::*;

#[derive(Parser)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

fn cli(args: &[&str]) -> Command {
    Cli::try_parse_from(std::iter::once("caravan-exchange").chain(args.iter().copied()))
        .unwrap()
        .command
}

/// A key file and CN's identity naming it `cn-1`.
fn cn_node(dir: &Path) -> (PathBuf, PathBuf) {
    let key = PrivateKey::from_secret_bytes(Algorithm::Ed25519, &[3; 32], "").unwrap();
    let key_path = dir.join("cn-key.json");
    std::fs::write(&key_path, serde_json::to_vec(&KeyFile::from_key(&key)).unwrap()).unwrap();
    let identity = NodeIdentity {
        format: IDENTITY_FORMAT.into(),
        country: CountryCode::parse("CN").unwrap(),
        url: "https://caravan.cn.example".into(),
        keys: vec![NodeKey {
            kid: "cn-1".into(),
            alg: Algorithm::Ed25519,
            public_key: hex::encode(key.public_key()),
            sm2_id: None,
            retired: false,
        }],
    };
    let identity_path = dir.join("cn-identity.json");
    std::fs::write(&identity_path, serde_json::to_vec(&identity).unwrap()).unwrap();
    (key_path, identity_path)
}

#[test]
fn seal_then_verify_offline_and_a_changed_envelope_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let (key, identity) = cn_node(dir.path());
    let payload = dir.path().join("coo.json");
    std::fs::write(&payload, br#"{"id":"CN-CCPIT-2026-7","goods":[{"hs_code":"080810"}]}"#)
        .unwrap();
    let Command::Seal(args) = cli(&[
        "seal",
        payload.to_str().unwrap(),
        "--key",
        key.to_str().unwrap(),
        "--kid",
        "cn-1",
        "--from",
        "CN",
        "--to",
        "KZ",
        "--kind",
        "certificate_of_origin",
        "--document-id",
        "CN-CCPIT-2026-7",
        "--message-id",
        "m-7",
        "--sequence",
        "1",
        "--created-at",
        "2026-12-08T03:00:00Z",
    ]) else {
        panic!("a seal command")
    };
    let envelope = seal(&args).unwrap();
    assert_eq!(envelope.header.created_at, "2026-12-08T03:00:00Z");
    assert_eq!(envelope.payload["id"], "CN-CCPIT-2026-7");

    let mut peers = Peers::new();
    peers.put(NodeIdentity::parse(&std::fs::read(&identity).unwrap()).unwrap()).unwrap();
    let verdict = verify(&envelope, &peers, None);
    assert_eq!((verdict.status, verdict.code), ("valid", None));
    assert_eq!(verdict.hash, envelope.hash());
    let mut changed = envelope.clone();
    changed.payload["goods"][0]["hs_code"] = serde_json::json!("080820");
    let verdict = verify(&changed, &peers, None);
    assert_eq!((verdict.status, verdict.code), ("refused", Some("exchange.bad_signature")));
    let verdict = verify(&envelope, &peers, Some(CountryCode::parse("UZ").unwrap()));
    assert_eq!(verdict.code, Some("exchange.not_for_us"));

    // Through `run`: the exit codes of the contract.
    let file = dir.path().join("envelope.json");
    std::fs::write(&file, serde_json::to_vec(&envelope).unwrap()).unwrap();
    let args = |path: &Path| {
        cli(&["verify", path.to_str().unwrap(), "--peer", identity.to_str().unwrap()])
    };
    assert_eq!(run(args(&file)).unwrap(), ExitCode::SUCCESS);
    std::fs::write(&file, serde_json::to_vec(&changed).unwrap()).unwrap();
    assert_eq!(run(args(&file)).unwrap(), ExitCode::from(EXIT_REFUSED));
    std::fs::write(&file, b"{not json").unwrap();
    assert_eq!(run(args(&file)).unwrap(), ExitCode::from(EXIT_UNREADABLE));
}

#[test]
fn bad_flags_name_themselves() {
    let err = word::<MessageKind>("--kind", "certificate").unwrap_err();
    assert!(err.to_string().contains("--kind"), "{err}");
    let err = country("--to", "Kazakhstan").unwrap_err();
    assert!(err.to_string().contains("--to"), "{err}");
    let dir = tempfile::tempdir().unwrap();
    let sm2 = PrivateKey::from_secret_bytes(Algorithm::Sm2, &[5; 32], "1234567812345678").unwrap();
    let path = dir.path().join("sm2.json");
    std::fs::write(&path, serde_json::to_vec(&KeyFile::from_key(&sm2)).unwrap()).unwrap();
    let err = read_key(&path, Algorithm::Ed25519).unwrap_err();
    assert!(err.to_string().contains("ed25519 key is needed"), "{err}");
}
