//! Trade analytics over HTTP (issue 6): complexity, proximity, concentration and growth on uploaded datasets; tables and charts.
//!
//! Everything is computed on request from the stored dataset with `caravan-complexity` (nothing
//! is cached); output CSVs use the column names of issue 6, like `caravan trade`.

use std::collections::HashMap;
use std::fmt::Write as _;

use axum::Router;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use caravan_complexity::{
    Cell, CellSet, Complexity, ComplexityConfig, Convention, Presence, ProximityKind, cell_header,
    complexity, concentration, csv_field, group_growth, opportunities, panel_cells, push_cell_row,
};
use caravan_refdata::Lang;
use caravan_store::datasets::{Dataset, DatasetKind, MAX_DATASET_BYTES};
use maud::{Markup, PreEscaped, html};
use ndarray::Array2;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, OpenApi, ToSchema};

use caravan_web::AppState;
use caravan_web::auth::Caller;
use caravan_web::chart;
use caravan_web::error::{ApiError, ApiQuery, ErrorBody};
use caravan_web::i18n::t;
use caravan_web::ui::percent_encode;
use caravan_web::ui::{self, PageCaller};
use caravan_web_datasets::{
    self as datasets, DatasetKey, Table, read_upload_form, upload_form_markup,
};

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

fn required<'a>(value: Option<&'a str>, field: &str) -> Result<&'a str, ApiError> {
    value.filter(|v| !v.trim().is_empty()).ok_or_else(|| {
        ApiError::bad_request(
            "request.missing_field",
            format!("{field} is required: name the dataset's column"),
        )
        .with_field(field)
    })
}

fn config_of(
    params: &ComplexityParams,
    keep_proximity: bool,
) -> Result<ComplexityConfig, ApiError> {
    let choice = |value: Option<&str>, field: &str, options: &[&str]| -> Result<usize, ApiError> {
        match value {
            None | Some("") => Ok(0),
            Some(v) => options.iter().position(|o| *o == v).ok_or_else(|| {
                ApiError::bad_request(
                    "request.invalid_option",
                    format!("{field} must be one of {}, got {v:?}", options.join(", ")),
                )
                .with_field(field)
            }),
        }
    };
    let threshold = params.rca_threshold.unwrap_or(1.0);
    if !(threshold.is_finite() && threshold > 0.0) {
        return Err(ApiError::bad_request(
            "request.invalid_option",
            format!("rca-threshold must be a positive number, got {threshold}"),
        )
        .with_field("rca-threshold"));
    }
    let presence = choice(params.presence.as_deref(), "presence", &["rca", "continuous"])?;
    let proximity = choice(params.proximity.as_deref(), "proximity", &["symmetric", "asymmetric"])?;
    let convention = choice(params.convention.as_deref(), "convention", &["ecomplexity", "stata"])?;
    if presence == 1 && proximity == 1 {
        return Err(ApiError::bad_request(
            "request.invalid_option",
            "asymmetric proximity is defined for presence=rca only",
        )
        .with_field("proximity"));
    }
    Ok(ComplexityConfig {
        rca_threshold: threshold,
        presence: if presence == 1 { Presence::Continuous } else { Presence::Rca },
        proximity: if proximity == 1 {
            ProximityKind::Asymmetric
        } else {
            ProximityKind::Symmetric
        },
        convention: if convention == 1 { Convention::Stata } else { Convention::Ecomplexity },
        keep_proximity,
    })
}

/// One period's dense table and results.
pub struct PeriodRun {
    pub time: String,
    pub locations: Vec<String>,
    pub products: Vec<String>,
    pub values: Array2<f64>,
    pub result: Complexity,
}

/// A complexity run over every period of a dataset.
pub struct Run {
    pub names: [String; 4],
    pub periods: Vec<PeriodRun>,
    /// Per input row: (period, local location, local product, value).
    pub cells: Vec<(usize, usize, usize, f64)>,
}

fn intern(map: &mut HashMap<String, usize>, names: &mut Vec<String>, label: &str) -> usize {
    if let Some(&idx) = map.get(label) {
        return idx;
    }
    names.push(label.to_owned());
    map.insert(label.to_owned(), names.len() - 1);
    names.len() - 1
}

