//! UN Transparency Protocol credentials (UNTP 0.5: VC 2.0 JSON-LD with the UNTP contexts): a
//! certificate of origin as a Digital Conformity Credential, a mineral product passport as a
//! Digital Product Passport, and the reading back of either.
//!
//! What UNTP has a term for goes into its vocabulary (`ConformityAttestation`,
//! `ConformityAssessment`, `Product`, `productCategory`, `materialsProvenance`,
//! `conformityClaim`); what it has none for (importer, the two countries, transport, smelter,
//! mass, assay methods) goes into one extension object in our own context, `caravanExtension`,
//! as UNTP's extension rule allows, so nothing is lost on the way back.
//! The exported credential is an unsigned view: the signed original is named by `relatedDocument`.

use caravan_docsign::credential::{CARAVAN_CONTEXT, DocumentType, VC_V2_CONTEXT, string_at};
use serde_json::{Map, Value, json};

use crate::data_integrity::{self, CheckedProof, ProofOutcome};
use crate::verdict::{Outcome, Verdict, Why};

pub mod schema;

pub use schema::UntpSchemas;

/// The UNTP Digital Conformity Credential context (0.5.0).
pub const DCC_CONTEXT: &str = "https://test.uncefact.org/vocabulary/untp/dcc/0.5.0/";
/// The UNTP Digital Product Passport context (0.5.0).
pub const DPP_CONTEXT: &str = "https://test.uncefact.org/vocabulary/untp/dpp/0.5.0/";
/// The scheme of HS codes in `productCategory`.
pub const HS_SCHEME: &str = "https://www.wcoomd.org/en/topics/nomenclature/instrument-and-tools/hs-nomenclature-2022-edition.aspx";

/// Whether `context` is a UNTP context URL.
pub fn is_untp_context(context: &str) -> bool {
    context.contains("uncefact.org/vocabulary/untp/") || context.contains("uncefact.org/untp/")
}

/// Why a UNTP credential could not be written or read.
#[derive(Debug, thiserror::Error)]
pub enum UntpError {
    /// Our certificate is not of a type UNTP export covers.
    #[error(
        "only a certificate of origin or a mineral product passport exports as UNTP; this one is {0}"
    )]
    Unsupported(String),
    /// A required member is missing.
    #[error("{0} is missing")]
    Missing(&'static str),
}

fn copy(from: &Value, key: &str, to: &mut Map<String, Value>, as_key: &str) {
    if let Some(value) = from.get(key).filter(|v| !v.is_null()) {
        to.insert(as_key.to_owned(), value.clone());
    }
}

fn hs_category(hs: Option<&str>) -> Value {
    hs.map_or(Value::Null, |code| json!([{"code": code, "schemeID": HS_SCHEME}]))
}

/// Our certificate of origin or mineral product passport as a UNTP credential.
///
/// # Errors
/// Another type, or no `id` or `credentialSubject`.
pub fn export(cert: &Value) -> Result<Value, UntpError> {
    let types = cert.get("type").and_then(Value::as_array).map(Vec::as_slice).unwrap_or_default();
    let doc_type = DocumentType::from_credential_types(types);
    let id = string_at(cert, &["id"]).ok_or(UntpError::Missing("id"))?;
    let subject = cert.get("credentialSubject").ok_or(UntpError::Missing("credentialSubject"))?;
    let issuer = json!({
        "type": ["CredentialIssuer"],
        "id": string_at(cert, &["issuer", "id"]),
        "name": string_at(cert, &["issuer", "name"]),
    });
    let (context, credential_type, untp_subject) = match doc_type {
        Some(DocumentType::Origin) => {
            (DCC_CONTEXT, "DigitalConformityCredential", origin_subject(id, subject))
        }
        Some(DocumentType::Passport) => {
            (DPP_CONTEXT, "DigitalProductPassport", passport_subject(id, subject))
        }
        other => {
            return Err(UntpError::Unsupported(
                other.map_or("of no known type".to_owned(), |t| t.to_string()),
            ));
        }
    };
    let mut credential = json!({
        "@context": [VC_V2_CONTEXT, context, CARAVAN_CONTEXT],
        "type": ["VerifiableCredential", credential_type],
        "id": format!("{id}#untp"),
        "issuer": issuer,
        "credentialSubject": untp_subject,
        "relatedDocument": [{"type": ["Link"], "linkURL": id, "linkName": "signed Caravan certificate", "linkType": "caravan:certificate"}],
    });
    if let Some(valid_from) = cert.get("validFrom") {
        credential["validFrom"] = valid_from.clone();
    }
    Ok(credential)
}

