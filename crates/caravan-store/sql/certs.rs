// The SQL implementation of `caravan_store::CertStore` shared by both adapters: each adapter's
// `src/certs.rs` includes this file, and `Db`, `DbRow` and `DbStore` name that adapter's types.
// Keep the SQL portable (numbered `$n` parameters, standard types); a statement that must
// differ belongs in the adapter.
use async_trait::async_trait;
use caravan_store::certs::{
    CertificateRecord, KeyAddition, LogAppend, LogEffect, LogLeaf, LogNode, NewSigningKey,
    SigningKey, StoredCheckpoint,
};
use caravan_store::{CertStore, Change, NewAudit, StoreError, StoreResult, from_unix_ms, unix_ms};
use sqlx::Row;
use crate::DbRow;

use crate::{DbStore, append_audit_tx, backend};

const KEY_COLUMNS: &str = "id, org_id, kid, alg, public_key, document_types, signs_checkpoints, \
     valid_from_ms, valid_until_ms, retired_at_ms, sealed_secret";
const CERT_COLUMNS: &str = "id, org_id, doc_type, log_id, leaf_index, document, issued_at_ms, \
     revoked_at_ms, revocation_reason";

fn corrupt(what: &'static str, reason: impl ToString) -> StoreError {
    StoreError::Corrupt { what, reason: reason.to_string() }
}

fn opt_time(row: &DbRow, column: &str) -> StoreResult<Option<time::OffsetDateTime>> {
    let ms: Option<i64> = row.try_get(column).map_err(backend)?;
    ms.map(from_unix_ms).transpose()
}

fn key_from_row(row: &DbRow) -> StoreResult<SigningKey> {
    let types: String = row.try_get("document_types").map_err(backend)?;
    let signs: i64 = row.try_get("signs_checkpoints").map_err(backend)?;
    Ok(SigningKey {
        id: row.try_get("id").map_err(backend)?,
        org_id: row.try_get("org_id").map_err(backend)?,
        kid: row.try_get("kid").map_err(backend)?,
        alg: row.try_get("alg").map_err(backend)?,
        public_key: row.try_get("public_key").map_err(backend)?,
        document_types: types.split(',').filter(|t| !t.is_empty()).map(str::to_owned).collect(),
        signs_checkpoints: signs != 0,
        valid_from: from_unix_ms(row.try_get("valid_from_ms").map_err(backend)?)?,
        valid_until: opt_time(row, "valid_until_ms")?,
        retired_at: opt_time(row, "retired_at_ms")?,
        sealed_secret: row.try_get("sealed_secret").map_err(backend)?,
    })
}

fn cert_from_row(row: &DbRow) -> StoreResult<CertificateRecord> {
    let index: i64 = row.try_get("leaf_index").map_err(backend)?;
    Ok(CertificateRecord {
        id: row.try_get("id").map_err(backend)?,
        org_id: row.try_get("org_id").map_err(backend)?,
        doc_type: row.try_get("doc_type").map_err(backend)?,
        log_id: row.try_get("log_id").map_err(backend)?,
        leaf_index: u64::try_from(index).map_err(|e| corrupt("certificate", e))?,
        document: row.try_get("document").map_err(backend)?,
        issued_at: from_unix_ms(row.try_get("issued_at_ms").map_err(backend)?)?,
        revoked_at: opt_time(row, "revoked_at_ms")?,
        revocation_reason: row.try_get("revocation_reason").map_err(backend)?,
    })
}

fn checkpoint_from_row(row: &DbRow) -> StoreResult<StoredCheckpoint> {
    let size: i64 = row.try_get("tree_size").map_err(backend)?;
    let text: String = row.try_get("checkpoint").map_err(backend)?;
    Ok(StoredCheckpoint {
        log_id: row.try_get("log_id").map_err(backend)?,
        tree_size: u64::try_from(size).map_err(|e| corrupt("checkpoint", e))?,
        checkpoint: serde_json::from_str(&text).map_err(|e| corrupt("checkpoint", e))?,
        created_at: from_unix_ms(row.try_get("created_at_ms").map_err(backend)?)?,
    })
}

