//! Poverty measurement over HTTP (issue 7): surveys uploaded, columns mapped, reports with confidence intervals and charts.
//!
//! Estimates come from `caravan-poverty` on the stored survey, computed on request. The JSON has
//! the shape of the CLI's RESULT.json (`estimates`, `design`, `warnings`, `lorenz`,
//! `decile_shares`); the CSV has one row per estimate with its 95 % confidence interval. The
//! operations are in [`service`]; the handlers and pages here only read their request and shape
//! the answer.

use axum::Router;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use caravan_poverty::{Estimates, NAMES};
use caravan_refdata::Lang;
use caravan_store::datasets::DatasetKind;
use maud::{PreEscaped, html};
use serde::Deserialize;
use serde_json::Value;
use utoipa::{IntoParams, OpenApi};

use caravan_web::AppState;
use caravan_web::auth::Caller;
use caravan_web::chart;
use caravan_web::error::{ApiError, ApiQuery, ErrorBody};
use caravan_web::i18n::t;
use caravan_web::ui::percent_encode;
use caravan_web::ui::{self, PageCaller};
use caravan_web_datasets::{self as datasets, DatasetKey, upload_form_markup};

pub mod service;

pub use caravan_poverty::ci95;
pub use service::{INTERNATIONAL_LINES, Survey, estimates_csv, measure, read_survey};

caravan_web::strings! { PovertyKey {
    title => ["Poverty and inequality", "Бедность и неравенство", "贫困与不平等"],
    intro => [
        "Upload household-survey microdata, map its columns, set a poverty line and read poverty and inequality estimates with 95 % confidence intervals under the survey design.",
        "Загрузите микроданные обследования домохозяйств, сопоставьте столбцы, задайте черту бедности и получите оценки бедности и неравенства с 95-процентными доверительными интервалами с учётом дизайна выборки.",
        "上传住户调查微观数据，映射各列，设定贫困线，即可在调查设计下得到带 95% 置信区间的贫困与不平等估计。"
    ],
    datasets => ["Your surveys", "Ваши обследования", "您的调查"],
    no_datasets => ["No survey yet: upload one below.", "Обследований пока нет: загрузите ниже.", "尚无调查：请在下方上传。"],
    upload => ["Upload a survey (CSV)", "Загрузить обследование (CSV)", "上传调查（CSV）"],
    upload_hint => [
        "Choose a CSV file with a header row (up to 64 MiB), or paste the text. Scripts use the API: POST /api/v1/datasets?kind=survey&name=…",
        "Выберите файл CSV со строкой заголовков (до 64 МиБ) или вставьте текст. Скрипты используют API: POST /api/v1/datasets?kind=survey&name=…",
        "选择带表头的 CSV 文件（最多 64 MiB），或粘贴文本。脚本请使用 API：POST /api/v1/datasets?kind=survey&name=…"
    ],
    map_columns => ["Map the columns and set the line, then press Compute.", "Сопоставьте столбцы, задайте черту и нажмите «Рассчитать».", "映射各列并设定贫困线，然后点击“计算”。"],
    welfare => ["Welfare (per capita, per day)", "Благосостояние (на душу, в день)", "福利（人均每日）"],
    weight => ["Weight", "Вес", "权重"],
    size => ["Household size (optional)", "Размер домохозяйства (необязательно)", "户规模（可选）"],
    strata => ["Strata (optional)", "Страты (необязательно)", "分层（可选）"],
    psu => ["Primary sampling unit (optional)", "Первичная единица выборки (необязательно)", "初级抽样单位（可选）"],
    none => ["(none)", "(нет)", "（无）"],
    line => ["Poverty line (national, in welfare units)", "Черта бедности (национальная, в единицах благосостояния)", "贫困线（国家线，福利单位）"],
    preset => ["or an international line", "или международная черта", "或国际贫困线"],
    poor_if => ["Poor if welfare is", "Бедный, если благосостояние", "福利低于以下即为贫困"],
    se => ["Standard errors", "Стандартные ошибки", "标准误"],
    compute => ["Compute", "Рассчитать", "计算"],
    estimate => ["Estimate", "Оценка", "估计"],
    value => ["Value", "Значение", "数值"],
    ci => ["95 % confidence interval", "95-процентный доверительный интервал", "95% 置信区间"],
    lorenz => ["Lorenz curve", "Кривая Лоренца", "洛伦兹曲线"],
    download_json => ["Download RESULT.json", "Скачать RESULT.json", "下载 RESULT.json"],
    download_csv => ["Download estimates (CSV)", "Скачать оценки (CSV)", "下载估计（CSV）"],
    compare_with => ["Compare with another survey (same columns)", "Сравнить с другим обследованием (те же столбцы)", "与另一调查比较（相同列）"],
    gic => ["Growth incidence curve", "Кривая распределения роста", "增长发生曲线"],
    uploaded => ["Survey stored. Map its columns below.", "Обследование сохранено. Сопоставьте столбцы ниже.", "调查已保存。请在下方映射各列。"],
    warnings => ["Warnings", "Предупреждения", "警告"],
} }

