//! JSON API handlers under `/api/v1`. Each handler checks the caller against the policy in
//! [`crate::auth`] before it reads or writes anyone's data.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use caravan_refdata::{Country, Currency, HsEntry, Lang, SearchHit, SearchQuery, Unit};
use caravan_store::{
    ApiToken, AuditEntry, Change, NewOrganisation, NewUser, OrgKind, Organisation, Role, User,
};
use caravan_types::{CountryCode, HsCode};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::AppState;
use crate::auth::{self, Caller, LoginOutcome};
use crate::error::{ApiError, ApiJson, ApiQuery, ErrorBody};

/// The largest number of search hits one request may ask for.
pub const MAX_SEARCH_LIMIT: usize = 100;

fn parse_hs(code: &str) -> Result<HsCode, ApiError> {
    HsCode::parse(code)
        .map_err(|e| ApiError::bad_request("hs.invalid_code", e.to_string()).with_field("code"))
}

fn parse_lang(lang: Option<&str>) -> Result<Lang, ApiError> {
    match lang {
        None => Ok(Lang::En),
        Some(tag) => Lang::parse(tag).ok_or_else(|| {
            ApiError::bad_request(
                "request.invalid_lang",
                format!("lang must be en, ru or zh, got {tag:?}"),
            )
            .with_field("lang")
        }),
    }
}

/// An HS entry with its neighbours, as `GET /api/v1/hs/{code}` answers.
#[derive(Debug, Serialize, ToSchema)]
pub struct HsDetail<'a> {
    pub entry: &'a HsEntry,
    pub description: String,
    /// From the chapter down to the parent.
    pub parents: Vec<HsSummary>,
    pub children: Vec<HsSummary>,
    pub section_name: Option<String>,
}

/// Code and description of a related entry.
#[derive(Debug, Serialize, ToSchema)]
pub struct HsSummary {
    pub code: HsCode,
    pub level: u8,
    pub description: String,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct LangParam {
    /// `en` (default), `ru` or `zh`; missing translations fall back to English.
    #[param(pattern = "^(en|ru|zh)$")]
    pub lang: Option<String>,
}

/// Look up an HS 2022 chapter, heading or subheading with its parents, children and HS 2017
/// correspondences. A national line (8 or 10 digits) answers with its subheading.
#[utoipa::path(get, path = "/api/v1/hs/{code}", tag = "reference",
    params(("code" = String, Path, description = "HS code, e.g. 7403.11: 2, 4 or 6 digits (dots allowed), or an 8- or 10-digit national line", pattern = r"^[0-9]{2}(\.?[0-9]{2}){0,4}$"), LangParam),
    responses((status = 200, body = HsDetail), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn hs_get(
    State(state): State<AppState>,
    Path(code): Path<String>,
    ApiQuery(params): ApiQuery<LangParam>,
) -> Result<Response, ApiError> {
    let lang = parse_lang(params.lang.as_deref())?;
    let code = parse_hs(&code)?;
    let lookup = if code.len() > 6 { code.truncate(6) } else { code };
    let data = &state.refdata;
    let entry = data.hs(&lookup).ok_or_else(|| {
        ApiError::not_found("hs.unknown_code", format!("no HS 2022 entry {code}"))
            .with_field("code")
    })?;
    // Serialised here, borrowing the shared reference data instead of cloning the entry.
    let body = serde_json::to_vec(&hs_detail(data, entry, lang)).map_err(ApiError::internal)?;
    Ok(([(header::CONTENT_TYPE, "application/json")], body).into_response())
}

pub(crate) fn hs_detail<'a>(
    data: &'a caravan_refdata::ReferenceData,
    entry: &'a HsEntry,
    lang: Lang,
) -> HsDetail<'a> {
    let summary = |e: &HsEntry| HsSummary {
        code: e.code,
        level: e.level,
        description: e.description(lang).to_owned(),
    };
    let mut parents: Vec<HsSummary> = data.hs_path(&entry.code).into_iter().map(summary).collect();
    parents.pop();
    HsDetail {
        description: entry.description(lang).to_owned(),
        parents,
        children: entry.children.iter().filter_map(|c| data.hs(c)).map(summary).collect(),
        section_name: data.sections.iter().find(|s| s.section == entry.section).map(
            |s| match lang {
                Lang::Ru => s.name_ru.clone().unwrap_or_else(|| s.name_en.clone()),
                _ => s.name_en.clone(),
            },
        ),
        entry,
    }
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SearchParams {
    /// Words in any language (English, Russian, Chinese) or the leading digits of a code.
    #[param(min_length = 1, max_length = 200, pattern = r"\S")]
    pub q: String,
    /// Language of the descriptions returned: `en` (default), `ru`, `zh`.
    #[param(pattern = "^(en|ru|zh)$")]
    pub lang: Option<String>,
    /// Number of hits, 1–100 (default 10).
    #[param(minimum = 1, maximum = 100)]
    pub limit: Option<usize>,
}

pub use caravan_web::UploadBytes;

/// Search results.
#[derive(Debug, Serialize, ToSchema)]
pub struct SearchResponse {
    pub query: String,
    pub lang: Lang,
    pub hits: Vec<SearchHit>,
}

/// Ranked full-text search of the HS nomenclature: stems (English, Russian), typos, prefixes,
/// Chinese characters, and code prefixes. Each hit carries its path from the chapter down.
#[utoipa::path(get, path = "/api/v1/hs/search", tag = "reference", params(SearchParams),
    responses((status = 200, body = SearchResponse), (status = 400, body = ErrorBody)))]
