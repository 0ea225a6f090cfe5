//! The tariff and origin operations, one typed function per operation: `(state, input) ->
//! Result<output, ApiError>` for the public calculator, line browser and origin assessment,
//! `(state, caller, input)` for entering official exchange rates, which checks the caller's
//! rights first ([`can_enter_rates`] is here too). The JSON API (the crate root's handlers and
//! `rates`) and the pages (`pages`, the rates page) are thin adapters over these functions; the
//! duty and origin rules themselves live in the `caravan-tariff` and `caravan-origin` domain
//! crates. Nothing here knows HTTP: no extractor, no response, no status code but through
//! [`ApiError`]'s constructors.
//!
//! Stored rates apply to the real schedules (KZ, KG): the illustrative samples carry their own
//! illustrative rates. A pair with stored rates needs a row for the declaration date: the
//! calculator never falls back to another day's rate.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use caravan_origin::{AssessError, Verdict};
use caravan_refdata::Lang;
use caravan_store::rates::{NewRate, PutRates, StoredRate};
use caravan_store::{Change, StoreError};
use caravan_tariff::{Calculation, Declaration, DutyError, ExchangeRate, RateRow, Schedule};
use caravan_types::{CountryCode, CurrencyCode, Decimal, HsCode};
use time::Date;

use caravan_web::AppState;
use caravan_web::auth::Caller;
use caravan_web::error::ApiError;

use crate::{
    AgreementSummary, AssessRequest, CalculateRequest, JurisdictionSummary, LineView, LinesAnswer,
    MAX_LINES, MeasureView, RateInput, ScheduleSummary, TariffData, TariffState, invalid,
    normalise_jurisdiction, parse_code, parse_date, parse_rate_inputs, rate_rows,
};

// ---------------------------------------------------------------------------------------------
// Duty calculation.

/// `POST /api/v1/tariff/calculate`: validates the request (the declaration, then its rates) and
/// calculates ([`calculate`]), with the line described in English.
///
/// # Errors
/// The first field that does not parse; as [`calculate`].
pub(crate) async fn calculate_request<T>(
    state: &AppState,
    req: &CalculateRequest,
    present: impl FnOnce(Calculation<'_>, &RatesFrom) -> T,
) -> Result<T, ApiError> {
    let declaration = req.declaration(&state.tariff().tariff, today(state))?;
    let given = rate_rows(&req.rates)?;
    calculate(state, &declaration, given, Lang::En, present).await
}

/// The duties and taxes due on `declaration`, with the rates `given` or else the official rates
/// entered on this server ([`rates_for`]), handed to `present` with where the rates came from
/// (the breakdown borrows the rates, so it is presented here rather than returned). The line
/// is described in `lang` where its schedule ships no description (the ETT ships none: name
/// the line as the line browser does).
///
/// # Errors
/// The store cannot be read; the engine's refusal in the request's words.
pub(crate) async fn calculate<T>(
    state: &AppState,
    declaration: &Declaration,
    given: Vec<RateRow>,
    lang: Lang,
    present: impl FnOnce(Calculation<'_>, &RatesFrom) -> T,
) -> Result<T, ApiError> {
    let (rates, from) = rates_for(state, declaration, given).await?;
    let calculation =
        caravan_tariff::calculate_with_rates(&state.tariff().tariff, declaration, &rates)
            .map_err(|e| calculation_error(&e, &from))?;
    let description = line_description(&state.refdata, &calculation.line.code, lang);
    Ok(present(described(calculation, description.as_deref()), &from))
}

/// Today by the server's clock, the default date of a calculation or a browse.
pub(crate) fn today(state: &AppState) -> Date {
    (state.clock)().date()
}

// ---------------------------------------------------------------------------------------------
// Schedules and lines.

/// The tariff schedules loaded, per jurisdiction, with their validity dates.
pub(crate) fn jurisdictions(state: &AppState) -> Vec<JurisdictionSummary> {
    jurisdiction_summaries(state.tariff())
}

/// The lines of `jurisdiction` at or under `code` valid on `date_text` (today when empty),
/// described in `lang` where the schedule ships no description.
///
/// # Errors
/// As [`lines_at`], and a date that does not parse (`date`).
pub(crate) fn lines(
    state: &AppState,
    jurisdiction: &str,
    code: &str,
    date_text: &str,
    lang: Lang,
) -> Result<LinesAnswer, ApiError> {
    let date =
        if date_text.trim().is_empty() { today(state) } else { parse_date("date", date_text)? };
    let mut answer = lines_at(state.tariff(), jurisdiction, code, date)?;
    describe_lines(&state.refdata, &mut answer, lang);
    Ok(answer)
}

// ---------------------------------------------------------------------------------------------
// Origin.

/// The rule books of origin loaded.
pub(crate) fn agreements(state: &AppState) -> Vec<AgreementSummary> {
    agreement_summaries(state.tariff())
}

/// Does the product qualify as originating under the agreement? The verdict of
/// [`caravan_origin::assess`] on the validated request.
///
/// # Errors
/// The first field that does not parse; the engine's refusal naming its field.
pub(crate) fn assess<'s>(
    state: &'s AppState,
    req: &AssessRequest,
) -> Result<Verdict<'s>, ApiError> {
    let a = req.validate(state.tariff())?;
    caravan_origin::assess(a.book, &a.product, &a.bom, &a.options).map_err(|e| assess_error(&e))
}

