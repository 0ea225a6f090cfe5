//! The planted scene's answers: classes per pixel, areas per region, transitions, files.

use approx_free::close;
use caravan_landtrend::area::row_areas_km2;

use crate::common::{H, W, csv_rows, read_layer, run_scene, scene};

mod approx_free {
    #[track_caller]
    pub(crate) fn close(got: f64, want: f64, what: &str) {
        // Areas are printed with 6 decimals.
        assert!((got - want).abs() <= 2e-6 * want.abs().max(1.0), "{what}: got {got}, want {want}");
    }
}

/// The class the planted scene should have at (row, col) in the SDG layer.
fn planted_sdg(row: usize, col: usize) -> f64 {
    if row == 23 && col == 28 {
        return -32767.0;
    }
    if col == 29 || (row == 10 && col == 5) {
        return -32768.0; // water; a missing NDVI year
    }
    if row < 8 || col == 0 || col == 1 {
        return -1.0;
    }
    if row >= 16 { 1.0 } else { 0.0 }
}

#[test]
fn planted_scene_classes_and_areas() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let s = scene(dir.path());
    run_scene(&s, &out, &[]).unwrap();
    let sdg = read_layer(&out.join("sdg_15_3_1.tif"));
    let traj = read_layer(&out.join("trajectory.tif"));
    let lc = read_layer(&out.join("land_cover_degradation.tif"));
    let soc = read_layer(&out.join("soc_degradation.tif"));
    for r in 0..H {
        for c in 0..W {
            assert_eq!(sdg[r * W + c], planted_sdg(r, c), "sdg at row {r} col {c}");
        }
    }
    assert_eq!(traj[2 * W + 3], -1.0);
    assert_eq!(traj[12 * W + 3], 0.0);
    assert_eq!(traj[20 * W + 3], 1.0);
    assert_eq!(lc[5 * W], -1.0);
    assert_eq!(soc[5 * W + 1], -1.0);
    assert_eq!(soc[5 * W + 2], 0.0);

    // Areas: WGS84 cell areas per row, summed over the planted classes.
    let areas = row_areas_km2(41.5, 0.01, 0.01, H);
    let (header, rows) = csv_rows(&out.join("area_by_region.csv"));
    assert_eq!(header[..5], ["region", "n_pixels", "area_km2", "water_km2", "land_km2"]);
    assert_eq!(header.len(), 29);
    assert_eq!(header[24], "soc_deg_pct_degraded");
    assert_eq!(header[25], "sdg_pct_degraded_of_classified");
    assert_eq!(header[28], "soc_deg_pct_degraded_of_classified");
    assert_eq!(rows.len(), 3, "two regions and the total");
    for row in &rows[..2] {
        let region: usize = row[0].parse().unwrap();
        let cols: Vec<usize> = if region == 1 { (0..15).collect() } else { (15..30).collect() };
        let (mut n, mut area, mut water, mut degraded) = (0usize, 0.0, 0.0, 0.0);
        for r in 0..H {
            for &c in &cols {
                let class = planted_sdg(r, c);
                if class == -32767.0 {
                    continue;
                }
                n += 1;
                area += areas[r];
                if c == 29 {
                    water += areas[r];
                }
                if class == -1.0 {
                    degraded += areas[r];
                }
            }
        }
        assert_eq!(row[1].parse::<usize>().unwrap(), n, "n_pixels of region {region}");
        close(row[2].parse().unwrap(), area, "area_km2");
        close(row[3].parse().unwrap(), water, "water_km2");
        close(row[4].parse().unwrap(), area - water, "land_km2");
        close(row[5].parse().unwrap(), degraded, "sdg_degraded_km2");
        close(row[9].parse().unwrap(), 100.0 * degraded / (area - water), "sdg_pct_degraded");
    }
    // Issue 23: the total row adds the regions up; the two denominators of the percentage.
    let total = &rows[2];
    assert_eq!(total[0], "total");
    let sum = |col: usize| rows[..2].iter().map(|r| r[col].parse::<f64>().unwrap()).sum::<f64>();
    assert_eq!(total[1].parse::<f64>().unwrap(), sum(1));
    for col in 2..9 {
        close(total[col].parse().unwrap(), sum(col), &header[col]);
    }
    let value = |col: usize| total[col].parse::<f64>().unwrap();
    let (degraded, stable, improved, land) = (value(5), value(6), value(7), value(4));
    assert!(value(8) > 0.0, "the scene has land without data");
    let pct = |x: f64| (x * 1e4).round() / 1e4;
    assert!((value(9) - pct(100.0 * degraded / land)).abs() < 1.5e-4);
    let of_classified = 100.0 * degraded / (degraded + stable + improved);
    assert!((value(25) - pct(of_classified)).abs() < 1.5e-4);
    assert!(value(25) > value(9), "no data is in one denominator only");
    let run: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("run.json")).unwrap()).unwrap();
    assert!(run["water"].as_str().unwrap().starts_with("either"));
    assert!(
        run["area_by_region"]["pct_degraded_of_classified"].as_str().unwrap().contains("stable")
    );

    // Issue 23: the baseline-water land unit (column 29) has no performance class.
    let performance = read_layer(&out.join("performance.tif"));
    for r in 0..H {
        assert_eq!(performance[r * W + 29], -32768.0, "performance at row {r}, water");
    }

    // Transitions: region 1 has the 2 → 5 column; region 2 the water column.
    let (header, rows) = csv_rows(&out.join("lc_transition_area_km2.csv"));
    assert_eq!(
        header,
        [
            "region",
            "initial_code",
            "initial_name",
            "to_1",
            "to_2",
            "to_3",
            "to_4",
            "to_5",
            "to_6",
            "to_7"
        ]
    );
    let grass_to_artificial: f64 = rows
        .iter()
        .filter(|r| r[0] == "1" && r[1] == "2")
        .map(|r| r[7].parse::<f64>().unwrap())
        .sum();
    close(grass_to_artificial, areas.iter().sum(), "grassland → artificial km²");
    let png = std::fs::read(out.join("sdg_15_3_1.png")).unwrap();
    assert_eq!(&png[1..4], b"PNG");
    for name in ["productivity.tif", "state.tif", "performance.tif"] {
        assert!(out.join(name).exists(), "{name}");
    }
}

