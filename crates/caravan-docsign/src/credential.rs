//! Trade certificates as W3C Verifiable Credentials Data Model 2.0 documents, shaped after the
//! UN/CEFACT UN Transparency Protocol (UNTP) credentials: a certificate of origin and a
//! phytosanitary certificate as conformity credentials, and a product passport for a mineral
//! consignment.
//!
//! Each document type has a subject specification ([`DocumentType::subject_fields`]) from
//! which both the published JSON Schema ([`json_schema`]) and the validator
//! ([`validate_subject`]) are derived, so the two cannot disagree. Validation reports every
//! problem with its JSON path.

use std::fmt;
use std::fmt::Write as _;

use caravan_types::{CountryCode, HsCode};
use serde_json::{Map, Value, json};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

/// VC Data Model 2.0 §4.3: the first `@context` entry of every credential.
pub const VC_V2_CONTEXT: &str = "https://www.w3.org/ns/credentials/v2";
/// Our context for the trade terms used in `credentialSubject`.
pub const CARAVAN_CONTEXT: &str = "https://caravan.example/contexts/trade/v1";
/// Where the server publishes the JSON Schemas (`{base}/{document type}.json`).
pub const SCHEMA_BASE: &str = "https://caravan.example/schemas/v1";

/// Top-level members a certificate may carry. VC 2.0 lets credentials add members, but a
/// verifier that cannot know what an unknown member means must not accept it silently (the
/// issue's "unknown critical fields"), so anything else is refused.
pub const ALLOWED_TOP_LEVEL: &[&str] = &[
    "@context",
    "id",
    "type",
    "name",
    "description",
    "issuer",
    "validFrom",
    "validUntil",
    "credentialSubject",
    "credentialSchema",
    "credentialStatus",
    "proof",
];

/// The kind of certificate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum DocumentType {
    /// Certificate of origin (UNTP Digital Conformity Credential for an origin criterion).
    Origin,
    /// Phytosanitary certificate (IPPC model certificate content as a conformity credential).
    Phyto,
    /// Digital product passport of a mineral consignment (UNTP Digital Product Passport).
    Passport,
}

impl DocumentType {
    /// All types.
    pub const ALL: [Self; 3] = [Self::Origin, Self::Phyto, Self::Passport];

    /// The short name used on the command line and in trust lists.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Origin => "origin",
            Self::Phyto => "phyto",
            Self::Passport => "passport",
        }
    }

    /// Parses a short name.
    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|t| t.as_str() == text)
    }

    /// The credential `type` values after `VerifiableCredential`: the UNTP credential type,
    /// then ours.
    pub fn credential_types(self) -> [&'static str; 2] {
        match self {
            Self::Origin => ["DigitalConformityCredential", "CertificateOfOrigin"],
            Self::Phyto => ["DigitalConformityCredential", "PhytosanitaryCertificate"],
            Self::Passport => ["DigitalProductPassport", "MineralProductPassport"],
        }
    }

    /// The type from a credential's `type` array.
    pub fn from_credential_types(types: &[Value]) -> Option<Self> {
        Self::ALL
            .into_iter()
            .find(|t| types.iter().any(|v| v.as_str() == Some(t.credential_types()[1])))
    }

    /// Where in `credentialSubject` the country that issues this type of certificate is: the
    /// exporting country for origin and phytosanitary certificates, the country of the mine
    /// for a mineral passport.
    pub fn issuing_country_path(self) -> &'static [&'static str] {
        match self {
            Self::Origin => &["exportCountry"],
            Self::Phyto => &["exportCountry"],
            Self::Passport => &["mine", "country"],
        }
    }

    /// The fields of `credentialSubject`.
    pub fn subject_fields(self) -> &'static [Field] {
        match self {
            Self::Origin => ORIGIN_FIELDS,
            Self::Phyto => PHYTO_FIELDS,
            Self::Passport => PASSPORT_FIELDS,
        }
    }
}

