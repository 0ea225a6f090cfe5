//! UN/CEFACT SPSCertificate XML (D17A: `urn:un:unece:uncefact:data:standard:SPSCertificate:17`
//! with the RAM and UDT modules of version 21), the message the IPPC ePhyto Hub exchanges:
//! export of our phytosanitary certificate, import into a readable view that lists every
//! element it does not map, the verdict on a received one, and `SPSAcknowledgement` answers.
//!
//! Element names and order follow the SPSCertificate_17p0 schema module and the ePhyto sample
//! (tests/data/ephyto); codes: document type 851 (UNCL 1001, phytosanitary certificate),
//! status 70 (ePhyto: issued), note subject `ADEDL` (ePhyto additional declaration),
//! treatment characteristic `TTAI` (ePhyto treatment additional information).

use std::collections::HashSet;
use std::fmt::Write as _;

use caravan_docsign::credential::{DocumentType, string_at};
use serde_json::{Map, Value, json};

use crate::MAX_DOCUMENT_BYTES;
use crate::verdict::{Verdict, Why};
use crate::xml::{self, Element, XmlError, escape};

/// The SPSCertificate namespace (D17A, schema version 17).
pub const RSM_NS: &str = "urn:un:unece:uncefact:data:standard:SPSCertificate:17";
/// The SPSAcknowledgement namespace (D17A, schema version 17).
pub const ACK_NS: &str = "urn:un:unece:uncefact:data:standard:SPSAcknowledgement:17";
/// Reusable Aggregate Business Information Entities, version 21.
pub const RAM_NS: &str =
    "urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:21";
/// Unqualified data types, version 21.
pub const UDT_NS: &str = "urn:un:unece:uncefact:data:standard:UnqualifiedDataType:21";

/// Note subject under which we carry the inspection date (no SPS element holds it).
pub const INSPECTION_NOTE: &str = "CARAVAN-INSPECTION-DATE";