fn origin_subject(id: &str, subject: &Value) -> Value {
    let exporter = subject.get("exporter").cloned().unwrap_or(Value::Null);
    let assessments: Vec<Value> = subject
        .get("goods")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .map(|line| {
            let mut product = Map::new();
            product.insert("type".to_owned(), json!(["Product"]));
            copy(line, "description", &mut product, "name");
            product.insert("productCategory".to_owned(), hs_category(string_at(line, &["hsCode"])));
            copy(subject, "originCountry", &mut product, "countryOfProduction");
            let mut assessed = Map::new();
            assessed.insert("product".to_owned(), Value::Object(product));
            if line.get("quantity").is_some() {
                assessed.insert("quantity".to_owned(), json!({"value": line["quantity"], "unit": line.get("unit")}));
            }
            let mut assessment = json!({
                "type": ["ConformityAssessment"],
                "conformityTopic": "governance.compliance",
                "assessmentCriteria": [{"type": ["Criterion"], "name": line.get("originCriterion")}],
                "assessedProduct": [Value::Object(assessed)],
                "conformance": true,
            });
            if let Some(invoice) = line.get("invoiceNumber") {
                assessment["reference"] = invoice.clone();
            }
            assessment
        })
        .collect();
    let mut extension = Map::new();
    for key in ["importer", "exportCountry", "importCountry", "transport"] {
        copy(subject, key, &mut extension, key);
    }
    json!({
        "type": ["ConformityAttestation"],
        "id": format!("{id}#attestation"),
        "name": "Certificate of origin",
        "attestationType": "certification",
        "scope": {"type": ["ConformityAssessmentScheme"], "name": subject.get("agreement").cloned().unwrap_or(json!("non-preferential origin"))},
        "issuedToParty": {"type": ["Party"], "id": exporter.get("id"), "name": exporter.get("name"), "registeredAddress": {"streetAddress": exporter.get("address"), "addressCountry": exporter.get("country")}},
        "assessment": assessments,
        "caravanExtension": Value::Object(extension),
    })
}

fn passport_subject(id: &str, subject: &Value) -> Value {
    let product = subject.get("product").cloned().unwrap_or(Value::Null);
    let mine = subject.get("mine").cloned().unwrap_or(Value::Null);
    let materials: Vec<Value> = subject
        .get("assay")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .map(|assay| {
            let percent = assay.get("massFractionPercent").and_then(Value::as_f64).unwrap_or(0.0);
            let mut material = json!({"type": ["Material"], "name": assay.get("element"), "originCountry": mine.get("country"), "massFraction": percent / 100.0});
            if let Some(method) = assay.get("method") {
                material["assayMethod"] = method.clone();
            }
            material
        })
        .collect();
    let claims: Vec<Value> = subject
        .get("sustainabilityClaims")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .map(|claim| {
            let mut out = json!({"type": ["Claim"], "topic": claim.get("topic"), "description": claim.get("claim"), "conformance": true});
            if let Some(standard) = claim.get("standard") {
                out["referenceStandard"] = json!({"type": ["Standard"], "name": standard});
            }
            if let Some(value) = claim.get("value") {
                out["declaredValue"] = json!([{"type": ["Metric"], "metricName": claim.get("topic"), "metricValue": {"value": value, "unit": claim.get("unit")}}]);
            }
            out
        })
        .collect();
    let mut extension = Map::new();
    for key in ["smelter", "massKg", "importCountry"] {
        copy(subject, key, &mut extension, key);
    }
    let mut res = json!({
        "type": ["Product"],
        "id": format!("{id}#product"),
        "name": product.get("name"),
        "productCategory": hs_category(string_at(&product, &["hsCode"])),
        "countryOfProduction": mine.get("country"),
        "producedAtFacility": {"type": ["Facility"], "name": mine.get("name"), "address": {"addressCountry": mine.get("country")}, "description": mine.get("location")},
        "materialsProvenance": materials,
        "conformityClaim": claims,
        "caravanExtension": Value::Object(extension),
    });
    if let Some(batch) = product.get("batchId") {
        res["batchNumber"] = batch.clone();
    }
    res
}