fn to_i64(value: u64, what: &'static str) -> StoreResult<i64> {
    i64::try_from(value).map_err(|_| StoreError::Backend(format!("{what} {value} is out of range")))
}

/// The statement reading `count` leaf hashes of a log (`$1`) by index (`$2` …): one arm, one
/// primary-key probe, per leaf.
fn leaf_hashes_sql(count: usize) -> String {
    let arms: Vec<String> = (0..count)
        .map(|idx| {
            format!(
                "SELECT leaf_index, leaf_hash FROM log_leaves WHERE log_id = $1 AND leaf_index = ${}",
                idx + 2
            )
        })
        .collect();
    arms.join(" UNION ALL ")
}

/// Subtrees per statement when reading many: well under either database's parameter limit.
const NODES_PER_QUERY: usize = 200;

/// The number of leaves of a log inside a transaction or not. Leaves are numbered 0.. without
/// gaps (an append takes the next index or fails), so this is the last index + 1, read from the
/// primary key's end rather than counted: O(log n), where `COUNT(*)` reads every leaf.
async fn log_size_in<'e, E>(executor: E, log_id: &str) -> StoreResult<i64>
where
    E: sqlx::Executor<'e, Database = crate::Db>,
{
    let last: Option<i64> = sqlx::query_scalar(
        "SELECT leaf_index FROM log_leaves WHERE log_id = $1 ORDER BY leaf_index DESC LIMIT 1",
    )
    .bind(log_id)
    .fetch_optional(executor)
    .await
    .map_err(backend)?;
    Ok(last.map_or(0, |index| index + 1))
}

fn leaf_from_row(row: &DbRow) -> StoreResult<LogLeaf> {
    let index: i64 = row.try_get("leaf_index").map_err(backend)?;
    let hash: String = row.try_get("leaf_hash").map_err(backend)?;
    Ok(LogLeaf {
        index: u64::try_from(index).map_err(|e| corrupt("log leaf", e))?,
        leaf_hash: hex::decode(&hash).map_err(|e| corrupt("log leaf", e))?,
        entry: row.try_get("entry").map_err(backend)?,
    })
}

async fn insert_node(
    tx: &mut sqlx::Transaction<'_, crate::Db>,
    log_id: &str,
    node: &LogNode,
) -> StoreResult<()> {
    sqlx::query(
        "INSERT INTO log_nodes (log_id, level, node_index, hash) VALUES ($1, $2, $3, $4) \
         ON CONFLICT (log_id, level, node_index) DO NOTHING",
    )
    .bind(log_id)
    .bind(i64::from(node.level))
    .bind(to_i64(node.index, "node index")?)
    .bind(&node.hash)
    .execute(&mut **tx)
    .await
    .map_err(backend)?;
    Ok(())
}

