//! Importer for the EAEU Common Customs Tariff (ETT) as published machine-readably in the
//! `eec_ett_v1` bundle (`{revision, effective_from, rates: [{hs_code, duty_rate, …}]}`) and the
//! EEC trade-remedy registers (`eec_trade_remedies_v1`). It turns them into schedules of our
//! format for a member state (its currency, its VAT) and reports every row it cleaned, dropped or
//! refused, with why: nothing is guessed silently.
//!
//! Rate forms of the ETT (its column "rate of import customs duty: percent of the customs value,
//! or euros, or US dollars"), as written in the bundle:
//! - ad valorem `5%` → `5 %`; `0` → `0 %` (zero is zero in every unit);
//! - a bare number `15` → `15 %`, reported as cleaned (the bundle writes every other percentage
//!   with `%`; the ETT's own column is a percentage unless a currency is named);
//! - specific `1.5 EUR за 1 л` → `1.5 EUR/LTR`; units кг `KGM`, л `LTR`, т `TNE`, пар `PR`,
//!   м2 `MTK`, шт `NAR`, 1000 шт `MIL`, "см3, мл" `CMQ` (cm³ of engine capacity, cars of 8701–8705);
//! - "not less than" `25%, но не менее 0.2 EUR за 1 кг` → `25 % but not less than 0.2 EUR/KGM`
//!   (the greater of the two);
//! - "plus" `10% плюс 0.08 EUR за 1 кг` → `10 % + 0.08 EUR/KGM` (the sum).
//!
//! Anything else is refused, naming the code and the text.

use std::collections::BTreeMap;

use caravan_types::{CountryCode, CurrencyCode, Decimal, HsCode};
use serde::{Deserialize, Serialize};
use time::Date;

use crate::expr::DutyExpr;
use crate::schedule::{FORMAT, LineRecord, MeasureKind, MeasureRecord, ScheduleFile};

/// The legal basis of every ETT rate.
pub const ETT_LEGAL_BASIS: &str =
    "EAEU Common Customs Tariff (EEC Council Decision No. 80 of 14 September 2021, as amended)";

/// The bundle as published (`format: eec_ett_v1`).
#[derive(Debug, Deserialize)]
struct Bundle {
    revision: String,
    #[serde(default)]
    format: Option<String>,
    effective_from: String,
    #[serde(default)]
    source_url: Option<String>,
    rates: Vec<BundleRow>,
}

#[derive(Debug, Deserialize)]
struct BundleRow {
    hs_code: String,
    duty_rate: String,
}

/// A rate string of the ETT read into our duty-expression syntax.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EttRate {
    /// The expression in our syntax (`data/tariff/FORMAT.md`), e.g. `25 % but not less than 0.2 EUR/KGM`.
    pub expression: String,
    /// Set when the text was not in a canonical ETT form and was read by a stated rule.
    pub cleaned: Option<String>,
}

/// Reads one ETT rate string.
///
/// # Errors
/// The reason the text is not one of the ETT rate forms.
pub fn parse_ett_rate(text: &str) -> Result<EttRate, String> {
    let trimmed = text.trim();
    if trimmed.is_empty() {
        return Err("empty rate".to_owned());
    }
    let expression = if let Some((percent, specific)) = trimmed.split_once(", но не менее ")
    {
        format!("{} but not less than {}", ad_valorem(percent)?, specific_part(specific)?)
    } else if let Some((percent, specific)) = trimmed.split_once(" плюс ") {
        format!("{} + {}", ad_valorem(percent)?, specific_part(specific)?)
    } else if trimmed.ends_with('%') {
        ad_valorem(trimmed)?
    } else if trimmed.contains(" за ") {
        specific_part(trimmed)?
    } else {
        let value = number(trimmed)?;
        let expression = format!("{} %", value.normalize());
        if value.is_zero() {
            return Ok(EttRate { expression, cleaned: None });
        }
        return Ok(EttRate {
            cleaned: Some(format!("rate {trimmed:?} has no %: read as {expression}")),
            expression,
        });
    };
    // Our parser must accept what we write: a guard against a form this reader mistranslates.
    DutyExpr::parse(&expression).map_err(|err| err.to_string())?;
    Ok(EttRate { expression, cleaned: None })
}

