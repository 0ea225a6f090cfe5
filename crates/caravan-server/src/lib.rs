//! Caravan's HTTP server, assembled: the axum router over every feature crate (JSON API under
//! `/api/v1`, the web UI, `/healthz`, `/metrics`, `/api/openapi.json`), the middleware (CSRF
//! protection, security headers, JSON rejections, request limits, metrics), the backbone's API
//! and pages (login, organisations, users, tokens, audit, HS and reference data), the state of
//! every feature ([`features`]) and graceful shutdown.
//!
//! The core every feature shares is `caravan-web`; each feature is a crate of its own
//! (`caravan-web-certs`, `-tariff`, `-declarations`, `-datasets`, `-trade`, `-poverty`, `-land`,
//! `-scholarship`), re-exported here under its short name.
//!
//! Architecture invariant: every handler that reads or writes someone's data takes a
//! [`auth::Caller`] and asks the policy functions in [`auth`]; reference data is public.

pub mod api;
pub mod ui;

pub use caravan_web::{
    AppState, Features, MAX_BODY_BYTES, ServerConfig, all_audit_entries, auth, chart, error, i18n,
    metrics, multipart,
};
pub use caravan_web_certs as certs;
pub use caravan_web_datasets as datasets;
pub use caravan_web_declarations as declarations;
pub use caravan_web_land as land;
pub use caravan_web_poverty as poverty;
pub use caravan_web_scholarship as scholarship;
pub use caravan_web_tariff as tariff;
pub use caravan_web_trade as trade;

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Instant;

use axum::Router;
use axum::body::Body;
use axum::extract::{DefaultBodyLimit, MatchedPath, Request, State};
use axum::http::{StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, post};
use caravan_refdata::ReferenceData;
use caravan_store::Store;
use utoipa::OpenApi;

use crate::error::ApiError;

/// Every feature's own state, fresh: the tariff schedules and rule books compiled, the single
/// window's code lists and writer, the certificate verification cache and signature batcher,
/// and no UNTP JSON Schemas (`caravan serve --untp-schemas` installs its own with
/// [`Features::with`]).
///
/// # Errors
/// A shipped schedule, rule book or code list that does not compile (a build defect; the
/// message names the file).
pub fn features() -> anyhow::Result<Features> {
    Ok(Features::new()
        .with(tariff::TariffData::load()?)
        .with(declarations::Window::load()?)
        .with(certs::VerifyCache::default())
        .with(certs::signatures::SignatureBatcher::default())
        .with(certs::UntpSchemas::default()))
}

/// The state of a server over `store`, with every feature's state ([`features`]) and the
/// system clock.
///
/// # Errors
/// As [`features`] and [`AppState::new`].
pub fn state(
    store: Arc<dyn Store>,
    refdata: Arc<ReferenceData>,
    config: ServerConfig,
) -> anyhow::Result<AppState> {
    AppState::new(store, refdata, config, features()?)
}

#[derive(OpenApi)]
#[openapi(
    info(title = "Caravan API", description = "China–Central Asia smooth-trade platform. Errors: {\"error\": {\"code\", \"message\", \"field\"}}."),
    paths(
        api::hs_get, api::hs_search, api::countries, api::currencies, api::units,
        api::login, api::logout, api::me, api::change_password, api::tokens, api::create_token,
        api::revoke_token,
        api::organisations, api::create_organisation, api::organisation, api::organisation_users,
        api::create_user, api::set_user_active, api::audit, api::healthz,
    ),
    modifiers(&SecurityAddon),
)]
pub struct ApiDoc;

struct SecurityAddon;

impl utoipa::Modify for SecurityAddon {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::security::{
            ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme,
        };
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
        components.add_security_scheme(
            "session",
            SecurityScheme::ApiKey(ApiKey::Cookie(ApiKeyValue::new(auth::SESSION_COOKIE))),
        );
    }
}

