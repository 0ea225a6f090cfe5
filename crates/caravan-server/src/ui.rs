//! The backbone's pages: home, login, HS search and entries, reference data, organisations and
//! users, API tokens, the audit log and the not-found page, over the layout of
//! [`caravan_web::ui`].

use axum::extract::{Form, Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use caravan_refdata::{Lang, SearchQuery};
use caravan_store::{OrgKind, Role};
use caravan_types::CountryCode;
use caravan_web::ui::{PageCaller, dotted, error_page, layout, page, ui_lang};
use maud::{Markup, html};
use serde::Deserialize;

use crate::AppState;
use crate::api;
use crate::auth::{self, Caller, LOGIN_CSRF_COOKIE, LoginOutcome, MaybeCaller};
use crate::error::ApiError;
use crate::i18n::{Key, kind_label, role_label, t};
/// `GET /`.
pub async fn home(
    State(state): State<AppState>,
    headers: HeaderMap,
    MaybeCaller(caller): MaybeCaller,
) -> Response {
    let lang = ui_lang(&headers);
    let Some(caller) = caller else {
        return public_home(lang);
    };
    let org = &caller.org;
    let declarations = crate::declarations::pages::home_panel(&state, &caller, lang).await;
    page(
        StatusCode::OK,
        layout(
            lang,
            Some(&caller),
            t(lang, Key::home),
            html! {
                h1 { (t(lang, Key::welcome)) ", " (caller.user.display_name) }
                p { (org.name) " · " (country_name(&state, org.country, lang)) " · " (role_label(lang, caller.user.role)) }
                p { (t(lang, Key::home_intro)) }
                @if let Some(panel) = &declarations { (panel) }
                (search_form(lang, ""))
                h2 { (t(lang, Key::your_pages)) }
                (menu_cards(lang, Some(&caller)))
            },
        ),
    )
}

/// The home page of a visitor who has not signed in: what Caravan is, the public tools, and the
/// way in for everyone else.
fn public_home(lang: Lang) -> Response {
    page(
        StatusCode::OK,
        layout(
            lang,
            None,
            t(lang, Key::home),
            html! {
                h1 { (t(lang, Key::app_name)) }
                p { (t(lang, Key::public_home_intro)) }
                (menu_cards(lang, None))
                p { (t(lang, Key::public_home_login)) " " a href="/login" { (t(lang, Key::login)) } }
            },
        ),
    )
}

/// The pages of the main menu `caller` is shown, as a list of links (the home page's table of
/// contents, also without the menu bar on a narrow screen).
fn menu_cards(lang: Lang, caller: Option<&Caller>) -> Markup {
    html! {
        ul.menu-cards {
            @for link in caravan_web::ui::menu_for(caller) {
                li { a href=(link.href) { (t(lang, link.label)) } }
            }
        }
    }
}

fn country_name(state: &AppState, code: CountryCode, lang: Lang) -> String {
    state
        .refdata
        .country(&code)
        .map(|c| match lang {
            Lang::En => c.name_en.clone(),
            Lang::Ru => c.name_ru.clone(),
            Lang::Zh => c.name_zh.clone(),
        })
        .unwrap_or_else(|| code.to_string())
}

#[derive(Debug, Deserialize)]
pub struct LoginForm {
    pub username: String,
    pub password: String,
    pub csrf_token: String,
}

fn login_page(lang: Lang, csrf: &str, error: Option<&str>, username: &str) -> Markup {
    layout(
        lang,
        None,
        t(lang, Key::login),
        html! {
            h1 { (t(lang, Key::login)) }
            @if let Some(error) = error {
                p.error role="alert" #login-error { (error) }
            }
            form.card method="post" action="/login" {
                input type="hidden" name="csrf_token" value=(csrf);
                label for="username" { (t(lang, Key::username)) }
                input #username name="username" type="text" autocomplete="username" required value=(username) autofocus;
                label for="password" { (t(lang, Key::password)) }
                input #password name="password" type="password" autocomplete="current-password" required;
                button type="submit" { (t(lang, Key::login)) }
            }
        },
    )
}

/// `GET /login`: the form, with a fresh double-submit CSRF cookie.
pub async fn login_form(headers: HeaderMap) -> Response {
    let lang = ui_lang(&headers);
    let csrf = auth::random_secret("");
    let cookie = format!("{LOGIN_CSRF_COOKIE}={csrf}; HttpOnly; SameSite=Strict; Path=/login");
    let mut response = page(StatusCode::OK, login_page(lang, &csrf, None, ""));
    if let Ok(value) = cookie.parse() {
        response.headers_mut().insert(header::SET_COOKIE, value);
    }
    response
}

/// `POST /login` (the CSRF middleware has checked the double-submit token).
pub async fn login_submit(
    State(state): State<AppState>,
    headers: HeaderMap,
    extensions: axum::http::Extensions,
    Form(form): Form<LoginForm>,
) -> Result<Response, Response> {
    let lang = ui_lang(&headers);
    let outcome =
        auth::login(&state, form.username.trim(), &form.password, auth::client_ip(&extensions))
            .await
            .map_err(|e| error_page(lang, None, &e))?;
    let (status, message, retry_after) = match outcome {
        LoginOutcome::Ok { secret, .. } => {
            let cookie = auth::session_cookie(&secret, state.config.secure_cookies);
            return Ok(([(header::SET_COOKIE, cookie)], Redirect::to("/")).into_response());
        }
        LoginOutcome::Invalid => {
            (StatusCode::UNAUTHORIZED, t(lang, Key::login_failed).to_owned(), None)
        }
        LoginOutcome::RateLimited { retry_after } => (
            StatusCode::TOO_MANY_REQUESTS,
            t(lang, Key::login_rate_limited).replace("{seconds}", &retry_after.to_string()),
            Some(retry_after),
        ),
    };
    let mut response =
        page(status, login_page(lang, &form.csrf_token, Some(&message), &form.username));
    if let Some(seconds) = retry_after {
        response.headers_mut().insert(header::RETRY_AFTER, seconds.into());
    }
    Ok(response)
}

/// `POST /logout`.
pub async fn logout(State(state): State<AppState>, caller: Caller) -> Response {
    if let auth::Credential::Session(session) = &caller.credential
        && let Err(err) = state
            .store
            .delete_session(
                &caravan_store::Change { actor: caller.actor(), at: (state.clock)() },
                &session.token_hash,
                "session.logout",
            )
            .await
    {
        return ApiError::from(err).into_response();
    }
    ([(header::SET_COOKIE, auth::clear_session_cookie())], Redirect::to("/login")).into_response()
}

fn search_form(lang: Lang, q: &str) -> Markup {
    html! {
        form.search method="get" action="/hs" role="search" {
            label for="q" { (t(lang, Key::hs_search)) }
            div.row {
                input #q name="q" type="search" value=(q) placeholder=(t(lang, Key::search_hint)) aria-describedby="q-hint";
                button type="submit" { (t(lang, Key::search)) }
            }
            small #q-hint { (t(lang, Key::search_hint)) }
        }
    }
}

#[derive(Debug, Deserialize)]
pub struct SearchPageParams {
    pub q: Option<String>,
}

/// `GET /hs?q=`: search page.
pub async fn hs_search(
    State(state): State<AppState>,
    headers: HeaderMap,
    MaybeCaller(caller): MaybeCaller,
    Query(params): Query<SearchPageParams>,
) -> Response {
    let lang = ui_lang(&headers);
    let q = params.q.unwrap_or_default();
    let q = q.chars().take(200).collect::<String>();
    let hits = if q.trim().is_empty() {
        Vec::new()
    } else {
        state.refdata.hs_search(&SearchQuery { text: &q, lang, limit: 25 })
    };
    page(
        StatusCode::OK,
        layout(
            lang,
            caller.as_ref(),
            t(lang, Key::hs_search),
            html! {
                h1 { (t(lang, Key::hs_search)) }
                (search_form(lang, &q))
                @if !q.trim().is_empty() {
                    h2 { (t(lang, Key::results)) }
                    @if hits.is_empty() {
                        p #no-results { (t(lang, Key::no_results)) }
                    } @else {
                        table #results {
                            thead { tr { th scope="col" { (t(lang, Key::code)) } th scope="col" { (t(lang, Key::description)) } th scope="col" { (t(lang, Key::path)) } } }
                            tbody {
                                @for hit in &hits {
                                    tr {
                                        td { a.code href={ "/hs/" (hit.code) } { (dotted(hit.code.as_str())) } }
                                        td { (hit.description) }
                                        td.path {
                                            @for (idx, step) in hit.path.iter().enumerate() {
                                                @if idx > 0 { " › " }
                                                a href={ "/hs/" (step.code) } title=(step.description) { (dotted(step.code.as_str())) }
                                            }
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            },
        ),
    )
}

/// `GET /hs/{code}`: one entry.
pub async fn hs_detail(
    State(state): State<AppState>,
    headers: HeaderMap,
    MaybeCaller(caller): MaybeCaller,
    Path(code): Path<String>,
) -> Response {
    let lang = ui_lang(&headers);
    let entry =
        caravan_types::HsCode::parse(&code).ok().and_then(|c| state.refdata.hs(&c.truncate(6)));
    let Some(entry) = entry else {
        let err = ApiError::not_found("hs.unknown_code", format!("no HS 2022 entry {code}"));
        return error_page(lang, caller.as_ref(), &err);
    };
    let detail = api::hs_detail(&state.refdata, entry, lang);
    let level = match entry.level {
        2 => t(lang, Key::chapter),
        4 => t(lang, Key::heading),
        _ => t(lang, Key::subheading),
    };
    page(
        StatusCode::OK,
        layout(
            lang,
            caller.as_ref(),
            &detail.description,
            html! {
                nav aria-label=(t(lang, Key::path)) .crumbs {
                    @if let Some(section) = &detail.section_name { span { (t(lang, Key::section)) " " (entry.section) ": " (section) } }
                    @for p in &detail.parents { " › " a href={ "/hs/" (p.code) } { (dotted(p.code.as_str())) " " (p.description) } }
                }
                h1 { span.code { (dotted(entry.code.as_str())) } " " (detail.description) }
                p { (level) }
                @if !detail.children.is_empty() {
                    h2 { (t(lang, Key::children)) }
                    ul { @for c in &detail.children { li { a href={ "/hs/" (c.code) } { span.code { (dotted(c.code.as_str())) } } " " (c.description) } } }
                }
                @if !entry.hs2017.is_empty() {
                    h2 { (t(lang, Key::hs2017_links)) }
                    ul { @for link in &entry.hs2017 { li { span.code { (dotted(link.hs2017.as_str())) } " (" (link.relationship) ")" } } }
                }
                @if !entry.national_lines.is_empty() {
                    h2 { (t(lang, Key::national_lines)) }
                    table { tbody { @for line in &entry.national_lines { tr { td.code { (line.code) } td lang="ru" { (line.name_ru) } } } } }
                }
            },
        ),
    )
}

/// `GET /reference`: the six countries, their currencies.
pub async fn reference(
    State(state): State<AppState>,
    headers: HeaderMap,
    MaybeCaller(caller): MaybeCaller,
) -> Response {
    let lang = ui_lang(&headers);
    let six: Vec<_> = CountryCode::MECHANISM
        .iter()
        .filter_map(|c| CountryCode::parse(c).ok())
        .filter_map(|c| state.refdata.country(&c))
        .collect();
    page(
        StatusCode::OK,
        layout(
            lang,
            caller.as_ref(),
            t(lang, Key::reference_data),
            html! {
                h1 { (t(lang, Key::reference_data)) }
                h2 { (t(lang, Key::countries)) }
                table {
                    thead { tr { th scope="col" { (t(lang, Key::code)) } th scope="col" lang="en" { "English" } th scope="col" lang="ru" { "Русский" } th scope="col" lang="zh" { "中文" } th scope="col" { (t(lang, Key::currencies)) } th scope="col" { (t(lang, Key::minor_units)) } } }
                    tbody {
                        @for c in &six {
                            tr {
                                td.code { (c.alpha2) } td lang="en" { (c.name_en) } td lang="ru" { (c.name_ru) } td lang="zh" { (c.name_zh) }
                                td { (c.currencies.join(", ")) }
                                td { @for code in &c.currencies { @if let Some(cur) = caravan_types::CurrencyCode::parse(code).ok().and_then(|k| state.refdata.currency(&k)) { (cur.minor_units.map(|m| m.to_string()).unwrap_or_else(|| "—".into())) " " } } }
                            }
                        }
                    }
                }
                p { a href="/api/v1/countries" { "/api/v1/countries" } " · " a href="/api/v1/currencies" { "/api/v1/currencies" } " · " a href="/api/v1/units" { "/api/v1/units" } " · " a href="/api/openapi.json" { "OpenAPI" } }
            },
        ),
    )
}

/// `GET /admin/organisations`.
pub async fn organisations(
    State(state): State<AppState>,
    PageCaller { caller, lang }: PageCaller,
) -> Response {
    organisations_page(&state, lang, &caller, None).await
}

async fn organisations_page(
    state: &AppState,
    lang: Lang,
    caller: &Caller,
    message: Option<(bool, String)>,
) -> Response {
    let all = match state.store.organisations().await {
        Ok(all) => all,
        Err(e) => return error_page(lang, Some(caller), &e.into()),
    };
    let visible: Vec<_> = all.into_iter().filter(|o| auth::can_read_org(caller, o)).collect();
    let status = match &message {
        Some((false, _)) => StatusCode::UNPROCESSABLE_ENTITY,
        _ => StatusCode::OK,
    };
    page(
        status,
        layout(
            lang,
            Some(caller),
            t(lang, Key::organisations),
            html! {
                h1 { (t(lang, Key::organisations)) }
                @if let Some((ok, text)) = &message { p class=(if *ok { "ok" } else { "error" }) role="alert" { (text) } }
                table #organisations {
                    thead { tr { th scope="col" { "#" } th scope="col" { (t(lang, Key::name)) } th scope="col" { (t(lang, Key::kind)) } th scope="col" { (t(lang, Key::country)) } } }
                    tbody { @for o in &visible { tr { td { (o.id) } td { a href={ "/admin/organisations/" (o.id) } { (o.name) } } td { (kind_label(lang, o.kind)) } td { (country_name(state, o.country, lang)) } } } }
                }
                @if caller.is_global_admin() || caller.is_country_admin() {
                    h2 { (t(lang, Key::new_organisation)) }
                    form.card method="post" action="/admin/organisations" {
                        input type="hidden" name="csrf_token" value=(caller.csrf_token());
                        label for="org-name" { (t(lang, Key::name)) }
                        input #org-name name="name" required maxlength="200";
                        label for="org-kind" { (t(lang, Key::kind)) }
                        select #org-kind name="kind" { @for k in OrgKind::ALL.iter().filter(|k| auth::can_create_org(caller, **k, caller.org.country)) { option value=(k.as_str()) { (kind_label(lang, *k)) } } }
                        label for="org-country" { (t(lang, Key::country)) }
                        select #org-country name="country" {
                            @for c in CountryCode::MECHANISM {
                                @if let Some(code) = CountryCode::parse(c).ok().filter(|code| auth::can_manage_country(caller, *code)) {
                                    option value=(c) selected[code == caller.org.country] { (country_name(state, code, lang)) }
                                }
                            }
                        }
                        button type="submit" { (t(lang, Key::create)) }
                    }
                }
            },
        ),
    )
}

#[derive(Debug, Deserialize)]
pub struct OrgForm {
    pub name: String,
    pub kind: String,
    pub country: String,
    #[serde(rename = "csrf_token")]
    pub _csrf_token: String,
}

/// `POST /admin/organisations`.
pub async fn create_organisation(
    State(state): State<AppState>,
    headers: HeaderMap,
    caller: Caller,
    Form(form): Form<OrgForm>,
) -> Response {
    let lang = ui_lang(&headers);
    let result = async {
        let kind = OrgKind::parse(&form.kind).ok_or_else(|| {
            ApiError::unprocessable("organisation.invalid_kind", "unknown kind").with_field("kind")
        })?;
        let country = CountryCode::parse(&form.country).map_err(|e| {
            ApiError::unprocessable("organisation.invalid_country", e.to_string())
                .with_field("country")
        })?;
        let req = api::NewOrganisationRequest { name: form.name.clone(), kind, country };
        api::create_organisation_checked(&state, &caller, &req).await
    }
    .await;
    match result {
        Ok(org) => {
            organisations_page(
                &state,
                lang,
                &caller,
                Some((true, format!("{} {}", t(lang, Key::created), org.name))),
            )
            .await
        }
        Err(err) if err.status == StatusCode::FORBIDDEN => error_page(lang, Some(&caller), &err),
        Err(err) => organisations_page(&state, lang, &caller, Some((false, err.message))).await,
    }
}

/// `GET /admin/organisations/{id}`: members, and the new-user form for administrators.
pub async fn organisation(
    State(state): State<AppState>,
    PageCaller { caller, lang }: PageCaller,
    Path(id): Path<i64>,
) -> Response {
    organisation_page(&state, lang, &caller, id, None).await
}

async fn organisation_page(
    state: &AppState,
    lang: Lang,
    caller: &Caller,
    id: i64,
    message: Option<(bool, String)>,
) -> Response {
    let org = match state.store.organisation(id).await {
        Ok(Some(org)) if auth::can_read_org(caller, &org) => org,
        Ok(Some(_)) => {
            return error_page(lang, Some(caller), &ApiError::forbidden(t(lang, Key::forbidden)));
        }
        Ok(None) => {
            return error_page(
                lang,
                Some(caller),
                &ApiError::not_found("organisation.not_found", format!("#{id}")),
            );
        }
        Err(e) => return error_page(lang, Some(caller), &e.into()),
    };
    let users = match state.store.users(Some(org.id)).await {
        Ok(users) => users,
        Err(e) => return error_page(lang, Some(caller), &e.into()),
    };
    page(
        StatusCode::OK,
        layout(
            lang,
            Some(caller),
            &org.name,
            html! {
                h1 { (org.name) }
                p { (kind_label(lang, org.kind)) " · " (country_name(state, org.country, lang)) }
                @if let Some((ok, text)) = &message { p class=(if *ok { "ok" } else { "error" }) role="alert" { (text) } }
                h2 { (t(lang, Key::users)) }
                table #users {
                    thead { tr { th scope="col" { (t(lang, Key::username)) } th scope="col" { (t(lang, Key::display_name)) } th scope="col" { (t(lang, Key::role)) } th scope="col" { (t(lang, Key::active)) } } }
                    tbody { @for u in &users { tr { td { (u.username) } td { (u.display_name) } td { (role_label(lang, u.role)) } td {
                        @if u.active { "✓" } @else { "—" }
                        @if u.id != caller.user.id && auth::can_set_active(caller, u, &org) {
                            " "
                            form.inline method="post" action={ "/admin/users/" (u.id) "/active" } {
                                input type="hidden" name="csrf_token" value=(caller.csrf_token());
                                input type="hidden" name="active" value=(if u.active { "false" } else { "true" });
                                @let label = t(lang, if u.active { Key::deactivate } else { Key::reactivate });
                                button type="submit" aria-label={ (label) " " (u.username) } { (label) }
                            }
                        }
                    } } } }
                }
                @if auth::can_manage(caller, &org) {
                    h2 { (t(lang, Key::new_user)) }
                    form.card method="post" action={ "/admin/organisations/" (org.id) "/users" } {
                        input type="hidden" name="csrf_token" value=(caller.csrf_token());
                        label for="new-username" { (t(lang, Key::username)) }
                        input #new-username name="username" required minlength="3" maxlength="64" autocomplete="off";
                        label for="new-display" { (t(lang, Key::display_name)) }
                        input #new-display name="display_name" required maxlength="200";
                        label for="new-role" { (t(lang, Key::role)) }
                        select #new-role name="role" { @for r in Role::ALL { option value=(r.as_str()) { (role_label(lang, *r)) } } }
                        button type="submit" { (t(lang, Key::create)) }
                    }
                }
            },
        ),
    )
}

#[derive(Debug, Deserialize)]
pub struct UserForm {
    pub username: String,
    pub display_name: String,
    pub role: String,
    #[serde(rename = "csrf_token")]
    pub _csrf_token: String,
}

/// `POST /admin/organisations/{id}/users`: creates a user with a one-time password shown once.
pub async fn create_user(
    State(state): State<AppState>,
    headers: HeaderMap,
    caller: Caller,
    Path(id): Path<i64>,
    Form(form): Form<UserForm>,
) -> Response {
    let lang = ui_lang(&headers);
    let Some(role) = Role::parse(&form.role) else {
        return organisation_page(
            &state,
            lang,
            &caller,
            id,
            Some((false, format!("role: unknown role {:?}", form.role))),
        )
        .await;
    };
    let req = api::NewUserRequest {
        username: form.username,
        display_name: form.display_name,
        org_id: id,
        role,
        password: None,
    };
    match api::create_user_checked(&state, &caller, req).await {
        Ok(created) => {
            let text = format!(
                "{} {} — {}: {}",
                t(lang, Key::created),
                created.user.username,
                t(lang, Key::initial_password),
                created.initial_password.unwrap_or_default()
            );
            organisation_page(&state, lang, &caller, id, Some((true, text))).await
        }
        Err(err) if err.status == StatusCode::FORBIDDEN => error_page(lang, Some(&caller), &err),
        Err(err) => {
            let field = err.field.clone().unwrap_or_default();
            organisation_page(
                &state,
                lang,
                &caller,
                id,
                Some((false, format!("{field}: {}", err.message))),
            )
            .await
        }
    }
}

/// `GET /tokens`.
pub async fn tokens(
    State(state): State<AppState>,
    PageCaller { caller, lang }: PageCaller,
) -> Response {
    tokens_page(&state, lang, &caller, None).await
}

async fn tokens_page(
    state: &AppState,
    lang: Lang,
    caller: &Caller,
    secret: Option<String>,
) -> Response {
    let tokens = match state.store.api_tokens(caller.user.id).await {
        Ok(tokens) => tokens,
        Err(e) => return error_page(lang, Some(caller), &e.into()),
    };
    page(
        StatusCode::OK,
        layout(
            lang,
            Some(caller),
            t(lang, Key::api_tokens),
            html! {
                h1 { (t(lang, Key::api_tokens)) }
                @if let Some(secret) = &secret {
                    div.ok role="alert" { p { (t(lang, Key::token_shown_once)) } code #new-token-secret { (secret) } }
                }
                table #tokens {
                    thead { tr { th scope="col" { (t(lang, Key::name)) } th scope="col" { (t(lang, Key::created)) } th scope="col" { (t(lang, Key::revoked)) } th scope="col" { span.visually-hidden { (t(lang, Key::revoke)) } } } }
                    tbody {
                        @for tok in &tokens {
                            tr {
                                td { (tok.name) } td { (tok.created_at.date()) }
                                td { @if let Some(at) = tok.revoked_at { (at.date()) } @else { "—" } }
                                td { @if tok.revoked_at.is_none() {
                                    form method="post" action={ "/tokens/" (tok.id) "/revoke" } {
                                        input type="hidden" name="csrf_token" value=(caller.csrf_token());
                                        button type="submit" aria-label={ (t(lang, Key::revoke)) " " (tok.name) } { (t(lang, Key::revoke)) }
                                    }
                                } }
                            }
                        }
                    }
                }
                h2 { (t(lang, Key::new_token)) }
                form.card method="post" action="/tokens" {
                    input type="hidden" name="csrf_token" value=(caller.csrf_token());
                    label for="token-name" { (t(lang, Key::name)) }
                    input #token-name name="name" required maxlength="100";
                    button type="submit" { (t(lang, Key::create)) }
                }
            },
        ),
    )
}

#[derive(Debug, Deserialize)]
pub struct TokenForm {
    pub name: String,
    #[serde(rename = "csrf_token")]
    pub _csrf_token: String,
}

/// `POST /tokens`.
pub async fn create_token(
    State(state): State<AppState>,
    headers: HeaderMap,
    caller: Caller,
    Form(form): Form<TokenForm>,
) -> Response {
    let lang = ui_lang(&headers);
    match api::create_token_checked(&state, &caller, &form.name).await {
        Ok(created) => tokens_page(&state, lang, &caller, Some(created.secret)).await,
        Err(err) => error_page(lang, Some(&caller), &err),
    }
}

#[derive(Debug, Deserialize)]
pub struct CsrfOnly {
    #[serde(rename = "csrf_token")]
    pub _csrf_token: String,
}

/// `POST /tokens/{id}/revoke`.
pub async fn revoke_token(
    State(state): State<AppState>,
    headers: HeaderMap,
    caller: Caller,
    Path(id): Path<i64>,
    Form(_form): Form<CsrfOnly>,
) -> Response {
    let lang = ui_lang(&headers);
    match api::revoke_token_checked(&state, &caller, id).await {
        Ok(_) => Redirect::to("/tokens").into_response(),
        Err(err) => error_page(lang, Some(&caller), &err),
    }
}

#[derive(Debug, Deserialize)]
pub struct ActiveForm {
    pub active: bool,
    #[serde(rename = "csrf_token")]
    pub _csrf_token: String,
}

/// `POST /admin/users/{id}/active`: deactivates or reactivates a user, back to their
/// organisation's page.
pub async fn set_user_active(
    State(state): State<AppState>,
    PageCaller { caller, lang }: PageCaller,
    Path(id): Path<i64>,
    Form(form): Form<ActiveForm>,
) -> Response {
    match api::set_user_active_checked(&state, &caller, id, form.active).await {
        Ok(user) => Redirect::to(&format!("/admin/organisations/{}", user.org_id)).into_response(),
        Err(err) => error_page(lang, Some(&caller), &err),
    }
}

/// The change-password form, with what went wrong (an error) or right (a notice).
fn password_page(
    lang: Lang,
    caller: &Caller,
    error: Option<(&str, String)>,
    done: bool,
) -> Response {
    let field = error.as_ref().map(|(field, _)| *field);
    let status = match &error {
        Some(_) => StatusCode::UNPROCESSABLE_ENTITY,
        None => StatusCode::OK,
    };
    page(
        status,
        layout(
            lang,
            Some(caller),
            t(lang, Key::change_password),
            html! {
                h1 { (t(lang, Key::change_password)) }
                @if done {
                    p.ok role="status" #password-changed { (t(lang, Key::password_changed)) }
                }
                @if let Some((_, message)) = &error {
                    p.error role="alert" #password-error { (message) }
                }
                form.card method="post" action="/account/password" {
                    input type="hidden" name="csrf_token" value=(caller.csrf_token());
                    label for="current-password" { (t(lang, Key::current_password)) }
                    input #current-password type="password" name="current_password" required
                        autocomplete="current-password" maxlength="1024"
                        aria-invalid=[(field == Some("current_password")).then_some("true")];
                    label for="new-password" { (t(lang, Key::new_password)) }
                    input #new-password type="password" name="new_password" required
                        autocomplete="new-password" minlength="12" maxlength="1024"
                        aria-invalid=[(field == Some("new_password")).then_some("true")];
                    button type="submit" { (t(lang, Key::change_password)) }
                }
            },
        ),
    )
}

/// `GET /account/password`.
pub async fn password_form(PageCaller { caller, lang }: PageCaller) -> Response {
    password_page(lang, &caller, None, false)
}

#[derive(Debug, Deserialize)]
pub struct PasswordForm {
    pub current_password: String,
    pub new_password: String,
    #[serde(rename = "csrf_token")]
    pub _csrf_token: String,
}

/// `POST /account/password`: the same operation as the API, its errors in the page's language.
pub async fn change_password(
    State(state): State<AppState>,
    extensions: axum::http::Extensions,
    PageCaller { caller, lang }: PageCaller,
    Form(form): Form<PasswordForm>,
) -> Response {
    let req = api::PasswordChangeRequest {
        current_password: form.current_password,
        new_password: form.new_password,
    };
    let ip = auth::client_ip(&extensions);
    match api::change_own_password(&state, &caller, ip, &req).await {
        Ok(()) => password_page(lang, &caller, None, true),
        Err(err) => {
            let message = match err.code {
                "user.wrong_current_password" => t(lang, Key::password_wrong_current).to_owned(),
                "user.weak_password" => t(lang, Key::password_too_weak).to_owned(),
                "user.same_password" => t(lang, Key::password_same).to_owned(),
                "auth.rate_limited" => t(lang, Key::login_rate_limited)
                    .replace("{seconds}", &err.retry_after.unwrap_or(1).to_string()),
                _ => return error_page(lang, Some(&caller), &err),
            };
            let field = err.field.as_deref().unwrap_or("current_password");
            let field = if field == "new_password" { "new_password" } else { "current_password" };
            password_page(lang, &caller, Some((field, message)), false)
        }
    }
}

/// `GET /audit`: the latest entries and whether the chain verifies.
pub async fn audit(
    State(state): State<AppState>,
    PageCaller { caller, lang }: PageCaller,
) -> Response {
    if !auth::can_read_audit(&caller) {
        return error_page(lang, Some(&caller), &ApiError::forbidden(t(lang, Key::forbidden)));
    }
    let entries = match crate::all_audit_entries(state.store.as_ref()).await {
        Ok(entries) => entries,
        Err(e) => return error_page(lang, Some(&caller), &e.into()),
    };
    let verdict = caravan_store::verify_audit_chain(&entries);
    page(
        StatusCode::OK,
        layout(
            lang,
            Some(&caller),
            t(lang, Key::audit_log),
            html! {
                h1 { (t(lang, Key::audit_log)) }
                @match &verdict {
                    Ok(()) => p.ok role="status" { (t(lang, Key::chain_ok)) " (" (entries.len()) ")" },
                    Err(b) => p.error role="alert" { (t(lang, Key::chain_broken)) " " (b.seq) ": " (b.reason) },
                }
                table {
                    thead { tr { th scope="col" { "#" } th scope="col" { (t(lang, Key::when)) } th scope="col" { (t(lang, Key::who)) } th scope="col" { (t(lang, Key::action)) } th scope="col" { (t(lang, Key::target)) } } }
                    tbody { @for e in entries.iter().rev().take(200) { tr { td { (e.seq) } td { (e.at.to_string()) } td { (e.actor.name) } td { code { (e.action) } } td { (e.target) } } } }
                }
            },
        ),
    )
}

/// Fallback for unknown paths: HTML for browsers (in the visitor's language, with their menu),
/// the JSON error for API clients.
pub async fn not_found(
    headers: HeaderMap,
    uri: axum::http::Uri,
    caller: Result<MaybeCaller, ApiError>,
) -> Response {
    if uri.path().starts_with("/api/") {
        let err = ApiError::not_found(
            "route.not_found",
            format!("no such page or endpoint: {}", uri.path()),
        );
        return err.into_response();
    }
    let lang = ui_lang(&headers);
    // A session that fails to authenticate still gets the not-found page, anonymously.
    let caller = caller.ok().and_then(|MaybeCaller(caller)| caller);
    let heading = t(lang, Key::not_found);
    page(
        StatusCode::NOT_FOUND,
        layout(
            lang,
            caller.as_ref(),
            heading,
            html! {
                h1 { (heading) }
                p role="alert" { (t(lang, Key::page_not_found_at)) " " a href="/" { (t(lang, Key::home)) } }
                p { code { (uri.path()) } }
            },
        ),
    )
}
