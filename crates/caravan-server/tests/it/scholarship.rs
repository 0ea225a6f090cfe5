//! Scholarship programmes (issue 9) end to end over the API: call → apply → endorse → review →
//! normalise → place → publish → result with cutoffs; deadline, blind review, conflicts of
//! interest, denials and bad uploads. Then the same through the pages, as a browser sends them:
//! forms with the CSRF token, the multipart upload, the nominating body's decision, the
//! administrator's call form, and every page in Russian and Chinese.

use std::sync::Arc;

use axum::body::Body;
use axum::http::{Request, header};
use caravan_store::{Actor, Change, NewOrganisation, NewUser, OrgKind, Role};
use caravan_types::CountryCode;
use serde_json::{Value, json};
use time::Duration;
use tower::ServiceExt;

use crate::support::{Multipart, TestApp, error_code, fixed_now, json_of};

struct Fixture {
    app: TestApp,
    admin: String,
    applicants: Vec<(String, i64)>,
    nb_kz: String,
    nb_uz: String,
    reviewers: Vec<String>,
}

async fn user(app: &TestApp, org: i64, name: &str, role: Role) -> String {
    let change = Change { actor: Actor::system("test"), at: fixed_now() };
    // The shared test password, so the pages' tests can log in with the form.
    let hash = crate::support::password_hash();
    let new = NewUser {
        username: name.to_owned(),
        display_name: format!("{name} Fullname"),
        org_id: org,
        role,
        password_hash: hash,
    };
    app.state.store.create_user(&change, &new).await.unwrap();
    app.token(name).await
}

async fn org(app: &TestApp, name: &str, kind: OrgKind, country: &str) -> i64 {
    let change = Change { actor: Actor::system("test"), at: fixed_now() };
    let new = NewOrganisation {
        name: name.to_owned(),
        kind,
        country: CountryCode::parse(country).unwrap(),
    };
    app.state.store.create_organisation(&change, &new).await.unwrap().id
}

async fn fixture() -> Fixture {
    let app = TestApp::new().await;
    let center =
        org(&app, "Education Exchange Center", OrgKind::EducationExchangeCenter, "CN").await;
    let kz_uni = org(&app, "KazNU", OrgKind::University, "KZ").await;
    let uz_uni = org(&app, "Tashkent State University", OrgKind::University, "UZ").await;
    let cn_uni_a = org(&app, "Xinjiang University", OrgKind::University, "CN").await;
    let cn_uni_b = org(&app, "Lanzhou University", OrgKind::University, "CN").await;
    let nb_kz_org = org(&app, "KZ Ministry of Science", OrgKind::NominatingBody, "KZ").await;
    let nb_uz_org = org(&app, "UZ Ministry of Education", OrgKind::NominatingBody, "UZ").await;
    let admin = user(&app, center, "prog-admin", Role::ProgrammeAdmin).await;
    let mut applicants = Vec::new();
    for (name, o) in [("aigerim", kz_uni), ("bolat", kz_uni), ("dilnoza", uz_uni)] {
        let token = user(&app, o, name, Role::Applicant).await;
        applicants.push((token, 0));
    }
    let nb_kz = user(&app, nb_kz_org, "nb-kz", Role::Admin).await;
    let nb_uz = user(&app, nb_uz_org, "nb-uz", Role::Admin).await;
    let mut reviewers = Vec::new();
    for (name, o) in [("rev-xj", cn_uni_a), ("rev-lz", cn_uni_b), ("rev-kz", kz_uni)] {
        reviewers.push(user(&app, o, name, Role::Reviewer).await);
    }
    Fixture { app, admin, applicants, nb_kz, nb_uz, reviewers }
}

pub(crate) fn call_spec() -> Value {
    json!({
        "title": {"en": "Talent Scholarship 2027", "ru": "Стипендия талантов 2027", "zh": "2027年人才奖学金"},
        "countries": ["KZ", "UZ"],
        "levels": ["master"],
        "application_deadline": "2025-12-09T07:06:40Z",
        "review_deadline": "2026-01-30T00:00:00Z",
        "required_documents": ["transcript"],
        "max_choices": 2,
        "programmes": [
            {"id": 1, "name": "Hydrology", "university": "Xinjiang University", "host_country": "CN", "seats": 1},
            {"id": 2, "name": "Logistics", "university": "Lanzhou University", "host_country": "CN", "seats": 1}
        ],
        "criteria": [
            {"key": "merit", "name": "Academic merit", "weight": 2.0, "max_score": 10},
            {"key": "motivation", "name": "Motivation", "weight": 1.0, "max_score": 10}
        ],
        "reviewers_per_application": 2,
        "conflict_same_country": true,
        "disagreement_threshold": 1.5
    })
}

async fn send(
    app: &TestApp,
    method: &str,
    path: &str,
    token: &str,
    content_type: &str,
    body: Vec<u8>,
) -> (u16, Value) {
    let req = Request::builder()
        .method(method)
        .uri(path)
        .header(header::AUTHORIZATION, format!("Bearer {token}"))
        .header(header::CONTENT_TYPE, content_type)
        .body(Body::from(body))
        .unwrap();
    json_of(app.send(req).await).await
}

async fn put(app: &TestApp, path: &str, token: &str, body: Value) -> (u16, Value) {
    send(app, "PUT", path, token, "application/json", body.to_string().into_bytes()).await
}

async fn post(app: &TestApp, path: &str, token: &str, body: Value) -> (u16, Value) {
    app.post_json(path, Some(token), &body.to_string()).await
}

fn pdf() -> Vec<u8> {
    b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\n%%EOF\n".to_vec()
}

/// Opens and publishes the call; returns its id.
async fn open_call(f: &Fixture) -> i64 {
    let (status, call) = post(&f.app, "/api/v1/scholarship/calls", &f.admin, call_spec()).await;
    assert_eq!(status, 201, "{call}");
    assert_eq!(call["status"], "draft");
    let id = call["id"].as_i64().unwrap();
    let path = format!("/api/v1/scholarship/calls/{id}/status");
    let (status, call) = post(&f.app, &path, &f.admin, json!({"status": "published"})).await;
    assert_eq!(status, 200, "{call}");
    id
}

