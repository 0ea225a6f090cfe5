//! Storage of the desertification center (issue 8): uploaded rasters and SDG 15.3.1 jobs.

use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use crate::{Actor, Change, OrgKind, StoreError, StoreResult};

/// A GeoTIFF kept under the data directory, owned by an organisation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Raster {
    pub id: i64,
    pub org_id: i64,
    /// The name the user gave it (or the uploaded file name).
    pub name: String,
    /// Path relative to the data directory.
    pub file: String,
    pub size_bytes: i64,
    pub bands: i64,
    pub width: i64,
    pub height: i64,
    /// The grid read from the TIFF header (origin, pixel size, EPSG), as JSON.
    #[schema(value_type = Object)]
    pub grid: serde_json::Value,
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub created_at: OffsetDateTime,
}

/// A raster to record (see [`Raster`]).
#[derive(Debug, Clone, PartialEq)]
pub struct NewRaster {
    pub org_id: i64,
    pub name: String,
    pub file: String,
    pub size_bytes: i64,
    pub bands: i64,
    pub width: i64,
    pub height: i64,
    pub grid: serde_json::Value,
}

/// Where a job is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum JobStatus {
    Running,
    Succeeded,
    Failed,
}

impl JobStatus {
    /// The stored text.
    pub fn as_str(self) -> &'static str {
        match self {
            JobStatus::Running => "running",
            JobStatus::Succeeded => "succeeded",
            JobStatus::Failed => "failed",
        }
    }

    /// Inverse of [`JobStatus::as_str`].
    pub fn parse(text: &str) -> Option<JobStatus> {
        [JobStatus::Running, JobStatus::Succeeded, JobStatus::Failed]
            .into_iter()
            .find(|s| s.as_str() == text)
    }
}

/// One SDG 15.3.1 run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct LandJob {
    pub id: i64,
    pub org_id: i64,
    /// The `land sdg15` parameters (raster ids, years, periods, profile), as JSON.
    #[schema(value_type = Object)]
    pub params: serde_json::Value,
    pub status: JobStatus,
    /// 0–100.
    pub progress_pct: i64,
    /// Why it failed, or a summary when it succeeded.
    pub message: Option<String>,
    /// Output folder relative to the data directory.
    pub out_dir: String,
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub created_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339::option")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub finished_at: Option<OffsetDateTime>,
}

/// Storage of the desertification center (issue 8).
#[async_trait]
pub trait LandStore: Send + Sync {
    /// Records a raster (audit `land.raster.create`).
    async fn create_raster(&self, change: &Change, raster: &NewRaster) -> StoreResult<Raster>;
    async fn raster(&self, id: i64) -> StoreResult<Option<Raster>>;
    /// Rasters of one organisation, or all, oldest first.
    async fn rasters(&self, org_id: Option<i64>) -> StoreResult<Vec<Raster>>;
    /// Records a running job whose outputs go to `out_dir` (audit `land.job.create`).
    async fn create_land_job(
        &self,
        change: &Change,
        org_id: i64,
        params: &serde_json::Value,
        out_dir: &str,
    ) -> StoreResult<LandJob>;
    async fn land_job(&self, id: i64) -> StoreResult<Option<LandJob>>;
    /// Jobs of one organisation, or all, newest first.
    async fn land_jobs(&self, org_id: Option<i64>) -> StoreResult<Vec<LandJob>>;
    /// Updates the percentage of a running job. Progress is not a change of record, so it
    /// writes no audit entry; a job that is no longer running is left alone.
    async fn set_land_job_progress(&self, id: i64, progress_pct: i64) -> StoreResult<()>;
    /// Ends a running job as succeeded or failed (audit `land.job.finish`).
    ///
    /// # Errors
    /// [`StoreError::NotFound`] when no running job has this id.
    async fn finish_land_job(
        &self,
        change: &Change,
        id: i64,
        status: JobStatus,
        message: &str,
    ) -> StoreResult<LandJob>;
    /// Marks every running job failed with `message` (one audit entry each); returns how many.
    /// Called on start, when no job can still be running.
    async fn fail_running_land_jobs(&self, change: &Change, message: &str) -> StoreResult<u64>;
}