fn put(map: &mut Map<String, Value>, key: &str, value: Option<&Value>) {
    if let Some(value) = value.filter(|v| !v.is_null()) {
        map.insert(key.to_owned(), value.clone());
    }
}

/// Reads a UNTP credential back into our subject shape: `(document type, subject)`.
///
/// # Errors
/// Neither a Digital Conformity Credential of origin nor a Digital Product Passport.
pub fn read(credential: &Value) -> Result<(DocumentType, Value), UntpError> {
    let types: Vec<&str> = credential
        .get("type")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .collect();
    let subject =
        credential.get("credentialSubject").ok_or(UntpError::Missing("credentialSubject"))?;
    let extension = subject.get("caravanExtension").cloned().unwrap_or(json!({}));
    let mut out = Map::new();
    if types.contains(&"DigitalConformityCredential") {
        let party = subject.get("issuedToParty").cloned().unwrap_or(Value::Null);
        let mut exporter = Map::new();
        put(&mut exporter, "name", party.get("name"));
        put(&mut exporter, "country", party.pointer("/registeredAddress/addressCountry"));
        put(&mut exporter, "id", party.get("id"));
        put(&mut exporter, "address", party.pointer("/registeredAddress/streetAddress"));
        out.insert("exporter".to_owned(), Value::Object(exporter));
        for key in ["importer", "exportCountry", "importCountry"] {
            put(&mut out, key, extension.get(key));
        }
        let mut goods = Vec::new();
        let mut origin = None;
        for assessment in subject.get("assessment").and_then(Value::as_array).into_iter().flatten()
        {
            let assessed = assessment.pointer("/assessedProduct/0").cloned().unwrap_or(Value::Null);
            let product = assessed.get("product").cloned().unwrap_or(Value::Null);
            origin = origin.or_else(|| product.get("countryOfProduction").cloned());
            let mut line = Map::new();
            put(&mut line, "description", product.get("name"));
            put(&mut line, "hsCode", product.pointer("/productCategory/0/code"));
            put(&mut line, "originCriterion", assessment.pointer("/assessmentCriteria/0/name"));
            put(&mut line, "quantity", assessed.pointer("/quantity/value"));
            put(&mut line, "unit", assessed.pointer("/quantity/unit"));
            put(&mut line, "invoiceNumber", assessment.get("reference"));
            goods.push(Value::Object(line));
        }
        put(&mut out, "originCountry", origin.as_ref());
        out.insert("goods".to_owned(), Value::Array(goods));
        if let Some(scheme) =
            subject.pointer("/scope/name").filter(|s| s.as_str() != Some("non-preferential origin"))
        {
            out.insert("agreement".to_owned(), scheme.clone());
        }
        put(&mut out, "transport", extension.get("transport"));
        return Ok((DocumentType::Origin, Value::Object(out)));
    }
    if types.contains(&"DigitalProductPassport") {
        let mut product = Map::new();
        put(&mut product, "name", subject.get("name"));
        put(&mut product, "hsCode", subject.pointer("/productCategory/0/code"));
        put(&mut product, "batchId", subject.get("batchNumber"));
        out.insert("product".to_owned(), Value::Object(product));
        let mut mine = Map::new();
        put(&mut mine, "name", subject.pointer("/producedAtFacility/name"));
        put(&mut mine, "country", subject.get("countryOfProduction"));
        put(&mut mine, "location", subject.pointer("/producedAtFacility/description"));
        out.insert("mine".to_owned(), Value::Object(mine));
        put(&mut out, "smelter", extension.get("smelter"));
        put(&mut out, "massKg", extension.get("massKg"));
        let assay: Vec<Value> = subject
            .get("materialsProvenance")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .map(|material| {
                let mut line = Map::new();
                put(&mut line, "element", material.get("name"));
                if let Some(fraction) = material.get("massFraction").and_then(Value::as_f64) {
                    // Percent back from the fraction, rounded to 9 decimals so that x / 100 * 100
                    // gives back x's shortest form.
                    let percent: f64 =
                        format!("{:.9}", fraction * 100.0).parse().unwrap_or(fraction * 100.0);
                    line.insert("massFractionPercent".to_owned(), number(percent));
                }
                put(&mut line, "method", material.get("assayMethod"));
                Value::Object(line)
            })
            .collect();
        out.insert("assay".to_owned(), Value::Array(assay));
        let claims: Vec<Value> = subject
            .get("conformityClaim")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .map(|claim| {
                let mut line = Map::new();
                put(&mut line, "topic", claim.get("topic"));
                put(&mut line, "claim", claim.get("description"));
                put(&mut line, "standard", claim.pointer("/referenceStandard/name"));
                put(&mut line, "value", claim.pointer("/declaredValue/0/metricValue/value"));
                put(&mut line, "unit", claim.pointer("/declaredValue/0/metricValue/unit"));
                Value::Object(line)
            })
            .collect();
        if !claims.is_empty() {
            out.insert("sustainabilityClaims".to_owned(), Value::Array(claims));
        }
        put(&mut out, "importCountry", extension.get("importCountry"));
        return Ok((DocumentType::Passport, Value::Object(out)));
    }
    Err(UntpError::Unsupported(format!("a credential of type {types:?}")))
}

