//! The single window over HTTP: the full flow (lodge → queue → decision → agency → released),
//! illegal transitions refused, idempotent retries, denials, amendments that keep history,
//! risk-rule versions, CSV items, and the page strings.

use axum::body::Body;
use axum::http::{Request, header};
use caravan_store::{Actor, Change, NewOrganisation, NewUser, OrgKind, Role};
use caravan_types::CountryCode;
use serde_json::{Value, json};

use crate::support::{TestApp, error_code, fixed_now, json_of};

const SAMPLE: &str = include_str!("../../../../data/customs/samples/import-apples-cn-kz.json");

/// The apples sample as shipped (dated 2026-11-20, line 0808108008 of the real KZ schedule).
pub(crate) fn declaration(reference: &str) -> Value {
    let mut value: Value = serde_json::from_str(SAMPLE).unwrap();
    value["reference"] = json!(reference);
    value
}

/// The sample's declaration date, the day the official rates must be entered for.
pub(crate) const SAMPLE_DATE: &str = "2026-11-20";

/// Example rates for tests, NOT the official rates of the National Bank of Kazakhstan: the
/// sample's customs value is in USD and the apples' ETT duty is specific, in EUR per kg.
pub(crate) const EXAMPLE_RATES: [(&str, &str); 2] = [("EUR", "545.00"), ("USD", "505.00")];

/// The single window's clock: nine days after the sample's date, so a lodgement of the sample
/// is not dated in the future (the fixture's own clock is in 2025, before the real schedules).
pub(crate) fn lodging_now() -> time::OffsetDateTime {
    fixed_now() + time::Duration::days(365)
}

/// The official-rates rows of [`EXAMPLE_RATES`] for `date`, as the tariff API takes them.
pub(crate) fn example_rates(date: &str) -> Value {
    let rows: Vec<Value> = EXAMPLE_RATES
        .iter()
        .map(|(from, rate)| {
            json!({"date": date, "from": from, "to": "KZT", "rate": rate,
                   "source": "example rate for tests, not the official one"})
        })
        .collect();
    json!({ "rates": rows })
}

/// The fixture on [`lodging_now`] with the example rates of the sample's date entered by the KZ
/// customs administrator, so the sample lodges.
pub(crate) async fn lodging_app() -> TestApp {
    let mut app = TestApp::new().await;
    app.state.clock = std::sync::Arc::new(lodging_now);
    let admin = app.token("kz-admin").await;
    let body = example_rates(SAMPLE_DATE).to_string();
    let (status, put) = app.post_json("/api/v1/tariff/rates", Some(&admin), &body).await;
    assert_eq!(status, 200, "{put}");
    app
}

/// [`lodging_app`] plus a KZ plant-protection service with an agency officer.
async fn app() -> TestApp {
    let app = lodging_app().await;
    let change = Change { actor: Actor::system("test"), at: fixed_now() };
    for (name, country, user) in
        [("KZ Plant Protection", "KZ", "kz-phyto"), ("CN Plant Protection", "CN", "cn-phyto")]
    {
        let org = app
            .state
            .store
            .create_organisation(
                &change,
                &NewOrganisation {
                    name: name.to_owned(),
                    kind: OrgKind::PlantProtectionService,
                    country: CountryCode::parse(country).unwrap(),
                },
            )
            .await
            .unwrap();
        let hash = caravan_server::auth::hash_password("x-long-enough-password").unwrap();
        let new = NewUser {
            username: user.to_owned(),
            display_name: user.to_owned(),
            org_id: org.id,
            role: Role::AgencyOfficer,
            password_hash: hash,
        };
        app.state.store.create_user(&change, &new).await.unwrap();
    }
    app
}

pub(crate) async fn lodge(
    app: &TestApp,
    token: &str,
    body: &Value,
    key: Option<&str>,
) -> (u16, Value) {
    let mut req = Request::post("/api/v1/declarations/lodge")
        .header(header::CONTENT_TYPE, "application/json")
        .header(header::AUTHORIZATION, format!("Bearer {token}"));
    if let Some(key) = key {
        req = req.header("Idempotency-Key", key);
    }
    let body = json!({ "declaration": body }).to_string();
    json_of(app.send(req.body(Body::from(body)).unwrap()).await).await
}

