//! `caravan bench certs`: full certificate verification per second per core against bare
//! Ed25519 verification of a 32-byte message, batch verification, and durable log appends per
//! second with group commit, OpenAttestation v2 verification (integrity alone, and with the
//! DID signature) and SPS XML export and import. Prints one line per measurement with its ratio.

use std::io::Write as _;
use std::time::Instant;

use anyhow::{Context as _, Result};
use caravan_docsign::credential::{DocumentType, Issuer, build_credential, sample_subject};
use caravan_docsign::log::Checkpoint;
use caravan_docsign::merkle;
use caravan_docsign::sig::{self, Algorithm, PrivateKey};
use caravan_docsign::trust::{AuthorityFile, KeyFileEntry, TrustList, TrustListFile};
use caravan_docsign::verify::{self, VerifyOptions};
use indicatif::{ProgressBar, ProgressStyle};
use time::OffsetDateTime;

use crate::logdir::{self, GroupCommit, LocalLog, LogConfig};

/// Options of `caravan bench certs`.
#[derive(Debug, Clone, clap::Args)]
pub struct BenchArgs {
    /// Number of distinct certificates to verify.
    #[arg(long, default_value_t = 2000)]
    pub certs: usize,
    /// Certificates per batch in batch verification.
    #[arg(long, default_value_t = 64)]
    pub batch: usize,
    /// Number of durable log appends.
    #[arg(long, default_value_t = 200_000)]
    pub appends: usize,
    /// Concurrent appending clients.
    #[arg(long, default_value_t = 8)]
    pub clients: usize,
    /// Appends each client keeps in flight before waiting for durability.
    #[arg(long, default_value_t = 512)]
    pub window: usize,
    /// Size of each appended entry in bytes.
    #[arg(long, default_value_t = 256)]
    pub entry_bytes: usize,
    /// Folder for the log file (a temporary folder when absent; put it on the disk to measure).
    #[arg(long)]
    pub dir: Option<std::path::PathBuf>,
}

const AUTHORITY: &str = "urn:caravan:authority:bench";
const LOG_ID: &str = "caravan.example/log/bench";

/// Certificates that share one checkpoint, and the trust list that accepts them.
pub(crate) fn fixture(n_certs: usize) -> Result<(Vec<Vec<u8>>, TrustList, PrivateKey)> {
    let key = PrivateKey::from_secret_bytes(Algorithm::Ed25519, &[21u8; 32], "")?;
    let log_key = PrivateKey::from_secret_bytes(Algorithm::Ed25519, &[22u8; 32], "")?;
    let entry = |kid: &str, key: &PrivateKey, types: &[&str], checkpoints| KeyFileEntry {
        kid: kid.to_owned(),
        alg: Algorithm::Ed25519,
        public_key: hex::encode(key.public_key()),
        sm2_id: None,
        document_types: types.iter().map(|t| (*t).to_owned()).collect(),
        signs_checkpoints: checkpoints,
        valid_from: "2020-01-01T00:00:00Z".to_owned(),
        valid_until: None,
        retired_at: None,
    };
    let file = TrustListFile {
        authorities: vec![AuthorityFile {
            id: AUTHORITY.to_owned(),
            name: "Bench chamber".to_owned(),
            country: "KZ".to_owned(),
            log_id: LOG_ID.to_owned(),
            keys: vec![entry("doc", &key, &["origin"], false), entry("log", &log_key, &[], true)],
        }],
    };
    let trust =
        TrustList::from_file(&file).map_err(|e| anyhow::anyhow!("bench trust list: {e:?}"))?;
    let issuer = Issuer {
        id: AUTHORITY.to_owned(),
        name: "Bench chamber".to_owned(),
        country: caravan_types::CountryCode::parse("KZ")?,
    };
    let time = OffsetDateTime::from_unix_timestamp(1_780_000_000)?;
    let vm = format!("{AUTHORITY}#doc");
    let mut signed = Vec::with_capacity(n_certs);
    let mut leaves = Vec::with_capacity(n_certs);
    for idx in 0..n_certs {
        let unsigned = build_credential(
            DocumentType::Origin,
            sample_subject(DocumentType::Origin),
            &issuer,
            &format!("urn:uuid:bench-{idx}"),
            time,
        )
        .map_err(|e| anyhow::anyhow!("bench subject: {e:?}"))?;
        let credential = verify::sign_certificate(unsigned, &[(&key, &vm)], time);
        leaves.push(verify::issuance_entry(&credential).leaf_hash());
        signed.push(credential);
    }
    let checkpoint = Checkpoint {
        log_id: LOG_ID.to_owned(),
        size: leaves.len() as u64,
        root: merkle::root(&leaves),
        timestamp: time,
    }
    .sign(&log_key, &format!("{AUTHORITY}#log"));
    let mut certs = Vec::with_capacity(n_certs);
    for (idx, mut credential) in signed.into_iter().enumerate() {
        let proof = merkle::inclusion_proof(&leaves, idx as u64)?;
        verify::attach_transparency(&mut credential, idx as u64, &proof, &checkpoint);
        certs.push(serde_json::to_vec(&credential)?);
    }
    Ok((certs, trust, key))
}

fn per_second(count: usize, start: Instant) -> f64 {
    count as f64 / start.elapsed().as_secs_f64()
}

