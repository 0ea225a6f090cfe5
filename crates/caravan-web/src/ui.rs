//! What every page of the server-rendered web UI shares: the layout (plain HTML forms and links,
//! no JavaScript needed; every string through [`crate::i18n`]; a skip link and visible focus),
//! the interface language, error pages and the extractor of pages behind a login.

use axum::extract::Path;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use caravan_refdata::Lang;
use caravan_store::Role;
use maud::{DOCTYPE, Markup, html};

use crate::AppState;
use crate::auth::{self, Caller, MaybeCaller};
use crate::error::ApiError;
use crate::i18n::{Key, t};

/// Cookie that remembers the chosen interface language.
pub const LANG_COOKIE: &str = "caravan_lang";

/// The interface language: the cookie, else the browser's `Accept-Language`, else English.
pub fn ui_lang(headers: &HeaderMap) -> Lang {
    if let Some(lang) = auth::cookie(headers, LANG_COOKIE).and_then(Lang::parse) {
        return lang;
    }
    headers
        .get(header::ACCEPT_LANGUAGE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| {
            v.split(',').find_map(|part| Lang::parse(part.split(';').next().unwrap_or("").trim()))
        })
        .unwrap_or_default()
}

pub const STYLESHEET: &str = include_str!("app.css");

/// One link of the main navigation: a page, its label, and who is shown it. A feature crate
/// defines its own links (the predicate is its policy: a link is shown only to the visitors who
/// can use the page); the server installs them all, in order, with [`install_navigation`].
#[derive(Clone, Copy)]
pub struct NavLink {
    pub href: &'static str,
    pub label: Key,
    pub audience: Audience,
}

/// Who a [`NavLink`] is shown to.
#[derive(Clone, Copy)]
pub enum Audience {
    /// Everyone, signed in or not: the public pages.
    Everyone,
    /// Signed-in visitors for whom the predicate holds.
    SignedIn(fn(&Caller) -> bool),
}

impl NavLink {
    /// A page everyone may use, signed in or not.
    pub const fn public(href: &'static str, label: Key) -> NavLink {
        NavLink { href, label, audience: Audience::Everyone }
    }

    /// A page for the signed-in visitors for whom `may` holds.
    pub const fn signed_in(href: &'static str, label: Key, may: fn(&Caller) -> bool) -> NavLink {
        NavLink { href, label, audience: Audience::SignedIn(may) }
    }

    /// Whether `caller` (`None`: an anonymous visitor) is shown this link.
    pub fn shown_to(&self, caller: Option<&Caller>) -> bool {
        match (self.audience, caller) {
            (Audience::Everyone, _) => true,
            (Audience::SignedIn(may), Some(caller)) => may(caller),
            (Audience::SignedIn(_), None) => false,
        }
    }
}

static NAVIGATION: std::sync::OnceLock<Vec<NavLink>> = std::sync::OnceLock::new();

/// The menu before [`install_navigation`]: the core's own pages.
static CORE_NAVIGATION: std::sync::LazyLock<Vec<NavLink>> =
    std::sync::LazyLock::new(|| [core_navigation(), account_navigation()].concat());

/// Installs the main navigation of every page; the first call wins (one server, one menu).
pub fn install_navigation(links: Vec<NavLink>) {
    let _ = NAVIGATION.set(links);
}

/// The main navigation: what [`install_navigation`] installed, else the core's own pages. A page
/// drawn before the server installs its menu does not fix the core's menu for good.
pub fn navigation() -> &'static [NavLink] {
    NAVIGATION.get().unwrap_or(&CORE_NAVIGATION)
}

/// The links of the main navigation `caller` (`None`: anonymous) is shown.
pub fn menu_for(caller: Option<&Caller>) -> impl Iterator<Item = &'static NavLink> {
    navigation().iter().filter(move |link| link.shown_to(caller))
}

/// The core's pages in the navigation: HS search and reference data for everyone; the
/// organisations page for administrators and customs officers; API tokens for every signed-in
/// user; the audit log for those who may read it.
pub fn core_navigation() -> Vec<NavLink> {
    vec![NavLink::public("/hs", Key::hs_search), NavLink::public("/reference", Key::reference_data)]
}

/// The core's pages every signed-in visitor's menu ends with.
pub fn account_navigation() -> Vec<NavLink> {
    vec![
        NavLink::signed_in("/admin/organisations", Key::organisations, |caller| {
            caller.is_admin() || caller.user.role == Role::CustomsOfficer
        }),
        NavLink::signed_in("/tokens", Key::api_tokens, |_| true),
        NavLink::signed_in("/audit", Key::audit_log, auth::can_read_audit),
    ]
}

