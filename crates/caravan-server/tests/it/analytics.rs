//! Trade and poverty analytics over HTTP (issues 6 and 7): datasets uploaded, computed on, shared
//! and deleted under the access policy; numbers equal the numeric crates'; charts are SVG.

use axum::body::Body;
use axum::http::{Request, header};
use caravan_complexity::{ComplexityConfig, complexity};
use caravan_refdata::Lang;
use caravan_server::i18n::has_translation;
use caravan_server::poverty::PovertyKey;
use caravan_server::trade::TradeKey;
use caravan_store::{Actor, Change, NewOrganisation, NewUser, OrgKind, Role};
use caravan_types::CountryCode;
use ndarray::Array2;

use crate::support::{Multipart, TestApp, body_text, error_code, fixed_now, json_of};

const LOCATIONS: [&str; 5] = ["CHN", "KAZ", "UZB", "KGZ", "TJK"];
const PRODUCTS: [&str; 6] = ["0101", "2601", "5201", "7403", "8471", "8703"];

/// A deterministic trade table: `(year, location, product) -> value`, some cells absent.
fn trade_values(year: usize) -> Array2<f64> {
    Array2::from_shape_fn((LOCATIONS.len(), PRODUCTS.len()), |(l, p)| {
        let v = ((l * 7 + p * 13 + year * 3) % 11) as f64 * (1.0 + l as f64)
            + if (l + p) % 4 == 0 { 20.0 } else { 0.0 };
        if (l * p + year) % 5 == 3 { 0.0 } else { v }
    })
}

fn trade_csv() -> String {
    let mut csv = String::from("year,exporter,hs4,export_value\n");
    for (y, year) in [2013, 2024].iter().enumerate() {
        let values = trade_values(y);
        for (l, loc) in LOCATIONS.iter().enumerate() {
            for (p, prod) in PRODUCTS.iter().enumerate() {
                if values[[l, p]] > 0.0 {
                    csv.push_str(&format!("{year},{loc},{prod},{}\n", values[[l, p]]));
                }
            }
        }
    }
    csv
}

const TRADE_QUERY: &str = "time=year&location=exporter&product=hs4&value=export_value";

struct Analysts {
    app: TestApp,
    a: String,
    b: String,
    trader: String,
}

/// The fixture plus two analysts of two centres (UZ poverty centre, KZ operator-side trade desk).
async fn analysts() -> Analysts {
    let app = TestApp::new().await;
    let change = Change { actor: Actor::system("test"), at: fixed_now() };
    let store = &app.state.store;
    let centre = |name: &str, kind: OrgKind, country: &str| NewOrganisation {
        name: name.to_owned(),
        kind,
        country: CountryCode::parse(country).unwrap(),
    };
    let a_org = store
        .create_organisation(
            &change,
            &centre("Poverty centre", OrgKind::PovertyReductionCenter, "UZ"),
        )
        .await
        .unwrap();
    let b_org = store
        .create_organisation(&change, &centre("Trade desk", OrgKind::PlatformOperator, "KZ"))
        .await
        .unwrap();
    for (username, org_id) in [("analyst-a", a_org.id), ("analyst-b", b_org.id)] {
        let user = NewUser {
            username: username.to_owned(),
            display_name: username.to_owned(),
            org_id,
            role: Role::Analyst,
            password_hash: crate::support::password_hash(),
        };
        store.create_user(&change, &user).await.unwrap();
    }
    let (a, b, trader) =
        (app.token("analyst-a").await, app.token("analyst-b").await, app.token("trader-a").await);
    Analysts { app, a, b, trader }
}

async fn upload(app: &TestApp, token: &str, query: &str, csv: &str) -> (u16, serde_json::Value) {
    let request = Request::post(format!("/api/v1/datasets?{query}"))
        .header(header::CONTENT_TYPE, "text/csv")
        .header(header::AUTHORIZATION, format!("Bearer {token}"))
        .body(Body::from(csv.to_owned()))
        .unwrap();
    json_of(app.send(request).await).await
}

async fn get_text(app: &TestApp, path: &str, token: &str) -> (u16, String, String) {
    let response = app
        .send(
            Request::get(path)
                .header(header::AUTHORIZATION, format!("Bearer {token}"))
                .body(Body::empty())
                .unwrap(),
        )
        .await;
    let status = response.status().as_u16();
    let content_type = response
        .headers()
        .get(header::CONTENT_TYPE)
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default();
    (status, content_type, body_text(response).await)
}

async fn put_json(app: &TestApp, path: &str, token: &str, body: &str) -> (u16, serde_json::Value) {
    let request = Request::put(path)
        .header(header::CONTENT_TYPE, "application/json")
        .header(header::AUTHORIZATION, format!("Bearer {token}"))
        .body(Body::from(body.to_owned()))
        .unwrap();
    json_of(app.send(request).await).await
}

async fn delete(app: &TestApp, path: &str, token: &str) -> (u16, serde_json::Value) {
    let request = Request::delete(path)
        .header(header::AUTHORIZATION, format!("Bearer {token}"))
        .body(Body::empty())
        .unwrap();
    json_of(app.send(request).await).await
}

async fn trade_dataset(t: &Analysts) -> i64 {
    let (status, body) =
        upload(&t.app, &t.a, "kind=trade&name=Exports&numeric=export_value,year", &trade_csv())
            .await;
    assert_eq!(status, 201, "{body}");
    assert_eq!(body["columns"], serde_json::json!(["year", "exporter", "hs4", "export_value"]));
    body["id"].as_i64().unwrap()
}

