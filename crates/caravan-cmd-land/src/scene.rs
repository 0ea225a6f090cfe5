//! Synthetic scenes with planted trends (fixed seed) for `caravan bench land`.
//!
//! No public NDVI test rasters exist, so the scene plants what the pipeline must find: the
//! top third of rows declines by 80 NDVI×10⁴ a year, the middle third is flat, the bottom
//! third rises; land cover is grassland with a cropland → artificial column band; SOC loses
//! 15 % in the left tenth of columns.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use caravan_geotiff::{Compression, GeoTransform, GridSpec, Layout, SampleType, write_raster};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// Paths of a written scene.
pub(crate) struct Scene {
    pub(crate) ndvi: PathBuf,
    pub(crate) land_cover: PathBuf,
    pub(crate) soc: PathBuf,
    pub(crate) zones: PathBuf,
}

/// Writes a `size`×`size` scene with `years` NDVI bands into `dir`.
pub(crate) fn write_scene(dir: &Path, size: usize, years: usize, seed: u64) -> Result<Scene> {
    // Central Asia, 0.0025° (~250 m) pixels.
    let pixel = 0.0025;
    let spec = GridSpec {
        width: size,
        height: size,
        transform: GeoTransform {
            origin_x: 66.0,
            origin_y: 44.0,
            pixel_width: pixel,
            pixel_height: pixel,
        },
        epsg: 4326,
        nodata: Some(-32768.0),
    };
    let tiled = Layout::Tiled(256);
    let ndvi = dir.join("ndvi.tif");
    let third = size.div_ceil(3);
    write_raster(
        &ndvi,
        &spec,
        years,
        SampleType::I16,
        tiled,
        Compression::Deflate,
        |band, start, n| {
            let mut rng = ChaCha8Rng::seed_from_u64(seed ^ ((band as u64) << 32) ^ start as u64);
            let mut out = Vec::with_capacity(n * size);
            for r in start..start + n {
                let slope = match r / third {
                    0 => -80.0,
                    1 => 0.0,
                    _ => 80.0,
                };
                for _ in 0..size {
                    let noise: f64 = rng.gen_range(-150.0..150.0);
                    out.push((4000.0 + slope * band as f64 + noise).round());
                }
            }
            out
        },
    )
    .with_context(|| format!("writing {}", ndvi.display()))?;
    let land_cover = dir.join("land_cover.tif");
    write_raster(
        &land_cover,
        &spec,
        2,
        SampleType::I16,
        tiled,
        Compression::Deflate,
        |band, _, n| {
            let mut out = Vec::with_capacity(n * size);
            for _ in 0..n {
                for c in 0..size {
                    out.push(if c % 50 == 0 {
                        if band == 0 { 3.0 } else { 5.0 }
                    } else if c % 97 == 0 {
                        7.0
                    } else {
                        2.0
                    });
                }
            }
            out
        },
    )
    .with_context(|| format!("writing {}", land_cover.display()))?;
    let soc = dir.join("soc.tif");
    write_raster(&soc, &spec, 2, SampleType::I16, tiled, Compression::Deflate, |band, _, n| {
        let mut out = Vec::with_capacity(n * size);
        for _ in 0..n {
            for c in 0..size {
                out.push(if band == 1 && c < size / 10 { 85.0 } else { 100.0 });
            }
        }
        out
    })
    .with_context(|| format!("writing {}", soc.display()))?;
    let zones = dir.join("zones.tif");
    write_raster(
        &zones,
        &spec,
        2,
        SampleType::I16,
        tiled,
        Compression::Deflate,
        |band, start, n| {
            let mut out = Vec::with_capacity(n * size);
            for r in start..start + n {
                for c in 0..size {
                    out.push(if band == 0 {
                        1.0 + (r * 2 / size) as f64
                    } else {
                        1.0 + (c * 4 / size) as f64
                    });
                }
            }
            out
        },
    )
    .with_context(|| format!("writing {}", zones.display()))?;
    Ok(Scene { ndvi, land_cover, soc, zones })
}
