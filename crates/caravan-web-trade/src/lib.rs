//! Trade analytics over HTTP (issue 6): complexity, proximity, concentration and growth on uploaded datasets; tables and charts.
//!
//! Everything is computed on request from the stored dataset with `caravan-complexity` (nothing
//! is cached); output CSVs use the column names of issue 6, like `caravan trade`. The operations
//! are in [`service`]; the handlers and pages here only read their request and shape the answer.

use axum::Router;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use caravan_refdata::Lang;
use caravan_store::datasets::{Dataset, DatasetKind, MAX_DATASET_BYTES};
use maud::{Markup, PreEscaped, html};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, OpenApi, ToSchema};

use caravan_web::AppState;
use caravan_web::auth::Caller;
use caravan_web::chart;
use caravan_web::error::{ApiError, ApiQuery, ErrorBody};
use caravan_web::i18n::t;
use caravan_web::ui::percent_encode;
use caravan_web::ui::{self, PageCaller};
use caravan_web_datasets::{self as datasets, DatasetKey, read_upload_form, upload_form_markup};

pub mod service;

pub use service::{PeriodRun, Run, complexity_csv, run};

caravan_web::strings! { TradeKey {
    title => ["Trade analytics", "Анализ торговли", "贸易分析"],
    intro => [
        "Upload a trade table (one row per year, exporter, product and value), choose its columns, and see economic complexity, comparative advantage, concentration and growth.",
        "Загрузите таблицу торговли (строка на год, экспортёра, товар и стоимость), выберите столбцы и получите экономическую сложность, сравнительные преимущества, концентрацию и рост.",
        "上传贸易表（每行一个年份、出口方、产品和金额），选择列，即可查看经济复杂度、比较优势、集中度和增长。"
    ],
    datasets => ["Your trade datasets", "Ваши наборы данных о торговле", "您的贸易数据集"],
    no_datasets => ["No trade dataset yet: upload one below.", "Наборов данных пока нет: загрузите ниже.", "尚无贸易数据集：请在下方上传。"],
    upload => ["Upload a trade table (CSV)", "Загрузить таблицу торговли (CSV)", "上传贸易表（CSV）"],
    upload_hint => [
        "Choose a CSV file with a header row (up to 64 MiB), or paste the text. Scripts use the API: POST /api/v1/datasets?kind=trade&name=…",
        "Выберите файл CSV со строкой заголовков (до 64 МиБ) или вставьте текст. Скрипты используют API: POST /api/v1/datasets?kind=trade&name=…",
        "选择带表头的 CSV 文件（最多 64 MiB），或粘贴文本。脚本请使用 API：POST /api/v1/datasets?kind=trade&name=…"
    ],
    analyse => ["Analyse", "Анализировать", "分析"],
    choose_columns => ["Choose the columns and options, then press Analyse.", "Выберите столбцы и параметры и нажмите «Анализировать».", "选择列和选项，然后点击“分析”。"],
    col_time => ["Year column", "Столбец года", "年份列"],
    col_location => ["Exporter column", "Столбец экспортёра", "出口方列"],
    col_product => ["Product column", "Столбец товара", "产品列"],
    col_value => ["Value column", "Столбец стоимости", "金额列"],
    rca_threshold => ["RCA threshold", "Порог RCA", "RCA 阈值"],
    convention => ["Convention", "Соглашение", "约定"],
    country => ["Country for the RCA profile and product space", "Страна для профиля RCA и пространства товаров", "用于 RCA 概况和产品空间的国家"],
    period => ["Year", "Год", "年份"],
    eci_table => ["Economic complexity index (ECI), ranked", "Индекс экономической сложности (ECI), по рангу", "经济复杂度指数（ECI）排名"],
    pci_table => ["Product complexity index (PCI), top 50", "Индекс сложности товаров (PCI), первые 50", "产品复杂度指数（PCI）前 50"],
    rank => ["Rank", "Ранг", "排名"],
    location => ["Exporter", "Экспортёр", "出口方"],
    product => ["Product", "Товар", "产品"],
    diversity => ["Diversity", "Диверсификация", "多样性"],
    ubiquity => ["Ubiquity", "Распространённость", "普遍性"],
    profile => ["RCA profile", "Профиль RCA", "RCA 概况"],
    product_space => ["Product space", "Пространство товаров", "产品空间"],
    product_space_hint => [
        "Nodes are products; links are the strongest proximities (a maximum spanning tree plus the strongest other links). Blue: RCA at or above the threshold for the chosen country.",
        "Узлы — товары; связи — самые сильные близости (максимальное остовное дерево и сильнейшие прочие связи). Синий: RCA не ниже порога для выбранной страны.",
        "节点为产品；连线为最强的邻近度（最大生成树加其他最强连线）。蓝色：所选国家 RCA 达到阈值。"
    ],
    concentration => ["Export concentration", "Концентрация экспорта", "出口集中度"],
    growth => ["Growth", "Рост", "增长"],
    growth_hint => [
        "Total value per year, by exporter; the table gives the compound annual growth rate from the first to the last year.",
        "Итоговая стоимость по годам и экспортёрам; в таблице — среднегодовой темп роста от первого до последнего года.",
        "按出口方列出的年度总值；表中为从首年到末年的复合年增长率。"
    ],
    download_csv => ["Download all results (CSV)", "Скачать все результаты (CSV)", "下载全部结果（CSV）"],
    delete => ["Delete dataset", "Удалить набор данных", "删除数据集"],
    uploaded => ["Dataset stored. Choose its columns below.", "Набор данных сохранён. Выберите его столбцы ниже.", "数据集已保存。请在下方选择列。"],
    warnings => ["Warnings", "Предупреждения", "警告"],
    contribution => ["Contribution to total growth", "Вклад в общий рост", "对总增长的贡献"],
    opportunities => ["Opportunities", "Возможности", "机会"],
    opportunities_hint => [
        "Products the country does not export with comparative advantage yet (RCA below the threshold, or no exports at all), nearest first: by density, then complexity outlook gain (COG). Distance is 1 − density.",
        "Товары, которые страна пока не экспортирует со сравнительным преимуществом (RCA ниже порога или экспорта нет), ближайшие первыми: по плотности, затем по выигрышу перспективы сложности (COG). Расстояние — 1 − плотность.",
        "该国尚未具有比较优势出口的产品（RCA 低于阈值或完全没有出口），最近者优先：先按密度，再按复杂度前景收益（COG）排序。距离为 1 − 密度。"
    ],
    no_opportunities => ["No product without comparative advantage in this year.", "В этом году нет товаров без сравнительного преимущества.", "该年份没有缺乏比较优势的产品。"],
    density => ["Density", "Плотность", "密度"],
    distance => ["Distance", "Расстояние", "距离"],
    value => ["Value", "Стоимость", "金额"],
} }

