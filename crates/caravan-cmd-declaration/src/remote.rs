//! `caravan declaration lodge FILE.json` and `caravan declaration status REF`: the single
//! window's HTTP API from the command line.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::Context;
use serde_json::{Value, json};

/// Largest declaration file sent (the server takes at most 1 MiB).
const MAX_FILE_BYTES: u64 = 1024 * 1024;

/// Options of `caravan declaration lodge`.
#[derive(Debug, clap::Args)]
pub struct LodgeArgs {
    /// The declaration as JSON: the data set, or `{"declaration": ..., "certificates": [...]}`.
    file: PathBuf,
    /// The server, e.g. http://127.0.0.1:8080.
    #[arg(long, env = "CARAVAN_SERVER")]
    server: String,
    /// An API token (create one under API tokens in the web UI).
    #[arg(long, env = "CARAVAN_TOKEN", hide_env_values = true)]
    token: String,
    /// The idempotency key; default: a new random one per run. Reuse a key to retry safely.
    #[arg(long)]
    idempotency_key: Option<String>,
}

/// Options of `caravan declaration status`.
#[derive(Debug, clap::Args)]
pub struct StatusArgs {
    /// The declaration's reference.
    reference: String,
    #[arg(long, env = "CARAVAN_SERVER")]
    server: String,
    #[arg(long, env = "CARAVAN_TOKEN", hide_env_values = true)]
    token: String,
}

fn agent() -> ureq::Agent {
    ureq::AgentBuilder::new().timeout(Duration::from_secs(30)).build()
}

/// The body of an answer, or the API's error as a readable message.
fn answer(result: Result<ureq::Response, ureq::Error>, server: &str) -> anyhow::Result<Value> {
    match result {
        Ok(response) => response.into_json().context("reading the server's answer"),
        Err(ureq::Error::Status(code, response)) => {
            let body: Value = response.into_json().unwrap_or(Value::Null);
            let error = &body["error"];
            anyhow::bail!(
                "the server refused ({code} {}): {}{}",
                error["code"].as_str().unwrap_or("?"),
                error["message"].as_str().unwrap_or("no message"),
                error["field"].as_str().map(|f| format!(" [field {f}]")).unwrap_or_default()
            )
        }
        Err(err) => Err(anyhow::anyhow!("{err}"))
            .with_context(|| format!("reaching {server}: check --server and that it runs")),
    }
}

fn random_key() -> String {
    let bytes: [u8; 16] = rand::random();
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

pub(crate) fn lodge(args: &LodgeArgs) -> anyhow::Result<ExitCode> {
    let path = &args.file;
    let size = std::fs::metadata(path)
        .with_context(|| format!("reading {}: check the path", path.display()))?
        .len();
    anyhow::ensure!(size <= MAX_FILE_BYTES, "{} is over {MAX_FILE_BYTES} bytes", path.display());
    let text =
        std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    let value: Value = serde_json::from_str(&text).with_context(|| {
        format!("{} is not JSON; check it with `caravan declaration validate`", path.display())
    })?;
    let body =
        if value.get("declaration").is_some() { value } else { json!({ "declaration": value }) };
    let key = args.idempotency_key.clone().unwrap_or_else(random_key);
    let url = format!("{}/api/v1/declarations/lodge", args.server.trim_end_matches('/'));
    let result = agent()
        .post(&url)
        .set("Authorization", &format!("Bearer {}", args.token))
        .set("Idempotency-Key", &key)
        .send_json(body);
    let lodged = answer(result, &args.server)?;
    let mut out = std::io::stdout().lock();
    writeln!(
        out,
        "{} lodged: channel {}, status {} (idempotency key {key})",
        lodged["reference"].as_str().unwrap_or("?"),
        lodged["channel"].as_str().unwrap_or("?"),
        lodged["status"].as_str().unwrap_or("?"),
    )?;
    for reason in lodged["reasons"].as_array().into_iter().flatten() {
        writeln!(
            out,
            "  {} ({}): {}",
            reason["rule_id"].as_str().unwrap_or("?"),
            reason["channel"].as_str().unwrap_or("?"),
            reason["reason"].as_str().unwrap_or("")
        )?;
    }
    for agency in lodged["agencies"].as_array().into_iter().flatten() {
        writeln!(out, "  needs the approval of {}", agency.as_str().unwrap_or("?"))?;
    }
    Ok(ExitCode::SUCCESS)
}

pub(crate) fn status(args: &StatusArgs) -> anyhow::Result<ExitCode> {
    let url =
        format!("{}/api/v1/declarations/{}", args.server.trim_end_matches('/'), args.reference);
    let result = agent().get(&url).set("Authorization", &format!("Bearer {}", args.token)).call();
    let detail = answer(result, &args.server)?;
    let mut out = std::io::stdout().lock();
    writeln!(
        out,
        "{}: {} (version {}, channel {})",
        detail["reference"].as_str().unwrap_or("?"),
        detail["status"].as_str().unwrap_or("?"),
        detail["version"],
        detail["channel"].as_str().unwrap_or("none")
    )?;
    for event in detail["timeline"].as_array().into_iter().flatten() {
        let comment = event["event"]["comment"].as_str().filter(|c| !c.is_empty());
        writeln!(
            out,
            "  {}  v{}  {} -> {}  by {}{}",
            event["at"].as_str().unwrap_or("?"),
            event["version"],
            event["from_status"].as_str().unwrap_or("?"),
            event["to_status"].as_str().unwrap_or("?"),
            event["actor"]["name"].as_str().unwrap_or("?"),
            comment.map(|c| format!(": {c}")).unwrap_or_default()
        )?;
    }
    for part in detail["agencies"].as_array().into_iter().flatten() {
        writeln!(
            out,
            "  agency {}: {}",
            part["agency"].as_str().unwrap_or("?"),
            part["status"].as_str().unwrap_or("?")
        )?;
    }
    Ok(ExitCode::SUCCESS)
}
