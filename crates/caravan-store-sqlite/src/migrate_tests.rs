//! Migration 0008 on a database written before it: the declarations table is rebuilt with its
//! rows, ids and children intact, and foreign keys hold and are enforced afterwards.

use caravan_store::DeclarationStore as _;
use sqlx::Connection;

use super::*;

#[tokio::test]
async fn declarant_references_keep_every_row_of_an_older_database() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("old.db");
    let options =
        SqliteConnectOptions::new().filename(&path).create_if_missing(true).foreign_keys(true);
    {
        let mut conn = sqlx::SqliteConnection::connect_with(&options).await.expect("connect");
        sqlx::query("CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY)")
            .execute(&mut conn)
            .await
            .expect("table");
        for (idx, sql) in MIGRATIONS[..7].iter().enumerate() {
            sqlx::raw_sql(sql).execute(&mut conn).await.expect("old migration");
            sqlx::query("INSERT INTO schema_migrations (version) VALUES ($1)")
                .bind(idx as i64 + 1)
                .execute(&mut conn)
                .await
                .expect("version");
        }
        sqlx::raw_sql(
            "INSERT INTO organisations (id, name, kind, country, created_at_ms) VALUES (1, 'A', 'trading_company', 'KZ', 0), (2, 'B', 'trading_company', 'KZ', 0);
             INSERT INTO declarations (id, reference, org_id, country, status, version, channel, risk_score, n_events, created_at_ms, updated_at_ms)
                 VALUES (7, 'KZ-OLD-1', 1, 'KZ', 'draft', 1, NULL, 0, 0, 0, 0);
             INSERT INTO declaration_versions (declaration_id, version, body, created_at_ms) VALUES (7, 1, '{\"reference\":\"KZ-OLD-1\"}', 0);",
        )
        .execute(&mut conn)
        .await
        .expect("old rows");
        conn.close().await.expect("close");
    }
    let store = SqliteStore::open(&path).await.expect("migrates");
    let found = store.declarations_with_reference("KZ-OLD-1").await.expect("read");
    assert_eq!(found.len(), 1);
    assert_eq!((found[0].record.id, found[0].record.org_id), (7, 1));
    assert_eq!(found[0].versions[0].body["reference"], "KZ-OLD-1");
    // Another declarant may now use the same reference; the same declarant may not.
    let mut conn = store.pool.acquire().await.expect("conn");
    let insert = "INSERT INTO declarations (reference, org_id, country, status, version, channel, risk_score, n_events, created_at_ms, updated_at_ms) VALUES ('KZ-OLD-1', $1, 'KZ', 'draft', 1, NULL, 0, 0, 0, 0)";
    sqlx::query(insert).bind(2_i64).execute(&mut *conn).await.expect("another declarant");
    assert!(sqlx::query(insert).bind(1_i64).execute(&mut *conn).await.is_err(), "unique per org");
    // Foreign keys are on again and still point at the rebuilt table.
    let orphan = sqlx::query(
        "INSERT INTO declaration_versions (declaration_id, version, body, created_at_ms) VALUES (999, 1, '{}', 0)",
    )
    .execute(&mut *conn)
    .await;
    assert!(orphan.is_err(), "a version without its declaration is refused");
    let broken: Vec<(String,)> = sqlx::query_as("SELECT \"table\" FROM pragma_foreign_key_check")
        .fetch_all(&mut *conn)
        .await
        .expect("check");
    assert!(broken.is_empty(), "{broken:?}");
}

#[tokio::test]
async fn an_in_memory_store_is_migrated_and_usable() {
    use caravan_store::Store as _;
    let store = SqliteStore::open_url("sqlite::memory:").await.expect("opens and migrates");
    let change = caravan_store::Change {
        actor: caravan_store::Actor::system("test"),
        at: time::OffsetDateTime::from_unix_timestamp(1_764_000_000).expect("instant"),
    };
    let org = store
        .create_organisation(
            &change,
            &caravan_store::NewOrganisation {
                name: "In memory".to_owned(),
                kind: caravan_store::OrgKind::TradingCompany,
                country: caravan_types::CountryCode::parse("KZ").expect("code"),
            },
        )
        .await
        .expect("the migrated schema is there");
    assert_eq!(
        store.organisation(org.id).await.expect("read").map(|o| o.name),
        Some("In memory".to_owned())
    );
}
