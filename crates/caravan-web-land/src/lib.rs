//! Land degradation over HTTP (issue 8): rasters uploaded, SDG 15.3.1 jobs run in the background, maps and per-region tables.
//!
//! Rasters are streamed to `<data_dir>/land/rasters/` (never held whole in memory) and checked
//! by reading their TIFF header with `caravan-geotiff`, or registered from the allowed folder
//! `<data_dir>/land/import/`. A job runs `caravan-cmd-land`'s `land sdg15` pipeline on a
//! blocking thread; its outputs go to `<data_dir>/land/jobs/<id>/`. Jobs interrupted by a
//! restart are marked failed by [`recover`]. The owner organisation and the desertification
//! control centre can read rasters and jobs; analysts and administrators may use the service.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use axum::Json;
use axum::Router;
use axum::body::Body;
use axum::extract::{DefaultBodyLimit, Path as UrlPath, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use caravan_store::{Actor, Change, JobStatus, LandJob, NewRaster, OrgKind, Raster, Role};
use futures_util::StreamExt as _;
use serde::Deserialize;
use tokio::io::AsyncWriteExt;
use utoipa::OpenApi;

use caravan_web::AppState;
use caravan_web::auth::Caller;
use caravan_web::error::{ApiError, ApiJson, ApiQuery};

/// Largest raster upload, in bytes.
pub const MAX_RASTER_BYTES: u64 = 512 * 1024 * 1024;

/// The files a finished job offers for download.
pub const OUTPUT_FILES: [&str; 11] = [
    "sdg_15_3_1.tif",
    "productivity.tif",
    "trajectory.tif",
    "state.tif",
    "performance.tif",
    "land_cover_degradation.tif",
    "soc_degradation.tif",
    "area_by_region.csv",
    "lc_transition_area_km2.csv",
    "sdg_15_3_1.png",
    "run.json",
];

/// The OpenAPI paths of this module, merged into `caravan_server::openapi`.
#[derive(OpenApi)]
#[openapi(paths(upload_raster, register_raster, rasters, create_job, job, jobs, job_file))]
pub struct ApiDoc;

/// This module's routes: its API under `/api/v1`.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route(
            "/api/v1/land/rasters",
            get(rasters).post(upload_raster).layer(DefaultBodyLimit::max(
                usize::try_from(MAX_RASTER_BYTES).unwrap_or(usize::MAX),
            )),
        )
        .route("/api/v1/land/rasters/register", post(register_raster))
        .route("/api/v1/land/jobs", get(jobs).post(create_job))
        .route("/api/v1/land/jobs/{id}", get(job))
        .route("/api/v1/land/jobs/{id}/files/{name}", get(job_file))
        .route("/land", get(pages::home))
        .route("/land/rasters/register", post(pages::register))
        .route(
            "/land/rasters/upload",
            post(pages::upload).layer(DefaultBodyLimit::max(
                usize::try_from(MAX_RASTER_BYTES + 64 * 1024).unwrap_or(usize::MAX),
            )),
        )
        .route("/land/jobs", post(pages::start_job))
        .route("/land/jobs/{id}", get(pages::job))
}

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

fn require_use(caller: &Caller) -> Result<(), ApiError> {
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

/// Query of a raster upload.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct UploadParams {
    /// A name for the raster, e.g. the file name: 1 to 200 characters, no slashes or control
    /// characters.
    #[param(min_length = 1, max_length = 200, pattern = r"^[^/\\\x00-\x1f\x7f-\x9f]+$")]
    pub name: String,
}

/// Upload a GeoTIFF as the request body (up to 512 MiB, streamed to disk).
#[utoipa::path(post, path = "/api/v1/land/rasters", tag = "land", params(UploadParams),
    request_body(content = inline(caravan_web::UploadBytes), content_type = "image/tiff"),
    responses((status = 201, body = Raster), (status = 403, body = caravan_web::error::ErrorBody),
        (status = 413, body = caravan_web::error::ErrorBody), (status = 422, body = caravan_web::error::ErrorBody)),
    security(("bearer" = []), ("session" = [])))]