/// Why SPS XML could not be written or read.
#[derive(Debug, thiserror::Error)]
pub enum SpsError {
    /// Not XML we read.
    #[error(transparent)]
    Xml(#[from] XmlError),
    /// Too large.
    #[error("the document is {0} bytes, more than the {MAX_DOCUMENT_BYTES} bytes accepted")]
    TooLarge(usize),
    /// XML but not an SPSCertificate of the D17A namespace.
    #[error("the root element is {{{ns}}}{name}, not {{{RSM_NS}}}SPSCertificate")]
    NotSpsCertificate {
        /// Root namespace.
        ns: String,
        /// Root local name.
        name: String,
    },
    /// Our certificate is not a phytosanitary certificate.
    #[error("only a phytosanitary certificate exports as SPS XML; this one is {0}")]
    NotPhyto(String),
    /// Our certificate lacks a field the export needs.
    #[error("the certificate has no {0}")]
    Missing(&'static str),
}

// ---------------------------------------------------------------------------------------------
// Export.

struct Writer {
    out: String,
    depth: usize,
}

impl Writer {
    fn open(&mut self, name: &str) {
        let _ = writeln!(self.out, "{}<{name}>", "  ".repeat(self.depth));
        self.depth += 1;
    }
    fn close(&mut self, name: &str) {
        self.depth -= 1;
        let _ = writeln!(self.out, "{}</{name}>", "  ".repeat(self.depth));
    }
    fn leaf(&mut self, name: &str, text: &str) {
        let _ = writeln!(self.out, "{}<{name}>{}</{name}>", "  ".repeat(self.depth), escape(text));
    }
    fn leaf_attr(&mut self, name: &str, attr: &str, value: &str, text: &str) {
        let _ = writeln!(
            self.out,
            "{}<{name} {attr}=\"{}\">{}</{name}>",
            "  ".repeat(self.depth),
            escape(value),
            escape(text)
        );
    }
    fn date_time(&mut self, name: &str, text: &str) {
        self.open(name);
        self.leaf("udt:DateTimeString", text);
        self.close(name);
    }
    fn note(&mut self, name: &str, subject: &str, content: &str) {
        self.open(name);
        self.leaf("ram:Subject", subject);
        self.leaf("ram:Content", content);
        self.close(name);
    }
}

fn party(w: &mut Writer, element: &str, party: Option<&Value>) {
    let Some(party) = party else { return };
    w.open(element);
    if let Some(id) = string_at(party, &["id"]) {
        w.leaf("ram:ID", id);
    }
    if let Some(name) = string_at(party, &["name"]) {
        w.leaf("ram:Name", name);
    }
    w.open("ram:SpecifiedSPSAddress");
    if let Some(address) = string_at(party, &["address"]) {
        w.leaf("ram:LineOne", address);
    }
    if let Some(country) = string_at(party, &["country"]) {
        w.leaf("ram:CountryID", country);
    }
    w.close("ram:SpecifiedSPSAddress");
    w.close(element);
}

fn quantity_text(value: &Value) -> Option<String> {
    match value {
        Value::Number(n) => Some(n.to_string()),
        Value::String(s) => Some(s.clone()),
        _ => None,
    }
}

/// UN/ECE Recommendation 20 units of mass and of volume, which SPS carries as net weight and
/// net volume; any other unit goes to a package quantity.
const MASS_UNITS: &[&str] = &["KGM", "TNE", "GRM", "LBR", "MGM"];
const VOLUME_UNITS: &[&str] = &["MTQ", "LTR", "DMQ", "CMQ"];

/// Our phytosanitary certificate (its JSON) as SPSCertificate XML.
///
/// # Errors
/// Not a phytosanitary certificate, or without `id` or `credentialSubject`.
pub fn export_phyto(cert: &Value) -> Result<String, SpsError> {
    let types = cert.get("type").and_then(Value::as_array).map(Vec::as_slice).unwrap_or_default();
    match DocumentType::from_credential_types(types) {
        Some(DocumentType::Phyto) => {}
        other => {
            return Err(SpsError::NotPhyto(
                other.map_or("of no known type".to_owned(), |t| t.to_string()),
            ));
        }
    }
    let id = string_at(cert, &["id"]).ok_or(SpsError::Missing("id"))?;
    let subject = cert.get("credentialSubject").ok_or(SpsError::Missing("credentialSubject"))?;
    let mut w = Writer { out: String::new(), depth: 1 };
    w.out.push_str("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let _ = writeln!(
        w.out,
        "<rsm:SPSCertificate xmlns:rsm=\"{RSM_NS}\" xmlns:ram=\"{RAM_NS}\" xmlns:udt=\"{UDT_NS}\">"
    );
    w.open("rsm:SPSExchangedDocument");
    w.leaf("ram:Name", "Phytosanitary Certificate");
    w.leaf("ram:ID", id);
    w.leaf("ram:TypeCode", "851");
    w.leaf("ram:StatusCode", "70");
    if let Some(issued) = string_at(cert, &["validFrom"]) {
        w.date_time("ram:IssueDateTime", issued);
    }
    if let Some(issuer) = string_at(cert, &["issuer", "name"]) {
        w.open("ram:IssuerSPSParty");
        if let Some(issuer_id) = string_at(cert, &["issuer", "id"]) {
            w.leaf("ram:ID", issuer_id);
        }
        w.leaf("ram:Name", issuer);
        w.close("ram:IssuerSPSParty");
    }
    for declaration in
        subject.get("additionalDeclarations").and_then(Value::as_array).into_iter().flatten()
    {
        if let Some(text) = declaration.as_str() {
            w.note("ram:IncludedSPSNote", "ADEDL", text);
        }
    }
    if let Some(date) = string_at(subject, &["inspectionDate"]) {
        w.note("ram:IncludedSPSNote", INSPECTION_NOTE, date);
    }
    w.close("rsm:SPSExchangedDocument");
    w.open("rsm:SPSConsignment");
    party(&mut w, "ram:ConsignorSPSParty", subject.get("consignor"));
    party(&mut w, "ram:ConsigneeSPSParty", subject.get("consignee"));
    for (element, field) in
        [("ram:ExportSPSCountry", "exportCountry"), ("ram:ImportSPSCountry", "importCountry")]
    {
        if let Some(country) = string_at(subject, &[field]) {
            w.open(element);
            w.leaf("ram:ID", country);
            w.close(element);
        }
    }
    if let Some(entry) = string_at(subject, &["pointOfEntry"]) {
        w.open("ram:UnloadingBaseportSPSLocation");
        w.leaf("ram:Name", entry);
        w.close("ram:UnloadingBaseportSPSLocation");
    }
    w.open("ram:IncludedSPSConsignmentItem");
    let treatment = string_at(subject, &["treatment"]);
    for (idx, item) in
        subject.get("commodities").and_then(Value::as_array).into_iter().flatten().enumerate()
    {
        w.open("ram:IncludedSPSTradeLineItem");
        w.leaf("ram:SequenceNumeric", &(idx + 1).to_string());
        if let Some(description) = string_at(item, &["description"]) {
            w.leaf("ram:Description", description);
        }
        if let Some(name) = string_at(item, &["botanicalName"]) {
            w.leaf("ram:ScientificName", name);
        }
        let unit = string_at(item, &["unit"]).unwrap_or_default();
        let quantity = item.get("quantity").and_then(quantity_text);
        if let Some(quantity) = &quantity {
            if MASS_UNITS.contains(&unit) {
                w.leaf_attr("ram:NetWeightMeasure", "unitCode", unit, quantity);
            } else if VOLUME_UNITS.contains(&unit) {
                w.leaf_attr("ram:NetVolumeMeasure", "unitCode", unit, quantity);
            }
        }
        if let Some(hs) = string_at(item, &["hsCode"]) {
            w.open("ram:ApplicableSPSClassification");
            w.leaf("ram:SystemName", "HS");
            w.leaf("ram:ClassCode", hs);
            w.close("ram:ApplicableSPSClassification");
        }
        if let Some(quantity) = &quantity
            && !MASS_UNITS.contains(&unit)
            && !VOLUME_UNITS.contains(&unit)
        {
            w.open("ram:PhysicalSPSPackage");
            w.leaf("ram:LevelCode", "1");
            w.leaf_attr("ram:ItemQuantity", "unitCode", unit, quantity);
            w.close("ram:PhysicalSPSPackage");
        }
        if let Some(place) = string_at(item, &["placeOfOrigin"]) {
            w.open("ram:OriginSPSLocation");
            w.leaf("ram:Name", place);
            w.close("ram:OriginSPSLocation");
        }
        if let Some(treatment) = treatment {
            w.open("ram:AppliedSPSProcess");
            w.leaf("ram:TypeCode", "ZZZ");
            w.open("ram:ApplicableSPSProcessCharacteristic");
            w.leaf("ram:Description", "TTAI");
            w.leaf("ram:Description", treatment);
            w.close("ram:ApplicableSPSProcessCharacteristic");
            w.close("ram:AppliedSPSProcess");
        }
        w.close("ram:IncludedSPSTradeLineItem");
    }
    w.close("ram:IncludedSPSConsignmentItem");
    w.close("rsm:SPSConsignment");
    w.out.push_str("</rsm:SPSCertificate>\n");
    Ok(w.out)
}

// ---------------------------------------------------------------------------------------------
// Import.

/// What an import read: the certificate view and every element it did not map.
#[derive(Debug, Clone, PartialEq)]
pub struct SpsImport {
    /// `{id, typeCode, statusCode, issueDateTime, issuer, credentialSubject}`: the subject in
    /// the shape of our phytosanitary certificate's, with what SPS holds of it.
    pub certificate: Value,
    /// `(path, text)` of every element with content or attributes that was not mapped, in
    /// document order; long text (attachments) is shortened and its length given.
    pub unmapped: Vec<(String, String)>,
}

impl SpsImport {
    /// The view as JSON (`caravan cert import` writes it).
    pub fn to_json(&self) -> Value {
        json!({
            "format": "sps-xml",
            "certificate": self.certificate,
            "unmapped": self.unmapped.iter().map(|(path, text)| json!({"path": path, "value": text})).collect::<Vec<_>>(),
        })
    }
}

fn addr(el: &Element) -> usize {
    std::ptr::from_ref(el) as usize
}

/// Marks elements as mapped while reading them.
struct Reader {
    used: HashSet<usize>,
}

impl Reader {
    fn text<'a>(&mut self, el: &'a Element, path: &[&str]) -> Option<&'a str> {
        let mut node = el;
        for name in path {
            node = node.child(name)?;
        }
        self.used.insert(addr(node));
        let text = node.text.trim();
        (!text.is_empty()).then_some(text)
    }
    fn mark(&mut self, el: &Element) {
        self.used.insert(addr(el));
    }
}

