//! A small planted scene (fixed seed) and helpers to run the CLI on it.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use caravan_cmd_land::{Command, run};
use caravan_geotiff::{
    Compression, GeoTiffReader, GeoTransform, GridSpec, Layout, SampleType, write_raster,
};
use clap::Parser;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

#[derive(Parser)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

/// Parses `caravan land ARGS...` and runs it.
pub(crate) fn land(args: &[&str]) -> anyhow::Result<ExitCode> {
    let cli = Cli::try_parse_from(std::iter::once("land").chain(args.iter().copied()))?;
    run(cli.command)
}

pub(crate) const W: usize = 30;
pub(crate) const H: usize = 24;
pub(crate) const YEARS: usize = 16;

pub(crate) fn spec(w: usize, h: usize) -> GridSpec {
    GridSpec {
        width: w,
        height: h,
        transform: GeoTransform {
            origin_x: 69.0,
            origin_y: 41.5,
            pixel_width: 0.01,
            pixel_height: 0.01,
        },
        epsg: 4326,
        nodata: Some(-32768.0),
    }
}

/// Planted NDVI: rows 0–7 fall 100/yr, rows 8–15 alternate ±10 (no trend), rows 16–23 rise
/// 100/yr; a per-pixel offset and ±30 noise from a fixed seed; pixel (10, 5) misses 2003.
pub(crate) fn ndvi_value(row: usize, col: usize, year: usize) -> f64 {
    let mut rng = ChaCha8Rng::seed_from_u64((row * 1000 + col) as u64);
    let offset: f64 = rng.gen_range(-200.0..200.0);
    let noise: Vec<f64> = (0..YEARS).map(|_| rng.gen_range(-30.0..30.0)).collect();
    if row == 10 && col == 5 && year == 3 {
        return -32768.0;
    }
    let y = year as f64;
    (match row / 8 {
        0 => 4000.0 + offset - 100.0 * y + noise[year],
        1 => 4000.0 + offset + 10.0 * (year % 2) as f64,
        _ => 4000.0 + offset + 100.0 * y + noise[year],
    })
    .round()
}

pub(crate) fn lc_value(band: usize, col: usize) -> f64 {
    match col {
        0 => [2.0, 5.0][band],
        29 => 7.0,
        _ => 2.0,
    }
}

pub(crate) fn soc_value(band: usize, col: usize) -> f64 {
    if col == 1 && band == 1 { 89.0 } else { 100.0 }
}

pub(crate) fn region_value(row: usize, col: usize) -> f64 {
    if row == 23 && col == 28 {
        0.0
    } else if col < 15 {
        1.0
    } else {
        2.0
    }
}

/// Writes `bands` bands of `f(band, row, col)`.
pub(crate) fn write<F: Fn(usize, usize, usize) -> f64>(
    path: &Path,
    spec: &GridSpec,
    bands: usize,
    sample: SampleType,
    layout: Layout,
    compression: Compression,
    f: F,
) {
    let w = spec.width;
    write_raster(path, spec, bands, sample, layout, compression, |band, start, n| {
        (start..start + n)
            .flat_map(|r| (0..w).map(move |c| (r, c)))
            .map(|(r, c)| f(band, r, c))
            .collect()
    })
    .unwrap();
}

/// The planted scene's inputs.
pub(crate) struct Scene {
    pub(crate) ndvi: PathBuf,
    pub(crate) lc: PathBuf,
    pub(crate) soc: PathBuf,
    pub(crate) zones: PathBuf,
}

pub(crate) fn scene(dir: &Path) -> Scene {
    let s = spec(W, H);
    let scene = Scene {
        ndvi: dir.join("ndvi.tif"),
        lc: dir.join("lc.tif"),
        soc: dir.join("soc.tif"),
        zones: dir.join("zones.tif"),
    };
    write(
        &scene.ndvi,
        &s,
        YEARS,
        SampleType::I16,
        Layout::Tiled(16),
        Compression::Deflate,
        |b, r, c| ndvi_value(r, c, b),
    );
    write(&scene.lc, &s, 2, SampleType::U8, Layout::Stripped(5), Compression::None, |b, _, c| {
        lc_value(b, c)
    });
    write(&scene.soc, &s, 2, SampleType::F32, Layout::Tiled(16), Compression::Lzw, |b, _, c| {
        soc_value(b, c)
    });
    write(
        &scene.zones,
        &s,
        2,
        SampleType::I16,
        Layout::Stripped(7),
        Compression::Deflate,
        |b, r, c| {
            if b == 0 { 1.0 } else { region_value(r, c) }
        },
    );
    scene
}

pub(crate) fn run_scene(scene: &Scene, out: &Path, extra: &[&str]) -> anyhow::Result<ExitCode> {
    let mut args = vec![
        "sdg15",
        "--ndvi",
        scene.ndvi.to_str().unwrap(),
        "--ndvi-years",
        "2000-2015",
        "--land-cover",
        scene.lc.to_str().unwrap(),
        "--soc",
        scene.soc.to_str().unwrap(),
        "--zones",
        scene.zones.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ];
    args.extend_from_slice(extra);
    land(&args)
}

pub(crate) fn read_layer(path: &Path) -> Vec<f64> {
    let mut reader = GeoTiffReader::open(path).unwrap();
    let band = reader.read_band(0).unwrap();
    // Outputs declare −32768 as nodata, which the reader turns into NaN; give the code back.
    band.into_iter().map(|v| if v.is_nan() { -32768.0 } else { v }).collect()
}

pub(crate) fn csv_rows(path: &Path) -> (Vec<String>, Vec<Vec<String>>) {
    let mut reader = csv::Reader::from_path(path).unwrap();
    let header = reader.headers().unwrap().iter().map(str::to_owned).collect();
    let rows = reader.records().map(|r| r.unwrap().iter().map(str::to_owned).collect()).collect();
    (header, rows)
}
