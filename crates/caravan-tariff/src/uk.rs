//! Importer for one official publication format: the UK Online Trade Tariff commodity JSON
//! (`GET /api/v2/commodities/{code}` as consumed by HMRC's duty calculator; MIT-licensed fixtures
//! of it ship in `tests/data/uk/`). It turns one declarable commodity and its import measures into
//! a [`ScheduleFile`] in our format, and lists every measure it could not express, with why.
//!
//! Mapping (TARIC measure types, UK Trade Tariff reference data):
//! - 103 third-country duty → `mfn`; 142/145 tariff preference → `preferential` (proof of origin
//!   required, document `proof-of-origin`);
//! - 551–555 anti-dumping / countervailing, 695 additional, 696 safeguard → `additional`;
//! - VAT measure types (series P, `vat: true`) → `vat`; `excise: true` → `excise`;
//! - quotas (122, 123, 143, 146) and end-use / suspension reliefs (112, 115, 117, 119) are skipped:
//!   quota balances and authorisations are not modelled.
//!
//! Components (TARIC duty expression ids): `01` the amount (% or money per unit), `04` "+ amount",
//! `15` minimum, `17`/`35` maximum. Others (agricultural components, unit qualifiers) are skipped.

use std::collections::BTreeMap;

use caravan_types::{CountryCode, CurrencyCode, Decimal, HsCode};
use serde::Deserialize;
use time::Date;

use crate::schedule::{FORMAT, LineRecord, MeasureKind, MeasureRecord, ScheduleFile};
use crate::units::Unit;

#[derive(Deserialize)]
struct Commodity {
    goods_nomenclature_item_id: String,
    #[serde(default)]
    description_plain: Option<String>,
    #[serde(default)]
    description: Option<String>,
    import_measures: Vec<UkMeasure>,
}

#[derive(Deserialize)]
struct UkMeasure {
    id: i64,
    effective_start_date: Option<String>,
    effective_end_date: Option<String>,
    #[serde(default)]
    excise: bool,
    #[serde(default)]
    vat: bool,
    measure_type: UkMeasureType,
    #[serde(default)]
    legal_acts: Vec<UkLegalAct>,
    #[serde(default)]
    measure_components: Vec<UkComponent>,
    geographical_area: UkArea,
    #[serde(default)]
    excluded_countries: Vec<UkArea>,
}

#[derive(Deserialize)]
struct UkMeasureType {
    id: String,
    description: String,
}

#[derive(Deserialize)]
struct UkLegalAct {
    regulation_code: Option<String>,
}

#[derive(Deserialize)]
struct UkComponent {
    duty_expression_id: String,
    duty_amount: Option<serde_json::Number>,
    monetary_unit_code: Option<String>,
    measurement_unit_code: Option<String>,
    measurement_unit_qualifier_code: Option<String>,
}

#[derive(Deserialize)]
struct UkArea {
    geographical_area_id: String,
    #[serde(default)]
    description: Option<String>,
    #[serde(default)]
    children_geographical_areas: Vec<UkArea>,
}

/// A UK measure the importer did not carry over.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Skipped {
    /// UK measure sid.
    pub measure_sid: i64,
    /// TARIC measure type id.
    pub measure_type: String,
    /// Why.
    pub reason: String,
}

/// The imported schedule and what was left out.
#[derive(Debug, Clone)]
pub struct UkImport {
    /// The schedule, ready for [`crate::Schedule::compile`].
    pub schedule: ScheduleFile,
    /// Measures not expressible in our format.
    pub skipped: Vec<Skipped>,
}

