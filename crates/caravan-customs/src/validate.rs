//! Validation of untrusted declaration JSON into a checked [`Declaration`], reporting every
//! problem at once as a [`FieldError`] with the field path (`items[3].origin`), a stable
//! [`ErrorCode`] and a reason.
//!
//! The walk never stops at the first error and never panics: every field is looked at, and a
//! checked value is built only when no error was found. The rules are those of
//! `data/customs/DICTIONARY.md` (section "Business rules", numbered `BR-…` in the comments).

use std::collections::BTreeSet;
use std::fmt;
use std::str::FromStr;

use caravan_types::{CountryCode, CurrencyCode, HsCode, Money};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use time::Date;

use crate::codes::{CodeLists, ReferenceLookup, iso6346_is_valid};
use crate::dataset::{
    Declaration, DeclarationType, Document, Item, Packages, Party, Quantity, Transport,
};
use crate::json::{Json, Object};

/// Most items in one declaration (BR-02; the WCO Data Model and most customs systems allow 999).
pub const MAX_ITEMS: usize = 999;
/// Most containers and most documents per list.
pub const MAX_CONTAINERS: usize = 999;
/// Most documents in one list (the declaration's, or one item's).
pub const MAX_DOCUMENTS: usize = 99;
/// Path of an error about the whole document.
pub const ROOT_PATH: &str = "$";

/// What validation needs besides the JSON: code lists, reference look-ups and today's date.
#[derive(Clone, Copy)]
pub struct ValidationContext<'a> {
    pub code_lists: &'a CodeLists,
    pub reference: &'a dyn ReferenceLookup,
    /// The day of validation, read by the shell (BR-06: no declaration or document from the future).
    pub today: Date,
}

/// Stable machine code of a field error.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    /// The text is not JSON.
    InvalidJson,
    /// A value of the wrong JSON type.
    WrongType,
    /// A required field is absent or null.
    Missing,
    /// A field the dictionary does not define.
    UnknownField,
    /// Text that is empty after trimming.
    Empty,
    /// Text longer than the dictionary allows.
    TooLong,
    /// More list entries than allowed.
    TooMany,
    /// A value of the wrong shape (date, decimal, HS code, container number, reference).
    Malformed,
    /// A well-formed code that is not in its code list.
    UnknownCode,
    /// A quantity, mass, value or count that must be positive.
    NotPositive,
    /// Net mass greater than gross mass.
    NetExceedsGross,
    /// A date after the day of validation.
    DateInFuture,
    /// A document issued after the declaration date.
    DateOrder,
    /// Fields that contradict each other.
    Inconsistent,
    /// The same entry twice in a list.
    Duplicate,
}

impl ErrorCode {
    /// The code as the snake-case string used in JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::InvalidJson => "invalid_json",
            Self::WrongType => "wrong_type",
            Self::Missing => "missing",
            Self::UnknownField => "unknown_field",
            Self::Empty => "empty",
            Self::TooLong => "too_long",
            Self::TooMany => "too_many",
            Self::Malformed => "malformed",
            Self::UnknownCode => "unknown_code",
            Self::NotPositive => "not_positive",
            Self::NetExceedsGross => "net_exceeds_gross",
            Self::DateInFuture => "date_in_future",
            Self::DateOrder => "date_order",
            Self::Inconsistent => "inconsistent",
            Self::Duplicate => "duplicate",
        }
    }
}

impl fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One problem with one field.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldError {
    /// Dotted path with list indexes, e.g. `items[3].origin`; [`ROOT_PATH`] for the document.
    pub path: String,
    pub code: ErrorCode,
    /// Lowercase sentence naming the offending value and what is expected.
    pub reason: String,
}

impl fmt::Display for FieldError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {} ({})", self.path, self.reason, self.code)
    }
}

/// Parses JSON text and validates it.
///
/// # Errors
/// Every field error found, in document order; never empty.
pub fn validate_json(
    text: &str,
    ctx: &ValidationContext<'_>,
) -> Result<Declaration, Vec<FieldError>> {
    match serde_json::from_str::<Json<'_>>(text) {
        Ok(json) => validate_node(&json, ctx),
        Err(err) => Err(vec![FieldError {
            path: ROOT_PATH.to_owned(),
            code: ErrorCode::InvalidJson,
            reason: format!("not valid JSON: {err}"),
        }]),
    }
}

