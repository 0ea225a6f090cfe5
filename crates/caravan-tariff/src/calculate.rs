//! The duty calculation: given a declaration (destination, date, line, origin, customs value,
//! quantity, documents presented), every measure that applies with its amount and legal basis,
//! the total, and every measure considered that did not apply, with the reason.
//!
//! Order of assessment (after the UK Trade Tariff duty calculator and TARIC):
//! 1. customs duty: the lowest of the third-country duty and every preferential duty whose origin
//!    and proof-of-origin conditions are met (a preference never raises the duty);
//! 2. additional duties (trade defence) on top;
//! 3. excise: a percentage of it is taken on customs value + customs duty;
//! 4. VAT on customs value + customs duties + excise (issue #4; cf. Directive 2006/112/EC
//!    art. 86(1)(a), UK VATA 1994 s.21(2): the import VAT base includes duties and excise).
//!
//! Each amount is rounded to the ISO 4217 minor unit of the schedule currency, half away from zero.

use std::fmt;

use caravan_types::{CountryCode, CurrencyCode, Decimal, HsCode, Money};
use rust_decimal::RoundingStrategy;
use serde::{Serialize, Serializer};
use time::Date;

use crate::currency::{ExchangeRate, rate_on};
use crate::expr::EvalError;
use crate::schedule::{Line, Measure, MeasureKind, Schedule, Tariff, serialize_date};
use crate::units::Quantity;

/// What the trader declares.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Declaration {
    /// Importing jurisdiction's schedule tag (`EAEU`, `CN`, `UZ`, `TJ`, `TM`).
    pub jurisdiction: String,
    /// Date of acceptance of the declaration: selects schedule, line, measures and rates.
    pub date: Date,
    /// The national tariff line.
    pub code: HsCode,
    /// Country of origin of the goods.
    pub origin: CountryCode,
    /// Customs value, in any currency with a rate in the schedule.
    pub customs_value: Money,
    /// Quantity, needed when a specific duty applies.
    pub quantity: Option<Quantity>,
    /// Codes of the documents presented (e.g. `origin-cert`, `phytosanitary-cert`).
    pub documents: Vec<String>,
}

/// Why a calculation was refused. Each variant names the declaration field at fault
/// ([`DutyError::field`]).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DutyError {
    #[error("no tariff schedule for jurisdiction {jurisdiction:?}; known: {known}")]
    UnknownJurisdiction { jurisdiction: String, known: String },
    #[error("no {jurisdiction} schedule is in force on {date}; schedules cover {coverage}")]
    DateOutsideSchedules { jurisdiction: String, date: Date, coverage: String },
    #[error("code {code} is not a tariff line of the {jurisdiction} schedule {version}")]
    UnknownCode { code: HsCode, jurisdiction: String, version: Date },
    #[error("tariff line {code} is not valid on {date}: it is valid {valid}")]
    LineNotValid { code: HsCode, date: Date, valid: String },
    #[error("customs value must be positive, got {0}")]
    NonPositiveValue(Money),
    #[error("quantity must not be negative, got {0}")]
    NegativeQuantity(Decimal),
    #[error("{field} {value} is too large (at most 10^18)")]
    TooLarge { field: &'static str, value: Decimal },
    #[error("currency {currency} has no exchange rate into {into} on {date} in the schedule")]
    NoExchangeRate { currency: CurrencyCode, into: CurrencyCode, date: Date },
    #[error(
        "the rates given have no {currency} to {into} rate for {date}: add the official rate of that day as a row `{date},{currency},{into},RATE,SOURCE`"
    )]
    NoRateOnDate { currency: CurrencyCode, into: CurrencyCode, date: Date },
    #[error(
        "measure {measure} ({expression}) needs a quantity in {unit} ({unit_name}): give --quantity and --unit"
    )]
    MissingQuantity {
        measure: String,
        expression: String,
        unit: &'static str,
        unit_name: &'static str,
    },
    #[error(
        "measure {measure} ({expression}) is charged per {required}; a quantity in {given} cannot be converted"
    )]
    IncompatibleUnit {
        measure: String,
        expression: String,
        given: &'static str,
        required: &'static str,
    },
    #[error("amount too large to compute for measure {measure}")]
    Overflow { measure: String },
}

