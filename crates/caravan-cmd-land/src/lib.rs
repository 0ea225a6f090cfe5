//! CLI shell of the desertification-control centre: `caravan land sdg15` computes SDG 15.3.1
//! from GeoTIFFs with `caravan-landtrend`, and `caravan bench land` times it on a synthetic
//! scene. Reading/writing rasters is `caravan-geotiff`'s; this crate parses arguments, checks
//! inputs against each other, drives the two passes and writes tables and the map.

mod map;
mod regions;
mod scene;
mod sdg15;

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, Result, bail};
use caravan_landtrend::{Legend, Profile, TransitionMatrix, WaterRule};

/// Subcommands of `caravan land`.
#[derive(Debug, clap::Subcommand)]
pub enum Command {
    /// SDG 15.3.1 (proportion of degraded land) to the UNCCD Good Practice Guidance v2.
    Sdg15(Sdg15Args),
}

/// Options of `caravan land sdg15`.
#[derive(Debug, clap::Args)]
pub struct Sdg15Args {
    /// NDVI GeoTIFF(s): one band per year (integers ×10,000, nodata −32768), or one file per year.
    #[arg(long, required = true, num_args = 1..)]
    pub ndvi: Vec<PathBuf>,
    /// The years of the NDVI bands, e.g. 2000-2015.
    #[arg(long)]
    pub ndvi_years: String,
    /// Land cover GeoTIFF(s): two bands (baseline, target), or two files.
    #[arg(long, required = true, num_args = 1..)]
    pub land_cover: Vec<PathBuf>,
    /// Soil organic carbon GeoTIFF(s): two bands (baseline, target), or two files.
    #[arg(long, required = true, num_args = 1..)]
    pub soc: Vec<PathBuf>,
    /// Zones GeoTIFF(s): band 1 = ecozone, band 2 = region id (0 = outside).
    #[arg(long, required = true, num_args = 1..)]
    pub zones: Vec<PathBuf>,
    /// Region polygons (GeoJSON); replaces the zones' band 2 (pixel-centre rule).
    #[arg(long)]
    pub regions: Option<PathBuf>,
    /// Baseline period for state, e.g. 2000-2012 (default: all but the last three years).
    #[arg(long)]
    pub baseline: Option<String>,
    /// Recent period for state, e.g. 2013-2015 (default: the last three years).
    #[arg(long)]
    pub recent: Option<String>,
    /// Method profile.
    #[arg(long, default_value = "gpg2", value_parser = ["gpg2", "gpg1", "trends-earth"])]
    pub profile: String,
    /// Legend of the land cover codes.
    #[arg(long, default_value = "unccd", value_parser = ["unccd", "esa-cci"])]
    pub land_cover_legend: String,
    /// A 7×7 transition matrix CSV (initial_code,initial_name,to_1..to_7) instead of UNCCD's default.
    #[arg(long)]
    pub transition_matrix: Option<PathBuf>,
    /// Which year's land cover makes a pixel water, left out of the land area: `either`
    /// (baseline or target year), `final` (the target year, as the GPG v2 text) or `baseline`
    /// (as Trends.Earth's code). Written to `run.json`.
    #[arg(long, default_value = "either", value_parser = ["either", "final", "baseline"])]
    pub water: String,
    /// Output folder.
    #[arg(long)]
    pub out: PathBuf,
    /// Rows per processing block (memory grows with it).
    #[arg(long, default_value_t = 64)]
    pub block_rows: usize,
}

/// Runs `caravan land <command>`.
///
/// # Errors
/// Bad arguments or inputs, each naming the file and the problem; I/O failures.
pub fn run(cmd: Command) -> Result<ExitCode> {
    match cmd {
        Command::Sdg15(args) => {
            let job = job_from_args(args, true)?;
            let stats = sdg15::run_job(&job)?;
            sdg15::say(&format!(
                "SDG 15.3.1: {} pixels; outputs in {}\n",
                stats.pixels,
                job.out.display()
            ))?;
            Ok(ExitCode::SUCCESS)
        }
    }
}

