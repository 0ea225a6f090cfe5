//! Unit tests of `credential`.
use super::*;

fn issuer() -> Issuer {
    Issuer {
        id: "urn:caravan:authority:kz-chamber".to_owned(),
        name: "KZ Chamber".to_owned(),
        country: CountryCode::parse("KZ").unwrap(),
    }
}

fn time() -> OffsetDateTime {
    OffsetDateTime::parse("2026-06-01T10:00:00Z", &Rfc3339).unwrap()
}

#[test]
fn sample_subjects_meet_their_specifications() {
    for doc_type in DocumentType::ALL {
        assert_eq!(validate_subject(doc_type, &sample_subject(doc_type)), vec![], "{doc_type}");
        let credential =
            build_credential(doc_type, sample_subject(doc_type), &issuer(), "urn:uuid:1", time())
                .unwrap();
        assert_eq!(validate_credential(&credential), Ok(doc_type));
        assert_eq!(credential["validFrom"], "2026-06-01T10:00:00Z");
        assert_eq!(DocumentType::parse(doc_type.as_str()), Some(doc_type));
    }
}

#[test]
fn every_subject_problem_is_reported_with_its_path() {
    let mut subject = sample_subject(DocumentType::Origin);
    subject["goods"][1]["hsCode"] = Value::from("15121");
    subject["importer"]["country"] = Value::from("kz");
    subject.as_object_mut().unwrap().remove("originCountry");
    subject["colour"] = Value::from("red");
    subject["goods"][0]["quantity"] = Value::from(-1);
    let errors = build_credential(DocumentType::Origin, subject, &issuer(), "urn:uuid:1", time())
        .unwrap_err();
    let paths: Vec<&str> = errors.iter().map(|e| e.path.as_str()).collect();
    assert_eq!(
        paths,
        [
            "credentialSubject.importer.country",
            "credentialSubject.originCountry",
            "credentialSubject.goods[0].quantity",
            "credentialSubject.goods[1].hsCode",
            "credentialSubject.colour",
        ]
    );
    assert_eq!(errors[1].reason, "is required");
}

#[test]
fn envelope_problems_are_reported() {
    let mut credential = build_credential(
        DocumentType::Phyto,
        sample_subject(DocumentType::Phyto),
        &issuer(),
        "urn:uuid:2",
        time(),
    )
    .unwrap();
    credential["@context"] = serde_json::json!(["https://www.w3.org/2018/credentials/v1"]);
    credential["evidence"] = Value::from("x");
    credential["validFrom"] = Value::from("yesterday");
    let errors = validate_credential(&credential).unwrap_err();
    let paths: Vec<&str> = errors.iter().map(|e| e.path.as_str()).collect();
    assert_eq!(paths, ["evidence", "@context", "validFrom"]);
    assert!(validate_credential(&Value::from(1)).is_err());
}

#[test]
fn schemas_name_the_required_fields_of_the_validator() {
    for doc_type in DocumentType::ALL {
        let schema = json_schema(doc_type);
        assert_eq!(schema["$id"], schema_id(doc_type));
        let required = schema["properties"]["credentialSubject"]["required"].as_array().unwrap();
        let expected: Vec<&str> =
            doc_type.subject_fields().iter().filter(|f| f.required).map(|f| f.name).collect();
        assert_eq!(required.iter().map(|v| v.as_str().unwrap()).collect::<Vec<_>>(), expected);
        // Removing any required field makes the validator complain about exactly that path.
        for name in &expected {
            let mut subject = sample_subject(doc_type);
            subject.as_object_mut().unwrap().remove(*name);
            let errors = validate_subject(doc_type, &subject);
            assert_eq!(
                errors,
                vec![FieldError {
                    path: format!("credentialSubject.{name}"),
                    reason: "is required".to_owned()
                }]
            );
        }
    }
}