pub async fn hs_search(
    State(state): State<AppState>,
    ApiQuery(params): ApiQuery<SearchParams>,
) -> Result<Json<SearchResponse>, ApiError> {
    let lang = parse_lang(params.lang.as_deref())?;
    let limit = params.limit.unwrap_or(10);
    if !(1..=MAX_SEARCH_LIMIT).contains(&limit) {
        return Err(ApiError::bad_request(
            "request.invalid_limit",
            format!("limit must be 1 to {MAX_SEARCH_LIMIT}, got {limit}"),
        )
        .with_field("limit"));
    }
    if params.q.trim().is_empty() || params.q.chars().count() > 200 {
        return Err(ApiError::bad_request(
            "search.invalid_query",
            "q must be 1 to 200 characters of text",
        )
        .with_field("q"));
    }
    let hits = state.refdata.hs_search(&SearchQuery { text: &params.q, lang, limit });
    Ok(Json(SearchResponse { query: params.q, lang, hits }))
}

/// ISO 3166-1 countries with names in English, Russian and Chinese.
#[utoipa::path(get, path = "/api/v1/countries", tag = "reference", responses((status = 200, body = Vec<Country>)))]
pub async fn countries(State(state): State<AppState>) -> Json<Vec<Country>> {
    Json(state.refdata.countries.clone())
}

/// ISO 4217 currencies with their minor units.
#[utoipa::path(get, path = "/api/v1/currencies", tag = "reference", responses((status = 200, body = Vec<Currency>)))]
pub async fn currencies(State(state): State<AppState>) -> Json<Vec<Currency>> {
    Json(state.refdata.currencies.clone())
}

/// UN/ECE Recommendation 20 units of measure.
#[utoipa::path(get, path = "/api/v1/units", tag = "reference", responses((status = 200, body = Vec<Unit>)))]
pub async fn units(State(state): State<AppState>) -> Json<Vec<Unit>> {
    Json(state.refdata.units.clone())
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LoginRequest {
    #[schema(min_length = 1, max_length = 64)]
    pub username: String,
    #[schema(min_length = 1, max_length = 1024)]
    pub password: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct LoginResponse {
    pub user: User,
    /// Send this as `X-CSRF-Token` on state-changing requests made with the session cookie.
    pub csrf_token: String,
}

/// Log in with a password; sets the `caravan_session` cookie (HttpOnly, SameSite=Strict).
/// Machines should use API tokens instead.
#[utoipa::path(post, path = "/api/v1/auth/login", tag = "auth", request_body = LoginRequest,
    responses((status = 200, body = LoginResponse), (status = 401, body = ErrorBody), (status = 429, body = ErrorBody)))]
