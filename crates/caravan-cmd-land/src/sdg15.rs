//! `caravan land sdg15`: opens and checks the GeoTIFF inputs, streams them block by block
//! through `caravan-landtrend` in two passes, and writes the COGs, CSVs and PNG map.

use std::collections::HashMap;
use std::fs::File;
use std::io::{BufReader, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use anyhow::{Context, Result, bail, ensure};
use caravan_geotiff::{CogWriter, Crs, GeoTiffReader, GeoTransform, GridSpec};
use caravan_landtrend::{
    self as land, Block, Config, Legend, Profile, Tally, TransitionMatrix, WaterRule,
    landcover::UNCCD_CLASS_NAMES,
};
use indicatif::{ProgressBar, ProgressStyle};
use rayon::prelude::*;

use crate::map::MapCanvas;
use crate::regions::{Region, rasterise_rows};

/// Everything `sdg15` needs, parsed and checked by the CLI layer.
#[derive(Debug, Clone)]
pub(crate) struct Job {
    pub(crate) ndvi: Vec<PathBuf>,
    pub(crate) years: Vec<i32>,
    pub(crate) land_cover: Vec<PathBuf>,
    pub(crate) soc: Vec<PathBuf>,
    pub(crate) zones: Vec<PathBuf>,
    pub(crate) regions: Option<PathBuf>,
    pub(crate) baseline: Option<(i32, i32)>,
    pub(crate) recent: Option<(i32, i32)>,
    pub(crate) profile: Profile,
    pub(crate) water: WaterRule,
    pub(crate) legend: Legend,
    pub(crate) transitions: TransitionMatrix,
    pub(crate) out: PathBuf,
    pub(crate) block_rows: usize,
    pub(crate) progress: bool,
}

/// What a run did, also written to `run.json`.
#[derive(Debug, Clone, Copy)]
pub(crate) struct RunStats {
    pub(crate) pixels: u64,
    pub(crate) peak_block_bytes: usize,
    pub(crate) input_decoded_bytes: u64,
}

/// A band of one of the opened files.
#[derive(Debug, Clone, Copy)]
struct BandRef {
    file: usize,
    band: usize,
}

/// Opened inputs. Planar multi-band files get one reader per band, so bands decode in parallel.
struct Inputs {
    files: Vec<(PathBuf, Mutex<GeoTiffReader<BufReader<File>>>)>,
    width: usize,
    height: usize,
    transform: GeoTransform,
}

impl Inputs {
    /// Opens every file of a role and lists its bands in order; checks the grid against the first file.
    fn add_role(&mut self, role: &str, paths: &[PathBuf], expected: usize) -> Result<Vec<BandRef>> {
        let mut bands = Vec::new();
        for path in paths {
            let reader = reader_for(path, role)?;
            let info = reader.info().clone();
            let transform = info.transform.with_context(|| {
                format!("{role} {}: no georeferencing (ModelPixelScale/ModelTiepoint); write it as a GeoTIFF in EPSG:4326", path.display())
            })?;
            if info.crs != Crs::Geographic(4326) {
                bail!(
                    "{role} {}: CRS is {}, but exact areas need geographic WGS 84 (EPSG:4326); reproject it, e.g. gdalwarp -t_srs EPSG:4326",
                    path.display(),
                    info.crs
                );
            }
            if self.files.is_empty() {
                self.width = info.width;
                self.height = info.height;
                self.transform = transform;
            } else {
                let first = &self.files[0].0;
                if (info.width, info.height) != (self.width, self.height) {
                    bail!(
                        "{role} {}: grid is {}×{} pixels but {} is {}×{}; all inputs must share one grid",
                        path.display(),
                        info.width,
                        info.height,
                        first.display(),
                        self.width,
                        self.height
                    );
                }
                if !transform.same_grid(&self.transform) {
                    bail!(
                        "{role} {}: grid transform {:?} differs from {}'s {:?}; all inputs must share one grid",
                        path.display(),
                        transform,
                        first.display(),
                        self.transform
                    );
                }
            }
            if info.planar && info.bands > 1 {
                let mut first = Some(reader);
                for band in 0..info.bands {
                    let reader = match first.take() {
                        Some(reader) => reader,
                        None => reader_for(path, role)?,
                    };
                    bands.push(BandRef { file: self.files.len(), band });
                    self.files.push((path.clone(), Mutex::new(reader)));
                }
            } else {
                let file = self.files.len();
                bands.extend((0..info.bands).map(|band| BandRef { file, band }));
                self.files.push((path.clone(), Mutex::new(reader)));
            }
        }
        if bands.len() != expected {
            let names: Vec<String> = paths.iter().map(|p| p.display().to_string()).collect();
            bail!(
                "{role} {}: has {} band(s) in {} file(s), expected {expected}",
                names.join(", "),
                bands.len(),
                paths.len()
            );
        }
        Ok(bands)
    }

    fn read(&self, band: BandRef, start: usize, n: usize, out: &mut Vec<f64>) -> Result<()> {
        let (path, reader) = &self.files[band.file];
        let mut reader = reader
            .lock()
            .map_err(|_| anyhow::anyhow!("{}: a reader thread failed", path.display()))?;
        reader.read_rows(band.band, start, n, out).with_context(|| {
            format!(
                "{}: reading band {} rows {start}..{}",
                path.display(),
                band.band + 1,
                start + n
            )
        })
    }

    fn peak_cache_bytes(&self) -> usize {
        self.files.iter().map(|(_, r)| r.lock().map_or(0, |r| r.peak_cache_bytes())).sum()
    }
}

struct Roles {
    ndvi: Vec<BandRef>,
    lc: Vec<BandRef>,
    soc: Vec<BandRef>,
    ecozone: BandRef,
    region: Option<BandRef>,
}

#[derive(Default)]
struct Buffers {
    ndvi: Vec<Vec<f64>>,
    lc_baseline: Vec<f64>,
    lc_target: Vec<f64>,
    soc_baseline: Vec<f64>,
    soc_target: Vec<f64>,
    ecozone: Vec<f64>,
    region: Vec<i64>,
    scratch: Vec<f64>,
}

impl Buffers {
    fn bytes(&self) -> usize {
        let f = self.ndvi.iter().map(Vec::capacity).sum::<usize>()
            + self.lc_baseline.capacity()
            + self.lc_target.capacity()
            + self.soc_baseline.capacity()
            + self.soc_target.capacity()
            + self.ecozone.capacity()
            + self.scratch.capacity();
        f * 8 + self.region.capacity() * 8
    }
}

const OUTPUTS: [&str; 7] = [
    "sdg_15_3_1.tif",
    "productivity.tif",
    "trajectory.tif",
    "state.tif",
    "performance.tif",
    "land_cover_degradation.tif",
    "soc_degradation.tif",
];

/// Which inputs a pass needs: NDVI in pass 1, land cover target and SOC in pass 2.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Pass {
    Trends,
    Classes,
}

