//! The compact QR form of a complete certificate, so that the paper copy's QR code carries the
//! whole signed document and is verified offline like the JSON file.
//!
//! The transport follows the EU Digital COVID Certificate's 2D-code encoding (eHealth Network,
//! "Electronic Health Certificates", technical specifications volume 1, HCERT v1.0.5: payload →
//! zlib → Base45 → context prefix → QR code in alphanumeric mode), with our own payload and
//! prefix: [`QR_PREFIX`] followed by Base45 (RFC 9285) of zlib (RFC 1950, DEFLATE level 9) of the
//! certificate's RFC 8785 canonical form.
//!
//! The canonical form is compressed as it is, never re-encoded or stripped: the decoded bytes are
//! the bytes the signatures cover, so decoding gives back a certificate that verifies exactly as
//! the file does. Base45's 45 characters are exactly the QR alphanumeric set (ISO/IEC 18004 §7.4.4),
//! 5.5 bits per character against 8 in byte mode.
//!
//! The older form [`LEGACY_QR_PREFIX`] (base64url of the canonical JSON, uncompressed) is still
//! read. Decoding never panics and bounds the inflated size (against zip bombs).

/// Context prefix of the compact form: Caravan Compressed Certificate, version 1.
pub const QR_PREFIX: &str = "CCC1:";

/// Prefix of the first QR form: base64url (RFC 4648 §5, no padding) of the canonical JSON.
pub const LEGACY_QR_PREFIX: &str = "CVC1:";

/// Largest certificate a QR text may inflate to: the strict parser's default document limit
/// ([`crate::jcs::ParseLimits`]), so nothing larger than a file could be is ever held in memory.
pub const MAX_DECODED_BYTES: usize = 1 << 20;

/// The most characters a QR code holds in alphanumeric mode: version 40 at error correction
/// level L (ISO/IEC 18004:2015, Table 7).
pub const MAX_QR_ALPHANUMERIC: usize = 4296;

/// The Base45 alphabet, RFC 9285 §4.2 (Table 1): the QR alphanumeric characters in value order.
const BASE45_ALPHABET: &[u8; 45] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:";

/// Why a QR text could not be read back into a certificate.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum QrError {
    #[error("qr text: character {found:?} at position {position} is not in the Base45 alphabet")]
    Base45Character { position: usize, found: char },
    #[error("qr text: Base45 length {len} leaves a single character at the end (RFC 9285 §4)")]
    Base45Length { len: usize },
    #[error(
        "qr text: Base45 group at position {position} decodes to {value}, more than it can hold"
    )]
    Base45Overflow { position: usize, value: u32 },
    #[error("qr text: the zlib stream is not valid (RFC 1950): {reason}")]
    Zlib { reason: String },
    #[error("qr text: {extra} bytes follow the end of the zlib stream")]
    TrailingData { extra: usize },
    #[error("qr text: the certificate inflates to more than the limit of {limit} bytes")]
    TooLarge { limit: usize },
    #[error("qr text: the base64url payload after {LEGACY_QR_PREFIX} is not valid: {reason}")]
    Base64 { reason: String },
    #[error("certificate is not strict JSON: {0}")]
    Json(#[from] crate::jcs::JsonError),
}

/// Encodes bytes as Base45, RFC 9285 §4: each two bytes `[a, b]` as `n = a·256 + b` written
/// `c d e` with `n = c + d·45 + e·45²`; a last single byte as `c d`.
pub fn base45_encode(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len().div_ceil(2) * 3);
    let mut push = |value: usize| out.push(char::from(BASE45_ALPHABET[value]));
    for chunk in bytes.chunks(2) {
        if let [a, b] = *chunk {
            let n = usize::from(a) * 256 + usize::from(b);
            push(n % 45);
            push(n / 45 % 45);
            push(n / 2025);
        } else if let [a] = *chunk {
            let n = usize::from(a);
            push(n % 45);
            push(n / 45);
        }
    }
    out
}

/// Decodes Base45, RFC 9285 §4, refusing (§6) characters outside the alphabet, a dangling single
/// character and groups whose value does not fit their bytes.
///
/// # Errors
/// [`QrError::Base45Character`], [`QrError::Base45Length`] or [`QrError::Base45Overflow`], with
/// the position in `text`.
pub fn base45_decode(text: &str) -> Result<Vec<u8>, QrError> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len() / 3 * 2 + 1);
    let value = |position: usize| -> Result<u32, QrError> {
        let byte = bytes[position];
        BASE45_ALPHABET.iter().position(|&c| c == byte).map(|v| v as u32).ok_or_else(|| {
            // Report the whole character, which may be multi-byte UTF-8.
            let found = text
                .get(position..)
                .and_then(|rest| rest.chars().next())
                .unwrap_or(char::REPLACEMENT_CHARACTER);
            QrError::Base45Character { position, found }
        })
    };
    for start in (0..bytes.len()).step_by(3) {
        match bytes.len() - start {
            1 => return Err(QrError::Base45Length { len: bytes.len() }),
            2 => {
                let n = value(start)? + value(start + 1)? * 45;
                let byte = u8::try_from(n)
                    .map_err(|_| QrError::Base45Overflow { position: start, value: n })?;
                out.push(byte);
            }
            _ => {
                let n = value(start)? + value(start + 1)? * 45 + value(start + 2)? * 2025;
                let pair = u16::try_from(n)
                    .map_err(|_| QrError::Base45Overflow { position: start, value: n })?;
                out.extend_from_slice(&pair.to_be_bytes());
            }
        }
    }
    Ok(out)
}