pub async fn login(
    State(state): State<AppState>,
    parts: axum::http::Extensions,
    ApiJson(req): ApiJson<LoginRequest>,
) -> Result<Response, ApiError> {
    match auth::login(&state, &req.username, &req.password, auth::client_ip(&parts)).await? {
        LoginOutcome::Ok { secret, session, user } => {
            let cookie = auth::session_cookie(&secret, state.config.secure_cookies);
            Ok((
                [(header::SET_COOKIE, cookie)],
                Json(LoginResponse { user, csrf_token: session.csrf_token }),
            )
                .into_response())
        }
        LoginOutcome::Invalid => Err(ApiError::new(
            StatusCode::UNAUTHORIZED,
            "auth.invalid_credentials",
            "wrong username or password",
        )),
        LoginOutcome::RateLimited { retry_after } => Err(ApiError::new(
            StatusCode::TOO_MANY_REQUESTS,
            "auth.rate_limited",
            format!("too many failed logins; try again in {retry_after} s"),
        )
        .with_retry_after(retry_after)),
    }
}

/// End the session.
#[utoipa::path(post, path = "/api/v1/auth/logout", tag = "auth", responses((status = 204)))]
pub async fn logout(State(state): State<AppState>, caller: Caller) -> Result<Response, ApiError> {
    if let auth::Credential::Session(session) = &caller.credential {
        let change = change(&state, &caller);
        state.store.delete_session(&change, &session.token_hash, "session.logout").await?;
    }
    Ok((StatusCode::NO_CONTENT, [(header::SET_COOKIE, auth::clear_session_cookie())])
        .into_response())
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Me {
    pub user: User,
    pub organisation: Organisation,
}

/// Who am I: the caller's user and organisation.
#[utoipa::path(get, path = "/api/v1/me", tag = "auth", responses((status = 200, body = Me), (status = 401, body = ErrorBody)),
    security(("bearer" = []), ("session" = [])))]
pub async fn me(caller: Caller) -> Json<Me> {
    Json(Me { user: caller.user, organisation: caller.org })
}

fn change(state: &AppState, caller: &Caller) -> Change {
    Change { actor: caller.actor(), at: (state.clock)() }
}

/// Organisations the caller may see.
#[utoipa::path(get, path = "/api/v1/organisations", tag = "admin", responses((status = 200, body = Vec<Organisation>)),
    security(("bearer" = []), ("session" = [])))]
pub async fn organisations(
    State(state): State<AppState>,
    caller: Caller,
) -> Result<Json<Vec<Organisation>>, ApiError> {
    let all = state.store.organisations().await?;
    Ok(Json(all.into_iter().filter(|org| auth::can_read_org(&caller, org)).collect()))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewOrganisationRequest {
    #[schema(min_length = 1, max_length = 200, pattern = r"\S")]
    pub name: String,
    pub kind: OrgKind,
    /// One of the six: CN, KZ, KG, TJ, TM, UZ.
    #[schema(value_type = String, pattern = "^(CN|KZ|KG|TJ|TM|UZ)$")]
    pub country: CountryCode,
}

/// Checks a new organisation's fields.
fn validate_new_org(req: &NewOrganisationRequest) -> Result<NewOrganisation, ApiError> {
    let name = req.name.trim();
    if name.is_empty() || name.chars().count() > 200 {
        return Err(ApiError::unprocessable(
            "organisation.invalid_name",
            "name must be 1 to 200 characters",
        )
        .with_field("name"));
    }
    if !req.country.is_mechanism_member() {
        return Err(ApiError::unprocessable(
            "organisation.invalid_country",
            format!("country must be one of CN, KZ, KG, TJ, TM, UZ, got {}", req.country),
        )
        .with_field("country"));
    }
    Ok(NewOrganisation { name: name.to_owned(), kind: req.kind, country: req.country })
}

/// Create an organisation (administrators, in their own country; the platform operator's, anywhere).
#[utoipa::path(post, path = "/api/v1/organisations", tag = "admin", request_body = NewOrganisationRequest,
    responses((status = 201, body = Organisation), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("bearer" = []), ("session" = [])))]
