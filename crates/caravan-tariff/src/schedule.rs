//! Tariff schedules: the data-file model (documented in `data/tariff/FORMAT.md`) and its
//! compilation into an index. A schedule is one jurisdiction's tariff as published on one date:
//! national lines under HS 2022 with validity dates, and measures attached to lines or to any
//! level of the HS tree above them, after the TARIC / UK Trade Tariff model.

use std::collections::{BTreeMap, HashMap};

use caravan_types::{CountryCode, CurrencyCode, Decimal, HsCode};
use serde::{Deserialize, Serialize, Serializer};
use time::Date;

use crate::currency::{ExchangeRate, minor_units};
use crate::expr::DutyExpr;
use crate::units::Unit;

time::serde::format_description!(iso_date, Date, "[year]-[month]-[day]");

/// Serializes a date as `YYYY-MM-DD`.
pub(crate) fn serialize_date<S: Serializer>(date: &Date, s: S) -> Result<S::Ok, S::Error> {
    iso_date::serialize(date, s)
}

/// The version tag every schedule file carries in `format`.
pub const FORMAT: &str = "caravan-tariff-schedule/1";

/// A schedule file as written on disk (JSON), before validation.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct ScheduleFile {
    /// Always [`FORMAT`].
    pub format: String,
    /// `EAEU`, `CN`, `UZ`, `TJ`, `TM` (or any other tag, e.g. `UK` for imported data).
    pub jurisdiction: String,
    /// Human title of the schedule.
    pub title: String,
    /// Publication date of this version.
    #[serde(with = "iso_date")]
    pub version: Date,
    /// First day this version applies.
    #[serde(with = "iso_date")]
    pub valid_from: Date,
    /// Last day this version applies, if known.
    #[serde(with = "iso_date::option", default, skip_serializing_if = "Option::is_none")]
    pub valid_to: Option<Date>,
    /// True for the sample schedules: their rates are not law.
    pub illustrative: bool,
    /// Text shown with every result computed from the schedule.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub notice: Option<String>,
    /// Accounting currency: every amount of a result is in it.
    pub currency: CurrencyCode,
    /// Nomenclature the lines belong to, e.g. "TN VED EAEU 2022 (HS 2022)".
    pub nomenclature: String,
    /// Named groups of origin countries (e.g. agreement parties), used by measures' `origin`.
    #[serde(default)]
    pub origin_groups: BTreeMap<String, Vec<CountryCode>>,
    /// Legal basis of the duties written on lines (`lines[].mfn`); required when any line has one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mfn_legal_reference: Option<String>,
    /// Dated exchange rates into `currency`.
    #[serde(default)]
    pub exchange_rates: Vec<ExchangeRateRecord>,
    /// National tariff lines.
    pub lines: Vec<LineRecord>,
    /// Measures attached to lines or headings.
    pub measures: Vec<MeasureRecord>,
}

/// One exchange-rate row of a schedule file.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct ExchangeRateRecord {
    /// The foreign currency.
    pub currency: CurrencyCode,
    /// Units of the schedule currency per one unit of `currency`.
    #[serde(with = "rust_decimal::serde::str")]
    pub rate: Decimal,
    /// First day the rate applies.
    #[serde(with = "iso_date")]
    pub valid_from: Date,
    /// Publisher of the rate.
    pub source: String,
}

/// One national tariff line of a schedule file.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct LineRecord {
    /// The national code (8 or 10 digits, or 6 for HS-level lines).
    pub code: HsCode,
    /// Description of the goods.
    pub description: String,
    /// First day the line exists.
    #[serde(with = "iso_date")]
    pub valid_from: Date,
    /// Last day the line exists, if it was closed.
    #[serde(with = "iso_date::option", default, skip_serializing_if = "Option::is_none")]
    pub valid_to: Option<Date>,
    /// Supplementary unit of the line (Rec 20), if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub supplementary_unit: Option<Unit>,
    /// The line's third-country duty, written on the line (a whole national tariff such as the
    /// EAEU's); compiled into an `mfn` measure `mfn-<code>` for every origin, in force while the
    /// line is, citing the schedule's `mfn_legal_reference`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mfn: Option<String>,
}

