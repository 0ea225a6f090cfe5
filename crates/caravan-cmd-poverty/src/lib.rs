//! `caravan poverty measure|compare` and `caravan bench poverty`: survey CSV or Parquet in,
//! RESULT.json out, over the pure estimators of `caravan-poverty`.
//!
//! A file is read as Parquet when its name ends in `.parquet` or it starts with `PAR1`.

mod read;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

use anyhow::{Context, Result, bail};
use caravan_poverty::{
    Config, Design, EntropySplit, Estimates, GiniForm, LonelyPsu, NAMES, Period, PoorIf, Variance,
    by_group, compare, order_by_welfare, ravallion_huppi, restrict_order,
};
use rand::{Rng, SeedableRng};
use serde_json::{Map, Value, json};

use read::{Columns, Filter, SurveyData, read_survey};

/// `caravan poverty ...`
#[derive(Debug, clap::Subcommand)]
pub enum Command {
    /// Poverty and inequality measures with standard errors for one survey.
    Measure(MeasureArgs),
    /// Two survey rounds: growth incidence, Datt–Ravallion/Shapley, Ravallion–Huppi, people lifted out.
    /// Standard errors here are always by linearisation (the rounds are independent samples).
    Compare(CompareArgs),
}

/// Options of `caravan poverty measure`.
#[derive(Debug, clap::Args)]
pub struct MeasureArgs {
    /// Survey microdata: CSV with a header line, or Parquet (`.parquet` or `PAR1` magic bytes).
    #[arg(long, value_name = "SURVEY.csv")]
    pub input: PathBuf,
    #[command(flatten)]
    pub survey: SurveyArgs,
    /// Where to write the results (JSON).
    #[arg(long, value_name = "RESULT.json")]
    pub out: PathBuf,
}

/// Options of `caravan poverty compare`.
#[derive(Debug, clap::Args)]
pub struct CompareArgs {
    /// First-round survey (CSV or Parquet).
    #[arg(long, value_name = "A.csv")]
    pub before: PathBuf,
    /// Second-round survey (CSV or Parquet), same columns.
    #[arg(long, value_name = "B.csv")]
    pub after: PathBuf,
    #[command(flatten)]
    pub survey: SurveyArgs,
    /// Where to write the results (JSON).
    #[arg(long, value_name = "RESULT.json")]
    pub out: PathBuf,
}

/// Columns, line and estimator choices shared by `measure` and `compare`.
#[derive(Debug, clap::Args)]
pub struct SurveyArgs {
    /// Welfare column (per-capita income or consumption, >= 0).
    #[arg(long, value_name = "COL")]
    pub welfare: String,
    /// Sampling weight column (household weight when --size is given).
    #[arg(long, value_name = "COL")]
    pub weight: String,
    /// Household size column: person weight = weight x size.
    #[arg(long, value_name = "COL")]
    pub size: Option<String>,
    /// Stratum column.
    #[arg(long, value_name = "COL")]
    pub strata: Option<String>,
    /// Primary sampling unit (ultimate cluster) column; PSU labels nest within strata.
    #[arg(long, value_name = "COL")]
    pub psu: Option<String>,
    /// Poverty line, in welfare units.
    #[arg(long, value_name = "Z")]
    pub line: f64,
    /// Who is poor: `lt` is y < z (World Bank PIP), `le` is y <= z (R convey).
    #[arg(long, value_enum, default_value_t = PoorIfArg::Lt)]
    pub poor_if: PoorIfArg,
    /// Gini estimator: PIP mid-rank form or convey's form.
    #[arg(long, value_enum, default_value_t = GiniArg::Pip)]
    pub gini: GiniArg,
    /// Standard errors.
    #[arg(long, value_enum, default_value_t = SeArg::Linearized)]
    pub se: SeArg,
    /// Replicate weight columns start with this prefix (with --se replicate).
    #[arg(long, value_name = "PREFIX")]
    pub replicate_prefix: Option<String>,
    /// Subgroup column (region, urban/rural).
    #[arg(long, value_name = "COL")]
    pub by: Option<String>,
    /// Restrict to a domain, like 'income>0' (< <= > >= == !=); repeat to combine with AND.
    /// The design keeps every row (domain estimation, as survey's subset()).
    #[arg(long, value_name = "COL>0")]
    pub filter: Vec<String>,
    /// Strata with a single PSU: adjust (centre at the design mean, R survey "adjust"),
    /// remove (no variance contribution) or fail.
    #[arg(long, value_enum, default_value_t = LonelyArg::Adjust)]
    pub lonely_psu: LonelyArg,
}

