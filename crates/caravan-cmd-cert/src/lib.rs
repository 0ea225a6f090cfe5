//! Command-line shell of `caravan-docsign`: `caravan cert ...` (keys, issuance, verification,
//! canonical JSON), `caravan log ...` (the local transparency log and proof checks) and
//! `caravan bench certs`.
//!
//! Exit codes of the checking commands are a contract: 0 valid, 1 invalid (the failed check is
//! named), 2 unreadable input; `cert verify` on another system's document (OpenAttestation, SPS
//! XML, UNTP, through `caravan-interop`) also answers 3 when nothing failed but some check could
//! not run offline.

mod bench;
mod bench_interop;
mod interop;
mod logdir;
mod online;

use std::io::{Read as _, Write as _};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context as _, Result, bail};
use caravan_docsign::credential::{DocumentType, Issuer, build_credential};
use caravan_docsign::log::{LogEntry, revocation_state};
use caravan_docsign::merkle::{self, Hash};
use caravan_docsign::sig::{self, Algorithm, KeyFile, PrivateKey};
use caravan_docsign::trust::{TrustList, TrustListFile};
use caravan_docsign::verify::{self as dverify, VerifyOptions};
use caravan_docsign::{jcs, verify::attach_transparency};
use rand::RngCore as _;
use time::OffsetDateTime;

pub use bench::{BenchArgs, bench};
pub use interop::read_untp_schemas;
use logdir::{LocalLog, LogConfig};