/// The OpenAPI paths of this module, merged into `caravan_server::openapi`.
#[derive(OpenApi)]
#[openapi(paths(
    complexity_api,
    proximity_api,
    mirror_api,
    profile_api,
    opportunities_api,
    concentration_api,
    growth_api,
    product_space_svg,
    growth_svg,
))]
pub struct ApiDoc;

/// This module's routes: its API under `/api/v1` and its pages.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/datasets/{id}/complexity", get(complexity_api))
        .route("/api/v1/datasets/{id}/proximity", get(proximity_api))
        .route("/api/v1/datasets/{id}/mirror", get(mirror_api))
        .route("/api/v1/datasets/{id}/rca-profile", get(profile_api))
        .route("/api/v1/datasets/{id}/opportunities", get(opportunities_api))
        .route("/api/v1/datasets/{id}/concentration", get(concentration_api))
        .route("/api/v1/datasets/{id}/growth", get(growth_api))
        .route("/trade", get(trade_page))
        .route(
            "/trade/upload",
            post(upload_form)
                .layer(axum::extract::DefaultBodyLimit::max(MAX_DATASET_BYTES + 64 * 1024)),
        )
        .route("/trade/datasets/{id}", get(dataset_page))
        .route("/trade/datasets/{id}/delete", post(delete_form))
        .route("/trade/datasets/{id}/product-space.svg", get(product_space_svg))
        .route("/trade/datasets/{id}/growth.svg", get(growth_svg))
}

/// Columns and options of a complexity run (the flags of `caravan trade complexity`).
#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ComplexityParams {
    /// Year (period) column.
    pub time: Option<String>,
    /// Exporter column.
    pub location: Option<String>,
    /// Product column.
    pub product: Option<String>,
    /// Value column (numbers >= 0).
    pub value: Option<String>,
    /// RCA at or above which a product is present (default 1).
    #[serde(rename = "rca-threshold", alias = "rca_threshold")]
    #[param(exclusive_minimum = 0)]
    pub rca_threshold: Option<f64>,
    /// `rca` (default) or `continuous`.
    #[param(pattern = "^(rca|continuous)?$")]
    pub presence: Option<String>,
    /// `symmetric` (default) or `asymmetric`.
    #[param(pattern = "^(symmetric|asymmetric)?$")]
    pub proximity: Option<String>,
    /// `ecomplexity` (default, py-ecomplexity) or `stata`.
    #[param(pattern = "^(ecomplexity|stata)?$")]
    pub convention: Option<String>,
    /// Sum rows with the same (time, location, product) instead of rejecting them.
    #[serde(rename = "sum-duplicates", alias = "sum_duplicates")]
    pub sum_duplicates: Option<bool>,
    /// `json` (default) or `csv` (issue 6's columns, the same bytes as `caravan trade complexity`).
    #[param(pattern = "^(json|csv)?$")]
    pub format: Option<String>,
    /// Cells of the CSV: `panel` (default; every exporter x product of each period, as
    /// py-ecomplexity 0.5.3, absent cells with value 0) or `input` (the input rows only).
    #[param(pattern = "^(panel|input)?$")]
    pub cells: Option<String>,
    /// The exporter of the RCA profile and product space.
    pub country: Option<String>,
    /// The year of the RCA profile and product space (default: the last).
    pub period: Option<String>,
}