fn number(text: &str) -> Result<Decimal, String> {
    let text = text.trim();
    if text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit() || b == b'.') {
        return Err(format!("{text:?} is not a decimal number"));
    }
    let value: Decimal = text.parse().map_err(|_| format!("{text:?} is not a decimal number"))?;
    Ok(value)
}

fn ad_valorem(text: &str) -> Result<String, String> {
    let Some(value) = text.trim().strip_suffix('%') else {
        return Err(format!("expected a percentage such as \"5%\", got {text:?}"));
    };
    Ok(format!("{} %", number(value)?.normalize()))
}

/// `0.2 EUR за 1 кг` → `0.2 EUR/KGM`.
fn specific_part(text: &str) -> Result<String, String> {
    let Some((money, unit)) = text.trim().split_once(" за 1 ") else {
        return Err(format!("expected \"AMOUNT CUR за 1 UNIT\", got {text:?}"));
    };
    let Some((amount, currency)) = money.trim().split_once(' ') else {
        return Err(format!("expected an amount and a currency, got {money:?}"));
    };
    let amount = number(amount)?;
    let currency = match currency.trim() {
        "EUR" => "EUR",
        "USD" => "USD",
        other => return Err(format!("currency {other:?} is not one the ETT uses (EUR, USD)")),
    };
    let unit = match unit.trim() {
        "кг" => "KGM",
        "т" => "TNE",
        "л" => "LTR",
        "пар" => "PR",
        "м2" => "MTK",
        "шт" => "NAR",
        "1000 шт" => "MIL",
        // The ETT charges cars (8701–8705) per cm³ of engine capacity.
        "см3, мл" => "CMQ",
        other => return Err(format!("unit {other:?} is not one this importer knows")),
    };
    Ok(format!("{} {currency}/{unit}", amount.normalize()))
}

/// What the importer did with a row of the bundle.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum CleaningAction {
    /// Kept, read by a stated rule.
    Cleaned,
    /// Left out (a test code, a duplicate row).
    Dropped,
    /// Refused: the code has no line in the schedule.
    Refused,
}

/// One entry of the cleaning report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Cleaning {
    /// The code as written in the bundle.
    pub code: String,
    /// The rate text as written.
    pub rate: String,
    /// What was done.
    pub action: CleaningAction,
    /// Why.
    pub reason: String,
}

/// One line read from the bundle.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EttLine {
    /// The ten-digit TN VED code.
    pub code: HsCode,
    /// The rate as written.
    pub rate_text: String,
    /// The rate in our syntax.
    pub expression: String,
}

/// The bundle read and cleaned.
#[derive(Debug, Clone)]
pub struct EttImport {
    /// The bundle's revision, e.g. `ett:2026-06-18`.
    pub revision: String,
    /// Its first day in force.
    pub effective_from: Date,
    /// Where the bundle says the rates come from.
    pub source_url: String,
    /// Rows read.
    pub rows_read: usize,
    /// The lines kept, sorted by code.
    pub lines: Vec<EttLine>,
    /// Every row cleaned, dropped or refused.
    pub report: Vec<Cleaning>,
}

