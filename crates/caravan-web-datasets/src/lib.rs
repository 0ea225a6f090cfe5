//! Analysts' datasets over HTTP (issues 6 and 7): upload (CSV, validated at upload with errors
//! naming row and column), list, read, share and delete, with the access policy; and the CSV
//! table reader the trade and poverty modules compute from.
//!
//! Policy: analysts and administrators upload; the owner organisation reads its datasets, so do
//! the organisations a dataset is shared with, every analyst when it is shared with all analysts,
//! and the platform operator's administrators; the uploader, an administrator of the owner
//! organisation, or a platform administrator deletes and shares.

use axum::Json;
use axum::Router;
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use caravan_refdata::Lang;
use caravan_store::datasets::{Dataset, MAX_DATASET_BYTES};
use maud::{Markup, html};
use serde::Deserialize;
use utoipa::{IntoParams, OpenApi, ToSchema};

use caravan_web::AppState;
use caravan_web::auth::Caller;
use caravan_web::error::{ApiError, ApiJson, ApiQuery, ErrorBody};
use caravan_web::i18n::t;

pub mod service;

pub use service::{
    Table, can_delete_dataset, can_read_dataset, can_upload_dataset, create, load, parse_table,
    readable, remove, visible,
};

/// The OpenAPI paths of this crate, merged into `caravan_server::openapi`.
#[derive(OpenApi)]
#[openapi(paths(upload, list, get, delete, share))]
pub struct ApiDoc;

/// The dataset routes (they serve trade and poverty alike), with their own body limit.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route(
            "/api/v1/datasets",
            axum::routing::get(list)
                .post(upload)
                .layer(axum::extract::DefaultBodyLimit::max(MAX_DATASET_BYTES)),
        )
        .route("/api/v1/datasets/{id}", axum::routing::get(get).delete(delete))
        .route("/api/v1/datasets/{id}/sharing", axum::routing::put(share))
}

/// Query of `POST /api/v1/datasets`.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct UploadParams {
    /// `trade` or `survey`.
    #[param(pattern = "^(trade|survey)$")]
    pub kind: String,
    /// A name for people, 1–200 characters.
    #[param(min_length = 1, max_length = 200, pattern = r"\S")]
    pub name: String,
    /// Comma-separated columns that must hold numbers >= 0 in every row (checked now).
    pub numeric: Option<String>,
    /// Share with every analyst on the platform (default false: the owner organisation only).
    pub share_all_analysts: Option<bool>,
}

/// Upload a dataset: the body is CSV with a header row (at most 64 MiB). It is parsed now: every
/// row must have as many fields as the header, and the `numeric` columns must hold numbers >= 0;
/// errors name the row (line of the file, header = 1) and the column.
#[utoipa::path(post, path = "/api/v1/datasets", tag = "datasets", params(UploadParams),
    request_body(content = String, content_type = "text/csv"),
    responses((status = 201, body = Dataset), (status = 403, body = ErrorBody), (status = 413, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn upload(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(params): ApiQuery<UploadParams>,
    body: Result<Bytes, BytesRejection>,
) -> Result<(StatusCode, Json<Dataset>), ApiError> {
    let bytes = body.map_err(|e| {
        ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "request.too_large",
            format!("the upload could not be read ({}); datasets are limited to {MAX_DATASET_BYTES} bytes", e.body_text()),
        )
        .with_field("body")
    })?;
    let dataset = create(&state, &caller, &params, bytes.to_vec()).await?;
    Ok((StatusCode::CREATED, Json(dataset)))
}

/// Datasets the caller may read, oldest first.
#[utoipa::path(get, path = "/api/v1/datasets", tag = "datasets", operation_id = "list_datasets",
    responses((status = 200, body = Vec<Dataset>), (status = 401, body = ErrorBody)))]
pub async fn list(
    State(state): State<AppState>,
    caller: Caller,
) -> Result<Json<Vec<Dataset>>, ApiError> {
    Ok(Json(visible(&state, &caller, None).await?))
}

