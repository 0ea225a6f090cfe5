//! Runs the storage conformance suite on a fresh SQLite file per test.

#![allow(clippy::unwrap_used, reason = "test helpers fail loudly by design")]

use std::sync::Arc;

use caravan_store::Store;
use caravan_store_sqlite::SqliteStore;

async fn fresh() -> Option<Arc<dyn Store>> {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("caravan.db");
    // Keep the directory for the life of the test process; each test has its own.
    std::mem::forget(dir);
    Some(Arc::new(SqliteStore::open(&path).await.expect("open sqlite")))
}

caravan_store::conformance_tests!(fresh());

#[tokio::test]
async fn reopening_keeps_data_and_does_not_rerun_migrations() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("caravan.db");
    {
        let store = SqliteStore::open(&path).await.expect("open");
        caravan_store::conformance::organisations_and_users(&store).await;
    }
    let store = SqliteStore::open(&path).await.expect("reopen");
    assert_eq!(store.count_users().await.expect("count"), 2);
    let entries = store.audit_entries(0, 100).await.expect("audit");
    caravan_store::verify_audit_chain(&entries).expect("chain intact after reopen");
}

/// An acknowledged log append is on disk: the database files copied while the store is still
/// open (as a crash would leave them: no clean shutdown, no WAL checkpoint) hold the leaf, its
/// checkpoint, the certificate and the audit entry.
#[tokio::test]
async fn acknowledged_log_appends_survive_a_crash() {
    use caravan_store::certs::{LogAppend, LogEffect, NewCertificate};
    use caravan_store::{Actor, CertStore, Change, NewOrganisation, OrgKind};
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("caravan.db");
    let store = SqliteStore::open(&path).await.expect("open");
    let change = Change { actor: Actor::system("test"), at: caravan_store::conformance::t0() };
    let org = store
        .create_organisation(
            &change,
            &NewOrganisation {
                name: "Chamber".to_owned(),
                kind: OrgKind::CertifyingBody,
                country: caravan_types::CountryCode::parse("KZ").unwrap(),
            },
        )
        .await
        .unwrap();
    for idx in 0..3u64 {
        let append = LogAppend {
            log_id: "log".to_owned(),
            expected_size: idx,
            leaf_hash: vec![idx as u8; 32],
            entry: vec![b'x'; 10],
            checkpoint: serde_json::json!({"treeSize": idx + 1}),
            effect: LogEffect::Issue(NewCertificate {
                id: format!("urn:c:{idx}"),
                org_id: org.id,
                doc_type: "origin".to_owned(),
                document: "{}".to_owned(),
            }),
            nodes: Vec::new(),
        };
        store.append_log(&change, &append).await.unwrap();
    }
    let crashed = tempfile::tempdir().expect("temp dir");
    for suffix in ["", "-wal", "-shm"] {
        let from = dir.path().join(format!("caravan.db{suffix}"));
        if from.exists() {
            std::fs::copy(&from, crashed.path().join(format!("caravan.db{suffix}"))).unwrap();
        }
    }
    let recovered = SqliteStore::open(&crashed.path().join("caravan.db")).await.expect("reopen");
    assert_eq!(recovered.log_size("log").await.unwrap(), 3);
    assert_eq!(recovered.latest_checkpoint("log").await.unwrap().unwrap().tree_size, 3);
    assert!(recovered.certificate("urn:c:2").await.unwrap().is_some());
    let audit = recovered.audit_entries(0, 100).await.unwrap();
    assert_eq!(audit.iter().filter(|e| e.action == "certificate.issue").count(), 3);
    drop(store);
}