#[async_trait]
impl CertStore for DbStore {
    async fn add_signing_key(
        &self,
        change: &Change,
        key: &NewSigningKey,
        addition: KeyAddition,
    ) -> StoreResult<SigningKey> {
        let (change, key) = (change.clone(), key.clone());
        self.write(move |tx| {
            Box::pin(async move {
                let valid_from = caravan_store::to_stored_resolution(key.valid_from);
                let taken: Option<i64> = sqlx::query_scalar(
                    "SELECT id FROM signing_keys WHERE org_id = $1 AND kid = $2",
                )
                .bind(key.org_id)
                .bind(&key.kid)
                .fetch_optional(&mut **tx)
                .await
                .map_err(backend)?;
                if taken.is_some() {
                    return Err(StoreError::Conflict { what: "key id", value: key.kid });
                }
                if addition == KeyAddition::Rotate {
                    sqlx::query(
                        "UPDATE signing_keys SET valid_until_ms = $1 WHERE org_id = $2 \
                         AND alg = $3 AND valid_until_ms IS NULL AND retired_at_ms IS NULL",
                    )
                    .bind(unix_ms(valid_from))
                    .bind(key.org_id)
                    .bind(&key.alg)
                    .execute(&mut **tx)
                    .await
                    .map_err(backend)?;
                }
                let row = sqlx::query(&format!(
                    "INSERT INTO signing_keys (org_id, kid, alg, public_key, document_types, \
                     signs_checkpoints, valid_from_ms, sealed_secret) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING {KEY_COLUMNS}"
                ))
                .bind(key.org_id)
                .bind(&key.kid)
                .bind(&key.alg)
                .bind(&key.public_key)
                .bind(key.document_types.join(","))
                .bind(i64::from(key.signs_checkpoints))
                .bind(unix_ms(valid_from))
                .bind(&key.sealed_secret)
                .fetch_one(&mut **tx)
                .await
                .map_err(backend)?;
                let stored = key_from_row(&row)?;
                let action = match addition {
                    KeyAddition::Add => "signing_key.add",
                    KeyAddition::Rotate => "signing_key.rotate",
                };
                let details = serde_json::json!({
                    "org_id": stored.org_id, "kid": stored.kid, "alg": stored.alg,
                    "public_key": stored.public_key, "document_types": stored.document_types,
                });
                let target = format!("signing_key:{}", stored.id);
                append_audit_tx(tx, &change, &NewAudit { action, target, details }).await?;
                Ok(stored)
            })
        })
        .await
    }

    async fn retire_signing_key(&self, change: &Change, key_id: i64) -> StoreResult<SigningKey> {
        let change = change.clone();
        self.write(move |tx| {
            Box::pin(async move {
                let row =
                    sqlx::query(&format!("SELECT {KEY_COLUMNS} FROM signing_keys WHERE id = $1"))
                        .bind(key_id)
                        .fetch_optional(&mut **tx)
                        .await
                        .map_err(backend)?
                        .ok_or_else(|| StoreError::NotFound {
                            what: "signing key",
                            id: key_id.to_string(),
                        })?;
                let key = key_from_row(&row)?;
                if key.retired_at.is_some() {
                    return Ok(key);
                }
                let at = caravan_store::to_stored_resolution(change.at);
                sqlx::query("UPDATE signing_keys SET retired_at_ms = $1 WHERE id = $2")
                    .bind(unix_ms(at))
                    .bind(key_id)
                    .execute(&mut **tx)
                    .await
                    .map_err(backend)?;
                let details = serde_json::json!({"org_id": key.org_id, "kid": key.kid});
                let target = format!("signing_key:{key_id}");
                append_audit_tx(
                    tx,
                    &change,
                    &NewAudit { action: "signing_key.retire", target, details },
                )
                .await?;
                Ok(SigningKey { retired_at: Some(at), ..key })
            })
        })
        .await
    }

    async fn signing_key(&self, key_id: i64) -> StoreResult<Option<SigningKey>> {
        let row = sqlx::query(&format!("SELECT {KEY_COLUMNS} FROM signing_keys WHERE id = $1"))
            .bind(key_id)
            .fetch_optional(&self.pool)
            .await
            .map_err(backend)?;
        row.as_ref().map(key_from_row).transpose()
    }

    async fn signing_keys(&self, org_id: Option<i64>) -> StoreResult<Vec<SigningKey>> {
        let rows = sqlx::query(&format!(
            "SELECT {KEY_COLUMNS} FROM signing_keys WHERE $1 IS NULL OR org_id = $1 ORDER BY id"
        ))
        .bind(org_id)
        .fetch_all(&self.pool)
        .await
        .map_err(backend)?;
        rows.iter().map(key_from_row).collect()
    }

