//! Scholarship programmes over HTTP (issue 9): calls, applications, endorsements, blind review, placement, results and statistics.
//!
//! The flow: a programme administrator opens a call; applicants fill in their application page
//! by page, upload PDFs and submit before the deadline; the nominating body of each country
//! endorses or declines; endorsed applications are assigned to reviewers without conflicts of
//! interest and scored blind; scores are normalised per reviewer (z-scores) into one ranking;
//! a `caravan-matching` mechanism places the ranked applicants; the administrator publishes the
//! result and every applicant sees their programme and the cutoffs of the choices above it.

use std::collections::{BTreeMap, HashMap};

use axum::Router;
use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use caravan_refdata::Lang;
pub use caravan_scholarship::{
    ChoiceOutcome, ChoicesPage, NORMALISATION_METHOD, PlaceRequest, PlacedApplicant,
    PlacementResult, PoolCutoff, RankRow, Ranking, ResultView, ShortOfReviewers, has_conflict,
    rank, run_placement, weighted_total,
};
use caravan_store::Role;
use caravan_store::scholarship::{
    Application, ApplicationStatus, Call, CallSpec, CallStatus, DocumentMeta, Review,
};
use maud::{Markup, html};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use utoipa::{IntoParams, OpenApi, ToSchema};

use caravan_web::AppState;
use caravan_web::auth::{Caller, MaybeCaller};
use caravan_web::error::{ApiError, ApiJson, ApiQuery, ErrorBody};
use caravan_web::i18n::t;

mod pages;
pub mod service;

pub use pages::PageKey;
use service::{
    blind_view, check_document_kind, invalid, load_editable, load_review, statistics_rows,
    store_document,
};

/// Largest PDF document accepted, in bytes (this route's own body limit).
pub const MAX_DOCUMENT_BYTES: usize = 4 * 1024 * 1024;

// ---------------------------------------------------------------------------------------------
// Policy: one function per rule, so handlers and tests read the same thing.

// ---------------------------------------------------------------------------------------------
// Validation of what comes in.

pub(crate) fn rfc3339(at: OffsetDateTime) -> String {
    at.format(&time::format_description::well_known::Rfc3339).unwrap_or_default()
}

// ---------------------------------------------------------------------------------------------
// Calls.

/// Calls the caller may see.
#[utoipa::path(get, path = "/api/v1/scholarship/calls", tag = "scholarship",
    responses((status = 200, body = Vec<Call>), (status = 401, body = ErrorBody)))]
pub async fn calls(
    State(state): State<AppState>,
    caller: Caller,
) -> Result<axum::Json<Vec<Call>>, ApiError> {
    Ok(axum::Json(service::calls(&state, &caller).await?))
}

/// Opens a call as a draft (programme administrators of an education exchange center).
#[utoipa::path(post, path = "/api/v1/scholarship/calls", tag = "scholarship", request_body = CallSpec,
    responses((status = 201, body = Call), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn create_call(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(spec): ApiJson<CallSpec>,
) -> Result<(StatusCode, axum::Json<Call>), ApiError> {
    Ok((StatusCode::CREATED, axum::Json(service::create_call(&state, &caller, spec).await?)))
}

/// One call.
#[utoipa::path(get, path = "/api/v1/scholarship/calls/{id}", tag = "scholarship",
    params(("id" = i64, Path)), responses((status = 200, body = Call), (status = 404, body = ErrorBody)))]
pub async fn call(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
) -> Result<axum::Json<Call>, ApiError> {
    Ok(axum::Json(service::call(&state, &caller, id).await?))
}

/// A call's new status.
#[derive(Debug, Deserialize, ToSchema)]
pub struct StatusRequest {
    /// `published` or `closed`.
    pub status: CallStatus,
}

