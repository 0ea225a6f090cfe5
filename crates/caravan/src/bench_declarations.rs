//! `caravan bench declarations`: lodge + validate + verify certificates + duties + assess +
//! persist, through the server's lodging pipeline and the real store (SQLite with durable group
//! commits by default, PostgreSQL with `--db`), many lodgements in flight at once. Reports
//! declarations/s and p50/p99 latency from lodging to the channel being acknowledged, for 1,
//! 10 and 100 items per declaration (issue 5, "Performance").

use std::io::Write;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use anyhow::Context;
use caravan_server::auth::{Caller, Credential};
use caravan_server::declarations::{DeclarationRequest, DeclarationText, PresentedCertificate};
use caravan_server::{AppState, ServerConfig};
use caravan_store::{Actor, Change, NewOrganisation, NewUser, OrgKind, Role, Store};
use caravan_types::CountryCode;
use serde_json::{Value, json};

/// Options of `caravan bench declarations`.
#[derive(Debug, clap::Args)]
pub(crate) struct BenchDeclarationsArgs {
    /// Declarations to lodge for each size.
    #[arg(long, default_value_t = 5000)]
    declarations: usize,
    /// Items per declaration, comma-separated.
    #[arg(long, value_delimiter = ',', default_value = "1,10,100")]
    items: Vec<usize>,
    /// Present one certificate of origin per item instead of one per declaration covering all
    /// its items.
    #[arg(long)]
    certificate_per_item: bool,
    /// Distinct signed certificates issued before timing and presented in turn.
    #[arg(long, default_value_t = 64)]
    certificate_pool: usize,
    /// Lodgements in flight at once. By Little's law the mean latency is this over the rate, so
    /// a p99 of 50 ms at 5,000/s leaves room for at most a few hundred; 64 keeps the writer fed.
    #[arg(long, default_value_t = 64)]
    concurrency: usize,
    /// A `postgres://` URL to measure PostgreSQL, or a `sqlite:` URL (`sqlite://bench.db?mode=rwc`)
    /// to keep the SQLite database for inspection; default: SQLite in a temporary folder.
    #[arg(long)]
    db: Option<String>,
    /// Append one CSV row per size (backend, items, declarations, seconds, per_second, p50_ms, p99_ms).
    #[arg(long)]
    csv: Option<PathBuf>,
}

const SAMPLE: &str = include_str!("../../../data/customs/samples/import-apples-cn-kz.json");

/// The apples sample with `n_items` items; each declaration presents one signed certificate
/// covering its goods (or one per item), taken in turn from `pool` and verified by the real
/// verifier (signature, trust list, revocation, goods and parties).
fn request(
    sample: &Value,
    run: &str,
    n_items: usize,
    idx: usize,
    pool: &[String],
    per_item: bool,
) -> DeclarationRequest {
    let mut value = sample.clone();
    let reference = format!("B{run}-{n_items}-{idx}");
    value["reference"] = json!(reference);
    value["declaration_date"] = json!("2026-11-20");
    let mut certificates = Vec::new();
    let items: Vec<Value> = (0..n_items)
        .map(|item_idx| {
            let mut item = sample["items"][0].clone();
            let (cert, pooled) = if per_item {
                (format!("CO-{reference}-{item_idx}"), (idx * n_items + item_idx) % pool.len())
            } else {
                (format!("CO-{reference}"), idx % pool.len())
            };
            item["documents"] =
                json!([{ "document_type": "861", "reference": cert, "issue_date": "2026-11-15" }]);
            if per_item || item_idx == 0 {
                certificates.push(PresentedCertificate {
                    document_reference: cert,
                    content: pool[pooled].clone(),
                });
            }
            item
        })
        .collect();
    value["items"] = Value::Array(items);
    DeclarationRequest { declaration: value, certificates }
}