/// Checks the product part of an assessment alone (the wizard's first step): an empty bill of
/// materials is valid at this point.
///
/// # Errors
/// The first product field that does not parse.
pub(crate) fn check_product(state: &AppState, mut req: AssessRequest) -> Result<(), ApiError> {
    req.bom.clear();
    req.validate(state.tariff()).map(|_| ())
}

// ---------------------------------------------------------------------------------------------
// Official exchange rates (issue 18).

/// The official exchange rates entered on this server, newest day first, into `to` (an ISO 4217
/// code) when given. Public: official rates are published data.
///
/// # Errors
/// `to` or `limit` out of range (422 naming it); the store cannot be read.
pub(crate) async fn list_rates(
    state: &AppState,
    to: Option<&str>,
    limit: Option<i64>,
) -> Result<Vec<StoredRate>, ApiError> {
    let to = to.filter(|t| !t.trim().is_empty()).map(parse_to).transpose()?;
    let limit = limit.unwrap_or(MAX_RATES_LISTED);
    if !(1..=MAX_RATES_LISTED).contains(&limit) {
        return Err(invalid("limit", format!("limit: between 1 and {MAX_RATES_LISTED}")));
    }
    Ok(state.store.exchange_rates(to, limit).await?)
}

/// Enters official exchange rates given as the API's rows (audited as `tariff.rates.put`).
///
/// # Errors
/// A row that does not parse or that the caller may not enter ([`checked_rows`]); the store.
pub(crate) async fn put_rates(
    state: &AppState,
    caller: &Caller,
    rates: &[RateInput],
) -> Result<PutRates, ApiError> {
    if rates.len() > MAX_RATES_PER_PUT {
        return Err(invalid(
            "rates",
            format!("rates: at most {MAX_RATES_PER_PUT} rates at once, got {}", rates.len()),
        ));
    }
    let rows = parse_rate_inputs(rates)?;
    let rates = checked_rows(state, caller, rows, |idx, name| format!("rates[{idx}].{name}"))?;
    put_checked(state, caller, &rates).await
}