/// Publishes or closes a call.
#[utoipa::path(post, path = "/api/v1/scholarship/calls/{id}/status", tag = "scholarship", request_body = StatusRequest,
    params(("id" = i64, Path)), responses((status = 200, body = Call), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn set_call_status(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
    ApiJson(req): ApiJson<StatusRequest>,
) -> Result<axum::Json<Call>, ApiError> {
    Ok(axum::Json(service::set_call_status(&state, &caller, id, req).await?))
}

/// Replaces a draft call's spec (its center's programme administrators; 409 once published).
#[utoipa::path(put, path = "/api/v1/scholarship/calls/{id}", tag = "scholarship", request_body = CallSpec,
    params(("id" = i64, Path)), responses((status = 200, body = Call), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn update_call(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
    ApiJson(spec): ApiJson<CallSpec>,
) -> Result<axum::Json<Call>, ApiError> {
    Ok(axum::Json(service::update_call(&state, &caller, id, spec).await?))
}

// ---------------------------------------------------------------------------------------------
// Applications.

/// An application with its documents, as its applicant, center and nominating body see it.
#[derive(Debug, Serialize, ToSchema)]
pub struct ApplicationView {
    pub application: Application,
    pub documents: Vec<DocumentMeta>,
    /// What is still missing before it can be submitted.
    pub missing: Vec<String>,
}

/// Starts the caller's application to a call.
#[utoipa::path(post, path = "/api/v1/scholarship/calls/{id}/applications", tag = "scholarship",
    params(("id" = i64, Path)), responses((status = 201, body = ApplicationView), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn create_application(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
) -> Result<(StatusCode, axum::Json<ApplicationView>), ApiError> {
    Ok((StatusCode::CREATED, axum::Json(service::create_application(&state, &caller, id).await?)))
}

/// The caller's own applications.
#[utoipa::path(get, path = "/api/v1/scholarship/applications", tag = "scholarship",
    responses((status = 200, body = Vec<Application>)))]
pub async fn my_applications(
    State(state): State<AppState>,
    caller: Caller,
) -> Result<axum::Json<Vec<Application>>, ApiError> {
    Ok(axum::Json(service::my_applications(&state, &caller).await?))
}

/// One application (applicant, center, or the nominating body of its country).
#[utoipa::path(get, path = "/api/v1/scholarship/applications/{id}", tag = "scholarship",
    params(("id" = i64, Path)), responses((status = 200, body = ApplicationView), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn application(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
) -> Result<axum::Json<ApplicationView>, ApiError> {
    Ok(axum::Json(service::application(&state, &caller, id).await?))
}

/// Saves one page of an application: `personal`, `study` or `choices`.
#[utoipa::path(put, path = "/api/v1/scholarship/applications/{id}/pages/{page}", tag = "scholarship",
    params(("id" = i64, Path), ("page" = String, Path, description = "personal, study or choices")),
    request_body = Object,
    responses((status = 200, body = ApplicationView), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn save_page(
    State(state): State<AppState>,
    caller: Caller,
    Path((id, page)): Path<(i64, String)>,
    ApiJson(value): ApiJson<serde_json::Value>,
) -> Result<axum::Json<ApplicationView>, ApiError> {
    Ok(axum::Json(service::save_page(&state, &caller, id, page, value).await?))
}

/// Where a document goes.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct UploadParams {
    /// One of the call's required document kinds, e.g. `transcript`.
    pub kind: String,
    /// The file's name, for display.
    pub filename: Option<String>,
}

/// Whether `bytes` look like a PDF: the `%PDF-` magic number at the start.
pub fn is_pdf(bytes: &[u8]) -> bool {
    bytes.starts_with(b"%PDF-")
}

/// Uploads a PDF document (the raw bytes as the body, at most 4 MiB).
#[utoipa::path(post, path = "/api/v1/scholarship/applications/{id}/documents", tag = "scholarship",
    params(("id" = i64, Path), UploadParams), request_body(content = inline(caravan_web::UploadBytes), content_type = "application/pdf"),
    responses((status = 201, body = DocumentMeta), (status = 413, body = ErrorBody), (status = 415, body = ErrorBody)))]
pub async fn upload_document(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
    ApiQuery(params): ApiQuery<UploadParams>,
    body: Body,
) -> Result<(StatusCode, axum::Json<DocumentMeta>), ApiError> {
    let (_, call) = load_editable(&state, &caller, id).await?;
    check_document_kind(&call, &params.kind)?;
    let content = read_pdf(body).await?;
    let filename = params.filename.unwrap_or_else(|| format!("{}.pdf", params.kind));
    let meta = store_document(&state, &caller, id, params.kind, filename, content).await?;
    Ok((StatusCode::CREATED, axum::Json(meta)))
}

async fn read_pdf(body: Body) -> Result<Vec<u8>, ApiError> {
    let bytes = axum::body::to_bytes(body, MAX_DOCUMENT_BYTES).await.map_err(|_| {
        ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "scholarship.document_too_large",
            format!(
                "a document may be at most {} MiB; compress or split it",
                MAX_DOCUMENT_BYTES / 1024 / 1024
            ),
        )
        .with_field("file")
    })?;
    if !is_pdf(&bytes) {
        return Err(ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "scholarship.not_pdf",
            "the file is not a PDF (it does not start with %PDF-); save it as PDF and upload again",
        )
        .with_field("file"));
    }
    Ok(bytes.to_vec())
}

