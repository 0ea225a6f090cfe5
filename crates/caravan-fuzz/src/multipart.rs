//! Target of `caravan-server`'s `multipart` module: the CSRF guard's first-part reader and
//! `read_form`, called directly on a body held in memory (no server).

use std::pin::pin;
use std::task::{Context, Poll, Waker};

use axum::body::Body;
use axum::extract::{FromRequest, Multipart};
use axum::http::{Request, header};
use caravan_server::multipart::{FIRST_PART_CAP, FileRule, FirstPart, first_part_field, read_form};

/// Runs a future whose every input is in memory, so it never waits.
fn ready<F: Future>(future: F) -> F::Output {
    let mut future = pin!(future);
    let mut cx = Context::from_waker(Waker::noop());
    for _ in 0..1_000_000 {
        if let Poll::Ready(output) = future.as_mut().poll(&mut cx) {
            return output;
        }
    }
    panic!("a multipart body held in memory kept the reader waiting");
}

/// The boundary used when the input does not choose one.
const DEFAULT_BOUNDARY: &str = "----CaravanFuzzBoundary";

/// Multipart form bodies. The input is `boundary LF body` when its first line (at most 70
/// bytes, RFC 2046 §5.1.1) is UTF-8, else the whole input is the body under a fixed boundary.
///
/// Properties: the guard's answer on a prefix of the body is `Incomplete` or the answer on
/// the whole buffered prefix (more bytes never turn a field into another field or into
/// `Malformed`); when both the guard and `read_form` read a first text field, it is the same.
pub fn multipart(data: &[u8]) {
    let (boundary, body) = match data.iter().position(|&b| b == b'\n') {
        Some(at) if (1..=70).contains(&at) => match std::str::from_utf8(&data[..at]) {
            Ok(boundary) => (boundary, &data[at + 1..]),
            Err(_) => (DEFAULT_BOUNDARY, data),
        },
        _ => (DEFAULT_BOUNDARY, data),
    };
    let buffered = &body[..body.len().min(FIRST_PART_CAP)];
    let answer = first_part_field(buffered, boundary);
    for cut in [buffered.len() / 3, buffered.len() / 2, buffered.len() * 2 / 3] {
        let early = first_part_field(&buffered[..cut], boundary);
        assert!(
            early == FirstPart::Incomplete || early == answer,
            "{early:?} on {cut} bytes but {answer:?} on {}",
            buffered.len()
        );
    }

    let Ok(request) = Request::builder()
        .method("POST")
        .header(header::CONTENT_TYPE, format!("multipart/form-data; boundary={boundary}"))
        .body(Body::from(body.to_vec()))
    else {
        return;
    };
    let Ok(multipart) = ready(Multipart::from_request(request, &())) else { return };
    let rule =
        FileRule { max_bytes: 64 * 1024, type_name: "PDF", accepts: |b| b.starts_with(b"%PDF-") };
    let Ok(form) = ready(read_form(multipart, &rule)) else { return };
    for file in &form.files {
        assert!(file.content.len() <= rule.max_bytes, "{}: over the limit", file.field);
        assert!((rule.accepts)(&file.content), "{}: not of the type", file.field);
        assert!(!file.filename.contains(['/', '\\']), "{:?} has no folder", file.filename);
    }
    if let (FirstPart::Field { name, value }, Some((first_name, first_value))) =
        (&answer, form.fields.first())
        && form.files.is_empty()
    {
        assert_eq!((name, *value), (first_name, first_value.as_bytes()), "the same first field");
    }
}