/// Enters official exchange rates given as CSV on the page: the pasted text, then the chosen
/// file's (read as UTF-8, lossily), each with an optional header line.
///
/// # Errors
/// As [`put_rates`], the fields named as the page names them (`rates (row 3, column to)`).
pub(crate) async fn enter_rates_csv(
    state: &AppState,
    caller: &Caller,
    pasted: &str,
    file: Option<&[u8]>,
) -> Result<PutRates, ApiError> {
    let mut rows = Vec::new();
    if !pasted.trim().is_empty() {
        rows.extend(page_rows(pasted, "rates")?);
    }
    if let Some(content) = file {
        let text = String::from_utf8_lossy(content);
        rows.extend(page_rows(&text, "file")?);
    }
    let rates = checked_rows(state, caller, rows, |idx, name| {
        format!("rates (row {}, column {name})", idx + 1)
    })?;
    put_checked(state, caller, &rates).await
}

/// The schedule currencies the caller may enter rates into (none when not logged in).
pub(crate) fn rate_currencies_for(state: &AppState, caller: Option<&Caller>) -> Vec<CurrencyCode> {
    match caller {
        Some(caller) => schedule_currencies(state.tariff())
            .into_iter()
            .filter(|c| can_enter_rates(caller, state.tariff(), *c))
            .collect(),
        None => Vec::new(),
    }
}

/// The most rates one upload may enter.
pub const MAX_RATES_PER_PUT: usize = 1_000;
/// The most rates one listing answers with.
pub const MAX_RATES_LISTED: i64 = 1_000;
/// How long the calculator keeps a currency's stored rates before reading them again (another
/// server on the same database may have entered some); this server's own entries are seen at once.
pub const STORED_RATES_TTL: Duration = Duration::from_secs(2);

/// The countries whose administrators enter rates into `to`: those of the real schedules kept in
/// `to` (KZT → KZ, KGS → KG; the illustrative samples' currencies name their countries too).
fn countries_of_currency(data: &TariffData, to: CurrencyCode) -> Vec<CountryCode> {
    let mut countries: Vec<CountryCode> = data
        .tariff
        .jurisdictions()
        .filter(|j| data.tariff.versions(j).iter().any(|s| s.currency == to))
        .filter_map(|j| CountryCode::parse(j).ok())
        .collect();
    countries.dedup();
    countries
}

/// Every currency a schedule is kept in: the `to` of a rate must be one of them.
pub(crate) fn schedule_currencies(data: &TariffData) -> Vec<CurrencyCode> {
    let mut currencies: Vec<CurrencyCode> = data
        .tariff
        .jurisdictions()
        .flat_map(|j| data.tariff.versions(j).iter().map(|s| s.currency))
        .collect();
    currencies.sort();
    currencies.dedup();
    currencies
}

/// May the caller enter official rates into `to`? Platform administrators for every currency; a
/// country administrator (an administrator of the customs administration) for the currency of
/// their country's schedule. Anyone may read them: official rates are public.
pub fn can_enter_rates(caller: &Caller, data: &TariffData, to: CurrencyCode) -> bool {
    caller.is_global_admin()
        || (caller.is_country_admin()
            && countries_of_currency(data, to).contains(&caller.org.country))
}

/// The stored rates into one currency, by foreign currency, each list in day order.
#[derive(Debug, Default)]
pub struct StoredRates {
    by_from: BTreeMap<CurrencyCode, Vec<RateRow>>,
}

impl StoredRates {
    fn from_rows(rows: Vec<StoredRate>) -> StoredRates {
        let mut by_from: BTreeMap<CurrencyCode, Vec<RateRow>> = BTreeMap::new();
        for row in rows {
            // The server validated the text when it was entered; a row that no longer reads as
            // a decimal (edited by hand in the database) is left out rather than guessed.
            let Ok(rate) = row.rate.parse::<Decimal>() else { continue };
            by_from.entry(row.from).or_default().push(RateRow {
                to: row.to,
                rate: ExchangeRate {
                    currency: row.from,
                    rate,
                    valid_from: row.date,
                    source: row.source,
                },
            });
        }
        for rows in by_from.values_mut() {
            rows.sort_by_key(|r| r.rate.valid_from);
        }
        StoredRates { by_from }
    }

