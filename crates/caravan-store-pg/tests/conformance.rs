//! Runs the storage conformance suite on PostgreSQL, each test in a fresh schema.
//!
//! Set `CARAVAN_TEST_PG_URL` (CI sets `postgres://postgres@127.0.0.1:5432/test`); without it
//! every test here prints that it was skipped and passes.

#![allow(clippy::unwrap_used, reason = "test helpers fail loudly by design")]

use std::str::FromStr;
use std::sync::Arc;

use caravan_store::Store;
use caravan_store_pg::PgStore;
use rand::Rng;
use sqlx::postgres::PgConnectOptions;

async fn fresh() -> Option<Arc<dyn Store>> {
    let Ok(url) = std::env::var("CARAVAN_TEST_PG_URL") else {
        eprintln!(
            "skipped: CARAVAN_TEST_PG_URL is not set, so the PostgreSQL conformance suite did not run"
        );
        return None;
    };
    let schema = format!("caravan_test_{:016x}", rand::thread_rng().r#gen::<u64>());
    let admin =
        PgConnectOptions::from_str(&url).expect("CARAVAN_TEST_PG_URL must be a postgres:// URL");
    let mut conn = sqlx::ConnectOptions::connect(&admin).await.expect("connect to PostgreSQL");
    sqlx::query(&format!("CREATE SCHEMA {schema}"))
        .execute(&mut conn)
        .await
        .expect("create schema");
    let options = admin.options([("search_path", schema.as_str())]);
    Some(Arc::new(PgStore::connect_with(options).await.expect("open PgStore")))
}

caravan_store::conformance_tests!(fresh());