/// The OpenAPI 3.1 document, generated from the handlers' annotations.
pub fn openapi() -> utoipa::openapi::OpenApi {
    let mut doc = ApiDoc::openapi();
    doc.merge(certs::ApiDoc::openapi());
    doc.merge(declarations::ApiDoc::openapi());
    doc.merge(tariff::ApiDoc::openapi());
    doc.merge(datasets::ApiDoc::openapi());
    doc.merge(trade::ApiDoc::openapi());
    doc.merge(poverty::ApiDoc::openapi());
    doc.merge(land::ApiDoc::openapi());
    doc.merge(scholarship::ApiDoc::openapi());
    document_common_errors(&mut doc);
    doc
}

/// Documents the errors every operation of a kind can answer, whatever its handler does, so
/// generated clients and schemathesis expect them (issue 22, finding 11): 400 when a path or
/// query parameter does not parse, 404 for a path naming nothing, and for a body 413 when it is
/// too large, 415 for the wrong `Content-Type` and 422 for JSON of the wrong shape.
fn document_common_errors(doc: &mut utoipa::openapi::OpenApi) {
    use utoipa::openapi::path::{Operation, ParameterIn};
    use utoipa::openapi::{ContentBuilder, Ref, ResponseBuilder};
    let error = |description: &str| {
        let content =
            ContentBuilder::new().schema(Some(Ref::from_schema_name("ErrorBody"))).build();
        ResponseBuilder::new().description(description).content("application/json", content).build()
    };
    let add = |op: &mut Operation, status: &str, description: &str| {
        op.responses
            .responses
            .entry(status.to_owned())
            .or_insert_with(|| error(description).into());
    };
    for item in doc.paths.paths.values_mut() {
        let ops = [&mut item.get, &mut item.put, &mut item.post, &mut item.delete, &mut item.patch];
        for op in ops.into_iter().flatten() {
            let params = op.parameters.as_deref().unwrap_or_default();
            let has_params = !params.is_empty();
            let has_path_params = params.iter().any(|p| p.parameter_in == ParameterIn::Path);
            if has_params || op.request_body.is_some() {
                add(op, "400", "A parameter or the body cannot be read");
            }
            if has_path_params {
                add(op, "404", "Nothing at this path, or nothing the caller may see");
            }
            let Some(body) = &op.request_body else { continue };
            let json = body.content.keys().any(|media_type| media_type.ends_with("json"));
            add(op, "413", "The body is too large");
            add(op, "415", "The body is not of the documented media type");
            if json {
                add(op, "422", "The body is JSON of the wrong shape; `field` names the field");
            }
        }
    }
}

/// The main menu of every page, in order: the public tools, each feature's pages (each link
/// shown only to the visitors the feature's policy lets use it), then the account pages.
pub fn navigation() -> Vec<caravan_web::ui::NavLink> {
    [
        caravan_web::ui::core_navigation(),
        certs::navigation(),
        tariff::navigation(),
        declarations::navigation(),
        trade::navigation(),
        poverty::navigation(),
        land::navigation(),
        scholarship::navigation(),
        caravan_web::ui::account_navigation(),
    ]
    .concat()
}

