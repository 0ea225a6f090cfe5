//! The land feature's operations: rasters uploaded (streamed to disk and checked as GeoTIFF)
//! or registered from the import folder, SDG 15.3.1 jobs started in the background with their
//! progress, their outputs, and the recovery of jobs a restart interrupted; and the policy
//! (`can_use_land`, `can_read_land`). Typed functions
//! `(state, caller, input) -> Result<output, ApiError>` that check the policy first; the
//! pipeline itself is `caravan-cmd-land`'s. The API handlers and the pages are thin over these
//! functions. Nothing here knows HTTP.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use caravan_store::{Actor, Change, JobStatus, LandJob, NewRaster, OrgKind, Raster, Role};
use futures_util::StreamExt as _;
use tokio::io::AsyncWriteExt;

use caravan_web::AppState;
use caravan_web::auth::Caller;
use caravan_web::error::ApiError;

use crate::{JobRequest, MAX_RASTER_BYTES, OUTPUT_FILES, RegisterRequest};

/// Whether the caller may use the land service at all: analysts and administrators.
pub fn can_use_land(caller: &Caller) -> bool {
    matches!(caller.user.role, Role::Analyst | Role::Admin)
}

/// Whether the caller may read a raster or job owned by `owner_org`: its own organisation's,
/// or any when the caller works at the desertification control centre.
pub fn can_read_land(caller: &Caller, owner_org: i64) -> bool {
    can_use_land(caller)
        && (caller.org.id == owner_org || caller.org.kind == OrgKind::DesertificationControlCenter)
}

/// The caller may use the land service, or 403.
///
/// # Errors
/// 403 for roles other than analysts and administrators.
pub fn require_use(caller: &Caller) -> Result<(), ApiError> {
    if can_use_land(caller) {
        Ok(())
    } else {
        Err(ApiError::forbidden(
            "only analysts and administrators may use the land degradation service",
        ))
    }
}

fn data_dir(state: &AppState) -> Result<&Path, ApiError> {
    state.config.data_dir.as_deref().ok_or_else(|| {
        ApiError::unavailable_now(
            "land.no_data_dir",
            "this server has no data folder, so it cannot keep rasters; start it with a data folder",
        )
    })
}

fn change(state: &AppState, caller: &Caller) -> Change {
    Change { actor: caller.actor(), at: (state.clock)() }
}

/// Reads the TIFF header of `path`; the error names `name` and the problem.
fn inspect(path: &Path, name: &str) -> Result<caravan_geotiff::RasterInfo, ApiError> {
    let reader = caravan_geotiff::GeoTiffReader::open(path).map_err(|err| {
        ApiError::unprocessable("land.bad_raster", format!("{name}: not a readable GeoTIFF: {err}"))
            .with_field("file")
    })?;
    let info = reader.info().clone();
    if info.transform.is_none() {
        return Err(ApiError::unprocessable(
            "land.bad_raster",
            format!("{name}: the TIFF has no georeferencing (ModelPixelScale/ModelTiepoint)"),
        )
        .with_field("file"));
    }
    Ok(info)
}

fn new_raster(
    org_id: i64,
    name: &str,
    file: String,
    size: u64,
    info: &caravan_geotiff::RasterInfo,
) -> NewRaster {
    let grid = info.transform.map_or(serde_json::Value::Null, |t| {
        serde_json::json!({
            "origin_x": t.origin_x, "origin_y": t.origin_y,
            "pixel_width": t.pixel_width, "pixel_height": t.pixel_height,
            "crs": info.crs.to_string(),
        })
    });
    let int = |v: usize| i64::try_from(v).unwrap_or(i64::MAX);
    NewRaster {
        org_id,
        name: name.to_owned(),
        file,
        size_bytes: i64::try_from(size).unwrap_or(i64::MAX),
        bands: int(info.bands),
        width: int(info.width),
        height: int(info.height),
        grid,
    }
}

fn check_name(name: &str) -> Result<(), ApiError> {
    let ok = !name.is_empty()
        && name.chars().count() <= 200
        && !name.chars().any(|c| c.is_control() || c == '/' || c == '\\');
    if ok {
        Ok(())
    } else {
        Err(ApiError::bad_request(
            "request.invalid_name",
            "name must be 1 to 200 characters without slashes, e.g. ndvi_2000_2015.tif",
        )
        .with_field("name"))
    }
}