pub async fn upload_raster(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(params): ApiQuery<UploadParams>,
    body: Body,
) -> Result<(StatusCode, Json<Raster>), ApiError> {
    require_use(&caller)?;
    check_name(&params.name)?;
    let chunks = Box::pin(body.into_data_stream().map(|r| r.map_err(|err| err.to_string())));
    let raster = store_uploaded(&state, &caller, &params.name, chunks).await?;
    Ok((StatusCode::CREATED, Json(raster)))
}

/// Streams an upload's bytes to a new file of the raster folder, checks that it is a GeoTIFF
/// Caravan can read, and records it; a failed upload leaves no file behind.
async fn store_uploaded(
    state: &AppState,
    caller: &Caller,
    name: &str,
    chunks: impl futures_util::Stream<Item = Result<axum::body::Bytes, String>> + Unpin,
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

async fn stream_to_file(
    mut chunks: impl futures_util::Stream<Item = Result<axum::body::Bytes, String>> + Unpin,
    path: &Path,
    name: &str,
) -> Result<u64, ApiError> {
    let mut file = tokio::fs::File::create(path).await.map_err(ApiError::internal)?;
    let mut size = 0u64;
    while let Some(chunk) = chunks.next().await {
        let data = chunk.map_err(|err| {
            ApiError::bad_request("request.body", format!("{name}: the upload broke off: {err}"))
        })?;
        size += data.len() as u64;
        if size > MAX_RASTER_BYTES {
            return Err(ApiError::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                "land.too_large",
                format!("{name}: larger than 512 MiB; put it in the server's import folder and register it instead"),
            )
            .with_field("file"));
        }
        file.write_all(&data).await.map_err(ApiError::internal)?;
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

/// `POST /land/rasters/upload`: the browser's multipart form (`csrf_token` first, checked by
/// the CSRF guard; then `file`, streamed to disk as it arrives, never held in memory).
///
/// # Errors
/// As the API upload; 400 `upload.malformed` for a broken form or no file chosen.
pub async fn upload_form(
    state: &AppState,
    caller: &Caller,
    mut multipart: axum::extract::Multipart,
) -> Result<Raster, ApiError> {
    require_use(caller)?;
    while let Some(field) = multipart.next_field().await.map_err(|err| {
        ApiError::bad_request(
            "upload.malformed",
            format!("the form could not be read: {}", err.body_text()),
        )
    })? {
        if field.name() != Some("file") {
            continue;
        }
        let name = field
            .file_name()
            .map(|f| caravan_web::multipart::base_name(f).to_owned())
            .unwrap_or_default();
        if name.is_empty() {
            break;
        }
        check_name(&name)?;
        let chunks = Box::pin(field.map(|r| r.map_err(|err| err.body_text())));
        return store_uploaded(state, caller, &name, chunks).await;
    }
    Err(ApiError::bad_request("upload.malformed", "choose a GeoTIFF file to upload")
        .with_field("file"))
}

/// A file to register from the server's import folder.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct RegisterRequest {
    /// Path relative to `<data_dir>/land/import/`.
    pub path: String,
    /// A name; the file name when absent.
    pub name: Option<String>,
}

/// Register a GeoTIFF already on the server, under its import folder.
#[utoipa::path(post, path = "/api/v1/land/rasters/register", tag = "land", request_body = RegisterRequest,
    responses((status = 201, body = Raster), (status = 403, body = caravan_web::error::ErrorBody), (status = 422, body = caravan_web::error::ErrorBody)),
    security(("bearer" = []), ("session" = [])))]
pub async fn register_raster(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(req): ApiJson<RegisterRequest>,
) -> Result<(StatusCode, Json<Raster>), ApiError> {
    Ok((StatusCode::CREATED, Json(register_checked(&state, &caller, &req).await?)))
}

/// Checks and registers a file of the import folder; shared by the API and the page.
async fn register_checked(
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

/// The rasters the caller may read.
#[utoipa::path(get, path = "/api/v1/land/rasters", tag = "land",
    responses((status = 200, body = Vec<Raster>), (status = 403, body = caravan_web::error::ErrorBody)),
    security(("bearer" = []), ("session" = [])))]