#[tokio::test]
async fn full_flow_lodge_queue_decide_approve_release() {
    let app = app().await;
    let trader = app.token("trader-a").await;
    let officer = app.token("kz-officer").await;
    let phyto = app.token("kz-phyto").await;

    let (status, lodged) = lodge(&app, &trader, &declaration("KZ-FLOW-1"), Some("k1")).await;
    assert_eq!(status, 201, "{lodged}");
    // The certificate of origin is not presented: it cannot verify, so no preference and red.
    assert_eq!(lodged["channel"], json!("red"), "{lodged}");
    assert_eq!(lodged["status"], json!("under_control"));
    let reasons: Vec<&str> = lodged["reasons"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["rule_id"].as_str().unwrap())
        .collect();
    assert!(reasons.contains(&"R07-CERTIFICATE-NOT-VERIFIED"), "{reasons:?}");
    assert!(reasons.contains(&"R05-NEW-TRADER"), "{reasons:?}");
    assert_eq!(lodged["agencies"], json!(["plant-protection"]));
    let verdicts = lodged["certificates"].as_array().unwrap();
    assert!(verdicts.iter().all(|v| v["verified"] == json!(false)), "{verdicts:?}");
    assert!(
        lodged["totals"].as_array().is_some_and(|t| !t.is_empty()),
        "duties computed: {lodged}"
    );

    let (_, queue) = app.get("/api/v1/customs/queue", Some(&officer)).await;
    assert_eq!(queue[0]["reference"], json!("KZ-FLOW-1"));
    let (_, agency_queue) = app.get("/api/v1/declarations", Some(&phyto)).await;
    assert_eq!(agency_queue.as_array().unwrap().len(), 1);

    let decide = |token: String, path: &'static str, decision: &'static str| {
        let app = &app;
        async move {
            app.post_json(
                &format!("/api/v1/declarations/KZ-FLOW-1/{path}"),
                Some(&token),
                &json!({ "decision": decision, "comment": "checked" }).to_string(),
            )
            .await
        }
    };
    let (status, after) = decide(officer.clone(), "decision", "inspect").await;
    assert_eq!((status, after["status"].clone()), (200, json!("under_control")), "{after}");
    let (status, after) = decide(officer.clone(), "decision", "release").await;
    assert_eq!((status, after["status"].clone()), (200, json!("awaiting_approvals")), "{after}");
    let (status, after) = decide(phyto.clone(), "agency-decision", "approve").await;
    assert_eq!((status, after["status"].clone()), (200, json!("released")), "{after}");

    // Illegal transitions: a released declaration takes no decision; a second approval neither.
    let (status, body) = decide(officer.clone(), "decision", "reject").await;
    assert_eq!((status, error_code(&body)), (409, "declaration.transition"), "{body}");
    let (status, body) = decide(phyto.clone(), "agency-decision", "approve").await;
    assert_eq!(status, 409, "{body}");

    let (status, detail) = app.get("/api/v1/declarations/KZ-FLOW-1", Some(&trader)).await;
    assert_eq!(status, 200);
    let timeline: Vec<&str> = detail["timeline"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["to_status"].as_str().unwrap())
        .collect();
    assert_eq!(
        timeline,
        ["lodged", "assessed", "under_control", "under_control", "awaiting_approvals", "released"]
    );
    assert_eq!(detail["timeline"][3]["event"]["comment"], json!("checked"));
    assert_eq!(detail["assessments"][0]["rule_set_version"], json!("illustrative-2026.1"));
    let entries = caravan_server::all_audit_entries(&*app.state.store).await.unwrap();
    assert_eq!(entries.iter().filter(|e| e.target == "declaration:KZ-FLOW-1").count(), 4);
}

#[tokio::test]
async fn invalid_declarations_name_every_field() {
    let app = app().await;
    let trader = app.token("trader-a").await;
    let mut bad = declaration("KZ-BAD-1");
    bad["office"] = json!("NOWHERE");
    bad["items"][0]["origin"] = json!("ZZ");
    let (status, body) = lodge(&app, &trader, &bad, None).await;
    assert_eq!((status, error_code(&body)), (422, "declaration.invalid"), "{body}");
    let message = body["error"]["message"].as_str().unwrap();
    assert!(message.contains("office") && message.contains("items[0].origin"), "{message}");
    assert_eq!(app.get("/api/v1/declarations", Some(&trader)).await.1, json!([]));
}