/// The compact QR text of a certificate: [`QR_PREFIX`] + Base45(zlib level 9(RFC 8785 form)).
///
/// # Errors
/// [`QrError::Json`] when `certificate` is not strict JSON.
pub fn encode_certificate(certificate: &[u8]) -> Result<String, QrError> {
    let canonical = crate::jcs::canonicalize(certificate)?;
    Ok(format!("{QR_PREFIX}{}", base45_encode(&zlib_compress(&canonical))))
}

/// zlib (RFC 1950) with DEFLATE (RFC 1951) at the best compression, level 9.
pub fn zlib_compress(bytes: &[u8]) -> Vec<u8> {
    use std::io::Write as _;
    let mut encoder = flate2::write::ZlibEncoder::new(
        Vec::with_capacity(bytes.len() / 2),
        flate2::Compression::best(),
    );
    encoder.write_all(bytes).expect("writing to a Vec cannot fail");
    encoder.finish().expect("finishing into a Vec cannot fail")
}

/// Inflates a zlib (RFC 1950) stream of at most `limit` bytes of output, checking its Adler-32
/// and that nothing follows it.
///
/// # Errors
/// [`QrError::Zlib`] for a damaged or truncated stream, [`QrError::TooLarge`] past `limit`,
/// [`QrError::TrailingData`] when bytes follow the stream.
pub fn zlib_decompress(bytes: &[u8], limit: usize) -> Result<Vec<u8>, QrError> {
    // `flate2::Decompress` rather than its `Read` adapters: those end a truncated stream as a
    // short read without an error, and the end of the stream must be seen.
    let mut inflater = flate2::Decompress::new(true);
    let mut out: Vec<u8> = Vec::new();
    loop {
        if out.len() > limit {
            return Err(QrError::TooLarge { limit });
        }
        if out.len() == out.capacity() {
            // Grow by doubling, never past one byte over the limit (which tells "at the limit"
            // from "over it").
            out.reserve_exact((limit.saturating_add(1) - out.len()).min(out.len().max(4096)));
        }
        let consumed =
            usize::try_from(inflater.total_in()).map_or(bytes.len(), |n| n.min(bytes.len()));
        let before = (inflater.total_in(), inflater.total_out());
        let status = inflater
            .decompress_vec(&bytes[consumed..], &mut out, flate2::FlushDecompress::None)
            .map_err(|err| QrError::Zlib { reason: err.to_string() })?;
        if out.len() > limit {
            return Err(QrError::TooLarge { limit });
        }
        if status == flate2::Status::StreamEnd {
            break;
        }
        if (inflater.total_in(), inflater.total_out()) == before {
            return Err(QrError::Zlib {
                reason: "the stream stops before its end (truncated)".to_owned(),
            });
        }
    }
    let consumed = usize::try_from(inflater.total_in()).unwrap_or(usize::MAX);
    if consumed < bytes.len() {
        return Err(QrError::TrailingData { extra: bytes.len() - consumed });
    }
    Ok(out)
}

/// The certificate bytes inside whatever was presented: the compact QR text ([`QR_PREFIX`]), the
/// legacy QR text ([`LEGACY_QR_PREFIX`]), or the certificate JSON itself (returned unchanged).
/// Surrounding whitespace (a scanner's newline) is ignored around QR texts; inside, Base45's
/// space is a data character and kept.
///
/// # Errors
/// [`QrError`] naming what is wrong with a QR text; JSON is passed through unchecked (the
/// verifier parses it).
pub fn certificate_from_presented(presented: &[u8]) -> Result<std::borrow::Cow<'_, [u8]>, QrError> {
    use std::borrow::Cow;
    let start = presented.iter().position(|b| !b.is_ascii_whitespace()).unwrap_or(presented.len());
    let end = presented.iter().rposition(|b| !b.is_ascii_whitespace()).map_or(start, |i| i + 1);
    let text = &presented[start..end.max(start)];
    if let Some(payload) = text.strip_prefix(QR_PREFIX.as_bytes()) {
        // Base45 is ASCII; anything else is reported at its position by the decoder.
        let payload = String::from_utf8_lossy(payload);
        let compressed = base45_decode(&payload)?;
        return zlib_decompress(&compressed, MAX_DECODED_BYTES).map(Cow::Owned);
    }
    if let Some(payload) = text.strip_prefix(LEGACY_QR_PREFIX.as_bytes()) {
        use base64::Engine as _;
        if payload.len() > MAX_DECODED_BYTES.div_ceil(3) * 4 {
            return Err(QrError::TooLarge { limit: MAX_DECODED_BYTES });
        }
        return base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(payload)
            .map(Cow::Owned)
            .map_err(|err| QrError::Base64 { reason: err.to_string() });
    }
    Ok(Cow::Borrowed(presented))
}

/// Whether `presented` is a QR text (either prefix) rather than a JSON file.
pub fn is_qr_text(presented: &[u8]) -> bool {
    let text = presented.trim_ascii_start();
    text.starts_with(QR_PREFIX.as_bytes()) || text.starts_with(LEGACY_QR_PREFIX.as_bytes())
}

#[cfg(test)]
mod tests;