fn number(x: f64) -> Value {
    if x.fract() == 0.0 && x.abs() < 9e15 {
        json!(x as i64)
    } else {
        serde_json::Number::from_f64(x).map_or(Value::Null, Value::Number)
    }
}

/// The verdict on a UNTP credential: its structure, its schema, its proof, the issuer's
/// identity and its revocation, each checked offline or said not to be.
///
/// An embedded Data Integrity proof is verified when it is `eddsa-jcs-2022` and its key a
/// `did:key`; `eddsa-rdfc-2022`, and keys in a DID document, are not checked offline (see
/// [`crate::data_integrity`]).
///
/// An enveloped credential (`EnvelopedVerifiableCredential`, VC-JOSE-COSE: the credential is
/// the payload of a JWS in a `data:application/vc+jwt,` URL, as UNTP's reference tools issue
/// it) is opened and its EdDSA signature checked against the key its `kid` names in hex (the
/// VCKit convention): that shows whether the credential was changed after signing. That this
/// key is the issuer's needs the issuer's DID document, so `identity` is not checked offline.
///
/// No UNTP JSON Schema is at hand here, so `schema` is not checked: see [`verify_with`].
pub fn verify(credential: &Value) -> Verdict {
    verify_with(credential, &UntpSchemas::default())
}

/// [`verify`], and the credential (an enveloped one's payload) against the UNTP JSON Schema of
/// its type and version among `schemas` (the `schema` check). An embedded Data Integrity proof
/// is verified when it is `eddsa-jcs-2022` under a `did:key` (see [`crate::data_integrity`]).
pub fn verify_with(credential: &Value, schemas: &UntpSchemas) -> Verdict {
    if credential.get("type").and_then(Value::as_str) == Some(ENVELOPED_TYPE)
        || string_at(credential, &["id"]).is_some_and(|id| id.starts_with("data:application/vc"))
    {
        return verify_enveloped(credential, schemas);
    }
    let mut verdict = Verdict::new("untp");
    verdict.document_id = string_at(credential, &["id"]).map(str::to_owned);
    verdict.issuer = issuer_of(credential);
    check_structure(&mut verdict, credential);
    schema::check_schema(&mut verdict, credential, schemas);
    match data_integrity::verify_proofs(credential) {
        Some(proofs) => check_embedded_proofs(&mut verdict, credential, &proofs),
        None => {
            let original = credential.pointer("/relatedDocument/0/linkURL").and_then(Value::as_str);
            match original {
                Some(id) => verdict.not_checked_why("signature", Why::UntpUnsignedView, &[id]),
                None => verdict.not_checked_why("signature", Why::UntpNoProof, &[]),
            }
        }
    }
    check_status(&mut verdict, credential);
    verdict
}

/// The `type` of a VC-JOSE-COSE enveloped credential.
pub const ENVELOPED_TYPE: &str = "EnvelopedVerifiableCredential";

fn issuer_of(credential: &Value) -> Option<String> {
    string_at(credential, &["issuer", "name"])
        .or_else(|| string_at(credential, &["issuer", "id"]))
        .or_else(|| string_at(credential, &["issuer"]))
        .map(str::to_owned)
}

fn check_structure(verdict: &mut Verdict, credential: &Value) {
    match read(credential) {
        Ok((doc_type, _)) => {
            verdict.valid_why("structure", Why::UntpRead, &[&doc_type.to_string()])
        }
        Err(err) => {
            let types = credential.get("type").map(Value::to_string).unwrap_or_default();
            if credential.get("credentialSubject").is_some() {
                verdict.valid("structure", format!("a VC 2.0 credential with a UNTP context, of type {types} (not mapped to ours: {err})"));
            } else {
                verdict.invalid("structure", err.to_string());
            }
        }
    }
}

