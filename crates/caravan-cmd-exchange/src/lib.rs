//! `caravan exchange …`: seal an envelope with a node's key files, and check one offline
//! against the sender's identity file (issue 16). The node's own store, peers, outbox and inbox
//! come with the server's exchange feature.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, Result, bail};
use caravan_docsign::sig::{Algorithm, KeyFile, PrivateKey};
use caravan_exchange::envelope::{DocumentStatus, Envelope, Header, MessageKind};
use caravan_exchange::identity::{NodeIdentity, Peers};
use caravan_exchange::receive;
use caravan_io::process::say;
use caravan_types::CountryCode;
use clap::Subcommand;
use serde::Serialize;

/// Exit code of `verify` for an envelope that was read and refused.
pub const EXIT_REFUSED: u8 = 1;
/// Exit code for a file that cannot be read as an envelope or identity.
pub const EXIT_UNREADABLE: u8 = 2;

#[derive(Subcommand)]
pub enum Command {
    /// Seal a payload into a signed envelope (printed on standard output).
    Seal(Box<SealArgs>),
    /// Check an envelope offline against the sender's identity file: addressed to --to (or to
    /// whom it names), signed by the sender's current keys. Prints the verdict as JSON; exits 0
    /// when valid, 1 when refused, 2 when a file cannot be read.
    Verify {
        envelope: PathBuf,
        /// The sending node's identity file (more than one: any of them may be the sender).
        #[arg(long = "peer", required = true)]
        peers: Vec<PathBuf>,
        /// The receiving country; the envelope's own `to` when left out.
        #[arg(long)]
        to: Option<String>,
    },
}

/// The flags of `caravan exchange seal`.
#[derive(clap::Args)]
pub struct SealArgs {
    /// The payload: a JSON object in the schema of --kind.
    payload: PathBuf,
    /// The node's Ed25519 key file (`caravan cert keygen --alg ed25519`).
    #[arg(long)]
    key: PathBuf,
    /// The key id the sender's identity file gives that key.
    #[arg(long)]
    kid: String,
    /// An SM2 key file for the co-signature, when the node has one.
    #[arg(long, requires = "sm2_kid")]
    sm2_key: Option<PathBuf>,
    #[arg(long)]
    sm2_kid: Option<String>,
    #[arg(long)]
    from: String,
    #[arg(long)]
    to: String,
    /// certificate_of_origin, phytosanitary_certificate, mineral_passport, pre_arrival,
    /// acknowledgement or release_notice.
    #[arg(long)]
    kind: String,
    /// issued, replaced, revoked (documents); received, accepted, rejected, utilised
    /// (acknowledgements); released (release notices).
    #[arg(long, default_value = "issued")]
    status: String,
    #[arg(long)]
    document_id: String,
    #[arg(long)]
    message_id: String,
    /// 1, 2, … per (from, to) pair.
    #[arg(long)]
    sequence: u64,
    /// The hash of the pair's previous envelope (empty for sequence 1).
    #[arg(long, default_value = "")]
    previous_hash: String,
    /// RFC 3339 UTC time; now when left out.
    #[arg(long)]
    created_at: Option<String>,
}

/// What `verify` prints.
#[derive(Debug, Serialize, PartialEq, Eq)]
pub struct Verdict {
    /// `valid` or `refused`.
    pub status: &'static str,
    /// The refusal's code (`exchange.bad_signature` …), absent when valid.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub code: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    pub from: String,
    pub to: String,
    pub kind: MessageKind,
    pub document_id: String,
    pub sequence: u64,
    /// The envelope's hash, which the pair's next envelope names.
    pub hash: String,
}

