//! Bad inputs: each a clear error naming the file and the problem, never a panic.

use std::io::Cursor;
use std::path::Path;

use caravan_geotiff::{Compression, Layout, SampleType};

use crate::common::{H, W, run_scene, scene, spec, write};

#[track_caller]
fn check(err: anyhow::Error, needles: &[&str]) {
    let text = format!("{err:#}");
    for needle in needles {
        assert!(text.contains(needle), "error {text:?} should mention {needle:?}");
    }
}

#[test]
fn mismatched_grid_size() {
    let dir = tempfile::tempdir().unwrap();
    let mut s = scene(dir.path());
    s.zones = dir.path().join("small_zones.tif");
    write(
        &s.zones,
        &spec(W - 1, H),
        2,
        SampleType::I16,
        Layout::Stripped(4),
        Compression::None,
        |_, _, _| 1.0,
    );
    let err = run_scene(&s, &dir.path().join("out"), &[]).unwrap_err();
    check(err, &["small_zones.tif", "29×24", "one grid"]);
    assert!(
        !dir.path().join("out").join("area_by_region.csv").exists(),
        "nothing written on error"
    );
}

#[test]
fn mismatched_transform() {
    let dir = tempfile::tempdir().unwrap();
    let mut s = scene(dir.path());
    s.soc = dir.path().join("shifted_soc.tif");
    let mut shifted = spec(W, H);
    shifted.transform.origin_x += 0.005;
    write(
        &s.soc,
        &shifted,
        2,
        SampleType::I16,
        Layout::Stripped(4),
        Compression::None,
        |_, _, _| 1.0,
    );
    check(
        run_scene(&s, &dir.path().join("out"), &[]).unwrap_err(),
        &["shifted_soc.tif", "transform"],
    );
}

#[test]
fn wrong_band_count() {
    let dir = tempfile::tempdir().unwrap();
    let mut s = scene(dir.path());
    s.lc = dir.path().join("one_band_lc.tif");
    write(
        &s.lc,
        &spec(W, H),
        1,
        SampleType::U8,
        Layout::Stripped(4),
        Compression::None,
        |_, _, _| 2.0,
    );
    check(
        run_scene(&s, &dir.path().join("out"), &[]).unwrap_err(),
        &["one_band_lc.tif", "1 band(s)", "expected 2"],
    );
}

#[test]
fn years_not_matching_bands() {
    let dir = tempfile::tempdir().unwrap();
    let s = scene(dir.path());
    let out = dir.path().join("out");
    let err = crate::common::land(&[
        "sdg15",
        "--ndvi",
        s.ndvi.to_str().unwrap(),
        "--ndvi-years",
        "2000-2014",
        "--land-cover",
        s.lc.to_str().unwrap(),
        "--soc",
        s.soc.to_str().unwrap(),
        "--zones",
        s.zones.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ])
    .unwrap_err();
    check(err, &["ndvi.tif", "16 band(s)", "expected 15", "2000-2014"]);
    let err = run_scene(&s, &out, &["--baseline", "1990-2010"]).unwrap_err();
    check(err, &["baseline", "1990-2010"]);
}

/// A one-band int16 TIFF written with the `tiff` crate, with GeoKeys of our choosing.
fn write_with_tiff_crate(path: &Path, geokeys: &[u16], compression: tiff::encoder::Compression) {
    let mut buf = Cursor::new(Vec::new());
    {
        let mut enc =
            tiff::encoder::TiffEncoder::new(&mut buf).unwrap().with_compression(compression);
        let mut img =
            enc.new_image::<tiff::encoder::colortype::GrayI16>(W as u32, H as u32).unwrap();
        img.encoder()
            .write_tag(tiff::tags::Tag::ModelPixelScaleTag, &[0.01f64, 0.01, 0.0][..])
            .unwrap();
        img.encoder()
            .write_tag(tiff::tags::Tag::ModelTiepointTag, &[0.0f64, 0.0, 0.0, 69.0, 41.5, 0.0][..])
            .unwrap();
        img.encoder().write_tag(tiff::tags::Tag::GeoKeyDirectoryTag, geokeys).unwrap();
        img.write_data(&vec![1i16; W * H]).unwrap();
    }
    std::fs::write(path, buf.into_inner()).unwrap();
}

#[test]
fn non_geographic_crs() {
    let dir = tempfile::tempdir().unwrap();
    let mut s = scene(dir.path());
    s.zones = dir.path().join("utm_zones.tif");
    // Projected (model type 1), UTM 42N (EPSG:32642).
    write_with_tiff_crate(
        &s.zones,
        &[1, 1, 0, 2, 1024, 0, 1, 1, 3072, 0, 1, 32642],
        tiff::encoder::Compression::Uncompressed,
    );
    check(
        run_scene(&s, &dir.path().join("out"), &[]).unwrap_err(),
        &["utm_zones.tif", "projected EPSG:32642", "EPSG:4326"],
    );
}

#[test]
fn unsupported_compression() {
    let dir = tempfile::tempdir().unwrap();
    let mut s = scene(dir.path());
    s.soc = dir.path().join("packbits_soc.tif");
    write_with_tiff_crate(
        &s.soc,
        &[1, 1, 0, 2, 1024, 0, 1, 2, 2048, 0, 1, 4326],
        tiff::encoder::Compression::Packbits,
    );
    check(
        run_scene(&s, &dir.path().join("out"), &[]).unwrap_err(),
        &["packbits_soc.tif", "unsupported compression 32773"],
    );
}

#[test]
fn not_a_tiff_and_bad_matrix() {
    let dir = tempfile::tempdir().unwrap();
    let mut s = scene(dir.path());
    let matrix = dir.path().join("matrix.csv");
    std::fs::write(
        &matrix,
        "initial_code,initial_name,to_1,to_2,to_3,to_4,to_5,to_6,to_7\n1,Tree,0,2,0,0,0,0,0\n",
    )
    .unwrap();
    let err =
        run_scene(&s, &dir.path().join("out"), &["--transition-matrix", matrix.to_str().unwrap()])
            .unwrap_err();
    check(err, &["matrix.csv", "row 2", "to_2"]);
    s.ndvi = dir.path().join("notes.tif");
    std::fs::write(&s.ndvi, b"this is not a tiff").unwrap();
    check(run_scene(&s, &dir.path().join("out"), &[]).unwrap_err(), &["notes.tif", "cannot read"]);
}
