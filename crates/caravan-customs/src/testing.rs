//! Test fixtures shared by the unit tests: the shipped code lists, the test extracts of the
//! reference lists (`tests/data/`), and the sample declarations of `data/customs/samples/`.

use std::collections::BTreeSet;

use caravan_types::{CountryCode, CurrencyCode, HsCode};
use serde_json::Value;
use time::Date;

use crate::codes::{CodeListSources, CodeLists, ReferenceLookup};
use crate::risk::{RiskRuleSet, RoutingTable};
use crate::validate::ValidationContext;

macro_rules! customs_file {
    ($name:literal) => {
        include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/../../data/customs/", $name))
    };
}

macro_rules! test_data {
    ($name:literal) => {
        include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/", $name))
    };
}

/// Reference look-ups over sets of codes; an HS code exists when its six-digit subheading does.
pub(crate) struct SetLookup {
    hs6: BTreeSet<String>,
    countries: BTreeSet<String>,
    currencies: BTreeSet<String>,
    units: BTreeSet<String>,
}

impl ReferenceLookup for SetLookup {
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

fn lines(text: &str) -> BTreeSet<String> {
    text.lines().map(str::trim).filter(|line| !line.is_empty()).map(str::to_owned).collect()
}

pub(crate) struct Fixture {
    pub(crate) code_lists: CodeLists,
    pub(crate) lookup: SetLookup,
}

impl Fixture {
    pub(crate) fn new() -> Fixture {
        let code_lists = CodeLists::parse(&CodeListSources {
            offices: customs_file!("offices.csv"),
            procedures: customs_file!("procedures.csv"),
            transport_modes: customs_file!("transport-modes.csv"),
            package_kinds: customs_file!("package-kinds.csv"),
            document_types: customs_file!("document-types.csv"),
            valuation_methods: customs_file!("valuation-methods.csv"),
        })
        .expect("shipped code lists parse");
        let lookup = SetLookup {
            hs6: lines(test_data!("hs2022-subheadings.txt")),
            countries: lines(test_data!("iso3166-alpha2.txt")),
            currencies: lines(test_data!("iso4217-alpha.txt")),
            units: lines(test_data!("rec20-active-codes.txt")),
        };
        Fixture { code_lists, lookup }
    }

    pub(crate) fn context(&self, today: Date) -> ValidationContext<'_> {
        ValidationContext { code_lists: &self.code_lists, reference: &self.lookup, today }
    }
}

pub(crate) fn sample(name: &str) -> Value {
    let text = match name {
        "import-apples-cn-kz.json" => customs_file!("samples/import-apples-cn-kz.json"),
        "export-copper-kz-cn.json" => customs_file!("samples/export-copper-kz-cn.json"),
        "import-electronics-cn-uz.json" => customs_file!("samples/import-electronics-cn-uz.json"),
        other => panic!("no sample {other}"),
    };
    serde_json::from_str(text).expect("samples are JSON")
}

pub(crate) fn shipped_rules() -> RiskRuleSet {
    RiskRuleSet::parse(customs_file!("risk-rules.json"), customs_file!("reference-values.csv"))
        .expect("shipped rules parse")
}

pub(crate) fn shipped_routing() -> RoutingTable {
    RoutingTable::parse(customs_file!("agency-routing.csv")).expect("shipped routing parses")
}