#[tokio::test]
async fn complexity_over_http_equals_the_crate() {
    let t = analysts().await;
    let id = trade_dataset(&t).await;
    let (status, body) =
        t.app.get(&format!("/api/v1/datasets/{id}/complexity?{TRADE_QUERY}"), Some(&t.a)).await;
    assert_eq!(status, 200, "{body}");
    let periods = body["periods"].as_array().unwrap();
    assert_eq!(periods.len(), 2);
    for (y, period) in periods.iter().enumerate() {
        let expected = complexity(trade_values(y).view(), &ComplexityConfig::default()).unwrap();
        for row in period["eci"].as_array().unwrap() {
            let l = LOCATIONS.iter().position(|c| *c == row["location"]).unwrap();
            let got = row["eci"].as_f64().unwrap();
            assert!(
                (got - expected.eci[l]).abs() < 1e-12,
                "ECI of {} in period {y}: {got} vs {}",
                LOCATIONS[l],
                expected.eci[l]
            );
            assert_eq!(row["diversity"], serde_json::json!(expected.diversity[l]));
        }
        // Ranked: ECI descending.
        let ecis: Vec<f64> =
            period["eci"].as_array().unwrap().iter().map(|r| r["eci"].as_f64().unwrap()).collect();
        assert!(ecis.windows(2).all(|w| w[0] >= w[1]), "{ecis:?}");
        let pcis: Vec<f64> =
            period["pci"].as_array().unwrap().iter().filter_map(|r| r["pci"].as_f64()).collect();
        assert!(pcis.windows(2).all(|w| w[0] >= w[1]), "{pcis:?}");
    }

    // The CSV has issue 6's columns, the whole panel of each period (issue 23), and the crate's
    // numbers.
    let (status, content_type, csv) = get_text(
        &t.app,
        &format!("/api/v1/datasets/{id}/complexity?format=csv&{TRADE_QUERY}"),
        &t.a,
    )
    .await;
    assert_eq!(status, 200, "{csv}");
    assert!(content_type.starts_with("text/csv"), "{content_type}");
    let mut lines = csv.lines();
    assert_eq!(
        lines.next().unwrap(),
        "year,exporter,hs4,export_value,rca,mcp,diversity,ubiquity,eci,pci,density,coi,cog"
    );
    let rows: Vec<&str> = lines.collect();
    let panel_rows: usize = (0..2)
        .map(|y| {
            let values = trade_values(y);
            let n_locations = values.rows().into_iter().filter(|r| r.sum() > 0.0).count();
            let n_products = values.columns().into_iter().filter(|c| c.sum() > 0.0).count();
            n_locations * n_products
        })
        .sum();
    assert!(panel_rows > trade_csv().lines().count() - 1, "the fixture has absent cells");
    assert_eq!(rows.len(), panel_rows);
    let expected = complexity(trade_values(0).view(), &ComplexityConfig::default()).unwrap();
    let mut n_absent = 0;
    for row in rows.iter().filter(|r| r.starts_with("2013,")) {
        let fields: Vec<&str> = row.split(',').collect();
        let (l, p) = (
            LOCATIONS.iter().position(|c| *c == fields[1]).unwrap(),
            PRODUCTS.iter().position(|c| *c == fields[2]).unwrap(),
        );
        if trade_values(0)[[l, p]] == 0.0 {
            n_absent += 1;
            assert_eq!(fields[3], "0");
        }
        assert!((fields[4].parse::<f64>().unwrap() - expected.rca[[l, p]]).abs() < 1e-12);
        assert!((fields[8].parse::<f64>().unwrap() - expected.eci[l]).abs() < 1e-12);
        assert!((fields[10].parse::<f64>().unwrap() - expected.density[[l, p]]).abs() < 1e-12);
        assert!((fields[12].parse::<f64>().unwrap() - expected.cog[[l, p]]).abs() < 1e-12);
    }
    assert!(n_absent > 0, "absent cells are listed with value 0");
    // `cells=input`: one row per input row, in input order.
    let (status, _, input_csv) = get_text(
        &t.app,
        &format!("/api/v1/datasets/{id}/complexity?format=csv&cells=input&{TRADE_QUERY}"),
        &t.a,
    )
    .await;
    assert_eq!(status, 200, "{input_csv}");
    let input_rows: Vec<&str> = input_csv.lines().skip(1).collect();
    assert_eq!(input_rows.len(), trade_csv().lines().count() - 1);
    for (row, input_row) in input_rows.iter().zip(trade_csv().lines().skip(1)) {
        let key: Vec<&str> = row.split(',').take(4).collect();
        assert_eq!(key.join(","), input_row);
    }
    let (status, err) = t
        .app
        .get(
            &format!("/api/v1/datasets/{id}/complexity?format=csv&cells=all&{TRADE_QUERY}"),
            Some(&t.a),
        )
        .await;
    assert_eq!((status, error_code(&err)), (400, "request.invalid_option"));

    // Stata convention is honoured.
    let (_, stata) = t
        .app
        .get(
            &format!("/api/v1/datasets/{id}/complexity?{TRADE_QUERY}&convention=stata"),
            Some(&t.a),
        )
        .await;
    let config = ComplexityConfig {
        convention: caravan_complexity::Convention::Stata,
        ..ComplexityConfig::default()
    };
    let expected = complexity(trade_values(1).view(), &config).unwrap();
    let row = &stata["periods"][1]["eci"][0];
    let l = LOCATIONS.iter().position(|c| *c == row["location"]).unwrap();
    assert!((row["eci"].as_f64().unwrap() - expected.eci[l]).abs() < 1e-12);

    // RCA profile of one country, by RCA descending.
    let (status, profile) = t
        .app
        .get(
            &format!("/api/v1/datasets/{id}/rca-profile?{TRADE_QUERY}&country=KAZ&period=2024"),
            Some(&t.a),
        )
        .await;
    assert_eq!(status, 200, "{profile}");
    let expected = complexity(trade_values(1).view(), &ComplexityConfig::default()).unwrap();
    let top = &profile["products"][0];
    let p = PRODUCTS.iter().position(|c| *c == top["product"]).unwrap();
    let max_rca = expected.rca.row(1).iter().copied().fold(f64::NEG_INFINITY, f64::max);
    assert!(
        (top["rca"].as_f64().unwrap() - max_rca).abs() < 1e-12
            && (expected.rca[[1, p]] - max_rca).abs() < 1e-12
    );
    let (status, err) = t
        .app
        .get(&format!("/api/v1/datasets/{id}/rca-profile?{TRADE_QUERY}&country=XXX"), Some(&t.a))
        .await;
    assert_eq!((status, error_code(&err)), (422, "trade.unknown_country"));
    assert_eq!(err["error"]["field"], "country");

    // Opportunities (issue 23): the products KAZ has no presence in, by density then COG.
    let (status, opp) = t
        .app
        .get(
            &format!("/api/v1/datasets/{id}/opportunities?{TRADE_QUERY}&country=KAZ&period=2024"),
            Some(&t.a),
        )
        .await;
    assert_eq!(status, 200, "{opp}");
    let products = opp["products"].as_array().unwrap();
    let absent: Vec<usize> = (0..PRODUCTS.len()).filter(|&p| expected.mcp[[1, p]] == 0.0).collect();
    assert!(!absent.is_empty());
    assert_eq!(products.len(), absent.len());
    let mut last = f64::INFINITY;
    for row in products {
        let p = PRODUCTS.iter().position(|c| *c == row["product"]).unwrap();
        assert!(absent.contains(&p));
        let density = row["density"].as_f64().unwrap();
        assert!((density - expected.density[[1, p]]).abs() < 1e-12);
        assert!((row["distance"].as_f64().unwrap() - (1.0 - density)).abs() < 1e-12);
        assert!((row["cog"].as_f64().unwrap() - expected.cog[[1, p]]).abs() < 1e-12);
        assert_eq!(row["value"], serde_json::json!(trade_values(1)[[1, p]]));
        assert!(density <= last, "ranked by density");
        last = density;
    }
}