    /// The rows the engine needs for `date`: each pair's row of that day, or, for a pair with no
    /// row that day, its latest earlier row (or its first), so the engine sees the pair and
    /// refuses the day ([`DutyError::NoRateOnDate`]) instead of taking another day's rate.
    pub fn for_day(&self, date: Date) -> Vec<RateRow> {
        self.by_from
            .values()
            .filter_map(|rows| {
                let idx = match rows.binary_search_by_key(&date, |r| r.rate.valid_from) {
                    Ok(idx) => idx,
                    Err(idx) => idx.saturating_sub(1),
                };
                rows.get(idx).cloned()
            })
            .collect()
    }

    /// The latest day with a rate from `from`, for messages.
    pub fn latest(&self, from: CurrencyCode) -> Option<Date> {
        self.by_from.get(&from).and_then(|rows| rows.last()).map(|r| r.rate.valid_from)
    }
}

/// The stored rates the calculator uses for `schedule` when a request gives none: the rows into
/// its currency for the day, or nothing for an illustrative schedule (it carries its own rates).
///
/// # Errors
/// The store cannot be read.
pub(crate) async fn stored_rates_for(
    state: &AppState,
    schedule: &Schedule,
) -> Result<Option<Arc<StoredRates>>, ApiError> {
    if schedule.illustrative {
        return Ok(None);
    }
    let to = schedule.currency;
    let store = state.store.clone();
    let rates = state
        .tariff()
        .stored_rates
        .get_or_load(&to, || async move {
            let rows = store.exchange_rates_into(to, Date::MIN).await?;
            Ok::<_, StoreError>(Arc::new(StoredRates::from_rows(rows)))
        })
        .await?;
    Ok(Some(rates))
}

/// The official exchange rates entered on this server that a calculation under `jurisdiction`'s
/// schedule in force on `date` uses: the rows of `date` into the schedule's currency (see
/// [`StoredRates::for_day`]) with the working set they came from (for [`StoredRates::latest`]);
/// `None` when no real schedule is in force then (an illustrative sample carries its own rates).
/// Public and policy-free, for any caller (the single window's lodgements too): official rates
/// are published data. Read once per call, so a caller with many lines on one date reads once.
///
/// # Errors
/// The store cannot be read.
pub async fn official_rates_on(
    state: &AppState,
    jurisdiction: &str,
    date: Date,
) -> Result<Option<(Vec<RateRow>, Arc<StoredRates>)>, ApiError> {
    let Some(schedule) = state.tariff().tariff.schedule_on(jurisdiction, date) else {
        return Ok(None);
    };
    Ok(stored_rates_for(state, schedule).await?.map(|stored| (stored.for_day(date), stored)))
}

/// The error of a calculation that used stored rates: a missing day says who enters it and where.
pub(crate) fn stored_rate_error(err: &DutyError, stored: &StoredRates) -> Option<ApiError> {
    match err {
        DutyError::NoRateOnDate { currency, into, date } => {
            let latest = match stored.latest(*currency) {
                Some(day) => format!(" (the latest entered is for {day})"),
                None => String::new(),
            };
            let message = format!(
                "date: no official {currency} to {into} rate is entered for {date}{latest}; an administrator enters it on /tariff/rates (CSV date,from,to,rate,source), or give the day's rate in `rates`"
            );
            Some(ApiError::unprocessable("tariff.no_exchange_rate", message).with_field("date"))
        }
        DutyError::NoExchangeRate { currency, into, date } => {
            let message = format!(
                "currency: no official {currency} to {into} rate is entered for {date}; an administrator enters it on /tariff/rates (CSV date,from,to,rate,source), or give the day's rate in `rates`"
            );
            Some(ApiError::unprocessable("tariff.no_exchange_rate", message).with_field("currency"))
        }
        _ => None,
    }
}