/// Runs a command.
///
/// # Errors
/// Unreadable files and bad arguments, with the file or flag named.
pub fn run(cmd: Command) -> Result<ExitCode> {
    match cmd {
        Command::Seal(args) => {
            say(&serde_json::to_string_pretty(&seal(&args)?)?)?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Verify { envelope, peers, to } => {
            let mut set = Peers::new();
            for path in &peers {
                let identity = match NodeIdentity::parse(&read(path)?) {
                    Ok(identity) => identity,
                    Err(err) => {
                        eprintln!("{}: {err}", path.display());
                        return Ok(ExitCode::from(EXIT_UNREADABLE));
                    }
                };
                set.put(identity)?;
            }
            let envelope = match Envelope::parse(&read(&envelope)?) {
                Ok(envelope) => envelope,
                Err(err) => {
                    eprintln!("{}: {err}", envelope.display());
                    return Ok(ExitCode::from(EXIT_UNREADABLE));
                }
            };
            let to = to.map(|to| country("--to", &to)).transpose()?;
            let verdict = verify(&envelope, &set, to);
            say(&serde_json::to_string_pretty(&verdict)?)?;
            Ok(if verdict.status == "valid" {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(EXIT_REFUSED)
            })
        }
    }
}

/// The envelope `caravan exchange seal` prints.
///
/// # Errors
/// Unreadable files, bad flags, or a header the envelope refuses, naming the flag or member.
pub fn seal(args: &SealArgs) -> Result<Envelope> {
    let created_at = match &args.created_at {
        Some(at) => at.clone(),
        None => caravan_docsign::credential::format_time(time::OffsetDateTime::now_utc()),
    };
    let header = Header {
        from: country("--from", &args.from)?,
        to: country("--to", &args.to)?,
        kind: word("--kind", &args.kind)?,
        status: word::<DocumentStatus>("--status", &args.status)?,
        document_id: args.document_id.clone(),
        message_id: args.message_id.clone(),
        sequence: args.sequence,
        previous_hash: args.previous_hash.clone(),
        created_at,
    };
    let payload = caravan_docsign::jcs::parse(&read(&args.payload)?)
        .with_context(|| format!("{} is not strict JSON", args.payload.display()))?;
    let ed = read_key(&args.key, Algorithm::Ed25519)?;
    let sm2 = args.sm2_key.as_deref().map(|p| read_key(p, Algorithm::Sm2)).transpose()?;
    let mut keys = vec![(&ed, args.kid.as_str())];
    if let (Some(sm2), Some(sm2_kid)) = (&sm2, &args.sm2_kid) {
        keys.push((sm2, sm2_kid.as_str()));
    }
    Ok(Envelope::seal(header, payload, &keys)?)
}

/// The offline verdict on `envelope` for the receiving country `to` (its own `to` when `None`).
pub fn verify(envelope: &Envelope, peers: &Peers, to: Option<CountryCode>) -> Verdict {
    let header = &envelope.header;
    let result = receive::verify_origin(envelope, to.unwrap_or(header.to), peers);
    Verdict {
        status: if result.is_ok() { "valid" } else { "refused" },
        code: result.as_ref().err().map(receive::Refusal::code),
        reason: result.err().map(|err| err.to_string()),
        from: header.from.to_string(),
        to: header.to.to_string(),
        kind: header.kind,
        document_id: header.document_id.clone(),
        sequence: header.sequence,
        hash: envelope.hash(),
    }
}

fn read(path: &Path) -> Result<Vec<u8>> {
    std::fs::read(path).with_context(|| format!("reading {}", path.display()))
}

fn read_key(path: &Path, alg: Algorithm) -> Result<PrivateKey> {
    let file: KeyFile = serde_json::from_slice(&read(path)?)
        .with_context(|| format!("{} is not a key file", path.display()))?;
    let key = file.to_key().with_context(|| format!("{}", path.display()))?;
    if key.algorithm() != alg {
        bail!("{} holds a {} key; an {alg} key is needed here", path.display(), key.algorithm());
    }
    Ok(key)
}

fn country(flag: &str, text: &str) -> Result<CountryCode> {
    CountryCode::parse(text).with_context(|| format!("{flag}: an ISO 3166 code such as KZ"))
}

/// A snake_case enum value named on the command line.
fn word<T: serde::de::DeserializeOwned>(flag: &str, text: &str) -> Result<T> {
    serde_json::from_value(serde_json::Value::String(text.to_owned()))
        .with_context(|| format!("{flag}: {text:?} is not one of the values --help lists"))
}

#[cfg(test)]
mod tests;