pub async fn rasters(
    State(state): State<AppState>,
    caller: Caller,
) -> Result<Json<Vec<Raster>>, ApiError> {
    require_use(&caller)?;
    let all = state.store.rasters(None).await?;
    Ok(Json(all.into_iter().filter(|r| can_read_land(&caller, r.org_id)).collect()))
}

/// The `land sdg15` parameters; rasters are given by id.
#[derive(Debug, Clone, Deserialize, serde::Serialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct JobRequest {
    /// NDVI rasters: one multi-band file, or one file per year.
    pub ndvi: Vec<i64>,
    /// e.g. "2000-2015", one band per year.
    pub ndvi_years: String,
    /// Land cover, bands baseline and target.
    pub land_cover: Vec<i64>,
    /// Soil organic carbon, bands baseline and target.
    pub soc: Vec<i64>,
    /// Zones: band 1 ecozone, band 2 region id (0 = outside).
    pub zones: Vec<i64>,
    /// Regions as a GeoJSON FeatureCollection (then zones need only band 1).
    #[schema(value_type = Option<Object>)]
    pub regions: Option<serde_json::Value>,
    /// e.g. "2000-2012"; default all but the last three years.
    pub baseline: Option<String>,
    /// e.g. "2013-2015"; default the last three years.
    pub recent: Option<String>,
    /// gpg2 (default), gpg1 or trends-earth.
    pub profile: Option<String>,
    /// unccd (default) or esa-cci.
    pub land_cover_legend: Option<String>,
    /// Which year's water is not land: either (default; baseline or target year), final (the
    /// GPG v2 text) or baseline (Trends.Earth's code); `caravan land sdg15 --water`.
    #[serde(default)]
    pub water: Option<String>,
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

/// Start an SDG 15.3.1 job; it runs in the background (poll its status).
#[utoipa::path(post, path = "/api/v1/land/jobs", tag = "land", request_body = JobRequest,
    responses((status = 202, body = LandJob), (status = 403, body = caravan_web::error::ErrorBody), (status = 422, body = caravan_web::error::ErrorBody)),
    security(("bearer" = []), ("session" = [])))]
pub async fn create_job(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(req): ApiJson<JobRequest>,
) -> Result<(StatusCode, Json<LandJob>), ApiError> {
    Ok((StatusCode::ACCEPTED, Json(create_job_checked(&state, &caller, req).await?)))
}

/// Checks the parameters, records the job and starts it; shared by the API and the page.
async fn create_job_checked(
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

async fn readable_job(state: &AppState, caller: &Caller, id: i64) -> Result<LandJob, ApiError> {
    require_use(caller)?;
    match state.store.land_job(id).await? {
        Some(job) if can_read_land(caller, job.org_id) => Ok(job),
        Some(_) => Err(ApiError::forbidden("this job belongs to another organisation")),
        None => {
            Err(ApiError::not_found("land.job_not_found", format!("no job {id}")).with_field("id"))
        }
    }
}

/// One job with its status and progress.
#[utoipa::path(get, path = "/api/v1/land/jobs/{id}", tag = "land", params(("id" = i64, Path, description = "job id")),
    responses((status = 200, body = LandJob), (status = 403, body = caravan_web::error::ErrorBody), (status = 404, body = caravan_web::error::ErrorBody)),
    security(("bearer" = []), ("session" = [])))]
pub async fn job(
    State(state): State<AppState>,
    caller: Caller,
    UrlPath(id): UrlPath<i64>,
) -> Result<Json<LandJob>, ApiError> {
    Ok(Json(readable_job(&state, &caller, id).await?))
}

/// The jobs the caller may read, newest first.
#[utoipa::path(get, path = "/api/v1/land/jobs", tag = "land",
    responses((status = 200, body = Vec<LandJob>), (status = 403, body = caravan_web::error::ErrorBody)),
    security(("bearer" = []), ("session" = [])))]
