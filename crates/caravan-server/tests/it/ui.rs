//! The web UI over plain HTTP: login with CSRF, cookie flags, forms, languages.

use axum::body::Body;
use axum::http::{Request, header};
use caravan_refdata::Lang;
use caravan_server::i18n::{Key, has_translation};

use crate::support::{PASSWORD, TestApp, body_text};

fn set_cookie_value(response: &axum::http::Response<Body>, name: &str) -> Option<(String, String)> {
    response
        .headers()
        .get_all(header::SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with(&format!("{name}=")))
        .map(|v| {
            let value = v.split(';').next().unwrap().split_once('=').unwrap().1.to_owned();
            (value, v.to_owned())
        })
}

/// Logs in through the form as the browser does; returns the session cookie and the page's CSRF token.
pub(crate) async fn login(app: &TestApp, username: &str) -> (String, String) {
    let form = app.send(Request::get("/login").body(Body::empty()).unwrap()).await;
    let (pre, _) = set_cookie_value(&form, "caravan_login_csrf").unwrap();
    let body =
        format!("username={username}&password={}&csrf_token={pre}", PASSWORD.replace(' ', "+"));
    let response = app
        .send(
            Request::post("/login")
                .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
                .header(header::COOKIE, format!("caravan_login_csrf={pre}"))
                .body(Body::from(body))
                .unwrap(),
        )
        .await;
    assert_eq!(response.status(), 303, "login redirects home");
    let (session, raw) = set_cookie_value(&response, "caravan_session").unwrap();
    assert!(raw.contains("HttpOnly") && raw.contains("SameSite=Strict"), "{raw}");
    let home = app
        .send(
            Request::get("/tokens")
                .header(header::COOKIE, format!("caravan_session={session}"))
                .body(Body::empty())
                .unwrap(),
        )
        .await;
    let html = body_text(home).await;
    let csrf = html
        .split("name=\"csrf_token\" value=\"")
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap()
        .to_owned();
    (session, csrf)
}

#[tokio::test]
async fn the_login_form_needs_its_csrf_cookie() {
    let app = TestApp::new().await;
    let body =
        format!("username=trader-a&password={}&csrf_token=forged", PASSWORD.replace(' ', "+"));
    let response = app
        .send(
            Request::post("/login")
                .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
                .body(Body::from(body))
                .unwrap(),
        )
        .await;
    assert_eq!(response.status(), 403);
    assert!(set_cookie_value(&response, "caravan_session").is_none());
}

#[tokio::test]
async fn a_wrong_password_shows_a_message_and_no_session() {
    let app = TestApp::new().await;
    let form = app.send(Request::get("/login").body(Body::empty()).unwrap()).await;
    let (pre, _) = set_cookie_value(&form, "caravan_login_csrf").unwrap();
    let response = app
        .send(
            Request::post("/login")
                .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
                .header(header::COOKIE, format!("caravan_login_csrf={pre}; caravan_lang=ru"))
                .body(Body::from(format!("username=trader-a&password=nope&csrf_token={pre}")))
                .unwrap(),
        )
        .await;
    assert_eq!(response.status(), 401);
    assert!(set_cookie_value(&response, "caravan_session").is_none());
    let html = body_text(response).await;
    assert!(
        html.contains("Неверное имя пользователя или пароль"),
        "the message is in the chosen language"
    );
}

#[tokio::test]
async fn a_slowed_login_says_in_words_how_long_to_wait() {
    let app = TestApp::new().await;
    let form = app.send(Request::get("/login").body(Body::empty()).unwrap()).await;
    let (pre, _) = set_cookie_value(&form, "caravan_login_csrf").unwrap();
    let attempt = |lang: &str| {
        Request::post("/login")
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .header(header::COOKIE, format!("caravan_login_csrf={pre}; caravan_lang={lang}"))
            .body(Body::from(format!("username=trader-a&password=nope&csrf_token={pre}")))
            .unwrap()
    };
    for _ in 0..caravan_server::auth::LoginLimiter::FREE_PER_USER {
        assert_eq!(app.send(attempt("en")).await.status(), 401);
    }
    for (lang, words) in [
        ("en", "Try again in 1 s."),
        ("ru", "Попробуйте снова через 1 с."),
        ("zh", "请等待1秒后重试"),
    ] {
        let response = app.send(attempt(lang)).await;
        assert_eq!(response.status(), 429, "{lang}");
        assert_eq!(response.headers()[header::RETRY_AFTER], "1", "{lang}");
        let html = body_text(response).await;
        assert!(html.contains(words), "{lang}: {html}");
        assert!(!html.contains("{seconds}"), "{lang}");
    }
}

