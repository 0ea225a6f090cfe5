//! `caravan bench logs`: latency of a log's inclusion and consistency proofs and of its
//! revocation list over HTTP on loopback, on a log of a million leaves in the real SQLite store
//! (issue 22: p50 at most 5 ms for a proof at 1,000,000 leaves). The log is loaded in one
//! transaction rather than issued certificate by certificate, which would take hours.
//!
//! Beside it, the bare baseline: what a proof cost before the store kept subtree hashes, every
//! leaf read from the same store and the proof computed from them.

use std::process::ExitCode;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context;
use caravan_docsign::log::{Checkpoint, LogEntry};
use caravan_docsign::merkle::{self, Hash};
use caravan_docsign::sig::{Algorithm, PrivateKey};
use caravan_server::ServerConfig;
use caravan_store::certs::{LogLeaf, LogNode};
use caravan_store::{Actor, Change, Store};
use clap::Args;
use rand::{Rng, SeedableRng};

use crate::bench_http::{Scenario, load, percentile};
use crate::output::println;

#[derive(Debug, Args)]
pub(crate) struct BenchLogsArgs {
    /// Leaves in the log.
    #[arg(long, default_value_t = 1_000_000)]
    leaves: u64,
    /// One leaf in this many is a revocation.
    #[arg(long, default_value_t = 1000)]
    revocation_every: u64,
    /// Concurrent keep-alive connections, comma-separated (1 measures latency alone).
    #[arg(long, value_delimiter = ',', default_value = "1,8")]
    connections: Vec<usize>,
    /// Seconds of load per scenario.
    #[arg(long, default_value_t = 5.0)]
    seconds: f64,
    /// Runs of the all-leaves baseline (0 to skip it).
    #[arg(long, default_value_t = 3)]
    baseline_runs: usize,
}

const LOG: &str = "caravan-log-1";

pub(crate) fn run(args: BenchLogsArgs) -> anyhow::Result<ExitCode> {
    anyhow::ensure!(args.leaves >= 2, "--leaves must be at least 2");
    anyhow::ensure!(args.seconds > 0.0, "--seconds must be positive");
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    runtime.block_on(async move {
        let dir = tempfile::tempdir().context("making a temporary data folder")?;
        let store = caravan_store_sqlite::SqliteStore::open(&dir.path().join("caravan.db"))
            .await
            .context("opening the SQLite store")?;
        let built = Instant::now();
        let leaves = load_log(&store, args.leaves, args.revocation_every.max(1)).await?;
        println(&format!(
            "log of {} leaves loaded in {:.1} s",
            args.leaves,
            built.elapsed().as_secs_f64()
        ))?;
        let store: Arc<dyn Store> = Arc::new(store);
        let (refdata, _) = crate::refdata_files::load()?;
        let state =
            caravan_server::state(store.clone(), Arc::new(refdata), ServerConfig::default())?;
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
        let server = tokio::spawn(caravan_server::serve(listener, state, async move {
            let _ = stop_rx.await;
        }));

        let n = args.leaves;
        let mut rng = rand::rngs::StdRng::seed_from_u64(22);
        let base = format!("/api/v1/logs/{LOG}");
        let scenarios = [
            Scenario {
                name: "GET proof/inclusion (random leaf)",
                paths: (0..4096)
                    .map(|_| {
                        let leaf = leaves[rng.gen_range(0..leaves.len())];
                        format!("{base}/proof/inclusion?leaf_hash={}", hex_of(&leaf))
                    })
                    .collect(),
                bodies: Vec::new(),
            },
            Scenario {
                name: "GET proof/consistency (random sizes)",
                paths: (0..4096)
                    .map(|_| {
                        let second = rng.gen_range(2..=n);
                        let first = rng.gen_range(1..second);
                        format!("{base}/proof/consistency?first={first}&second={second}")
                    })
                    .collect(),
                bodies: Vec::new(),
            },
            Scenario {
                name: "GET revocations",
                paths: vec![format!("{base}/revocations")],
                bodies: Vec::new(),
            },
        ];
        println("scenario,leaves,connections,requests,errors,requests_per_s,p50_ms,p99_ms,max_ms")?;
        for scenario in &scenarios {
            for &connections in &args.connections {
                let _ = load(addr, scenario, connections, Duration::from_secs(1)).await?;
                let res = load(addr, scenario, connections, Duration::from_secs_f64(args.seconds))
                    .await?;
                println(&format!(
                    "{},{n},{connections},{},{},{:.0},{:.3},{:.3},{:.3}",
                    scenario.name,
                    res.latencies.len(),
                    res.errors,
                    res.latencies.len() as f64 / res.elapsed.as_secs_f64(),
                    percentile(&res.latencies, 0.50),
                    percentile(&res.latencies, 0.99),
                    percentile(&res.latencies, 1.0),
                ))?;
            }
        }
        let _ = stop_tx.send(());
        server.await.context("server task")?.context("server")?;

        // The baseline: one inclusion proof the way it was made before (issue 22).
        let mut times = Vec::new();
        for _ in 0..args.baseline_runs {
            let index = rng.gen_range(0..n);
            let t0 = Instant::now();
            let all = store.log_leaves(LOG, 0, n).await?;
            let hashes: Vec<Hash> = all
                .iter()
                .map(|l| Hash::try_from(l.leaf_hash.as_slice()))
                .collect::<Result<_, _>>()
                .context("a stored leaf hash")?;
            let proof = merkle::inclusion_proof(&hashes, index)?;
            let root = merkle::root(&hashes);
            std::hint::black_box((proof, root));
            times.push(t0.elapsed().as_secs_f64() * 1e3);
        }
        times.sort_by(f64::total_cmp);
        if !times.is_empty() {
            println(&format!(
                "baseline: every leaf read + proof (in-process),{n},1,{},0,,{:.3},{:.3},{:.3}",
                times.len(),
                percentile(&times, 0.50),
                percentile(&times, 0.99),
                percentile(&times, 1.0),
            ))?;
        }
        Ok(ExitCode::SUCCESS)
    })
}

