//! Tariff and origin over HTTP: the API answers match the engines on real cases of the shipped
//! schedules and rule book, every bad input is a 4xx naming its field, and the calculator, line
//! browser and origin wizard render in three languages and round-trip their forms.

use axum::body::Body;
use axum::http::{Request, header};
use caravan_tariff::{Declaration, Quantity, Unit};
use caravan_types::{CountryCode, CurrencyCode, Decimal, HsCode, Money};
use serde_json::{Value, json};
use time::macros::date;

use crate::support::{Multipart, TestApp, body_text, error_code};
use caravan_server::tariff::TariffState;

fn dec(text: &str) -> Decimal {
    text.parse().unwrap()
}

/// What the engine answers for the same declaration, as JSON.
fn engine(app: &TestApp, declaration: &Declaration) -> Value {
    let calc = caravan_tariff::calculate(&app.state.tariff().tariff, declaration).unwrap();
    let mut value = serde_json::to_value(&calc).unwrap();
    // The API adds where the rates came from: a sample schedule's own.
    value["exchange_rates_from"] = json!("schedule");
    value
}

#[allow(clippy::too_many_arguments, reason = "mirrors the declaration's fields")]
fn declaration(
    jurisdiction: &str,
    code: &str,
    origin: &str,
    value: &str,
    currency: &str,
    quantity: Option<(&str, &str)>,
    documents: &[&str],
) -> Declaration {
    Declaration {
        jurisdiction: jurisdiction.to_owned(),
        date: date!(2026 - 03 - 01),
        code: HsCode::parse(code).unwrap(),
        origin: CountryCode::parse(origin).unwrap(),
        customs_value: Money::new(dec(value), CurrencyCode::parse(currency).unwrap()),
        quantity: quantity.map(|(amount, unit)| Quantity {
            amount: dec(amount),
            unit: Unit::parse(unit).unwrap(),
        }),
        documents: documents.iter().map(|d| (*d).to_owned()).collect(),
    }
}

async fn calculate(app: &TestApp, body: Value) -> (u16, Value) {
    app.post_json("/api/v1/tariff/calculate", None, &body.to_string()).await
}

fn applied_ids(result: &Value) -> Vec<&str> {
    result["applied"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["measure_id"].as_str().unwrap())
        .collect()
}

#[tokio::test]
async fn ad_valorem_duty_and_vat_base_match_the_engine() {
    let app = TestApp::new().await;
    let (status, body) = calculate(
        &app,
        json!({"jurisdiction": "EAEU", "date": "2026-03-01", "code": "8703231940", "origin": "CN",
               "value": "10000.00", "currency": "USD"}),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        body,
        engine(&app, &declaration("EAEU", "8703231940", "CN", "10000.00", "USD", None, &[]))
    );
    // 10 000 USD at 505 KZT = 5 050 000; MFN 15 % = 757 500; VAT 12 % of 5 807 500 = 696 900.
    assert_eq!(body["customs_value"]["amount"], "5050000.00", "{body}");
    assert_eq!(body["vat_base"]["amount"], "5807500.00", "{body}");
    assert_eq!(body["total"]["amount"], "1454400.00", "{body}");
    assert_eq!(body["illustrative"], true);
    assert!(body["notice"].as_str().unwrap().to_lowercase().contains("illustrative"), "{body}");
    assert_eq!(body["exchange_rates"][0]["from"], "USD", "the rate used is stated: {body}");
    assert!(applied_ids(&body).contains(&"eaeu-mfn-cars"));
    for applied in body["applied"].as_array().unwrap() {
        assert!(!applied["legal_basis"].as_str().unwrap().is_empty(), "{applied}");
    }
    assert_eq!(body["provenance"], "illustrative");
    assert_eq!(body["applied"][0]["provenance"], "illustrative");
}

/// Issue 18: KZ is answered from the real EAEU Common Customs Tariff in tenge, with the rate of
/// the day given in `rates`, and every measure marked real with its legal basis.
#[tokio::test]
async fn issue_18_kz_applies_the_real_common_tariff_with_the_rate_given() {
    let app = TestApp::new().await;
    let request = |rates: Value| {
        json!({"jurisdiction": "kz", "date": "2026-03-02", "code": "7214100000", "origin": "CN",
               "value": 10000, "currency": "usd", "rates": rates})
    };
    let (status, kz) = calculate(
        &app,
        request(json!([{"date": "2026-03-02", "from": "USD", "to": "KZT", "rate": "505.00",
                        "source": "National Bank of Kazakhstan"}])),
    )
    .await;
    assert_eq!(status, 200, "{kz}");
    assert_eq!(kz["jurisdiction"], "KZ");
    assert_eq!(kz["provenance"], "real");
    assert_eq!(kz["illustrative"], false);
    // 10 000 USD at 505 = 5 050 000 KZT; ETT 10 % = 505 000; anti-dumping on Chinese rebar
    // 19.9 % = 1 004 950; VAT 16 % of 6 559 950 = 1 049 592.
    assert_eq!(kz["customs_value"]["amount"], "5050000.00", "{kz}");
    assert_eq!(kz["total"]["amount"], "2559542.00", "{kz}");
    assert_eq!(kz["exchange_rates"][0]["source"], "National Bank of Kazakhstan");
    // The ETT ships no descriptions: the calculation names the line as the line browser does.
    let rebar = app.state.refdata.hs(&caravan_types::HsCode::parse("721410").unwrap()).unwrap();
    let described = kz["line"]["description"].as_str().unwrap();
    assert!(described.starts_with(rebar.description(caravan_refdata::Lang::En)), "{kz}");
    for applied in kz["applied"].as_array().unwrap() {
        assert_eq!(applied["provenance"], "real", "{applied}");
    }
    let remedy = kz["applied"].as_array().unwrap().iter().find(|a| a["kind"] == "additional");
    assert!(remedy.unwrap()["legal_basis"].as_str().unwrap().contains("END DATE UNKNOWN"));
    // Without the day's rate: a 422 naming what to supply.
    let (status, err) = calculate(&app, request(json!([]))).await;
    assert_eq!(status, 422, "{err}");
    assert_eq!(err["error"]["field"], "currency");
    assert!(err["error"]["message"].as_str().unwrap().contains("rates"), "{err}");
    let (status, err) = calculate(
        &app,
        request(json!([{"date": "2026-03-01", "from": "USD", "to": "KZT", "rate": "505",
                        "source": "NBK"}])),
    )
    .await;
    assert_eq!(status, 422, "{err}");
    assert_eq!(err["error"]["field"], "rates");
    assert!(err["error"]["message"].as_str().unwrap().contains("2026-03-02,USD,KZT"), "{err}");
    // The line browser marks each measure.
    let (status, lines) = app.get("/api/v1/tariff/lines/KG/7214100000?date=2026-03-02", None).await;
    assert_eq!(status, 200, "{lines}");
    let measures = lines["lines"][0]["measures"].as_array().unwrap();
    assert!(measures.iter().all(|m| m["provenance"] == "real"), "{lines}");
    // The ETT has no descriptions: the HS 2022 subheading's is shown.
    assert!(!lines["lines"][0]["description"].as_str().unwrap().is_empty(), "{lines}");
}

