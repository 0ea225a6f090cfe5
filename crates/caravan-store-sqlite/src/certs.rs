//! The SQLite implementation of [`caravan_store::CertStore`].
//! The SQL is shared with the other adapter: `crates/caravan-store/sql/certs.rs`.

include!("../../caravan-store/sql/certs.rs");

impl DbStore {
    /// Loads a whole log in one transaction: its leaves, complete subtrees (levels 1 and up),
    /// its revocation index and one checkpoint of its full size, audited as one change. Only for building a large
    /// log quickly to measure proofs on (`caravan bench logs`): the log must be new, and the
    /// certificates its entries name are not recorded.
    ///
    /// # Errors
    /// [`StoreError::Conflict`] when the log has leaves already.
    #[doc(hidden)]
    pub async fn load_log_for_bench(
        &self,
        change: &Change,
        log_id: &str,
        leaves: &[LogLeaf],
        nodes: &[LogNode],
        checkpoint: &serde_json::Value,
    ) -> StoreResult<()> {
        const ROWS: usize = 250;
        let mut tx = self.begin_write().await?;
        if log_size_in(&mut *tx, log_id).await? != 0 {
            return Err(StoreError::Conflict { what: "log size", value: log_id.to_owned() });
        }
        for chunk in leaves.chunks(ROWS) {
            let values: Vec<String> = (0..chunk.len())
                .map(|idx| format!("($1, ${}, ${}, ${})", 3 * idx + 2, 3 * idx + 3, 3 * idx + 4))
                .collect();
            let sql = format!(
                "INSERT INTO log_leaves (log_id, leaf_index, leaf_hash, entry) VALUES {}",
                values.join(", ")
            );
            let mut query = sqlx::query(&sql).bind(log_id);
            for leaf in chunk {
                query = query
                    .bind(to_i64(leaf.index, "leaf index")?)
                    .bind(hex::encode(&leaf.leaf_hash))
                    .bind(&leaf.entry);
            }
            query.execute(&mut *tx).await.map_err(backend)?;
        }
        for chunk in nodes.chunks(ROWS) {
            let values: Vec<String> = (0..chunk.len())
                .map(|idx| format!("($1, ${}, ${}, ${})", 3 * idx + 2, 3 * idx + 3, 3 * idx + 4))
                .collect();
            let sql = format!(
                "INSERT INTO log_nodes (log_id, level, node_index, hash) VALUES {}",
                values.join(", ")
            );
            let mut query = sqlx::query(&sql).bind(log_id);
            for node in chunk {
                query = query
                    .bind(i64::from(node.level))
                    .bind(to_i64(node.index, "node index")?)
                    .bind(&node.hash);
            }
            query.execute(&mut *tx).await.map_err(backend)?;
        }
        // Its revocation leaves, told apart as migration 0007 does.
        sqlx::query(
            "INSERT INTO log_revocations (log_id, leaf_index) SELECT log_id, leaf_index \
             FROM log_leaves WHERE log_id = $1 AND substr(entry, 1, 15) = CAST('{\"credentialId\"' AS BLOB)",
        )
        .bind(log_id)
        .execute(&mut *tx)
        .await
        .map_err(backend)?;
        let size = to_i64(leaves.len() as u64, "log size")?;
        sqlx::query(
            "INSERT INTO log_checkpoints (log_id, tree_size, checkpoint, created_at_ms) \
             VALUES ($1, $2, $3, $4)",
        )
        .bind(log_id)
        .bind(size)
        .bind(checkpoint.to_string())
        .bind(unix_ms(caravan_store::to_stored_resolution(change.at)))
        .execute(&mut *tx)
        .await
        .map_err(backend)?;
        let details = serde_json::json!({"log_id": log_id, "size": size, "nodes": nodes.len()});
        let audit = NewAudit { action: "log.bench_load", target: format!("log:{log_id}"), details };
        append_audit_tx(&mut tx, change, &audit).await?;
        tx.commit().await.map_err(backend)
    }
}
