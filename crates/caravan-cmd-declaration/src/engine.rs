//! The shipped data the engine needs, compiled into the binary: the customs code lists, risk
//! rules and routing of `data/customs/`, and the code columns of `data/reference/`.

use std::collections::HashSet;

use anyhow::Context;
use caravan_customs::risk::{RiskRuleSet, RoutingTable};
use caravan_customs::{CodeListSources, CodeLists, ReferenceLookup};
use caravan_types::{CountryCode, CurrencyCode, HsCode};

macro_rules! repo_file {
    ($path:literal) => {
        include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/../../data/", $path))
    };
}

/// The four reference lists the validator asks about, read from `data/reference/`.
///
/// Only the code columns are needed, so this reads them directly rather than building the
/// whole `caravan-refdata` index (with its search index); the server can implement
/// `ReferenceLookup` for `caravan_refdata::ReferenceData` instead.
pub(crate) struct Reference {
    hs6: HashSet<String>,
    countries: HashSet<String>,
    currencies: HashSet<String>,
    units: HashSet<String>,
}

impl ReferenceLookup for Reference {
    /// A national line exists when its six-digit HS 2022 subheading does: the shipped
    /// reference data has no complete national tariffs of the six countries yet.
    fn hs_code_exists(&self, code: &HsCode) -> bool {
        code.len() >= 6 && self.hs6.contains(code.truncate(6).as_str())
    }
    fn country_exists(&self, country: &CountryCode) -> bool {
        self.countries.contains(country.as_str())
    }
    fn currency_exists(&self, currency: &CurrencyCode) -> bool {
        self.currencies.contains(currency.as_str())
    }
    fn unit_exists(&self, unit: &str) -> bool {
        self.units.contains(unit)
    }
}

/// The values of column `column` in the rows of a CSV text where `keep` holds.
fn column(
    file: &str,
    text: &str,
    column: &str,
    keep: impl Fn(&csv::StringRecord, &csv::StringRecord) -> bool,
) -> anyhow::Result<HashSet<String>> {
    let text = text.trim_start_matches('\u{feff}');
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    let headers =
        reader.headers().with_context(|| format!("reading the header of {file}"))?.clone();
    let idx = headers
        .iter()
        .position(|name| name == column)
        .with_context(|| format!("{file} has no column {column}"))?;
    let mut out = HashSet::new();
    for (row, record) in reader.records().enumerate() {
        let record = record.with_context(|| format!("{file}: row {}", row + 2))?;
        let value = record.get(idx).unwrap_or_default().trim();
        if !value.is_empty() && keep(&headers, &record) {
            out.insert(value.to_owned());
        }
    }
    anyhow::ensure!(!out.is_empty(), "{file}: no codes in column {column}");
    Ok(out)
}

fn field<'r>(headers: &csv::StringRecord, record: &'r csv::StringRecord, name: &str) -> &'r str {
    headers
        .iter()
        .position(|header| header == name)
        .and_then(|idx| record.get(idx))
        .unwrap_or_default()
        .trim()
}

impl Reference {
    fn load() -> anyhow::Result<Reference> {
        let broken = "(a broken build: restore data/reference/ from git)";
        Ok(Reference {
            hs6: column(
                "hs2022-nomenclature/harmonized-system.csv",
                repo_file!("reference/hs2022-nomenclature/harmonized-system.csv"),
                "hscode",
                |h, r| field(h, r, "level") == "6",
            )
            .context(broken)?,
            countries: column(
                "iso-codes/country-codes.csv",
                repo_file!("reference/iso-codes/country-codes.csv"),
                "ISO3166-1-Alpha-2",
                |_, _| true,
            )
            .context(broken)?,
            currencies: column(
                "iso-codes/iso4217_list_one.csv",
                repo_file!("reference/iso-codes/iso4217_list_one.csv"),
                "alpha_code",
                |_, _| true,
            )
            .context(broken)?,
            // Rec 20 status blank = active; `X` (marked for deletion) and `D` (deprecated) are refused.
            units: column(
                "unece-rec20/rec20_all_codes.csv",
                repo_file!("reference/unece-rec20/rec20_all_codes.csv"),
                "common_code",
                |h, r| field(h, r, "status").is_empty(),
            )
            .context(broken)?,
        })
    }
}

/// Everything loaded.
pub(crate) struct Engine {
    pub(crate) code_lists: CodeLists,
    pub(crate) reference: Reference,
    pub(crate) rules: RiskRuleSet,
    pub(crate) routing: RoutingTable,
}

impl Engine {
    /// Parses the compiled-in files.
    ///
    /// # Errors
    /// Only for a build from a broken checkout: the message names the file.
    pub(crate) fn load() -> anyhow::Result<Engine> {
        let code_lists = CodeLists::parse(&CodeListSources {
            offices: repo_file!("customs/offices.csv"),
            procedures: repo_file!("customs/procedures.csv"),
            transport_modes: repo_file!("customs/transport-modes.csv"),
            package_kinds: repo_file!("customs/package-kinds.csv"),
            document_types: repo_file!("customs/document-types.csv"),
            valuation_methods: repo_file!("customs/valuation-methods.csv"),
        })
        .context("parsing the shipped code lists of data/customs/ (a broken build: restore the files from git)")?;
        let reference = Reference::load()?;
        let rules = RiskRuleSet::parse(
            repo_file!("customs/risk-rules.json"),
            repo_file!("customs/reference-values.csv"),
        )
        .context("parsing data/customs/risk-rules.json and reference-values.csv")?;
        let routing = RoutingTable::parse(repo_file!("customs/agency-routing.csv"))
            .context("parsing data/customs/agency-routing.csv")?;
        Ok(Engine { code_lists, reference, rules, routing })
    }
}