/// `caravan cert ...`
#[derive(Debug, clap::Subcommand)]
pub enum CertCommand {
    /// Make a signing key; the file is created with owner-only permissions (0600).
    Keygen {
        /// `ed25519` or `sm2`.
        #[arg(long, value_parser = ["ed25519", "sm2"])]
        alg: String,
        /// Where to write the key file (must not exist).
        #[arg(long)]
        out: PathBuf,
        /// SM2 distinguishing identifier.
        #[arg(long, default_value = sig::DEFAULT_SM2_ID)]
        sm2_id: String,
    },
    /// Issue a certificate: sign it, append it to the log, attach its inclusion proof.
    Issue {
        /// Ed25519 key file of the certifying body (offline; a server signs with the keys it holds).
        #[arg(long, required_unless_present = "server")]
        key: Option<PathBuf>,
        /// Optional SM2 key file for a second signature.
        #[arg(long)]
        sm2_key: Option<PathBuf>,
        /// Document type.
        #[arg(long = "type", value_parser = ["origin", "phyto", "passport"])]
        doc_type: String,
        /// JSON file with the `credentialSubject`.
        #[arg(long)]
        subject: PathBuf,
        /// Where to write the certificate.
        #[arg(long)]
        out: PathBuf,
        /// Local log folder (offline issuance).
        #[arg(long, conflicts_with = "server")]
        log_dir: Option<PathBuf>,
        /// Issue through a running server instead.
        #[arg(long, requires = "token")]
        server: Option<String>,
        /// Bearer token for `--server`.
        #[arg(long)]
        token: Option<String>,
        /// Credential id (default: a random `urn:uuid:`).
        #[arg(long)]
        id: Option<String>,
    },
    /// Verify a certificate offline: exit 0 valid, 1 invalid (naming the failed check), 2 unreadable,
    /// 3 (other systems' documents) integrity valid but some check not run offline.
    ///
    /// The format is detected: ours, OpenAttestation v2/v3/v4 (TradeTrust), UN/CEFACT SPS
    /// certificate XML, or a UNTP credential.
    Verify {
        /// The certificate: its JSON, a text file with its QR code's content (`CCC1:…`), an
        /// OpenAttestation document, SPS XML or a UNTP credential.
        cert: PathBuf,
        /// Trust list file.
        #[arg(long, env = "CARAVAN_TRUST_LIST")]
        trust: Option<PathBuf>,
        /// Also fetch fresher revocation state from this server.
        #[arg(long)]
        online: Option<String>,
        /// The issuer's local log folder, for revocation state fresher than the certificate's.
        #[arg(long)]
        log_dir: Option<PathBuf>,
        /// Print the report as JSON.
        #[arg(long)]
        json: bool,
        /// Pinned DNS TXT records (JSON: `[{"name", "data"}]` or a DNS JSON answer) to check an
        /// OpenAttestation issuer's DNS-TXT / DNS-DID identity offline.
        #[arg(long)]
        dns_records: Option<PathBuf>,
        /// A folder of UNTP JSON Schemas, named as UNTP publishes them
        /// (`untp-dpp-schema-0.6.1.json`, `untp-dcc-schema-0.5.0.json`, ...), to check a UNTP
        /// credential's conformance offline; without it the `schema` check is not run.
        #[arg(long, env = "CARAVAN_UNTP_SCHEMAS")]
        untp_schemas: Option<PathBuf>,
    },
    /// Write a certificate in another system's format: `sps-xml` (UN/CEFACT SPSCertificate, from
    /// a phytosanitary certificate) or `untp` (UNTP credential, from a certificate of origin or
    /// a mineral product passport).
    Export {
        /// `sps-xml` or `untp`.
        #[arg(long, value_parser = ["sps-xml", "untp"])]
        format: String,
        /// Our certificate (JSON).
        cert: PathBuf,
        /// Where to write the document.
        #[arg(long)]
        out: PathBuf,
    },
    /// Read another system's certificate into a readable view (JSON) that lists every element
    /// not mapped: `sps-xml` (UN/CEFACT SPSCertificate, e.g. from the ePhyto Hub).
    Import {
        /// `sps-xml`.
        #[arg(long, value_parser = ["sps-xml"])]
        format: String,
        /// The document.
        file: PathBuf,
        /// Where to write the view (CERT-VIEW.json).
        #[arg(long)]
        out: PathBuf,
    },
    /// Print the RFC 8785 canonical form of a JSON document (stdin when no file).
    Canonicalize {
        /// JSON file; stdin when absent.
        file: Option<PathBuf>,
    },
    /// Verify one signature: exit 0 valid, 1 invalid, 2 unreadable.
    VerifySignature {
        /// `ed25519` or `sm2`.
        #[arg(long, value_parser = ["ed25519", "sm2"])]
        alg: String,
        /// Public key, hex (32 bytes Ed25519; 65-byte uncompressed SEC1 point for SM2).
        #[arg(long)]
        public_key: String,
        /// The signed message.
        #[arg(long)]
        message_file: PathBuf,
        /// Signature, hex (64 bytes; SM2 as r || s).
        #[arg(long)]
        signature: String,
        /// SM2 distinguishing identifier.
        #[arg(long, default_value = sig::DEFAULT_SM2_ID)]
        sm2_id: String,
    },
    /// Revoke a certificate: append a revocation to the log and sign a new checkpoint.
    Revoke {
        /// The issuer's local log folder.
        #[arg(long)]
        log_dir: PathBuf,
        /// The certificate's `id`.
        #[arg(long)]
        id: String,
        /// Why, in plain words.
        #[arg(long)]
        reason: String,
    },
    /// Add a signing key of the log's authority to a trust list file (created if absent).
    TrustAdd {
        /// Trust list file.
        #[arg(long)]
        trust: PathBuf,
        /// The authority's log folder.
        #[arg(long)]
        log_dir: PathBuf,
        /// Key file whose public key to add.
        #[arg(long)]
        key: PathBuf,
        /// Document types it may sign, comma-separated.
        #[arg(long, value_delimiter = ',', default_value = "origin,phyto,passport")]
        types: Vec<String>,
        /// Start of validity (RFC 3339).
        #[arg(long, default_value = "2000-01-01T00:00:00Z")]
        valid_from: String,
        /// Retirement time (RFC 3339).
        #[arg(long)]
        retired_at: Option<String>,
    },
    /// Print the JWS compact form (VC-JOSE-COSE, EdDSA) of a certificate.
    Jws {
        /// The certificate.
        cert: PathBuf,
        /// Ed25519 key file.
        #[arg(long)]
        key: PathBuf,
        /// `kid` header (default: the key's verification method in the log's authority).
        #[arg(long)]
        kid: Option<String>,
    },
}