fn parse_period(flag: &str, text: &str) -> Result<(i32, i32)> {
    let (a, b) = text
        .split_once('-')
        .with_context(|| format!("{flag} {text:?}: write a period as START-END, e.g. 2000-2015"))?;
    let a: i32 =
        a.trim().parse().with_context(|| format!("{flag} {text:?}: {a:?} is not a year"))?;
    let b: i32 =
        b.trim().parse().with_context(|| format!("{flag} {text:?}: {b:?} is not a year"))?;
    if b < a {
        bail!("{flag} {text:?}: the period ends before it starts");
    }
    Ok((a, b))
}

fn read_matrix(path: &std::path::Path) -> Result<TransitionMatrix> {
    let mut reader = csv::Reader::from_path(path)
        .with_context(|| format!("reading transition matrix {}", path.display()))?;
    let mut m = [[0i8; 7]; 7];
    let mut seen = [false; 7];
    for (line, rec) in reader.records().enumerate() {
        let rec = rec.with_context(|| format!("{}: row {}", path.display(), line + 2))?;
        let from: usize = rec
            .get(0)
            .unwrap_or("")
            .trim()
            .parse()
            .ok()
            .filter(|c| (1..=7).contains(c))
            .with_context(|| {
                format!(
                    "{}: row {}, column initial_code: expected a class 1..7",
                    path.display(),
                    line + 2
                )
            })?;
        for (to, slot) in m[from - 1].iter_mut().enumerate() {
            let cell = rec.get(2 + to).unwrap_or("").trim();
            *slot = cell.parse().ok().filter(|v: &i8| (-1..=1).contains(v)).with_context(|| {
                format!(
                    "{}: row {}, column to_{}: expected -1, 0 or 1, got {cell:?}",
                    path.display(),
                    line + 2,
                    to + 1
                )
            })?;
        }
        seen[from - 1] = true;
    }
    if let Some(missing) = seen.iter().position(|s| !s) {
        bail!(
            "{}: no row for initial class {}; the matrix needs all 7 rows",
            path.display(),
            missing + 1
        );
    }
    Ok(TransitionMatrix(m))
}

/// Runs `land sdg15` as a library call (the server's background jobs): no progress bar;
/// `on_progress(done, total)` hears of every block of rows. Returns the pixel count.
///
/// # Errors
/// As the CLI: each input problem names the file and what is wrong.
pub fn run_sdg15(args: Sdg15Args, on_progress: &dyn Fn(u64, u64)) -> Result<u64> {
    let job = job_from_args(args, false)?;
    Ok(sdg15::run_job_with(&job, on_progress)?.pixels)
}

/// Writes the synthetic benchmark scene (planted trends, fixed `seed`) into `dir` and returns
/// the paths of its NDVI, land cover, SOC and zones GeoTIFFs; for tests of the shells.
///
/// # Errors
/// When a file cannot be written.
pub fn write_scene_files(
    dir: &std::path::Path,
    size: usize,
    years: usize,
    seed: u64,
) -> Result<[PathBuf; 4]> {
    let scene = scene::write_scene(dir, size, years, seed)?;
    Ok([scene.ndvi, scene.land_cover, scene.soc, scene.zones])
}

fn job_from_args(args: Sdg15Args, progress: bool) -> Result<sdg15::Job> {
    let (first, last) = parse_period("--ndvi-years", &args.ndvi_years)?;
    Ok(sdg15::Job {
        ndvi: args.ndvi,
        years: (first..=last).collect(),
        land_cover: args.land_cover,
        soc: args.soc,
        zones: args.zones,
        regions: args.regions,
        baseline: args.baseline.as_deref().map(|t| parse_period("--baseline", t)).transpose()?,
        recent: args.recent.as_deref().map(|t| parse_period("--recent", t)).transpose()?,
        profile: Profile::parse(&args.profile)?,
        water: match args.water.as_str() {
            "either" => WaterRule::Either,
            "final" => WaterRule::Final,
            "baseline" => WaterRule::Baseline,
            other => bail!("--water must be either, final or baseline, got {other:?}"),
        },
        legend: if args.land_cover_legend == "esa-cci" { Legend::EsaCci } else { Legend::Unccd },
        transitions: args
            .transition_matrix
            .as_deref()
            .map(read_matrix)
            .transpose()?
            .unwrap_or_default(),
        out: args.out,
        block_rows: args.block_rows,
        progress,
    })
}