fn read_block(
    inputs: &Inputs,
    roles: &Roles,
    regions: Option<&[Region]>,
    start: usize,
    n: usize,
    pass: Pass,
    buf: &mut Buffers,
) -> Result<()> {
    if pass == Pass::Trends {
        buf.ndvi.resize_with(roles.ndvi.len(), Vec::new);
        roles
            .ndvi
            .par_iter()
            .zip(buf.ndvi.par_iter_mut())
            .try_for_each(|(band, out)| inputs.read(*band, start, n, out))?;
    }
    inputs.read(roles.lc[0], start, n, &mut buf.lc_baseline)?;
    inputs.read(roles.ecozone, start, n, &mut buf.ecozone)?;
    if pass == Pass::Classes {
        inputs.read(roles.lc[1], start, n, &mut buf.lc_target)?;
        inputs.read(roles.soc[0], start, n, &mut buf.soc_baseline)?;
        inputs.read(roles.soc[1], start, n, &mut buf.soc_target)?;
    }
    buf.region = match (regions, roles.region) {
        (Some(regions), _) => rasterise_rows(regions, &inputs.transform, inputs.width, start, n),
        (None, Some(band)) => {
            inputs.read(band, start, n, &mut buf.scratch)?;
            #[expect(
                clippy::cast_possible_truncation,
                reason = "region ids are integer codes; NaN (nodata) becomes 0, outside"
            )]
            buf.scratch.iter().map(|&v| if v.is_finite() { v as i64 } else { 0 }).collect()
        }
        (None, None) => bail!("no region ids: give --zones with two bands or --regions"),
    };
    Ok(())
}