impl fmt::Display for DocumentType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What a field holds.
#[derive(Debug, Clone, Copy)]
pub enum Kind {
    /// Non-empty text.
    Text,
    /// ISO 3166-1 alpha-2 code ([`CountryCode`]).
    Country,
    /// Harmonized System code of 2–10 digits ([`HsCode`]).
    Hs,
    /// A non-negative number.
    Quantity,
    /// An RFC 3339 date-time.
    DateTime,
    /// An object with the given fields.
    Object(&'static [Field]),
    /// A non-empty array of objects with the given fields.
    List(&'static [Field]),
    /// A non-empty array of text.
    TextList,
}

/// One member of a subject object.
#[derive(Debug, Clone, Copy)]
pub struct Field {
    /// Member name.
    pub name: &'static str,
    /// What it holds.
    pub kind: Kind,
    /// Whether it must be present.
    pub required: bool,
    /// One line for the schema's `description`.
    pub description: &'static str,
}

const fn req(name: &'static str, kind: Kind, description: &'static str) -> Field {
    Field { name, kind, required: true, description }
}

const fn opt(name: &'static str, kind: Kind, description: &'static str) -> Field {
    Field { name, kind, required: false, description }
}

const PARTY: &[Field] = &[
    req("name", Kind::Text, "registered name"),
    req("country", Kind::Country, "country of the registered address"),
    opt("id", Kind::Text, "business identifier (e.g. tax or EORI-like number)"),
    opt("address", Kind::Text, "postal address"),
];

const ORIGIN_GOODS: &[Field] = &[
    req("description", Kind::Text, "commercial description of the goods"),
    req("hsCode", Kind::Hs, "HS code, 6 digits or a national line"),
    req("originCriterion", Kind::Text, "origin criterion met (e.g. WO, CTH, RVC40)"),
    opt("quantity", Kind::Quantity, "quantity in the unit given"),
    opt("unit", Kind::Text, "UN/ECE Rec 20 unit code"),
    opt("invoiceNumber", Kind::Text, "commercial invoice number"),
];

const ORIGIN_FIELDS: &[Field] = &[
    req("exporter", Kind::Object(PARTY), "exporter (consignor)"),
    req("importer", Kind::Object(PARTY), "importer (consignee)"),
    req("exportCountry", Kind::Country, "country issuing the certificate"),
    req("importCountry", Kind::Country, "country of destination"),
    req("originCountry", Kind::Country, "country of origin of the goods"),
    req("goods", Kind::List(ORIGIN_GOODS), "consignment lines"),
    opt("agreement", Kind::Text, "preferential agreement, if any"),
    opt("transport", Kind::Text, "means of transport and route"),
];

const PHYTO_COMMODITIES: &[Field] = &[
    req("description", Kind::Text, "description of the plants or plant products"),
    req("botanicalName", Kind::Text, "botanical name"),
    req("quantity", Kind::Quantity, "quantity declared"),
    req("unit", Kind::Text, "UN/ECE Rec 20 unit code"),
    opt("hsCode", Kind::Hs, "HS code"),
    opt("placeOfOrigin", Kind::Text, "place of origin"),
];

const PHYTO_FIELDS: &[Field] = &[
    req("consignor", Kind::Object(PARTY), "exporter"),
    req("consignee", Kind::Object(PARTY), "importer"),
    req("exportCountry", Kind::Country, "country of the issuing plant-protection organisation"),
    req("importCountry", Kind::Country, "importing country"),
    req("commodities", Kind::List(PHYTO_COMMODITIES), "consignment"),
    req("inspectionDate", Kind::DateTime, "date of inspection"),
    opt("additionalDeclarations", Kind::TextList, "additional declarations"),
    opt("treatment", Kind::Text, "disinfestation or disinfection treatment"),
    opt("pointOfEntry", Kind::Text, "declared point of entry"),
];

const MINE: &[Field] = &[
    req("name", Kind::Text, "mine or concession name"),
    req("country", Kind::Country, "country of the mine"),
    opt("location", Kind::Text, "coordinates or region"),
];

const FACILITY: &[Field] = &[
    req("name", Kind::Text, "facility name"),
    req("country", Kind::Country, "country of the facility"),
];

const ASSAY: &[Field] = &[
    req("element", Kind::Text, "element or compound"),
    req("massFractionPercent", Kind::Quantity, "mass fraction in percent"),
    opt("method", Kind::Text, "assay method"),
];

const CLAIMS: &[Field] = &[
    req("topic", Kind::Text, "sustainability topic (e.g. emissions, water, labour)"),
    req("claim", Kind::Text, "what is claimed"),
    opt("standard", Kind::Text, "standard or criterion the claim is measured against"),
    opt("value", Kind::Quantity, "measured value"),
    opt("unit", Kind::Text, "unit of the value"),
];

const PRODUCT: &[Field] = &[
    req("name", Kind::Text, "product name (e.g. copper cathodes, grade A)"),
    req("hsCode", Kind::Hs, "HS code"),
    opt("batchId", Kind::Text, "batch or lot identifier"),
];

const PASSPORT_FIELDS: &[Field] = &[
    req("product", Kind::Object(PRODUCT), "the product"),
    req("mine", Kind::Object(MINE), "mine of extraction"),
    opt("smelter", Kind::Object(FACILITY), "smelter or refinery"),
    req("massKg", Kind::Quantity, "net mass in kilograms"),
    req("assay", Kind::List(ASSAY), "composition"),
    opt("sustainabilityClaims", Kind::List(CLAIMS), "conformity and sustainability claims"),
    opt("importCountry", Kind::Country, "country of destination"),
];

/// One problem in a document, with the JSON path of the offending member.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{path}: {reason}")]
pub struct FieldError {
    /// JSON path such as `credentialSubject.goods[2].hsCode`.
    pub path: String,
    /// What is wrong, in plain words.
    pub reason: String,
}

fn field_error(path: &str, reason: impl Into<String>) -> FieldError {
    FieldError { path: path.to_owned(), reason: reason.into() }
}

/// Checks `subject` against the specification of `doc_type`, reporting every problem. Members
/// not in the specification are refused (the schema says `additionalProperties: false`).
pub fn validate_subject(doc_type: DocumentType, subject: &Value) -> Vec<FieldError> {
    let mut errors = Vec::new();
    check_object(
        doc_type.subject_fields(),
        subject,
        &mut "credentialSubject".to_owned(),
        &mut errors,
    );
    errors
}

fn check_object(fields: &[Field], value: &Value, path: &mut String, errors: &mut Vec<FieldError>) {
    let Some(members) = value.as_object() else {
        errors.push(field_error(path, "must be an object"));
        return;
    };
    // `path` is one buffer extended and cut back per member, so valid documents cost no
    // allocation for paths.
    let len = path.len();
    for field in fields {
        path.push('.');
        path.push_str(field.name);
        match members.get(field.name) {
            None if field.required => errors.push(field_error(path, "is required")),
            None => {}
            Some(item) => check_kind(field.kind, item, path, errors),
        }
        path.truncate(len);
    }
    for name in members.keys() {
        // `id` and `type` are JSON-LD members any VC node may carry.
        if name != "id" && name != "type" && !fields.iter().any(|f| f.name == name) {
            errors.push(field_error(&format!("{path}.{name}"), "is not a known member"));
        }
    }
}

fn check_kind(kind: Kind, value: &Value, path: &mut String, errors: &mut Vec<FieldError>) {
    match kind {
        Kind::Text => match value.as_str() {
            Some(text) if !text.trim().is_empty() => {}
            _ => errors.push(field_error(path, "must be non-empty text")),
        },
        Kind::Country => match value.as_str().map(CountryCode::parse) {
            Some(Ok(code)) if code.as_str() == value.as_str().unwrap_or_default() => {}
            _ => errors.push(field_error(
                path,
                format!("must be an ISO 3166-1 alpha-2 code such as KZ, got {value}"),
            )),
        },
        Kind::Hs => match value.as_str().map(HsCode::parse) {
            Some(Ok(_)) => {}
            _ => errors.push(field_error(
                path,
                format!("must be an HS code of 2 to 10 digits as text, got {value}"),
            )),
        },
        Kind::Quantity => match value.as_f64() {
            Some(number) if number >= 0.0 => {}
            _ => errors
                .push(field_error(path, format!("must be a non-negative number, got {value}"))),
        },
        Kind::DateTime => match value.as_str().map(|t| OffsetDateTime::parse(t, &Rfc3339)) {
            Some(Ok(_)) => {}
            _ => errors
                .push(field_error(path, format!("must be an RFC 3339 date-time, got {value}"))),
        },
        Kind::Object(fields) => check_object(fields, value, path, errors),
        Kind::List(_) | Kind::TextList if value.as_array().is_none_or(|items| items.is_empty()) => {
            errors.push(field_error(path, "must be a non-empty array"));
        }
        Kind::List(fields) => {
            for (idx, item) in value.as_array().into_iter().flatten().enumerate() {
                let len = path.len();
                let _ = write!(path, "[{idx}]");
                check_object(fields, item, path, errors);
                path.truncate(len);
            }
        }
        Kind::TextList => {
            for (idx, item) in value.as_array().into_iter().flatten().enumerate() {
                let len = path.len();
                let _ = write!(path, "[{idx}]");
                check_kind(Kind::Text, item, path, errors);
                path.truncate(len);
            }
        }
    }
}

/// The JSON Schema (draft 2020-12) of a whole certificate of `doc_type`, as the server
/// publishes it at `{SCHEMA_BASE}/{type}.json`.
pub fn json_schema(doc_type: DocumentType) -> Value {
    let [untp_type, our_type] = doc_type.credential_types();
    json!({
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": schema_id(doc_type),
        "title": our_type,
        "description": format!("W3C VC 2.0 {our_type} shaped after the UNTP {untp_type}"),
        "type": "object",
        "required": ["@context", "type", "issuer", "validFrom", "credentialSubject"],
        "additionalProperties": false,
        "properties": {
            "@context": {"type": "array", "prefixItems": [{"const": VC_V2_CONTEXT}], "minItems": 1},
            "id": {"type": "string"},
            "type": {"type": "array", "allOf": [
                {"contains": {"const": "VerifiableCredential"}},
                {"contains": {"const": untp_type}},
                {"contains": {"const": our_type}}
            ]},
            "name": {"type": "string"},
            "description": {"type": "string"},
            "issuer": {"type": "object", "required": ["id", "name", "country"], "properties": {
                "id": {"type": "string"}, "name": {"type": "string"},
                "country": {"type": "string", "pattern": "^[A-Z]{2}$"}
            }},
            "validFrom": {"type": "string", "format": "date-time"},
            "validUntil": {"type": "string", "format": "date-time"},
            "credentialSchema": {"type": "object"},
            "credentialStatus": {"type": "object"},
            "credentialSubject": object_schema(doc_type.subject_fields()),
            "proof": {"type": "array"}
        }
    })
}

/// The `$id` of the schema of `doc_type`.
pub fn schema_id(doc_type: DocumentType) -> String {
    format!("{SCHEMA_BASE}/{}.json", doc_type.as_str())
}

fn object_schema(fields: &[Field]) -> Value {
    let mut properties = Map::new();
    properties.insert("id".to_owned(), json!({"type": "string"}));
    properties.insert("type".to_owned(), json!({}));
    for field in fields {
        let mut schema = kind_schema(field.kind);
        if let Some(object) = schema.as_object_mut() {
            object.insert("description".to_owned(), Value::from(field.description));
        }
        properties.insert(field.name.to_owned(), schema);
    }
    let required: Vec<&str> = fields.iter().filter(|f| f.required).map(|f| f.name).collect();
    json!({"type": "object", "required": required, "additionalProperties": false, "properties": properties})
}

fn kind_schema(kind: Kind) -> Value {
    match kind {
        Kind::Text => json!({"type": "string", "minLength": 1}),
        Kind::Country => json!({"type": "string", "pattern": "^[A-Z]{2}$"}),
        Kind::Hs => json!({"type": "string", "pattern": "^([0-9]{2}){1,5}$"}),
        Kind::Quantity => json!({"type": "number", "minimum": 0}),
        Kind::DateTime => json!({"type": "string", "format": "date-time"}),
        Kind::Object(fields) => object_schema(fields),
        Kind::List(fields) => {
            json!({"type": "array", "minItems": 1, "items": object_schema(fields)})
        }
        Kind::TextList => {
            json!({"type": "array", "minItems": 1, "items": {"type": "string", "minLength": 1}})
        }
    }
}

/// Who issues: the authority's identifier (a DID or URN, matched against the trust list), its
/// name and country.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Issuer {
    /// Identifier, e.g. `did:web:chamber.kz` or `urn:caravan:authority:kz-chamber`.
    pub id: String,
    /// Display name.
    pub name: String,
    /// Country of the authority.
    pub country: CountryCode,
}

/// Builds an unsigned certificate of `doc_type` (VC 2.0 §4) around `subject`.
///
/// # Errors
/// Every problem of the subject, as [`FieldError`]s with paths.
pub fn build_credential(
    doc_type: DocumentType,
    subject: Value,
    issuer: &Issuer,
    credential_id: &str,
    valid_from: OffsetDateTime,
) -> Result<Value, Vec<FieldError>> {
    let errors = validate_subject(doc_type, &subject);
    if !errors.is_empty() {
        return Err(errors);
    }
    let [untp_type, our_type] = doc_type.credential_types();
    Ok(json!({
        "@context": [VC_V2_CONTEXT, CARAVAN_CONTEXT],
        "id": credential_id,
        "type": ["VerifiableCredential", untp_type, our_type],
        "issuer": {"id": issuer.id, "name": issuer.name, "country": issuer.country.as_str()},
        "validFrom": format_time(valid_from),
        "credentialSchema": {"id": schema_id(doc_type), "type": "JsonSchema"},
        "credentialSubject": subject,
    }))
}

/// RFC 3339 text of a time, in UTC, to whole seconds.
pub fn format_time(time: OffsetDateTime) -> String {
    let utc = time.to_offset(time::UtcOffset::UTC).replace_nanosecond(0).unwrap_or(time);
    utc.format(&Rfc3339).unwrap_or_default()
}

/// Parses RFC 3339 text.
///
/// # Errors
/// [`FieldError`] at `path` when the text is not RFC 3339.
pub fn parse_time(text: &str, path: &str) -> Result<OffsetDateTime, FieldError> {
    OffsetDateTime::parse(text, &Rfc3339)
        .map_err(|_| field_error(path, format!("must be an RFC 3339 date-time, got {text:?}")))
}

/// Checks the VC 2.0 envelope of a certificate (not its proofs) and returns its type:
/// `@context` starts with the VC 2.0 context (§4.3), `type` has `VerifiableCredential` and one
/// of ours (§4.5), `issuer` has an id, name and country (§4.7), `validFrom` is a date-time
/// (§4.9), no unknown top-level member, and the subject meets its specification.
///
/// # Errors
/// Every problem found.
pub fn validate_credential(credential: &Value) -> Result<DocumentType, Vec<FieldError>> {
    let mut errors = Vec::new();
    let Some(members) = credential.as_object() else {
        return Err(vec![field_error("$", "a certificate must be a JSON object")]);
    };
    for name in members.keys() {
        if !ALLOWED_TOP_LEVEL.contains(&name.as_str()) {
            errors.push(field_error(
                name,
                "unknown top-level member: this verifier cannot know what it means",
            ));
        }
    }
    match members.get("@context").and_then(Value::as_array) {
        Some(contexts) if contexts.first().and_then(Value::as_str) == Some(VC_V2_CONTEXT) => {}
        _ => errors.push(field_error(
            "@context",
            format!("must be an array starting with {VC_V2_CONTEXT}"),
        )),
    }
    let doc_type = match members.get("type").and_then(Value::as_array) {
        Some(types) if types.iter().any(|t| t.as_str() == Some("VerifiableCredential")) => {
            let found = DocumentType::from_credential_types(types);
            if found.is_none() {
                errors.push(field_error("type", "names none of CertificateOfOrigin, PhytosanitaryCertificate, MineralProductPassport"));
            }
            found
        }
        _ => {
            errors.push(field_error("type", "must be an array containing VerifiableCredential"));
            None
        }
    };
    match members.get("issuer") {
        Some(issuer) => check_object(PARTY_ISSUER, issuer, &mut "issuer".to_owned(), &mut errors),
        None => errors.push(field_error("issuer", "is required")),
    }
    match members.get("validFrom").and_then(Value::as_str) {
        Some(text) => {
            if let Err(err) = parse_time(text, "validFrom") {
                errors.push(err);
            }
        }
        None => errors.push(field_error("validFrom", "is required")),
    }
    if let Some(text) = members.get("validUntil") {
        match text.as_str().map(|t| parse_time(t, "validUntil")) {
            Some(Ok(_)) => {}
            _ => errors.push(field_error("validUntil", "must be an RFC 3339 date-time")),
        }
    }
    match (doc_type, members.get("credentialSubject")) {
        (Some(doc_type), Some(subject)) => errors.extend(validate_subject(doc_type, subject)),
        (_, None) => errors.push(field_error("credentialSubject", "is required")),
        (None, Some(_)) => {}
    }
    match (doc_type, errors.is_empty()) {
        (Some(doc_type), true) => Ok(doc_type),
        _ => Err(errors),
    }
}

const PARTY_ISSUER: &[Field] = &[
    req("id", Kind::Text, "authority identifier"),
    req("name", Kind::Text, "authority name"),
    req("country", Kind::Country, "authority country"),
];

/// Reads the string at `path` inside `value`.
pub fn string_at<'a>(value: &'a Value, path: &[&str]) -> Option<&'a str> {
    path.iter().try_fold(value, |node, key| node.get(key))?.as_str()
}