/// A certifying body in the exporter's country with an Ed25519 key, and `n` certificates of
/// origin for the sample's apples issued through the server's issuing path: each document as a
/// trader would attach it (JSON, Ed25519-signed, with its log inclusion proof).
async fn issue_pool(
    state: &AppState,
    store: &Arc<dyn Store>,
    run: &str,
    sample: &Value,
    n: usize,
) -> anyhow::Result<Vec<String>> {
    let certifier = member(
        store,
        &format!("Bench Chamber {run}"),
        OrgKind::CertifyingBody,
        "CN",
        Role::Certifier,
    )
    .await?;
    let org = certifier.org.clone();
    caravan_server::certs::generate_key(
        state,
        &certifier,
        &org,
        caravan_docsign::sig::Algorithm::Ed25519,
        vec!["origin".to_owned()],
        false,
    )
    .await
    .map_err(|err| anyhow::anyhow!("generating the bench key: {} {}", err.code, err.message))?;
    let subject = json!({
        "exporter": { "name": sample["exporter"]["name"], "country": "CN" },
        "importer": { "name": sample["importer"]["name"], "country": "KZ" },
        "exportCountry": "CN",
        "importCountry": "KZ",
        "originCountry": "CN",
        "goods": [{ "description": "Fresh apples", "hsCode": "080810", "originCriterion": "WO",
                    "quantity": 20000, "unit": "KGM" }],
    });
    let mut pool = Vec::with_capacity(n);
    for k in 0..n {
        let request = caravan_server::certs::IssueRequest {
            doc_type: "origin".to_owned(),
            subject: subject.clone(),
            id: Some(format!("urn:caravan:bench:{run}:{k}")),
        };
        let record =
            caravan_server::certs::issue(state, &certifier, request).await.map_err(|err| {
                anyhow::anyhow!("issuing a bench certificate: {} {}", err.code, err.message)
            })?;
        pool.push(record.document);
    }
    Ok(pool)
}

