//! Caravan's embedded SQLite store: the default, zero set-up backend.
//!
//! Durability: WAL journal with `synchronous = FULL`, so a commit acknowledged to a caller has
//! reached the disk and survives a crash or power loss (SQLite docs, "PRAGMA synchronous").
//! Writers open `BEGIN IMMEDIATE` transactions so that the audit chain's read-then-append is
//! serialised without deadlock-prone lock upgrades.

mod backbone;
mod certs;
mod datasets;
mod declarations;
mod health;
mod land;
#[cfg(test)]
mod migrate_tests;
mod rates;
mod scholarship;

/// This adapter's types under the names the SQL shared with the other adapter uses
/// (`crates/caravan-store/sql/`).
pub(crate) type Db = sqlx::Sqlite;
pub(crate) type DbRow = sqlx::sqlite::SqliteRow;
pub(crate) use backbone::{append_audit_tx, corrupt, is_unique_violation};
/// What [`caravan_store::Store::backend`] answers.
pub(crate) const BACKEND_NAME: &str = "sqlite";
pub(crate) type DbStore = SqliteStore;

use std::path::Path;
use std::str::FromStr;
use std::time::Duration;

use caravan_store::{StoreError, StoreResult};
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};
use sqlx::{Connection, Sqlite, SqliteConnection, Transaction};

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

/// The migrations after the last applied one, and the foreign key check, in one transaction.
async fn migrate_on(conn: &mut SqliteConnection) -> StoreResult<()> {
    let mut tx = conn.begin_with("BEGIN IMMEDIATE").await.map_err(backend)?;
    sqlx::query("CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY)")
        .execute(&mut *tx)
        .await
        .map_err(backend)?;
    let applied: i64 =
        sqlx::query_scalar("SELECT COALESCE(MAX(version), 0) FROM schema_migrations")
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
    let broken: Vec<(String,)> = sqlx::query_as("SELECT \"table\" FROM pragma_foreign_key_check")
        .fetch_all(&mut *tx)
        .await
        .map_err(backend)?;
    if let Some((table,)) = broken.first() {
        return Err(StoreError::Corrupt {
            what: "migration",
            reason: format!("a migration left rows of {table} without their parent"),
        });
    }
    tx.commit().await.map_err(backend)
}

/// The SQLite store.
#[derive(Debug, Clone)]
pub struct SqliteStore {
    pub(crate) pool: SqlitePool,
    /// The last answer of [`Store::check_writable`].
    write_probe: std::sync::Arc<health::WriteProbe>,
}

/// The driver's error as the port's: [`StoreError::Unavailable`] for what passes without a
/// change on our side (a full disk, an I/O error, a lock held too long), else
/// [`StoreError::Backend`].
pub(crate) fn backend(err: sqlx::Error) -> StoreError {
    if is_unavailable(&err) {
        StoreError::Unavailable(err.to_string())
    } else {
        StoreError::Backend(err.to_string())
    }
}

/// SQLite's primary result codes (the low byte of an extended code, "Result and Error Codes")
/// that say the database cannot work now rather than that the statement is wrong: `BUSY` (5,
/// the lock was not released within the busy timeout), `NOMEM` (7), `IOERR` (10, any failed
/// read, write or fsync), `FULL` (13, the disk or file system is full), `CANTOPEN` (14) and
/// `PROTOCOL` (15).
const UNAVAILABLE_CODES: [i32; 6] = [5, 7, 10, 13, 14, 15];

fn is_unavailable(err: &sqlx::Error) -> bool {
    match err {
        sqlx::Error::Database(db) => db
            .code()
            .and_then(|code| code.parse::<i32>().ok())
            .is_some_and(|code| UNAVAILABLE_CODES.contains(&(code & 0xff))),
        sqlx::Error::Io(_) | sqlx::Error::PoolTimedOut | sqlx::Error::WorkerCrashed => true,
        _ => false,
    }
}

/// Settings measured on `bench declarations` (perf of the connection threads):
/// - `cache_size`: 16 MiB of pages per connection instead of SQLite's 2 MiB, so the writer's
///   index pages stay cached between group commits instead of being read back from the file;
/// - a statement cache big enough for the multi-row inserts of every batch size of the lodging
///   writer (their text differs by row count), which were prepared again on each batch.
fn tuned(options: SqliteConnectOptions) -> SqliteConnectOptions {
    options.pragma("cache_size", "-16384").statement_cache_capacity(1024)
}