#[tokio::test]
async fn preference_applies_only_with_a_proof_of_origin() {
    let app = TestApp::new().await;
    let request = |documents: Value| {
        json!({"jurisdiction": "EAEU", "date": "2026-03-01", "code": "8703231940", "origin": "UZ",
               "value": "10000", "currency": "USD", "documents": documents})
    };
    let (status, without) = calculate(&app, request(json!([]))).await;
    assert_eq!(status, 200, "{without}");
    assert_eq!(
        without,
        engine(&app, &declaration("EAEU", "8703231940", "UZ", "10000", "USD", None, &[]))
    );
    assert!(applied_ids(&without).contains(&"eaeu-mfn-cars"), "{without}");
    let refused = without["not_applied"]
        .as_array()
        .unwrap()
        .iter()
        .find(|n| n["measure_id"] == "eaeu-pref1-cars")
        .unwrap();
    assert!(refused["reason"].as_str().unwrap().contains("no proof of origin"), "{refused}");

    let (status, with) = calculate(&app, request(json!(["origin-cert"]))).await;
    assert_eq!(status, 200, "{with}");
    assert_eq!(
        with,
        engine(
            &app,
            &declaration("EAEU", "8703231940", "UZ", "10000", "USD", None, &["origin-cert"])
        )
    );
    assert!(applied_ids(&with).contains(&"eaeu-pref1-cars"), "{with}");
    let total = |v: &Value| dec(v["total"]["amount"].as_str().unwrap());
    assert!(total(&with) < total(&without), "the preference lowers the total");
}

#[tokio::test]
async fn eaeu_minimum_form_and_specific_duty_with_unit_conversion() {
    let app = TestApp::new().await;
    // Wheat: 5 % but not less than 0.015 EUR/KGM; 100 t = 100 000 kg -> 1 500 EUR = 817 500 KZT,
    // more than 5 % of 1 000 USD (25 250 KZT).
    let (status, wheat) = calculate(
        &app,
        json!({"jurisdiction": "EAEU", "date": "2026-03-01", "code": "1001990000", "origin": "CN",
               "value": "1000", "currency": "USD", "quantity": {"amount": "100", "unit": "TNE"},
               "documents": ["phytosanitary-cert"]}),
    )
    .await;
    assert_eq!(status, 200, "{wheat}");
    assert_eq!(
        wheat,
        engine(
            &app,
            &declaration(
                "EAEU",
                "1001990000",
                "CN",
                "1000",
                "USD",
                Some(("100", "TNE")),
                &["phytosanitary-cert"]
            )
        )
    );
    let mfn = wheat["applied"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["measure_id"] == "eaeu-mfn-wheat")
        .unwrap();
    assert_eq!(mfn["amount"]["amount"], "817500.00", "{mfn}");

    // Tajikistan crude oil: 5 USD/TNE given in kilograms.
    let (status, crude) = calculate(
        &app,
        json!({"jurisdiction": "TJ", "date": "2026-03-01", "code": "2709009000", "origin": "KZ",
               "value": "50000", "currency": "USD", "quantity": {"amount": "20000", "unit": "KGM"}}),
    )
    .await;
    assert_eq!(status, 200, "{crude}");
    assert_eq!(
        crude,
        engine(
            &app,
            &declaration("TJ", "2709009000", "KZ", "50000", "USD", Some(("20000", "KGM")), &[])
        )
    );
    let in_tonnes = calculate(
        &app,
        json!({"jurisdiction": "TJ", "date": "2026-03-01", "code": "2709009000", "origin": "KZ",
               "value": "50000", "currency": "USD", "quantity": {"amount": "20", "unit": "TNE"}}),
    )
    .await
    .1;
    assert_eq!(crude["total"], in_tonnes["total"], "20 000 kg and 20 t pay the same");
}