/// The lodging endpoint reads bodies without building a `serde_json::Value`; what it refuses
/// is answered as every JSON endpoint answers, and what it stores is the data set as sent.
#[tokio::test]
async fn lodging_reads_the_body_as_sent_and_refuses_what_is_not_a_request() {
    let app = app().await;
    let trader = app.token("trader-a").await;
    let send = |content_type: Option<&'static str>, body: String| {
        let mut req = Request::post("/api/v1/declarations/lodge")
            .header(header::AUTHORIZATION, format!("Bearer {trader}"));
        if let Some(content_type) = content_type {
            req = req.header(header::CONTENT_TYPE, content_type);
        }
        app.send(req.body(Body::from(body)).unwrap())
    };
    let good = json!({ "declaration": declaration("KZ-TEXT-1") });
    let (status, body) = json_of(send(None, good.to_string()).await).await;
    assert_eq!(status, 415, "no content type: {body}");
    let (status, body) =
        json_of(send(Some("application/json"), "{\"declaration\":".to_owned()).await).await;
    assert_eq!(status, 400, "truncated JSON: {body}");
    let mut extra = good.clone();
    extra["signature"] = json!("x");
    let (status, body) = json_of(send(Some("application/json"), extra.to_string()).await).await;
    assert_eq!((status, error_code(&body)), (422, "request.invalid_field"), "{body}");
    assert!(body["error"]["message"].as_str().unwrap().contains("signature"), "{body}");
    let (status, body) =
        json_of(send(Some("application/json"), json!({ "declaration": 7 }).to_string()).await)
            .await;
    assert_eq!((status, error_code(&body)), (422, "declaration.invalid"), "{body}");

    // Pretty-printed, with an escaped name and a charset parameter: lodged, and stored as
    // the data set it reads as.
    let mut sent = declaration("KZ-TEXT-1");
    sent["location_of_goods"] = json!("Khorgos \"East Gate\" yard\n2");
    let text = serde_json::to_string_pretty(&json!({ "declaration": sent })).unwrap();
    let (status, body) = json_of(send(Some("application/json; charset=utf-8"), text).await).await;
    assert_eq!(status, 201, "{body}");
    let (status, detail) = app.get("/api/v1/declarations/KZ-TEXT-1", Some(&trader)).await;
    assert_eq!(status, 200, "{detail}");
    assert_eq!(detail["versions"][0]["body"], sent);
}

#[tokio::test]
async fn idempotent_retry_creates_nothing_twice() {
    let app = app().await;
    let trader = app.token("trader-a").await;
    let body = declaration("KZ-IDEM-1");
    let (first_status, first) = lodge(&app, &trader, &body, Some("retry-me")).await;
    let (second_status, second) = lodge(&app, &trader, &body, Some("retry-me")).await;
    assert_eq!((first_status, second_status), (201, 200));
    assert_eq!(first, second);
    let (_, list) = app.get("/api/v1/declarations", Some(&trader)).await;
    assert_eq!(list.as_array().unwrap().len(), 1);
    // Without the key, the same reference is a conflict, not a second declaration.
    let (status, body) = lodge(&app, &trader, &body, None).await;
    assert_eq!((status, error_code(&body)), (409, "store.conflict"), "{body}");
    let (status, body) = lodge(&app, &trader, &body, Some(&"x".repeat(300))).await;
    assert_eq!((status, error_code(&body)), (400, "request.idempotency_key"), "{body}");
}

#[tokio::test]
async fn concurrent_lodgements_are_batched_and_all_acknowledged() {
    let app = app().await;
    let trader = app.token("trader-a").await;
    let mut tasks = Vec::new();
    for idx in 0..40 {
        let router = caravan_server::router(app.state.clone());
        let token = trader.clone();
        tasks.push(tokio::spawn(async move {
            use tower::ServiceExt;
            let body = json!({ "declaration": declaration(&format!("KZ-CONC-{idx}")) }).to_string();
            let req = Request::post("/api/v1/declarations/lodge")
                .header(header::CONTENT_TYPE, "application/json")
                .header(header::AUTHORIZATION, format!("Bearer {token}"))
                .body(Body::from(body))
                .unwrap();
            router.oneshot(req).await.unwrap().status().as_u16()
        }));
    }
    for task in tasks {
        assert_eq!(task.await.unwrap(), 201);
    }
    let (_, list) = app.get("/api/v1/declarations?limit=500", Some(&trader)).await;
    assert_eq!(list.as_array().unwrap().len(), 40);
}

