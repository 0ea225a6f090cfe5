//! The dataset feature's operations: upload (CSV checked at upload, errors naming row and
//! column), listing what a caller may read, reading, sharing and deleting, the access policy,
//! and the CSV table the trade and poverty features compute from. Typed functions
//! `(state, caller, input) -> Result<output, ApiError>`; the API handlers and the upload form
//! are thin over them. Nothing here knows HTTP.

use caravan_store::datasets::{Dataset, DatasetKind, NewDataset, Sharing};
use caravan_store::{Change, Role};

use caravan_web::AppState;
use caravan_web::auth::Caller;
use caravan_web::error::ApiError;

use crate::{SharingRequest, UploadParams};

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

/// Dataset `id` when the caller may read it ([`can_read_dataset`]).
///
/// # Errors
/// 404 unknown, 403 not shared with the caller.
pub async fn readable(state: &AppState, caller: &Caller, id: i64) -> Result<Dataset, ApiError> {
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

pub(crate) fn change(state: &AppState, caller: &Caller) -> Change {
    Change { actor: caller.actor(), at: (state.clock)() }
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

/// Replaces whom dataset `id` is shared with (besides its owner organisation): its uploader,
/// an administrator of its organisation, or a platform administrator.
///
/// # Errors
/// 404 unknown, 403 not allowed, 422 naming `org_ids[i]` for an unknown organisation.
pub async fn share(
    state: &AppState,
    caller: &Caller,
    id: i64,
    req: SharingRequest,
) -> Result<Dataset, ApiError> {
    let dataset = readable(state, caller, id).await?;
    if !can_delete_dataset(caller, &dataset) {
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
    Ok(state.store.set_dataset_sharing(&change(state, caller), id, &sharing).await?)
}
