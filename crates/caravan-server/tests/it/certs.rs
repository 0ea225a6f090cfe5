//! Certificates over HTTP (issue 3), end to end: keys, issue, download, offline verification
//! with the served trust list, revocation seen through fresh log state, tampering, log proofs,
//! the pages, and the denials.

use axum::body::Body;
use axum::http::{Request, header};
use caravan_docsign::credential::{DocumentType, sample_subject};
use caravan_docsign::log::{SignedCheckpoint, revocation_state};
use caravan_docsign::merkle;
use caravan_docsign::trust::{TrustList, TrustListFile};
use caravan_docsign::verify::{CheckName, VerifyOptions, verify_certificate};
use caravan_refdata::Lang;
use caravan_server::certs::CertKey;
use caravan_server::i18n::Text;
use caravan_store::{Actor, Change, NewOrganisation, NewUser, OrgKind, Role};
use caravan_types::CountryCode;
use serde_json::{Value, json};

use crate::support::{TestApp, body_text, error_code, fixed_now};

struct Fixture {
    app: TestApp,
    kz_chamber: i64,
    uz_plant: i64,
}

async fn fixture() -> Fixture {
    let app = TestApp::new().await;
    let change = Change { actor: Actor::system("test"), at: fixed_now() };
    let store = &app.state.store;
    let org = |name: &str, kind, country: &str| NewOrganisation {
        name: name.to_owned(),
        kind,
        country: CountryCode::parse(country).unwrap(),
    };
    let kz_chamber = store
        .create_organisation(&change, &org("KZ Chamber", OrgKind::CertifyingBody, "KZ"))
        .await
        .unwrap()
        .id;
    let uz_plant = store
        .create_organisation(
            &change,
            &org("UZ Plant Quarantine", OrgKind::PlantProtectionService, "UZ"),
        )
        .await
        .unwrap()
        .id;
    for (username, org_id) in [("kz-cert", kz_chamber), ("uz-cert", uz_plant)] {
        let user = NewUser {
            username: username.to_owned(),
            display_name: username.to_owned(),
            org_id,
            role: Role::Certifier,
            password_hash: "unused".to_owned(),
        };
        store.create_user(&change, &user).await.unwrap();
    }
    Fixture { app, kz_chamber, uz_plant }
}

async fn issue(app: &TestApp, token: &str, doc_type: DocumentType) -> (u16, Value) {
    let body = json!({"type": doc_type.as_str(), "subject": sample_subject(doc_type)});
    app.post_json("/api/v1/certificates", Some(token), &body.to_string()).await
}

async fn served_trust(app: &TestApp) -> TrustList {
    let (status, body) = app.get("/api/v1/trust-list", None).await;
    assert_eq!(status, 200, "{body}");
    let file: TrustListFile = serde_json::from_value(body).unwrap();
    TrustList::from_file(&file).unwrap()
}

