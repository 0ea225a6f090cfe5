//! The certificate's QR code as an SVG image, drawn from its compact QR text
//! ([`caravan_docsign::qr`]) with the `qrcode` crate.
//!
//! Error correction: the highest of Q (about 25 % of codewords recoverable), M (15 %) and L (7 %)
//! at which the text fits a QR code at all (ISO/IEC 18004:2015 §7.5.1, Table 7). A paper
//! certificate gets creased and stamped, so more correction is worth a denser symbol, but a
//! complete certificate with its signatures and inclusion proof is 2,000 to 3,500 characters:
//! version 40 holds 2,420 alphanumeric characters at Q, 3,391 at M and 4,296 at L, so certificates
//! from small logs print at Q and those deep in large logs at M (README, "The QR code"). The text is encoded in the fewest bits the standard allows
//! (alphanumeric mode, with numeric segments for long runs of digits), and the image keeps the
//! four-module quiet zone of §6.3.8.

use caravan_docsign::qr::MAX_QR_ALPHANUMERIC;
use qrcode::render::svg;
use qrcode::{EcLevel, QrCode, Version};

use caravan_web::error::ApiError;

/// Pixels (SVG user units) per module.
pub const MODULE_SIZE: usize = 4;
/// Modules of quiet zone around the symbol (ISO/IEC 18004:2015 §6.3.8).
pub const QUIET_ZONE: usize = 4;

/// A rendered QR code.
#[derive(Debug, Clone)]
pub struct QrImage {
    /// The SVG document (no XML declaration, so it can also be inlined in HTML).
    pub svg: String,
    /// The symbol version, 1 to 40.
    pub version: i16,
    /// The error correction level: `L`, `M`, `Q` or `H`.
    pub ec_level: char,
    /// Modules per side (`17 + 4 × version`).
    pub modules: usize,
}

fn level_letter(level: EcLevel) -> char {
    match level {
        EcLevel::L => 'L',
        EcLevel::M => 'M',
        EcLevel::Q => 'Q',
        EcLevel::H => 'H',
    }
}

/// The QR code of `text` at the highest error correction level that fits.
///
/// # Errors
/// 422 `certs.qr_too_large` when the text does not fit version 40 even at level L.
pub fn render(text: &str) -> Result<QrImage, ApiError> {
    let code = [EcLevel::Q, EcLevel::M, EcLevel::L]
        .into_iter()
        .find_map(|level| QrCode::with_error_correction_level(text, level).ok())
        .ok_or_else(|| {
            ApiError::unprocessable(
                "certs.qr_too_large",
                format!(
                    "the certificate's QR text has {} characters, more than a QR code holds ({MAX_QR_ALPHANUMERIC}); hand over the JSON file instead",
                    text.len()
                ),
            )
        })?;
    let version = match code.version() {
        Version::Normal(n) | Version::Micro(n) => n,
    };
    let rendered = code
        .render::<svg::Color<'_>>()
        .quiet_zone(true)
        .module_dimensions(MODULE_SIZE as u32, MODULE_SIZE as u32)
        .dark_color(svg::Color("#000000"))
        .light_color(svg::Color("#ffffff"))
        .build();
    // Drop the XML declaration: the image is served alone and also inlined in pages.
    let svg = rendered.find("<svg").map_or(rendered.as_str(), |at| &rendered[at..]).to_owned();
    Ok(QrImage {
        svg,
        version,
        ec_level: level_letter(code.error_correction_level()),
        modules: code.width(),
    })
}
