//! Caravan's embedded SQLite store: the default, zero set-up backend.
//!
//! Durability: WAL journal with `synchronous = FULL`, so a commit acknowledged to a caller has
//! reached the disk and survives a crash or power loss (SQLite docs, "PRAGMA synchronous").
//! Writers open `BEGIN IMMEDIATE` transactions so that the audit chain's read-then-append is
//! serialised without deadlock-prone lock upgrades.

mod certs;
mod datasets;
mod declarations;
mod health;
mod land;
#[cfg(test)]
mod migrate_tests;
mod scholarship;

/// This adapter's types under the names the SQL shared with the other adapter uses
/// (`crates/caravan-store/sql/`).
pub(crate) type Db = sqlx::Sqlite;
pub(crate) type DbRow = sqlx::sqlite::SqliteRow;
pub(crate) type DbStore = SqliteStore;

use std::path::Path;
use std::str::FromStr;
use std::time::Duration;

use async_trait::async_trait;
use caravan_store::{
    AUDIT_GENESIS, ApiToken, AuditEntry, Change, NewAudit, NewOrganisation, NewUser, OrgKind,
    Organisation, Role, Session, Store, StoreError, StoreResult, User, audit_hash, from_unix_ms,
    unix_ms,
};
use caravan_types::CountryCode;
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteRow,
    SqliteSynchronous,
};
use sqlx::{Connection, Row, Sqlite, SqliteConnection, Transaction};
use time::OffsetDateTime;

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

pub(crate) async fn append_audit_tx(
    tx: &mut Transaction<'_, Sqlite>,
    change: &Change,
    audit: &NewAudit<'_>,
) -> StoreResult<AuditEntry> {
    let last: Option<(i64, String)> =
        sqlx::query_as("SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1")
            .fetch_optional(&mut **tx)
            .await
            .map_err(backend)?;
    let (seq, prev_hash) = match last {
        Some((seq, hash)) => (seq + 1, hash),
        None => (1, AUDIT_GENESIS.to_owned()),
    };
    let at = caravan_store::to_stored_resolution(change.at);
    let hash =
        audit_hash(&prev_hash, seq, at, &change.actor, audit.action, &audit.target, &audit.details);
    sqlx::query(
        "INSERT INTO audit_log (seq, at_ms, actor_user_id, actor_name, action, target, details, prev_hash, hash) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
    )
    .bind(seq)
    .bind(unix_ms(at))
    .bind(change.actor.user_id)
    .bind(&change.actor.name)
    .bind(audit.action)
    .bind(&audit.target)
    .bind(audit.details.to_string())
    .bind(&prev_hash)
    .bind(&hash)
    .execute(&mut **tx)
    .await
    .map_err(backend)?;
    Ok(AuditEntry {
        seq,
        at,
        actor: change.actor.clone(),
        action: audit.action.to_owned(),
        target: audit.target.clone(),
        details: audit.details.clone(),
        prev_hash,
        hash,
    })
}

pub(crate) fn corrupt(what: &'static str, reason: impl ToString) -> StoreError {
    StoreError::Corrupt { what, reason: reason.to_string() }
}

fn org_from_row(row: &SqliteRow) -> StoreResult<Organisation> {
    let kind: String = row.try_get("kind").map_err(backend)?;
    let country: String = row.try_get("country").map_err(backend)?;
    Ok(Organisation {
        id: row.try_get("id").map_err(backend)?,
        name: row.try_get("name").map_err(backend)?,
        kind: OrgKind::parse(&kind)
            .ok_or_else(|| corrupt("organisation", format!("unknown kind {kind:?}")))?,
        country: CountryCode::parse(&country).map_err(|e| corrupt("organisation", e))?,
        created_at: from_unix_ms(row.try_get("created_at_ms").map_err(backend)?)?,
    })
}