/// Downloads a document (applicant, center, nominating body; an assigned reviewer too).
#[utoipa::path(get, path = "/api/v1/scholarship/documents/{id}", tag = "scholarship",
    params(("id" = i64, Path)), responses((status = 200, content_type = "application/pdf"), (status = 403, body = ErrorBody)))]
pub async fn document(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
) -> Result<Response, ApiError> {
    let content = service::document(&state, &caller, id).await?;
    // Served as a download, never rendered in the site's origin: a file that starts with %PDF-
    // may still hold HTML or script a browser would sniff.
    Ok((
        [
            (header::CONTENT_TYPE, "application/pdf".to_owned()),
            (header::CONTENT_DISPOSITION, format!("attachment; filename=\"document-{id}.pdf\"")),
            (header::X_CONTENT_TYPE_OPTIONS, "nosniff".to_owned()),
        ],
        content,
    )
        .into_response())
}

/// Submits the application (before the deadline, when nothing is missing).
#[utoipa::path(post, path = "/api/v1/scholarship/applications/{id}/submit", tag = "scholarship",
    params(("id" = i64, Path)), responses((status = 200, body = ApplicationView), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn submit(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
) -> Result<axum::Json<ApplicationView>, ApiError> {
    Ok(axum::Json(service::submit(&state, &caller, id).await?))
}

/// A nominating body's decision.
#[derive(Debug, Deserialize, ToSchema)]
pub struct EndorseRequest {
    /// `true` to endorse, `false` to decline.
    pub endorse: bool,
    /// Why (at most 2,000 characters); kept in the audit log with the decision.
    #[serde(default)]
    pub comment: Option<String>,
}

/// Endorses or declines a submitted application (nominating body of its country).
#[utoipa::path(post, path = "/api/v1/scholarship/applications/{id}/endorsement", tag = "scholarship", request_body = EndorseRequest,
    params(("id" = i64, Path)), responses((status = 200, body = Application), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn endorse(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
    ApiJson(req): ApiJson<EndorseRequest>,
) -> Result<axum::Json<Application>, ApiError> {
    Ok(axum::Json(service::endorse(&state, &caller, id, req).await?))
}

/// Applications of a call: all for its center, the own country's for a nominating body.
#[utoipa::path(get, path = "/api/v1/scholarship/calls/{id}/applications", tag = "scholarship",
    params(("id" = i64, Path)), responses((status = 200, body = Vec<Application>), (status = 403, body = ErrorBody)))]
pub async fn call_applications(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
) -> Result<axum::Json<Vec<Application>>, ApiError> {
    Ok(axum::Json(service::call_applications(&state, &caller, id).await?))
}

// ---------------------------------------------------------------------------------------------
// Review.

/// What an assignment run did.
#[derive(Debug, Serialize, ToSchema)]
pub struct AssignmentReport {
    /// New assignments made.
    pub assigned: Vec<Review>,
    /// Applications that still lack reviewers, and why.
    pub short: Vec<ShortOfReviewers>,
}

/// Assigns endorsed applications to reviewers: N per application (one more when flagged for
/// disagreement), avoiding conflicts of interest, least-loaded reviewer first.
#[utoipa::path(post, path = "/api/v1/scholarship/calls/{id}/assignments", tag = "scholarship",
    params(("id" = i64, Path)), responses((status = 200, body = AssignmentReport), (status = 403, body = ErrorBody)))]
pub async fn assign(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
) -> Result<axum::Json<AssignmentReport>, ApiError> {
    Ok(axum::Json(service::assign(&state, &caller, id).await?))
}

/// What a reviewer sees of an application: no name, e-mail, date of birth or photo.
#[derive(Debug, Serialize, ToSchema)]
pub struct BlindApplication {
    pub review_id: i64,
    pub call_id: i64,
    /// The call's title, for orientation.
    pub call_title: String,
    pub level: Option<String>,
    pub study: Option<BlindStudy>,
    /// Names of the ranked programmes.
    pub choices: Vec<String>,
    /// Document ids to download (PDFs).
    pub documents: Vec<i64>,
    pub criteria: Vec<caravan_store::scholarship::Criterion>,
    pub scores: Option<BTreeMap<String, u32>>,
}

/// The study history without the institution's name, which could identify the applicant.
#[derive(Debug, Serialize, ToSchema)]
pub struct BlindStudy {
    pub degree: String,
    pub field: String,
    pub graduation_year: i32,
}

