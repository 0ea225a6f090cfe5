//! `caravan tariff calculate` and `caravan tariff import-uk`.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, Result, anyhow};
use caravan_tariff::{Declaration, Quantity, Unit, calculate, uk::import_uk_commodity};
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
}

/// Options of `caravan tariff calculate`.
#[derive(Debug, clap::Args)]
pub struct CalculateArgs {
    /// Importing jurisdiction: EAEU (for KZ and KG), CN, UZ, TJ, TM.
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
    let res =
        calculate(&tariff, &declaration).map_err(|err| anyhow!("--{}: {err}", err.field()))?;
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
