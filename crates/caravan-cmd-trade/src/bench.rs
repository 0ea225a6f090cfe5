//! `caravan bench complexity`: times the full CSV-in, CSV-out complexity pipeline on generated
//! HS6-like and HS4-like tables (fixed seed) and, when present, on the real HS4 2017 table; runs
//! py-ecomplexity on the same files when Python has it, and appends the results to a CSV.

use std::fmt::Write as _;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command as Process;
use std::time::Instant;

use anyhow::{Context, Result};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use crate::{CellsArg, ComplexityArgs, ConventionArg, Output, PresenceArg, ProximityArg};

/// Options of `caravan bench complexity`.
#[derive(Debug, Clone, clap::Args)]
pub struct BenchArgs {
    /// Locations of the HS6-like table.
    #[arg(long, default_value_t = 230)]
    pub locations: usize,
    /// Products of the HS6-like table.
    #[arg(long, default_value_t = 5_000)]
    pub products: usize,
    /// Seed of the generated tables.
    #[arg(long, default_value_t = 6)]
    pub seed: u64,
    /// CSV to append result rows to.
    #[arg(long, default_value = "target/bench/complexity.csv")]
    pub results: PathBuf,
    /// Python interpreter used for the py-ecomplexity comparison.
    #[arg(long, default_value = "python3")]
    pub python: String,
    /// Do not run py-ecomplexity even when it is installed.
    #[arg(long)]
    pub skip_python: bool,
    /// The real HS4 table (`reporter_iso,product_code,export_value_usd`); by default
    /// `../shared/data/trade-flows/ots-hs4-2017/world_trade_2017.csv` when it exists.
    #[arg(long)]
    pub hs4_file: Option<PathBuf>,
}

/// One timed input.
struct Measurement {
    name: String,
    n_locations: usize,
    n_products: usize,
    n_rows: usize,
    seconds: f64,
    peak_rss_mib: Option<f64>,
    python_seconds: Option<f64>,
}

/// Runs the benchmark and prints one line per input.
///
/// # Errors
/// When the temporary files or the results CSV cannot be written, or the pipeline fails.
pub fn bench(args: BenchArgs) -> Result<()> {
    let dir =
        tempfile::tempdir().context("creating a temporary folder for the generated tables")?;
    let mut inputs: Vec<(String, PathBuf, usize, usize)> = Vec::new();
    let hs4_like = dir.path().join("hs4_like.csv");
    generate(&hs4_like, 224, 1_222, args.seed)?;
    inputs.push(("hs4-like".to_owned(), hs4_like, 224, 1_222));
    let real_hs4 = args.hs4_file.clone().unwrap_or_else(|| {
        PathBuf::from("../shared/data/trade-flows/ots-hs4-2017/world_trade_2017.csv")
    });
    if real_hs4.exists() {
        let path = dir.path().join("hs4_2017.csv");
        let (n_l, n_p) = add_year_column(&real_hs4, &path)?;
        inputs.push(("hs4-2017-real".to_owned(), path, n_l, n_p));
    }
    let hs6_like = dir.path().join("hs6_like.csv");
    generate(&hs6_like, args.locations, args.products, args.seed)?;
    inputs.push(("hs6-like".to_owned(), hs6_like, args.locations, args.products));

    let python_ok = !args.skip_python
        && Process::new(&args.python)
            .args(["-c", "import ecomplexity"])
            .output()
            .is_ok_and(|o| o.status.success());
    let mut out = Output::stdout();
    if !python_ok {
        writeln!(
            out,
            "py-ecomplexity not available ({} -c 'import ecomplexity' failed); no ratio",
            args.python
        )?;
    }
    let mut measurements = Vec::new();
    for (name, path, n_locations, n_products) in inputs {
        let out_path = dir.path().join(format!("{name}.out.csv"));
        let cmd = ComplexityArgs {
            input: path.clone(),
            time: "year".to_owned(),
            location: "origin".to_owned(),
            product: "product".to_owned(),
            value: "export_val".to_owned(),
            rca_threshold: 1.0,
            presence: PresenceArg::Rca,
            proximity: ProximityArg::Symmetric,
            convention: ConventionArg::Ecomplexity,
            sum_duplicates: false,
            cells: CellsArg::Panel,
            out: out_path,
        };
        let start = Instant::now();
        let n_rows = crate::commands::complexity_cmd(&cmd)?;
        let seconds = start.elapsed().as_secs_f64();
        let python_seconds =
            if python_ok { run_python(&args.python, &path, dir.path())? } else { None };
        let m = Measurement {
            name,
            n_locations,
            n_products,
            n_rows,
            seconds,
            peak_rss_mib: peak_rss_mib(),
            python_seconds,
        };
        let mut line = format!(
            "{}: {} x {} ({} rows): {:.3} s, peak RSS {} MiB",
            m.name,
            m.n_locations,
            m.n_products,
            m.n_rows,
            m.seconds,
            m.peak_rss_mib.map_or("?".to_owned(), |v| format!("{v:.0}"))
        );
        if let Some(py) = m.python_seconds {
            write!(line, "; py-ecomplexity {py:.2} s, ratio {:.1}x", py / m.seconds)?;
        }
        writeln!(out, "{line}")?;
        out.flush()?;
        measurements.push(m);
    }
    append_results(&args.results, &measurements)?;
    writeln!(out, "results appended to {}", args.results.display())?;
    Ok(())
}