    async fn append_log(&self, change: &Change, append: &LogAppend) -> StoreResult<()> {
        let (change, append) = (change.clone(), append.clone());
        self.write(move |tx| {
            Box::pin(async move {
                let size = log_size_in(&mut **tx, &append.log_id).await?;
                let index = to_i64(append.expected_size, "log size")?;
                if size != index {
                    return Err(StoreError::Conflict {
                        what: "log size",
                        value: format!("{} has {size} leaves, not {index}", append.log_id),
                    });
                }
                let at = caravan_store::to_stored_resolution(change.at);
                let (action, target, details) = match &append.effect {
                    LogEffect::Issue(cert) => {
                        let taken: Option<String> =
                            sqlx::query_scalar("SELECT id FROM certificates WHERE id = $1")
                                .bind(&cert.id)
                                .fetch_optional(&mut **tx)
                                .await
                                .map_err(backend)?;
                        if taken.is_some() {
                            return Err(StoreError::Conflict { what: "certificate id", value: cert.id.clone() });
                        }
                        sqlx::query(
                            "INSERT INTO certificates (id, org_id, doc_type, log_id, leaf_index, document, issued_at_ms) \
                             VALUES ($1, $2, $3, $4, $5, $6, $7)",
                        )
                        .bind(&cert.id)
                        .bind(cert.org_id)
                        .bind(&cert.doc_type)
                        .bind(&append.log_id)
                        .bind(index)
                        .bind(&cert.document)
                        .bind(unix_ms(at))
                        .execute(&mut **tx)
                        .await
                        .map_err(backend)?;
                        let details = serde_json::json!({"org_id": cert.org_id, "type": cert.doc_type});
                        ("certificate.issue", format!("certificate:{}", cert.id), details)
                    }
                    LogEffect::Revoke { certificate_id, reason } => {
                        let done = sqlx::query(
                            "UPDATE certificates SET revoked_at_ms = $1, revocation_reason = $2 \
                             WHERE id = $3 AND revoked_at_ms IS NULL",
                        )
                        .bind(unix_ms(at))
                        .bind(reason)
                        .bind(certificate_id)
                        .execute(&mut **tx)
                        .await
                        .map_err(backend)?;
                        if done.rows_affected() == 0 {
                            return Err(StoreError::NotFound {
                                what: "unrevoked certificate",
                                id: certificate_id.clone(),
                            });
                        }
                        sqlx::query("INSERT INTO log_revocations (log_id, leaf_index) VALUES ($1, $2)")
                            .bind(&append.log_id)
                            .bind(index)
                            .execute(&mut **tx)
                            .await
                            .map_err(backend)?;
                        let details = serde_json::json!({"reason": reason});
                        ("certificate.revoke", format!("certificate:{certificate_id}"), details)
                    }
                };
                sqlx::query("INSERT INTO log_leaves (log_id, leaf_index, leaf_hash, entry) VALUES ($1, $2, $3, $4)")
                    .bind(&append.log_id)
                    .bind(index)
                    .bind(hex::encode(&append.leaf_hash))
                    .bind(&append.entry)
                    .execute(&mut **tx)
                    .await
                    .map_err(backend)?;
                sqlx::query(
                    "INSERT INTO log_checkpoints (log_id, tree_size, checkpoint, created_at_ms) VALUES ($1, $2, $3, $4)",
                )
                .bind(&append.log_id)
                .bind(index + 1)
                .bind(append.checkpoint.to_string())
                .bind(unix_ms(at))
                .execute(&mut **tx)
                .await
                .map_err(backend)?;
                // RFC 9162 §2.1: the subtrees this leaf completes never change from now on.
                for node in &append.nodes {
                    insert_node(tx, &append.log_id, node).await?;
                }
                let mut details = details;
                details["log_id"] = serde_json::json!(append.log_id);
                details["leaf_index"] = serde_json::json!(index);
                append_audit_tx(tx, &change, &NewAudit { action, target, details }).await?;
                Ok(())
            })
        })
        .await
    }

    async fn log_size(&self, log_id: &str) -> StoreResult<u64> {
        let size = log_size_in(&self.pool, log_id).await?;
        u64::try_from(size).map_err(|e| corrupt("log size", e))
    }

    async fn log_leaves(&self, log_id: &str, start: u64, end: u64) -> StoreResult<Vec<LogLeaf>> {
        let rows = sqlx::query(
            "SELECT leaf_index, leaf_hash, entry FROM log_leaves \
             WHERE log_id = $1 AND leaf_index >= $2 AND leaf_index < $3 ORDER BY leaf_index",
        )
        .bind(log_id)
        .bind(to_i64(start, "start")?)
        .bind(to_i64(end, "end")?)
        .fetch_all(&self.pool)
        .await
        .map_err(backend)?;
        rows.iter().map(leaf_from_row).collect()
    }