/// Why the bundle could not be read at all.
#[derive(Debug, thiserror::Error)]
pub enum EttError {
    #[error("not an ETT bundle: {0}")]
    Json(#[from] serde_json::Error),
    #[error("format {0:?} is not eec_ett_v1")]
    Format(String),
    #[error("effective_from {0:?} is not a YYYY-MM-DD date")]
    Date(String),
}

fn parse_date(text: &str) -> Option<Date> {
    let format = time::macros::format_description!("[year]-[month]-[day]");
    Date::parse(text.trim(), format).ok()
}

/// A row's rate text and what reading it gave.
type ReadRow = (String, Result<EttRate, String>);

/// Reads and cleans an ETT bundle.
///
/// Rules, each reported: a code that is not ten digits is dropped (the bundle carries test codes
/// `6666`, `7777`); a code given twice keeps the row in canonical form (with `%` or a currency)
/// over bare numbers, and a zero row never overrides a non-zero one; two canonical rows that
/// disagree refuse the code; a rate in no known form refuses the code; a bare number is read as
/// a percentage.
///
/// # Errors
/// [`EttError`] when the text is not a bundle.
pub fn import_ett(json: &str) -> Result<EttImport, EttError> {
    let bundle: Bundle = serde_json::from_str(json)?;
    if let Some(format) = &bundle.format
        && format != "eec_ett_v1"
    {
        return Err(EttError::Format(format.clone()));
    }
    let effective_from = parse_date(&bundle.effective_from)
        .ok_or_else(|| EttError::Date(bundle.effective_from.clone()))?;
    let mut report = Vec::new();
    let mut by_code: BTreeMap<HsCode, Vec<ReadRow>> = BTreeMap::new();
    for row in &bundle.rates {
        let code_text = row.hs_code.trim();
        let code = match HsCode::parse(code_text) {
            Ok(code) if code_text.len() == 10 => code,
            _ => {
                report.push(Cleaning {
                    code: row.hs_code.clone(),
                    rate: row.duty_rate.clone(),
                    action: CleaningAction::Dropped,
                    reason: "not a ten-digit TN VED code (a test or placeholder row)".to_owned(),
                });
                continue;
            }
        };
        by_code
            .entry(code)
            .or_default()
            .push((row.duty_rate.clone(), parse_ett_rate(&row.duty_rate)));
    }
    let mut lines = Vec::with_capacity(by_code.len());
    for (code, rows) in by_code {
        let code_text = code.to_string();
        // Canonical rows: parsed and not needing cleaning.
        let canonical: Vec<&ReadRow> =
            rows.iter().filter(|(_, r)| matches!(r, Ok(rate) if rate.cleaned.is_none())).collect();
        let chosen = if rows.len() == 1 {
            Some(0)
        } else {
            let distinct: Vec<&str> = {
                let mut seen: Vec<&str> = Vec::new();
                for (_, res) in &canonical {
                    if let Ok(rate) = res
                        && !seen.contains(&rate.expression.as_str())
                    {
                        seen.push(&rate.expression);
                    }
                }
                seen
            };
            let non_zero: Vec<&str> =
                distinct.iter().copied().filter(|e| *e != "0 %").collect::<Vec<_>>();
            let pick = match (distinct.len(), non_zero.len()) {
                (1, _) => distinct.first().copied(),
                (_, 1) => non_zero.first().copied(),
                _ => None,
            };
            match pick {
                Some(expression) => rows.iter().position(
                    |(_, r)| matches!(r, Ok(rate) if rate.cleaned.is_none() && rate.expression == expression),
                ),
                None => {
                    for (text, _) in &rows {
                        report.push(Cleaning {
                            code: code_text.clone(),
                            rate: text.clone(),
                            action: CleaningAction::Refused,
                            reason: format!(
                                "the code is given {} times with rates that disagree ({}); no line imported",
                                rows.len(),
                                rows.iter().map(|(t, _)| format!("{t:?}")).collect::<Vec<_>>().join(", ")
                            ),
                        });
                    }
                    continue;
                }
            }
        };
        let Some(chosen) = chosen else {
            for (text, _) in &rows {
                report.push(Cleaning {
                    code: code_text.clone(),
                    rate: text.clone(),
                    action: CleaningAction::Refused,
                    reason: "duplicate rows and none in a canonical form; no line imported"
                        .to_owned(),
                });
            }
            continue;
        };
        let (kept_text, kept) = &rows[chosen];
        for (idx, (text, _)) in rows.iter().enumerate() {
            if idx != chosen {
                report.push(Cleaning {
                    code: code_text.clone(),
                    rate: text.clone(),
                    action: CleaningAction::Dropped,
                    reason: format!(
                        "duplicate row of the code; kept {kept_text:?} (a zero or bare-number duplicate never overrides the canonical rate)"
                    ),
                });
            }
        }
        match kept {
            Ok(rate) => {
                if let Some(note) = &rate.cleaned {
                    report.push(Cleaning {
                        code: code_text.clone(),
                        rate: kept_text.clone(),
                        action: CleaningAction::Cleaned,
                        reason: note.clone(),
                    });
                }
                lines.push(EttLine {
                    code,
                    rate_text: kept_text.clone(),
                    expression: rate.expression.clone(),
                });
            }
            Err(reason) => report.push(Cleaning {
                code: code_text,
                rate: kept_text.clone(),
                action: CleaningAction::Refused,
                reason: format!("unknown rate form: {reason}; no line imported"),
            }),
        }
    }
    Ok(EttImport {
        revision: bundle.revision,
        effective_from,
        source_url: bundle.source_url.unwrap_or_default(),
        rows_read: bundle.rates.len(),
        lines,
        report,
    })
}

/// A member state applying the common tariff: its currency and national import VAT.
#[derive(Debug, Clone, Copy)]
pub struct MemberState {
    /// Jurisdiction tag, `KZ` or `KG`.
    pub jurisdiction: &'static str,
    /// Name for titles.
    pub name: &'static str,
    /// National currency.
    pub currency: &'static str,
    /// Import VAT rate, percent.
    pub vat_percent: &'static str,
    /// Legal basis of the VAT rate.
    pub vat_legal_basis: &'static str,
    /// Whether the VAT rate is verified against its law (`false` marks it illustrative).
    pub vat_verified: bool,
    /// What the schedule does not model of this state's own application of the tariff, said in
    /// its notice ("" when nothing is known to be missing).
    pub caveat: &'static str,
}

/// Kazakhstan: tenge; VAT 16 % from 1 January 2026.
pub const KAZAKHSTAN: MemberState = MemberState {
    jurisdiction: "KZ",
    name: "Kazakhstan",
    currency: "KZT",
    vat_percent: "16",
    vat_legal_basis: "Tax Code of the Republic of Kazakhstan, Law No. 214-VIII of 18 July 2025, in force from 1 January 2026: standard VAT rate 16 % (reduced rates and exemptions, e.g. medicines 5 % in 2026, are not modelled: check them for the goods)",
    vat_verified: true,
    caveat: " Kazakhstan applies lower rates than the ETT on the goods of its WTO list (EEC Council Decision No. 59 of 14 October 2015, as amended: fish, poultry, paper, furniture, clothing and others); that list is not modelled, so on those lines this duty is the ETT rate, higher than Kazakhstan applies: check the list (data/tariff/cross-check-kz-wits.md).",
};

/// Kyrgyzstan: som; VAT 12 %.
pub const KYRGYZSTAN: MemberState = MemberState {
    jurisdiction: "KG",
    name: "Kyrgyzstan",
    currency: "KGS",
    vat_percent: "12",
    vat_legal_basis: "Tax Code of the Kyrgyz Republic (2022): standard VAT rate 12 % on taxable imports (exemptions listed by the Cabinet of Ministers, e.g. Resolution No. 131 of 11 March 2022, are not modelled: check them for the goods)",
    vat_verified: true,
    caveat: "",
};

/// One trade-remedy register (`eec_trade_remedies_v1`).
#[derive(Debug, Deserialize)]
struct RemedyFile {
    revision: String,
    #[serde(default)]
    source_url: Option<String>,
    measures: Vec<RemedyRow>,
}

#[derive(Debug, Deserialize)]
struct RemedyRow {
    hs_code: String,
    #[serde(default)]
    origin_country: String,
    rate_percent: Decimal,
    #[serde(default)]
    rate_specific: Decimal,
    regulatory_act: String,
    #[serde(default)]
    product_description: String,
    effective_from: String,
    #[serde(default)]
    effective_to: String,
}

/// The kind of a trade-remedy register.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RemedyKind {
    /// Anti-dumping duties.
    AntiDumping,
    /// Countervailing duties.
    Countervailing,
    /// Special safeguard duties.
    Safeguard,
}

