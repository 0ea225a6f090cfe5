//! Exact cell areas on the WGS84 ellipsoid (not a sphere, which is off by about 0.2 %).
//!
//! The area of the zone between latitudes φ₁ < φ₂ spanning Δλ radians of longitude is
//! A = (b²·Δλ/2)·[q(φ₂) − q(φ₁)], q(φ) = sin φ/(1 − e² sin² φ) + (1/2e)·ln((1 + e sin φ)/(1 − e sin φ))
//! (authalic-latitude form; Snyder 1987, *Map Projections — A Working Manual*, eq. 3-12).

/// WGS84 semi-major axis a in metres (NIMA TR8350.2, Table 3.1).
pub const WGS84_A: f64 = 6_378_137.0;
/// WGS84 inverse flattening 1/f (NIMA TR8350.2, Table 3.1).
pub const WGS84_INV_F: f64 = 298.257_223_563;

fn q(phi: f64, e: f64) -> f64 {
    let s = phi.sin();
    let es = e * s;
    s / (1.0 - es * es) + (1.0 / (2.0 * e)) * ((1.0 + es) / (1.0 - es)).ln()
}

/// Area in km² of a lat/lon cell between latitudes `lat1_deg` and `lat2_deg` (any order,
/// clamped to ±90°) spanning `dlon_deg` degrees of longitude, on the WGS84 ellipsoid.
pub fn cell_area_km2(lat1_deg: f64, lat2_deg: f64, dlon_deg: f64) -> f64 {
    let f = 1.0 / WGS84_INV_F;
    let b = WGS84_A * (1.0 - f);
    let e = (f * (2.0 - f)).sqrt();
    let (lo, hi) = if lat1_deg <= lat2_deg { (lat1_deg, lat2_deg) } else { (lat2_deg, lat1_deg) };
    let (lo, hi) = (lo.clamp(-90.0, 90.0).to_radians(), hi.clamp(-90.0, 90.0).to_radians());
    let dlon = dlon_deg.abs().to_radians();
    b * b * dlon / 2.0 * (q(hi, e) - q(lo, e)) / 1.0e6
}

/// Cell area in km² for each row of a north-up grid whose top edge is at `top_lat_deg`, with
/// pixel height `pixel_height_deg` (> 0, rows go south) and width `pixel_width_deg`.
pub fn row_areas_km2(
    top_lat_deg: f64,
    pixel_height_deg: f64,
    pixel_width_deg: f64,
    n_rows: usize,
) -> Vec<f64> {
    (0..n_rows)
        .map(|row| {
            let north = top_lat_deg - row as f64 * pixel_height_deg;
            cell_area_km2(north - pixel_height_deg, north, pixel_width_deg)
        })
        .collect()
}