#[tokio::test]
async fn every_bad_calculation_input_is_a_4xx_naming_its_field() {
    let app = TestApp::new().await;
    let base = json!({"jurisdiction": "EAEU", "date": "2026-03-01", "code": "8703231940",
                      "origin": "CN", "value": "1000", "currency": "USD"});
    let cases: Vec<(&str, Value, &str, &str)> = vec![
        ("unknown code", json!({"code": "8703239999"}), "code", "tariff.unknown_code"),
        ("malformed code", json!({"code": "87x"}), "code", "request.invalid_field"),
        (
            "date outside validity",
            json!({"date": "2019-06-01"}),
            "date",
            "tariff.date_outside_validity",
        ),
        ("malformed date", json!({"date": "01.03.2026"}), "date", "request.invalid_field"),
        ("negative value", json!({"value": "-5"}), "value", "tariff.invalid_value"),
        ("zero value", json!({"value": 0}), "value", "tariff.invalid_value"),
        ("not a number", json!({"value": "ten"}), "value", "request.invalid_field"),
        (
            "unknown jurisdiction",
            json!({"jurisdiction": "XX"}),
            "jurisdiction",
            "tariff.unknown_jurisdiction",
        ),
        (
            "unknown currency rate",
            json!({"currency": "JPY"}),
            "currency",
            "tariff.no_exchange_rate",
        ),
        ("bad origin", json!({"origin": "China"}), "origin", "request.invalid_field"),
        (
            "unknown unit",
            json!({"quantity": {"amount": "5", "unit": "XYZ"}}),
            "quantity.unit",
            "request.invalid_field",
        ),
        (
            "negative quantity",
            json!({"quantity": {"amount": "-5", "unit": "KGM"}}),
            "quantity.amount",
            "tariff.invalid_quantity",
        ),
        (
            "bad document",
            json!({"documents": ["<script>"]}),
            "documents[0]",
            "request.invalid_field",
        ),
    ];
    for (what, patch, field, code) in cases {
        let mut body = base.clone();
        for (k, v) in patch.as_object().unwrap() {
            body[k] = v.clone();
        }
        let (status, answer) = calculate(&app, body).await;
        assert!((400..500).contains(&status), "{what}: {status} {answer}");
        assert_eq!(error_code(&answer), code, "{what}: {answer}");
        assert_eq!(answer["error"]["field"], field, "{what}: {answer}");
    }
    // A specific duty without its quantity.
    let (status, answer) = calculate(
        &app,
        json!({"jurisdiction": "EAEU", "date": "2026-03-01", "code": "1001990000", "origin": "CN",
               "value": "1000", "currency": "USD"}),
    )
    .await;
    assert_eq!(status, 422, "{answer}");
    assert_eq!(error_code(&answer), "tariff.quantity_required");
    assert_eq!(answer["error"]["field"], "quantity");
    assert!(answer["error"]["message"].as_str().unwrap().contains("KGM"), "{answer}");
    // A missing field and an unknown field.
    let (status, answer) = calculate(&app, json!({"jurisdiction": "EAEU"})).await;
    assert_eq!(status, 422, "{answer}");
    assert!(answer["error"]["field"].is_string(), "{answer}");
    let (status, _) = calculate(
        &app,
        json!({"jurisdiction": "EAEU", "date": "2026-03-01", "code": "8703231940",
        "origin": "CN", "value": "1000", "currency": "USD", "price": 3}),
    )
    .await;
    assert_eq!(status, 422);
}

#[tokio::test]
async fn lines_and_jurisdictions() {
    let app = TestApp::new().await;
    let (status, body) =
        app.get("/api/v1/tariff/lines/EAEU/8703231940?date=2026-03-01", None).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["lines"][0]["code"], "8703231940");
    let ids: Vec<&str> = body["lines"][0]["measures"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["id"].as_str().unwrap())
        .collect();
    assert!(ids.contains(&"eaeu-mfn-cars") && ids.contains(&"eaeu-vat-87"), "{ids:?}");
    assert_eq!(body["schedule"]["illustrative"], true);
    // A heading lists the lines under it.
    let (status, heading) = app.get("/api/v1/tariff/lines/EAEU/87?date=2026-03-01", None).await;
    assert_eq!(status, 200, "{heading}");
    assert!(heading["lines"].as_array().unwrap().len() >= 2, "{heading}");

    let (status, body) =
        app.get("/api/v1/tariff/lines/EAEU/8703239999?date=2026-03-01", None).await;
    assert_eq!(status, 404, "{body}");
    assert_eq!(body["error"]["field"], "code");
    assert!(
        body["error"]["message"].as_str().unwrap().contains("8703239999"),
        "names the code: {body}"
    );
    let (status, body) =
        app.get("/api/v1/tariff/lines/EAEU/8703231940?date=2019-01-01", None).await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(body["error"]["field"], "date");
    let (status, body) = app.get("/api/v1/tariff/lines/EAEU/8703231940?date=tomorrow", None).await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(body["error"]["field"], "date");
    let (status, body) = app.get("/api/v1/tariff/lines/XX/8703231940", None).await;
    assert_eq!(status, 404, "{body}");
    assert_eq!(body["error"]["field"], "jurisdiction");

    let (status, list) = app.get("/api/v1/tariff/jurisdictions", None).await;
    assert_eq!(status, 200, "{list}");
    let names: Vec<&str> =
        list.as_array().unwrap().iter().map(|j| j["jurisdiction"].as_str().unwrap()).collect();
    assert_eq!(names, ["CN", "EAEU", "KG", "KZ", "TJ", "TM", "UZ"]);
    let eaeu = list.as_array().unwrap().iter().find(|j| j["jurisdiction"] == "EAEU").unwrap();
    assert_eq!(eaeu["versions"][0]["valid_to"], "2025-12-31", "{eaeu}");
    assert_eq!(eaeu["versions"][1]["valid_from"], "2026-01-01", "{eaeu}");
}