/// The `to` currency of a rates listing.
pub(crate) fn parse_to(text: &str) -> Result<CurrencyCode, ApiError> {
    CurrencyCode::parse(&text.trim().to_uppercase())
        .map_err(|err| invalid("to", format!("to: {err} (an ISO 4217 code such as KZT)")))
}

/// Checks rows for entry: each into a schedule currency the caller may enter, no day and pair
/// twice, at most [`MAX_RATES_PER_PUT`].
fn checked_rows(
    state: &AppState,
    caller: &Caller,
    rows: Vec<RateRow>,
    field: impl Fn(usize, &str) -> String,
) -> Result<Vec<NewRate>, ApiError> {
    if rows.is_empty() {
        return Err(invalid("rates", "rates: give at least one rate (date,from,to,rate,source)"));
    }
    if rows.len() > MAX_RATES_PER_PUT {
        return Err(invalid(
            "rates",
            format!("rates: at most {MAX_RATES_PER_PUT} rates at once, got {}", rows.len()),
        ));
    }
    let currencies = schedule_currencies(state.tariff());
    let mut seen = std::collections::HashSet::new();
    let mut out = Vec::with_capacity(rows.len());
    for (idx, row) in rows.into_iter().enumerate() {
        if !currencies.contains(&row.to) {
            let known: Vec<&str> = currencies.iter().map(CurrencyCode::as_str).collect();
            return Err(invalid(
                field(idx, "to"),
                format!(
                    "{}: no schedule is kept in {}; rates go into a schedule's currency: {}",
                    field(idx, "to"),
                    row.to,
                    known.join(", ")
                ),
            ));
        }
        if row.rate.currency == row.to {
            return Err(invalid(
                field(idx, "from"),
                format!("{}: must differ from `to` ({})", field(idx, "from"), row.to),
            ));
        }
        if !can_enter_rates(caller, state.tariff(), row.to) {
            return Err(ApiError::forbidden(format!(
                "{}: rates into {} are entered by a platform administrator or an administrator of the customs administration of {}",
                field(idx, "to"),
                row.to,
                countries_of_currency(state.tariff(), row.to)
                    .iter()
                    .map(CountryCode::as_str)
                    .collect::<Vec<_>>()
                    .join(" or ")
            ))
            .with_field(field(idx, "to")));
        }
        if !seen.insert((row.rate.valid_from, row.rate.currency, row.to)) {
            return Err(invalid(
                field(idx, "date"),
                format!(
                    "{}: a second {} to {} rate for {}; give one rate a day",
                    field(idx, "date"),
                    row.rate.currency,
                    row.to,
                    row.rate.valid_from
                ),
            ));
        }
        out.push(NewRate {
            date: row.rate.valid_from,
            from: row.rate.currency,
            to: row.to,
            rate: row.rate.rate.to_string(),
            source: row.rate.source,
        });
    }
    Ok(out)
}

/// Stores checked rates and forgets the calculator's working set of every currency they go into.
async fn put_checked(
    state: &AppState,
    caller: &Caller,
    rates: &[NewRate],
) -> Result<PutRates, ApiError> {
    let change = Change { actor: caller.actor(), at: (state.clock)() };
    let put = state.store.put_exchange_rates(&change, rates).await?;
    let mut currencies: Vec<CurrencyCode> = rates.iter().map(|r| r.to).collect();
    currencies.sort();
    currencies.dedup();
    for to in currencies {
        state.tariff().stored_rates.forget(&to);
    }
    Ok(put)
}

/// Rates CSV from the page (pasted or uploaded), header line optional, read as the CLI reads
/// `--rates`.
fn page_rows(text: &str, field: &str) -> Result<Vec<RateRow>, ApiError> {
    let text = text.trim().trim_start_matches('\u{feff}');
    let header = caravan_tariff::RATES_HEADER.join(",");
    let csv = if text.starts_with(&header) { text.to_owned() } else { format!("{header}\n{text}") };
    caravan_tariff::parse_rates_csv(&csv).map_err(|err| {
        ApiError::unprocessable("request.invalid_field", format!("{field}: {err}"))
            .with_field(field)
    })
}
// ---------------------------------------------------------------------------------------------
// Helpers of the calculator, the line browser and the assessment.

