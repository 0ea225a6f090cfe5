//! The checked declaration data set: what a [`Declaration`] holds once validation accepted it.
//!
//! Field names follow our dictionary (`data/customs/DICTIONARY.md`), each keyed to a WCO Data
//! Model business name. Values of these types only come out of [`crate::validate_json`], so
//! they are always valid against the code lists they were checked with. They serialise to
//! exactly the JSON shape that `data/customs/declaration.schema.json` publishes.

use caravan_types::{CountryCode, HsCode, Money};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use time::Date;

time::serde::format_description!(iso_date, Date, "[year]-[month]-[day]");

/// The kind of declaration (WCO DM: "Declaration type").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum DeclarationType {
    /// `IM`: import.
    #[serde(rename = "IM")]
    Import,
    /// `EX`: export.
    #[serde(rename = "EX")]
    Export,
    /// `TR`: transit.
    #[serde(rename = "TR")]
    Transit,
}

impl DeclarationType {
    /// All types, in code order of `data/customs/DICTIONARY.md`.
    pub const ALL: [DeclarationType; 3] = [Self::Import, Self::Export, Self::Transit];

    /// The two-letter code.
    pub fn code(self) -> &'static str {
        match self {
            Self::Import => "IM",
            Self::Export => "EX",
            Self::Transit => "TR",
        }
    }

    /// Parses the two-letter code.
    pub fn parse(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|kind| kind.code() == code)
    }
}

/// A party to the declaration (WCO DM: Declarant, Representative, Exporter, Importer,
/// Consignor, Consignee), with name, identification and address.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Party {
    /// WCO DM "Name" (an..70).
    pub name: String,
    /// WCO DM "Identification" (an..17), e.g. a taxpayer number.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub identification: Option<String>,
    /// WCO DM "Street and number" (an..70).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub street: Option<String>,
    /// WCO DM "City name" (an..35).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub city: Option<String>,
    /// WCO DM "Country, coded" (ISO 3166-1 alpha-2).
    pub country: CountryCode,
}

/// Transport at the border (WCO DM: "Mode of transport at border", "Identification of means of
/// transport crossing the border", "Nationality of means of transport crossing the border").
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Transport {
    /// UN/ECE Recommendation 19 code, `0`–`9`.
    pub mode_at_border: String,
    /// Vehicle registration, vessel IMO number, flight or train number (an..35).
    pub means_identification: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub means_nationality: Option<CountryCode>,
}

/// A document attached to the declaration or to an item (WCO DM: "Additional document").
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Document {
    /// UN/EDIFACT 1001 document name code, from `data/customs/document-types.csv`.
    pub document_type: String,
    /// WCO DM "Additional document identifier" (an..35).
    pub reference: String,
    /// WCO DM "Additional document issue date".
    #[serde(default, with = "iso_date::option", skip_serializing_if = "Option::is_none")]
    pub issue_date: Option<Date>,
}

/// Quantity of an item in a UN/ECE Recommendation 20 unit (WCO DM: "Supplementary quantity").
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Quantity {
    /// Positive decimal.
    pub value: Decimal,
    /// Rec 20 common code, e.g. `KGM`, `H87` (piece), `LTR`.
    pub unit: String,
}

/// Packaging of an item (WCO DM: "Number of packages", "Type of packages identification").
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Packages {
    /// Zero only for bulk or unpacked goods.
    pub count: u32,
    /// UN/ECE Recommendation 21 code, from `data/customs/package-kinds.csv`.
    pub kind: String,
}

/// One goods item (WCO DM: "Governments agency goods item").
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Item {
    /// WCO DM "Description of goods" (an..512).
    pub description: String,
    /// WCO DM "Tariff classification": the national tariff line, 6 to 10 digits.
    pub hs_code: HsCode,
    /// WCO DM "Country of origin, coded" (non-preferential origin).
    pub origin: CountryCode,
    /// WCO DM "Preferential origin country, coded"; claiming it asks for a preference.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub preferential_origin: Option<CountryCode>,
    pub quantity: Quantity,
    /// WCO DM "Gross weight measure", kilograms.
    pub gross_mass_kg: Decimal,
    /// WCO DM "Net weight measure", kilograms.
    pub net_mass_kg: Decimal,
    pub packages: Packages,
    /// WCO DM "Customs value" with its currency.
    pub customs_value: Money,
    /// WCO DM "Valuation method, coded", from `data/customs/valuation-methods.csv`.
    pub valuation_method: String,
    /// WCO DM "Customs procedure, coded", from `data/customs/procedures.csv`.
    pub procedure: String,
    #[serde(default)]
    pub documents: Vec<Document>,
}

/// A checked declaration.
///
/// `Deserialize` is for reading back a declaration this crate checked and a store kept;
/// untrusted input goes through [`crate::validate_json`], which reports every error.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Declaration {
    /// WCO DM "LRN" (trader's reference, an..35, `[A-Z0-9/-]`).
    pub reference: String,
    pub declaration_type: DeclarationType,
    /// WCO DM "Declaration office identification", from `data/customs/offices.csv`.
    pub office: String,
    /// WCO DM "Declaration issue date"; not after the day of validation.
    #[serde(with = "iso_date")]
    pub declaration_date: Date,
    pub declarant: Party,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub representative: Option<Party>,
    pub exporter: Party,
    pub importer: Party,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub consignor: Option<Party>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub consignee: Option<Party>,
    /// WCO DM "Exportation country, coded".
    pub country_of_export: CountryCode,
    /// WCO DM "Destination country, coded".
    pub country_of_destination: CountryCode,
    pub transport: Transport,
    /// WCO DM "Transport equipment identification": ISO 6346 container numbers.
    #[serde(default)]
    pub containers: Vec<String>,
    /// WCO DM "Goods location identification" (an..35).
    pub location_of_goods: String,
    pub items: Vec<Item>,
    /// Documents for the whole declaration (items have their own).
    #[serde(default)]
    pub documents: Vec<Document>,
}

impl Declaration {
    /// The documents that cover item `item_idx`: its own and the declaration's.
    pub fn documents_for_item(&self, item_idx: usize) -> impl Iterator<Item = &Document> {
        let item_documents = self.items.get(item_idx).map(|item| item.documents.as_slice());
        item_documents.unwrap_or(&[]).iter().chain(self.documents.iter())
    }

    /// Every attached document, with the item it belongs to (`None` for the declaration's).
    pub fn all_documents(&self) -> impl Iterator<Item = (Option<usize>, &Document)> {
        self.documents.iter().map(|doc| (None, doc)).chain(
            self.items
                .iter()
                .enumerate()
                .flat_map(|(idx, item)| item.documents.iter().map(move |doc| (Some(idx), doc))),
        )
    }
}