/// Options of `caravan bench land`.
#[derive(Debug, clap::Args)]
pub struct BenchArgs {
    /// Scene side in pixels (the target is 2000; try 10000 for scaling).
    #[arg(long, default_value_t = 2000)]
    pub size: usize,
    /// Years of NDVI.
    #[arg(long, default_value_t = 16)]
    pub years: usize,
    /// Seed of the synthetic scene.
    #[arg(long, default_value_t = 42)]
    pub seed: u64,
    /// Keep inputs and outputs in this folder instead of a temporary one.
    #[arg(long)]
    pub keep: Option<PathBuf>,
}

/// Runs `caravan bench land`: writes a synthetic scene as GeoTIFFs, runs the full pipeline and
/// prints seconds, pixels per second and peak resident memory.
///
/// # Errors
/// I/O failures.
pub fn bench(args: BenchArgs) -> Result<()> {
    let temp = tempfile::tempdir().context("creating a temporary folder")?;
    let dir = args.keep.clone().unwrap_or_else(|| temp.path().to_path_buf());
    std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
    let years = i32::try_from(args.years).context("--years too large")?;
    let gen_start = std::time::Instant::now();
    let scene = scene::write_scene(&dir, args.size, args.years, args.seed)?;
    let gen_s = gen_start.elapsed().as_secs_f64();
    let rss_before = caravan_io::process::peak_rss_kib();
    let job = sdg15::Job {
        ndvi: vec![scene.ndvi],
        years: (2001..2001 + years).collect(),
        land_cover: vec![scene.land_cover],
        soc: vec![scene.soc],
        zones: vec![scene.zones],
        regions: None,
        baseline: None,
        recent: None,
        profile: Profile::Gpg2,
        water: WaterRule::Either,
        legend: Legend::Unccd,
        transitions: TransitionMatrix::default(),
        out: dir.join("out"),
        block_rows: 64,
        progress: true,
    };
    let start = std::time::Instant::now();
    let cpu_before = caravan_io::process::cpu_seconds();
    let stats = sdg15::run_job(&job)?;
    let secs = start.elapsed().as_secs_f64();
    let cpu =
        caravan_io::process::cpu_seconds().zip(cpu_before).map(|(after, before)| after - before);
    let rss = caravan_io::process::peak_rss_kib();
    sdg15::say(&format!(
        "bench land: {size}x{size}x{y} scene (seed {seed}), {threads} threads\n  generate inputs: {gen_s:.2} s\n  pipeline: {secs:.2} s wall, {cpu} CPU (user+system, all threads), {mpx:.2} Mpixel/s\n  peak RSS: {rss} (after input generation: {before})\n  peak block memory: {blk:.1} MiB\n",
        size = args.size,
        y = args.years,
        seed = args.seed,
        threads = rayon::current_num_threads(),
        mpx = stats.pixels as f64 / secs / 1e6,
        cpu = cpu.map_or("unknown".to_owned(), |c| format!("{c:.2} s")),
        rss = rss.map_or("unknown".to_owned(), |k| format!("{:.0} MiB", k as f64 / 1024.0)),
        before =
            rss_before.map_or("unknown".to_owned(), |k| format!("{:.0} MiB", k as f64 / 1024.0)),
        blk = stats.peak_block_bytes as f64 / 1048576.0,
    ))
}

#[cfg(test)]
mod tests;