pub async fn create_organisation(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(req): ApiJson<NewOrganisationRequest>,
) -> Result<(StatusCode, Json<Organisation>), ApiError> {
    Ok((StatusCode::CREATED, Json(create_organisation_checked(&state, &caller, &req).await?)))
}

/// Validates and creates an organisation after the policy check; shared by the API and the web form.
pub(crate) async fn create_organisation_checked(
    state: &AppState,
    caller: &Caller,
    req: &NewOrganisationRequest,
) -> Result<Organisation, ApiError> {
    let new = validate_new_org(req)?;
    if !auth::can_create_org(caller, new.kind, new.country) {
        return Err(if new.kind == OrgKind::PlatformOperator {
            ApiError::forbidden(
                "only the platform operator's administrators may create platform operator \
                 organisations",
            )
            .with_field("kind")
        } else {
            ApiError::forbidden(format!(
                "only an administrator of {}'s customs administration may create organisations \
                 there",
                new.country
            ))
        });
    }
    Ok(state.store.create_organisation(&change(state, caller), &new).await?)
}

async fn readable_org(
    state: &AppState,
    caller: &Caller,
    id: i64,
) -> Result<Organisation, ApiError> {
    let org = state.store.organisation(id).await?;
    // A caller who may not see an organisation learns nothing about it, not even that it exists.
    match org {
        Some(org) if auth::can_read_org(caller, &org) => Ok(org),
        Some(_) => Err(ApiError::forbidden("you may not see this organisation")),
        None => Err(ApiError::not_found("organisation.not_found", format!("no organisation {id}"))
            .with_field("id")),
    }
}

/// One organisation.
#[utoipa::path(get, path = "/api/v1/organisations/{id}", tag = "admin", params(("id" = i64, Path)),
    responses((status = 200, body = Organisation), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)),
    security(("bearer" = []), ("session" = [])))]
pub async fn organisation(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
) -> Result<Json<Organisation>, ApiError> {
    Ok(Json(readable_org(&state, &caller, id).await?))
}

/// The users of an organisation.
#[utoipa::path(get, path = "/api/v1/organisations/{id}/users", tag = "admin", params(("id" = i64, Path)),
    responses((status = 200, body = Vec<User>), (status = 403, body = ErrorBody)),
    security(("bearer" = []), ("session" = [])))]
pub async fn organisation_users(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
) -> Result<Json<Vec<User>>, ApiError> {
    let org = readable_org(&state, &caller, id).await?;
    Ok(Json(state.store.users(Some(org.id)).await?))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewUserRequest {
    #[schema(min_length = 3, max_length = 64, pattern = "^[A-Za-z0-9._@-]{3,64}$")]
    pub username: String,
    #[schema(min_length = 1, max_length = 200, pattern = r"\S")]
    pub display_name: String,
    pub org_id: i64,
    pub role: Role,
    /// At least 12 characters. Leave out to have a one-time password generated and returned.
    #[schema(min_length = 12, max_length = 1024)]
    pub password: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct NewUserResponse {
    pub user: User,
    /// The generated password, present only when none was given; shown once.
    pub initial_password: Option<String>,
}

/// Checks a new user's fields; shared by the API, the web form and the CLI.
pub fn validate_username(username: &str) -> Result<(), ApiError> {
    let ok = (3..=64).contains(&username.len())
        && username
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-' | '@'));
    if ok {
        Ok(())
    } else {
        Err(ApiError::unprocessable(
            "user.invalid_username",
            "username must be 3 to 64 characters of letters, digits and . _ - @",
        )
        .with_field("username"))
    }
}

pub fn validate_password(password: &str) -> Result<(), ApiError> {
    if password.chars().count() < 12 || password.chars().count() > 1024 {
        return Err(ApiError::unprocessable(
            "user.weak_password",
            "password must be 12 to 1024 characters",
        )
        .with_field("password"));
    }
    Ok(())
}

/// Creates a user after the policy check; shared by the API and the web form.
pub(crate) async fn create_user_checked(
    state: &AppState,
    caller: &Caller,
    req: NewUserRequest,
) -> Result<NewUserResponse, ApiError> {
    validate_username(&req.username)?;
    let display_name = req.display_name.trim();
    if display_name.is_empty() || display_name.chars().count() > 200 {
        return Err(ApiError::unprocessable(
            "user.invalid_display_name",
            "display_name must be 1 to 200 characters",
        )
        .with_field("display_name"));
    }
    let org = state.store.organisation(req.org_id).await?.ok_or_else(|| {
        ApiError::unprocessable(
            "user.unknown_organisation",
            format!("no organisation {}", req.org_id),
        )
        .with_field("org_id")
    })?;
    if !auth::can_manage(caller, &org) {
        return Err(ApiError::forbidden(format!(
            "only an administrator of {}, of {}'s customs administration or of the platform \
             operator may add users to it",
            org.name, org.country
        )));
    }
    let (password, initial_password) = match req.password {
        Some(password) => {
            validate_password(&password)?;
            (password, None)
        }
        None => {
            let generated = auth::random_password();
            (generated.clone(), Some(generated))
        }
    };
    let password_hash = auth::hash_password(&password).map_err(ApiError::internal)?;
    let new = NewUser {
        username: req.username,
        display_name: display_name.to_owned(),
        org_id: org.id,
        role: req.role,
        password_hash,
    };
    let user = state.store.create_user(&change(state, caller), &new).await?;
    Ok(NewUserResponse { user, initial_password })
}

/// Create a user in an organisation the caller administers.
#[utoipa::path(post, path = "/api/v1/users", tag = "admin", request_body = NewUserRequest,
    responses((status = 201, body = NewUserResponse), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("bearer" = []), ("session" = [])))]
