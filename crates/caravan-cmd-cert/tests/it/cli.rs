//! End to end through the commands: keys, a log, issuance, verification, revocation, proofs.

use std::fs;

use caravan_docsign::credential::{DocumentType, sample_subject};
use caravan_docsign::merkle;

use super::{path, run};

struct Setup {
    dir: tempfile::TempDir,
}

impl Setup {
    fn p(&self, name: &str) -> std::path::PathBuf {
        self.dir.path().join(name)
    }
}

fn setup() -> Setup {
    let setup = Setup { dir: tempfile::tempdir().unwrap() };
    let log = setup.p("log");
    assert_eq!(
        run(&[
            "log",
            "init",
            "--dir",
            path(&log),
            "--log-id",
            "caravan.example/log/kz",
            "--authority-id",
            "urn:caravan:authority:kz",
            "--authority-name",
            "KZ Chamber",
            "--country",
            "KZ"
        ])
        .unwrap(),
        0
    );
    for (alg, name) in [("ed25519", "ed.key"), ("sm2", "sm2.key")] {
        assert_eq!(
            run(&["cert", "keygen", "--alg", alg, "--out", path(&setup.p(name))]).unwrap(),
            0
        );
        assert_eq!(
            run(&[
                "cert",
                "trust-add",
                "--trust",
                path(&setup.p("trust.json")),
                "--log-dir",
                path(&log),
                "--key",
                path(&setup.p(name)),
                "--types",
                "origin,passport"
            ])
            .unwrap(),
            0
        );
    }
    for doc_type in [DocumentType::Origin, DocumentType::Phyto] {
        fs::write(
            setup.p(&format!("{doc_type}.json")),
            serde_json::to_vec(&sample_subject(doc_type)).unwrap(),
        )
        .unwrap();
    }
    setup
}

#[test]
fn keys_are_private_files_and_never_overwritten() {
    let setup = setup();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        assert_eq!(fs::metadata(setup.p("ed.key")).unwrap().permissions().mode() & 0o777, 0o600);
        assert_eq!(
            fs::metadata(setup.p("log/log-key.json")).unwrap().permissions().mode() & 0o777,
            0o600
        );
    }
    let err = run(&["cert", "keygen", "--alg", "ed25519", "--out", path(&setup.p("ed.key"))])
        .unwrap_err();
    assert!(format!("{err:#}").contains("must not exist"), "{err:#}");
}

#[test]
fn issue_verify_revoke_verify_fails_with_revoked() {
    let setup = setup();
    let (log, trust, cert) = (setup.p("log"), setup.p("trust.json"), setup.p("cert.json"));
    let code = run(&[
        "cert",
        "issue",
        "--key",
        path(&setup.p("ed.key")),
        "--sm2-key",
        path(&setup.p("sm2.key")),
        "--type",
        "origin",
        "--subject",
        path(&setup.p("origin.json")),
        "--out",
        path(&cert),
        "--log-dir",
        path(&log),
        "--id",
        "urn:uuid:test-1",
    ]);
    assert_eq!(code.unwrap(), 0);
    assert_eq!(run(&["cert", "verify", path(&cert), "--trust", path(&trust)]).unwrap(), 0);
    // The text of its QR code verifies the same; a damaged scan is unreadable input (exit 2).
    let qr_text = caravan_docsign::qr::encode_certificate(&fs::read(&cert).unwrap()).unwrap();
    let qr = setup.p("cert.qr.txt");
    fs::write(&qr, format!("{qr_text}\n")).unwrap();
    assert_eq!(run(&["cert", "verify", path(&qr), "--trust", path(&trust)]).unwrap(), 0);
    fs::write(&qr, &qr_text[..qr_text.len() - 30]).unwrap();
    assert_eq!(run(&["cert", "verify", path(&qr), "--trust", path(&trust)]).unwrap(), 2);
    assert_eq!(
        run(&[
            "cert",
            "verify",
            path(&cert),
            "--trust",
            path(&trust),
            "--log-dir",
            path(&log),
            "--json"
        ])
        .unwrap(),
        0
    );
    // Without a trust list nobody is authorised.
    assert_eq!(run(&["cert", "verify", path(&cert)]).unwrap(), 1);

    assert_eq!(
        run(&[
            "cert",
            "revoke",
            "--log-dir",
            path(&log),
            "--id",
            "urn:uuid:test-1",
            "--reason",
            "issued in error"
        ])
        .unwrap(),
        0
    );
    // Offline with only the certificate, the revocation cannot be known; with the issuer's log it is.
    assert_eq!(run(&["cert", "verify", path(&cert), "--trust", path(&trust)]).unwrap(), 0);
    assert_eq!(
        run(&["cert", "verify", path(&cert), "--trust", path(&trust), "--log-dir", path(&log)])
            .unwrap(),
        1
    );
    let report = caravan_docsign::verify::verify_certificate(
        &fs::read(&cert).unwrap(),
        &load_trust(&trust),
        &caravan_docsign::verify::VerifyOptions::default(),
    );
    assert!(report.is_valid(), "{}", report.to_text());
}