/// `caravan log ...`
#[derive(Debug, clap::Subcommand)]
pub enum LogCommand {
    /// Create a local log folder with its own checkpoint key.
    Init {
        /// Folder to create.
        #[arg(long)]
        dir: PathBuf,
        /// The log's identity (origin line of its checkpoints).
        #[arg(long)]
        log_id: String,
        /// The authority's identifier (the `issuer.id` of its certificates).
        #[arg(long)]
        authority_id: String,
        /// The authority's name.
        #[arg(long)]
        authority_name: String,
        /// The authority's country (ISO 3166-1 alpha-2).
        #[arg(long)]
        country: String,
    },
    /// Sign and store a checkpoint of the log's current state; prints it.
    Checkpoint {
        /// Log folder.
        #[arg(long)]
        dir: PathBuf,
    },
    /// Print the inclusion proof of entry INDEX (comma-separated hex).
    ProveInclusion {
        /// Log folder.
        #[arg(long)]
        dir: PathBuf,
        /// Entry index.
        #[arg(long)]
        index: u64,
    },
    /// Print the consistency proof between the first SIZE1 entries and the whole log.
    ProveConsistency {
        /// Log folder.
        #[arg(long)]
        dir: PathBuf,
        /// Earlier size.
        #[arg(long)]
        size1: u64,
    },
    /// Verify an RFC 9162 inclusion proof: exit 0 valid, 1 invalid, 2 unreadable.
    VerifyInclusion {
        /// Leaf hash, hex.
        #[arg(long)]
        leaf_hash: String,
        /// Leaf index.
        #[arg(long)]
        index: u64,
        /// Tree size.
        #[arg(long)]
        size: u64,
        /// Root hash, hex.
        #[arg(long)]
        root: String,
        /// Proof hashes, hex, comma-separated (empty for none).
        #[arg(long, default_value = "")]
        proof: String,
    },
    /// Verify an RFC 9162 consistency proof: exit 0 valid, 1 invalid, 2 unreadable.
    VerifyConsistency {
        /// Earlier tree size.
        #[arg(long)]
        size1: u64,
        /// Later tree size.
        #[arg(long)]
        size2: u64,
        /// Earlier root, hex.
        #[arg(long)]
        root1: String,
        /// Later root, hex.
        #[arg(long)]
        root2: String,
        /// Proof hashes, hex, comma-separated (empty for none).
        #[arg(long, default_value = "")]
        proof: String,
    },
    /// Print the RFC 9162 root of leaves given one per line, hex-encoded (an empty line is an empty leaf).
    Root {
        /// File of hex leaves.
        #[arg(long)]
        leaves: PathBuf,
    },
}

/// The locked standard output all commands print through.
fn out() -> std::io::StdoutLock<'static> {
    std::io::stdout().lock()
}

pub(crate) use caravan_io::process::say;

/// Exit 2 with a message on standard error (unreadable input).
pub(crate) fn unreadable(err: &anyhow::Error) -> ExitCode {
    let mut stderr = std::io::stderr().lock();
    let _ = writeln!(stderr, "error: {err:#}");
    ExitCode::from(2)
}

fn now() -> OffsetDateTime {
    OffsetDateTime::now_utc()
}

fn random_seed() -> [u8; 32] {
    let mut seed = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut seed);
    seed
}

pub(crate) fn read_input(path: &Path) -> Result<Vec<u8>> {
    std::fs::read(path).with_context(|| format!("reading {}", path.display()))
}

fn parse_hex_hash(text: &str, what: &str) -> Result<Hash> {
    caravan_docsign::log::decode_hash(text)
        .with_context(|| format!("{what} must be 32 bytes of hex (64 hex digits), got {text:?}"))
}

fn parse_proof(text: &str) -> Result<Vec<Hash>> {
    text.split(',')
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .enumerate()
        .map(|(idx, t)| parse_hex_hash(t, &format!("--proof item {idx}")))
        .collect()
}