fn parse_root(text: &str) -> Result<Element, SpsError> {
    if text.len() > MAX_DOCUMENT_BYTES {
        return Err(SpsError::TooLarge(text.len()));
    }
    let root = xml::parse(text)?;
    if root.ns != RSM_NS || root.name != "SPSCertificate" {
        return Err(SpsError::NotSpsCertificate { ns: root.ns, name: root.name });
    }
    Ok(root)
}

fn read_party(
    r: &mut Reader,
    el: Option<&Element>,
    fallback_country: Option<&str>,
) -> Option<Value> {
    let el = el?;
    r.mark(el);
    let mut party = Map::new();
    if let Some(name) = r.text(el, &["Name"]) {
        party.insert("name".to_owned(), name.into());
    }
    if let Some(id) = r.text(el, &["ID"]) {
        party.insert("id".to_owned(), id.into());
    }
    if let Some(address) = el.child("SpecifiedSPSAddress") {
        r.mark(address);
        let lines: Vec<&str> =
            ["LineOne", "LineTwo", "LineThree", "LineFour", "LineFive", "CityName"]
                .into_iter()
                .filter_map(|line| r.text(address, &[line]))
                .collect();
        if !lines.is_empty() {
            party.insert("address".to_owned(), lines.join(", ").into());
        }
        if let Some(country) = r.text(address, &["CountryID"]) {
            party.insert("country".to_owned(), country.into());
        }
    }
    if !party.contains_key("country")
        && let Some(country) = fallback_country
    {
        party.insert("country".to_owned(), country.into());
    }
    Some(Value::Object(party))
}

