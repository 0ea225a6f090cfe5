//! Target `interop_documents`: other systems' documents (issue 17) through format detection,
//! OpenAttestation verification, SPS XML import and UNTP reading (enveloped VC-JWTs and
//! embedded Data Integrity proofs too, and a JSON Schema check), as `caravan cert verify` hands
//! them over. Properties: a verdict always names its checks, is the same when computed
//! twice, and says `integrity` for OpenAttestation; XML with a DOCTYPE is always refused; an
//! SPS import that succeeds also verifies.

use std::sync::OnceLock;

use caravan_interop::detect::{Format, detect};
use caravan_interop::untp::UntpSchemas;
use caravan_interop::verdict::Outcome;
use caravan_interop::{dns, oa, sps, untp};
use serde_json::{Value, json};

/// A small schema in UNTP's shape (ours, not UNTP's: theirs are GPL-3.0 test data), for the
/// product passports of version 0.6.1: the validator runs on every fuzzed passport.
fn untp_schemas() -> &'static UntpSchemas {
    static SCHEMAS: OnceLock<UntpSchemas> = OnceLock::new();
    SCHEMAS.get_or_init(|| {
        let schema = json!({
            "$schema": "https://json-schema.org/draft/2020-12/schema",
            "type": "object",
            "required": ["@context", "id", "issuer"],
            "properties": {
                "@context": {"type": "array", "prefixItems": [{"const": "https://www.w3.org/ns/credentials/v2"}], "minItems": 2},
                "id": {"type": "string", "format": "uri"},
                "validFrom": {"type": "string", "format": "date-time"},
                "issuer": {"type": "object", "required": ["id"], "properties": {"id": {"type": "string", "format": "uri"}}},
                "credentialSubject": {"type": "object", "properties": {"product": {"$ref": "#/$defs/Product"}}}
            },
            "$defs": {"Product": {"type": "object", "required": ["name"], "properties": {"name": {"type": "string", "pattern": "^[^<>]*$"}}}}
        });
        let mut schemas = UntpSchemas::default();
        schemas.insert("untp-dpp-schema-0.6.1.json", &schema).expect("the fuzz schema compiles");
        schemas
    })
}

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
            // An enveloped credential's JWS is decoded and its signature checked as well; an
            // embedded proof is verified; the credential goes through a UNTP-shaped schema.
            let verdict = untp::verify_with(&doc, untp_schemas());
            // Every credential that could be read says how its schema came out; an envelope
            // whose JWS cannot be decoded holds no credential to check.
            let unreadable = matches!(
                verdict.check("well-formed").map(|c| &c.outcome),
                Some(Outcome::Invalid(_))
            );
            assert!(
                unreadable || verdict.check("schema").is_some(),
                "a UNTP verdict says how its schema came out"
            );
            assert_eq!(
                verdict,
                untp::verify_with(&doc, untp_schemas()),
                "verification is deterministic"
            );
            let signature = verdict.check("signature").map(|c| &c.outcome);
            if let Some(Outcome::Valid(_)) = signature {
                // A valid signature is only ever claimed for a proof the verifier could check.
                let embedded = doc.get("proof").is_some();
                let enveloped = doc.get("type").and_then(Value::as_str)
                    == Some(untp::ENVELOPED_TYPE)
                    || doc
                        .get("id")
                        .and_then(Value::as_str)
                        .is_some_and(|id| id.starts_with("data:"));
                assert!(embedded || enveloped, "a signature without a proof or an envelope");
            }
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