fn assess_body(bom: Value, price: &str) -> Value {
    json!({"agreement": "cca-illustrative", "product": "390110", "exporter": "UZ", "price": price, "bom": bom})
}

#[tokio::test]
async fn origin_assessment_matches_the_engine() {
    let app = TestApp::new().await;
    let (status, list) = app.get("/api/v1/origin/agreements", None).await;
    assert_eq!(status, 200, "{list}");
    assert_eq!(list[0]["id"], "cca-illustrative");
    assert_eq!(list[0]["illustrative"], true);

    let book = app.state.tariff().rule_book("cca-illustrative").unwrap();
    let product = caravan_origin::Product {
        hs_code: HsCode::parse("390110").unwrap(),
        exporter: CountryCode::parse("UZ").unwrap(),
        price: dec("1000"),
    };
    let material = |hs: &str, origin: &str, value: &str| caravan_origin::Material {
        hs_code: HsCode::parse(hs).unwrap(),
        origin: CountryCode::parse(origin).unwrap(),
        value: dec(value),
        description: None,
    };
    // Ethylene from China (a cumulation partner): originating; CTH met anyway.
    let (status, yes) = app
        .post_json(
            "/api/v1/origin/assess",
            None,
            &assess_body(json!([{"hs_code": "2901", "origin": "CN", "value": "300"}]), "1000")
                .to_string(),
        )
        .await;
    assert_eq!(status, 200, "{yes}");
    let expected = caravan_origin::assess(
        book,
        &product,
        &[material("2901", "CN", "300")],
        &Default::default(),
    )
    .unwrap();
    assert_eq!(yes, serde_json::to_value(&expected).unwrap());
    assert_eq!(yes["qualifies"], true, "{yes}");
    assert!(!yes["steps"].as_array().unwrap().is_empty());

    // Polymer of the same heading from Germany worth 70 %: no change of heading, RVC 30 % < 40 %.
    let (status, no) = app
        .post_json(
            "/api/v1/origin/assess",
            None,
            &assess_body(json!([{"hs_code": "390110", "origin": "DE", "value": 700}]), "1000")
                .to_string(),
        )
        .await;
    assert_eq!(status, 200, "{no}");
    let expected = caravan_origin::assess(
        book,
        &product,
        &[material("390110", "DE", "700")],
        &Default::default(),
    )
    .unwrap();
    assert_eq!(no, serde_json::to_value(&expected).unwrap());
    assert_eq!(no["qualifies"], false, "{no}");
}

#[tokio::test]
async fn every_bad_assessment_input_is_a_4xx_naming_its_field() {
    let app = TestApp::new().await;
    let line = json!({"hs_code": "2901", "origin": "CN", "value": "300"});
    let cases: Vec<(&str, Value, &str)> = vec![
        (
            "bom over price",
            assess_body(json!([line, {"hs_code": "2902", "origin": "DE", "value": "800"}]), "1000"),
            "bom",
        ),
        (
            "negative bom value",
            assess_body(json!([line, {"hs_code": "2902", "origin": "DE", "value": "-1"}]), "1000"),
            "bom[1].value",
        ),
        (
            "bad bom code",
            assess_body(json!([line, {"hs_code": "29x", "origin": "DE", "value": "1"}]), "1000"),
            "bom[1].hs_code",
        ),
        (
            "bad bom origin",
            assess_body(json!([{"hs_code": "2901", "origin": "Germany", "value": "1"}]), "1000"),
            "bom[0].origin",
        ),
        ("negative price", assess_body(json!([line]), "-1000"), "price"),
        ("price not a number", assess_body(json!([line]), "lots"), "price"),
    ];
    for (what, body, field) in cases {
        let (status, answer) =
            app.post_json("/api/v1/origin/assess", None, &body.to_string()).await;
        assert!((400..500).contains(&status), "{what}: {status} {answer}");
        error_code(&answer);
        assert_eq!(answer["error"]["field"], field, "{what}: {answer}");
    }
    let mut body = assess_body(json!([line]), "1000");
    body["agreement"] = json!("nafta");
    let (status, answer) = app.post_json("/api/v1/origin/assess", None, &body.to_string()).await;
    assert_eq!(status, 422);
    assert_eq!(answer["error"]["field"], "agreement");
    // A product no rule set covers.
    let book = app.state.tariff().rule_book("cca-illustrative").unwrap();
    let uncovered = (1..=97)
        .map(|ch| HsCode::parse(&format!("{ch:02}")).unwrap())
        .find(|code| book.rule_sets_for(code).is_empty())
        .unwrap();
    let mut body = assess_body(json!([line]), "1000");
    body["product"] = json!(uncovered.to_string());
    let (status, answer) = app.post_json("/api/v1/origin/assess", None, &body.to_string()).await;
    assert!((400..500).contains(&status), "{answer}");
    assert_eq!(answer["error"]["field"], "product", "{answer}");
    let too_many: Vec<Value> =
        (0..501).map(|_| json!({"hs_code": "2901", "origin": "CN", "value": "1"})).collect();
    let (status, answer) = app
        .post_json("/api/v1/origin/assess", None, &assess_body(json!(too_many), "1000").to_string())
        .await;
    assert_eq!(status, 422);
    assert_eq!(answer["error"]["field"], "bom");
}