/// Streams an upload's bytes to a new file of the raster folder, checks that it is a GeoTIFF
/// Caravan can read, and records it; a failed upload leaves no file behind.
async fn store_uploaded<B: AsRef<[u8]>>(
    state: &AppState,
    caller: &Caller,
    name: &str,
    chunks: impl futures_util::Stream<Item = Result<B, String>> + Unpin,
) -> Result<Raster, ApiError> {
    let dir = data_dir(state)?.join("land").join("rasters");
    tokio::fs::create_dir_all(&dir).await.map_err(ApiError::internal)?;
    let stem = caravan_web::auth::random_secret("").chars().take(24).collect::<String>();
    let rel = format!("land/rasters/{stem}.tif");
    let path = dir.join(format!("{stem}.tif"));
    let size = match stream_to_file(chunks, &path, name).await {
        Ok(size) => size,
        Err(err) => {
            let _ = tokio::fs::remove_file(&path).await;
            return Err(err);
        }
    };
    let info = {
        let (path, name) = (path.clone(), name.to_owned());
        tokio::task::spawn_blocking(move || inspect(&path, &name))
            .await
            .map_err(ApiError::internal)?
    };
    let info = match info {
        Ok(info) => info,
        Err(err) => {
            let _ = tokio::fs::remove_file(&path).await;
            return Err(err);
        }
    };
    let new = new_raster(caller.org.id, name, rel, size, &info);
    Ok(state.store.create_raster(&change(state, caller), &new).await?)
}

async fn stream_to_file<B: AsRef<[u8]>>(
    mut chunks: impl futures_util::Stream<Item = Result<B, String>> + Unpin,
    path: &Path,
    name: &str,
) -> Result<u64, ApiError> {
    let mut file = tokio::fs::File::create(path).await.map_err(ApiError::internal)?;
    let mut size = 0u64;
    while let Some(chunk) = chunks.next().await {
        let data = chunk.map_err(|err| {
            ApiError::bad_request("request.body", format!("{name}: the upload broke off: {err}"))
        })?;
        let data = data.as_ref();
        size += data.len() as u64;
        if size > MAX_RASTER_BYTES {
            return Err(ApiError::too_large(
                "land.too_large",
                format!("{name}: larger than 512 MiB; put it in the server's import folder and register it instead"),
            )
            .with_field("file"));
        }
        file.write_all(data).await.map_err(ApiError::internal)?;
    }
    if size == 0 {
        return Err(ApiError::unprocessable(
            "land.bad_raster",
            format!("{name}: the upload is empty"),
        )
        .with_field("file"));
    }
    // An acknowledged upload survives a crash.
    file.sync_all().await.map_err(ApiError::internal)?;
    Ok(size)
}

/// Checks and registers a file of the import folder (the API's and the page's registration).
///
/// # Errors
/// 403 not allowed; 503 no data folder; 422 naming `path` for a file outside the import folder
/// or not a regular file, `file` for one that is not a georeferenced GeoTIFF; 400 a bad name.
pub async fn register(
    state: &AppState,
    caller: &Caller,
    req: &RegisterRequest,
) -> Result<Raster, ApiError> {
    require_use(caller)?;
    let data = data_dir(state)?;
    let root = data.join("land").join("import");
    let bad_path = |why: &str| {
        ApiError::unprocessable("land.bad_path", format!("{}: {why}", req.path)).with_field("path")
    };
    let root = tokio::fs::canonicalize(&root).await.map_err(|_| {
        bad_path("the server has no import folder (land/import under its data folder)")
    })?;
    // One answer for every refusal, so the answer never tells what exists outside the folder.
    let full = plain_file_under(&root, &req.path).await.ok_or_else(|| {
        bad_path(
            "not a regular file inside the import folder (give a path relative to it, without \
             '..' or symbolic links)",
        )
    })?;
    let name = match &req.name {
        Some(name) => name.clone(),
        None => full.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default(),
    };
    check_name(&name)?;
    let size = tokio::fs::metadata(&full).await.map_err(ApiError::internal)?.len();
    let info = {
        let (full, name) = (full.clone(), name.clone());
        tokio::task::spawn_blocking(move || inspect(&full, &name))
            .await
            .map_err(ApiError::internal)??
    };
    let canonical_data = tokio::fs::canonicalize(data).await.map_err(ApiError::internal)?;
    let rel = full
        .strip_prefix(&canonical_data)
        .map_err(ApiError::internal)?
        .to_string_lossy()
        .into_owned();
    let new = new_raster(caller.org.id, &name, rel, size, &info);
    Ok(state.store.create_raster(&change(state, caller), &new).await?)
}