/// Issue 23: the server's complexity CSV and `caravan trade complexity`'s are the same bytes for
/// the same input, for both cell sets.
#[tokio::test]
async fn complexity_csv_is_the_same_bytes_as_the_cli() {
    let t = analysts().await;
    let id = trade_dataset(&t).await;
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("trade.csv");
    std::fs::write(&input, trade_csv()).unwrap();
    for (cells, cells_arg) in [
        ("panel", caravan_cmd_trade::CellsArg::Panel),
        ("input", caravan_cmd_trade::CellsArg::Input),
    ] {
        let out = dir.path().join(format!("{cells}.csv"));
        let args = caravan_cmd_trade::ComplexityArgs {
            input: input.clone(),
            time: "year".to_owned(),
            location: "exporter".to_owned(),
            product: "hs4".to_owned(),
            value: "export_value".to_owned(),
            rca_threshold: 1.0,
            presence: caravan_cmd_trade::PresenceArg::Rca,
            proximity: caravan_cmd_trade::ProximityArg::Symmetric,
            convention: caravan_cmd_trade::ConventionArg::Ecomplexity,
            sum_duplicates: false,
            cells: cells_arg,
            out: out.clone(),
        };
        caravan_cmd_trade::run(caravan_cmd_trade::Command::Complexity(args)).unwrap();
        let cli = std::fs::read_to_string(&out).unwrap();
        let (status, _, server) = get_text(
            &t.app,
            &format!("/api/v1/datasets/{id}/complexity?format=csv&cells={cells}&{TRADE_QUERY}"),
            &t.a,
        )
        .await;
        assert_eq!(status, 200, "{server}");
        assert!(cli.lines().count() > 20, "{cli}");
        assert_eq!(server, cli, "cells={cells}");
    }
}

#[tokio::test]
async fn concentration_and_growth_over_http_equal_the_crate() {
    let t = analysts().await;
    let id = trade_dataset(&t).await;
    let (status, csv) = get_text(
        &t.app,
        &format!("/api/v1/datasets/{id}/concentration?{TRADE_QUERY}&format=csv"),
        &t.a,
    )
    .await
    .into_parts();
    assert_eq!(status, 200, "{csv}");
    let mut lines = csv.lines();
    assert_eq!(
        lines.next().unwrap(),
        "time,location,hhi,hhi_normalized,unctad_concentration,finger_kreinin,theil,top1_share,top5_share,n_products,n_rca_ge_1"
    );
    let first: Vec<&str> = lines.next().unwrap().split(',').collect();
    let values = trade_values(0);
    let world: Vec<f64> = values.sum_axis(ndarray::Axis(0)).to_vec();
    let expected = caravan_complexity::concentration(&values.row(0).to_vec(), &world).unwrap();
    assert_eq!(&first[..2], ["2013", "CHN"]);
    assert!((first[2].parse::<f64>().unwrap() - expected.hhi).abs() < 1e-12);
    assert_eq!(first[10].parse::<usize>().unwrap(), expected.n_rca_ge_1);

    let (status, growth) = t
        .app
        .get(
            &format!("/api/v1/datasets/{id}/growth?time=year&value=export_value&group=exporter"),
            Some(&t.a),
        )
        .await;
    assert_eq!(status, 200, "{growth}");
    let rows = growth["rows"].as_array().unwrap();
    assert_eq!(rows.len(), LOCATIONS.len() + 1, "one row per exporter plus the total");
    let total = rows.last().unwrap();
    assert_eq!(total["group"], "total");
    let (v0, v1) = (trade_values(0).sum(), trade_values(1).sum());
    let cagr = caravan_complexity::cagr(v0, v1, 11.0).unwrap();
    assert!((total["cagr"].as_f64().unwrap() - cagr).abs() < 1e-12);
    assert_eq!(total["periods"], serde_json::json!(11.0));
}