impl DutyError {
    /// The declaration field the error is about, for a form or an API error's `field`.
    pub fn field(&self) -> &'static str {
        match self {
            DutyError::UnknownJurisdiction { .. } => "jurisdiction",
            DutyError::DateOutsideSchedules { .. } | DutyError::LineNotValid { .. } => "date",
            DutyError::UnknownCode { .. } => "code",
            DutyError::NonPositiveValue(_) | DutyError::Overflow { .. } => "value",
            DutyError::NegativeQuantity(_) | DutyError::MissingQuantity { .. } => "quantity",
            DutyError::TooLarge { field, .. } => field,
            DutyError::IncompatibleUnit { .. } => "unit",
            DutyError::NoExchangeRate { .. } => "currency",
            DutyError::NoRateOnDate { .. } => "rates",
        }
    }
}

/// Whether an amount rests on law or on a sample: every measure of a calculation says which.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Provenance {
    /// From a real, cited legal source (`legal_basis`).
    Real,
    /// A sample figure for testing and demonstration, not law.
    Illustrative,
    /// A calculation whose measures are partly real and partly illustrative.
    Mixed,
}

impl Provenance {
    fn of(measure: &Measure) -> Provenance {
        if measure.illustrative { Provenance::Illustrative } else { Provenance::Real }
    }

    /// `real`, `illustrative` or `mixed`.
    pub fn as_str(&self) -> &'static str {
        match self {
            Provenance::Real => "real",
            Provenance::Illustrative => "illustrative",
            Provenance::Mixed => "mixed",
        }
    }
}

/// What a calculation mixing real and illustrative measures says at its top.
pub const MIXED_NOTICE: &str = "MIXED: some amounts below come from real, cited law and some from illustrative samples; each measure says which (provenance).";

/// An exchange rate given with a calculation (a rates file or an administrator's upload):
/// one unit of `rate.currency` is worth `rate.rate` units of `to` on the day `rate.valid_from`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RateRow {
    /// The currency the rate converts into.
    pub to: CurrencyCode,
    /// The rate, its day and its source.
    pub rate: ExchangeRate,
}

/// A measure that applied, with its amount.
#[derive(Debug, Clone, Serialize)]
pub struct Applied<'s> {
    /// Measure id.
    pub measure_id: &'s str,
    /// Kind of measure.
    pub kind: MeasureKind,
    /// Duty expression as written, if any.
    pub expression: Option<&'s str>,
    /// Agreement of a preference.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub agreement: Option<&'s str>,
    /// Amount a percentage was taken of.
    pub base: Option<Money>,
    /// Amount due, rounded to minor units.
    pub amount: Money,
    /// Legal basis.
    pub legal_basis: &'s str,
    /// Real (law, cited in `legal_basis`) or illustrative.
    pub provenance: Provenance,
}

/// Why a measure was considered and not applied.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reason<'s> {
    /// Not in force on the declaration date.
    NotInForce { valid_from: Date, valid_to: Option<Date> },
    /// The origin is not covered by the measure's geographical area.
    OriginNotCovered { origin: CountryCode, area: &'s str },
    /// The origin is explicitly excluded.
    OriginExcluded { origin: CountryCode },
    /// A preference without its proof of origin.
    NoProofOfOrigin { document: &'s str },
    /// A duty measure beaten by a lower one.
    HigherThan { other: &'s str, amount: Money, other_amount: Money },
}

impl fmt::Display for Reason<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Reason::NotInForce { valid_from, valid_to: Some(to) } => {
                write!(f, "not in force on the declaration date: valid {valid_from} to {to}")
            }
            Reason::NotInForce { valid_from, valid_to: None } => {
                write!(f, "not in force on the declaration date: valid from {valid_from}")
            }
            Reason::OriginNotCovered { origin, area } => {
                write!(f, "origin {origin} is not in the measure's origin area {area}")
            }
            Reason::OriginExcluded { origin } => {
                write!(f, "origin {origin} is excluded from the measure")
            }
            Reason::NoProofOfOrigin { document } => {
                write!(
                    f,
                    "preferential rate not applied: no proof of origin ({document} not presented)"
                )
            }
            Reason::HigherThan { other, amount, other_amount } => write!(
                f,
                "not applied: {amount} is higher than {other_amount} under measure {other} (the lowest customs duty applies)"
            ),
        }
    }
}