fn number_or_text(text: &str) -> Value {
    text.parse::<f64>()
        .ok()
        .filter(|x| x.is_finite())
        .and_then(|x| {
            if x.fract() == 0.0 && x.abs() < 9e15 {
                Some(json!(x as i64))
            } else {
                serde_json::Number::from_f64(x).map(Value::Number)
            }
        })
        .unwrap_or_else(|| Value::String(text.to_owned()))
}

fn read_item(r: &mut Reader, item: &Element) -> Value {
    r.mark(item);
    let mut line = Map::new();
    r.text(item, &["SequenceNumeric"]);
    if let Some(description) = item.child("Description") {
        r.mark(description);
        line.insert(
            "description".to_owned(),
            description.text.split_whitespace().collect::<Vec<_>>().join(" ").into(),
        );
    }
    if let Some(name) = r.text(item, &["ScientificName"]) {
        line.insert("botanicalName".to_owned(), name.into());
    }
    let measure =
        ["NetWeightMeasure", "NetVolumeMeasure"].into_iter().find_map(|name| item.child(name));
    let package =
        item.child("PhysicalSPSPackage").and_then(|p| p.child("ItemQuantity").map(|q| (p, q)));
    if let Some(measure) = measure {
        r.mark(measure);
        line.insert("quantity".to_owned(), number_or_text(measure.text.trim()));
        if let Some(unit) = measure.attr("unitCode") {
            line.insert("unit".to_owned(), unit.into());
        }
    } else if let Some((package, quantity)) = package {
        r.mark(package);
        r.mark(quantity);
        r.text(package, &["LevelCode"]);
        line.insert("quantity".to_owned(), number_or_text(quantity.text.trim()));
        if let Some(unit) = quantity.attr("unitCode") {
            line.insert("unit".to_owned(), unit.into());
        }
    }
    for class in item.children_named("ApplicableSPSClassification") {
        if class.text_at(&["SystemName"]) == Some("HS") && !line.contains_key("hsCode") {
            r.mark(class);
            r.text(class, &["SystemName"]);
            if let Some(code) = r.text(class, &["ClassCode"]) {
                line.insert("hsCode".to_owned(), code.into());
            }
        }
    }
    if let Some(place) = r.text(item, &["OriginSPSLocation", "Name"]) {
        line.insert("placeOfOrigin".to_owned(), place.into());
    }
    Value::Object(line)
}