pub(crate) fn load_trust(path: Option<&Path>) -> Result<TrustList> {
    let Some(path) = path else {
        return Ok(TrustList::default());
    };
    let file: TrustListFile = serde_json::from_slice(&read_input(path)?).with_context(|| {
        format!("{} is not a trust list (see `caravan cert trust-add`)", path.display())
    })?;
    TrustList::from_file(&file).map_err(|errors| {
        let list: Vec<String> = errors.iter().map(ToString::to_string).collect();
        anyhow::anyhow!("trust list {} is invalid: {}", path.display(), list.join("; "))
    })
}

/// Runs `caravan cert <subcommand>`.
///
/// # Errors
/// When a file cannot be read or written, with the file named.
pub fn run_cert(cmd: CertCommand) -> Result<ExitCode> {
    match cmd {
        CertCommand::Keygen { alg, out, sm2_id } => {
            let alg = Algorithm::parse(&alg)?;
            // An SM2 scalar must lie in [1, n-2]; draw again in the (vanishingly rare) case it does not.
            let key = loop {
                if let Ok(key) = PrivateKey::from_secret_bytes(alg, &random_seed(), &sm2_id) {
                    break key;
                }
            };
            logdir::write_private(&out, &serde_json::to_vec_pretty(&KeyFile::from_key(&key))?)?;
            say(&format!("{alg} key written to {} (mode 0600)", out.display()))?;
            say(&format!("public key {}", hex::encode(key.public_key())))?;
            say(&format!("kid {}", logdir::kid_of(&key.public_key())))?;
            Ok(ExitCode::SUCCESS)
        }
        CertCommand::Issue { key, sm2_key, doc_type, subject, out, log_dir, server, token, id } => {
            if let Some(server) = server {
                let token = token.context(
                    "--server needs --token T (make one on the server's API tokens page)",
                )?;
                return online::issue(&server, &token, &doc_type, &subject, &out, id);
            }
            let (Some(log_dir), Some(key)) = (log_dir, key) else {
                bail!(
                    "give --key KEY and --log-dir DIR (a folder made by `caravan log init`), or --server URL --token T"
                );
            };
            issue(&key, sm2_key.as_deref(), &doc_type, &subject, &out, &log_dir, id)
        }
        CertCommand::Verify { cert, trust, online, log_dir, json, dns_records, untp_schemas } => {
            if let Some(server) = online {
                return online::verify(&cert, trust.as_deref(), &server, json);
            }
            let other_formats = interop::OtherFormatInputs {
                dns_records: dns_records.as_deref(),
                untp_schemas: untp_schemas.as_deref(),
            };
            verify(&cert, trust.as_deref(), log_dir.as_deref(), json, &other_formats)
        }
        CertCommand::Export { format, cert, out } => interop::export(&format, &cert, &out),
        CertCommand::Import { format, file, out } => interop::import(&format, &file, &out),
        CertCommand::Canonicalize { file } => {
            let bytes = match &file {
                Some(path) => read_input(path),
                None => {
                    let mut buf = Vec::new();
                    std::io::stdin()
                        .read_to_end(&mut buf)
                        .context("reading standard input")
                        .map(|_| buf)
                }
            };
            let name =
                file.as_ref().map_or("standard input".to_owned(), |p| p.display().to_string());
            let canonical = match bytes.and_then(|b| {
                jcs::canonicalize(&b).with_context(|| format!("{name} is not strict JSON"))
            }) {
                Ok(canonical) => canonical,
                Err(err) => return Ok(unreadable(&err)),
            };
            let mut stdout = out();
            stdout.write_all(&canonical)?;
            stdout.write_all(b"\n")?;
            Ok(ExitCode::SUCCESS)
        }
        CertCommand::VerifySignature { alg, public_key, message_file, signature, sm2_id } => {
            let inputs = (|| -> Result<_> {
                let public_key =
                    hex::decode(public_key.trim()).context("--public-key must be hex")?;
                let signature = hex::decode(signature.trim()).context("--signature must be hex")?;
                Ok((public_key, signature, read_input(&message_file)?))
            })();
            let (public_key, signature, message) = match inputs {
                Ok(inputs) => inputs,
                Err(err) => return Ok(unreadable(&err)),
            };
            match sig::verify(Algorithm::parse(&alg)?, &public_key, &message, &signature, &sm2_id) {
                Ok(()) => {
                    say("valid")?;
                    Ok(ExitCode::SUCCESS)
                }
                Err(err) => {
                    say(&format!("invalid: {err}"))?;
                    Ok(ExitCode::from(1))
                }
            }
        }
        CertCommand::Revoke { log_dir, id, reason } => {
            let mut log = LocalLog::open(&log_dir)?;
            let time = now();
            let entry =
                LogEntry::Revocation { credential_id: id.clone(), reason, revoked_at: time };
            let index = log.append(&[entry.to_bytes()])?;
            let checkpoint = log.checkpoint(time)?;
            say(&format!(
                "revoked {id}: log entry {index}, checkpoint of size {}",
                checkpoint.checkpoint.size
            ))?;
            Ok(ExitCode::SUCCESS)
        }
        CertCommand::TrustAdd { trust, log_dir, key, types, valid_from, retired_at } => {
            trust_add(&trust, &log_dir, &key, types, valid_from, retired_at)
        }
        CertCommand::Jws { cert, key, kid } => {
            let credential = jcs::parse(&read_input(&cert)?)
                .with_context(|| format!("{} is not strict JSON", cert.display()))?;
            let key = logdir::read_key(&key)?;
            let issuer =
                credential.pointer("/issuer/id").and_then(|v| v.as_str()).unwrap_or_default();
            let kid =
                kid.unwrap_or_else(|| format!("{issuer}#{}", logdir::kid_of(&key.public_key())));
            say(&caravan_docsign::jws::to_jws(&credential, &key, &kid)?)?;
            Ok(ExitCode::SUCCESS)
        }
    }
}

