//! `caravan cert verify|export|import` for other systems' documents, through `caravan-interop`:
//! the shell reads and writes the files, the domain crate reads and writes the formats.

use std::path::Path;
use std::process::ExitCode;

use anyhow::{Context as _, Result};
use caravan_interop::detect::Format;
use caravan_interop::dns::PinnedRecords;
use caravan_interop::untp::UntpSchemas;
use caravan_interop::verdict::{Status, Verdict};
use caravan_interop::{oa, sps, untp};
use serde_json::Value;

use crate::{read_input, say, unreadable};

/// The files an officer hands in beside another system's document.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct OtherFormatInputs<'a> {
    /// Pinned DNS TXT records (`--dns-records`), for OpenAttestation identity.
    pub(crate) dns_records: Option<&'a Path>,
    /// A folder of UNTP JSON Schemas (`--untp-schemas`).
    pub(crate) untp_schemas: Option<&'a Path>,
}

/// Verifies a document of another system and answers 0 valid, 1 invalid, 3 not every check
/// could run offline, 2 unreadable.
pub(crate) fn verify(
    path: &Path,
    bytes: &[u8],
    format: Format,
    inputs: &OtherFormatInputs<'_>,
    json: bool,
) -> Result<ExitCode> {
    let verdict = match verdict_of(path, bytes, format, inputs) {
        Ok(verdict) => verdict,
        Err(err) => return Ok(unreadable(&err)),
    };
    print_verdict(&verdict, json)?;
    Ok(exit_code(&verdict))
}

/// The exit code of a verdict: 0 valid, 1 invalid, 3 incomplete offline.
pub(crate) fn exit_code(verdict: &Verdict) -> ExitCode {
    match verdict.status() {
        Status::Valid => ExitCode::SUCCESS,
        Status::Invalid => ExitCode::from(1),
        Status::IncompleteOffline => ExitCode::from(3),
    }
}

fn print_verdict(verdict: &Verdict, json: bool) -> Result<()> {
    if json {
        say(&serde_json::to_string_pretty(&verdict.to_json())?)
    } else {
        say(verdict.to_text().trim_end())
    }
}

fn verdict_of(
    path: &Path,
    bytes: &[u8],
    format: Format,
    inputs: &OtherFormatInputs<'_>,
) -> Result<Verdict> {
    let name = path.display();
    match format {
        Format::SpsXml => {
            let text =
                std::str::from_utf8(bytes).with_context(|| format!("{name} is not UTF-8"))?;
            sps::verify(text).with_context(|| format!("{name} is not readable SPS XML"))
        }
        Format::OpenAttestation(version) => {
            let doc: Value =
                serde_json::from_slice(bytes).with_context(|| format!("{name} is not JSON"))?;
            let dns = inputs.dns_records.map(read_dns_records).transpose()?;
            Ok(oa::verify(&doc, version, dns.as_ref()))
        }
        Format::Untp => {
            let doc: Value =
                serde_json::from_slice(bytes).with_context(|| format!("{name} is not JSON"))?;
            let schemas = inputs.untp_schemas.map(read_untp_schemas).transpose()?;
            Ok(untp::verify_with(&doc, &schemas.unwrap_or_default()))
        }
        Format::Caravan => {
            anyhow::bail!("{name} is a Caravan certificate: verify it with its trust list")
        }
    }
}

fn read_dns_records(path: &Path) -> Result<PinnedRecords> {
    let bytes = read_input(path)?;
    let text =
        std::str::from_utf8(&bytes).with_context(|| format!("{} is not UTF-8", path.display()))?;
    PinnedRecords::parse(text).with_context(|| format!("reading --dns-records {}", path.display()))
}

/// Every `*.json` file of `dir` as a UNTP JSON Schema, named as UNTP publishes it: the folder
/// is read here, the schemas are taken by `caravan-interop`'s one loader
/// ([`UntpSchemas::from_files`]). `caravan serve --untp-schemas` loads its folder with this too.
///
/// # Errors
/// The folder or a file cannot be read, or the loader refuses a file (the error names it) or
/// finds no schema.
pub fn read_untp_schemas(dir: &Path) -> Result<UntpSchemas> {
    let context = || format!("reading UNTP JSON Schemas from {}", dir.display());
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).with_context(context)? {
        let path = entry.with_context(context)?.path();
        // A name that is not UTF-8 is shown as best it can be, and refused as no UNTP name.
        let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        if name.ends_with(".json") {
            files.push((name, read_input(&path)?));
        }
    }
    UntpSchemas::from_files(files).with_context(context)
}

/// `caravan cert export --format sps-xml|untp CERT.json --out FILE`.
pub(crate) fn export(format: &str, cert: &Path, out: &Path) -> Result<ExitCode> {
    let credential: Value = match read_input(cert).and_then(|bytes| {
        serde_json::from_slice(&bytes).with_context(|| format!("{} is not JSON", cert.display()))
    }) {
        Ok(credential) => credential,
        Err(err) => return Ok(unreadable(&err)),
    };
    let text = match format {
        "sps-xml" => sps::export_phyto(&credential)
            .with_context(|| format!("exporting {} as SPS XML", cert.display()))?,
        _ => {
            let untp = untp::export(&credential)
                .with_context(|| format!("exporting {} as UNTP", cert.display()))?;
            serde_json::to_string_pretty(&untp)? + "\n"
        }
    };
    std::fs::write(out, text).with_context(|| format!("writing {}", out.display()))?;
    say(&format!("wrote {} ({format})", out.display()))?;
    Ok(ExitCode::SUCCESS)
}

/// `caravan cert import --format sps-xml FILE --out CERT-VIEW.json`.
pub(crate) fn import(format: &str, file: &Path, out: &Path) -> Result<ExitCode> {
    debug_assert_eq!(format, "sps-xml", "clap allows only sps-xml");
    let view = match read_input(file).and_then(|bytes| {
        let text =
            String::from_utf8(bytes).with_context(|| format!("{} is not UTF-8", file.display()))?;
        sps::import(&text).with_context(|| format!("{} is not readable SPS XML", file.display()))
    }) {
        Ok(view) => view,
        Err(err) => return Ok(unreadable(&err)),
    };
    let json = serde_json::to_string_pretty(&view.to_json())? + "\n";
    std::fs::write(out, json).with_context(|| format!("writing {}", out.display()))?;
    let id = view.certificate.get("id").and_then(Value::as_str).unwrap_or("(no ID)");
    say(&format!(
        "imported {id} into {}: {} element(s) not mapped are listed under \"unmapped\"",
        out.display(),
        view.unmapped.len()
    ))?;
    Ok(ExitCode::SUCCESS)
}
