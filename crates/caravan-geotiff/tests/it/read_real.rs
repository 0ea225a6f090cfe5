//! Reading a real GeoTIFF: the IPCC climate zones raster from Trends.Earth.

use std::path::PathBuf;

use caravan_geotiff::{Crs, GeoTiffReader, SampleType};

fn path() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/data/ipcc_climate_zones.tif")
}

/// Value at a lon/lat, read through a one-row window.
#[track_caller]
fn check(
    reader: &mut GeoTiffReader<std::io::BufReader<std::fs::File>>,
    place: &str,
    lon: f64,
    lat: f64,
    want: f64,
) {
    let t = reader.info().transform.unwrap();
    let col = ((lon - t.origin_x) / t.pixel_width).floor() as usize;
    let row = ((t.origin_y - lat) / t.pixel_height).floor() as usize;
    let mut out = Vec::new();
    reader.read_rows(0, row, 1, &mut out).unwrap();
    assert_eq!(out[col], want, "{place} ({lon}, {lat})");
}

#[test]
fn ipcc_climate_zones_metadata_and_spot_checks() {
    let mut reader = GeoTiffReader::open(&path()).unwrap();
    let info = reader.info().clone();
    assert_eq!((info.width, info.height, info.bands), (4320, 2160, 1));
    assert_eq!(info.sample_type, SampleType::U8);
    assert_eq!(info.crs, Crs::Geographic(4326));
    assert_eq!(info.nodata, Some(15.0));
    let t = info.transform.unwrap();
    assert!((t.pixel_width - 1.0 / 12.0).abs() < 1e-9, "5 arc-minutes: {t:?}");
    assert!((t.origin_x + 180.0).abs() < 1e-6 && (t.origin_y - 90.0).abs() < 1e-6, "{t:?}");
    // Spot checks from shared/data/land/PROVENANCE.md.
    check(&mut reader, "Astana", 71.45, 51.17, 4.0);
    check(&mut reader, "Tashkent", 69.24, 41.31, 2.0);
    check(&mut reader, "Murghab", 73.97, 38.17, 8.0);
    check(&mut reader, "Nairobi", 36.82, -1.29, 9.0);
    check(&mut reader, "Khartoum", 32.53, 15.59, 12.0);
    // Block reading keeps one row of chunks, not the image.
    assert!(reader.peak_cache_bytes() < 4320 * 2160 * 8 / 4);
}

#[test]
fn windows_agree_with_the_whole_band() {
    let mut reader = GeoTiffReader::open(&path()).unwrap();
    let whole = reader.read_band(0).unwrap();
    let mut window = Vec::new();
    reader.read_rows(0, 700, 37, &mut window).unwrap();
    let w = 4320;
    assert_eq!(window.len(), 37 * w);
    for (a, b) in window.iter().zip(&whole[700 * w..737 * w]) {
        assert!(a == b || (a.is_nan() && b.is_nan()));
    }
    assert!(reader.read_rows(0, 2150, 11, &mut window).is_err());
    assert!(reader.read_rows(1, 0, 1, &mut window).is_err());
}