/// What a measure does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum MeasureKind {
    /// Third-country (MFN) customs duty.
    Mfn,
    /// Preferential customs duty for an origin group under an agreement or scheme.
    Preferential,
    /// Duty added on top of the customs duty (anti-dumping, safeguard, retaliation).
    Additional,
    /// Excise on import.
    Excise,
    /// Value added tax on import.
    Vat,
    /// Import prohibited.
    Prohibition,
    /// A document (licence, certificate) must be presented.
    Document,
}

impl MeasureKind {
    /// The kind as written in schedule files.
    pub fn as_str(&self) -> &'static str {
        match self {
            MeasureKind::Mfn => "mfn",
            MeasureKind::Preferential => "preferential",
            MeasureKind::Additional => "additional",
            MeasureKind::Excise => "excise",
            MeasureKind::Vat => "vat",
            MeasureKind::Prohibition => "prohibition",
            MeasureKind::Document => "document",
        }
    }
}

/// One measure of a schedule file.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct MeasureRecord {
    /// Identifier, unique in the schedule.
    pub id: String,
    /// What the measure does.
    pub kind: MeasureKind,
    /// The line, or HS level above lines, it applies to (every line under it).
    pub applies_to: HsCode,
    /// `ERGA_OMNES` (every origin), a country code, or the name of an origin group.
    pub origin: String,
    /// Origins excluded from `origin`.
    #[serde(default)]
    pub excluded_origins: Vec<CountryCode>,
    /// Duty expression; required for mfn, preferential, additional, excise, vat.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub duty: Option<String>,
    /// Document code: the proof of origin a preference needs, or the document a `document`
    /// measure requires (e.g. `origin-cert`, `phytosanitary-cert`, `import-licence`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub document: Option<String>,
    /// Agreement or scheme of a preference.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub agreement: Option<String>,
    /// First day in force.
    #[serde(with = "iso_date")]
    pub valid_from: Date,
    /// Last day in force.
    #[serde(with = "iso_date::option", default, skip_serializing_if = "Option::is_none")]
    pub valid_to: Option<Date>,
    /// Legal basis, cited in every result.
    pub legal_reference: String,
    /// Free-text description.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Overrides the schedule's `illustrative` for this measure (a real national VAT rate in a
    /// sample schedule, or a sample measure in a real one); absent: as the schedule.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub illustrative: Option<bool>,
}

/// Which origins a measure covers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OriginSet {
    /// Every origin (TARIC geographical area 1011 ERGA OMNES).
    All,
    /// The listed countries.
    Countries(Vec<CountryCode>),
}

/// A validated tariff line.
#[derive(Debug, Clone)]
pub struct Line {
    /// The national code.
    pub code: HsCode,
    /// Description.
    pub description: String,
    /// First day.
    pub valid_from: Date,
    /// Last day, if closed.
    pub valid_to: Option<Date>,
    /// Supplementary unit.
    pub supplementary_unit: Option<Unit>,
}

/// A validated measure with its expression parsed.
#[derive(Debug, Clone)]
pub struct Measure {
    /// Identifier.
    pub id: String,
    /// Kind.
    pub kind: MeasureKind,
    /// Code it is attached to.
    pub applies_to: HsCode,
    /// Origin text as written (group name, country or `ERGA_OMNES`).
    pub origin_label: String,
    /// Resolved origins.
    pub origins: OriginSet,
    /// Excluded origins.
    pub excluded_origins: Vec<CountryCode>,
    /// Duty expression text as written.
    pub duty_text: Option<String>,
    /// Parsed duty expression.
    pub duty: Option<DutyExpr>,
    /// Required document.
    pub document: Option<String>,
    /// Agreement of a preference.
    pub agreement: Option<String>,
    /// First day in force.
    pub valid_from: Date,
    /// Last day in force.
    pub valid_to: Option<Date>,
    /// Legal basis.
    pub legal_reference: String,
    /// Whether the measure's rate is a sample, not law.
    pub illustrative: bool,
}

impl Measure {
    /// Whether the measure is in force on `date`.
    pub fn in_force(&self, date: Date) -> bool {
        in_period(date, self.valid_from, self.valid_to)
    }