fn block<'a>(buf: &'a Buffers, width: usize, n: usize, areas: &'a [f64]) -> Block<'a> {
    let empty: &[f64] = &[];
    let pick = |v: &'a Vec<f64>| if v.is_empty() { empty } else { v.as_slice() };
    Block {
        width,
        n_rows: n,
        ndvi: buf.ndvi.iter().map(Vec::as_slice).collect(),
        lc_baseline: &buf.lc_baseline,
        lc_target: pick(&buf.lc_target),
        soc_baseline: pick(&buf.soc_baseline),
        soc_target: pick(&buf.soc_target),
        ecozone: &buf.ecozone,
        region: &buf.region,
        row_area_km2: areas,
    }
}

/// Runs the whole job.
pub(crate) fn run_job(job: &Job) -> Result<RunStats> {
    run_job_with(job, &|_, _| {})
}

/// [`run_job`], calling `on_rows(done, total)` after each block of each of the two passes.
pub(crate) fn run_job_with(job: &Job, on_rows: &dyn Fn(u64, u64)) -> Result<RunStats> {
    ensure!(job.block_rows > 0, "--block-rows must be at least 1");
    let config = Config::new(
        job.profile,
        &job.years,
        job.baseline,
        job.recent,
        job.legend,
        job.transitions.clone(),
    )
    .context("checking --ndvi-years, --baseline and --recent")?
    .with_water(job.water);
    let regions = job.regions.as_deref().map(crate::regions::read_regions).transpose()?;
    let mut inputs = Inputs {
        files: Vec::new(),
        width: 0,
        height: 0,
        transform: GeoTransform {
            origin_x: 0.0,
            origin_y: 0.0,
            pixel_width: 1.0,
            pixel_height: 1.0,
        },
    };
    let ndvi = inputs.add_role("--ndvi", &job.ndvi, job.years.len()).with_context(|| {
        format!(
            "--ndvi-years {}-{} names {} years: give one NDVI band per year",
            job.years[0],
            job.years[job.years.len() - 1],
            job.years.len()
        )
    })?;
    let lc = inputs
        .add_role("--land-cover", &job.land_cover, 2)
        .context("land cover needs two bands: baseline, target")?;
    let soc =
        inputs.add_role("--soc", &job.soc, 2).context("SOC needs two bands: baseline, target")?;
    let zone_bands = if regions.is_some() { count_bands(&job.zones)?.clamp(1, 2) } else { 2 };
    let zones = inputs
        .add_role("--zones", &job.zones, zone_bands)
        .context("zones need band 1 = ecozone and band 2 = region id (0 = outside), or band 1 with --regions")?;
    let roles = Roles { ndvi, lc, soc, ecozone: zones[0], region: zones.get(1).copied() };
    let (width, height, transform) = (inputs.width, inputs.height, inputs.transform);
    let areas = land::area::row_areas_km2(
        transform.origin_y,
        transform.pixel_height,
        transform.pixel_width,
        height,
    );
    std::fs::create_dir_all(&job.out)
        .with_context(|| format!("creating output folder {}", job.out.display()))?;

    let bar =
        if job.progress { ProgressBar::new(2 * height as u64) } else { ProgressBar::hidden() };
    bar.set_style(
        ProgressStyle::with_template("{msg:>8} [{bar:40}] {pos}/{len} rows {eta}")
            .expect("static template")
            .progress_chars("=> "),
    );
    let mut buf = Buffers::default();
    let mut peak_block = 0usize;
    // Pass 1 (GPG v2 §4.2.3–4.2.5): trajectory, state and mean of every pixel, spilled to a
    // temporary file at 6 bytes a pixel; the means also go to their land units.
    bar.set_message("pass 1");
    let mut means = HashMap::new();
    let spill_file = tempfile::tempfile().context("creating a temporary file for pass 1")?;
    let mut spill = std::io::BufWriter::new(spill_file);
    // One byte buffer and one trend buffer serve every block of both passes: fresh ones per
    // block were refaulted page by page.
    let mut bytes: Vec<u8> = Vec::new();
    let mut trends: Vec<land::PixelTrend> = Vec::new();
    for start in (0..height).step_by(job.block_rows) {
        let n = job.block_rows.min(height - start);
        read_block(&inputs, &roles, regions.as_deref(), start, n, Pass::Trends, &mut buf)?;
        let block_trends = land::trend_block(
            &config,
            &block(&buf, width, n, &areas[start..start + n]),
            &mut means,
        );
        bytes.clear();
        bytes.reserve(block_trends.len() * land::PixelTrend::BYTES);
        for trend in &block_trends {
            bytes.extend_from_slice(&trend.to_bytes());
        }
        spill.write_all(&bytes).context("writing pass-1 results to a temporary file")?;
        peak_block = peak_block
            .max(buf.bytes() + inputs.peak_cache_bytes() + bytes.len() + block_trends.len() * 16);
        bar.inc(n as u64);
        on_rows(bar.position(), 2 * height as u64);
    }
    let mut spill =
        spill.into_inner().map_err(|e| e.into_error()).context("writing pass-1 results")?;
    spill.seek(SeekFrom::Start(0)).context("rewinding pass-1 results")?;
    let mut spill = BufReader::new(spill);
    buf.ndvi.clear();
    let p90 = land::unit_p90(means);

    // Pass 2: every sub-indicator and the indicator, block by block.
    bar.set_message("pass 2");
    let spec =
        GridSpec { width, height, transform, epsg: 4326, nodata: Some(f64::from(land::NODATA)) };
    let mut writers: Vec<CogWriter> =
        (0..OUTPUTS.len()).map(|_| CogWriter::new(spec)).collect::<Result<_, _>>()?;
    let mut canvas = MapCanvas::new(width, height, 1000);
    let mut tally = Tally::default();
    for start in (0..height).step_by(job.block_rows) {
        let n = job.block_rows.min(height - start);
        read_block(&inputs, &roles, regions.as_deref(), start, n, Pass::Classes, &mut buf)?;
        bytes.clear();
        bytes.resize(width * n * land::PixelTrend::BYTES, 0);
        spill.read_exact(&mut bytes).context("reading pass-1 results back")?;
        trends.clear();
        trends.extend(
            bytes
                .chunks_exact(land::PixelTrend::BYTES)
                .map(|c| land::PixelTrend::from_bytes(c.try_into().expect("chunks of BYTES"))),
        );
        let layers = land::assess_block(
            &config,
            &block(&buf, width, n, &areas[start..start + n]),
            &trends,
            &p90,
            &mut tally,
        );
        canvas.add_rows(start, width, &layers.sdg);
        let all = [
            &layers.sdg,
            &layers.productivity,
            &layers.trajectory,
            &layers.state,
            &layers.performance,
            &layers.lc_degradation,
            &layers.soc_degradation,
        ];
        writers.par_iter_mut().zip(all).try_for_each(|(writer, layer)| writer.push_rows(layer))?;
        peak_block = peak_block.max(
            buf.bytes()
                + inputs.peak_cache_bytes()
                + 7 * 2 * width * n
                + bytes.len()
                + trends.len() * 16,
        );
        bar.inc(n as u64);
        on_rows(bar.position(), 2 * height as u64);
    }
    bar.finish_and_clear();
    for (writer, name) in writers.into_iter().zip(OUTPUTS) {
        let path = job.out.join(name);
        writer.finish(&path).with_context(|| format!("writing {}", path.display()))?;
    }
    write_area_csv(&job.out.join("area_by_region.csv"), &tally)?;
    write_transition_csv(&job.out.join("lc_transition_area_km2.csv"), &tally)?;
    canvas.write_png(&job.out.join("sdg_15_3_1.png"))?;
    let pixels = (width * height) as u64;
    let stats = RunStats {
        pixels,
        peak_block_bytes: peak_block,
        input_decoded_bytes: pixels * (job.years.len() as u64 + 7) * 8,
    };
    let json = serde_json::json!({
        "pixels": stats.pixels,
        "width": width,
        "height": height,
        "block_rows": job.block_rows,
        "peak_block_bytes": stats.peak_block_bytes,
        "input_decoded_bytes": stats.input_decoded_bytes,
        "water": match job.water {
            WaterRule::Either => "either: water (UNCCD class 7) in the baseline or the target year is not land",
            WaterRule::Final => "final: water in the target year is not land (the GPG v2 text)",
            WaterRule::Baseline => "baseline: water in the baseline year is not land (Trends.Earth's code)",
        },
        "area_by_region": {
            "total": "the row region=total adds up every region",
            "pct_degraded": "100 * degraded_km2 / land_km2: degraded share of the land area, no data included (SDG 15.3.1 proportion)",
            "pct_degraded_of_classified": "100 * degraded_km2 / (degraded_km2 + stable_km2 + improved_km2): degraded share of the classified land, no data left out",
        },
    });
    let path = job.out.join("run.json");
    std::fs::write(&path, format!("{json:#}\n"))
        .with_context(|| format!("writing {}", path.display()))?;
    Ok(stats)
}

