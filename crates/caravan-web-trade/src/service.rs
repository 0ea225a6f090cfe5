//! The trade feature's operations: complexity, proximity, mirror statistics, a country's RCA
//! profile and opportunities, concentration, growth and the product space of an uploaded trade
//! dataset, and the CSV tables of issue 6 (the same bytes as `caravan trade`). Typed functions
//! `(state, caller, input) -> Result<output, ApiError>`; the caller's right to read the dataset
//! is checked first by [`datasets::load`] (the policy is the dataset's, `can_read_dataset`).
//! The algorithms are `caravan-complexity`'s; the API handlers and the pages are thin over
//! these functions. Nothing here knows HTTP.

use std::collections::HashMap;
use std::fmt::Write as _;

use caravan_complexity::{
    Cell, CellSet, Complexity, ComplexityConfig, Convention, Presence, ProximityKind, cell_header,
    complexity, concentration, csv_field, group_growth, opportunities, panel_cells, push_cell_row,
};
use caravan_store::datasets::{Dataset, DatasetKind};
use ndarray::Array2;

use caravan_web::AppState;
use caravan_web::auth::Caller;
use caravan_web::chart;
use caravan_web::error::ApiError;
use caravan_web_datasets::{self as datasets, Table};

use crate::{
    ComplexityParams, ConcentrationRow, EciRow, GrowthParams, GrowthRow, MirrorFlow, MirrorParams,
    Opportunities, OpportunityRow, PciRow, PeriodTables, Profile, ProfileRow,
};