#[tokio::test]
async fn denials_other_company_country_agency_and_revoked_token() {
    let app = app().await;
    let trader_a = app.token("trader-a").await;
    let (status, _) = lodge(&app, &trader_a, &declaration("KZ-DENY-1"), None).await;
    assert_eq!(status, 201);
    let path = "/api/v1/declarations/KZ-DENY-1";
    let decision = json!({ "decision": "release", "comment": "" }).to_string();

    let trader_b = app.token("trader-b").await;
    let (status, body) = app.get(path, Some(&trader_b)).await;
    assert_eq!((status, error_code(&body)), (404, "declaration.not_found"));
    assert_eq!(app.get("/api/v1/declarations", Some(&trader_b)).await.1, json!([]));
    let amend = json!({ "declaration": declaration("KZ-DENY-1") }).to_string();
    let (status, _) = app.post_json(&format!("{path}/amend"), Some(&trader_b), &amend).await;
    assert_eq!(status, 404);

    let cn_officer = app.token("cn-officer").await;
    let (status, _) = app.get(path, Some(&cn_officer)).await;
    assert_eq!(status, 404);
    let (status, _) =
        app.post_json(&format!("{path}/decision"), Some(&cn_officer), &decision).await;
    assert_eq!(status, 404);
    assert_eq!(app.get("/api/v1/customs/queue", Some(&cn_officer)).await.1, json!([]));

    let (status, _) = app.post_json(&format!("{path}/decision"), Some(&trader_a), &decision).await;
    assert_eq!(status, 403, "a trader does not decide");

    let cn_phyto = app.token("cn-phyto").await;
    let approve = json!({ "decision": "approve" }).to_string();
    let (status, _) =
        app.post_json(&format!("{path}/agency-decision"), Some(&cn_phyto), &approve).await;
    assert_eq!(status, 404, "another country's agency has no part");
    assert_eq!(app.get("/api/v1/declarations", Some(&cn_phyto)).await.1, json!([]));

    let cn_admin = app.token("cn-admin").await;
    let (status, _) = app.get("/api/v1/risk-rules/KZ", Some(&cn_admin)).await;
    assert_eq!(status, 403);

    let user = app.state.store.user_by_username("trader-a").await.unwrap().unwrap();
    let tokens = app.state.store.api_tokens(user.id).await.unwrap();
    let change = Change { actor: Actor::user(&user), at: fixed_now() };
    app.state.store.revoke_api_token(&change, tokens[0].id).await.unwrap();
    let (status, body) = app.get(path, Some(&trader_a)).await;
    assert_eq!((status, error_code(&body)), (401, "auth.token_revoked"));
}

#[tokio::test]
async fn amendments_keep_history_and_are_reassessed() {
    let app = app().await;
    let trader = app.token("trader-a").await;
    let (status, _) = lodge(&app, &trader, &declaration("KZ-AMEND-1"), None).await;
    assert_eq!(status, 201);
    let mut changed = declaration("KZ-AMEND-1");
    changed["items"][0]["description"] = json!("Fresh apples, Gala variety");
    let body = json!({ "declaration": changed }).to_string();
    let (status, amended) =
        app.post_json("/api/v1/declarations/KZ-AMEND-1/amend", Some(&trader), &body).await;
    assert_eq!(status, 200, "{amended}");
    assert_eq!(amended["version"], json!(2));
    let (_, detail) = app.get("/api/v1/declarations/KZ-AMEND-1", Some(&trader)).await;
    assert_eq!(detail["version"], json!(2));
    assert_eq!(detail["versions"].as_array().unwrap().len(), 2);
    assert_eq!(
        detail["versions"][0]["body"]["items"][0]["description"],
        json!("Fresh apples, Fuji variety, in cartons")
    );
    assert_eq!(detail["assessments"].as_array().unwrap().len(), 2);
    assert_eq!(detail["timeline"].as_array().unwrap().len(), 6);

    // Once rejected, no amendment.
    let officer = app.token("kz-officer").await;
    let reject = json!({ "decision": "reject", "comment": "undervalued" }).to_string();
    let (status, _) =
        app.post_json("/api/v1/declarations/KZ-AMEND-1/decision", Some(&officer), &reject).await;
    assert_eq!(status, 200);
    let (status, body) =
        app.post_json("/api/v1/declarations/KZ-AMEND-1/amend", Some(&trader), &body).await;
    assert_eq!((status, error_code(&body)), (409, "declaration.transition"));
}

