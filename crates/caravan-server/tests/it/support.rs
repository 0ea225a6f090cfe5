//! A test app on a fresh SQLite (or PostgreSQL, with `CARAVAN_TEST_PG_URL`) store with a few
//! organisations and users in two countries, and helpers to call it without a network.

use std::str::FromStr;
use std::sync::{Arc, OnceLock};

use axum::body::Body;
use axum::http::{Request, Response, header};
use caravan_refdata::{ReferenceData, SOURCE_FILES, Sources};
use caravan_server::{AppState, ServerConfig};
use caravan_store::{Actor, Change, NewOrganisation, NewUser, OrgKind, Role, Store};
use caravan_types::CountryCode;
use http_body_util::BodyExt;
use time::OffsetDateTime;
use tower::ServiceExt;

pub(crate) const PASSWORD: &str = "correct horse battery staple";

pub(crate) fn refdata() -> Arc<ReferenceData> {
    static DATA: OnceLock<Arc<ReferenceData>> = OnceLock::new();
    DATA.get_or_init(|| {
        let read = |rel: &str| {
            let path = format!("{}/../../data/reference/{rel}", env!("CARGO_MANIFEST_DIR"));
            std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
        };
        Arc::new(ReferenceData::load(&Sources::from_texts(&SOURCE_FILES.map(read))).unwrap())
    })
    .clone()
}

/// The password hash shared by all test users (argon2 is slow on purpose; hash once).
pub(crate) fn password_hash() -> String {
    static HASH: OnceLock<String> = OnceLock::new();
    HASH.get_or_init(|| caravan_server::auth::hash_password(PASSWORD).unwrap()).clone()
}

pub(crate) struct TestApp {
    pub state: AppState,
    pub ids: Ids,
    _dir: Option<tempfile::TempDir>,
}

/// Organisation ids of the fixture.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Ids {
    pub operator: i64,
    pub kz_customs: i64,
    pub cn_customs: i64,
    pub kz_trader_a: i64,
    pub kz_trader_b: i64,
}

pub(crate) fn fixed_now() -> OffsetDateTime {
    OffsetDateTime::from_unix_timestamp(1_764_400_000).unwrap()
}

async fn open_store() -> (Arc<dyn Store>, Option<tempfile::TempDir>) {
    if let Ok(url) = std::env::var("CARAVAN_TEST_SERVER_PG_URL") {
        let schema = format!("caravan_srv_{:016x}", rand::random::<u64>());
        let admin = sqlx_options(&url);
        let mut conn = sqlx::ConnectOptions::connect(&admin).await.unwrap();
        sqlx::query(&format!("CREATE SCHEMA {schema}")).execute(&mut conn).await.unwrap();
        let store = caravan_store_pg::PgStore::connect_with(
            admin.options([("search_path", schema.as_str())]),
        )
        .await
        .unwrap();
        return (Arc::new(store), None);
    }
    let dir = tempfile::tempdir().unwrap();
    let store =
        caravan_store_sqlite::SqliteStore::open(&dir.path().join("caravan.db")).await.unwrap();
    (Arc::new(store), Some(dir))
}

fn sqlx_options(url: &str) -> sqlx::postgres::PgConnectOptions {
    sqlx::postgres::PgConnectOptions::from_str(url).unwrap()
}

impl TestApp {
    pub(crate) async fn new() -> TestApp {
        let (store, dir) = open_store().await;
        let change = Change { actor: Actor::system("test"), at: fixed_now() };
        let org = |name: &str, kind: OrgKind, country: &str| NewOrganisation {
            name: name.to_owned(),
            kind,
            country: CountryCode::parse(country).unwrap(),
        };
        let operator = store
            .create_organisation(&change, &org("Operator", OrgKind::PlatformOperator, "KZ"))
            .await
            .unwrap()
            .id;
        let kz_customs = store
            .create_organisation(&change, &org("KZ Customs", OrgKind::CustomsAdministration, "KZ"))
            .await
            .unwrap()
            .id;
        let cn_customs = store
            .create_organisation(&change, &org("CN Customs", OrgKind::CustomsAdministration, "CN"))
            .await
            .unwrap()
            .id;
        let kz_trader_a = store
            .create_organisation(&change, &org("Altyn Trade", OrgKind::TradingCompany, "KZ"))
            .await
            .unwrap()
            .id;
        let kz_trader_b = store
            .create_organisation(&change, &org("Bereke Export", OrgKind::TradingCompany, "KZ"))
            .await
            .unwrap()
            .id;
        let users = [
            ("root", operator, Role::Admin),
            ("kz-admin", kz_customs, Role::Admin),
            ("cn-admin", cn_customs, Role::Admin),
            ("kz-officer", kz_customs, Role::CustomsOfficer),
            ("cn-officer", cn_customs, Role::CustomsOfficer),
            ("trader-a", kz_trader_a, Role::Trader),
            ("trader-b", kz_trader_b, Role::Trader),
        ];
        for (username, org_id, role) in users {
            let user = NewUser {
                username: username.to_owned(),
                display_name: username.to_owned(),
                org_id,
                role,
                password_hash: password_hash(),
            };
            store.create_user(&change, &user).await.unwrap();
        }
        let mut state = caravan_server::state(store, refdata(), ServerConfig::default()).unwrap();
        state.clock = Arc::new(fixed_now);
        TestApp {
            state,
            ids: Ids { operator, kz_customs, cn_customs, kz_trader_a, kz_trader_b },
            _dir: dir,
        }
    }