/// One dataset's metadata (columns, rows, owner, sharing).
#[utoipa::path(get, path = "/api/v1/datasets/{id}", tag = "datasets", params(("id" = i64, Path)),
    responses((status = 200, body = Dataset), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn get(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
) -> Result<Json<Dataset>, ApiError> {
    Ok(Json(readable(&state, &caller, id).await?))
}

/// Delete a dataset (its uploader, an administrator of its organisation, or a platform administrator).
#[utoipa::path(delete, path = "/api/v1/datasets/{id}", tag = "datasets", params(("id" = i64, Path)),
    responses((status = 204), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn delete(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
) -> Result<StatusCode, ApiError> {
    remove(&state, &caller, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Body of `PUT /api/v1/datasets/{id}/sharing`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SharingRequest {
    /// Organisations whose members may read the dataset.
    #[serde(default)]
    pub org_ids: Vec<i64>,
    /// Every analyst on the platform may read it.
    #[serde(default)]
    pub all_analysts: bool,
}

/// Replace whom a dataset is shared with (besides its owner organisation).
#[utoipa::path(put, path = "/api/v1/datasets/{id}/sharing", tag = "datasets", params(("id" = i64, Path)),
    request_body = SharingRequest,
    responses((status = 200, body = Dataset), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn share(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
    ApiJson(req): ApiJson<SharingRequest>,
) -> Result<Json<Dataset>, ApiError> {
    Ok(Json(service::share(&state, &caller, id, req).await?))
}

caravan_web::strings! { DatasetKey {
    name => ["Name", "Название", "名称"],
    csv_file => ["CSV file", "Файл CSV", "CSV 文件"],
    csv => ["…or paste the CSV text", "…или вставьте текст CSV", "…或粘贴 CSV 文本"],
    numeric => ["Numeric columns (comma-separated, checked now)", "Числовые столбцы (через запятую, проверяются сразу)", "数值列（逗号分隔，立即检查）"],
    submit_upload => ["Upload", "Загрузить", "上传"],
    rows => ["rows", "строк", "行"],
    columns => ["Columns", "Столбцы", "列"],
} }

/// The paste-a-CSV upload form shared by the trade and poverty pages.
pub fn upload_form_markup(
    lang: Lang,
    caller: &Caller,
    action: &str,
    heading: &str,
    hint: &str,
) -> Markup {
    html! {
        h2 { (heading) }
        form.card method="post" action=(action) enctype="multipart/form-data" {
            p { (hint) }
            // The CSRF guard reads a multipart form's first part: the token goes first.
            input type="hidden" name="csrf_token" value=(caller.csrf_token());
            label for="ds-name" { (t(lang, DatasetKey::name)) }
            input #ds-name name="name" required maxlength="200";
            label for="ds-numeric" { (t(lang, DatasetKey::numeric)) }
            input #ds-numeric name="numeric";
            label for="ds-file" { (t(lang, DatasetKey::csv_file)) }
            input #ds-file type="file" name="file" accept=".csv,text/csv";
            label for="ds-csv" { (t(lang, DatasetKey::csv)) }
            textarea #ds-csv name="csv" rows="6" {}
            button type="submit" { (t(lang, DatasetKey::submit_upload)) }
        }
    }
}

/// A dataset upload from the browser's form: a chosen CSV file, or else the pasted text.
pub struct UploadForm {
    pub name: String,
    pub numeric: String,
    pub csv: Vec<u8>,
}

/// CSV text, not a binary file: no NUL byte in its first 8 KiB (RFC 4180 text; a spreadsheet
/// or Parquet file has them).
fn looks_like_text(bytes: &[u8]) -> bool {
    !bytes[..bytes.len().min(8192)].contains(&0)
}

/// Reads the upload form (multipart, at most [`MAX_DATASET_BYTES`] per file).
///
/// # Errors
/// 413/415/400 from [`caravan_web::multipart::read_form`]; 400 naming `file` when neither a file
/// nor pasted text came.
pub async fn read_upload_form(multipart: axum::extract::Multipart) -> Result<UploadForm, ApiError> {
    let rule = caravan_web::multipart::FileRule {
        max_bytes: MAX_DATASET_BYTES,
        type_name: "CSV text file",
        accepts: looks_like_text,
    };
    let form = caravan_web::multipart::read_form(multipart, &rule).await?;
    let csv = match form.file("file").filter(|f| !f.content.is_empty()) {
        Some(file) => file.content.clone(),
        None => form.field("csv").unwrap_or_default().as_bytes().to_vec(),
    };
    if csv.iter().all(u8::is_ascii_whitespace) {
        return Err(ApiError::bad_request(
            "upload.missing_file",
            "choose a CSV file or paste the CSV text",
        )
        .with_field("file"));
    }
    Ok(UploadForm {
        name: form.field("name").unwrap_or_default().to_owned(),
        numeric: form.field("numeric").unwrap_or_default().to_owned(),
        csv,
    })
}

#[cfg(test)]
mod tests {
    use caravan_refdata::Lang;
    use caravan_web::i18n::has_translation;

    use super::DatasetKey;

    #[test]
    fn every_string_is_translated() {
        for key in DatasetKey::ALL {
            for lang in [Lang::En, Lang::Ru, Lang::Zh] {
                assert!(has_translation(lang, *key), "{key:?} has no {lang:?} text");
            }
        }
    }
}