/// Splits the table into periods (absent cells are 0) and runs [`complexity`] on each.
///
/// # Errors
/// 4xx naming the parameter, row and column for unknown columns, bad values or duplicates.
pub fn run(
    table: &Table,
    params: &ComplexityParams,
    keep_proximity: bool,
) -> Result<Run, ApiError> {
    let names = [
        required(params.time.as_deref(), "time")?.to_owned(),
        required(params.location.as_deref(), "location")?.to_owned(),
        required(params.product.as_deref(), "product")?.to_owned(),
        required(params.value.as_deref(), "value")?.to_owned(),
    ];
    let config = config_of(params, keep_proximity)?;
    let time_col = table.column(&names[0], "time")?;
    let location_col = table.column(&names[1], "location")?;
    let product_col = table.column(&names[2], "product")?;
    let value_col = table.column(&names[3], "value")?;
    let values = table.numbers(value_col, &names[3], true)?;
    let (times, locations, products) =
        (table.texts(time_col), table.texts(location_col), table.texts(product_col));

    let mut time_index = HashMap::new();
    let mut time_names = Vec::new();
    struct Acc {
        loc: HashMap<String, usize>,
        locs: Vec<String>,
        prod: HashMap<String, usize>,
        prods: Vec<String>,
        first_row: HashMap<(usize, usize), usize>,
    }
    let mut accs: Vec<Acc> = Vec::new();
    let mut cells = Vec::with_capacity(values.len());
    for row in 0..values.len() {
        let t = intern(&mut time_index, &mut time_names, times[row]);
        if t == accs.len() {
            accs.push(Acc {
                loc: HashMap::new(),
                locs: Vec::new(),
                prod: HashMap::new(),
                prods: Vec::new(),
                first_row: HashMap::new(),
            });
        }
        let acc = &mut accs[t];
        let l = intern(&mut acc.loc, &mut acc.locs, locations[row]);
        let p = intern(&mut acc.prod, &mut acc.prods, products[row]);
        if let Some(&first) = acc.first_row.get(&(l, p)) {
            if !params.sum_duplicates.unwrap_or(false) {
                return Err(ApiError::unprocessable(
                    "dataset.duplicate_row",
                    format!(
                        "rows {} and {} both give {} {:?}, {} {:?}, {} {:?}; remove one or pass sum-duplicates=true",
                        first + 2, row + 2, names[0], times[row], names[1], locations[row], names[2], products[row]
                    ),
                )
                .with_field("sum-duplicates"));
            }
        } else {
            acc.first_row.insert((l, p), row);
        }
        cells.push((t, l, p, values[row]));
    }
    let mut matrices: Vec<Array2<f64>> =
        accs.iter().map(|a| Array2::zeros((a.locs.len(), a.prods.len()))).collect();
    for &(t, l, p, v) in &cells {
        matrices[t][[l, p]] += v;
    }
    let mut periods = Vec::with_capacity(accs.len());
    for ((acc, values), time) in accs.into_iter().zip(matrices).zip(time_names) {
        let result = complexity(values.view(), &config).map_err(|e| {
            ApiError::unprocessable("trade.complexity", format!("{} {time}: {e}", names[0]))
                .with_field("value")
        })?;
        periods.push(PeriodRun { time, locations: acc.locs, products: acc.prods, values, result });
    }
    Ok(Run { names, periods, cells })
}

/// Shortest round-trip text of a number; NaN as an empty field (as `caravan trade` writes).
fn number(x: f64) -> String {
    if x.is_finite() { format!("{x}") } else { String::new() }
}

/// The `cells` query option: `panel` (default) or `input`.
fn cell_set(cells: Option<&str>) -> Result<CellSet, ApiError> {
    match cells {
        None | Some("" | "panel") => Ok(CellSet::Panel),
        Some("input") => Ok(CellSet::Input),
        Some(other) => Err(ApiError::bad_request(
            "request.invalid_option",
            format!("cells must be panel or input, got {other:?}"),
        )
        .with_field("cells")),
    }
}