async fn get_page(app: &TestApp, path: &str, lang: &str) -> (u16, String) {
    let response = app
        .send(
            Request::get(path)
                .header(header::COOKIE, format!("caravan_lang={lang}"))
                .body(Body::empty())
                .unwrap(),
        )
        .await;
    let status = response.status().as_u16();
    (status, body_text(response).await)
}

async fn post_form(app: &TestApp, body: &str, cookie: Option<&str>) -> (u16, String) {
    let mut request =
        Request::post("/origin").header(header::CONTENT_TYPE, "application/x-www-form-urlencoded");
    if let Some(cookie) = cookie {
        request = request.header(header::COOKIE, cookie);
    }
    let response = app.send(request.body(Body::from(body.to_owned())).unwrap()).await;
    let status = response.status().as_u16();
    (status, body_text(response).await)
}

#[tokio::test]
async fn calculator_page_renders_in_three_languages_and_round_trips() {
    let app = TestApp::new().await;
    let query = "/tariff?jurisdiction=EAEU&date=2026-03-01&code=8703231940&origin=UZ&value=10000&currency=USD&quantity=&unit=&document=origin-cert";
    for (lang, heading, illustrative) in [
        ("en", "Duty calculator", "Illustrative"),
        ("ru", "Калькулятор пошлин", "Иллюстративно"),
        ("zh", "关税计算器", "示例性质"),
    ] {
        let (status, html) = get_page(&app, query, lang).await;
        assert_eq!(status, 200, "{lang}");
        assert!(html.contains(heading) && html.contains(illustrative), "{lang}: {html}");
        assert!(html.contains("id=\"total\""), "{lang}: the breakdown is shown");
        assert!(html.contains("eaeu-pref1-cars"), "{lang}: the preference applied");
        // The form keeps what was entered.
        assert!(html.contains("value=\"8703231940\""), "{lang}");
        assert!(html.contains("value=\"origin-cert\" checked"), "{lang}: {html}");
        assert!(
            html.contains("href=\"/hs?q=8703231940\""),
            "{lang}: the HS search helps with the code"
        );
    }
    // The same total as the API.
    let (_, api) = calculate(
        &app,
        json!({"jurisdiction": "EAEU", "date": "2026-03-01", "code": "8703231940", "origin": "UZ",
               "value": "10000", "currency": "USD", "documents": ["origin-cert"]}),
    )
    .await;
    let (_, html) = get_page(&app, query, "en").await;
    let total = format!(
        "{} {}",
        api["total"]["amount"].as_str().unwrap(),
        api["total"]["currency"].as_str().unwrap()
    );
    assert!(html.contains(&total), "{total} in {html}");

    // A bad field is named and the status is a 4xx; the form is still there to fix it.
    let (status, html) = get_page(&app, "/tariff?jurisdiction=EAEU&date=2026-03-01&code=1001990000&origin=CN&value=1000&currency=USD", "en").await;
    assert_eq!(status, 422);
    assert!(html.contains("id=\"form-error\"") && html.contains(">quantity<"), "{html}");
    assert!(html.contains("id=\"calculator\""));
    // The empty calculator.
    let (status, html) = get_page(&app, "/tariff", "ru").await;
    assert_eq!(status, 200);
    assert!(html.contains("Рассчитать") && !html.contains("id=\"breakdown\""));
}

#[tokio::test]
async fn line_browser_pages() {
    let app = TestApp::new().await;
    for (lang, word) in [("en", "Legal basis"), ("ru", "Правовое основание"), ("zh", "法律依据")]
    {
        let (status, html) =
            get_page(&app, "/tariff/lines/EAEU/8703231940?date=2026-03-01", lang).await;
        assert_eq!(status, 200, "{lang}");
        assert!(html.contains(word) && html.contains("eaeu-mfn-cars"), "{lang}: {html}");
    }
    let (status, html) =
        get_page(&app, "/tariff/lines?jurisdiction=CN&code=7403&date=2026-03-01", "en").await;
    assert_eq!(status, 200, "{html}");
    assert!(html.contains("7403.11"), "{html}");
    let (status, html) =
        get_page(&app, "/tariff/lines/EAEU/8703239999?date=2026-03-01", "en").await;
    assert_eq!(status, 404);
    assert!(html.contains("8703239999"));
}

