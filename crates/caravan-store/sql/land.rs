// The SQL implementation of `caravan_store::LandStore` shared by both adapters: each adapter's
// `src/land.rs` includes this file, and `Db`, `DbRow` and `DbStore` name that adapter's types.
// Keep the SQL portable (numbered `$n` parameters, standard types); a statement that must
// differ belongs in the adapter.
use async_trait::async_trait;
use caravan_store::{
    Change, JobStatus, LandJob, LandStore, NewAudit, NewRaster, Raster, StoreError, StoreResult,
    from_unix_ms, unix_ms,
};
use sqlx::Row;
use crate::DbRow;

use crate::{DbStore, append_audit_tx, backend};

const RASTER_COLS: &str =
    "id, org_id, name, file, size_bytes, bands, width, height, grid, created_at_ms";
const JOB_COLS: &str =
    "id, org_id, params, status, progress_pct, message, out_dir, created_at_ms, finished_at_ms";

fn corrupt(what: &'static str, reason: impl std::fmt::Display) -> StoreError {
    StoreError::Corrupt { what, reason: reason.to_string() }
}

fn raster_from_row(row: &DbRow) -> StoreResult<Raster> {
    let grid: String = row.try_get("grid").map_err(backend)?;
    Ok(Raster {
        id: row.try_get("id").map_err(backend)?,
        org_id: row.try_get("org_id").map_err(backend)?,
        name: row.try_get("name").map_err(backend)?,
        file: row.try_get("file").map_err(backend)?,
        size_bytes: row.try_get("size_bytes").map_err(backend)?,
        bands: row.try_get("bands").map_err(backend)?,
        width: row.try_get("width").map_err(backend)?,
        height: row.try_get("height").map_err(backend)?,
        grid: serde_json::from_str(&grid).map_err(|e| corrupt("raster", e))?,
        created_at: from_unix_ms(row.try_get("created_at_ms").map_err(backend)?)?,
    })
}

fn job_from_row(row: &DbRow) -> StoreResult<LandJob> {
    let params: String = row.try_get("params").map_err(backend)?;
    let status: String = row.try_get("status").map_err(backend)?;
    let finished: Option<i64> = row.try_get("finished_at_ms").map_err(backend)?;
    Ok(LandJob {
        id: row.try_get("id").map_err(backend)?,
        org_id: row.try_get("org_id").map_err(backend)?,
        params: serde_json::from_str(&params).map_err(|e| corrupt("land job", e))?,
        status: JobStatus::parse(&status)
            .ok_or_else(|| corrupt("land job", format!("unknown status {status:?}")))?,
        progress_pct: row.try_get("progress_pct").map_err(backend)?,
        message: row.try_get("message").map_err(backend)?,
        out_dir: row.try_get("out_dir").map_err(backend)?,
        created_at: from_unix_ms(row.try_get("created_at_ms").map_err(backend)?)?,
        finished_at: finished.map(from_unix_ms).transpose()?,
    })
}

#[async_trait]
impl LandStore for DbStore {
    async fn create_raster(&self, change: &Change, raster: &NewRaster) -> StoreResult<Raster> {
        let raster = raster.clone();
        let change = change.clone();
        self.write(move |tx| {
            Box::pin(async move {
                let at = caravan_store::to_stored_resolution(change.at);
                let id: i64 = sqlx::query_scalar(
                    "INSERT INTO land_rasters (org_id, name, file, size_bytes, bands, width, height, grid, created_at_ms) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id",
                )
                .bind(raster.org_id)
                .bind(&raster.name)
                .bind(&raster.file)
                .bind(raster.size_bytes)
                .bind(raster.bands)
                .bind(raster.width)
                .bind(raster.height)
                .bind(raster.grid.to_string())
                .bind(unix_ms(at))
                .fetch_one(&mut **tx)
                .await
                .map_err(backend)?;
                let details = serde_json::json!({
                    "org_id": raster.org_id, "name": raster.name, "file": raster.file,
                    "size_bytes": raster.size_bytes, "bands": raster.bands,
                });
                let audit = NewAudit { action: "land.raster.create", target: format!("land_raster:{id}"), details };
                append_audit_tx(tx, &change, &audit).await?;
                Ok(Raster {
                    id,
                    org_id: raster.org_id,
                    name: raster.name,
                    file: raster.file,
                    size_bytes: raster.size_bytes,
                    bands: raster.bands,
                    width: raster.width,
                    height: raster.height,
                    grid: raster.grid,
                    created_at: at,
                })
            })
        })
        .await
    }

    async fn raster(&self, id: i64) -> StoreResult<Option<Raster>> {
        let row = sqlx::query(&format!("SELECT {RASTER_COLS} FROM land_rasters WHERE id = $1"))
            .bind(id)
            .fetch_optional(&self.pool)
            .await
            .map_err(backend)?;
        row.as_ref().map(raster_from_row).transpose()
    }

