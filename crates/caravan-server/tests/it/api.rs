//! The reference-data API, the error shape, limits, OpenAPI, health and metrics.

use axum::body::Body;
use axum::http::{Request, header};

use crate::support::{TestApp, error_code, json_of};

#[tokio::test]
async fn hs_lookup_returns_parents_children_and_hs2017() {
    let app = TestApp::new().await;
    let (status, body) = app.get("/api/v1/hs/7403.11?lang=ru", None).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["entry"]["code"], "740311");
    let parents: Vec<_> =
        body["parents"].as_array().unwrap().iter().map(|p| p["code"].as_str().unwrap()).collect();
    assert_eq!(parents, ["74", "7403"]);
    assert!(body["entry"]["hs2017"].as_array().unwrap().iter().any(|l| l["hs2017"] == "740311"));
    let (status, heading) = app.get("/api/v1/hs/7403", None).await;
    assert_eq!(status, 200);
    assert!(heading["children"].as_array().unwrap().len() >= 5);
    // A ten-digit national line answers with its subheading.
    let (status, line) = app.get("/api/v1/hs/7403110000", None).await;
    assert_eq!((status, line["entry"]["code"].as_str()), (200, Some("740311")));
}

#[tokio::test]
async fn hs_errors_name_the_field() {
    let app = TestApp::new().await;
    let (status, body) = app.get("/api/v1/hs/74x3", None).await;
    assert_eq!((status, error_code(&body)), (400, "hs.invalid_code"));
    assert_eq!(body["error"]["field"], "code");
    let (status, body) = app.get("/api/v1/hs/7700", None).await;
    assert_eq!((status, error_code(&body)), (404, "hs.unknown_code"));
    let (status, body) = app.get("/api/v1/hs/7403?lang=de", None).await;
    assert_eq!((status, error_code(&body)), (400, "request.invalid_lang"));
    assert_eq!(body["error"]["field"], "lang");
}

#[tokio::test]
async fn search_ranks_and_returns_the_code_path() {
    let app = TestApp::new().await;
    let (status, body) =
        app.get("/api/v1/hs/search?q=copper%20cathodes&lang=en&limit=5", None).await;
    assert_eq!(status, 200, "{body}");
    let hits = body["hits"].as_array().unwrap();
    assert!(!hits.is_empty() && hits.len() <= 5);
    assert!(hits[..3].iter().any(|h| h["code"].as_str().unwrap().starts_with("7403")), "{body}");
    let path = hits[0]["path"].as_array().unwrap();
    assert_eq!(path.last().unwrap()["code"], hits[0]["code"]);
    let (status, body) = app
        .get("/api/v1/hs/search?q=%D0%BF%D1%88%D0%B5%D0%BD%D0%B8%D1%86%D0%B0&lang=ru", None)
        .await;
    assert_eq!(status, 200);
    assert!(
        body["hits"]
            .as_array()
            .unwrap()
            .iter()
            .any(|h| h["code"].as_str().unwrap().starts_with("1001")),
        "{body}"
    );
}

#[tokio::test]
async fn search_rejects_bad_parameters_by_name() {
    let app = TestApp::new().await;
    let (status, body) = app.get("/api/v1/hs/search", None).await;
    assert_eq!(status, 400);
    assert_eq!(error_code(&body), "request.invalid_query");
    assert_eq!(body["error"]["field"], "q");
    let (status, body) = app.get("/api/v1/hs/search?q=wheat&limit=1000", None).await;
    assert_eq!((status, body["error"]["field"].as_str()), (400, Some("limit")));
    let (status, body) = app.get("/api/v1/hs/search?q=wheat&limit=ten", None).await;
    assert_eq!(status, 400, "{body}");
    error_code(&body);
}

#[tokio::test]
async fn countries_currencies_and_units_are_served() {
    let app = TestApp::new().await;
    let (_, countries) = app.get("/api/v1/countries", None).await;
    let uz = countries.as_array().unwrap().iter().find(|c| c["alpha2"] == "UZ").unwrap();
    assert_eq!(uz["name_ru"], "Узбекистан");
    assert_eq!(uz["name_zh"], "乌兹别克斯坦");
    let (_, currencies) = app.get("/api/v1/currencies", None).await;
    let kzt = currencies.as_array().unwrap().iter().find(|c| c["code"] == "KZT").unwrap();
    assert_eq!(kzt["minor_units"], 2);
    let (_, units) = app.get("/api/v1/units", None).await;
    assert!(units.as_array().unwrap().iter().any(|u| u["code"] == "KGM"));
}