impl Serialize for Reason<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

/// A measure considered and not applied.
#[derive(Debug, Clone, Serialize)]
pub struct NotApplied<'s> {
    /// Measure id.
    pub measure_id: &'s str,
    /// Kind.
    pub kind: MeasureKind,
    /// Duty expression as written, if any.
    pub expression: Option<&'s str>,
    /// Why it did not apply.
    pub reason: Reason<'s>,
    /// Legal basis.
    pub legal_basis: &'s str,
    /// Real (law, cited in `legal_basis`) or illustrative.
    pub provenance: Provenance,
}

/// A document requirement and whether it is met.
#[derive(Debug, Clone, Serialize)]
pub struct Requirement<'s> {
    /// Measure id.
    pub measure_id: &'s str,
    /// Document code.
    pub document: &'s str,
    /// Whether it was presented.
    pub presented: bool,
    /// Legal basis.
    pub legal_basis: &'s str,
}

/// A prohibition that applies.
#[derive(Debug, Clone, Serialize)]
pub struct Prohibition<'s> {
    /// Measure id.
    pub measure_id: &'s str,
    /// Legal basis.
    pub legal_basis: &'s str,
}

/// An exchange rate used, stated in the result.
#[derive(Debug, Clone, Serialize)]
pub struct RateUsed<'s> {
    /// From this currency.
    pub from: CurrencyCode,
    /// Into the schedule currency.
    pub to: CurrencyCode,
    /// The rate row.
    #[serde(flatten)]
    pub rate: &'s ExchangeRate,
}

/// The tariff line a calculation used.
#[derive(Debug, Clone, Serialize)]
pub struct LineUsed<'s> {
    /// The code.
    pub code: HsCode,
    /// Its description.
    pub description: &'s str,
}

/// The result of a calculation: every amount in the schedule currency.
#[derive(Debug, Clone, Serialize)]
pub struct Calculation<'s> {
    /// True when the schedule, or any measure considered, is a sample, not law.
    pub illustrative: bool,
    /// `real`, `illustrative`, or `mixed` when the measures considered are both.
    pub provenance: Provenance,
    /// Set when `provenance` is `mixed`: says so before anything else.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub provenance_notice: Option<&'static str>,
    /// Notice to show with the result.
    pub notice: &'s str,
    /// Jurisdiction.
    pub jurisdiction: &'s str,
    /// Schedule title.
    pub schedule: &'s str,
    /// Schedule version used.
    #[serde(serialize_with = "serialize_date")]
    pub schedule_version: Date,
    /// Declaration date.
    #[serde(serialize_with = "serialize_date")]
    pub date: Date,
    /// The line.
    pub line: LineUsed<'s>,
    /// Origin.
    pub origin: CountryCode,
    /// Value as declared.
    pub declared_value: Money,
    /// Customs value in the schedule currency, rounded to minor units.
    pub customs_value: Money,
    /// Quantity declared.
    pub quantity: Option<Quantity>,
    /// Exchange rates used.
    pub exchange_rates: Vec<RateUsed<'s>>,
    /// Measures that apply, with amounts.
    pub applied: Vec<Applied<'s>>,
    /// Measures considered that did not apply, with reasons.
    pub not_applied: Vec<NotApplied<'s>>,
    /// Document requirements.
    pub requirements: Vec<Requirement<'s>>,
    /// Prohibitions: when not empty the goods may not be imported.
    pub prohibitions: Vec<Prohibition<'s>>,
    /// Base of VAT: customs value + customs duties + excise.
    pub vat_base: Money,
    /// Total of the amounts applied.
    pub total: Money,
}