fn user_from_row(row: &SqliteRow) -> StoreResult<User> {
    let role: String = row.try_get("role").map_err(backend)?;
    Ok(User {
        id: row.try_get("id").map_err(backend)?,
        username: row.try_get("username").map_err(backend)?,
        display_name: row.try_get("display_name").map_err(backend)?,
        org_id: row.try_get("org_id").map_err(backend)?,
        role: Role::parse(&role)
            .ok_or_else(|| corrupt("user", format!("unknown role {role:?}")))?,
        password_hash: row.try_get("password_hash").map_err(backend)?,
        active: row.try_get("active").map_err(backend)?,
        created_at: from_unix_ms(row.try_get("created_at_ms").map_err(backend)?)?,
    })
}

fn token_from_row(row: &SqliteRow) -> StoreResult<ApiToken> {
    let revoked: Option<i64> = row.try_get("revoked_at_ms").map_err(backend)?;
    Ok(ApiToken {
        id: row.try_get("id").map_err(backend)?,
        user_id: row.try_get("user_id").map_err(backend)?,
        name: row.try_get("name").map_err(backend)?,
        token_hash: row.try_get("token_hash").map_err(backend)?,
        created_at: from_unix_ms(row.try_get("created_at_ms").map_err(backend)?)?,
        revoked_at: revoked.map(from_unix_ms).transpose()?,
    })
}

fn audit_from_row(row: &SqliteRow) -> StoreResult<AuditEntry> {
    let details: String = row.try_get("details").map_err(backend)?;
    Ok(AuditEntry {
        seq: row.try_get("seq").map_err(backend)?,
        at: from_unix_ms(row.try_get("at_ms").map_err(backend)?)?,
        actor: caravan_store::Actor {
            user_id: row.try_get("actor_user_id").map_err(backend)?,
            name: row.try_get("actor_name").map_err(backend)?,
        },
        action: row.try_get("action").map_err(backend)?,
        target: row.try_get("target").map_err(backend)?,
        details: serde_json::from_str(&details).map_err(|e| corrupt("audit entry", e))?,
        prev_hash: row.try_get("prev_hash").map_err(backend)?,
        hash: row.try_get("hash").map_err(backend)?,
    })
}

const USER_COLUMNS: &str =
    "id, username, display_name, org_id, role, password_hash, active, created_at_ms";
const TOKEN_COLUMNS: &str = "id, user_id, name, token_hash, created_at_ms, revoked_at_ms";

pub(crate) fn is_unique_violation(err: &sqlx::Error) -> bool {
    err.as_database_error().is_some_and(|e| e.is_unique_violation())
}

