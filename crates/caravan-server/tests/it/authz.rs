//! Authorization: every endpoint that reads or writes someone's data denies the wrong caller.

use axum::body::Body;
use axum::http::{Request, header};

use crate::support::{TestApp, error_code, json_of};

#[tokio::test]
async fn no_credentials_is_401_everywhere_private() {
    let app = TestApp::new().await;
    for path in [
        "/api/v1/me",
        "/api/v1/organisations",
        "/api/v1/tokens",
        "/api/v1/audit",
        "/api/v1/organisations/1",
    ] {
        let (status, body) = app.get(path, None).await;
        assert_eq!((status, error_code(&body)), (401, "auth.unauthenticated"), "{path}");
    }
}

#[tokio::test]
async fn another_countrys_officer_cannot_see_an_organisation() {
    let app = TestApp::new().await;
    let cn_officer = app.token("cn-officer").await;
    let kz_officer = app.token("kz-officer").await;
    let path = format!("/api/v1/organisations/{}", app.ids.kz_trader_a);
    let (status, body) = app.get(&path, Some(&cn_officer)).await;
    assert_eq!((status, error_code(&body)), (403, "auth.forbidden"));
    let (status, _) = app.get(&path, Some(&kz_officer)).await;
    assert_eq!(status, 200, "an officer sees the organisations of the country they control");
    let (status, _) =
        app.get(&format!("/api/v1/organisations/{}", app.ids.kz_customs), Some(&cn_officer)).await;
    assert_eq!(status, 403, "nor another country's customs administration");
    let root = app.token("root").await;
    let (status, _) =
        app.get(&format!("/api/v1/organisations/{}", app.ids.operator), Some(&root)).await;
    assert_eq!(status, 200);
    let (_, visible) = app.get("/api/v1/organisations", Some(&cn_officer)).await;
    assert!(visible.as_array().unwrap().iter().all(|o| o["country"] == "CN"), "{visible}");
}

