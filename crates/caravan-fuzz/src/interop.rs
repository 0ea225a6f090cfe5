//! Target `interop_documents`: other systems' documents (issue 17) through format detection,
//! OpenAttestation verification, SPS XML import and UNTP reading (enveloped VC-JWTs too), as
//! `caravan cert verify` hands them over. Properties: a verdict always names its checks, is the same when computed
//! twice, and says `integrity` for OpenAttestation; XML with a DOCTYPE is always refused; an
//! SPS import that succeeds also verifies.

use caravan_interop::detect::{Format, detect};
use caravan_interop::{dns, oa, sps, untp};
use serde_json::Value;

/// The body of `interop_documents`.
pub fn interop_documents(data: &[u8]) {
    // Pinned DNS records are another file an officer hands in.
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = dns::PinnedRecords::parse(text);
    }
    let Ok(format) = detect(data) else { return };
    match format {
        Format::OpenAttestation(version) => {
            let Ok(doc) = serde_json::from_slice::<Value>(data) else { return };
            let verdict = oa::verify(&doc, version, None);
            assert!(
                verdict.check("integrity").is_some(),
                "an OpenAttestation verdict checks integrity"
            );
            assert_eq!(verdict, oa::verify(&doc, version, None), "verification is deterministic");
        }
        Format::SpsXml => {
            let Ok(text) = std::str::from_utf8(data) else { return };
            let imported = sps::import(text);
            if has_doctype(text) {
                assert!(imported.is_err(), "a DOCTYPE is always refused");
            }
            if imported.is_ok() {
                let verdict = sps::verify(text).expect("what imports also verifies");
                assert!(!verdict.checks.is_empty());
            }
        }
        Format::Untp => {
            let Ok(doc) = serde_json::from_slice::<Value>(data) else { return };
            // An enveloped credential's JWS is decoded and its signature checked as well.
            let verdict = untp::verify(&doc);
            assert!(!verdict.checks.is_empty());
            assert_eq!(verdict, untp::verify(&doc), "verification is deterministic");
        }
        Format::Caravan => {}
    }
}

/// Whether `text` declares a DOCTYPE where XML puts one: first in the document, or right after
/// the XML declaration (XML 1.0 §2.8 [22] prolog). Not the text `<!DOCTYPE` anywhere: inside a
/// comment or CDATA it is only text.
fn has_doctype(text: &str) -> bool {
    let text = text.trim_start();
    let rest = match text.strip_prefix("<?xml") {
        Some(decl) => decl.split_once("?>").map_or("", |(_, rest)| rest).trim_start(),
        None => text,
    };
    rest.starts_with("<!DOCTYPE")
}
