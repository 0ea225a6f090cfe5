//! Scholarship programmes (issue 9) end to end over the API: call → apply → endorse → review →
//! normalise → place → publish → result with cutoffs; deadline, blind review, conflicts of
//! interest, denials and bad uploads.

use std::sync::Arc;

use axum::body::Body;
use axum::http::{Request, header};
use caravan_store::{Actor, Change, NewOrganisation, NewUser, OrgKind, Role};
use caravan_types::CountryCode;
use serde_json::{Value, json};
use time::Duration;
use tower::ServiceExt;

use crate::support::{TestApp, error_code, fixed_now, json_of};

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
    let hash = caravan_server::auth::hash_password("pw-not-used-here").unwrap();
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

fn call_spec() -> Value {
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