    async fn log_leaf_index(&self, log_id: &str, leaf_hash: &[u8]) -> StoreResult<Option<u64>> {
        let index: Option<i64> = sqlx::query_scalar(
            "SELECT leaf_index FROM log_leaves WHERE log_id = $1 AND leaf_hash = $2 ORDER BY leaf_index LIMIT 1",
        )
        .bind(log_id)
        .bind(hex::encode(leaf_hash))
        .fetch_optional(&self.pool)
        .await
        .map_err(backend)?;
        index.map(|i| u64::try_from(i).map_err(|e| corrupt("log leaf", e))).transpose()
    }

    async fn log_nodes(&self, log_id: &str, subtrees: &[(u8, u64)]) -> StoreResult<Vec<LogNode>> {
        let mut res = Vec::with_capacity(subtrees.len());
        // Level 0 is the leaf hashes; each statement reads a list of keys through the primary
        // key (one index probe each), a few statements for a proof's O(log n) subtrees.
        let leaves: Vec<i64> = subtrees
            .iter()
            .filter(|(level, _)| *level == 0)
            .filter_map(|(_, index)| i64::try_from(*index).ok())
            .collect();
        for chunk in leaves.chunks(NODES_PER_QUERY) {
            // One primary-key probe per leaf, each its own arm of a UNION ALL: with
            // `log_id = $1 AND leaf_index IN (..)` SQLite scanned the covering hash index, and
            // with the terms OR-ed it did so for exactly two leaves (`caravan bench logs`: one
            // consistency proof in four took 45 ms at 200,000 leaves, 187 ms at 1 M).
            let sql = leaf_hashes_sql(chunk.len());
            let mut query = sqlx::query(&sql).bind(log_id);
            for index in chunk {
                query = query.bind(*index);
            }
            for row in query.fetch_all(&self.pool).await.map_err(backend)? {
                let index: i64 = row.try_get("leaf_index").map_err(backend)?;
                let hash: String = row.try_get("leaf_hash").map_err(backend)?;
                res.push(LogNode {
                    level: 0,
                    index: u64::try_from(index).map_err(|e| corrupt("log leaf", e))?,
                    hash: hex::decode(&hash).map_err(|e| corrupt("log leaf", e))?,
                });
            }
        }
        let nodes: Vec<(i64, i64)> = subtrees
            .iter()
            .filter(|(level, _)| *level > 0)
            .filter_map(|(level, index)| Some((i64::from(*level), i64::try_from(*index).ok()?)))
            .collect();
        for chunk in nodes.chunks(NODES_PER_QUERY) {
            let terms: Vec<String> = (0..chunk.len())
                .map(|idx| {
                    format!(
                        "(log_id = $1 AND level = ${} AND node_index = ${})",
                        2 * idx + 2,
                        2 * idx + 3
                    )
                })
                .collect();
            // The log id in every term, so that each is one primary-key probe (SQLite's
            // multi-index OR, PostgreSQL's bitmap OR); `log_id = $1 AND (… OR …)` made SQLite
            // scan all of the log's nodes.
            let sql =
                format!("SELECT level, node_index, hash FROM log_nodes WHERE {}", terms.join(" OR "));
            let mut query = sqlx::query(&sql).bind(log_id);
            for (level, index) in chunk {
                query = query.bind(*level).bind(*index);
            }
            for row in query.fetch_all(&self.pool).await.map_err(backend)? {
                let level: i64 = row.try_get("level").map_err(backend)?;
                let index: i64 = row.try_get("node_index").map_err(backend)?;
                res.push(LogNode {
                    level: u8::try_from(level).map_err(|e| corrupt("log node", e))?,
                    index: u64::try_from(index).map_err(|e| corrupt("log node", e))?,
                    hash: row.try_get("hash").map_err(backend)?,
                });
            }
        }
        res.sort_by_key(|node| (node.level, node.index));
        res.dedup_by_key(|node| (node.level, node.index));
        Ok(res)
    }