#[tokio::test]
async fn drafts_csv_items_and_lodging_a_draft() {
    let app = app().await;
    let trader = app.token("trader-a").await;
    let mut draft = declaration("KZ-DRAFT-1");
    draft["items"] = json!([]);
    let body = json!({ "declaration": draft }).to_string();
    let (status, saved) = app.post_json("/api/v1/declarations", Some(&trader), &body).await;
    assert_eq!((status, saved["status"].clone()), (201, json!("draft")), "{saved}");
    let csv = "description,hs_code,origin,preferential_origin,quantity,unit,gross_mass_kg,net_mass_kg,packages,package_kind,customs_value,currency,valuation_method,procedure\n\
               Fresh apples,0808108008,CN,,20000,KGM,21500,20000,1000,CT,16000.00,USD,1,4000\n";
    let req = Request::post("/api/v1/declarations/KZ-DRAFT-1/items")
        .header(header::CONTENT_TYPE, "text/csv")
        .header(header::AUTHORIZATION, format!("Bearer {trader}"))
        .body(Body::from(csv))
        .unwrap();
    let (status, body) = json_of(app.send(req).await).await;
    assert_eq!(status, 200, "{body}");
    let bad = Request::post("/api/v1/declarations/KZ-DRAFT-1/items")
        .header(header::AUTHORIZATION, format!("Bearer {trader}"))
        .body(Body::from("description,hs_code\napples,0808"))
        .unwrap();
    let (status, body) = json_of(app.send(bad).await).await;
    assert_eq!((status, error_code(&body)), (422, "items.csv"), "{body}");
    let (status, lodged) =
        app.post_json("/api/v1/declarations/KZ-DRAFT-1/lodge", Some(&trader), "{}").await;
    assert_eq!(status, 201, "{lodged}");
    assert_eq!(lodged["reference"], json!("KZ-DRAFT-1"));
    let (status, body) =
        app.post_json("/api/v1/declarations/KZ-DRAFT-1/lodge", Some(&trader), "{}").await;
    assert_eq!((status, error_code(&body)), (409, "declaration.transition"));
}

