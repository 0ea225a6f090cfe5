//! `caravan declaration validate FILE.json`: every error with its field path, exit 1 if any.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use caravan_customs::{FieldError, ValidationContext, validate_json};
use time::Date;

use crate::engine::Engine;

/// Largest declaration file accepted (999 items fit in well under this).
const MAX_FILE_BYTES: u64 = 16 * 1024 * 1024;

/// Options of `caravan declaration validate`.
#[derive(Debug, clap::Args)]
pub struct ValidateArgs {
    /// The declaration, as JSON (see data/customs/DICTIONARY.md).
    file: PathBuf,
    /// The day to validate on, YYYY-MM-DD (default: today, UTC); dates after it are errors.
    #[arg(long, value_parser = parse_date)]
    today: Option<Date>,
    /// Print the errors (or the checked declaration) as JSON instead of lines.
    #[arg(long)]
    json: bool,
    /// Also write the result as JSON to this file: `{"valid": bool, "errors": [...]}`.
    #[arg(long)]
    report: Option<PathBuf>,
}

fn parse_date(text: &str) -> Result<Date, String> {
    let format = time::macros::format_description!("[year]-[month]-[day]");
    Date::parse(text, &format)
        .map_err(|err| format!("{text:?} is not a date written YYYY-MM-DD: {err}"))
}

pub(crate) fn run(args: &ValidateArgs) -> anyhow::Result<ExitCode> {
    let path = &args.file;
    let size = std::fs::metadata(path)
        .with_context(|| {
            format!("reading {}: check the path and that the file is readable", path.display())
        })?
        .len();
    if size > MAX_FILE_BYTES {
        anyhow::bail!(
            "{} is {size} bytes, more than the {MAX_FILE_BYTES} a declaration may have: split the consignment",
            path.display()
        );
    }
    let bytes = std::fs::read(path).with_context(|| format!("reading {}", path.display()))?;
    let engine = Engine::load()?;
    let today = args.today.unwrap_or_else(|| time::OffsetDateTime::now_utc().date());
    let ctx =
        ValidationContext { code_lists: &engine.code_lists, reference: &engine.reference, today };
    let result = match std::str::from_utf8(&bytes) {
        Ok(text) => validate_json(text, &ctx),
        Err(err) => Err(vec![FieldError {
            path: caravan_customs::validate::ROOT_PATH.to_owned(),
            code: caravan_customs::ErrorCode::InvalidJson,
            reason: format!("not UTF-8 text: {err}"),
        }]),
    };
    if let Some(report) = &args.report {
        let body = match &result {
            Ok(declaration) => {
                serde_json::json!({ "valid": true, "errors": [], "declaration": declaration })
            }
            Err(errors) => serde_json::json!({ "valid": false, "errors": errors }),
        };
        let text = serde_json::to_string_pretty(&body).context("serialising the report")?;
        std::fs::write(report, text + "\n").with_context(|| {
            format!(
                "writing the report {}: check the folder exists and is writable",
                report.display()
            )
        })?;
    }
    let mut out = std::io::stdout().lock();
    let printed = print(&mut out, &args.file, &result, args.json);
    match printed {
        Err(err) if err.kind() == std::io::ErrorKind::BrokenPipe => {}
        other => other.context("writing to stdout")?,
    }
    Ok(if result.is_ok() { ExitCode::SUCCESS } else { ExitCode::FAILURE })
}

fn print(
    out: &mut impl Write,
    file: &std::path::Path,
    result: &Result<caravan_customs::Declaration, Vec<FieldError>>,
    json: bool,
) -> std::io::Result<()> {
    match (result, json) {
        (Ok(declaration), true) => {
            serde_json::to_writer_pretty(&mut *out, declaration)?;
            writeln!(out)
        }
        (Err(errors), true) => {
            serde_json::to_writer_pretty(&mut *out, errors)?;
            writeln!(out)
        }
        (Ok(declaration), false) => writeln!(
            out,
            "{}: valid {} declaration {} with {} item(s)",
            file.display(),
            declaration.declaration_type.code(),
            declaration.reference,
            declaration.items.len()
        ),
        (Err(errors), false) => {
            for err in errors {
                writeln!(out, "{}: {err}", file.display())?;
            }
            writeln!(
                out,
                "{}: {} error(s); fix them and validate again (field meanings: data/customs/DICTIONARY.md)",
                file.display(),
                errors.len()
            )
        }
    }
}
