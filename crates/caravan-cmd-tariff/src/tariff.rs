//! `caravan tariff calculate`, `caravan tariff import-uk`, `caravan tariff import-ett` and the
//! dispatch of `caravan tariff cross-check-hs6`.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, Result, anyhow, bail};
use caravan_tariff::ett::{
    CleaningAction, KAZAKHSTAN, KYRGYZSTAN, RemedyKind, import_ett, import_remedies,
    member_schedule,
};
use caravan_tariff::{
    Declaration, Quantity, RateRow, Unit, calculate_with_rates, uk::import_uk_commodity,
};
use caravan_types::{CountryCode, CurrencyCode, Decimal, HsCode, Money};
use time::Date;

use crate::read::{load_tariff, schedules_dir};
use crate::{emit, success, write_json};

/// Subcommands of `caravan tariff`.
#[derive(Debug, clap::Subcommand)]
pub enum TariffCommand {
    /// Duties and taxes due on an import, as a JSON breakdown: every measure applied with its
    /// amount and legal basis, the total, and every measure considered but not applied with why.
    Calculate(CalculateArgs),
    /// Convert a UK Online Trade Tariff commodity JSON document into a schedule file.
    ImportUk(ImportUkArgs),
    /// Convert the EAEU Common Customs Tariff bundle (eec_ett_v1) and the EEC trade-remedy
    /// registers next to it into the KZ and KG schedules, with a report of every row cleaned,
    /// dropped or refused.
    ImportEtt(ImportEttArgs),
    /// Compare the schedule's HS 6 averages of ad valorem rates with an independent file of
    /// applied MFN averages (WITS/TRAINS), and list the largest gaps.
    CrossCheckHs6(crate::crosscheck::CrossCheckArgs),
}

/// Options of `caravan tariff import-ett`.
#[derive(Debug, clap::Args)]
pub struct ImportEttArgs {
    /// The ETT bundle (`eec_ett_normative_bundle.json`); the remedy registers
    /// `eec_anti_dumping.json`, `eec_countervailing.json` and `eec_special_safeguard.json` are read
    /// from the same folder when present.
    #[arg(value_name = "FILE")]
    pub file: PathBuf,
    /// Output folder: writes `schedules/KZ/<date>.json`, `schedules/KG/<date>.json` and
    /// `ett-cleaning-report.json` under it.
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,
}

/// Options of `caravan tariff calculate`.
#[derive(Debug, clap::Args)]
pub struct CalculateArgs {
    /// Importing jurisdiction: KZ or KG (the real EAEU Common Customs Tariff in tenge or som with
    /// national VAT), EAEU (the illustrative sample), CN, UZ, TJ, TM.
    #[arg(long)]
    pub jurisdiction: String,
    /// Date of the declaration, YYYY-MM-DD: selects the schedule version, line, measures and rates.
    #[arg(long, value_parser = parse_date)]
    pub date: Date,
    /// National tariff line (e.g. 7403110000 for EAEU, 74031100 for CN).
    #[arg(long)]
    pub code: String,
    /// Country of origin, ISO 3166 alpha-2.
    #[arg(long)]
    pub origin: String,
    /// Customs value, e.g. 1000.00.
    #[arg(long, allow_hyphen_values = true)]
    pub value: String,
    /// Currency of the value, ISO 4217.
    #[arg(long)]
    pub currency: String,
    /// Quantity, for specific duties, e.g. 12.5.
    #[arg(long, allow_hyphen_values = true, requires = "unit")]
    pub quantity: Option<String>,
    /// Unit of the quantity: UN/ECE Rec 20 code such as KGM, TNE, LTR, HLT, NAR, PR.
    #[arg(long, requires = "quantity")]
    pub unit: Option<String>,
    /// A document presented (repeatable): origin-cert, phytosanitary-cert, veterinary-cert, import-licence, ...
    #[arg(long = "document")]
    pub documents: Vec<String>,
    /// Official exchange rates, CSV `date,from,to,rate,source` (e.g.
    /// `2026-03-01,EUR,KZT,545.12,National Bank of Kazakhstan`): a currency pair listed here must
    /// have a row for the declaration date; the result states the rate and its source.
    #[arg(long, value_name = "RATES.csv")]
    pub rates: Option<PathBuf>,
    /// Directory of schedules (default: data/tariff found from the current directory upwards).
    #[arg(long, env = "CARAVAN_TARIFF_DIR", value_name = "DIR")]
    pub schedules: Option<PathBuf>,
    /// Write the JSON here instead of standard output.
    #[arg(long, value_name = "OUT.json")]
    pub output: Option<PathBuf>,
}