pub fn layout(lang: Lang, caller: Option<&Caller>, title: &str, body: Markup) -> Markup {
    html! {
        (DOCTYPE)
        html lang=(lang.as_str()) {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (title) " — " (t(lang, Key::app_name)) }
                link rel="stylesheet" href="/static/app.css";
            }
            body {
                a.skip href="#main" { (t(lang, Key::skip_to_content)) }
                header.top {
                    div.brand {
                        a href="/" { strong { (t(lang, Key::app_name)) } }
                        span.tagline { (t(lang, Key::tagline)) }
                    }
                    nav aria-label=(t(lang, Key::language)) .langs {
                        @for (code, label) in [("en", "English"), ("ru", "Русский"), ("zh", "中文")] {
                            @if code == lang.as_str() {
                                span aria-current="true" lang=(code) { (label) }
                            } @else {
                                a href={ "/lang/" (code) } lang=(code) hreflang=(code) { (label) }
                            }
                        }
                    }
                    nav.main aria-label=(t(lang, Key::main_menu)) {
                        @for link in menu_for(caller) {
                            a href=(link.href) { (t(lang, link.label)) }
                        }
                        @if caller.is_none() {
                            a href="/login" { (t(lang, Key::login)) }
                        }
                    }
                    @if let Some(caller) = caller {
                        form.logout method="post" action="/logout" {
                            span { (t(lang, Key::signed_in_as)) " " strong #current-user { (caller.user.username) } }
                            " " a href="/account/password" { (t(lang, Key::change_password)) } " "
                            input type="hidden" name="csrf_token" value=(caller.csrf_token());
                            button type="submit" { (t(lang, Key::logout)) }
                        }
                    }
                }
                main #main tabindex="-1" { (body) }
            }
        }
    }
}

pub fn page(status: StatusCode, markup: Markup) -> Response {
    (status, [(header::CONTENT_TYPE, "text/html; charset=utf-8")], markup.into_string())
        .into_response()
}

pub fn error_page(lang: Lang, caller: Option<&Caller>, err: &ApiError) -> Response {
    let heading = match err.status {
        StatusCode::FORBIDDEN => t(lang, Key::forbidden),
        StatusCode::NOT_FOUND => t(lang, Key::not_found),
        _ => t(lang, Key::error),
    };
    page(
        err.status,
        layout(
            lang,
            caller,
            heading,
            html! {
                h1 { (heading) }
                p role="alert" { (err.message) }
            },
        ),
    )
}

/// `GET /lang/{code}`: remembers the language and goes back.
pub async fn set_lang(Path(code): Path<String>, headers: HeaderMap) -> Response {
    let lang = Lang::parse(&code).unwrap_or_default();
    // Go back to the page the switch was on, but only within this site.
    let back = headers
        .get(header::REFERER)
        .and_then(|v| v.to_str().ok())
        .and_then(|r| r.split_once("://").map(|(_, rest)| rest))
        .and_then(|rest| rest.find('/').map(|i| rest[i..].to_owned()))
        .filter(|p| p.starts_with('/') && !p.starts_with("//") && !p.starts_with("/lang/"))
        .unwrap_or_else(|| "/".to_owned());
    let cookie = format!("{LANG_COOKIE}={}; Path=/; Max-Age=31536000; SameSite=Lax", lang.as_str());
    ([(header::SET_COOKIE, cookie)], Redirect::to(&back)).into_response()
}

pub async fn stylesheet() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        STYLESHEET,
    )
        .into_response()
}

/// `7403` → `7403`, `740311` → `7403.11`, the way codes are printed in tariffs.
pub fn dotted(code: &str) -> String {
    if code.len() > 4 { format!("{}.{}", &code[..4], &code[4..]) } else { code.to_owned() }
}

/// A page's logged-in visitor and their interface language ([`ui_lang`]): the extractor of every
/// page that needs a login. A visitor without a valid session is sent to `/login` (303), not
/// shown the API's JSON 401; a failed authentication is answered as the API answers it.
pub struct PageCaller {
    pub caller: Caller,
    pub lang: Lang,
}

impl axum::extract::FromRequestParts<AppState> for PageCaller {
    type Rejection = Response;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let lang = ui_lang(&parts.headers);
        match MaybeCaller::from_request_parts(parts, state).await {
            Ok(MaybeCaller(Some(caller))) => Ok(PageCaller { caller, lang }),
            Ok(MaybeCaller(None)) => Err(Redirect::to("/login").into_response()),
            Err(err) => Err(err.into_response()),
        }
    }
}

/// Percent-encodes a query value (RFC 3986 unreserved characters pass).
pub fn percent_encode(text: &str) -> String {
    let mut out = String::new();
    for b in text.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            out.push(b as char);
        } else {
            let _ = std::fmt::Write::write_fmt(&mut out, format_args!("%{b:02X}"));
        }
    }
    out
}