fn load_trust(path: &std::path::Path) -> caravan_docsign::trust::TrustList {
    let file: caravan_docsign::trust::TrustListFile =
        serde_json::from_slice(&fs::read(path).unwrap()).unwrap();
    caravan_docsign::trust::TrustList::from_file(&file).unwrap()
}

#[test]
fn tampered_unreadable_and_unauthorised_certificates_get_their_exit_codes() {
    let setup = setup();
    let (log, trust, cert) = (setup.p("log"), setup.p("trust.json"), setup.p("cert.json"));
    assert_eq!(
        run(&[
            "cert",
            "issue",
            "--key",
            path(&setup.p("ed.key")),
            "--type",
            "origin",
            "--subject",
            path(&setup.p("origin.json")),
            "--out",
            path(&cert),
            "--log-dir",
            path(&log)
        ])
        .unwrap(),
        0
    );
    let text = fs::read_to_string(&cert).unwrap();
    let tampered = setup.p("tampered.json");
    fs::write(&tampered, text.replacen("Durum wheat", "Durum wheaT", 1)).unwrap();
    assert_eq!(run(&["cert", "verify", path(&tampered), "--trust", path(&trust)]).unwrap(), 1);
    let garbage = setup.p("garbage.json");
    fs::write(&garbage, b"{\"a\":1,\"a\":2}").unwrap();
    assert_eq!(run(&["cert", "verify", path(&garbage), "--trust", path(&trust)]).unwrap(), 2);
    assert_eq!(
        run(&["cert", "verify", path(&setup.p("missing.json")), "--trust", path(&trust)]).unwrap(),
        2
    );
    assert_eq!(
        run(&[
            "cert",
            "verify",
            path(&cert),
            "--trust",
            path(&trust),
            "--online",
            "http://localhost:1"
        ])
        .unwrap(),
        2
    );
    // The key is not listed for phytosanitary certificates (and the sample is Uzbek).
    let phyto = setup.p("phyto-cert.json");
    assert_eq!(
        run(&[
            "cert",
            "issue",
            "--key",
            path(&setup.p("ed.key")),
            "--type",
            "phyto",
            "--subject",
            path(&setup.p("phyto.json")),
            "--out",
            path(&phyto),
            "--log-dir",
            path(&log)
        ])
        .unwrap(),
        0
    );
    assert_eq!(run(&["cert", "verify", path(&phyto), "--trust", path(&trust)]).unwrap(), 1);
}

#[test]
fn issuance_refuses_bad_subjects_and_online_mode_and_stores_nothing() {
    let setup = setup();
    let log = setup.p("log");
    let bad = setup.p("bad.json");
    let mut subject = sample_subject(DocumentType::Origin);
    subject["goods"][0]["hsCode"] = serde_json::Value::from("12");
    subject["goods"][0]["hsCode"] = serde_json::Value::from("1x");
    fs::write(&bad, serde_json::to_vec(&subject).unwrap()).unwrap();
    let err = run(&[
        "cert",
        "issue",
        "--key",
        path(&setup.p("ed.key")),
        "--type",
        "origin",
        "--subject",
        path(&bad),
        "--out",
        path(&setup.p("c.json")),
        "--log-dir",
        path(&log),
    ])
    .unwrap_err();
    assert!(format!("{err:#}").contains("credentialSubject.goods[0].hsCode"), "{err:#}");
    assert_eq!(
        fs::metadata(log.join("entries.log")).unwrap().len(),
        0,
        "nothing may be logged for a rejected subject"
    );
    assert!(!setup.p("c.json").exists());
    let err = run(&[
        "cert",
        "issue",
        "--key",
        path(&setup.p("ed.key")),
        "--type",
        "origin",
        "--subject",
        path(&setup.p("origin.json")),
        "--out",
        path(&setup.p("c.json")),
        "--server",
        "http://x",
        "--token",
        "t",
    ])
    .unwrap_err();
    assert!(format!("{err:#}").contains("cannot reach the server"), "{err:#}");
    assert!(!setup.p("c.json").exists(), "nothing is written when the server is unreachable");
}