/// The conformance checks of this part of the port, run on every adapter.
pub async fn conformance(store: &dyn crate::Store) {
    let at = crate::conformance::t0();
    let change = Change { actor: Actor::system("test"), at };
    let org = store
        .create_organisation(
            &change,
            &crate::NewOrganisation {
                name: "Desert centre".into(),
                kind: OrgKind::DesertificationControlCenter,
                country: caravan_types::CountryCode::parse("UZ").expect("valid"),
            },
        )
        .await
        .expect("org");
    let new = NewRaster {
        org_id: org.id,
        name: "ndvi.tif".into(),
        file: "land/rasters/1.tif".into(),
        size_bytes: 1234,
        bands: 16,
        width: 20,
        height: 10,
        grid: serde_json::json!({"epsg": 4326, "origin": [60.0, 45.0]}),
    };
    let raster = store.create_raster(&change, &new).await.expect("raster");
    assert_eq!((raster.name.as_str(), raster.bands, raster.width), ("ndvi.tif", 16, 20));
    assert_eq!(store.raster(raster.id).await.expect("read"), Some(raster.clone()));
    assert_eq!(store.raster(raster.id + 1000).await.expect("read"), None);
    assert_eq!(store.rasters(Some(org.id)).await.expect("list"), vec![raster.clone()]);
    assert!(store.rasters(Some(org.id + 1000)).await.expect("list").is_empty());

    let params = serde_json::json!({"ndvi": raster.id, "profile": "gpg2"});
    let job = store.create_land_job(&change, org.id, &params, "land/jobs/x").await.expect("job");
    assert_eq!((job.status, job.progress_pct, job.finished_at), (JobStatus::Running, 0, None));
    assert_eq!(job.params, params);
    store.set_land_job_progress(job.id, 42).await.expect("progress");
    assert_eq!(store.land_job(job.id).await.expect("read").expect("some").progress_pct, 42);
    let done =
        store.finish_land_job(&change, job.id, JobStatus::Succeeded, "ok").await.expect("finish");
    assert_eq!((done.status, done.progress_pct), (JobStatus::Succeeded, 100));
    assert_eq!(done.message.as_deref(), Some("ok"));
    assert_eq!(done.finished_at, Some(at));
    // A finished job cannot finish again, nor move its progress.
    let again = store.finish_land_job(&change, job.id, JobStatus::Failed, "x").await;
    assert!(matches!(again, Err(StoreError::NotFound { .. })), "{again:?}");
    store.set_land_job_progress(job.id, 5).await.expect("ignored");
    assert_eq!(store.land_job(job.id).await.expect("read").expect("some").progress_pct, 100);

    // A restart fails the running ones only.
    let stuck = store.create_land_job(&change, org.id, &params, "land/jobs/y").await.expect("job");
    let failed = store.fail_running_land_jobs(&change, "interrupted").await.expect("fail");
    assert_eq!(failed, 1);
    let stuck = store.land_job(stuck.id).await.expect("read").expect("some");
    assert_eq!((stuck.status, stuck.message.as_deref()), (JobStatus::Failed, Some("interrupted")));
    assert_eq!(
        store.land_job(done.id).await.expect("read").expect("some").status,
        JobStatus::Succeeded
    );
    let jobs = store.land_jobs(Some(org.id)).await.expect("list");
    assert_eq!(jobs.iter().map(|j| j.id).collect::<Vec<_>>(), vec![stuck.id, done.id]);

    let audit = store.audit_entries(0, 1000).await.expect("audit");
    let actions: Vec<&str> = audit.iter().map(|a| a.action.as_str()).collect();
    for want in ["land.raster.create", "land.job.create", "land.job.finish"] {
        assert!(actions.contains(&want), "{want} missing from {actions:?}");
    }
    assert_eq!(actions.iter().filter(|a| **a == "land.job.finish").count(), 2);
}