#[tokio::test]
async fn issue_download_verify_offline_revoke_and_fail_as_revoked() {
    let Fixture { app, kz_chamber, .. } = fixture().await;
    let admin = app.token("kz-admin").await;
    let certifier = app.token("kz-cert").await;

    // Before a key exists, issuing says what to do.
    let (status, body) = issue(&app, &certifier, DocumentType::Origin).await;
    assert_eq!((status, error_code(&body)), (422, "certs.no_key_for_type"), "{body}");

    let path = format!("/api/v1/organisations/{kz_chamber}/signing-keys");
    let (status, key) =
        app.post_json(&path, Some(&admin), r#"{"document_types": ["origin"]}"#).await;
    assert_eq!(status, 201, "{key}");
    assert_eq!(key["public_key"].as_str().unwrap().len(), 64);
    assert!(key.get("sealed_secret").is_none(), "the private key never leaves the server");

    let (status, issued) = issue(&app, &certifier, DocumentType::Origin).await;
    assert_eq!(status, 201, "{issued}");
    let id = issued["id"].as_str().unwrap().to_owned();
    assert_eq!(issued["issuer"]["id"], format!("urn:caravan:authority:{kz_chamber}"));

    // A key for origin only cannot sign a phytosanitary certificate.
    let (status, body) = issue(&app, &certifier, DocumentType::Phyto).await;
    assert_eq!((status, error_code(&body)), (422, "certs.no_key_for_type"));

    // Download it as a register member and verify offline with the served trust list.
    let (status, listed) = app.get("/api/v1/certificates", Some(&certifier)).await;
    assert_eq!((status, listed[0]["id"].as_str()), (200, Some(id.as_str())));
    let response = app
        .send(
            Request::get(format!("/api/v1/certificates/{id}"))
                .header(header::AUTHORIZATION, format!("Bearer {certifier}"))
                .body(Body::empty())
                .unwrap(),
        )
        .await;
    assert_eq!(response.status(), 200);
    let downloaded = body_text(response).await.into_bytes();
    let trust = served_trust(&app).await;
    let report = verify_certificate(&downloaded, &trust, &VerifyOptions::default());
    assert!(report.is_valid(), "{}", report.to_text());

    // Any changed byte fails: here one letter of the exporter's name.
    let text = String::from_utf8(downloaded.clone()).unwrap();
    let tampered = text.replacen("Almaty", "Almatx", 1);
    assert_ne!(tampered, text);
    let report = verify_certificate(tampered.as_bytes(), &trust, &VerifyOptions::default());
    assert_eq!(
        report.first_failure().map(|c| c.name),
        Some(CheckName::Signature),
        "{}",
        report.to_text()
    );

    // Revoke with a reason.
    let revoke = format!("/api/v1/certificates/{id}/revoke");
    let (status, body) = app.post_json(&revoke, Some(&certifier), r#"{"reason": "  "}"#).await;
    assert_eq!((status, error_code(&body)), (400, "certs.invalid_reason"));
    let (status, body) =
        app.post_json(&revoke, Some(&certifier), r#"{"reason": "goods returned"}"#).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["revocation_reason"], "goods returned");
    let (status, body) = app.post_json(&revoke, Some(&certifier), r#"{"reason": "again"}"#).await;
    assert_eq!((status, error_code(&body)), (409, "certs.already_revoked"));

    // Offline with only the certificate it still passes (its own checkpoint predates the
    // revocation); with the log's fresh state, fetched over the API, it fails as revoked.
    let log = issued["proof"].as_array().unwrap().iter().find_map(|p| p["logId"].as_str()).unwrap();
    let (_, checkpoint) = app.get(&format!("/api/v1/logs/{log}/checkpoint"), None).await;
    let checkpoint = SignedCheckpoint::from_json(&checkpoint).unwrap();
    assert_eq!(checkpoint.checkpoint.size, 2);
    caravan_docsign::verify::verify_checkpoint(&checkpoint, &trust).unwrap();
    let (_, entries) = app.get(&format!("/api/v1/logs/{log}/entries?start=0&end=2"), None).await;
    let entries: Vec<Vec<u8>> = entries["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            use base64::Engine as _;
            base64::engine::general_purpose::STANDARD.decode(e["entry"].as_str().unwrap()).unwrap()
        })
        .collect();
    let refs: Vec<&[u8]> = entries.iter().map(Vec::as_slice).collect();
    let state = revocation_state(&refs, &checkpoint).unwrap();
    let options = VerifyOptions { revocations: Some(&state), ..VerifyOptions::default() };
    let report = verify_certificate(&downloaded, &trust, &options);
    let failure = report.first_failure().unwrap();
    assert_eq!(failure.name, CheckName::NotRevoked);
    assert!(failure.detail.contains("revoked") && failure.detail.contains("goods returned"));

    // The public verify endpoint uses the fresh state itself, for JSON and for the QR payload.
    let (status, report) = app.post_json("/api/v1/certificates/verify", None, &text).await;
    assert_eq!(status, 200);
    assert_eq!(
        (report["valid"].as_bool(), report["failedCheck"].as_str()),
        (Some(false), Some("not-revoked"))
    );
    let qr = caravan_server::certs::qr_payload(&text).unwrap();
    let (_, report) = app.post_json("/api/v1/certificates/verify", None, &qr).await;
    assert_eq!(report["failedCheck"], "not-revoked", "{report}");
    let (_, report) = app.post_json("/api/v1/certificates/verify", None, "not json").await;
    assert_eq!(report["failedCheck"], "well-formed");

    // Every change is in the audit log.
    let audit = caravan_server::all_audit_entries(&*app.state.store).await.unwrap();
    let actions: Vec<&str> = audit.iter().map(|e| e.action.as_str()).collect();
    for action in ["signing_key.add", "certificate.issue", "certificate.revoke"] {
        assert!(actions.contains(&action), "{action} in {actions:?}");
    }
}

#[tokio::test]
async fn log_proofs_verify_and_concurrent_issuers_get_distinct_leaves() {
    let Fixture { app, kz_chamber, .. } = fixture().await;
    let admin = app.token("kz-admin").await;
    let certifier = app.token("kz-cert").await;
    let path = format!("/api/v1/organisations/{kz_chamber}/signing-keys");
    assert_eq!(app.post_json(&path, Some(&admin), "{}").await.0, 201);
    let issues = (0..4).map(|_| issue(&app, &certifier, DocumentType::Passport));
    let results = futures_join_all(issues).await;
    let mut indexes: Vec<u64> = results
        .iter()
        .map(|(status, cert)| {
            assert_eq!(*status, 201, "{cert}");
            cert["proof"].as_array().unwrap().iter().find_map(|p| p["leafIndex"].as_u64()).unwrap()
        })
        .collect();
    indexes.sort_unstable();
    assert_eq!(indexes, [0, 1, 2, 3]);

    let log = format!("caravan-log-{kz_chamber}");
    let (_, cp) = app.get(&format!("/api/v1/logs/{log}/checkpoint"), None).await;
    let cp = SignedCheckpoint::from_json(&cp).unwrap();
    let (status, proof) =
        app.get(&format!("/api/v1/logs/{log}/proof/consistency?first=1&second=4"), None).await;
    assert_eq!(status, 200, "{proof}");
    let hashes = |v: &Value| -> Vec<merkle::Hash> {
        v.as_array()
            .unwrap()
            .iter()
            .map(|h| caravan_docsign::log::decode_hash(h.as_str().unwrap()).unwrap())
            .collect()
    };
    let root1 = caravan_docsign::log::decode_hash(proof["firstRoot"].as_str().unwrap()).unwrap();
    merkle::verify_consistency(
        1,
        4,
        &hashes(&proof["consistencyProof"]),
        &root1,
        &cp.checkpoint.root,
    )
    .unwrap();
    assert!(
        merkle::verify_consistency(
            1,
            4,
            &hashes(&proof["consistencyProof"]),
            &cp.checkpoint.root,
            &cp.checkpoint.root
        )
        .is_err(),
        "the proof ties the served first root, not any other"
    );

    let (_, entries) = app.get(&format!("/api/v1/logs/{log}/entries?start=2&end=3"), None).await;
    let leaf = entries["entries"][0]["leafHash"].as_str().unwrap().to_owned();
    let (status, inc) =
        app.get(&format!("/api/v1/logs/{log}/proof/inclusion?leaf_hash={leaf}"), None).await;
    assert_eq!((status, inc["leafIndex"].as_u64()), (200, Some(2)), "{inc}");
    let leaf = caravan_docsign::log::decode_hash(&leaf).unwrap();
    merkle::verify_inclusion(&leaf, 2, 4, &hashes(&inc["inclusionProof"]), &cp.checkpoint.root)
        .unwrap();

    // Bad input is a 4xx naming the field.
    let (status, body) =
        app.get(&format!("/api/v1/logs/{log}/proof/inclusion?leaf_hash=zz"), None).await;
    assert_eq!((status, body["error"]["field"].as_str()), (400, Some("leaf_hash")));
    let (status, body) =
        app.get(&format!("/api/v1/logs/{log}/proof/consistency?first=5"), None).await;
    assert_eq!((status, error_code(&body)), (400, "certs.invalid_tree_size"));
    let (status, body) =
        app.get(&format!("/api/v1/logs/{log}/entries?start=0&end=5000"), None).await;
    assert_eq!((status, error_code(&body)), (400, "certs.invalid_range"));
    let (status, _) = app.get("/api/v1/logs/caravan-log-999/checkpoint", None).await;
    assert_eq!(status, 404);
    let (status, body) = app
        .post_json("/api/v1/certificates", Some(&certifier), r#"{"type": "visa", "subject": {}}"#)
        .await;
    assert_eq!((status, body["error"]["field"].as_str()), (400, Some("type")));
    let (status, body) = app
        .post_json("/api/v1/certificates", Some(&certifier), r#"{"type": "origin", "subject": {}}"#)
        .await;
    assert_eq!((status, error_code(&body)), (422, "certs.invalid_subject"));
    assert!(body["error"]["field"].as_str().unwrap().starts_with("subject."), "{body}");
}

/// Issue 22, finding 8: a log parameter above `i64::MAX`, or not a whole number, answered 500
/// or named no parameter; each is a 400 naming it.
#[tokio::test]
async fn issue_22_log_numbers_out_of_range_are_400_naming_the_parameter() {
    let Fixture { app, kz_chamber, .. } = fixture().await;
    let admin = app.token("kz-admin").await;
    let certifier = app.token("kz-cert").await;
    let path = format!("/api/v1/organisations/{kz_chamber}/signing-keys");
    assert_eq!(app.post_json(&path, Some(&admin), "{}").await.0, 201);
    assert_eq!(issue(&app, &certifier, DocumentType::Origin).await.0, 201);
    let log = format!("caravan-log-{kz_chamber}");
    let (_, entries) = app.get(&format!("/api/v1/logs/{log}/entries"), None).await;
    let leaf = entries["entries"][0]["leafHash"].as_str().unwrap().to_owned();
    let inclusion = format!("proof/inclusion?leaf_hash={leaf}&");
    #[track_caller]
    fn check(status: u16, body: &Value, field: &str) {
        assert_eq!((status, body["error"]["field"].as_str()), (400, Some(field)), "{body}");
        assert_eq!(error_code(body), "request.invalid_query", "{body}");
    }
    for (query, field) in [
        ("entries?start=18446744073709551615", "start"),
        ("entries?start=9223372036854775808", "start"),
        ("entries?start=abc", "start"),
        ("entries?start=-1", "start"),
        ("entries?start=0&end=9223372036854775808", "end"),
        ("entries?end=18446744073709551616", "end"),
        ("checkpoints?after=9223372036854775808", "after"),
        ("checkpoints?after=1.5", "after"),
        ("checkpoints?limit=18446744073709551615", "limit"),
        (&format!("{inclusion}tree_size=9223372036854775808"), "tree_size"),
        (&format!("{inclusion}tree_size=x"), "tree_size"),
        ("proof/consistency?first=9223372036854775808", "first"),
        ("proof/consistency?first=", "first"),
        ("proof/consistency?first=1&second=18446744073709551615", "second"),
        ("proof/consistency?first=1&second=9223372036854775808", "second"),
    ] {
        let (status, body) = app.get(&format!("/api/v1/logs/{log}/{query}"), None).await;
        check(status, &body, field);
    }
    // The largest number is a valid question with an empty answer, not an error.
    let (status, body) =
        app.get(&format!("/api/v1/logs/{log}/entries?start=9223372036854775807"), None).await;
    assert_eq!((status, body["entries"].as_array().map(Vec::len)), (200, Some(0)), "{body}");
    let (status, body) =
        app.get(&format!("/api/v1/logs/{log}/checkpoints?after=9223372036854775807"), None).await;
    assert_eq!((status, body["checkpoints"].as_array().map(Vec::len)), (200, Some(0)), "{body}");
    let (status, body) =
        app.get(&format!("/api/v1/logs/{log}/proof/consistency?first=1&second=2"), None).await;
    assert_eq!((status, body["error"]["field"].as_str()), (400, Some("second")), "{body}");
}

/// Issue 22, finding 6: a log written before the store kept subtree hashes still answers its
/// proofs and revocations; the first proof computes the hashes once and keeps them.
#[tokio::test]
async fn issue_22_a_log_from_before_subtree_hashes_proves_and_keeps_them_once() {
    use caravan_docsign::log::LogEntry;
    use caravan_store::certs::{LogAppend, LogEffect, NewCertificate};
    let Fixture { app, kz_chamber, .. } = fixture().await;
    let store = &app.state.store;
    let change = Change { actor: Actor::system("test"), at: fixed_now() };
    let log = format!("caravan-log-{kz_chamber}");
    let key = caravan_docsign::sig::PrivateKey::from_secret_bytes(
        caravan_docsign::sig::Algorithm::Ed25519,
        &[7; 32],
        "",
    )
    .unwrap();
    let mut entries = Vec::new();
    for idx in 0..6u64 {
        let (entry, effect) = if idx == 3 {
            let entry = LogEntry::Revocation {
                credential_id: "urn:old:1".to_owned(),
                reason: "withdrawn".to_owned(),
                revoked_at: fixed_now(),
            };
            let effect = LogEffect::Revoke {
                certificate_id: "urn:old:1".to_owned(),
                reason: "withdrawn".to_owned(),
            };
            (entry, effect)
        } else {
            let id = format!("urn:old:{idx}");
            let entry = LogEntry::Issuance { credential: json!({"id": id}) };
            let effect = LogEffect::Issue(NewCertificate {
                id,
                org_id: kz_chamber,
                doc_type: "origin".to_owned(),
                document: "{}".to_owned(),
            });
            (entry, effect)
        };
        entries.push(entry.to_bytes());
        let leaves: Vec<merkle::Hash> = entries.iter().map(|e| merkle::leaf_hash(e)).collect();
        let checkpoint = caravan_docsign::log::Checkpoint {
            log_id: log.clone(),
            size: idx + 1,
            root: merkle::root(&leaves),
            timestamp: fixed_now(),
        }
        .sign(&key, "k");
        let append = LogAppend {
            log_id: log.clone(),
            expected_size: idx,
            leaf_hash: leaves[idx as usize].to_vec(),
            entry: entries[idx as usize].clone(),
            checkpoint: checkpoint.to_json(),
            effect,
            // As appended before migration 0007: no subtree hashes.
            nodes: Vec::new(),
        };
        store.append_log(&change, &append).await.unwrap();
    }
    let leaves: Vec<merkle::Hash> = entries.iter().map(|e| merkle::leaf_hash(e)).collect();
    let hashes = |v: &Value| -> Vec<merkle::Hash> {
        v.as_array()
            .unwrap()
            .iter()
            .map(|h| caravan_docsign::log::decode_hash(h.as_str().unwrap()).unwrap())
            .collect()
    };
    let (status, proof) =
        app.get(&format!("/api/v1/logs/{log}/proof/consistency?first=3&second=6"), None).await;
    assert_eq!(status, 200, "{proof}");
    let (root3, root6) = (merkle::root(&leaves[..3]), merkle::root(&leaves));
    assert_eq!(proof["firstRoot"], json!(hex::encode(root3)));
    merkle::verify_consistency(3, 6, &hashes(&proof["consistencyProof"]), &root3, &root6).unwrap();
    for (idx, leaf) in leaves.iter().enumerate() {
        let query = format!("leaf_hash={}&tree_size=5", hex::encode(leaf));
        let (status, inc) =
            app.get(&format!("/api/v1/logs/{log}/proof/inclusion?{query}"), None).await;
        if idx == 5 {
            assert_eq!(status, 404, "leaf 5 is not in the first 5: {inc}");
            continue;
        }
        assert_eq!(status, 200, "{inc}");
        let proof = hashes(&inc["inclusionProof"]);
        let root5 = merkle::root(&leaves[..5]);
        merkle::verify_inclusion(leaf, idx as u64, 5, &proof, &root5).unwrap();
    }
    let (status, revoked) = app.get(&format!("/api/v1/logs/{log}/revocations"), None).await;
    assert_eq!(status, 200, "{revoked}");
    assert_eq!(revoked["revoked"][0]["credentialId"], "urn:old:1", "{revoked}");
    assert_eq!(revoked["revoked"].as_array().map(Vec::len), Some(1), "{revoked}");
    let audit = store.audit_entries(0, 1000).await.unwrap();
    let kept: Vec<_> = audit.iter().filter(|e| e.action == "log.keep_nodes").collect();
    assert_eq!(kept.len(), 1, "the subtree hashes are computed once");
    assert_eq!(kept[0].details["nodes"], 4, "3 at level 1 and 1 at level 2 in 6 leaves");
}

async fn futures_join_all<F: std::future::Future>(
    futures: impl Iterator<Item = F>,
) -> Vec<F::Output> {
    let mut out = Vec::new();
    let pinned: Vec<_> = futures.map(Box::pin).collect();
    // Poll them all concurrently on this task.
    let mut pending: Vec<_> = pinned.into_iter().map(Some).collect();
    let mut results: Vec<Option<F::Output>> = (0..pending.len()).map(|_| None).collect();
    std::future::poll_fn(|cx| {
        let mut done = true;
        for (idx, slot) in pending.iter_mut().enumerate() {
            if let Some(fut) = slot {
                match fut.as_mut().poll(cx) {
                    std::task::Poll::Ready(v) => {
                        results[idx] = Some(v);
                        *slot = None;
                    }
                    std::task::Poll::Pending => done = false,
                }
            }
        }
        if done { std::task::Poll::Ready(()) } else { std::task::Poll::Pending }
    })
    .await;
    out.extend(results.into_iter().map(Option::unwrap));
    out
}

#[tokio::test]
async fn denials_trader_other_country_other_body_and_revoked_token() {
    let Fixture { app, kz_chamber, uz_plant } = fixture().await;
    let kz_admin = app.token("kz-admin").await;
    let root = app.token("root").await;
    let trader = app.token("trader-a").await;
    let kz_cert = app.token("kz-cert").await;
    let uz_cert = app.token("uz-cert").await;

    // Keys: a trader may not, a KZ administrator may not for a UZ body; the operator may.
    let kz_keys = format!("/api/v1/organisations/{kz_chamber}/signing-keys");
    let uz_keys = format!("/api/v1/organisations/{uz_plant}/signing-keys");
    assert_eq!(app.post_json(&kz_keys, Some(&trader), "{}").await.0, 403);
    assert_eq!(app.post_json(&uz_keys, Some(&kz_admin), "{}").await.0, 403);
    let (status, body) =
        app.post_json(&uz_keys, Some(&root), r#"{"document_types": ["tea"]}"#).await;
    assert_eq!((status, body["error"]["field"].as_str()), (400, Some("document_types")));
    assert_eq!(app.post_json(&uz_keys, Some(&root), "{}").await.0, 201);
    let (status, kz_key) = app.post_json(&kz_keys, Some(&kz_admin), "{}").await;
    assert_eq!(status, 201);
    let customs_keys = format!("/api/v1/organisations/{}/signing-keys", app.ids.kz_customs);
    let (status, body) = app.post_json(&customs_keys, Some(&kz_admin), "{}").await;
    assert_eq!((status, error_code(&body)), (422, "certs.not_an_authority"));

    // A trader cannot issue.
    let (status, body) = issue(&app, &trader, DocumentType::Origin).await;
    assert_eq!((status, error_code(&body)), (403, "auth.forbidden"));

    // The KZ certifier cannot revoke, nor read, the UZ body's certificate.
    let (status, uz_doc) = issue(&app, &uz_cert, DocumentType::Phyto).await;
    assert_eq!(status, 201, "{uz_doc}");
    let uz_id = uz_doc["id"].as_str().unwrap();
    let (status, _) = app
        .post_json(
            &format!("/api/v1/certificates/{uz_id}/revoke"),
            Some(&kz_cert),
            r#"{"reason": "x"}"#,
        )
        .await;
    assert_eq!(status, 403);
    assert_eq!(app.get(&format!("/api/v1/certificates/{uz_id}"), Some(&kz_cert)).await.0, 404);
    assert_eq!(app.get(&format!("/api/v1/certificates/{uz_id}"), Some(&root)).await.0, 200);

    // A revoked token is refused.
    let user = app.state.store.user_by_username("kz-cert").await.unwrap().unwrap();
    let tokens = app.state.store.api_tokens(user.id).await.unwrap();
    let change = Change { actor: Actor::system("test"), at: fixed_now() };
    app.state.store.revoke_api_token(&change, tokens[0].id).await.unwrap();
    let (status, body) = issue(&app, &kz_cert, DocumentType::Origin).await;
    assert_eq!(status, 401, "{body}");

    // Retiring the KZ key: certificates dated after it no longer issue.
    let retire = format!("/api/v1/signing-keys/{}/retire", kz_key["id"]);
    assert_eq!(app.post_json(&retire, None, "").await.0, 401);
    assert_eq!(app.post_json(&retire, Some(&trader), "").await.0, 403);
    let (status, retired) = app.post_json(&retire, Some(&kz_admin), "").await;
    assert_eq!(status, 200);
    assert!(retired["retired_at"].is_string());
    let fresh = app.token("kz-cert").await;
    let (status, body) = issue(&app, &fresh, DocumentType::Origin).await;
    assert_eq!((status, error_code(&body)), (422, "certs.no_key_for_type"));
    let served = served_trust(&app).await;
    assert!(served.authorities.iter().flat_map(|a| &a.keys).any(|k| k.retired_at.is_some()));
}

#[tokio::test]
async fn pages_issue_show_verify_and_monitor() {
    let Fixture { app, kz_chamber, .. } = fixture().await;
    let admin = app.token("kz-admin").await;
    let certifier = app.token("kz-cert").await;
    let path = format!("/api/v1/organisations/{kz_chamber}/signing-keys");
    assert_eq!(app.post_json(&path, Some(&admin), "{}").await.0, 201);
    let page = |path: &str, token: Option<&str>| {
        let mut req = Request::get(path);
        if let Some(token) = token {
            req = req.header(header::AUTHORIZATION, format!("Bearer {token}"));
        }
        req.body(Body::empty()).unwrap()
    };
    let form = |path: &str, token: Option<&str>, body: String| {
        let mut req =
            Request::post(path).header(header::CONTENT_TYPE, "application/x-www-form-urlencoded");
        if let Some(token) = token {
            req = req.header(header::AUTHORIZATION, format!("Bearer {token}"));
        }
        req.body(Body::from(body)).unwrap()
    };
    let enc = |s: &str| -> String {
        s.bytes()
            .map(|b| {
                if b.is_ascii_alphanumeric() {
                    (b as char).to_string()
                } else {
                    format!("%{b:02X}")
                }
            })
            .collect()
    };

    let html = body_text(app.send(page("/certificates?type=phyto", Some(&certifier))).await).await;
    assert!(
        html.contains("id=\"issue-form\"") && html.contains("name=\"commodities.0.botanicalName\""),
        "{html}"
    );
    // A bad subject comes back with the reason and the text kept.
    let response = app
        .send(form(
            "/certificates",
            Some(&certifier),
            format!("csrf_token=x&type=origin&subject={}", enc("{\"exporter\": 1}")),
        ))
        .await;
    assert_eq!(response.status(), 422);
    assert!(body_text(response).await.contains("role=\"alert\""));
    let subject = serde_json::to_string(&sample_subject(DocumentType::Origin)).unwrap();
    let response = app
        .send(form(
            "/certificates",
            Some(&certifier),
            format!("csrf_token=x&type=origin&subject={}", enc(&subject)),
        ))
        .await;
    assert_eq!(response.status(), 303);
    // The structured form: fields named by JSON path; a missing required part is named.
    let fields = "csrf_token=x&type=passport&subject=&product.name=Copper+cathodes&product.hsCode=740311\
        &massKg=25000&assay.0.element=Cu&assay.0.massFractionPercent=99.99&assay.1.element=";
    let response = app.send(form("/certificates", Some(&certifier), fields.to_owned())).await;
    assert_eq!(response.status(), 422);
    let html = body_text(response).await;
    assert!(
        html.contains("mine") && html.contains("value=\"740311\""),
        "errors name the field and keep the input: {html}"
    );
    let response = app
        .send(form(
            "/certificates",
            Some(&certifier),
            format!("{fields}&mine.name=Kounrad&mine.country=KZ"),
        ))
        .await;
    assert_eq!(response.status(), 303, "{}", body_text(response).await);
    let location = response.headers()[header::LOCATION].to_str().unwrap().to_owned();
    let html = body_text(app.send(page(&location, Some(&certifier))).await).await;
    assert!(
        html.contains("id=\"download\"")
            && html.contains("CCC1:")
            && html.contains("name=\"reason\""),
        "{html}"
    );
    let qr = html.split("id=\"qr\"").nth(1).unwrap();
    let qr = &qr[qr.find("CCC1:").unwrap()..];
    let qr = &qr[..qr.find('<').unwrap()];

    // The public verify page: green for the QR payload, red for a tampered one.
    let html = body_text(app.send(page("/verify", None)).await).await;
    assert!(html.contains("for=\"payload\""));
    let html =
        body_text(app.send(form("/verify", None, format!("payload={}", enc(qr)))).await).await;
    assert!(html.contains("ok verdict") && html.contains("data-check=\"not-revoked\""), "{html}");
    let mut bad = qr.to_owned();
    bad.replace_range(20..21, if &bad[20..21] == "A" { "B" } else { "A" });
    let html =
        body_text(app.send(form("/verify", None, format!("payload={}", enc(&bad)))).await).await;
    assert!(html.contains("error verdict"), "{html}");

    // Revoke from the page, then the monitor shows consistent checkpoints and finds it.
    let id = location.trim_start_matches("/certificates/");
    let response = app
        .send(form(
            &format!("{location}/revoke"),
            Some(&certifier),
            "csrf_token=x&reason=wrong+consignee".to_owned(),
        ))
        .await;
    assert_eq!(response.status(), 303);
    let html = body_text(app.send(page(&location, Some(&certifier))).await).await;
    assert!(html.contains("wrong consignee"));
    let html = body_text(app.send(page(&format!("/logs?id={}", enc(id)), None)).await).await;
    assert!(
        html.contains("✔") && html.contains("id=\"inclusion\"") && html.contains("class=\"ok\""),
        "{html}"
    );
}

#[test]
fn every_certificate_string_is_translated() {
    for key in CertKey::ALL {
        let table = key.table();
        for (lang, text) in [Lang::En, Lang::Ru, Lang::Zh].iter().zip(table) {
            assert!(!text.trim().is_empty(), "{key:?} has no {lang:?} text");
        }
        assert_ne!(table[0], table[1], "{key:?}: Russian is a copy of English");
        assert_ne!(table[0], table[2], "{key:?}: Chinese is a copy of English");
    }
}

#[tokio::test]
async fn rotation_keeps_earlier_certificates_valid_and_signs_new_ones_with_the_new_key() {
    let Fixture { mut app, kz_chamber, .. } = fixture().await;
    let admin = app.token("kz-admin").await;
    let certifier = app.token("kz-cert").await;
    let keys = format!("/api/v1/organisations/{kz_chamber}/signing-keys");
    let (_, old_key) = app.post_json(&keys, Some(&admin), "{}").await;
    let (status, before) = issue(&app, &certifier, DocumentType::Origin).await;
    assert_eq!(status, 201);

    // An hour later the administrator rotates; the old key stops where the new one starts.
    app.state.clock = std::sync::Arc::new(|| fixed_now() + time::Duration::hours(1));
    let (status, new_key) = app.post_json(&keys, Some(&admin), r#"{"rotate": true}"#).await;
    assert_eq!(status, 201, "{new_key}");
    let (_, listed) = app.get(&keys, Some(&admin)).await;
    let old = listed.as_array().unwrap().iter().find(|k| k["id"] == old_key["id"]).unwrap();
    assert_eq!(old["valid_until"], new_key["valid_from"]);
    let (status, after) = issue(&app, &certifier, DocumentType::Origin).await;
    assert_eq!(status, 201);
    let kid = |cert: &Value| cert["proof"][0]["verificationMethod"].as_str().unwrap().to_owned();
    assert!(kid(&after).ends_with(new_key["kid"].as_str().unwrap()));
    assert!(kid(&before).ends_with(old_key["kid"].as_str().unwrap()));

    let trust = served_trust(&app).await;
    for cert in [&before, &after] {
        let report =
            verify_certificate(cert.to_string().as_bytes(), &trust, &VerifyOptions::default());
        assert!(report.is_valid(), "{}", report.to_text());
    }
}

/// The module grid of a served QR SVG: the `qrcode` renderer draws one `M x y h.. v.. H.. Z`
/// rectangle per dark module (or run), `MODULE_SIZE` units to a module, inside a quiet zone.
fn svg_modules(svg: &str) -> (usize, Vec<Vec<bool>>) {
    use caravan_server::certs::qr_image::{MODULE_SIZE, QUIET_ZONE};
    let view_box = svg.split("viewBox=\"0 0 ").nth(1).unwrap();
    let width: usize = view_box.split(' ').next().unwrap().parse().unwrap();
    assert_eq!(width % MODULE_SIZE, 0, "{width}");
    let modules = width / MODULE_SIZE - 2 * QUIET_ZONE;
    let mut grid = vec![vec![false; modules]; modules];
    let path = svg.split(" d=\"").nth(1).unwrap();
    let path = &path[..path.find('"').unwrap()];
    // Each rectangle: M{x} {y}h{w}v{h}H{x}Z (absolute x, y; relative width and height).
    for rect in path.split('M').filter(|r| !r.is_empty()) {
        let nums: Vec<usize> = rect
            .split(|c: char| !c.is_ascii_digit())
            .filter(|n| !n.is_empty())
            .map(|n| n.parse().unwrap())
            .collect();
        let (x, y, w, h) = (nums[0], nums[1], nums[2], nums[3]);
        for px in (x..x + w).step_by(MODULE_SIZE) {
            for py in (y..y + h).step_by(MODULE_SIZE) {
                grid[py / MODULE_SIZE - QUIET_ZONE][px / MODULE_SIZE - QUIET_ZONE] = true;
            }
        }
    }
    (modules, grid)
}

/// Decodes a QR module grid with `rqrr`, drawn as a greyscale bitmap with a quiet zone.
fn decode_qr(grid: &[Vec<bool>]) -> String {
    let (scale, quiet) = (3, 4);
    let side = (grid.len() + 2 * quiet) * scale;
    let mut image = rqrr::PreparedImage::prepare_from_greyscale(side, side, |x, y| {
        let (mx, my) = ((x / scale).wrapping_sub(quiet), (y / scale).wrapping_sub(quiet));
        if grid.get(my).and_then(|row| row.get(mx)).copied().unwrap_or(false) { 0 } else { 255 }
    });
    let grids = image.detect_grids();
    assert_eq!(grids.len(), 1, "one QR code found");
    let (_meta, text) = grids[0].decode().unwrap();
    text
}

async fn get_text(app: &TestApp, path: &str, token: Option<&str>) -> (u16, String, String) {
    let mut req = Request::get(path);
    if let Some(token) = token {
        req = req.header(header::AUTHORIZATION, format!("Bearer {token}"));
    }
    let response = app.send(req.body(Body::empty()).unwrap()).await;
    let status = response.status().as_u16();
    let content_type = response
        .headers()
        .get(header::CONTENT_TYPE)
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default();
    (status, content_type, body_text(response).await)
}

fn form_request(path: &str, token: Option<&str>, body: String) -> Request<Body> {
    let mut req =
        Request::post(path).header(header::CONTENT_TYPE, "application/x-www-form-urlencoded");
    if let Some(token) = token {
        req = req.header(header::AUTHORIZATION, format!("Bearer {token}"));
    }
    req.body(Body::from(body)).unwrap()
}

fn url_encode(s: &str) -> String {
    s.bytes()
        .map(
            |b| {
                if b.is_ascii_alphanumeric() {
                    (b as char).to_string()
                } else {
                    format!("%{b:02X}")
                }
            },
        )
        .collect()
}

#[tokio::test]
async fn qr_code_holds_the_whole_certificate_and_verifies_through_the_api_and_the_page() {
    let Fixture { app, kz_chamber, .. } = fixture().await;
    let certifier = app.token("kz-cert").await;
    let keys = format!("/api/v1/organisations/{kz_chamber}/signing-keys");
    assert_eq!(app.post_json(&keys, Some(&certifier), "{}").await.0, 201);
    assert_eq!(app.post_json(&keys, Some(&certifier), r#"{"alg": "sm2"}"#).await.0, 201);
    // Some entries first, so the inclusion proof has hashes in it.
    for _ in 0..5 {
        assert_eq!(issue(&app, &certifier, DocumentType::Origin).await.0, 201);
    }
    let (status, issued) = issue(&app, &certifier, DocumentType::Passport).await;
    assert_eq!(status, 201, "{issued}");
    let id = issued["id"].as_str().unwrap();
    let document = get_text(&app, &format!("/api/v1/certificates/{id}"), Some(&certifier)).await.2;

    // The served SVG decodes to the compact text, which holds the canonical certificate.
    let (status, content_type, svg) =
        get_text(&app, &format!("/api/v1/certificates/{id}/qr.svg"), Some(&certifier)).await;
    assert_eq!((status, content_type.as_str()), (200, "image/svg+xml"), "{svg}");
    assert!(svg.starts_with("<svg") && svg.trim_end().ends_with("</svg>"), "{svg}");
    let (modules, grid) = svg_modules(&svg);
    assert_eq!((modules - 17) % 4, 0, "a QR symbol has 17 + 4·version modules a side: {modules}");
    let text = decode_qr(&grid);
    assert!(text.starts_with("CCC1:"), "{text}");
    assert_eq!(text, caravan_server::certs::qr_payload(&document).unwrap());
    let inner = caravan_docsign::qr::certificate_from_presented(text.as_bytes()).unwrap();
    assert_eq!(
        &*inner,
        caravan_docsign::jcs::canonicalize(document.as_bytes()).unwrap().as_slice()
    );
    let image = caravan_server::certs::qr_image::render(&text).unwrap();
    assert_eq!(image.modules, modules);
    assert_eq!(usize::try_from(image.version).unwrap() * 4 + 17, modules);
    assert!(text.len() <= caravan_docsign::qr::MAX_QR_ALPHANUMERIC);
    eprintln!(
        "passport with Ed25519 + SM2, leaf 5: {} JSON bytes, {} canonical, {} QR characters, version {}-{}",
        document.len(),
        inner.len(),
        text.len(),
        image.version,
        image.ec_level
    );

    // The verify API takes the QR text (and still the first form, and JSON).
    let (status, report) = app.post_json("/api/v1/certificates/verify", None, &text).await;
    assert_eq!((status, report["valid"].as_bool()), (200, Some(true)), "{report}");
    let legacy = {
        use base64::Engine as _;
        format!("CVC1:{}", base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(&*inner))
    };
    let (_, report) = app.post_json("/api/v1/certificates/verify", None, &legacy).await;
    assert_eq!(report["valid"], true, "{report}");
    let (_, report) = app.post_json("/api/v1/certificates/verify", None, &document).await;
    assert_eq!(report["valid"], true, "{report}");
    // A damaged scan is named, not a crash: a lower-case letter is not Base45.
    let mut bad = text.clone();
    bad.replace_range(40..41, "a");
    let (status, report) = app.post_json("/api/v1/certificates/verify", None, &bad).await;
    assert_eq!((status, report["failedCheck"].as_str()), (200, Some("well-formed")), "{report}");
    assert!(report.to_string().contains("Base45"), "{report}");

    // The public page: green for the QR text, with the document rendered; red for a damaged one.
    let html = body_text(
        app.send(form_request("/verify", None, format!("payload={}", url_encode(&text)))).await,
    )
    .await;
    assert!(html.contains("ok verdict") && html.contains("data-check=\"sm2-signature\""), "{html}");
    assert!(html.contains("class=\"card document\""), "the document is rendered: {html}");
    let html = body_text(
        app.send(form_request("/verify", None, format!("payload={}", url_encode(&bad)))).await,
    )
    .await;
    assert!(html.contains("error verdict"), "{html}");

    // The detail page shows the image and the text.
    let (_, _, html) = get_text(&app, &format!("/certificates/{id}"), Some(&certifier)).await;
    assert!(
        html.contains("id=\"qr-code\"") && html.contains("<svg") && html.contains("CCC1:"),
        "{html}"
    );
    assert!(html.contains("role=\"img\"") && html.contains("for=\"qr\""), "accessible: {html}");

    // Same access as the certificate: another body's certifier and visitors do not get it.
    let uz_cert = app.token("uz-cert").await;
    let path = format!("/api/v1/certificates/{id}/qr.svg");
    assert_eq!(get_text(&app, &path, Some(&uz_cert)).await.0, 404);
    assert_eq!(get_text(&app, &path, None).await.0, 401);
    let (_, openapi) = app.get("/api/openapi.json", None).await;
    assert!(openapi["paths"]["/api/v1/certificates/{id}/qr.svg"]["get"].is_object());
}

#[tokio::test]
async fn sm2_server_key_adds_a_second_signature_and_a_retired_key_signs_nothing_new() {
    let Fixture { mut app, kz_chamber, .. } = fixture().await;
    let certifier = app.token("kz-cert").await;
    let keys = format!("/api/v1/organisations/{kz_chamber}/signing-keys");
    let (status, body) = app.post_json(&keys, Some(&certifier), r#"{"alg": "rsa"}"#).await;
    assert_eq!((status, body["error"]["field"].as_str()), (400, Some("alg")), "{body}");
    // An SM2 key alone cannot issue: the Ed25519 proof is the one every verifier checks.
    let (status, sm2_key) = app.post_json(&keys, Some(&certifier), r#"{"alg": "sm2"}"#).await;
    assert_eq!(status, 201, "{sm2_key}");
    assert_eq!(
        (sm2_key["alg"].as_str(), sm2_key["public_key"].as_str().unwrap().len()),
        (Some("sm2"), 130)
    );
    assert_eq!(sm2_key["signs_checkpoints"], false);
    let (status, body) = issue(&app, &certifier, DocumentType::Origin).await;
    assert_eq!((status, error_code(&body)), (422, "certs.no_key_for_type"));
    let (_, ed_key) = app.post_json(&keys, Some(&certifier), "{}").await;

    let (status, both) = issue(&app, &certifier, DocumentType::Origin).await;
    assert_eq!(status, 201, "{both}");
    let methods = |cert: &Value| -> Vec<String> {
        cert["proof"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|p| p["verificationMethod"].as_str().map(str::to_owned))
            .collect()
    };
    let kid = |key: &Value| key["kid"].as_str().unwrap().to_owned();
    assert_eq!(methods(&both).len(), 2, "{both}");
    assert!(methods(&both)[1].ends_with(&kid(&sm2_key)));
    let trust = served_trust(&app).await;
    let report = verify_certificate(both.to_string().as_bytes(), &trust, &VerifyOptions::default());
    assert!(report.is_valid(), "{}", report.to_text());
    assert_eq!(
        report.check(CheckName::Sm2Signature).map(|c| c.outcome),
        Some(caravan_docsign::verify::Outcome::Passed)
    );
    // Tampering fails both signatures.
    let tampered = both.to_string().replacen("Almaty", "Almatx", 1);
    let report = verify_certificate(tampered.as_bytes(), &trust, &VerifyOptions::default());
    assert!(!report.is_valid());

    // Rotating the SM2 key leaves the Ed25519 key signing.
    app.state.clock = std::sync::Arc::new(|| fixed_now() + time::Duration::hours(1));
    let (status, sm2_new) =
        app.post_json(&keys, Some(&certifier), r#"{"alg": "sm2", "rotate": true}"#).await;
    assert_eq!(status, 201, "{sm2_new}");
    let (_, listed) = app.get(&keys, Some(&certifier)).await;
    let find = |key: &Value| {
        listed.as_array().unwrap().iter().find(|k| k["id"] == key["id"]).unwrap().clone()
    };
    assert_eq!(find(&sm2_key)["valid_until"], sm2_new["valid_from"]);
    assert!(find(&ed_key)["valid_until"].is_null());

    // Retiring the SM2 key: new certificates carry the Ed25519 signature only, earlier ones stay valid.
    app.state.clock = std::sync::Arc::new(|| fixed_now() + time::Duration::hours(2));
    let retire = format!("/api/v1/signing-keys/{}/retire", sm2_new["id"]);
    assert_eq!(app.post_json(&retire, Some(&certifier), "").await.0, 200);
    let (status, ed_only) = issue(&app, &certifier, DocumentType::Origin).await;
    assert_eq!(status, 201, "{ed_only}");
    assert_eq!(methods(&ed_only), [format!("urn:caravan:authority:{kz_chamber}#{}", kid(&ed_key))]);
    let trust = served_trust(&app).await;
    for cert in [&both, &ed_only] {
        let report =
            verify_certificate(cert.to_string().as_bytes(), &trust, &VerifyOptions::default());
        assert!(report.is_valid(), "{}", report.to_text());
    }
    // Retiring the Ed25519 key: nothing new is signed at all.
    app.state.clock = std::sync::Arc::new(|| fixed_now() + time::Duration::hours(3));
    let retire = format!("/api/v1/signing-keys/{}/retire", ed_key["id"]);
    assert_eq!(app.post_json(&retire, Some(&certifier), "").await.0, 200);
    let (status, body) = issue(&app, &certifier, DocumentType::Origin).await;
    assert_eq!((status, error_code(&body)), (422, "certs.no_key_for_type"));
    let (_, listed) = app.get("/api/v1/certificates", Some(&certifier)).await;
    assert_eq!(listed.as_array().unwrap().len(), 2, "nothing was stored for the refused issue");
}

#[tokio::test]
async fn key_page_generates_and_retires_with_csrf_and_only_for_the_body_itself() {
    let Fixture { app, kz_chamber, uz_plant } = fixture().await;
    let change = Change { actor: Actor::system("test"), at: fixed_now() };
    let user = NewUser {
        username: "kz-cert-web".to_owned(),
        display_name: "KZ certifier".to_owned(),
        org_id: kz_chamber,
        role: Role::Certifier,
        password_hash: crate::support::password_hash(),
    };
    app.state.store.create_user(&change, &user).await.unwrap();
    let (session, csrf) = crate::ui::login(&app, "kz-cert-web").await;
    let cookie = format!("caravan_session={session}");
    let get = |path: String| {
        Request::get(path).header(header::COOKIE, cookie.clone()).body(Body::empty()).unwrap()
    };
    let post = |path: String, body: String| {
        Request::post(path)
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .header(header::COOKIE, cookie.clone())
            .body(Body::from(body))
            .unwrap()
    };
    let page = format!("/organisations/{kz_chamber}/signing-keys");

    let response = app.send(get("/signing-keys".to_owned())).await;
    assert_eq!(response.headers()[header::LOCATION], page.as_str());
    let html = body_text(app.send(get(page.clone())).await).await;
    assert!(html.contains("id=\"key-form\"") && html.contains("for=\"alg\""), "{html}");
    assert!(html.contains(&format!("name=\"csrf_token\" value=\"{csrf}\"")), "{html}");
    assert!(html.contains("for=\"type-phyto\"") && html.contains("for=\"rotate\""), "{html}");

    // Without the token nothing is made; with no document type the form says which field.
    let forged = app.send(post(page.clone(), "alg=ed25519&document_types=origin".to_owned())).await;
    assert_eq!(forged.status(), 403);
    assert!(app.state.store.signing_keys(Some(kz_chamber)).await.unwrap().is_empty());
    let response = app.send(post(page.clone(), format!("csrf_token={csrf}&alg=ed25519"))).await;
    assert_eq!(response.status(), 400);
    let html = body_text(response).await;
    assert!(html.contains("role=\"alert\"") && html.contains("document_types"), "{html}");
    assert!(app.state.store.signing_keys(Some(kz_chamber)).await.unwrap().is_empty());

    for form in [
        format!("csrf_token={csrf}&alg=ed25519&document_types=origin&document_types=passport"),
        format!("csrf_token={csrf}&alg=sm2&document_types=origin"),
    ] {
        let response = app.send(post(page.clone(), form)).await;
        assert_eq!(response.status(), 303, "{}", body_text(response).await);
    }
    let stored = app.state.store.signing_keys(Some(kz_chamber)).await.unwrap();
    let algs: Vec<&str> = stored.iter().map(|k| k.alg.as_str()).collect();
    assert_eq!(algs, ["ed25519", "sm2"]);
    assert_eq!(stored[0].document_types, ["origin", "passport"]);
    let html = body_text(app.send(get(page.clone())).await).await;
    for key in &stored {
        assert!(html.contains(&format!("data-kid=\"{}\"", key.kid)), "{html}");
    }
    assert!(html.contains("SM2") && html.contains("Ed25519"), "{html}");
    let ru = body_text(
        app.send(
            Request::get(page.clone())
                .header(header::COOKIE, format!("{cookie}; caravan_lang=ru"))
                .body(Body::empty())
                .unwrap(),
        )
        .await,
    )
    .await;
    assert!(ru.contains(CertKey::signing_keys.table()[1]), "{ru}");

    // The served trust list has the new keys; retiring one there shows it retired.
    let served = served_trust(&app).await;
    let authority = served.authority(&format!("urn:caravan:authority:{kz_chamber}")).unwrap();
    assert_eq!(authority.keys.len(), 2);
    let retire = format!("/signing-keys/{}/retire", stored[1].id);
    assert_eq!(app.send(post(retire.clone(), String::new())).await.status(), 403, "CSRF");
    let response = app.send(post(retire, format!("csrf_token={csrf}"))).await;
    assert_eq!(response.status(), 303);
    let served = served_trust(&app).await;
    let authority = served.authority(&format!("urn:caravan:authority:{kz_chamber}")).unwrap();
    let sm2 = authority.keys.iter().find(|k| k.kid == stored[1].kid).unwrap();
    assert_eq!(sm2.retired_at, Some(fixed_now()));

    // Another body's certifier: 403 on the page, the form and every key endpoint.
    let uz_cert = app.token("uz-cert").await;
    let (status, _, _) = get_text(&app, &page, Some(&uz_cert)).await;
    assert_eq!(status, 403);
    let response = app
        .send(form_request(
            &page,
            Some(&uz_cert),
            "csrf_token=x&alg=ed25519&document_types=origin".to_owned(),
        ))
        .await;
    assert_eq!(response.status(), 403);
    let api = format!("/api/v1/organisations/{kz_chamber}/signing-keys");
    assert_eq!(app.get(&api, Some(&uz_cert)).await.0, 403);
    assert_eq!(app.post_json(&api, Some(&uz_cert), "{}").await.0, 403);
    let retire = format!("/api/v1/signing-keys/{}/retire", stored[0].id);
    assert_eq!(app.post_json(&retire, Some(&uz_cert), "").await.0, 403);
    let response = app
        .send(form_request(
            &format!("/signing-keys/{}/retire", stored[0].id),
            Some(&uz_cert),
            "csrf_token=x".to_owned(),
        ))
        .await;
    assert_eq!(response.status(), 403);
    assert!(app.state.store.signing_keys(Some(kz_chamber)).await.unwrap()[0].retired_at.is_none());
    // Their own page works; a trader has none.
    assert_eq!(
        get_text(&app, &format!("/organisations/{uz_plant}/signing-keys"), Some(&uz_cert)).await.0,
        200
    );
    let trader = app.token("trader-a").await;
    assert_eq!(get_text(&app, &page, Some(&trader)).await.0, 403);
}

/// Issue 17: other systems' documents dropped on `/verify` get their checks, in the page's
/// language, and a check that needs the network says so instead of passing.
#[tokio::test]
async fn issue_17_the_verify_page_shows_the_checks_of_other_formats() {
    let app = TestApp::new().await;
    let vectors =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../caravan-interop/tests/data");
    let read = |rel: &str| std::fs::read_to_string(vectors.join(rel)).unwrap();
    // The verify page's answer to a document pasted by an anonymous visitor.
    let verify = async |payload: &str| {
        let form = format!("payload={}", url_encode(payload));
        body_text(app.send(form_request("/verify", None, form)).await).await
    };
    // A DID-signed OpenAttestation v3 document with no revocation: every check valid.
    let html = verify(&read("oa/v3/did-signed.json")).await;
    assert!(
        html.contains("data-status=\"valid\"") && html.contains("data-check=\"integrity\""),
        "{html}"
    );
    // A document-store document: integrity holds, issuance needs Ethereum.
    let html = verify(&read("oa/v2/not-obfuscated-wrapped.json")).await;
    assert!(
        html.contains("data-status=\"not_checked\"") && html.contains("not checked offline"),
        "{html}"
    );
    // The ePhyto sample SPS XML, and a wrong signature.
    let html = verify(&read("ephyto/SPSCertificateContent.xml")).await;
    assert!(html.contains("sps-xml") && html.contains("123ABC"), "{html}");
    let html = verify(&read("oa/v2/did-wrong-signature.json")).await;
    assert!(html.contains("error verdict") && html.contains("data-check=\"signature\""), "{html}");
}

/// A vector of caravan-interop's test data (its PROVENANCE.md says where each comes from).
fn interop_vector(rel: &str) -> String {
    let vectors =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../caravan-interop/tests/data");
    std::fs::read_to_string(vectors.join(rel)).unwrap()
}

/// Issue 17: the verify API answers every format in one shape — each check `valid`, `invalid`
/// with its reason or `not_checked` with why, the overall status — and keeps the fields clients
/// read before (`valid`, `failedCheck`, each check's `outcome` and `detail`).
#[tokio::test]
async fn issue_17_the_verify_api_answers_every_format_with_each_check() {
    let app = TestApp::new().await;
    #[track_caller]
    fn check(answer: &Value, format: &str, status: &str, failed: Option<&str>) {
        assert_eq!(answer["format"], format, "{answer:#}");
        assert_eq!(answer["status"], status, "{answer:#}");
        assert_eq!(answer["valid"], status == "valid", "{answer:#}");
        assert_eq!(answer["failedCheck"].as_str(), failed, "{answer:#}");
        let checks = answer["checks"].as_array().unwrap();
        assert!(!checks.is_empty(), "{answer:#}");
        for check in checks {
            let (key, outcome) = match check["status"].as_str().unwrap() {
                "valid" => ("detail", "passed"),
                "invalid" => ("reason", "failed"),
                "not_checked" => ("why", "not-checked"),
                other => panic!("status {other} in {answer:#}"),
            };
            assert!(check[key].as_str().is_some_and(|t| !t.is_empty()), "{check}");
            assert_eq!(check["outcome"], outcome, "{check}");
            assert!(check["detail"].is_string(), "{check}");
        }
    }
    let verify = async |body: &str| {
        let (status, answer) = app.post_json("/api/v1/certificates/verify", None, body).await;
        assert_eq!(status, 200, "{answer}");
        answer
    };
    // Ours, unreadable.
    let answer = verify("not json").await;
    check(&answer, "caravan", "invalid", Some("well-formed"));
    // OpenAttestation: DID-signed and complete offline; a document store needs Ethereum; a
    // wrong signature fails on the signature.
    let answer = verify(&interop_vector("oa/v3/did-signed.json")).await;
    check(&answer, "openattestation-v3", "valid", None);
    let answer = verify(&interop_vector("oa/v2/not-obfuscated-wrapped.json")).await;
    check(&answer, "openattestation-v2", "not_checked", None);
    let answer = verify(&interop_vector("oa/v2/did-wrong-signature.json")).await;
    check(&answer, "openattestation-v2", "invalid", Some("signature"));
    let answer = verify(&interop_vector("oa/v4/signed-vc-did.json")).await;
    assert_eq!(answer["format"], "openattestation-v4", "{answer:#}");
    // The ePhyto sample: readable, but SPS XML has no signature of its own.
    let answer = verify(&interop_vector("ephyto/SPSCertificateContent.xml")).await;
    check(&answer, "sps-xml", "not_checked", None);
    assert_eq!(answer["credentialId"], "123ABC");
    let answer = verify("<a>").await;
    check(&answer, "sps-xml", "invalid", Some("well-formed"));
    // UNTP: an enveloped passport signed by UNTP's test issuer.
    let answer = verify(&interop_vector("untp/valid-v2-enveloped-dpp.json")).await;
    check(&answer, "untp", "not_checked", None);
    let signature = answer["checks"].as_array().unwrap().iter().find(|c| c["name"] == "signature");
    assert_eq!(signature.unwrap()["status"], "valid", "{answer:#}");

    // The OpenAPI document describes this answer.
    let (_, openapi) = app.get("/api/openapi.json", None).await;
    let ok = &openapi["paths"]["/api/v1/certificates/verify"]["post"]["responses"]["200"];
    let schema = ok["content"]["application/json"]["schema"]["$ref"].as_str().unwrap();
    assert!(schema.ends_with("/VerifyAnswer"), "{ok}");
    let answer = &openapi["components"]["schemas"]["VerifyAnswer"];
    for field in ["format", "status", "valid", "failedCheck", "checks"] {
        assert!(answer["properties"][field].is_object(), "{field}: {answer:#}");
    }
}

/// Issue 17: the verify page names the checks of every format, and how each came out, in the
/// reader's language.
#[tokio::test]
async fn issue_17_the_verify_page_shows_every_format_in_english_russian_and_chinese() {
    let app = TestApp::new().await;
    let cases = [
        ("oa/v2/did-signed.json", &[CertKey::check_integrity, CertKey::check_signature][..]),
        ("oa/v3/did-signed.json", &[CertKey::check_integrity, CertKey::check_signature][..]),
        ("oa/v4/signed-vc-did.json", &[CertKey::check_integrity][..]),
        ("ephyto/SPSCertificateContent.xml", &[CertKey::check_structure][..]),
        (
            "untp/valid-v2-enveloped-dpp.json",
            &[CertKey::check_signature, CertKey::check_identity][..],
        ),
    ];
    for (lang_idx, lang) in ["en", "ru", "zh"].into_iter().enumerate() {
        for (file, labels) in cases {
            let form = format!("payload={}", url_encode(&interop_vector(file)));
            let mut req = form_request("/verify", None, form);
            req.headers_mut().insert(header::ACCEPT_LANGUAGE, lang.parse().unwrap());
            let html = body_text(app.send(req).await).await;
            assert!(html.contains("data-check="), "{lang} {file}: {html}");
            for label in labels {
                let text = label.table()[lang_idx];
                assert!(html.contains(text), "{lang} {file}: no {text:?} in {html}");
            }
            // Each check says how it came out, in words of the page's language.
            let words =
                [CertKey::check_valid, CertKey::check_invalid, CertKey::check_not_checked_offline]
                    .map(|k| k.table()[lang_idx]);
            assert!(
                words.iter().any(|w| html.contains(&format!(": {w} —"))),
                "{lang} {file}: {html}"
            );
        }
    }
}

/// Issue 17: with UNTP JSON Schemas installed (as `caravan serve --untp-schemas` does), the
/// verify API and page check a UNTP credential against the schema of its type and version; with
/// none, the schema check says it was not checked. The schema is a small one of our own,
/// under the name UNTP publishes the passport's schema under (not UNTP's GPL-3.0 file).
#[tokio::test]
async fn issue_17_the_server_checks_untp_credentials_against_its_schemas() {
    let mut app = TestApp::new().await;
    let signed = interop_vector("untp/product-passport-simple-eddsa-jcs-2022.json");
    let schema_of = |answer: &Value| {
        let checks = answer["checks"].as_array().unwrap();
        checks.iter().find(|c| c["name"] == "schema").cloned().unwrap_or(Value::Null)
    };
    // No schemas: everything but the schema holds, so the verdict is incomplete.
    let (_, answer) = app.post_json("/api/v1/certificates/verify", None, &signed).await;
    assert_eq!(schema_of(&answer)["status"], "not_checked", "{answer:#}");
    assert_eq!(answer["status"], "not_checked", "{answer:#}");

    let schema = json!({
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "type": "object",
        "required": ["issuer", "credentialSubject"],
        "properties": {"credentialSubject": {
            "type": "object",
            "required": ["product"],
            "properties": {"product": {
                "type": "object",
                "required": ["name"],
                "properties": {"name": {"type": "string"}},
            }},
        }},
    });
    let schema = serde_json::to_vec(&schema).unwrap();
    let schemas = caravan_server::certs::UntpSchemas::from_files([(
        "untp-dpp-schema-0.6.1.json",
        schema.as_slice(),
    )])
    .unwrap();
    app.state.features = std::sync::Arc::new(caravan_server::features().unwrap().with(schemas));

    // The signed passport conforms: every check holds offline.
    let (_, answer) = app.post_json("/api/v1/certificates/verify", None, &signed).await;
    assert_eq!(schema_of(&answer)["status"], "valid", "{answer:#}");
    assert_eq!(answer["status"], "valid", "{answer:#}");
    // A passport whose product name is a number breaks it, named by JSON pointer.
    let mut broken: Value =
        serde_json::from_str(&interop_vector("untp/product-passport-simple.json")).unwrap();
    broken["credentialSubject"]["product"]["name"] = json!(12);
    let (_, answer) = app.post_json("/api/v1/certificates/verify", None, &broken.to_string()).await;
    assert_eq!(answer["failedCheck"], "schema", "{answer:#}");
    let reason = schema_of(&answer)["reason"].as_str().unwrap().to_owned();
    assert!(reason.contains("/credentialSubject/product/name"), "{reason}");

    // The page names the check in the reader's language.
    for (lang, label) in [
        ("en", "Conforms to the UNTP JSON Schema"),
        ("ru", "Соответствует JSON-схеме UNTP"),
        ("zh", "符合 UNTP JSON Schema"),
    ] {
        let mut req = form_request("/verify", None, format!("payload={}", url_encode(&signed)));
        req.headers_mut().insert(header::ACCEPT_LANGUAGE, lang.parse().unwrap());
        let html = body_text(app.send(req).await).await;
        assert!(html.contains("data-status=\"valid\""), "{lang}: {html}");
        assert!(html.contains(&format!("{label}</strong>")), "{lang}: {html}");
    }
}

/// Issue 17: on a Russian or Chinese `/verify` page, the explanations of another format's
/// checks (what was established, why a check could not run offline) are in that language,
/// their variable parts (hashes, keys, addresses) put in; the English page keeps the English.
#[tokio::test]
async fn issue_17_the_verify_page_explains_checks_in_russian_and_chinese() {
    let app = TestApp::new().await;
    let page_of = async |file: &str, lang: &str| {
        let form = format!("payload={}", url_encode(&interop_vector(file)));
        let mut req = form_request("/verify", None, form);
        req.headers_mut().insert(header::ACCEPT_LANGUAGE, lang.parse().unwrap());
        body_text(app.send(req).await).await
    };
    // (vector, English explanations it shows, the Russian and Chinese of one of them)
    let cases: [(&str, &[&str], &str, &str); 4] = [
        (
            "oa/v2/not-obfuscated-wrapped.json",
            &[
                "the salted data hashes to targetHash",
                "needs an Ethereum node: is merkleRoot issued on the document store",
                "needs an Ethereum node: revocation is recorded",
                "DNS-TXT: needs the TXT records of",
            ],
            "нужен узел Ethereum: выпущен ли merkleRoot в хранилище документов",
            "需要以太坊节点：merkleRoot 是否已在文件存储合约",
        ),
        (
            "oa/v3/did-signed.json",
            &[
                "the salted fields hash to targetHash",
                "EIP-191 signature over merkleRoot by",
                "DID: the issuer is identified by",
                "the issuer declares no revocation method",
            ],
            "эмитент не объявляет способа отзыва",
            "签发者未声明撤销方式",
        ),
        (
            "untp/product-passport-simple-eddsa-jcs-2022.json",
            &[
                "a UNTP credential read as a",
                "no UNTP JSON Schemas are loaded",
                "the eddsa-jcs-2022 proof verifies under the Ed25519 key",
                "is the did:key that signed",
            ],
            "JSON-схемы UNTP не загружены; UNTP публикует нужную как untp-dpp-schema-0.6.1.json",
            "未加载任何 UNTP JSON Schema；UNTP 以 untp-dpp-schema-0.6.1.json 发布所需的架构",
        ),
        (
            "untp/valid-v2-enveloped-dpp.json",
            &[
                "a VC-JWT enveloped as",
                "the EdDSA JWS verifies under the Ed25519 key",
                "needs its DID document, fetched over the network",
            ],
            "нужен его DID-документ, получаемый по сети",
            "需要通过网络获取其 DID 文档",
        ),
    ];
    for (file, english, ru, zh) in cases {
        let en_page = page_of(file, "en").await;
        for text in english {
            assert!(en_page.contains(text), "en {file}: no {text:?} in {en_page}");
        }
        for (lang, own) in [("ru", ru), ("zh", zh)] {
            let html = page_of(file, lang).await;
            for text in english {
                assert!(!html.contains(text), "{lang} {file}: {text:?} in {html}");
            }
            assert!(html.contains(own), "{lang} {file}: no {own:?} in {html}");
        }
    }
}