/// A ranked ECI row.
#[derive(Debug, Serialize, ToSchema)]
pub struct EciRow {
    pub rank: usize,
    pub location: String,
    pub eci: Option<f64>,
    pub diversity: f64,
    pub coi: Option<f64>,
}

/// A ranked PCI row.
#[derive(Debug, Serialize, ToSchema)]
pub struct PciRow {
    pub rank: usize,
    pub product: String,
    pub pci: Option<f64>,
    pub ubiquity: f64,
}

/// Ranked tables of one period.
#[derive(Debug, Serialize, ToSchema)]
pub struct PeriodTables {
    pub time: String,
    pub n_locations: usize,
    pub n_products: usize,
    pub warnings: Vec<String>,
    pub eci: Vec<EciRow>,
    pub pci: Vec<PciRow>,
}

/// `GET /api/v1/datasets/{id}/complexity` in JSON.
#[derive(Debug, Serialize, ToSchema)]
pub struct ComplexityResponse {
    pub dataset_id: i64,
    pub periods: Vec<PeriodTables>,
}

/// Economic complexity of every period: ranked ECI and PCI tables (JSON), or with `format=csv`
/// the full table of issue 6 (`<time>,<location>,<product>,<value>,rca,mcp,diversity,ubiquity,eci,pci,density,coi,cog`).
#[utoipa::path(get, path = "/api/v1/datasets/{id}/complexity", tag = "trade", params(("id" = i64, Path), ComplexityParams),
    responses((status = 200, body = ComplexityResponse), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn complexity_api(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
    ApiQuery(params): ApiQuery<ComplexityParams>,
) -> Result<Response, ApiError> {
    let csv = service::wants_csv(params.format.as_deref())?;
    let cells = service::cell_set(params.cells.as_deref())?;
    let run = service::complexity_run(&state, &caller, id, params).await?;
    if csv {
        return Ok(csv_attachment(format!("complexity-{id}.csv"), complexity_csv(&run, cells)));
    }
    let periods = run.periods.iter().map(service::period_tables).collect();
    Ok(axum::Json(ComplexityResponse { dataset_id: id, periods }).into_response())
}

/// A CSV body offered for download as `name`.
fn csv_attachment(name: String, body: String) -> Response {
    let disposition = format!("attachment; filename=\"{name}\"");
    (
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_owned()),
            (header::CONTENT_DISPOSITION, disposition),
        ],
        body,
    )
        .into_response()
}

/// Product proximity of every period as CSV, `time,product_1,product_2,proximity` (every
/// ordered pair, as `caravan trade proximity` writes it), with the options of the complexity
/// endpoint.
#[utoipa::path(get, path = "/api/v1/datasets/{id}/proximity", tag = "trade", params(("id" = i64, Path), ComplexityParams),
    responses((status = 200, content_type = "text/csv", body = String), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn proximity_api(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
    ApiQuery(params): ApiQuery<ComplexityParams>,
) -> Result<Response, ApiError> {
    let out = service::proximity_csv(&state, &caller, id, params).await?;
    Ok(csv_attachment(format!("proximity-{id}.csv"), out))
}

/// Query of the mirror endpoint: the dataset's columns.
#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct MirrorParams {
    /// Reporting country column.
    pub reporter: Option<String>,
    /// Partner country column.
    pub partner: Option<String>,
    /// Flow column: `X`/`Export` or `M`/`Import` (UN Comtrade's codes or words).
    pub flow: Option<String>,
    /// Value column (numbers >= 0).
    pub value: Option<String>,
    /// Period column, when the dataset has several.
    pub time: Option<String>,
    /// Product column, to compare product by product.
    pub product: Option<String>,
    /// `json` (default) or `csv` (`time,exporter,importer,product,exports_reported,imports_reported,difference,ratio`).
    #[param(pattern = "^(json|csv)?$")]
    pub format: Option<String>,
}