/// `root`/`rel` when `rel` is a relative path of plain names (no `..`, no root, no prefix) and
/// neither it nor any folder on the way is a symbolic link, and it is a regular file; `None`
/// otherwise. Checked without following links (`symlink_metadata`), so a link planted in the
/// import folder cannot point a registration outside it.
pub(crate) async fn plain_file_under(root: &Path, rel: &str) -> Option<PathBuf> {
    let rel = Path::new(rel);
    let plain = rel.components().all(|c| matches!(c, std::path::Component::Normal(_)));
    if rel.as_os_str().is_empty() || !plain {
        return None;
    }
    let mut path = root.to_path_buf();
    let n = rel.components().count();
    for (idx, component) in rel.components().enumerate() {
        path.push(component);
        let meta = tokio::fs::symlink_metadata(&path).await.ok()?;
        let want = if idx + 1 == n { meta.file_type().is_file() } else { meta.is_dir() };
        if meta.file_type().is_symlink() || !want {
            return None;
        }
    }
    Some(path)
}

async fn raster_paths(
    state: &AppState,
    caller: &Caller,
    field: &str,
    ids: &[i64],
    data: &Path,
) -> Result<Vec<PathBuf>, ApiError> {
    if ids.is_empty() {
        return Err(ApiError::unprocessable(
            "land.missing_raster",
            format!("{field} needs at least one raster id"),
        )
        .with_field(field));
    }
    let mut out = Vec::with_capacity(ids.len());
    for id in ids {
        match state.store.raster(*id).await? {
            Some(r) if can_read_land(caller, r.org_id) => {
                // Checked again at each job: a registered file later replaced by a symbolic link
                // (or a folder) is refused, never followed.
                let path = plain_file_under(data, &r.file).await.ok_or_else(|| {
                    ApiError::unprocessable(
                        "land.raster_missing",
                        format!(
                            "{field}: raster {id}'s file is no longer a regular file in the \
                             server's data folder; upload or register it again"
                        ),
                    )
                    .with_field(field)
                })?;
                out.push(path);
            }
            _ => {
                return Err(ApiError::unprocessable(
                    "land.unknown_raster",
                    format!("{field}: no raster {id} that you may use; upload it first"),
                )
                .with_field(field));
            }
        }
    }
    Ok(out)
}

fn check_choice(field: &str, value: Option<&str>, allowed: &[&str]) -> Result<String, ApiError> {
    let value = value.unwrap_or(allowed[0]);
    if allowed.contains(&value) {
        Ok(value.to_owned())
    } else {
        Err(ApiError::unprocessable(
            "request.invalid_choice",
            format!("{field} must be one of {}, got {value:?}", allowed.join(", ")),
        )
        .with_field(field))
    }
}

