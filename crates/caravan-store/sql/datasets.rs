// The SQL implementation of `caravan_store::DatasetStore` shared by both adapters: each adapter's
// `src/datasets.rs` includes this file, and `Db`, `DbRow` and `DbStore` name that adapter's types.
// Keep the SQL portable (numbered `$n` parameters, standard types); a statement that must
// differ belongs in the adapter.
use async_trait::async_trait;
use caravan_store::datasets::{Dataset, DatasetKind, NewDataset, Sharing};
use caravan_store::{
    Change, DatasetStore, NewAudit, StoreError, StoreResult, from_unix_ms, unix_ms,
};
use sqlx::Row;
use crate::DbRow;

use crate::{DbStore, append_audit_tx, backend, corrupt};

const DATASET_COLUMNS: &str = "id, kind, name, owner_user_id, owner_org_id, created_at_ms, size_bytes, n_rows, columns, shared_org_ids, shared_all_analysts";

fn dataset_from_row(row: &DbRow) -> StoreResult<Dataset> {
    let kind: String = row.try_get("kind").map_err(backend)?;
    let columns: String = row.try_get("columns").map_err(backend)?;
    let org_ids: String = row.try_get("shared_org_ids").map_err(backend)?;
    Ok(Dataset {
        id: row.try_get("id").map_err(backend)?,
        kind: DatasetKind::parse(&kind)
            .ok_or_else(|| corrupt("dataset", format!("unknown kind {kind:?}")))?,
        name: row.try_get("name").map_err(backend)?,
        owner_user_id: row.try_get("owner_user_id").map_err(backend)?,
        owner_org_id: row.try_get("owner_org_id").map_err(backend)?,
        created_at: from_unix_ms(row.try_get("created_at_ms").map_err(backend)?)?,
        size_bytes: row.try_get("size_bytes").map_err(backend)?,
        n_rows: row.try_get("n_rows").map_err(backend)?,
        columns: serde_json::from_str(&columns).map_err(|e| corrupt("dataset", e))?,
        sharing: Sharing {
            org_ids: serde_json::from_str(&org_ids).map_err(|e| corrupt("dataset", e))?,
            all_analysts: row.try_get("shared_all_analysts").map_err(backend)?,
        },
    })
}

fn not_found(id: i64) -> StoreError {
    StoreError::NotFound { what: "dataset", id: id.to_string() }
}

#[async_trait]
impl DatasetStore for DbStore {
    async fn create_dataset(&self, change: &Change, dataset: &NewDataset) -> StoreResult<Dataset> {
        let change = change.clone();
        let new = dataset.clone();
        self.write(move |tx| {
            Box::pin(async move {
                let org: Option<i64> =
                    sqlx::query_scalar("SELECT id FROM organisations WHERE id = $1")
                        .bind(new.owner_org_id)
                        .fetch_optional(&mut **tx)
                        .await
                        .map_err(backend)?;
                if org.is_none() {
                    return Err(StoreError::NotFound {
                        what: "organisation",
                        id: new.owner_org_id.to_string(),
                    });
                }
                let at = caravan_store::to_stored_resolution(change.at);
                let columns = serde_json::to_string(&new.columns).map_err(|e| corrupt("dataset", e))?;
                let org_ids =
                    serde_json::to_string(&new.sharing.org_ids).map_err(|e| corrupt("dataset", e))?;
                let size = new.bytes.len() as i64;
                let row = sqlx::query(&format!(
                    "INSERT INTO datasets (kind, name, owner_user_id, owner_org_id, created_at_ms, size_bytes, n_rows, columns, shared_org_ids, shared_all_analysts) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING {DATASET_COLUMNS}"
                ))
                .bind(new.kind.as_str())
                .bind(&new.name)
                .bind(new.owner_user_id)
                .bind(new.owner_org_id)
                .bind(unix_ms(at))
                .bind(size)
                .bind(new.n_rows)
                .bind(&columns)
                .bind(&org_ids)
                .bind(new.sharing.all_analysts)
                .fetch_one(&mut **tx)
                .await
                .map_err(backend)?;
                let created = dataset_from_row(&row)?;
                sqlx::query("INSERT INTO dataset_bytes (dataset_id, bytes) VALUES ($1, $2)")
                    .bind(created.id)
                    .bind(&new.bytes)
                    .execute(&mut **tx)
                    .await
                    .map_err(backend)?;
                let details = serde_json::json!({"kind": new.kind, "name": new.name, "size_bytes": size, "n_rows": new.n_rows, "owner_org_id": new.owner_org_id});
                append_audit_tx(tx, &change, &NewAudit { action: "dataset.create", target: format!("dataset:{}", created.id), details }).await?;
                Ok(created)
            })
        })
        .await
    }