fn read_treatment(r: &mut Reader, item: &Element) -> Option<String> {
    for process in item.children_named("AppliedSPSProcess") {
        for characteristic in process.children_named("ApplicableSPSProcessCharacteristic") {
            let descriptions: Vec<&Element> =
                characteristic.children_named("Description").collect();
            if descriptions.len() == 2 && descriptions[0].text.trim() == "TTAI" {
                if process.children.len() == 2 {
                    r.mark(process);
                    r.text(process, &["TypeCode"]);
                }
                r.mark(characteristic);
                descriptions.iter().for_each(|d| r.mark(d));
                return Some(descriptions[1].text.trim().to_owned());
            }
        }
    }
    None
}

/// Every element not marked, with content or attributes, as `(path, text)`.
fn unmapped(r: &Reader, el: &Element, path: &str, out: &mut Vec<(String, String)>) {
    let mut counts: std::collections::HashMap<&str, usize> = std::collections::HashMap::new();
    for child in &el.children {
        let n = counts.entry(child.name.as_str()).or_insert(0);
        *n += 1;
        let child_path = format!("{path}/{}[{n}]", child.name);
        if !r.used.contains(&addr(child)) || !child.children.is_empty() {
            let text = child.text.trim();
            let has_own = !text.is_empty() || !child.attrs.is_empty();
            if !r.used.contains(&addr(child)) && (has_own || child.children.is_empty()) {
                let mut shown: String = text.chars().take(120).collect();
                if text.chars().count() > 120 {
                    shown.push_str(&format!("… ({} characters)", text.chars().count()));
                }
                for (key, value) in &child.attrs {
                    shown.push_str(&format!(" @{key}={value}"));
                }
                out.push((child_path.clone(), shown.trim().to_owned()));
            }
            unmapped(r, child, &child_path, out);
        }
    }
}