/// Checks the parameters, records the job and starts it in the background (the API's and the
/// page's job).
///
/// # Errors
/// 403 not allowed; 503 no data folder; 422 naming the field for a bad choice, period or
/// raster.
pub async fn create_job(
    state: &AppState,
    caller: &Caller,
    req: JobRequest,
) -> Result<LandJob, ApiError> {
    require_use(caller)?;
    let data = data_dir(state)?.to_path_buf();
    let profile =
        check_choice("profile", req.profile.as_deref(), &["gpg2", "gpg1", "trends-earth"])?;
    let legend =
        check_choice("land_cover_legend", req.land_cover_legend.as_deref(), &["unccd", "esa-cci"])?;
    let water = check_choice("water", req.water.as_deref(), &["either", "final", "baseline"])?;
    for (field, text) in [
        ("ndvi_years", Some(&req.ndvi_years)),
        ("baseline", req.baseline.as_ref()),
        ("recent", req.recent.as_ref()),
    ] {
        if let Some(text) = text {
            let ok = text
                .split_once('-')
                .is_some_and(|(a, b)| a.parse::<i32>().is_ok() && b.parse::<i32>().is_ok());
            if !ok {
                return Err(ApiError::unprocessable(
                    "request.invalid_period",
                    format!("{field} must look like 2000-2015, got {text:?}"),
                )
                .with_field(field));
            }
        }
    }
    let ndvi = raster_paths(state, caller, "ndvi", &req.ndvi, &data).await?;
    let land_cover = raster_paths(state, caller, "land_cover", &req.land_cover, &data).await?;
    let soc = raster_paths(state, caller, "soc", &req.soc, &data).await?;
    let zones = raster_paths(state, caller, "zones", &req.zones, &data).await?;
    let params = serde_json::to_value(&req).map_err(ApiError::internal)?;
    let stem = caravan_web::auth::random_secret("").chars().take(16).collect::<String>();
    let rel_out = format!("land/jobs/{stem}");
    let job = state
        .store
        .create_land_job(&change(state, caller), caller.org.id, &params, &rel_out)
        .await?;
    let out = data.join(&rel_out);
    let args = caravan_cmd_land::Sdg15Args {
        ndvi,
        ndvi_years: req.ndvi_years.clone(),
        land_cover,
        soc,
        zones,
        regions: req.regions.as_ref().map(|_| out.join("regions.geojson")),
        baseline: req.baseline.clone(),
        recent: req.recent.clone(),
        profile,
        land_cover_legend: legend,
        transition_matrix: None,
        water,
        out: out.clone(),
        block_rows: 64,
    };
    tokio::spawn(run_job(state.clone(), job.id, args, req.regions.clone()));
    Ok(job)
}

/// Runs a recorded job's pipeline on a blocking thread, recording its progress every 250 ms
/// and its end.
async fn run_job(
    state: AppState,
    id: i64,
    args: caravan_cmd_land::Sdg15Args,
    regions: Option<serde_json::Value>,
) {
    let done = Arc::new(AtomicU64::new(0));
    let total = Arc::new(AtomicU64::new(1));
    let (d, t) = (done.clone(), total.clone());
    let out = args.out.clone();
    let mut task = tokio::task::spawn_blocking(move || -> anyhow::Result<u64> {
        std::fs::create_dir_all(&out)?;
        if let Some(regions) = regions {
            std::fs::write(out.join("regions.geojson"), regions.to_string())?;
        }
        caravan_cmd_land::run_sdg15(args, &|done, total| {
            d.store(done, Ordering::Relaxed);
            t.store(total.max(1), Ordering::Relaxed);
        })
    });
    let result = loop {
        tokio::select! {
            result = &mut task => break result,
            () = tokio::time::sleep(std::time::Duration::from_millis(250)) => {
                let pct = done.load(Ordering::Relaxed) * 99 / total.load(Ordering::Relaxed).max(1);
                let _ = state.store.set_land_job_progress(id, i64::try_from(pct).unwrap_or(99)).await;
            }
        }
    };
    let (status, message) = match result {
        Ok(Ok(pixels)) => (JobStatus::Succeeded, format!("{pixels} pixels assessed")),
        Ok(Err(err)) => (JobStatus::Failed, format!("{err:#}")),
        Err(err) => (JobStatus::Failed, format!("the job stopped unexpectedly: {err}")),
    };
    let change = Change { actor: Actor::system("land job"), at: (state.clock)() };
    if let Err(err) = state.store.finish_land_job(&change, id, status, &message).await {
        tracing::error!(job = id, %err, "recording the end of a land job");
    }
}

/// Marks jobs a restart interrupted as failed; call once on start.
///
/// # Errors
/// When the store fails.
pub async fn recover(state: &AppState) -> Result<u64, caravan_store::StoreError> {
    let change = Change { actor: Actor::system("server start"), at: (state.clock)() };
    state
        .store
        .fail_running_land_jobs(&change, "the server restarted while this job ran; start it again")
        .await
}