    /// Whether the measure covers goods originating in `origin`.
    pub fn covers(&self, origin: CountryCode) -> bool {
        let included = match &self.origins {
            OriginSet::All => true,
            OriginSet::Countries(countries) => countries.contains(&origin),
        };
        included && !self.excluded_origins.contains(&origin)
    }
}

pub(crate) fn in_period(date: Date, from: Date, to: Option<Date>) -> bool {
    date >= from && to.is_none_or(|to| date <= to)
}

/// A compiled schedule: validated, with each line's measures precomputed.
#[derive(Debug, Clone)]
pub struct Schedule {
    /// Jurisdiction tag.
    pub jurisdiction: String,
    /// Title.
    pub title: String,
    /// Version (publication date).
    pub version: Date,
    /// First day.
    pub valid_from: Date,
    /// Last day.
    pub valid_to: Option<Date>,
    /// Whether the rates are illustrative.
    pub illustrative: bool,
    /// Notice shown with every result.
    pub notice: String,
    /// Accounting currency.
    pub currency: CurrencyCode,
    /// Its ISO 4217 minor units.
    pub minor_units: u32,
    /// Nomenclature.
    pub nomenclature: String,
    /// Exchange rates, sorted by (currency, valid_from).
    pub exchange_rates: Vec<ExchangeRate>,
    /// Lines.
    pub lines: Vec<Line>,
    /// Measures.
    pub measures: Vec<Measure>,
    by_code: HashMap<HsCode, Vec<u32>>,
    line_measures: Vec<Vec<u32>>,
}

/// The notice every result from an illustrative schedule carries when the file gives none.
pub const ILLUSTRATIVE_NOTICE: &str = "ILLUSTRATIVE: sample rates for testing and demonstration, \
not the law of any country; check the official tariff of the importing country before relying on any amount.";

/// One problem found while validating a schedule file.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{path}: {reason}")]
pub struct FieldError {
    /// Where, e.g. `measures[3].duty`.
    pub path: String,
    /// What is wrong.
    pub reason: String,
}

