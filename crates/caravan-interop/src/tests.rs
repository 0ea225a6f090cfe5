//! Format detection over every kind of input the verifier is handed.

use crate::detect::{DetectError, Format, detect};
use crate::oa::OaVersion;

#[track_caller]
fn check(input: &str, expect: Format) {
    assert_eq!(detect(input.as_bytes()).unwrap(), expect, "{input}");
}

#[test]
fn formats_are_told_apart() {
    check(
        r#"{"version": "https://schema.openattestation.com/2.0/schema.json", "data": {}}"#,
        Format::OpenAttestation(OaVersion::V2),
    );
    check(
        r#"{"version": "https://schema.openattestation.com/3.0/schema.json"}"#,
        Format::OpenAttestation(OaVersion::V3),
    );
    check(
        r#"{"@context": ["https://www.w3.org/ns/credentials/v2", "https://schemata.openattestation.com/com/openattestation/4.0/context.json"]}"#,
        Format::OpenAttestation(OaVersion::V4),
    );
    // Our UNTP exports carry our context too (their extension): still UNTP.
    check(
        r#"{"@context": ["https://www.w3.org/ns/credentials/v2", "https://test.uncefact.org/vocabulary/untp/dcc/0.5.0/", "https://caravan.example/contexts/trade/v1"]}"#,
        Format::Untp,
    );
    check("\u{feff}  <?xml version=\"1.0\"?><a/>", Format::SpsXml);
    check(
        r#"{"@context": ["https://www.w3.org/ns/credentials/v2", "https://test.uncefact.org/vocabulary/untp/dpp/0.5.0/"]}"#,
        Format::Untp,
    );
    // Ours, with or without the UNTP-shaped types, its QR text, and anything else: our verifier
    // keeps answering for them exactly as before.
    check(
        r#"{"@context": ["https://www.w3.org/ns/credentials/v2", "https://caravan.example/contexts/trade/v1"]}"#,
        Format::Caravan,
    );
    check("CCC1:ABC", Format::Caravan);
    check("not json", Format::Caravan);
    check("", Format::Caravan);
}

#[test]
fn unknown_versions_and_oversized_input_are_named() {
    let err = detect(br#"{"version": "https://schema.openattestation.com/9.0/schema.json"}"#)
        .unwrap_err();
    assert!(matches!(err, DetectError::UnknownVersion(_)));
    assert!(err.to_string().contains("9.0"), "{err}");
    let big = vec![b' '; crate::MAX_DOCUMENT_BYTES + 1];
    assert!(detect(&big).unwrap_err().to_string().contains("bytes"));
}

/// Each fixed explanation has its own stable code, and its template takes its variable parts
/// where it names them, leaving other braces as they are.
#[test]
fn fixed_explanations_have_distinct_codes_and_fill_their_parts() {
    use crate::verdict::{Reason, Why, fill};
    let codes: std::collections::HashSet<&str> = Why::ALL.iter().map(|w| w.code()).collect();
    assert_eq!(codes.len(), Why::ALL.len());
    let reason = Reason::new(Why::OaDnsTxtPinned, &["example.com", "0xabc"]);
    assert_eq!(reason.english(), "DNS-TXT: a pinned TXT record of example.com names 0xabc");
    assert_eq!(fill("{x} {1} {0} {", &["a".to_owned()]), "{x} {1} a {");
    assert!(Reason::new(Why::SpsWellFormed, &[]).english().contains("{urn:…:SPSCertificate:17}"));
}
