//! The poverty feature's operations: estimates of an uploaded survey with standard errors
//! (RESULT.json's shape and the estimates CSV), comparisons of two rounds, the survey's column
//! mapping and the international poverty lines. Typed functions
//! `(state, caller, input) -> Result<output, ApiError>`; the caller's right to read each survey
//! is checked first by [`datasets::load`] (the policy is the dataset's, `can_read_dataset`).
//! The estimators are `caravan-poverty`'s; the API handlers and the pages are thin over these
//! functions. Nothing here knows HTTP.

use std::collections::HashMap;
use std::fmt::Write as _;

use caravan_poverty::{
    Config, Design, Estimates, GiniForm, LonelyPsu, NAMES, Period, PoorIf, Variance, ci95, compare,
    order_by_welfare,
};
use caravan_store::datasets::{Dataset, DatasetKind};
use serde_json::{Map, Value, json};

use caravan_web::AppState;
use caravan_web::auth::Caller;
use caravan_web::error::ApiError;
use caravan_web_datasets::{self as datasets, Table};

use crate::SurveyParams;

/// International poverty lines by name: (name, dollars a day, PPP base year).
pub const INTERNATIONAL_LINES: [(&str, f64, &str); 6] = [
    ("ipl_2021", 3.00, "2021 PPP, extreme poverty"),
    ("lmic_2021", 4.20, "2021 PPP, lower-middle-income line"),
    ("umic_2021", 8.30, "2021 PPP, upper-middle-income line"),
    ("ipl_2017", 2.15, "2017 PPP, extreme poverty"),
    ("lmic_2017", 3.65, "2017 PPP, lower-middle-income line"),
    ("umic_2017", 6.85, "2017 PPP, upper-middle-income line"),
];

fn opt(v: Option<&str>) -> Option<&str> {
    v.map(str::trim).filter(|v| !v.is_empty())
}

/// The index of `value` among `options` (0 when absent).
///
/// # Errors
/// 400 naming `field` for another value.
pub fn choose(value: Option<&str>, field: &str, options: &[&str]) -> Result<usize, ApiError> {
    match opt(value) {
        None => Ok(0),
        Some(v) => options.iter().position(|o| *o == v).ok_or_else(|| {
            ApiError::bad_request(
                "request.invalid_option",
                format!("{field} must be one of {}, got {v:?}", options.join(", ")),
            )
            .with_field(field)
        }),
    }
}

impl SurveyParams {
    /// The poverty line and its label: a preset international line or a national one.
    fn line(&self) -> Result<(f64, String), ApiError> {
        if let Some(name) = opt(self.preset.as_deref()) {
            let (_, z, what) =
                INTERNATIONAL_LINES.iter().find(|(n, ..)| *n == name).ok_or_else(|| {
                    let names: Vec<&str> = INTERNATIONAL_LINES.iter().map(|l| l.0).collect();
                    ApiError::bad_request(
                        "poverty.unknown_line",
                        format!("preset must be one of {}, got {name:?}", names.join(", ")),
                    )
                    .with_field("preset")
                })?;
            return Ok((*z, format!("{name}: ${z:.2} a day, {what}")));
        }
        match opt(self.line.as_deref()).map(|z| z.parse::<f64>().unwrap_or(f64::NAN)) {
            Some(z) if z.is_finite() && z > 0.0 => Ok((z, format!("national line {z}"))),
            Some(_) => Err(ApiError::bad_request(
                "poverty.invalid_line",
                format!(
                    "line must be a positive number, got {:?}",
                    self.line.as_deref().unwrap_or("")
                ),
            )
            .with_field("line")),
            None => Err(ApiError::bad_request(
                "request.missing_field",
                "give a poverty line: line=Z (national) or preset=NAME (international)",
            )
            .with_field("line")),
        }
    }

    fn config(&self) -> Result<Config, ApiError> {
        let (line, _) = self.line()?;
        Ok(Config {
            line,
            poor_if: if choose(self.poor_if.as_deref(), "poor-if", &["lt", "le"])? == 1 {
                PoorIf::AtOrBelow
            } else {
                PoorIf::Below
            },
            gini: if choose(self.gini.as_deref(), "gini", &["pip", "convey"])? == 1 {
                GiniForm::Convey
            } else {
                GiniForm::Pip
            },
        })
    }

    fn se(&self) -> Result<usize, ApiError> {
        // 0 linearized (default), 1 none, 2 replicate.
        choose(self.se.as_deref(), "se", &["linearized", "none", "replicate"])
    }