pub async fn jobs(
    State(state): State<AppState>,
    caller: Caller,
) -> Result<Json<Vec<LandJob>>, ApiError> {
    require_use(&caller)?;
    let all = state.store.land_jobs(None).await?;
    Ok(Json(all.into_iter().filter(|j| can_read_land(&caller, j.org_id)).collect()))
}

/// Download one output file of a finished job.
#[utoipa::path(get, path = "/api/v1/land/jobs/{id}/files/{name}", tag = "land",
    params(("id" = i64, Path, description = "job id"), ("name" = String, Path, description = "e.g. area_by_region.csv")),
    responses((status = 200, content_type = "application/octet-stream"), (status = 404, body = caravan_web::error::ErrorBody)),
    security(("bearer" = []), ("session" = [])))]
pub async fn job_file(
    State(state): State<AppState>,
    caller: Caller,
    UrlPath((id, name)): UrlPath<(i64, String)>,
) -> Result<Response, ApiError> {
    let job = readable_job(&state, &caller, id).await?;
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
    let path = data_dir(&state)?.join(&job.out_dir).join(name);
    // Outputs are read whole: a 10,000 × 10,000 int16 COG compresses to well under its 200 MB.
    let bytes = tokio::fs::read(&path).await.map_err(|_| {
        ApiError::not_found("land.output_missing", format!("{name} of job {id} is missing on disk"))
            .with_field("name")
    })?;
    let kind = match Path::new(name).extension().and_then(|e| e.to_str()) {
        Some("csv") => "text/csv; charset=utf-8",
        Some("png") => "image/png",
        Some("json") => "application/json",
        _ => "image/tiff",
    };
    Ok((
        [
            (header::CONTENT_TYPE, kind.to_owned()),
            (header::CONTENT_DISPOSITION, format!("attachment; filename=\"{name}\"")),
        ],
        bytes,
    )
        .into_response())
}

/// The web pages: rasters and jobs, the job form, the job page with progress, map and table.
mod pages {
    use axum::extract::{Form, Path as UrlPath, State};
    use axum::http::{HeaderMap, StatusCode};
    use axum::response::{IntoResponse, Redirect, Response};
    use caravan_refdata::Lang;
    use caravan_store::{JobStatus, LandJob, Raster};
    use maud::{Markup, html};
    use serde::Deserialize;

    use super::{JobRequest, LandKey, OUTPUT_FILES, RegisterRequest, can_read_land};
    use caravan_web::AppState;
    use caravan_web::auth::Caller;
    use caravan_web::error::ApiError;
    use caravan_web::i18n::t;
    use caravan_web::ui::{PageCaller, error_page, layout, page, ui_lang};

    async fn lists(
        state: &AppState,
        caller: &Caller,
    ) -> Result<(Vec<Raster>, Vec<LandJob>), ApiError> {
        let rasters = state.store.rasters(None).await?;
        let jobs = state.store.land_jobs(None).await?;
        Ok((
            rasters.into_iter().filter(|r| can_read_land(caller, r.org_id)).collect(),
            jobs.into_iter().filter(|j| can_read_land(caller, j.org_id)).collect(),
        ))
    }

