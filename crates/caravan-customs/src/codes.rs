//! Code lists the validator needs beyond HS, countries, currencies and units, parsed from the
//! text of `data/customs/*.csv`; the [`ReferenceLookup`] port for those four reference lists;
//! and the ISO 6346 container-number check.

use std::collections::{BTreeMap, BTreeSet};

use caravan_types::{CountryCode, CurrencyCode, HsCode};

use crate::dataset::DeclarationType;

/// Look-ups into the reference data the shell owns (HS nomenclature and national lines,
/// ISO 3166, ISO 4217, UN/ECE Recommendation 20). `Sync`, so one look-up serves every thread.
pub trait ReferenceLookup: Sync {
    /// Whether the code (a national line, 6–10 digits) exists in the nomenclature.
    fn hs_code_exists(&self, code: &HsCode) -> bool;
    /// Whether the code is an assigned ISO 3166-1 alpha-2 code.
    fn country_exists(&self, country: &CountryCode) -> bool;
    /// Whether the code is an ISO 4217 currency.
    fn currency_exists(&self, currency: &CurrencyCode) -> bool;
    /// Whether the code is an active UN/ECE Recommendation 20 unit.
    fn unit_exists(&self, unit: &str) -> bool;
}

/// The text of each code-list file, as shipped under `data/customs/`.
#[derive(Debug, Clone, Copy)]
pub struct CodeListSources<'a> {
    /// `offices.csv`: `code,country,name`.
    pub offices: &'a str,
    /// `procedures.csv`: `code,declaration_type,name`.
    pub procedures: &'a str,
    /// `transport-modes.csv`: `code,name` (UN/ECE Recommendation 19).
    pub transport_modes: &'a str,
    /// `package-kinds.csv`: `code,name,countable` (UN/ECE Recommendation 21 subset).
    pub package_kinds: &'a str,
    /// `document-types.csv`: `code,name,certificate` (UN/EDIFACT 1001 subset).
    pub document_types: &'a str,
    /// `valuation-methods.csv`: `code,name,article` (WTO Customs Valuation Agreement).
    pub valuation_methods: &'a str,
}

/// A code-list file that could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CodeListError {
    #[error("{file}: row {row}: {reason}")]
    Row { file: &'static str, row: u64, reason: String },
    #[error("{file}: {reason}")]
    File { file: &'static str, reason: String },
}

/// The parsed code lists.
#[derive(Debug, Clone, Default)]
pub struct CodeLists {
    /// Office code → country of the office.
    pub offices: BTreeMap<String, CountryCode>,
    /// Procedure code → the declaration type it belongs to.
    pub procedures: BTreeMap<String, DeclarationType>,
    pub transport_modes: BTreeSet<String>,
    /// Package kind → whether a count of packages is expected (false for bulk and unpacked).
    pub package_kinds: BTreeMap<String, bool>,
    /// Document type → whether it is a certificate that a certifying body signs.
    pub document_types: BTreeMap<String, bool>,
    pub valuation_methods: BTreeSet<String>,
}

impl CodeLists {
    /// Parses every file.
    ///
    /// # Errors
    /// [`CodeListError`] naming the file and row of the first malformed record.
    pub fn parse(sources: &CodeListSources<'_>) -> Result<CodeLists, CodeListError> {
        let mut lists = CodeLists::default();
        for (row, record) in rows("offices.csv", sources.offices, 3)? {
            let country = CountryCode::parse(&record[1]).map_err(|err| CodeListError::Row {
                file: "offices.csv",
                row,
                reason: err.to_string(),
            })?;
            lists.offices.insert(record[0].clone(), country);
        }
        for (row, record) in rows("procedures.csv", sources.procedures, 3)? {
            let kind = DeclarationType::parse(&record[1]).ok_or_else(|| CodeListError::Row {
                file: "procedures.csv",
                row,
                reason: format!("declaration_type must be IM, EX or TR, got {:?}", record[1]),
            })?;
            lists.procedures.insert(record[0].clone(), kind);
        }
        for (_, record) in rows("transport-modes.csv", sources.transport_modes, 2)? {
            lists.transport_modes.insert(record[0].clone());
        }
        for (row, record) in rows("package-kinds.csv", sources.package_kinds, 3)? {
            let countable = parse_bool("package-kinds.csv", row, &record[2])?;
            lists.package_kinds.insert(record[0].clone(), countable);
        }
        for (row, record) in rows("document-types.csv", sources.document_types, 3)? {
            let certificate = parse_bool("document-types.csv", row, &record[2])?;
            lists.document_types.insert(record[0].clone(), certificate);
        }
        for (_, record) in rows("valuation-methods.csv", sources.valuation_methods, 3)? {
            lists.valuation_methods.insert(record[0].clone());
        }
        Ok(lists)
    }
}

/// The records of a CSV text with a header, each with its 1-based row number (header = row 1),
/// checked to have at least `n_columns` fields and a non-empty code in the first.
fn rows(
    file: &'static str,
    text: &str,
    n_columns: usize,
) -> Result<Vec<(u64, Vec<String>)>, CodeListError> {
    let mut reader = csv::ReaderBuilder::new().has_headers(true).from_reader(text.as_bytes());
    let mut out = Vec::new();
    for (idx, record) in reader.records().enumerate() {
        let row = idx as u64 + 2;
        let record =
            record.map_err(|err| CodeListError::Row { file, row, reason: err.to_string() })?;
        if record.len() < n_columns {
            return Err(CodeListError::Row {
                file,
                row,
                reason: format!("expected {n_columns} columns, got {}", record.len()),
            });
        }
        let fields: Vec<String> = record.iter().map(|field| field.trim().to_owned()).collect();
        if fields[0].is_empty() {
            return Err(CodeListError::Row { file, row, reason: "empty code".to_owned() });
        }
        out.push((row, fields));
    }
    if out.is_empty() {
        return Err(CodeListError::File { file, reason: "no codes".to_owned() });
    }
    Ok(out)
}

fn parse_bool(file: &'static str, row: u64, text: &str) -> Result<bool, CodeListError> {
    match text {
        "true" => Ok(true),
        "false" => Ok(false),
        other => Err(CodeListError::Row {
            file,
            row,
            reason: format!("expected true or false, got {other:?}"),
        }),
    }
}

/// Whether `number` is a well-formed ISO 6346 container identification: three-letter owner
/// code, equipment category `U`, `J` or `Z`, six-digit serial number and a check digit.
///
/// ISO 6346:2022 Annex A: letters take the values 10–38 skipping multiples of 11, each of the
/// first ten characters is weighted by 2^position, and the check digit is the sum modulo 11,
/// with a remainder of 10 written as 0.
pub fn iso6346_is_valid(number: &str) -> bool {
    let bytes = number.as_bytes();
    if bytes.len() != 11
        || !bytes[..3].iter().all(u8::is_ascii_uppercase)
        || !matches!(bytes[3], b'U' | b'J' | b'Z')
        || !bytes[4..].iter().all(u8::is_ascii_digit)
    {
        return false;
    }
    let mut sum = 0u32;
    for (position, &byte) in bytes[..10].iter().enumerate() {
        let value = if byte.is_ascii_digit() {
            u32::from(byte - b'0')
        } else {
            // A = 10, then count up skipping 11, 22 and 33.
            let mut value = 10 + u32::from(byte - b'A');
            value += (value - 1) / 10;
            value
        };
        sum += value << position;
    }
    let check = sum % 11 % 10;
    u32::from(bytes[10] - b'0') == check
}

#[cfg(test)]
mod tests;