/// `--poor-if`
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum PoorIfArg {
    Lt,
    Le,
}

/// `--gini`
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum GiniArg {
    Pip,
    Convey,
}

/// `--se`
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum SeArg {
    None,
    Linearized,
    Replicate,
}

/// `--lonely-psu`
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum LonelyArg {
    Adjust,
    Remove,
    Fail,
}

impl SurveyArgs {
    fn config(&self) -> Result<Config> {
        if !(self.line.is_finite() && self.line > 0.0) {
            bail!("--line must be a positive number, got {}", self.line);
        }
        Ok(Config {
            line: self.line,
            poor_if: match self.poor_if {
                PoorIfArg::Lt => PoorIf::Below,
                PoorIfArg::Le => PoorIf::AtOrBelow,
            },
            gini: match self.gini {
                GiniArg::Pip => GiniForm::Pip,
                GiniArg::Convey => GiniForm::Convey,
            },
        })
    }

    fn lonely(&self) -> LonelyPsu {
        match self.lonely_psu {
            LonelyArg::Adjust => LonelyPsu::Adjust,
            LonelyArg::Remove => LonelyPsu::Remove,
            LonelyArg::Fail => LonelyPsu::Fail,
        }
    }

    fn filters(&self) -> Result<Vec<Filter>> {
        self.filter.iter().map(|f| Filter::parse(f)).collect()
    }

    fn read(&self, path: &Path, filters: &[Filter]) -> Result<SurveyData> {
        if self.se == SeArg::Replicate && self.replicate_prefix.is_none() {
            bail!(
                "--se replicate needs --replicate-prefix PREFIX naming the replicate weight columns"
            );
        }
        let columns = Columns {
            welfare: &self.welfare,
            weight: &self.weight,
            size: self.size.as_deref(),
            strata: self.strata.as_deref(),
            psu: self.psu.as_deref(),
            by: self.by.as_deref(),
            filters,
            replicate_prefix: if self.se == SeArg::Replicate {
                self.replicate_prefix.as_deref()
            } else {
                None
            },
        };
        let progress = indicatif::ProgressBar::new_spinner()
            .with_message(format!("reading {}", path.display()));
        let data = read_survey(path, &columns, &progress);
        progress.finish_and_clear();
        data
    }
}

/// Runs `caravan poverty <subcommand>`.
///
/// # Errors
/// Unreadable or invalid input (with file, line and column), or an output that cannot be written.
pub fn run(cmd: Command) -> Result<ExitCode> {
    match cmd {
        Command::Measure(args) => measure(&args),
        Command::Compare(args) => compare_cmd(&args),
    }
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

fn lorenz_json(est: &Estimates) -> Value {
    est.lorenz
        .iter()
        .map(|p| {
            json!({
                "welfare": finite(p.welfare),
                "population_share": finite(p.population_share),
                "welfare_share": finite(p.welfare_share),
            })
        })
        .collect()
}

fn split_json(s: &EntropySplit) -> Value {
    json!({ "total": finite(s.total), "within": finite(s.within), "between": finite(s.between) })
}

struct Prepared {
    data: SurveyData,
    design: Design,
    order: Vec<u32>,
}

fn prepare(args: &SurveyArgs, path: &Path, filters: &[Filter]) -> Result<Prepared> {
    let data = args.read(path, filters)?;
    let design = Design::new(&data.stratum, data.psu.clone(), data.n_psu)
        .with_context(|| format!("{}: building the sample design", path.display()))?;
    if args.lonely() == LonelyPsu::Fail
        && args.se == SeArg::Linearized
        && let Some(&h) = design.lonely_strata().first()
    {
        let label = data.strata_names.get(h as usize).map_or("(all rows)", String::as_str);
        bail!(
            "{}: stratum {label:?} of column {:?} has a single PSU; pass --lonely-psu adjust or remove",
            path.display(),
            args.strata.as_deref().unwrap_or("")
        );
    }
    let order = order_by_welfare(&data.welfare, &data.domain);
    Ok(Prepared { data, design, order })
}

fn variance<'a>(args: &SurveyArgs, p: &'a Prepared) -> Variance<'a> {
    match args.se {
        SeArg::None => Variance::None,
        SeArg::Linearized => Variance::Linearized { design: &p.design, lonely: args.lonely() },
        SeArg::Replicate => Variance::Replicate { weights: &p.data.replicates },
    }
}