/// Job `id` when the caller may read it.
///
/// # Errors
/// 403 not allowed or another organisation's job; 404 unknown.
pub async fn job(state: &AppState, caller: &Caller, id: i64) -> Result<LandJob, ApiError> {
    require_use(caller)?;
    match state.store.land_job(id).await? {
        Some(job) if can_read_land(caller, job.org_id) => Ok(job),
        Some(_) => Err(ApiError::forbidden("this job belongs to another organisation")),
        None => {
            Err(ApiError::not_found("land.job_not_found", format!("no job {id}")).with_field("id"))
        }
    }
}

/// Stores an uploaded GeoTIFF named `name` from its body's chunks (the API's upload and the
/// page's file input): streamed to a new file of the raster folder, checked, and recorded.
///
/// # Errors
/// 403 not allowed; 400 a bad name or a broken upload; 413 over [`MAX_RASTER_BYTES`]; 422 not
/// a georeferenced GeoTIFF; 503 no data folder.
pub async fn upload<B: AsRef<[u8]>>(
    state: &AppState,
    caller: &Caller,
    name: &str,
    chunks: impl futures_util::Stream<Item = Result<B, String>> + Unpin,
) -> Result<Raster, ApiError> {
    require_use(caller)?;
    check_name(name)?;
    store_uploaded(state, caller, name, chunks).await
}

/// The rasters the caller may read.
///
/// # Errors
/// 403 not allowed; store failures.
pub async fn rasters(state: &AppState, caller: &Caller) -> Result<Vec<Raster>, ApiError> {
    require_use(caller)?;
    let all = state.store.rasters(None).await?;
    Ok(all.into_iter().filter(|r| can_read_land(caller, r.org_id)).collect())
}

/// The jobs the caller may read, newest first.
///
/// # Errors
/// 403 not allowed; store failures.
pub async fn jobs(state: &AppState, caller: &Caller) -> Result<Vec<LandJob>, ApiError> {
    require_use(caller)?;
    let all = state.store.land_jobs(None).await?;
    Ok(all.into_iter().filter(|j| can_read_land(caller, j.org_id)).collect())
}

/// One output file of a finished job the caller may read: its name (one of [`OUTPUT_FILES`])
/// and its bytes.
///
/// # Errors
/// 403/404 as [`job`]; 404 naming `name` for a file that is not an output or is missing, `id`
/// for a job that has not succeeded; 503 no data folder.
pub async fn job_output(
    state: &AppState,
    caller: &Caller,
    id: i64,
    name: &str,
) -> Result<(&'static str, Vec<u8>), ApiError> {
    let job = job(state, caller, id).await?;
    let Some(name) = OUTPUT_FILES.iter().find(|f| **f == name) else {
        return Err(ApiError::not_found(
            "land.no_such_output",
            format!("{name} is not an output; use one of {}", OUTPUT_FILES.join(", ")),
        )
        .with_field("name"));
    };
    if job.status != JobStatus::Succeeded {
        return Err(ApiError::not_found(
            "land.not_ready",
            format!("job {id} has not finished; outputs appear when it succeeds"),
        )
        .with_field("id"));
    }
    let path = data_dir(state)?.join(&job.out_dir).join(name);
    // Outputs are read whole: a 10,000 × 10,000 int16 COG compresses to well under its 200 MB.
    let bytes = tokio::fs::read(&path).await.map_err(|_| {
        ApiError::not_found("land.output_missing", format!("{name} of job {id} is missing on disk"))
            .with_field("name")
    })?;
    Ok((name, bytes))
}

/// Job `id` as its page shows it: the job, and once it succeeded the text of its
/// `area_by_region.csv` (`None` while running, after a failure, or when the file is gone).
///
/// # Errors
/// As [`job`].
pub async fn job_report(
    state: &AppState,
    caller: &Caller,
    id: i64,
) -> Result<(LandJob, Option<String>), ApiError> {
    let job = job(state, caller, id).await?;
    let table = if job.status == JobStatus::Succeeded {
        let path = state
            .config
            .data_dir
            .as_deref()
            .map(|d| d.join(&job.out_dir).join("area_by_region.csv"));
        match path {
            Some(path) => tokio::fs::read_to_string(path).await.ok(),
            None => None,
        }
    } else {
        None
    };
    Ok((job, table))
}