pub async fn create_user(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(req): ApiJson<NewUserRequest>,
) -> Result<(StatusCode, Json<NewUserResponse>), ApiError> {
    Ok((StatusCode::CREATED, Json(create_user_checked(&state, &caller, req).await?)))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ActiveRequest {
    pub active: bool,
}

/// Enable or disable a user (administrators of the user's organisation's country).
#[utoipa::path(post, path = "/api/v1/users/{id}/active", tag = "admin", params(("id" = i64, Path)), request_body = ActiveRequest,
    responses((status = 200, body = User), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)),
    security(("bearer" = []), ("session" = [])))]
pub async fn set_user_active(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
    ApiJson(req): ApiJson<ActiveRequest>,
) -> Result<Json<User>, ApiError> {
    Ok(Json(set_user_active_checked(&state, &caller, id, req.active).await?))
}

/// Deactivates or reactivates a user after the policy check ([`auth::can_set_active`]); shared by
/// the API and the organisation page. A deactivated user's sessions and tokens stop working at
/// once: [`auth::authenticate`] refuses them.
pub(crate) async fn set_user_active_checked(
    state: &AppState,
    caller: &Caller,
    id: i64,
    active: bool,
) -> Result<User, ApiError> {
    let user = state.store.user(id).await?.ok_or_else(|| {
        ApiError::not_found("user.not_found", format!("no user {id}")).with_field("id")
    })?;
    let org = state
        .store
        .organisation(user.org_id)
        .await?
        .ok_or_else(|| ApiError::internal("user without organisation"))?;
    if user.id == caller.user.id && !active {
        return Err(ApiError::unprocessable(
            "user.cannot_disable_self",
            "you cannot disable your own account",
        )
        .with_field("active"));
    }
    if !auth::can_set_active(caller, &user, &org) {
        return Err(ApiError::forbidden(
            "only an administrator above this user (of their organisation, their country's customs \
             administration, or the platform operator) may change the account",
        ));
    }
    Ok(state.store.set_user_active(&change(state, caller), id, active).await?)
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PasswordChangeRequest {
    #[schema(min_length = 1, max_length = 1024)]
    pub current_password: String,
    /// At least 12 characters, and not the current password.
    #[schema(min_length = 12, max_length = 1024)]
    pub new_password: String,
}

/// Changes the caller's own password after checking the current one; shared by the API and the
/// web form. Wrong current passwords count as failed logins, so a stolen session cannot be used
/// to guess the password faster than the login form allows.
pub(crate) async fn change_own_password(
    state: &AppState,
    caller: &Caller,
    ip: Option<std::net::IpAddr>,
    req: &PasswordChangeRequest,
) -> Result<(), ApiError> {
    let now = (state.clock)();
    if let Err(wait) = state.login_limiter.check(&caller.user.username, ip, now) {
        let seconds = auth::wait_seconds(wait);
        return Err(ApiError::new(
            StatusCode::TOO_MANY_REQUESTS,
            "auth.rate_limited",
            format!("too many wrong passwords; try again in {seconds} s"),
        )
        .with_retry_after(seconds));
    }
    if req.current_password.len() > 1024
        || !auth::verify_password(&req.current_password, &caller.user.password_hash)
    {
        state.login_limiter.record_failure(&caller.user.username, ip, now);
        return Err(ApiError::unprocessable(
            "user.wrong_current_password",
            "the current password is not right; type the password you logged in with",
        )
        .with_field("current_password"));
    }
    validate_password(&req.new_password).map_err(|e| e.with_field("new_password"))?;
    if req.new_password == req.current_password {
        return Err(ApiError::unprocessable(
            "user.same_password",
            "the new password must differ from the current one",
        )
        .with_field("new_password"));
    }
    let hash = auth::hash_password(&req.new_password).map_err(ApiError::internal)?;
    state.store.set_user_password(&change(state, caller), caller.user.id, &hash).await?;
    Ok(())
}

/// Change your own password (the current one is asked again).
#[utoipa::path(post, path = "/api/v1/me/password", tag = "auth", request_body = PasswordChangeRequest,
    responses((status = 204), (status = 401, body = ErrorBody), (status = 422, body = ErrorBody), (status = 429, body = ErrorBody)),
    security(("bearer" = []), ("session" = [])))]