/// The whole application.
pub fn router(state: AppState) -> Router {
    caravan_web::ui::install_navigation(navigation());
    let api = Router::new()
        .route("/hs/search", get(api::hs_search))
        .route("/hs/{code}", get(api::hs_get))
        .route("/countries", get(api::countries))
        .route("/currencies", get(api::currencies))
        .route("/units", get(api::units))
        .route("/auth/login", post(api::login))
        .route("/auth/logout", post(api::logout))
        .route("/me", get(api::me))
        .route("/me/password", post(api::change_password))
        .route("/tokens", get(api::tokens).post(api::create_token))
        .route("/tokens/{id}", delete(api::revoke_token))
        .route("/organisations", get(api::organisations).post(api::create_organisation))
        .route("/organisations/{id}", get(api::organisation))
        .route("/organisations/{id}/users", get(api::organisation_users))
        .route("/users", post(api::create_user))
        .route("/users/{id}/active", post(api::set_user_active))
        .route("/audit", get(api::audit));
    Router::new()
        .nest("/api/v1", api)
        .route("/api/openapi.json", get(|| async { axum::Json(openapi()) }))
        .route("/healthz", get(api::healthz))
        .route("/metrics", get(metrics_endpoint))
        .route("/", get(ui::home))
        .route("/static/app.css", get(caravan_web::ui::stylesheet))
        .route("/lang/{code}", get(caravan_web::ui::set_lang))
        .route("/login", get(ui::login_form).post(ui::login_submit))
        .route("/logout", post(ui::logout))
        .route("/hs", get(ui::hs_search))
        .route("/hs/{code}", get(ui::hs_detail))
        .route("/reference", get(ui::reference))
        .route("/admin/organisations", get(ui::organisations).post(ui::create_organisation))
        .route("/admin/organisations/{id}", get(ui::organisation))
        .route("/admin/organisations/{id}/users", post(ui::create_user))
        .route("/admin/users/{id}/active", post(ui::set_user_active))
        .route("/tokens", get(ui::tokens).post(ui::create_token))
        .route("/tokens/{id}/revoke", post(ui::revoke_token))
        .route("/audit", get(ui::audit))
        .route("/account/password", get(ui::password_form).post(ui::change_password))
        .merge(certs::routes())
        .merge(declarations::routes())
        .merge(tariff::routes())
        .merge(trade::routes())
        .merge(poverty::routes())
        .merge(land::routes())
        .merge(scholarship::routes())
        .merge(datasets::routes())
        .fallback(ui::not_found)
        .layer(middleware::from_fn_with_state(state.clone(), csrf_guard))
        .layer(middleware::from_fn(json_rejections))
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .layer(middleware::from_fn(security_headers))
        .layer(middleware::from_fn_with_state(state.clone(), track_metrics))
        .with_state(state)
}

/// Headers every answer carries unless its handler set its own (OWASP Secure Headers Project):
/// no MIME sniffing, no framing by other sites (clickjacking: `X-Frame-Options` for old browsers,
/// CSP `frame-ancestors` for current ones), no plugins, forms and `<base>` only to this origin,
/// and no path or query leaking to other sites in the `Referer`.
pub async fn security_headers(request: Request, next: Next) -> Response {
    let mut response = next.run(request).await;
    let headers = response.headers_mut();
    for (name, value) in [
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        (header::X_FRAME_OPTIONS, "DENY"),
        (
            header::CONTENT_SECURITY_POLICY,
            "frame-ancestors 'none'; object-src 'none'; base-uri 'self'; form-action 'self'",
        ),
        (header::REFERRER_POLICY, "same-origin"),
    ] {
        if !headers.contains_key(&name) {
            headers.insert(name, axum::http::HeaderValue::from_static(value));
        }
    }
    response
}