/// Fills in and submits an application; returns its id.
async fn apply(f: &Fixture, token: &str, call: i64, name: &str, choices: &[u32]) -> i64 {
    let institution =
        if name.starts_with("Dilnoza") { "Tashkent State University" } else { "KazNU" };
    let app = &f.app;
    let (status, view) =
        post(app, &format!("/api/v1/scholarship/calls/{call}/applications"), token, json!({}))
            .await;
    assert_eq!(status, 201, "{view}");
    let id = view["application"]["id"].as_i64().unwrap();
    assert_eq!(view["missing"], json!(["personal", "study", "choices", "documents.transcript"]));
    let base = format!("/api/v1/scholarship/applications/{id}");
    let personal = json!({"full_name": name, "email": format!("{}@mail.example", name.to_lowercase().replace(' ', ".")), "date_of_birth": "2001-04-05", "level": "master"});
    let (status, view) = put(app, &format!("{base}/pages/personal"), token, personal).await;
    assert_eq!(status, 200, "{view}");
    let study = json!({"institution": institution, "degree": "BSc", "field": "Hydrology", "graduation_year": 2024});
    let (status, _) = put(app, &format!("{base}/pages/study"), token, study).await;
    assert_eq!(status, 200);
    let (status, view) =
        put(app, &format!("{base}/pages/choices"), token, json!({"choices": choices})).await;
    assert_eq!(status, 200, "{view}");
    let path = format!("{base}/documents?kind=transcript&filename=transcript.pdf");
    let (status, doc) = send(app, "POST", &path, token, "application/pdf", pdf()).await;
    assert_eq!(status, 201, "{doc}");
    let (status, view) = post(app, &format!("{base}/submit"), token, json!({})).await;
    assert_eq!(status, 200, "{view}");
    assert_eq!(view["application"]["status"], "submitted");
    id
}