/// The caller's review assignments, blind.
#[utoipa::path(get, path = "/api/v1/scholarship/reviews", tag = "scholarship",
    responses((status = 200, body = Vec<BlindApplication>), (status = 403, body = ErrorBody)))]
pub async fn reviews(
    State(state): State<AppState>,
    caller: Caller,
) -> Result<axum::Json<Vec<BlindApplication>>, ApiError> {
    Ok(axum::Json(service::reviews(&state, &caller).await?))
}

/// One review assignment, blind.
#[utoipa::path(get, path = "/api/v1/scholarship/reviews/{id}", tag = "scholarship",
    params(("id" = i64, Path)), responses((status = 200, body = BlindApplication), (status = 403, body = ErrorBody)))]
pub async fn review(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
) -> Result<axum::Json<BlindApplication>, ApiError> {
    Ok(axum::Json(service::review(&state, &caller, id).await?))
}

/// Scores on the call's criteria.
#[derive(Debug, Deserialize, ToSchema)]
pub struct ScoreRequest {
    pub scores: BTreeMap<String, u32>,
}

/// Scores an assigned application (before the review deadline).
#[utoipa::path(post, path = "/api/v1/scholarship/reviews/{id}", tag = "scholarship", request_body = ScoreRequest,
    params(("id" = i64, Path)), responses((status = 200, body = BlindApplication), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn score(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
    ApiJson(req): ApiJson<ScoreRequest>,
) -> Result<axum::Json<BlindApplication>, ApiError> {
    Ok(axum::Json(service::score(&state, &caller, id, req).await?))
}

// ---------------------------------------------------------------------------------------------
// Normalisation and ranking (pure functions over the records).

/// The normalised ranking of a call's endorsed applications, with the method.
#[utoipa::path(get, path = "/api/v1/scholarship/calls/{id}/ranking", tag = "scholarship",
    params(("id" = i64, Path)), responses((status = 200, body = Ranking), (status = 403, body = ErrorBody)))]
pub async fn ranking(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
) -> Result<axum::Json<Ranking>, ApiError> {
    Ok(axum::Json(service::ranking(&state, &caller, id).await?))
}

// ---------------------------------------------------------------------------------------------
// Placement.

/// A stored placement run with its typed result.
#[derive(Debug, Serialize, ToSchema)]
pub struct PlacementView {
    pub id: i64,
    pub call_id: i64,
    pub published: bool,
    pub result: PlacementResult,
}

/// Runs a placement on the current ranking (stored as a draft for review).
#[utoipa::path(post, path = "/api/v1/scholarship/calls/{id}/placements", tag = "scholarship", request_body = PlaceRequest,
    params(("id" = i64, Path)), responses((status = 201, body = PlacementView), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn place(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
    ApiJson(req): ApiJson<PlaceRequest>,
) -> Result<(StatusCode, axum::Json<PlacementView>), ApiError> {
    Ok((StatusCode::CREATED, axum::Json(service::place(&state, &caller, id, req).await?)))
}

/// Placement runs of a call.
#[utoipa::path(get, path = "/api/v1/scholarship/calls/{id}/placements", tag = "scholarship",
    params(("id" = i64, Path)), responses((status = 200, body = Vec<PlacementView>), (status = 403, body = ErrorBody)))]
pub async fn placements(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
) -> Result<axum::Json<Vec<PlacementView>>, ApiError> {
    Ok(axum::Json(service::placements(&state, &caller, id).await?))
}

/// Publishes a placement run (one per call).
#[utoipa::path(post, path = "/api/v1/scholarship/calls/{id}/placements/{run}/publish", tag = "scholarship",
    params(("id" = i64, Path), ("run" = i64, Path)), responses((status = 200, body = PlacementView), (status = 409, body = ErrorBody)))]
pub async fn publish(
    State(state): State<AppState>,
    caller: Caller,
    Path((id, run)): Path<(i64, i64)>,
) -> Result<axum::Json<PlacementView>, ApiError> {
    Ok(axum::Json(service::publish(&state, &caller, id, run).await?))
}

/// The result of one's own application, once published.
#[utoipa::path(get, path = "/api/v1/scholarship/applications/{id}/result", tag = "scholarship",
    params(("id" = i64, Path)), responses((status = 200, body = ResultView), (status = 403, body = ErrorBody)))]
pub async fn result(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
) -> Result<axum::Json<ResultView>, ApiError> {
    Ok(axum::Json(service::result(&state, &caller, id).await?))
}

// ---------------------------------------------------------------------------------------------
// Statistics.