    fn raster_select(
        lang: Lang,
        id: &str,
        name: &str,
        label: LandKey,
        rasters: &[Raster],
        hint: &str,
    ) -> Markup {
        html! {
            label for=(id) { (t(lang, label)) }
            select #(id) name=(name) required {
                @for r in rasters {
                    option value=(r.id) selected[r.name.to_lowercase().contains(hint)] { (r.name) " (#" (r.id) ", " (r.bands) " " (t(lang, LandKey::bands)) ")" }
                }
            }
        }
    }

    async fn home_page(
        state: &AppState,
        lang: Lang,
        caller: &Caller,
        message: Option<String>,
    ) -> Response {
        if !super::can_use_land(caller) {
            return error_page(
                lang,
                Some(caller),
                &ApiError::forbidden(t(lang, LandKey::not_allowed)),
            );
        }
        let (rasters, jobs) = match lists(state, caller).await {
            Ok(v) => v,
            Err(err) => return error_page(lang, Some(caller), &err),
        };
        let status =
            if message.is_some() { StatusCode::UNPROCESSABLE_ENTITY } else { StatusCode::OK };
        page(
            status,
            layout(
                lang,
                Some(caller),
                t(lang, LandKey::title),
                html! {
                    h1 { (t(lang, LandKey::title)) }
                    p { (t(lang, LandKey::intro)) }
                    @if let Some(text) = &message { p.error role="alert" { (text) } }
                    h2 { (t(lang, LandKey::rasters)) }
                    @if rasters.is_empty() { p { (t(lang, LandKey::no_rasters)) } }
                    @else {
                        table #rasters {
                            thead { tr { th scope="col" { "#" } th scope="col" { (t(lang, LandKey::name)) } th scope="col" { (t(lang, LandKey::bands)) } th scope="col" { (t(lang, LandKey::size)) } } }
                            tbody { @for r in &rasters { tr { td { (r.id) } td { (r.name) } td { (r.bands) } td { (r.width) " × " (r.height) } } } }
                        }
                    }
                    h3 { (t(lang, LandKey::upload)) }
                    p { (t(lang, LandKey::upload_hint)) }
                    form.card method="post" action="/land/rasters/upload" enctype="multipart/form-data" {
                        // The CSRF guard reads a multipart form's first part: the token goes first.
                        input type="hidden" name="csrf_token" value=(caller.csrf_token());
                        label for="up-file" { (t(lang, LandKey::upload_file)) }
                        input #up-file type="file" name="file" required accept=".tif,.tiff,image/tiff";
                        button type="submit" { (t(lang, LandKey::upload_button)) }
                    }
                    p.help { (t(lang, LandKey::upload_api_hint)) }
                    pre { "curl -H 'Authorization: Bearer …' --data-binary @ndvi.tif '/api/v1/land/rasters?name=ndvi.tif'" }
                    form.card method="post" action="/land/rasters/register" {
                        input type="hidden" name="csrf_token" value=(caller.csrf_token());
                        label for="reg-path" { (t(lang, LandKey::import_path)) }
                        input #reg-path name="path" required maxlength="500" placeholder="ndvi_2000_2015.tif";
                        button type="submit" { (t(lang, LandKey::register)) }
                    }
                    @if !rasters.is_empty() {
                        h2 { (t(lang, LandKey::new_job)) }
                        form.card method="post" action="/land/jobs" {
                            input type="hidden" name="csrf_token" value=(caller.csrf_token());
                            (raster_select(lang, "job-ndvi", "ndvi", LandKey::ndvi, &rasters, "ndvi"))
                            label for="job-years" { (t(lang, LandKey::ndvi_years)) }
                            input #job-years name="ndvi_years" required value="2000-2015" pattern="[0-9]{4}-[0-9]{4}";
                            (raster_select(lang, "job-lc", "land_cover", LandKey::land_cover, &rasters, "lc"))
                            (raster_select(lang, "job-soc", "soc", LandKey::soc, &rasters, "soc"))
                            (raster_select(lang, "job-zones", "zones", LandKey::zones, &rasters, "zone"))
                            label for="job-baseline" { (t(lang, LandKey::baseline)) }
                            input #job-baseline name="baseline" placeholder="2000-2012";
                            label for="job-recent" { (t(lang, LandKey::recent)) }
                            input #job-recent name="recent" placeholder="2013-2015";
                            label for="job-profile" { (t(lang, LandKey::profile)) }
                            select #job-profile name="profile" {
                                option value="gpg2" selected { "GPG v2 (2021)" }
                                option value="gpg1" { "GPG v1 (2017)" }
                                option value="trends-earth" { "Trends.Earth" }
                            }
                            button type="submit" { (t(lang, LandKey::start)) }
                        }
                    }
                    h2 { (t(lang, LandKey::jobs)) }
                    @if jobs.is_empty() { p { (t(lang, LandKey::no_jobs)) } }
                    @else {
                        table #jobs {
                            thead { tr { th scope="col" { "#" } th scope="col" { (t(lang, LandKey::status)) } th scope="col" { (t(lang, LandKey::progress)) } } }
                            tbody { @for j in &jobs { tr { td { a href={ "/land/jobs/" (j.id) } { (j.id) } } td { (status_text(lang, j.status)) } td { (j.progress_pct) " %" } } } }
                        }
                    }
                },
            ),
        )
    }

    fn status_text(lang: Lang, status: JobStatus) -> &'static str {
        match status {
            JobStatus::Running => t(lang, LandKey::running),
            JobStatus::Succeeded => t(lang, LandKey::succeeded),
            JobStatus::Failed => t(lang, LandKey::failed),
        }
    }

    /// `GET /land`.
    pub(super) async fn home(
        State(state): State<AppState>,
        PageCaller { caller, lang }: PageCaller,
    ) -> Response {
        home_page(&state, lang, &caller, None).await
    }

    #[derive(Debug, Deserialize)]
    pub(super) struct RegisterForm {
        pub(super) path: String,
        #[serde(rename = "csrf_token")]
        pub(super) _csrf_token: String,
    }

    /// `POST /land/rasters/register`.
    pub(super) async fn register(
        State(state): State<AppState>,
        headers: HeaderMap,
        caller: Caller,
        Form(form): Form<RegisterForm>,
    ) -> Response {
        let lang = ui_lang(&headers);
        let req = RegisterRequest { path: form.path, name: None };
        match super::register_checked(&state, &caller, &req).await {
            Ok(_) => Redirect::to("/land").into_response(),
            Err(err) if err.status == StatusCode::FORBIDDEN => {
                error_page(lang, Some(&caller), &err)
            }
            Err(err) => home_page(&state, lang, &caller, Some(err.message)).await,
        }
    }

    /// `POST /land/rasters/upload`: the file input's GeoTIFF, streamed to disk.
    pub(super) async fn upload(
        State(state): State<AppState>,
        headers: HeaderMap,
        caller: Caller,
        multipart: axum::extract::Multipart,
    ) -> Response {
        let lang = ui_lang(&headers);
        match super::upload_form(&state, &caller, multipart).await {
            Ok(_) => Redirect::to("/land").into_response(),
            Err(err) if err.status == StatusCode::FORBIDDEN => {
                error_page(lang, Some(&caller), &err)
            }
            Err(err) => home_page(&state, lang, &caller, Some(err.message)).await,
        }
    }

    #[derive(Debug, Deserialize)]
    pub(super) struct JobForm {
        pub(super) ndvi: i64,
        pub(super) ndvi_years: String,
        pub(super) land_cover: i64,
        pub(super) soc: i64,
        pub(super) zones: i64,
        #[serde(default)]
        pub(super) baseline: String,
        #[serde(default)]
        pub(super) recent: String,
        pub(super) profile: String,
        #[serde(rename = "csrf_token")]
        pub(super) _csrf_token: String,
    }

    /// `POST /land/jobs`: starts a job and shows its page.
    pub(super) async fn start_job(
        State(state): State<AppState>,
        headers: HeaderMap,
        caller: Caller,
        Form(form): Form<JobForm>,
    ) -> Response {
        let lang = ui_lang(&headers);
        let opt = |s: String| Some(s.trim().to_owned()).filter(|s| !s.is_empty());
        let req = JobRequest {
            ndvi: vec![form.ndvi],
            ndvi_years: form.ndvi_years,
            land_cover: vec![form.land_cover],
            soc: vec![form.soc],
            zones: vec![form.zones],
            regions: None,
            baseline: opt(form.baseline),
            recent: opt(form.recent),
            profile: Some(form.profile),
            land_cover_legend: None,
            water: None,
        };
        match super::create_job_checked(&state, &caller, req).await {
            Ok(job) => Redirect::to(&format!("/land/jobs/{}", job.id)).into_response(),
            Err(err) if err.status == StatusCode::FORBIDDEN => {
                error_page(lang, Some(&caller), &err)
            }
            Err(err) => home_page(&state, lang, &caller, Some(err.message)).await,
        }
    }

    /// `GET /land/jobs/{id}`: progress (refreshing while running), then map, table, downloads.
    pub(super) async fn job(
        State(state): State<AppState>,
        PageCaller { caller, lang }: PageCaller,
        UrlPath(id): UrlPath<i64>,
    ) -> Response {
        let job = match super::readable_job(&state, &caller, id).await {
            Ok(job) => job,
            Err(err) => return error_page(lang, Some(&caller), &err),
        };
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
        let rows: Vec<Vec<String>> = table
            .as_deref()
            .map(|text| text.lines().map(|l| l.split(',').map(str::to_owned).collect()).collect())
            .unwrap_or_default();
        let title = format!("{} #{id}", t(lang, LandKey::job));
        let running = job.status == JobStatus::Running;
        let body = html! {
            @if running { meta http-equiv="refresh" content="2"; }
            h1 { (title) }
            p #job-status { (t(lang, LandKey::status)) ": " strong { (status_text(lang, job.status)) } }
            @if running {
                label for="job-progress" { (t(lang, LandKey::progress)) }
                progress #job-progress max="100" value=(job.progress_pct) { (job.progress_pct) " %" }
                p { (t(lang, LandKey::refreshes)) }
            }
            @if let Some(message) = &job.message { p class=(if job.status == JobStatus::Failed { "error" } else { "ok" }) role="status" { (message) } }
            @if job.status == JobStatus::Succeeded {
                h2 { (t(lang, LandKey::map)) }
                img src={ "/api/v1/land/jobs/" (id) "/files/sdg_15_3_1.png" } alt=(t(lang, LandKey::map_alt));
                h2 { (t(lang, LandKey::by_region)) }
                @if let Some((head, rest)) = rows.split_first() {
                    div.scroll { table #area-by-region {
                        thead { tr { @for h in head { th scope="col" { (h) } } } }
                        tbody { @for r in rest { tr { @for c in r { td { (c) } } } } }
                    } }
                }
                h2 { (t(lang, LandKey::downloads)) }
                ul { @for f in OUTPUT_FILES { li { a href={ "/api/v1/land/jobs/" (id) "/files/" (f) } download { (f) } } } }
            }
            @if job.status == JobStatus::Failed { p { a href="/land" { (t(lang, LandKey::try_again)) } } }
            p { a href="/land" { (t(lang, LandKey::back)) } }
        };
        page(StatusCode::OK, layout(lang, Some(&caller), &title, body))
    }
}

