//! UNTP credentials against UNTP's JSON Schemas (tests/data/untp-schema, PROVENANCE.md).

use serde_json::json;

use super::*;
use crate::verdict::Outcome;

fn data(rel: &str) -> Value {
    let path = format!("{}/tests/data/{rel}", env!("CARGO_MANIFEST_DIR"));
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

/// Every schema file of tests/data/untp-schema, loaded as the shells load a folder.
pub(crate) fn all_schemas() -> UntpSchemas {
    let dir = format!("{}/tests/data/untp-schema", env!("CARGO_MANIFEST_DIR"));
    let files = std::fs::read_dir(dir).unwrap().map(|entry| {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_str().unwrap().to_owned();
        (name, std::fs::read(&path).unwrap())
    });
    UntpSchemas::from_files(files).unwrap()
}

/// The shells' loader names the file it refused, skips what is not `*.json`, and refuses a
/// folder with no schema.
#[test]
fn the_loader_names_the_file_it_refuses() {
    let schema = br#"{"type": "object"}"#.as_slice();
    let loaded = UntpSchemas::from_files([
        ("untp-dpp-schema-0.6.1.json", schema),
        ("README.md", b"not json".as_slice()),
    ])
    .unwrap();
    assert_eq!(loaded.file_names(), ["untp-dpp-schema-0.6.1.json"]);
    let err = UntpSchemas::from_files([
        ("untp-dpp-schema-0.6.1.json", schema),
        ("untp-dcc-schema-0.6.1.json", b"{not json".as_slice()),
    ])
    .unwrap_err();
    assert!(err.to_string().starts_with("untp-dcc-schema-0.6.1.json: not JSON"), "{err}");
    let err = UntpSchemas::from_files([("notes.json", schema)]).unwrap_err();
    assert!(err.to_string().starts_with("notes.json: a UNTP schema file is named"), "{err}");
    let none: [(&str, &[u8]); 0] = [];
    assert!(matches!(UntpSchemas::from_files(none), Err(SchemaError::NoSchema)));
}

/// The `schema` check of `credential`.
fn schema_outcome(credential: &Value, schemas: &UntpSchemas) -> Outcome {
    let mut verdict = Verdict::new("untp");
    check_schema(&mut verdict, credential, schemas);
    verdict.check("schema").unwrap().outcome.clone()
}

#[track_caller]
fn check(credential: &Value, expect: &str, text_contains: &[&str]) {
    let outcome = schema_outcome(credential, &all_schemas());
    let (word, text) = match &outcome {
        Outcome::Valid(t) => ("valid", t),
        Outcome::Invalid(t) => ("invalid", t),
        Outcome::NotChecked(t) => ("not_checked", t),
    };
    assert_eq!(word, expect, "{text}");
    for part in text_contains {
        assert!(text.contains(part), "{text:?} lacks {part:?}");
    }
}

#[test]
fn schema_files_are_named_as_untp_publishes_them() {
    let key = SchemaKey::from_file_name("untp-dpp-schema-0.6.1.json").unwrap();
    assert_eq!((key.kind.as_str(), key.version.as_str()), ("dpp", "0.6.1"));
    assert_eq!(key.file_name(), "untp-dpp-schema-0.6.1.json");
    for bad in [
        "dpp-0.6.1.json",
        "untp-xyz-schema-1.json",
        "untp-dpp-schema-.json",
        "untp-dpp-schema-../x.json",
    ] {
        assert!(SchemaKey::from_file_name(bad).is_none(), "{bad}");
    }
    let mut schemas = UntpSchemas::default();
    let err = schemas.insert("schema.json", &json!({})).unwrap_err();
    assert!(err.to_string().contains("untp-<dcc|dpp"), "{err}");
    let err = schemas.insert("untp-dcc-schema-9.json", &json!({"type": 12})).unwrap_err();
    assert!(err.to_string().contains("untp-dcc-schema-9.json"), "{err}");
    assert!(schemas.is_empty());
    assert_eq!(all_schemas().file_names().len(), 6);
}

#[test]
fn tests_untp_samples_against_their_schemas() {
    // UNTP 0.6.1 samples (tests-untp) against the 0.6.1 schemas (spec-untp): they conform.
    check(
        &data("untp/conformity-credential-simple.json"),
        "valid",
        &["untp-dcc-schema-0.6.1.json"],
    );
    check(&data("untp/product-passport-simple.json"), "valid", &["untp-dpp-schema-0.6.1.json"]);
    // The 0.5.0 samples give validFrom and validUntil without a time zone: not an RFC 3339
    // date-time (JSON Schema's `date-time`), nor a VC 2.0 dateTimeStamp. UNTP's own ajv-formats
    // setup tolerates it; we assert the format as JSON Schema defines it.
    for (file, schema) in [
        ("untp/DigitalConformityCredential_instance-v0.5.0.json", "untp-dcc-schema-0.5.0.json"),
        ("untp/DigitalProductPassport_instance-v0.5.0.json", "untp-dpp-schema-0.5.0.json"),
    ] {
        let sample = data(file);
        check(&sample, "invalid", &["2 error(s)", schema, "at /validFrom:", "at /validUntil:"]);
        let mut fixed = sample.clone();
        fixed["validFrom"] = json!("2024-03-15T12:00:00Z");
        fixed["validUntil"] = json!("2034-03-15T12:00:00Z");
        check(&fixed, "valid", &[schema]);
    }
}

#[test]
fn a_non_conforming_credential_is_named_by_json_pointer() {
    let sample = data("untp/product-passport-simple.json");
    let mut doc = sample.clone();
    doc.as_object_mut().unwrap().remove("issuer");
    check(&doc, "invalid", &["1 error(s)", "at \"\" (the credential):", "issuer"]);
    let mut doc = sample.clone();
    doc["credentialSubject"]["product"]["name"] = json!(42);
    check(&doc, "invalid", &["at /credentialSubject/product/name:", "42"]);
    // Many errors: ten are listed and the rest counted.
    let mut doc = sample.clone();
    for idx in 0..30 {
        doc["credentialSubject"]["conformityClaim"]
            .as_array_mut()
            .unwrap()
            .push(json!({"type": ["Claim"], "conformance": format!("no {idx}")}));
    }
    let outcome = schema_outcome(&doc, &all_schemas());
    let Outcome::Invalid(reason) = outcome else { panic!("{outcome:?}") };
    assert!(reason.contains("more"), "{reason}");
    assert!(
        reason.matches("at /credentialSubject/conformityClaim/").count() == MAX_LISTED_ERRORS,
        "{reason}"
    );
}

#[test]
fn no_schema_at_hand_is_not_checked() {
    // The enveloped passport is UNTP 0.6.0-beta1: no schema of that version is kept.
    let mut beta = data("untp/product-passport-simple.json");
    beta["@context"][1] = json!("https://test.uncefact.org/vocabulary/untp/dpp/0.6.0-beta1/");
    check(
        &beta,
        "not_checked",
        &["untp-dpp-schema-0.6.0-beta1.json is not loaded", "untp-dcc-schema-0.5.0.json"],
    );
    let outcome =
        schema_outcome(&data("untp/product-passport-simple.json"), &UntpSchemas::default());
    assert!(
        matches!(&outcome, Outcome::NotChecked(why) if why.contains("no UNTP JSON Schemas are loaded")),
        "{outcome:?}"
    );
    // A credential of no UNTP type.
    check(
        &json!({"type": ["VerifiableCredential"], "@context": []}),
        "not_checked",
        &["no UNTP type"],
    );
}