/// The complexity CSV of issue 6, written by `caravan_complexity::push_cell_row` as
/// `caravan trade complexity` writes it: with [`CellSet::Panel`] every cell of each period's
/// panel in row-major order, with [`CellSet::Input`] one row per input row in input order.
pub fn complexity_csv(run: &Run, cells: CellSet) -> String {
    let [time, location, product, value] = &run.names;
    let mut out = cell_header([time, location, product, value]).into_bytes();
    let labels = |period: &PeriodRun, cell: Cell| {
        [
            csv_field(&period.time),
            csv_field(&period.locations[cell.location]),
            csv_field(&period.products[cell.product]),
        ]
    };
    match cells {
        CellSet::Input => {
            for &(t, l, p, value) in &run.cells {
                let period = &run.periods[t];
                let cell = Cell { location: l, product: p, measured: true };
                let [a, b, c] = labels(period, cell);
                push_cell_row(&mut out, [&a, &b, &c], value, &period.result, cell);
            }
        }
        CellSet::Panel => {
            let mut input: Vec<Vec<(usize, usize)>> = vec![Vec::new(); run.periods.len()];
            for &(t, l, p, _) in &run.cells {
                input[t].push((l, p));
            }
            for (period, input) in run.periods.iter().zip(input) {
                for cell in panel_cells(period.values.view(), input) {
                    let value = period.values[[cell.location, cell.product]];
                    let [a, b, c] = labels(period, cell);
                    push_cell_row(&mut out, [&a, &b, &c], value, &period.result, cell);
                }
            }
        }
    }
    String::from_utf8(out).expect("labels are text and numbers ASCII")
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

fn finite(x: f64) -> Option<f64> {
    x.is_finite().then_some(x)
}

/// Indices sorted by `key` descending, NaN last.
fn ranked(n: usize, key: impl Fn(usize) -> f64) -> Vec<usize> {
    let mut idx: Vec<usize> = (0..n).collect();
    idx.sort_by(|&a, &b| {
        let (ka, kb) = (key(a), key(b));
        match (ka.is_nan(), kb.is_nan()) {
            (true, true) => std::cmp::Ordering::Equal,
            (true, false) => std::cmp::Ordering::Greater,
            (false, true) => std::cmp::Ordering::Less,
            (false, false) => kb.total_cmp(&ka),
        }
    });
    idx
}

fn period_tables(period: &PeriodRun) -> PeriodTables {
    let res = &period.result;
    let eci = ranked(period.locations.len(), |l| res.eci[l])
        .into_iter()
        .enumerate()
        .map(|(rank, l)| EciRow {
            rank: rank + 1,
            location: period.locations[l].clone(),
            eci: finite(res.eci[l]),
            diversity: res.diversity[l],
            coi: finite(res.coi[l]),
        })
        .collect();
    let pci = ranked(period.products.len(), |p| res.pci[p])
        .into_iter()
        .enumerate()
        .map(|(rank, p)| PciRow {
            rank: rank + 1,
            product: period.products[p].clone(),
            pci: finite(res.pci[p]),
            ubiquity: res.ubiquity[p],
        })
        .collect();
    PeriodTables {
        time: period.time.clone(),
        n_locations: period.locations.len(),
        n_products: period.products.len(),
        warnings: res.warnings.iter().map(ToString::to_string).collect(),
        eci,
        pci,
    }
}

async fn compute<T: Send + 'static>(
    state: &AppState,
    caller: &Caller,
    id: i64,
    work: impl FnOnce(Table) -> Result<T, ApiError> + Send + 'static,
) -> Result<(Dataset, T), ApiError> {
    let (dataset, table) = datasets::load(state, caller, id, DatasetKind::Trade).await?;
    let res =
        tokio::task::spawn_blocking(move || work(table)).await.map_err(ApiError::internal)??;
    Ok((dataset, res))
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
    let csv = wants_csv(params.format.as_deref())?;
    let cells = cell_set(params.cells.as_deref())?;
    let (_, run) = compute(&state, &caller, id, move |table| run(&table, &params, false)).await?;
    if csv {
        return Ok(csv_attachment(format!("complexity-{id}.csv"), complexity_csv(&run, cells)));
    }
    let periods = run.periods.iter().map(period_tables).collect();
    Ok(axum::Json(ComplexityResponse { dataset_id: id, periods }).into_response())
}