trait IntoParts {
    fn into_parts(self) -> (u16, String);
}

impl IntoParts for (u16, String, String) {
    fn into_parts(self) -> (u16, String) {
        (self.0, self.2)
    }
}

/// Checks that every tag is closed in order (a small well-formedness check without a parser).
#[track_caller]
fn assert_well_formed(svg: &str) {
    assert!(svg.starts_with("<svg") && svg.ends_with("</svg>"), "{svg}");
    let mut stack: Vec<&str> = Vec::new();
    let mut rest = svg;
    while let Some(start) = rest.find('<') {
        let end = rest[start..].find('>').expect("unclosed tag") + start;
        let tag = &rest[start + 1..end];
        if let Some(name) = tag.strip_prefix('/') {
            assert_eq!(stack.pop(), Some(name.trim()), "mismatched </{name}>");
        } else if !tag.ends_with('/') {
            stack.push(tag.split_whitespace().next().unwrap());
        }
        rest = &rest[end + 1..];
    }
    assert!(stack.is_empty(), "unclosed: {stack:?}");
    assert!(svg.contains("<title"), "accessible title");
}

#[tokio::test]
async fn charts_are_well_formed_svg_with_the_expected_series() {
    let t = analysts().await;
    let id = trade_dataset(&t).await;
    let (status, content_type, svg) = get_text(
        &t.app,
        &format!("/trade/datasets/{id}/product-space.svg?{TRADE_QUERY}&country=KAZ&period=2024"),
        &t.a,
    )
    .await;
    assert_eq!(status, 200, "{svg}");
    assert!(content_type.starts_with("image/svg+xml"));
    assert_well_formed(&svg);
    let expected = complexity(trade_values(1).view(), &ComplexityConfig::default()).unwrap();
    let n_present = expected.ubiquity.iter().filter(|u| **u > 0.0).count();
    assert_eq!(svg.matches("class=\"node\"").count(), n_present);
    // A spanning tree links every node: at least n - 1 edges.
    assert!(svg.matches("<line x1").count() >= n_present - 1);
    assert!(svg.contains("KAZ: RCA"), "legend names the country");
    // The same request gives the same picture (deterministic layout).
    let (_, _, again) = get_text(
        &t.app,
        &format!("/trade/datasets/{id}/product-space.svg?{TRADE_QUERY}&country=KAZ&period=2024"),
        &t.a,
    )
    .await;
    assert_eq!(svg, again);

    let (status, _, growth) = get_text(
        &t.app,
        &format!("/trade/datasets/{id}/growth.svg?time=year&value=export_value&group=exporter"),
        &t.a,
    )
    .await;
    assert_eq!(status, 200);
    assert_well_formed(&growth);
    for loc in LOCATIONS {
        assert!(growth.contains(&format!("data-series=\"{loc}\"")), "{loc} series");
    }

    let survey = survey_dataset(&t).await;
    let (status, _, lorenz) = get_text(
        &t.app,
        &format!("/poverty/datasets/{survey}/lorenz.svg?welfare=income&weight=wt&line=5"),
        &t.a,
    )
    .await;
    assert_eq!(status, 200, "{lorenz}");
    assert_well_formed(&lorenz);
    assert!(lorenz.contains("class=\"diagonal\"") && lorenz.contains("class=\"series\""));
}