/// The request field a duty error is about (the engine speaks of the CLI's flags).
fn duty_error(err: &DutyError) -> ApiError {
    let (code, field) = match err {
        DutyError::UnknownJurisdiction { .. } => ("tariff.unknown_jurisdiction", "jurisdiction"),
        DutyError::DateOutsideSchedules { .. } | DutyError::LineNotValid { .. } => {
            ("tariff.date_outside_validity", "date")
        }
        DutyError::UnknownCode { .. } => ("tariff.unknown_code", "code"),
        DutyError::NonPositiveValue(_) => ("tariff.invalid_value", "value"),
        DutyError::NegativeQuantity(_) => ("tariff.invalid_quantity", "quantity.amount"),
        DutyError::MissingQuantity { .. } => ("tariff.quantity_required", "quantity"),
        DutyError::IncompatibleUnit { .. } => ("tariff.incompatible_unit", "quantity.unit"),
        DutyError::NoExchangeRate { .. } => ("tariff.no_exchange_rate", "currency"),
        DutyError::NoRateOnDate { .. } => ("tariff.no_exchange_rate", "rates"),
        DutyError::TooLarge { field, .. } => {
            ("tariff.too_large", if *field == "quantity" { "quantity.amount" } else { field })
        }
        DutyError::Overflow { .. } => ("tariff.too_large", "value"),
    };
    // The engine's message tells the CLI user to "give --quantity and --unit".
    let mut message = err
        .to_string()
        .replace("give --quantity and --unit", "give quantity.amount and quantity.unit");
    if matches!(err, DutyError::NoExchangeRate { .. }) {
        message.push_str(
            ": give the official rate of the day in `rates` ({date, from, to, rate, source})",
        );
    }
    ApiError::unprocessable(code, message).with_field(field)
}

/// Where a calculation's exchange rates came from.
pub(crate) enum RatesFrom {
    /// The request's `rates` (or the page's rates box).
    Request,
    /// The official rates entered on this server ([`rates`]), for a real schedule.
    Stored(Arc<StoredRates>),
    /// The schedule's own (illustrative samples) or none needed.
    Schedule,
}

impl RatesFrom {
    pub(crate) fn as_str(&self) -> &'static str {
        match self {
            RatesFrom::Request => "request",
            RatesFrom::Stored(_) => "stored",
            RatesFrom::Schedule => "schedule",
        }
    }
}

/// The rates a calculation uses: the request's when it gives any, else the official rates
/// entered on this server for a real schedule's currency (the rows of the declaration date).
///
/// # Errors
/// The store cannot be read.
pub(crate) async fn rates_for(
    state: &AppState,
    declaration: &Declaration,
    given: Vec<caravan_tariff::RateRow>,
) -> Result<(Vec<caravan_tariff::RateRow>, RatesFrom), ApiError> {
    if !given.is_empty() {
        return Ok((given, RatesFrom::Request));
    }
    let Some(schedule) =
        state.tariff().tariff.schedule_on(&declaration.jurisdiction, declaration.date)
    else {
        return Ok((given, RatesFrom::Schedule));
    };
    match stored_rates_for(state, schedule).await? {
        Some(stored) => Ok((stored.for_day(declaration.date), RatesFrom::Stored(stored))),
        None => Ok((given, RatesFrom::Schedule)),
    }
}

/// A duty error in the request's words; a missing stored rate says who enters it and where.
pub(crate) fn calculation_error(err: &DutyError, from: &RatesFrom) -> ApiError {
    match from {
        RatesFrom::Stored(stored) => {
            stored_rate_error(err, stored).unwrap_or_else(|| duty_error(err))
        }
        _ => duty_error(err),
    }
}