/// One flow from exporter to importer as each side reported it.
#[derive(Debug, Serialize, ToSchema)]
pub struct MirrorFlow {
    pub time: String,
    pub exporter: String,
    pub importer: String,
    pub product: String,
    pub exports_reported: Option<f64>,
    pub imports_reported: Option<f64>,
    /// Importer's report minus exporter's report, when both reported.
    pub difference: Option<f64>,
    /// Importer's report over exporter's report (CIF/FOB, usually a little above 1).
    pub ratio: Option<f64>,
}

/// Mirror comparison (UN Comtrade "mirror statistics"): each exporter's reported exports
/// against the importer's reported imports of the same period and product.
#[utoipa::path(get, path = "/api/v1/datasets/{id}/mirror", tag = "trade", params(("id" = i64, Path), MirrorParams),
    responses((status = 200, body = Vec<MirrorFlow>), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn mirror_api(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
    ApiQuery(params): ApiQuery<MirrorParams>,
) -> Result<Response, ApiError> {
    let csv = service::wants_csv(params.format.as_deref())?;
    let flows = service::mirror(&state, &caller, id, params).await?;
    if !csv {
        return Ok(axum::Json(flows).into_response());
    }
    Ok(csv_attachment(format!("mirror-{id}.csv"), service::mirror_csv(&flows)))
}

/// One product in a country's RCA profile.
#[derive(Debug, Serialize, ToSchema)]
pub struct ProfileRow {
    pub product: String,
    pub value: f64,
    pub rca: Option<f64>,
    pub mcp: f64,
    pub density: Option<f64>,
    pub cog: Option<f64>,
    pub pci: Option<f64>,
}

/// A country's RCA profile in one period, products by RCA descending.
#[derive(Debug, Serialize, ToSchema)]
pub struct Profile {
    pub time: String,
    pub location: String,
    pub eci: Option<f64>,
    pub diversity: f64,
    pub products: Vec<ProfileRow>,
}

/// A country's RCA profile: every product with RCA, presence, density, COG and PCI, by RCA.
#[utoipa::path(get, path = "/api/v1/datasets/{id}/rca-profile", tag = "trade", params(("id" = i64, Path), ComplexityParams),
    responses((status = 200, body = Profile), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn profile_api(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
    ApiQuery(params): ApiQuery<ComplexityParams>,
) -> Result<axum::Json<Profile>, ApiError> {
    Ok(axum::Json(service::rca_profile(&state, &caller, id, params).await?))
}

/// A product a country does not export with comparative advantage yet.
#[derive(Debug, Serialize, ToSchema)]
pub struct OpportunityRow {
    pub rank: usize,
    pub product: String,
    /// The country's exports of the product (0 when absent from the dataset).
    pub value: f64,
    pub rca: Option<f64>,
    pub density: Option<f64>,
    /// `1 - density`.
    pub distance: Option<f64>,
    pub cog: Option<f64>,
    pub pci: Option<f64>,
}

/// A country's diversification opportunities in one period (`caravan_complexity::opportunities`):
/// products without presence (M = 0), by density, then COG, descending.
#[derive(Debug, Serialize, ToSchema)]
pub struct Opportunities {
    pub time: String,
    pub location: String,
    pub products: Vec<OpportunityRow>,
}

/// A country's diversification opportunities: the products it does not export with comparative
/// advantage yet (including those absent from the dataset), ranked by density, then COG.
#[utoipa::path(get, path = "/api/v1/datasets/{id}/opportunities", tag = "trade", params(("id" = i64, Path), ComplexityParams),
    responses((status = 200, body = Opportunities), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn opportunities_api(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
    ApiQuery(params): ApiQuery<ComplexityParams>,
) -> Result<axum::Json<Opportunities>, ApiError> {
    Ok(axum::Json(service::country_opportunities(&state, &caller, id, params).await?))
}

/// A concentration row (issue 6's columns).
#[derive(Debug, Serialize, ToSchema)]
pub struct ConcentrationRow {
    pub time: Option<String>,
    pub location: String,
    pub hhi: Option<f64>,
    pub hhi_normalized: Option<f64>,
    pub unctad_concentration: Option<f64>,
    pub finger_kreinin: Option<f64>,
    pub theil: Option<f64>,
    pub top1_share: Option<f64>,
    pub top5_share: Option<f64>,
    pub n_products: usize,
    pub n_rca_ge_1: usize,
}

/// Export concentration and diversification by exporter (and period): HHI, normalised HHI,
/// UNCTAD index, Finger–Kreinin, Theil, top-k shares, products exported and with RCA >= 1.
/// `time` is optional here; `format=csv` gives issue 6's columns.
#[utoipa::path(get, path = "/api/v1/datasets/{id}/concentration", tag = "trade", params(("id" = i64, Path), ComplexityParams),
    responses((status = 200, body = Vec<ConcentrationRow>), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn concentration_api(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
    ApiQuery(params): ApiQuery<ComplexityParams>,
) -> Result<Response, ApiError> {
    let csv = params.format.as_deref() == Some("csv");
    let with_time = service::concentration_has_time(&params);
    let rows = service::concentration_of(&state, &caller, id, params).await?;
    if csv {
        return Ok((
            [(header::CONTENT_TYPE, "text/csv; charset=utf-8")],
            service::concentration_csv(&rows, with_time),
        )
            .into_response());
    }
    Ok(axum::Json(rows).into_response())
}

/// Query of the growth endpoints.
#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct GrowthParams {
    /// Year column (numeric years).
    pub time: Option<String>,
    /// Value column.
    pub value: Option<String>,
    /// Group column (e.g. partner or exporter); without it, the total.
    pub group: Option<String>,
    /// First year (default: the earliest).
    pub from: Option<String>,
    /// Last year (default: the latest).
    pub to: Option<String>,
}

/// Growth of one group (the CLI's `caravan trade growth` columns).
#[derive(Debug, Serialize, ToSchema)]
pub struct GrowthRow {
    pub group: String,
    pub from: String,
    pub to: String,
    pub periods: f64,
    pub value_from: f64,
    pub value_to: f64,
    pub cagr: Option<f64>,
    pub growth: Option<f64>,
    pub share_from: Option<f64>,
    pub share_to: Option<f64>,
    pub contribution: Option<f64>,
}

/// Growth: the table, and the value series per group for the chart.
#[derive(Debug, Serialize, ToSchema)]
pub struct GrowthResponse {
    pub rows: Vec<GrowthRow>,
    /// Per group: (year, total value) in year order.
    #[schema(value_type = Object)]
    pub series: Vec<(String, Vec<(f64, f64)>)>,
}

/// Growth by group between two years: CAGR over `to - from` periods, period growth, shares and
/// contributions to the total's growth, plus each group's yearly totals.
#[utoipa::path(get, path = "/api/v1/datasets/{id}/growth", tag = "trade", params(("id" = i64, Path), GrowthParams),
    responses((status = 200, body = GrowthResponse), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn growth_api(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
    ApiQuery(params): ApiQuery<GrowthParams>,
) -> Result<axum::Json<GrowthResponse>, ApiError> {
    let growth = service::growth_of(&state, &caller, id, params).await?;
    Ok(axum::Json(GrowthResponse { rows: growth.rows, series: growth.series }))
}

fn growth_chart(res: &service::Growth, value: &str) -> String {
    chart::line_chart(&chart::LineChart {
        title: format!("{value} by year"),
        x_label: "year".to_owned(),
        y_label: value.to_owned(),
        series: res
            .series
            .iter()
            .map(|(name, points)| chart::Series { name: name.clone(), points: points.clone() })
            .collect(),
        diagonal: false,
    })
}

/// The growth chart (SVG line chart, one series per group).
#[utoipa::path(get, path = "/trade/datasets/{id}/growth.svg", tag = "trade", params(("id" = i64, Path), GrowthParams),
    responses((status = 200, content_type = "image/svg+xml", body = String), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 422, description = "Not a trade dataset, or a parameter names what it does not hold", body = ErrorBody)))]
pub async fn growth_svg(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
    ApiQuery(params): ApiQuery<GrowthParams>,
) -> Result<Response, ApiError> {
    let value = params.value.clone().unwrap_or_default();
    let res = service::growth_of(&state, &caller, id, params).await?;
    Ok(chart::svg_response(growth_chart(&res, &value)))
}

/// The product space as SVG: products linked by their strongest proximities, laid out by a
/// deterministic force-directed layout, coloured by the chosen country's RCA.
#[utoipa::path(get, path = "/trade/datasets/{id}/product-space.svg", tag = "trade", params(("id" = i64, Path), ComplexityParams),
    responses((status = 200, content_type = "image/svg+xml", body = String), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn product_space_svg(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
    ApiQuery(params): ApiQuery<ComplexityParams>,
) -> Result<Response, ApiError> {
    let svg = service::product_space_of(&state, &caller, id, params).await?;
    Ok(chart::svg_response(svg))
}

// ---- Pages ----

async fn trade_page(
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
    let list = match datasets::visible(state, caller, Some(DatasetKind::Trade)).await {
        Ok(l) => l,
        Err(e) => return ui::error_page(lang, Some(caller), &e),
    };
    let status = error.map_or(StatusCode::OK, |e| e.status);
    ui::page(
        status,
        ui::layout(
            lang,
            Some(caller),
            t(lang, TradeKey::title),
            html! {
                h1 { (t(lang, TradeKey::title)) }
                p { (t(lang, TradeKey::intro)) }
                @if let Some(e) = error { p.error role="alert" { (e.message) } }
                h2 { (t(lang, TradeKey::datasets)) }
                @if list.is_empty() { p #no-datasets { (t(lang, TradeKey::no_datasets)) } } @else {
                    table #datasets {
                        thead { tr { th scope="col" { "#" } th scope="col" { (t(lang, DatasetKey::name)) } th scope="col" { (t(lang, DatasetKey::rows)) } th scope="col" { (t(lang, DatasetKey::columns)) } } }
                        tbody { @for d in &list { tr { td { (d.id) } td { a href={ "/trade/datasets/" (d.id) } { (d.name) } } td { (d.n_rows) } td { (d.columns.join(", ")) } } } }
                    }
                }
                @if datasets::can_upload_dataset(caller) {
                    (upload_form_markup(lang, caller, "/trade/upload", t(lang, TradeKey::upload), t(lang, TradeKey::upload_hint)))
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
    let form = match read_upload_form(multipart).await {
        Ok(form) => form,
        Err(e) => return list_page(&state, lang, &caller, Some(&e)).await,
    };
    let params = datasets::UploadParams {
        kind: "trade".to_owned(),
        name: form.name,
        numeric: Some(form.numeric),
        share_all_analysts: None,
    };
    match datasets::create(&state, &caller, &params, form.csv).await {
        Ok(d) => Redirect::to(&format!("/trade/datasets/{}?uploaded=1", d.id)).into_response(),
        Err(e) => list_page(&state, lang, &caller, Some(&e)).await,
    }
}

async fn delete_form(
    State(state): State<AppState>,
    headers: HeaderMap,
    caller: Caller,
    Path(id): Path<i64>,
) -> Response {
    let lang = ui::ui_lang(&headers);
    match datasets::remove(&state, &caller, id).await {
        Ok(()) => Redirect::to("/trade").into_response(),
        Err(e) => ui::error_page(lang, Some(&caller), &e),
    }
}

/// Query of the dataset page besides [`ComplexityParams`] (read apart: serde cannot flatten numbers from a query).
#[derive(Debug, Clone, Default, Deserialize)]
pub struct PageParams {
    pub uploaded: Option<String>,
}

fn column_select(
    lang: Lang,
    id: &str,
    name: &str,
    label: TradeKey,
    columns: &[String],
    chosen: Option<&str>,
    guess: &[&str],
) -> Markup {
    let guessed = chosen
        .map(str::to_owned)
        .or_else(|| columns.iter().find(|c| guess.contains(&c.to_lowercase().as_str())).cloned());
    html! {
        label for=(id) { (t(lang, label)) }
        select #(id) name=(name) {
            @for c in columns { option value=(c) selected[guessed.as_deref() == Some(c.as_str())] { (c) } }
        }
    }
}

fn query_string(p: &ComplexityParams) -> String {
    let mut pairs = Vec::new();
    let mut push = |k: &str, v: Option<String>| {
        if let Some(v) = v.filter(|v| !v.is_empty()) {
            pairs.push(format!("{k}={}", percent_encode(&v)));
        }
    };
    push("time", p.time.clone());
    push("location", p.location.clone());
    push("product", p.product.clone());
    push("value", p.value.clone());
    push("rca-threshold", p.rca_threshold.map(|x| x.to_string()));
    push("convention", p.convention.clone());
    push("country", p.country.clone());
    push("period", p.period.clone());
    pairs.join("&")
}

fn fmt(x: Option<f64>, digits: usize) -> String {
    x.map_or_else(|| "—".to_owned(), |v| format!("{v:.digits$}"))
}

async fn dataset_page(
    State(state): State<AppState>,
    PageCaller { caller, lang }: PageCaller,
    Path(id): Path<i64>,
    axum::extract::Query(analysis): axum::extract::Query<ComplexityParams>,
    axum::extract::Query(params): axum::extract::Query<PageParams>,
) -> Response {
    let p = analysis;
    let (dataset, computed) = match service::analysis(&state, &caller, id, p.clone()).await {
        Ok(x) => x,
        Err(e)
            if e.status.is_client_error()
                && e.status != StatusCode::FORBIDDEN
                && e.status != StatusCode::NOT_FOUND =>
        {
            // Show the form again with the reason, so the analyst can fix the choice.
            match datasets::readable(&state, &caller, id).await {
                Ok(d) => return analysis_page(lang, &caller, &d, &p, None, Some(&e), false),
                _ => return ui::error_page(lang, Some(&caller), &e),
            }
        }
        Err(e) => return ui::error_page(lang, Some(&caller), &e),
    };
    analysis_page(lang, &caller, &dataset, &p, computed.as_ref(), None, params.uploaded.is_some())
}

fn analysis_page(
    lang: Lang,
    caller: &Caller,
    d: &Dataset,
    p: &ComplexityParams,
    computed: Option<&service::Analysis>,
    error: Option<&ApiError>,
    uploaded: bool,
) -> Response {
    let qs = query_string(p);
    let status = error.map_or(StatusCode::OK, |e| e.status);
    let body = html! {
        h1 { (d.name) }
        @if uploaded { p.ok role="status" { (t(lang, TradeKey::uploaded)) } }
        @if let Some(e) = error { p.error role="alert" { (e.message) } }
        p { (d.n_rows) " " (t(lang, DatasetKey::rows)) " · " (t(lang, DatasetKey::columns)) ": " (d.columns.join(", ")) }
        form.card method="get" action={ "/trade/datasets/" (d.id) } {
            p { (t(lang, TradeKey::choose_columns)) }
            (column_select(lang, "c-time", "time", TradeKey::col_time, &d.columns, p.time.as_deref(), &["year", "time", "t"]))
            (column_select(lang, "c-location", "location", TradeKey::col_location, &d.columns, p.location.as_deref(), &["exporter", "country", "location", "country_id", "reporter"]))
            (column_select(lang, "c-product", "product", TradeKey::col_product, &d.columns, p.product.as_deref(), &["product", "hs", "hs4", "hs6", "product_id", "sitc"]))
            (column_select(lang, "c-value", "value", TradeKey::col_value, &d.columns, p.value.as_deref(), &["value", "export_value", "exports", "trade_value"]))
            label for="c-threshold" { (t(lang, TradeKey::rca_threshold)) }
            input #c-threshold name="rca-threshold" type="number" step="any" min="0" value=(p.rca_threshold.unwrap_or(1.0));
            label for="c-convention" { (t(lang, TradeKey::convention)) }
            select #c-convention name="convention" {
                option value="ecomplexity" selected[p.convention.as_deref() != Some("stata")] { "py-ecomplexity (Atlas)" }
                option value="stata" selected[p.convention.as_deref() == Some("stata")] { "Stata ecomplexity" }
            }
            label for="c-country" { (t(lang, TradeKey::country)) }
            input #c-country name="country" value=(p.country.clone().unwrap_or_default());
            label for="c-period" { (t(lang, TradeKey::period)) }
            input #c-period name="period" value=(p.period.clone().unwrap_or_default());
            button type="submit" { (t(lang, TradeKey::analyse)) }
        }
        @if let Some(service::Analysis { run, concentration: conc, profile: prof, opportunities: opp, product_space: svg, growth }) = computed {
            p { a #download-csv href={ "/api/v1/datasets/" (d.id) "/complexity?format=csv&" (qs) } { (t(lang, TradeKey::download_csv)) } }
            @if let Ok(period) = service::pick_period(run, p.period.as_deref()) {
                @let tables = service::period_tables(period);
                @if !tables.warnings.is_empty() {
                    h2 { (t(lang, TradeKey::warnings)) }
                    ul { @for w in &tables.warnings { li { (w) } } }
                }
                h2 { (t(lang, TradeKey::eci_table)) " — " (period.time) }
                table #eci {
                    thead { tr { th scope="col" { (t(lang, TradeKey::rank)) } th scope="col" { (t(lang, TradeKey::location)) } th scope="col" { "ECI" } th scope="col" { (t(lang, TradeKey::diversity)) } th scope="col" { "COI" } } }
                    tbody { @for r in &tables.eci { tr { td { (r.rank) } td { (r.location) } td { (fmt(r.eci, 3)) } td { (r.diversity) } td { (fmt(r.coi, 3)) } } } }
                }
                h2 { (t(lang, TradeKey::pci_table)) }
                table #pci {
                    thead { tr { th scope="col" { (t(lang, TradeKey::rank)) } th scope="col" { (t(lang, TradeKey::product)) } th scope="col" { "PCI" } th scope="col" { (t(lang, TradeKey::ubiquity)) } } }
                    tbody { @for r in tables.pci.iter().take(50) { tr { td { (r.rank) } td { (r.product) } td { (fmt(r.pci, 3)) } td { (r.ubiquity) } } } }
                }
            }
            @if let Some(prof) = prof {
                h2 { (t(lang, TradeKey::profile)) ": " (prof.location) " (" (prof.time) ")" }
                table #rca-profile {
                    thead { tr { th scope="col" { (t(lang, TradeKey::product)) } th scope="col" { "RCA" } th scope="col" { "M" } th scope="col" { "density" } th scope="col" { "COG" } th scope="col" { "PCI" } } }
                    tbody { @for r in prof.products.iter().take(30) { tr { td { (r.product) } td { (fmt(r.rca, 2)) } td { (r.mcp) } td { (fmt(r.density, 3)) } td { (fmt(r.cog, 3)) } td { (fmt(r.pci, 3)) } } } }
                }
            }
            @if let Some(opp) = opp {
                h2 { (t(lang, TradeKey::opportunities)) ": " (opp.location) " (" (opp.time) ")" }
                p { (t(lang, TradeKey::opportunities_hint)) }
                @if opp.products.is_empty() {
                    p { (t(lang, TradeKey::no_opportunities)) }
                } @else {
                    table #opportunities {
                        thead { tr { th scope="col" { (t(lang, TradeKey::rank)) } th scope="col" { (t(lang, TradeKey::product)) } th scope="col" { (t(lang, TradeKey::value)) } th scope="col" { "RCA" } th scope="col" { (t(lang, TradeKey::density)) } th scope="col" { (t(lang, TradeKey::distance)) } th scope="col" { "COG" } th scope="col" { "PCI" } } }
                        tbody { @for r in opp.products.iter().take(30) { tr { td { (r.rank) } td { (r.product) } td { (r.value) } td { (fmt(r.rca, 2)) } td { (fmt(r.density, 3)) } td { (fmt(r.distance, 3)) } td { (fmt(r.cog, 3)) } td { (fmt(r.pci, 3)) } } } }
                    }
                }
            }
            h2 { (t(lang, TradeKey::product_space)) }
            p { (t(lang, TradeKey::product_space_hint)) }
            figure #product-space { (PreEscaped(svg)) }
            h2 { (t(lang, TradeKey::concentration)) }
            table #concentration {
                thead { tr { th scope="col" { (t(lang, TradeKey::period)) } th scope="col" { (t(lang, TradeKey::location)) } th scope="col" { "HHI" } th scope="col" { "UNCTAD" } th scope="col" { "Finger–Kreinin" } th scope="col" { "Theil" } th scope="col" { "top 5" } th scope="col" { "RCA ≥ 1" } } }
                tbody { @for r in conc { tr { td { (r.time.clone().unwrap_or_default()) } td { (r.location) } td { (fmt(r.hhi, 3)) } td { (fmt(r.unctad_concentration, 3)) } td { (fmt(r.finger_kreinin, 3)) } td { (fmt(r.theil, 3)) } td { (fmt(r.top5_share, 3)) } td { (r.n_rca_ge_1) } } } }
            }
            @if run.periods.len() > 1 {
                @let gq = format!("time={}&value={}&group={}", percent_encode(&run.names[0]), percent_encode(&run.names[3]), percent_encode(&run.names[1]));
                h2 { (t(lang, TradeKey::growth)) }
                p { (t(lang, TradeKey::growth_hint)) }
                figure { img #growth-chart src={ "/trade/datasets/" (d.id) "/growth.svg?" (gq) } alt=(t(lang, TradeKey::growth)) width="720" height="420"; }
                @if let Some(g) = growth {
                    table #growth {
                        thead { tr { th scope="col" { (t(lang, TradeKey::location)) } th scope="col" { (g.rows.first().map(|r| r.from.clone()).unwrap_or_default()) } th scope="col" { (g.rows.first().map(|r| r.to.clone()).unwrap_or_default()) } th scope="col" { "CAGR %" } th scope="col" { (t(lang, TradeKey::growth)) " %" } th scope="col" { (t(lang, TradeKey::contribution)) } } }
                        tbody { @for r in &g.rows { tr { td { (r.group) } td { (r.value_from) } td { (r.value_to) } td { (fmt(r.cagr.map(|x| 100.0 * x), 2)) } td { (fmt(r.growth.map(|x| 100.0 * x), 2)) } td { (fmt(r.contribution, 3)) } } } }
                    }
                }
            }
        }
        @if datasets::can_delete_dataset(caller, d) {
            form method="post" action={ "/trade/datasets/" (d.id) "/delete" } {
                input type="hidden" name="csrf_token" value=(caller.csrf_token());
                button type="submit" { (t(lang, TradeKey::delete)) }
            }
        }
    };
    ui::page(status, ui::layout(lang, Some(caller), &d.name, body))
}

/// The feature's link in the main menu, for those who work with datasets.
pub fn navigation() -> Vec<caravan_web::ui::NavLink> {
    use caravan_web::i18n::Key;
    use caravan_web::ui::NavLink;
    vec![NavLink::signed_in(
        "/trade",
        Key::nav_trade,
        caravan_web_datasets::service::can_upload_dataset,
    )]
}
