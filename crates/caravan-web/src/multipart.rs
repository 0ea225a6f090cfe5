//! Browser uploads: `multipart/form-data` (RFC 7578) for the whole server.
//!
//! Two halves. [`first_part_field`] reads the first part of a multipart body from a buffered
//! prefix, so the CSRF guard can check a form's `csrf_token` without buffering the upload
//! behind it (forms put that hidden input first; browsers send parts in document order,
//! RFC 7578 §5.2). [`read_form`] is what handlers call: the fields as text and the files
//! checked against a [`FileRule`] (size and type), with errors naming the form field.

use axum::extract::Multipart;
use axum::extract::multipart::MultipartError;
use axum::http::StatusCode;

use crate::error::ApiError;

/// How many bytes of a multipart body the CSRF guard reads at most to find the first part.
pub const FIRST_PART_CAP: usize = 16 * 1024;

/// Largest text field accepted by [`read_form`], in bytes.
pub const MAX_TEXT_FIELD_BYTES: usize = 64 * 1024;

/// What the buffered prefix of a multipart body says about its first part.
#[derive(Debug, PartialEq, Eq)]
pub enum FirstPart<'a> {
    /// The prefix ends before the first part does: read more.
    Incomplete,
    /// A complete first part that is a plain field (no `filename`).
    Field { name: String, value: &'a [u8] },
    /// Not a multipart body with a plain field first.
    Malformed,
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    if needle.is_empty() || haystack.len() < needle.len() {
        return None;
    }
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// Reads the first part of a multipart body from its first bytes.
///
/// RFC 2046 §5.1.1: the body is an optional preamble, then `--boundary`, optional linear white
/// space and CRLF, the part's headers up to an empty line, and its content up to
/// `CRLF--boundary`. RFC 7578 §4.2: each part has `Content-Disposition: form-data; name="…"`,
/// with a `filename` parameter for files.
pub fn first_part_field<'a>(prefix: &'a [u8], boundary: &str) -> FirstPart<'a> {
    let delimiter = format!("--{boundary}");
    let delimiter = delimiter.as_bytes();
    // The first delimiter opens the body or follows a preamble's CRLF.
    let after_delimiter = if prefix.len() < delimiter.len() {
        return if delimiter.starts_with(prefix) {
            FirstPart::Incomplete
        } else {
            FirstPart::Malformed
        };
    } else if prefix.starts_with(delimiter) {
        delimiter.len()
    } else {
        let mut crlf_delimiter = b"\r\n".to_vec();
        crlf_delimiter.extend_from_slice(delimiter);
        match find(prefix, &crlf_delimiter) {
            Some(at) => at + crlf_delimiter.len(),
            None => return FirstPart::Incomplete,
        }
    };
    let rest = &prefix[after_delimiter..];
    let padding = rest.iter().take_while(|b| **b == b' ' || **b == b'\t').count();
    let rest = &rest[padding..];
    if rest.len() < 2 {
        return FirstPart::Incomplete;
    }
    if !rest.starts_with(b"\r\n") {
        // `--boundary--` closes an empty body; anything else is not a delimiter line.
        return FirstPart::Malformed;
    }
    let headers_start = &rest[2..];
    if headers_start.len() < 2 {
        return FirstPart::Incomplete;
    }
    if headers_start.starts_with(b"\r\n") {
        return FirstPart::Malformed; // No headers, so no name.
    }
    let Some(headers_end) = find(headers_start, b"\r\n\r\n") else {
        return FirstPart::Incomplete;
    };
    let Ok(headers) = std::str::from_utf8(&headers_start[..headers_end]) else {
        return FirstPart::Malformed;
    };
    let Some(name) = form_data_name(headers) else {
        return FirstPart::Malformed;
    };
    let content = &headers_start[headers_end + 4..];
    let mut closing = b"\r\n".to_vec();
    closing.extend_from_slice(delimiter);
    match find(content, &closing) {
        Some(end) => FirstPart::Field { name, value: &content[..end] },
        None => FirstPart::Incomplete,
    }
}

/// The `name` of a part whose `Content-Disposition` is `form-data` without a `filename`.
fn form_data_name(headers: &str) -> Option<String> {
    let disposition = headers.split("\r\n").find_map(|line| {
        let (key, value) = line.split_once(':')?;
        key.trim().eq_ignore_ascii_case("content-disposition").then_some(value)
    })?;
    let mut params = disposition.split(';').map(str::trim);
    if !params.next()?.eq_ignore_ascii_case("form-data") {
        return None;
    }
    let mut name = None;
    for param in params {
        let (key, value) = param.split_once('=')?;
        let value = value.trim();
        let value = value.strip_prefix('"').and_then(|v| v.strip_suffix('"')).unwrap_or(value);
        match key.trim().to_ascii_lowercase().as_str() {
            "name" => name = Some(value.to_owned()),
            "filename" | "filename*" => return None,
            _ => {}
        }
    }
    name
}

