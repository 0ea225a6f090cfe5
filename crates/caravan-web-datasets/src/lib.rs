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
use caravan_store::datasets::{Dataset, DatasetKind, MAX_DATASET_BYTES, NewDataset, Sharing};
use caravan_store::{Change, Role};
use maud::{Markup, html};
use serde::Deserialize;
use utoipa::{IntoParams, OpenApi, ToSchema};

use caravan_web::AppState;
use caravan_web::auth::Caller;
use caravan_web::error::{ApiError, ApiJson, ApiQuery, ErrorBody};
use caravan_web::i18n::t;

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

/// May the caller upload datasets? Analysts and administrators.
pub fn can_upload_dataset(caller: &Caller) -> bool {
    matches!(caller.user.role, Role::Analyst | Role::Admin)
}

/// May the caller read (and compute on) `dataset`?
pub fn can_read_dataset(caller: &Caller, dataset: &Dataset) -> bool {
    caller.org.id == dataset.owner_org_id
        || dataset.sharing.org_ids.contains(&caller.org.id)
        || (dataset.sharing.all_analysts && caller.user.role == Role::Analyst)
        || caller.is_global_admin()
}

/// May the caller delete `dataset` or change whom it is shared with?
pub fn can_delete_dataset(caller: &Caller, dataset: &Dataset) -> bool {
    caller.user.id == dataset.owner_user_id
        || (caller.is_admin() && caller.org.id == dataset.owner_org_id)
        || caller.is_global_admin()
}

/// A CSV table as uploaded: the header and the records, every record as long as the header.
#[derive(Debug)]
pub struct Table {
    pub headers: Vec<String>,
    pub records: Vec<csv::StringRecord>,
}

impl Table {
    /// The index of column `name`, which the request gave as parameter `param`.
    ///
    /// # Errors
    /// 422 naming `param` and listing the header when there is no such column.
    pub fn column(&self, name: &str, param: &str) -> Result<usize, ApiError> {
        self.headers.iter().position(|h| h == name).ok_or_else(|| {
            ApiError::unprocessable(
                "dataset.unknown_column",
                format!(
                    "{param}: the dataset has no column {name:?}; its columns are: {}",
                    self.headers.join(", ")
                ),
            )
            .with_field(param)
        })
    }

    /// The text of column `idx` in every row, trimmed.
    pub fn texts(&self, idx: usize) -> Vec<&str> {
        self.records.iter().map(|r| r.get(idx).unwrap_or("").trim()).collect()
    }

    /// Column `idx` (named `name`) as finite numbers, `>= 0` when `non_negative`.
    ///
    /// # Errors
    /// 422 naming the row (line of the file, header = 1) and the column.
    pub fn numbers(
        &self,
        idx: usize,
        name: &str,
        non_negative: bool,
    ) -> Result<Vec<f64>, ApiError> {
        self.records
            .iter()
            .enumerate()
            .map(|(row_idx, record)| {
                let text = record.get(idx).unwrap_or("").trim();
                let line = row_idx + 2;
                let value: f64 = text.parse().ok().filter(|v: &f64| v.is_finite()).ok_or_else(|| {
                    ApiError::unprocessable(
                        "dataset.not_a_number",
                        format!("row {line}, column {name:?}: {text:?} is not a number; fix or remove the row"),
                    )
                    .with_field(name)
                })?;
                if non_negative && value < 0.0 {
                    return Err(ApiError::unprocessable(
                        "dataset.negative_value",
                        format!("row {line}, column {name:?}: negative value {text}; values must be >= 0"),
                    )
                    .with_field(name));
                }
                Ok(value)
            })
            .collect()
    }
}

/// Parses CSV bytes with a header row.
///
/// # Errors
/// 422 for text that is not UTF-8 CSV, an empty or duplicate header name, a row with another
/// number of fields than the header (naming the row), or no data rows.
pub fn parse_table(bytes: &[u8]) -> Result<Table, ApiError> {
    let bad = |message: String| {
        ApiError::unprocessable("dataset.invalid_csv", message).with_field("body")
    };
    let mut reader = csv::ReaderBuilder::new().has_headers(true).from_reader(bytes);
    let headers: Vec<String> = reader
        .headers()
        .map_err(|e| bad(format!("the header row is not valid CSV: {e}")))?
        .iter()
        .enumerate()
        .map(|(i, h)| if i == 0 { h.trim_start_matches('\u{feff}') } else { h }.trim().to_owned())
        .collect();
    if headers.is_empty() || headers.iter().any(String::is_empty) {
        return Err(bad("the header row must name every column; found an empty name".to_owned()));
    }
    for (idx, name) in headers.iter().enumerate() {
        if headers[..idx].contains(name) {
            return Err(bad(format!("column {name:?} appears twice in the header; rename one")));
        }
    }
    let mut records = Vec::new();
    for record in reader.records() {
        let record = record.map_err(|e| {
            let line = e.position().map_or(0, csv::Position::line);
            match e.kind() {
                csv::ErrorKind::UnequalLengths { len, expected_len, .. } => bad(format!(
                    "row {line}: {len} fields where the header has {expected_len}; fix the row"
                )),
                _ => bad(format!("row {line}: not valid CSV text: {e}")),
            }
        })?;
        records.push(record);
    }
    if records.is_empty() {
        return Err(bad("the file has a header but no data rows".to_owned()));
    }
    Ok(Table { headers, records })
}