/// An illustrative subject of `doc_type` (made-up parties and goods, for examples, demos and
/// tests; not a real consignment).
pub fn sample_subject(doc_type: DocumentType) -> Value {
    match doc_type {
        DocumentType::Origin => json!({
            "exporter": {"name": "Almaty Agro Export LLP", "country": "KZ", "id": "KZ-BIN-123456789012"},
            "importer": {"name": "Urumqi Food Trading Co.", "country": "CN"},
            "exportCountry": "KZ",
            "importCountry": "CN",
            "originCountry": "KZ",
            "goods": [
                {"description": "Durum wheat, bulk", "hsCode": "100119", "originCriterion": "WO", "quantity": 1250.5, "unit": "TNE"},
                {"description": "Sunflower-seed oil, refined", "hsCode": "151219", "originCriterion": "CTH", "quantity": 20000, "unit": "LTR"}
            ],
            "transport": "rail, Altynkol - Khorgos"
        }),
        DocumentType::Phyto => json!({
            "consignor": {"name": "Fergana Fruit Export", "country": "UZ"},
            "consignee": {"name": "Kashgar Fresh Produce Ltd", "country": "CN"},
            "exportCountry": "UZ",
            "importCountry": "CN",
            "commodities": [
                {"description": "Fresh cherries", "botanicalName": "Prunus avium", "quantity": 18000, "unit": "KGM", "hsCode": "080929", "placeOfOrigin": "Fergana region"}
            ],
            "inspectionDate": "2026-06-01T08:00:00Z",
            "additionalDeclarations": ["The consignment is free from Rhagoletis cerasi."],
            "treatment": "cold treatment 0 C, 10 days",
            "pointOfEntry": "Irkeshtam"
        }),
        DocumentType::Passport => json!({
            "product": {"name": "Copper cathodes, grade A", "hsCode": "740311", "batchId": "KZ-BLKH-2026-0042"},
            "mine": {"name": "Kounrad open pit", "country": "KZ", "location": "Balkhash, Karaganda region"},
            "smelter": {"name": "Balkhash copper smelter", "country": "KZ"},
            "massKg": 25000,
            "assay": [
                {"element": "Cu", "massFractionPercent": 99.9935, "method": "electrogravimetry"},
                {"element": "Ag", "massFractionPercent": 0.0012}
            ],
            "sustainabilityClaims": [
                {"topic": "emissions", "claim": "cradle-to-gate carbon footprint", "standard": "ISO 14067", "value": 3.1, "unit": "t CO2e per t Cu"}
            ],
            "importCountry": "CN"
        }),
    }
}

#[cfg(test)]
mod tests;