/// One row of the statistics: applications and placements of a year, programme and country pair.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct StatRow {
    pub year: i32,
    pub call_id: i64,
    pub programme: String,
    /// Applicant's country.
    pub from: String,
    /// Host university's country.
    pub to: String,
    /// Submitted applications ranking this programme.
    pub applications: u64,
    /// Placements in the published result (exchanges).
    pub placements: u64,
}

/// Year, call, programme, from country, to country.
type StatKey = (i32, i64, String, String, String);

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct StatsParams {
    /// `json` (default) or `csv`.
    pub format: Option<String>,
}

/// Statistics by year, programme and country pair (any logged-in user; no personal data).
#[utoipa::path(get, path = "/api/v1/scholarship/statistics", tag = "scholarship", params(StatsParams),
    responses((status = 200, body = Vec<StatRow>), (status = 401, body = ErrorBody)))]
pub async fn statistics(
    State(state): State<AppState>,
    _caller: Caller,
    ApiQuery(params): ApiQuery<StatsParams>,
) -> Result<Response, ApiError> {
    let rows = statistics_rows(&state).await?;
    match params.format.as_deref() {
        None | Some("json") => Ok(axum::Json(rows).into_response()),
        Some("csv") => {
            // The header is the fields' names: year,call_id,programme,from,to,applications,placements.
            let mut csv = csv::Writer::from_writer(Vec::new());
            for row in &rows {
                csv.serialize(row).map_err(ApiError::internal)?;
            }
            let out = csv.into_inner().map_err(ApiError::internal)?;
            Ok((
                [
                    (header::CONTENT_TYPE, "text/csv; charset=utf-8"),
                    (
                        header::CONTENT_DISPOSITION,
                        "attachment; filename=\"scholarship-statistics.csv\"",
                    ),
                ],
                out,
            )
                .into_response())
        }
        Some(other) => Err(ApiError::bad_request(
            "request.invalid_query",
            format!("format must be json or csv, got {other:?}"),
        )
        .with_field("format")),
    }
}

// ---------------------------------------------------------------------------------------------
// Pages.

caravan_web::strings! { SchKey {
    title => ["Scholarships", "Стипендии", "奖学金"],
    calls => ["Calls for applications", "Конкурсы", "招生通知"],
    no_calls => ["No call is open now.", "Сейчас нет открытых конкурсов.", "目前没有开放的招生。"],
    deadline => ["Application deadline", "Срок подачи заявок", "申请截止日期"],
    status => ["Status", "Статус", "状态"],
    my_applications => ["My applications", "Мои заявки", "我的申请"],
    my_reviews => ["My review assignments", "Мои рецензии", "我的评审任务"],
    no_reviews => ["No application is assigned to you yet.", "Вам пока не назначены заявки.", "尚未给您分配申请。"],
    review => ["Review", "Рецензия", "评审"],
    blind_note => [
        "Review is blind: names, contact details and photos are hidden.",
        "Рецензирование слепое: имена, контакты и фотографии скрыты.",
        "评审为匿名评审：姓名、联系方式和照片均已隐藏。"
    ],
    save_scores => ["Save scores", "Сохранить оценки", "保存评分"],
    result => ["Result", "Результат", "结果"],
    statistics => ["Statistics", "Статистика", "统计"],
    download_csv => ["Download CSV", "Скачать CSV", "下载CSV"],
    applications => ["Applications", "Заявки", "申请"],
    placements => ["Placements", "Зачисления", "录取"],
    year => ["Year", "Год", "年份"],
    programme => ["Programme", "Программа", "项目"],
    from_country => ["From", "Откуда", "来源国"],
    to_country => ["To", "Куда", "目的国"],
    by_pair => ["By country pair", "По парам стран", "按国家对"],
    api_hint => [
        "Open an application to fill in its pages, upload its documents and submit it; the same steps are in the API (see /api/openapi.json).",
        "Откройте заявку, чтобы заполнить её страницы, загрузить документы и подать её; те же шаги есть в API (см. /api/openapi.json).",
        "打开申请即可逐页填写、上传材料并提交；同样的步骤也可通过API完成（见 /api/openapi.json）。"
    ],
    missing => ["Still missing", "Ещё не заполнено", "尚缺"],
}}

fn lang_of(headers: &axum::http::HeaderMap) -> Lang {
    caravan_web::ui::ui_lang(headers)
}

fn status_text(status: ApplicationStatus) -> &'static str {
    status.as_str()
}