/// The last component of a file name as a browser sent it (some send a whole path, with `/`
/// or `\\`).
pub fn base_name(file_name: &str) -> &str {
    file_name.rsplit(['/', '\\']).next().unwrap_or_default()
}

/// What a form accepts as a file: its largest size and its type, told by its first bytes.
#[derive(Debug, Clone, Copy)]
pub struct FileRule {
    pub max_bytes: usize,
    /// The type's name in messages, e.g. `PDF`.
    pub type_name: &'static str,
    /// Whether the content is of the type (magic bytes; a browser's `Content-Type` is a guess).
    pub accepts: fn(&[u8]) -> bool,
}

/// A file of a multipart form.
#[derive(Debug, Clone)]
pub struct UploadedFile {
    /// The form field it came in.
    pub field: String,
    /// The name the browser gave, without any folder.
    pub filename: String,
    pub content: Vec<u8>,
}

/// A multipart form read by [`read_form`].
#[derive(Debug, Clone, Default)]
pub struct MultipartForm {
    pub fields: Vec<(String, String)>,
    pub files: Vec<UploadedFile>,
}

impl MultipartForm {
    /// The first text field called `name`.
    pub fn field(&self, name: &str) -> Option<&str> {
        self.fields.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
    }

    /// The first file sent in field `name`.
    pub fn file(&self, name: &str) -> Option<&UploadedFile> {
        self.files.iter().find(|f| f.field == name)
    }
}

fn too_large(field: &str, max_bytes: usize) -> ApiError {
    let size = if max_bytes >= 1024 * 1024 {
        format!("{} MiB", max_bytes / 1024 / 1024)
    } else {
        format!("{} KiB", max_bytes.div_ceil(1024))
    };
    ApiError::new(
        StatusCode::PAYLOAD_TOO_LARGE,
        "upload.too_large",
        format!("{field}: the file is larger than {size}; compress or split it"),
    )
    .with_field(field)
}

fn malformed(field: Option<&str>, err: &MultipartError) -> ApiError {
    let field_name = field.unwrap_or("body");
    if err.status() == StatusCode::PAYLOAD_TOO_LARGE {
        return ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "upload.too_large",
            format!("{field_name}: the form is larger than this page accepts"),
        )
        .with_field(field_name);
    }
    ApiError::bad_request(
        "upload.malformed",
        format!("{field_name}: the form could not be read ({}); send it again", err.body_text()),
    )
    .with_field(field_name)
}

/// Reads a whole multipart form: text fields (at most [`MAX_TEXT_FIELD_BYTES`] each) and files
/// checked against `rule` while they stream in. A file input left empty (no file chosen) is
/// skipped.
///
/// # Errors
/// 413 `upload.too_large` naming the field whose file is over `rule.max_bytes`; 415
/// `upload.wrong_type` naming the field whose file is not of the type; 400 `upload.malformed`.
pub async fn read_form(
    mut multipart: Multipart,
    rule: &FileRule,
) -> Result<MultipartForm, ApiError> {
    let mut form = MultipartForm::default();
    loop {
        let mut part = match multipart.next_field().await {
            Ok(Some(part)) => part,
            Ok(None) => return Ok(form),
            Err(err) => return Err(malformed(None, &err)),
        };
        let name = part.name().unwrap_or_default().to_owned();
        let filename = part.file_name().map(|f| base_name(f).to_owned());
        let limit = if filename.is_some() { rule.max_bytes } else { MAX_TEXT_FIELD_BYTES };
        let mut content = Vec::new();
        loop {
            match part.chunk().await {
                Ok(Some(chunk)) => {
                    if content.len() + chunk.len() > limit {
                        return Err(too_large(&name, limit));
                    }
                    content.extend_from_slice(&chunk);
                }
                Ok(None) => break,
                Err(err) => return Err(malformed(Some(&name), &err)),
            }
        }
        match filename {
            Some(filename) if filename.is_empty() && content.is_empty() => {}
            Some(filename) => {
                if !(rule.accepts)(&content) {
                    return Err(ApiError::new(
                        StatusCode::UNSUPPORTED_MEDIA_TYPE,
                        "upload.wrong_type",
                        format!(
                            "{name}: the file is not a {}; save it as {} and upload again",
                            rule.type_name, rule.type_name
                        ),
                    )
                    .with_field(name));
                }
                form.files.push(UploadedFile { field: name, filename, content });
            }
            None => {
                let text = String::from_utf8(content).map_err(|_| {
                    ApiError::bad_request("upload.malformed", format!("{name}: not UTF-8 text"))
                        .with_field(name.clone())
                })?;
                form.fields.push((name, text));
            }
        }
    }
}

#[cfg(test)]
mod tests;