/// The `format` query option: `json` (default) or `csv`.
fn wants_csv(format: Option<&str>) -> Result<bool, ApiError> {
    match format {
        None | Some("json") => Ok(false),
        Some("csv") => Ok(true),
        Some(other) => Err(ApiError::bad_request(
            "request.invalid_option",
            format!("format must be json or csv, got {other:?}"),
        )
        .with_field("format")),
    }
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
    let (_, run) = compute(&state, &caller, id, move |table| run(&table, &params, true)).await?;
    let mut out = String::from("time,product_1,product_2,proximity\n");
    for period in &run.periods {
        let phi =
            period.result.proximity.as_ref().ok_or_else(|| {
                ApiError::internal("proximity was requested from the computation")
            })?;
        let time = csv_field(&period.time);
        for (p, product_1) in period.products.iter().enumerate() {
            let product_1 = csv_field(product_1);
            for (q, product_2) in period.products.iter().enumerate() {
                let _ = writeln!(
                    out,
                    "{time},{product_1},{},{}",
                    csv_field(product_2),
                    number(phi[[p, q]])
                );
            }
        }
    }
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
    let csv = wants_csv(params.format.as_deref())?;
    let (_, flows) = compute(&state, &caller, id, move |table| mirror_of(&table, &params)).await?;
    if !csv {
        return Ok(axum::Json(flows).into_response());
    }
    let mut out = String::from(
        "time,exporter,importer,product,exports_reported,imports_reported,difference,ratio\n",
    );
    let opt = |x: Option<f64>| x.map(number).unwrap_or_default();
    for f in &flows {
        let _ = writeln!(
            out,
            "{},{},{},{},{},{},{},{}",
            csv_field(&f.time),
            csv_field(&f.exporter),
            csv_field(&f.importer),
            csv_field(&f.product),
            opt(f.exports_reported),
            opt(f.imports_reported),
            opt(f.difference),
            opt(f.ratio)
        );
    }
    Ok(csv_attachment(format!("mirror-{id}.csv"), out))
}

fn mirror_of(table: &Table, params: &MirrorParams) -> Result<Vec<MirrorFlow>, ApiError> {
    let reporter = table.column(required(params.reporter.as_deref(), "reporter")?, "reporter")?;
    let partner = table.column(required(params.partner.as_deref(), "partner")?, "partner")?;
    let flow_name = required(params.flow.as_deref(), "flow")?;
    let flow = table.column(flow_name, "flow")?;
    let value_name = required(params.value.as_deref(), "value")?;
    let values = table.numbers(table.column(value_name, "value")?, value_name, true)?;
    let optional = |name: Option<&str>, param: &str| -> Result<Option<Vec<&str>>, ApiError> {
        name.filter(|n| !n.trim().is_empty())
            .map(|n| table.column(n, param).map(|c| table.texts(c)))
            .transpose()
    };
    let times = optional(params.time.as_deref(), "time")?;
    let products = optional(params.product.as_deref(), "product")?;
    let (reporters, partners, flows) =
        (table.texts(reporter), table.texts(partner), table.texts(flow));
    let mut reported = Vec::with_capacity(values.len());
    for (row, value) in values.iter().enumerate() {
        let direction = caravan_complexity::FlowDirection::parse(flows[row]).ok_or_else(|| {
            ApiError::unprocessable(
                "dataset.invalid_flow",
                format!(
                    "row {}, column {flow_name:?}: {:?} is neither an export (X, Export) nor an import (M, Import); leave re-exports and re-imports out",
                    row + 2,
                    flows[row]
                ),
            )
            .with_field("flow")
        })?;
        reported.push(caravan_complexity::ReportedFlow {
            time: times.as_ref().map_or("", |t| t[row]),
            reporter: reporters[row],
            partner: partners[row],
            product: products.as_ref().map_or("", |p| p[row]),
            direction,
            value: *value,
        });
    }
    Ok(caravan_complexity::mirror_flows(&reported)
        .into_iter()
        .map(|row| {
            let gap = row.gap();
            MirrorFlow {
                difference: gap.map(|g| g.difference),
                ratio: gap.map(|g| g.ratio).filter(|r| r.is_finite()),
                time: row.time,
                exporter: row.exporter,
                importer: row.importer,
                product: row.product,
                exports_reported: row.exports_reported,
                imports_reported: row.imports_reported,
            }
        })
        .collect())
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

fn pick_period<'r>(run: &'r Run, period: Option<&str>) -> Result<&'r PeriodRun, ApiError> {
    match period.filter(|p| !p.is_empty()) {
        None => run
            .periods
            .last()
            .ok_or_else(|| ApiError::unprocessable("dataset.empty", "the dataset has no rows")),
        Some(p) => run.periods.iter().find(|r| r.time == p).ok_or_else(|| {
            ApiError::unprocessable(
                "trade.unknown_period",
                format!("period {p:?} is not a value of the year column"),
            )
            .with_field("period")
        }),
    }
}