/// Loads a dataset the caller may read, checking its kind, and parses it.
///
/// # Errors
/// 404 unknown, 403 not shared with the caller, 422 another kind.
pub async fn load(
    state: &AppState,
    caller: &Caller,
    id: i64,
    kind: DatasetKind,
) -> Result<(Dataset, Table), ApiError> {
    let dataset = readable(state, caller, id).await?;
    if dataset.kind != kind {
        return Err(ApiError::unprocessable(
            "dataset.wrong_kind",
            format!(
                "dataset {id} is a {} dataset; this analysis needs a {} dataset",
                dataset.kind.as_str(),
                kind.as_str()
            ),
        )
        .with_field("id"));
    }
    let bytes = state.store.dataset_bytes(id).await?.ok_or_else(|| {
        ApiError::not_found("dataset.not_found", format!("no dataset {id}")).with_field("id")
    })?;
    let table = parse_table(&bytes)?;
    Ok((dataset, table))
}

async fn readable(state: &AppState, caller: &Caller, id: i64) -> Result<Dataset, ApiError> {
    let dataset = state.store.dataset(id).await?.ok_or_else(|| {
        ApiError::not_found("dataset.not_found", format!("no dataset {id}")).with_field("id")
    })?;
    if !can_read_dataset(caller, &dataset) {
        return Err(ApiError::forbidden(format!(
            "dataset {id} belongs to another organisation and is not shared with yours"
        )));
    }
    Ok(dataset)
}

fn change(state: &AppState, caller: &Caller) -> Change {
    Change { actor: caller.actor(), at: (state.clock)() }
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

/// Validates and stores an uploaded CSV; the body is the file.
///
/// # Errors
/// 403 for roles that may not upload; 4xx naming the field, row and column for bad input.
pub async fn create(
    state: &AppState,
    caller: &Caller,
    params: &UploadParams,
    bytes: Vec<u8>,
) -> Result<Dataset, ApiError> {
    if !can_upload_dataset(caller) {
        return Err(ApiError::forbidden("only analysts and administrators upload datasets"));
    }
    let kind = DatasetKind::parse(&params.kind).ok_or_else(|| {
        ApiError::bad_request(
            "dataset.invalid_kind",
            format!("kind must be trade or survey, got {:?}", params.kind),
        )
        .with_field("kind")
    })?;
    let name = params.name.trim();
    if name.is_empty() || name.chars().count() > 200 {
        return Err(ApiError::bad_request(
            "dataset.invalid_name",
            "name must be 1 to 200 characters",
        )
        .with_field("name"));
    }
    let table = parse_table(&bytes)?;
    for column in
        params.numeric.as_deref().unwrap_or("").split(',').map(str::trim).filter(|c| !c.is_empty())
    {
        let idx = table.column(column, "numeric")?;
        table.numbers(idx, column, true)?;
    }
    let new = NewDataset {
        kind,
        name: name.to_owned(),
        owner_user_id: caller.user.id,
        owner_org_id: caller.org.id,
        n_rows: table.records.len() as i64,
        columns: table.headers,
        sharing: Sharing {
            org_ids: Vec::new(),
            all_analysts: params.share_all_analysts.unwrap_or(false),
        },
        bytes,
    };
    Ok(state.store.create_dataset(&change(state, caller), &new).await?)
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

/// The datasets the caller may read.
///
/// # Errors
/// Store failures.
pub async fn visible(
    state: &AppState,
    caller: &Caller,
    kind: Option<DatasetKind>,
) -> Result<Vec<Dataset>, ApiError> {
    let all = state.store.datasets().await?;
    Ok(all
        .into_iter()
        .filter(|d| can_read_dataset(caller, d) && kind.is_none_or(|k| d.kind == k))
        .collect())
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

/// Deletes a dataset the caller may delete.
///
/// # Errors
/// 404 unknown, 403 not allowed.
pub async fn remove(state: &AppState, caller: &Caller, id: i64) -> Result<(), ApiError> {
    let dataset = readable(state, caller, id).await?;
    if !can_delete_dataset(caller, &dataset) {
        return Err(ApiError::forbidden(
            "only the uploader or an administrator of its organisation deletes a dataset",
        ));
    }
    Ok(state.store.delete_dataset(&change(state, caller), id).await?)
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
    let dataset = readable(&state, &caller, id).await?;
    if !can_delete_dataset(&caller, &dataset) {
        return Err(ApiError::forbidden(
            "only the uploader or an administrator of its organisation shares a dataset",
        ));
    }
    for (idx, org_id) in req.org_ids.iter().enumerate() {
        if state.store.organisation(*org_id).await?.is_none() {
            return Err(ApiError::unprocessable(
                "dataset.unknown_org",
                format!("no organisation {org_id}"),
            )
            .with_field(format!("org_ids[{idx}]")));
        }
    }
    let sharing = Sharing { org_ids: req.org_ids, all_analysts: req.all_analysts };
    Ok(Json(state.store.set_dataset_sharing(&change(&state, &caller), id, &sharing).await?))
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