/// The OpenAPI paths of this module, merged into `caravan_server::openapi`.
#[derive(OpenApi)]
#[openapi(paths(measure_api, compare_api, lorenz_svg))]
pub struct ApiDoc;

/// This module's routes: its API under `/api/v1` and its pages.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/datasets/{id}/poverty", get(measure_api))
        .route("/api/v1/datasets/{id}/poverty/compare/{other}", get(compare_api))
        .route("/poverty", get(poverty_page))
        .route(
            "/poverty/upload",
            post(upload_form).layer(axum::extract::DefaultBodyLimit::max(
                caravan_store::datasets::MAX_DATASET_BYTES + 64 * 1024,
            )),
        )
        .route("/poverty/datasets/{id}", get(dataset_page))
        .route("/poverty/datasets/{id}/lorenz.svg", get(lorenz_svg))
}

/// Column mapping, line and estimator choices (the flags of `caravan poverty measure`).
#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SurveyParams {
    /// Welfare column (>= 0).
    pub welfare: Option<String>,
    /// Sampling weight column (household weight when `size` is given).
    pub weight: Option<String>,
    /// Household size column: person weight = weight x size.
    pub size: Option<String>,
    /// Stratum column.
    pub strata: Option<String>,
    /// PSU column (labels nest within strata).
    pub psu: Option<String>,
    /// Poverty line in welfare units (a national line); or use `preset`.
    pub line: Option<String>,
    /// International line by name: ipl_2021 ($3.00), lmic_2021 ($4.20), umic_2021 ($8.30),
    /// ipl_2017 ($2.15), lmic_2017 ($3.65), umic_2017 ($6.85); welfare must then be in PPP $ a day.
    pub preset: Option<String>,
    /// `lt` (y < z, PIP, default) or `le` (y <= z, convey).
    #[serde(rename = "poor-if", alias = "poor_if")]
    #[param(pattern = r"^(lt|le)?$")]
    pub poor_if: Option<String>,
    /// `pip` (default) or `convey`.
    #[param(pattern = r"^(pip|convey)?$")]
    pub gini: Option<String>,
    /// `none`, `linearized` (default) or `replicate`.
    #[param(pattern = r"^(none|linearized|replicate)?$")]
    pub se: Option<String>,
    /// Replicate weight columns start with this prefix (with `se=replicate`).
    #[serde(rename = "replicate-prefix", alias = "replicate_prefix")]
    pub replicate_prefix: Option<String>,
    /// Single-PSU strata: `adjust` (default), `remove` or `fail`.
    #[serde(rename = "lonely-psu", alias = "lonely_psu")]
    #[param(pattern = r"^(adjust|remove|fail)?$")]
    pub lonely_psu: Option<String>,
    /// `json` (default, RESULT.json) or `csv`.
    #[param(pattern = r"^(json|csv)?$")]
    pub format: Option<String>,
}