fn issue(
    key: &Path,
    sm2_key: Option<&Path>,
    doc_type: &str,
    subject: &Path,
    out_path: &Path,
    log_dir: &Path,
    id: Option<String>,
) -> Result<ExitCode> {
    let doc_type =
        DocumentType::parse(doc_type).context("--type must be origin, phyto or passport")?;
    let key = logdir::read_key(key)?;
    if key.algorithm() != Algorithm::Ed25519 {
        bail!(
            "--key must be an Ed25519 key (make one with `cert keygen --alg ed25519`); SM2 goes in --sm2-key"
        );
    }
    let sm2 = sm2_key.map(logdir::read_key).transpose()?;
    if sm2.as_ref().is_some_and(|k| k.algorithm() != Algorithm::Sm2) {
        bail!("--sm2-key must be an SM2 key");
    }
    let subject_value = jcs::parse(&read_input(subject)?)
        .with_context(|| format!("{} is not strict JSON", subject.display()))?;
    let mut log = LocalLog::open(log_dir)?;
    let country = caravan_types::CountryCode::parse(&log.config.country)
        .ok()
        .with_context(|| format!("log {} has an invalid country", log_dir.display()))?;
    let issuer = Issuer {
        id: log.config.authority_id.clone(),
        name: log.config.authority_name.clone(),
        country,
    };
    let id = id.unwrap_or_else(|| {
        let seed = random_seed();
        let h = hex::encode(&seed[..16]);
        format!("urn:uuid:{}-{}-4{}-a{}-{}", &h[..8], &h[8..12], &h[13..16], &h[17..20], &h[20..32])
    });
    let time = now();
    let unsigned =
        build_credential(doc_type, subject_value, &issuer, &id, time).map_err(|errors| {
            let list: Vec<String> = errors.iter().map(ToString::to_string).collect();
            anyhow::anyhow!(
                "{} does not meet the {doc_type} schema: {}",
                subject.display(),
                list.join("; ")
            )
        })?;
    let ed_vm = format!("{}#{}", issuer.id, logdir::kid_of(&key.public_key()));
    let sm_vm = sm2.as_ref().map(|k| format!("{}#{}", issuer.id, logdir::kid_of(&k.public_key())));
    let mut keys: Vec<(&PrivateKey, &str)> = vec![(&key, &ed_vm)];
    if let (Some(k), Some(vm)) = (&sm2, &sm_vm) {
        keys.push((k, vm));
    }
    let mut signed = dverify::sign_certificate(unsigned, &keys, time);
    let index = log.append(&[dverify::issuance_entry(&signed).to_bytes()])?;
    let checkpoint = log.checkpoint(time)?;
    let proof = merkle::inclusion_proof(&log.leaves, index)?;
    attach_transparency(&mut signed, index, &proof, &checkpoint);
    let bytes = serde_json::to_vec_pretty(&signed)?;
    std::fs::write(out_path, &bytes).with_context(|| format!("writing {}", out_path.display()))?;
    say(&format!(
        "issued {id} ({doc_type}) as log entry {index} of {}; written to {}",
        checkpoint.checkpoint.size,
        out_path.display()
    ))?;
    Ok(ExitCode::SUCCESS)
}