#[test]
fn one_file_per_year_gives_the_same_answer() {
    use caravan_geotiff::{Compression, Layout, SampleType};
    let dir = tempfile::tempdir().unwrap();
    let s = scene(dir.path());
    let spec = crate::common::spec(W, H);
    let mut years = Vec::new();
    for y in 0..crate::common::YEARS {
        let path = dir.path().join(format!("ndvi_{}.tif", 2000 + y));
        crate::common::write(
            &path,
            &spec,
            1,
            SampleType::I16,
            Layout::Stripped(3),
            Compression::Lzw,
            |_, r, c| crate::common::ndvi_value(r, c, y),
        );
        years.push(path);
    }
    let lc0 = dir.path().join("lc0.tif");
    let lc1 = dir.path().join("lc1.tif");
    crate::common::write(
        &lc0,
        &spec,
        1,
        SampleType::I16,
        Layout::Tiled(16),
        Compression::None,
        |_, _, c| crate::common::lc_value(0, c),
    );
    crate::common::write(
        &lc1,
        &spec,
        1,
        SampleType::I16,
        Layout::Tiled(16),
        Compression::None,
        |_, _, c| crate::common::lc_value(1, c),
    );
    let out_multi = dir.path().join("multi");
    let out_split = dir.path().join("split");
    run_scene(&s, &out_multi, &[]).unwrap();
    let mut args: Vec<String> = vec!["sdg15".into(), "--ndvi".into()];
    args.extend(years.iter().map(|p| p.display().to_string()));
    for a in ["--ndvi-years", "2000-2015", "--land-cover"] {
        args.push(a.into());
    }
    args.extend([lc0.display().to_string(), lc1.display().to_string()]);
    for (flag, path) in [("--soc", &s.soc), ("--zones", &s.zones), ("--out", &out_split)] {
        args.push(flag.into());
        args.push(path.display().to_string());
    }
    let refs: Vec<&str> = args.iter().map(String::as_str).collect();
    crate::common::land(&refs).unwrap();
    for name in ["sdg_15_3_1.tif", "trajectory.tif", "state.tif", "performance.tif"] {
        assert_eq!(read_layer(&out_multi.join(name)), read_layer(&out_split.join(name)), "{name}");
    }
    assert_eq!(
        std::fs::read_to_string(out_multi.join("area_by_region.csv")).unwrap(),
        std::fs::read_to_string(out_split.join("area_by_region.csv")).unwrap()
    );
}