/// The one error shape under `/api/` (and for the documented `.svg` charts) for the rejections axum answers in plain text: a path
/// segment that does not parse (`/api/v1/organisations/abc`: 400), a body over the limit
/// (413), a method a route does not serve (405). A 400's field is the route's path parameter
/// when it has only one.
async fn json_rejections(request: Request, next: Next) -> Response {
    let route = request.extensions().get::<MatchedPath>().map(|p| p.as_str().to_owned());
    // The API, and the charts the document lists beside it.
    let path = request.uri().path();
    let api = path.starts_with("/api/") || path.ends_with(".svg");
    let response = next.run(request).await;
    let status = response.status();
    let plain = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_none_or(|content_type| content_type.starts_with("text/plain"));
    if !api || !status.is_client_error() || !plain {
        return response;
    }
    // axum's rejection texts are a line or two; anything longer is cut, never buffered whole.
    let text = axum::body::to_bytes(response.into_body(), 4096).await.unwrap_or_default();
    let message = String::from_utf8_lossy(&text).trim().to_owned();
    let (code, message) = match status {
        StatusCode::METHOD_NOT_ALLOWED => {
            ("request.method_not_allowed", "this path does not serve that method".to_owned())
        }
        StatusCode::NOT_FOUND => ("request.not_found", "no such API path".to_owned()),
        StatusCode::BAD_REQUEST => ("request.invalid_path", message),
        StatusCode::PAYLOAD_TOO_LARGE => ("request.too_large", message),
        StatusCode::UNSUPPORTED_MEDIA_TYPE => ("request.content_type", message),
        _ => ("request.invalid", message),
    };
    let mut error = ApiError::new(status, code, message);
    let params: Vec<&str> = route
        .as_deref()
        .unwrap_or_default()
        .split('/')
        .filter_map(|s| s.strip_prefix('{').and_then(|s| s.strip_suffix('}')))
        .collect();
    if let [param] = params[..]
        && status == StatusCode::BAD_REQUEST
    {
        error = error.with_field(param);
    }
    error.into_response()
}

async fn metrics_endpoint(State(state): State<AppState>) -> Response {
    ([(header::CONTENT_TYPE, "text/plain; version=0.0.4")], state.metrics.render()).into_response()
}

async fn track_metrics(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let started = Instant::now();
    let method = request.method().to_string();
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "unmatched".to_owned(), |p| p.as_str().to_owned());
    let response = next.run(request).await;
    let elapsed = started.elapsed();
    state.metrics.record(&method, &route, response.status().as_u16(), elapsed);
    tracing::debug!(%method, %route, status = response.status().as_u16(), micros = elapsed.as_micros() as u64, "request");
    response
}

/// CSRF protection for browser sessions (OWASP CSRF cheat sheet: synchronizer token; double
/// submit cookie for the login form). Requests with a bearer token carry no ambient credential
/// and pass; a state-changing request with a session cookie must carry the session's token in
/// the `X-CSRF-Token` header, a `csrf_token` form field, or the first part of a multipart form.
async fn csrf_guard(State(state): State<AppState>, request: Request, next: Next) -> Response {
    // A request with an Authorization header is authenticated by its bearer token alone (never
    // by the cookie, [`auth::authenticate`]), so it carries no ambient credential to forge.
    if !auth::is_unsafe(request.method()) || request.headers().contains_key(header::AUTHORIZATION) {
        return next.run(request).await;
    }
    let path = request.uri().path().to_owned();
    let expected = if path == "/login" {
        auth::cookie(request.headers(), auth::LOGIN_CSRF_COOKIE).map(str::to_owned)
    } else if let Some(secret) = auth::cookie(request.headers(), auth::SESSION_COOKIE) {
        match state.store.session(&auth::token_hash(secret)).await {
            Ok(Some(session)) => Some(session.csrf_token),
            Ok(None) => return next.run(request).await, // No live session: the handler answers 401.
            Err(err) => return ApiError::from(err).into_response(),
        }
    } else {
        // No ambient credential: nothing to forge. (JSON logins cannot be forged cross-site
        // either: a browser sends a JSON body only after a CORS preflight, never approved here.)
        return next.run(request).await;
    };
    let Some(expected) = expected.filter(|e| !e.is_empty()) else {
        return csrf_failure();
    };
    if let Some(sent) = request.headers().get(auth::CSRF_HEADER).and_then(|v| v.to_str().ok()) {
        return if constant_time_eq(sent.as_bytes(), expected.as_bytes()) {
            next.run(request).await
        } else {
            csrf_failure()
        };
    }
    let content_type = request
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    if content_type.starts_with("multipart/form-data") {
        return multipart_csrf(request, next, &content_type, &expected).await;
    }
    if !content_type.starts_with("application/x-www-form-urlencoded") {
        return csrf_failure();
    }
    let (parts, body) = request.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, MAX_BODY_BYTES).await else {
        return ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "request.too_large",
            format!("the body is over {MAX_BODY_BYTES} bytes"),
        )
        .into_response();
    };
    let sent = form_urlencoded_field(&bytes, "csrf_token");
    if !sent.is_some_and(|s| constant_time_eq(s.as_bytes(), expected.as_bytes())) {
        return csrf_failure();
    }
    next.run(Request::from_parts(parts, Body::from(bytes))).await
}