impl RemedyKind {
    fn label(self) -> &'static str {
        match self {
            RemedyKind::AntiDumping => "anti-dumping duty",
            RemedyKind::Countervailing => "countervailing duty",
            RemedyKind::Safeguard => "special safeguard duty",
        }
    }

    fn tag(self) -> &'static str {
        match self {
            RemedyKind::AntiDumping => "ad",
            RemedyKind::Countervailing => "cvd",
            RemedyKind::Safeguard => "sg",
        }
    }
}

/// Trade remedies read, as measures, with what was refused.
#[derive(Debug, Clone, Default)]
pub struct Remedies {
    /// `additional` measures.
    pub measures: Vec<MeasureRecord>,
    /// Rows refused or noted.
    pub report: Vec<Cleaning>,
}

/// Reads trade-remedy registers into `additional` measures by heading and origin.
///
/// A measure whose end date is not published gets `valid_to` absent and a legal reference that
/// says the end date is unknown and must be checked. Two measures of one kind on overlapping
/// headings for one origin are refused (the source names the heading, not the narrower product
/// scope of each act, so which applies cannot be told); a specific rate is refused.
///
/// # Errors
/// [`EttError`] when a text is not a register.
pub fn import_remedies(files: &[(RemedyKind, &str)]) -> Result<Remedies, EttError> {
    let mut rows = Vec::new();
    for (kind, text) in files {
        let file: RemedyFile = serde_json::from_str(text)?;
        let source = file.source_url.clone().unwrap_or_default();
        for row in file.measures {
            rows.push((*kind, file.revision.clone(), source.clone(), row));
        }
    }
    let mut out = Remedies::default();
    let origin_of = |row: &RemedyRow| {
        if row.origin_country.trim().is_empty() {
            "ERGA_OMNES".to_owned()
        } else {
            row.origin_country.trim().to_owned()
        }
    };
    for (idx, (kind, revision, source, row)) in rows.iter().enumerate() {
        let code = row.hs_code.trim();
        let refuse = |reason: String| Cleaning {
            code: code.to_owned(),
            rate: format!("{} % ({})", row.rate_percent, kind.label()),
            action: CleaningAction::Refused,
            reason,
        };
        let origin = origin_of(row);
        let overlapping: Vec<&str> = rows
            .iter()
            .enumerate()
            .filter(|(other_idx, (other_kind, _, _, other))| {
                *other_idx != idx
                    && other_kind == kind
                    && origin_of(other) == origin
                    && (other.hs_code.trim().starts_with(code)
                        || code.starts_with(other.hs_code.trim()))
            })
            .map(|(_, (_, _, _, other))| other.regulatory_act.as_str())
            .collect();
        if !overlapping.is_empty() {
            out.report.push(refuse(format!(
                "another {} for origin {origin} covers an overlapping heading ({}); the register gives headings, not each act's product scope, so neither is applied: check the acts",
                kind.label(),
                overlapping.join("; ")
            )));
            continue;
        }
        if !row.rate_specific.is_zero() {
            out.report.push(refuse("a specific remedy rate is not imported".to_owned()));
            continue;
        }
        let (Ok(applies_to), Some(valid_from)) =
            (HsCode::parse(code), parse_date(&row.effective_from))
        else {
            out.report.push(refuse("code or effective_from unreadable".to_owned()));
            continue;
        };
        if origin != "ERGA_OMNES" && CountryCode::parse(&origin).is_err() {
            out.report.push(refuse(format!("origin {origin:?} is not a country code")));
            continue;
        }
        let valid_to =
            if row.effective_to.trim().is_empty() { None } else { parse_date(&row.effective_to) };
        let end = match valid_to {
            Some(to) => format!("in force to {to}"),
            None => "END DATE UNKNOWN: not published in the register copy; such measures run 5 years unless extended — check the EEC trade remedies register before relying on it".to_owned(),
        };
        let mut legal_reference = format!(
            "{} — EAEU {} ({}; {revision}; {source}); {end}",
            row.regulatory_act.trim(),
            kind.label(),
            row.product_description.trim()
        );
        if origin == "ERGA_OMNES" {
            legal_reference.push_str("; applies to every origin here, the act's exemptions (e.g. developing countries) are not modelled");
        }
        out.measures.push(MeasureRecord {
            id: format!("eaeu-{}-{code}-{}", kind.tag(), origin.to_lowercase()),
            kind: MeasureKind::Additional,
            applies_to,
            origin,
            excluded_origins: Vec::new(),
            duty: Some(format!("{} %", row.rate_percent.normalize())),
            document: None,
            agreement: None,
            valid_from,
            valid_to,
            legal_reference,
            description: Some(row.product_description.trim().to_owned()),
            illustrative: None,
        });
    }
    Ok(out)
}