fn profile(run: &Run, params: &ComplexityParams) -> Result<Profile, ApiError> {
    let period = pick_period(run, params.period.as_deref())?;
    let country = required(params.country.as_deref(), "country")?;
    let l = period.locations.iter().position(|c| c == country).ok_or_else(|| {
        ApiError::unprocessable(
            "trade.unknown_country",
            format!("{country:?} does not export in {}", period.time),
        )
        .with_field("country")
    })?;
    let res = &period.result;
    let products = ranked(period.products.len(), |p| res.rca[[l, p]])
        .into_iter()
        .map(|p| ProfileRow {
            product: period.products[p].clone(),
            value: period.values[[l, p]],
            rca: finite(res.rca[[l, p]]),
            mcp: res.mcp[[l, p]],
            density: finite(res.density[[l, p]]),
            cog: finite(res.cog[[l, p]]),
            pci: finite(res.pci[p]),
        })
        .collect();
    Ok(Profile {
        time: period.time.clone(),
        location: country.to_owned(),
        eci: finite(res.eci[l]),
        diversity: res.diversity[l],
        products,
    })
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
    let (_, profile) =
        compute(&state, &caller, id, move |table| profile(&run(&table, &params, false)?, &params))
            .await?;
    Ok(axum::Json(profile))
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

fn opportunities_of(run: &Run, params: &ComplexityParams) -> Result<Opportunities, ApiError> {
    let period = pick_period(run, params.period.as_deref())?;
    let country = required(params.country.as_deref(), "country")?;
    let l = period.locations.iter().position(|c| c == country).ok_or_else(|| {
        ApiError::unprocessable(
            "trade.unknown_country",
            format!("{country:?} does not export in {}", period.time),
        )
        .with_field("country")
    })?;
    let res = &period.result;
    let products = opportunities(period.values.view(), res, l)
        .into_iter()
        .enumerate()
        .map(|(rank, p)| OpportunityRow {
            rank: rank + 1,
            product: period.products[p].clone(),
            value: period.values[[l, p]],
            rca: finite(res.rca[[l, p]]),
            density: finite(res.density[[l, p]]),
            distance: finite(1.0 - res.density[[l, p]]),
            cog: finite(res.cog[[l, p]]),
            pci: finite(res.pci[p]),
        })
        .collect();
    Ok(Opportunities { time: period.time.clone(), location: country.to_owned(), products })
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
    let (_, res) = compute(&state, &caller, id, move |table| {
        opportunities_of(&run(&table, &params, false)?, &params)
    })
    .await?;
    Ok(axum::Json(res))
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

/// Concentration of every exporter in every period (reusing the complexity run's tables).
fn concentration_rows(run: &Run, with_time: bool) -> Vec<ConcentrationRow> {
    let mut rows = Vec::new();
    for period in &run.periods {
        let world: Vec<f64> = period.values.sum_axis(ndarray::Axis(0)).to_vec();
        for (l, location) in period.locations.iter().enumerate() {
            let values = period.values.row(l).to_vec();
            // A zero-total exporter has no shares: its indices are left empty.
            let c = concentration(&values, &world).ok();
            let get = |f: fn(&caravan_complexity::Concentration) -> f64| {
                c.as_ref().and_then(|c| finite(f(c)))
            };
            rows.push(ConcentrationRow {
                time: with_time.then(|| period.time.clone()),
                location: location.clone(),
                hhi: get(|c| c.hhi),
                hhi_normalized: get(|c| c.hhi_normalized),
                unctad_concentration: get(|c| c.unctad_concentration),
                finger_kreinin: get(|c| c.finger_kreinin),
                theil: get(|c| c.theil),
                top1_share: get(|c| c.top1_share),
                top5_share: get(|c| c.top5_share),
                n_products: c.as_ref().map_or(0, |c| c.n_products),
                n_rca_ge_1: c.as_ref().map_or(0, |c| c.n_rca_ge_1),
            });
        }
    }
    rows
}

fn concentration_csv(rows: &[ConcentrationRow], with_time: bool) -> String {
    let mut out = String::new();
    if with_time {
        out.push_str("time,");
    }
    out.push_str("location,hhi,hhi_normalized,unctad_concentration,finger_kreinin,theil,top1_share,top5_share,n_products,n_rca_ge_1\n");
    let opt = |x: Option<f64>| x.map_or_else(String::new, number);
    for r in rows {
        if let Some(time) = &r.time {
            let _ = write!(out, "{},", csv_field(time));
        }
        let _ = writeln!(
            out,
            "{},{},{},{},{},{},{},{},{},{}",
            csv_field(&r.location),
            opt(r.hhi),
            opt(r.hhi_normalized),
            opt(r.unctad_concentration),
            opt(r.finger_kreinin),
            opt(r.theil),
            opt(r.top1_share),
            opt(r.top5_share),
            r.n_products,
            r.n_rca_ge_1
        );
    }
    out
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
    ApiQuery(mut params): ApiQuery<ComplexityParams>,
) -> Result<Response, ApiError> {
    let csv = params.format.as_deref() == Some("csv");
    let with_time = params.time.as_deref().is_some_and(|t| !t.is_empty());
    let (_, rows) = compute(&state, &caller, id, move |table| {
        if !with_time {
            // One period: every row gets the same (empty) year.
            params.time = None;
            let run = run_without_time(&table, &params)?;
            return Ok(concentration_rows(&run, false));
        }
        Ok(concentration_rows(&run(&table, &params, false)?, true))
    })
    .await?;
    if csv {
        return Ok((
            [(header::CONTENT_TYPE, "text/csv; charset=utf-8")],
            concentration_csv(&rows, with_time),
        )
            .into_response());
    }
    Ok(axum::Json(rows).into_response())
}

/// A run over a table without a year column: one period.
fn run_without_time(table: &Table, params: &ComplexityParams) -> Result<Run, ApiError> {
    let mut with_time =
        Table { headers: table.headers.clone(), records: Vec::with_capacity(table.records.len()) };
    let name = "\u{0}period".to_owned();
    with_time.headers.push(name.clone());
    for record in &table.records {
        let mut r = record.clone();
        r.push_field("");
        with_time.records.push(r);
    }
    let params = ComplexityParams { time: Some(name), ..params.clone() };
    run(&with_time, &params, false)
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

fn growth(table: &Table, params: &GrowthParams) -> Result<GrowthResponse, ApiError> {
    let time_name = required(params.time.as_deref(), "time")?;
    let value_name = required(params.value.as_deref(), "value")?;
    let time_col = table.column(time_name, "time")?;
    let years = table.numbers(time_col, time_name, false)?;
    let values = table.numbers(table.column(value_name, "value")?, value_name, true)?;
    let groups: Vec<&str> = match params.group.as_deref().filter(|g| !g.is_empty()) {
        Some(g) => table.texts(table.column(g, "group")?),
        None => vec!["total"; values.len()],
    };
    let mut names: Vec<String> = Vec::new();
    let mut index = HashMap::new();
    let mut by_year: Vec<std::collections::BTreeMap<i64, f64>> = Vec::new();
    for ((&year, &value), group) in years.iter().zip(&values).zip(&groups) {
        let g = intern(&mut index, &mut names, group);
        if g == by_year.len() {
            by_year.push(Default::default());
        }
        // Years are keyed in thousandths so fractional periods (quarters) keep their order.
        *by_year[g].entry((year * 1000.0).round() as i64).or_insert(0.0) += value;
    }
    let parse_year = |text: Option<&str>, field: &str| -> Result<Option<f64>, ApiError> {
        text.filter(|t| !t.is_empty())
            .map(|t| {
                t.trim().parse::<f64>().ok().filter(|v| v.is_finite()).ok_or_else(|| {
                    ApiError::bad_request(
                        "request.invalid_option",
                        format!("{field} must be a year, got {t:?}"),
                    )
                    .with_field(field)
                })
            })
            .transpose()
    };
    let first = years.iter().copied().fold(f64::INFINITY, f64::min);
    let last = years.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let from = parse_year(params.from.as_deref(), "from")?.unwrap_or(first);
    let to = parse_year(params.to.as_deref(), "to")?.unwrap_or(last);
    if to <= from {
        return Err(ApiError::bad_request(
            "request.invalid_option",
            format!("to ({to}) must be after from ({from})"),
        )
        .with_field("to"));
    }
    let at = |g: usize, year: f64| {
        by_year[g].get(&((year * 1000.0).round() as i64)).copied().unwrap_or(0.0)
    };
    let v0: Vec<f64> = (0..names.len()).map(|g| at(g, from)).collect();
    let v1: Vec<f64> = (0..names.len()).map(|g| at(g, to)).collect();
    let periods = to - from;
    let err = |e: caravan_complexity::GrowthError| {
        ApiError::unprocessable("trade.growth", format!("growth from {from} to {to}: {e}"))
            .with_field("from")
    };
    let mut result = group_growth(&v0, &v1, periods).map_err(err)?;
    let mut labels = names.clone();
    if names.len() > 1 {
        result.extend(group_growth(&[v0.iter().sum()], &[v1.iter().sum()], periods).map_err(err)?);
        labels.push("total".to_owned());
    }
    let rows = labels
        .into_iter()
        .zip(result)
        .map(|(group, g)| GrowthRow {
            group,
            from: number(from),
            to: number(to),
            periods,
            value_from: g.value_from,
            value_to: g.value_to,
            cagr: finite(g.cagr),
            growth: finite(g.growth),
            share_from: finite(g.share_from),
            share_to: finite(g.share_to),
            contribution: finite(g.contribution),
        })
        .collect();
    let series = names
        .into_iter()
        .zip(by_year)
        .map(|(name, years)| {
            (name, years.into_iter().map(|(y, v)| (y as f64 / 1000.0, v)).collect())
        })
        .collect();
    Ok(GrowthResponse { rows, series })
}

async fn growth_of(
    state: &AppState,
    caller: &Caller,
    id: i64,
    params: GrowthParams,
) -> Result<GrowthResponse, ApiError> {
    let (_, table) = datasets::load(state, caller, id, DatasetKind::Trade).await?;
    growth(&table, &params)
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
    Ok(axum::Json(growth_of(&state, &caller, id, params).await?))
}

fn growth_chart(res: &GrowthResponse, value: &str) -> String {
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
    responses((status = 200, content_type = "image/svg+xml", body = String), (status = 403, body = ErrorBody)))]
pub async fn growth_svg(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
    ApiQuery(params): ApiQuery<GrowthParams>,
) -> Result<Response, ApiError> {
    let value = params.value.clone().unwrap_or_default();
    let res = growth_of(&state, &caller, id, params).await?;
    Ok(chart::svg_response(growth_chart(&res, &value)))
}

/// The product-space SVG of one period, nodes coloured by the country's RCA.
fn product_space(run: &Run, params: &ComplexityParams, threshold: f64) -> Result<String, ApiError> {
    let period = pick_period(run, params.period.as_deref())?;
    let res = &period.result;
    let phi = res.proximity.as_ref().ok_or_else(|| ApiError::internal("proximity was not kept"))?;
    let country = params.country.as_deref().filter(|c| !c.is_empty());
    let l = match country {
        Some(c) => Some(period.locations.iter().position(|x| x == c).ok_or_else(|| {
            ApiError::unprocessable(
                "trade.unknown_country",
                format!("{c:?} does not export in {}", period.time),
            )
            .with_field("country")
        })?),
        None => None,
    };
    // Products nobody has with presence carry no proximity: leave them out.
    let keep: Vec<usize> = (0..period.products.len()).filter(|&p| res.ubiquity[p] > 0.0).collect();
    let sub = Array2::from_shape_fn((keep.len(), keep.len()), |(a, b)| phi[[keep[a], keep[b]]]);
    let edges = caravan_complexity::product_space_edges(&sub);
    let pos = caravan_complexity::force_layout(keep.len(), &edges);
    let nodes = keep
        .iter()
        .zip(&pos)
        .map(|(&p, &(x, y))| {
            let rca = l.map(|l| res.rca[[l, p]]);
            let color = match rca {
                Some(r) if r >= threshold => "#0072B2",
                Some(r) if r >= threshold / 2.0 => "#56B4E9",
                Some(_) => "#DDDDDD",
                None => "#999999",
            };
            let label = match rca {
                Some(r) => format!(
                    "{} (RCA {})",
                    period.products[p],
                    if r.is_finite() { format!("{r:.2}") } else { "n/a".to_owned() }
                ),
                None => period.products[p].clone(),
            };
            chart::Node {
                label,
                x,
                y,
                color: color.to_owned(),
                radius: if keep.len() > 300 { 3.0 } else { 5.0 },
            }
        })
        .collect();
    let legend = match country {
        Some(c) => vec![
            ("#0072B2".to_owned(), format!("{c}: RCA ≥ {threshold}")),
            ("#56B4E9".to_owned(), format!("{c}: RCA ≥ {}", threshold / 2.0)),
            ("#DDDDDD".to_owned(), format!("{c}: lower RCA")),
        ],
        None => vec![("#999999".to_owned(), "product".to_owned())],
    };
    Ok(chart::graph(&chart::Graph {
        title: format!(
            "Product space, {}{}",
            period.time,
            country.map(|c| format!(", {c}")).unwrap_or_default()
        ),
        nodes,
        edges,
        legend,
    }))
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
    let threshold = params.rca_threshold.unwrap_or(1.0);
    let (_, svg) = compute(&state, &caller, id, move |table| {
        product_space(&run(&table, &params, true)?, &params, threshold)
    })
    .await?;
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

/// Everything the dataset page shows: the run, concentration, a profile and the product space SVG.
type Analysis = (
    Run,
    Vec<ConcentrationRow>,
    Option<Profile>,
    Option<Opportunities>,
    String,
    Option<GrowthResponse>,
);

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
    let ready =
        p.time.is_some() && p.location.is_some() && p.product.is_some() && p.value.is_some();
    let work = {
        let p = p.clone();
        move |table: Table| -> Result<Option<Analysis>, ApiError> {
            if !ready {
                return Ok(None);
            }
            let run = run(&table, &p, true)?;
            let conc = concentration_rows(&run, true);
            let period = pick_period(&run, p.period.as_deref())?;
            let country = p.country.clone().filter(|c| !c.is_empty()).or_else(|| {
                ranked(period.locations.len(), |l| period.result.eci[l])
                    .first()
                    .map(|&l| period.locations[l].clone())
            });
            let p2 = ComplexityParams { country: country.clone(), ..p.clone() };
            let prof = country.as_ref().map(|_| profile(&run, &p2)).transpose()?;
            let opp = country.as_ref().map(|_| opportunities_of(&run, &p2)).transpose()?;
            let svg = product_space(&run, &p2, p.rca_threshold.unwrap_or(1.0))?;
            // Growth by exporter from the first to the last year, when years are numbers.
            let growth = (run.periods.len() > 1)
                .then(|| {
                    let gp = GrowthParams {
                        time: p.time.clone(),
                        value: p.value.clone(),
                        group: p.location.clone(),
                        from: None,
                        to: None,
                    };
                    growth(&table, &gp).ok()
                })
                .flatten();
            Ok(Some((run, conc, prof, opp, svg, growth)))
        }
    };
    let (dataset, computed) = match compute(&state, &caller, id, work).await {
        Ok(x) => x,
        Err(e)
            if e.status.is_client_error()
                && e.status != StatusCode::FORBIDDEN
                && e.status != StatusCode::NOT_FOUND =>
        {
            // Show the form again with the reason, so the analyst can fix the choice.
            match state.store.dataset(id).await {
                Ok(Some(d)) => return analysis_page(lang, &caller, &d, &p, None, Some(&e), false),
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
    computed: Option<&Analysis>,
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
        @if let Some((run, conc, prof, opp, svg, growth)) = computed {
            p { a #download-csv href={ "/api/v1/datasets/" (d.id) "/complexity?format=csv&" (qs) } { (t(lang, TradeKey::download_csv)) } }
            @if let Ok(period) = pick_period(run, p.period.as_deref()) {
                @let tables = period_tables(period);
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
