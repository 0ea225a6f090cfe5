//! `caravan origin assess`.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, Result, anyhow};
use caravan_origin::{AssessOptions, Product, assess, render_html};
use caravan_types::{CountryCode, Decimal, HsCode};

use crate::read::{load_bom, load_rule_book};
use crate::{emit, success};

/// Subcommands of `caravan origin`.
#[derive(Debug, clap::Subcommand)]
pub enum OriginCommand {
    /// Does a product qualify as originating? JSON verdict with `"qualifies": true|false`, the
    /// rule applied and a step-by-step explanation.
    Assess(AssessArgs),
}

/// Options of `caravan origin assess`.
#[derive(Debug, clap::Args)]
pub struct AssessArgs {
    /// Rules: a UK rule-set JSON as shipped (e.g. dcts-general-enhanced.json) or a caravan-origin-rules/1 file.
    #[arg(long, value_name = "FILE")]
    pub rules: PathBuf,
    /// HS code of the product.
    #[arg(long, value_name = "HS")]
    pub product: String,
    /// Exporting country, ISO 3166 alpha-2.
    #[arg(long, value_name = "CC")]
    pub exporter: String,
    /// Ex-works (or FOB) price of the product.
    #[arg(long, value_name = "P", allow_hyphen_values = true)]
    pub price: String,
    /// Bill of materials CSV: hs_code,origin,value[,description].
    #[arg(long, value_name = "BOM.csv")]
    pub bom: PathBuf,
    /// A specific process carried out, in the rule's words (repeatable).
    #[arg(long = "process", value_name = "TEXT")]
    pub processes: Vec<String>,
    /// Cumulation partners whose materials count as originating (comma-separated or repeated).
    #[arg(long, value_delimiter = ',', value_name = "CC")]
    pub cumulation: Vec<String>,
    /// General tolerance in percent of the price (overrides the rule book's).
    #[arg(long, value_name = "PERCENT")]
    pub tolerance: Option<String>,
    /// Name of the agreement to show (default: from the file).
    #[arg(long)]
    pub agreement: Option<String>,
    /// Write the JSON here instead of standard output.
    #[arg(long, value_name = "OUT.json")]
    pub output: Option<PathBuf>,
    /// Also write a printable HTML page of the verdict here.
    #[arg(long, value_name = "OUT.html")]
    pub html: Option<PathBuf>,
}

/// Runs a `caravan origin` subcommand.
///
/// # Errors
/// Unreadable rules or bill of materials (with file, line and column), and inputs the engine
/// refuses, with the flag at fault.
pub fn run_origin(cmd: OriginCommand) -> Result<ExitCode> {
    match cmd {
        OriginCommand::Assess(args) => assess_cmd(&args),
    }
}

fn assess_cmd(args: &AssessArgs) -> Result<ExitCode> {
    let hs_code = HsCode::parse(&args.product).map_err(|err| anyhow!("--product: {err}"))?;
    let exporter =
        CountryCode::parse(&args.exporter).map_err(|err| anyhow!("--exporter: {err}"))?;
    let price: Decimal = args
        .price
        .trim()
        .parse()
        .map_err(|_| anyhow!("--price: {:?} is not a decimal number", args.price))?;
    let cumulation = args
        .cumulation
        .iter()
        .map(|c| CountryCode::parse(c).map_err(|err| anyhow!("--cumulation: {err}")))
        .collect::<Result<Vec<_>>>()?;
    let tolerance_percent = args
        .tolerance
        .as_deref()
        .map(|t| {
            t.trim()
                .parse::<Decimal>()
                .map_err(|_| anyhow!("--tolerance: {t:?} is not a percentage"))
        })
        .transpose()?;
    let book = load_rule_book(&args.rules, args.agreement.as_deref())?;
    let bom = load_bom(&args.bom)?;
    let product = Product { hs_code, exporter, price };
    let options =
        AssessOptions { declared_processes: args.processes.clone(), cumulation, tolerance_percent };
    let verdict = assess(&book, &product, &bom, &options).map_err(|err| {
        let field = err.field();
        let flag = if field == "price" || field == "product" {
            format!("--{field}")
        } else {
            format!("--bom {field}")
        };
        anyhow!("{flag}: {err}")
    })?;
    if let Some(path) = &args.html {
        std::fs::write(path, render_html(&verdict))
            .with_context(|| format!("writing {}", path.display()))?;
    }
    emit(&verdict, args.output.as_deref())?;
    Ok(success())
}
