//! Integration tests of the GeoTIFF reader and writers.

#![allow(
    clippy::unwrap_used,
    clippy::float_cmp,
    reason = "test helpers fail loudly; raster codes and areas compared are exact"
)]

mod fuzz;
mod read_real;
mod roundtrip;