#[tokio::test]
async fn session_forms_need_the_csrf_token() {
    let app = TestApp::new().await;
    let (session, csrf) = login(&app, "trader-a").await;
    let post = |body: String| {
        Request::post("/tokens")
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .header(header::COOKIE, format!("caravan_session={session}"))
            .body(Body::from(body))
            .unwrap()
    };
    let forged = app.send(post("name=evil&csrf_token=wrong".to_owned())).await;
    assert_eq!(forged.status(), 403);
    let missing = app.send(post("name=evil".to_owned())).await;
    assert_eq!(missing.status(), 403);
    let user = app.state.store.user_by_username("trader-a").await.unwrap().unwrap();
    assert!(
        app.state.store.api_tokens(user.id).await.unwrap().is_empty(),
        "forged forms stored nothing"
    );
    let ok = app.send(post(format!("name=laptop&csrf_token={csrf}"))).await;
    assert_eq!(ok.status(), 200);
    let html = body_text(ok).await;
    assert!(html.contains("new-token-secret"), "the new secret is shown once");
    assert_eq!(app.state.store.api_tokens(user.id).await.unwrap().len(), 1);
    // A JSON call with the cookie needs the header too.
    let json = |csrf: Option<&str>| {
        let mut req = Request::post("/api/v1/tokens")
            .header(header::CONTENT_TYPE, "application/json")
            .header(header::COOKIE, format!("caravan_session={session}"));
        if let Some(csrf) = csrf {
            req = req.header("x-csrf-token", csrf);
        }
        req.body(Body::from(r#"{"name": "api"}"#)).unwrap()
    };
    assert_eq!(app.send(json(None)).await.status(), 403);
    assert_eq!(app.send(json(Some(&csrf))).await.status(), 201);
}

#[tokio::test]
async fn pages_render_in_the_chosen_language() {
    let app = TestApp::new().await;
    let (session, _) = login(&app, "kz-admin").await;
    for (lang, expected, kind) in [
        ("en", "Organisations", "Customs administration"),
        ("ru", "Организации", "Таможенная администрация"),
        ("zh", "机构", "海关"),
    ] {
        let cookie = format!("caravan_session={session}; caravan_lang={lang}");
        let (status, html) = app.page("/admin/organisations", Some(&cookie)).await;
        assert_eq!(status, 200);
        assert!(html.contains(&format!("<html lang=\"{lang}\"")), "{lang}");
        assert!(html.contains(expected), "{lang}: {expected}");
        // Organisation kinds read as words in the language, never as the API's identifiers.
        assert!(html.contains(&format!(">{kind}<")), "{lang}: {kind} in {html}");
        assert!(!html.contains(">customs_administration<"), "{lang}: {html}");
    }
    let switch = app
        .send(
            Request::get("/lang/zh")
                .header(header::REFERER, "http://127.0.0.1:8080/hs?q=wheat")
                .body(Body::empty())
                .unwrap(),
        )
        .await;
    assert_eq!(switch.status(), 303);
    assert_eq!(switch.headers()[header::LOCATION], "/hs?q=wheat");
    assert!(set_cookie_value(&switch, "caravan_lang").unwrap().0 == "zh");
    let offsite = app
        .send(
            Request::get("/lang/ru")
                .header(header::REFERER, "http://127.0.0.1:8080//evil.example/")
                .body(Body::empty())
                .unwrap(),
        )
        .await;
    assert_eq!(offsite.headers()[header::LOCATION], "/", "no open redirect");
}

#[tokio::test]
async fn hs_search_page_shows_results_with_paths() {
    let app = TestApp::new().await;
    let response =
        app.send(Request::get("/hs?q=copper+cathodes").body(Body::empty()).unwrap()).await;
    assert_eq!(response.status(), 200);
    let html = body_text(response).await;
    assert!(html.contains("href=\"/hs/740311\""), "result links to its page");
    assert!(html.contains("<label for=\"q\">"), "the search box has a label");
    let detail = body_text(
        app.send(
            Request::get("/hs/740311")
                .header(header::COOKIE, "caravan_lang=ru")
                .body(Body::empty())
                .unwrap(),
        )
        .await,
    )
    .await;
    assert!(detail.contains("7403.11"));
    assert!(detail.contains("Медь рафинированная"), "Russian heading names in the path");
}

#[tokio::test]
async fn admin_pages_deny_other_countries_and_roles() {
    let app = TestApp::new().await;
    let (session, _) = login(&app, "trader-a").await;
    let page = |path: String| {
        Request::get(path)
            .header(header::COOKIE, format!("caravan_session={session}"))
            .body(Body::empty())
            .unwrap()
    };
    assert_eq!(
        app.send(page(format!("/admin/organisations/{}", app.ids.kz_trader_b))).await.status(),
        403
    );
    assert_eq!(
        app.send(page(format!("/admin/organisations/{}", app.ids.kz_trader_a))).await.status(),
        200
    );
    assert_eq!(app.send(page("/audit".to_owned())).await.status(), 403);
    let anonymous = app.send(Request::get("/tokens").body(Body::empty()).unwrap()).await;
    assert_eq!(anonymous.status(), 303, "visitors are sent to log in");
}

#[test]
fn every_ui_string_is_translated() {
    for key in Key::ALL {
        for lang in [Lang::En, Lang::Ru, Lang::Zh] {
            assert!(has_translation(lang, *key), "{key:?} has no {lang:?} text");
        }
    }
}

/// Every page behind a login (`ui::PageCaller`) sends a visitor without a session, or with a
/// session the server does not know, to the login page — never the API's JSON 401 — and a
/// logged-in visitor gets the page in their language.
#[tokio::test]
async fn pages_behind_a_login_redirect_visitors_to_the_login_page() {
    let app = TestApp::new().await;
    let pages = [
        "/admin/organisations",
        "/declarations",
        "/declarations/rules",
        "/trade",
        "/poverty",
        "/land",
        "/signing-keys",
        "/scholarships/calls/new",
    ];
    for path in pages {
        for cookie in [None, Some("caravan_session=forged-session-id")] {
            let mut request = Request::get(path);
            if let Some(cookie) = cookie {
                request = request.header(header::COOKIE, cookie);
            }
            let response = app.send(request.body(Body::empty()).unwrap()).await;
            assert_eq!(response.status(), 303, "{path} with {cookie:?}");
            assert_eq!(response.headers()[header::LOCATION], "/login", "{path} with {cookie:?}");
        }
    }
    let (session, _) = login(&app, "trader-a").await;
    let response = app
        .send(
            Request::get("/declarations")
                .header(header::COOKIE, format!("caravan_session={session}; caravan_lang=ru"))
                .body(Body::empty())
                .unwrap(),
        )
        .await;
    assert_eq!(response.status(), 200);
    let html = body_text(response).await;
    assert!(html.contains("lang=\"ru\""), "the page is not in Russian");
}

/// An address with no page answers 404 in the visitor's language, with the menu they would see
/// anywhere else (signed in: their pages and the logout button) and a way home; an API path
/// keeps the JSON error.
#[tokio::test]
async fn the_not_found_page_speaks_the_visitors_language_and_keeps_their_menu() {
    let app = TestApp::new().await;
    let (session, _) = login(&app, "trader-a").await;
    for (lang, text) in [
        ("en", "There is no page at this address"),
        ("ru", "По этому адресу страницы нет"),
        ("zh", "此地址没有页面"),
    ] {
        let cookie = format!("caravan_session={session}; caravan_lang={lang}");
        let (status, html) = app.page("/no-such-page", Some(&cookie)).await;
        assert_eq!(status, 404);
        assert!(html.contains(text), "{lang}: {html}");
        assert!(html.contains("action=\"/logout\""), "{lang}: the signed-in menu is missing");
        assert!(html.contains("href=\"/declarations\""), "{lang}: the trader's pages are missing");
        assert!(!html.contains("no such page or endpoint"), "{lang}: English API message");
    }
    let (status, html) = app.page("/nowhere", None).await;
    assert_eq!(status, 404);
    assert!(html.contains("href=\"/login\"") && !html.contains("action=\"/logout\""));
    let api = app.send(Request::get("/api/v1/nowhere").body(Body::empty()).unwrap()).await;
    assert_eq!(api.status(), 404);
    assert!(body_text(api).await.contains("\"code\":\"route.not_found\""));
}

/// A visitor who has not signed in gets the public home page — what Caravan is and the public
/// tools — not the login form.
#[tokio::test]
async fn anonymous_visitors_get_a_public_home_page() {
    let app = TestApp::new().await;
    let (status, html) = app.page("/", Some("caravan_lang=ru")).await;
    assert_eq!(status, 200);
    assert!(html.contains("Без учётной записи можно проверить сертификат"), "{html}");
    for link in ["/verify", "/tariff", "/origin", "/logs", "/login"] {
        assert!(html.contains(&format!("href=\"{link}\"")), "{link} missing: {html}");
    }
}

#[tokio::test]
async fn the_account_page_changes_the_password_and_says_what_went_wrong() {
    let app = TestApp::new().await;
    let (session, csrf) = login(&app, "trader-a").await;
    let home = app
        .send(
            Request::get("/")
                .header(header::COOKIE, format!("caravan_session={session}"))
                .body(Body::empty())
                .unwrap(),
        )
        .await;
    assert!(body_text(home).await.contains("href=\"/account/password\""), "linked from every page");
    let post = |current: &str, new: &str| {
        let body = format!(
            "current_password={}&new_password={}&csrf_token={csrf}",
            current.replace(' ', "+"),
            new.replace(' ', "+")
        );
        Request::post("/account/password")
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .header(header::COOKIE, format!("caravan_session={session}; caravan_lang=ru"))
            .body(Body::from(body))
            .unwrap()
    };
    let response = app.send(post("not my password", "a brand new password")).await;
    assert_eq!(response.status(), 422);
    let html = body_text(response).await;
    assert!(html.contains("Текущий пароль неверен"), "{html}");
    assert!(html.contains("name=\"current_password\" required autocomplete=\"current-password\" maxlength=\"1024\" aria-invalid=\"true\""), "{html}");
    let response = app.send(post(PASSWORD, "short")).await;
    assert_eq!(response.status(), 422);
    assert!(body_text(response).await.contains("от 12 до 1024 символов"));
    let response = app.send(post(PASSWORD, "a brand new password")).await;
    assert_eq!(response.status(), 200);
    assert!(body_text(response).await.contains("Пароль изменён."));
    let user = app.state.store.user_by_username("trader-a").await.unwrap().unwrap();
    assert!(caravan_server::auth::verify_password("a brand new password", &user.password_hash));
}

#[tokio::test]
async fn the_organisation_page_deactivates_and_reactivates_a_user() {
    let app = TestApp::new().await;
    let trader_token = app.token("trader-a").await;
    let (trader_session, _) = login(&app, "trader-a").await;
    let (session, csrf) = login(&app, "kz-admin").await;
    let trader = app.state.store.user_by_username("trader-a").await.unwrap().unwrap();
    let org_page = format!("/admin/organisations/{}", app.ids.kz_trader_a);
    let get = |path: &str, cookie: &str| {
        Request::get(path)
            .header(header::COOKIE, format!("caravan_session={cookie}"))
            .body(Body::empty())
            .unwrap()
    };
    let html = body_text(app.send(get(&org_page, &session)).await).await;
    let action = format!("action=\"/admin/users/{}/active\"", trader.id);
    assert!(html.contains(&action) && html.contains("Deactivate"), "{html}");
    let set = |active: bool| {
        Request::post(format!("/admin/users/{}/active", trader.id))
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .header(header::COOKIE, format!("caravan_session={session}"))
            .body(Body::from(format!("active={active}&csrf_token={csrf}")))
            .unwrap()
    };
    let response = app.send(set(false)).await;
    assert_eq!(response.status(), 303);
    assert_eq!(response.headers()[header::LOCATION], org_page.as_str());
    // The deactivated user's token and session stop working at once.
    let (status, body) = app.get("/api/v1/me", Some(&trader_token)).await;
    assert_eq!((status, crate::support::error_code(&body)), (401, "auth.user_disabled"));
    let response = app.send(get("/api/v1/me", &trader_session)).await;
    assert_eq!(response.status(), 401);
    let html = body_text(app.send(get(&org_page, &session)).await).await;
    assert!(html.contains("Reactivate"), "{html}");
    assert_eq!(app.send(set(true)).await.status(), 303);
    let (status, _) = app.get("/api/v1/me", Some(&trader_token)).await;
    assert_eq!(status, 200, "reactivated");
}

/// Every string table of every feature, in en/ru/zh: no empty form (which would fall back to
/// English), and no Russian or Chinese form that is the English text copied (issue 21:
/// "every string in every language"). Codes, names and units that read the same everywhere
/// are listed as such.
#[test]
fn every_feature_string_is_translated_not_copied() {
    use caravan_server::i18n::Text;
    fn check<K: Text + std::fmt::Debug>(table: &str, keys: &[K], problems: &mut Vec<String>) {
        // Texts that are the same in every language: brand, codes, formats, units, symbols.
        let same_everywhere = |en: &str| {
            !en.chars().any(|c| c.is_ascii_lowercase())
                || en.split_whitespace().count() == 1 && en.chars().any(|c| c.is_ascii_digit())
        };
        for key in keys {
            let [en, ru, zh] = key.table();
            for (lang, text) in [("ru", ru), ("zh", zh)] {
                if text.is_empty() {
                    problems.push(format!("{table}::{key:?} has no {lang} text"));
                } else if text == en && !same_everywhere(en) {
                    problems.push(format!("{table}::{key:?}: {lang} is the English {en:?}"));
                }
            }
        }
    }
    // The check itself finds a copied, an empty and a legitimately shared string.
    #[derive(Debug, Clone, Copy)]
    enum Probe {
        Copied,
        Empty,
        Code,
    }
    impl Text for Probe {
        fn table(self) -> [&'static str; 3] {
            match self {
                Probe::Copied => ["Save draft", "Save draft", "保存草稿"],
                Probe::Empty => ["Save draft", "Сохранить черновик", ""],
                Probe::Code => ["HS 2022", "HS 2022", "HS 2022"],
            }
        }
    }
    let mut found = Vec::new();
    check("Probe", &[Probe::Copied, Probe::Empty, Probe::Code], &mut found);
    assert_eq!(found.len(), 2, "{found:?}");

    let mut problems = Vec::new();
    check("Key", Key::ALL, &mut problems);
    check("CertKey", caravan_server::certs::CertKey::ALL, &mut problems);
    check("DatasetKey", caravan_server::datasets::DatasetKey::ALL, &mut problems);
    check("DeclKey", caravan_server::declarations::DeclKey::ALL, &mut problems);
    check("LandKey", caravan_server::land::LandKey::ALL, &mut problems);
    check("PovertyKey", caravan_server::poverty::PovertyKey::ALL, &mut problems);
    check("SchKey", caravan_server::scholarship::SchKey::ALL, &mut problems);
    check("PageKey", caravan_server::scholarship::PageKey::ALL, &mut problems);
    check("TariffKey", caravan_server::tariff::TariffKey::ALL, &mut problems);
    check("TradeKey", caravan_server::trade::TradeKey::ALL, &mut problems);
    assert!(
        problems.is_empty(),
        "{} untranslated strings:\n{}",
        problems.len(),
        problems.join("\n")
    );
}