#[tokio::test]
async fn risk_rules_are_versioned_by_country_admins() {
    let app = app().await;
    let admin = app.token("kz-admin").await;
    let rules = json!({
        "rules": [{ "id": "ALL-RED", "description": "everything red", "channel": "red",
                    "when": { "hs_prefix": { "prefixes": ["08"] } } }],
        "reference_values": [],
    });
    let req = Request::put("/api/v1/risk-rules/KZ")
        .header(header::CONTENT_TYPE, "application/json")
        .header(header::AUTHORIZATION, format!("Bearer {admin}"))
        .body(Body::from(rules.to_string()))
        .unwrap();
    let (status, stored) = json_of(app.send(req).await).await;
    assert_eq!((status, stored["version"].clone()), (200, json!(1)), "{stored}");
    let bad = Request::put("/api/v1/risk-rules/KZ")
        .header(header::CONTENT_TYPE, "application/json")
        .header(header::AUTHORIZATION, format!("Bearer {admin}"))
        .body(Body::from(json!({ "rules": [{ "id": "X" }] }).to_string()))
        .unwrap();
    let (status, body) = json_of(app.send(bad).await).await;
    assert_eq!((status, error_code(&body)), (422, "risk_rules.invalid"), "{body}");

    let trader = app.token("trader-a").await;
    let (_, lodged) = lodge(&app, &trader, &declaration("KZ-RULES-1"), None).await;
    assert_eq!(lodged["rule_set_version"], json!("KZ-v1"), "{lodged}");
    assert!(lodged["reasons"].as_array().unwrap().iter().any(|r| r["rule_id"] == json!("ALL-RED")));
    let (_, current) = app.get("/api/v1/risk-rules/KZ", Some(&admin)).await;
    assert_eq!(current["versions"].as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn pages_show_the_queue_the_reasons_and_take_a_decision() {
    let app = app().await;
    let trader = app.token("trader-a").await;
    let (status, _) = lodge(&app, &trader, &declaration("KZ-PAGE-1"), None).await;
    assert_eq!(status, 201);
    let officer = app.token("kz-officer").await;
    let page = |path: &'static str, token: String| {
        let app = &app;
        async move {
            let req = Request::get(path)
                .header(header::AUTHORIZATION, format!("Bearer {token}"))
                .header(header::ACCEPT_LANGUAGE, "ru")
                .body(Body::empty())
                .unwrap();
            let response = app.send(req).await;
            (response.status().as_u16(), crate::support::body_text(response).await)
        }
    };
    let (status, html) = page("/declarations", officer.clone()).await;
    assert_eq!(status, 200);
    assert!(html.contains("KZ-PAGE-1") && html.contains("Очередь"), "{html}");
    assert!(html.contains("на таможенном контроле"), "the status in words: {html}");
    // The officer's home page counts what waits, by channel; the trader's, by status.
    let (status, html) = page("/", officer.clone()).await;
    assert_eq!(status, 200);
    let panel = &html[html.find("id=\"declarations-attention\"").expect("a panel")..];
    assert!(panel.contains("Декларации, требующие внимания"), "{panel}");
    assert!(
        panel.contains("data-status=\"under_control\"") && panel.contains("<strong>1</strong>")
    );
    assert!(panel.contains("channel-red"), "KZ-PAGE-1 is red (no verified certificate): {panel}");
    let (_, html) = page("/", trader.clone()).await;
    assert!(html.contains("id=\"declarations-attention\""), "{html}");
    let (_, html) = page("/", app.token("root").await).await;
    assert!(!html.contains("id=\"declarations-attention\""), "the operator lists no declarations");
    let (status, html) = page("/declarations/KZ-PAGE-1", officer.clone()).await;
    assert_eq!(status, 200);
    assert!(
        html.contains("data-status=\"under_control\">на таможенном контроле<"),
        "the status in words, its value kept for tools: {html}"
    );
    assert!(html.contains("<h1>Декларация KZ-PAGE-1</h1>"), "{html}");
    assert!(html.contains("data-tax=\"vat\">НДС<"), "tax types in words: {html}");
    assert!(
        html.contains("R07-CERTIFICATE-NOT-VERIFIED") && html.contains("name=\"decision\""),
        "{html}"
    );
    // Each duty line says where its rate comes from; a KZ office applies the real schedule, so
    // every line is marked real and the illustrative notice is absent (issue 18).
    assert!(html.contains("id=\"duty-lines\""), "{html}");
    assert!(!html.contains("id=\"duties-illustrative\""), "{html}");
    assert!(!html.contains("иллюстративная (пример ставки)"), "{html}");
    assert!(html.contains("действующая ставка"), "{html}");
    let req = Request::post("/declarations/KZ-PAGE-1/decision")
        .header(header::AUTHORIZATION, format!("Bearer {officer}"))
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(Body::from("decision=reject&comment=wrong+value"))
        .unwrap();
    assert_eq!(app.send(req).await.status().as_u16(), 303);
    let (_, detail) = app.get("/api/v1/declarations/KZ-PAGE-1", Some(&trader)).await;
    assert_eq!(detail["status"], json!("rejected"));
    let (status, _) = page("/declarations/KZ-PAGE-1", app.token("trader-b").await).await;
    assert_eq!(status, 404);
}

/// The passing path across two features: a UZ certifying body issues a certificate of origin
/// through the certificate API for Uzbek apples; lodged in KZ with that certificate attached,
/// it verifies (signature, authority, log, goods and parties), the certificate rule does not
/// fire for it, and the CIS FTA preference applies. A certificate for other goods
/// is refused by the goods check, and a revoked one by the revocation check.
#[tokio::test]
async fn a_certificate_issued_on_the_platform_verifies_at_lodging() {
    let app = app().await;
    let change = Change { actor: Actor::system("test"), at: fixed_now() };
    let chamber = app
        .state
        .store
        .create_organisation(
            &change,
            &NewOrganisation {
                name: "Chamber of Commerce of Uzbekistan".to_owned(),
                kind: OrgKind::CertifyingBody,
                country: CountryCode::parse("UZ").unwrap(),
            },
        )
        .await
        .unwrap();
    for (username, role) in [("uz-cert", Role::Certifier), ("uz-chamber-admin", Role::Admin)] {
        let new = NewUser {
            username: username.to_owned(),
            display_name: username.to_owned(),
            org_id: chamber.id,
            role,
            password_hash: caravan_server::auth::hash_password("x-long-enough-password").unwrap(),
        };
        app.state.store.create_user(&change, &new).await.unwrap();
    }
    let admin = app.token("uz-chamber-admin").await;
    let certifier = app.token("uz-cert").await;
    let trader = app.token("trader-a").await;
    let (status, key) = app
        .post_json(
            &format!("/api/v1/organisations/{}/signing-keys", chamber.id),
            Some(&admin),
            r#"{"document_types": ["origin"]}"#,
        )
        .await;
    assert_eq!(status, 201, "{key}");

    let uzbek = |reference: &str| {
        let mut decl = declaration(reference);
        decl["exporter"]["country"] = json!("UZ");
        decl["country_of_export"] = json!("UZ");
        decl["items"][0]["origin"] = json!("UZ");
        decl["items"][0]["preferential_origin"] = json!("UZ");
        decl
    };
    let base = uzbek("KZ-CERT-1");
    let issue = |hs: &'static str| {
        let app = &app;
        let certifier = certifier.clone();
        let subject = json!({
            "exporter": {"name": base["exporter"]["name"], "country": "UZ"},
            "importer": {"name": base["importer"]["name"], "country": "KZ"},
            "exportCountry": "UZ",
            "importCountry": "KZ",
            "originCountry": "UZ",
            "goods": [{"description": "Fresh apples", "hsCode": hs, "originCriterion": "WO",
                       "quantity": 20000, "unit": "KGM"}],
        });
        async move {
            let body = json!({"type": "origin", "subject": subject});
            app.post_json("/api/v1/certificates", Some(&certifier), &body.to_string()).await
        }
    };
    let (status, apples) = issue("080810").await;
    assert_eq!(status, 201, "{apples}");
    let (status, wheat) = issue("100119").await;
    assert_eq!(status, 201, "{wheat}");

    let origin_ref = base["items"][0]["documents"][0]["reference"].as_str().unwrap().to_owned();
    let lodge_with = |reference: &'static str, certificate: &Value| {
        let app = &app;
        let trader = trader.clone();
        let decl = uzbek(reference);
        let body = json!({
            "declaration": decl,
            "certificates": [{"document_reference": origin_ref, "content": certificate.to_string()}],
        });
        async move {
            let req = Request::post("/api/v1/declarations/lodge")
                .header(header::CONTENT_TYPE, "application/json")
                .header(header::AUTHORIZATION, format!("Bearer {trader}"))
                .body(Body::from(body.to_string()))
                .unwrap();
            json_of(app.send(req).await).await
        }
    };
    let verdict_of = |lodged: &Value| {
        lodged["certificates"]
            .as_array()
            .unwrap()
            .iter()
            .find(|v| v["document_reference"] == json!(origin_ref))
            .cloned()
            .unwrap()
    };

    let (status, lodged) = lodge_with("KZ-CERT-1", &apples).await;
    assert_eq!(status, 201, "{lodged}");
    let verdict = verdict_of(&lodged);
    assert_eq!(verdict["verified"], json!(true), "{verdict}");
    // The certificate rule fires only for the phytosanitary certificate, not presented here.
    let cert_rules: Vec<&str> = lodged["reasons"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["rule_id"] == json!("R07-CERTIFICATE-NOT-VERIFIED"))
        .map(|r| r["reason"].as_str().unwrap())
        .collect();
    assert!(cert_rules.iter().all(|r| !r.contains(&origin_ref)), "{cert_rules:?}");
    // The real KZ schedule models no preference yet (no CIS FTA measure: README, "not
    // modelled"), so the verified certificate claims none: the same is due as on the same goods
    // lodged without it, and no duty line is preferential.
    let (status, plain) = lodge(&app, &trader, &uzbek("KZ-CERT-0"), None).await;
    assert_eq!(status, 201, "{plain}");
    assert_eq!(lodged["totals"], plain["totals"]);
    let (_, detail) = app.get("/api/v1/declarations/KZ-CERT-1", Some(&trader)).await;
    let lines = detail["assessments"][0]["body"]["duty_lines"].as_array().unwrap().clone();
    assert!(
        !lines.is_empty() && lines.iter().all(|l| l["preferential"] == json!(false)),
        "{detail}"
    );

    let (status, lodged) = lodge_with("KZ-CERT-2", &wheat).await;
    assert_eq!(status, 201, "{lodged}");
    let verdict = verdict_of(&lodged);
    assert_eq!(verdict["verified"], json!(false), "{verdict}");
    assert!(verdict["reason"].as_str().unwrap().contains("not among the certificate's goods"));

    let id = apples["id"].as_str().unwrap();
    let (status, body) = app
        .post_json(
            &format!("/api/v1/certificates/{id}/revoke"),
            Some(&certifier),
            r#"{"reason": "issued in error"}"#,
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let (status, lodged) = lodge_with("KZ-CERT-3", &apples).await;
    assert_eq!(status, 201, "{lodged}");
    let verdict = verdict_of(&lodged);
    assert_eq!(verdict["verified"], json!(false), "{verdict}");
}