caravan_web::strings! { LandKey {
    title => ["Land degradation (SDG 15.3.1)", "Деградация земель (ЦУР 15.3.1)", "土地退化（可持续发展目标15.3.1）"],
    intro => [
        "Compute the share of degraded land from your rasters: register or upload GeoTIFFs, then start a job.",
        "Рассчитайте долю деградированных земель по вашим растрам: зарегистрируйте или загрузите GeoTIFF, затем запустите расчёт.",
        "根据您的栅格计算退化土地比例：先登记或上传GeoTIFF，再启动任务。"
    ],
    not_allowed => [
        "Only analysts and administrators may use the land degradation service.",
        "Сервисом деградации земель могут пользоваться только аналитики и администраторы.",
        "只有分析员和管理员可以使用土地退化服务。"
    ],
    rasters => ["Rasters", "Растры", "栅格"],
    no_rasters => [
        "No rasters yet. Upload one with the API or register a file from the import folder below.",
        "Растров пока нет. Загрузите растр через API или зарегистрируйте файл из папки импорта ниже.",
        "尚无栅格。请通过API上传，或在下方登记导入文件夹中的文件。"
    ],
    name => ["Name", "Название", "名称"],
    bands => ["bands", "каналов", "波段"],
    size => ["Size (pixels)", "Размер (пиксели)", "尺寸（像素）"],
    upload => ["Add a raster", "Добавить растр", "添加栅格"],
    upload_hint => [
        "Upload a GeoTIFF of up to 512 MiB here. Larger files: copy them into the server's land/import folder and register them below.",
        "Загрузите здесь GeoTIFF размером до 512 МиБ. Файлы больше скопируйте в папку land/import сервера и зарегистрируйте ниже.",
        "在此上传不超过512 MiB的GeoTIFF。更大的文件请复制到服务器的 land/import 文件夹并在下方登记。"
    ],
    upload_file => ["GeoTIFF file", "Файл GeoTIFF", "GeoTIFF 文件"],
    upload_button => ["Upload", "Загрузить", "上传"],
    upload_api_hint => [
        "Scripts upload the same files with the API:",
        "Скрипты загружают те же файлы через API:",
        "脚本可通过API上传同样的文件："
    ],
    import_path => ["File in the import folder", "Файл в папке импорта", "导入文件夹中的文件"],
    register => ["Register", "Зарегистрировать", "登记"],
    new_job => ["Start an SDG 15.3.1 job", "Запустить расчёт ЦУР 15.3.1", "启动SDG 15.3.1任务"],
    ndvi => ["NDVI raster (one band per year)", "Растр NDVI (один канал на год)", "NDVI栅格（每年一个波段）"],
    ndvi_years => ["NDVI years (first-last)", "Годы NDVI (первый-последний)", "NDVI年份（起-止）"],
    land_cover => ["Land cover (baseline, target)", "Растительный покров (базовый, целевой)", "土地覆被（基准、目标）"],
    soc => ["Soil organic carbon (baseline, target)", "Почвенный органический углерод (базовый, целевой)", "土壤有机碳（基准、目标）"],
    zones => ["Zones (ecozone, region id)", "Зоны (экозона, номер района)", "分区（生态区、区域编号）"],
    baseline => ["Baseline period (optional)", "Базовый период (необязательно)", "基准期（可选）"],
    recent => ["Recent period (optional, default the last 3 years)", "Последний период (необязательно, по умолчанию 3 последних года)", "近期（可选，默认最后3年）"],
    profile => ["Method", "Методика", "方法"],
    start => ["Start", "Запустить", "启动"],
    jobs => ["Jobs", "Расчёты", "任务"],
    no_jobs => ["No jobs yet.", "Расчётов пока нет.", "尚无任务。"],
    job => ["Job", "Расчёт", "任务"],
    status => ["Status", "Состояние", "状态"],
    progress => ["Progress", "Ход выполнения", "进度"],
    running => ["running", "выполняется", "运行中"],
    succeeded => ["finished", "завершён", "已完成"],
    failed => ["failed", "ошибка", "失败"],
    refreshes => [
        "This page refreshes every 2 seconds until the job ends.",
        "Страница обновляется каждые 2 секунды до окончания расчёта.",
        "任务结束前，本页每2秒刷新一次。"
    ],
    map => ["Map of the indicator", "Карта индикатора", "指标地图"],
    map_alt => [
        "Map: red degraded, yellow stable, blue improved, grey no data",
        "Карта: красный — деградация, жёлтый — без изменений, синий — улучшение, серый — нет данных",
        "地图：红色退化，黄色稳定，蓝色改善，灰色无数据"
    ],
    by_region => ["Areas by region (km²)", "Площади по районам (км²)", "各区域面积（平方公里）"],
    downloads => ["Downloads", "Файлы", "下载"],
    try_again => [
        "Fix the inputs named in the message and start the job again.",
        "Исправьте указанные в сообщении входные данные и запустите расчёт снова.",
        "请修正消息中指出的输入后重新启动任务。"
    ],
    back => ["Back to land degradation", "Назад к деградации земель", "返回土地退化"],
} }

/// The feature's link in the main menu, for those who may use the land service.
pub fn navigation() -> Vec<caravan_web::ui::NavLink> {
    use caravan_web::i18n::Key;
    use caravan_web::ui::NavLink;
    vec![NavLink::signed_in("/land", Key::nav_land, can_use_land)]
}

#[cfg(test)]
mod tests {
    use super::LandKey;
    use caravan_web::i18n::Text;

    #[test]
    fn every_land_string_has_three_languages() {
        for key in LandKey::ALL {
            for text in key.table() {
                assert!(!text.trim().is_empty(), "{key:?} misses a language");
            }
        }
    }
}