#[tokio::test]
async fn origin_wizard_walks_three_steps_and_prints() {
    let app = TestApp::new().await;
    for (lang, step1) in [("en", "Step 1 of 3"), ("ru", "Шаг 1 из 3"), ("zh", "第 1 步")] {
        let (status, html) = get_page(&app, "/origin", lang).await;
        assert_eq!(status, 200);
        assert!(html.contains(step1), "{lang}: {html}");
        assert!(html.contains("cca-illustrative"), "{lang}");
    }
    let product = "agreement=cca-illustrative&product=390110&exporter=UZ&price=1000.00&processes=";
    let (status, html) = post_form(&app, &format!("{product}&step=bom"), None).await;
    assert_eq!(status, 200, "{html}");
    assert!(html.contains("Step 2 of 3") && html.contains("name=\"hs_code_4\""), "{html}");
    assert!(html.contains("value=\"390110\""), "step 1 is carried: {html}");

    // One row typed, one pasted as CSV with its header.
    let bom = "rows=5&hs_code_0=2901&origin_0=CN&value_0=300&description_0=ethylene\
               &csv=hs_code%2Corigin%2Cvalue%0D%0A3902%2CKZ%2C100";
    let (status, html) = post_form(&app, &format!("{product}&{bom}&step=more"), None).await;
    assert_eq!(status, 200);
    assert!(html.contains("name=\"hs_code_9\"") && html.contains("value=\"ethylene\""), "{html}");
    let (status, html) = post_form(&app, &format!("{product}&{bom}&step=assess"), None).await;
    assert_eq!(status, 200, "{html}");
    assert!(html.contains("Step 3 of 3") && html.contains("verdict-yes"), "{html}");
    assert!(html.contains("id=\"steps\""), "{html}");
    let (status, print) = post_form(&app, &format!("{product}&{bom}&step=print"), None).await;
    assert_eq!(status, 200);
    assert!(print.contains("@media print") && print.contains("id=\"steps\""), "{print}");
    assert!(!print.contains("<nav"), "no navigation on paper");

    // Bad materials come back to step 2 with the field named.
    let (status, html) = post_form(
        &app,
        &format!("{product}&rows=5&hs_code_0=2901&origin_0=CN&value_0=-3&step=assess"),
        None,
    )
    .await;
    assert_eq!(status, 422);
    assert!(html.contains("bom[0].value") && html.contains("Step 2 of 3"), "{html}");
    let (status, html) =
        post_form(&app, &format!("{product}&csv=2901%2CCN&step=assess"), None).await;
    assert_eq!(status, 422);
    assert!(html.contains("csv line 1"), "{html}");
    // A bad product goes back to step 1.
    let (status, html) = post_form(
        &app,
        "agreement=cca-illustrative&product=39x&exporter=UZ&price=1000&step=bom",
        None,
    )
    .await;
    assert_eq!(status, 422);
    assert!(html.contains("Step 1 of 3") && html.contains(">product<"), "{html}");
}

#[tokio::test]
async fn signed_in_wizard_forms_carry_the_csrf_token() {
    let app = TestApp::new().await;
    let (session, csrf) = crate::ui::login(&app, "trader-a").await;
    let cookie = format!("caravan_session={session}");
    let response = app
        .send(Request::get("/origin").header(header::COOKIE, &cookie).body(Body::empty()).unwrap())
        .await;
    let html = body_text(response).await;
    assert!(html.contains(&format!("name=\"csrf_token\" value=\"{csrf}\"")), "{html}");
    let product = "agreement=cca-illustrative&product=390110&exporter=UZ&price=1000&step=bom";
    let (status, _) = post_form(&app, product, Some(&cookie)).await;
    assert_eq!(status, 403, "a session without the token is refused");
    let (status, html) =
        post_form(&app, &format!("{product}&csrf_token={csrf}"), Some(&cookie)).await;
    assert_eq!(status, 200, "{html}");
    assert!(html.contains(&format!("value=\"{csrf}\"")), "step 2 carries it on");
}

#[tokio::test]
async fn openapi_lists_the_tariff_and_origin_paths() {
    let app = TestApp::new().await;
    let (status, doc) = app.get("/api/openapi.json", None).await;
    assert_eq!(status, 200);
    for path in [
        "/api/v1/tariff/calculate",
        "/api/v1/tariff/jurisdictions",
        "/api/v1/tariff/lines/{jurisdiction}/{code}",
        "/api/v1/origin/agreements",
        "/api/v1/origin/assess",
    ] {
        assert!(doc["paths"].get(path).is_some(), "{path} missing");
    }
}

/// Issue 18: a KZ line with a specific rate in EUR is calculated on the page when the day's
/// official rate is given in the rates box (the CLI's `--rates` text), and a rate that cannot
/// be read is named with its line and column.
#[tokio::test]
async fn calculator_page_takes_the_days_official_rates() {
    let app = TestApp::new().await;
    let base = "/tariff?jurisdiction=KZ&date=2026-03-02&code=0207131001&origin=US&value=10000\
                &currency=KZT&quantity=100&unit=KGM";
    let (status, html) = get_page(&app, base, "en").await;
    assert_eq!(status, 422, "{html}");
    assert!(html.contains("rates"), "{html}");
    // 25 % but not less than 0.2 EUR/kg: 100 kg at 545.12 KZT/EUR = 10,902.40 KZT.
    let rates = "2026-03-02%2CEUR%2CKZT%2C545.12%2CNational+Bank+of+Kazakhstan";
    let (status, html) = get_page(&app, &format!("{base}&rates={rates}"), "ru").await;
    assert_eq!(status, 200, "{html}");
    assert!(html.contains("10902.40") && html.contains("National Bank of Kazakhstan"), "{html}");
    let (status, html) =
        get_page(&app, &format!("{base}&rates=2026-03-02%2CEUR%2CKZT%2Cx%2CNBK"), "en").await;
    assert_eq!(status, 422, "{html}");
    assert!(html.contains("line 2, column rate"), "{html}");
}