pub async fn change_password(
    State(state): State<AppState>,
    parts: axum::http::Extensions,
    caller: Caller,
    ApiJson(req): ApiJson<PasswordChangeRequest>,
) -> Result<StatusCode, ApiError> {
    change_own_password(&state, &caller, auth::client_ip(&parts), &req).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The caller's API tokens (never the secrets).
#[utoipa::path(get, path = "/api/v1/tokens", tag = "auth", responses((status = 200, body = Vec<ApiToken>)),
    security(("bearer" = []), ("session" = [])))]
pub async fn tokens(
    State(state): State<AppState>,
    caller: Caller,
) -> Result<Json<Vec<ApiToken>>, ApiError> {
    Ok(Json(state.store.api_tokens(caller.user.id).await?))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewTokenRequest {
    #[schema(min_length = 1, max_length = 100, pattern = r"\S")]
    pub name: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct NewTokenResponse {
    pub token: ApiToken,
    /// The bearer secret; shown only this once.
    pub secret: String,
}

pub(crate) async fn create_token_checked(
    state: &AppState,
    caller: &Caller,
    name: &str,
) -> Result<NewTokenResponse, ApiError> {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 100 {
        return Err(ApiError::unprocessable(
            "token.invalid_name",
            "name must be 1 to 100 characters",
        )
        .with_field("name"));
    }
    let secret = auth::random_secret("cvn_");
    let token = state
        .store
        .create_api_token(&change(state, caller), caller.user.id, name, &auth::token_hash(&secret))
        .await?;
    Ok(NewTokenResponse { token, secret })
}

/// Create an API token for the caller; the secret is in the response only.
#[utoipa::path(post, path = "/api/v1/tokens", tag = "auth", request_body = NewTokenRequest,
    responses((status = 201, body = NewTokenResponse), (status = 422, body = ErrorBody)),
    security(("bearer" = []), ("session" = [])))]
pub async fn create_token(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(req): ApiJson<NewTokenRequest>,
) -> Result<(StatusCode, Json<NewTokenResponse>), ApiError> {
    Ok((StatusCode::CREATED, Json(create_token_checked(&state, &caller, &req.name).await?)))
}

