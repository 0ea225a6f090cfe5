//! Currencies: ISO 4217 minor units for rounding, and the dated exchange-rate table a schedule
//! carries so a customs value or a specific duty in a foreign currency converts on the day.

use caravan_types::{CurrencyCode, Decimal};
use serde::Serialize;
use time::Date;

/// ISO 4217 List One minor units (number of decimals) of the currencies the engine rounds in:
/// the six mechanism countries, the EAEU partners and the usual invoicing currencies.
/// Source: ISO 4217 List One as published 2026-01-01 (checked against the list in the tests).
const MINOR_UNITS: &[(&str, u32)] = &[
    ("CNY", 2),
    ("KZT", 2),
    ("KGS", 2),
    ("TJS", 2),
    ("TMT", 2),
    ("UZS", 2),
    ("RUB", 2),
    ("BYN", 2),
    ("AMD", 2),
    ("USD", 2),
    ("EUR", 2),
    ("GBP", 2),
    ("CHF", 2),
    ("JPY", 0),
    ("KRW", 0),
    ("TRY", 2),
    ("AED", 2),
    ("INR", 2),
    ("KWD", 3),
    ("BHD", 3),
];

/// The ISO 4217 minor units of `currency`, or `None` when this engine does not know the currency.
pub fn minor_units(currency: CurrencyCode) -> Option<u32> {
    MINOR_UNITS.iter().find(|(code, _)| *code == currency.as_str()).map(|(_, n)| *n)
}

/// Every currency with known minor units, as (code, minor units).
pub fn known_minor_units() -> &'static [(&'static str, u32)] {
    MINOR_UNITS
}

/// One row of a dated exchange-rate table: from `valid_from` on, one unit of `currency` is
/// worth `rate` units of the schedule's accounting currency.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ExchangeRate {
    /// The foreign currency.
    pub currency: CurrencyCode,
    /// Units of the accounting currency per one unit of `currency`.
    #[serde(with = "rust_decimal::serde::str")]
    pub rate: Decimal,
    /// First day the rate applies.
    #[serde(serialize_with = "crate::schedule::serialize_date")]
    pub valid_from: Date,
    /// Who published the rate (e.g. a central bank), or "illustrative".
    pub source: String,
}

/// The rate for `currency` on `date`: the row with the latest `valid_from` not after `date`.
/// `rates` must be sorted by (currency, valid_from), as the schedule compiler leaves them.
pub(crate) fn rate_on(
    rates: &[ExchangeRate],
    currency: CurrencyCode,
    date: Date,
) -> Option<&ExchangeRate> {
    rates.iter().rev().find(|rate| rate.currency == currency && rate.valid_from <= date)
}