pub fn required<'a>(value: Option<&'a str>, field: &str) -> Result<&'a str, ApiError> {
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
pub fn cell_set(cells: Option<&str>) -> Result<CellSet, ApiError> {
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

pub fn period_tables(period: &PeriodRun) -> PeriodTables {
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

/// The `format` query option: `json` (default) or `csv`.
pub fn wants_csv(format: Option<&str>) -> Result<bool, ApiError> {
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

pub fn pick_period<'r>(run: &'r Run, period: Option<&str>) -> Result<&'r PeriodRun, ApiError> {
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

/// The row of `country` in `period`, or a 422 naming `country`.
fn location_index(period: &PeriodRun, country: &str) -> Result<usize, ApiError> {
    period.locations.iter().position(|c| c == country).ok_or_else(|| {
        ApiError::unprocessable(
            "trade.unknown_country",
            format!("{country:?} does not export in {}", period.time),
        )
        .with_field("country")
    })
}

fn profile(run: &Run, params: &ComplexityParams) -> Result<Profile, ApiError> {
    let period = pick_period(run, params.period.as_deref())?;
    let country = required(params.country.as_deref(), "country")?;
    let l = location_index(period, country)?;
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

fn opportunities_of(run: &Run, params: &ComplexityParams) -> Result<Opportunities, ApiError> {
    let period = pick_period(run, params.period.as_deref())?;
    let country = required(params.country.as_deref(), "country")?;
    let l = location_index(period, country)?;
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

pub fn concentration_csv(rows: &[ConcentrationRow], with_time: bool) -> String {
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

fn growth(table: &Table, params: &GrowthParams) -> Result<Growth, ApiError> {
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
    Ok(Growth { rows, series })
}

/// Growth by group between two years of trade dataset `id` the caller may read.
///
/// # Errors
/// 404/403/422 from [`datasets::load`]; 4xx naming the parameter for bad columns or years.
pub async fn growth_of(
    state: &AppState,
    caller: &Caller,
    id: i64,
    params: GrowthParams,
) -> Result<Growth, ApiError> {
    let (_, table) = datasets::load(state, caller, id, DatasetKind::Trade).await?;
    growth(&table, &params)
}

/// The product-space SVG of one period, nodes coloured by the country's RCA.
pub fn product_space(
    run: &Run,
    params: &ComplexityParams,
    threshold: f64,
) -> Result<String, ApiError> {
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

/// Growth between two years: the table, and the value series per group for the chart.
#[derive(Debug)]
pub struct Growth {
    pub rows: Vec<GrowthRow>,
    /// Per group: (year, total value) in year order.
    pub series: Vec<(String, Vec<(f64, f64)>)>,
}

/// The complexity run of every period of trade dataset `id` the caller may read.
///
/// # Errors
/// 404/403/422 from [`datasets::load`]; 4xx naming the parameter, row and column.
pub async fn complexity_run(
    state: &AppState,
    caller: &Caller,
    id: i64,
    params: ComplexityParams,
) -> Result<Run, ApiError> {
    let (_, run) = compute(state, caller, id, move |table| run(&table, &params, false)).await?;
    Ok(run)
}

/// Product proximity of every period as CSV, `time,product_1,product_2,proximity` (every
/// ordered pair, as `caravan trade proximity` writes it).
///
/// # Errors
/// As [`complexity_run`].
pub async fn proximity_csv(
    state: &AppState,
    caller: &Caller,
    id: i64,
    params: ComplexityParams,
) -> Result<String, ApiError> {
    let (_, run) = compute(state, caller, id, move |table| run(&table, &params, true)).await?;
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
    Ok(out)
}

/// Mirror statistics of trade dataset `id`: each exporter's reported exports against the
/// importer's reported imports of the same period and product.
///
/// # Errors
/// As [`complexity_run`]; 422 naming the row for a flow that is neither export nor import.
pub async fn mirror(
    state: &AppState,
    caller: &Caller,
    id: i64,
    params: MirrorParams,
) -> Result<Vec<MirrorFlow>, ApiError> {
    let (_, flows) = compute(state, caller, id, move |table| mirror_of(&table, &params)).await?;
    Ok(flows)
}

/// The mirror flows as CSV,
/// `time,exporter,importer,product,exports_reported,imports_reported,difference,ratio`.
pub fn mirror_csv(flows: &[MirrorFlow]) -> String {
    let mut out = String::from(
        "time,exporter,importer,product,exports_reported,imports_reported,difference,ratio\n",
    );
    let opt = |x: Option<f64>| x.map(number).unwrap_or_default();
    for f in flows {
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
    out
}

/// A country's RCA profile in one period of trade dataset `id`.
///
/// # Errors
/// As [`complexity_run`]; 422 for an unknown period or country.
pub async fn rca_profile(
    state: &AppState,
    caller: &Caller,
    id: i64,
    params: ComplexityParams,
) -> Result<Profile, ApiError> {
    let (_, profile) =
        compute(state, caller, id, move |table| profile(&run(&table, &params, false)?, &params))
            .await?;
    Ok(profile)
}

/// A country's diversification opportunities in one period of trade dataset `id`.
///
/// # Errors
/// As [`rca_profile`].
pub async fn country_opportunities(
    state: &AppState,
    caller: &Caller,
    id: i64,
    params: ComplexityParams,
) -> Result<Opportunities, ApiError> {
    let (_, res) = compute(state, caller, id, move |table| {
        opportunities_of(&run(&table, &params, false)?, &params)
    })
    .await?;
    Ok(res)
}

/// Whether a concentration request names a year column (then its rows carry the year).
pub fn concentration_has_time(params: &ComplexityParams) -> bool {
    params.time.as_deref().is_some_and(|t| !t.is_empty())
}

/// Export concentration of every exporter (in every period when a year column is named) of
/// trade dataset `id`.
///
/// # Errors
/// As [`complexity_run`].
pub async fn concentration_of(
    state: &AppState,
    caller: &Caller,
    id: i64,
    mut params: ComplexityParams,
) -> Result<Vec<ConcentrationRow>, ApiError> {
    let with_time = concentration_has_time(&params);
    let (_, rows) = compute(state, caller, id, move |table| {
        if !with_time {
            // One period: every row gets the same (empty) year.
            params.time = None;
            let run = run_without_time(&table, &params)?;
            return Ok(concentration_rows(&run, false));
        }
        Ok(concentration_rows(&run(&table, &params, false)?, true))
    })
    .await?;
    Ok(rows)
}

/// The product-space SVG of one period of trade dataset `id`, nodes coloured by the chosen
/// country's RCA against `rca-threshold`.
///
/// # Errors
/// As [`rca_profile`].
pub async fn product_space_of(
    state: &AppState,
    caller: &Caller,
    id: i64,
    params: ComplexityParams,
) -> Result<String, ApiError> {
    let threshold = params.rca_threshold.unwrap_or(1.0);
    let (_, svg) = compute(state, caller, id, move |table| {
        product_space(&run(&table, &params, true)?, &params, threshold)
    })
    .await?;
    Ok(svg)
}

/// Everything the dataset page shows: the run, concentration, the country's profile and
/// opportunities, the product-space SVG, and growth by exporter when there are several years.
pub struct Analysis {
    pub run: Run,
    pub concentration: Vec<ConcentrationRow>,
    pub profile: Option<Profile>,
    pub opportunities: Option<Opportunities>,
    pub product_space: String,
    pub growth: Option<Growth>,
}

/// The dataset page's analysis of trade dataset `id`, or `None` until the four columns are
/// chosen. The country defaults to the period's highest ECI.
///
/// # Errors
/// As [`rca_profile`].
pub async fn analysis(
    state: &AppState,
    caller: &Caller,
    id: i64,
    p: ComplexityParams,
) -> Result<(Dataset, Option<Analysis>), ApiError> {
    let ready =
        p.time.is_some() && p.location.is_some() && p.product.is_some() && p.value.is_some();
    compute(state, caller, id, move |table: Table| -> Result<Option<Analysis>, ApiError> {
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
        Ok(Some(Analysis {
            run,
            concentration: conc,
            profile: prof,
            opportunities: opp,
            product_space: svg,
            growth,
        }))
    })
    .await
}
