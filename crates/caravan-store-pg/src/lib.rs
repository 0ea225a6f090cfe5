//! Caravan's PostgreSQL store: the scale-out backend.
//!
//! Every write runs in one transaction that first takes a transaction-scoped advisory lock, so
//! the audit chain's read-then-append is serialised across connections and server processes.
//! A commit is durable when PostgreSQL acknowledges it (`synchronous_commit` on, the default).

mod backbone;
mod certs;
mod datasets;
mod declarations;
mod health;
mod land;
mod rates;
mod scholarship;

/// This adapter's types under the names the SQL shared with the other adapter uses
/// (`crates/caravan-store/sql/`).
pub(crate) type Db = sqlx::Postgres;
pub(crate) type DbRow = sqlx::postgres::PgRow;
pub(crate) use backbone::{append_audit_tx, corrupt, is_unique_violation};
/// What [`caravan_store::Store::backend`] answers.
pub(crate) const BACKEND_NAME: &str = "postgres";
pub(crate) type DbStore = PgStore;

use std::str::FromStr;

use caravan_store::{StoreError, StoreResult};
use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions};
use sqlx::{Postgres, Transaction};

/// Schema migrations, applied in order; the version is the position + 1.
const MIGRATIONS: &[&str] = &[
    include_str!("../migrations/0001_backbone.sql"),
    include_str!("../migrations/0002_certs.sql"),
    include_str!("../migrations/0003_declarations.sql"),
    include_str!("../migrations/0004_datasets.sql"),
    include_str!("../migrations/0005_land.sql"),
    include_str!("../migrations/0006_scholarship.sql"),
    include_str!("../migrations/0007_log_nodes.sql"),
    include_str!("../migrations/0008_declarant_references.sql"),
    include_str!("../migrations/0009_exchange_rates.sql"),
];

/// The PostgreSQL store.
#[derive(Debug, Clone)]
pub struct PgStore {
    pub(crate) pool: PgPool,
    /// The last answer of [`Store::check_writable`].
    write_probe: std::sync::Arc<health::WriteProbe>,
}

/// The driver's error as the port's: [`StoreError::Unavailable`] for what passes without a
/// change on our side (a full disk, the server restarting or out of connections, a lost
/// connection), else [`StoreError::Backend`].
pub(crate) fn backend(err: sqlx::Error) -> StoreError {
    if is_unavailable(&err) {
        StoreError::Unavailable(err.to_string())
    } else {
        StoreError::Backend(err.to_string())
    }
}

/// SQLSTATE classes and codes (PostgreSQL manual, appendix A) that say the server cannot work
/// now rather than that the statement is wrong: class `08` (connection exception), class `53`
/// (insufficient resources: `53100` disk full, `53200` out of memory, `53300` too many
/// connections), `57P01`–`57P03` (shutting down, crashed, cannot connect now) and `58030` (I/O
/// error).
fn is_unavailable(err: &sqlx::Error) -> bool {
    match err {
        sqlx::Error::Database(db) => db.code().is_some_and(|code| {
            code.starts_with("08")
                || code.starts_with("53")
                || matches!(&*code, "57P01" | "57P02" | "57P03" | "58030")
        }),
        sqlx::Error::Io(_) | sqlx::Error::PoolTimedOut => true,
        _ => false,
    }
}

/// Key of the advisory lock that serialises writers (any constant unique to Caravan).
const WRITE_LOCK_KEY: i64 = 0x0043_4152_4156_414e;

impl PgStore {
    /// Connects to `url` (`postgres://…`) and applies pending migrations.
    ///
    /// # Errors
    /// [`StoreError::Backend`] when the URL is malformed, the server unreachable or a migration fails.
    pub async fn connect(url: &str) -> StoreResult<PgStore> {
        let options = PgConnectOptions::from_str(url).map_err(backend)?;
        Self::connect_with(options).await
    }

    /// Connects with explicit options (tests use them to pin a schema via `search_path`).
    ///
    /// # Errors
    /// [`StoreError::Backend`] when the server is unreachable or a migration fails.
    pub async fn connect_with(options: PgConnectOptions) -> StoreResult<PgStore> {
        // A connection still inside a transaction never serves again (issue 22): the driver
        // queues a `ROLLBACK` when a failed `Transaction` is dropped and runs it when the
        // connection comes back to the pool, closing the connection when that fails; this
        // check, free at acquire time, keeps that promise should a driver update change it.
        let pool = PgPoolOptions::new()
            .max_connections(16)
            .before_acquire(|conn, _| {
                Box::pin(async move { Ok(!sqlx::Connection::is_in_transaction(conn)) })
            })
            .connect_with(options)
            .await
            .map_err(backend)?;
        let store = PgStore { pool, write_probe: std::sync::Arc::default() };
        store.migrate().await?;
        Ok(store)
    }

    async fn migrate(&self) -> StoreResult<()> {
        let mut tx = self.pool.begin().await.map_err(backend)?;
        sqlx::query("SELECT pg_advisory_xact_lock($1)")
            .bind(WRITE_LOCK_KEY)
            .execute(&mut *tx)
            .await
            .map_err(backend)?;
        sqlx::query("CREATE TABLE IF NOT EXISTS schema_migrations (version BIGINT PRIMARY KEY)")
            .execute(&mut *tx)
            .await
            .map_err(backend)?;
        let applied: i64 =
            sqlx::query_scalar("SELECT COALESCE(MAX(version), 0)::BIGINT FROM schema_migrations")
                .fetch_one(&mut *tx)
                .await
                .map_err(backend)?;
        for (idx, sql) in MIGRATIONS.iter().enumerate().skip(applied as usize) {
            sqlx::raw_sql(sql).execute(&mut *tx).await.map_err(backend)?;
            sqlx::query("INSERT INTO schema_migrations (version) VALUES ($1)")
                .bind(idx as i64 + 1)
                .execute(&mut *tx)
                .await
                .map_err(backend)?;
        }
        tx.commit().await.map_err(backend)
    }

    /// Runs `body` in a write transaction holding the writers' advisory lock.
    pub(crate) async fn write<T, F>(&self, body: F) -> StoreResult<T>
    where
        F: for<'c> FnOnce(
                &'c mut Transaction<'_, Postgres>,
            ) -> std::pin::Pin<
                Box<dyn std::future::Future<Output = StoreResult<T>> + Send + 'c>,
            > + Send,
        T: Send,
    {
        let mut tx = self.begin_write().await?;
        let value = body(&mut tx).await?;
        tx.commit().await.map_err(backend)?;
        Ok(value)
    }

    /// Opens a write transaction holding the writers' advisory lock, so writes (and the audit
    /// chain they extend) are serialised across connections and servers.
    pub(crate) async fn begin_write(&self) -> StoreResult<Transaction<'static, Postgres>> {
        let mut tx = self.pool.begin().await.map_err(backend)?;
        sqlx::query("SELECT pg_advisory_xact_lock($1)")
            .bind(WRITE_LOCK_KEY)
            .execute(&mut *tx)
            .await
            .map_err(backend)?;
        Ok(tx)
    }
}