/// Why a UK publication could not be imported at all.
#[derive(Debug, thiserror::Error)]
pub enum UkImportError {
    #[error("not a UK Trade Tariff commodity document: {0}")]
    Json(#[from] serde_json::Error),
    #[error("goods_nomenclature_item_id: {0}")]
    Code(#[from] caravan_types::CodeError),
    #[error("{field}: {value:?} is not a date (expected YYYY-MM-DD…)")]
    Date { field: String, value: String },
}

fn parse_date(field: &str, text: &str) -> Result<Date, UkImportError> {
    let fail = || UkImportError::Date { field: field.to_owned(), value: text.to_owned() };
    let day = text.get(..10).ok_or_else(fail)?;
    let format = time::macros::format_description!("[year]-[month]-[day]");
    Date::parse(day, format).map_err(|_| fail())
}

fn component_expr(component: &UkComponent) -> Result<String, String> {
    if let Some(qualifier) = &component.measurement_unit_qualifier_code {
        return Err(format!("unit qualifier {qualifier} is not supported"));
    }
    let amount: Decimal = component
        .duty_amount
        .as_ref()
        .ok_or("component without duty_amount")?
        .to_string()
        .parse()
        .map_err(|_| "duty_amount is not a decimal".to_owned())?;
    match (&component.monetary_unit_code, &component.measurement_unit_code) {
        (None, None) => Ok(format!("{amount} %")),
        (Some(currency), Some(unit)) => {
            let currency = CurrencyCode::parse(currency).map_err(|err| err.to_string())?;
            let unit = Unit::parse(unit).map_err(|err| err.to_string())?;
            Ok(format!("{amount} {currency}/{unit}"))
        }
        _ => Err("component with money but no unit (or a unit but no money)".to_owned()),
    }
}

fn measure_expr(components: &[UkComponent]) -> Result<String, String> {
    let mut expr = String::new();
    for component in components {
        let part = component_expr(component)?;
        expr = match component.duty_expression_id.as_str() {
            "01" if expr.is_empty() => part,
            "04" if !expr.is_empty() => format!("{expr} + {part}"),
            "15" if !expr.is_empty() => format!("max({expr}, {part})"),
            "17" | "35" if !expr.is_empty() => format!("min({expr}, {part})"),
            other => return Err(format!("duty expression {other} is not supported")),
        };
    }
    if expr.is_empty() { Err("measure without components".to_owned()) } else { Ok(expr) }
}

/// Imports one UK Trade Tariff commodity document.
///
/// # Errors
/// [`UkImportError`] when the text is not such a document; measures it cannot express are
/// returned in [`UkImport::skipped`], never guessed.
pub fn import_uk_commodity(json: &str, version: Date) -> Result<UkImport, UkImportError> {
    let commodity: Commodity = serde_json::from_str(json)?;
    let code = HsCode::parse(&commodity.goods_nomenclature_item_id)?;
    let mut origin_groups: BTreeMap<String, Vec<CountryCode>> = BTreeMap::new();
    let mut measures = Vec::new();
    let mut skipped = Vec::new();
    let mut earliest = version;
    for (idx, measure) in commodity.import_measures.iter().enumerate() {
        let type_id = measure.measure_type.id.as_str();
        let mut skip = |reason: String| {
            skipped.push(Skipped {
                measure_sid: measure.id,
                measure_type: type_id.to_owned(),
                reason,
            });
        };
        let kind = match type_id {
            _ if measure.vat => MeasureKind::Vat,
            _ if measure.excise => MeasureKind::Excise,
            "103" => MeasureKind::Mfn,
            "142" | "145" => MeasureKind::Preferential,
            "551" | "552" | "553" | "554" | "555" | "695" | "696" => MeasureKind::Additional,
            "122" | "123" | "143" | "146" => {
                skip("tariff quota: quota balances are not modelled".to_owned());
                continue;
            }
            "112" | "115" | "117" | "119" => {
                skip("end-use or suspension relief: authorisations are not modelled".to_owned());
                continue;
            }
            other => {
                skip(format!(
                    "measure type {other} ({}) is not mapped",
                    measure.measure_type.description
                ));
                continue;
            }
        };
        let duty = match measure_expr(&measure.measure_components) {
            Ok(duty) => duty,
            Err(reason) => {
                skip(reason);
                continue;
            }
        };
        let area = &measure.geographical_area;
        let origin = if area.geographical_area_id == "1011" {
            "ERGA_OMNES".to_owned()
        } else if area.geographical_area_id.len() == 2 {
            area.geographical_area_id.clone()
        } else {
            let members: Vec<CountryCode> = area
                .children_geographical_areas
                .iter()
                .filter_map(|child| CountryCode::parse(&child.geographical_area_id).ok())
                .collect();
            if members.is_empty() {
                skip(format!(
                    "geographical area {} ({}) lists no member countries in the publication",
                    area.geographical_area_id,
                    area.description.as_deref().unwrap_or("no description")
                ));
                continue;
            }
            origin_groups.insert(area.geographical_area_id.clone(), members);
            area.geographical_area_id.clone()
        };
        let valid_from = match &measure.effective_start_date {
            Some(text) => {
                parse_date(&format!("import_measures[{idx}].effective_start_date"), text)?
            }
            None => version,
        };
        earliest = earliest.min(valid_from);
        let valid_to = match &measure.effective_end_date {
            Some(text) => {
                Some(parse_date(&format!("import_measures[{idx}].effective_end_date"), text)?)
            }
            None => None,
        };
        let acts: Vec<&str> =
            measure.legal_acts.iter().filter_map(|act| act.regulation_code.as_deref()).collect();
        let legal_reference = if acts.is_empty() {
            format!(
                "UK national measure: {} (measure sid {})",
                measure.measure_type.description, measure.id
            )
        } else {
            format!(
                "{} ({}, measure sid {})",
                acts.join(", "),
                measure.measure_type.description,
                measure.id
            )
        };
        measures.push(MeasureRecord {
            id: format!("uk-{}", measure.id),
            kind,
            applies_to: code,
            origin,
            excluded_origins: measure
                .excluded_countries
                .iter()
                .filter_map(|area| CountryCode::parse(&area.geographical_area_id).ok())
                .collect(),
            duty: Some(duty),
            document: (kind == MeasureKind::Preferential).then(|| "proof-of-origin".to_owned()),
            agreement: None,
            valid_from,
            valid_to,
            legal_reference,
            description: Some(measure.measure_type.description.clone()),
            illustrative: None,
        });
    }
    let description = commodity
        .description_plain
        .or(commodity.description)
        .unwrap_or_else(|| format!("UK commodity {code}"));
    let schedule = ScheduleFile {
        mfn_legal_reference: None,
        format: FORMAT.to_owned(),
        jurisdiction: "UK".to_owned(),
        title: format!("UK Online Trade Tariff, commodity {code} (imported)"),
        version,
        valid_from: earliest,
        valid_to: None,
        illustrative: false,
        notice: Some(
            "Imported from a UK Online Trade Tariff commodity document; check the live tariff before relying on it."
                .to_owned(),
        ),
        currency: CurrencyCode::parse("GBP").expect("GBP is a well-formed currency code"),
        nomenclature: "UK Integrated Tariff (HS 2022)".to_owned(),
        origin_groups,
        exchange_rates: Vec::new(),
        lines: vec![LineRecord {
            code,
            description,
            valid_from: earliest,
            valid_to: None,
            supplementary_unit: None,
            mfn: None,
        }],
        measures,
    };
    Ok(UkImport { schedule, skipped })
}