/// Issue 18: a KZ lodgement is assessed under the real schedule at the official rates entered
/// for its date. The apples' duty is the ETT's specific rate of the line (read here from the
/// schedule file) times the quantity, converted at the entered EUR rate; VAT is the schedule's
/// rate on the customs value (at the USD rate) plus that duty; every line is marked real. A
/// date with no entered rate is refused, naming the date and the rate to enter.
#[tokio::test]
async fn kz_duties_use_the_real_schedule_and_the_official_rates_of_the_day() {
    use caravan_types::Decimal;

    let app = app().await;
    let trader = app.token("trader-a").await;
    let sample = declaration("KZ-REAL-1");
    let (status, lodged) = lodge(&app, &trader, &sample, None).await;
    assert_eq!(status, 201, "{lodged}");

    let path =
        format!("{}/../../data/tariff/schedules/KZ/2026-01-01.json", env!("CARGO_MANIFEST_DIR"));
    let schedule: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let code = sample["items"][0]["hs_code"].as_str().unwrap();
    let line = schedule["lines"].as_array().unwrap().iter().find(|l| l["code"] == json!(code));
    let mfn = line.unwrap_or_else(|| panic!("{code} is a line of the KZ schedule"))["mfn"]
        .as_str()
        .unwrap();
    let per_kg: Decimal =
        mfn.strip_suffix(" EUR/KGM").expect("a specific rate in EUR per kg").parse().unwrap();
    let vat_measure =
        schedule["measures"].as_array().unwrap().iter().find(|m| {
            m["kind"] == json!("vat") && code.starts_with(m["applies_to"].as_str().unwrap())
        });
    let vat_rate: Decimal =
        vat_measure.unwrap()["duty"].as_str().unwrap().strip_suffix(" %").unwrap().parse().unwrap();
    let rate = |currency: &str| -> Decimal {
        EXAMPLE_RATES.iter().find(|(c, _)| *c == currency).unwrap().1.parse().unwrap()
    };
    let decimal = |v: &Value| -> Decimal { v.as_str().unwrap().parse().unwrap() };
    let item = &sample["items"][0];
    assert_eq!(
        (item["quantity"]["unit"].as_str(), item["customs_value"]["currency"].as_str()),
        (Some("KGM"), Some("USD"))
    );
    // To the tiyn, half away from zero (the amounts are positive), as the engine rounds.
    let round =
        |d: Decimal| (d * Decimal::from(100) + Decimal::new(5, 1)).floor() / Decimal::from(100);
    let duty = round(decimal(&item["quantity"]["value"]) * per_kg * rate("EUR"));
    let customs_value = round(decimal(&item["customs_value"]["amount"]) * rate("USD"));
    let vat = round((customs_value + duty) * vat_rate / Decimal::from(100));

    let (_, detail) = app.get("/api/v1/declarations/KZ-REAL-1", Some(&trader)).await;
    let lines = detail["assessments"][0]["body"]["duty_lines"].as_array().unwrap().clone();
    let amount_of = |tax: &str| {
        let line = lines
            .iter()
            .find(|l| l["tax_type"] == json!(tax))
            .unwrap_or_else(|| panic!("{tax}: {detail}"));
        assert_eq!(line["amount"]["currency"], json!("KZT"), "{line}");
        assert_eq!(line["provenance"], json!("real"), "{line}");
        decimal(&line["amount"]["amount"])
    };
    assert_eq!(amount_of("customs_duty"), duty, "{lines:?}");
    assert_eq!(amount_of("vat"), vat, "{lines:?}");
    assert_eq!(lines.len(), 2, "{lines:?}");
    assert_eq!(decimal(&lodged["totals"][0]["amount"]), duty + vat, "{lodged}");

    // The day after has no entered rate: refused, naming the date, the rate and where to enter it.
    let mut next_day = declaration("KZ-REAL-2");
    next_day["declaration_date"] = json!("2026-11-21");
    let (status, err) = lodge(&app, &trader, &next_day, None).await;
    assert_eq!((status, error_code(&err)), (422, "declaration.no_exchange_rate"), "{err}");
    assert_eq!(err["error"]["field"], json!("declaration.declaration_date"), "{err}");
    let message = err["error"]["message"].as_str().unwrap();
    assert!(message.contains("KZT rate for 2026-11-21"), "{message}");
    assert!(message.contains(SAMPLE_DATE) && message.contains("/tariff/rates"), "{message}");
    // Nothing was stored for it.
    let (status, _) = app.get("/api/v1/declarations/KZ-REAL-2", Some(&trader)).await;
    assert_eq!(status, 404);
}