fn design_json(args: &SurveyArgs, p: &Prepared, est: &Estimates) -> Value {
    json!({
        "n_rows": p.data.welfare.len(),
        "n_obs": est.n_obs,
        "population": finite(est.population),
        "n_strata": p.data.n_strata,
        "n_psu": p.data.n_psu,
        "weight": args.weight,
        "size": args.size,
        "strata": args.strata,
        "psu": args.psu,
        "se": match args.se { SeArg::None => "none", SeArg::Linearized => "linearized", SeArg::Replicate => "replicate" },
        "variance": match args.se {
            SeArg::None => "none".to_owned(),
            SeArg::Linearized => "Taylor linearisation, ultimate cluster, with replacement, no fpc (R survey::svyrecvar)".to_owned(),
            SeArg::Replicate => format!("replicate weights: sum (theta_r - mean)^2 / (R - 1), R = {}", p.data.replicates.len()),
        },
        "replicate_columns": p.data.replicate_columns,
        "lonely_psu": format!("{:?}", args.lonely_psu).to_lowercase(),
        "line": args.line,
        "poor_if": match args.poor_if { PoorIfArg::Lt => "lt", PoorIfArg::Le => "le" },
        "gini": match args.gini { GiniArg::Pip => "pip", GiniArg::Convey => "convey" },
        "filter": args.filter,
        "by": args.by,
    })
}

fn write_json(path: &Path, value: &Value) -> Result<()> {
    let text = serde_json::to_string_pretty(value).context("serialising the results")?;
    std::fs::write(path, text + "\n").with_context(|| format!("writing {}", path.display()))
}

fn measure(args: &MeasureArgs) -> Result<ExitCode> {
    let s = &args.survey;
    let config = s.config()?;
    let filters = s.filters()?;
    let p = prepare(s, &args.input, &filters)?;
    let input = args.input.display();
    let mut warnings = p.data.warnings.clone();
    let (est, groups_json) = match &p.data.groups {
        Some((group_of_row, labels)) => {
            let (all, groups, decomposition) = by_group(
                &p.data.welfare,
                &p.data.weight,
                &p.order,
                group_of_row,
                labels.len(),
                &config,
                variance(s, &p),
            )
            .with_context(|| {
                format!("{input}: estimating by {:?}", s.by.as_deref().unwrap_or(""))
            })?;
            let mut values = Map::new();
            for (label, g) in labels.iter().zip(&groups) {
                match g {
                    Some(g) => {
                        for w in &g.estimates.warnings {
                            warnings.push(format!("group {label:?}: {w}"));
                        }
                        values.insert(
                            label.clone(),
                            json!({
                                "n_obs": g.estimates.n_obs,
                                "population": finite(g.estimates.population),
                                "population_share": finite(g.population_share),
                                "fgt_contribution": {
                                    "fgt0": finite(g.fgt_contribution[0]),
                                    "fgt1": finite(g.fgt_contribution[1]),
                                    "fgt2": finite(g.fgt_contribution[2]),
                                },
                                "estimates": estimates_json(&g.estimates),
                            }),
                        );
                    }
                    None => warnings
                        .push(format!("group {label:?} has no row in the domain and is left out")),
                }
            }
            let groups_json = json!({
                "column": s.by,
                "values": values,
                "entropy_decomposition": {
                    "ge0": split_json(&decomposition.ge0),
                    "ge1": split_json(&decomposition.ge1),
                },
            });
            (all, groups_json)
        }
        None => {
            let est = caravan_poverty::estimate(
                &p.data.welfare,
                &p.data.weight,
                &p.order,
                &config,
                variance(s, &p),
            )
            .with_context(|| format!("{input}: estimating"))?;
            (est, json!({}))
        }
    };
    warnings.extend(est.warnings.iter().cloned());
    let result = json!({
        "estimates": estimates_json(&est),
        "groups": groups_json,
        "design": design_json(s, &p, &est),
        "warnings": warnings,
        "lorenz": lorenz_json(&est),
        "decile_shares": est.decile_shares.iter().map(|&x| finite(x)).collect::<Vec<_>>(),
    });
    write_json(&args.out, &result)?;
    let headline = ["mean", "fgt0", "gini"]
        .iter()
        .map(|n| {
            let v = est.value(n).unwrap_or(f64::NAN);
            match est.se_of(n) {
                Some(se) => format!("{n} = {v:.6} (se {se:.6})"),
                None => format!("{n} = {v:.6}"),
            }
        })
        .collect::<Vec<_>>()
        .join(", ");
    report(&format!("{}: {headline}; wrote {}", input, args.out.display()))?;
    Ok(ExitCode::SUCCESS)
}