/// Validates a parsed JSON value.
///
/// # Errors
/// Every field error found, in document order; never empty.
pub fn validate_value(
    value: &Value,
    ctx: &ValidationContext<'_>,
) -> Result<Declaration, Vec<FieldError>> {
    validate_node(&Json::from_value(value), ctx)
}

/// Validates a JSON tree parsed straight from the request text (see [`crate::json`]).
///
/// # Errors
/// Every field error found, in document order; never empty.
pub fn validate_node(
    value: &Json<'_>,
    ctx: &ValidationContext<'_>,
) -> Result<Declaration, Vec<FieldError>> {
    let mut checker = Checker { ctx, errors: Vec::new() };
    let declaration = checker.declaration(value);
    match declaration {
        Some(declaration) if checker.errors.is_empty() => Ok(declaration),
        _ => {
            if checker.errors.is_empty() {
                // Defensive: a `None` always comes with an error, but never return an empty list.
                checker.push(
                    ROOT_PATH,
                    ErrorCode::Malformed,
                    "declaration could not be read".to_owned(),
                );
            }
            Err(checker.errors)
        }
    }
}

fn join(path: &str, key: &str) -> String {
    // An empty member name would leave an error with no path (found by fuzzing, issue 22): name
    // it as the JSON text does, `""`.
    let key = if key.is_empty() { "\"\"" } else { key };
    if path.is_empty() { key.to_owned() } else { format!("{path}.{key}") }
}

fn index(path: &str, idx: usize) -> String {
    format!("{path}[{idx}]")
}

