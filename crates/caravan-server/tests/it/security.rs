//! Issue 22's findings, each as the request that showed it: privilege escalation to the platform
//! operator, security headers, the Authorization/CSRF fallback, session audit, the login
//! limiter's memory, random selection that a trader can neither predict nor dodge, and an
//! Idempotency-Key reused for another declaration.

use axum::body::Body;
use axum::http::{Request, header};
use caravan_store::{Actor, Change, NewOrganisation, NewUser, OrgKind, Role};
use caravan_types::CountryCode;
use serde_json::{Value, json};

use crate::declarations::{declaration, lodge};
use crate::support::{PASSWORD, TestApp, error_code, fixed_now, json_of};

/// Adds an organisation with one user of `role`; returns the organisation id and a token.
async fn org_with_user(
    app: &TestApp,
    name: &str,
    kind: OrgKind,
    country: &str,
    username: &str,
    role: Role,
) -> (i64, String) {
    let change = Change { actor: Actor::system("test"), at: fixed_now() };
    let org = app
        .state
        .store
        .create_organisation(
            &change,
            &NewOrganisation {
                name: name.to_owned(),
                kind,
                country: CountryCode::parse(country).unwrap(),
            },
        )
        .await
        .unwrap();
    let new = NewUser {
        username: username.to_owned(),
        display_name: username.to_owned(),
        org_id: org.id,
        role,
        password_hash: crate::support::password_hash(),
    };
    app.state.store.create_user(&change, &new).await.unwrap();
    (org.id, app.token(username).await)
}

