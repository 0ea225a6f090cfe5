//! Unit tests of the multipart first-part reader the CSRF guard uses, and of the upload errors.

use super::*;

const BOUNDARY: &str = "----WebKitFormBoundary7MA4YWxkTrZu0gW";

fn body(parts: &[(&str, &str)]) -> Vec<u8> {
    let mut out = Vec::new();
    for (disposition, value) in parts {
        out.extend_from_slice(
            format!("--{BOUNDARY}\r\nContent-Disposition: {disposition}\r\n\r\n{value}\r\n")
                .as_bytes(),
        );
    }
    out.extend_from_slice(format!("--{BOUNDARY}--\r\n").as_bytes());
    out
}

#[track_caller]
fn check(prefix: &[u8], boundary: &str, expect: FirstPart<'_>) {
    assert_eq!(first_part_field(prefix, boundary), expect, "{}", String::from_utf8_lossy(prefix));
}

#[test]
fn the_first_field_is_read() {
    let body = body(&[
        ("form-data; name=\"csrf_token\"", "tok-123"),
        ("form-data; name=\"file\"; filename=\"a.pdf\"", "%PDF-1.4"),
    ]);
    check(&body, BOUNDARY, FirstPart::Field { name: "csrf_token".to_owned(), value: b"tok-123" });
}

#[test]
fn every_prefix_shorter_than_the_first_part_asks_for_more() {
    let body =
        body(&[("form-data; name=\"csrf_token\"", "tok-123"), ("form-data; name=\"x\"", "y")]);
    let end = body.windows(9).position(|w| w == b"\r\n------W").unwrap() + 2 + BOUNDARY.len() + 2;
    for cut in 0..end {
        check(&body[..cut], BOUNDARY, FirstPart::Incomplete);
    }
    check(
        &body[..end],
        BOUNDARY,
        FirstPart::Field { name: "csrf_token".to_owned(), value: b"tok-123" },
    );
}

#[test]
fn header_case_padding_and_preamble_are_accepted() {
    let text = format!(
        "preamble to ignore\r\n--{BOUNDARY} \t\r\ncontent-disposition: Form-Data; NAME=csrf_token\r\nContent-Type: text/plain\r\n\r\nabc\r\n--{BOUNDARY}--"
    );
    check(
        text.as_bytes(),
        BOUNDARY,
        FirstPart::Field { name: "csrf_token".to_owned(), value: b"abc" },
    );
}

#[test]
fn a_value_may_hold_crlf_and_dashes() {
    let body = body(&[("form-data; name=\"csrf_token\"", "a\r\n--b\r\nc")]);
    check(
        &body,
        BOUNDARY,
        FirstPart::Field { name: "csrf_token".to_owned(), value: b"a\r\n--b\r\nc" },
    );
}

#[test]
fn a_quoted_boundary_is_parsed_by_multer() {
    let boundary =
        multer::parse_boundary("multipart/form-data; boundary=\"simple boundary\"").unwrap();
    assert_eq!(boundary, "simple boundary");
    let text = "--simple boundary\r\nContent-Disposition: form-data; name=\"csrf_token\"\r\n\r\nt\r\n--simple boundary--\r\n";
    check(
        text.as_bytes(),
        &boundary,
        FirstPart::Field { name: "csrf_token".to_owned(), value: b"t" },
    );
}

#[test]
fn malformed_bodies() {
    // A file first: not a plain field.
    let file_first = body(&[("form-data; name=\"csrf_token\"; filename=\"t.txt\"", "tok")]);
    check(&file_first, BOUNDARY, FirstPart::Malformed);
    // Bare LF instead of CRLF after the delimiter.
    let lf = format!(
        "--{BOUNDARY}\nContent-Disposition: form-data; name=\"csrf_token\"\n\ntok\n--{BOUNDARY}--"
    );
    check(lf.as_bytes(), BOUNDARY, FirstPart::Malformed);
    // No headers at all, an empty body, another disposition, and a different boundary.
    let no_headers = format!("--{BOUNDARY}\r\n\r\ntok\r\n--{BOUNDARY}--");
    check(no_headers.as_bytes(), BOUNDARY, FirstPart::Malformed);
    check(format!("--{BOUNDARY}--\r\n").as_bytes(), BOUNDARY, FirstPart::Malformed);
    let attachment = body(&[("attachment; name=\"csrf_token\"", "tok")]);
    check(&attachment, BOUNDARY, FirstPart::Malformed);
    check(b"xx", BOUNDARY, FirstPart::Malformed);
}

#[test]
fn file_size_messages_name_the_field() {
    let err = too_large("file", 4 * 1024 * 1024);
    assert_eq!(err.status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(err.field.as_deref(), Some("file"));
    assert!(err.message.contains("4 MiB"), "{}", err.message);
}