    async fn dataset(&self, id: i64) -> StoreResult<Option<Dataset>> {
        let row = sqlx::query(&format!("SELECT {DATASET_COLUMNS} FROM datasets WHERE id = $1"))
            .bind(id)
            .fetch_optional(&self.pool)
            .await
            .map_err(backend)?;
        row.as_ref().map(dataset_from_row).transpose()
    }

    async fn datasets(&self) -> StoreResult<Vec<Dataset>> {
        let rows = sqlx::query(&format!("SELECT {DATASET_COLUMNS} FROM datasets ORDER BY id"))
            .fetch_all(&self.pool)
            .await
            .map_err(backend)?;
        rows.iter().map(dataset_from_row).collect()
    }

    async fn dataset_bytes(&self, id: i64) -> StoreResult<Option<Vec<u8>>> {
        sqlx::query_scalar("SELECT bytes FROM dataset_bytes WHERE dataset_id = $1")
            .bind(id)
            .fetch_optional(&self.pool)
            .await
            .map_err(backend)
    }

    async fn set_dataset_sharing(
        &self,
        change: &Change,
        id: i64,
        sharing: &Sharing,
    ) -> StoreResult<Dataset> {
        let change = change.clone();
        let sharing = sharing.clone();
        self.write(move |tx| {
            Box::pin(async move {
                let org_ids =
                    serde_json::to_string(&sharing.org_ids).map_err(|e| corrupt("dataset", e))?;
                let row = sqlx::query(&format!(
                    "UPDATE datasets SET shared_org_ids = $1, shared_all_analysts = $2 WHERE id = $3 RETURNING {DATASET_COLUMNS}"
                ))
                .bind(&org_ids)
                .bind(sharing.all_analysts)
                .bind(id)
                .fetch_optional(&mut **tx)
                .await
                .map_err(backend)?
                .ok_or_else(|| not_found(id))?;
                let dataset = dataset_from_row(&row)?;
                let details = serde_json::json!({"org_ids": sharing.org_ids, "all_analysts": sharing.all_analysts});
                append_audit_tx(tx, &change, &NewAudit { action: "dataset.share", target: format!("dataset:{id}"), details }).await?;
                Ok(dataset)
            })
        })
        .await
    }

    async fn delete_dataset(&self, change: &Change, id: i64) -> StoreResult<()> {
        let change = change.clone();
        self.write(move |tx| {
            Box::pin(async move {
                sqlx::query("DELETE FROM dataset_bytes WHERE dataset_id = $1")
                    .bind(id)
                    .execute(&mut **tx)
                    .await
                    .map_err(backend)?;
                let name: Option<String> =
                    sqlx::query_scalar("DELETE FROM datasets WHERE id = $1 RETURNING name")
                        .bind(id)
                        .fetch_optional(&mut **tx)
                        .await
                        .map_err(backend)?;
                let name = name.ok_or_else(|| not_found(id))?;
                append_audit_tx(
                    tx,
                    &change,
                    &NewAudit {
                        action: "dataset.delete",
                        target: format!("dataset:{id}"),
                        details: serde_json::json!({"name": name}),
                    },
                )
                .await?;
                Ok(())
            })
        })
        .await
    }
}