fn reader_for(path: &Path, role: &str) -> Result<GeoTiffReader<BufReader<File>>> {
    GeoTiffReader::open(path)
        .with_context(|| format!("{role} {}: cannot read the GeoTIFF", path.display()))
}

fn count_bands(paths: &[PathBuf]) -> Result<usize> {
    let mut n = 0;
    for path in paths {
        n += GeoTiffReader::open(path)
            .with_context(|| format!("--zones {}: cannot read the GeoTIFF", path.display()))?
            .info()
            .bands;
    }
    Ok(n)
}

/// `area_by_region.csv`: one row per region, then the `total` row; the two percentage
/// denominators are named in `run.json`. Columns `{prefix}_pct_degraded_of_classified` come last,
/// so the earlier columns keep their places.
fn write_area_csv(path: &Path, tally: &Tally) -> Result<()> {
    const PREFIXES: [&str; 4] = ["sdg", "productivity", "lc_deg", "soc_deg"];
    let mut w =
        csv::Writer::from_path(path).with_context(|| format!("creating {}", path.display()))?;
    let mut header = vec![
        "region".to_owned(),
        "n_pixels".into(),
        "area_km2".into(),
        "water_km2".into(),
        "land_km2".into(),
    ];
    for prefix in PREFIXES {
        for suffix in ["degraded_km2", "stable_km2", "improved_km2", "nodata_km2", "pct_degraded"] {
            header.push(format!("{prefix}_{suffix}"));
        }
    }
    for prefix in PREFIXES {
        header.push(format!("{prefix}_pct_degraded_of_classified"));
    }
    w.write_record(&header)?;
    let total = tally.total();
    let rows = tally.regions.iter().map(|(region, t)| (region.to_string(), t));
    for (region, t) in rows.chain(std::iter::once(("total".to_owned(), &total))) {
        let mut rec = vec![
            region,
            t.n_pixels.to_string(),
            km2(t.area_km2),
            km2(t.water_km2),
            km2(t.land_km2),
        ];
        let classes = [&t.sdg, &t.productivity, &t.lc_degradation, &t.soc_degradation];
        for c in classes {
            rec.extend([
                km2(c.degraded_km2),
                km2(c.stable_km2),
                km2(c.improved_km2),
                km2(c.nodata_km2),
            ]);
            rec.push(format!("{:.4}", c.pct_degraded(t.land_km2)));
        }
        for c in classes {
            rec.push(format!("{:.4}", c.pct_degraded_of_classified()));
        }
        w.write_record(&rec)?;
    }
    w.flush().with_context(|| format!("writing {}", path.display()))?;
    Ok(())
}

fn km2(v: f64) -> String {
    format!("{v:.6}")
}

fn write_transition_csv(path: &Path, tally: &Tally) -> Result<()> {
    let mut w =
        csv::Writer::from_path(path).with_context(|| format!("creating {}", path.display()))?;
    w.write_record([
        "region",
        "initial_code",
        "initial_name",
        "to_1",
        "to_2",
        "to_3",
        "to_4",
        "to_5",
        "to_6",
        "to_7",
    ])?;
    for (region, m) in &tally.transitions {
        for (i, row) in m.iter().enumerate() {
            let mut rec =
                vec![region.to_string(), (i + 1).to_string(), UNCCD_CLASS_NAMES[i].to_owned()];
            rec.extend(row.iter().map(|&v| km2(v)));
            w.write_record(&rec)?;
        }
    }
    w.flush().with_context(|| format!("writing {}", path.display()))?;
    Ok(())
}

/// Writes `text` to stdout through one locked handle; a closed pipe is not an error.
pub(crate) fn say(text: &str) -> Result<()> {
    let mut out = std::io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        other => other.context("writing to stdout"),
    }
}