#[test]
fn profiles_agree_on_the_planted_trends() {
    let dir = tempfile::tempdir().unwrap();
    let s = scene(dir.path());
    for profile in ["gpg1", "trends-earth"] {
        let out = dir.path().join(profile);
        run_scene(&s, &out, &["--profile", profile]).unwrap();
        let prod = read_layer(&out.join("productivity.tif"));
        assert_eq!(prod[3 * W + 4], -1.0, "{profile}: falling row");
        assert_eq!(prod[12 * W + 4], 0.0, "{profile}: flat row");
        assert_eq!(prod[20 * W + 4], 1.0, "{profile}: rising row");
    }
}

#[test]
fn outputs_are_cloud_optimized_int16() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    // 600 × 300 needs overviews (one 256 tile does not hold it).
    let spec = crate::common::spec(600, 300);
    let zeros = |_: usize, _: usize, _: usize| 1.0;
    let p = |n: &str| dir.path().join(n);
    use caravan_geotiff::{Compression, Layout, SampleType};
    crate::common::write(
        &p("n.tif"),
        &spec,
        5,
        SampleType::I16,
        Layout::Tiled(256),
        Compression::Deflate,
        |b, r, c| 3000.0 + ((r * 7 + c * 13 + b * 5) % 11) as f64,
    );
    crate::common::write(
        &p("l.tif"),
        &spec,
        2,
        SampleType::U8,
        Layout::Tiled(256),
        Compression::Deflate,
        |_, _, _| 2.0,
    );
    crate::common::write(
        &p("s.tif"),
        &spec,
        2,
        SampleType::I16,
        Layout::Tiled(256),
        Compression::Deflate,
        |_, _, _| 50.0,
    );
    crate::common::write(
        &p("z.tif"),
        &spec,
        2,
        SampleType::I16,
        Layout::Tiled(256),
        Compression::Deflate,
        zeros,
    );
    crate::common::land(&[
        "sdg15",
        "--ndvi",
        p("n.tif").to_str().unwrap(),
        "--ndvi-years",
        "2001-2005",
        "--land-cover",
        p("l.tif").to_str().unwrap(),
        "--soc",
        p("s.tif").to_str().unwrap(),
        "--zones",
        p("z.tif").to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ])
    .unwrap();
    let bytes = std::fs::read(out.join("sdg_15_3_1.tif")).unwrap();
    let mut dec = tiff::decoder::Decoder::new(std::io::Cursor::new(bytes.clone())).unwrap();
    assert_eq!(dec.get_chunk_type(), tiff::decoder::ChunkType::Tile);
    assert_eq!(dec.colortype().unwrap(), tiff::ColorType::Gray(16));
    let offsets = dec.get_tag_u32_vec(tiff::tags::Tag::TileOffsets).unwrap();
    let mut n_ifds = 1;
    let mut dims = vec![dec.dimensions().unwrap()];
    while dec.more_images() {
        dec.next_image().unwrap();
        n_ifds += 1;
        dims.push(dec.dimensions().unwrap());
    }
    // Halve until one 256 tile holds the image: 600×300 → 300×150 → 150×75.
    assert_eq!(dims, [(600, 300), (300, 150), (150, 75)]);
    assert_eq!(n_ifds, 3);
    // IFDs first: the first IFD offset is 8 and all tile data come after every IFD.
    assert_eq!(u32::from_le_bytes(bytes[4..8].try_into().unwrap()), 8);
    let min_tile = *offsets.iter().min().unwrap() as usize;
    assert!(min_tile > 8 + 3 * 100, "tile data at {min_tile} must follow the IFDs");
    let info =
        caravan_geotiff::GeoTiffReader::open(&out.join("sdg_15_3_1.tif")).unwrap().info().clone();
    assert_eq!(info.nodata, Some(-32768.0));
    assert_eq!(info.crs, caravan_geotiff::Crs::Geographic(4326));
    assert_eq!(info.sample_type, caravan_geotiff::SampleType::I16);
}