fn period(p: &Prepared) -> Period<'_> {
    Period { welfare: &p.data.welfare, weight: &p.data.weight, order: &p.order, design: &p.design }
}

fn compare_cmd(args: &CompareArgs) -> Result<ExitCode> {
    let s = &args.survey;
    let config = s.config()?;
    let filters = s.filters()?;
    let p1 = prepare(s, &args.before, &filters)?;
    let p2 = prepare(s, &args.after, &filters)?;
    let cmp = compare(period(&p1), period(&p2), &config, s.lonely()).with_context(|| {
        format!("comparing {} with {}", args.before.display(), args.after.display())
    })?;
    let gr = |g: &caravan_poverty::GrowthRedistribution| json!({ "growth": finite(g.growth), "redistribution": finite(g.redistribution), "residual": finite(g.residual) });
    let datt: Vec<Value> = cmp
        .datt_ravallion
        .iter()
        .map(|d| {
            json!({
                "measure": format!("fgt{}", d.alpha),
                "before": finite(d.before),
                "after": finite(d.after),
                "change": finite(d.change),
                "reference_before": gr(&d.reference_before),
                "reference_after": gr(&d.reference_after),
                "shapley": gr(&d.shapley),
            })
        })
        .collect();
    let pl = &cmp.people;
    let mut warnings: Vec<String> =
        p1.data.warnings.iter().map(|w| format!("before: {w}")).collect();
    warnings.extend(p2.data.warnings.iter().map(|w| format!("after: {w}")));
    warnings.extend(cmp.before.warnings.iter().map(|w| format!("before: {w}")));
    warnings.extend(cmp.after.warnings.iter().map(|w| format!("after: {w}")));
    let huppi = match (&p1.data.groups, &p2.data.groups) {
        (Some((g1, l1)), Some((g2, l2))) => Some(sectoral(&p1, g1, l1, &p2, g2, l2, &config)?),
        _ => None,
    };
    let result = json!({
        "before": { "estimates": estimates_json(&cmp.before), "design": design_json(s, &p1, &cmp.before) },
        "after": { "estimates": estimates_json(&cmp.after), "design": design_json(s, &p2, &cmp.after) },
        "gic": cmp.gic.iter().map(|(p, g)| json!({ "p": p, "growth": finite(*g) })).collect::<Vec<_>>(),
        "mean_growth": finite(cmp.mean_growth),
        "bottom40_growth": finite(cmp.bottom40_growth),
        "datt_ravallion": datt,
        "ravallion_huppi": huppi,
        "people_lifted_out": {
            "n_poor_before": finite(pl.n_poor_before),
            "n_poor_after": finite(pl.n_poor_after),
            "net_change": { "value": finite(pl.net_change), "se": finite(pl.net_change_se) },
            "rate_effect": { "value": finite(pl.rate_effect), "se": finite(pl.rate_effect_se) },
            "population_effect": { "value": finite(pl.population_effect), "se": finite(pl.population_effect_se) },
            "lifted_out": { "value": finite(pl.lifted_out), "se": finite(pl.net_change_se) },
            "statement": pl.statement,
        },
        "warnings": warnings,
    });
    write_json(&args.out, &result)?;
    report(&format!("{}\nwrote {}", pl.statement, args.out.display()))?;
    Ok(ExitCode::SUCCESS)
}

