//! Loads the shipped code lists, the reference extracts of `tests/data/` and the samples.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use caravan_customs::{CodeListSources, CodeLists, ReferenceLookup, ValidationContext};
use caravan_types::{CountryCode, CurrencyCode, HsCode};
use time::Date;
use time::macros::date;

/// The day the tests validate on.
pub(crate) const TODAY: Date = date!(2026 - 11 - 28);

pub(crate) fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

pub(crate) fn customs_dir() -> PathBuf {
    repo_root().join("data/customs")
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|err| panic!("{}: {err}", path.display()))
}

fn lines(name: &str) -> BTreeSet<String> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data").join(name);
    read(&path).lines().map(str::trim).filter(|line| !line.is_empty()).map(str::to_owned).collect()
}

/// Reference look-ups over the extracts; an HS code exists when its subheading does.
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

pub(crate) struct Fixture {
    pub(crate) code_lists: CodeLists,
    pub(crate) lookup: SetLookup,
}

impl Fixture {
    pub(crate) fn load() -> Fixture {
        let dir = customs_dir();
        let texts: Vec<String> = [
            "offices.csv",
            "procedures.csv",
            "transport-modes.csv",
            "package-kinds.csv",
            "document-types.csv",
            "valuation-methods.csv",
        ]
        .iter()
        .map(|name| read(&dir.join(name)))
        .collect();
        let code_lists = CodeLists::parse(&CodeListSources {
            offices: &texts[0],
            procedures: &texts[1],
            transport_modes: &texts[2],
            package_kinds: &texts[3],
            document_types: &texts[4],
            valuation_methods: &texts[5],
        })
        .expect("shipped code lists parse");
        let lookup = SetLookup {
            hs6: lines("hs2022-subheadings.txt"),
            countries: lines("iso3166-alpha2.txt"),
            currencies: lines("iso4217-alpha.txt"),
            units: lines("rec20-active-codes.txt"),
        };
        Fixture { code_lists, lookup }
    }

    /// One fixture for the whole test binary.
    pub(crate) fn shared() -> &'static Fixture {
        static FIXTURE: std::sync::OnceLock<Fixture> = std::sync::OnceLock::new();
        FIXTURE.get_or_init(Fixture::load)
    }

    pub(crate) fn context(&self) -> ValidationContext<'_> {
        ValidationContext { code_lists: &self.code_lists, reference: &self.lookup, today: TODAY }
    }
}

/// The sample declarations shipped in `data/customs/samples/`, as (file name, text).
pub(crate) fn samples() -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = std::fs::read_dir(customs_dir().join("samples"))
        .expect("data/customs/samples is present")
        .map(|entry| entry.expect("readable directory entry").path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "json"))
        .map(|path| {
            (
                path.file_name().expect("a file has a name").to_string_lossy().into_owned(),
                read(&path),
            )
        })
        .collect();
    out.sort();
    assert!(out.len() >= 3, "samples missing");
    out
}