    async fn put_log_nodes(
        &self,
        change: &Change,
        log_id: &str,
        nodes: &[LogNode],
    ) -> StoreResult<()> {
        let (change, log_id, nodes) = (change.clone(), log_id.to_owned(), nodes.to_vec());
        self.write(move |tx| {
            Box::pin(async move {
                let size = log_size_in(&mut **tx, &log_id).await?;
                for node in &nodes {
                    let complete = node.level > 0
                        && node.end().and_then(|end| i64::try_from(end).ok()).is_some_and(|end| end <= size);
                    if !complete {
                        return Err(StoreError::Conflict {
                            what: "log size",
                            value: format!(
                                "subtree {}/{} is not a complete node of {log_id}, which has {size} leaves",
                                node.level, node.index
                            ),
                        });
                    }
                }
                for node in &nodes {
                    insert_node(tx, &log_id, node).await?;
                }
                let details = serde_json::json!({"log_id": log_id, "size": size, "nodes": nodes.len()});
                let target = format!("log:{log_id}");
                append_audit_tx(tx, &change, &NewAudit { action: "log.keep_nodes", target, details })
                    .await?;
                Ok(())
            })
        })
        .await
    }

    async fn log_revocations(&self, log_id: &str, size: u64) -> StoreResult<Vec<LogLeaf>> {
        let rows = sqlx::query(
            "SELECT l.leaf_index, l.leaf_hash, l.entry FROM log_revocations r \
             JOIN log_leaves l ON l.log_id = r.log_id AND l.leaf_index = r.leaf_index \
             WHERE r.log_id = $1 AND r.leaf_index < $2 ORDER BY r.leaf_index",
        )
        .bind(log_id)
        .bind(i64::try_from(size).unwrap_or(i64::MAX))
        .fetch_all(&self.pool)
        .await
        .map_err(backend)?;
        rows.iter().map(leaf_from_row).collect()
    }

    async fn checkpoints(
        &self,
        log_id: &str,
        after_size: u64,
        limit: u64,
    ) -> StoreResult<Vec<StoredCheckpoint>> {
        let rows = sqlx::query(
            "SELECT log_id, tree_size, checkpoint, created_at_ms FROM log_checkpoints \
             WHERE log_id = $1 AND tree_size > $2 ORDER BY tree_size LIMIT $3",
        )
        .bind(log_id)
        .bind(to_i64(after_size, "after")?)
        .bind(to_i64(limit, "limit")?)
        .fetch_all(&self.pool)
        .await
        .map_err(backend)?;
        rows.iter().map(checkpoint_from_row).collect()
    }

    async fn latest_checkpoint(&self, log_id: &str) -> StoreResult<Option<StoredCheckpoint>> {
        let row = sqlx::query(
            "SELECT log_id, tree_size, checkpoint, created_at_ms FROM log_checkpoints \
             WHERE log_id = $1 ORDER BY tree_size DESC LIMIT 1",
        )
        .bind(log_id)
        .fetch_optional(&self.pool)
        .await
        .map_err(backend)?;
        row.as_ref().map(checkpoint_from_row).transpose()
    }

    async fn certificate(&self, id: &str) -> StoreResult<Option<CertificateRecord>> {
        let row = sqlx::query(&format!("SELECT {CERT_COLUMNS} FROM certificates WHERE id = $1"))
            .bind(id)
            .fetch_optional(&self.pool)
            .await
            .map_err(backend)?;
        row.as_ref().map(cert_from_row).transpose()
    }

    async fn certificates(&self, org_id: i64) -> StoreResult<Vec<CertificateRecord>> {
        let rows = sqlx::query(&format!(
            "SELECT {CERT_COLUMNS} FROM certificates WHERE org_id = $1 \
             ORDER BY issued_at_ms DESC, leaf_index DESC"
        ))
        .bind(org_id)
        .fetch_all(&self.pool)
        .await
        .map_err(backend)?;
        rows.iter().map(cert_from_row).collect()
    }
}