/// Issue 18: official rates entered by an administrator are what the calculator uses when a
/// request gives none; it says which rate and day it used, and refuses a day without a rate,
/// naming the field. Entering is for platform and KZ administrators (for KZT), and audited.
#[tokio::test]
async fn issue_18_stored_official_rates_are_used_and_a_day_without_one_is_refused() {
    let app = TestApp::new().await;
    let kz_admin = app.token("kz-admin").await;
    let cn_admin = app.token("cn-admin").await;
    let trader = app.token("trader-a").await;
    let row = |date: &str, rate: &str| {
        json!({"date": date, "from": "USD", "to": "KZT", "rate": rate,
               "source": "National Bank of Kazakhstan"})
    };
    let put = |token: Option<String>, rates: Value| {
        let app = &app;
        async move {
            app.post_json(
                "/api/v1/tariff/rates",
                token.as_deref(),
                &json!({"rates": rates}).to_string(),
            )
            .await
        }
    };
    // Who may enter: nobody anonymous, not a trader, not another country's administrator.
    let (status, _) = put(None, json!([row("2026-03-02", "505.00")])).await;
    assert_eq!(status, 401);
    let (status, err) = put(Some(trader.clone()), json!([row("2026-03-02", "505.00")])).await;
    assert_eq!((status, err["error"]["field"].as_str()), (403, Some("rates[0].to")), "{err}");
    let (status, err) = put(Some(cn_admin.clone()), json!([row("2026-03-02", "505.00")])).await;
    assert_eq!(status, 403, "{err}");
    assert!(app.state.store.exchange_rates(None, 10).await.unwrap().is_empty());
    // Bad rows are named and store nothing.
    let (status, err) =
        put(Some(kz_admin.clone()), json!([row("2026-03-02", "505"), row("2026-03-02", "506")]))
            .await;
    assert_eq!((status, err["error"]["field"].as_str()), (422, Some("rates[1].date")), "{err}");
    let (status, err) = put(
        Some(kz_admin.clone()),
        json!([{"date": "2026-03-02", "from": "USD", "to": "GBP", "rate": "1", "source": "x"}]),
    )
    .await;
    assert_eq!((status, err["error"]["field"].as_str()), (422, Some("rates[0].to")), "{err}");
    let (status, err) = put(Some(kz_admin.clone()), json!([row("2026-02-30", "505")])).await;
    assert_eq!((status, err["error"]["field"].as_str()), (422, Some("rates[0].date")), "{err}");
    assert!(app.state.store.exchange_rates(None, 10).await.unwrap().is_empty());

    let (status, put_answer) = put(
        Some(kz_admin.clone()),
        json!([row("2026-03-02", "505.00"), row("2026-03-03", "506.10")]),
    )
    .await;
    assert_eq!(status, 200, "{put_answer}");
    assert_eq!(put_answer, json!({"added": 2, "replaced": 0, "unchanged": 0}));
    let audit = app.state.store.audit_entries(0, 1000).await.unwrap();
    let entry = audit.iter().rev().find(|a| a.action == "tariff.rates.put").expect("audited");
    assert_eq!(entry.target, "exchange_rates:KZT");
    let (status, listed) = app.get("/api/v1/tariff/rates?to=kzt", None).await;
    assert_eq!(status, 200, "{listed}");
    assert_eq!(listed[0]["date"], "2026-03-03", "{listed}");
    assert_eq!(listed[1]["rate"], "505.00", "{listed}");
    assert_eq!(listed[1]["entered_by"], "kz-admin", "{listed}");

    // The calculator takes the day's stored rate when the request gives none, and says so.
    let request = |date: &str| {
        json!({"jurisdiction": "KZ", "date": date, "code": "7214100000", "origin": "CN",
               "value": 10000, "currency": "USD"})
    };
    let (status, kz) = calculate(&app, request("2026-03-02")).await;
    assert_eq!(status, 200, "{kz}");
    assert_eq!(kz["exchange_rates_from"], "stored");
    assert_eq!(kz["exchange_rates"][0]["rate"], "505.00", "{kz}");
    assert_eq!(kz["exchange_rates"][0]["valid_from"], "2026-03-02", "{kz}");
    assert_eq!(kz["exchange_rates"][0]["source"], "National Bank of Kazakhstan");
    assert_eq!(kz["customs_value"]["amount"], "5050000.00", "{kz}");
    let (_, next_day) = calculate(&app, request("2026-03-03")).await;
    assert_eq!(next_day["customs_value"]["amount"], "5061000.00", "{next_day}");
    // A day with no rate is refused, naming the date, the latest day entered and where to enter it.
    let (status, err) = calculate(&app, request("2026-03-04")).await;
    assert_eq!((status, error_code(&err)), (422, "tariff.no_exchange_rate"), "{err}");
    assert_eq!(err["error"]["field"], "date");
    let message = err["error"]["message"].as_str().unwrap();
    assert!(message.contains("2026-03-04") && message.contains("2026-03-03"), "{err}");
    assert!(message.contains("/tariff/rates"), "{err}");
    // A currency with no stored rate at all names the currency.
    let mut eur = request("2026-03-02");
    eur["currency"] = json!("EUR");
    let (status, err) = calculate(&app, eur).await;
    assert_eq!((status, err["error"]["field"].as_str()), (422, Some("currency")), "{err}");
    // Rates in the request still win.
    let mut given = request("2026-03-04");
    given["rates"] = json!([row("2026-03-04", "500")]);
    let (status, kz) = calculate(&app, given).await;
    assert_eq!((status, kz["exchange_rates_from"].as_str()), (200, Some("request")), "{kz}");
    // The illustrative EAEU sample keeps its own rates.
    let (_, sample) = calculate(
        &app,
        json!({"jurisdiction": "EAEU", "date": "2026-03-01", "code": "8703231940", "origin": "CN",
               "value": "10000.00", "currency": "USD"}),
    )
    .await;
    assert_eq!(sample["exchange_rates_from"], "schedule", "{sample}");

    // A replacement is counted and seen by the next calculation.
    let (_, again) =
        put(Some(kz_admin), json!([row("2026-03-02", "504.00"), row("2026-03-03", "506.10")]))
            .await;
    assert_eq!(again, json!({"added": 0, "replaced": 1, "unchanged": 1}));
    let (_, kz) = calculate(&app, request("2026-03-02")).await;
    assert_eq!(kz["customs_value"]["amount"], "5040000.00", "{kz}");
}