impl SqliteStore {
    /// Opens (creating if missing) the database file and applies pending migrations.
    ///
    /// # Errors
    /// [`StoreError::Backend`] when the file cannot be opened or a migration fails.
    pub async fn open(path: &Path) -> StoreResult<SqliteStore> {
        let options = SqliteConnectOptions::new()
            .filename(path)
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Full)
            .foreign_keys(true)
            .busy_timeout(Duration::from_secs(10));
        let options = tuned(options);
        Self::connect(options, 8).await
    }

    /// Opens a `sqlite:` URL (e.g. `sqlite://caravan.db`, `sqlite::memory:`).
    ///
    /// # Errors
    /// [`StoreError::Backend`] when the URL is malformed or the database cannot be opened.
    pub async fn open_url(url: &str) -> StoreResult<SqliteStore> {
        let options = SqliteConnectOptions::from_str(url)
            .map_err(backend)?
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Full)
            .foreign_keys(true)
            .busy_timeout(Duration::from_secs(10));
        let options = tuned(options);
        // An in-memory database lives in one connection.
        let max = if url.contains(":memory:") { 1 } else { 8 };
        Self::connect(options, max).await
    }

    async fn connect(
        options: SqliteConnectOptions,
        max_connections: u32,
    ) -> StoreResult<SqliteStore> {
        // No ping before each use: an embedded database's connection cannot drop like a network
        // one, and the ping is a round trip to the connection's thread on every query (perf of
        // `bench declarations`: about 4 % of the lodging pipeline's CPU).
        //
        // A connection whose transaction could not be ended never serves again (issue 22): when
        // a write fails with SQLITE_FULL or SQLITE_IOERR, SQLite may already have rolled the
        // transaction back itself, so the `ROLLBACK` that sqlx queues when the `Transaction` is
        // dropped fails ("no transaction is active") and sqlx's count of open transactions on
        // that connection stays above zero. Back in the pool, every later `BEGIN IMMEDIATE` on
        // it failed with "attempted to call begin_with at non-zero transaction depth", until a
        // restart. The pool runs the queued rollback when the connection comes back (its
        // release ping), so by the next acquire the count is exact; one still in a transaction
        // is closed (SQLite rolls back whatever it held) and the pool opens a fresh one.
        let pool = SqlitePoolOptions::new()
            .max_connections(max_connections)
            .test_before_acquire(false)
            .before_acquire(|conn, _| Box::pin(async move { Ok(!conn.is_in_transaction()) }))
            .connect_with(options)
            .await
            .map_err(backend)?;
        let store = SqliteStore { pool, write_probe: std::sync::Arc::default() };
        store.migrate().await?;
        Ok(store)
    }

    /// Applies the migrations not yet applied, in one transaction, on a connection of its own
    /// opened with foreign keys off, so a migration may rebuild a table that others refer to
    /// (SQLite manual, "ALTER TABLE", the twelve steps); `PRAGMA foreign_key_check` must find
    /// nothing before the commit. The pool's connections keep their foreign keys on.
    async fn migrate(&self) -> StoreResult<()> {
        // An in-memory database (`sqlite::memory:`, a shared-cache memory file) lives while a
        // connection to it is open: hold one of the pool's while the migrating one works.
        let _keep = self.pool.acquire().await.map_err(backend)?;
        let options = (*self.pool.connect_options()).clone().foreign_keys(false);
        let mut conn = SqliteConnection::connect_with(&options).await.map_err(backend)?;
        let migrated = migrate_on(&mut conn).await;
        let closed = conn.close().await.map_err(backend);
        migrated.and(closed)
    }

    /// Runs `body` in a write transaction (`BEGIN IMMEDIATE`), committing when it succeeds.
    pub(crate) async fn write<T, F>(&self, body: F) -> StoreResult<T>
    where
        F: for<'c> FnOnce(
                &'c mut Transaction<'_, Sqlite>,
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

    /// Opens a write transaction: `BEGIN IMMEDIATE` takes SQLite's write lock at once, so
    /// writers queue instead of failing on upgrade.
    pub(crate) async fn begin_write(&self) -> StoreResult<Transaction<'static, Sqlite>> {
        self.pool.begin_with("BEGIN IMMEDIATE").await.map_err(backend)
    }
}