/// Reads SPSCertificate XML into a certificate view; every element with content that was not
/// mapped is listed in [`SpsImport::unmapped`].
///
/// # Errors
/// Not well-formed, a DOCTYPE or non-predefined entity, too large, or not an SPSCertificate.
pub fn import(text: &str) -> Result<SpsImport, SpsError> {
    let root = parse_root(text)?;
    let mut r = Reader { used: HashSet::new() };
    let mut cert = Map::new();
    let mut subject = Map::new();
    if let Some(doc) = root.child("SPSExchangedDocument") {
        r.mark(doc);
        for (field, path) in [
            ("id", &["ID"][..]),
            ("name", &["Name"]),
            ("typeCode", &["TypeCode"]),
            ("statusCode", &["StatusCode"]),
            ("issueDateTime", &["IssueDateTime", "DateTimeString"]),
            ("issuer", &["IssuerSPSParty", "Name"]),
            ("issuerId", &["IssuerSPSParty", "ID"]),
        ] {
            if let Some(value) = r.text(doc, path) {
                cert.insert(field.to_owned(), value.into());
            }
        }
        if let Some(el) = doc.child("IssueDateTime") {
            r.mark(el);
        }
        if let Some(el) = doc.child("IssuerSPSParty") {
            r.mark(el);
        }
        let mut declarations = Vec::new();
        for note in doc.children_named("IncludedSPSNote") {
            let subject_code = note.text_at(&["Subject"]).unwrap_or_default();
            let content = note.text_at(&["Content"]);
            match (subject_code, content) {
                ("ADEDL", Some(content)) => declarations.push(Value::String(content.to_owned())),
                (INSPECTION_NOTE, Some(content)) => {
                    subject.insert("inspectionDate".to_owned(), content.into());
                }
                _ => continue,
            }
            r.mark(note);
            r.text(note, &["Subject"]);
            r.text(note, &["Content"]);
        }
        if !declarations.is_empty() {
            subject.insert("additionalDeclarations".to_owned(), Value::Array(declarations));
        }
    }
    if let Some(consignment) = root.child("SPSConsignment") {
        r.mark(consignment);
        let export = r.text(consignment, &["ExportSPSCountry", "ID"]);
        let import = r.text(consignment, &["ImportSPSCountry", "ID"]);
        for (name, code) in [("ExportSPSCountry", export), ("ImportSPSCountry", import)] {
            if code.is_some()
                && let Some(el) = consignment.child(name)
            {
                r.mark(el);
            }
        }
        if let Some(consignor) = read_party(&mut r, consignment.child("ConsignorSPSParty"), export)
        {
            subject.insert("consignor".to_owned(), consignor);
        }
        if let Some(consignee) = read_party(&mut r, consignment.child("ConsigneeSPSParty"), import)
        {
            subject.insert("consignee".to_owned(), consignee);
        }
        if let Some(code) = export {
            subject.insert("exportCountry".to_owned(), code.into());
        }
        if let Some(code) = import {
            subject.insert("importCountry".to_owned(), code.into());
        }
        if let Some(entry) = r.text(consignment, &["UnloadingBaseportSPSLocation", "Name"]) {
            subject.insert("pointOfEntry".to_owned(), entry.into());
            if let Some(el) = consignment.child("UnloadingBaseportSPSLocation") {
                r.mark(el);
            }
        }
        let mut commodities = Vec::new();
        let mut treatment = None;
        for item in consignment.children_named("IncludedSPSConsignmentItem") {
            r.mark(item);
            for line in item.children_named("IncludedSPSTradeLineItem") {
                commodities.push(read_item(&mut r, line));
                let this = read_treatment(&mut r, line);
                if treatment.is_none() {
                    treatment = this;
                }
            }
        }
        if !commodities.is_empty() {
            subject.insert("commodities".to_owned(), Value::Array(commodities));
        }
        if let Some(treatment) = treatment {
            subject.insert("treatment".to_owned(), treatment.into());
        }
    }
    cert.insert("credentialSubject".to_owned(), Value::Object(subject));
    let mut out = Vec::new();
    unmapped(&r, &root, "/SPSCertificate", &mut out);
    Ok(SpsImport { certificate: Value::Object(cert), unmapped: out })
}

