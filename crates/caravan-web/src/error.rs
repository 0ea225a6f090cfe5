//! The one error shape of the API: `{"error": {"code", "message", "field"}}` with stable codes.

use axum::Json;
use axum::extract::rejection::{JsonRejection, QueryRejection};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use caravan_store::StoreError;
use serde::Serialize;

/// How long a client should wait before trying again when the store is unavailable (seconds).
pub const RETRY_AFTER_SECONDS: u16 = 60;

/// An error answered to an API client.
#[derive(Debug, Clone)]
pub struct ApiError {
    pub status: StatusCode,
    /// Stable, machine-readable, dotted: `auth.unauthenticated`, `request.invalid_json`, …
    pub code: &'static str,
    pub message: String,
    /// The request field at fault (a JSON path, query or path parameter), when there is one.
    pub field: Option<String>,
    /// Seconds to wait before trying again, answered as `Retry-After`.
    pub retry_after: Option<u16>,
}

/// The JSON body of every error response.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ErrorDetail {
    pub code: String,
    pub message: String,
    pub field: Option<String>,
}

impl ApiError {
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> ApiError {
        ApiError { status, code, message: message.into(), field: None, retry_after: None }
    }

    pub fn with_field(mut self, field: impl Into<String>) -> ApiError {
        self.field = Some(field.into());
        self
    }

    pub fn bad_request(code: &'static str, message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::BAD_REQUEST, code, message)
    }

    pub fn unprocessable(code: &'static str, message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, code, message)
    }

    pub fn not_found(code: &'static str, message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::NOT_FOUND, code, message)
    }

    /// 413: the request's body is larger than the operation accepts; `message` says the limit
    /// and what to do instead.
    pub fn too_large(code: &'static str, message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::PAYLOAD_TOO_LARGE, code, message)
    }

    /// 409: the request is well formed but the thing is not in a state that allows it.
    pub fn conflict(code: &'static str, message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::CONFLICT, code, message)
    }

    pub fn unauthenticated() -> ApiError {
        ApiError::new(
            StatusCode::UNAUTHORIZED,
            "auth.unauthenticated",
            "log in, or send a valid API token as 'Authorization: Bearer <token>'",
        )
    }

    pub fn forbidden(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::FORBIDDEN, "auth.forbidden", message)
    }

    /// 503 for a store that cannot work now (a full disk, say); answered with `Retry-After`.
    pub fn unavailable(err: impl std::fmt::Display) -> ApiError {
        tracing::warn!(error = %err, "store unavailable");
        ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "store.unavailable",
            "the server cannot write right now: its database is unavailable (a full disk, say); \
             try again in a minute",
        )
        .with_retry_after(RETRY_AFTER_SECONDS)
    }

    /// 503 for a feature that cannot answer now but may later (a busy log, a server without a
    /// data folder): `message` says what to do.
    pub fn unavailable_now(code: &'static str, message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::SERVICE_UNAVAILABLE, code, message)
    }

    pub fn with_retry_after(mut self, seconds: u16) -> ApiError {
        self.retry_after = Some(seconds);
        self
    }

    pub fn internal(err: impl std::fmt::Display) -> ApiError {
        tracing::error!(error = %err, "internal error");
        ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            "the server failed to handle the request; it was logged, please try again",
        )
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let retry_after = self.retry_after;
        let body = ErrorBody {
            error: ErrorDetail {
                code: self.code.to_owned(),
                message: self.message,
                field: self.field,
            },
        };
        let mut response = (self.status, Json(body)).into_response();
        if let Some(seconds) = retry_after {
            response.headers_mut().insert(header::RETRY_AFTER, seconds.into());
        }
        response
    }
}

impl From<StoreError> for ApiError {
    fn from(err: StoreError) -> ApiError {
        match &err {
            StoreError::Conflict { what, .. } => {
                // The conflicting key names the request field (`username`, `api_token`, …).
                ApiError::new(StatusCode::CONFLICT, "store.conflict", err.to_string())
                    .with_field(what.replace(' ', "_"))
            }
            StoreError::NotFound { .. } => ApiError::not_found("store.not_found", err.to_string()),
            StoreError::Unavailable(_) => ApiError::unavailable(err),
            StoreError::Backend(_) | StoreError::Corrupt { .. } => ApiError::internal(err),
        }
    }
}

impl From<JsonRejection> for ApiError {
    fn from(rejection: JsonRejection) -> ApiError {
        match rejection {
            JsonRejection::JsonDataError(err) => {
                // serde_path_to_error-style text from axum: "Failed to deserialize the JSON body
                // into the target type: role: unknown variant `x`, expected one of …"
                let text = err.body_text();
                let detail = text
                    .split_once("target type: ")
                    .map_or(text.as_str(), |(_, rest)| rest)
                    .to_owned();
                let field = detail
                    .split_once(": ")
                    .map(|(path, _)| path.to_owned())
                    .filter(|p| !p.contains(' '));
                let mut error = ApiError::unprocessable("request.invalid_field", detail.clone());
                if let Some(field) = field.or_else(|| missing_field(&detail)) {
                    error = error.with_field(field);
                }
                error
            }
            JsonRejection::JsonSyntaxError(err) => ApiError::bad_request(
                "request.invalid_json",
                format!("the body is not valid JSON: {}", err.body_text()),
            ),
            JsonRejection::MissingJsonContentType(_) => ApiError::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "request.content_type",
                "send the body as JSON with 'Content-Type: application/json'",
            ),
            JsonRejection::BytesRejection(err) => ApiError::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                "request.too_large",
                format!("the body could not be read: {}", err.body_text()),
            ),
            other => ApiError::bad_request("request.invalid", other.body_text()),
        }
    }
}

/// serde names a missing field as "missing field `name`".
fn missing_field(detail: &str) -> Option<String> {
    let start = detail.find("missing field `")? + "missing field `".len();
    let end = detail[start..].find('`')? + start;
    Some(detail[start..end].to_owned())
}

impl From<QueryRejection> for ApiError {
    fn from(rejection: QueryRejection) -> ApiError {
        let text = rejection.body_text();
        let detail =
            text.split_once("query string: ").map_or(text.as_str(), |(_, rest)| rest).to_owned();
        let mut error = ApiError::bad_request("request.invalid_query", detail.clone());
        if let Some(field) = missing_field(&detail) {
            error = error.with_field(field);
        }
        error
    }
}

/// A JSON body extractor whose rejections are [`ApiError`]s.
#[derive(Debug, axum::extract::FromRequest)]
#[from_request(via(axum::Json), rejection(ApiError))]
pub struct ApiJson<T>(pub T);

/// A query extractor whose rejections are [`ApiError`]s.
#[derive(Debug, axum::extract::FromRequestParts)]
#[from_request(via(axum::extract::Query), rejection(ApiError))]
pub struct ApiQuery<T>(pub T);
