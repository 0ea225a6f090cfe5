//! Unit tests of argument parsing, rasterisation and the map canvas.

use caravan_geotiff::GeoTransform;

use crate::map::MapCanvas;
use crate::parse_period;
use crate::regions::rasterise_rows;

#[test]
fn periods_parse_and_explain_mistakes() {
    assert_eq!(parse_period("--ndvi-years", "2000-2015").unwrap(), (2000, 2015));
    let err = parse_period("--baseline", "2000").unwrap_err();
    assert!(format!("{err:#}").contains("START-END"), "{err:#}");
    let err = parse_period("--recent", "2015-2013").unwrap_err();
    assert!(format!("{err:#}").contains("ends before it starts"), "{err:#}");
    assert!(parse_period("--recent", "20x0-2013").is_err());
}

#[test]
fn pixel_centre_rule_on_a_square() {
    // Unit pixels from (0, 10); a square from x 1.5 to 4.5, y 8.5 to 5.5 holds the centres
    // of columns 1..=3 (x 1.5 is a centre: on the left edge counts in) and rows 2..=4.
    let t = GeoTransform { origin_x: 0.0, origin_y: 10.0, pixel_width: 1.0, pixel_height: 1.0 };
    let text = r#"{"type":"Feature","properties":{"region":3},"geometry":{"type":"Polygon","coordinates":[[[1.5,8.5],[4.5,8.5],[4.5,5.5],[1.5,5.5],[1.5,8.5]]]}}"#;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("r.geojson");
    std::fs::write(&path, text).unwrap();
    let regions = crate::regions::read_regions(&path).unwrap();
    let ids = rasterise_rows(&regions, &t, 6, 0, 8);
    let inside: Vec<(usize, usize)> = (0..8)
        .flat_map(|r| (0..6).map(move |c| (r, c)))
        .filter(|&(r, c)| ids[r * 6 + c] == 3)
        .collect();
    let want: Vec<(usize, usize)> = (2..5).flat_map(|r| (1..4).map(move |c| (r, c))).collect();
    assert_eq!(inside, want);
}

#[test]
fn map_canvas_keeps_every_step_th_pixel() {
    let mut canvas = MapCanvas::new(10, 4, 5);
    let rows: Vec<i16> = (0..40).map(|i| (i % 3) as i16 - 1).collect();
    canvas.add_rows(0, 10, &rows);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("m.png");
    canvas.write_png(&path).unwrap();
    let decoder = png::Decoder::new(std::io::BufReader::new(std::fs::File::open(&path).unwrap()));
    let reader = decoder.read_info().unwrap();
    // 10×4 at step 2 → 5×2, padded to the legend's 140 px width; legend 82 px below.
    assert_eq!((reader.info().width, reader.info().height), (140, 2 + 12 + 14 * 5));
}
