// The SQL implementation of the backbone of `caravan_store::Store` (organisations, users,
// sessions, API tokens, the audit chain) shared by both adapters: each adapter's
// `src/backbone.rs` includes this file, and `Db`, `DbRow`, `DbStore` and `BACKEND_NAME` name that
// adapter's types. Keep the SQL portable (numbered `$n` parameters, standard types, `TRUE`,
// `CAST(… AS BIGINT)`); a statement that must differ belongs in the adapter.
use async_trait::async_trait;
use caravan_store::{
    AUDIT_GENESIS, ApiToken, AuditEntry, Change, NewAudit, NewOrganisation, NewUser, OrgKind,
    Organisation, Role, Session, Store, StoreError, StoreResult, User, audit_hash, from_unix_ms,
    unix_ms,
};
use caravan_types::CountryCode;
use sqlx::{Row, Transaction};
use time::OffsetDateTime;

use crate::{Db, DbRow, DbStore, backend};

pub(crate) async fn append_audit_tx(
    tx: &mut Transaction<'_, Db>,
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

fn org_from_row(row: &DbRow) -> StoreResult<Organisation> {
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

fn user_from_row(row: &DbRow) -> StoreResult<User> {
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

fn token_from_row(row: &DbRow) -> StoreResult<ApiToken> {
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

fn audit_from_row(row: &DbRow) -> StoreResult<AuditEntry> {
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
impl Store for DbStore {
    fn backend(&self) -> &'static str {
        crate::BACKEND_NAME
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
        sqlx::query_scalar("SELECT CAST(COUNT(*) AS BIGINT) FROM users")
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