/// A multipart form passes when its first part is the `csrf_token` field holding `expected`
/// (RFC 7578 §4; browsers send parts in document order, so forms put the hidden input first).
/// Only the first part is read, at most [`multipart::FIRST_PART_CAP`] bytes; the handler gets
/// the whole body, the read prefix chained before the rest of the stream, so an upload is
/// never buffered here.
async fn multipart_csrf(
    request: Request,
    next: Next,
    content_type: &str,
    expected: &str,
) -> Response {
    use futures_util::StreamExt;
    use http_body_util::BodyExt;

    let Ok(boundary) = multer::parse_boundary(content_type) else {
        return csrf_failure();
    };
    let (parts, mut body) = request.into_parts();
    let mut prefix: Vec<u8> = Vec::new();
    loop {
        match multipart::first_part_field(&prefix, &boundary) {
            multipart::FirstPart::Field { name, value } => {
                if name == "csrf_token" && constant_time_eq(value, expected.as_bytes()) {
                    break;
                }
                return csrf_failure();
            }
            multipart::FirstPart::Malformed => return csrf_failure(),
            multipart::FirstPart::Incomplete if prefix.len() >= multipart::FIRST_PART_CAP => {
                return csrf_failure();
            }
            multipart::FirstPart::Incomplete => match body.frame().await {
                Some(Ok(frame)) => {
                    if let Some(data) = frame.data_ref() {
                        prefix.extend_from_slice(data);
                    }
                }
                Some(Err(_)) => {
                    return ApiError::bad_request(
                        "request.body",
                        "the request body could not be read; send it again",
                    )
                    .into_response();
                }
                None => return csrf_failure(),
            },
        }
    }
    let head = futures_util::stream::once(async move {
        Ok::<axum::body::Bytes, axum::Error>(axum::body::Bytes::from(prefix))
    });
    let body = Body::from_stream(head.chain(body.into_data_stream()));
    next.run(Request::from_parts(parts, body)).await
}

fn csrf_failure() -> Response {
    ApiError::new(
        StatusCode::FORBIDDEN,
        "auth.csrf",
        "the form is out of date or came from another site; reload the page and try again",
    )
    .with_field("csrf_token")
    .into_response()
}

fn form_urlencoded_field(body: &[u8], name: &str) -> Option<String> {
    let text = std::str::from_utf8(body).ok()?;
    text.split('&')
        .filter_map(|pair| pair.split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| percent_decode(v))
}

/// Decodes `application/x-www-form-urlencoded` text (WHATWG URL standard, §5.1).
fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut idx = 0;
    while idx < bytes.len() {
        let decoded = match bytes[idx] {
            b'+' => Some(b' '),
            b'%' => bytes
                .get(idx + 1..idx + 3)
                .and_then(|hex| std::str::from_utf8(hex).ok())
                .and_then(|hex| u8::from_str_radix(hex, 16).ok()),
            _ => None,
        };
        match decoded {
            Some(b) if bytes[idx] == b'%' => {
                out.push(b);
                idx += 3;
            }
            Some(b) => {
                out.push(b);
                idx += 1;
            }
            None => {
                out.push(bytes[idx]);
                idx += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// Serves the app on `listener` until `shutdown` resolves, then finishes in-flight requests.
///
/// # Errors
/// I/O errors of the listener.
pub async fn serve(
    listener: tokio::net::TcpListener,
    state: AppState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let app = router(state).into_make_service_with_connect_info::<SocketAddr>();
    axum::serve(listener, app).with_graceful_shutdown(shutdown).await
}