fn type_name(value: &Json<'_>) -> &'static str {
    match value {
        Json::Null => "null",
        Json::Bool(_) => "a boolean",
        Json::Number(_) => "a number",
        Json::String(_) => "a string",
        Json::Array(_) => "an array",
        Json::Object(_) => "an object",
    }
}

const DECLARATION_FIELDS: &[&str] = &[
    "reference",
    "declaration_type",
    "office",
    "declaration_date",
    "declarant",
    "representative",
    "exporter",
    "importer",
    "consignor",
    "consignee",
    "country_of_export",
    "country_of_destination",
    "transport",
    "containers",
    "location_of_goods",
    "items",
    "documents",
];
const PARTY_FIELDS: &[&str] = &["name", "identification", "street", "city", "country"];
const TRANSPORT_FIELDS: &[&str] = &["mode_at_border", "means_identification", "means_nationality"];
const ITEM_FIELDS: &[&str] = &[
    "description",
    "hs_code",
    "origin",
    "preferential_origin",
    "quantity",
    "gross_mass_kg",
    "net_mass_kg",
    "packages",
    "customs_value",
    "valuation_method",
    "procedure",
    "documents",
];
const QUANTITY_FIELDS: &[&str] = &["value", "unit"];
const PACKAGES_FIELDS: &[&str] = &["count", "kind"];
const MONEY_FIELDS: &[&str] = &["amount", "currency"];
const DOCUMENT_FIELDS: &[&str] = &["document_type", "reference", "issue_date"];

/// The names of the fields of each object of the data set, for the schema agreement test.
pub fn dictionary_fields() -> [(&'static str, &'static [&'static str]); 8] {
    [
        ("declaration", DECLARATION_FIELDS),
        ("party", PARTY_FIELDS),
        ("transport", TRANSPORT_FIELDS),
        ("item", ITEM_FIELDS),
        ("quantity", QUANTITY_FIELDS),
        ("packages", PACKAGES_FIELDS),
        ("money", MONEY_FIELDS),
        ("document", DOCUMENT_FIELDS),
    ]
}

struct Checker<'c, 'a> {
    ctx: &'c ValidationContext<'a>,
    errors: Vec<FieldError>,
}

impl Checker<'_, '_> {
    fn push(&mut self, path: &str, code: ErrorCode, reason: String) {
        self.errors.push(FieldError { path: path.to_owned(), code, reason });
    }

    /// The object at `path`, after reporting fields not in `allowed`.
    fn object<'v, 'j>(
        &mut self,
        value: &'v Json<'j>,
        path: &str,
        allowed: &[&str],
    ) -> Option<&'v Object<'j>> {
        let Json::Object(map) = value else {
            let at = if path.is_empty() { ROOT_PATH } else { path };
            self.push(
                at,
                ErrorCode::WrongType,
                format!("expected an object, got {}", type_name(value)),
            );
            return None;
        };
        for key in map.keys() {
            if !allowed.contains(&key) {
                self.push(
                    &join(path, key),
                    ErrorCode::UnknownField,
                    format!("field {key:?} is not in the declaration dictionary"),
                );
            }
        }
        Some(map)
    }

    /// The value of `key`; a missing error when required and absent or null.
    fn field<'v, 'j>(
        &mut self,
        map: &'v Object<'j>,
        path: &str,
        key: &str,
        required: bool,
    ) -> Option<&'v Json<'j>> {
        match map.get(key) {
            Some(Json::Null) | None => {
                if required {
                    self.push(&join(path, key), ErrorCode::Missing, format!("{key} is required"));
                }
                None
            }
            Some(value) => Some(value),
        }
    }

    /// Trimmed, non-empty text of at most `max_chars` characters.
    fn text(
        &mut self,
        map: &Object<'_>,
        path: &str,
        key: &str,
        max_chars: usize,
        required: bool,
    ) -> Option<String> {
        let value = self.field(map, path, key, required)?;
        let at = || join(path, key);
        let Json::String(text) = value else {
            self.push(
                &at(),
                ErrorCode::WrongType,
                format!("expected a string, got {}", type_name(value)),
            );
            return None;
        };
        let trimmed = text.trim();
        if trimmed.is_empty() {
            self.push(&at(), ErrorCode::Empty, format!("{key} must not be empty"));
            return None;
        }
        let n_chars = trimmed.chars().count();
        if n_chars > max_chars {
            self.push(
                &at(),
                ErrorCode::TooLong,
                format!("{key} has {n_chars} characters, at most {max_chars} are allowed"),
            );
            return None;
        }
        Some(trimmed.to_owned())
    }

    /// A code from a list: text whose membership `known` decides.
    fn code(
        &mut self,
        map: &Object<'_>,
        path: &str,
        key: &str,
        list: &str,
        known: impl Fn(&str) -> bool,
    ) -> Option<String> {
        let code = self.text(map, path, key, 35, true)?;
        if known(&code) {
            Some(code)
        } else {
            self.push(
                &join(path, key),
                ErrorCode::UnknownCode,
                format!("{code:?} is not in the {list} code list"),
            );
            None
        }
    }

    /// An ISO 3166-1 alpha-2 code that the reference data knows.
    fn country(
        &mut self,
        map: &Object<'_>,
        path: &str,
        key: &str,
        required: bool,
    ) -> Option<CountryCode> {
        let text = self.text(map, path, key, 35, required)?;
        let at = || join(path, key);
        match CountryCode::parse(&text) {
            Err(err) => {
                self.push(&at(), ErrorCode::Malformed, err.to_string());
                None
            }
            Ok(country) if !self.ctx.reference.country_exists(&country) => {
                self.push(
                    &at(),
                    ErrorCode::UnknownCode,
                    format!("{country} is not an ISO 3166-1 country code"),
                );
                None
            }
            Ok(country) => Some(country),
        }
    }

    /// A date written `YYYY-MM-DD`, not after today (BR-06).
    fn date(&mut self, map: &Object<'_>, path: &str, key: &str, required: bool) -> Option<Date> {
        let text = self.text(map, path, key, 10, required)?;
        let at = || join(path, key);
        let format = time::macros::format_description!("[year]-[month]-[day]");
        let Ok(date) = Date::parse(&text, &format) else {
            self.push(
                &at(),
                ErrorCode::Malformed,
                format!("{text:?} is not a date written YYYY-MM-DD"),
            );
            return None;
        };
        if date > self.ctx.today {
            self.push(
                &at(),
                ErrorCode::DateInFuture,
                format!("{date} is after today ({})", self.ctx.today),
            );
            return None;
        }
        Some(date)
    }

    /// A strictly positive decimal, given as a JSON number or a decimal string (BR-07).
    fn positive_decimal(&mut self, map: &Object<'_>, path: &str, key: &str) -> Option<Decimal> {
        let value = self.field(map, path, key, true)?;
        let at = || join(path, key);
        let parsed = match value {
            Json::Number(number) => parse_decimal(&number.to_string()),
            Json::String(text) => parse_decimal(text.trim()),
            other => {
                self.push(
                    &at(),
                    ErrorCode::WrongType,
                    format!("expected a decimal number, got {}", type_name(other)),
                );
                return None;
            }
        };
        let Some(decimal) = parsed else {
            self.push(
                &at(),
                ErrorCode::Malformed,
                format!("{value} is not a decimal number with at most 28 significant digits"),
            );
            return None;
        };
        if decimal <= Decimal::ZERO {
            self.push(
                &at(),
                ErrorCode::NotPositive,
                format!("{key} must be greater than zero, got {decimal}"),
            );
            return None;
        }
        Some(decimal.normalize())
    }

    /// A JSON array of at most `max` entries (absent = empty unless required).
    fn array<'v, 'j>(
        &mut self,
        map: &'v Object<'j>,
        path: &str,
        key: &str,
        max: usize,
        required: bool,
    ) -> Option<&'v [Json<'j>]> {
        let value = self.field(map, path, key, required)?;
        let at = || join(path, key);
        let Json::Array(entries) = value else {
            self.push(
                &at(),
                ErrorCode::WrongType,
                format!("expected an array, got {}", type_name(value)),
            );
            return None;
        };
        if entries.len() > max {
            self.push(
                &at(),
                ErrorCode::TooMany,
                format!("{} entries, at most {max} are allowed", entries.len()),
            );
            return None;
        }
        Some(entries)
    }

    fn declaration(&mut self, value: &Json<'_>) -> Option<Declaration> {
        let map = self.object(value, "", DECLARATION_FIELDS)?;
        let code_lists = self.ctx.code_lists;
        // BR-01: the reference is an..35 of upper-case letters, digits, `/` and `-` (UN/EDIFACT an..35).
        let reference = self.text(map, "", "reference", 35, true).and_then(|reference| {
            if reference
                .bytes()
                .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'-' || b == b'/')
            {
                Some(reference)
            } else {
                self.push(
                    "reference",
                    ErrorCode::Malformed,
                    format!("{reference:?} may hold only A-Z, 0-9, '-' and '/'"),
                );
                None
            }
        });
        let declaration_type = self
            .code(map, "", "declaration_type", "declaration type (IM, EX, TR)", |code| {
                DeclarationType::parse(code).is_some()
            })
            .and_then(|code| DeclarationType::parse(&code));
        let office = self.code(map, "", "office", "customs office", |code| {
            code_lists.offices.contains_key(code)
        });
        let declaration_date = self.date(map, "", "declaration_date", true);
        let declarant = self.party(map, "", "declarant", true).flatten();
        let representative = self.party(map, "", "representative", false);
        let exporter = self.party(map, "", "exporter", true).flatten();
        let importer = self.party(map, "", "importer", true).flatten();
        let consignor = self.party(map, "", "consignor", false);
        let consignee = self.party(map, "", "consignee", false);
        let country_of_export = self.country(map, "", "country_of_export", true);
        let country_of_destination = self.country(map, "", "country_of_destination", true);
        let transport = self.transport(map);
        let containers = self.containers(map);
        let location_of_goods = self.text(map, "", "location_of_goods", 35, true);
        let items = self.items(map, declaration_type, declaration_date);
        let documents = self.documents(map, "", declaration_date);

        // BR-03: goods cross a border: export and destination countries differ.
        if let (Some(export), Some(destination)) = (country_of_export, country_of_destination)
            && export == destination
        {
            self.push(
                "country_of_destination",
                ErrorCode::Inconsistent,
                format!("country of destination {destination} equals the country of export"),
            );
        }
        // BR-04: the office of an import is in the country of destination, of an export in the
        // country of export; a transit office is in either.
        if let (Some(office), Some(kind), Some(export), Some(destination)) =
            (&office, declaration_type, country_of_export, country_of_destination)
            && let Some(office_country) = code_lists.offices.get(office)
        {
            let expected: &[CountryCode] = match kind {
                DeclarationType::Import => &[destination],
                DeclarationType::Export => &[export],
                DeclarationType::Transit => &[export, destination],
            };
            if !expected.contains(office_country) {
                let lodged_in: Vec<&str> = expected.iter().map(CountryCode::as_str).collect();
                let reason = format!(
                    "office {office} is in {office_country}, but {} declarations are lodged in {}",
                    kind.code(),
                    lodged_in.join(" or ")
                );
                self.push("office", ErrorCode::Inconsistent, reason);
            }
        }
        // BR-05: the importer of an import is established in the country of destination, the
        // exporter of an export in the country of export.
        match (declaration_type, &importer, &exporter) {
            (Some(DeclarationType::Import), Some(importer), _)
                if country_of_destination.is_some_and(|c| c != importer.country) =>
            {
                self.push(
                    "importer.country",
                    ErrorCode::Inconsistent,
                    format!(
                        "importer is in {}, not in the country of destination",
                        importer.country
                    ),
                );
            }
            (Some(DeclarationType::Export), _, Some(exporter))
                if country_of_export.is_some_and(|c| c != exporter.country) =>
            {
                self.push(
                    "exporter.country",
                    ErrorCode::Inconsistent,
                    format!("exporter is in {}, not in the country of export", exporter.country),
                );
            }
            _ => {}
        }

        let (
            Some(reference),
            Some(declaration_type),
            Some(office),
            Some(declaration_date),
            Some(declarant),
            Some(exporter),
            Some(importer),
            Some(country_of_export),
            Some(country_of_destination),
            Some(transport),
            Some(containers),
            Some(location_of_goods),
            Some(items),
            Some(documents),
        ) = (
            reference,
            declaration_type,
            office,
            declaration_date,
            declarant,
            exporter,
            importer,
            country_of_export,
            country_of_destination,
            transport,
            containers,
            location_of_goods,
            items,
            documents,
        )
        else {
            return None;
        };
        Some(Declaration {
            reference,
            declaration_type,
            office,
            declaration_date,
            declarant,
            representative: representative.flatten(),
            exporter,
            importer,
            consignor: consignor.flatten(),
            consignee: consignee.flatten(),
            country_of_export,
            country_of_destination,
            transport,
            containers,
            location_of_goods,
            items,
            documents,
        })
    }

    /// A party; for an optional party, `Some(None)` when absent and `None` on error.
    fn party(
        &mut self,
        map: &Object<'_>,
        path: &str,
        key: &str,
        required: bool,
    ) -> Option<Option<Party>> {
        let Some(value) = self.field(map, path, key, required) else {
            return (!required).then_some(None);
        };
        let at = join(path, key);
        let party_map = self.object(value, &at, PARTY_FIELDS)?;
        let name = self.text(party_map, &at, "name", 70, true);
        let identification = self.optional_text(party_map, &at, "identification", 17);
        let street = self.optional_text(party_map, &at, "street", 70);
        let city = self.optional_text(party_map, &at, "city", 35);
        let country = self.country(party_map, &at, "country", true);
        let (Some(name), Some(identification), Some(street), Some(city), Some(country)) =
            (name, identification, street, city, country)
        else {
            return None;
        };
        Some(Some(Party { name, identification, street, city, country }))
    }

    /// Optional text: `Some(None)` when absent, `None` on error.
    fn optional_text(
        &mut self,
        map: &Object<'_>,
        path: &str,
        key: &str,
        max_chars: usize,
    ) -> Option<Option<String>> {
        if matches!(map.get(key), None | Some(Json::Null)) {
            return Some(None);
        }
        self.text(map, path, key, max_chars, true).map(Some)
    }

    fn transport(&mut self, map: &Object<'_>) -> Option<Transport> {
        let value = self.field(map, "", "transport", true)?;
        let transport_map = self.object(value, "transport", TRANSPORT_FIELDS)?;
        let code_lists = self.ctx.code_lists;
        let mode_at_border = self.code(
            transport_map,
            "transport",
            "mode_at_border",
            "UN/ECE Recommendation 19 transport mode",
            |code| code_lists.transport_modes.contains(code),
        );
        let means_identification =
            self.text(transport_map, "transport", "means_identification", 35, true);
        let nationality_given =
            !matches!(transport_map.get("means_nationality"), None | Some(Json::Null));
        let means_nationality =
            self.country(transport_map, "transport", "means_nationality", false);
        if nationality_given && means_nationality.is_none() {
            return None;
        }
        Some(Transport {
            mode_at_border: mode_at_border?,
            means_identification: means_identification?,
            means_nationality,
        })
    }

    fn containers(&mut self, map: &Object<'_>) -> Option<Vec<String>> {
        if matches!(map.get("containers"), None | Some(Json::Null)) {
            return Some(Vec::new());
        }
        let entries = self.array(map, "", "containers", MAX_CONTAINERS, false)?;
        let mut containers = Vec::with_capacity(entries.len());
        let mut seen = BTreeSet::new();
        let mut ok = true;
        for (idx, entry) in entries.iter().enumerate() {
            let at = index("containers", idx);
            let Json::String(number) = entry else {
                self.push(
                    &at,
                    ErrorCode::WrongType,
                    format!("expected a string, got {}", type_name(entry)),
                );
                ok = false;
                continue;
            };
            let number = number.trim();
            // BR-08: container numbers carry a valid ISO 6346 check digit.
            if !iso6346_is_valid(number) {
                self.push(
                    &at,
                    ErrorCode::Malformed,
                    format!(
                        "{number:?} is not an ISO 6346 container number with a valid check digit"
                    ),
                );
                ok = false;
            } else if !seen.insert(number) {
                self.push(&at, ErrorCode::Duplicate, format!("container {number} is listed twice"));
                ok = false;
            } else {
                containers.push(number.to_owned());
            }
        }
        ok.then_some(containers)
    }

    fn items(
        &mut self,
        map: &Object<'_>,
        declaration_type: Option<DeclarationType>,
        declaration_date: Option<Date>,
    ) -> Option<Vec<Item>> {
        let entries = self.array(map, "", "items", MAX_ITEMS, true)?;
        // BR-02: a declaration has at least one item.
        if entries.is_empty() {
            self.push(
                "items",
                ErrorCode::Empty,
                "a declaration needs at least one item".to_owned(),
            );
            return None;
        }
        let mut items = Vec::with_capacity(entries.len());
        for (idx, entry) in entries.iter().enumerate() {
            if let Some(item) =
                self.item(entry, &index("items", idx), declaration_type, declaration_date)
            {
                items.push(item);
            }
        }
        (items.len() == entries.len()).then_some(items)
    }

    fn item(
        &mut self,
        value: &Json<'_>,
        path: &str,
        declaration_type: Option<DeclarationType>,
        declaration_date: Option<Date>,
    ) -> Option<Item> {
        let map = self.object(value, path, ITEM_FIELDS)?;
        let code_lists = self.ctx.code_lists;
        let description = self.text(map, path, "description", 512, true);
        let hs_code = self.hs_code(map, path);
        let origin = self.country(map, path, "origin", true);
        let preferential_given = !matches!(map.get("preferential_origin"), None | Some(Json::Null));
        let preferential_origin = self.country(map, path, "preferential_origin", false);
        let quantity = self.quantity(map, path);
        let gross_mass_kg = self.positive_decimal(map, path, "gross_mass_kg");
        let net_mass_kg = self.positive_decimal(map, path, "net_mass_kg");
        // BR-09: net mass excludes packing, so it cannot exceed gross mass.
        if let (Some(gross), Some(net)) = (gross_mass_kg, net_mass_kg)
            && net > gross
        {
            self.push(
                &join(path, "net_mass_kg"),
                ErrorCode::NetExceedsGross,
                format!("net mass {net} kg exceeds gross mass {gross} kg"),
            );
        }
        let packages = self.packages(map, path);
        let customs_value = self.money(map, path, "customs_value");
        let valuation_method =
            self.code(map, path, "valuation_method", "valuation method", |code| {
                code_lists.valuation_methods.contains(code)
            });
        let procedure = self.code(map, path, "procedure", "customs procedure", |code| {
            code_lists.procedures.contains_key(code)
        });
        // BR-10: the procedure belongs to the declaration type (an export procedure on an import is refused).
        if let (Some(procedure), Some(kind)) = (&procedure, declaration_type)
            && let Some(procedure_kind) = code_lists.procedures.get(procedure)
            && *procedure_kind != kind
        {
            self.push(
                &join(path, "procedure"),
                ErrorCode::Inconsistent,
                format!(
                    "procedure {procedure} is for {} declarations, this one is {}",
                    procedure_kind.code(),
                    kind.code()
                ),
            );
        }
        let documents = self.documents(map, path, declaration_date);
        let (
            Some(description),
            Some(hs_code),
            Some(origin),
            Some(quantity),
            Some(gross_mass_kg),
            Some(net_mass_kg),
            Some(packages),
            Some(customs_value),
            Some(valuation_method),
            Some(procedure),
            Some(documents),
        ) = (
            description,
            hs_code,
            origin,
            quantity,
            gross_mass_kg,
            net_mass_kg,
            packages,
            customs_value,
            valuation_method,
            procedure,
            documents,
        )
        else {
            return None;
        };
        // A bad preferential origin was reported above; the item is still refused.
        if preferential_given && preferential_origin.is_none() {
            return None;
        }
        Some(Item {
            description,
            hs_code,
            origin,
            preferential_origin,
            quantity,
            gross_mass_kg,
            net_mass_kg,
            packages,
            customs_value,
            valuation_method,
            procedure,
            documents,
        })
    }

    /// BR-11: an HS national line of 6, 8 or 10 digits that exists in the nomenclature.
    fn hs_code(&mut self, map: &Object<'_>, path: &str) -> Option<HsCode> {
        let text = self.text(map, path, "hs_code", 35, true)?;
        let at = || join(path, "hs_code");
        match HsCode::parse(&text) {
            Err(err) => {
                self.push(&at(), ErrorCode::Malformed, err.to_string());
                None
            }
            Ok(code) if code.len() < 6 => {
                let reason = format!(
                    "{code} is a chapter or heading; declare the subheading or national line (6, 8 or 10 digits)"
                );
                self.push(&at(), ErrorCode::Malformed, reason);
                None
            }
            Ok(code) if !self.ctx.reference.hs_code_exists(&code) => {
                self.push(
                    &at(),
                    ErrorCode::UnknownCode,
                    format!("{code} is not in the tariff nomenclature"),
                );
                None
            }
            Ok(code) => Some(code),
        }
    }

    /// BR-12: a positive quantity in an active UN/ECE Recommendation 20 unit.
    fn quantity(&mut self, map: &Object<'_>, path: &str) -> Option<Quantity> {
        let value = self.field(map, path, "quantity", true)?;
        let at = join(path, "quantity");
        let quantity_map = self.object(value, &at, QUANTITY_FIELDS)?;
        let amount = self.positive_decimal(quantity_map, &at, "value");
        let reference = self.ctx.reference;
        let unit = self.code(quantity_map, &at, "unit", "UN/ECE Recommendation 20 unit", |code| {
            reference.unit_exists(code)
        });
        Some(Quantity { value: amount?, unit: unit? })
    }

    /// BR-13: packages of a kind in the Rec 21 list; a count of zero only for bulk or unpacked goods.
    fn packages(&mut self, map: &Object<'_>, path: &str) -> Option<Packages> {
        let value = self.field(map, path, "packages", true)?;
        let at = join(path, "packages");
        let packages_map = self.object(value, &at, PACKAGES_FIELDS)?;
        let code_lists = self.ctx.code_lists;
        let count_value = self.field(packages_map, &at, "count", true);
        let count_at = join(&at, "count");
        let count = match count_value {
            None => None,
            Some(Json::Number(number)) => {
                match number.as_u64().and_then(|n| u32::try_from(n).ok()) {
                    Some(count) => Some(count),
                    None => {
                        self.push(
                            &count_at,
                            ErrorCode::Malformed,
                            format!(
                                "{number} is not a whole number of packages from 0 to {}",
                                u32::MAX
                            ),
                        );
                        None
                    }
                }
            }
            Some(other) => {
                self.push(
                    &count_at,
                    ErrorCode::WrongType,
                    format!("expected a whole number, got {}", type_name(other)),
                );
                None
            }
        };
        let kind =
            self.code(packages_map, &at, "kind", "UN/ECE Recommendation 21 package kind", |code| {
                code_lists.package_kinds.contains_key(code)
            });
        let (count, kind) = (count?, kind?);
        if count == 0 && code_lists.package_kinds.get(&kind) == Some(&true) {
            self.push(
                &count_at,
                ErrorCode::NotPositive,
                format!(
                    "packages of kind {kind} must be counted; 0 is only for bulk or unpacked goods"
                ),
            );
            return None;
        }
        Some(Packages { count, kind })
    }

    /// BR-14: a positive amount in an ISO 4217 currency.
    fn money(&mut self, map: &Object<'_>, path: &str, key: &str) -> Option<Money> {
        let value = self.field(map, path, key, true)?;
        let at = join(path, key);
        let money_map = self.object(value, &at, MONEY_FIELDS)?;
        let amount = self.positive_decimal(money_map, &at, "amount");
        let currency = self.text(money_map, &at, "currency", 35, true).and_then(|text| {
            let currency_at = join(&at, "currency");
            match CurrencyCode::parse(&text) {
                Err(err) => {
                    self.push(&currency_at, ErrorCode::Malformed, err.to_string());
                    None
                }
                Ok(currency) if !self.ctx.reference.currency_exists(&currency) => {
                    self.push(
                        &currency_at,
                        ErrorCode::UnknownCode,
                        format!("{currency} is not an ISO 4217 currency"),
                    );
                    None
                }
                Ok(currency) => Some(currency),
            }
        });
        Some(Money::new(amount?, currency?))
    }

    /// The documents at `path.documents`: absent = none.
    fn documents(
        &mut self,
        map: &Object<'_>,
        path: &str,
        declaration_date: Option<Date>,
    ) -> Option<Vec<Document>> {
        if matches!(map.get("documents"), None | Some(Json::Null)) {
            return Some(Vec::new());
        }
        let entries = self.array(map, path, "documents", MAX_DOCUMENTS, false)?;
        let list_path = join(path, "documents");
        let code_lists = self.ctx.code_lists;
        let mut documents = Vec::with_capacity(entries.len());
        let mut seen = BTreeSet::new();
        let mut ok = true;
        for (idx, entry) in entries.iter().enumerate() {
            let at = index(&list_path, idx);
            let Some(doc_map) = self.object(entry, &at, DOCUMENT_FIELDS) else {
                ok = false;
                continue;
            };
            let document_type = self.code(
                doc_map,
                &at,
                "document_type",
                "document type (UN/EDIFACT 1001)",
                |code| code_lists.document_types.contains_key(code),
            );
            let reference = self.text(doc_map, &at, "reference", 35, true);
            let date_given = !matches!(doc_map.get("issue_date"), None | Some(Json::Null));
            let issue_date = self.date(doc_map, &at, "issue_date", false);
            // BR-15: a document attached to a declaration was issued on or before its date.
            if let (Some(issued), Some(declared)) = (issue_date, declaration_date)
                && issued > declared
            {
                self.push(
                    &join(&at, "issue_date"),
                    ErrorCode::DateOrder,
                    format!("issued {issued}, after the declaration date {declared}"),
                );
                ok = false;
            }
            let (Some(document_type), Some(reference)) = (document_type, reference) else {
                ok = false;
                continue;
            };
            if date_given && issue_date.is_none() {
                ok = false;
                continue;
            }
            if !seen.insert((document_type.clone(), reference.clone())) {
                self.push(
                    &at,
                    ErrorCode::Duplicate,
                    format!("document {document_type} {reference} is attached twice"),
                );
                ok = false;
                continue;
            }
            documents.push(Document { document_type, reference, issue_date });
        }
        ok.then_some(documents)
    }
}

/// A decimal from text: plain (`12.5`) or scientific (`1.25e1`, as JSON numbers may be written).
fn parse_decimal(text: &str) -> Option<Decimal> {
    Decimal::from_str(text).ok().or_else(|| Decimal::from_scientific(text).ok())
}

#[cfg(test)]
mod tests;