/// Options of `caravan tariff import-uk`.
#[derive(Debug, clap::Args)]
pub struct ImportUkArgs {
    /// A commodity document of the UK Online Trade Tariff API (`/api/v2/commodities/{code}`).
    #[arg(long, value_name = "COMMODITY.json")]
    pub input: PathBuf,
    /// Version date to give the schedule, YYYY-MM-DD.
    #[arg(long, value_parser = parse_date)]
    pub version: Date,
    /// Where to write the schedule file.
    #[arg(long, value_name = "SCHEDULE.json")]
    pub output: PathBuf,
}

pub(crate) fn parse_date(text: &str) -> Result<Date, String> {
    let format = time::macros::format_description!("[year]-[month]-[day]");
    Date::parse(text.trim(), format)
        .map_err(|err| format!("expected YYYY-MM-DD, got {text:?} ({err})"))
}

fn decimal(flag: &str, text: &str) -> Result<Decimal> {
    text.trim()
        .parse()
        .map_err(|_| anyhow!("--{flag}: {text:?} is not a decimal number (use a dot: 1000.00)"))
}

/// Runs a `caravan tariff` subcommand.
///
/// # Errors
/// Unreadable or invalid schedules (every problem, with file and field), and declarations the
/// engine refuses, with the flag at fault.
pub fn run_tariff(cmd: TariffCommand) -> Result<ExitCode> {
    match cmd {
        TariffCommand::Calculate(args) => calculate_cmd(&args),
        TariffCommand::ImportUk(args) => import_uk_cmd(&args),
        TariffCommand::ImportEtt(args) => import_ett_cmd(&args),
        TariffCommand::CrossCheckHs6(args) => crate::crosscheck::cross_check(&args),
    }
}

fn calculate_cmd(args: &CalculateArgs) -> Result<ExitCode> {
    let code = HsCode::parse(&args.code).map_err(|err| anyhow!("--code: {err}"))?;
    let origin = CountryCode::parse(&args.origin).map_err(|err| anyhow!("--origin: {err}"))?;
    let currency =
        CurrencyCode::parse(&args.currency).map_err(|err| anyhow!("--currency: {err}"))?;
    let value = decimal("value", &args.value)?;
    let quantity = match (&args.quantity, &args.unit) {
        (Some(amount), Some(unit)) => Some(Quantity {
            amount: decimal("quantity", amount)?,
            unit: Unit::parse(unit).map_err(|err| anyhow!("--unit: {err}"))?,
        }),
        _ => None,
    };
    let dir = schedules_dir(args.schedules.as_deref())?;
    let tariff = load_tariff(&dir)?;
    let declaration = Declaration {
        jurisdiction: args.jurisdiction.trim().to_uppercase(),
        date: args.date,
        code,
        origin,
        customs_value: Money::new(value, currency),
        quantity,
        documents: args.documents.clone(),
    };
    let rates = match &args.rates {
        Some(path) => read_rates(path)?,
        None => Vec::new(),
    };
    let res = calculate_with_rates(&tariff, &declaration, &rates).map_err(|err| {
        let flag = if err.field() == "currency" && args.rates.is_none() {
            "currency (or give the official rate with --rates RATES.csv)".to_owned()
        } else {
            err.field().to_owned()
        };
        anyhow!("--{flag}: {err}")
    })?;
    emit(&res, args.output.as_deref())?;
    Ok(success())
}

fn import_uk_cmd(args: &ImportUkArgs) -> Result<ExitCode> {
    let text = std::fs::read_to_string(&args.input)
        .with_context(|| format!("reading {}", args.input.display()))?;
    let import = import_uk_commodity(&text, args.version).with_context(|| {
        format!("{}: expected a UK Online Trade Tariff commodity document", args.input.display())
    })?;
    // Check the result compiles before writing it.
    let json =
        serde_json::to_string_pretty(&import.schedule).context("serialising the schedule")?;
    caravan_tariff::parse_schedule(&json).map_err(|errors| {
        anyhow!(
            "the imported schedule is invalid (please report this with the input file):\n{}",
            errors.iter().map(ToString::to_string).collect::<Vec<_>>().join("\n")
        )
    })?;
    std::fs::write(&args.output, json + "\n")
        .with_context(|| format!("writing {}", args.output.display()))?;
    let summary = serde_json::json!({
        "output": args.output.display().to_string(),
        "line": import.schedule.lines.first().map(|line| line.code.to_string()),
        "measures_imported": import.schedule.measures.len(),
        "skipped": import.skipped.iter().map(|s| serde_json::json!({
            "measure_sid": s.measure_sid, "measure_type": s.measure_type, "reason": s.reason,
        })).collect::<Vec<_>>(),
    });
    write_json(&summary)?;
    Ok(success())
}

/// Reads a rates file: CSV with the header `date,from,to,rate,source`.
fn read_rates(path: &std::path::Path) -> Result<Vec<RateRow>> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("--rates: reading {}", path.display()))?;
    caravan_tariff::parse_rates_csv(&text)
        .map_err(|err| anyhow!("--rates {}: {err}", path.display()))
}