    async fn rasters(&self, org_id: Option<i64>) -> StoreResult<Vec<Raster>> {
        let rows = sqlx::query(&format!(
            "SELECT {RASTER_COLS} FROM land_rasters WHERE $1 IS NULL OR org_id = $1 ORDER BY id"
        ))
        .bind(org_id)
        .fetch_all(&self.pool)
        .await
        .map_err(backend)?;
        rows.iter().map(raster_from_row).collect()
    }

    async fn create_land_job(
        &self,
        change: &Change,
        org_id: i64,
        params: &serde_json::Value,
        out_dir: &str,
    ) -> StoreResult<LandJob> {
        let params = params.clone();
        let out_dir = out_dir.to_owned();
        let change = change.clone();
        self.write(move |tx| {
            Box::pin(async move {
                let at = caravan_store::to_stored_resolution(change.at);
                let id: i64 = sqlx::query_scalar(
                    "INSERT INTO land_jobs (org_id, params, status, progress_pct, message, out_dir, created_at_ms, finished_at_ms) \
                     VALUES ($1, $2, $3, 0, NULL, $4, $5, NULL) RETURNING id",
                )
                .bind(org_id)
                .bind(params.to_string())
                .bind(JobStatus::Running.as_str())
                .bind(&out_dir)
                .bind(unix_ms(at))
                .fetch_one(&mut **tx)
                .await
                .map_err(backend)?;
                let details = serde_json::json!({"org_id": org_id, "params": params, "out_dir": out_dir});
                let audit = NewAudit { action: "land.job.create", target: format!("land_job:{id}"), details };
                append_audit_tx(tx, &change, &audit).await?;
                Ok(LandJob {
                    id,
                    org_id,
                    params,
                    status: JobStatus::Running,
                    progress_pct: 0,
                    message: None,
                    out_dir,
                    created_at: at,
                    finished_at: None,
                })
            })
        })
        .await
    }

    async fn land_job(&self, id: i64) -> StoreResult<Option<LandJob>> {
        let row = sqlx::query(&format!("SELECT {JOB_COLS} FROM land_jobs WHERE id = $1"))
            .bind(id)
            .fetch_optional(&self.pool)
            .await
            .map_err(backend)?;
        row.as_ref().map(job_from_row).transpose()
    }

    async fn land_jobs(&self, org_id: Option<i64>) -> StoreResult<Vec<LandJob>> {
        let rows = sqlx::query(&format!(
            "SELECT {JOB_COLS} FROM land_jobs WHERE $1 IS NULL OR org_id = $1 ORDER BY id DESC"
        ))
        .bind(org_id)
        .fetch_all(&self.pool)
        .await
        .map_err(backend)?;
        rows.iter().map(job_from_row).collect()
    }

    async fn set_land_job_progress(&self, id: i64, progress_pct: i64) -> StoreResult<()> {
        sqlx::query("UPDATE land_jobs SET progress_pct = $1 WHERE id = $2 AND status = $3")
            .bind(progress_pct.clamp(0, 100))
            .bind(id)
            .bind(JobStatus::Running.as_str())
            .execute(&self.pool)
            .await
            .map_err(backend)?;
        Ok(())
    }

    async fn finish_land_job(
        &self,
        change: &Change,
        id: i64,
        status: JobStatus,
        message: &str,
    ) -> StoreResult<LandJob> {
        let change = change.clone();
        let message = message.to_owned();
        self.write(move |tx| {
            Box::pin(async move {
                let at = caravan_store::to_stored_resolution(change.at);
                let pct: Option<i64> =
                    if status == JobStatus::Succeeded { Some(100) } else { None };
                let row = sqlx::query(&format!(
                    "UPDATE land_jobs SET status = $1, message = $2, finished_at_ms = $3, \
                     progress_pct = COALESCE($4, progress_pct) \
                     WHERE id = $5 AND status = $6 RETURNING {JOB_COLS}"
                ))
                .bind(status.as_str())
                .bind(&message)
                .bind(unix_ms(at))
                .bind(pct)
                .bind(id)
                .bind(JobStatus::Running.as_str())
                .fetch_optional(&mut **tx)
                .await
                .map_err(backend)?;
                let job = row.as_ref().map(job_from_row).transpose()?.ok_or_else(|| {
                    StoreError::NotFound { what: "running land job", id: id.to_string() }
                })?;
                let details = serde_json::json!({"status": status.as_str(), "message": message});
                let audit = NewAudit {
                    action: "land.job.finish",
                    target: format!("land_job:{id}"),
                    details,
                };
                append_audit_tx(tx, &change, &audit).await?;
                Ok(job)
            })
        })
        .await
    }

    async fn fail_running_land_jobs(&self, change: &Change, message: &str) -> StoreResult<u64> {
        let running: Vec<i64> = sqlx::query_scalar("SELECT id FROM land_jobs WHERE status = $1")
            .bind(JobStatus::Running.as_str())
            .fetch_all(&self.pool)
            .await
            .map_err(backend)?;
        let mut failed = 0;
        for id in running {
            match self.finish_land_job(change, id, JobStatus::Failed, message).await {
                Ok(_) => failed += 1,
                Err(StoreError::NotFound { .. }) => {}
                Err(err) => return Err(err),
            }
        }
        Ok(failed)
    }
}