/// Ravallion–Huppi on FGT(0, 1, 2), sectors matched by label across rounds.
fn sectoral(
    p1: &Prepared,
    g1: &[u32],
    l1: &[String],
    p2: &Prepared,
    g2: &[u32],
    l2: &[String],
    config: &Config,
) -> Result<Value> {
    let mut labels: Vec<String> = l1.to_vec();
    for l in l2 {
        if !labels.contains(l) {
            labels.push(l.clone());
        }
    }
    // Per round and sector: population share and FGT(alpha), from the round's single sort.
    let shares_and_fgt = |p: &Prepared, groups: &[u32], names: &[String], alpha: f64| {
        let total: f64 = p.order.iter().map(|&r| p.data.weight[r as usize]).sum();
        labels
            .iter()
            .map(|label| match names.iter().position(|n| n == label) {
                Some(id) => {
                    let sub = restrict_order(&p.order, |r| groups[r as usize] == id as u32);
                    let n: f64 = sub.iter().map(|&r| p.data.weight[r as usize]).sum();
                    if n > 0.0 {
                        let fgt = caravan_poverty::fgt_at_line(
                            &p.data.welfare,
                            &p.data.weight,
                            &sub,
                            config.line,
                            alpha,
                            config.poor_if,
                        );
                        (n / total, fgt)
                    } else {
                        (0.0, 0.0)
                    }
                }
                None => (0.0, 0.0),
            })
            .unzip::<f64, f64, Vec<f64>, Vec<f64>>()
    };
    let mut out = Map::new();
    for alpha in [0.0, 1.0, 2.0] {
        let (s1, f1) = shares_and_fgt(p1, g1, l1, alpha);
        let (s2, f2) = shares_and_fgt(p2, g2, l2, alpha);
        let rh = ravallion_huppi(&s1, &f1, &s2, &f2);
        out.insert(
            format!("fgt{alpha}"),
            json!({
                "change": finite(rh.change),
                "intra_sectoral": finite(rh.intra_sectoral),
                "population_shift": finite(rh.population_shift),
                "interaction": finite(rh.interaction),
            }),
        );
    }
    out.insert("sectors".to_owned(), json!(labels));
    Ok(Value::Object(out))
}

/// The one place that writes to stdout.
fn report(text: &str) -> Result<()> {
    let mut out = std::io::stdout().lock();
    match writeln!(out, "{text}") {
        Err(err) if err.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        other => other.context("writing to stdout"),
    }
}

/// Options of `caravan bench poverty`.
#[derive(Debug, clap::Args)]
pub struct BenchArgs {
    /// Survey sizes to generate (records), comma-separated.
    #[arg(long, value_delimiter = ',', default_values_t = [1_000_000usize, 10_000_000])]
    pub sizes: Vec<usize>,
    /// Seed of the synthetic survey.
    #[arg(long, default_value_t = 20_240_601)]
    pub seed: u64,
    /// Strata.
    #[arg(long, default_value_t = 8)]
    pub strata: u32,
    /// Primary sampling units.
    #[arg(long, default_value_t = 2_000)]
    pub psus: u32,
    /// Timed runs per size (sort + all estimates + SEs); the median, fastest and slowest are
    /// reported, as one run on a shared or virtual machine can be far off.
    #[arg(long, default_value_t = 3)]
    pub repeat: usize,
}