fn verify(
    cert: &Path,
    trust: Option<&Path>,
    log_dir: Option<&Path>,
    json: bool,
    other_formats: &interop::OtherFormatInputs<'_>,
) -> Result<ExitCode> {
    let bytes = match read_input(cert) {
        Ok(bytes) => bytes,
        Err(err) => return Ok(unreadable(&err)),
    };
    // Another system's document goes to caravan-interop; ours (and anything unrecognised)
    // keeps its verifier and its exit codes.
    match caravan_interop::detect::detect(&bytes) {
        Ok(caravan_interop::detect::Format::Caravan) => {}
        Ok(format) => return interop::verify(cert, &bytes, format, other_formats, json),
        Err(err) => {
            return Ok(unreadable(
                &anyhow::Error::new(err).context(format!("reading {}", cert.display())),
            ));
        }
    }
    let trust = match load_trust(trust) {
        Ok(trust) => trust,
        Err(err) => return Ok(unreadable(&err)),
    };
    let state = match log_dir.map(|dir| revocations_from(dir, &trust)).transpose() {
        Ok(state) => state,
        Err(err) => return Ok(unreadable(&err)),
    };
    let options = VerifyOptions { revocations: state.as_ref(), ..VerifyOptions::default() };
    // The file may hold the certificate JSON or the text of its QR code.
    let report = dverify::verify_presented(&bytes, &trust, &options);
    report_exit(&report, json)
}

/// Prints a report and answers its exit code: 0 valid, 1 invalid, 2 when not even JSON.
pub(crate) fn report_exit(report: &dverify::VerificationReport, json: bool) -> Result<ExitCode> {
    if json {
        say(&serde_json::to_string_pretty(&report.to_json())?)?;
    } else {
        say(report.to_text().trim_end())?;
    }
    if report.is_valid() {
        return Ok(ExitCode::SUCCESS);
    }
    // A document that is not even JSON is unreadable input (exit 2), not an invalid certificate.
    let failed = report.first_failure().map(|c| c.name);
    if failed == Some(dverify::CheckName::WellFormed) {
        return Ok(ExitCode::from(2));
    }
    Ok(ExitCode::from(1))
}

fn revocations_from(
    dir: &Path,
    trust: &TrustList,
) -> Result<caravan_docsign::log::RevocationState> {
    let log = LocalLog::open(dir)?;
    let checkpoint = log.latest_checkpoint()?;
    dverify::verify_checkpoint(&checkpoint, trust)
        .map_err(|err| anyhow::anyhow!("log {}: {err}", dir.display()))?;
    let entries = log.entries()?;
    let refs: Vec<&[u8]> = entries.iter().map(Vec::as_slice).collect();
    revocation_state(&refs, &checkpoint)
        .with_context(|| format!("log {} does not match its checkpoint", dir.display()))
}