/// Writes a long `year,origin,product,export_val` table: skewed values, about a third of the
/// cells absent, larger locations and products more often present (like real trade).
fn generate(path: &Path, n_locations: usize, n_products: usize, seed: u64) -> Result<()> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let file =
        std::fs::File::create(path).with_context(|| format!("creating {}", path.display()))?;
    let mut w = std::io::BufWriter::new(file);
    writeln!(w, "year,origin,product,export_val")?;
    for c in 0..n_locations {
        let size = 1.0 + 50.0 * (-(c as f64) / 40.0).exp();
        for p in 0..n_products {
            let presence = 0.35 + 0.6 * (size / 51.0).min(1.0);
            if rng.gen_bool(presence.min(0.95)) {
                let value = (size * rng.gen_range(0.0f64..12.0).exp()).round() + 1.0;
                writeln!(w, "2020,L{c:03},P{p:05},{value}")?;
            }
        }
    }
    w.flush().with_context(|| format!("writing {}", path.display()))?;
    Ok(())
}

/// Copies the real HS4 table into the bench's column layout (with a year column), outside the
/// timed part. Returns the number of locations and products.
fn add_year_column(source: &Path, dest: &Path) -> Result<(usize, usize)> {
    let mut reader =
        csv::Reader::from_path(source).with_context(|| format!("opening {}", source.display()))?;
    let mut writer =
        csv::Writer::from_path(dest).with_context(|| format!("creating {}", dest.display()))?;
    writer.write_record(["year", "origin", "product", "export_val"])?;
    let mut locations = std::collections::HashSet::new();
    let mut products = std::collections::HashSet::new();
    for record in reader.records() {
        let record = record.with_context(|| format!("reading {}", source.display()))?;
        let (Some(l), Some(p), Some(v)) = (record.get(0), record.get(1), record.get(2)) else {
            continue;
        };
        locations.insert(l.to_owned());
        products.insert(p.to_owned());
        writer.write_record(["2017", l, p, v])?;
    }
    writer.flush()?;
    Ok((locations.len(), products.len()))
}

/// Runs py-ecomplexity on `input` and returns its wall-clock seconds (None if it failed).
fn run_python(python: &str, input: &Path, dir: &Path) -> Result<Option<f64>> {
    let script = "import sys, time, pandas as pd\n\
from ecomplexity import ecomplexity\n\
df = pd.read_csv(sys.argv[1], dtype={'origin': str, 'product': str})\n\
out = ecomplexity(df, {'time': 'year', 'loc': 'origin', 'prod': 'product', 'val': 'export_val'}, check_logsupermodularity=False, verbose=False)\n\
out.to_csv(sys.argv[2], index=False)\n";
    let start = Instant::now();
    let status = Process::new(python)
        .args(["-c", script])
        .arg(input)
        .arg(dir.join("python.out.csv"))
        .status()
        .with_context(|| format!("running {python}"))?;
    Ok(status.success().then(|| start.elapsed().as_secs_f64()))
}

/// Peak resident set size of this process, in MiB.
fn peak_rss_mib() -> Option<f64> {
    caravan_io::process::peak_rss_kib().map(|kib| kib as f64 / 1024.0)
}

fn append_results(path: &Path, measurements: &[Measurement]) -> Result<()> {
    if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent)
            .with_context(|| format!("creating {}", parent.display()))?;
    }
    let is_new = !path.exists();
    let file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .with_context(|| format!("opening {} for appending", path.display()))?;
    let mut w = csv::Writer::from_writer(file);
    if is_new {
        w.write_record([
            "input",
            "n_locations",
            "n_products",
            "n_rows",
            "seconds",
            "peak_rss_mib",
            "python_seconds",
            "ratio",
            "threads",
        ])?;
    }
    let threads = std::thread::available_parallelism().map_or(1, std::num::NonZero::get);
    for m in measurements {
        w.write_record([
            m.name.clone(),
            m.n_locations.to_string(),
            m.n_products.to_string(),
            m.n_rows.to_string(),
            format!("{:.4}", m.seconds),
            m.peak_rss_mib.map_or(String::new(), |v| format!("{v:.1}")),
            m.python_seconds.map_or(String::new(), |v| format!("{v:.3}")),
            m.python_seconds.map_or(String::new(), |v| format!("{:.1}", v / m.seconds)),
            threads.to_string(),
        ])?;
    }
    w.flush().with_context(|| format!("writing {}", path.display()))?;
    Ok(())
}
