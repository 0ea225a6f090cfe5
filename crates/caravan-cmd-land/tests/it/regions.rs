//! Regions from GeoJSON polygons, rasterised with the pixel-centre rule.

use crate::common::{H, W, csv_rows, run_scene, scene};

/// Even–odd point-in-polygon, the reference for the pixel-centre rule.
fn inside(rings: &[Vec<(f64, f64)>], x: f64, y: f64) -> bool {
    let mut odd = false;
    for ring in rings {
        for i in 0..ring.len() {
            let (x1, y1) = ring[i];
            let (x2, y2) = ring[(i + 1) % ring.len()];
            if (y1 > y) != (y2 > y) && x < x1 + (y - y1) * (x2 - x1) / (y2 - y1) {
                odd = !odd;
            }
        }
    }
    odd
}

#[test]
fn polygons_with_a_hole_count_pixel_centres() {
    let dir = tempfile::tempdir().unwrap();
    let s = scene(dir.path());
    // Grid: lon 69.00–69.30, lat 41.26–41.50. A slanted quadrilateral with a square hole,
    // and a triangle.
    let quad = vec![
        vec![(69.013, 41.49), (69.17, 41.47), (69.16, 41.30), (69.02, 41.28)],
        vec![(69.05, 41.43), (69.09, 41.43), (69.09, 41.39), (69.05, 41.39)],
    ];
    let tri = vec![vec![(69.20, 41.48), (69.29, 41.30), (69.20, 41.30)]];
    let ring_json = |rings: &Vec<Vec<(f64, f64)>>| {
        serde_json::Value::Array(
            rings
                .iter()
                .map(|r| {
                    let mut pts: Vec<serde_json::Value> =
                        r.iter().map(|(x, y)| serde_json::json!([x, y])).collect();
                    pts.push(pts[0].clone());
                    serde_json::Value::Array(pts)
                })
                .collect(),
        )
    };
    let geojson = serde_json::json!({
        "type": "FeatureCollection",
        "features": [
            {"type": "Feature", "properties": {"region": 7}, "geometry": {"type": "Polygon", "coordinates": ring_json(&quad)}},
            {"type": "Feature", "properties": {"name": "east"}, "geometry": {"type": "MultiPolygon", "coordinates": [ring_json(&tri)]}},
        ]
    });
    let path = dir.path().join("regions.geojson");
    std::fs::write(&path, geojson.to_string()).unwrap();
    let out = dir.path().join("out");
    run_scene(&s, &out, &["--regions", path.to_str().unwrap()]).unwrap();
    let (_, rows) = csv_rows(&out.join("area_by_region.csv"));
    let count = |rings: &[Vec<(f64, f64)>]| {
        (0..H)
            .flat_map(|r| (0..W).map(move |c| (r, c)))
            .filter(|&(r, c)| {
                inside(rings, 69.0 + (c as f64 + 0.5) * 0.01, 41.5 - (r as f64 + 0.5) * 0.01)
            })
            .count()
    };
    let ids: Vec<&str> = rows.iter().map(|r| r[0].as_str()).collect();
    assert_eq!(ids, ["2", "7", "total"], "feature without an id property is numbered by position");
    assert_eq!(rows[1][1].parse::<usize>().unwrap(), count(&quad));
    assert_eq!(rows[0][1].parse::<usize>().unwrap(), count(&tri));
    assert!(count(&quad) > 100 && count(&tri) > 50);
}
