//! The authorization matrix (issue 22): every operation of the OpenAPI document, sent by an
//! identity of every class (anonymous, each role, another organisation, another country, the
//! platform operator), each request against a pristine copy of one fixture, must be let through
//! or denied as the policy table `authz_policy.txt` beside this file says. An operation without
//! a row, or a row naming no operation, fails the test too.
//!
//! A new endpoint needs a row per target that answers differently (its own organisation's,
//! another's, another country's); a new kind of resource needs a placeholder in
//! [`Fixture::build`]. Axum's router does not list its routes, so coverage is checked against
//! the OpenAPI document, plus a check that every row reaches a route.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

use axum::body::Body;
use axum::http::{Method, Request, header};
use caravan_docsign::credential::{DocumentType, sample_subject};
use caravan_server::{AppState, ServerConfig};
use caravan_store::{Actor, Change, NewOrganisation, NewUser, OrgKind, Role, Store};
use caravan_types::CountryCode;
use serde_json::{Value, json};
use tower::ServiceExt;

use crate::declarations::declaration;
use crate::support::{PASSWORD, body_text, fixed_now, password_hash, refdata};

const POLICY: &str = include_str!("authz_policy.txt");

/// Routes served but deliberately left out of the OpenAPI document: the document itself.
const UNDOCUMENTED: [(&str, &str); 1] = [("GET", "/api/openapi.json")];

/// Requests in flight at once (each on its own copy of the database).
const PARALLEL: usize = 4;

// ---------------------------------------------------------------------------------------------
// The policy table

#[derive(Debug)]
struct Policy {
    identities: Vec<String>,
    deny: Vec<(u16, String)>,
    rows: Vec<Row>,
}

#[derive(Debug, Clone)]
struct Row {
    line: usize,
    method: Method,
    path: String,
    allowed: BTreeSet<String>,
    /// Media type and text.
    body: Option<(String, String)>,
}

fn parse_policy(text: &str) -> Policy {
    let mut identities = Vec::new();
    let mut sets: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    let mut deny = Vec::new();
    let mut rows = Vec::new();
    for (idx, raw) in text.lines().enumerate() {
        let line = idx + 1;
        let trimmed = raw.trim();
        if trimmed.is_empty() || trimmed.starts_with('#') {
            continue;
        }
        let (head, rest) = trimmed.split_once(char::is_whitespace).unwrap_or((trimmed, ""));
        let rest = rest.trim();
        match head {
            "identity" => {
                let name = rest.split_whitespace().next().expect("identity NAME description");
                identities.push(name.to_owned());
            }
            "set" => {
                let (name, members) = rest.split_once('=').expect("set NAME = members");
                let members = expand(members, &identities, &sets, line);
                sets.insert(name.trim().to_owned(), members);
            }
            "deny" => {
                let (status, code) = rest.split_once(' ').expect("deny STATUS CODE");
                deny.push((status.parse().expect("deny STATUS"), code.trim().to_owned()));
            }
            _ => {
                let fields: Vec<&str> = trimmed.splitn(3, '|').map(str::trim).collect();
                assert!(fields.len() >= 2, "line {line}: METHOD PATH | ALLOWED [| BODY]: {raw}");
                let (method, path) =
                    fields[0].split_once(char::is_whitespace).expect("METHOD PATH");
                let method = Method::from_bytes(method.as_bytes()).expect("an HTTP method");
                let body = fields.get(2).map(|body| {
                    let (media, text) = body.split_once(' ').unwrap_or((body, ""));
                    (media.to_owned(), text.replace("\\n", "\n"))
                });
                rows.push(Row {
                    line,
                    method,
                    path: path.trim().to_owned(),
                    allowed: expand(fields[1], &identities, &sets, line),
                    body,
                });
            }
        }
    }
    Policy { identities, deny, rows }
}

fn expand(
    list: &str,
    identities: &[String],
    sets: &BTreeMap<String, BTreeSet<String>>,
    line: usize,
) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for word in list.split_whitespace() {
        match word {
            "nobody" => {}
            "@public" => out.extend(identities.iter().cloned()),
            "@signed-in" => out.extend(identities.iter().filter(|i| *i != "anonymous").cloned()),
            _ if word.starts_with('@') => {
                let set = sets.get(&word[1..]);
                out.extend(set.unwrap_or_else(|| panic!("line {line}: no set {word}")).clone());
            }
            _ => {
                assert!(identities.iter().any(|i| i == word), "line {line}: no identity {word}");
                out.insert(word.to_owned());
            }
        }
    }
    out
}

