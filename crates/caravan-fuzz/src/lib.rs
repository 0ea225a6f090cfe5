//! The bodies of the fuzz targets under `fuzz/` (issue 22), one function per parser, so the
//! `cargo fuzz` targets and the stable regression test (`tests/corpus.rs`, which replays every
//! file of `fuzz/corpus/<target>/` and `fuzz/regressions/<target>/`) run the same code.
//!
//! Each target feeds arbitrary bytes to a parser that reads untrusted input and checks more than
//! "no panic" where a cheap property exists: the strict certificate parser and `serde_json` agree,
//! canonicalization is idempotent, a QR text's Base45 re-encodes to itself, the borrowed JSON
//! tree and `serde_json` agree on validity and value, a CSV reads the same as its Parquet copy,
//! and the CSRF guard's first-part reader never changes its answer when more bytes arrive.
//! Architecture invariant: parsing never panics on input, so any panic here is a bug in the
//! parser, never in the input.

mod certificates;
mod customs;
mod interop;
#[cfg(feature = "server")]
mod multipart;
mod tabular;

pub use certificates::{cert_json, qr_decode, sample_certificates};
pub use customs::declaration_json;
pub use interop::interop_documents;
#[cfg(feature = "server")]
pub use multipart::multipart;
pub use tabular::{tabular_csv, tabular_parquet};

use serde_json::Value;

/// A fuzz target: its name (the folder of its corpus) and its body.
pub type Target = (&'static str, fn(&[u8]));

/// Every target, by the name `cargo fuzz run` knows it by.
pub const TARGETS: &[Target] = &[
    ("cert_json", cert_json),
    ("qr_decode", qr_decode),
    ("declaration_json", declaration_json),
    ("geotiff", geotiff),
    ("tabular_csv", tabular_csv),
    ("tabular_parquet", tabular_parquet),
    ("interop_documents", interop_documents),
    #[cfg(feature = "server")]
    ("multipart", multipart),
];

/// Whether two values are equal but for numbers one ulp apart: `serde_json` without its
/// `float_roundtrip` feature (not enabled in the workspace) rounds some decimals to a neighbour of the nearest double (RFC 8785's
/// own `333333333.33333329` reads as `333333333.33333325`, and it misreads its own output:
/// `73073018516721844000` is written `7.3073018516721844e19`, read back one ulp lower).
pub(crate) fn same_value(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => match (x.as_f64(), y.as_f64()) {
            (Some(x), Some(y)) => (x - y).abs() <= f64::EPSILON * x.abs().max(y.abs()),
            _ => false,
        },
        (Value::Array(xs), Value::Array(ys)) => {
            xs.len() == ys.len() && xs.iter().zip(ys).all(|(x, y)| same_value(x, y))
        }
        (Value::Object(xs), Value::Object(ys)) => {
            xs.len() == ys.len()
                && xs.iter().all(|(k, x)| ys.get(k).is_some_and(|y| same_value(x, y)))
        }
        _ => a == b,
    }
}

/// Most rows of a band the GeoTIFF target reads (a damaged file may claim millions).
const GEOTIFF_MAX_ROWS: usize = 64;

/// GeoTIFF / COG reading: opening, then reading the first rows of every band (at most four),
/// whose length must be `rows × width` when the read succeeds.
pub fn geotiff(data: &[u8]) {
    let Ok(mut reader) = caravan_geotiff::GeoTiffReader::from_bytes(data.to_vec()) else {
        return;
    };
    let info = reader.info().clone();
    let n_rows = info.height.min(GEOTIFF_MAX_ROWS);
    for band in 0..info.bands.min(4) {
        let mut out = Vec::new();
        if reader.read_rows(band, 0, n_rows, &mut out).is_ok() {
            assert_eq!(out.len(), n_rows * info.width, "band {band}: rows × width values");
        }
    }
    let mut out = Vec::new();
    assert!(reader.read_rows(info.bands, 0, 1, &mut out).is_err(), "a band past the last");
}