#[tokio::test]
async fn no_administrator_below_the_platform_makes_themselves_operator() {
    let app = TestApp::new().await;
    let kz_admin = app.token("kz-admin").await;
    let (_, nb_admin) = org_with_user(
        &app,
        "UZ Ministry of Education",
        OrgKind::NominatingBody,
        "UZ",
        "uz-nb-admin",
        Role::Admin,
    )
    .await;
    // 1. A platform operator organisation: only the operator's administrators create one.
    for token in [&kz_admin, &nb_admin] {
        let (status, body) = app
            .post_json(
                "/api/v1/organisations",
                Some(token),
                r#"{"name": "Shadow operator", "kind": "platform_operator", "country": "KZ"}"#,
            )
            .await;
        assert_eq!((status, error_code(&body)), (403, "auth.forbidden"), "{body}");
    }
    // 2. A nominating body's administrator administers no country.
    let (status, _) = app
        .post_json(
            "/api/v1/organisations",
            Some(&nb_admin),
            r#"{"name": "Tashkent Trading", "kind": "trading_company", "country": "UZ"}"#,
        )
        .await;
    assert_eq!(status, 403, "administering a country is the customs administration's");
    // 3. Nobody but the operator's administrators adds users to the operator.
    let admin_in_operator = format!(
        r#"{{"username": "mole", "display_name": "Mole", "org_id": {}, "role": "admin"}}"#,
        app.ids.operator
    );
    let (status, body) = app.post_json("/api/v1/users", Some(&kz_admin), &admin_in_operator).await;
    assert_eq!((status, error_code(&body)), (403, "auth.forbidden"), "{body}");
    assert!(app.state.store.user_by_username("mole").await.unwrap().is_none());
    // 4. Nobody disables someone above them: the country admin cannot disable the platform's.
    let root_id = app.state.store.user_by_username("root").await.unwrap().unwrap().id;
    let (status, _) = app
        .post_json(
            &format!("/api/v1/users/{root_id}/active"),
            Some(&kz_admin),
            r#"{"active": false}"#,
        )
        .await;
    assert_eq!(status, 403);
    assert!(app.state.store.user(root_id).await.unwrap().unwrap().active);
    // ... nor a company's administrator its country's administrator.
    let trader_org = app.ids.kz_trader_a;
    let change = Change { actor: Actor::system("test"), at: fixed_now() };
    let company_admin = NewUser {
        username: "altyn-admin".to_owned(),
        display_name: "Altyn admin".to_owned(),
        org_id: trader_org,
        role: Role::Admin,
        password_hash: crate::support::password_hash(),
    };
    app.state.store.create_user(&change, &company_admin).await.unwrap();
    let company_admin = app.token("altyn-admin").await;
    let kz_admin_id = app.state.store.user_by_username("kz-admin").await.unwrap().unwrap().id;
    let (status, _) = app
        .post_json(
            &format!("/api/v1/users/{kz_admin_id}/active"),
            Some(&company_admin),
            r#"{"active": false}"#,
        )
        .await;
    assert_eq!(status, 403);
    // A company's administrator manages its own users, and no other company's.
    let trader_id = app.state.store.user_by_username("trader-a").await.unwrap().unwrap().id;
    let (status, body) = app
        .post_json(
            &format!("/api/v1/users/{trader_id}/active"),
            Some(&company_admin),
            r#"{"active": false}"#,
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let other = format!(
        r#"{{"username": "plant", "display_name": "Plant", "org_id": {}, "role": "trader"}}"#,
        app.ids.kz_trader_b
    );
    let (status, _) = app.post_json("/api/v1/users", Some(&company_admin), &other).await;
    assert_eq!(status, 403);
    // The platform's administrators still do all of it.
    let root = app.token("root").await;
    let (status, body) = app
        .post_json(
            "/api/v1/organisations",
            Some(&root),
            r#"{"name": "Second operator", "kind": "platform_operator", "country": "CN"}"#,
        )
        .await;
    assert_eq!(status, 201, "{body}");
    let (status, body) = app.post_json("/api/v1/users", Some(&root), &admin_in_operator).await;
    assert_eq!(status, 201, "{body}");
    // The UI offers a country administrator neither the operator kind nor another country.
    let response = app
        .send(
            Request::get("/admin/organisations")
                .header(header::AUTHORIZATION, format!("Bearer {kz_admin}"))
                .body(Body::empty())
                .unwrap(),
        )
        .await;
    let page = crate::support::body_text(response).await;
    assert!(page.contains(r#"value="trading_company""#), "{page}");
    assert!(!page.contains(r#"value="platform_operator""#));
    assert!(!page.contains(r#"<option value="CN""#));
}

#[tokio::test]
async fn every_answer_carries_the_security_headers() {
    let app = TestApp::new().await;
    for path in ["/", "/login", "/api/v1/countries", "/api/v1/me", "/no-such-page"] {
        let response = app.send(Request::get(path).body(Body::empty()).unwrap()).await;
        let headers = response.headers();
        assert_eq!(headers[header::X_CONTENT_TYPE_OPTIONS], "nosniff", "{path}");
        assert_eq!(headers[header::X_FRAME_OPTIONS], "DENY", "{path}");
        assert!(
            headers[header::CONTENT_SECURITY_POLICY]
                .to_str()
                .unwrap()
                .contains("frame-ancestors 'none'"),
            "{path}"
        );
        assert_eq!(headers[header::REFERRER_POLICY], "same-origin", "{path}");
    }
}

/// Logs in through the API; returns the session cookie and its CSRF token.
async fn session(app: &TestApp, username: &str) -> (String, String) {
    let response = app
        .send(
            Request::post("/api/v1/auth/login")
                .header(header::CONTENT_TYPE, "application/json")
                .body(Body::from(json!({"username": username, "password": PASSWORD}).to_string()))
                .unwrap(),
        )
        .await;
    let cookie = response.headers()[header::SET_COOKIE].to_str().unwrap().to_owned();
    let cookie = cookie.split(';').next().unwrap().to_owned();
    let (status, body) = json_of(response).await;
    assert_eq!(status, 200, "{body}");
    (cookie, body["csrf_token"].as_str().unwrap().to_owned())
}

#[tokio::test]
async fn another_authorization_scheme_never_falls_back_to_the_cookie() {
    let app = TestApp::new().await;
    let (cookie, _) = session(&app, "root").await;
    // A browser adds Basic credentials by itself; with them the guard used to let a forged
    // cross-site request through on the session cookie.
    let forged = Request::post("/api/v1/tokens")
        .header(header::COOKIE, &cookie)
        .header(header::AUTHORIZATION, "Basic cm9vdDpwYXNzd29yZA==")
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from(r#"{"name": "forged"}"#))
        .unwrap();
    let (status, body) = json_of(app.send(forged).await).await;
    assert_eq!((status, error_code(&body)), (401, "auth.invalid_authorization"), "{body}");
    assert_eq!(body["error"]["field"], "Authorization");
    let root = app.state.store.user_by_username("root").await.unwrap().unwrap();
    assert!(app.state.store.api_tokens(root.id).await.unwrap().is_empty(), "nothing created");
    // The bearer scheme is case-insensitive (RFC 9110 §11.1).
    let token = app.token("trader-a").await;
    let (status, _) = json_of(
        app.send(
            Request::get("/api/v1/me")
                .header(header::AUTHORIZATION, format!("BEARER {token}"))
                .body(Body::empty())
                .unwrap(),
        )
        .await,
    )
    .await;
    assert_eq!(status, 200);
}

#[tokio::test]
async fn logins_and_logouts_are_audited() {
    let app = TestApp::new().await;
    let (cookie, csrf) = session(&app, "trader-a").await;
    let logout = Request::post("/api/v1/auth/logout")
        .header(header::COOKIE, &cookie)
        .header("x-csrf-token", &csrf)
        .body(Body::empty())
        .unwrap();
    assert_eq!(app.send(logout).await.status(), 204);
    let entries = caravan_server::all_audit_entries(app.state.store.as_ref()).await.unwrap();
    let trader = app.state.store.user_by_username("trader-a").await.unwrap().unwrap();
    let target = format!("user:{}", trader.id);
    let actions: Vec<&str> = entries
        .iter()
        .filter(|e| e.target == target && e.action.starts_with("session."))
        .map(|e| e.action.as_str())
        .collect();
    assert_eq!(actions, ["session.login", "session.logout"]);
    caravan_store::verify_audit_chain(&entries).unwrap();
}

#[tokio::test]
async fn huge_usernames_cost_the_limiter_nothing() {
    let app = TestApp::new().await;
    let name = "u".repeat(256 * 1024);
    let body = json!({"username": name, "password": "whatever it is"}).to_string();
    for _ in 0..3 {
        let (status, body) = app.post_json("/api/v1/auth/login", None, &body).await;
        assert_eq!((status, error_code(&body)), (401, "auth.invalid_credentials"));
    }
    let limiter = &app.state.login_limiter;
    assert!(limiter.len() <= 2, "one key for the name, one for the address");
    // The name is remembered cut to a username's length: 64 characters (at most 4 bytes each)
    // and its prefix, not the 256 KiB sent; the address key is a few dozen bytes.
    let most = "user:".len() + 4 * caravan_server::auth::LoginLimiter::MAX_KEY_CHARS + 64;
    assert!(limiter.key_bytes() <= most, "{} bytes remembered", limiter.key_bytes());
    // The cut name is still the name's key: further attempts count against it until refused.
    let mut statuses = Vec::new();
    for _ in 0..4 {
        statuses.push(app.post_json("/api/v1/auth/login", None, &body).await.0);
    }
    assert_eq!(statuses, [401, 401, 429, 429]);
}

async fn put_rules(app: &TestApp, rules: &Value) {
    let admin = app.token("kz-admin").await;
    let req = Request::put("/api/v1/risk-rules/KZ")
        .header(header::CONTENT_TYPE, "application/json")
        .header(header::AUTHORIZATION, format!("Bearer {admin}"))
        .body(Body::from(rules.to_string()))
        .unwrap();
    let (status, body) = json_of(app.send(req).await).await;
    assert_eq!(status, 200, "{body}");
}

fn fired(answer: &Value) -> Vec<String> {
    answer["reasons"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["rule_id"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn a_preview_never_reveals_random_selection_and_an_inspection_survives_amendment() {
    let app = crate::declarations::lodging_app().await;
    // Every declaration is selected at random (rate 1): lodging shows it, a preview never does.
    put_rules(
        &app,
        &json!({"rules": [{"id": "RND", "description": "random", "channel": "red",
                           "when": {"random_selection": {"rate": "1"}}}],
                "reference_values": []}),
    )
    .await;
    let trader = app.token("trader-a").await;
    let form =
        format!("action=preview&declaration={}", urlencoding(&declaration("KZ-RND-1").to_string()));
    let preview = app
        .send(
            Request::post("/declarations")
                .header(header::AUTHORIZATION, format!("Bearer {trader}"))
                .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
                .body(Body::from(form))
                .unwrap(),
        )
        .await;
    let page = crate::support::body_text(preview).await;
    assert!(page.contains("KZ-RND-1"), "the preview answered: {page}");
    assert!(!page.contains("<code>RND</code>"), "{page}");
    assert!(!page.contains("randomly selected"), "{page}");
    let (status, lodged) = lodge(&app, &trader, &declaration("KZ-RND-1"), None).await;
    assert_eq!(status, 201, "{lodged}");
    assert_eq!(fired(&lodged), ["RND"]);
    assert_eq!(lodged["channel"], "red");

    // Now nothing is selected: the officer orders an inspection, the trader amends, and the
    // inspection stands.
    put_rules(&app, &json!({"rules": [], "reference_values": []})).await;
    let officer = app.token("kz-officer").await;
    let inspect = json!({"decision": "inspect", "comment": "open the cartons"}).to_string();
    let (status, body) =
        app.post_json("/api/v1/declarations/KZ-RND-1/decision", Some(&officer), &inspect).await;
    assert_eq!(status, 200, "{body}");
    let mut changed = declaration("KZ-RND-1");
    changed["items"][0]["description"] = json!("Fresh apples, Gala variety");
    let body = json!({ "declaration": changed }).to_string();
    let (status, amended) =
        app.post_json("/api/v1/declarations/KZ-RND-1/amend", Some(&trader), &body).await;
    assert_eq!(status, 200, "{amended}");
    assert_eq!(amended["channel"], "red", "{amended}");
    assert_eq!(fired(&amended), [caravan_customs::STANDING_DECISION_RULE]);
    assert_eq!(amended["status"], "under_control");
}

#[tokio::test]
async fn a_random_selection_is_kept_through_amendments() {
    let app = crate::declarations::lodging_app().await;
    // A 50 % rule: whatever a reference drew at lodging, each amendment draws the same.
    put_rules(
        &app,
        &json!({"rules": [{"id": "HALF", "description": "random", "channel": "yellow",
                           "when": {"random_selection": {"rate": "0.5"}}}],
                "reference_values": []}),
    )
    .await;
    let trader = app.token("trader-a").await;
    for n in 0..6 {
        let reference = format!("KZ-KEEP-{n}");
        let (status, lodged) = lodge(&app, &trader, &declaration(&reference), None).await;
        assert_eq!(status, 201, "{lodged}");
        let selected = fired(&lodged).contains(&"HALF".to_owned());
        let mut changed = declaration(&reference);
        changed["items"][0]["description"] = json!(format!("Fresh apples, lot {n}"));
        let body = json!({ "declaration": changed }).to_string();
        let path = format!("/api/v1/declarations/{reference}/amend");
        let (status, amended) = app.post_json(&path, Some(&trader), &body).await;
        assert_eq!(status, 200, "{amended}");
        assert_eq!(fired(&amended).contains(&"HALF".to_owned()), selected, "{reference}");
    }
}

#[tokio::test]
async fn an_idempotency_key_reused_for_another_declaration_is_refused() {
    let app = crate::declarations::lodging_app().await;
    let trader = app.token("trader-a").await;
    let (status, first) = lodge(&app, &trader, &declaration("KZ-KEY-1"), Some("k-1")).await;
    assert_eq!(status, 201, "{first}");
    let digest = first["request_digest"].as_str().unwrap().to_owned();
    assert_eq!(digest.len(), 64);
    // The same request again: the first answer.
    let (status, again) = lodge(&app, &trader, &declaration("KZ-KEY-1"), Some("k-1")).await;
    assert_eq!((status, &again), (200, &first));
    // Another declaration under the same key: 422 naming the key, and nothing is dropped
    // silently — the second declaration is not stored under the first's answer.
    let (status, body) = lodge(&app, &trader, &declaration("KZ-KEY-2"), Some("k-1")).await;
    assert_eq!(
        (status, error_code(&body), body["error"]["field"].as_str()),
        (422, "declaration.idempotency_key_reused", Some("Idempotency-Key")),
        "{body}"
    );
    let (status, _) = app.get("/api/v1/declarations/KZ-KEY-2", Some(&trader)).await;
    assert_eq!(status, 404);
    // With a fresh key it lodges.
    let (status, _) = lodge(&app, &trader, &declaration("KZ-KEY-2"), Some("k-2")).await;
    assert_eq!(status, 201);
}

/// Percent-encodes every byte but unreserved characters (RFC 3986 §2.3), for a form body.
fn urlencoding(text: &str) -> String {
    text.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

#[tokio::test]
async fn a_reference_is_the_declarants_own_and_tells_nothing_about_others() {
    let app = crate::declarations::lodging_app().await;
    let trader_a = app.token("trader-a").await;
    let trader_b = app.token("trader-b").await;
    let (status, first) = lodge(&app, &trader_a, &declaration("KZ-SAME-1"), None).await;
    assert_eq!(status, 201, "{first}");
    // Another company's draft or lodgement of the same reference is its own: no 409 that would
    // tell it the first exists, and nothing taken from the first.
    let draft = json!({ "declaration": declaration("KZ-SAME-1") }).to_string();
    let (status, body) = app.post_json("/api/v1/declarations", Some(&trader_b), &draft).await;
    assert_eq!(status, 201, "{body}");
    let (status, body) =
        app.post_json("/api/v1/declarations/KZ-SAME-1/lodge", Some(&trader_b), "{}").await;
    assert_eq!(status, 201, "{body}");
    for (token, org) in [(&trader_a, app.ids.kz_trader_a), (&trader_b, app.ids.kz_trader_b)] {
        let (status, detail) = app.get("/api/v1/declarations/KZ-SAME-1", Some(token)).await;
        assert_eq!((status, detail["org_id"].as_i64()), (200, Some(org)), "{detail}");
    }
    // The officer who sees both names the declarant.
    let officer = app.token("kz-officer").await;
    let (status, body) = app.get("/api/v1/declarations/KZ-SAME-1", Some(&officer)).await;
    assert_eq!(
        (status, error_code(&body), body["error"]["field"].as_str()),
        (409, "declaration.ambiguous_reference", Some("declarant")),
        "{body}"
    );
    let path = format!("/api/v1/declarations/KZ-SAME-1?declarant={}", app.ids.kz_trader_b);
    let (status, detail) = app.get(&path, Some(&officer)).await;
    assert_eq!((status, detail["org_id"].as_i64()), (200, Some(app.ids.kz_trader_b)));
    // Another country's officer sees neither.
    let cn_officer = app.token("cn-officer").await;
    let (status, body) = app.get("/api/v1/declarations/KZ-SAME-1", Some(&cn_officer)).await;
    assert_eq!((status, error_code(&body)), (404, "declaration.not_found"));
}

/// The officer's pages name the declarant too: the queue links each declaration with its
/// declarant, the detail page opens each one, and a decision taken on the page reaches the
/// declaration it was shown for — not the other declarant's, and not a 409 page.
#[tokio::test]
async fn an_officers_pages_tell_two_declarants_references_apart() {
    let app = crate::declarations::lodging_app().await;
    let trader_a = app.token("trader-a").await;
    let trader_b = app.token("trader-b").await;
    for token in [&trader_a, &trader_b] {
        let (status, body) = lodge(&app, token, &declaration("KZ-TWIN-1"), None).await;
        assert_eq!(status, 201, "{body}");
    }
    let officer = app.token("kz-officer").await;
    let page = |path: String| {
        let (app, officer) = (&app, &officer);
        async move {
            let req = Request::get(path)
                .header(header::AUTHORIZATION, format!("Bearer {officer}"))
                .body(Body::empty())
                .unwrap();
            let response = app.send(req).await;
            (response.status().as_u16(), crate::support::body_text(response).await)
        }
    };
    let (status, queue) = page("/declarations".to_owned()).await;
    assert_eq!(status, 200);
    for org in [app.ids.kz_trader_a, app.ids.kz_trader_b] {
        let link = format!("/declarations/KZ-TWIN-1?declarant={org}");
        assert!(queue.contains(&format!("href=\"{link}\"")), "no link {link} in {queue}");
        let (status, html) = page(link).await;
        assert_eq!(status, 200, "{html}");
        let action = format!("/declarations/KZ-TWIN-1/decision?declarant={org}");
        assert!(html.contains(&action), "no form to {action} in {html}");
    }
    let req = Request::post(format!(
        "/declarations/KZ-TWIN-1/decision?declarant={}",
        app.ids.kz_trader_b
    ))
    .header(header::AUTHORIZATION, format!("Bearer {officer}"))
    .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
    .body(Body::from("decision=reject&comment=twin"))
    .unwrap();
    let response = app.send(req).await;
    assert_eq!(response.status().as_u16(), 303);
    let location = response.headers()[header::LOCATION].to_str().unwrap().to_owned();
    assert_eq!(location, format!("/declarations/KZ-TWIN-1?declarant={}", app.ids.kz_trader_b));
    let (_, a) = app.get("/api/v1/declarations/KZ-TWIN-1", Some(&trader_a)).await;
    let (_, b) = app.get("/api/v1/declarations/KZ-TWIN-1", Some(&trader_b)).await;
    assert_ne!(a["status"], json!("rejected"), "{a}");
    assert_eq!(b["status"], json!("rejected"), "{b}");
}
