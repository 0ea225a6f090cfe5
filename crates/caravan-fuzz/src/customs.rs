//! Target of `caravan-customs`: the declaration JSON as lodging reads it (the borrowed
//! [`Json`] tree) and its validation.

use std::collections::BTreeSet;
use std::sync::OnceLock;

use caravan_customs::validate::{ValidationContext, validate_json, validate_value};
use caravan_customs::{CodeListSources, CodeLists, Json, ReferenceLookup};
use caravan_types::{CountryCode, CurrencyCode, HsCode};
use serde_json::Value;

macro_rules! customs_file {
    ($name:literal) => {
        include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/../../data/customs/", $name))
    };
}

macro_rules! reference_extract {
    ($name:literal) => {
        include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/../caravan-customs/tests/data/", $name))
    };
}

/// The reference look-ups over the extracts `caravan-customs` tests with.
struct SetLookup {
    hs6: BTreeSet<&'static str>,
    countries: BTreeSet<&'static str>,
    currencies: BTreeSet<&'static str>,
    units: BTreeSet<&'static str>,
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

fn lines(text: &'static str) -> BTreeSet<&'static str> {
    text.lines().map(str::trim).filter(|line| !line.is_empty()).collect()
}

struct Fixture {
    code_lists: CodeLists,
    lookup: SetLookup,
}

fn fixture() -> &'static Fixture {
    static FIXTURE: OnceLock<Fixture> = OnceLock::new();
    FIXTURE.get_or_init(|| Fixture {
        code_lists: CodeLists::parse(&CodeListSources {
            offices: customs_file!("offices.csv"),
            procedures: customs_file!("procedures.csv"),
            transport_modes: customs_file!("transport-modes.csv"),
            package_kinds: customs_file!("package-kinds.csv"),
            document_types: customs_file!("document-types.csv"),
            valuation_methods: customs_file!("valuation-methods.csv"),
        })
        .expect("the shipped code lists parse"),
        lookup: SetLookup {
            hs6: lines(reference_extract!("hs2022-subheadings.txt")),
            countries: lines(reference_extract!("iso3166-alpha2.txt")),
            currencies: lines(reference_extract!("iso4217-alpha.txt")),
            units: lines(reference_extract!("rec20-active-codes.txt")),
        },
    })
}

/// Declaration JSON: the borrowed tree and validation.
///
/// Properties: the borrowed tree and `serde_json::Value` agree on validity and on the value
/// (the tree written back reads as the same `Value`, to one ulp: see [`crate::same_value`]); validating the text and validating the
/// `Value` give the same declaration or the same errors; every error names a field.
pub fn declaration_json(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let tree = serde_json::from_str::<Json<'_>>(text);
    let value = serde_json::from_str::<Value>(text);
    assert_eq!(tree.is_ok(), value.is_ok(), "tree {:?} but Value {:?}", tree.err(), value.err());
    if let (Ok(tree), Ok(value)) = (&tree, &value) {
        let written = tree.to_string();
        let reread: Value = serde_json::from_str(&written).expect("the tree writes JSON");
        assert!(crate::same_value(&reread, value), "the tree writes {written} for {value}");
    }
    let fixture = fixture();
    let ctx = ValidationContext {
        code_lists: &fixture.code_lists,
        reference: &fixture.lookup,
        today: time::macros::date!(2026 - 12 - 31),
    };
    let by_text = validate_json(text, &ctx);
    if let Err(errors) = &by_text {
        assert!(!errors.is_empty(), "an error list is never empty");
        for error in errors {
            assert!(!error.path.is_empty() && !error.reason.is_empty(), "{error:?}");
        }
    }
    if let Ok(value) = &value {
        assert_eq!(validate_value(value, &ctx), by_text, "text and Value validate alike");
    }
}
