//! The online half of `caravan cert`: issuing through a running server (`issue --server URL
//! --token T`) and verifying with the server's fresh revocation state (`verify --online URL`).
//!
//! Online verification trusts the server for nothing it cannot prove: the checkpoint must be
//! signed by the issuer's log key from the trust list, and the revocation state is recomputed
//! from the log's entries, which must hash to that checkpoint's root.

use std::path::Path;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::{Context as _, Result, bail};
use base64::Engine as _;
use caravan_docsign::jcs;
use caravan_docsign::log::{SignedCheckpoint, revocation_state};
use caravan_docsign::trust::{TrustList, TrustListFile};
use caravan_docsign::verify::{self as dverify, VerifyOptions};
use serde_json::{Value, json};

use crate::{load_trust, read_input, report_exit, say, unreadable};

/// Entries fetched per request (the server's page limit).
const PAGE: u64 = 1000;

fn agent() -> ureq::Agent {
    ureq::AgentBuilder::new().timeout(Duration::from_secs(30)).build()
}

fn base(server: &str) -> &str {
    server.trim_end_matches('/')
}

/// Turns an HTTP failure into an error naming the server's `{"error": {...}}` message.
fn http_error(url: &str, err: ureq::Error) -> anyhow::Error {
    match err {
        ureq::Error::Status(code, response) => {
            let body: Value = response.into_json().unwrap_or(Value::Null);
            let message = body.pointer("/error/message").and_then(Value::as_str).unwrap_or("");
            let field = body.pointer("/error/field").and_then(Value::as_str);
            let field = field.map(|f| format!(" (field {f})")).unwrap_or_default();
            anyhow::anyhow!("{url} answered {code}: {message}{field}")
        }
        ureq::Error::Transport(t) => anyhow::anyhow!("cannot reach the server: {t}"),
    }
}

fn get_json(url: &str) -> Result<Value> {
    agent()
        .get(url)
        .call()
        .map_err(|e| http_error(url, e))?
        .into_json()
        .with_context(|| format!("{url} did not answer JSON"))
}

/// `cert issue --server URL --token T`: the server signs, logs and answers the complete certificate.
pub(crate) fn issue(
    server: &str,
    token: &str,
    doc_type: &str,
    subject: &Path,
    out: &Path,
    id: Option<String>,
) -> Result<ExitCode> {
    let subject_value = jcs::parse(&read_input(subject)?)
        .with_context(|| format!("{} is not strict JSON", subject.display()))?;
    let mut body = json!({"type": doc_type, "subject": subject_value});
    if let Some(id) = id {
        body["id"] = json!(id);
    }
    let url = format!("{}/api/v1/certificates", base(server));
    let response = agent()
        .post(&url)
        .set("Authorization", &format!("Bearer {token}"))
        .send_json(body)
        .map_err(|e| http_error(&url, e))?;
    let text = response.into_string().with_context(|| format!("reading the answer of {url}"))?;
    let certificate = jcs::parse(text.as_bytes())
        .with_context(|| format!("{url} did not answer a certificate"))?;
    std::fs::write(out, text.as_bytes()).with_context(|| format!("writing {}", out.display()))?;
    let id = certificate.get("id").and_then(Value::as_str).unwrap_or("?");
    say(&format!("issued {id} ({doc_type}) by {}; written to {}", base(server), out.display()))?;
    Ok(ExitCode::SUCCESS)
}

/// `cert verify --online URL`: the trust list (unless `--trust` is given) and the issuer log's
/// newest checkpoint and entries come from the server.
pub(crate) fn verify(
    cert: &Path,
    trust: Option<&Path>,
    server: &str,
    json_out: bool,
) -> Result<ExitCode> {
    let presented = match read_input(cert) {
        Ok(bytes) => bytes,
        Err(err) => return Ok(unreadable(&err)),
    };
    // The file may hold the certificate JSON or the text of its QR code.
    let bytes = match caravan_docsign::qr::certificate_from_presented(&presented) {
        Ok(bytes) => bytes,
        Err(err) => {
            return report_exit(
                &dverify::VerificationReport::unreadable(err.to_string()),
                json_out,
            );
        }
    };
    let prepared = (|| -> Result<_> {
        let trust = match trust {
            Some(path) => load_trust(Some(path))?,
            None => fetch_trust(server)?,
        };
        // A certificate that does not even parse is reported by the verifier itself.
        let log = jcs::parse(&bytes).ok().and_then(|v| log_id_of(&v));
        let state = log.map(|log| fetch_revocations(server, &log, &trust)).transpose()?;
        Ok((trust, state))
    })();
    let (trust, state) = match prepared {
        Ok(prepared) => prepared,
        Err(err) => return Ok(unreadable(&err)),
    };
    let options = VerifyOptions { revocations: state.as_ref(), ..VerifyOptions::default() };
    let report = dverify::verify_certificate(&bytes, &trust, &options);
    report_exit(&report, json_out)
}

fn log_id_of(certificate: &Value) -> Option<String> {
    certificate.get("proof")?.as_array()?.iter().find_map(|p| {
        (p.get("type")?.as_str()? == dverify::TRANSPARENCY_PROOF)
            .then(|| p.get("logId")?.as_str().map(str::to_owned))
            .flatten()
    })
}

fn fetch_trust(server: &str) -> Result<TrustList> {
    let url = format!("{}/api/v1/trust-list", base(server));
    let file: TrustListFile = serde_json::from_value(get_json(&url)?)
        .with_context(|| format!("{url} is not a trust list"))?;
    TrustList::from_file(&file).map_err(|errors| {
        let list: Vec<String> = errors.iter().map(ToString::to_string).collect();
        anyhow::anyhow!("the trust list of {url} is invalid: {}", list.join("; "))
    })
}

fn fetch_revocations(
    server: &str,
    log: &str,
    trust: &TrustList,
) -> Result<caravan_docsign::log::RevocationState> {
    let url = format!("{}/api/v1/logs/{log}/checkpoint", base(server));
    let checkpoint = SignedCheckpoint::from_json(&get_json(&url)?)
        .with_context(|| format!("{url} did not answer a checkpoint"))?;
    dverify::verify_checkpoint(&checkpoint, trust)
        .map_err(|err| anyhow::anyhow!("the checkpoint from {url} is not trusted: {err}"))?;
    let size = checkpoint.checkpoint.size;
    let mut entries: Vec<Vec<u8>> = Vec::new();
    while (entries.len() as u64) < size {
        let start = entries.len() as u64;
        let end = size.min(start + PAGE);
        let url = format!("{}/api/v1/logs/{log}/entries?start={start}&end={end}", base(server));
        let page = get_json(&url)?;
        let items = page.get("entries").and_then(Value::as_array).cloned().unwrap_or_default();
        if items.is_empty() {
            bail!("{url} returned no entries; the log is shorter than its checkpoint");
        }
        for item in items {
            let text = item.get("entry").and_then(Value::as_str).unwrap_or_default();
            let entry = base64::engine::general_purpose::STANDARD
                .decode(text)
                .with_context(|| format!("{url}: an entry is not base64"))?;
            entries.push(entry);
        }
    }
    let refs: Vec<&[u8]> = entries.iter().map(Vec::as_slice).collect();
    revocation_state(&refs, &checkpoint).with_context(|| {
        format!("the entries of log {log} on {} do not match its checkpoint", base(server))
    })
}