fn trust_add(
    trust: &Path,
    log_dir: &Path,
    key: &Path,
    types: Vec<String>,
    valid_from: String,
    retired_at: Option<String>,
) -> Result<ExitCode> {
    let log = LocalLog::open(log_dir)?;
    let key = logdir::read_key(key)?;
    let mut file: TrustListFile = if trust.exists() {
        serde_json::from_slice(&read_input(trust)?)
            .with_context(|| format!("{} is not a trust list", trust.display()))?
    } else {
        serde_json::from_slice(&read_input(&log_dir.join("trust-list.json"))?)?
    };
    if !file.authorities.iter().any(|a| a.id == log.config.authority_id) {
        let own: TrustListFile =
            serde_json::from_slice(&read_input(&log_dir.join("trust-list.json"))?)?;
        file.authorities.extend(own.authorities);
    }
    let authority = file
        .authorities
        .iter_mut()
        .find(|a| a.id == log.config.authority_id)
        .context("authority missing after merge")?;
    let kid = logdir::kid_of(&key.public_key());
    authority.keys.retain(|k| k.kid != kid);
    authority.keys.push(caravan_docsign::trust::KeyFileEntry {
        kid: kid.clone(),
        alg: key.algorithm(),
        public_key: hex::encode(key.public_key()),
        sm2_id: key.sm2_id().map(str::to_owned),
        document_types: types,
        signs_checkpoints: false,
        valid_from,
        valid_until: None,
        retired_at,
    });
    // Refuse to write a list that would not load.
    TrustList::from_file(&file).map_err(|errors| {
        let list: Vec<String> = errors.iter().map(ToString::to_string).collect();
        anyhow::anyhow!("the trust list would be invalid: {}", list.join("; "))
    })?;
    std::fs::write(trust, serde_json::to_vec_pretty(&file)?)
        .with_context(|| format!("writing {}", trust.display()))?;
    say(&format!("key {kid} of {} added to {}", log.config.authority_id, trust.display()))?;
    Ok(ExitCode::SUCCESS)
}

/// Runs `caravan log <subcommand>`.
///
/// # Errors
/// When a file cannot be read or written, with the file named.
pub fn run_log(cmd: LogCommand) -> Result<ExitCode> {
    match cmd {
        LogCommand::Init { dir, log_id, authority_id, authority_name, country } => {
            let country =
                caravan_types::CountryCode::parse(&country).context("--country")?.to_string();
            let config =
                LogConfig { log_id, authority_id, authority_name, country, log_kid: String::new() };
            LocalLog::init(&dir, config, &random_seed())?;
            say(&format!(
                "log created in {}; its trust-list entry is in trust-list.json there",
                dir.display()
            ))?;
            Ok(ExitCode::SUCCESS)
        }
        LogCommand::Checkpoint { dir } => {
            let log = LocalLog::open(&dir)?;
            let checkpoint = log.checkpoint(now())?;
            say(&serde_json::to_string_pretty(&checkpoint.to_json())?)?;
            Ok(ExitCode::SUCCESS)
        }
        LogCommand::ProveInclusion { dir, index } => {
            let log = LocalLog::open(&dir)?;
            let proof = merkle::inclusion_proof(&log.leaves, index)?;
            say(&format!("size {}", log.size()))?;
            say(&format!("root {}", hex::encode(merkle::root(&log.leaves))))?;
            say(&format!("leaf-hash {}", hex::encode(log.leaves[index as usize])))?;
            say(&format!("proof {}", proof.iter().map(hex::encode).collect::<Vec<_>>().join(",")))?;
            Ok(ExitCode::SUCCESS)
        }
        LogCommand::ProveConsistency { dir, size1 } => {
            let log = LocalLog::open(&dir)?;
            let proof = merkle::consistency_proof(&log.leaves, size1)?;
            say(&format!(
                "size1 {size1} root1 {}",
                hex::encode(merkle::root(&log.leaves[..size1 as usize]))
            ))?;
            say(&format!("size2 {} root2 {}", log.size(), hex::encode(merkle::root(&log.leaves))))?;
            say(&format!("proof {}", proof.iter().map(hex::encode).collect::<Vec<_>>().join(",")))?;
            Ok(ExitCode::SUCCESS)
        }
        LogCommand::VerifyInclusion { leaf_hash, index, size, root, proof } => {
            let inputs = (|| -> Result<_> {
                Ok((
                    parse_hex_hash(&leaf_hash, "--leaf-hash")?,
                    parse_hex_hash(&root, "--root")?,
                    parse_proof(&proof)?,
                ))
            })();
            let (leaf, root, proof) = match inputs {
                Ok(inputs) => inputs,
                Err(err) => return Ok(unreadable(&err)),
            };
            verdict(merkle::verify_inclusion(&leaf, index, size, &proof, &root))
        }
        LogCommand::VerifyConsistency { size1, size2, root1, root2, proof } => {
            let inputs = (|| -> Result<_> {
                let root1 = hex::decode(root1.trim()).context("--root1 must be hex")?;
                let root2 = hex::decode(root2.trim()).context("--root2 must be hex")?;
                Ok((root1, root2, parse_proof(&proof)?))
            })();
            let (root1, root2, proof) = match inputs {
                Ok(inputs) => inputs,
                Err(err) => return Ok(unreadable(&err)),
            };
            verdict(merkle::verify_consistency(size1, size2, &proof, &root1, &root2))
        }
        LogCommand::Root { leaves } => {
            let text = match read_input(&leaves)
                .and_then(|b| String::from_utf8(b).context("the leaves file is not UTF-8 text"))
            {
                Ok(text) => text,
                Err(err) => return Ok(unreadable(&err)),
            };
            let mut tree = merkle::CompactTree::default();
            for (line_idx, line) in text.lines().enumerate() {
                match hex::decode(line.trim()) {
                    Ok(data) => tree.push(merkle::leaf_hash(&data)),
                    Err(err) => {
                        return Ok(unreadable(&anyhow::anyhow!(
                            "{} line {}: not hex ({err}); give one hex-encoded leaf per line",
                            leaves.display(),
                            line_idx + 1
                        )));
                    }
                }
            }
            say(&hex::encode(tree.root()))?;
            Ok(ExitCode::SUCCESS)
        }
    }
}