    fn lonely(&self) -> Result<LonelyPsu, ApiError> {
        Ok(match choose(self.lonely_psu.as_deref(), "lonely-psu", &["adjust", "remove", "fail"])? {
            1 => LonelyPsu::Remove,
            2 => LonelyPsu::Fail,
            _ => LonelyPsu::Adjust,
        })
    }
}

/// A survey read from a table with the mapped columns.
pub struct Survey {
    pub welfare: Vec<f64>,
    pub weight: Vec<f64>,
    pub design: Design,
    pub order: Vec<u32>,
    pub replicates: Vec<Vec<f64>>,
    pub replicate_columns: Vec<String>,
    pub n_strata: usize,
    pub n_psu: usize,
}

fn dense(labels: &[&str]) -> (Vec<u32>, usize) {
    let mut index: HashMap<&str, u32> = HashMap::new();
    let ids = labels
        .iter()
        .map(|l| {
            let next = index.len() as u32;
            *index.entry(l).or_insert(next)
        })
        .collect();
    (ids, index.len())
}

/// Reads the mapped columns.
///
/// # Errors
/// 4xx naming the parameter, row and column.
pub fn read_survey(table: &Table, params: &SurveyParams) -> Result<Survey, ApiError> {
    let need = |v: Option<&str>, field: &str| {
        opt(v).map(str::to_owned).ok_or_else(|| {
            ApiError::bad_request(
                "request.missing_field",
                format!("{field} is required: name the survey's column"),
            )
            .with_field(field)
        })
    };
    let welfare_name = need(params.welfare.as_deref(), "welfare")?;
    let weight_name = need(params.weight.as_deref(), "weight")?;
    let welfare = table.numbers(table.column(&welfare_name, "welfare")?, &welfare_name, true)?;
    let mut weight = table.numbers(table.column(&weight_name, "weight")?, &weight_name, true)?;
    if let Some(size_name) = opt(params.size.as_deref()) {
        let size = table.numbers(table.column(size_name, "size")?, size_name, true)?;
        weight.iter_mut().zip(&size).for_each(|(w, s)| *w *= s);
    }
    let n = welfare.len();
    let strata_texts = match opt(params.strata.as_deref()) {
        Some(name) => table.texts(table.column(name, "strata")?),
        None => vec![""; n],
    };
    let (stratum, n_strata) = dense(&strata_texts);
    let psu_keys: Vec<String> = match opt(params.psu.as_deref()) {
        Some(name) => {
            let texts = table.texts(table.column(name, "psu")?);
            // PSU labels nest within strata (as R survey's nest = TRUE).
            strata_texts.iter().zip(&texts).map(|(s, p)| format!("{s}\u{1f}{p}")).collect()
        }
        None => (0..n).map(|i| i.to_string()).collect(),
    };
    let (psu, n_psu) = dense(&psu_keys.iter().map(String::as_str).collect::<Vec<_>>());
    let design = Design::new(&stratum, psu, n_psu).map_err(|e| {
        ApiError::unprocessable("poverty.design", format!("the sample design: {e}"))
            .with_field("psu")
    })?;
    let (mut replicates, mut replicate_columns) = (Vec::new(), Vec::new());
    if params.se()? == 2 {
        let prefix = opt(params.replicate_prefix.as_deref()).ok_or_else(|| {
            ApiError::bad_request(
                "request.missing_field",
                "se=replicate needs replicate-prefix naming the replicate weight columns",
            )
            .with_field("replicate-prefix")
        })?;
        for (idx, name) in table.headers.iter().enumerate().filter(|(_, h)| h.starts_with(prefix)) {
            replicates.push(table.numbers(idx, name, true)?);
            replicate_columns.push(name.clone());
        }
        if replicates.len() < 2 {
            return Err(ApiError::unprocessable(
                "poverty.replicates",
                format!("fewer than two columns start with {prefix:?}"),
            )
            .with_field("replicate-prefix"));
        }
    }
    let rows: Vec<u32> = (0..n as u32).collect();
    let order = order_by_welfare(&welfare, &rows);
    Ok(Survey { welfare, weight, design, order, replicates, replicate_columns, n_strata, n_psu })
}

fn finite(x: f64) -> Value {
    if x.is_finite() { json!(x) } else { Value::Null }
}

