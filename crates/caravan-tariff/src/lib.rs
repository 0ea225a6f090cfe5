//! Tariff engine of Caravan: what duty and taxes are due on an import.
//!
//! Schedules ([`ScheduleFile`], format in `data/tariff/FORMAT.md`) hold national tariff lines under
//! HS 2022 and dated measures after the TARIC / UK Trade Tariff model; [`Schedule::compile`]
//! validates one and indexes each line's measures; [`calculate`] applies them to a
//! [`Declaration`] and explains every measure applied or not. [`uk`] imports the UK Online Trade
//! Tariff commodity JSON, [`ett`] the EAEU Common Customs Tariff bundle and trade-remedy registers. This crate does no I/O: callers read the files and pass the text.

mod averages;
mod calculate;
mod currency;
pub mod ett;
mod expr;
mod rates;
mod schedule;
pub mod uk;
mod union;
mod units;

pub use averages::{Hs6Average, ad_valorem_part, hs6_ad_valorem_averages};
pub use calculate::{
    Applied, Calculation, Declaration, DutyError, LineUsed, MIXED_NOTICE, NotApplied, Prohibition,
    Provenance, RateRow, RateUsed, Reason, Requirement, calculate, calculate_in,
    calculate_in_with_rates, calculate_with_rates,
};
pub use currency::{ExchangeRate, known_minor_units, minor_units};
pub use expr::{DutyExpr, EvalError, ExprError};
pub use rates::{RATES_HEADER, RatesCsvError, parse_rates_csv};
pub use schedule::{
    ExchangeRateRecord, FORMAT, FieldError, ILLUSTRATIVE_NOTICE, Line, LineRecord, Measure,
    MeasureKind, MeasureRecord, OriginSet, Schedule, ScheduleFile, Tariff,
};
pub use union::{EAEU_MEMBERS, is_eaeu_member, jurisdiction_of};
pub use units::{Dimension, Quantity, Unit, UnknownUnit};

/// Parses a schedule file's JSON text and compiles it.
///
/// # Errors
/// Every problem found, each with the path of the field (`measures[3].duty`); a JSON syntax or
/// type error is reported with its line and column under the path `(json)`.
pub fn parse_schedule(json: &str) -> Result<Schedule, Vec<FieldError>> {
    let file: ScheduleFile = serde_json::from_str(json)
        .map_err(|err| vec![FieldError { path: "(json)".to_owned(), reason: err.to_string() }])?;
    Schedule::compile(file)
}

#[cfg(test)]
mod tests;
