//! Caravan's PostgreSQL store: the scale-out backend.
//!
//! Every write runs in one transaction that first takes a transaction-scoped advisory lock, so
//! the audit chain's read-then-append is serialised across connections and server processes.
//! A commit is durable when PostgreSQL acknowledges it (`synchronous_commit` on, the default).

mod certs;
mod datasets;
mod declarations;
mod health;
mod land;
mod scholarship;

/// This adapter's types under the names the SQL shared with the other adapter uses
/// (`crates/caravan-store/sql/`).
pub(crate) type Db = sqlx::Postgres;
pub(crate) type DbRow = sqlx::postgres::PgRow;
pub(crate) type DbStore = PgStore;

use std::str::FromStr;

use async_trait::async_trait;
use caravan_store::{
    AUDIT_GENESIS, ApiToken, AuditEntry, Change, NewAudit, NewOrganisation, NewUser, OrgKind,
    Organisation, Role, Session, Store, StoreError, StoreResult, User, audit_hash, from_unix_ms,
    unix_ms,
};
use caravan_types::CountryCode;
use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions, PgRow};
use sqlx::{Postgres, Row, Transaction};
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

pub(crate) async fn append_audit_tx(
    tx: &mut Transaction<'_, Postgres>,
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

fn org_from_row(row: &PgRow) -> StoreResult<Organisation> {
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

fn user_from_row(row: &PgRow) -> StoreResult<User> {
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

fn token_from_row(row: &PgRow) -> StoreResult<ApiToken> {
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

fn audit_from_row(row: &PgRow) -> StoreResult<AuditEntry> {
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
impl Store for PgStore {
    fn backend(&self) -> &'static str {
        "postgres"
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
                     VALUES ($1, $2, $3, $4, $5, TRUE, $6) RETURNING id",
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
        sqlx::query_scalar("SELECT COUNT(*)::BIGINT FROM users")
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