/// The verdict on received SPSCertificate XML: well-formed and safe, an SPSCertificate of the
/// D17A namespace with its identifier, type 851 and parties; SPS XML carries no signature of
/// its own (the ePhyto Hub's envelope and channel authenticate it), so authenticity is not
/// checked.
///
/// # Errors
/// The XML is unreadable (see [`SpsError`]).
pub fn verify(text: &str) -> Result<Verdict, SpsError> {
    let import = import(text)?;
    let mut verdict = Verdict::new("sps-xml");
    let cert = &import.certificate;
    verdict.document_id = string_at(cert, &["id"]).map(str::to_owned);
    verdict.issuer = string_at(cert, &["issuer"]).map(str::to_owned);
    verdict.valid_why("well-formed", Why::SpsWellFormed, &[]);
    let mut missing = Vec::new();
    for (path, what) in [
        (&["id"][..], "SPSExchangedDocument/ID"),
        (&["typeCode"], "SPSExchangedDocument/TypeCode"),
        (&["credentialSubject", "exportCountry"], "SPSConsignment/ExportSPSCountry/ID"),
        (&["credentialSubject", "importCountry"], "SPSConsignment/ImportSPSCountry/ID"),
    ] {
        if string_at(cert, path).is_none() {
            missing.push(what);
        }
    }
    if cert.pointer("/credentialSubject/consignor/name").is_none() {
        missing.push("SPSConsignment/ConsignorSPSParty/Name");
    }
    if missing.is_empty() {
        let type_code = string_at(cert, &["typeCode"]).unwrap_or_default();
        let id = verdict.document_id.clone().unwrap_or_default();
        let unmapped = import.unmapped.len().to_string();
        verdict.valid_why("structure", Why::SpsStructure, &[&id, type_code, &unmapped]);
    } else {
        verdict.invalid("structure", format!("missing {}", missing.join(", ")));
    }
    verdict.not_checked_why("signature", Why::SpsNoSignature, &[]);
    Ok(verdict)
}

/// `SPSAcknowledgement` XML answering certificate `certificate_id`: `accepted` or not, with a
/// reason, at `issued` (RFC 3339). Status codes of UNCL 4343 (response type): `AP` accepted,
/// `RE` rejected.
pub fn acknowledgement(
    ack_id: &str,
    certificate_id: &str,
    accepted: bool,
    reason: &str,
    issued: &str,
) -> String {
    let status = if accepted { "AP" } else { "RE" };
    let mut w = Writer { out: String::new(), depth: 1 };
    w.out.push_str("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let _ = writeln!(
        w.out,
        "<rsm:SPSAcknowledgement xmlns:rsm=\"{ACK_NS}\" xmlns:ram=\"{RAM_NS}\" xmlns:udt=\"{UDT_NS}\">"
    );
    w.open("rsm:SPSAcknowledgementDocument");
    w.leaf("ram:ID", ack_id);
    w.date_time("ram:IssueDateTime", issued);
    w.leaf("ram:StatusCode", status);
    if !reason.is_empty() {
        w.leaf("ram:ReasonInformation", reason);
    }
    w.open("ram:ReferenceSPSReferencedDocument");
    w.leaf("ram:TypeCode", "851");
    w.leaf("ram:ID", certificate_id);
    w.close("ram:ReferenceSPSReferencedDocument");
    w.close("rsm:SPSAcknowledgementDocument");
    w.out.push_str("</rsm:SPSAcknowledgement>\n");
    w.out
}

/// Reads an `SPSAcknowledgement` back: `(certificate id, status code, reason)`.
///
/// # Errors
/// Not well-formed or not an SPSAcknowledgement.
pub fn read_acknowledgement(text: &str) -> Result<(String, String, String), SpsError> {
    let root = xml::parse(text)?;
    if root.ns != ACK_NS || root.name != "SPSAcknowledgement" {
        return Err(SpsError::NotSpsCertificate { ns: root.ns, name: root.name });
    }
    let doc = root.child("SPSAcknowledgementDocument");
    let get = |path: &[&str]| doc.and_then(|d| d.text_at(path)).unwrap_or_default().to_owned();
    Ok((
        get(&["ReferenceSPSReferencedDocument", "ID"]),
        get(&["StatusCode"]),
        get(&["ReasonInformation"]),
    ))
}

#[cfg(test)]
mod tests;
