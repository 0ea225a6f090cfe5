//! Region polygons from GeoJSON, rasterised row by row with the pixel-centre rule: a pixel
//! belongs to a polygon when its centre lies inside (even–odd rule, so holes are honoured).

use std::path::Path;

use anyhow::{Context, Result, bail};
use caravan_geotiff::GeoTransform;
use serde_json::Value;

/// One region: its id and its rings (lon/lat vertex lists; outer and holes alike).
#[derive(Debug, Clone)]
pub(crate) struct Region {
    pub(crate) id: i64,
    rings: Vec<Vec<(f64, f64)>>,
}

/// Reads a GeoJSON FeatureCollection (or a single Feature) of Polygon/MultiPolygon features.
/// A feature's id is its integer property `region`, else `id`, else the top-level `id`, else
/// its 1-based position.
pub(crate) fn read_regions(path: &Path) -> Result<Vec<Region>> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("reading regions {}", path.display()))?;
    let doc: Value = serde_json::from_str(&text).with_context(|| {
        format!("{}: not valid JSON; pass a GeoJSON FeatureCollection", path.display())
    })?;
    let features = match doc.get("type").and_then(Value::as_str) {
        Some("FeatureCollection") => {
            doc.get("features").and_then(Value::as_array).cloned().unwrap_or_default()
        }
        Some("Feature") => vec![doc.clone()],
        other => bail!(
            "{}: GeoJSON type {other:?} is not a FeatureCollection or Feature",
            path.display()
        ),
    };
    let mut regions = Vec::new();
    for (idx, feature) in features.iter().enumerate() {
        let props = feature.get("properties");
        let id = props
            .and_then(|p| p.get("region").or_else(|| p.get("id")))
            .and_then(Value::as_i64)
            .or_else(|| feature.get("id").and_then(Value::as_i64))
            .unwrap_or(i64::try_from(idx).unwrap_or(i64::MAX - 1) + 1);
        if id == 0 {
            bail!(
                "{}: feature {idx} has region id 0, which means outside; use ids from 1",
                path.display()
            );
        }
        let geometry = feature
            .get("geometry")
            .with_context(|| format!("{}: feature {idx} has no geometry", path.display()))?;
        let coords = geometry.get("coordinates");
        let polygons: Vec<&Value> = match geometry.get("type").and_then(Value::as_str) {
            Some("Polygon") => coords.into_iter().collect(),
            Some("MultiPolygon") => {
                coords.and_then(Value::as_array).map(|a| a.iter().collect()).unwrap_or_default()
            }
            other => bail!(
                "{}: feature {idx} has geometry {other:?}; only Polygon and MultiPolygon are supported",
                path.display()
            ),
        };
        let mut rings = Vec::new();
        for polygon in polygons {
            for ring in polygon.as_array().into_iter().flatten() {
                let mut pts = Vec::new();
                for p in ring.as_array().into_iter().flatten() {
                    match (p.get(0).and_then(Value::as_f64), p.get(1).and_then(Value::as_f64)) {
                        (Some(x), Some(y)) => pts.push((x, y)),
                        _ => bail!(
                            "{}: feature {idx} has a vertex that is not [lon, lat]",
                            path.display()
                        ),
                    }
                }
                rings.push(pts);
            }
        }
        regions.push(Region { id, rings });
    }
    Ok(regions)
}

/// Region ids of `n_rows` rows from `start` (0 = in no polygon); the first feature wins overlaps.
pub(crate) fn rasterise_rows(
    regions: &[Region],
    t: &GeoTransform,
    width: usize,
    start: usize,
    n_rows: usize,
) -> Vec<i64> {
    let mut out = vec![0i64; width * n_rows];
    let mut xs = Vec::new();
    for r in 0..n_rows {
        let y = t.origin_y - ((start + r) as f64 + 0.5) * t.pixel_height;
        let row = &mut out[r * width..(r + 1) * width];
        for region in regions {
            xs.clear();
            for ring in &region.rings {
                for (i, &(x1, y1)) in ring.iter().enumerate() {
                    let (x2, y2) = ring[(i + 1) % ring.len()];
                    if (y1 > y) != (y2 > y) {
                        xs.push(x1 + (y - y1) * (x2 - x1) / (y2 - y1));
                    }
                }
            }
            xs.sort_by(f64::total_cmp);
            for pair in xs.chunks_exact(2) {
                // Columns whose centre x_c = ox + (c + ½)·w satisfies x_a ≤ x_c < x_b.
                let first = ((pair[0] - t.origin_x) / t.pixel_width - 0.5).ceil().max(0.0);
                let end = ((pair[1] - t.origin_x) / t.pixel_width - 0.5).ceil().min(width as f64);
                #[expect(
                    clippy::cast_possible_truncation,
                    clippy::cast_sign_loss,
                    reason = "clamped to 0..=width"
                )]
                let (first, end) = (first as usize, end.max(0.0) as usize);
                for cell in row.iter_mut().take(end).skip(first) {
                    if *cell == 0 {
                        *cell = region.id;
                    }
                }
            }
        }
    }
    out
}
