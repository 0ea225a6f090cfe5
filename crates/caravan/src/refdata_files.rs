//! The reference data files, compiled into the binary so `caravan serve` needs no data folder.
//! Their sources and licences are in `data/reference/*/PROVENANCE.md`.

use std::time::{Duration, Instant};

use anyhow::Context;
use caravan_refdata::{ReferenceData, Sources};

macro_rules! reference_file {
    ($path:literal) => {
        include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/../../data/reference/", $path))
    };
}

/// The shipped sources.
pub(crate) fn sources() -> Sources<'static> {
    Sources {
        hs2022: reference_file!("hs2022-nomenclature/harmonized-system.csv"),
        sections: reference_file!("hs2022-nomenclature/sections.csv"),
        hs2017_correlation: reference_file!("hs-correspondence/hs2022_hs2017_correlation.csv"),
        tnved_ru: reference_file!("tnved-eaeu-ru/tnved_eaeu_ru.csv"),
        countries: reference_file!("iso-codes/country-codes.csv"),
        currencies: reference_file!("iso-codes/iso4217_list_one.csv"),
        units: reference_file!("unece-rec20/rec20_all_codes.csv"),
        synonyms: reference_file!("search/hs_synonyms.csv"),
        ett_lines_not_listed: reference_file!("tnved-eaeu-ru/ett_lines_not_listed.csv"),
    }
}

/// Loads the shipped reference data and says how long it took.
///
/// # Errors
/// When a shipped file is malformed (a build from a broken checkout).
pub(crate) fn load() -> anyhow::Result<(ReferenceData, Duration)> {
    let started = Instant::now();
    let data = ReferenceData::load(&sources()).context("loading the shipped reference data")?;
    Ok((data, started.elapsed()))
}