/// The schedule of a member state: every line of the import with its ETT rate, the remedies,
/// and the state's VAT, in its currency.
///
/// # Panics
/// Never: the member-state constants hold valid codes.
pub fn member_schedule(
    import: &EttImport,
    state: &MemberState,
    remedies: &Remedies,
) -> ScheduleFile {
    let currency = CurrencyCode::parse(state.currency).expect("member-state currency is ISO 4217");
    let from = import.effective_from;
    let legal = format!("{ETT_LEGAL_BASIS}; revision {}", import.revision);
    let mut measures: Vec<MeasureRecord> = Vec::new();
    measures.extend(remedies.measures.iter().cloned());
    // VAT at the standard rate on every chapter the lines fall in.
    let mut chapters: Vec<HsCode> = import.lines.iter().map(|line| line.code.chapter()).collect();
    chapters.dedup();
    for chapter in chapters {
        measures.push(MeasureRecord {
            id: format!("{}-vat-{chapter}", state.jurisdiction.to_lowercase()),
            kind: MeasureKind::Vat,
            applies_to: chapter,
            origin: "ERGA_OMNES".to_owned(),
            excluded_origins: Vec::new(),
            duty: Some(format!("{} %", state.vat_percent)),
            document: None,
            agreement: None,
            valid_from: from,
            valid_to: None,
            legal_reference: state.vat_legal_basis.to_owned(),
            description: None,
            illustrative: Some(!state.vat_verified),
        });
    }
    ScheduleFile {
        format: FORMAT.to_owned(),
        jurisdiction: state.jurisdiction.to_owned(),
        title: format!(
            "EAEU Common Customs Tariff as applied by {} ({})",
            state.name, import.revision
        ),
        version: from,
        valid_from: from,
        valid_to: None,
        illustrative: false,
        notice: Some(format!(
            "Import duties: {ETT_LEGAL_BASIS}, revision {} (machine-readable copy; the EEC's publication is authoritative). Excise is not included. Exchange rates come from the rates given with the calculation, or the official rates entered on the server.{}",
            import.revision, state.caveat
        )),
        currency,
        nomenclature: "TN VED EAEU 2022 (HS 2022), 10-digit".to_owned(),
        origin_groups: BTreeMap::new(),
        mfn_legal_reference: Some(legal),
        exchange_rates: Vec::new(),
        lines: import
            .lines
            .iter()
            .map(|line| LineRecord {
                code: line.code,
                description: String::new(),
                valid_from: from,
                valid_to: None,
                supplementary_unit: None,
                mfn: Some(line.expression.clone()),
            })
            .collect(),
        measures,
    }
}

#[cfg(test)]
mod tests;
