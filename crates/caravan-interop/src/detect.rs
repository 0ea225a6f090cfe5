//! Which kind of trade document a file holds: ours (VC 2.0 with the Caravan context, or its QR
//! text), OpenAttestation v2/v3/v4, UN/CEFACT SPS certificate XML, or a UNTP credential.

use serde_json::Value;

use crate::MAX_DOCUMENT_BYTES;
use crate::oa::{self, OaVersion};

/// A recognised format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// Our certificate (its JSON or the `CCC1:` QR text): `caravan_docsign::verify` reads it.
    Caravan,
    /// OpenAttestation.
    OpenAttestation(OaVersion),
    /// UN/CEFACT SPSCertificate XML.
    SpsXml,
    /// A UNTP credential (VC 2.0 with a UNTP context) that is not ours.
    Untp,
}

impl Format {
    /// Machine name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Caravan => "caravan",
            Self::OpenAttestation(version) => version.as_str(),
            Self::SpsXml => "sps-xml",
            Self::Untp => "untp",
        }
    }
}

/// Why a file is no document we read.
#[derive(Debug, thiserror::Error)]
pub enum DetectError {
    /// Too large.
    #[error("the document is {0} bytes, more than the {MAX_DOCUMENT_BYTES} bytes accepted")]
    TooLarge(usize),
    /// OpenAttestation of a version we do not read.
    #[error("unknown OpenAttestation version {0:?}: 2.0, 3.0 and 4.0 are read")]
    UnknownVersion(String),
}

/// Detects the format of `bytes`. Anything not recognised as another system's document is
/// ours, so that our verifier keeps reporting on it exactly as before (including input that is
/// not JSON at all).
///
/// # Errors
/// Oversized input, or OpenAttestation of an unknown version.
pub fn detect(bytes: &[u8]) -> Result<Format, DetectError> {
    if bytes.len() > MAX_DOCUMENT_BYTES {
        return Err(DetectError::TooLarge(bytes.len()));
    }
    let text = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let start =
        text.iter().position(|b| !b.is_ascii_whitespace()).map_or(&[][..], |at| &text[at..]);
    if start.starts_with(b"<") {
        return Ok(Format::SpsXml);
    }
    let Ok(value) = serde_json::from_slice::<Value>(start) else { return Ok(Format::Caravan) };
    if let Some(version) = oa::version_of(&value) {
        return Ok(Format::OpenAttestation(version));
    }
    if let Some(version) = oa::looks_like_unknown_version(&value) {
        return Err(DetectError::UnknownVersion(version));
    }
    let contexts: Vec<&str> = match value.get("@context") {
        Some(Value::Array(items)) => items.iter().filter_map(Value::as_str).collect(),
        Some(Value::String(s)) => vec![s.as_str()],
        _ => Vec::new(),
    };
    // A UNTP context first: our UNTP exports also carry our context for their extension.
    if contexts.iter().any(|c| crate::untp::is_untp_context(c)) {
        return Ok(Format::Untp);
    }
    Ok(Format::Caravan)
}