fn schedule_summary(s: &Schedule) -> ScheduleSummary {
    ScheduleSummary {
        title: s.title.clone(),
        version: s.version.to_string(),
        valid_from: s.valid_from.to_string(),
        valid_to: s.valid_to.map(|d| d.to_string()),
        illustrative: s.illustrative,
        notice: s.notice.clone(),
        currency: s.currency.to_string(),
        nomenclature: s.nomenclature.clone(),
        lines: s.lines.len(),
        measures: s.measures.len(),
    }
}

pub(crate) fn jurisdiction_summaries(data: &TariffData) -> Vec<JurisdictionSummary> {
    data.tariff
        .jurisdictions()
        .map(|j| JurisdictionSummary {
            jurisdiction: j.to_owned(),
            versions: data.tariff.versions(j).iter().map(schedule_summary).collect(),
        })
        .collect()
}

/// Gives the lines a schedule ships without descriptions (the ETT bundle has none) the HS 2022
/// subheading's description in `lang` and, where the shipped TN VED list has the line, its
/// Russian name.
pub(crate) fn describe_lines(
    refdata: &caravan_refdata::ReferenceData,
    answer: &mut LinesAnswer,
    lang: caravan_refdata::Lang,
) {
    for line in answer.lines.iter_mut().filter(|line| line.description.is_empty()) {
        let Ok(code) = HsCode::parse(&line.code) else { continue };
        if let Some(text) = line_description(refdata, &code, lang) {
            line.description = text;
        }
    }
}

/// `calc` with `text` as its line's description where the schedule gave none.
pub(crate) fn described<'a>(
    mut calc: caravan_tariff::Calculation<'a>,
    text: Option<&'a str>,
) -> caravan_tariff::Calculation<'a> {
    if let Some(text) = text.filter(|_| calc.line.description.is_empty()) {
        calc.line.description = text;
    }
    calc
}

/// The description of a line its schedule ships without one: the HS 2022 subheading's in
/// `lang` and, where the shipped TN VED list has the line, its Russian name.
pub(crate) fn line_description(
    refdata: &caravan_refdata::ReferenceData,
    code: &HsCode,
    lang: caravan_refdata::Lang,
) -> Option<String> {
    let entry = refdata.hs(&code.truncate(6))?;
    Some(match entry.national_lines.iter().find(|n| n.code == *code) {
        Some(n) if n.name_source == caravan_refdata::NameSource::TnVed => {
            format!("{} (TN VED: {})", entry.description(lang), n.name_ru)
        }
        // The shipped TN VED list lacks the line: say so rather than pass the subheading's
        // text off as the line's own name.
        Some(_) => format!(
            "{} ({})",
            entry.description(lang),
            caravan_web::i18n::t(lang, crate::pages::TariffKey::no_tnved_name)
        ),
        None => entry.description(lang).to_owned(),
    })
}