fn check_status(verdict: &mut Verdict, credential: &Value) {
    if let Some(status) = credential.get("credentialStatus") {
        let list = status
            .get("statusListCredential")
            .or_else(|| status.pointer("/0/statusListCredential"))
            .and_then(Value::as_str);
        match list {
            Some(list) => verdict.not_checked_why("revocation", Why::UntpStatusList, &[list]),
            None => verdict.not_checked_why("revocation", Why::UntpStatusListUnnamed, &[]),
        }
    }
}

/// A JWS in compact form, decoded: its header and payload as JSON, the signed bytes and the
/// signature.
struct Jws {
    header: Value,
    payload: Value,
    signing_input: String,
    signature: Vec<u8>,
}

fn decode_jws(compact: &str) -> Result<Jws, String> {
    use base64::Engine as _;
    let engine = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let parts: Vec<&str> = compact.split('.').collect();
    let [header, payload, signature] = parts.as_slice() else {
        return Err(format!("a JWS has 3 parts separated by '.', this one has {}", parts.len()));
    };
    let json = |part: &str, what: &str| -> Result<Value, String> {
        let bytes =
            engine.decode(part).map_err(|e| format!("the JWS {what} is not base64url: {e}"))?;
        serde_json::from_slice(&bytes).map_err(|e| format!("the JWS {what} is not JSON: {e}"))
    };
    Ok(Jws {
        header: json(header, "header")?,
        payload: json(payload, "payload")?,
        signing_input: format!("{header}.{payload}"),
        signature: engine
            .decode(signature)
            .map_err(|e| format!("the JWS signature is not base64url: {e}"))?,
    })
}

/// The Ed25519 key a `kid` names in hex after its `#`, as VCKit writes it
/// (`did:web:…#<64 hex digits>-JsonWebKey-key-0`).
fn key_in_kid(kid: &str) -> Option<[u8; 32]> {
    let fragment = kid.split_once('#')?.1;
    let hex_key = fragment.get(..64)?;
    let mut key = [0u8; 32];
    hex::decode_to_slice(hex_key, &mut key).ok()?;
    Some(key)
}

/// The `signature` and `identity` checks of a credential's embedded proofs. Every proof must
/// hold; the issuer's identity is settled offline only when a proof by the issuer verified
/// under a `did:key` the issuer is (a did:key's DID document is derived from the key itself).
fn check_embedded_proofs(verdict: &mut Verdict, credential: &Value, proofs: &[CheckedProof]) {
    let n_proofs = proofs.len();
    let numbered = |idx: usize, text: &str| {
        if n_proofs == 1 { text.to_owned() } else { format!("proof {}: {text}", idx + 1) }
    };
    // The texts of the proofs whose outcome `pick` accepts, numbered when there are several.
    let texts = |pick: fn(&ProofOutcome) -> Option<&str>| -> Vec<String> {
        let picked =
            proofs.iter().enumerate().filter_map(|(idx, p)| Some((idx, pick(&p.outcome)?)));
        picked.map(|(idx, text)| numbered(idx, text)).collect()
    };
    let invalid =
        texts(|o| if let ProofOutcome::Invalid(reason) = o { Some(reason.as_str()) } else { None });
    let not_checked =
        texts(|o| if let ProofOutcome::NotChecked(why) = o { Some(why.as_str()) } else { None });
    // One proof whose outcome has a fixed explanation: that explanation, with its code.
    let single = match proofs {
        [proof] => proof.reason.clone().map(|reason| (proof.outcome.clone(), reason)),
        _ => None,
    };
    if let Some((outcome, reason)) = single {
        let outcome = match outcome {
            ProofOutcome::Valid { .. } => Outcome::Valid(reason.english()),
            ProofOutcome::Invalid(_) => Outcome::Invalid(reason.english()),
            ProofOutcome::NotChecked(_) => Outcome::NotChecked(reason.english()),
        };
        verdict.push_reason("signature", outcome, reason);
    } else if !invalid.is_empty() {
        verdict.invalid("signature", invalid.join("; "));
    } else if !not_checked.is_empty() {
        verdict.not_checked("signature", not_checked.join("; "));
    } else {
        let details = texts(|o| {
            if let ProofOutcome::Valid { detail } = o { Some(detail.as_str()) } else { None }
        });
        verdict.valid("signature", details.join("; "));
    }
    let issuer_id =
        string_at(credential, &["issuer", "id"]).or_else(|| string_at(credential, &["issuer"]));
    let Some(issuer) = issuer_id else {
        verdict.invalid_why("identity", Why::UntpNoIssuer, &[]);
        return;
    };
    let by_issuer: Vec<&CheckedProof> =
        proofs.iter().filter(|p| p.controller.as_deref() == Some(issuer)).collect();
    if by_issuer.is_empty() {
        let signers: Vec<&str> = proofs.iter().filter_map(|p| p.controller.as_deref()).collect();
        verdict.invalid(
            "identity",
            format!(
                "no proof is by the issuer {issuer}: signed by {}",
                if signers.is_empty() { "no named key".to_owned() } else { signers.join(", ") }
            ),
        );
    } else if by_issuer
        .iter()
        .any(|p| p.self_certifying() && matches!(p.outcome, ProofOutcome::Valid { .. }))
    {
        verdict.valid_why("identity", Why::UntpIssuerIsDidKey, &[issuer]);
    } else if by_issuer.iter().all(|p| matches!(p.outcome, ProofOutcome::Invalid(_))) {
        verdict.not_checked_why("identity", Why::UntpIssuerProofFails, &[]);
    } else {
        verdict.not_checked_why("identity", Why::UntpNeedsDidDocument, &[issuer]);
    }
}

