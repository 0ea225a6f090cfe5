//! UNTP: our certificates of origin and passports go out as UNTP credentials and come back
//! with every field.

use caravan_docsign::credential::sample_subject;
use serde_json::json;

use super::*;

fn ours(doc_type: DocumentType) -> Value {
    json!({
        "@context": [VC_V2_CONTEXT, CARAVAN_CONTEXT],
        "id": "urn:uuid:0d9d7b5e-8a44-4c8e-9b0b-6f3c1f0e2a11",
        "type": ["VerifiableCredential", doc_type.credential_types()[0], doc_type.credential_types()[1]],
        "issuer": {"id": "did:web:chamber.kz", "name": "Chamber of Commerce", "country": "KZ"},
        "validFrom": "2026-06-01T10:00:00Z",
        "credentialSubject": sample_subject(doc_type),
    })
}

#[test]
fn origin_and_passport_round_trip_through_untp() {
    for (doc_type, context, kind) in [
        (DocumentType::Origin, DCC_CONTEXT, "DigitalConformityCredential"),
        (DocumentType::Passport, DPP_CONTEXT, "DigitalProductPassport"),
    ] {
        let cert = ours(doc_type);
        let untp = export(&cert).unwrap();
        assert_eq!(untp["@context"][1], context);
        assert_eq!(untp["type"][1], kind);
        let (back_type, subject) = read(&untp).unwrap();
        assert_eq!(back_type, doc_type);
        assert_eq!(subject, cert["credentialSubject"], "{doc_type}: {untp:#}");
        let verdict = verify(&untp);
        assert_eq!(
            verdict.status(),
            crate::verdict::Status::IncompleteOffline,
            "{}",
            verdict.to_text()
        );
    }
}

#[test]
fn a_phytosanitary_certificate_is_not_exported_as_untp() {
    assert!(matches!(export(&ours(DocumentType::Phyto)), Err(UntpError::Unsupported(_))));
}