/// The lines of `jurisdiction` at or under `code` valid on `date`, with their measures.
///
/// # Errors
/// Unknown jurisdiction (`jurisdiction`), no schedule in force or no line valid on the date
/// (`date`), no line under the code (404, `code`).
pub(crate) fn lines_at(
    data: &TariffData,
    jurisdiction: &str,
    code: &str,
    date: Date,
) -> Result<LinesAnswer, ApiError> {
    let jurisdiction = normalise_jurisdiction(&data.tariff, jurisdiction);
    let code = parse_code("code", code)?;
    let versions = data.tariff.versions(&jurisdiction);
    if versions.is_empty() {
        let known: Vec<&str> = data.tariff.jurisdictions().collect();
        return Err(ApiError::not_found(
            "tariff.unknown_jurisdiction",
            format!("no tariff schedule for {jurisdiction:?}; known: {}", known.join(", ")),
        )
        .with_field("jurisdiction"));
    }
    let Some(schedule) = data.tariff.schedule_on(&jurisdiction, date) else {
        let coverage: Vec<String> = versions
            .iter()
            .map(|s| match s.valid_to {
                Some(to) => format!("{} to {to}", s.valid_from),
                None => format!("from {}", s.valid_from),
            })
            .collect();
        return Err(ApiError::unprocessable(
            "tariff.date_outside_validity",
            format!(
                "date: no {jurisdiction} schedule is in force on {date}; schedules cover {}",
                coverage.join("; ")
            ),
        )
        .with_field("date"));
    };
    let under: Vec<_> =
        schedule.lines.iter().filter(|l| l.code.as_str().starts_with(code.as_str())).collect();
    if under.is_empty() {
        return Err(ApiError::not_found(
            "tariff.unknown_code",
            format!(
                "code {code} is not a tariff line (nor a heading of one) in the {jurisdiction} schedule {}",
                schedule.version
            ),
        )
        .with_field("code"));
    }
    let valid: Vec<_> = under
        .iter()
        .filter(|l| date >= l.valid_from && l.valid_to.is_none_or(|to| date <= to))
        .take(MAX_LINES)
        .collect();
    if valid.is_empty() {
        let periods: Vec<String> = under
            .iter()
            .map(|l| match l.valid_to {
                Some(to) => format!("{} from {} to {to}", l.code, l.valid_from),
                None => format!("{} from {}", l.code, l.valid_from),
            })
            .collect();
        return Err(ApiError::unprocessable(
            "tariff.date_outside_validity",
            format!("date: no line under {code} is valid on {date}; valid: {}", periods.join("; ")),
        )
        .with_field("date"));
    }
    let lines = valid
        .into_iter()
        .map(|line| LineView {
            code: line.code.to_string(),
            description: line.description.clone(),
            valid_from: line.valid_from.to_string(),
            valid_to: line.valid_to.map(|d| d.to_string()),
            supplementary_unit: line.supplementary_unit.map(|u| u.code().to_owned()),
            measures: schedule
                .measures_in_force(&line.code, date)
                .into_iter()
                .map(|m| MeasureView {
                    id: m.id.clone(),
                    kind: m.kind.as_str().to_owned(),
                    applies_to: m.applies_to.to_string(),
                    origin: m.origin_label.clone(),
                    excluded_origins: m.excluded_origins.iter().map(ToString::to_string).collect(),
                    duty: m.duty_text.clone(),
                    document: m.document.clone(),
                    agreement: m.agreement.clone(),
                    valid_from: m.valid_from.to_string(),
                    valid_to: m.valid_to.map(|d| d.to_string()),
                    legal_reference: m.legal_reference.clone(),
                    provenance: if m.illustrative { "illustrative" } else { "real" }.to_owned(),
                })
                .collect(),
        })
        .collect();
    Ok(LinesAnswer {
        jurisdiction,
        schedule: schedule_summary(schedule),
        date: date.to_string(),
        lines,
    })
}

pub(crate) fn agreement_summaries(data: &TariffData) -> Vec<AgreementSummary> {
    data.rule_books
        .iter()
        .map(|e| AgreementSummary {
            id: e.id.to_owned(),
            agreement: e.book.agreement.clone(),
            illustrative: e.book.illustrative,
            notice: e.book.notice.clone(),
            parties: e.book.parties.iter().map(ToString::to_string).collect(),
            cumulation: e.book.cumulation.iter().map(ToString::to_string).collect(),
            tolerance_percent: e.book.tolerance_percent.map(|d| d.to_string()),
            rule_sets: e.book.rule_sets.len(),
        })
        .collect()
}

pub(crate) fn assess_error(err: &AssessError) -> ApiError {
    let code = match err {
        AssessError::NoRule { .. } => "origin.no_rule",
        AssessError::BomExceedsPrice { .. } => "origin.bom_exceeds_price",
        _ => "origin.invalid_input",
    };
    ApiError::unprocessable(code, err.to_string()).with_field(err.field())
}