fn round(amount: Decimal, minor_units: u32) -> Decimal {
    amount.round_dp_with_strategy(minor_units, RoundingStrategy::MidpointAwayFromZero)
}

fn describe_validity(from: Date, to: Option<Date>) -> String {
    match to {
        Some(to) => format!("from {from} to {to}"),
        None => format!("from {from}"),
    }
}

/// Computes the duties and taxes due on a declaration.
///
/// # Errors
/// [`DutyError`] naming the field: unknown jurisdiction or code, a date outside every schedule or
/// outside the line's validity, a non-positive value, a negative quantity, a missing quantity or
/// an inconvertible unit for a specific duty, or a currency without a rate.
pub fn calculate<'s>(
    tariff: &'s Tariff,
    declaration: &Declaration,
) -> Result<Calculation<'s>, DutyError> {
    calculate_with_rates(tariff, declaration, &[])
}

/// As [`calculate`], with exchange rates given apart from the schedule (a rates file): a rate
/// into the schedule currency for the declaration date is taken from `rates` when `rates` has
/// any row for that pair of currencies, and the date must then have its own row (no older rate is
/// carried forward); otherwise from the schedule.
///
/// # Errors
/// As [`calculate`], and [`DutyError::NoRateOnDate`].
pub fn calculate_with_rates<'s>(
    tariff: &'s Tariff,
    declaration: &Declaration,
    rates: &'s [RateRow],
) -> Result<Calculation<'s>, DutyError> {
    let versions = tariff.versions(&declaration.jurisdiction);
    if versions.is_empty() {
        return Err(DutyError::UnknownJurisdiction {
            jurisdiction: declaration.jurisdiction.clone(),
            known: tariff.jurisdictions().collect::<Vec<_>>().join(", "),
        });
    }
    let Some(schedule) = tariff.schedule_on(&declaration.jurisdiction, declaration.date) else {
        return Err(DutyError::DateOutsideSchedules {
            jurisdiction: declaration.jurisdiction.clone(),
            date: declaration.date,
            coverage: versions
                .iter()
                .map(|s| describe_validity(s.valid_from, s.valid_to))
                .collect::<Vec<_>>()
                .join("; "),
        });
    };
    calculate_in_with_rates(schedule, declaration, rates)
}

/// Computes the duties and taxes due on a declaration under one schedule version.
///
/// # Errors
/// As [`calculate`], less the schedule selection.
pub fn calculate_in<'s>(
    schedule: &'s Schedule,
    declaration: &Declaration,
) -> Result<Calculation<'s>, DutyError> {
    calculate_in_with_rates(schedule, declaration, &[])
}

/// The rate into `currency` for `foreign` on `date`: from `given` when it has the pair (then
/// only a row of that very date), else from the schedule's table.
fn find_rate<'s>(
    schedule: &'s Schedule,
    given: &'s [RateRow],
    foreign: CurrencyCode,
    date: Date,
) -> Result<Option<&'s ExchangeRate>, DutyError> {
    let currency = schedule.currency;
    let mut pair = given.iter().filter(|row| row.to == currency && row.rate.currency == foreign);
    if let Some(first) = pair.next() {
        if first.rate.valid_from == date {
            return Ok(Some(&first.rate));
        }
        return match pair.find(|row| row.rate.valid_from == date) {
            Some(row) => Ok(Some(&row.rate)),
            None => Err(DutyError::NoRateOnDate { currency: foreign, into: currency, date }),
        };
    }
    Ok(rate_on(&schedule.exchange_rates, foreign, date))
}