fn progress(len: usize, what: &str) -> ProgressBar {
    let bar = ProgressBar::new(len as u64);
    bar.set_style(
        ProgressStyle::with_template("{msg} {bar:40} {pos}/{len}")
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    bar.set_message(what.to_owned());
    bar
}

/// Runs `caravan bench certs`.
///
/// # Errors
/// When the log folder cannot be written or a verification unexpectedly fails.
pub fn bench(args: BenchArgs) -> Result<()> {
    let mut stdout = std::io::stdout().lock();
    let n = args.certs.max(1);
    let (certs, trust, key) = fixture(n)?;
    writeln!(
        stdout,
        "bench certs: {n} certificates of {} bytes, one shared checkpoint, 1 thread",
        certs[0].len()
    )?;

    // Bare Ed25519 verification of 32-byte messages.
    let messages: Vec<[u8; 32]> = (0..n).map(|i| merkle::leaf_hash(&i.to_le_bytes())).collect();
    let signatures: Vec<[u8; 64]> = messages.iter().map(|m| key.sign(m)).collect();
    let public_key = key.public_key();
    let start = Instant::now();
    for (message, signature) in messages.iter().zip(&signatures) {
        sig::verify(Algorithm::Ed25519, &public_key, message, signature, "")?;
    }
    let bare = per_second(n, start);
    writeln!(stdout, "bare Ed25519 verify (32-byte message):            {bare:>10.0} /s")?;

    // Full verification, checkpoint signature checked every time (cold) and cached (warm).
    let bar = progress(2 * n, "verifying");
    let start = Instant::now();
    for cert in &certs {
        let report = verify::verify_certificate(cert, &trust, &VerifyOptions::default());
        anyhow::ensure!(report.is_valid(), "bench certificate failed: {}", report.to_text());
        bar.inc(1);
    }
    let cold = per_second(n, start);
    let first: serde_json::Value = serde_json::from_slice(&certs[0])?;
    let checkpoint =
        caravan_docsign::log::SignedCheckpoint::from_json(&first["proof"][1]["checkpoint"])?;
    let verified = [verify::verify_checkpoint(&checkpoint, &trust)?];
    let options = VerifyOptions { verified_checkpoints: &verified, ..VerifyOptions::default() };
    let start = Instant::now();
    for cert in &certs {
        let report = verify::verify_certificate(cert, &trust, &options);
        anyhow::ensure!(report.is_valid(), "bench certificate failed: {}", report.to_text());
        bar.inc(1);
    }
    let warm = per_second(n, start);
    bar.finish_and_clear();
    writeln!(
        stdout,
        "full verify, checkpoint signature checked each:  {cold:>10.0} /s  ratio {:.2}",
        cold / bare
    )?;
    writeln!(
        stdout,
        "full verify, checkpoint verified once (cached):  {warm:>10.0} /s  ratio {:.2}",
        warm / bare
    )?;

    // Batch verification.
    let start = Instant::now();
    for chunk in certs.chunks(args.batch.max(1)) {
        let refs: Vec<&[u8]> = chunk.iter().map(Vec::as_slice).collect();
        let reports = verify::verify_certificates_batch(&refs, &trust, &options);
        anyhow::ensure!(
            reports.iter().all(|r| r.is_valid()),
            "a bench certificate failed in a batch"
        );
    }
    let batch = per_second(n, start);
    writeln!(
        stdout,
        "full verify, batches of {:<4} (cached checkpoint): {batch:>10.0} /s  ratio {:.2}",
        args.batch,
        batch / bare
    )?;

    let phyto: serde_json::Value = serde_json::from_slice(&certs[0])?;
    crate::bench_interop::other_formats(&mut stdout, n, &phyto)?;

    // Durable appends with group commit.
    let tmp;
    let dir = match &args.dir {
        Some(dir) => dir.join(format!("bench-log-{}", std::process::id())),
        None => {
            tmp = tempfile::tempdir().context("making a temporary folder")?;
            tmp.path().join("log")
        }
    };
    let config = LogConfig {
        log_id: LOG_ID.to_owned(),
        authority_id: AUTHORITY.to_owned(),
        authority_name: "Bench".to_owned(),
        country: "KZ".to_owned(),
        log_kid: String::new(),
    };
    LocalLog::init(&dir, config, &[23u8; 32])?;
    let writer = GroupCommit::start(&dir.join(logdir::ENTRIES), 0)?;
    let total = args.appends.max(1);
    let clients = args.clients.max(1);
    let window = args.window.max(1);
    let entry = vec![b'e'; args.entry_bytes];
    let bar = progress(total, "appending");
    let start = Instant::now();
    std::thread::scope(|scope| -> Result<()> {
        let mut handles = Vec::new();
        for client in 0..clients {
            let writer = &writer;
            let entry = &entry;
            let bar = &bar;
            let share = total / clients + usize::from(client < total % clients);
            handles.push(scope.spawn(move || -> Result<()> {
                let mut done = 0;
                while done < share {
                    let burst = window.min(share - done);
                    let mut last = 0;
                    for _ in 0..burst {
                        last = writer.submit(entry);
                    }
                    writer.wait_durable(last)?;
                    done += burst;
                    bar.inc(burst as u64);
                }
                Ok(())
            }));
        }
        for handle in handles {
            handle.join().map_err(|_| anyhow::anyhow!("append client panicked"))??;
        }
        Ok(())
    })?;
    let appends = per_second(total, start);
    writer.close()?;
    bar.finish_and_clear();
    let log = LocalLog::open(&dir)?;
    anyhow::ensure!(
        log.size() == total as u64,
        "log holds {} entries after {total} appends",
        log.size()
    );
    writeln!(
        stdout,
        "durable appends, group commit ({clients} clients x {window} in flight, {} B): {appends:>10.0} /s",
        args.entry_bytes
    )?;
    if args.dir.is_some() {
        std::fs::remove_dir_all(&dir).with_context(|| format!("removing {}", dir.display()))?;
    }
    Ok(())
}