/// Writes a schedule as JSON with one line per tariff line and measure, so a new revision's diff
/// shows the lines that changed.
fn schedule_json(schedule: &caravan_tariff::ScheduleFile) -> Result<String> {
    let value = serde_json::to_value(schedule).context("serialising the schedule")?;
    let serde_json::Value::Object(fields) = value else {
        bail!("a schedule serialises to an object");
    };
    let mut out = String::from("{\n");
    let n_fields = fields.len();
    for (idx, (key, value)) in fields.into_iter().enumerate() {
        out.push_str(&format!(" {}: ", serde_json::to_string(&key)?));
        match value {
            serde_json::Value::Array(items) if !items.is_empty() => {
                out.push_str("[\n");
                let n_items = items.len();
                for (item_idx, item) in items.into_iter().enumerate() {
                    out.push_str("  ");
                    out.push_str(&serde_json::to_string(&item)?);
                    out.push_str(if item_idx + 1 < n_items { ",\n" } else { "\n" });
                }
                out.push_str(" ]");
            }
            other => out.push_str(&serde_json::to_string(&other)?),
        }
        out.push_str(if idx + 1 < n_fields { ",\n" } else { "\n" });
    }
    out.push_str("}\n");
    Ok(out)
}

fn import_ett_cmd(args: &ImportEttArgs) -> Result<ExitCode> {
    let text = std::fs::read_to_string(&args.file)
        .with_context(|| format!("reading {}", args.file.display()))?;
    let import = import_ett(&text).with_context(|| {
        format!("{}: expected the EAEU ETT bundle (format eec_ett_v1)", args.file.display())
    })?;
    let folder = args.file.parent().unwrap_or(std::path::Path::new("."));
    let mut registers = Vec::new();
    for (kind, name) in [
        (RemedyKind::AntiDumping, "eec_anti_dumping.json"),
        (RemedyKind::Countervailing, "eec_countervailing.json"),
        (RemedyKind::Safeguard, "eec_special_safeguard.json"),
    ] {
        let path = folder.join(name);
        if path.is_file() {
            let text = std::fs::read_to_string(&path)
                .with_context(|| format!("reading {}", path.display()))?;
            registers.push((kind, name, text));
        }
    }
    let remedies = import_remedies(
        &registers.iter().map(|(kind, _, text)| (*kind, text.as_str())).collect::<Vec<_>>(),
    )
    .context("reading the trade-remedy registers")?;
    let mut written = Vec::new();
    for state in [KAZAKHSTAN, KYRGYZSTAN] {
        let schedule = member_schedule(&import, &state, &remedies);
        let json = schedule_json(&schedule)?;
        // Check the result compiles before writing it.
        caravan_tariff::parse_schedule(&json).map_err(|errors| {
            anyhow!(
                "the imported {} schedule is invalid (please report this with the input file):\n{}",
                state.jurisdiction,
                errors.iter().take(20).map(ToString::to_string).collect::<Vec<_>>().join("\n")
            )
        })?;
        let dir = args.out.join("schedules").join(state.jurisdiction);
        std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
        let path = dir.join(format!("{}.json", import.effective_from));
        std::fs::write(&path, json).with_context(|| format!("writing {}", path.display()))?;
        written.push(format!("schedules/{}/{}.json", state.jurisdiction, import.effective_from));
    }
    let count =
        |action: CleaningAction| import.report.iter().filter(|c| c.action == action).count();
    let report = serde_json::json!({
        "source": args.file.file_name().map(|name| name.to_string_lossy().into_owned()),
        "revision": import.revision,
        "effective_from": import.effective_from.to_string(),
        "source_url": import.source_url,
        "rows_read": import.rows_read,
        "lines_imported": import.lines.len(),
        "rows_cleaned": count(CleaningAction::Cleaned),
        "rows_dropped": count(CleaningAction::Dropped),
        "rows_refused": count(CleaningAction::Refused),
        "rows": import.report,
        "remedy_registers": registers.iter().map(|(_, name, _)| *name).collect::<Vec<_>>(),
        "remedies_imported": remedies.measures.len(),
        "remedies_refused": remedies.report,
        "written": written,
    });
    let mut report_text =
        serde_json::to_string_pretty(&report).context("serialising the report")?;
    report_text.push('\n');
    std::fs::create_dir_all(&args.out)
        .with_context(|| format!("creating {}", args.out.display()))?;
    let report_path = args.out.join("ett-cleaning-report.json");
    std::fs::write(&report_path, &report_text)
        .with_context(|| format!("writing {}", report_path.display()))?;
    write_json(&report)?;
    Ok(success())
}