#[test]
fn canonicalize_and_verify_signature_exit_codes() {
    let setup = setup();
    let json = setup.p("in.json");
    fs::write(&json, br#"{"b": 1E30, "a": [true]}"#).unwrap();
    assert_eq!(run(&["cert", "canonicalize", path(&json)]).unwrap(), 0);
    fs::write(&json, br#"{"b": 9007199254740993}"#).unwrap();
    assert_eq!(run(&["cert", "canonicalize", path(&json)]).unwrap(), 2);

    // RFC 8032 §7.1 TEST 2.
    let message = setup.p("msg.bin");
    fs::write(&message, [0x72]).unwrap();
    let public_key = "3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c";
    let signature = "92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00";
    let args = |sig: &str| {
        run(&[
            "cert",
            "verify-signature",
            "--alg",
            "ed25519",
            "--public-key",
            public_key,
            "--message-file",
            path(&message),
            "--signature",
            sig,
        ])
        .unwrap()
    };
    assert_eq!(args(signature), 0);
    assert_eq!(args(&signature.replacen('9', "8", 1)), 1);
    assert_eq!(args("zz"), 2);
}

#[test]
fn log_proof_commands_check_rfc9162_proofs() {
    let setup = setup();
    // The RFC 6962 reference tree of 8 leaves.
    let leaves = [
        "",
        "00",
        "10",
        "2021",
        "3031",
        "40414243",
        "5051525354555657",
        "606162636465666768696a6b6c6d6e6f",
    ];
    let file = setup.p("leaves.txt");
    fs::write(&file, leaves.join("\n") + "\n").unwrap();
    assert_eq!(run(&["log", "root", "--leaves", path(&file)]).unwrap(), 0);
    fs::write(setup.p("bad.txt"), "00\nxyz\n").unwrap();
    assert_eq!(run(&["log", "root", "--leaves", path(&setup.p("bad.txt"))]).unwrap(), 2);

    let hashes: Vec<merkle::Hash> =
        leaves.iter().map(|l| merkle::leaf_hash(&hex::decode(l).unwrap())).collect();
    let root = hex::encode(merkle::root(&hashes));
    assert_eq!(root, "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328");
    let proof: Vec<String> =
        merkle::inclusion_proof(&hashes, 5).unwrap().iter().map(hex::encode).collect();
    let leaf = hex::encode(hashes[5]);
    let inclusion = |index: &str, size: &str| {
        run(&[
            "log",
            "verify-inclusion",
            "--leaf-hash",
            &leaf,
            "--index",
            index,
            "--size",
            size,
            "--root",
            &root,
            "--proof",
            &proof.join(","),
        ])
        .unwrap()
    };
    assert_eq!(inclusion("5", "8"), 0);
    assert_eq!(inclusion("4", "8"), 1);
    assert_eq!(inclusion("5", "6"), 1);
    assert_eq!(inclusion("5", "9"), 1);
    assert_eq!(
        run(&[
            "log",
            "verify-inclusion",
            "--leaf-hash",
            "abc",
            "--index",
            "0",
            "--size",
            "1",
            "--root",
            &root
        ])
        .unwrap(),
        2
    );

    let root3 = hex::encode(merkle::root(&hashes[..3]));
    let consistency: Vec<String> =
        merkle::consistency_proof(&hashes, 3).unwrap().iter().map(hex::encode).collect();
    let check = |size1: &str, root1: &str| {
        run(&[
            "log",
            "verify-consistency",
            "--size1",
            size1,
            "--size2",
            "8",
            "--root1",
            root1,
            "--root2",
            &root,
            "--proof",
            &consistency.join(","),
        ])
        .unwrap()
    };
    assert_eq!(check("3", &root3), 0);
    assert_eq!(check("4", &root3), 1);
    assert_eq!(check("3", &root), 1);
}

#[test]
fn local_log_proofs_and_checkpoints() {
    let setup = setup();
    let log = setup.p("log");
    for i in 0..3 {
        let out = setup.p(&format!("c{i}.json"));
        assert!(
            run(&[
                "cert",
                "issue",
                "--key",
                path(&setup.p("ed.key")),
                "--type",
                "passport",
                "--subject",
                path(&setup.p("origin.json")),
                "--out",
                path(&out),
                "--log-dir",
                path(&log)
            ])
            .is_err(),
            "an origin subject is not a passport"
        );
    }
    fs::write(
        setup.p("passport.json"),
        serde_json::to_vec(&sample_subject(DocumentType::Passport)).unwrap(),
    )
    .unwrap();
    for i in 0..3 {
        let out = setup.p(&format!("p{i}.json"));
        assert_eq!(
            run(&[
                "cert",
                "issue",
                "--key",
                path(&setup.p("ed.key")),
                "--type",
                "passport",
                "--subject",
                path(&setup.p("passport.json")),
                "--out",
                path(&out),
                "--log-dir",
                path(&log)
            ])
            .unwrap(),
            0
        );
    }
    assert_eq!(run(&["log", "checkpoint", "--dir", path(&log)]).unwrap(), 0);
    assert_eq!(run(&["log", "prove-inclusion", "--dir", path(&log), "--index", "2"]).unwrap(), 0);
    assert_eq!(run(&["log", "prove-consistency", "--dir", path(&log), "--size1", "1"]).unwrap(), 0);
    assert!(run(&["log", "prove-inclusion", "--dir", path(&log), "--index", "3"]).is_err());
    // The first certificate still verifies after later issuances (its proof is for its own checkpoint).
    assert_eq!(
        run(&[
            "cert",
            "verify",
            path(&setup.p("p0.json")),
            "--trust",
            path(&setup.p("trust.json")),
            "--log-dir",
            path(&log)
        ])
        .unwrap(),
        0
    );
    // And it has a JWS form.
    assert_eq!(
        run(&["cert", "jws", path(&setup.p("p0.json")), "--key", path(&setup.p("ed.key"))])
            .unwrap(),
        0
    );
}
