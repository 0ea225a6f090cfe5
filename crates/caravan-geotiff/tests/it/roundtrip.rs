//! Written rasters read back identically in every layout, compression and sample type.

use caravan_geotiff::{
    CogWriter, Compression, GeoTiffReader, GeoTransform, GridSpec, Layout, SampleType, write_raster,
};
use proptest::prelude::*;

fn spec(w: usize, h: usize, nodata: Option<f64>) -> GridSpec {
    GridSpec {
        width: w,
        height: h,
        transform: GeoTransform {
            origin_x: 60.25,
            origin_y: 45.5,
            pixel_width: 0.125,
            pixel_height: 0.25,
        },
        epsg: 4326,
        nodata,
    }
}

fn value(band: usize, r: usize, c: usize) -> f64 {
    ((band * 31 + r * 7 + c * 3) % 200) as f64
}

#[track_caller]
fn check(
    w: usize,
    h: usize,
    bands: usize,
    sample: SampleType,
    layout: Layout,
    compression: Compression,
) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("r.tif");
    let s = spec(w, h, Some(199.0));
    write_raster(&path, &s, bands, sample, layout, compression, |b, start, n| {
        (start..start + n).flat_map(|r| (0..w).map(move |c| value(b, r, c))).collect()
    })
    .unwrap();
    let mut reader = GeoTiffReader::open(&path).unwrap();
    let info = reader.info().clone();
    assert_eq!((info.width, info.height, info.bands, info.sample_type), (w, h, bands, sample));
    assert_eq!(info.transform, Some(s.transform));
    assert_eq!(info.tiled, matches!(layout, Layout::Tiled(_)));
    for b in 0..bands {
        let got = reader.read_band(b).unwrap();
        for r in 0..h {
            for c in 0..w {
                let want = value(b, r, c);
                let g = got[r * w + c];
                if want == 199.0 {
                    assert!(g.is_nan(), "nodata at band {b} ({r}, {c})");
                } else {
                    assert_eq!(
                        g, want,
                        "band {b} ({r}, {c}) {layout:?} {compression:?} {sample:?}"
                    );
                }
            }
        }
    }
}

#[test]
fn layouts_compressions_and_types() {
    for compression in [Compression::None, Compression::Deflate, Compression::Lzw] {
        for layout in [Layout::Tiled(16), Layout::Stripped(1), Layout::Stripped(5)] {
            for sample in [
                SampleType::I16,
                SampleType::U8,
                SampleType::F32,
                SampleType::I32,
                SampleType::U16,
                SampleType::F64,
            ] {
                check(37, 21, 3, sample, layout, compression);
            }
        }
    }
}

#[test]
fn cog_round_trip_with_overviews() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("c.tif");
    let (w, h) = (700, 530);
    let s = spec(w, h, Some(-32768.0));
    let mut cog = CogWriter::new(s).unwrap();
    let data: Vec<i16> = (0..w * h).map(|i| ((i * 13) % 3) as i16 - 1).collect();
    for rows in data.chunks(w * 100) {
        cog.push_rows(rows).unwrap();
    }
    cog.finish(&path).unwrap();
    let mut reader = GeoTiffReader::open(&path).unwrap();
    let got = reader.read_band(0).unwrap();
    assert!(got.iter().zip(&data).all(|(g, &d)| *g == f64::from(d)));
    assert_eq!(reader.info().chunk, (256, 256));
    let mut short = CogWriter::new(s).unwrap();
    short.push_rows(&data[..w]).unwrap();
    assert!(short.finish(&dir.path().join("short.tif")).is_err(), "missing rows are an error");
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]
    #[test]
    fn any_size_round_trips(w in 1usize..70, h in 1usize..50, tile in prop::sample::select(vec![16usize, 32]), rows in 1usize..9) {
        check(w, h, 2, SampleType::I16, Layout::Tiled(tile), Compression::Deflate);
        check(w, h, 1, SampleType::U8, Layout::Stripped(rows), Compression::Lzw);
    }
}