fn verify_enveloped(envelope: &Value, schemas: &UntpSchemas) -> Verdict {
    let mut verdict = Verdict::new("untp");
    let id = string_at(envelope, &["id"]).unwrap_or_default();
    let Some((media_type, compact)) =
        id.strip_prefix("data:").and_then(|rest| rest.split_once(','))
    else {
        verdict.invalid(
            "well-formed",
            "an EnvelopedVerifiableCredential's id must be a data: URL holding the credential",
        );
        return verdict;
    };
    if !matches!(media_type, "application/vc+jwt" | "application/vc-ld+jwt") {
        verdict.invalid(
            "well-formed",
            format!("enveloped as {media_type}; application/vc+jwt is read"),
        );
        return verdict;
    }
    let jws = match decode_jws(compact) {
        Ok(jws) => jws,
        Err(reason) => {
            verdict.invalid("well-formed", reason);
            return verdict;
        }
    };
    let credential = &jws.payload;
    verdict.document_id = string_at(credential, &["id"]).map(str::to_owned);
    verdict.issuer = issuer_of(credential);
    verdict.valid_why("well-formed", Why::UntpVcJwt, &[media_type]);
    check_structure(&mut verdict, credential);
    schema::check_schema(&mut verdict, credential, schemas);

    let alg = string_at(&jws.header, &["alg"]).unwrap_or("none");
    let kid = string_at(&jws.header, &["kid"]).unwrap_or_default();
    let key = key_in_kid(kid);
    match (alg, key) {
        ("EdDSA", Some(key)) => {
            let res = caravan_docsign::sig::verify(
                caravan_docsign::sig::Algorithm::Ed25519,
                &key,
                jws.signing_input.as_bytes(),
                &jws.signature,
                "",
            );
            match res {
                Ok(()) => verdict.valid_why("signature", Why::UntpJwsValid, &[&hex::encode(key)]),
                Err(err) => verdict.invalid(
                    "signature",
                    format!("the EdDSA JWS does not verify under the key its kid names ({err}): the credential was changed after signing, or signed with another key"),
                ),
            }
        }
        ("EdDSA", None) => {
            verdict.not_checked_why("signature", Why::UntpKidNotGiven, &[&format!("{kid:?}")]);
        }
        (other, _) => verdict.not_checked_why("signature", Why::UntpJwsAlgorithm, &[other]),
    }
    let signer = kid.split_once('#').map_or(kid, |(did, _)| did);
    let issuer_id =
        string_at(credential, &["issuer", "id"]).or_else(|| string_at(credential, &["issuer"]));
    match issuer_id {
        Some(issuer) if !signer.is_empty() && issuer != signer => {
            verdict.invalid_why("identity", Why::UntpSignerNotIssuer, &[signer, issuer]);
        }
        Some(issuer) => verdict.not_checked_why("identity", Why::UntpNeedsDidDocument, &[issuer]),
        None => verdict.invalid_why("identity", Why::UntpNoIssuer, &[]),
    }
    check_status(&mut verdict, credential);
    verdict
}

#[cfg(test)]
mod tests;