#[tokio::test]
async fn malformed_json_wrong_types_and_unknown_fields_are_4xx_naming_the_field() {
    let app = TestApp::new().await;
    let token = app.token("root").await;
    let (status, body) = app.post_json("/api/v1/organisations", Some(&token), "{not json").await;
    assert_eq!((status, error_code(&body)), (400, "request.invalid_json"));
    let (status, body) = app
        .post_json(
            "/api/v1/organisations",
            Some(&token),
            r#"{"name": "X", "kind": "pirate_ship", "country": "KZ"}"#,
        )
        .await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(body["error"]["field"], "kind", "{body}");
    let (status, body) = app
        .post_json(
            "/api/v1/organisations",
            Some(&token),
            r#"{"name": "X", "kind": "trading_company"}"#,
        )
        .await;
    assert_eq!((status, body["error"]["field"].as_str()), (422, Some("country")), "{body}");
    let (status, body) = app
        .post_json(
            "/api/v1/organisations",
            Some(&token),
            r#"{"name": "X", "kind": "trading_company", "country": "DE"}"#,
        )
        .await;
    assert_eq!(
        (status, error_code(&body), body["error"]["field"].as_str()),
        (422, "organisation.invalid_country", Some("country"))
    );
    let (status, body) = app
        .post_json(
            "/api/v1/users",
            Some(&token),
            r#"{"username": "x", "display_name": "X", "org_id": "one", "role": "trader"}"#,
        )
        .await;
    assert_eq!((status, body["error"]["field"].as_str()), (422, Some("org_id")), "{body}");
    // Nothing was stored by the rejected requests.
    let (_, orgs) = app.get("/api/v1/organisations", Some(&token)).await;
    assert_eq!(orgs.as_array().unwrap().len(), 5);
}

#[tokio::test]
async fn bodies_over_the_limit_are_refused() {
    let app = TestApp::new().await;
    let token = app.token("root").await;
    let huge = format!(
        r#"{{"name": "{}", "kind": "trading_company", "country": "KZ"}}"#,
        "x".repeat(caravan_server::MAX_BODY_BYTES + 10)
    );
    let (status, body) = app.post_json("/api/v1/organisations", Some(&token), &huge).await;
    assert_eq!(status, 413, "{body}");
    error_code(&body);
}

#[tokio::test]
async fn openapi_document_lists_the_endpoints() {
    let app = TestApp::new().await;
    let (status, doc) = app.get("/api/openapi.json", None).await;
    assert_eq!(status, 200);
    assert!(doc["openapi"].as_str().unwrap().starts_with("3.1"));
    for path in [
        "/api/v1/hs/{code}",
        "/api/v1/hs/search",
        "/api/v1/countries",
        "/api/v1/tokens",
        "/api/v1/organisations",
    ] {
        assert!(doc["paths"].get(path).is_some(), "{path} missing from OpenAPI");
    }
    assert!(doc["components"]["schemas"].get("ErrorBody").is_some());
}

#[tokio::test]
async fn healthz_and_metrics_report() {
    let app = TestApp::new().await;
    let (status, body) = app.get("/healthz", None).await;
    assert_eq!((status, body["status"].as_str()), (200, Some("ok")));
    assert_eq!((body["readable"].as_bool(), body["writable"].as_bool()), (Some(true), Some(true)));
    app.get("/api/v1/hs/7403", None).await;
    let response = app.send(Request::get("/metrics").body(Body::empty()).unwrap()).await;
    let text = crate::support::body_text(response).await;
    // Each request builds a fresh router in these tests, but they share the state's registry.
    assert!(
        text.contains(
            r#"caravan_http_requests_total{method="GET",route="/api/v1/hs/{code}",status="200"} 1"#
        ),
        "{text}"
    );
    assert!(text.contains("caravan_http_request_duration_seconds_bucket"));
}

/// Issue 22: a store that cannot write (a full disk) is a 503 the client may retry, with
/// `Retry-After`, never a 500.
#[tokio::test]
async fn issue_22_an_unavailable_store_answers_503_with_retry_after() {
    use axum::response::IntoResponse;
    let err = caravan_store::StoreError::Unavailable("(code: 13) database or disk is full".into());
    let response = caravan_server::error::ApiError::from(err).into_response();
    assert_eq!(response.status(), 503);
    assert_eq!(response.headers()[header::RETRY_AFTER], "60");
    let body = crate::support::body_text(response).await;
    let body: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(body["error"]["code"], "store.unavailable");
    assert!(body["error"]["message"].as_str().unwrap().contains("try again"), "{body}");
}

#[tokio::test]
async fn unknown_api_routes_answer_the_error_shape() {
    let app = TestApp::new().await;
    let response = app
        .send(
            Request::get("/api/v1/nothing-here")
                .header(header::ACCEPT, "application/json")
                .body(Body::empty())
                .unwrap(),
        )
        .await;
    let (status, body) = json_of(response).await;
    assert_eq!((status, error_code(&body)), (404, "route.not_found"));
}
