//! Land degradation over HTTP (issue 8): rasters uploaded, SDG 15.3.1 jobs run in the background, maps and per-region tables.
//!
//! Rasters are streamed to `<data_dir>/land/rasters/` (never held whole in memory) and checked
//! by reading their TIFF header with `caravan-geotiff`, or registered from the allowed folder
//! `<data_dir>/land/import/`. A job runs `caravan-cmd-land`'s `land sdg15` pipeline on a
//! blocking thread; its outputs go to `<data_dir>/land/jobs/<id>/`. Jobs interrupted by a
//! restart are marked failed by [`recover`]. The owner organisation and the desertification
//! control centre can read rasters and jobs; analysts and administrators may use the service.
//! The operations and that policy are in [`service`]; the handlers and pages here only read
//! their request and shape the answer.

use std::path::Path;

use axum::Json;
use axum::Router;
use axum::body::Body;
use axum::extract::{DefaultBodyLimit, Path as UrlPath, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use caravan_store::{LandJob, Raster};
use futures_util::StreamExt as _;
use serde::Deserialize;
use utoipa::OpenApi;

use caravan_web::AppState;
use caravan_web::auth::Caller;
use caravan_web::error::{ApiError, ApiJson, ApiQuery};

pub mod service;

pub use service::{can_read_land, can_use_land, recover};

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
    let chunks = Box::pin(body.into_data_stream().map(|r| r.map_err(|err| err.to_string())));
    let raster = service::upload(&state, &caller, &params.name, chunks).await?;
    Ok((StatusCode::CREATED, Json(raster)))
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
    service::require_use(caller)?;
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
        let chunks = Box::pin(field.map(|r| r.map_err(|err| err.body_text())));
        return service::upload(state, caller, &name, chunks).await;
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
    Ok((StatusCode::CREATED, Json(service::register(&state, &caller, &req).await?)))
}

/// The rasters the caller may read.
#[utoipa::path(get, path = "/api/v1/land/rasters", tag = "land",
    responses((status = 200, body = Vec<Raster>), (status = 403, body = caravan_web::error::ErrorBody)),
    security(("bearer" = []), ("session" = [])))]
pub async fn rasters(
    State(state): State<AppState>,
    caller: Caller,
) -> Result<Json<Vec<Raster>>, ApiError> {
    Ok(Json(service::rasters(&state, &caller).await?))
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

/// Start an SDG 15.3.1 job; it runs in the background (poll its status).
#[utoipa::path(post, path = "/api/v1/land/jobs", tag = "land", request_body = JobRequest,
    responses((status = 202, body = LandJob), (status = 403, body = caravan_web::error::ErrorBody), (status = 422, body = caravan_web::error::ErrorBody)),
    security(("bearer" = []), ("session" = [])))]
pub async fn create_job(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(req): ApiJson<JobRequest>,
) -> Result<(StatusCode, Json<LandJob>), ApiError> {
    Ok((StatusCode::ACCEPTED, Json(service::create_job(&state, &caller, req).await?)))
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
    Ok(Json(service::job(&state, &caller, id).await?))
}

/// The jobs the caller may read, newest first.
#[utoipa::path(get, path = "/api/v1/land/jobs", tag = "land",
    responses((status = 200, body = Vec<LandJob>), (status = 403, body = caravan_web::error::ErrorBody)),
    security(("bearer" = []), ("session" = [])))]
pub async fn jobs(
    State(state): State<AppState>,
    caller: Caller,
) -> Result<Json<Vec<LandJob>>, ApiError> {
    Ok(Json(service::jobs(&state, &caller).await?))
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
    let (name, bytes) = service::job_output(&state, &caller, id, &name).await?;
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
    use caravan_store::{JobStatus, Raster};
    use maud::{Markup, html};
    use serde::Deserialize;

    use super::service::{self, can_use_land};
    use super::{JobRequest, LandKey, OUTPUT_FILES, RegisterRequest};
    use caravan_web::AppState;
    use caravan_web::auth::Caller;
    use caravan_web::error::ApiError;
    use caravan_web::i18n::t;
    use caravan_web::ui::{PageCaller, error_page, layout, page, ui_lang};

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
        if !can_use_land(caller) {
            return error_page(
                lang,
                Some(caller),
                &ApiError::forbidden(t(lang, LandKey::not_allowed)),
            );
        }
        let lists = async {
            Ok::<_, ApiError>((
                service::rasters(state, caller).await?,
                service::jobs(state, caller).await?,
            ))
        };
        let (rasters, jobs) = match lists.await {
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
        match service::register(&state, &caller, &req).await {
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
        match service::create_job(&state, &caller, req).await {
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
        let (job, table) = match service::job_report(&state, &caller, id).await {
            Ok(report) => report,
            Err(err) => return error_page(lang, Some(&caller), &err),
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