/// As [`calculate_in`], with exchange rates given apart from the schedule (see
/// [`calculate_with_rates`]).
///
/// # Errors
/// As [`calculate_with_rates`].
pub fn calculate_in_with_rates<'s>(
    schedule: &'s Schedule,
    declaration: &Declaration,
    given_rates: &'s [RateRow],
) -> Result<Calculation<'s>, DutyError> {
    let date = declaration.date;
    if declaration.customs_value.amount <= Decimal::ZERO {
        return Err(DutyError::NonPositiveValue(declaration.customs_value));
    }
    // Bounding the inputs keeps every later sum far from Decimal's limit (about 7.9e28).
    let max_input = Decimal::from(1_000_000_000_000_000_000u64);
    if declaration.customs_value.amount > max_input {
        return Err(DutyError::TooLarge {
            field: "value",
            value: declaration.customs_value.amount,
        });
    }
    if let Some(quantity) = &declaration.quantity {
        if quantity.amount.is_sign_negative() {
            return Err(DutyError::NegativeQuantity(quantity.amount));
        }
        if quantity.amount > max_input {
            return Err(DutyError::TooLarge { field: "quantity", value: quantity.amount });
        }
    }
    let versions = schedule.line_versions(&declaration.code);
    if versions.is_empty() {
        return Err(DutyError::UnknownCode {
            code: declaration.code,
            jurisdiction: schedule.jurisdiction.clone(),
            version: schedule.version,
        });
    }
    let line_idx = versions
        .iter()
        .copied()
        .find(|idx| {
            let line: &Line = &schedule.lines[*idx as usize];
            crate::schedule::in_period(date, line.valid_from, line.valid_to)
        })
        .ok_or_else(|| DutyError::LineNotValid {
            code: declaration.code,
            date,
            valid: versions
                .iter()
                .map(|idx| {
                    let line = &schedule.lines[*idx as usize];
                    describe_validity(line.valid_from, line.valid_to)
                })
                .collect::<Vec<_>>()
                .join("; "),
        })?;
    let line = &schedule.lines[line_idx as usize];
    let currency = schedule.currency;
    let minor = schedule.minor_units;

    let mut exchange_rates: Vec<RateUsed<'s>> = Vec::new();
    let mut rate_into = |foreign: CurrencyCode| -> Result<Option<Decimal>, DutyError> {
        if foreign == currency {
            return Ok(None);
        }
        let rate = find_rate(schedule, given_rates, foreign, date)?
            .ok_or(DutyError::NoExchangeRate { currency: foreign, into: currency, date })?;
        if !exchange_rates.iter().any(|used| used.from == foreign) {
            exchange_rates.push(RateUsed { from: foreign, to: currency, rate });
        }
        Ok(Some(rate.rate))
    };
    let declared = declaration.customs_value;
    let customs_value = match rate_into(declared.currency)? {
        Some(rate) => round(
            declared.amount.checked_mul(rate).ok_or_else(|| DutyError::Overflow {
                measure: "customs value conversion".to_owned(),
            })?,
            minor,
        ),
        None => round(declared.amount, minor),
    };
    let add = |a: Decimal, b: Decimal| {
        a.checked_add(b).ok_or_else(|| DutyError::Overflow { measure: "sum of duties".to_owned() })
    };
    // Specific duties in another currency convert at the schedule's rate on the date; a
    // currency without a rate fails only when its measure applies.
    let convert = |foreign: CurrencyCode, amount: Decimal| -> Option<Decimal> {
        if foreign == currency {
            return Some(amount);
        }
        find_rate(schedule, given_rates, foreign, date)
            .ok()
            .flatten()
            .and_then(|rate| amount.checked_mul(rate.rate))
    };
    let quantity = declaration.quantity.as_ref();
    let evaluate = |measure: &'s Measure, base: Decimal| -> Result<Decimal, DutyError> {
        let Some(expr) = &measure.duty else { return Ok(Decimal::ZERO) };
        let expression = || measure.duty_text.clone().unwrap_or_default();
        expr.evaluate(base, quantity, &convert).map(|amount| round(amount, minor)).map_err(|err| {
            match err {
                EvalError::MissingQuantity { unit } => DutyError::MissingQuantity {
                    measure: measure.id.clone(),
                    expression: expression(),
                    unit: unit.code(),
                    unit_name: unit.name(),
                },
                EvalError::IncompatibleUnit { given, required } => DutyError::IncompatibleUnit {
                    measure: measure.id.clone(),
                    expression: expression(),
                    given: given.code(),
                    required: required.code(),
                },
                EvalError::NoExchangeRate { currency: foreign } => {
                    match find_rate(schedule, given_rates, foreign, date) {
                        Err(err) => err,
                        Ok(_) => {
                            DutyError::NoExchangeRate { currency: foreign, into: currency, date }
                        }
                    }
                }
                EvalError::Overflow => DutyError::Overflow { measure: measure.id.clone() },
            }
        })
    };
    let money = |amount: Decimal| Money::new(amount, currency);

    let mut applied: Vec<Applied<'s>> = Vec::new();
    let mut not_applied: Vec<NotApplied<'s>> = Vec::new();
    let mut requirements: Vec<Requirement<'s>> = Vec::new();
    let mut prohibitions: Vec<Prohibition<'s>> = Vec::new();
    let mut skip = |measure: &'s Measure, reason: Reason<'s>| {
        not_applied.push(NotApplied {
            measure_id: &measure.id,
            kind: measure.kind,
            expression: measure.duty_text.as_deref(),
            reason,
            legal_basis: &measure.legal_reference,
            provenance: Provenance::of(measure),
        });
    };
    let origin = declaration.origin;
    let has_document =
        |document: &str| declaration.documents.iter().any(|d| d.eq_ignore_ascii_case(document));

    // Which measures pass date and origin; candidates for the customs duty are kept apart.
    let mut duty_candidates: Vec<(&'s Measure, Decimal)> = Vec::new();
    let mut later: Vec<&'s Measure> = Vec::new();
    for measure in schedule.measures_of_line(line_idx) {
        if !measure.in_force(date) {
            skip(
                measure,
                Reason::NotInForce { valid_from: measure.valid_from, valid_to: measure.valid_to },
            );
            continue;
        }
        if measure.excluded_origins.contains(&origin) {
            skip(measure, Reason::OriginExcluded { origin });
            continue;
        }
        if !measure.covers(origin) {
            skip(measure, Reason::OriginNotCovered { origin, area: &measure.origin_label });
            continue;
        }
        match measure.kind {
            MeasureKind::Mfn => duty_candidates.push((measure, evaluate(measure, customs_value)?)),
            MeasureKind::Preferential => match measure.document.as_deref() {
                Some(document) if !has_document(document) => {
                    skip(measure, Reason::NoProofOfOrigin { document });
                }
                _ => duty_candidates.push((measure, evaluate(measure, customs_value)?)),
            },
            MeasureKind::Document => {
                let document = measure.document.as_deref().unwrap_or_default();
                requirements.push(Requirement {
                    measure_id: &measure.id,
                    document,
                    presented: has_document(document),
                    legal_basis: &measure.legal_reference,
                });
            }
            MeasureKind::Prohibition => {
                prohibitions.push(Prohibition {
                    measure_id: &measure.id,
                    legal_basis: &measure.legal_reference,
                });
            }
            MeasureKind::Additional | MeasureKind::Excise | MeasureKind::Vat => later.push(measure),
        }
    }

    // 1. Customs duty: the lowest candidate; ties go to the first listed.
    let mut customs_duty = Decimal::ZERO;
    if let Some(&(best, best_amount)) = duty_candidates.iter().min_by_key(|(_, amount)| *amount) {
        customs_duty = best_amount;
        for &(measure, amount) in &duty_candidates {
            if std::ptr::eq(measure, best) {
                applied.push(Applied {
                    measure_id: &measure.id,
                    kind: measure.kind,
                    expression: measure.duty_text.as_deref(),
                    agreement: measure.agreement.as_deref(),
                    base: Some(money(customs_value)),
                    amount: money(amount),
                    legal_basis: &measure.legal_reference,
                    provenance: Provenance::of(measure),
                });
            } else {
                skip(
                    measure,
                    Reason::HigherThan {
                        other: &best.id,
                        amount: money(amount),
                        other_amount: money(best_amount),
                    },
                );
            }
        }
    }
    // 2. Additional duties on the customs value.
    let mut duties = customs_duty;
    for measure in later.iter().filter(|m| m.kind == MeasureKind::Additional) {
        let amount = evaluate(measure, customs_value)?;
        duties = add(duties, amount)?;
        applied.push(Applied {
            measure_id: &measure.id,
            kind: measure.kind,
            expression: measure.duty_text.as_deref(),
            agreement: None,
            base: Some(money(customs_value)),
            amount: money(amount),
            legal_basis: &measure.legal_reference,
            provenance: Provenance::of(measure),
        });
    }
    // 3. Excise: a percentage part is taken on customs value + customs duties.
    let excise_base = add(customs_value, duties)?;
    let mut excise = Decimal::ZERO;
    for measure in later.iter().filter(|m| m.kind == MeasureKind::Excise) {
        let amount = evaluate(measure, excise_base)?;
        excise = add(excise, amount)?;
        applied.push(Applied {
            measure_id: &measure.id,
            kind: measure.kind,
            expression: measure.duty_text.as_deref(),
            agreement: None,
            base: Some(money(excise_base)),
            amount: money(amount),
            legal_basis: &measure.legal_reference,
            provenance: Provenance::of(measure),
        });
    }
    // 4. VAT on customs value + duties + excise.
    let vat_base = add(excise_base, excise)?;
    let mut vat = Decimal::ZERO;
    for measure in later.iter().filter(|m| m.kind == MeasureKind::Vat) {
        let amount = evaluate(measure, vat_base)?;
        vat = add(vat, amount)?;
        applied.push(Applied {
            measure_id: &measure.id,
            kind: measure.kind,
            expression: measure.duty_text.as_deref(),
            agreement: None,
            base: Some(money(vat_base)),
            amount: money(amount),
            legal_basis: &measure.legal_reference,
            provenance: Provenance::of(measure),
        });
    }
    let total = add(add(duties, excise)?, vat)?;
    // State the rates of the currencies that applied specific duties were stated in.
    let mut used_currencies = Vec::new();
    for measure in schedule.measures_of_line(line_idx) {
        if let Some(expr) = &measure.duty
            && applied.iter().any(|a| std::ptr::eq(a.measure_id, measure.id.as_str()))
        {
            expr.currencies(&mut used_currencies);
        }
    }
    for foreign in used_currencies {
        if foreign != currency
            && !exchange_rates.iter().any(|used| used.from == foreign)
            && let Ok(Some(rate)) = find_rate(schedule, given_rates, foreign, date)
        {
            exchange_rates.push(RateUsed { from: foreign, to: currency, rate });
        }
    }
    let marks =
        applied.iter().map(|a| a.provenance).chain(not_applied.iter().map(|n| n.provenance));
    let (mut any_real, mut any_illustrative) = (false, schedule.illustrative && applied.is_empty());
    for mark in marks {
        match mark {
            Provenance::Real => any_real = true,
            _ => any_illustrative = true,
        }
    }
    let provenance = match (any_real, any_illustrative) {
        (true, true) => Provenance::Mixed,
        (true, false) => Provenance::Real,
        (false, _) if !schedule.illustrative && !any_illustrative => Provenance::Real,
        _ => Provenance::Illustrative,
    };
    Ok(Calculation {
        illustrative: schedule.illustrative || provenance != Provenance::Real,
        provenance,
        provenance_notice: (provenance == Provenance::Mixed).then_some(MIXED_NOTICE),
        notice: &schedule.notice,
        jurisdiction: &schedule.jurisdiction,
        schedule: &schedule.title,
        schedule_version: schedule.version,
        date,
        line: LineUsed { code: line.code, description: &line.description },
        origin,
        declared_value: declared,
        customs_value: money(customs_value),
        quantity: declaration.quantity,
        exchange_rates,
        applied,
        not_applied,
        requirements,
        prohibitions,
        vat_base: money(vat_base),
        total: money(total),
    })
}