fn estimates_json(est: &Estimates) -> Value {
    let mut map = Map::new();
    for (j, name) in NAMES.iter().enumerate() {
        let se = est.se.map_or(Value::Null, |se| finite(se[j]));
        map.insert((*name).to_owned(), json!({ "value": finite(est.values[j]), "se": se }));
    }
    Value::Object(map)
}

/// Estimates for one survey, in RESULT.json's shape.
///
/// # Errors
/// 4xx for bad mappings or options; 422 when the estimators reject the data.
pub fn measure(table: &Table, params: &SurveyParams) -> Result<(Estimates, Value), ApiError> {
    let config = params.config()?;
    let (_, line_label) = params.line()?;
    let lonely = params.lonely()?;
    let se = params.se()?;
    let s = read_survey(table, params)?;
    if se == 0 && lonely == LonelyPsu::Fail && !s.design.lonely_strata().is_empty() {
        return Err(ApiError::unprocessable(
            "poverty.lonely_psu",
            "a stratum has a single PSU; choose lonely-psu=adjust or remove",
        )
        .with_field("lonely-psu"));
    }
    let variance = match se {
        1 => Variance::None,
        2 => Variance::Replicate { weights: &s.replicates },
        _ => Variance::Linearized { design: &s.design, lonely },
    };
    let est = caravan_poverty::estimate(&s.welfare, &s.weight, &s.order, &config, variance)
        .map_err(|e| {
            ApiError::unprocessable(
                "poverty.estimate",
                format!("{e} (rows count from 2, the line after the header)"),
            )
            .with_field("welfare")
        })?;
    let result = json!({
        "estimates": estimates_json(&est),
        "groups": {},
        "design": {
            "n_rows": s.welfare.len(),
            "n_obs": est.n_obs,
            "population": finite(est.population),
            "n_strata": s.n_strata,
            "n_psu": s.n_psu,
            "weight": params.weight,
            "size": params.size,
            "strata": params.strata,
            "psu": params.psu,
            "se": SE_NAMES[se],
            "variance": match se {
                1 => "none".to_owned(),
                2 => format!("replicate weights: sum (theta_r - mean)^2 / (R - 1), R = {}", s.replicates.len()),
                _ => "Taylor linearisation, ultimate cluster, with replacement, no fpc (R survey::svyrecvar)".to_owned(),
            },
            "replicate_columns": s.replicate_columns,
            "lonely_psu": format!("{lonely:?}").to_lowercase(),
            "line": config.line,
            "line_label": line_label,
            "poor_if": if config.poor_if == PoorIf::AtOrBelow { "le" } else { "lt" },
            "gini": if config.gini == GiniForm::Convey { "convey" } else { "pip" },
        },
        "warnings": est.warnings,
        "lorenz": est.lorenz.iter().map(|p| json!({
            "welfare": finite(p.welfare), "population_share": finite(p.population_share), "welfare_share": finite(p.welfare_share),
        })).collect::<Vec<_>>(),
        "decile_shares": est.decile_shares.iter().map(|&x| finite(x)).collect::<Vec<_>>(),
    });
    Ok((est, result))
}

const SE_NAMES: [&str; 3] = ["linearized", "none", "replicate"];

/// One row per estimate: `estimate,value,se,ci_low,ci_high`.
pub fn estimates_csv(est: &Estimates) -> String {
    let mut out = String::from("estimate,value,se,ci_low,ci_high\n");
    let num =
        |x: Option<f64>| x.filter(|v| v.is_finite()).map_or_else(String::new, |v| format!("{v}"));
    for (j, name) in NAMES.iter().enumerate() {
        let value = est.values[j];
        let se = est.se.map(|s| s[j]);
        let ci = ci95(value, se);
        let _ = writeln!(
            out,
            "{name},{},{},{},{}",
            num(Some(value)),
            num(se),
            num(ci.map(|c| c.0)),
            num(ci.map(|c| c.1))
        );
    }
    out
}

/// Loads survey `id` the caller may read and runs `work` on its table on a blocking thread.
async fn compute_survey<T: Send + 'static>(
    state: &AppState,
    caller: &Caller,
    id: i64,
    work: impl FnOnce(Table) -> Result<T, ApiError> + Send + 'static,
) -> Result<(Dataset, T), ApiError> {
    let (dataset, table) = datasets::load(state, caller, id, DatasetKind::Survey).await?;
    let res =
        tokio::task::spawn_blocking(move || work(table)).await.map_err(ApiError::internal)??;
    Ok((dataset, res))
}