fn hex_of(hash: &Hash) -> String {
    hash.iter().map(|b| format!("{b:02x}")).collect()
}

/// Loads a log of `n` issuance entries with a revocation every `revocation_every`, its complete
/// subtrees and a signed checkpoint of its full size; returns the leaf hashes.
async fn load_log(
    store: &caravan_store_sqlite::SqliteStore,
    n: u64,
    revocation_every: u64,
) -> anyhow::Result<Vec<Hash>> {
    let at = time::OffsetDateTime::from_unix_timestamp(1_780_000_000)?;
    let mut leaves = Vec::with_capacity(n as usize);
    let mut hashes = Vec::with_capacity(n as usize);
    for index in 0..n {
        let entry = if index % revocation_every == revocation_every - 1 {
            LogEntry::Revocation {
                credential_id: format!("urn:bench:{}", index - 1),
                reason: "bench".to_owned(),
                revoked_at: at,
            }
        } else {
            LogEntry::Issuance {
                credential: serde_json::json!({"id": format!("urn:bench:{index}")}),
            }
        };
        let entry = entry.to_bytes();
        let leaf_hash = merkle::leaf_hash(&entry);
        hashes.push(leaf_hash);
        leaves.push(LogLeaf { index, leaf_hash: leaf_hash.to_vec(), entry });
    }
    let nodes: Vec<LogNode> = merkle::complete_subtrees(&hashes)
        .into_iter()
        .filter(|(s, _)| s.level > 0)
        .map(|(s, hash)| LogNode { level: s.level, index: s.index, hash: hash.to_vec() })
        .collect();
    let key = PrivateKey::from_secret_bytes(Algorithm::Ed25519, &[22; 32], "")?;
    let checkpoint =
        Checkpoint { log_id: LOG.to_owned(), size: n, root: merkle::root(&hashes), timestamp: at }
            .sign(&key, "urn:caravan:authority:1#bench");
    let change = Change { actor: Actor::system("bench"), at };
    store.load_log_for_bench(&change, LOG, &leaves, &nodes, &checkpoint.to_json()).await?;
    Ok(hashes)
}