#[tokio::test]
async fn a_trader_cannot_read_another_companys_users() {
    let app = TestApp::new().await;
    let trader_a = app.token("trader-a").await;
    let (status, _) = app
        .get(&format!("/api/v1/organisations/{}/users", app.ids.kz_trader_a), Some(&trader_a))
        .await;
    assert_eq!(status, 200, "own company");
    let (status, body) = app
        .get(&format!("/api/v1/organisations/{}/users", app.ids.kz_trader_b), Some(&trader_a))
        .await;
    assert_eq!((status, error_code(&body)), (403, "auth.forbidden"));
    let (_, visible) = app.get("/api/v1/organisations", Some(&trader_a)).await;
    assert_eq!(visible.as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn a_revoked_token_is_refused() {
    let app = TestApp::new().await;
    let token = app.token("trader-a").await;
    let (status, tokens) = app.get("/api/v1/tokens", Some(&token)).await;
    assert_eq!(status, 200);
    let id = tokens[0]["id"].as_i64().unwrap();
    let response = app
        .send(
            axum::http::Request::delete(format!("/api/v1/tokens/{id}"))
                .header("authorization", format!("Bearer {token}"))
                .body(axum::body::Body::empty())
                .unwrap(),
        )
        .await;
    assert_eq!(response.status(), 200);
    let (status, body) = app.get("/api/v1/me", Some(&token)).await;
    assert_eq!((status, error_code(&body)), (401, "auth.token_revoked"));
    let (status, body) = app.get("/api/v1/me", Some("cvn_made-up")).await;
    assert_eq!((status, error_code(&body)), (401, "auth.invalid_token"));
}

#[tokio::test]
async fn a_user_cannot_revoke_someone_elses_token() {
    let app = TestApp::new().await;
    let victim = app.token("trader-b").await;
    let attacker = app.token("trader-a").await;
    let (_, tokens) = app.get("/api/v1/tokens", Some(&victim)).await;
    let id = tokens[0]["id"].as_i64().unwrap();
    let response = app
        .send(
            axum::http::Request::delete(format!("/api/v1/tokens/{id}"))
                .header("authorization", format!("Bearer {attacker}"))
                .body(axum::body::Body::empty())
                .unwrap(),
        )
        .await;
    assert_eq!(response.status(), 404);
    let (status, _) = app.get("/api/v1/me", Some(&victim)).await;
    assert_eq!(status, 200, "the victim's token still works");
}

#[tokio::test]
async fn country_admins_manage_only_their_country() {
    let app = TestApp::new().await;
    let kz_admin = app.token("kz-admin").await;
    let (status, body) = app
        .post_json(
            "/api/v1/organisations",
            Some(&kz_admin),
            r#"{"name": "Urumqi Trading", "kind": "trading_company", "country": "CN"}"#,
        )
        .await;
    assert_eq!((status, error_code(&body)), (403, "auth.forbidden"));
    let (status, _) = app
        .post_json(
            "/api/v1/organisations",
            Some(&kz_admin),
            r#"{"name": "Almaty Trading", "kind": "trading_company", "country": "KZ"}"#,
        )
        .await;
    assert_eq!(status, 201);
    let new_user = format!(
        r#"{{"username": "spy", "display_name": "Spy", "org_id": {}, "role": "customs_officer"}}"#,
        app.ids.cn_customs
    );
    let (status, body) = app.post_json("/api/v1/users", Some(&kz_admin), &new_user).await;
    assert_eq!((status, error_code(&body)), (403, "auth.forbidden"));
    assert!(
        app.state.store.user_by_username("spy").await.unwrap().is_none(),
        "a denied user must not be stored"
    );
    let trader = app.token("trader-a").await;
    let (status, _) = app
        .post_json(
            "/api/v1/organisations",
            Some(&trader),
            r#"{"name": "Mine", "kind": "trading_company", "country": "KZ"}"#,
        )
        .await;
    assert_eq!(status, 403, "traders do not administer");
}

#[tokio::test]
async fn users_are_created_with_a_one_time_password_and_can_be_disabled() {
    let app = TestApp::new().await;
    let root = app.token("root").await;
    let body = format!(
        r#"{{"username": "new.officer", "display_name": "New Officer", "org_id": {}, "role": "customs_officer"}}"#,
        app.ids.cn_customs
    );
    let (status, created) = app.post_json("/api/v1/users", Some(&root), &body).await;
    assert_eq!(status, 201, "{created}");
    let password = created["initial_password"].as_str().unwrap();
    assert_eq!(password.len(), 16);
    let (status, _) = app
        .post_json(
            "/api/v1/auth/login",
            None,
            &format!(r#"{{"username": "new.officer", "password": "{password}"}}"#),
        )
        .await;
    assert_eq!(status, 200);
    let id = created["user"]["id"].as_i64().unwrap();
    let (status, user) = app
        .post_json(&format!("/api/v1/users/{id}/active"), Some(&root), r#"{"active": false}"#)
        .await;
    assert_eq!((status, user["active"].as_bool()), (200, Some(false)));
    let (status, body) = app
        .post_json(
            "/api/v1/auth/login",
            None,
            &format!(r#"{{"username": "new.officer", "password": "{password}"}}"#),
        )
        .await;
    assert_eq!((status, error_code(&body)), (401, "auth.invalid_credentials"));
    let (status, body) =
        app.post_json("/api/v1/users", Some(&root), &body_dup(app.ids.cn_customs)).await;
    assert_eq!(
        (status, error_code(&body), body["error"]["field"].as_str()),
        (409, "store.conflict", Some("username"))
    );
}

fn body_dup(org: i64) -> String {
    format!(
        r#"{{"username": "new.officer", "display_name": "Again", "org_id": {org}, "role": "trader"}}"#
    )
}

/// A login request from `ip` (the server reads the client's address from the connection).
fn login_from(username: &str, password: &str, ip: [u8; 4]) -> Request<Body> {
    let addr = std::net::SocketAddr::from((ip, 40_000));
    let body = serde_json::json!({"username": username, "password": password}).to_string();
    let mut req = Request::post("/api/v1/auth/login")
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from(body))
        .unwrap();
    req.extensions_mut().insert(axum::extract::ConnectInfo(addr));
    req
}

#[tokio::test]
async fn logins_are_rate_limited_per_username() {
    let app = TestApp::new().await;
    let attacker = [203, 0, 113, 7];
    for _ in 0..caravan_server::auth::LoginLimiter::FREE_PER_USER {
        let response = app.send(login_from("trader-a", "wrong password!", attacker)).await;
        assert_eq!(response.status(), 401);
    }
    // From the failing address, even the right password waits, and is told for how long.
    let response = app.send(login_from("trader-a", crate::support::PASSWORD, attacker)).await;
    let retry_after = response.headers().get(header::RETRY_AFTER).cloned();
    let (status, body) = json_of(response).await;
    assert_eq!(
        (status, error_code(&body)),
        (429, "auth.rate_limited"),
        "even the right password waits"
    );
    assert_eq!(retry_after.as_ref().and_then(|v| v.to_str().ok()), Some("1"));
    assert!(body["error"]["message"].as_str().unwrap().contains("try again in 1 s"), "{body}");
    // The owner, from an address that has not been failing, is not locked out.
    let response =
        app.send(login_from("trader-a", crate::support::PASSWORD, [198, 51, 100, 1])).await;
    assert_eq!(response.status(), 200, "the attacker cannot lock the owner out");
}

#[tokio::test]
async fn the_audit_log_records_changes_and_is_for_platform_admins_only() {
    let app = TestApp::new().await;
    let root = app.token("root").await;
    let kz_admin = app.token("kz-admin").await;
    let (status, _) = app.get("/api/v1/audit", Some(&kz_admin)).await;
    assert_eq!(status, 403);
    let (status, entries) = app.get("/api/v1/audit?limit=1000", Some(&root)).await;
    assert_eq!(status, 200);
    let actions: Vec<_> = entries
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(actions.iter().filter(|a| *a == "organisation.create").count(), 5);
    assert!(actions.iter().any(|a| a == "api_token.create"));
    let all = caravan_server::all_audit_entries(app.state.store.as_ref()).await.unwrap();
    caravan_store::verify_audit_chain(&all).unwrap();
}

#[tokio::test]
async fn users_change_their_own_password() {
    let app = TestApp::new().await;
    let token = app.token("trader-a").await;
    let change = |current: &str, new: &str| {
        serde_json::json!({"current_password": current, "new_password": new}).to_string()
    };
    let path = "/api/v1/me/password";
    let (status, body) =
        app.post_json(path, Some(&token), &change("not my password", "a brand new password")).await;
    assert_eq!(
        (status, error_code(&body), body["error"]["field"].as_str()),
        (422, "user.wrong_current_password", Some("current_password"))
    );
    let (status, body) =
        app.post_json(path, Some(&token), &change(crate::support::PASSWORD, "short")).await;
    assert_eq!(
        (status, error_code(&body), body["error"]["field"].as_str()),
        (422, "user.weak_password", Some("new_password"))
    );
    let (status, _) = app.post_json(path, None, &change(crate::support::PASSWORD, "x")).await;
    assert_eq!(status, 401);
    let new = "a brand new password";
    let (status, body) =
        app.post_json(path, Some(&token), &change(crate::support::PASSWORD, new)).await;
    assert_eq!(status, 204, "{body}");
    let login = |password: &str| {
        serde_json::json!({"username": "trader-a", "password": password}).to_string()
    };
    let (status, _) = app.post_json("/api/v1/auth/login", None, &login(new)).await;
    assert_eq!(status, 200, "the new password logs in");
    let (status, _) =
        app.post_json("/api/v1/auth/login", None, &login(crate::support::PASSWORD)).await;
    assert_eq!(status, 401, "the old one no longer does");
    let root = app.token("root").await;
    let (_, audit) = app.get("/api/v1/audit", Some(&root)).await;
    assert!(audit.to_string().contains("user.set_password"), "the change is audited: {audit}");
}