#[async_trait]
impl Store for SqliteStore {
    fn backend(&self) -> &'static str {
        "sqlite"
    }

    async fn check_writable(&self) -> StoreResult<()> {
        self.write_probe.check(self).await
    }

    async fn create_organisation(
        &self,
        change: &Change,
        org: &NewOrganisation,
    ) -> StoreResult<Organisation> {
        let org = org.clone();
        let change = change.clone();
        self.write(move |tx| {
            Box::pin(async move {
                let at = caravan_store::to_stored_resolution(change.at);
                let id: i64 = sqlx::query_scalar(
                    "INSERT INTO organisations (name, kind, country, created_at_ms) VALUES ($1, $2, $3, $4) RETURNING id",
                )
                .bind(&org.name)
                .bind(org.kind.as_str())
                .bind(org.country.as_str())
                .bind(unix_ms(at))
                .fetch_one(&mut **tx)
                .await
                .map_err(backend)?;
                let created = Organisation { id, name: org.name, kind: org.kind, country: org.country, created_at: at };
                let details = serde_json::json!({"name": created.name, "kind": created.kind, "country": created.country});
                append_audit_tx(tx, &change, &NewAudit { action: "organisation.create", target: format!("organisation:{id}"), details }).await?;
                Ok(created)
            })
        })
        .await
    }

    async fn organisation(&self, id: i64) -> StoreResult<Option<Organisation>> {
        let row = sqlx::query(
            "SELECT id, name, kind, country, created_at_ms FROM organisations WHERE id = $1",
        )
        .bind(id)
        .fetch_optional(&self.pool)
        .await
        .map_err(backend)?;
        row.as_ref().map(org_from_row).transpose()
    }

    async fn organisations(&self) -> StoreResult<Vec<Organisation>> {
        let rows = sqlx::query(
            "SELECT id, name, kind, country, created_at_ms FROM organisations ORDER BY id",
        )
        .fetch_all(&self.pool)
        .await
        .map_err(backend)?;
        rows.iter().map(org_from_row).collect()
    }

    async fn create_user(&self, change: &Change, user: &NewUser) -> StoreResult<User> {
        let user = user.clone();
        let change = change.clone();
        self.write(move |tx| {
            Box::pin(async move {
                let org_exists: Option<i64> = sqlx::query_scalar("SELECT id FROM organisations WHERE id = $1")
                    .bind(user.org_id)
                    .fetch_optional(&mut **tx)
                    .await
                    .map_err(backend)?;
                if org_exists.is_none() {
                    return Err(StoreError::NotFound { what: "organisation", id: user.org_id.to_string() });
                }
                let at = caravan_store::to_stored_resolution(change.at);
                let id: i64 = sqlx::query_scalar(
                    "INSERT INTO users (username, display_name, org_id, role, password_hash, active, created_at_ms) \
                     VALUES ($1, $2, $3, $4, $5, 1, $6) RETURNING id",
                )
                .bind(&user.username)
                .bind(&user.display_name)
                .bind(user.org_id)
                .bind(user.role.as_str())
                .bind(&user.password_hash)
                .bind(unix_ms(at))
                .fetch_one(&mut **tx)
                .await
                .map_err(|e| {
                    if is_unique_violation(&e) {
                        StoreError::Conflict { what: "username", value: user.username.clone() }
                    } else {
                        backend(e)
                    }
                })?;
                let details = serde_json::json!({"username": user.username, "org_id": user.org_id, "role": user.role});
                append_audit_tx(tx, &change, &NewAudit { action: "user.create", target: format!("user:{id}"), details }).await?;
                Ok(User {
                    id,
                    username: user.username,
                    display_name: user.display_name,
                    org_id: user.org_id,
                    role: user.role,
                    password_hash: user.password_hash,
                    active: true,
                    created_at: at,
                })
            })
        })
        .await
    }

    async fn user(&self, id: i64) -> StoreResult<Option<User>> {
        let row = sqlx::query(&format!("SELECT {USER_COLUMNS} FROM users WHERE id = $1"))
            .bind(id)
            .fetch_optional(&self.pool)
            .await
            .map_err(backend)?;
        row.as_ref().map(user_from_row).transpose()
    }

    async fn user_by_username(&self, username: &str) -> StoreResult<Option<User>> {
        let row = sqlx::query(&format!("SELECT {USER_COLUMNS} FROM users WHERE username = $1"))
            .bind(username)
            .fetch_optional(&self.pool)
            .await
            .map_err(backend)?;
        row.as_ref().map(user_from_row).transpose()
    }

    async fn users(&self, org_id: Option<i64>) -> StoreResult<Vec<User>> {
        let rows = match org_id {
            Some(org) => {
                sqlx::query(&format!(
                    "SELECT {USER_COLUMNS} FROM users WHERE org_id = $1 ORDER BY id"
                ))
                .bind(org)
                .fetch_all(&self.pool)
                .await
            }
            None => {
                sqlx::query(&format!("SELECT {USER_COLUMNS} FROM users ORDER BY id"))
                    .fetch_all(&self.pool)
                    .await
            }
        }
        .map_err(backend)?;
        rows.iter().map(user_from_row).collect()
    }

    async fn count_users(&self) -> StoreResult<i64> {
        sqlx::query_scalar("SELECT COUNT(*) FROM users")
            .fetch_one(&self.pool)
            .await
            .map_err(backend)
    }

    async fn set_user_active(
        &self,
        change: &Change,
        user_id: i64,
        active: bool,
    ) -> StoreResult<User> {
        let change = change.clone();
        self.write(move |tx| {
            Box::pin(async move {
                let row = sqlx::query(&format!(
                    "UPDATE users SET active = $1 WHERE id = $2 RETURNING {USER_COLUMNS}"
                ))
                .bind(active)
                .bind(user_id)
                .fetch_optional(&mut **tx)
                .await
                .map_err(backend)?
                .ok_or_else(|| StoreError::NotFound { what: "user", id: user_id.to_string() })?;
                let user = user_from_row(&row)?;
                let action = if active { "user.enable" } else { "user.disable" };
                append_audit_tx(
                    tx,
                    &change,
                    &NewAudit {
                        action,
                        target: format!("user:{user_id}"),
                        details: serde_json::Value::Null,
                    },
                )
                .await?;
                Ok(user)
            })
        })
        .await
    }

    async fn set_user_password(
        &self,
        change: &Change,
        user_id: i64,
        password_hash: &str,
    ) -> StoreResult<()> {
        let change = change.clone();
        let password_hash = password_hash.to_owned();
        self.write(move |tx| {
            Box::pin(async move {
                let done = sqlx::query("UPDATE users SET password_hash = $1 WHERE id = $2")
                    .bind(&password_hash)
                    .bind(user_id)
                    .execute(&mut **tx)
                    .await
                    .map_err(backend)?;
                if done.rows_affected() == 0 {
                    return Err(StoreError::NotFound { what: "user", id: user_id.to_string() });
                }
                append_audit_tx(
                    tx,
                    &change,
                    &NewAudit {
                        action: "user.set_password",
                        target: format!("user:{user_id}"),
                        details: serde_json::Value::Null,
                    },
                )
                .await?;
                Ok(())
            })
        })
        .await
    }

    async fn create_session(
        &self,
        change: &Change,
        session: &Session,
        details: serde_json::Value,
    ) -> StoreResult<()> {
        let change = change.clone();
        let session = session.clone();
        self.write(move |tx| {
            Box::pin(async move {
                sqlx::query("INSERT INTO sessions (token_hash, user_id, csrf_token, expires_at_ms) VALUES ($1, $2, $3, $4)")
                    .bind(&session.token_hash)
                    .bind(session.user_id)
                    .bind(&session.csrf_token)
                    .bind(unix_ms(session.expires_at))
                    .execute(&mut **tx)
                    .await
                    .map_err(backend)?;
                append_audit_tx(
                    tx,
                    &change,
                    &NewAudit {
                        action: "session.login",
                        target: format!("user:{}", session.user_id),
                        details,
                    },
                )
                .await?;
                Ok(())
            })
        })
        .await
    }

    async fn session(&self, token_hash: &str) -> StoreResult<Option<Session>> {
        let row: Option<(String, i64, String, i64)> =
            sqlx::query_as("SELECT token_hash, user_id, csrf_token, expires_at_ms FROM sessions WHERE token_hash = $1")
                .bind(token_hash)
                .fetch_optional(&self.pool)
                .await
                .map_err(backend)?;
        row.map(|(token_hash, user_id, csrf_token, expires)| {
            Ok(Session { token_hash, user_id, csrf_token, expires_at: from_unix_ms(expires)? })
        })
        .transpose()
    }

    async fn delete_session(
        &self,
        change: &Change,
        token_hash: &str,
        action: &'static str,
    ) -> StoreResult<()> {
        let change = change.clone();
        let token_hash = token_hash.to_owned();
        self.write(move |tx| {
            Box::pin(async move {
                let user: Option<(i64,)> =
                    sqlx::query_as("DELETE FROM sessions WHERE token_hash = $1 RETURNING user_id")
                        .bind(&token_hash)
                        .fetch_optional(&mut **tx)
                        .await
                        .map_err(backend)?;
                if let Some((user_id,)) = user {
                    append_audit_tx(
                        tx,
                        &change,
                        &NewAudit {
                            action,
                            target: format!("user:{user_id}"),
                            details: serde_json::Value::Null,
                        },
                    )
                    .await?;
                }
                Ok(())
            })
        })
        .await
    }

    async fn delete_expired_sessions(
        &self,
        change: &Change,
        now: OffsetDateTime,
    ) -> StoreResult<u64> {
        let change = change.clone();
        self.write(move |tx| {
            Box::pin(async move {
                let done = sqlx::query("DELETE FROM sessions WHERE expires_at_ms < $1")
                    .bind(unix_ms(now))
                    .execute(&mut **tx)
                    .await
                    .map_err(backend)?;
                let n = done.rows_affected();
                if n > 0 {
                    append_audit_tx(
                        tx,
                        &change,
                        &NewAudit {
                            action: "session.expire",
                            target: "sessions".to_owned(),
                            details: serde_json::json!({ "deleted": n }),
                        },
                    )
                    .await?;
                }
                Ok(n)
            })
        })
        .await
    }

    async fn create_api_token(
        &self,
        change: &Change,
        user_id: i64,
        name: &str,
        token_hash: &str,
    ) -> StoreResult<ApiToken> {
        let change = change.clone();
        let (name, token_hash) = (name.to_owned(), token_hash.to_owned());
        self.write(move |tx| {
            Box::pin(async move {
                let at = caravan_store::to_stored_resolution(change.at);
                let id: i64 = sqlx::query_scalar(
                    "INSERT INTO api_tokens (user_id, name, token_hash, created_at_ms) VALUES ($1, $2, $3, $4) RETURNING id",
                )
                .bind(user_id)
                .bind(&name)
                .bind(&token_hash)
                .bind(unix_ms(at))
                .fetch_one(&mut **tx)
                .await
                .map_err(backend)?;
                append_audit_tx(tx, &change, &NewAudit { action: "api_token.create", target: format!("api_token:{id}"), details: serde_json::json!({"user_id": user_id, "name": name}) }).await?;
                Ok(ApiToken { id, user_id, name, token_hash, created_at: at, revoked_at: None })
            })
        })
        .await
    }

    async fn api_tokens(&self, user_id: i64) -> StoreResult<Vec<ApiToken>> {
        let rows = sqlx::query(&format!(
            "SELECT {TOKEN_COLUMNS} FROM api_tokens WHERE user_id = $1 ORDER BY id"
        ))
        .bind(user_id)
        .fetch_all(&self.pool)
        .await
        .map_err(backend)?;
        rows.iter().map(token_from_row).collect()
    }

    async fn api_token_by_hash(&self, token_hash: &str) -> StoreResult<Option<ApiToken>> {
        let row =
            sqlx::query(&format!("SELECT {TOKEN_COLUMNS} FROM api_tokens WHERE token_hash = $1"))
                .bind(token_hash)
                .fetch_optional(&self.pool)
                .await
                .map_err(backend)?;
        row.as_ref().map(token_from_row).transpose()
    }

    async fn revoke_api_token(&self, change: &Change, token_id: i64) -> StoreResult<ApiToken> {
        let change = change.clone();
        self.write(move |tx| {
            Box::pin(async move {
                let at = caravan_store::to_stored_resolution(change.at);
                let row = sqlx::query(&format!(
                    "UPDATE api_tokens SET revoked_at_ms = COALESCE(revoked_at_ms, $1) WHERE id = $2 RETURNING {TOKEN_COLUMNS}"
                ))
                .bind(unix_ms(at))
                .bind(token_id)
                .fetch_optional(&mut **tx)
                .await
                .map_err(backend)?
                .ok_or_else(|| StoreError::NotFound { what: "api token", id: token_id.to_string() })?;
                let token = token_from_row(&row)?;
                append_audit_tx(tx, &change, &NewAudit { action: "api_token.revoke", target: format!("api_token:{token_id}"), details: serde_json::Value::Null }).await?;
                Ok(token)
            })
        })
        .await
    }

    async fn append_audit(&self, change: &Change, audit: NewAudit<'_>) -> StoreResult<AuditEntry> {
        let change = change.clone();
        let action = audit.action.to_owned();
        let (target, details) = (audit.target, audit.details);
        self.write(move |tx| {
            Box::pin(async move {
                append_audit_tx(tx, &change, &NewAudit { action: &action, target, details }).await
            })
        })
        .await
    }

    async fn audit_entries(&self, after: i64, limit: i64) -> StoreResult<Vec<AuditEntry>> {
        let rows = sqlx::query(
            "SELECT seq, at_ms, actor_user_id, actor_name, action, target, details, prev_hash, hash \
             FROM audit_log WHERE seq > $1 ORDER BY seq LIMIT $2",
        )
        .bind(after)
        .bind(limit)
        .fetch_all(&self.pool)
        .await
        .map_err(backend)?;
        rows.iter().map(audit_from_row).collect()
    }
}