#[tokio::test]
async fn dataset_access_is_enforced_and_audited() {
    let t = analysts().await;
    let id = trade_dataset(&t).await;
    let path = format!("/api/v1/datasets/{id}");

    // An analyst of another organisation can neither read, compute on, nor delete it.
    let (status, body) = t.app.get(&path, Some(&t.b)).await;
    assert_eq!((status, error_code(&body)), (403, "auth.forbidden"));
    let (status, _) = t.app.get(&format!("{path}/complexity?{TRADE_QUERY}"), Some(&t.b)).await;
    assert_eq!(status, 403);
    let (status, _, _) =
        get_text(&t.app, &format!("/trade/datasets/{id}/product-space.svg?{TRADE_QUERY}"), &t.b)
            .await;
    assert_eq!(status, 403);
    let (status, body) = delete(&t.app, &path, &t.b).await;
    assert_eq!((status, error_code(&body)), (403, "auth.forbidden"));
    let (_, list) = t.app.get("/api/v1/datasets", Some(&t.b)).await;
    assert_eq!(list, serde_json::json!([]), "not listed to other organisations");

    // A trader cannot upload; without a token, 401; a revoked token, 401.
    let (status, body) = upload(&t.app, &t.trader, "kind=trade&name=x", &trade_csv()).await;
    assert_eq!((status, error_code(&body)), (403, "auth.forbidden"));
    let (status, _) = t.app.get(&path, None).await;
    assert_eq!(status, 401);
    let a_user = t.app.state.store.user_by_username("analyst-a").await.unwrap().unwrap();
    let revoked = t.app.token("analyst-a").await;
    let tokens = t.app.state.store.api_tokens(a_user.id).await.unwrap();
    let change = Change { actor: Actor::user(&a_user), at: fixed_now() };
    t.app.state.store.revoke_api_token(&change, tokens.last().unwrap().id).await.unwrap();
    let (status, body) = t.app.get(&path, Some(&revoked)).await;
    assert_eq!((status, error_code(&body)), (401, "auth.token_revoked"));

    // Shared with every analyst: the other analyst reads it, but still may not delete it.
    let (status, body) =
        put_json(&t.app, &format!("{path}/sharing"), &t.a, r#"{"all_analysts": true}"#).await;
    assert_eq!(status, 200, "{body}");
    let (status, _) = t.app.get(&format!("{path}/complexity?{TRADE_QUERY}"), Some(&t.b)).await;
    assert_eq!(status, 200);
    let (status, _) = delete(&t.app, &path, &t.b).await;
    assert_eq!(status, 403);
    let (status, _) = t.app.get(&path, Some(&t.trader)).await;
    assert_eq!(status, 403, "sharing with analysts does not open it to traders");

    // The owner deletes it; it is gone and the log says who did what.
    let (status, _) = delete(&t.app, &path, &t.a).await;
    assert_eq!(status, 204);
    let (status, body) = t.app.get(&path, Some(&t.a)).await;
    assert_eq!((status, error_code(&body)), (404, "dataset.not_found"));
    let log = caravan_server::all_audit_entries(&*t.app.state.store).await.unwrap();
    let ours: Vec<(&str, &str)> = log
        .iter()
        .filter(|e| e.target == format!("dataset:{id}"))
        .map(|e| (e.action.as_str(), e.actor.name.as_str()))
        .collect();
    assert_eq!(
        ours,
        [
            ("dataset.create", "analyst-a"),
            ("dataset.share", "analyst-a"),
            ("dataset.delete", "analyst-a")
        ]
    );
}

#[tokio::test]
async fn bad_uploads_name_row_and_column_and_store_nothing() {
    let t = analysts().await;
    let cases = [
        (
            "kind=trade&name=x&numeric=value",
            "year,exporter,value\n2020,KAZ,5\n2020,UZB,abc\n",
            422,
            "dataset.not_a_number",
            "row 3, column \"value\"",
        ),
        (
            "kind=trade&name=x&numeric=value",
            "year,exporter,value\n2020,KAZ,-1\n",
            422,
            "dataset.negative_value",
            "row 2, column \"value\"",
        ),
        (
            "kind=trade&name=x",
            "year,exporter,value\n2020,KAZ,5\n2021,UZB\n",
            422,
            "dataset.invalid_csv",
            "row 3",
        ),
        ("kind=trade&name=x", "year,year\n1,2\n", 422, "dataset.invalid_csv", "appears twice"),
        ("kind=trade&name=x", "year,value\n", 422, "dataset.invalid_csv", "no data rows"),
        (
            "kind=trade&name=x&numeric=price",
            "year,value\n1,2\n",
            422,
            "dataset.unknown_column",
            "no column \"price\"",
        ),
        ("kind=stock&name=x", "a\n1\n", 400, "dataset.invalid_kind", "trade or survey"),
        ("kind=trade&name=", "a\n1\n", 400, "dataset.invalid_name", "1 to 200"),
    ];
    for (query, csv, status, code, message) in cases {
        let (got, body) = upload(&t.app, &t.a, query, csv).await;
        assert_eq!((got, error_code(&body)), (status, code), "{query}: {body}");
        assert!(body["error"]["message"].as_str().unwrap().contains(message), "{query}: {body}");
    }
    let (status, body) = upload(&t.app, &t.a, "name=x", "a\n1\n").await;
    assert_eq!((status, body["error"]["field"].as_str()), (400, Some("kind")), "{body}");
    let (_, list) = t.app.get("/api/v1/datasets", Some(&t.a)).await;
    assert_eq!(list, serde_json::json!([]), "nothing stored");

    // Larger than the global 1 MiB limit but within the dataset limit: accepted.
    let mut big = String::from("year,exporter,hs4,export_value\n");
    while big.len() < 1_200_000 {
        big.push_str("2020,KAZ,0101,1\n");
    }
    let (status, body) = upload(&t.app, &t.a, "kind=trade&name=big", &big).await;
    assert_eq!(status, 201, "{body}");

    // Bad analysis parameters name the parameter.
    let id = trade_dataset(&t).await;
    let (status, body) = t.app.get(&format!("/api/v1/datasets/{id}/complexity?time=year&location=exporter&product=hs4&value=nope"), Some(&t.a)).await;
    assert_eq!(
        (status, error_code(&body), body["error"]["field"].as_str()),
        (422, "dataset.unknown_column", Some("value"))
    );
    let (status, body) = t
        .app
        .get(
            &format!("/api/v1/datasets/{id}/complexity?{TRADE_QUERY}&rca-threshold=-1"),
            Some(&t.a),
        )
        .await;
    assert_eq!((status, body["error"]["field"].as_str()), (400, Some("rca-threshold")));
    let (status, body) = t
        .app
        .get(
            &format!("/api/v1/datasets/{id}/poverty?welfare=export_value&weight=year&line=1"),
            Some(&t.a),
        )
        .await;
    assert_eq!((status, error_code(&body)), (422, "dataset.wrong_kind"));
}

fn survey_csv(shift: f64) -> String {
    let mut csv = String::from("hh,income,wt,region,cluster\n");
    for i in 0..60 {
        let income = 1.0 + ((i * 37) % 23) as f64 * 0.7 + shift;
        let weight = 1.0 + (i % 4) as f64;
        csv.push_str(&format!("{i},{income},{weight},R{},{}\n", i % 3, i % 10));
    }
    csv
}

async fn survey_dataset(t: &Analysts) -> i64 {
    let (status, body) =
        upload(&t.app, &t.a, "kind=survey&name=HBS&numeric=income,wt", &survey_csv(0.0)).await;
    assert_eq!(status, 201, "{body}");
    body["id"].as_i64().unwrap()
}

#[tokio::test]
async fn poverty_over_http_equals_the_crate() {
    let t = analysts().await;
    let id = survey_dataset(&t).await;
    let query = "welfare=income&weight=wt&strata=region&psu=cluster&line=5";
    let (status, body) =
        t.app.get(&format!("/api/v1/datasets/{id}/poverty?{query}"), Some(&t.a)).await;
    assert_eq!(status, 200, "{body}");
    let table: Vec<Vec<f64>> = survey_csv(0.0)
        .lines()
        .skip(1)
        .map(|l| l.split(',').skip(1).take(2).map(|x| x.parse().unwrap()).collect())
        .collect();
    let welfare: Vec<f64> = table.iter().map(|r| r[0]).collect();
    let weight: Vec<f64> = table.iter().map(|r| r[1]).collect();
    let order = caravan_poverty::order_by_welfare(&welfare, &(0..60).collect::<Vec<u32>>());
    let config = caravan_poverty::Config {
        line: 5.0,
        poor_if: caravan_poverty::PoorIf::Below,
        gini: caravan_poverty::GiniForm::Pip,
    };
    let expected = caravan_poverty::estimate(
        &welfare,
        &weight,
        &order,
        &config,
        caravan_poverty::Variance::None,
    )
    .unwrap();
    for name in ["mean", "fgt0", "fgt1", "gini", "median", "palma"] {
        let got = body["estimates"][name]["value"].as_f64().unwrap();
        let want = expected.value(name).unwrap();
        assert!((got - want).abs() <= 1e-12 * want.abs().max(1.0), "{name}: {got} vs {want}");
        assert!(
            body["estimates"][name]["se"].as_f64().is_some_and(|se| se >= 0.0),
            "{name} has an SE"
        );
    }
    assert_eq!(body["design"]["n_strata"], 3);
    assert_eq!(body["design"]["n_psu"], 30, "PSU labels nest within strata");
    assert_eq!(body["lorenz"].as_array().unwrap().len(), expected.lorenz.len());
    assert_eq!(body["decile_shares"].as_array().unwrap().len(), 10);

    // International lines by name.
    let (_, preset) = t
        .app
        .get(
            &format!(
                "/api/v1/datasets/{id}/poverty?welfare=income&weight=wt&preset=ipl_2021&se=none"
            ),
            Some(&t.a),
        )
        .await;
    assert_eq!(preset["design"]["line"], 3.0);
    let (status, body) = t
        .app
        .get(
            &format!("/api/v1/datasets/{id}/poverty?welfare=income&weight=wt&preset=ipl_1990"),
            Some(&t.a),
        )
        .await;
    assert_eq!((status, body["error"]["field"].as_str()), (400, Some("preset")));

    // CSV with confidence intervals.
    let (status, _, csv) =
        get_text(&t.app, &format!("/api/v1/datasets/{id}/poverty?{query}&format=csv"), &t.a).await;
    assert_eq!(status, 200);
    let mut lines = csv.lines();
    assert_eq!(lines.next().unwrap(), "estimate,value,se,ci_low,ci_high");
    let mean: Vec<f64> =
        lines.next().unwrap().split(',').skip(1).map(|x| x.parse().unwrap()).collect();
    assert!((mean[2] - (mean[0] - 1.959963984540054 * mean[1])).abs() < 1e-9 && mean[3] > mean[0]);

    // Two rounds: people lifted out and the growth incidence curve.
    let (_, later) =
        upload(&t.app, &t.a, "kind=survey&name=HBS+2024&numeric=income,wt", &survey_csv(1.5)).await;
    let later = later["id"].as_i64().unwrap();
    let (status, cmp) = t
        .app
        .get(&format!("/api/v1/datasets/{id}/poverty/compare/{later}?{query}"), Some(&t.a))
        .await;
    assert_eq!(status, 200, "{cmp}");
    assert_eq!(cmp["gic"].as_array().unwrap().len(), 99);
    assert!(
        cmp["people_lifted_out"]["net_change"]["value"].as_f64().unwrap() < 0.0,
        "fewer poor after a uniform rise"
    );
    assert!(cmp["people_lifted_out"]["statement"].as_str().is_some_and(|s| !s.is_empty()));

    // The report page shows the table with CIs and the Lorenz curve.
    let (status, _, html) =
        get_text(&t.app, &format!("/poverty/datasets/{id}?{query}&compare={later}"), &t.a).await;
    assert_eq!(status, 200, "{html}");
    assert!(
        html.contains("id=\"estimates\"")
            && html.contains("id=\"lorenz\"")
            && html.contains("id=\"gic\"")
    );
    // The form as a browser sends it: empty optional fields and an international line.
    let form = "welfare=income&weight=wt&size=&strata=&psu=&line=&preset=ipl_2021&poor-if=lt&gini=pip&se=linearized&compare=";
    let (status, _, html) = get_text(&t.app, &format!("/poverty/datasets/{id}?{form}"), &t.a).await;
    assert_eq!(status, 200, "{html}");
    assert!(html.contains("ipl_2021: $3.00 a day") && html.contains("id=\"estimates\""));
}

#[tokio::test]
async fn trade_pages_show_tables_and_the_product_space() {
    let t = analysts().await;
    let (status, _, html) = get_text(&t.app, "/trade", &t.a).await;
    assert_eq!(status, 200);
    assert!(html.contains("id=\"no-datasets\"") && html.contains("name=\"csv\""));
    let id = trade_dataset(&t).await;
    let (status, _, html) = get_text(&t.app, &format!("/trade/datasets/{id}"), &t.a).await;
    assert_eq!(status, 200);
    assert!(html.contains("name=\"location\"") && !html.contains("id=\"eci\""), "form first");
    let (status, _, html) =
        get_text(&t.app, &format!("/trade/datasets/{id}?{TRADE_QUERY}&country=KAZ"), &t.a).await;
    assert_eq!(status, 200, "{html}");
    for part in [
        "id=\"eci\"",
        "id=\"pci\"",
        "id=\"rca-profile\"",
        "id=\"opportunities\"",
        "id=\"product-space\"",
        "id=\"concentration\"",
        "id=\"growth-chart\"",
        "id=\"download-csv\"",
    ] {
        assert!(html.contains(part), "{part}");
    }
    let (status, _, html) = get_text(
        &t.app,
        &format!("/trade/datasets/{id}?time=year&location=exporter&product=hs4&value=nope"),
        &t.a,
    )
    .await;
    assert_eq!(status, 422);
    assert!(
        html.contains("no column \\\"nope\\\"") || html.contains("no column &quot;nope&quot;"),
        "the page says how to fix it"
    );
}

#[tokio::test]
async fn openapi_lists_the_analytics_endpoints() {
    let app = TestApp::new().await;
    let (status, doc) = app.get("/api/openapi.json", None).await;
    assert_eq!(status, 200);
    for path in [
        "/api/v1/datasets",
        "/api/v1/datasets/{id}",
        "/api/v1/datasets/{id}/sharing",
        "/api/v1/datasets/{id}/complexity",
        "/api/v1/datasets/{id}/rca-profile",
        "/api/v1/datasets/{id}/opportunities",
        "/api/v1/datasets/{id}/concentration",
        "/api/v1/datasets/{id}/growth",
        "/api/v1/datasets/{id}/poverty",
        "/api/v1/datasets/{id}/poverty/compare/{other}",
    ] {
        assert!(doc["paths"].get(path).is_some(), "{path} missing from the OpenAPI document");
    }
}

#[test]
fn every_analytics_string_is_translated() {
    for lang in [Lang::En, Lang::Ru, Lang::Zh] {
        for key in TradeKey::ALL {
            assert!(has_translation(lang, *key), "{key:?} has no {lang:?} text");
        }
        for key in PovertyKey::ALL {
            assert!(has_translation(lang, *key), "{key:?} has no {lang:?} text");
        }
    }
}

#[tokio::test]
async fn proximity_csv_over_http_equals_the_crate() {
    let t = analysts().await;
    let id = trade_dataset(&t).await;
    let (status, content_type, csv) =
        get_text(&t.app, &format!("/api/v1/datasets/{id}/proximity?{TRADE_QUERY}"), &t.a).await;
    assert_eq!(status, 200, "{csv}");
    assert!(content_type.starts_with("text/csv"), "{content_type}");
    let mut lines = csv.lines();
    assert_eq!(lines.next().unwrap(), "time,product_1,product_2,proximity");
    let config = ComplexityConfig { keep_proximity: true, ..ComplexityConfig::default() };
    let expected = complexity(trade_values(1).view(), &config).unwrap();
    let phi = expected.proximity.unwrap();
    let rows: Vec<Vec<&str>> = lines.map(|l| l.split(',').collect()).collect();
    let n = PRODUCTS.len();
    assert_eq!(rows.len(), 2 * n * n, "every ordered pair of each year");
    let mut checked = 0;
    for row in rows.iter().filter(|r| r[0] == "2024") {
        let p = PRODUCTS.iter().position(|c| *c == row[1]).unwrap();
        let q = PRODUCTS.iter().position(|c| *c == row[2]).unwrap();
        let got: f64 = row[3].parse().unwrap();
        assert!((got - phi[[p, q]]).abs() < 1e-12, "{row:?} vs {}", phi[[p, q]]);
        checked += 1;
    }
    assert_eq!(checked, n * n);
    let (status, _, _) =
        get_text(&t.app, &format!("/api/v1/datasets/{id}/proximity?{TRADE_QUERY}"), &t.trader)
            .await;
    assert_eq!(status, 403, "a trader may not read an analyst's dataset");
}

#[tokio::test]
async fn mirror_over_http_pairs_exports_with_imports() {
    let t = analysts().await;
    let csv = "period,reporterISO,partnerISO,flowCode,primaryValue\n\
               2023,KAZ,CHN,X,1000\n\
               2023,CHN,KAZ,M,1150\n\
               2023,CHN,KAZ,X,400\n";
    let (status, body) =
        upload(&t.app, &t.a, "kind=trade&name=Mirror&numeric=primaryValue", csv).await;
    assert_eq!(status, 201, "{body}");
    let id = body["id"].as_i64().unwrap();
    let query =
        "reporter=reporterISO&partner=partnerISO&flow=flowCode&value=primaryValue&time=period";
    let (status, body) =
        t.app.get(&format!("/api/v1/datasets/{id}/mirror?{query}"), Some(&t.a)).await;
    assert_eq!(status, 200, "{body}");
    let flows = body.as_array().unwrap();
    assert_eq!(flows.len(), 2);
    let kaz = flows.iter().find(|f| f["exporter"] == "KAZ").unwrap();
    assert_eq!(kaz["imports_reported"], serde_json::json!(1150.0));
    assert!((kaz["ratio"].as_f64().unwrap() - 1.15).abs() < 1e-12);
    let chn = flows.iter().find(|f| f["exporter"] == "CHN").unwrap();
    assert!(chn["imports_reported"].is_null() && chn["ratio"].is_null(), "{chn}");
    let (status, _, text) =
        get_text(&t.app, &format!("/api/v1/datasets/{id}/mirror?format=csv&{query}"), &t.a).await;
    assert_eq!(status, 200);
    assert!(
        text.starts_with(
            "time,exporter,importer,product,exports_reported,imports_reported,difference,ratio\n"
        ),
        "{text}"
    );
    assert!(text.contains("2023,KAZ,CHN,,1000,1150,150,1.15\n"), "{text}");

    let (status, err) = upload(
        &t.app,
        &t.a,
        "kind=trade&name=Re-exports&numeric=primaryValue",
        "period,reporterISO,partnerISO,flowCode,primaryValue\n2023,KAZ,CHN,RX,10\n",
    )
    .await;
    assert_eq!(status, 201, "{err}");
    let bad = err["id"].as_i64().unwrap();
    let (status, err) =
        t.app.get(&format!("/api/v1/datasets/{bad}/mirror?{query}"), Some(&t.a)).await;
    assert_eq!(status, 422, "{err}");
    assert_eq!(error_code(&err), "dataset.invalid_flow");
    let (status, err) =
        t.app.get(&format!("/api/v1/datasets/{id}/mirror?reporter=reporterISO"), Some(&t.a)).await;
    assert_eq!((status, error_code(&err)), (400, "request.missing_field"));
}

/// A browser's upload form as multipart: the CSRF token first, then `name`, `numeric` and the
/// file (or pasted text when `file` is `None`).
fn upload_form_request(
    path: &str,
    numeric: &str,
    cookie: &str,
    csrf: &str,
    file: Option<&[u8]>,
    pasted: &str,
) -> Request<Body> {
    // A browser sends an empty file part with an empty file name when no file is chosen.
    Multipart::new()
        .field("csrf_token", csrf)
        .field("name", "Exports from a file")
        .field("numeric", numeric)
        .file(
            "file",
            if file.is_some() { "exports.csv" } else { "" },
            "text/csv",
            file.unwrap_or_default(),
        )
        .field("csv", pasted)
        .post(path, cookie)
}

#[tokio::test]
async fn the_pages_upload_a_csv_file_or_pasted_text() {
    let t = analysts().await;
    let (session, csrf) = crate::ui::login(&t.app, "analyst-a").await;
    let cookie = format!("caravan_session={session}");
    let csv = trade_csv();

    let res = t
        .app
        .send(upload_form_request(
            "/trade/upload",
            "export_value",
            &cookie,
            &csrf,
            Some(csv.as_bytes()),
            "",
        ))
        .await;
    assert_eq!(res.status().as_u16(), 303, "{}", body_text(res).await);
    let location = res.headers()[header::LOCATION].to_str().unwrap().to_owned();
    assert!(
        location.starts_with("/trade/datasets/") && location.ends_with("?uploaded=1"),
        "{location}"
    );
    let (status, listed) = t.app.get("/api/v1/datasets", Some(&t.a)).await;
    assert_eq!(status, 200);
    let stored =
        listed.as_array().unwrap().iter().find(|d| d["name"] == "Exports from a file").unwrap();
    assert_eq!(stored["n_rows"], serde_json::json!(csv.lines().count() - 1), "{stored}");

    // Pasted text still works when no file is chosen; for surveys too.
    let survey = "hh,income,weight\n1,10,2\n2,30,1\n";
    let res = t
        .app
        .send(upload_form_request("/poverty/upload", "income,weight", &cookie, &csrf, None, survey))
        .await;
    assert_eq!(res.status().as_u16(), 303, "{}", body_text(res).await);
    assert!(res.headers()[header::LOCATION].to_str().unwrap().starts_with("/poverty/datasets/"));

    // A binary file is refused, naming the field; nothing is stored.
    let before = t.app.get("/api/v1/datasets", Some(&t.a)).await.1.as_array().unwrap().len();
    let res = t
        .app
        .send(upload_form_request(
            "/trade/upload",
            "export_value",
            &cookie,
            &csrf,
            Some(b"PAR1\0\0\x15"),
            "",
        ))
        .await;
    assert_eq!(res.status().as_u16(), 415);
    let html = body_text(res).await;
    assert!(html.contains("file: the file is not a CSV text file"), "{html}");
    let after = t.app.get("/api/v1/datasets", Some(&t.a)).await.1.as_array().unwrap().len();
    assert_eq!(before, after);

    // Neither file nor text: a plain message, and the token must come first.
    let res = t
        .app
        .send(upload_form_request("/trade/upload", "export_value", &cookie, &csrf, None, "  "))
        .await;
    assert_eq!(res.status().as_u16(), 400);
    let res = t
        .app
        .send(upload_form_request(
            "/trade/upload",
            "export_value",
            &cookie,
            "forged",
            Some(csv.as_bytes()),
            "",
        ))
        .await;
    assert_eq!(res.status().as_u16(), 403);
}
