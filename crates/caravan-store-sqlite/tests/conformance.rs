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