    pub(crate) async fn send(&self, request: Request<Body>) -> Response<Body> {
        caravan_server::router(self.state.clone()).oneshot(request).await.unwrap()
    }

    /// A bearer token for `username`, made through the store as the API would.
    pub(crate) async fn token(&self, username: &str) -> String {
        let user = self.state.store.user_by_username(username).await.unwrap().unwrap();
        let secret = caravan_server::auth::random_secret("cvn_");
        let change = Change { actor: Actor::user(&user), at: fixed_now() };
        self.state
            .store
            .create_api_token(&change, user.id, "test", &caravan_server::auth::token_hash(&secret))
            .await
            .unwrap();
        secret
    }

    /// A page as a browser asks for it: with `cookie` (`caravan_session=…; caravan_lang=…`)
    /// when given; the status and the HTML.
    pub(crate) async fn page(&self, path: &str, cookie: Option<&str>) -> (u16, String) {
        let mut req = Request::get(path);
        if let Some(cookie) = cookie {
            req = req.header(header::COOKIE, cookie);
        }
        let response = self.send(req.body(Body::empty()).unwrap()).await;
        (response.status().as_u16(), body_text(response).await)
    }

    pub(crate) async fn get(&self, path: &str, token: Option<&str>) -> (u16, serde_json::Value) {
        let mut req = Request::get(path);
        if let Some(token) = token {
            req = req.header(header::AUTHORIZATION, format!("Bearer {token}"));
        }
        json_of(self.send(req.body(Body::empty()).unwrap()).await).await
    }

    pub(crate) async fn post_json(
        &self,
        path: &str,
        token: Option<&str>,
        body: &str,
    ) -> (u16, serde_json::Value) {
        let mut req = Request::post(path).header(header::CONTENT_TYPE, "application/json");
        if let Some(token) = token {
            req = req.header(header::AUTHORIZATION, format!("Bearer {token}"));
        }
        json_of(self.send(req.body(Body::from(body.to_owned())).unwrap()).await).await
    }
}

pub(crate) async fn body_text(response: Response<Body>) -> String {
    String::from_utf8(response.into_body().collect().await.unwrap().to_bytes().to_vec()).unwrap()
}

pub(crate) async fn json_of(response: Response<Body>) -> (u16, serde_json::Value) {
    let status = response.status().as_u16();
    let text = body_text(response).await;
    let value = serde_json::from_str(&text).unwrap_or(serde_json::Value::String(text));
    (status, value)
}

/// Asserts the one error shape and returns the code.
#[track_caller]
pub(crate) fn error_code(body: &serde_json::Value) -> &str {
    let error = body.get("error").unwrap_or_else(|| panic!("not the error shape: {body}"));
    assert!(error.get("message").and_then(|m| m.as_str()).is_some_and(|m| !m.is_empty()), "{body}");
    assert!(error.get("field").is_some(), "field key present (null allowed): {body}");
    error["code"].as_str().unwrap()
}

/// A browser's `multipart/form-data` body (RFC 7578), built part by part in the order given —
/// the order matters: the CSRF guard reads the first part only.
#[derive(Default)]
pub(crate) struct Multipart {
    body: Vec<u8>,
}

impl Multipart {
    pub(crate) const BOUNDARY: &'static str = "----CaravanTestBoundary9f3a";

    pub(crate) fn new() -> Multipart {
        Multipart::default()
    }

    /// A text field.
    pub(crate) fn field(mut self, name: &str, value: &str) -> Multipart {
        let head = format!(
            "--{}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n",
            Self::BOUNDARY
        );
        self.body.extend_from_slice(head.as_bytes());
        self.body.extend_from_slice(value.as_bytes());
        self.body.extend_from_slice(b"\r\n");
        self
    }

    /// A file part (a browser sends an empty file name and content when no file is chosen).
    pub(crate) fn file(
        mut self,
        name: &str,
        filename: &str,
        content_type: &str,
        content: &[u8],
    ) -> Multipart {
        let head = format!(
            "--{}\r\nContent-Disposition: form-data; name=\"{name}\"; filename=\"{filename}\"\r\nContent-Type: {content_type}\r\n\r\n",
            Self::BOUNDARY
        );
        self.body.extend_from_slice(head.as_bytes());
        self.body.extend_from_slice(content);
        self.body.extend_from_slice(b"\r\n");
        self
    }

    /// The `Content-Type` header of the body.
    pub(crate) fn content_type() -> String {
        format!("multipart/form-data; boundary={}", Self::BOUNDARY)
    }

    /// The body with its closing delimiter.
    pub(crate) fn finish(mut self) -> Vec<u8> {
        self.body.extend_from_slice(format!("--{}--\r\n", Self::BOUNDARY).as_bytes());
        self.body
    }

    /// A `POST` of the body to `path` with the session `cookie`.
    pub(crate) fn post(self, path: &str, cookie: &str) -> Request<Body> {
        Request::post(path)
            .header(header::COOKIE, cookie)
            .header(header::CONTENT_TYPE, Multipart::content_type())
            .body(Body::from(self.finish()))
            .expect("a well-formed request")
    }
}