/// `GET /scholarships`: calls, one's applications with their results, one's review assignments.
pub async fn home_page(
    State(state): State<AppState>,
    caller: MaybeCaller,
    headers: axum::http::HeaderMap,
) -> Response {
    let lang = lang_of(&headers);
    let Some(caller) = caller.0 else {
        return axum::response::Redirect::to("/login").into_response();
    };
    match home_markup(&state, &caller, lang).await {
        Ok(body) => caravan_web::ui::page(
            StatusCode::OK,
            caravan_web::ui::layout(lang, Some(&caller), t(lang, SchKey::title), body),
        ),
        Err(err) => caravan_web::ui::error_page(lang, Some(&caller), &err),
    }
}

fn title_in(call: &Call, lang: Lang) -> &str {
    match lang {
        Lang::Ru => &call.spec.title.ru,
        Lang::Zh => &call.spec.title.zh,
        _ => &call.spec.title.en,
    }
}

async fn home_markup(state: &AppState, caller: &Caller, lang: Lang) -> Result<Markup, ApiError> {
    let service::Home { calls, mine, reviews } = service::home(state, caller).await?;
    Ok(html! {
        h1 { (t(lang, SchKey::title)) }
        p { a href="/scholarships/statistics" { (t(lang, SchKey::statistics)) } }
        h2 { (t(lang, SchKey::calls)) }
        (pages::new_call_link(lang, caller))
        @if calls.is_empty() { p { (t(lang, SchKey::no_calls)) } }
        @else {
            table #calls {
                thead { tr { th scope="col" { "#" } th scope="col" { (t(lang, SchKey::title)) } th scope="col" { (t(lang, SchKey::deadline)) } th scope="col" { (t(lang, SchKey::status)) } td {} } }
                tbody { @for c in &calls { tr id={ "call-" (c.id) } {
                    td { (c.id) } td { (title_in(c, lang)) } td { (rfc3339(c.spec.application_deadline)) } td { (c.status.as_str()) }
                    td { (pages::call_actions(lang, caller, c, mine.iter().any(|m| m.app.call_id == c.id))) }
                } } }
            }
        }
        @if !mine.is_empty() {
            h2 { (t(lang, SchKey::my_applications)) }
            p { (t(lang, SchKey::api_hint)) }
            @for service::MyApplication { app, call, result, missing } in &mine {
                section.application id={ "application-" (app.id) } {
                    h3 { (title_in(call, lang)) " — #" (app.id) " " (pages::application_link(lang, app)) }
                    p { (t(lang, SchKey::status)) ": " strong { (status_text(app.status)) } }
                    @if !missing.is_empty() && app.status == ApplicationStatus::Draft { p { (t(lang, SchKey::missing)) ": " (missing.join(", ")) } }
                    p.result { (t(lang, SchKey::result)) ": " (result.explanation) }
                }
            }
        }
        @if caller.user.role == Role::Reviewer {
            h2 { (t(lang, SchKey::my_reviews)) }
            p { (t(lang, SchKey::blind_note)) }
            @if reviews.is_empty() { p { (t(lang, SchKey::no_reviews)) } }
            ul { @for r in &reviews { li { a href={ "/scholarships/reviews/" (r.id) } { (t(lang, SchKey::review)) " #" (r.id) } @if r.scores.is_some() { " ✓" } } } }
        }
    })
}

/// `GET /scholarships/reviews/{id}`: the blind application and the scoring form.
pub async fn review_page(
    State(state): State<AppState>,
    caller: MaybeCaller,
    headers: axum::http::HeaderMap,
    Path(id): Path<i64>,
) -> Response {
    let lang = lang_of(&headers);
    let Some(caller) = caller.0 else {
        return axum::response::Redirect::to("/login").into_response();
    };
    let view = match load_review(&state, &caller, id).await {
        Ok(review) => blind_view(&state, &review).await,
        Err(err) => Err(err),
    };
    match view {
        Ok(v) => caravan_web::ui::page(
            StatusCode::OK,
            caravan_web::ui::layout(
                lang,
                Some(&caller),
                t(lang, SchKey::review),
                review_markup(&v, &caller, lang, None),
            ),
        ),
        Err(err) => caravan_web::ui::error_page(lang, Some(&caller), &err),
    }
}