/// Poverty and inequality estimates of a stored survey with standard errors: RESULT.json's
/// shape (`estimates`, `design`, `warnings`, `lorenz`, `decile_shares`), or with `format=csv`
/// one row per estimate with its 95 % confidence interval.
#[utoipa::path(get, path = "/api/v1/datasets/{id}/poverty", tag = "poverty", params(("id" = i64, Path), SurveyParams),
    responses((status = 200, body = Object), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn measure_api(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
    ApiQuery(params): ApiQuery<SurveyParams>,
) -> Result<Response, ApiError> {
    let csv = service::choose(params.format.as_deref(), "format", &["json", "csv"])? == 1;
    let (_, (est, result)) = service::estimates(&state, &caller, id, params).await?;
    if csv {
        return Ok((
            [(header::CONTENT_TYPE, "text/csv; charset=utf-8")],
            service::estimates_csv(&est),
        )
            .into_response());
    }
    Ok(axum::Json(result).into_response())
}

/// Two survey rounds at the same line: growth incidence curve, mean and bottom-40 growth,
/// Datt–Ravallion and Shapley decompositions, and people lifted out of poverty with its standard
/// error and a plain-words statement. Standard errors by linearisation.
#[utoipa::path(get, path = "/api/v1/datasets/{id}/poverty/compare/{other}", tag = "poverty",
    params(("id" = i64, Path, description = "the earlier round"), ("other" = i64, Path, description = "the later round"), SurveyParams),
    responses((status = 200, body = Object), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn compare_api(
    State(state): State<AppState>,
    caller: Caller,
    Path((id, other)): Path<(i64, i64)>,
    ApiQuery(params): ApiQuery<SurveyParams>,
) -> Result<axum::Json<Value>, ApiError> {
    Ok(axum::Json(service::comparison(&state, &caller, id, other, params).await?))
}

/// The Lorenz curve chart of estimates.
pub fn lorenz_chart(est: &Estimates, name: &str) -> String {
    let mut points = vec![(0.0, 0.0)];
    points.extend(est.lorenz.iter().map(|p| (p.population_share, p.welfare_share)));
    chart::line_chart(&chart::LineChart {
        title: format!("Lorenz curve, {name}"),
        x_label: "cumulative population share".to_owned(),
        y_label: "cumulative welfare share".to_owned(),
        series: vec![chart::Series { name: name.to_owned(), points }],
        diagonal: true,
    })
}

/// The Lorenz curve of a survey (SVG).
#[utoipa::path(get, path = "/poverty/datasets/{id}/lorenz.svg", tag = "poverty", params(("id" = i64, Path), SurveyParams),
    responses((status = 200, content_type = "image/svg+xml", body = String), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn lorenz_svg(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
    ApiQuery(params): ApiQuery<SurveyParams>,
) -> Result<Response, ApiError> {
    let (dataset, (est, _)) = service::estimates(&state, &caller, id, params).await?;
    Ok(chart::svg_response(lorenz_chart(&est, &dataset.name)))
}

// ---- Pages ----

async fn poverty_page(
    State(state): State<AppState>,
    PageCaller { caller, lang }: PageCaller,
) -> Response {
    list_page(&state, lang, &caller, None).await
}

async fn list_page(
    state: &AppState,
    lang: Lang,
    caller: &Caller,
    error: Option<&ApiError>,
) -> Response {
    let list = match datasets::visible(state, caller, Some(DatasetKind::Survey)).await {
        Ok(l) => l,
        Err(e) => return ui::error_page(lang, Some(caller), &e),
    };
    ui::page(
        error.map_or(StatusCode::OK, |e| e.status),
        ui::layout(
            lang,
            Some(caller),
            t(lang, PovertyKey::title),
            html! {
                h1 { (t(lang, PovertyKey::title)) }
                p { (t(lang, PovertyKey::intro)) }
                @if let Some(e) = error { p.error role="alert" { (e.message) } }
                h2 { (t(lang, PovertyKey::datasets)) }
                @if list.is_empty() { p { (t(lang, PovertyKey::no_datasets)) } } @else {
                    table #datasets {
                        thead { tr { th scope="col" { "#" } th scope="col" { (t(lang, DatasetKey::name)) } th scope="col" { (t(lang, DatasetKey::rows)) } th scope="col" { (t(lang, DatasetKey::columns)) } } }
                        tbody { @for d in &list { tr { td { (d.id) } td { a href={ "/poverty/datasets/" (d.id) } { (d.name) } } td { (d.n_rows) } td { (d.columns.join(", ")) } } } }
                    }
                }
                @if datasets::can_upload_dataset(caller) {
                    (upload_form_markup(lang, caller, "/poverty/upload", t(lang, PovertyKey::upload), t(lang, PovertyKey::upload_hint)))
                }
            },
        ),
    )
}

async fn upload_form(
    State(state): State<AppState>,
    headers: HeaderMap,
    caller: Caller,
    multipart: axum::extract::Multipart,
) -> Response {
    let lang = ui::ui_lang(&headers);
    let form = match datasets::read_upload_form(multipart).await {
        Ok(form) => form,
        Err(e) => return list_page(&state, lang, &caller, Some(&e)).await,
    };
    let params = datasets::UploadParams {
        kind: "survey".to_owned(),
        name: form.name,
        numeric: Some(form.numeric),
        share_all_analysts: None,
    };
    match datasets::create(&state, &caller, &params, form.csv).await {
        Ok(d) => Redirect::to(&format!("/poverty/datasets/{}?uploaded=1", d.id)).into_response(),
        Err(e) => list_page(&state, lang, &caller, Some(&e)).await,
    }
}

/// Query of the survey page besides [`SurveyParams`] (read apart: serde cannot flatten numbers from a query).
#[derive(Debug, Clone, Default, Deserialize)]
pub struct PageParams {
    /// A second survey to compare with.
    pub compare: Option<String>,
    pub uploaded: Option<String>,
}

fn query_string(p: &SurveyParams) -> String {
    let mut pairs = Vec::new();
    for (k, v) in [
        ("welfare", p.welfare.clone()),
        ("weight", p.weight.clone()),
        ("size", p.size.clone()),
        ("strata", p.strata.clone()),
        ("psu", p.psu.clone()),
        ("line", p.line.clone()),
        ("preset", p.preset.clone()),
        ("poor-if", p.poor_if.clone()),
        ("gini", p.gini.clone()),
        ("se", p.se.clone()),
    ] {
        if let Some(v) = v.filter(|v| !v.is_empty()) {
            pairs.push(format!("{k}={}", percent_encode(&v)));
        }
    }
    pairs.join("&")
}

async fn dataset_page(
    State(state): State<AppState>,
    PageCaller { caller, lang }: PageCaller,
    Path(id): Path<i64>,
    axum::extract::Query(analysis): axum::extract::Query<SurveyParams>,
    axum::extract::Query(params): axum::extract::Query<PageParams>,
) -> Response {
    let p = analysis;
    let res = service::report(&state, &caller, id, p.clone()).await;
    let (dataset, computed, error) = match res {
        Ok((d, c)) => (d, c, None),
        Err(e)
            if e.status.is_client_error()
                && e.status != StatusCode::FORBIDDEN
                && e.status != StatusCode::NOT_FOUND =>
        {
            match datasets::readable(&state, &caller, id).await {
                Ok(d) => (d, None, Some(e)),
                _ => return ui::error_page(lang, Some(&caller), &e),
            }
        }
        Err(e) => return ui::error_page(lang, Some(&caller), &e),
    };
    let compare_id = params.compare.as_deref().and_then(|c| c.parse::<i64>().ok());
    let comparison = match (compare_id, &computed) {
        (Some(other), Some(_)) => {
            Some(service::comparison(&state, &caller, id, other, p.clone()).await)
        }
        _ => None,
    };
    let others =
        datasets::visible(&state, &caller, Some(DatasetKind::Survey)).await.unwrap_or_default();
    let qs = query_string(&p);
    let select = |fid: &str,
                  name: &str,
                  label: PovertyKey,
                  chosen: Option<&str>,
                  optional: bool| {
        html! {
            label for=(fid) { (t(lang, label)) }
            select #(fid) name=(name) {
                @if optional { option value="" { (t(lang, PovertyKey::none)) } }
                @for c in &dataset.columns { option value=(c) selected[chosen == Some(c.as_str())] { (c) } }
            }
        }
    };
    let body = html! {
        h1 { (dataset.name) }
        @if params.uploaded.is_some() { p.ok role="status" { (t(lang, PovertyKey::uploaded)) } }
        @if let Some(e) = &error { p.error role="alert" { (e.message) } }
        form.card method="get" action={ "/poverty/datasets/" (id) } {
            p { (t(lang, PovertyKey::map_columns)) }
            (select("p-welfare", "welfare", PovertyKey::welfare, p.welfare.as_deref(), false))
            (select("p-weight", "weight", PovertyKey::weight, p.weight.as_deref(), false))
            (select("p-size", "size", PovertyKey::size, p.size.as_deref(), true))
            (select("p-strata", "strata", PovertyKey::strata, p.strata.as_deref(), true))
            (select("p-psu", "psu", PovertyKey::psu, p.psu.as_deref(), true))
            label for="p-line" { (t(lang, PovertyKey::line)) }
            input #p-line name="line" type="number" step="any" min="0" value=(p.line.clone().unwrap_or_default());
            label for="p-preset" { (t(lang, PovertyKey::preset)) }
            select #p-preset name="preset" {
                option value="" { (t(lang, PovertyKey::none)) }
                @for (name, z, what) in INTERNATIONAL_LINES { option value=(name) selected[p.preset.as_deref() == Some(name)] { "$" (format!("{z:.2}")) " — " (what) } }
            }
            label for="p-poor-if" { (t(lang, PovertyKey::poor_if)) }
            select #p-poor-if name="poor-if" {
                option value="lt" { "< z (World Bank PIP)" }
                option value="le" selected[p.poor_if.as_deref() == Some("le")] { "≤ z (R convey)" }
            }
            label for="p-gini" { "Gini" }
            select #p-gini name="gini" {
                option value="pip" { "PIP" }
                option value="convey" selected[p.gini.as_deref() == Some("convey")] { "convey" }
            }
            label for="p-se" { (t(lang, PovertyKey::se)) }
            select #p-se name="se" {
                option value="linearized" { "Taylor linearisation" }
                option value="none" selected[p.se.as_deref() == Some("none")] { "none" }
            }
            label for="p-compare" { (t(lang, PovertyKey::compare_with)) }
            select #p-compare name="compare" {
                option value="" { (t(lang, PovertyKey::none)) }
                @for d in others.iter().filter(|d| d.id != id) { option value=(d.id) selected[compare_id == Some(d.id)] { (d.name) } }
            }
            button type="submit" { (t(lang, PovertyKey::compute)) }
        }
        @if let Some((est, result)) = &computed {
            p {
                a #download-json href={ "/api/v1/datasets/" (id) "/poverty?" (qs) } download="RESULT.json" { (t(lang, PovertyKey::download_json)) }
                " · "
                a #download-csv href={ "/api/v1/datasets/" (id) "/poverty?format=csv&" (qs) } { (t(lang, PovertyKey::download_csv)) }
            }
            p { (result["design"]["line_label"].as_str().unwrap_or("")) }
            @if !est.warnings.is_empty() { h2 { (t(lang, PovertyKey::warnings)) } ul { @for w in &est.warnings { li { (w) } } } }
            table #estimates {
                thead { tr { th scope="col" { (t(lang, PovertyKey::estimate)) } th scope="col" { (t(lang, PovertyKey::value)) } th scope="col" { "SE" } th scope="col" { (t(lang, PovertyKey::ci)) } } }
                tbody {
                    @for (j, name) in NAMES.iter().enumerate() {
                        @let se = est.se.map(|s| s[j]);
                        tr { td { (name) } td { (format!("{:.6}", est.values[j])) } td { (se.map_or_else(String::new, |s| format!("{s:.6}"))) } td { (ci95(est.values[j], se).map_or_else(String::new, |(lo, hi)| format!("[{lo:.6}, {hi:.6}]"))) } }
                    }
                }
            }
            h2 { (t(lang, PovertyKey::lorenz)) }
            figure #lorenz { (PreEscaped(lorenz_chart(est, &dataset.name))) }
        }
        @match &comparison {
            Some(Ok(cmp)) => {
                h2 { (t(lang, PovertyKey::gic)) }
                @let points: Vec<(f64, f64)> = cmp["gic"].as_array().map(|a| a.iter().filter_map(|g| Some((g["p"].as_f64()?, g["growth"].as_f64()?))).collect()).unwrap_or_default();
                figure #gic { (PreEscaped(chart::line_chart(&chart::LineChart { title: t(lang, PovertyKey::gic).to_owned(), x_label: "percentile".to_owned(), y_label: "growth".to_owned(), series: vec![chart::Series { name: "growth".to_owned(), points }], diagonal: false }))) }
                p #statement { (cmp["people_lifted_out"]["statement"].as_str().unwrap_or("")) }
            }
            Some(Err(e)) => { p.error role="alert" { (e.message) } }
            None => {}
        }
    };
    ui::page(
        error.as_ref().map_or(StatusCode::OK, |e| e.status),
        ui::layout(lang, Some(&caller), &dataset.name, body),
    )
}

/// The feature's link in the main menu, for those who work with datasets.
pub fn navigation() -> Vec<caravan_web::ui::NavLink> {
    use caravan_web::i18n::Key;
    use caravan_web::ui::NavLink;
    vec![NavLink::signed_in(
        "/poverty",
        Key::nav_poverty,
        caravan_web_datasets::service::can_upload_dataset,
    )]
}