fn percentile(sorted: &[Duration], fraction: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let rank = (fraction * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

/// A new organisation of `kind` in `country` with one member of `role`, signed in by token.
async fn member(
    store: &Arc<dyn Store>,
    name: &str,
    kind: OrgKind,
    country: &str,
    role: Role,
) -> anyhow::Result<Caller> {
    let change = Change { actor: Actor::system("bench"), at: time::OffsetDateTime::now_utc() };
    let country = CountryCode::parse(country).context("bench country")?;
    let org = store
        .create_organisation(&change, &NewOrganisation { name: name.to_owned(), kind, country })
        .await?;
    let username = name.to_lowercase().replace(' ', "-");
    let new_user = NewUser {
        username: username.clone(),
        display_name: name.to_owned(),
        org_id: org.id,
        role,
        password_hash: "!".to_owned(),
    };
    let user = store.create_user(&change, &new_user).await?;
    let token = store.create_api_token(&change, user.id, "bench", &username).await?;
    Ok(Caller { user, org, credential: Credential::Token(token) })
}

/// Example rates of the sample's date into KZT, NOT the official rates of the National Bank of
/// Kazakhstan: a lodgement under the real KZ schedule needs the day's rate of the customs
/// value's currency (USD) and of the apples' specific duty (EUR per kg). They go into the
/// bench's own store (a kept database says where they came from in their `source`).
async fn enter_example_rates(store: &Arc<dyn Store>, sample: &Value) -> anyhow::Result<()> {
    let date = sample["declaration_date"].as_str().context("the sample's date")?;
    let date = time::Date::parse(date, time::macros::format_description!("[year]-[month]-[day]"))
        .context("the sample's date")?;
    let kzt = caravan_types::CurrencyCode::parse("KZT").context("KZT")?;
    let mut rates = Vec::new();
    for (from, rate) in [("EUR", "545.00"), ("USD", "505.00")] {
        rates.push(caravan_store::rates::NewRate {
            date,
            from: caravan_types::CurrencyCode::parse(from).context("a currency")?,
            to: kzt,
            rate: rate.to_owned(),
            source: "caravan bench: example rate, not the official one".to_owned(),
        });
    }
    let change = Change { actor: Actor::system("bench"), at: time::OffsetDateTime::now_utc() };
    store.put_exchange_rates(&change, &rates).await?;
    Ok(())
}

pub(crate) fn run(args: BenchDeclarationsArgs) -> anyhow::Result<std::process::ExitCode> {
    anyhow::ensure!(args.declarations > 0, "--declarations must be at least 1");
    anyhow::ensure!(args.concurrency > 0, "--concurrency must be at least 1");
    anyhow::ensure!(args.certificate_pool > 0, "--certificate-pool must be at least 1");
    anyhow::ensure!(
        args.items.iter().all(|&n| (1..=999).contains(&n)),
        "--items must each be 1 to 999"
    );
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    runtime.block_on(bench(args))?;
    Ok(std::process::ExitCode::SUCCESS)
}

async fn bench(args: BenchDeclarationsArgs) -> anyhow::Result<()> {
    let dir = tempfile::tempdir().context("creating a temporary folder")?;
    let store = crate::config::open_store(args.db.as_deref(), dir.path()).await?;
    let backend = store.backend();
    let (refdata, _) = crate::refdata_files::load()?;
    let state = caravan_server::state(store.clone(), Arc::new(refdata), ServerConfig::default())?;
    let run: String = format!("{:08X}", rand::random::<u32>());
    let caller = Arc::new(
        member(&store, &format!("Bench Trade {run}"), OrgKind::TradingCompany, "KZ", Role::Trader)
            .await?,
    );
    let sample: Value = serde_json::from_str(SAMPLE).context("the shipped sample")?;
    enter_example_rates(&store, &sample).await?;
    let pool = issue_pool(&state, &store, &run, &sample, args.certificate_pool).await?;
    let mut out = std::io::stdout().lock();
    writeln!(
        out,
        "lodge = validate + verify signed certificates ({}) + duties + risk + route + durable group commit, {backend}, {} declarations per size, {} in flight",
        if args.certificate_per_item { "one per item" } else { "one per declaration" },
        args.declarations,
        args.concurrency
    )?;
    let mut rows = Vec::new();
    for &n_items in &args.items {
        // Each request is a JSON body, parsed by the worker that lodges it as the HTTP
        // handler parses what it receives (a body parsed ahead on another thread would also
        // be freed, cold, across threads: 7 % of the CPU, which no server pays).
        let requests: Arc<Vec<Vec<u8>>> = Arc::new(
            (0..args.declarations)
                .map(|idx| {
                    let r = request(&sample, &run, n_items, idx, &pool, args.certificate_per_item);
                    serde_json::to_vec(&r).context("writing a bench request")
                })
                .collect::<anyhow::Result<_>>()?,
        );
        let next = Arc::new(AtomicUsize::new(0));
        let cpu_before = caravan_io::process::cpu_seconds();
        let started = Instant::now();
        let workers: Vec<_> = (0..args.concurrency.min(args.declarations))
            .map(|_| {
                let (state, caller, requests, next) =
                    (state.clone(), caller.clone(), requests.clone(), next.clone());
                tokio::spawn(async move {
                    let mut latencies = Vec::new();
                    loop {
                        let idx = next.fetch_add(1, Ordering::Relaxed);
                        let Some(body) = requests.get(idx) else { return Ok(latencies) };
                        let begun = Instant::now();
                        let request: DeclarationText<'_> =
                            serde_json::from_slice(body).context("a bench request")?;
                        let lodged = caravan_server::declarations::lodge_text(
                            &state, &caller, request, None,
                        )
                        .await
                        .map_err(|err| {
                            anyhow::anyhow!("lodging {idx}: {} {}", err.code, err.message)
                        })?;
                        anyhow::ensure!(lodged.response["channel"].is_string(), "no channel");
                        // Every presented certificate must pass, or the bench measures refusals.
                        let verdicts = lodged.response["certificates"].as_array();
                        anyhow::ensure!(
                            verdicts
                                .is_some_and(|v| !v.is_empty()
                                    && v.iter().all(|c| c["verified"] == json!(true))),
                            "lodging {idx}: a certificate did not verify: {}",
                            lodged.response["certificates"]
                        );
                        latencies.push(begun.elapsed());
                    }
                })
            })
            .collect();
        let mut latencies = Vec::with_capacity(args.declarations);
        for worker in workers {
            latencies.extend(worker.await.context("a bench worker panicked")??);
        }
        let seconds = started.elapsed().as_secs_f64();
        // CPU time varies far less than wall time on a shared or virtual machine.
        let cpu_us = caravan_io::process::cpu_seconds()
            .zip(cpu_before)
            .map_or(f64::NAN, |(after, before)| (after - before) * 1e6 / args.declarations as f64);
        latencies.sort_unstable();
        let per_second = args.declarations as f64 / seconds;
        let (p50, p99) = (percentile(&latencies, 0.50), percentile(&latencies, 0.99));
        writeln!(
            out,
            "{n_items:>4} item(s) {per_second:>9.0} declarations/s {:>10.0} items/s  p50 {:>7.2} ms  p99 {:>7.2} ms  CPU {cpu_us:>5.0} us/declaration",
            per_second * n_items as f64,
            p50.as_secs_f64() * 1e3,
            p99.as_secs_f64() * 1e3
        )?;
        rows.push(format!(
            "{backend},{n_items},{},{seconds:.3},{per_second:.1},{:.3},{:.3}",
            args.declarations,
            p50.as_secs_f64() * 1e3,
            p99.as_secs_f64() * 1e3
        ));
    }
    if let Some(path) = &args.csv {
        let mut text = String::new();
        if !path.exists() {
            text.push_str("backend,items,declarations,seconds,per_second,p50_ms,p99_ms\n");
        }
        for row in rows {
            text.push_str(&row);
            text.push('\n');
        }
        let mut file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
            .with_context(|| format!("opening {}", path.display()))?;
        file.write_all(text.as_bytes()).with_context(|| format!("writing {}", path.display()))?;
    }
    Ok(())
}