fn review_markup(
    v: &BlindApplication,
    caller: &Caller,
    lang: Lang,
    error: Option<&ApiError>,
) -> Markup {
    html! {
        h1 { (t(lang, SchKey::review)) " #" (v.review_id) }
        p { (t(lang, SchKey::blind_note)) }
        @if let Some(err) = error { p.error role="alert" { (err.message) } }
        dl {
            dt { "Call" } dd { (v.call_title) }
            @if let Some(level) = &v.level { dt { "Level" } dd { (level) } }
            @if let Some(s) = &v.study { dt { "Study" } dd { (s.degree) ", " (s.field) ", " (s.graduation_year) } }
            dt { "Choices" } dd { ol { @for c in &v.choices { li { (c) } } } }
            dt { "Documents" } dd { @for d in &v.documents { a href={ "/api/v1/scholarship/documents/" (d) } { "PDF " (d) } " " } }
        }
        form method="post" action={ "/scholarships/reviews/" (v.review_id) } {
            input type="hidden" name="csrf_token" value=(caller.csrf_token());
            @for c in &v.criteria {
                p {
                    label for={ "score-" (c.key) } { (c.name) " (0–" (c.max_score) ", weight " (c.weight) ")" }
                    input id={ "score-" (c.key) } type="number" min="0" max=(c.max_score) required name=(c.key)
                        value=[v.scores.as_ref().and_then(|s| s.get(&c.key))];
                }
            }
            button type="submit" { (t(lang, SchKey::save_scores)) }
        }
    }
}

/// `POST /scholarships/reviews/{id}`: saves the scores from the form.
pub async fn review_submit(
    State(state): State<AppState>,
    caller: Caller,
    headers: axum::http::HeaderMap,
    Path(id): Path<i64>,
    axum::extract::Form(form): axum::extract::Form<HashMap<String, String>>,
) -> Response {
    let lang = lang_of(&headers);
    let mut scores = BTreeMap::new();
    let mut bad = None;
    for (k, v) in &form {
        if k == "csrf_token" {
            continue;
        }
        match v.trim().parse::<u32>() {
            Ok(n) => {
                scores.insert(k.clone(), n);
            }
            Err(_) => {
                bad = Some(invalid(format!("scores.{k}"), format!("{k}: give a whole number")))
            }
        }
    }
    let outcome = match bad {
        Some(err) => Err(err),
        None => service::score(&state, &caller, id, ScoreRequest { scores }).await.map(|_| ()),
    };
    match outcome {
        Ok(()) => {
            axum::response::Redirect::to(&format!("/scholarships/reviews/{id}")).into_response()
        }
        Err(err) => match load_review(&state, &caller, id).await {
            Ok(review) => match blind_view(&state, &review).await {
                Ok(v) => caravan_web::ui::page(
                    err.status,
                    caravan_web::ui::layout(
                        lang,
                        Some(&caller),
                        t(lang, SchKey::review),
                        review_markup(&v, &caller, lang, Some(&err)),
                    ),
                ),
                Err(e) => caravan_web::ui::error_page(lang, Some(&caller), &e),
            },
            Err(e) => caravan_web::ui::error_page(lang, Some(&caller), &e),
        },
    }
}

/// A horizontal bar chart of counts, through the shared [`caravan_web::chart`].
fn bar_chart(title: &str, bars: &[(String, u64)]) -> Markup {
    let svg = caravan_web::chart::bar_chart(&caravan_web::chart::BarChart {
        title: title.to_owned(),
        y_label: title.to_owned(),
        bars: bars.iter().map(|(label, value)| (label.clone(), *value as f64)).collect(),
    });
    html! { figure { (maud::PreEscaped(svg)) figcaption { (title) } } }
}

/// `GET /scholarships/statistics`: tables and bar charts, with CSV export.
pub async fn statistics_page(
    State(state): State<AppState>,
    caller: MaybeCaller,
    headers: axum::http::HeaderMap,
) -> Response {
    let lang = lang_of(&headers);
    let Some(caller) = caller.0 else {
        return axum::response::Redirect::to("/login").into_response();
    };
    let rows = match statistics_rows(&state).await {
        Ok(rows) => rows,
        Err(err) => return caravan_web::ui::error_page(lang, Some(&caller), &err),
    };
    let mut pairs: BTreeMap<String, (u64, u64)> = BTreeMap::new();
    for r in &rows {
        let e = pairs.entry(format!("{} → {}", r.from, r.to)).or_default();
        e.0 += r.applications;
        e.1 += r.placements;
    }
    let apps: Vec<(String, u64)> = pairs.iter().map(|(k, v)| (k.clone(), v.0)).collect();
    let placed: Vec<(String, u64)> = pairs.iter().map(|(k, v)| (k.clone(), v.1)).collect();
    let body = html! {
        h1 { (t(lang, SchKey::statistics)) }
        p { a href="/api/v1/scholarship/statistics?format=csv" download { (t(lang, SchKey::download_csv)) } }
        h2 { (t(lang, SchKey::by_pair)) }
        (bar_chart(t(lang, SchKey::applications), &apps))
        (bar_chart(t(lang, SchKey::placements), &placed))
        table {
            thead { tr { th { (t(lang, SchKey::year)) } th { (t(lang, SchKey::programme)) } th { (t(lang, SchKey::from_country)) } th { (t(lang, SchKey::to_country)) } th { (t(lang, SchKey::applications)) } th { (t(lang, SchKey::placements)) } } }
            tbody { @for r in &rows { tr { td { (r.year) } td { (r.programme) } td { (r.from) } td { (r.to) } td { (r.applications) } td { (r.placements) } } } }
        }
    };
    caravan_web::ui::page(
        StatusCode::OK,
        caravan_web::ui::layout(lang, Some(&caller), t(lang, SchKey::statistics), body),
    )
}

