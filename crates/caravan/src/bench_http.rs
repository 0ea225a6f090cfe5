//! `caravan bench http`: HS look-up and search, duty calculation and origin assessment
//! throughput and latency over HTTP on loopback,
//! against an in-process server on a fresh SQLite store. Also measures cold start (open the
//! store, load the reference data, build the search index).
//!
//! The load generator runs in the same process and competes with the server for the same
//! cores, so the numbers are a lower bound for a server with the machine to itself.

use std::process::ExitCode;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context;
use caravan_server::ServerConfig;
use clap::Args;
use http_body_util::{BodyExt, Full};
use hyper::body::Bytes;
use hyper_util::rt::TokioIo;
use rand::{Rng, SeedableRng};

use crate::output::println;

#[derive(Debug, Args)]
pub(crate) struct BenchHttpArgs {
    /// Concurrent keep-alive connections.
    #[arg(long, default_value_t = 64)]
    connections: usize,
    /// Seconds of load per scenario.
    #[arg(long, default_value_t = 10.0)]
    seconds: f64,
    /// Seconds of warm-up before each scenario.
    #[arg(long, default_value_t = 1.0)]
    warmup: f64,
}

const QUERIES: &[&str] = &[
    "copper cathodes",
    "wheat flour",
    "cotton yarn",
    "crude petroleum oil",
    "natural gas",
    "solar panels",
    "lithium ion batteries",
    "motor cars",
    "trucks",
    "fertilisers",
    "медные катоды",
    "пшеница",
    "хлопок",
    "автомобили",
    "coper",
    "fruit nuts",
    "ferroalloys",
    "zinc",
    "uranium",
    "footwear",
    "polymers ethylene",
    "steel tubes",
];

pub(crate) struct Scenario {
    pub(crate) name: &'static str,
    pub(crate) paths: Vec<String>,
    /// JSON bodies to POST in turn to the (single) path; empty for GET requests.
    pub(crate) bodies: Vec<String>,
}

/// Duty calculations of the shipped schedules: ad valorem, the EAEU minimum form with a
/// quantity, a specific duty with unit conversion, a preference with its proof of origin.
const CALCULATIONS: &[&str] = &[
    r#"{"jurisdiction":"EAEU","date":"2026-03-01","code":"8703231940","origin":"CN","value":"10000.00","currency":"USD"}"#,
    r#"{"jurisdiction":"EAEU","date":"2026-03-01","code":"1001990000","origin":"CN","value":"1000","currency":"USD","quantity":{"amount":"100","unit":"TNE"},"documents":["phytosanitary-cert"]}"#,
    r#"{"jurisdiction":"TJ","date":"2026-03-01","code":"2709009000","origin":"KZ","value":"50000","currency":"USD","quantity":{"amount":"20000","unit":"KGM"}}"#,
    r#"{"jurisdiction":"EAEU","date":"2026-03-01","code":"8703231940","origin":"UZ","value":"10000","currency":"USD","documents":["origin-cert"]}"#,
    r#"{"jurisdiction":"CN","date":"2026-03-01","code":"74031100","origin":"KZ","value":"250000","currency":"USD"}"#,
];