/// Issue 18: the rates page lists the stored rates to everyone and lets a KZ administrator paste
/// or upload them, without JavaScript, in three languages; the calculator page then uses them.
#[tokio::test]
async fn issue_18_rates_page_enters_pasted_and_uploaded_rates() {
    let app = TestApp::new().await;
    for lang in ["en", "ru", "zh"] {
        let (status, html) = get_page(&app, "/tariff/rates", lang).await;
        assert_eq!(status, 200, "{html}");
        assert!(html.contains("id=\"no-rates\""), "{html}");
        assert!(html.contains("id=\"rates-readonly\""), "{html}");
        assert!(!html.contains("<script"), "{html}");
    }
    let (session, csrf) = crate::ui::login(&app, "kz-admin").await;
    let cookie = (format!("caravan_session={session}; caravan_lang=ru"), csrf);
    let response = app
        .send(
            Request::get("/tariff/rates")
                .header(header::COOKIE, &cookie.0)
                .body(Body::empty())
                .unwrap(),
        )
        .await;
    let status = response.status().as_u16();
    let html = body_text(response).await;
    assert_eq!(status, 200);
    assert!(html.contains("id=\"enter-rates\"") && html.contains("KZT"), "{html}");
    let request = Multipart::new()
        .field("csrf_token", &cookie.1)
        .field("rates", "2026-03-02,EUR,KZT,545.12,National Bank of Kazakhstan")
        .file(
            "file",
            "nbk.csv",
            "text/csv",
            b"date,from,to,rate,source\n2026-03-02,USD,KZT,505.00,National Bank of Kazakhstan\n",
        )
        .post("/tariff/rates", &cookie.0);
    let response = app.send(request).await;
    let status = response.status().as_u16();
    let html = body_text(response).await;
    assert_eq!(status, 200, "{html}");
    assert!(html.contains("id=\"rates-saved\"") && html.contains("2 / 0 / 0"), "{html}");
    assert!(html.contains("545.12") && html.contains("505"), "{html}");
    // A bad cell is named on the page, and nothing is stored.
    let request = Multipart::new()
        .field("csrf_token", &cookie.1)
        .field("rates", "2026-03-05,EUR,KZT,x,NBK")
        .post("/tariff/rates", &cookie.0);
    let response = app.send(request).await;
    assert_eq!(response.status().as_u16(), 422);
    let html = body_text(response).await;
    assert!(html.contains("column rate"), "{html}");
    assert_eq!(app.state.store.exchange_rates(None, 10).await.unwrap().len(), 2);
    // The calculator page uses the stored rate and says it is the official one entered here.
    let (status, html) = get_page(
        &app,
        "/tariff?jurisdiction=KZ&date=2026-03-02&code=7214100000&origin=CN&value=10000&currency=USD",
        "en",
    )
    .await;
    assert_eq!(status, 200, "{html}");
    assert!(html.contains("official rate entered on this server"), "{html}");
    assert!(html.contains("5050000.00"), "{html}");
    let (status, html) = get_page(
        &app,
        "/tariff?jurisdiction=KZ&date=2026-03-09&code=7214100000&origin=CN&value=10000&currency=USD",
        "en",
    )
    .await;
    assert_eq!(status, 422, "{html}");
    assert!(html.contains("/tariff/rates"), "{html}");
}

/// Issue 18: a line of the ETT that the shipped TN VED list lacks (horse meat, 0205, a heading
/// the list omits) is described by its HS 2022 subheading and says it has no name of its own.
#[tokio::test]
async fn issue_18_lines_missing_from_the_tnved_list_say_so() {
    let app = TestApp::new().await;
    let (status, lines) = app.get("/api/v1/tariff/lines/KZ/0205?date=2026-03-02", None).await;
    assert_eq!(status, 200, "{lines}");
    let all = lines["lines"].as_array().unwrap();
    assert_eq!(all.len(), 2, "{lines}");
    for line in all {
        let text = line["description"].as_str().unwrap();
        assert!(text.contains("horses") && text.contains("no name of its own"), "{line}");
    }
    let (status, html) = get_page(&app, "/tariff/lines/KZ/0205002000?date=2026-03-02", "ru").await;
    assert_eq!(status, 200, "{html}");
    assert!(html.contains("собственного наименования этой позиции в перечне ТН ВЭД нет"), "{html}");
    let (_, hs) = app.get("/api/v1/hs/020500", None).await;
    assert!(hs.to_string().contains(r#""name_source":"hs2022_subheading""#), "{hs}");
}

/// A member state of the EAEU without a schedule of its own is answered from the union's; KZ
/// from its own; a lower-case code is the same jurisdiction.
#[tokio::test]
async fn member_states_map_to_their_schedule() {
    let app = TestApp::new().await;
    let (status, ru) = app.get("/api/v1/tariff/lines/ru/8703231940?date=2026-03-01", None).await;
    assert_eq!(status, 200, "{ru}");
    let (_, eaeu) = app.get("/api/v1/tariff/lines/EAEU/8703231940?date=2026-03-01", None).await;
    assert_eq!(ru["schedule"], eaeu["schedule"], "RU is answered from the EAEU schedule");
    let (status, kz) = app.get("/api/v1/tariff/lines/kz/8703231940?date=2026-03-01", None).await;
    assert_eq!(status, 200, "{kz}");
    assert_eq!(kz["schedule"]["illustrative"], false, "KZ has its real schedule: {kz}");
}