// ---------------------------------------------------------------------------------------------

/// The OpenAPI paths of this module, merged into `caravan_server::openapi`.
#[derive(OpenApi)]
#[openapi(paths(
    calls,
    create_call,
    call,
    update_call,
    set_call_status,
    create_application,
    my_applications,
    application,
    save_page,
    upload_document,
    document,
    submit,
    endorse,
    call_applications,
    assign,
    reviews,
    review,
    score,
    ranking,
    place,
    placements,
    publish,
    result,
    statistics,
))]
pub struct ApiDoc;

/// This module's routes: its API under `/api/v1` and its pages.
pub fn routes() -> Router<AppState> {
    let api = "/api/v1/scholarship";
    Router::new()
        .route(&format!("{api}/calls"), get(calls).post(create_call))
        .route(&format!("{api}/calls/{{id}}"), get(call).put(update_call))
        .route(&format!("{api}/calls/{{id}}/status"), post(set_call_status))
        .route(
            &format!("{api}/calls/{{id}}/applications"),
            get(call_applications).post(create_application),
        )
        .route(&format!("{api}/calls/{{id}}/assignments"), post(assign))
        .route(&format!("{api}/calls/{{id}}/ranking"), get(ranking))
        .route(&format!("{api}/calls/{{id}}/placements"), get(placements).post(place))
        .route(&format!("{api}/calls/{{id}}/placements/{{run}}/publish"), post(publish))
        .route(&format!("{api}/applications"), get(my_applications))
        .route(&format!("{api}/applications/{{id}}"), get(application))
        .route(&format!("{api}/applications/{{id}}/pages/{{page}}"), axum::routing::put(save_page))
        .route(
            &format!("{api}/applications/{{id}}/documents"),
            post(upload_document).layer(axum::extract::DefaultBodyLimit::max(MAX_DOCUMENT_BYTES)),
        )
        .route(&format!("{api}/applications/{{id}}/submit"), post(submit))
        .route(&format!("{api}/applications/{{id}}/endorsement"), post(endorse))
        .route(&format!("{api}/applications/{{id}}/result"), get(result))
        .route(&format!("{api}/documents/{{id}}"), get(document))
        .route(&format!("{api}/reviews"), get(reviews))
        .route(&format!("{api}/reviews/{{id}}"), get(review).post(score))
        .route(&format!("{api}/statistics"), get(statistics))
        .route("/scholarships", get(home_page))
        .route("/scholarships/reviews/{id}", get(review_page).post(review_submit))
        .route("/scholarships/statistics", get(statistics_page))
        .merge(pages::routes())
}

/// The feature's link in the main menu, for those with a part in scholarship programmes.
pub fn navigation() -> Vec<caravan_web::ui::NavLink> {
    use caravan_web::i18n::Key;
    use caravan_web::ui::NavLink;
    vec![NavLink::signed_in("/scholarships", Key::nav_scholarships, service::takes_part)]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_string_has_three_languages() {
        for key in SchKey::ALL {
            for (i, text) in caravan_web::i18n::Text::table(*key).iter().enumerate() {
                assert!(!text.is_empty(), "{key:?} lacks language {i}");
            }
        }
    }

    #[test]
    fn pdf_magic_bytes() {
        assert!(is_pdf(b"%PDF-1.7\n"));
        assert!(!is_pdf(b"PK\x03\x04"));
        assert!(!is_pdf(b""));
    }

    #[test]
    fn lottery_is_deterministic_and_varies() {
        use caravan_scholarship::lottery;
        assert_eq!(lottery(7, 5), lottery(7, 5));
        assert_ne!(lottery(7, 5), lottery(8, 5));
    }
}