impl Schedule {
    /// Validates a schedule file and builds its index; reports every problem, not the first.
    ///
    /// # Errors
    /// Every [`FieldError`] found.
    pub fn compile(mut file: ScheduleFile) -> Result<Schedule, Vec<FieldError>> {
        let mut errors = Vec::new();
        let mut fail = |path: String, reason: String| errors.push(FieldError { path, reason });
        if file.format != FORMAT {
            fail("format".into(), format!("expected {FORMAT:?}, got {:?}", file.format));
        }
        if file.valid_to.is_some_and(|to| to < file.valid_from) {
            fail("valid_to".into(), "ends before valid_from".into());
        }
        let minor = minor_units(file.currency);
        if minor.is_none() {
            fail("currency".into(), format!("no ISO 4217 minor units known for {}", file.currency));
        }
        let mut exchange_rates = Vec::with_capacity(file.exchange_rates.len());
        for (idx, rate) in file.exchange_rates.into_iter().enumerate() {
            if rate.rate <= Decimal::ZERO {
                fail(
                    format!("exchange_rates[{idx}].rate"),
                    format!("must be positive, got {}", rate.rate),
                );
            }
            exchange_rates.push(ExchangeRate {
                currency: rate.currency,
                rate: rate.rate,
                valid_from: rate.valid_from,
                source: rate.source,
            });
        }
        exchange_rates.sort_by_key(|rate| (rate.currency, rate.valid_from));

        // Duties written on lines become measures like any other.
        let mut line_measures_records = Vec::new();
        for (idx, line) in file.lines.iter_mut().enumerate() {
            let Some(duty) = line.mfn.take() else { continue };
            let Some(legal_reference) = file.mfn_legal_reference.clone() else {
                fail(
                    format!("lines[{idx}].mfn"),
                    "a duty written on a line needs the schedule's mfn_legal_reference".into(),
                );
                continue;
            };
            line_measures_records.push(MeasureRecord {
                id: format!("mfn-{}", line.code),
                kind: MeasureKind::Mfn,
                applies_to: line.code,
                origin: "ERGA_OMNES".to_owned(),
                excluded_origins: Vec::new(),
                duty: Some(duty),
                document: None,
                agreement: None,
                valid_from: line.valid_from,
                valid_to: line.valid_to,
                legal_reference,
                description: None,
                illustrative: None,
            });
        }
        let mut lines = Vec::with_capacity(file.lines.len());
        let mut by_code: HashMap<HsCode, Vec<u32>> = HashMap::new();
        for (idx, line) in file.lines.into_iter().enumerate() {
            if line.valid_to.is_some_and(|to| to < line.valid_from) {
                fail(format!("lines[{idx}].valid_to"), "ends before valid_from".into());
            }
            by_code.entry(line.code).or_default().push(idx as u32);
            lines.push(Line {
                code: line.code,
                description: line.description,
                valid_from: line.valid_from,
                valid_to: line.valid_to,
                supplementary_unit: line.supplementary_unit,
            });
        }
        for (code, idxs) in &by_code {
            for (pos, a) in idxs.iter().enumerate() {
                for b in &idxs[pos + 1..] {
                    let (la, lb) = (&lines[*a as usize], &lines[*b as usize]);
                    let overlap = la.valid_to.is_none_or(|to| to >= lb.valid_from)
                        && lb.valid_to.is_none_or(|to| to >= la.valid_from);
                    if overlap {
                        fail(
                            format!("lines[{b}].code"),
                            format!("line {code} overlaps lines[{a}] in time"),
                        );
                    }
                }
            }
        }

        let mut measures = Vec::with_capacity(file.measures.len() + line_measures_records.len());
        let mut ids = std::collections::HashSet::new();
        let n_line_measures = line_measures_records.len();
        for (idx, record) in line_measures_records.into_iter().chain(file.measures).enumerate() {
            let path = |field: &str| match idx.checked_sub(n_line_measures) {
                Some(idx) => format!("measures[{idx}].{field}"),
                None => format!("lines[code {}].mfn", record.applies_to),
            };
            if !ids.insert(record.id.clone()) {
                fail(path("id"), format!("duplicate measure id {:?}", record.id));
            }
            let origins = if record.origin == "ERGA_OMNES" {
                OriginSet::All
            } else if let Some(group) = file.origin_groups.get(&record.origin) {
                OriginSet::Countries(group.clone())
            } else if let Ok(country) = CountryCode::parse(&record.origin) {
                OriginSet::Countries(vec![country])
            } else {
                fail(
                    path("origin"),
                    format!(
                        "{:?} is neither ERGA_OMNES, a country code nor an origin group",
                        record.origin
                    ),
                );
                OriginSet::Countries(Vec::new())
            };
            let needs_duty =
                !matches!(record.kind, MeasureKind::Prohibition | MeasureKind::Document);
            let duty = match (&record.duty, needs_duty) {
                (Some(text), true) => match DutyExpr::parse(text) {
                    Ok(expr) => {
                        if record.kind == MeasureKind::Vat && !expr.is_ad_valorem() {
                            fail(path("duty"), format!("VAT must be a percentage, got {text:?}"));
                        }
                        Some(expr)
                    }
                    Err(err) => {
                        fail(path("duty"), err.to_string());
                        None
                    }
                },
                (None, true) => {
                    fail(
                        path("duty"),
                        format!("a {} measure needs a duty expression", record.kind.as_str()),
                    );
                    None
                }
                (Some(_), false) => {
                    fail(path("duty"), format!("a {} measure takes no duty", record.kind.as_str()));
                    None
                }
                (None, false) => None,
            };
            if record.kind == MeasureKind::Document && record.document.is_none() {
                fail(path("document"), "a document measure must name the document".into());
            }
            if record.valid_to.is_some_and(|to| to < record.valid_from) {
                fail(path("valid_to"), "ends before valid_from".into());
            }
            if record.legal_reference.trim().is_empty() {
                fail(path("legal_reference"), "every measure needs its legal basis".into());
            }
            measures.push(Measure {
                id: record.id,
                kind: record.kind,
                applies_to: record.applies_to,
                origin_label: record.origin,
                origins,
                excluded_origins: record.excluded_origins,
                duty_text: record.duty,
                duty,
                document: record.document,
                agreement: record.agreement,
                valid_from: record.valid_from,
                valid_to: record.valid_to,
                legal_reference: record.legal_reference,
                illustrative: record.illustrative.unwrap_or(file.illustrative),
            });
        }
        if !errors.is_empty() {
            return Err(errors);
        }
        // Precompile: each line's measures, found once by walking the HS tree up from the line.
        let mut by_applies: HashMap<HsCode, Vec<u32>> = HashMap::new();
        for (idx, measure) in measures.iter().enumerate() {
            by_applies.entry(measure.applies_to).or_default().push(idx as u32);
        }
        let line_measures = lines
            .iter()
            .map(|line| {
                let mut found = Vec::new();
                let mut code = Some(line.code);
                while let Some(current) = code {
                    if let Some(idxs) = by_applies.get(&current) {
                        found.extend_from_slice(idxs);
                    }
                    code = current.parent();
                }
                found.sort_unstable();
                found
            })
            .collect();
        let notice = match (file.notice, file.illustrative) {
            (Some(notice), _) => notice,
            (None, true) => ILLUSTRATIVE_NOTICE.to_owned(),
            (None, false) => String::new(),
        };
        Ok(Schedule {
            jurisdiction: file.jurisdiction,
            title: file.title,
            version: file.version,
            valid_from: file.valid_from,
            valid_to: file.valid_to,
            illustrative: file.illustrative,
            notice,
            currency: file.currency,
            minor_units: minor.unwrap_or(2),
            nomenclature: file.nomenclature,
            exchange_rates,
            lines,
            measures,
            by_code,
            line_measures,
        })
    }

