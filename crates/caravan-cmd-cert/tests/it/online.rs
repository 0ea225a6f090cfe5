//! `cert issue --server` and `cert verify --online` against a running test server (SQLite).

use std::sync::Arc;

use caravan_docsign::credential::{DocumentType, sample_subject};
use caravan_refdata::{ReferenceData, SOURCE_FILES, Sources};
use caravan_server::ServerConfig;
use caravan_store::{Actor, Change, NewOrganisation, NewUser, OrgKind, Role, Store};
use caravan_types::CountryCode;

use super::{path, run};

struct Server {
    base: String,
    admin: String,
    certifier: String,
    org_id: i64,
    _dir: tempfile::TempDir,
}

/// Starts the app on a free port in a thread of its own with a fresh store and two users.
fn start() -> Server {
    let dir = tempfile::tempdir().unwrap();
    let data_dir = dir.path().to_owned();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        runtime.block_on(async move {
            let store = caravan_store_sqlite::SqliteStore::open(&data_dir.join("caravan.db"))
                .await
                .unwrap();
            let change =
                Change { actor: Actor::system("test"), at: time::OffsetDateTime::now_utc() };
            let org = store
                .create_organisation(
                    &change,
                    &NewOrganisation {
                        name: "KZ Chamber".to_owned(),
                        kind: OrgKind::CertifyingBody,
                        country: CountryCode::parse("KZ").unwrap(),
                    },
                )
                .await
                .unwrap();
            let mut tokens = Vec::new();
            for (username, role) in [("chamber-admin", Role::Admin), ("certifier", Role::Certifier)]
            {
                let user = store
                    .create_user(
                        &change,
                        &NewUser {
                            username: username.to_owned(),
                            display_name: username.to_owned(),
                            org_id: org.id,
                            role,
                            password_hash: "unused".to_owned(),
                        },
                    )
                    .await
                    .unwrap();
                let secret = caravan_server::auth::random_secret("cvn_");
                let hash = caravan_server::auth::token_hash(&secret);
                store.create_api_token(&change, user.id, "cli", &hash).await.unwrap();
                tokens.push(secret);
            }
            let config = ServerConfig { secure_cookies: false, data_dir: Some(data_dir) };
            let state = caravan_server::state(Arc::new(store), refdata(), config).unwrap();
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
            let addr = listener.local_addr().unwrap();
            tx.send((format!("http://{addr}"), tokens, org.id)).unwrap();
            caravan_server::serve(listener, state, std::future::pending()).await.unwrap();
        });
    });
    let (base, tokens, org_id) = rx.recv().unwrap();
    Server { base, admin: tokens[0].clone(), certifier: tokens[1].clone(), org_id, _dir: dir }
}

fn refdata() -> Arc<ReferenceData> {
    let read = |rel: &str| {
        let path = format!("{}/../../data/reference/{rel}", env!("CARGO_MANIFEST_DIR"));
        std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
    };
    Arc::new(ReferenceData::load(&Sources::from_texts(&SOURCE_FILES.map(read))).unwrap())
}

#[test]
fn issue_through_the_server_and_verify_online_until_revoked() {
    let server = start();
    let keys = format!("{}/api/v1/organisations/{}/signing-keys", server.base, server.org_id);
    ureq::post(&keys)
        .set("Authorization", &format!("Bearer {}", server.admin))
        .send_json(serde_json::json!({}))
        .unwrap();
    let master = server._dir.path().join("cert-master.key");
    assert!(master.exists(), "the master key sealing the signing key is in the data folder");

    let dir = tempfile::tempdir().unwrap();
    let subject = dir.path().join("subject.json");
    std::fs::write(&subject, sample_subject(DocumentType::Origin).to_string()).unwrap();
    let cert = dir.path().join("cert.json");
    let issue = |token: &str| {
        run(&[
            "cert",
            "issue",
            "--server",
            &server.base,
            "--token",
            token,
            "--type",
            "origin",
            "--subject",
            path(&subject),
            "--out",
            path(&cert),
        ])
    };
    assert!(issue("cvn_wrong").is_err(), "a bad token is an error naming the server's answer");
    assert_eq!(issue(&server.certifier).unwrap(), 0);

    // Offline with the served trust list, and online: valid.
    let trust = dir.path().join("trust.json");
    let list = ureq::get(&format!("{}/api/v1/trust-list", server.base)).call().unwrap();
    std::fs::write(&trust, list.into_string().unwrap()).unwrap();
    assert_eq!(run(&["cert", "verify", path(&cert), "--trust", path(&trust)]).unwrap(), 0);
    assert_eq!(run(&["cert", "verify", path(&cert), "--online", &server.base]).unwrap(), 0);

    // Revoked: offline still passes on the certificate's own checkpoint; online fails (exit 1).
    let id =
        serde_json::from_slice::<serde_json::Value>(&std::fs::read(&cert).unwrap()).unwrap()["id"]
            .as_str()
            .unwrap()
            .to_owned();
    ureq::post(&format!("{}/api/v1/certificates/{id}/revoke", server.base))
        .set("Authorization", &format!("Bearer {}", server.certifier))
        .send_json(serde_json::json!({"reason": "issued in error"}))
        .unwrap();
    assert_eq!(run(&["cert", "verify", path(&cert), "--trust", path(&trust)]).unwrap(), 0);
    assert_eq!(run(&["cert", "verify", path(&cert), "--online", &server.base]).unwrap(), 1);
    assert_eq!(
        run(&["cert", "verify", path(&cert), "--online", &server.base, "--trust", path(&trust)])
            .unwrap(),
        1
    );
    // An unreachable server is unreadable input (exit 2), not a verdict.
    assert_eq!(run(&["cert", "verify", path(&cert), "--online", "http://127.0.0.1:9"]).unwrap(), 2);
}