/// Two survey rounds at the same line, `id` the earlier and `other` the later, both of which
/// the caller may read: growth incidence, decompositions and people lifted out of poverty.
///
/// # Errors
/// 404/403/422 from [`datasets::load`]; 4xx for bad mappings or options; 422 when the
/// estimators reject the data.
pub async fn comparison(
    state: &AppState,
    caller: &Caller,
    id: i64,
    other: i64,
    params: SurveyParams,
) -> Result<Value, ApiError> {
    let (_, before) = datasets::load(state, caller, id, DatasetKind::Survey).await?;
    let (_, after) = datasets::load(state, caller, other, DatasetKind::Survey).await?;
    tokio::task::spawn_blocking(move || -> Result<Value, ApiError> {
        let config = params.config()?;
        let lonely = params.lonely()?;
        let s1 = read_survey(&before, &params)?;
        let s2 = read_survey(&after, &params)?;
        let cmp = compare(period(&s1), period(&s2), &config, lonely)
            .map_err(|e| ApiError::unprocessable("poverty.estimate", e.to_string()).with_field("welfare"))?;
        let gr = |g: &caravan_poverty::GrowthRedistribution| json!({ "growth": finite(g.growth), "redistribution": finite(g.redistribution), "residual": finite(g.residual) });
        let pl = &cmp.people;
        Ok(json!({
            "before": { "estimates": estimates_json(&cmp.before) },
            "after": { "estimates": estimates_json(&cmp.after) },
            "gic": cmp.gic.iter().map(|(p, g)| json!({ "p": p, "growth": finite(*g) })).collect::<Vec<_>>(),
            "mean_growth": finite(cmp.mean_growth),
            "bottom40_growth": finite(cmp.bottom40_growth),
            "datt_ravallion": cmp.datt_ravallion.iter().map(|d| json!({
                "measure": format!("fgt{}", d.alpha), "before": finite(d.before), "after": finite(d.after), "change": finite(d.change),
                "reference_before": gr(&d.reference_before), "reference_after": gr(&d.reference_after), "shapley": gr(&d.shapley),
            })).collect::<Vec<_>>(),
            "people_lifted_out": {
                "n_poor_before": finite(pl.n_poor_before),
                "n_poor_after": finite(pl.n_poor_after),
                "net_change": { "value": finite(pl.net_change), "se": finite(pl.net_change_se) },
                "rate_effect": { "value": finite(pl.rate_effect), "se": finite(pl.rate_effect_se) },
                "population_effect": { "value": finite(pl.population_effect), "se": finite(pl.population_effect_se) },
                "lifted_out": { "value": finite(pl.lifted_out), "se": finite(pl.net_change_se) },
                "statement": pl.statement,
            },
            "warnings": cmp.before.warnings.iter().map(|w| format!("before: {w}")).chain(cmp.after.warnings.iter().map(|w| format!("after: {w}"))).collect::<Vec<_>>(),
        }))
    })
    .await
    .map_err(ApiError::internal)?
}

/// The survey as one period of `caravan_poverty::compare`.
fn period(s: &Survey) -> Period<'_> {
    Period { welfare: &s.welfare, weight: &s.weight, order: &s.order, design: &s.design }
}

/// Estimates of survey `id` the caller may read, in RESULT.json's shape, with the dataset.
///
/// # Errors
/// 404/403/422 from [`datasets::load`]; 4xx for bad mappings or options; 422 when the
/// estimators reject the data.
pub async fn estimates(
    state: &AppState,
    caller: &Caller,
    id: i64,
    params: SurveyParams,
) -> Result<(Dataset, (Estimates, Value)), ApiError> {
    compute_survey(state, caller, id, move |table| measure(&table, &params)).await
}

/// The survey page's report of survey `id`: its estimates once the welfare column and a line
/// are chosen, `None` before.
///
/// # Errors
/// As [`estimates`].
pub async fn report(
    state: &AppState,
    caller: &Caller,
    id: i64,
    p: SurveyParams,
) -> Result<(Dataset, Option<(Estimates, Value)>), ApiError> {
    let ready = opt(p.welfare.as_deref()).is_some()
        && (opt(p.line.as_deref()).is_some() || opt(p.preset.as_deref()).is_some());
    compute_survey(
        state,
        caller,
        id,
        move |table| {
            if ready { measure(&table, &p).map(Some) } else { Ok(None) }
        },
    )
    .await
}