pub(crate) async fn revoke_token_checked(
    state: &AppState,
    caller: &Caller,
    id: i64,
) -> Result<ApiToken, ApiError> {
    let own = state.store.api_tokens(caller.user.id).await?;
    if !own.iter().any(|t| t.id == id) {
        // Someone else's token, or none: the answer is the same, so ids reveal nothing.
        return Err(ApiError::not_found("token.not_found", format!("you have no API token {id}"))
            .with_field("id"));
    }
    Ok(state.store.revoke_api_token(&change(state, caller), id).await?)
}

/// Revoke one of the caller's API tokens.
#[utoipa::path(delete, path = "/api/v1/tokens/{id}", tag = "auth", params(("id" = i64, Path)),
    responses((status = 200, body = ApiToken), (status = 404, body = ErrorBody)),
    security(("bearer" = []), ("session" = [])))]
pub async fn revoke_token(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
) -> Result<Json<ApiToken>, ApiError> {
    Ok(Json(revoke_token_checked(&state, &caller, id).await?))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AuditParams {
    /// Entries after this sequence number (default 0).
    #[param(minimum = 0)]
    pub after: Option<i64>,
    /// At most this many, 1–1000 (default 100).
    #[param(minimum = 1, maximum = 1000)]
    pub limit: Option<i64>,
}

/// The hash-chained audit log (platform administrators).
#[utoipa::path(get, path = "/api/v1/audit", tag = "admin", params(AuditParams),
    responses((status = 200, body = Vec<AuditEntry>), (status = 403, body = ErrorBody)),
    security(("bearer" = []), ("session" = [])))]
pub async fn audit(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(params): ApiQuery<AuditParams>,
) -> Result<Json<Vec<AuditEntry>>, ApiError> {
    if !auth::can_read_audit(&caller) {
        return Err(ApiError::forbidden(
            "only the platform operator's administrators may read the audit log",
        ));
    }
    let limit = params.limit.unwrap_or(100);
    if !(1..=1000).contains(&limit) {
        return Err(ApiError::bad_request("request.invalid_limit", "limit must be 1 to 1000")
            .with_field("limit"));
    }
    let after = params.after.unwrap_or(0);
    if after < 0 {
        return Err(ApiError::bad_request("request.invalid_after", "after must be 0 or more")
            .with_field("after"));
    }
    Ok(Json(state.store.audit_entries(after, limit).await?))
}

/// Readiness and write health. 200 `{"status": "ok", "store", "readable": true, "writable":
/// true}` while the server reads and commits to its store. Otherwise 503 with `Retry-After`:
/// `"status": "degraded"` with `"writable": false` while reads work but writes fail (a full
/// disk), `"status": "unavailable"` when the store cannot even be read; `reason` says why.
///
/// Writes are checked by the store's probe ([`caravan_store::Store::check_writable`]): a
/// committed write that leaves no trace, taken at most once a second however often this is
/// called, so the answer turns 200 by itself within a second of space returning.
#[utoipa::path(
    get,
    path = "/healthz",
    tag = "operations",
    responses(
        (status = 200, description = "ready: the store reads and commits"),
        (status = 503, description = "the store cannot commit writes, or cannot be read")
    )
)]
pub async fn healthz(State(state): State<AppState>) -> Response {
    let store = state.store.backend();
    let checked = match state.store.count_users().await {
        Ok(_) => state.store.check_writable().await.map_err(|err| ("degraded", true, err)),
        Err(err) => Err(("unavailable", false, err)),
    };
    match checked {
        Ok(()) => Json(serde_json::json!({
            "status": "ok", "store": store, "readable": true, "writable": true,
        }))
        .into_response(),
        Err((status, readable, err)) => {
            tracing::warn!(error = %err, status, "health check: the store cannot write");
            let body = serde_json::json!({
                "status": status,
                "store": store,
                "readable": readable,
                "writable": false,
                "message": "the server cannot write right now; try again in a minute",
                "reason": err.to_string(),
            });
            let retry_after = [(header::RETRY_AFTER, crate::error::RETRY_AFTER_SECONDS)];
            (StatusCode::SERVICE_UNAVAILABLE, retry_after, Json(body)).into_response()
        }
    }
}