/// An origin assessment of a 10-input bill of materials under the shipped rule book.
fn assessment() -> String {
    let bom: Vec<String> = (0..10)
        .map(|i| {
            let origin = if i % 3 == 0 { "DE" } else { "CN" };
            format!(r#"{{"hs_code":"29{:02}","origin":"{origin}","value":"30"}}"#, i + 1)
        })
        .collect();
    format!(
        r#"{{"agreement":"cca-illustrative","product":"390110","exporter":"UZ","price":"1000","bom":[{}]}}"#,
        bom.join(",")
    )
}

pub(crate) fn run(args: BenchHttpArgs) -> anyhow::Result<ExitCode> {
    anyhow::ensure!(args.connections >= 1, "--connections must be at least 1");
    anyhow::ensure!(args.seconds > 0.0, "--seconds must be positive");
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    runtime.block_on(async move {
        let dir = tempfile::tempdir().context("making a temporary data folder")?;
        let cold = Instant::now();
        let store = crate::config::open_store(None, dir.path()).await?;
        let (refdata, load_time) = crate::refdata_files::load()?;
        let cold_start = cold.elapsed();
        let codes: Vec<String> = refdata.hs_entries().iter().map(|e| e.code.to_string()).collect();
        let state = caravan_server::state(store, Arc::new(refdata), ServerConfig::default())?;
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
        let server = tokio::spawn(caravan_server::serve(listener, state, async move {
            let _ = stop_rx.await;
        }));

        println(&format!(
            "cold start: {:.1} ms (open SQLite + load reference data {:.1} ms incl. search index)",
            cold_start.as_secs_f64() * 1e3,
            load_time.as_secs_f64() * 1e3
        ))?;
        let mut rng = rand::rngs::StdRng::seed_from_u64(7);
        let scenarios = [
            Scenario {
                name: "GET /api/v1/hs/{code}",
                paths: (0..4096)
                    .map(|_| format!("/api/v1/hs/{}", codes[rng.gen_range(0..codes.len())]))
                    .collect(),
                bodies: Vec::new(),
            },
            Scenario {
                name: "GET /api/v1/hs/search?q=",
                paths: QUERIES
                    .iter()
                    .map(|q| format!("/api/v1/hs/search?q={}&limit=10", encode(q)))
                    .collect(),
                bodies: Vec::new(),
            },
            Scenario {
                name: "POST /api/v1/tariff/calculate",
                paths: vec!["/api/v1/tariff/calculate".to_owned()],
                bodies: CALCULATIONS.iter().map(|b| (*b).to_owned()).collect(),
            },
            Scenario {
                name: "POST /api/v1/origin/assess (10 inputs)",
                paths: vec!["/api/v1/origin/assess".to_owned()],
                bodies: vec![assessment()],
            },
        ];
        println(
            "scenario,connections,requests,errors,seconds,requests_per_s,p50_ms,p99_ms,max_ms",
        )?;
        for scenario in &scenarios {
            let _ = load(addr, scenario, args.connections, Duration::from_secs_f64(args.warmup))
                .await?;
            let result =
                load(addr, scenario, args.connections, Duration::from_secs_f64(args.seconds))
                    .await?;
            println(&format!(
                "{},{},{},{},{:.2},{:.0},{:.3},{:.3},{:.3}",
                scenario.name,
                args.connections,
                result.latencies.len(),
                result.errors,
                result.elapsed.as_secs_f64(),
                result.latencies.len() as f64 / result.elapsed.as_secs_f64(),
                percentile(&result.latencies, 0.50),
                percentile(&result.latencies, 0.99),
                percentile(&result.latencies, 1.0),
            ))?;
        }
        let _ = stop_tx.send(());
        server.await.context("server task")?.context("server")?;
        Ok(ExitCode::SUCCESS)
    })
}

pub(crate) struct LoadResult {
    /// Milliseconds, sorted.
    pub(crate) latencies: Vec<f64>,
    pub(crate) errors: u64,
    pub(crate) elapsed: Duration,
}

/// Sends the scenario's requests in turn over `connections` keep-alive connections for
/// `duration`.
pub(crate) async fn load(
    addr: std::net::SocketAddr,
    scenario: &Scenario,
    connections: usize,
    duration: Duration,
) -> anyhow::Result<LoadResult> {
    let paths = Arc::new(scenario.paths.clone());
    let bodies =
        Arc::new(scenario.bodies.iter().map(|b| Bytes::from(b.clone())).collect::<Vec<_>>());
    let started = Instant::now();
    let deadline = started + duration;
    let mut tasks = Vec::with_capacity(connections);
    for conn_idx in 0..connections {
        let paths = paths.clone();
        let bodies = bodies.clone();
        tasks.push(tokio::spawn(async move {
            let stream = tokio::net::TcpStream::connect(addr).await?;
            stream.set_nodelay(true)?;
            let (mut sender, connection) =
                hyper::client::conn::http1::handshake(TokioIo::new(stream)).await?;
            tokio::spawn(connection);
            let mut latencies = Vec::new();
            let mut errors = 0u64;
            let mut idx = conn_idx * 7;
            while Instant::now() < deadline {
                let path = &paths[idx % paths.len()];
                idx += 1;
                let request = if bodies.is_empty() {
                    hyper::Request::get(path.as_str())
                        .header("host", "127.0.0.1")
                        .body(Full::new(Bytes::new()))?
                } else {
                    hyper::Request::post(path.as_str())
                        .header("host", "127.0.0.1")
                        .header("content-type", "application/json")
                        .body(Full::new(bodies[idx % bodies.len()].clone()))?
                };
                let t0 = Instant::now();
                let response = sender.send_request(request).await?;
                let ok = response.status().is_success();
                let _body = response.into_body().collect().await?;
                latencies.push(t0.elapsed().as_secs_f64() * 1e3);
                if !ok {
                    errors += 1;
                }
            }
            anyhow::Ok((latencies, errors))
        }));
    }
    let mut latencies = Vec::new();
    let mut errors = 0;
    for task in tasks {
        let (l, e) = task.await.context("load task")??;
        latencies.extend(l);
        errors += e;
    }
    let elapsed = started.elapsed();
    latencies.sort_by(f64::total_cmp);
    Ok(LoadResult { latencies, errors, elapsed })
}

/// Nearest-rank percentile of sorted values.
pub(crate) fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let rank = ((p * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len());
    sorted[rank - 1]
}

fn encode(text: &str) -> String {
    text.bytes()
        .map(
            |b| {
                if b.is_ascii_alphanumeric() {
                    (b as char).to_string()
                } else {
                    format!("%{b:02X}")
                }
            },
        )
        .collect()
}