/// Fills in `{kind:name}` placeholders; an unknown one fails the test. Other braces (JSON) stay.
fn fill(text: &str, vars: &BTreeMap<String, String>, line: usize) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        let after = &rest[open + 1..];
        let inner = after.find('}').map(|close| &after[..close]);
        let is_var = inner.and_then(|inner| inner.split_once(':')).is_some_and(|(kind, name)| {
            !kind.is_empty()
                && !name.is_empty()
                && kind.chars().all(|c| c.is_ascii_lowercase())
                && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
        });
        match inner {
            Some(inner) if is_var => {
                let value = vars.get(inner);
                out.push_str(
                    value.unwrap_or_else(|| panic!("line {line}: no value for {{{inner}}}")),
                );
                rest = &after[inner.len() + 1..];
            }
            _ => {
                out.push('{');
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

// ---------------------------------------------------------------------------------------------
// The fixture: built once through the store and the API, then copied for every request.

struct Fixture {
    /// Holds the pristine database and the data folder shared by every copy.
    dir: tempfile::TempDir,
    pristine: PathBuf,
    /// The state every copy starts from (reference data, tariff, keys, clock, data folder).
    state: AppState,
    /// Bearer token of each identity but `anonymous`.
    tokens: BTreeMap<String, String>,
    /// Placeholder values, `kind:name` → text.
    vars: BTreeMap<String, String>,
}

async fn send(
    state: &AppState,
    method: &str,
    path: &str,
    token: Option<&str>,
    body: Option<(&str, Vec<u8>)>,
) -> (u16, Value) {
    let mut req = Request::builder().method(method).uri(path);
    if let Some(token) = token {
        req = req.header(header::AUTHORIZATION, format!("Bearer {token}"));
    }
    let req = match body {
        Some((media, bytes)) => req.header(header::CONTENT_TYPE, media).body(Body::from(bytes)),
        None => req.body(Body::empty()),
    };
    let response = caravan_server::router(state.clone()).oneshot(req.unwrap()).await.unwrap();
    let status = response.status().as_u16();
    let text = body_text(response).await;
    (status, serde_json::from_str(&text).unwrap_or(Value::String(text)))
}

/// Sends JSON during setup and insists on `expect`.
async fn setup(
    state: &AppState,
    method: &str,
    path: &str,
    token: &str,
    body: Value,
    expect: u16,
) -> Value {
    let bytes = body.to_string().into_bytes();
    let (status, answer) =
        send(state, method, path, Some(token), Some(("application/json", bytes))).await;
    assert_eq!(status, expect, "fixture: {method} {path}: {answer}");
    answer
}

async fn setup_raw(
    state: &AppState,
    path: &str,
    token: &str,
    media: &str,
    bytes: Vec<u8>,
) -> Value {
    let (status, answer) = send(state, "POST", path, Some(token), Some((media, bytes))).await;
    assert_eq!(status, 201, "fixture: POST {path}: {answer}");
    answer
}

/// The scholarship tests' call, with one reviewer per application so the fixture's one
/// reviewer covers it.
fn call_spec() -> Value {
    let mut spec = crate::scholarship::call_spec();
    spec["reviewers_per_application"] = json!(1);
    spec
}

fn trade_csv() -> String {
    let mut csv = String::from("year,exporter,hs4,export_value\n");
    for (y, year) in [2013, 2024].iter().enumerate() {
        for (l, location) in ["CHN", "KAZ", "UZB", "KGZ"].iter().enumerate() {
            for (p, product) in ["0101", "2601", "5201", "8703"].iter().enumerate() {
                let value = (l * 7 + p * 13 + y * 3) % 11 + (l + p) % 4 * 5;
                if value > 0 {
                    csv.push_str(&format!("{year},{location},{product},{value}\n"));
                }
            }
        }
    }
    csv
}

fn survey_csv(shift: f64) -> String {
    let mut csv = String::from("hh,income,wt,region,cluster\n");
    for i in 0..40 {
        let income = 1.0 + ((i * 37) % 23) as f64 * 0.7 + shift;
        csv.push_str(&format!("{i},{income},{},R{},{}\n", 1 + i % 4, i % 3, i % 10));
    }
    csv
}

const ITEMS_CSV: &str = "description,hs_code,origin,preferential_origin,quantity,unit,gross_mass_kg,net_mass_kg,packages,package_kind,customs_value,currency,valuation_method,procedure\nFresh apples,0808108008,CN,CN,20000,KGM,21500,20000,1000,CT,16000.00,USD,1,4000\n";

const PDF: &str = "%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\n%%EOF\n";

impl Fixture {
    async fn build() -> Fixture {
        let dir = tempfile::tempdir().unwrap();
        let data = dir.path().join("data");
        std::fs::create_dir_all(data.join("land").join("import")).unwrap();
        let db = dir.path().join("fixture.db");
        let store: Arc<dyn Store> =
            Arc::new(caravan_store_sqlite::SqliteStore::open(&db).await.unwrap());
        let config = ServerConfig { secure_cookies: false, data_dir: Some(data.clone()) };
        let mut state = caravan_server::state(store.clone(), refdata(), config).unwrap();
        state.clock = Arc::new(fixed_now);
        let mut vars = BTreeMap::new();

        // Organisations of every kind in KZ, CN and UZ.
        let change = Change { actor: Actor::system("matrix"), at: fixed_now() };
        let mut orgs = BTreeMap::new();
        for (key, name, kind, country) in [
            ("operator", "Operator", OrgKind::PlatformOperator, "KZ"),
            ("kz_customs", "KZ Customs", OrgKind::CustomsAdministration, "KZ"),
            ("cn_customs", "CN Customs", OrgKind::CustomsAdministration, "CN"),
            ("kz_trader_a", "Altyn Trade", OrgKind::TradingCompany, "KZ"),
            ("kz_trader_b", "Bereke Export", OrgKind::TradingCompany, "KZ"),
            ("kz_broker", "Keden Broker", OrgKind::CustomsBroker, "KZ"),
            ("kz_chamber", "KZ Chamber", OrgKind::CertifyingBody, "KZ"),
            ("cn_chamber", "CCPIT Xinjiang", OrgKind::CertifyingBody, "CN"),
            ("kz_phyto", "KZ Plant Protection", OrgKind::PlantProtectionService, "KZ"),
            ("cn_phyto", "CN Plant Protection", OrgKind::PlantProtectionService, "CN"),
            ("uz_poverty", "Poverty centre", OrgKind::PovertyReductionCenter, "UZ"),
            ("uz_desert", "Desertification centre", OrgKind::DesertificationControlCenter, "UZ"),
            ("cn_center", "Education Exchange Center", OrgKind::EducationExchangeCenter, "CN"),
            ("kz_center", "KZ Exchange Center", OrgKind::EducationExchangeCenter, "KZ"),
            ("kz_uni", "KazNU", OrgKind::University, "KZ"),
            ("cn_uni", "Xinjiang University", OrgKind::University, "CN"),
            ("kz_nb", "KZ Ministry of Science", OrgKind::NominatingBody, "KZ"),
            ("uz_nb", "UZ Ministry of Education", OrgKind::NominatingBody, "UZ"),
        ] {
            let new = NewOrganisation {
                name: name.to_owned(),
                kind,
                country: CountryCode::parse(country).unwrap(),
            };
            let id = store.create_organisation(&change, &new).await.unwrap().id;
            orgs.insert(key, id);
            vars.insert(format!("org:{key}"), id.to_string());
        }

        // Users of every role; the identities of the table get a token each.
        let users = [
            ("root", "operator", Role::Admin),
            ("root2", "operator", Role::Admin),
            ("op-analyst", "operator", Role::Analyst),
            ("kz-admin", "kz_customs", Role::Admin),
            ("kz-admin2", "kz_customs", Role::Admin),
            ("cn-admin", "cn_customs", Role::Admin),
            ("kz-officer", "kz_customs", Role::CustomsOfficer),
            ("cn-officer", "cn_customs", Role::CustomsOfficer),
            ("kz-analyst", "kz_customs", Role::Analyst),
            ("trader-a", "kz_trader_a", Role::Trader),
            ("trader-a-admin", "kz_trader_a", Role::Admin),
            ("trader-b", "kz_trader_b", Role::Trader),
            ("broker", "kz_broker", Role::Broker),
            ("kz-cert", "kz_chamber", Role::Certifier),
            ("kz-chamber-admin", "kz_chamber", Role::Admin),
            ("cn-cert", "cn_chamber", Role::Certifier),
            ("kz-phyto", "kz_phyto", Role::AgencyOfficer),
            ("cn-phyto", "cn_phyto", Role::AgencyOfficer),
            ("analyst-a", "uz_poverty", Role::Analyst),
            ("desert-analyst", "uz_desert", Role::Analyst),
            ("prog-admin", "cn_center", Role::ProgrammeAdmin),
            ("prog-admin-2", "kz_center", Role::ProgrammeAdmin),
            ("aigerim", "kz_uni", Role::Applicant),
            ("bolat", "kz_uni", Role::Applicant),
            ("chingiz", "kz_uni", Role::Applicant),
            ("rev-cn", "cn_uni", Role::Reviewer),
            ("nb-kz", "kz_nb", Role::Admin),
            ("nb-kz-reviewer", "kz_nb", Role::Reviewer),
            ("nb-uz", "uz_nb", Role::Admin),
        ];
        let mut tokens = BTreeMap::new();
        for (username, org, role) in users {
            let new = NewUser {
                username: username.to_owned(),
                display_name: format!("{username} Fullname"),
                org_id: orgs[org],
                role,
                password_hash: password_hash(),
            };
            let user = store.create_user(&change, &new).await.unwrap();
            vars.insert(format!("user:{username}"), user.id.to_string());
            let secret = caravan_server::auth::random_secret("cvn_");
            let hash = caravan_server::auth::token_hash(&secret);
            let by_user = Change { actor: Actor::user(&user), at: fixed_now() };
            let token = store.create_api_token(&by_user, user.id, "matrix", &hash).await.unwrap();
            vars.insert(format!("token:{username}"), token.id.to_string());
            tokens.insert(username.to_owned(), secret);
        }
        let token = |name: &str| tokens[name].clone();

        // Certificates: a key of the KZ chamber, one certificate, its log.
        let keys = format!("/api/v1/organisations/{}/signing-keys", orgs["kz_chamber"]);
        let key = setup(
            &state,
            "POST",
            &keys,
            &token("kz-chamber-admin"),
            json!({"document_types": ["origin"]}),
            201,
        )
        .await;
        vars.insert("key:kz_chamber".into(), key["id"].to_string());
        let subject = sample_subject(DocumentType::Origin);
        let issued = setup(
            &state,
            "POST",
            "/api/v1/certificates",
            &token("kz-cert"),
            json!({"type": "origin", "subject": subject}),
            201,
        )
        .await;
        let cert_id = issued["id"].as_str().unwrap().to_owned();
        let log = issued["proof"].as_array().unwrap().iter().find_map(|p| p["logId"].as_str());
        vars.insert("log:kz".into(), log.unwrap().to_owned());
        let (status, document) = send(
            &state,
            "GET",
            &format!("/api/v1/certificates/{cert_id}"),
            Some(&token("kz-cert")),
            None,
        )
        .await;
        assert_eq!(status, 200, "{document}");
        vars.insert("json:certificate".into(), document.to_string());
        vars.insert("cert:kz".into(), cert_id);
        vars.insert("json:origin_subject".into(), subject.to_string());
        vars.insert("text:leaf_hash".into(), "0".repeat(64));

        // Declarations of trader A: one under control, one awaiting the agency, one draft. The
        // sample is dated 2026-11-20, under the real KZ schedule: lodged on a clock after that
        // day (the fixture's is in 2025), with the day's example rates entered by the KZ
        // administrator. The copies run on that later clock too, so a lodging or amending row
        // answers its allowed callers 201/200: the request is carried out, not only let past
        // the authorization check.
        let mut later = state.clone();
        later.clock = Arc::new(crate::declarations::lodging_now);
        let rates = crate::declarations::example_rates(crate::declarations::SAMPLE_DATE);
        setup(&later, "POST", "/api/v1/tariff/rates", &token("kz-admin"), rates, 200).await;
        for reference in ["KZ-MX-LODGED", "KZ-MX-AWAIT"] {
            let body = json!({"declaration": declaration(reference)});
            let lodged =
                setup(&later, "POST", "/api/v1/declarations/lodge", &token("trader-a"), body, 201)
                    .await;
            assert_eq!(lodged["agencies"], json!(["plant-protection"]), "{lodged}");
        }
        let release = json!({"decision": "release", "comment": "fixture"});
        let path = "/api/v1/declarations/KZ-MX-AWAIT/decision";
        let after = setup(&state, "POST", path, &token("kz-officer"), release, 200).await;
        assert_eq!(after["status"], "awaiting_approvals", "{after}");
        let draft = json!({"declaration": declaration("KZ-MX-DRAFT")});
        setup(&state, "POST", "/api/v1/declarations", &token("trader-a"), draft, 201).await;
        for (name, reference) in
            [("lodged", "KZ-MX-LODGED"), ("awaiting", "KZ-MX-AWAIT"), ("draft", "KZ-MX-DRAFT")]
        {
            vars.insert(format!("declaration:{name}"), reference.to_owned());
            vars.insert(format!("json:declaration_{name}"), declaration(reference).to_string());
        }
        vars.insert("json:declaration_new".into(), declaration("KZ-MX-NEW").to_string());
        vars.insert("text:items_csv".into(), ITEMS_CSV.to_owned());
        let (status, rules) =
            send(&state, "GET", "/api/v1/risk-rules/KZ", Some(&token("kz-admin")), None).await;
        assert_eq!(status, 200, "{rules}");
        vars.insert(
            "json:kz_rules".into(),
            json!({"rules": rules["current"]["rules"]}).to_string(),
        );

        // Datasets of the UZ poverty centre; the trade one shared with the desertification centre.
        let analyst = token("analyst-a");
        let query = "/api/v1/datasets?kind=trade&name=Exports&numeric=export_value,year";
        let trade = setup_raw(&state, query, &analyst, "text/csv", trade_csv().into_bytes()).await;
        vars.insert("dataset:trade".into(), trade["id"].to_string());
        for (name, shift) in [("survey", 0.0), ("survey2", 0.5)] {
            let query = "/api/v1/datasets?kind=survey&name=HBS&numeric=income,wt";
            let csv = survey_csv(shift).into_bytes();
            let survey = setup_raw(&state, query, &analyst, "text/csv", csv).await;
            vars.insert(format!("dataset:{name}"), survey["id"].to_string());
        }
        let sharing = format!("/api/v1/datasets/{}/sharing", trade["id"]);
        setup(&state, "PUT", &sharing, &analyst, json!({"org_ids": [orgs["uz_desert"]]}), 200)
            .await;
        vars.insert("text:trade_csv".into(), trade_csv());
        vars.insert(
            "text:trade_query".into(),
            "time=year&location=exporter&product=hs4&value=export_value".into(),
        );

        // Land: four rasters of the KZ customs analyst, a finished job, a file to register.
        let land_analyst = token("kz-analyst");
        let scene = caravan_cmd_land::write_scene_files(dir.path(), 24, 8, 7).unwrap();
        std::fs::copy(&scene[0], data.join("land").join("import").join("ndvi.tif")).unwrap();
        let mut rasters = Vec::new();
        for (path, name) in scene.iter().zip(["ndvi.tif", "lc.tif", "soc.tif", "zones.tif"]) {
            let upload = format!("/api/v1/land/rasters?name={name}");
            let bytes = std::fs::read(path).unwrap();
            let raster = setup_raw(&state, &upload, &land_analyst, "image/tiff", bytes).await;
            rasters.push(raster["id"].as_i64().unwrap());
        }
        let job_request = json!({
            "ndvi": [rasters[0]], "ndvi_years": "2000-2007", "land_cover": [rasters[1]],
            "soc": [rasters[2]], "zones": [rasters[3]], "profile": "gpg2",
        });
        let job =
            setup(&state, "POST", "/api/v1/land/jobs", &land_analyst, job_request.clone(), 202)
                .await;
        let job_path = format!("/api/v1/land/jobs/{}", job["id"]);
        let mut finished = job;
        for _ in 0..600 {
            if finished["status"] != "running" {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
            finished = send(&state, "GET", &job_path, Some(&land_analyst), None).await.1;
        }
        assert_eq!(finished["status"], "succeeded", "fixture: the land job: {finished}");
        vars.insert("job:done".into(), finished["id"].to_string());
        vars.insert("json:land_job".into(), job_request.to_string());

        // Scholarships: a published call and a draft one of the CN center; aigerim's draft,
        // bolat's application endorsed and assigned to rev-cn (scored, placed), chingiz's only
        // submitted.
        let admin = token("prog-admin");
        let call = setup(&state, "POST", "/api/v1/scholarship/calls", &admin, call_spec(), 201)
            .await["id"]
            .to_string();
        let status = format!("/api/v1/scholarship/calls/{call}/status");
        setup(&state, "POST", &status, &admin, json!({"status": "published"}), 200).await;
        let draft_call =
            setup(&state, "POST", "/api/v1/scholarship/calls", &admin, call_spec(), 201).await;
        vars.insert("call:draft".into(), draft_call["id"].to_string());
        vars.insert("json:call_spec".into(), call_spec().to_string());
        vars.insert("text:pdf".into(), PDF.to_owned());
        vars.insert("text:password".into(), PASSWORD.to_owned());
        let applications = format!("/api/v1/scholarship/calls/{call}/applications");
        let draft = setup(&state, "POST", &applications, &token("aigerim"), json!({}), 201).await;
        vars.insert("application:draft".into(), draft["application"]["id"].to_string());
        for name in ["bolat", "chingiz"] {
            let applicant = token(name);
            let view = setup(&state, "POST", &applications, &applicant, json!({}), 201).await;
            let id = view["application"]["id"].to_string();
            let base = format!("/api/v1/scholarship/applications/{id}");
            let pages = [
                (
                    "personal",
                    json!({"full_name": format!("{name} Fullname"), "email": format!("{name}@mail.example"), "date_of_birth": "2001-04-05", "level": "master"}),
                ),
                (
                    "study",
                    json!({"institution": "KazNU", "degree": "BSc", "field": "Hydrology", "graduation_year": 2024}),
                ),
                ("choices", json!({"choices": [1, 2]})),
            ];
            for (page, body) in pages {
                setup(&state, "PUT", &format!("{base}/pages/{page}"), &applicant, body, 200).await;
            }
            let upload = format!("{base}/documents?kind=transcript&filename=transcript.pdf");
            let doc = setup_raw(&state, &upload, &applicant, "application/pdf", PDF.into()).await;
            setup(&state, "POST", &format!("{base}/submit"), &applicant, json!({}), 200).await;
            let key = if name == "bolat" { "reviewed" } else { "submitted" };
            vars.insert(format!("application:{key}"), id);
            vars.insert(format!("document:{key}"), doc["id"].to_string());
        }
        let endorse = format!(
            "/api/v1/scholarship/applications/{}/endorsement",
            vars["application:reviewed"]
        );
        setup(&state, "POST", &endorse, &token("nb-kz"), json!({"endorse": true}), 200).await;
        let assign = format!("/api/v1/scholarship/calls/{call}/assignments");
        let report = setup(&state, "POST", &assign, &admin, json!({}), 200).await;
        let reviewed: i64 = vars["application:reviewed"].parse().unwrap();
        let rev_cn: i64 = vars["user:rev-cn"].parse().unwrap();
        let review = report["assigned"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["application_id"] == reviewed && r["reviewer_id"] == rev_cn)
            .unwrap_or_else(|| panic!("fixture: rev-cn reviews bolat: {report}"));
        let review = review["id"].to_string();
        let score = format!("/api/v1/scholarship/reviews/{review}");
        let scores = json!({"scores": {"merit": 8, "motivation": 5}});
        setup(&state, "POST", &score, &token("rev-cn"), scores, 200).await;
        vars.insert("review:reviewed".into(), review);
        let place = format!("/api/v1/scholarship/calls/{call}/placements");
        let run = setup(&state, "POST", &place, &admin, json!({"mechanism": "da"}), 201).await;
        vars.insert("run:first".into(), run["id"].to_string());
        vars.insert("call:published".into(), call);

        // The pristine copy: one file, no WAL, taken when nothing writes.
        let pristine = dir.path().join("pristine.db");
        let options = sqlx::sqlite::SqliteConnectOptions::new().filename(&db);
        let mut conn = sqlx::ConnectOptions::connect(&options).await.unwrap();
        let vacuum = format!("VACUUM INTO '{}'", pristine.display());
        sqlx::query(&vacuum).execute(&mut conn).await.unwrap();
        Fixture { dir, pristine, state, tokens, vars }
    }

    /// A state over a fresh copy of the pristine database, with fresh per-store caches (the
    /// single window's writer and memos, the verification cache, the login limiter).
    async fn copy(&self, dir: &Path) -> AppState {
        let db = dir.join("caravan.db");
        std::fs::copy(&self.pristine, &db).unwrap();
        // Opened on a blocking thread: rustc cannot prove the opening future `Send` (its sqlx
        // executors are higher-ranked), and each request runs in a spawned task.
        let runtime = tokio::runtime::Handle::current();
        let open = move || runtime.block_on(caravan_store_sqlite::SqliteStore::open(&db));
        let store = tokio::task::spawn_blocking(open).await.unwrap().unwrap();
        let features = (*self.state.features).clone();
        let features = features
            .with(caravan_server::declarations::Window::load().unwrap())
            .with(caravan_server::certs::VerifyCache::default());
        AppState {
            store: Arc::new(store),
            features: Arc::new(features),
            login_limiter: Arc::default(),
            clock: Arc::new(crate::declarations::lodging_now),
            ..self.state.clone()
        }
    }
}

// ---------------------------------------------------------------------------------------------
// The run

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Verdict {
    Allowed,
    Denied,
}

#[derive(Debug)]
struct Answer {
    row: usize,
    identity: String,
    status: u16,
    code: String,
}

async fn run_one(fixture: Arc<Fixture>, row: Row, identity: String) -> Answer {
    let scratch = tempfile::tempdir_in(fixture.dir.path()).unwrap();
    let state = fixture.copy(scratch.path()).await;
    let path = fill(&row.path, &fixture.vars, row.line);
    let token = fixture.tokens.get(&identity).map(String::as_str);
    let body = row
        .body
        .as_ref()
        .map(|(media, text)| (media.as_str(), fill(text, &fixture.vars, row.line).into_bytes()));
    let (status, answer) = send(&state, row.method.as_str(), &path, token, body).await;
    let code = answer["error"]["code"].as_str().unwrap_or_default().to_owned();
    Answer { row: row.line, identity, status, code }
}

fn verdict(answer: &Answer, deny: &[(u16, String)]) -> Option<Verdict> {
    match answer.status {
        500.. => None,
        401 | 403 => Some(Verdict::Denied),
        status if deny.iter().any(|(s, c)| *s == status && *c == answer.code) => {
            Some(Verdict::Denied)
        }
        _ => Some(Verdict::Allowed),
    }
}

/// The operations of the OpenAPI document, as (METHOD, path template).
fn documented_operations() -> BTreeSet<(String, String)> {
    let doc = serde_json::to_value(caravan_server::openapi()).unwrap();
    let mut out = BTreeSet::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for method in ["get", "put", "post", "delete", "patch", "head", "options"] {
            if item.get(method).is_some() {
                out.insert((method.to_uppercase(), path.clone()));
            }
        }
    }
    out
}

/// The documented operation a concrete request reaches: among the templates it matches, the
/// one with the most literal segments (as the router prefers `/hs/search` to `/hs/{code}`).
fn operation_of<'a>(
    operations: &'a BTreeSet<(String, String)>,
    method: &str,
    path: &str,
) -> Option<&'a (String, String)> {
    let path = path.split('?').next().unwrap_or(path);
    let segments: Vec<&str> = path.split('/').collect();
    operations
        .iter()
        .filter(|(m, _)| m == method)
        .filter_map(|op| {
            let template: Vec<&str> = op.1.split('/').collect();
            let fits = template.len() == segments.len()
                && template
                    .iter()
                    .zip(&segments)
                    .all(|(t, s)| (t.starts_with('{') && t.ends_with('}')) || t == s);
            fits.then(|| (template.iter().filter(|t| !t.starts_with('{')).count(), op))
        })
        .max_by_key(|(literal, _)| *literal)
        .map(|(_, op)| op)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_operation_answers_every_identity_as_the_policy_table_says() {
    let started = Instant::now();
    let policy = parse_policy(POLICY);
    let fixture = Arc::new(Fixture::build().await);
    let built = started.elapsed();

    let mut problems = Vec::new();
    let mut fixture_identities: Vec<String> = fixture.tokens.keys().cloned().collect();
    fixture_identities.push("anonymous".into());
    for identity in &policy.identities {
        if !fixture_identities.contains(identity) {
            problems.push(format!("identity {identity} of the table is not in the fixture"));
        }
    }

    // Coverage: every documented operation has a row; every row names one.
    let operations = documented_operations();
    let mut covered = BTreeSet::new();
    for row in &policy.rows {
        let path = fill(&row.path, &fixture.vars, row.line);
        let method = row.method.as_str();
        match operation_of(&operations, method, &path) {
            Some(op) => {
                covered.insert(op.clone());
            }
            None if UNDOCUMENTED.contains(&(method, path.as_str())) => {}
            None => problems.push(format!(
                "line {}: {method} {} is no operation of the OpenAPI document",
                row.line, row.path
            )),
        }
    }
    for (method, path) in operations.difference(&covered) {
        problems.push(format!("{method} {path} has no row in authz_policy.txt"));
    }

    // The matrix: every row as every identity, each on its own copy.
    let limit = Arc::new(tokio::sync::Semaphore::new(PARALLEL));
    let mut tasks = tokio::task::JoinSet::new();
    for row in &policy.rows {
        for identity in &policy.identities {
            let (fixture, row, identity) = (fixture.clone(), row.clone(), identity.clone());
            let permit = limit.clone().acquire_owned().await.unwrap();
            tasks.spawn(async move {
                let answer = run_one(fixture, row, identity).await;
                drop(permit);
                answer
            });
        }
    }
    let mut answers = Vec::new();
    while let Some(answer) = tasks.join_next().await {
        answers.push(answer.unwrap());
    }
    answers.sort_by(|a, b| (a.row, &a.identity).cmp(&(b.row, &b.identity)));
    let rows: BTreeMap<usize, &Row> = policy.rows.iter().map(|r| (r.line, r)).collect();
    for answer in &answers {
        let row = rows[&answer.row];
        let expected =
            if row.allowed.contains(&answer.identity) { Verdict::Allowed } else { Verdict::Denied };
        if answer.status == 405 || answer.code == "route.not_found" {
            problems.push(format!(
                "line {}: {} {} reaches no route ({} {})",
                row.line, row.method, row.path, answer.status, answer.code
            ));
            continue;
        }
        let got = verdict(answer, &policy.deny);
        if got != Some(expected) {
            problems.push(format!(
                "line {}: {} {} as {}: expected {expected:?}, got {} {}",
                row.line,
                row.method,
                row.path,
                answer.identity,
                answer.status,
                if answer.code.is_empty() { "-" } else { &answer.code },
            ));
        }
    }

    println!(
        "authorization matrix: {} rows × {} identities = {} requests; {} of {} documented \
         operations covered; fixture {:.1} s, total {:.1} s",
        policy.rows.len(),
        policy.identities.len(),
        answers.len(),
        covered.len(),
        operations.len(),
        built.as_secs_f64(),
        started.elapsed().as_secs_f64(),
    );
    assert!(problems.is_empty(), "{} disagreements:\n{}", problems.len(), problems.join("\n"));
}

/// The `href`s of the main menu of a page.
fn menu_links(page: &str) -> Vec<String> {
    let start = page.find("<nav class=\"main\"").expect("a main menu");
    let menu = &page[start..start + page[start..].find("</nav>").expect("the menu ends")];
    menu.split("href=\"").skip(1).map(|rest| rest[..rest.find('"').unwrap()].to_owned()).collect()
}

/// The main menu (issue 21): every link a visitor is shown opens for them — a page, never a
/// 403 nor the login redirect — and each class of user is shown the pages of its job, not the
/// pages of others' jobs. Anonymous visitors get the public tools and the way in.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_identity_is_shown_the_pages_it_can_use() {
    let fixture = Fixture::build().await;
    let mut identities: Vec<(String, Option<String>)> =
        fixture.tokens.iter().map(|(i, t)| (i.clone(), Some(t.clone()))).collect();
    identities.push(("anonymous".to_owned(), None));
    let mut menus = BTreeMap::new();
    for (identity, token) in &identities {
        let (status, home) = send(&fixture.state, "GET", "/", token.as_deref(), None).await;
        assert_eq!(status, 200, "{identity}: the home page");
        let links = menu_links(home.as_str().unwrap());
        for link in &links {
            let (status, _) = send(&fixture.state, "GET", link, token.as_deref(), None).await;
            assert_eq!(status, 200, "{identity} is shown {link}, which answers {status}");
        }
        menus.insert(identity.clone(), links);
    }
    let expected: [(&str, &[&str], &[&str]); 8] = [
        (
            "anonymous",
            &["/hs", "/verify", "/tariff", "/origin", "/logs", "/login"],
            &["/declarations", "/certificates", "/tokens", "/trade", "/audit"],
        ),
        (
            "trader-a",
            &["/declarations", "/verify", "/tariff", "/tokens"],
            &["/land", "/certificates", "/trade", "/poverty", "/audit", "/scholarships", "/login"],
        ),
        (
            "kz-officer",
            &["/declarations", "/admin/organisations"],
            &["/certificates", "/land", "/scholarships", "/trade"],
        ),
        ("kz-phyto", &["/declarations", "/certificates"], &["/land", "/trade", "/scholarships"]),
        ("kz-cert", &["/certificates", "/verify"], &["/declarations", "/land", "/trade"]),
        (
            "analyst-a",
            &["/trade", "/poverty", "/land"],
            &["/declarations", "/certificates", "/scholarships", "/admin/organisations"],
        ),
        (
            "aigerim",
            &["/scholarships", "/tokens"],
            &["/declarations", "/certificates", "/trade", "/land", "/admin/organisations"],
        ),
        ("root", &["/audit", "/certificates", "/land", "/scholarships", "/trade"], &["/login"]),
    ];
    for (identity, shown, hidden) in expected {
        let menu = &menus[identity];
        for link in shown {
            assert!(menu.iter().any(|l| l == link), "{identity} is not shown {link}: {menu:?}");
        }
        for link in hidden {
            assert!(!menu.iter().any(|l| l == link), "{identity} is shown {link}: {menu:?}");
        }
    }
}