/// Synthetic survey: log-normal welfare by stratum, weights 50..550, PSUs nested in strata.
fn synthetic(n: usize, args: &BenchArgs) -> Result<(Vec<f64>, Vec<f64>, Design)> {
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(args.seed);
    let n_psu = args.psus.max(args.strata).max(1);
    let mut welfare = Vec::with_capacity(n);
    let mut weight = Vec::with_capacity(n);
    let mut psu = Vec::with_capacity(n);
    let mut stratum = Vec::with_capacity(n);
    for i in 0..n {
        let p = (i as u64 * u64::from(n_psu) / n as u64) as u32;
        let h = p % args.strata.max(1);
        // Box–Muller normal for a log-normal welfare with a stratum effect.
        let (u1, u2): (f64, f64) = (rng.r#gen::<f64>().max(1e-300), rng.r#gen());
        let normal = (-2.0 * u1.ln()).sqrt() * (2.0 * std::f64::consts::PI * u2).cos();
        welfare.push((5.0 + 0.1 * f64::from(h) + 0.8 * normal).exp());
        weight.push(50.0 + 500.0 * rng.r#gen::<f64>());
        psu.push(p);
        stratum.push(h);
    }
    let design = Design::new(&stratum, psu, n_psu as usize).context("synthetic design")?;
    Ok((welfare, weight, design))
}

/// Runs `caravan bench poverty`: all point estimates plus linearised standard errors on
/// synthetic surveys of each size, printing seconds and peak resident memory.
///
/// # Errors
/// Only if the synthetic design is invalid or stdout fails.
pub fn bench(args: BenchArgs) -> Result<()> {
    let config = Config { line: 120.0, poor_if: PoorIf::Below, gini: GiniForm::Pip };
    report(&format!(
        "caravan bench poverty: {} strata, {} PSUs, seed {}, {} rayon threads",
        args.strata,
        args.psus,
        args.seed,
        rayon_threads()
    ))?;
    for &n in &args.sizes {
        let (welfare, weight, design) = synthetic(n, &args)?;
        let rows: Vec<u32> = (0..u32::try_from(n).context("size must be below 2^32")?).collect();
        let mut runs = Vec::with_capacity(args.repeat.max(1));
        let mut last = None;
        for _ in 0..args.repeat.max(1) {
            let cpu_start = caravan_io::process::cpu_seconds();
            let start = Instant::now();
            let order = order_by_welfare(&welfare, &rows);
            let sorted_s = start.elapsed().as_secs_f64();
            let est = caravan_poverty::estimate(
                &welfare,
                &weight,
                &order,
                &config,
                Variance::Linearized { design: &design, lonely: LonelyPsu::Fail },
            )
            .context("estimating the synthetic survey")?;
            let total_s = start.elapsed().as_secs_f64();
            let cpu_s =
                caravan_io::process::cpu_seconds().zip(cpu_start).map_or(f64::NAN, |(b, a)| b - a);
            runs.push((total_s, sorted_s, cpu_s));
            last = Some((order, est));
        }
        let (order, est) = last.context("at least one run")?;
        runs.sort_by(|a, b| a.0.total_cmp(&b.0));
        let (total_s, sorted_s, cpu_s) = runs[runs.len() / 2];
        let (fastest, slowest) = (runs[0].0, runs[runs.len() - 1].0);
        let point_start = Instant::now();
        caravan_poverty::estimate(&welfare, &weight, &order, &config, Variance::None)
            .context("estimating the synthetic survey")?;
        let point_s = point_start.elapsed().as_secs_f64();
        report(&format!(
            "n = {n}: {total_s:.3} s (median of {}; fastest {fastest:.3} s, slowest {slowest:.3} s) for 31 estimates + linearised SEs (sort {sorted_s:.3} s; {cpu_s:.2} CPU s); points alone {point_s:.3} s; \
             peak RSS {:.0} MiB; gini = {:.4} (se {:.5}), fgt0 = {:.4} (se {:.5})",
            runs.len(),
            caravan_io::process::peak_rss_kib().map_or(f64::NAN, |k| k as f64 / 1024.0),
            est.value("gini").unwrap_or(f64::NAN),
            est.se_of("gini").unwrap_or(f64::NAN),
            est.value("fgt0").unwrap_or(f64::NAN),
            est.se_of("fgt0").unwrap_or(f64::NAN),
        ))?;
    }
    Ok(())
}

fn rayon_threads() -> usize {
    std::thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get)
}
