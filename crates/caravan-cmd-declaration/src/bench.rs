//! `caravan bench declarations`: in-process throughput and latency of validate + risk-assess
//! for declarations of 1, 10 and 100 items (issue 5, "Performance"). Persistence is not
//! measured here; the server's benchmark adds it.

use std::io::Write;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use anyhow::Context;
use caravan_customs::{
    AssessmentInput, CertificateVerdict, TraderHistory, ValidationContext, assess, validate_json,
};
use rayon::prelude::*;
use serde_json::Value;

use crate::engine::Engine;

/// Options of `caravan bench declarations`.
#[derive(Debug, clap::Args)]
pub struct BenchArgs {
    /// Declarations to process for each size.
    #[arg(long, default_value_t = 2000)]
    declarations: usize,
    /// Items per declaration, comma-separated.
    #[arg(long, value_delimiter = ',', default_value = "1,10,100")]
    items: Vec<usize>,
    /// Append one CSV row per size (items, mode, declarations, seconds, per_second, p50_us, p99_us).
    #[arg(long)]
    csv: Option<PathBuf>,
}

const SAMPLE: &str = include_str!(concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../data/customs/samples/import-apples-cn-kz.json"
));

/// The apples sample with `n_items` items and reference number `idx`.
fn declaration_text(sample: &Value, n_items: usize, idx: usize) -> anyhow::Result<String> {
    let mut value = sample.clone();
    value["reference"] = Value::from(format!("KZ-BENCH-{idx:08}"));
    let item = value["items"][0].clone();
    value["items"] = Value::Array(vec![item; n_items]);
    serde_json::to_string(&value).context("serialising a bench declaration")
}

/// Percentile by nearest rank of sorted durations.
fn percentile(sorted: &[Duration], fraction: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let rank = (fraction * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

/// Runs the benchmark and prints one line per size and mode.
///
/// # Errors
/// When a generated declaration fails validation (a broken build) or output cannot be written.
pub fn bench(args: BenchArgs) -> anyhow::Result<()> {
    anyhow::ensure!(args.declarations > 0, "--declarations must be at least 1");
    anyhow::ensure!(
        args.items.iter().all(|&n| (1..=999).contains(&n)),
        "--items must each be 1 to 999 (a declaration has at most 999 items)"
    );
    let engine = Engine::load()?;
    let sample: Value =
        serde_json::from_str(SAMPLE).context("parsing the shipped sample declaration")?;
    // Validate on the sample's own date so the benchmark does not depend on the clock.
    let today = time::macros::date!(2026 - 11 - 28);
    let ctx =
        ValidationContext { code_lists: &engine.code_lists, reference: &engine.reference, today };
    let verdicts = [
        CertificateVerdict {
            document_reference: "CCPIT-XJ-2026-88812".to_owned(),
            verified: true,
            reason: String::new(),
        },
        CertificateVerdict {
            document_reference: "EPHYTO-CN-2026-77123".to_owned(),
            verified: true,
            reason: String::new(),
        },
    ];
    let process = |text: &str| -> anyhow::Result<Duration> {
        let started = Instant::now();
        let declaration = validate_json(text, &ctx)
            .map_err(|errors| anyhow::anyhow!("bench declaration invalid: {}", errors[0]))?;
        let input = AssessmentInput {
            version: 1,
            selection: caravan_customs::Selection::Keyed(b"bench selection key"),
            standing: None,
            duty_lines: &[],
            verdicts: &verdicts,
            history: TraderHistory { n_declarations: 50, n_violations: 0 },
            rules: &engine.rules,
            routing: &engine.routing,
            code_lists: &engine.code_lists,
        };
        let assessment = assess(&declaration, &input).context("assessing a bench declaration")?;
        std::hint::black_box(assessment);
        Ok(started.elapsed())
    };

    let mut rows = Vec::new();
    let mut out = std::io::stdout().lock();
    writeln!(
        out,
        "validate + risk-assess in process, {} declarations per size, {} threads for the parallel run",
        args.declarations,
        rayon::current_num_threads()
    )?;
    for &n_items in &args.items {
        let texts: Vec<String> = (0..args.declarations)
            .map(|idx| declaration_text(&sample, n_items, idx))
            .collect::<anyhow::Result<_>>()?;
        let bar = indicatif::ProgressBar::new(texts.len() as u64 * 2);
        bar.set_style(
            indicatif::ProgressStyle::with_template("{msg} {bar:40} {pos}/{len} {elapsed}")
                .context("progress bar template")?,
        );
        bar.set_message(format!("{n_items} item(s)"));
        for (mode, parallel) in [("sequential", false), ("parallel", true)] {
            let started = Instant::now();
            let mut latencies: Vec<Duration> = if parallel {
                texts
                    .par_iter()
                    .map(|text| {
                        let res = process(text);
                        bar.inc(1);
                        res
                    })
                    .collect::<anyhow::Result<_>>()?
            } else {
                texts
                    .iter()
                    .map(|text| {
                        let res = process(text);
                        bar.inc(1);
                        res
                    })
                    .collect::<anyhow::Result<_>>()?
            };
            let seconds = started.elapsed().as_secs_f64();
            latencies.sort_unstable();
            let per_second = texts.len() as f64 / seconds;
            let (p50, p99) = (percentile(&latencies, 0.50), percentile(&latencies, 0.99));
            bar.suspend(|| {
                writeln!(
                    out,
                    "{n_items:>4} item(s) {mode:<10} {:>10.0} declarations/s {:>12.0} items/s  p50 {:>8.1} µs  p99 {:>8.1} µs",
                    per_second,
                    per_second * n_items as f64,
                    p50.as_secs_f64() * 1e6,
                    p99.as_secs_f64() * 1e6
                )
            })?;
            rows.push(format!(
                "{n_items},{mode},{},{seconds:.6},{per_second:.1},{:.1},{:.1}",
                texts.len(),
                p50.as_secs_f64() * 1e6,
                p99.as_secs_f64() * 1e6
            ));
        }
        bar.finish_and_clear();
    }
    if let Some(path) = &args.csv {
        let mut text = String::new();
        if !path.exists() {
            text.push_str("items,mode,declarations,seconds,per_second,p50_us,p99_us\n");
        }
        for row in rows {
            text.push_str(&row);
            text.push('\n');
        }
        let mut file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
            .with_context(|| format!("opening {} to append the results", path.display()))?;
        file.write_all(text.as_bytes()).with_context(|| format!("writing {}", path.display()))?;
    }
    Ok(())
}