    /// Whether the schedule applies on `date`.
    pub fn in_force(&self, date: Date) -> bool {
        in_period(date, self.valid_from, self.valid_to)
    }

    /// Every version of `code` in the schedule, as indexes into `lines`.
    pub(crate) fn line_versions(&self, code: &HsCode) -> &[u32] {
        self.by_code.get(code).map_or(&[], Vec::as_slice)
    }

    /// The measures attached to a line or any HS level above it.
    pub(crate) fn measures_of_line(&self, line_idx: u32) -> impl Iterator<Item = &Measure> {
        self.line_measures[line_idx as usize].iter().map(|idx| &self.measures[*idx as usize])
    }

    /// The line valid for `code` on `date`, if any.
    pub fn line(&self, code: &HsCode, date: Date) -> Option<&Line> {
        self.line_versions(code)
            .iter()
            .map(|idx| &self.lines[*idx as usize])
            .find(|line| in_period(date, line.valid_from, line.valid_to))
    }

    /// The measures of the line valid for `code` on `date`, in force on that date.
    pub fn measures_in_force(&self, code: &HsCode, date: Date) -> Vec<&Measure> {
        self.line_versions(code)
            .iter()
            .find(|idx| {
                let line = &self.lines[**idx as usize];
                in_period(date, line.valid_from, line.valid_to)
            })
            .map(|idx| self.measures_of_line(*idx).filter(|m| m.in_force(date)).collect())
            .unwrap_or_default()
    }
}

/// Every schedule loaded, by jurisdiction, versions sorted by `valid_from`.
#[derive(Debug, Clone, Default)]
pub struct Tariff {
    by_jurisdiction: BTreeMap<String, Vec<Schedule>>,
}

impl Tariff {
    /// An empty tariff.
    pub fn new() -> Tariff {
        Tariff::default()
    }

    /// Adds a compiled schedule version.
    pub fn insert(&mut self, schedule: Schedule) {
        let versions = self.by_jurisdiction.entry(schedule.jurisdiction.clone()).or_default();
        versions.push(schedule);
        versions.sort_by_key(|s| s.valid_from);
    }

    /// The jurisdictions present.
    pub fn jurisdictions(&self) -> impl Iterator<Item = &str> {
        self.by_jurisdiction.keys().map(String::as_str)
    }

    /// Every version of a jurisdiction's schedule.
    pub fn versions(&self, jurisdiction: &str) -> &[Schedule] {
        self.by_jurisdiction.get(jurisdiction).map_or(&[], Vec::as_slice)
    }

    /// The version in force on `date`: the latest `valid_from` not after `date` that has not ended.
    pub fn schedule_on(&self, jurisdiction: &str, date: Date) -> Option<&Schedule> {
        self.versions(jurisdiction).iter().rev().find(|s| s.in_force(date))
    }
}