fn verdict(res: Result<(), merkle::ProofError>) -> Result<ExitCode> {
    match res {
        Ok(()) => {
            say("valid")?;
            Ok(ExitCode::SUCCESS)
        }
        Err(err) => {
            say(&format!("invalid: {err}"))?;
            Ok(ExitCode::from(1))
        }
    }
}

/// Hooks for this crate's crash test, which re-runs its test binary as a child process that
/// must append through the real group-commit writer. Not part of the command-line interface.
#[doc(hidden)]
pub mod testing {
    use std::io::Write as _;
    use std::path::Path;

    use crate::logdir::{self, GroupCommit, LocalLog};

    /// Appends `entries` through group commit, waits for durability, and returns the log size.
    ///
    /// # Errors
    /// When the log cannot be opened or written.
    pub fn append_and_count(dir: &Path, entries: &[Vec<u8>]) -> anyhow::Result<u64> {
        let base = LocalLog::open(dir)?.size();
        let writer = GroupCommit::start(&dir.join(logdir::ENTRIES), base)?;
        let mut last = base;
        for entry in entries {
            last = writer.submit(entry);
        }
        writer.wait_durable(last)?;
        writer.close()?;
        Ok(LocalLog::open(dir)?.size())
    }

    /// Appends `entry(i)` for i = 0, 1, ... in groups of 64 until killed, printing
    /// `acked N` on standard output after each group is durable.
    ///
    /// # Errors
    /// When the log cannot be opened or written.
    pub fn append_forever(dir: &Path, entry: impl Fn(u64) -> Vec<u8>) -> anyhow::Result<()> {
        let base = LocalLog::open(dir)?.size();
        let writer = GroupCommit::start(&dir.join(logdir::ENTRIES), base)?;
        let mut next = base;
        loop {
            let mut last = next;
            for _ in 0..64 {
                last = writer.submit(&entry(next));
                next += 1;
            }
            writer.wait_durable(last)?;
            let mut stdout = std::io::stdout().lock();
            writeln!(stdout, "acked {next}")?;
            stdout.flush()?;
        }
    }
}