#[tokio::test]
async fn whole_flow_from_call_to_published_result_with_cutoffs() {
    let f = fixture().await;
    let app = &f.app;
    let call = open_call(&f).await;
    let names = ["Aigerim Sultanova", "Bolat Nurlanov", "Dilnoza Karimova"];
    let mut ids = Vec::new();
    for ((token, _), name) in f.applicants.iter().zip(names) {
        ids.push(apply(&f, token, call, name, &[1, 2]).await);
    }

    // The nominating bodies endorse their own country's applicants.
    for (id, token) in [(ids[0], &f.nb_kz), (ids[1], &f.nb_kz), (ids[2], &f.nb_uz)] {
        let path = format!("/api/v1/scholarship/applications/{id}/endorsement");
        let (status, body) = post(app, &path, token, json!({"endorse": true})).await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(body["status"], "endorsed");
    }

    // Assignment: two reviewers each, no reviewer from the applicant's country or institution.
    let path = format!("/api/v1/scholarship/calls/{call}/assignments");
    let (status, report) = post(app, &path, &f.admin, json!({})).await;
    assert_eq!(status, 200, "{report}");
    assert_eq!(report["assigned"].as_array().unwrap().len(), 6, "{report}");
    assert_eq!(report["short"], json!([]));
    let kz_reviewer = app.state.store.user_by_username("rev-kz").await.unwrap().unwrap();
    for review in report["assigned"].as_array().unwrap() {
        if review["reviewer_id"] == kz_reviewer.id {
            assert_eq!(review["application_id"], ids[2], "KZ reviewer only gets the UZ applicant");
        }
    }

    // Blind review: the reviewer's view holds no name, e-mail or username.
    let mut scored = 0;
    for (r, token) in f.reviewers.iter().enumerate() {
        let (status, list) = app.get("/api/v1/scholarship/reviews", Some(token)).await;
        assert_eq!(status, 200, "{list}");
        let text = list.to_string();
        for name in names {
            assert!(!text.contains(name), "reviewer sees {name}: {text}");
            assert!(!text.contains("mail.example"), "reviewer sees an e-mail: {text}");
        }
        assert!(!text.contains("aigerim") && !text.contains("KazNU"), "{text}");
        for item in list.as_array().unwrap() {
            let review_id = item["review_id"].as_i64().unwrap();
            let path = format!("/api/v1/scholarship/reviews/{review_id}");
            let (status, one) = app.get(&path, Some(token)).await;
            assert_eq!(status, 200, "{one}");
            assert!(!one.to_string().contains("mail.example"), "{one}");
            // Scores: applicant 0 strong, applicant 2 middling, applicant 1 weak.
            let app_id = ids
                .iter()
                .position(|id| {
                    report["assigned"]
                        .as_array()
                        .unwrap()
                        .iter()
                        .any(|a| a["id"] == review_id && a["application_id"] == *id)
                })
                .unwrap();
            let merit = [9, 3, 6][app_id] + r as u32;
            let body = json!({"scores": {"merit": merit.min(10), "motivation": 5}});
            let path = format!("/api/v1/scholarship/reviews/{review_id}");
            let (status, scoredview) = post(app, &path, token, body).await;
            assert_eq!(status, 200, "{scoredview}");
            scored += 1;
        }
    }
    assert_eq!(scored, 6);

    // A score beyond the criterion's range is rejected naming the criterion.
    let (_, list) = app.get("/api/v1/scholarship/reviews", Some(&f.reviewers[0])).await;
    let review_id = list[0]["review_id"].as_i64().unwrap();
    let path = format!("/api/v1/scholarship/reviews/{review_id}");
    let (status, body) =
        post(app, &path, &f.reviewers[0], json!({"scores": {"merit": 11, "motivation": 1}})).await;
    assert_eq!(status, 422);
    assert_eq!(body["error"]["field"], "scores.merit");

    // Normalisation: z-scores within reviewer, method shown, strong applicant first.
    let (status, ranking) =
        app.get(&format!("/api/v1/scholarship/calls/{call}/ranking"), Some(&f.admin)).await;
    assert_eq!(status, 200, "{ranking}");
    assert!(ranking["method"].as_str().unwrap().contains("z-score"));
    let order: Vec<i64> = ranking["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["application_id"].as_i64().unwrap())
        .collect();
    assert_eq!(order, vec![ids[0], ids[2], ids[1]], "{ranking}");

    // Placement by deferred acceptance, with its stability audit; then publish.
    let path = format!("/api/v1/scholarship/calls/{call}/placements");
    let (status, run) = post(app, &path, &f.admin, json!({"mechanism": "da"})).await;
    assert_eq!(status, 201, "{run}");
    assert_eq!(run["published"], false);
    assert_eq!(run["result"]["blocking_pairs"], json!([]));
    assert_eq!(run["result"]["unplaced"], 1);
    let run_id = run["id"].as_i64().unwrap();

    // Before publication, applicants see no result.
    let result_path = format!("/api/v1/scholarship/applications/{}/result", ids[1]);
    let (status, before) = app.get(&result_path, Some(&f.applicants[1].0)).await;
    assert_eq!(status, 200);
    assert_eq!(before["published"], false);

    let path = format!("/api/v1/scholarship/calls/{call}/placements/{run_id}/publish");
    let (status, body) = post(app, &path, &f.admin, json!({})).await;
    assert_eq!(status, 200, "{body}");
    let (status, body) = post(app, &path, &f.admin, json!({})).await;
    assert_eq!(status, 409, "{body}");

    // The strongest gets the first choice; the weakest is unplaced and told why.
    let (_, first) = app
        .get(
            &format!("/api/v1/scholarship/applications/{}/result", ids[0]),
            Some(&f.applicants[0].0),
        )
        .await;
    assert_eq!(first["programme_id"], 1, "{first}");
    assert_eq!(first["choice_rank"], 1);
    let (_, middle) = app
        .get(
            &format!("/api/v1/scholarship/applications/{}/result", ids[2]),
            Some(&f.applicants[2].0),
        )
        .await;
    assert_eq!(middle["programme_id"], 2, "{middle}");
    assert_eq!(middle["higher_choices"][0]["full"], true);
    let (_, last) = app.get(&result_path, Some(&f.applicants[1].0)).await;
    assert_eq!(last["programme_id"], Value::Null, "{last}");
    let higher = last["higher_choices"].as_array().unwrap();
    assert_eq!(higher.len(), 2);
    assert!(higher.iter().all(|c| c["full"] == true && c["cutoff_score"].as_u64().unwrap() > 1));
    assert!(last["explanation"].as_str().unwrap().contains("was full"), "{last}");

    // Every step is in the audit log.
    let log = app.state.store.audit_entries(0, 10_000).await.unwrap();
    for action in [
        "scholarship.call.create",
        "scholarship.call.published",
        "scholarship.application.submitted",
        "scholarship.application.endorsed",
        "scholarship.review.assign",
        "scholarship.review.submit",
        "scholarship.placement.run",
        "scholarship.placement.publish",
    ] {
        assert!(log.iter().any(|e| e.action == action), "no {action} in the audit log");
    }

    // Statistics: KZ → CN and UZ → CN applications and placements, as JSON and CSV.
    let (status, stats) = app.get("/api/v1/scholarship/statistics", Some(&f.admin)).await;
    assert_eq!(status, 200);
    let placed: u64 =
        stats.as_array().unwrap().iter().map(|r| r["placements"].as_u64().unwrap()).sum();
    assert_eq!(placed, 2, "{stats}");
    let (status, csv) = app.get("/api/v1/scholarship/statistics?format=csv", Some(&f.admin)).await;
    assert_eq!(status, 200);
    let csv = csv.as_str().unwrap();
    assert!(csv.starts_with("year,call_id,programme,from,to,applications,placements\n"));
    assert!(csv.contains(",Hydrology,KZ,CN,2,1\n"), "{csv}");

    // Pages: the applicant's result and the statistics chart render.
    let page = app
        .send(
            Request::get("/scholarships/statistics")
                .header(header::AUTHORIZATION, format!("Bearer {}", f.admin))
                .body(Body::empty())
                .unwrap(),
        )
        .await;
    let html = crate::support::body_text(page).await;
    assert!(html.contains("<svg") && html.contains("KZ → CN"), "{html}");
    let page = app
        .send(
            Request::get("/scholarships")
                .header(header::AUTHORIZATION, format!("Bearer {}", f.applicants[1].0))
                .body(Body::empty())
                .unwrap(),
        )
        .await;
    let html = crate::support::body_text(page).await;
    assert!(html.contains("was full"), "{html}");
}

#[tokio::test]
async fn submission_after_the_deadline_is_refused() {
    let f = fixture().await;
    let call = open_call(&f).await;
    let token = &f.applicants[0].0;
    let (_, view) =
        post(&f.app, &format!("/api/v1/scholarship/calls/{call}/applications"), token, json!({}))
            .await;
    let id = view["application"]["id"].as_i64().unwrap();
    let mut late = f.app.state.clone();
    late.clock = Arc::new(|| fixed_now() + Duration::days(11));
    let req = Request::post(format!("/api/v1/scholarship/applications/{id}/submit"))
        .header(header::AUTHORIZATION, format!("Bearer {token}"))
        .body(Body::empty())
        .unwrap();
    let (status, body) = json_of(caravan_server::router(late).oneshot(req).await.unwrap()).await;
    assert_eq!(status, 409, "{body}");
    assert_eq!(error_code(&body), "scholarship.deadline_passed");
    // Before the deadline the same request is answered on its merits (pages missing).
    let (status, body) =
        post(&f.app, &format!("/api/v1/scholarship/applications/{id}/submit"), token, json!({}))
            .await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(body["error"]["field"], "personal");
}

#[tokio::test]
async fn bad_uploads_are_rejected_naming_the_field() {
    let f = fixture().await;
    let call = open_call(&f).await;
    let token = &f.applicants[0].0;
    let (_, view) =
        post(&f.app, &format!("/api/v1/scholarship/calls/{call}/applications"), token, json!({}))
            .await;
    let id = view["application"]["id"].as_i64().unwrap();
    let path = format!("/api/v1/scholarship/applications/{id}/documents?kind=transcript");
    let png = b"\x89PNG\r\n\x1a\n not a pdf".to_vec();
    let (status, body) = send(&f.app, "POST", &path, token, "application/pdf", png).await;
    assert_eq!(status, 415, "{body}");
    assert_eq!(error_code(&body), "scholarship.not_pdf");
    assert_eq!(body["error"]["field"], "file");
    let mut big = pdf();
    big.resize(caravan_server::scholarship::MAX_DOCUMENT_BYTES + 1, b' ');
    let (status, body) = send(&f.app, "POST", &path, token, "application/pdf", big).await;
    assert_eq!(status, 413, "{body}");
    assert_eq!(body["error"]["field"], "file");
    let other_kind = format!("/api/v1/scholarship/applications/{id}/documents?kind=photo");
    let (status, body) = send(&f.app, "POST", &other_kind, token, "application/pdf", pdf()).await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(body["error"]["field"], "kind");
    // A page with a programme the call does not offer names the choice.
    let choices = format!("/api/v1/scholarship/applications/{id}/pages/choices");
    let (status, body) = put(&f.app, &choices, token, json!({"choices": [1, 9]})).await;
    assert_eq!(status, 422);
    assert_eq!(body["error"]["field"], "choices[1]");
    let (status, body) = put(&f.app, &choices, token, json!({"choices": [1, 2, 1]})).await;
    assert_eq!(status, 422);
    assert_eq!(body["error"]["field"], "choices");
}

#[tokio::test]
async fn denials() {
    let f = fixture().await;
    let app = &f.app;
    let call = open_call(&f).await;
    let a = apply(&f, &f.applicants[0].0, call, "Aigerim Sultanova", &[1]).await;
    let c = apply(&f, &f.applicants[2].0, call, "Dilnoza Karimova", &[2]).await;

    // An applicant reading another's application.
    let (status, body) =
        app.get(&format!("/api/v1/scholarship/applications/{a}"), Some(&f.applicants[2].0)).await;
    assert_eq!(status, 403, "{body}");
    assert_eq!(error_code(&body), "auth.forbidden");
    // Nor may they endorse themselves, or open a call.
    let path = format!("/api/v1/scholarship/applications/{a}/endorsement");
    let (status, _) = post(app, &path, &f.applicants[0].0, json!({"endorse": true})).await;
    assert_eq!(status, 403);
    let (status, _) = post(app, "/api/v1/scholarship/calls", &f.applicants[0].0, call_spec()).await;
    assert_eq!(status, 403);

    // The nominating body of another country.
    let path = format!("/api/v1/scholarship/applications/{c}/endorsement");
    let (status, body) = post(app, &path, &f.nb_kz, json!({"endorse": true})).await;
    assert_eq!(status, 403, "{body}");
    let (status, list) =
        app.get(&format!("/api/v1/scholarship/calls/{call}/applications"), Some(&f.nb_kz)).await;
    assert_eq!(status, 200);
    assert_eq!(list.as_array().unwrap().len(), 1, "KZ body lists only KZ applicants: {list}");
    let (status, _) = post(app, &path, &f.nb_uz, json!({"endorse": true})).await;
    assert_eq!(status, 200);
    let path = format!("/api/v1/scholarship/applications/{a}/endorsement");
    let (status, _) = post(app, &path, &f.nb_kz, json!({"endorse": true})).await;
    assert_eq!(status, 200);

    // A reviewer not assigned to a review.
    let path = format!("/api/v1/scholarship/calls/{call}/assignments");
    let (_, report) = post(app, &path, &f.admin, json!({})).await;
    let xj = app.state.store.user_by_username("rev-xj").await.unwrap().unwrap();
    let foreign =
        report["assigned"].as_array().unwrap().iter().find(|r| r["reviewer_id"] != xj.id).unwrap()
            ["id"]
            .as_i64()
            .unwrap();
    let (status, body) =
        app.get(&format!("/api/v1/scholarship/reviews/{foreign}"), Some(&f.reviewers[0])).await;
    assert_eq!(status, 403, "{body}");
    // A reviewer cannot read the named application either.
    let (status, _) =
        app.get(&format!("/api/v1/scholarship/applications/{a}"), Some(&f.reviewers[0])).await;
    assert_eq!(status, 403);
    // Nor run the placement.
    let path = format!("/api/v1/scholarship/calls/{call}/placements");
    let (status, _) = post(app, &path, &f.reviewers[0], json!({})).await;
    assert_eq!(status, 403);

    // A revoked token.
    let user = app.state.store.user_by_username("aigerim").await.unwrap().unwrap();
    let tokens = app.state.store.api_tokens(user.id).await.unwrap();
    let change = Change { actor: Actor::user(&user), at: fixed_now() };
    app.state.store.revoke_api_token(&change, tokens[0].id).await.unwrap();
    let (status, body) =
        app.get(&format!("/api/v1/scholarship/applications/{a}"), Some(&f.applicants[0].0)).await;
    assert_eq!(status, 401, "{body}");
    assert_eq!(error_code(&body), "auth.token_revoked");
}

#[tokio::test]
async fn invalid_call_names_the_field() {
    let f = fixture().await;
    let mut spec = call_spec();
    spec["programmes"][0]["quotas"] = json!({"KZ": 1, "UZ": 1});
    let (status, body) = post(&f.app, "/api/v1/scholarship/calls", &f.admin, spec).await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(body["error"]["field"], "programmes[0].quotas");
    let mut spec = call_spec();
    spec["title"]["zh"] = json!("");
    let (status, body) = post(&f.app, "/api/v1/scholarship/calls", &f.admin, spec).await;
    assert_eq!(status, 422);
    assert_eq!(body["error"]["field"], "title.zh");
}

// ---------------------------------------------------------------------------------------------
// The pages, through a browser's requests.

/// A logged-in browser: the session cookie, the CSRF token and the interface language.
struct Browser {
    session: String,
    csrf: String,
    lang: &'static str,
}

async fn browser(app: &TestApp, username: &str) -> Browser {
    let (session, csrf) = crate::ui::login(app, username).await;
    Browser { session, csrf, lang: "en" }
}

struct Page {
    status: u16,
    location: Option<String>,
    text: String,
}

impl Browser {
    fn cookie(&self) -> String {
        format!("caravan_session={}; caravan_lang={}", self.session, self.lang)
    }

    async fn send(&self, app: &TestApp, req: axum::http::request::Builder, body: Body) -> Page {
        let req = req.header(header::COOKIE, self.cookie()).body(body).unwrap();
        let response = app.send(req).await;
        let status = response.status().as_u16();
        let location =
            response.headers().get(header::LOCATION).map(|v| v.to_str().unwrap().to_owned());
        Page { status, location, text: crate::support::body_text(response).await }
    }

    async fn get(&self, app: &TestApp, path: &str) -> Page {
        self.send(app, Request::get(path), Body::empty()).await
    }

    /// Posts a form the way the page's `<form>` does, the CSRF token first.
    async fn post(&self, app: &TestApp, path: &str, fields: &[(&str, &str)]) -> Page {
        let mut body = format!("csrf_token={}", self.csrf);
        for (k, v) in fields {
            body.push_str(&format!("&{}={}", encode(k), encode(v)));
        }
        let req =
            Request::post(path).header(header::CONTENT_TYPE, "application/x-www-form-urlencoded");
        self.send(app, req, Body::from(body)).await
    }

    /// Posts `multipart/form-data` with these parts in this order.
    async fn post_multipart(&self, app: &TestApp, path: &str, parts: &[Part<'_>]) -> Page {
        let mut form = Multipart::new();
        for part in parts {
            form = match part {
                Part::Field(name, value) => form.field(name, value),
                Part::File(name, filename, content) => {
                    form.file(name, filename, "application/pdf", content)
                }
            };
        }
        let req = Request::post(path).header(header::CONTENT_TYPE, Multipart::content_type());
        self.send(app, req, Body::from(form.finish())).await
    }
}

enum Part<'a> {
    Field(&'a str, &'a str),
    File(&'a str, &'a str, &'a [u8]),
}

fn encode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' => (b as char).to_string(),
            b' ' => "+".to_owned(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

#[track_caller]
fn redirected_to(page: &Page, path: &str) {
    assert_eq!(page.status, 303, "{}", page.text);
    assert_eq!(page.location.as_deref(), Some(path));
}

#[tokio::test]
async fn applicant_fills_uploads_and_submits_through_the_pages() {
    let f = fixture().await;
    let app = &f.app;
    let call = open_call(&f).await;
    let me = browser(app, "aigerim").await;

    let home = me.get(app, "/scholarships").await;
    assert_eq!(home.status, 200);
    let apply_path = format!("/scholarships/calls/{call}/apply");
    assert!(home.text.contains(&apply_path), "{}", home.text);
    let started = me.post(app, &apply_path, &[]).await;
    assert_eq!(started.status, 303, "{}", started.text);
    let personal_path = started.location.unwrap();
    let id: i64 = personal_path
        .trim_start_matches("/scholarships/applications/")
        .trim_end_matches("/pages/personal")
        .parse()
        .unwrap();
    let base = format!("/scholarships/applications/{id}");

    // Personal page: the error sits beside the e-mail input, nothing is saved.
    let form = me.get(app, &personal_path).await;
    assert_eq!(form.status, 200);
    assert!(form.text.contains(r#"<label for="full_name">"#), "{}", form.text);
    let mut personal = vec![
        ("full_name", "Aigerim Sultanova"),
        ("email", "aigerim-at-mail.example"),
        ("date_of_birth", "2001-04-05"),
        ("level", "master"),
    ];
    let bad = me.post(app, &personal_path, &personal).await;
    assert_eq!(bad.status, 422, "{}", bad.text);
    assert!(bad.text.contains(r#"aria-describedby="email-error""#), "{}", bad.text);
    assert!(bad.text.contains(r#"id="email-error""#), "{}", bad.text);
    assert!(bad.text.contains("aigerim-at-mail.example"), "the sent value is kept");
    assert_eq!(app.state.store.application(id).await.unwrap().unwrap().body.personal, None);
    personal[1].1 = "aigerim@mail.example";
    redirected_to(&me.post(app, &personal_path, &personal).await, &format!("{base}/pages/study"));
    let study = [
        ("institution", "KazNU"),
        ("degree", "BSc"),
        ("field", "Hydrology"),
        ("graduation_year", "2024"),
    ];
    let saved = me.post(app, &format!("{base}/pages/study"), &study).await;
    redirected_to(&saved, &format!("{base}/pages/choices"));

    // Choices: one select per allowed choice; a duplicate is named at its select.
    let choices_path = format!("{base}/pages/choices");
    let form = me.get(app, &choices_path).await;
    assert!(form.text.contains(r#"id="choices-1""#) && !form.text.contains(r#"id="choices-2""#));
    let dup = me.post(app, &choices_path, &[("choices[0]", "1"), ("choices[1]", "1")]).await;
    assert_eq!(dup.status, 422, "{}", dup.text);
    assert!(dup.text.contains(r#"id="choices-1-error""#), "{}", dup.text);
    let ok = me.post(app, &choices_path, &[("choices[0]", "2"), ("choices[1]", "1")]).await;
    redirected_to(&ok, &base);
    let stored = app.state.store.application(id).await.unwrap().unwrap();
    assert_eq!(stored.body.choices, vec![2, 1]);

    // The summary names what is missing and offers the upload.
    let summary = me.get(app, &base).await;
    assert!(summary.text.contains(r#"enctype="multipart/form-data""#), "{}", summary.text);
    assert!(summary.text.contains("Documents: transcript"), "{}", summary.text);

    // Multipart upload: the CSRF token must be the first part and right.
    let upload = format!("{base}/documents");
    let pdf = pdf();
    let file = Part::File("file", "my transcript.pdf", &pdf);
    for parts in [
        vec![Part::Field("kind", "transcript"), Part::File("file", "t.pdf", &pdf)],
        vec![Part::Field("csrf_token", "forged"), Part::Field("kind", "transcript")],
        vec![Part::Field("kind", "transcript"), Part::Field("csrf_token", &me.csrf)],
    ] {
        let refused = me.post_multipart(app, &upload, &parts).await;
        assert_eq!(refused.status, 403, "{}", refused.text);
        assert!(refused.text.contains("auth.csrf"), "{}", refused.text);
    }
    assert!(app.state.store.documents(id).await.unwrap().is_empty());
    let png = b"\x89PNG\r\n\x1a\n not a pdf".to_vec();
    let wrong = me
        .post_multipart(
            app,
            &upload,
            &[
                Part::Field("csrf_token", &me.csrf),
                Part::Field("kind", "transcript"),
                Part::File("file", "scan.png", &png),
            ],
        )
        .await;
    assert_eq!(wrong.status, 415, "{}", wrong.text);
    assert!(wrong.text.contains(r#"id="file-transcript-error""#), "{}", wrong.text);
    let mut big = pdf.clone();
    big.resize(caravan_server::scholarship::MAX_DOCUMENT_BYTES + 1, b' ');
    let too_big = me
        .post_multipart(
            app,
            &upload,
            &[
                Part::Field("csrf_token", &me.csrf),
                Part::Field("kind", "transcript"),
                Part::File("file", "big.pdf", &big),
            ],
        )
        .await;
    assert_eq!(too_big.status, 413, "{}", too_big.text);
    assert!(too_big.text.contains("file: the file is larger than 4 MiB"), "{}", too_big.text);
    assert!(app.state.store.documents(id).await.unwrap().is_empty());
    let uploaded = me
        .post_multipart(
            app,
            &upload,
            &[Part::Field("csrf_token", &me.csrf), Part::Field("kind", "transcript"), file],
        )
        .await;
    redirected_to(&uploaded, &base);
    let docs = app.state.store.documents(id).await.unwrap();
    assert_eq!(docs.len(), 1);
    assert_eq!(
        (docs[0].kind.as_str(), docs[0].filename.as_str()),
        ("transcript", "my transcript.pdf")
    );
    let (_, content) = app.state.store.document(docs[0].id).await.unwrap().unwrap();
    assert_eq!(content, pdf, "the body reached the handler unchanged past the guard");

    // Submit, then the page shows the status and no more forms.
    let summary = me.get(app, &base).await;
    assert!(summary.text.contains("Nothing is missing"), "{}", summary.text);
    redirected_to(&me.post(app, &format!("{base}/submit"), &[]).await, &base);
    let summary = me.get(app, &base).await;
    assert!(summary.text.contains(r#"id="application-status">submitted<"#), "{}", summary.text);
    assert!(summary.text.contains("Results are not published yet"), "{}", summary.text);
    assert!(!summary.text.contains("multipart/form-data"));
    let again = me.post(app, &choices_path, &[("choices[0]", "1")]).await;
    assert_eq!(again.status, 409, "{}", again.text);
}

#[tokio::test]
async fn nominating_body_endorses_through_its_page() {
    let f = fixture().await;
    let app = &f.app;
    let call = open_call(&f).await;
    let id = apply(&f, &f.applicants[0].0, call, "Aigerim Sultanova", &[1]).await;

    let kz = browser(app, "nb-kz").await;
    let home = kz.get(app, "/scholarships").await;
    let list_path = format!("/scholarships/calls/{call}/nominations");
    assert!(home.text.contains(&list_path), "{}", home.text);
    let list = kz.get(app, &list_path).await;
    assert_eq!(list.status, 200);
    assert!(list.text.contains("Aigerim Sultanova"), "{}", list.text);
    assert!(list.text.contains(&format!(r#"<label for="comment-{id}">"#)), "{}", list.text);

    // Another country's body sees nobody and may not decide.
    let uz = browser(app, "nb-uz").await;
    assert!(!uz.get(app, &list_path).await.text.contains("Aigerim"));
    let endorse_path = format!("/scholarships/applications/{id}/endorsement");
    let denied = uz.post(app, &endorse_path, &[("decision", "endorse")]).await;
    assert_eq!(denied.status, 403, "{}", denied.text);
    let odd = kz.post(app, &endorse_path, &[("decision", "maybe")]).await;
    assert_eq!(odd.status, 422, "{}", odd.text);

    let done = kz
        .post(app, &endorse_path, &[("decision", "endorse"), ("comment", "Strong record; fits")])
        .await;
    redirected_to(&done, &list_path);
    let stored = app.state.store.application(id).await.unwrap().unwrap();
    assert_eq!(stored.status.as_str(), "endorsed");
    let log = app.state.store.audit_entries(0, 10_000).await.unwrap();
    let comment = log
        .iter()
        .find(|e| e.action == "scholarship.application.endorsement_comment")
        .expect("the comment is in the audit log");
    assert_eq!(comment.details["comment"], "Strong record; fits");
    assert_eq!(comment.details["status"], "endorsed");
    // Decided once: the page shows the status, no buttons.
    let list = kz.get(app, &list_path).await;
    assert!(!list.text.contains(&format!(r#"action="{endorse_path}""#)), "{}", list.text);
    // Without the CSRF token the form is refused.
    let req = Request::post(&endorse_path)
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded");
    let forged = kz.send(app, req, Body::from("decision=decline")).await;
    assert_eq!(forged.status, 403);
}

fn call_form_fields(title_en: &str, seats: &str) -> Vec<(&'static str, String)> {
    [
        ("title.en", title_en),
        ("title.ru", "Стипендия"),
        ("title.zh", "奖学金"),
        ("countries", "KZ"),
        ("countries", "UZ"),
        ("levels", "master, phd"),
        ("application_deadline", "2025-12-09T07:06"),
        ("review_deadline", "2026-01-30T00:00"),
        ("required_documents", "transcript, passport"),
        ("max_choices", "2"),
        ("programmes[0].name", "Hydrology"),
        ("programmes[0].university", "Xinjiang University"),
        ("programmes[0].host_country", "CN"),
        ("programmes[0].seats", seats),
        ("programmes[0].quotas", "KZ=1 UZ=1"),
        ("programmes[1].name", ""),
        ("programmes[1].university", ""),
        ("programmes[1].seats", ""),
        ("criteria[0].key", "merit"),
        ("criteria[0].name", "Merit"),
        ("criteria[0].weight", "1"),
        ("criteria[0].max_score", "10"),
        ("reviewers_per_application", "2"),
        ("conflict_same_country", "on"),
        ("disagreement_threshold", "1.5"),
    ]
    .into_iter()
    .map(|(k, v)| (k, v.to_owned()))
    .collect()
}

fn as_refs<'a>(fields: &'a [(&'static str, String)]) -> Vec<(&'static str, &'a str)> {
    fields.iter().map(|(k, v)| (*k, v.as_str())).collect()
}

#[tokio::test]
async fn admin_creates_and_edits_a_draft_call_through_the_page_and_put() {
    let f = fixture().await;
    let app = &f.app;
    let admin = browser(app, "prog-admin").await;
    assert!(admin.get(app, "/scholarships").await.text.contains("/scholarships/calls/new"));
    let form = admin.get(app, "/scholarships/calls/new").await;
    assert_eq!(form.status, 200);
    assert!(form.text.contains(r#"<label for="title-en">"#), "{}", form.text);

    // Quotas that do not sum to the seats: the error is at the row's quota input.
    let bad =
        admin.post(app, "/scholarships/calls", &as_refs(&call_form_fields("Talent", "3"))).await;
    assert_eq!(bad.status, 422, "{}", bad.text);
    assert!(bad.text.contains(r#"id="programmes-0-quotas-error""#), "{}", bad.text);
    assert!(app.state.store.calls().await.unwrap().is_empty(), "nothing stored");

    let created =
        admin.post(app, "/scholarships/calls", &as_refs(&call_form_fields("Talent", "2"))).await;
    assert_eq!(created.status, 303, "{}", created.text);
    let manage_path = created.location.unwrap();
    let id: i64 = manage_path.trim_start_matches("/scholarships/calls/").parse().unwrap();
    let call = app.state.store.call(id).await.unwrap().unwrap();
    assert_eq!(call.spec.title.en, "Talent");
    assert_eq!(call.spec.levels, vec!["master", "phd"]);
    assert_eq!(call.spec.required_documents, vec!["transcript", "passport"]);
    assert_eq!(call.spec.programmes.len(), 1, "the empty row is skipped");
    assert_eq!(call.spec.programmes[0].quotas.len(), 2);
    assert_eq!(call.spec.application_deadline.unix_timestamp(), 1_765_263_960);

    // Edit through the page while a draft.
    let page = admin.get(app, &manage_path).await;
    assert!(page.text.contains(r#"value="Talent""#), "{}", page.text);
    let edited = admin
        .post(app, &format!("{manage_path}/edit"), &as_refs(&call_form_fields("Talent 2027", "2")))
        .await;
    redirected_to(&edited, &manage_path);
    assert_eq!(app.state.store.call(id).await.unwrap().unwrap().spec.title.en, "Talent 2027");

    // And through the API: the administrator may, others get 403.
    let api_path = format!("/api/v1/scholarship/calls/{id}");
    let (status, body) = put(app, &api_path, &f.admin, call_spec()).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["spec"]["title"]["en"], "Talent Scholarship 2027");
    for other in [&f.applicants[0].0, &f.nb_kz, &f.reviewers[0]] {
        let (status, body) = put(app, &api_path, other, call_spec()).await;
        assert_eq!(status, 403, "{body}");
        assert_eq!(error_code(&body), "auth.forbidden");
    }
    let mut bad_spec = call_spec();
    bad_spec["max_choices"] = json!(0);
    let (status, body) = put(app, &api_path, &f.admin, bad_spec).await;
    assert_eq!(status, 422);
    assert_eq!(body["error"]["field"], "max_choices");

    // Published: no more edits, by page or API.
    let published =
        admin.post(app, &format!("{manage_path}/status"), &[("status", "published")]).await;
    redirected_to(&published, &manage_path);
    let (status, body) = put(app, &api_path, &f.admin, call_spec()).await;
    assert_eq!(status, 409, "{body}");
    assert_eq!(error_code(&body), "scholarship.not_draft");
    let late = admin
        .post(app, &format!("{manage_path}/edit"), &as_refs(&call_form_fields("Changed", "2")))
        .await;
    assert_eq!(late.status, 409, "{}", late.text);
    assert_eq!(
        app.state.store.call(id).await.unwrap().unwrap().spec.title.en,
        "Talent Scholarship 2027"
    );
    let page = admin.get(app, &manage_path).await;
    assert!(page.text.contains("Assign reviewers") && page.text.contains("Run the placement"));

    // A non-administrator gets 403 on the pages too; the PUT is in the OpenAPI document.
    let applicant = browser(app, "aigerim").await;
    assert_eq!(applicant.get(app, &manage_path).await.status, 403);
    assert_eq!(applicant.get(app, "/scholarships/calls/new").await.status, 403);
    let (_, doc) = app.get("/api/openapi.json", None).await;
    assert!(doc["paths"]["/api/v1/scholarship/calls/{id}"]["put"].is_object(), "PUT documented");
}

#[tokio::test]
async fn admin_runs_review_and_placement_from_the_manage_page() {
    let f = fixture().await;
    let app = &f.app;
    let call = open_call(&f).await;
    let id = apply(&f, &f.applicants[0].0, call, "Aigerim Sultanova", &[1]).await;
    let path = format!("/api/v1/scholarship/applications/{id}/endorsement");
    assert_eq!(post(app, &path, &f.nb_kz, json!({"endorse": true})).await.0, 200);
    let admin = browser(app, "prog-admin").await;
    let manage = format!("/scholarships/calls/{call}");
    let assigned = admin.post(app, &format!("{manage}/assign"), &[]).await;
    assert_eq!(assigned.status, 200, "{}", assigned.text);
    assert!(assigned.text.contains("New assignments: 2;"), "{}", assigned.text);
    for token in &f.reviewers[..2] {
        let (_, list) = app.get("/api/v1/scholarship/reviews", Some(token)).await;
        let review = list[0]["review_id"].as_i64().unwrap();
        let scores = json!({"scores": {"merit": 8, "motivation": 6}});
        let (status, body) =
            post(app, &format!("/api/v1/scholarship/reviews/{review}"), token, scores).await;
        assert_eq!(status, 200, "{body}");
    }
    let page = admin.get(app, &manage).await;
    assert!(page.text.contains(&format!("<td>{id}</td>")), "the ranking lists it: {}", page.text);
    let placed = admin.post(app, &format!("{manage}/place"), &[("mechanism", "da")]).await;
    redirected_to(&placed, &manage);
    let runs = app.state.store.placements(call).await.unwrap();
    assert_eq!(runs.len(), 1);
    let bad = admin.post(app, &format!("{manage}/place"), &[("mechanism", "lottery")]).await;
    assert_eq!(bad.status, 422, "{}", bad.text);
    assert!(bad.text.contains("unknown mechanism"), "{}", bad.text);
    let publish = format!("{manage}/placements/{}/publish", runs[0].id);
    redirected_to(&admin.post(app, &publish, &[]).await, &manage);
    assert!(app.state.store.placements(call).await.unwrap()[0].published);
    // The applicant's page shows the published result with its explanation.
    let me = browser(app, "aigerim").await;
    let summary = me.get(app, &format!("/scholarships/applications/{id}")).await;
    assert!(
        summary.text.contains(r#"id="result">You are placed in Hydrology"#),
        "{}",
        summary.text
    );
}

#[tokio::test]
async fn scholarship_pages_render_in_russian_and_chinese() {
    let f = fixture().await;
    let app = &f.app;
    let call = open_call(&f).await;
    let id = apply(&f, &f.applicants[0].0, call, "Aigerim Sultanova", &[1]).await;
    let (_, draft) = post(app, "/api/v1/scholarship/calls", &f.admin, call_spec()).await;
    let draft = draft["id"].as_i64().unwrap();
    let (_, started) = post(
        app,
        &format!("/api/v1/scholarship/calls/{call}/applications"),
        &f.applicants[1].0,
        json!({}),
    )
    .await;
    let editing = started["application"]["id"].as_i64().unwrap();
    let pages: Vec<(&str, String, [&str; 2])> = vec![
        ("aigerim", "/scholarships".to_owned(), ["Стипендии", "奖学金"]),
        ("aigerim", format!("/scholarships/applications/{id}"), ["Результат", "结果"]),
        ("bolat", format!("/scholarships/applications/{editing}"), ["Загрузить", "上传"]),
        (
            "bolat",
            format!("/scholarships/applications/{editing}/pages/personal"),
            ["Дата рождения", "出生日期"],
        ),
        (
            "bolat",
            format!("/scholarships/applications/{editing}/pages/study"),
            ["Год окончания", "毕业年份"],
        ),
        (
            "bolat",
            format!("/scholarships/applications/{editing}/pages/choices"),
            ["Приоритет", "志愿"],
        ),
        ("nb-kz", format!("/scholarships/calls/{call}/nominations"), ["Рекомендовать", "推荐"]),
        ("prog-admin", "/scholarships/calls/new".to_owned(), ["Название на русском", "俄文标题"]),
        (
            "prog-admin",
            format!("/scholarships/calls/{draft}"),
            ["Опубликовать конкурс", "发布招生"],
        ),
        (
            "prog-admin",
            format!("/scholarships/calls/{call}"),
            ["Назначить рецензентов", "分配评审专家"],
        ),
    ];
    for (user, path, [ru, zh]) in pages {
        let mut b = browser(app, user).await;
        for (lang, expect) in [("ru", ru), ("zh", zh)] {
            b.lang = lang;
            let page = b.get(app, &path).await;
            assert_eq!(page.status, 200, "{user} {path} {lang}: {}", page.text);
            assert!(page.text.contains(&format!(r#"<html lang="{lang}">"#)), "{path} {lang}");
            assert!(page.text.contains(expect), "{path} in {lang} lacks {expect}: {}", page.text);
        }
    }
}

/// Issue 22, finding 2: a reviewer who works for the applicant's country's nominating body is
/// not its administrator: it reads no application in full and no document it was not assigned.
#[tokio::test]
async fn a_nominating_bodys_reviewer_cannot_read_applications_or_documents() {
    let f = fixture().await;
    let app = &f.app;
    let nb_kz_org = app.state.store.user_by_username("nb-kz").await.unwrap().unwrap().org_id;
    let spy = user(app, nb_kz_org, "nb-kz-reviewer", Role::Reviewer).await;
    let call = open_call(&f).await;
    let id = apply(&f, &f.applicants[0].0, call, "Aigerim Sultanova", &[1]).await;
    let path = format!("/api/v1/scholarship/applications/{id}");
    let (status, body) = app.get(&path, Some(&spy)).await;
    assert_eq!((status, error_code(&body)), (403, "auth.forbidden"), "{body}");
    let (status, body) = app.get(&path, Some(&f.nb_kz)).await;
    assert_eq!(status, 200, "the nominating body's administrator reads it: {body}");
    let doc = body["documents"][0]["id"].as_i64().unwrap();
    let (status, _) = app.get(&format!("/api/v1/scholarship/documents/{doc}"), Some(&spy)).await;
    assert_eq!(status, 403);
    let endorse = format!("/api/v1/scholarship/applications/{id}/endorsement");
    let (status, _) = post(app, &endorse, &spy, json!({"endorse": true})).await;
    assert_eq!(status, 403, "nor endorses");
    // The document is served as a download that browsers do not sniff or render in our origin.
    let response = app
        .send(
            Request::get(format!("/api/v1/scholarship/documents/{doc}"))
                .header(header::AUTHORIZATION, format!("Bearer {}", f.nb_kz))
                .body(Body::empty())
                .unwrap(),
        )
        .await;
    assert_eq!(response.status(), 200);
    let headers = response.headers();
    assert!(headers[header::CONTENT_DISPOSITION].to_str().unwrap().starts_with("attachment"));
    assert_eq!(headers[header::X_CONTENT_TYPE_OPTIONS], "nosniff");
}
